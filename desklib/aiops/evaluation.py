"""Is it right? Scores against an answer key, the simpler groupings to beat, the window
sweep, and the DataFrames the notebook shows.

* :func:`evaluate` -- pairwise precision/recall/F1 and root-cause accuracy.
* :func:`baselines` -- the same storm grouped five ways (one page per alert,
  Alertmanager's ``group_by``, time only, time + topology), scored.
* :func:`window_sweep` -- one row per window.
* :func:`incidents_frame`, :func:`alerts_frame` -- the hand-off records as tables.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from ..records import Alert
from .basics import DEFAULT_HOPS, DEFAULT_SWEEP, DEFAULT_WINDOW_S, parse_hops, parse_window
from .engine import _assemble, _first_firings, _ordered, prepare
from .handoff import _NO_RUNBOOKS, Correlation, Incidents
from .pipeline import correlate

if TYPE_CHECKING:
    import numpy as np
def evaluate(correlation: Correlation, truth: Mapping[str, tuple[str, str]]) -> dict:
    """Score incidents against the truth ``{alert id: (true incident, root-cause service)}``.

    * pairwise precision: of the alert pairs put in one incident, the share that truly
      belong together; recall: of the pairs that belong together, the share put together.
      Pairs are counted from a contingency table (a group of c alerts holds c(c-1)/2
      pairs), not by looping over all pairs. With no pair predicted (one page per
      alert), precision is 1.0: nothing was wrongly merged.
    * root-cause accuracy: for each true incident, take the predicted incident holding
      most of its alerts (ties: the earlier one); it is right if it names the true cause.
    """
    return _score(correlation, _truth_codes(truth, _ids(correlation)))


def _ids(correlation: Correlation) -> Sequence[str]:
    """The ids of a correlation's alerts in time order (without making alert records)."""
    ids = getattr(correlation.alerts, "ids", None)
    return ids if ids is not None else [a.id for a in correlation.alerts]


def _truth_codes(truth: Mapping[str, tuple[str, str]], ids: Sequence[str]) -> tuple:
    """The truth as arrays over alerts in the order of ``ids``: ``(true incident number of
    each alert, root-cause service of each true incident)``. Checks that the truth covers
    exactly these alerts and names one root cause per incident."""
    import numpy as np
    missing = [aid for aid in ids if aid not in truth]
    if missing or len(truth) != len(ids):
        missing, extra = truth.keys() - set(ids), set(ids) - truth.keys()
        raise ValueError(f"truth and alerts disagree: {len(missing)} ids only in the truth "
                         f"{sorted(missing)[:3]}, {len(extra)} only in the alerts {sorted(extra)[:3]}")
    true_root: dict[str, str] = {}
    for aid, (incident, cause) in truth.items():
        if true_root.setdefault(incident, cause) != cause:
            raise ValueError(f"truth: incident {incident!r} has two root causes "
                             f"({true_root[incident]!r}, {cause!r})")
    number = {incident: i for i, incident in enumerate(true_root)}
    true = np.fromiter((number[truth[aid][0]] for aid in ids), np.int64, len(ids))
    return true, list(true_root.values())


