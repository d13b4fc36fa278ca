"""Stage 2, from scratch: mark repeats of the same alert as duplicates of its first firing."""
from __future__ import annotations

from datetime import timedelta
from typing import Iterable

from ..records import Alert
from .basics import DEFAULT_WINDOW_S, parse_window
from .s1_normalize import normalize


def fingerprint(a: Alert) -> tuple:
    """What makes two firings *the same alert*: service, name and the set of labels
    (Alertmanager's fingerprint is a hash of exactly that label set)."""
    return (a.service, a.name, frozenset(a.labels.items()))


def dedup(alerts: Iterable[Alert], window_s: int | str = DEFAULT_WINDOW_S) -> dict[str, str]:
    """Stage 2: ``{duplicate id: id of the first firing}`` for repeats of the same alert.

    Walk the alerts in time order and remember, for each fingerprint, when it last
    fired and which firing opened its current run. A repeat within ``window_s`` of
    the *previous* firing is a duplicate of the run's first one; a longer silence
    starts a new original. Duplicates are not dropped: they stay in their incident
    and are counted, like Alertmanager's ``inhibitedBy`` pointer.
    """
    window = timedelta(seconds=parse_window(window_s))
    last_fired = {}                # fingerprint -> time of its previous firing
    run_opened_by = {}             # fingerprint -> id of the first firing of its run
    duplicate_of = {}
    for a in normalize(alerts):
        key = fingerprint(a)
        if key in last_fired and a.ts - last_fired[key] <= window:
            duplicate_of[a.id] = run_opened_by[key]
        else:
            run_opened_by[key] = a.id
        last_fired[key] = a.ts
    return duplicate_of
