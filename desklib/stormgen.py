"""Synthetic alert storms with an exact answer key.

The fixture storm has 40 alerts: enough to read, too few to trust a property or time
a loop. :func:`generate` makes storms of any size from a seed, together with the truth
``{alert id: (incident, root-cause service)}``, so tests can check that correlation
recovers what was planted and benchmarks can feed it a million alerts.

How a storm is built
--------------------
1. A random **topology**: services ``svc-000 ... svc-NNN``, each depending on up to
   three services with a higher number among the next dozen. Higher numbers are more
   upstream; the graph has no cycles.
2. **Faults.** Each fault starts at a root service and spreads to the services that
   depend on it, one hop at a time along the graph, each hop at most ``window_s``
   seconds after the one before. Every affected service fires at least one alert;
   the rest of the fault's alerts are more alerts on affected services (within
   ``window_s`` of one already fired there) and, with probability ``flapping``, runs of
   2-4 repeats of one alert: the same alert firing again and again.
3. **Noise**: single alerts on random services, some on services the topology does not
   know (``ext-*``), each its own incident.
3b. **Silent tiers** (``silent`` > 0): that share of the services with both dependencies
   and dependants never alert -- a tier with no alert rules. A fault still spreads
   through them (at most ``hops - 1`` in a row), and a service behind one fires within
   ``window_s`` of the last alerting service before it; the truth is unchanged.
4. **Placement in time.** Events arrive at random; two events may overlap in time only
   if no service of one is within ``hops`` dependency edges (either way) of a service of
   the other; otherwise the later one is pushed back until ``window_s`` separates them.

So, by construction, the truth is exactly what time + topology grouping with window
``window_s`` and ``hops`` should find: inside a fault every alert has a link (same
service or a direct dependency, or through silent services, at most ``window_s``
apart) to the fault's chain, no link exists
between two events, and each fault's root is its only alerting service without an
alerting dependency. Grouping by time alone merges the overlapping faults.
"""
from __future__ import annotations

import random
from collections import defaultdict, deque
from datetime import datetime, timedelta, timezone
from typing import Mapping, Sequence

from .records import Alert

__all__ = ["generate", "random_topology", "ALERT_NAMES"]

#: Names a synthetic alert can have.
ALERT_NAMES = ("HighErrorRate", "LatencyHigh", "SaturationHigh", "InstanceDown", "QueueBacklog")
START = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
UNKNOWN_SHARE = 0.2       # share of noise alerts on services missing from the topology


def random_topology(rng: random.Random, services: int, span: int = 12) -> dict[str, tuple[str, ...]]:
    """A random DAG: each service depends on 0-3 of the ``span`` services numbered after it."""
    width = len(str(max(services - 1, 0)))
    names = [f"svc-{i:0{width}d}" for i in range(services)]
    topology = {}
    for i, name in enumerate(names):
        upstream = names[i + 1:i + 1 + span]
        k = min(len(upstream), rng.choice((0, 1, 1, 2, 2, 3)))
        topology[name] = tuple(sorted(rng.sample(upstream, k)))
    return topology


def generate(seed: int = 0, services: int | Mapping[str, Sequence[str]] = 30, faults: int = 10,
             alerts_per_fault: int = 8, noise: float = 0.1, flapping: float = 0.1,
             start: datetime = START, window_s: int = 300, silent: float = 0.0, hops: int = 2):
    """A seeded storm: ``(topology, alerts, truth)``.

    services          number of services in a random topology, or a topology to use
    faults            number of true incidents with a cause
    alerts_per_fault  alerts each fault fires (duplicates included)
    noise             single unrelated alerts, as a share of the fault alerts
    flapping          chance that an extra alert of a fault is a run of repeats
    window_s          the correlation window the storm is built for (>= 1 s)
    silent            share of the middle services (with dependencies and dependants)
                      that never alert
    hops              the ``hops`` the storm is built for (events stay that far apart)

    ``alerts`` come in time order; ``truth`` maps alert id -> (incident, root cause),
    the format of ``load_alert_truth``. The same arguments always give the same storm.
    """
    if window_s < 1:
        raise ValueError("window_s must be at least 1 second")
    if alerts_per_fault < 1:
        raise ValueError("alerts_per_fault must be at least 1")
    if hops < 1:
        raise ValueError("hops must be at least 1")
    rng = random.Random(seed)
    topology = (random_topology(rng, services) if isinstance(services, int)
                else {s: tuple(d) for s, d in services.items()})
    names = sorted(set(topology) | {d for deps in topology.values() for d in deps})
    if not names:
        raise ValueError("the topology has no services")
    near: dict[str, set[str]] = defaultdict(set)   # closed neighbourhoods
    dependants: dict[str, list[str]] = defaultdict(list)
    for s in names:
        near[s].add(s)
    for s, deps in topology.items():
        for d in deps:
            near[s].add(d)
            near[d].add(s)
            dependants[d].append(s)

    middle = [s for s in names if topology.get(s) and dependants.get(s)]
    quiet = set(rng.sample(middle, round(silent * len(middle)))) if silent > 0 else set()
    loud = [s for s in names if s not in quiet] or names
    near = _reach(near, hops)
    events = []   # (incident, root, [(t, service, name, instance, severity)])
    for f in range(faults):
        root = rng.choice(loud)
        events.append((f"fault-{f}", root, _fault(rng, root, dependants, alerts_per_fault, window_s, flapping,
                                                   quiet, hops)))
    for k in range(round(noise * faults * alerts_per_fault)):
        service = f"ext-{rng.randrange(5)}" if rng.random() < UNKNOWN_SHARE else rng.choice(loud)
        near.setdefault(service, {service})
        fired = [(0, service, rng.choice(ALERT_NAMES), f"{service}-{rng.randrange(3)}", "warning")]
        events.append((f"noise-{k}", service, fired))
    rng.shuffle(events)

    placed = _place(rng, events, near, window_s)
    rows = sorted((t0 + t, e, i, fired) for e, (t0, (_, _, alerts)) in enumerate(placed)
                  for i, (t, *fired) in enumerate(alerts))
    width = len(str(len(rows)))
    alerts, truth = [], {}
    for n, (t, e, _, (service, name, instance, severity)) in enumerate(rows, start=1):
        incident, root, _ = placed[e][1]
        aid = f"g{n:0{width}d}"
        alerts.append(Alert(id=aid, ts=start + timedelta(seconds=t), service=service, name=name,
                            severity=severity, labels={"instance": instance}, summary=f"{name} on {instance}"))
        truth[aid] = (incident, root)
    return topology, alerts, truth


def _fault(rng, root, dependants, n_alerts, window, flapping, quiet=frozenset(), hops=1):
    """One fault's alerts as (seconds after its start, service, name, instance, severity).

    A quiet service is affected but fires nothing: it passes on the time of the last
    alerting service before it, and at most ``hops - 1`` quiet services come in a row."""
    first, run = {root: 0}, {root: 0}    # run: quiet services in a row up to this one
    queue = deque([root])
    spread = max(1, n_alerts // 2)       # affected alerting services: at most half the alerts
    loud = 1
    while queue and loud < spread:
        s = queue.popleft()
        for u in dependants.get(s, ()):
            if u in first or loud >= spread or rng.random() >= 0.7:
                continue
            if u in quiet:
                if run[s] + 1 >= hops:
                    continue
                first[u], run[u] = first[s], run[s] + 1          # passes its parent's time on
            else:
                first[u], run[u] = first[s] + rng.randint(1, window), 0   # one hop: at most a window later
                loud += 1
            queue.append(u)
    fired = [(t, s, rng.choice(ALERT_NAMES), f"{s}-0", "critical" if s == root else "warning")
             for s, t in first.items() if s not in quiet]
    while len(fired) < n_alerts:
        t, s, name, instance, severity = rng.choice(fired)
        if rng.random() < flapping:      # the same alert fires again, several times
            for _ in range(rng.randint(2, 4)):
                t += rng.randint(max(1, window // 3), window)
                fired.append((t, s, name, instance, severity))
        else:                            # another alert on an affected service, soon after
            fired.append((t + rng.randint(0, window), s, rng.choice(ALERT_NAMES),
                          f"{s}-{rng.randrange(3)}", rng.choice(("warning", "critical"))))
    return fired[:n_alerts]


def _reach(near: dict[str, set[str]], hops: int) -> dict[str, set[str]]:
    """Each service's services within ``hops`` edges either way (``near``: one edge)."""
    if hops <= 1:
        return near
    out = defaultdict(set)
    for s in near:
        seen, frontier = {s}, {s}
        for _ in range(hops):
            frontier = {v for u in frontier for v in near.get(u, ())} - seen
            seen |= frontier
        out[s] = seen
    return out


def _place(rng, events, near, window):
    """Give each event a start time; events that share or neighbour a service stay a window apart."""
    mean_gap = max(1.0, window / 2)
    cursor = 0
    active: list[tuple[int, int, set[str]]] = []   # (start, end, services) of recent events
    placed = []
    for event in events:
        alerts = event[2]
        duration = max(t for t, *_ in alerts)
        services = {s for _, s, *_ in alerts}
        reach = set().union(*(near[s] for s in services))
        cursor += int(rng.expovariate(1 / mean_gap))
        active = [a for a in active if a[1] + window >= cursor]
        t0 = cursor
        while True:
            clash = [end for s0, end, svcs in active
                     if end + window >= t0 and t0 + duration + window >= s0 and not reach.isdisjoint(svcs)]
            if not clash:
                break
            t0 = max(clash) + window + 1
        active.append((t0, t0 + duration, services))
        placed.append((t0, event))
    return placed
