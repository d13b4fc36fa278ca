"""The correlation peer: the same semantics as ``desklib.aiops.correlate``, written the
straightforward way a data scientist would with pandas + scipy.

* sort by (ts, id);
* dedup: a fingerprint column (service, name, sorted labels), ``groupby`` + ``diff`` for
  the gap to the previous firing, ``cumsum`` for runs, ``transform("first")`` for the
  first firing of each run;
* link: one query row per (alert, service it may link to: itself, its dependencies, its
  dependants), ``merge_asof`` (``by`` service, ``direction="backward"``, strictly
  earlier) to the most recent alert on that service, kept when at most a window back;
  time alone links each alert to the one before it;
* incidents: ``scipy.sparse.csgraph.connected_components`` on those links;
* root causes: ``groupby`` for each incident's alerting services and their first
  alert, a merge with the dependency edges to drop services with an alerting
  dependency (all of them when a cycle leaves none), the earliest first alert wins
  (then the name).

It returns what the property tests compare: each alert's incident (numbered by first
alert), the duplicates and each incident's root cause. scipy is a ``dev`` dependency
only (``make bench`` and the tests), never one of desklib's.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def correlate_peer(frame: pd.DataFrame, topology: dict | None, window_s: int) -> dict:
    """``{"ids", "incident", "duplicate_of", "root_causes"}`` for a DataFrame with columns
    id, ts (tz-aware), service, name, severity, labels (dicts)."""
    df = frame[["id", "ts", "service", "name", "labels"]].sort_values(["ts", "id"], kind="stable")
    df = df.reset_index(drop=True)
    n = len(df)
    window = pd.Timedelta(seconds=window_s)
    ts = df["ts"].dt.tz_convert(None)                  # naive UTC datetime64: fast arithmetic
    pos = pd.Series(np.arange(n))
    services, service_names = pd.factorize(df["service"])
    names = pd.factorize(df["name"])[0]
    labels = pd.factorize(df["labels"].map(lambda d: tuple(sorted(d.items()))))[0]

    # dedup: same fingerprint, at most a window after the previous firing of it
    fingerprint = pd.Series(services * (names.max() + 1) + names) * (labels.max() + 1) + labels
    gap = ts.groupby(fingerprint, sort=False).diff()
    run = (gap.isna() | (gap > window)).groupby(fingerprint, sort=False).cumsum()
    first = pos.groupby([fingerprint, run], sort=False).transform("first").to_numpy()
    repeat = first != np.arange(n)
    ids = df["id"].to_numpy(object)
    duplicate_of = dict(zip(ids[repeat], ids[first[repeat]]))

    # links to the most recent earlier alert on each related service
    if topology is None:
        j = np.arange(1, n)
        keep = (ts.diff() <= window).to_numpy()[1:]
        a, b = j[keep], j[keep] - 1
    else:
        code = {s: i for i, s in enumerate(service_names)}
        edges = pd.DataFrame([(code[s], code[d]) for s, deps in topology.items() for d in deps
                              if d != s and s in code and d in code], columns=["service", "dep"], dtype=np.int64)
        own = np.arange(len(service_names))
        related = pd.concat([pd.DataFrame({"service": own, "other": own}),
                             edges.rename(columns={"dep": "other"}),
                             edges.rename(columns={"service": "other", "dep": "service"})]).drop_duplicates()
        alerts = pd.DataFrame({"pos": pos, "ts": ts, "service": services})
        queries = alerts.merge(related, on="service").sort_values("pos", kind="stable")
        targets = alerts.rename(columns={"pos": "k", "ts": "ts_k", "service": "other"})
        found = pd.merge_asof(queries, targets, left_on="pos", right_on="k", by="other",
                              direction="backward", allow_exact_matches=False)
        found = found[found["k"].notna() & (found["ts"] - found["ts_k"] <= window)]
        a, b = found["pos"].to_numpy(np.int64), found["k"].to_numpy(np.int64)
    graph = coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    first_alert = pos.groupby(label).transform("min")
    incident = pd.factorize(first_alert)[0]          # numbered by first alert (in time order)

    # root causes: alerting services with no alerting dependency in their incident
    alerting = pd.DataFrame({"incident": incident, "service": services, "pos": pos}).groupby(
        ["incident", "service"], sort=False, as_index=False)["pos"].min()
    if topology is not None:
        explained = alerting.merge(edges, on="service").merge(
            alerting[["incident", "service"]].rename(columns={"service": "dep"}), on=["incident", "dep"])
        explained = explained[["incident", "service"]].drop_duplicates().assign(explained=True)
        alerting = alerting.merge(explained, on=["incident", "service"], how="left")
        alerting["explained"] = alerting["explained"].fillna(False).astype(bool)
        none_left = alerting.groupby("incident")["explained"].transform("all")
        alerting = alerting[~alerting["explained"] | none_left]
    alerting = alerting.assign(ts=ts.to_numpy()[alerting["pos"].to_numpy()],
                               name=service_names[alerting["service"].to_numpy()])
    causes = alerting.sort_values(["incident", "ts", "name"]).drop_duplicates("incident")
    return {"ids": ids, "incident": incident, "duplicate_of": duplicate_of,
            "root_causes": causes["name"].tolist()}
