"""Checkers for the lesson's exercises.

Each ``check_*`` runs the learner's function on fixed, hand-worked cases. On the
first case that fails it raises an ``AssertionError`` saying what went in, what
came out, what was expected, and a hint. When every case passes it prints one
line and returns the number of cases.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

__all__ = ["check_whole_word", "check_gate_route", "check_due_24x7", "check_due_business_hours",
           "check_next_tier", "check_linked", "ExerciseFailed"]


class ExerciseFailed(AssertionError):
    """An exercise case that did not pass: what, and a hint."""


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def _run(name: str, fn: Callable, cases: Iterable[tuple[tuple, Any, str]],
         equal: Callable[[Any, Any], bool] = lambda a, b: a == b) -> int:
    count = 0
    for args, expected, hint in cases:
        shown = ", ".join(repr(a) for a in args)
        try:
            got = fn(*args)
        except NotImplementedError:
            raise ExerciseFailed(f"{name}: not implemented yet. Hint: {hint}") from None
        except Exception as exc:  # the learner's bug, reported as a finding, not a crash
            raise ExerciseFailed(f"{name}({shown}) raised {type(exc).__name__}: {exc}. Hint: {hint}") from None
        if got is None and expected is not None:
            raise ExerciseFailed(f"{name}({shown}) returned None — did you forget `return`? Hint: {hint}")
        if not equal(got, expected):
            raise ExerciseFailed(f"{name}({shown}) returned {got!r}, expected {expected!r}. Hint: {hint}")
        count += 1
    print(f"✓ {name}: all {count} cases pass")
    return count


# ----------------------------------------------------------------------------- 01 triage

def check_whole_word(fn: Callable[[str, str], bool]) -> int:
    """``fn(keyword, text) -> bool``: does the keyword occur as a whole word, any case?"""
    cases = [
        (("down", "the site is down"), True, "a plain match should be found"),
        (("down", "Site DOWN!!"), True, "matching must ignore case (lower-case both sides)"),
        (("down", "where do I download the invoice?"), False,
         "'down' must not match inside 'download': match whole words (regex \\b, or split into words)"),
        (("down", "shutdown of the old server"), False, "'down' must not match at the end of 'shutdown' either"),
        (("down", "down."), True, "punctuation next to a word still leaves it a whole word"),
        (("503", "getting 503s everywhere"), False, "'503' is not the whole word '503s'"),
        (("not loading", "the page is not loading at all"), True, "a keyword can be a phrase of several words"),
        (("not loading", "page is not\nloading since 9"), True,
         "e-mails wrap lines: a phrase still matches across a line break (treat any whitespace as one space)"),
        (("refund", ""), False, "empty text matches nothing"),
    ]
    return _run("whole_word", fn, cases)


# ----------------------------------------------------------------------------- 02 the gate

def check_gate_route(fn: Callable[[float, float, int], str]) -> int:
    """``fn(confidence, threshold, rules_matched) -> "auto" | "human"``."""
    cases = [
        ((0.90, 0.60, 2), "auto", "confident and above the threshold: route it automatically"),
        ((0.41, 0.60, 1), "human", "below the threshold: a human looks"),
        ((0.60, 0.60, 1), "auto", "exactly at the threshold counts as confident enough (use >=)"),
        ((0.95, 0.60, 0), "human", "no rule matched means no evidence at all: always a human, whatever the number says"),
        ((0.30, 0.0, 1), "auto", "threshold 0 sends everything with evidence to auto"),
        ((0.99, 1.0, 3), "human", "threshold 1.0 means only certainty is automatic; 0.99 is not certain"),
    ]
    return _run("gate_route", fn, cases)


# ----------------------------------------------------------------------------- 03 the SLA clock

def check_due_24x7(fn: Callable[[datetime, timedelta], datetime]) -> int:
    """``fn(created_at, target) -> due_at`` on a 24x7 calendar."""
    cases = [
        ((_utc("2026-03-02T09:00"), timedelta(minutes=15)), _utc("2026-03-02T09:15"), "24x7: due = created + target"),
        ((_utc("2026-03-02T23:30"), timedelta(hours=1)), _utc("2026-03-03T00:30"), "the clock runs through midnight"),
        ((_utc("2026-03-06T22:00"), timedelta(hours=4)), _utc("2026-03-07T02:00"), "and through the weekend"),
    ]
    return _run("due_24x7", fn, cases)


def check_due_business_hours(fn: Callable[[datetime, timedelta], datetime]) -> int:
    """``fn(created_at, target) -> due_at`` counting only Mon–Fri 08:00–18:00 UTC."""
    cases = [
        ((_utc("2026-03-02T09:00"), timedelta(hours=4)), _utc("2026-03-02T13:00"), "inside hours: plain addition"),
        ((_utc("2026-03-02T16:00"), timedelta(hours=4)), _utc("2026-03-03T10:00"),
         "2 h today (16:00–18:00), the other 2 h from 08:00 the next morning"),
        ((_utc("2026-03-02T06:30"), timedelta(hours=1)), _utc("2026-03-02T09:00"),
         "created before opening: the clock starts at 08:00"),
        ((_utc("2026-03-06T17:30"), timedelta(hours=4)), _utc("2026-03-09T11:30"),
         "Friday 17:30 + 4 business hours skips the weekend: 30 min on Friday, 3.5 h on Monday"),
        ((_utc("2026-03-07T12:00"), timedelta(hours=1)), _utc("2026-03-09T09:00"),
         "created on Saturday: the clock starts Monday 08:00"),
    ]
    return _run("due_business_hours", fn, cases)


# ----------------------------------------------------------------------------- 04 escalation

def check_next_tier(fn: Callable[[str], str]) -> int:
    """``fn(tier) -> the tier above it``: L1 -> L2 -> L3 -> IC, and IC stays IC."""
    cases = [
        (("L1",), "L2", "L1 hands up to L2"),
        (("L2",), "L3", "L2 hands up to L3"),
        (("L3",), "IC", "from L3 the incident commander takes over"),
        (("IC",), "IC", "there is nobody above the incident commander: stay at IC (never fall off the path)"),
    ]
    return _run("next_tier", fn, cases)


# ----------------------------------------------------------------------------- 05 correlation

def check_linked(fn: Callable[[dict, dict, dict, int], bool]) -> int:
    """``fn(a, b, topology, window_s) -> bool``: are two alerts one incident's links?

    Alerts are dicts with ``service`` and ``ts`` (seconds); the topology maps a
    service to the services it depends on.
    """
    topo = {"web": ["orders"], "orders": ["pg-main"], "pg-main": [], "search": ["es-cluster"]}

    def alert(service, ts):
        return {"service": service, "ts": ts}

    cases = [
        ((alert("orders", 20), alert("pg-main", 0), topo, 300), True, "orders depends on pg-main and they are 20 s apart"),
        ((alert("pg-main", 0), alert("orders", 20), topo, 300), True, "the link works in both directions"),
        ((alert("pg-main", 0), alert("pg-main", 299), topo, 300), True, "the same service within the window is linked"),
        ((alert("pg-main", 0), alert("pg-main", 300), topo, 300), True, "a gap equal to the window still links (<=)"),
        ((alert("pg-main", 0), alert("orders", 301), topo, 300), False, "301 s apart is outside a 300 s window"),
        ((alert("web", 0), alert("pg-main", 10), topo, 300), False,
         "web depends on orders, not directly on pg-main: only direct dependencies link"),
        ((alert("search", 0), alert("pg-main", 5), topo, 300), False, "unrelated parts of the topology never link"),
        ((alert("mystery", 0), alert("pg-main", 5), topo, 300), False,
         "a service missing from the topology is isolated: it links only to itself"),
        ((alert("mystery", 0), alert("mystery", 5), topo, 300), True, "…and it does link to itself"),
    ]
    return _run("linked", fn, cases)
