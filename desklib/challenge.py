"""The checker for the optional challenge, ``starters/priority_queue.py``.

``desk check priority_queue`` (or ``make check-challenge``) loads the learner's
file, runs fixed cases against it, and reports each one: what was expected,
what came back, and a hint. It never stops at the first failure, so a learner
sees how far along they are.
"""
from __future__ import annotations

import importlib.util
import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Callable

__all__ = ["CaseResult", "load_module", "check_priority_queue", "format_results"]

M = timedelta(minutes=1)


@dataclass(frozen=True)
class CaseResult:
    name: str
    passed: bool
    message: str = ""


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
        for tid, left in pushes:
            q.push(tid, left)
        return [q.pop() for _ in range(len(pushes))]

    def length_after(pushes, pops):
        q = mod.UrgencyQueue()
        for tid, left in pushes:
            q.push(tid, left)
        for _ in range(pops):
            q.pop()
        return len(q)

    def pop_empty():
        try:
            mod.UrgencyQueue().pop()
        except IndexError:
            return "IndexError"
        return "no error"

    rng = random.Random(32)
    many = [(f"t{i:03d}", rng.randint(-60, 600) * M) for i in range(200)]
    many_expected = [tid for tid, _ in sorted(many, key=lambda p: p[1])]   # sorted() is stable: ties keep push order

    return [
        ("pop returns the least time remaining",
         lambda: drain([("a", 30 * M), ("b", 5 * M), ("c", 60 * M)]), ["b", "a", "c"],
         "a min-heap on time remaining: heapq.heappush / heapq.heappop"),
        ("a late ticket (negative time left) goes first",
         lambda: drain([("ok", 10 * M), ("late", -3 * M)]), ["late", "ok"],
         "time remaining can be negative; the most negative is the most urgent"),
        ("ties come out in push order",
         lambda: drain([("first", 10 * M), ("second", 10 * M), ("third", 10 * M)]), ["first", "second", "third"],
         "push (time_remaining, counter, ticket_id) with a counter from itertools.count()"),
        ("len counts what is left",
         lambda: length_after([("a", M), ("b", 2 * M), ("c", 3 * M)], 1), 2,
         "__len__ should return the heap's length"),
        ("pop on an empty queue raises IndexError",
         pop_empty, "IndexError", "check for an empty heap and raise IndexError"),
        ("200 tickets in urgency order, ties stable",
         lambda: drain(many), many_expected, "the heap must hold every pushed ticket"),
        ("order_by_urgency: outage before how-to",
         lambda: mod.order_by_urgency([_ticket("how-to", 30, 480), _ticket("outage", 10, 15)]),
         ["outage", "how-to"], "time remaining = target - waited"),
        ("order_by_urgency: waited longest is not always first",
         lambda: mod.order_by_urgency([_ticket("old-question", 300, 480), _ticket("new-sev2", 50, 60),
                                       _ticket("sev3", 200, 240)]),
         ["new-sev2", "sev3", "old-question"], "FIFO would answer old-question first; urgency looks at time left"),
        ("order_by_urgency: empty in, empty out",
         lambda: mod.order_by_urgency([]), [], "no tickets, nothing to order"),
    ]


def check_priority_queue(path: str | Path) -> list[CaseResult]:
    """Run every case against the learner's file; one result per case."""
    try:
        mod = load_module(path)
    except FileNotFoundError:
        raise
    except Exception as exc:
        return [CaseResult("the file imports", False, f"{type(exc).__name__}: {exc}")]
    missing = [name for name in ("UrgencyQueue", "order_by_urgency") if not hasattr(mod, name)]
    if missing:
        return [CaseResult("the file defines UrgencyQueue and order_by_urgency", False,
                           f"missing: {', '.join(missing)}")]
    results = []
    for name, call, expected, hint in _cases(mod):
        try:
            got = call()
        except Exception as exc:
            results.append(CaseResult(name, False, f"raised {type(exc).__name__}: {exc}. Hint: {hint}"))
            continue
        if got == expected:
            results.append(CaseResult(name, True))
        else:
            shown = repr(got) if len(repr(got)) < 120 else repr(got)[:117] + "..."
            want = repr(expected) if len(repr(expected)) < 120 else repr(expected)[:117] + "..."
            results.append(CaseResult(name, False, f"got {shown}, expected {want}. Hint: {hint}"))
    return results


def format_results(results: list[CaseResult]) -> str:
    lines = [f"{'✓' if r.passed else '✗'} {r.name}" + ("" if r.passed else f"\n    {r.message}") for r in results]
    passed = sum(r.passed for r in results)
    lines.append(f"{passed} of {len(results)} cases pass" + (" — well done!" if passed == len(results) else ""))
    return "\n".join(lines)
