"""Stage 5, from scratch: give every alert the reason it is in its incident."""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from ..records import Alert
from .basics import (DEFAULT_HOPS, DEFAULT_WINDOW_S, FIRST, checked_topology, duplicate_reason, gap,
                     link_reason, opened_reason, parse_hops)
from .s1_normalize import normalize
from .s2_dedup import dedup
from .s3_group import link


def reasons(alerts: Sequence[Alert], duplicate_of: Mapping[str, str], root: Sequence[int],
            how: Sequence, joined: Mapping[int, int]) -> dict[str, str]:
    """``{alert id: reason}`` from what :func:`dedup` and :func:`link` found, for alerts
    in time order. In order of preference: a duplicate names its first firing; a
    linked alert names its first link ("orders depends on pg-main; 20 s after a01");
    an incident's first alert says so; an alert that opened a chain of its own names
    the later alert that linked that chain into the incident."""
    why = {}
    for j, a in enumerate(alerts):
        if a.id in duplicate_of:
            why[a.id] = duplicate_reason(duplicate_of[a.id])
        elif how[j] is not None:
            kind, k, via = how[j]
            b = alerts[k]
            why[a.id] = link_reason(kind, a.service, b.service, b.id, gap(a.ts, b.ts), via)
        elif root[j] == j:
            why[a.id] = FIRST
        else:
            later = alerts[joined[j]]
            why[a.id] = opened_reason(later.id, gap(later.ts, a.ts))
    return why


def explain(alerts: Iterable[Alert], topology: Mapping[str, Sequence[str]] | None = None,
            window_s: int | str = DEFAULT_WINDOW_S, hops: int = DEFAULT_HOPS) -> dict[str, str]:
    """Stage 5: ``{alert id: why it is in its incident}``, for every alert.

    The reason is the link that brought the alert in, in order of preference:
    a duplicate, a dependency ("orders depends on pg-main; 20 s after a01"), the same
    service ("same service as a05; 40 s after"), a dependant, a path through services
    that did not alert ("web → orders (no alerts) → pg-main; 40 s after a01"), or time
    alone. The first alert of an incident says so.
    """
    ordered = normalize(alerts)
    root, how, joined, _ = link(ordered, checked_topology(topology), window_s, parse_hops(hops))
    return reasons(ordered, dedup(ordered, window_s), root, how, joined)
