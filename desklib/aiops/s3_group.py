"""Stage 3, from scratch: link alerts close in time on related services; incidents are
the connected chains of links."""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Iterable, Mapping, Sequence

from ..records import Alert
from .basics import (DEFAULT_WINDOW_S, DEPENDED_ON, DEPENDS_ON, SAME_SERVICE, TIME_ONLY,
                     checked_topology, parse_window)
from .s1_normalize import normalize


def neighbours(topology: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    """Undirected neighbour sets: a service's dependencies and its dependants.

    >>> sorted(neighbours({"web": ["orders"], "orders": ["pg-main"]})["orders"])
    ['pg-main', 'web']
    """
    topology = checked_topology(topology)
    out: dict[str, set[str]] = defaultdict(set)
    for service, deps in topology.items():
        out[service]
        for dep in deps:
            if dep != service:
                out[service].add(dep)
                out[dep].add(service)
    return {s: frozenset(n) for s, n in out.items()}


def link_table(topology: Mapping[str, Sequence[str]] | None, services: Iterable[str]) -> dict:
    """service -> ((service it may link to, kind of link), ...), best explanation first:
    its dependencies, itself, then its dependants (each in name order). Without a
    topology every alert may link to any other: one row ``None -> ((None, TIME_ONLY),)``."""
    if topology is None:
        return {None: ((None, TIME_ONLY),)}
    near = neighbours(topology)
    table = {}
    for s in services:
        deps = {d for d in topology.get(s, ()) if d != s}
        dependants = near.get(s, frozenset()) - deps
        table[s] = (tuple((d, DEPENDS_ON) for d in sorted(deps)) + ((s, SAME_SERVICE),)
                    + tuple((u, DEPENDED_ON) for u in sorted(dependants)))
    return table


def find(parent: list[int], i: int) -> int:
    """The root of ``i``'s chain in a union-find forest (halving the path on the way)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def link(alerts: Sequence[Alert], topology: Mapping[str, Sequence[str]] | None, window_s: int | str):
    """The link loop over alerts in time order (:func:`normalize`).

    Each alert looks only at the **most recent** earlier alert on each service of its
    row of :func:`link_table`; if that one fired at most ``window_s`` before, the two
    are linked and their chains merge (the later root under the earlier, so a chain's
    root is its first alert). Returns ``(root, how, joined)``: ``root[j]`` the first
    alert of j's incident, ``how[j] = (kind, k)`` the first link that brought j in
    (None if none), and ``joined = {opener: j}`` for an alert that opened a chain of
    its own which j later linked into an older one.
    """
    window = timedelta(seconds=parse_window(window_s))
    table = link_table(topology, {a.service for a in alerts})
    parent, how, joined = list(range(len(alerts))), [None] * len(alerts), {}
    last = {}                      # service -> index of its most recent alert
    for j, a in enumerate(alerts):
        home = a.service if topology is not None else None
        mine = -1                  # the root of the chain j has joined so far
        for other, kind in table[home]:
            k = last.get(other)
            if k is None or a.ts - alerts[k].ts > window:
                continue
            r = find(parent, k)
            if mine < 0:           # j's first link: the reason it joined
                mine = parent[j] = r
                how[j] = (kind, k)
            elif r != mine:        # j bridges two chains: the later root joins the earlier
                early, late = min(r, mine), max(r, mine)
                parent[late], joined[late], mine = early, j, early
        last[home] = j
    return [find(parent, j) for j in range(len(alerts))], how, joined


def group(alerts: Iterable[Alert], topology: Mapping[str, Sequence[str]] | None = None,
          window_s: int | str = DEFAULT_WINDOW_S) -> list[list[Alert]]:
    """Stage 3: the alerts as incidents (lists in time order), incidents ordered by start.

    Two alerts are *linked* when they fired at most ``window_s`` apart and their
    services are the same or one directly depends on the other (``topology=None``:
    time alone decides). An incident is a connected chain of links.

    Checking every pair would cost O(n^2); :func:`link` looks only at the most recent
    earlier alert of each related service, and loses no link. Claim: if alerts i < j
    satisfy the rule, they end up in one incident. Induction on j: let k be the most
    recent alert before j on i's service. Then i <= k < j and t_j - t_k <= t_j - t_i
    <= window, so j links to k. If k = i we are done; otherwise i and k share a
    service and t_k - t_i <= window, so (i, k) satisfies the rule with k < j, and by
    induction i and k are already together.
    """
    ordered = normalize(alerts)
    root, _, _ = link(ordered, checked_topology(topology), window_s)
    incidents: dict[int, list[Alert]] = {}
    for a, r in zip(ordered, root):
        incidents.setdefault(r, []).append(a)
    return list(incidents.values())