def _pairs_in(counts: np.ndarray) -> int:
    """Alert pairs inside groups of these sizes: c(c-1)/2 each."""
    return int((counts * (counts - 1) // 2).sum())


def _score(correlation: Correlation, truth_codes: tuple) -> dict:
    """:func:`evaluate` on arrays: a contingency table of (predicted, true) incident numbers."""
    import numpy as np
    true, true_root = truth_codes
    incidents = correlation.incidents
    m, t = len(incidents), len(true_root)
    if isinstance(incidents, Incidents) and incidents.incident_of() is not None:
        predicted, named = incidents.incident_of(), incidents.root_causes()
    else:                          # a tuple of records made by hand
        number = {aid: i for i, inc in enumerate(incidents) for aid in inc.alert_ids}
        ids = _ids(correlation)
        predicted = np.fromiter((number[aid] for aid in ids), np.int64, len(ids))
        named = [inc.root_cause for inc in incidents]
    cell, count = np.unique(predicted * max(t, 1) + true, return_counts=True)
    together = _pairs_in(count)
    predicted_pairs = _pairs_in(np.bincount(predicted, minlength=m))
    true_pairs = _pairs_in(np.bincount(true, minlength=t))
    precision = together / predicted_pairs if predicted_pairs else 1.0
    recall = together / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # each true incident's best match: the predicted incident holding most of its alerts,
    # ties to the earlier one
    pred_of, true_of = cell // max(t, 1), cell % max(t, 1)
    order = np.lexsort((pred_of, -count, true_of))
    head = np.ones(len(order), bool)
    head[1:] = true_of[order][1:] != true_of[order][:-1]
    best = zip(pred_of[order][head].tolist(), true_of[order][head].tolist())
    right = sum(named[p] == true_root[i] for p, i in best)
    return {"alerts": len(true), "incidents": m, "true_incidents": t,
            "precision": precision, "recall": recall, "f1": f1,
            "root_cause_accuracy": right / t if t else 1.0,
            "noise_reduction": correlation.noise_reduction}


def _by_label(alerts: Iterable[Alert], label: str, window: int) -> Correlation:
    """Alertmanager-style ``group_by: [label]``: one group per label value, whatever the time."""
    import numpy as np
    stream = _ordered(alerts)
    ordered = stream.alerts
    value = (lambda a: a.service) if label == "service" else (
        (lambda a: a.name) if label == "alertname" else (lambda a: a.labels.get(label, "")))
    firsts: dict[str, int] = {}
    roots = np.array([firsts.setdefault(value(a), j) for j, a in enumerate(ordered)], np.int64)
    first = _first_firings(stream, window)

    def reason(j: int) -> str:
        return (f"first alert with {label}={value(ordered[j])!r}" if roots[j] == j
                else f"same {label} as {ordered[roots[j]].id}")
    return _assemble(stream, roots, first, reason, None, _NO_RUNBOOKS, window)


def _one_page_each(alerts: Iterable[Alert], window: int) -> Correlation:
    import numpy as np
    stream = _ordered(alerts)
    every = np.arange(len(stream))
    return _assemble(stream, every, every, lambda j: "its own page", None, _NO_RUNBOOKS, window)


def baselines(alerts: Iterable[Alert], topology: Mapping[str, Sequence[str]] | None,
              truth: Mapping[str, tuple[str, str]], window_s: int | str = DEFAULT_WINDOW_S,
              hops: int = DEFAULT_HOPS):
    """DataFrame: the same storm grouped five ways, scored against the truth.

    one page per alert (no correlation) | Alertmanager ``group_by: [service]`` |
    ``group_by: [alertname]`` | time window only | time window + topology.
    Methods that do not know the topology also name root causes without it
    (the first service to alert).
    """
    import pandas as pd
    alerts = list(alerts)
    window = parse_window(window_s)
    runs = [
        ("one page per alert", _one_page_each(alerts, window)),
        ("group_by: [service]", _by_label(alerts, "service", window)),
        ("group_by: [alertname]", _by_label(alerts, "alertname", window)),
        (f"time window only ({window} s)", correlate(alerts, None, window, runbooks=_NO_RUNBOOKS)),
        (f"time + topology ({window} s)", correlate(alerts, topology, window, runbooks=_NO_RUNBOOKS, hops=hops)),
    ]
    rows = []
    for method, corr in runs:
        score = evaluate(corr, truth)
        rows.append({"method": method, "incidents": score["incidents"],
                     "true_incidents": score["true_incidents"], "precision": score["precision"],
                     "recall": score["recall"], "f1": score["f1"],
                     "root_cause_accuracy": score["root_cause_accuracy"],
                     "noise_reduction": score["noise_reduction"]})
    return pd.DataFrame(rows)


def window_sweep(alerts: Iterable[Alert], topology: Mapping[str, Sequence[str]] | None,
                 truth: Mapping[str, tuple[str, str]], windows: Iterable[int | str] = DEFAULT_SWEEP,
                 progress: bool = True, hops: int | Iterable[int] = DEFAULT_HOPS):
    """DataFrame: one row per window and ``hops`` (one value or several: a sweep over
    window x hops) with incidents, pairwise precision/recall/F1, noise reduction and
    root-cause accuracy. Shows a ``tqdm.auto`` progress bar unless ``progress=False`` (a
    notebook's saved output should hold results only)."""
    import pandas as pd
    from tqdm.auto import tqdm
    alerts = prepare(alerts)       # sorted and read once, then correlated once per window
    steps = [(parse_window(w), parse_hops(h)) for h in ([hops] if isinstance(hops, (int, str)) else hops)
             for w in windows]
    rows = []
    for window, h in tqdm(steps, desc="window sweep", unit="run", leave=False, disable=not progress):
        score = evaluate(correlate(alerts, topology, window, runbooks=_NO_RUNBOOKS, hops=h), truth)
        rows.append({"window_s": window, "hops": h, "incidents": score["incidents"],
                     "precision": score["precision"], "recall": score["recall"], "f1": score["f1"],
                     "noise_reduction": score["noise_reduction"],
                     "root_cause_accuracy": score["root_cause_accuracy"]})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- frames for the notebook

def incidents_frame(correlation: Correlation):
    """DataFrame: one row per incident (the hand-off records)."""
    import pandas as pd
    rows = [{"id": inc.id, "root_cause": inc.root_cause, "root_alert": inc.root_alert,
             "severity": inc.severity, "start": inc.start, "end": inc.end,
             "alerts": len(inc.alert_ids), "duplicates": inc.duplicates,
             "services": ", ".join(inc.services), "symptoms": "; ".join(f"{s}: {n}" for s, n in inc.symptoms),
             "runbook": inc.runbook, "firing": inc.firing, "ended_at": inc.ended_at,
             "silent": ", ".join(inc.silent)}
            for inc in correlation.incidents]
    columns = ["id", "root_cause", "root_alert", "severity", "start", "end", "alerts",
               "duplicates", "services", "symptoms", "runbook", "firing", "ended_at", "silent"]
    frame = pd.DataFrame(rows, columns=columns)
    for col in ("start", "end", "ended_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def alerts_frame(correlation: Correlation):
    """DataFrame: one row per alert in time order, with its incident, duplicate_of and why."""
    import pandas as pd
    incident_of, why = {}, {}
    for inc in correlation.incidents:
        for aid in inc.alert_ids:
            incident_of[aid] = inc.id
        why.update(inc.why)
    rows = [{"id": a.id, "ts": a.ts, "service": a.service, "name": a.name, "severity": a.severity,
             "incident": incident_of[a.id], "duplicate_of": correlation.duplicate_of.get(a.id),
             "why": why[a.id]} for a in correlation.alerts]
    columns = ["id", "ts", "service", "name", "severity", "incident", "duplicate_of", "why"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame
