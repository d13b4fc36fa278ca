"""Choosing ``hops``, the way the window was chosen: score it on storms with a known answer.

    python benchmarks/sweep_hops.py          # a minute or two

For each kind of generated storm (``desklib.stormgen``, 10 seeds each, 120 services, 60
faults, noise and flapping as in the tests) and each ``hops`` from 1 to 4, the mean pairwise
F1, the share of storms grouped exactly (every incident and root cause right), and the mean
root-cause accuracy; then the fixture storm and the same storm with its middle tier (orders,
auth, search) silent. Storm kinds:

* ``no silent tier``: every service alerts; events that overlap in time are at least three
  dependency edges apart (built for hops = 2);
* ``one silent tier``: 30 % of the middle services never alert, at most one in a row on a
  fault's path (built for hops = 2);
* ``two silent tiers in a row``: up to two in a row, events three edges apart (built for
  hops = 3);
* ``busy, direct rule``: events only need to be more than one edge apart, as the direct rule
  needs (built for hops = 1): more hops join unrelated outages through shared services.
"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desklib import aiops, stormgen  # noqa: E402
from desklib.data import fixture  # noqa: E402
from desklib.records import load_alert_truth, load_alerts, load_topology  # noqa: E402

KINDS = {"no silent tier": dict(silent=0.0, hops=2), "one silent tier": dict(silent=0.3, hops=2),
         "two silent tiers in a row": dict(silent=0.3, hops=3), "busy, direct rule": dict(silent=0.0, hops=1)}
HOPS = (1, 2, 3, 4)


def score(alerts, topology, truth, hops: int) -> dict:
    return aiops.evaluate(aiops.correlate(alerts, topology, runbooks=aiops.Runbooks(), hops=hops), truth)


def exact(s: dict) -> bool:
    return s["incidents"] == s["true_incidents"] and s["f1"] == 1.0 and s["root_cause_accuracy"] == 1.0


def main(seeds: int = 10) -> list[dict]:
    rows = []
    for kind, build in KINDS.items():
        storms = [stormgen.generate(seed, services=120, faults=60, noise=0.2, flapping=0.2, **build)
                  for seed in range(seeds)]
        for hops in HOPS:
            scores = [score(alerts, topology, truth, hops) for topology, alerts, truth in storms]
            rows.append({"storms": kind, "hops": hops, "f1": statistics.mean(s["f1"] for s in scores),
                         "exact": sum(map(exact, scores)) / len(scores),
                         "root_cause_accuracy": statistics.mean(s["root_cause_accuracy"] for s in scores)})
    alerts, topology = load_alerts(fixture("alerts.jsonl")), load_topology(fixture("topology.json"))
    truth = load_alert_truth(fixture("alerts_truth.csv"))
    quiet = [a for a in alerts if a.service not in {"orders", "auth", "search"}]
    for name, storm in (("fixture storm", (alerts, topology, truth)),
                        ("fixture, middle tier silent", (quiet, topology, {a.id: truth[a.id] for a in quiet}))):
        for hops in HOPS:
            s = score(*storm, hops)
            rows.append({"storms": name, "hops": hops, "f1": s["f1"], "exact": float(exact(s)),
                         "root_cause_accuracy": s["root_cause_accuracy"]})
    print(f"{'storms':<30} {'hops':>4} {'F1':>6} {'exact':>6} {'root cause':>10}")
    for r in rows:
        print(f"{r['storms']:<30} {r['hops']:>4} {r['f1']:>6.3f} {r['exact']:>6.0%} {r['root_cause_accuracy']:>10.3f}")
    return rows


if __name__ == "__main__":
    main()
