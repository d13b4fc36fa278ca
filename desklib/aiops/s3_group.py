"""Stage 3, from scratch: link alerts close in time on related services; incidents are
the connected chains of links."""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Iterable, Mapping, Sequence

from ..records import Alert
from .basics import (DEFAULT_HOPS, DEFAULT_WINDOW_S, DEPENDED_ON, DEPENDS_ON, MAX_SILENT_PATHS, SAME_SERVICE,
                     THROUGH_DOWN, THROUGH_UP, TIME_ONLY, checked_topology, parse_hops, parse_window)
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


def silent_paths(topology: Mapping[str, Sequence[str]], start: str, hops: int,
                 limit: int = MAX_SILENT_PATHS) -> list[tuple[str, tuple]]:
    """``(service, services between)`` for every service ``start`` reaches along its
    dependencies in 2 to ``hops`` edges (no service twice) that is not one of its direct
    dependencies: the ones an alert on ``start`` may link to when the services between
    did not alert. Shortest paths first, then by name. More than ``limit`` paths raise
    ValueError (:data:`MAX_SILENT_PATHS`: their number grows about exponentially with ``hops``)."""
    direct = set(topology.get(start, ())) | {start}
    found = []
    stack = [[start]]              # depth first, without recursion: a long chain is no deep stack
    while stack:
        path = stack.pop()
        for dep in topology.get(path[-1], ()):
            if dep in path:
                continue
            if len(path) >= 2 and dep not in direct:
                found.append((dep, tuple(path[1:])))
                if len(found) > limit:
                    raise too_many_paths(hops, topology)
            if len(path) < hops:
                stack.append(path + [dep])
    return sorted(set(found), key=lambda f: (len(f[1]), f[1], f[0]))


def too_many_paths(hops: int, topology: Mapping[str, Sequence[str]]) -> ValueError:
    return ValueError(f"hops {hops}: more than {MAX_SILENT_PATHS:,} paths through services between on this "
                      f"topology ({len(topology):,} services); links that long join unrelated outages anyway: "
                      f"use fewer hops (the default is {DEFAULT_HOPS})")


def link_table(topology: Mapping[str, Sequence[str]] | None, services: Iterable[str], hops: int = 1) -> dict:
    """service -> ((service it may link to, kind of link, silent services between), ...),
    best explanation first: its dependencies, itself, its dependants (each in name order),
    then, with ``hops`` > 1, services further up (:func:`silent_paths`) and further down.
    Without a topology every alert may link to any other: one row ``None``."""
    if topology is None:
        return {None: ((None, TIME_ONLY, ()),)}
    near, services = neighbours(topology), sorted(set(services))
    paths, left = {}, MAX_SILENT_PATHS          # one budget for the whole table
    for s in sorted(set(topology) | set(services)) if hops > 1 else ():
        paths[s] = silent_paths(topology, s, hops, left)
        left -= len(paths[s])
        if left < 0:
            raise too_many_paths(hops, topology)
    up = {s: paths[s] for s in services} if hops > 1 else {}
    down = defaultdict(list)
    for s in sorted(topology) if hops > 1 else ():
        for u, via in paths[s]:
            down[u].append((s, via))
    table = {}
    for s in services:
        deps = {d for d in topology.get(s, ()) if d != s}
        dependants = near.get(s, frozenset()) - deps
        table[s] = (tuple((d, DEPENDS_ON, ()) for d in sorted(deps)) + ((s, SAME_SERVICE, ()),)
                    + tuple((u, DEPENDED_ON, ()) for u in sorted(dependants))
                    + tuple((u, THROUGH_UP, via) for u, via in up.get(s, ()))
                    + tuple((d, THROUGH_DOWN, via) for d, via in sorted(down.get(s, ()),
                                                                        key=lambda f: (len(f[1]), f[1], f[0]))))
    return table


