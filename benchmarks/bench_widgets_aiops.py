"""How fast does the AIOps window explorer redraw? (target: < 100 ms per change)

    python benchmarks/bench_widgets_aiops.py            # 3 passes over every slider value
    python benchmarks/bench_widgets_aiops.py --passes 1

Builds ``aiops_viz.window_explorer()`` on the fixture storm (40 alerts) and times
(``time.perf_counter``) what one change of a control costs in the notebook: setting
``.slider.value`` or ``.toggle.value`` runs the observer, which correlates again
(``window_view``), rebuilds the HTML table, redraws the markers over the cached
background, encodes the PNG and replaces the Output's content with it. Outside a
kernel there is no front end to send the new state to; everything up to that is timed.

Reported: median, 90th percentile and max in ms, for the slider (every value from
30 s to 1800 s, ``--passes`` times, in a shuffled order) and for the toggle, and for
the pure ``window_view`` alone. Exit status 1 if a median misses the target.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from desklib import aiops_viz  # noqa: E402
from desklib.lesson import setup  # noqa: E402

TARGET_MS = 100.0


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def report(name: str, samples: list[float]) -> float:
    samples = sorted(samples)
    median = statistics.median(samples)
    p90 = samples[min(len(samples) - 1, int(0.9 * len(samples)))]
    print(f"{name:<34} n={len(samples):<4} median {median:6.1f} ms   p90 {p90:6.1f} ms   "
          f"max {samples[-1]:6.1f} ms")
    return median


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3, help="passes over every slider value (default 3)")
    args = parser.parse_args(argv)
    setup(quiet=True)
    rng = random.Random(0)
    explorer = aiops_viz.window_explorer()
    values = list(range(aiops_viz.WINDOW_MIN_S, aiops_viz.WINDOW_MAX_S + 1, aiops_viz.WINDOW_STEP_S))
    for v in values[:5]:                                   # warm up caches (fonts, imports)
        explorer.slider.value = v
    slider = []
    for _ in range(args.passes):
        order = values[:]
        rng.shuffle(order)
        for v in order:
            if v == explorer.slider.value:
                continue
            slider.append(timed(lambda: setattr(explorer.slider, "value", v)))
    toggle = [timed(lambda: setattr(explorer.toggle, "value", not explorer.toggle.value))
              for _ in range(20 * args.passes)]
    pure = [timed(lambda: aiops_viz.window_view(explorer.alerts, explorer.topology, explorer.truth,
                                                explorer.slider.value, explorer.toggle.value))
            for _ in range(20 * args.passes)]
    print(f"window explorer on the fixture storm ({len(explorer.alerts)} alerts); "
          f"target: median < {TARGET_MS:.0f} ms")
    medians = [report("slider change (recompute + redraw)", slider),
               report("toggle change (recompute + redraw)", toggle)]
    report("window_view alone (recompute)", pure)
    ok = all(m < TARGET_MS for m in medians)
    print("OK" if ok else "TOO SLOW")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
