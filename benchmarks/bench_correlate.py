"""How fast is alert correlation? Time ``aiops.correlate`` on 100k and 1M alerts.

    python benchmarks/bench_correlate.py              # 100,000 and 1,000,000 alerts
    python benchmarks/bench_correlate.py --sizes 100000 --runs 5 --no-parse

The storms come from ``desklib.stormgen`` (seeded, so every run is the same): a
2,000-service random topology, faults of 8 alerts each that spread along it, 5% noise,
10% flapping repeats. Each size is timed as the best of ``--runs`` runs
(``time.perf_counter``) of

* ``correlate``: the whole chain (normalize, dedup, group, root cause, hand-off
  records, every one of them read) on the alerts in recorded order (a recording is
  nearly sorted);
* ``shuffled``: the same alerts in random order, so the sort does real work;
* ``+ reasons``: ``to_json`` of the result, which writes every alert's reason sentence
  (``correlate`` leaves them to be written when read);
* ``parse``: ``load_alerts`` on the storm saved as JSONL, reported apart because it is
  I/O and JSON decoding, not correlation.

Targets: 1M alerts correlated in <= 2 s, and 1M/100k growth <= 12x (O(n log n) would
be about 11.2x). A plain Python loop is timed too, so numbers from two machines can be
compared through it.
"""
from __future__ import annotations

import argparse
import gc
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desklib import aiops, stormgen              # noqa: E402
from desklib.records import load_alerts, save_alerts   # noqa: E402

TARGET_1M_S = 2.0
TARGET_GROWTH = 12.0


def best_of(runs: int, fn) -> float:
    """Fastest of ``runs`` timed calls (the result is freed outside the timing)."""
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
        del result
    return best


def reference_loop() -> float:
    """Seconds for 10 million trips round an empty-ish Python loop: the machine's speed."""
    start = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - start


def bench(n: int, runs: int, parse: bool) -> dict:
    started = time.perf_counter()
    topology, alerts, _ = stormgen.generate(7, services=2000, faults=n // 9, alerts_per_fault=8,
                                            noise=0.125, flapping=0.1)
    made = time.perf_counter() - started
    runbooks = aiops.load_runbooks()
    row = {"alerts": len(alerts), "generate_s": made}
    row["correlate_s"] = best_of(runs, lambda: tuple(aiops.correlate(alerts, topology, runbooks=runbooks).incidents))
    result = aiops.correlate(alerts, topology, runbooks=runbooks)
    row["incidents"] = len(result.incidents)
    row["noise_reduction"] = result.noise_reduction
    row["reasons_s"] = best_of(runs, lambda: aiops.to_json(result))
    del result
    shuffled = alerts[:]
    random.Random(1).shuffle(shuffled)
    row["shuffled_s"] = best_of(runs, lambda: tuple(aiops.correlate(shuffled, topology, runbooks=runbooks).incidents))
    del shuffled
    if parse:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "storm.jsonl"
            save_alerts(alerts, path)
            row["parse_s"] = best_of(1, lambda: load_alerts(path))
            row["file_mb"] = path.stat().st_size / 1e6
    return row


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-parse", dest="parse", action="store_false", help="skip the JSONL parsing timing")
    args = parser.parse_args(argv)

    print(f"python {sys.version.split()[0]}; reference loop (10M additions): {reference_loop():.2f} s")
    rows = {}
    for n in args.sizes:
        row = rows[n] = bench(n, args.runs, args.parse)
        parse = f"  parse {row['parse_s']:6.2f} s ({row['file_mb']:.0f} MB)" if "parse_s" in row else ""
        print(f"{row['alerts']:>9,} alerts -> {row['incidents']:>7,} incidents "
              f"(noise reduction {row['noise_reduction']:.3f}): correlate {row['correlate_s']:6.2f} s, "
              f"shuffled {row['shuffled_s']:6.2f} s, + reasons {row['reasons_s']:5.2f} s{parse}"
              f"   [generated in {row['generate_s']:.1f} s]")
    small, large = min(rows), max(rows)
    if large >= 10 * small:
        growth = rows[large]["correlate_s"] / rows[small]["correlate_s"]
        per_million = rows[large]["correlate_s"] * 1_000_000 / rows[large]["alerts"]
        print(f"growth {large:,}/{small:,}: {growth:.1f}x (target <= {TARGET_GROWTH:.0f}x: "
              f"{'met' if growth <= TARGET_GROWTH else 'MISSED'}); "
              f"per million alerts: {per_million:.2f} s (target <= {TARGET_1M_S:.0f} s: "
              f"{'met' if per_million <= TARGET_1M_S else 'MISSED'})")
    return rows


if __name__ == "__main__":
    main()