def find(parent: list[int], i: int) -> int:
    """The root of ``i``'s chain in a union-find forest (halving the path on the way)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def link(alerts: Sequence[Alert], topology: Mapping[str, Sequence[str]] | None, window_s: int | str,
         hops: int = 1):
    """The link loop over alerts in time order (:func:`normalize`).

    Each alert looks only at the **most recent** earlier alert on each service of its
    row of :func:`link_table`; if that one fired at most ``window_s`` before, the two
    are linked and their chains merge (the later root under the earlier, so a chain's
    root is its first alert). A link through services between (``hops`` > 1) counts only
    if none of them alerted in the window before, and the alert on the dependant side
    had no dependency alerting in the window before it: only what nothing explains
    directly looks further. Returns ``(root, how, joined, through)``: ``root[j]`` the
    first alert of j's incident, ``how[j] = (kind, k, via)`` the first link that brought
    j in (None if none), ``joined = {opener: j}`` for an alert that opened a chain of its
    own which j later linked into an older one, ``through`` the (j, via) of every link
    made through silent services.
    """
    window = timedelta(seconds=parse_window(window_s))
    table = link_table(topology, {a.service for a in alerts}, hops)
    parent, how, joined, through = list(range(len(alerts))), [None] * len(alerts), {}, []
    last, explained = {}, []       # service -> index of its most recent alert; per alert

    def recent(service, t):        # its most recent alert if at most a window before t
        k = last.get(service)
        return k if k is not None and t - alerts[k].ts <= window else None

    for j, a in enumerate(alerts):
        home = a.service if topology is not None else None
        row = table[home]
        explained.append(any(recent(o, a.ts) is not None for o, kind, _ in row if kind == DEPENDS_ON))
        mine = -1                  # the root of the chain j has joined so far
        for other, kind, via in row:
            k = recent(other, a.ts)
            if k is None or via and (explained[j if kind == THROUGH_UP else k]
                                     or any(recent(m, a.ts) is not None for m in via)):
                continue
            if via:
                through.append((j, via))
            r = find(parent, k)
            if mine < 0:           # j's first link: the reason it joined
                mine = parent[j] = r
                how[j] = (kind, k, via)
            elif r != mine:        # j bridges two chains: the later root joins the earlier
                early, late = min(r, mine), max(r, mine)
                parent[late], joined[late], mine = early, j, early
        last[home] = j
    return [find(parent, j) for j in range(len(alerts))], how, joined, through


def group(alerts: Iterable[Alert], topology: Mapping[str, Sequence[str]] | None = None,
          window_s: int | str = DEFAULT_WINDOW_S, hops: int = DEFAULT_HOPS) -> list[list[Alert]]:
    """Stage 3: the alerts as incidents (lists in time order), incidents ordered by start.

    Two alerts are *linked* when they fired at most ``window_s`` apart and their
    services are the same or one directly depends on the other (``topology=None``:
    time alone decides). An incident is a connected chain of links. With ``hops`` > 1 an
    alert whose service has no dependency alerting in the window may also link along its
    dependencies through up to ``hops - 1`` services that did not alert (:func:`link`).

    Checking every pair would cost O(n^2); :func:`link` looks only at the most recent
    earlier alert of each related service, and loses no link. Claim: if alerts i < j
    satisfy the rule, they end up in one incident. Induction on j: let k be the most
    recent alert before j on i's service. Then i <= k < j and t_j - t_k <= t_j - t_i
    <= window, so j links to k. If k = i we are done; otherwise i and k share a
    service and t_k - t_i <= window, so (i, k) satisfies the rule with k < j, and by
    induction i and k are already together.
    """
    ordered = normalize(alerts)
    root = link(ordered, checked_topology(topology), window_s, parse_hops(hops))[0]
    incidents: dict[int, list[Alert]] = {}
    for a, r in zip(ordered, root):
        incidents.setdefault(r, []).append(a)
    return list(incidents.values())
