"""Stage 1, from scratch: put the alerts in time order, every timestamp in UTC."""
from __future__ import annotations

from dataclasses import replace
from datetime import timezone
from typing import Iterable

from ..records import Alert

UTC = timezone.utc


def normalize(alerts: Iterable[Alert]) -> list[Alert]:
    """Stage 1: the alerts in time order (ties by id), every timestamp in UTC.

    Recorded streams arrive out of order (a slow exporter, a retried webhook), and
    every later stage assumes time order. Sorting by (time, id) rather than by arrival
    makes the result independent of the order the input came in. An alert id may
    appear only once, and every time must say its offset from UTC.
    """
    alerts = list(alerts)
    in_utc = []
    for a in alerts:
        if a.ts.tzinfo is None or a.ts.utcoffset() is None:
            raise ValueError(f"alert {a.id!r}: ts {a.ts.isoformat()} has no UTC offset")
        in_utc.append(a if a.ts.tzinfo is UTC else replace(a, ts=a.ts.astimezone(UTC)))
    seen: set[str] = set()
    for a in in_utc:
        if a.id in seen:
            raise ValueError(f"alert id {a.id!r} appears more than once; ids must be unique")
        seen.add(a.id)
    return sorted(in_utc, key=lambda a: (a.ts, a.id))
