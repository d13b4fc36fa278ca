"""How fast does the threshold explorer (notebook 02) react to its slider?

    python benchmarks/bench_widgets_desk.py            # 200 slider moves
    python benchmarks/bench_widgets_desk.py --n 500

Builds ``desklib.widgets.threshold_explorer()`` on the fixture day (48 tickets),
then sets ``explorer.slider.value`` N times, cycling through the values a drag
would produce (0.00 .. 1.00 in steps of 0.01). Setting the value runs the
widget's observer synchronously, so each timing is the whole recompute + redraw:
``gate_view`` (the split, the accuracy, the human queue), the two HTML tables,
moving the markers and rendering the figure to PNG for the Output widget.

Also reported: building the widget (drawn once) and the parts of one redraw,
so a regression shows where it comes from. The budget is < 100 ms per redraw
(median and 95th percentile). Timings depend on the machine.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from desklib import plots, widgets  # noqa: E402,F401  (imported here so the build time excludes imports)

BUDGET_MS = 100.0


def _ms(seconds: float) -> float:
    return seconds * 1000


def _summary(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"{name:<34} median {statistics.median(samples):7.2f} ms   p95 {p95:7.2f} ms   "
            f"max {ordered[-1]:7.2f} ms   (n={len(samples)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="slider moves to time (default 200)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    explorer = widgets.threshold_explorer()
    build = _ms(time.perf_counter() - start)
    print(f"fixture day: {explorer.view['n']} tickets; widget built (figure drawn once) in {build:.1f} ms")

    values = [round(i / 100, 2) for i in range(101)]
    values = values + values[::-1]                       # a drag up, then back down
    for v in values[:10]:                                 # warm-up
        explorer.slider.value = v

    total, view_only, png_only = [], [], []
    for i in range(args.n):
        value = values[i % len(values)]
        if explorer.slider.value == value:                # a no-op set would not fire the observer
            value = round(value + 0.01, 2) if value < 1 else 0.99
        t0 = time.perf_counter()
        explorer.slider.value = value
        total.append(_ms(time.perf_counter() - t0))
        assert explorer.view["threshold"] == value
    for i in range(min(args.n, 100)):
        value = values[i % len(values)]
        t0 = time.perf_counter()
        widgets.gate_view(explorer.triaged, explorer.truth, value, explorer.tickets)
        view_only.append(_ms(time.perf_counter() - t0))
        t0 = time.perf_counter()
        explorer.render_png()
        png_only.append(_ms(time.perf_counter() - t0))

    print(_summary("slider move (recompute + redraw)", total))
    print(_summary("  of which gate_view", view_only))
    print(_summary("  of which figure -> PNG", png_only))
    ordered = sorted(total)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    verdict = "within" if p95 < BUDGET_MS else "OVER"
    print(f"budget {BUDGET_MS:.0f} ms per redraw: {verdict} (median {statistics.median(total):.1f} ms, p95 {p95:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
