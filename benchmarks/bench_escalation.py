"""Escalation at scale: ``escalate_tickets`` over N synthetic tickets (default 200,000) at
the end of the lesson's day, with the shipped SLA policy. Goal: seconds, not minutes.

The tickets are spread over the fixture day (Monday 2026-03-02, UTC) with the four
severities in the fixture day's proportions and the four statuses; a third has a first
response, a sixth is resolved. Prints the time of one run (after a small warm-up), the
tickets per second, the CPU seconds (on a loaded machine the wall clock says more about the
load than about the code), and what the run found (so two runs can be compared). The run
writes each ticket's audit log when it is first read; the second line times reading all of
them (``state.events``), which the run itself does not need. The first line is the machine's
reference loop (see ``benchmarks/run.py``): compare runs on different machines through it.

    .venv/bin/python benchmarks/bench_escalation.py [n]
"""
from __future__ import annotations

import os
import random
import sys
import time
from collections import Counter
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_correlate import reference_loop  # noqa: E402

from desklib.data import DAY_END, DAY_START
from desklib.escalation import escalate_tickets
from desklib.records import Ticket
from desklib.routing import load_policy

SEVERITY_SHARE = {"SEV1": 8, "SEV2": 10, "SEV3": 18, "SEV4": 12}    # the fixture day's truth, roughly


def synthesise(n: int, seed: int = 12) -> tuple[list[Ticket], dict[str, str]]:
    rng = random.Random(seed)
    severities = rng.choices(list(SEVERITY_SHARE), weights=list(SEVERITY_SHARE.values()), k=n)
    tickets, sev = [], {}
    for i in range(n):
        created = DAY_START + timedelta(seconds=rng.randrange(0, 23 * 3600))
        first = resolved = None
        kind = rng.random()
        if kind < 1 / 3:
            first = created + timedelta(minutes=rng.randrange(5, 300))
        if kind < 1 / 6:
            resolved = first + timedelta(minutes=rng.randrange(5, 600))
        status = "solved" if resolved else rng.choice(("new", "open", "pending")) if first else "new"
        tid = f"t{i:06d}"
        tickets.append(Ticket(tid, created, f"subject {i}", "body", status=status,
                              first_response_at=first, resolved_at=resolved))
        sev[tid] = severities[i]
    return tickets, sev


def measure(n: int) -> dict:
    policy = load_policy()
    tickets, sev = synthesise(n)
    escalate_tickets(tickets[:2000], sev, policy, DAY_END)          # warm-up: imports, caches
    start, cpu = time.perf_counter(), time.process_time()
    states = escalate_tickets(tickets, sev, policy, DAY_END)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert len(states) == n and len({s.id for s in states}) == n      # every ticket exactly once
    start, log_cpu = time.perf_counter(), time.process_time()
    events = sum(len(s.events) for s in states)                       # every audit log written out
    log_seconds, log_cpu = time.perf_counter() - start, time.process_time() - log_cpu
    return {"tickets": n, "seconds": seconds, "cpu_seconds": cpu, "per_second": n / seconds,
            "final_tiers": dict(sorted(Counter(s.tier for s in states).items())),
            "log_seconds": log_seconds, "log_cpu_seconds": log_cpu, "events": events}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    n = int(argv[0]) if argv else 200_000
    print(f"python {sys.version.split()[0]}; reference loop (10M additions): {reference_loop():.2f} s", flush=True)
    result = measure(n)
    print(f"escalate_tickets, {result['tickets']:,} tickets: {result['seconds']:.2f} s "
          f"({result['cpu_seconds']:.2f} s of CPU; {result['per_second']:,.0f} tickets/s); "
          f"final tiers {result['final_tiers']}")
    print(f"then reading every audit log ({result['events']:,} events): {result['log_seconds']:.2f} s "
          f"({result['log_cpu_seconds']:.2f} s of CPU)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
