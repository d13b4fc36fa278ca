"""The checker for the optional challenge, ``starters/priority_queue.py``.

``desk check priority_queue`` (or ``make check-challenge``) finds the learner's
file (:func:`find_challenge_file`: from the project folder, ``notebooks/`` or
``starters/``), runs fixed cases against it and reports each on one line —
``✓ name``, or ``✗ name: got …, expected …`` for that case alone — then how
many pass and one hint, for the first case that fails. It never stops at the
first failure, so a learner sees how far along they are.

The cases hold the queue to the "Priority Queue Implementation Notes" of
Python's :mod:`heapq` documentation: equal time remaining comes out first in,
first out, and tickets are never compared with each other (a heap of
``(time, ticket)`` pairs compares the tickets on a tie — it orders equal times
by id, and raises ``TypeError`` on tickets that cannot be compared). A heap
entry of ``(time_remaining, count, ticket)``, with ``count`` from
:func:`itertools.count`, passes both.
"""
from __future__ import annotations

import importlib.util
import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Callable

__all__ = ["CaseResult", "find_challenge_file", "load_module", "check_priority_queue", "format_results"]

M = timedelta(minutes=1)
PROJECT = Path(__file__).resolve().parents[1]
CHALLENGE_FILE = "priority_queue.py"

_TIE_HINT = ("equal times come out first in, first out: push (time_remaining, count, ticket) with "
             "count = next(self._counter) from self._counter = itertools.count() — a rising count, so the tickets "
             "themselves are never compared (heapq's docs: Priority Queue Implementation Notes)")


@dataclass(frozen=True)
class CaseResult:
    name: str
    passed: bool
    message: str = ""       # what came back, for a failed case: "got …, expected …" or "raised …"
    hint: str = ""          # what to try, for a failed case


def find_challenge_file(start: str | Path | None = None) -> Path:
    """Where ``priority_queue.py`` is, seen from ``start`` (default: the current folder).

    Looks in ``start``, ``start/starters``, ``start/../starters`` and the
    ``starters/`` folder of the project this package belongs to — so the
    command works from the project folder, ``notebooks/`` and ``starters/``.
    """
    here = Path.cwd() if start is None else Path(start)
    places = [here, here / "starters", here.parent / "starters", PROJECT / "starters"]
    for place in places:
        if (place / CHALLENGE_FILE).is_file():
            return place / CHALLENGE_FILE
    looked = list(dict.fromkeys(str(p.resolve()) for p in places))
    raise FileNotFoundError(f"{CHALLENGE_FILE} not found in {', '.join(looked)}")


def load_module(path: str | Path) -> ModuleType:
    """Import a learner's file by path (it does not need to be on ``sys.path``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    spec = importlib.util.spec_from_file_location(f"challenge_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ticket(tid: str, waited_min: float, target_min: float) -> dict:
    return {"id": tid, "waited": waited_min * M, "target": target_min * M}


def _cases(mod: ModuleType) -> list[tuple[str, Callable[[], object], object, str]]:
    """(name, call, expected, hint) — the calls run the learner's code lazily."""
    def drain(pushes):
        q = mod.UrgencyQueue()
        for ticket, left in pushes:
            q.push(ticket, left)
        return [q.pop() for _ in range(len(pushes))]

    def interleaved():
        q = mod.UrgencyQueue()
        q.push("a", 10 * M)
        q.push("b", 5 * M)
        out = [q.pop()]
        q.push("c", 1 * M)
        out += [q.pop(), q.pop()]
        return out

    def length_after(pushes, pops):
        q = mod.UrgencyQueue()
        for tid, left in pushes:
            q.push(tid, left)
        for _ in range(pops):
            q.pop()
        return len(q)

    def pop_empty():
        try:
            value = mod.UrgencyQueue().pop()
        except IndexError:
            return "IndexError"
        return f"no error, pop returned {value!r}"

    rng = random.Random(32)
    many = [(f"t{rng.randrange(10**6):06d}", rng.randint(-60, 600) * M) for _ in range(200)]
    many_expected = [tid for tid, _ in sorted(many, key=lambda p: p[1])]   # sorted() is stable: ties keep push order
    records = [{"id": "t7", "sev": "SEV2"}, {"id": "t3", "sev": "SEV2"}, {"id": "t5", "sev": "SEV2"}]

    return [
        ("pop returns the least time remaining",
         lambda: drain([("a", 30 * M), ("b", 5 * M), ("c", 60 * M)]), ["b", "a", "c"],
         "keep a min-heap on time remaining: heapq.heappush in push, heapq.heappop in pop"),
        ("a late ticket (negative time left) goes first",
         lambda: drain([("ok", 10 * M), ("late", -3 * M)]), ["late", "ok"],
         "time remaining can be negative; the most negative is the most urgent"),
        ("equal time remaining comes out in push order",
         lambda: drain([("zulu", 10 * M), ("alpha", 10 * M), ("mike", 10 * M)]), ["zulu", "alpha", "mike"],
         _TIE_HINT),
        ("tickets that cannot be compared (dicts) with equal time",
         lambda: drain([(r, 15 * M) for r in records]), records, _TIE_HINT),
        ("pushes after pops still come out in order",
         interleaved, ["b", "c", "a"], "each pop takes the most urgent of what is in the heap now"),
        ("len counts what is left",
         lambda: length_after([("a", M), ("b", 2 * M), ("c", 3 * M)], 1), 2,
         "__len__ should return the heap's length"),
        ("pop on an empty queue raises IndexError",
         pop_empty, "IndexError", "check for an empty heap and raise IndexError (heapq.heappop on [] does too)"),
        ("200 tickets in urgency order, ties in push order",
         lambda: drain(many), many_expected, "the heap must hold every pushed ticket; ties in push order: "
         + _TIE_HINT),
        ("order_by_urgency: outage before how-to",
         lambda: mod.order_by_urgency([_ticket("how-to", 30, 480), _ticket("outage", 10, 15)]),
         ["outage", "how-to"], "push each ticket with time remaining = target - waited, then pop them all"),
        ("order_by_urgency: waited longest is not always first",
         lambda: mod.order_by_urgency([_ticket("old-question", 300, 480), _ticket("new-sev2", 50, 60),
                                       _ticket("sev3", 200, 240)]),
         ["new-sev2", "sev3", "old-question"], "FIFO would answer old-question first; urgency looks at time left"),
        ("order_by_urgency: equal time left keeps the input order",
         lambda: mod.order_by_urgency([_ticket("t9", 10, 60), _ticket("t1", 20, 70), _ticket("t5", 0, 50)]),
         ["t9", "t1", "t5"], _TIE_HINT),
        ("order_by_urgency: empty in, empty out",
         lambda: mod.order_by_urgency([]), [], "no tickets, nothing to order"),
    ]


