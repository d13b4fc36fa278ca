"""Stage 4, from scratch: name the alerting service that no alerting dependency explains."""
from __future__ import annotations

from graphlib import TopologicalSorter
from typing import Mapping, Sequence

from ..records import Alert
from .basics import DEFAULT_HOPS, checked_topology, parse_hops
from .s1_normalize import normalize
from .s3_group import silent_paths


def root_cause(incident: Sequence[Alert], topology: Mapping[str, Sequence[str]] | None = None,
               hops: int = DEFAULT_HOPS) -> str:
    """Stage 4: the alerting service that no alerting dependency explains.

    Among the services alerting in the incident, keep those none of whose dependencies
    is also alerting (nor, with ``hops`` > 1, a service further up reached through up to
    ``hops - 1`` services not alerting in it): the most upstream ones. If several remain,
    the one that alerted first wins, then the alphabetically first, so the answer never
    depends on input order. Without a topology every service is a candidate and the
    first to alert wins. If a dependency cycle leaves no candidate, all are candidates.

    >>> from desklib.records import parse_alerts
    >>> storm = parse_alerts([(1, {"id": "x1", "ts": "2026-03-02T02:00:30Z", "service": "web",
    ...     "name": "HTTP5xxRate", "severity": "critical"}), (2, {"id": "x2",
    ...     "ts": "2026-03-02T02:01:00Z", "service": "pg-main", "name": "PostgresDown",
    ...     "severity": "critical"})])
    >>> root_cause(storm, {"web": ["pg-main"]}), root_cause(storm)
    ('pg-main', 'web')
    """
    topology, hops = checked_topology(topology), parse_hops(hops)
    alerts = normalize(incident)
    if not alerts:
        raise ValueError("an incident needs at least one alert")
    first_alert = {}               # service -> its first alert in the incident
    for a in alerts:
        first_alert.setdefault(a.service, a)
    candidates = set(first_alert)
    if topology is not None:
        def explained(s: str) -> bool:
            return (any(d != s and d in first_alert for d in topology.get(s, ()))
                    or any(u in first_alert and not any(m in first_alert for m in via)
                           for u, via in silent_paths(topology, s, hops)))
        candidates = {s for s in first_alert if not explained(s)}
        candidates = candidates or set(first_alert)        # a cycle: all are candidates
    return min(candidates, key=lambda s: (first_alert[s].ts, s))


def upstream_order(topology: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """``{service: rank}``, dependencies before the services that depend on them.

    graphlib's topological sort of the whole topology; an incident lists its services
    in this order, which reads like the path the failure took. Services are fed in
    name order so the ranks depend only on the topology's content. A topology with a
    cycle has no such order: ``CycleError`` names the cycle.
    """
    topology = checked_topology(topology)
    sorter = TopologicalSorter({s: sorted(topology[s]) for s in sorted(topology)})
    return {s: rank for rank, s in enumerate(sorter.static_order())}