def _short(value: object, limit: int = 70) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _difference(got: object, expected: object) -> str:
    """One case's "got …, expected …", pointing at the first difference in a long list."""
    if isinstance(got, list) and isinstance(expected, list) and len(repr(expected)) > 70:
        if len(got) != len(expected):
            return f"got {len(got)} items, expected {len(expected)}"
        i = next(i for i, (g, e) in enumerate(zip(got, expected)) if g != e)
        return f"item {i} is {_short(got[i])}, expected {_short(expected[i])}"
    return f"got {_short(got)}, expected {_short(expected)}"


def _looks_blank(got: object) -> bool:
    return got is None or (isinstance(got, list) and bool(got) and all(g is None for g in got))


_START_HINT = ("pop() returned None — the methods are still `pass`: keep a list in __init__ (self._heap = []), "
               "heapq.heappush onto it in push, heapq.heappop from it in pop")


def check_priority_queue(path: str | Path) -> list[CaseResult]:
    """Run every case against the learner's file; one result per case."""
    try:
        mod = load_module(path)
    except FileNotFoundError:
        raise
    except Exception as exc:
        return [CaseResult("the file imports", False, f"{type(exc).__name__}: {exc}",
                           "run the file with python to see the line; fix that first")]
    missing = [name for name in ("UrgencyQueue", "order_by_urgency") if not hasattr(mod, name)]
    if missing:
        return [CaseResult("the file defines UrgencyQueue and order_by_urgency", False,
                           f"missing: {', '.join(missing)}", "keep the names the starter gives them")]
    results = []
    for name, call, expected, hint in _cases(mod):
        try:
            got = call()
        except Exception as exc:
            message = str(exc).splitlines()[0] if str(exc) else ""
            results.append(CaseResult(name, False, f"raised {type(exc).__name__}" + (f": {message}" if message else ""),
                                      hint))
            continue
        if got == expected:
            results.append(CaseResult(name, True))
        else:
            results.append(CaseResult(name, False, _difference(got, expected),
                                      _START_HINT if _looks_blank(got) else hint))
    return results


def format_results(results: list[CaseResult]) -> str:
    """One line per case, the count, and a hint for the first case that fails."""
    lines = [f"✓ {r.name}" if r.passed else f"✗ {r.name}: {r.message}" for r in results]
    passed = sum(r.passed for r in results)
    if passed == len(results):
        lines.append(f"{passed} of {len(results)} cases pass — well done!")
    else:
        first = next(r for r in results if not r.passed)
        lines.append(f"{passed} of {len(results)} cases pass.")
        lines.append(f"Hint for “{first.name}”: {first.hint}")
    return "\n".join(lines)
