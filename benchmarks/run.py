"""What "instant" means for this lesson, measured: ``make bench`` runs this.

    python benchmarks/run.py              # everything (a few minutes)
    python benchmarks/run.py --quick      # fewer repeats, no 1M storm, no nbval (a smoke run)

Every figure is the median of repeated runs after a warm-up run; a ratio is measured
in the same run as its reference (the two commands interleaved). Prints a table, then
as its last line one JSON object with these keys:

``triage_tickets_per_s``
    ``triage_all`` over 100,000 synthetic tickets (``bench_triage.synthesise``: 40-90
    words each, 0-3 policy keywords, 5 % non-ASCII), tickets per second.
``correlate_1m_s``, ``correlate_growth_100k_to_1m``
    ``aiops.correlate`` on a ``stormgen`` storm of 1,000,000 alerts (2,000 services) *and*
    every incident record made (``tuple(result.incidents)``: records are built when first
    read, so reading them all is part of the bill); the growth is the 1M time over the
    100k time.
``correlate_1m_over_peer``, ``correlate_frame_1m_s``, ``peer_1m_s``, ``correlate_frame_growth_100k_to_1m``
    The same 1M storm as a DataFrame (columns id, ts, service, name, severity, labels as
    pandas makes them from the storm's values): desklib's time from the DataFrame to
    incidents (``aiops.correlate(frame, ...)``, records made lazily and the first 25
    read, as the window explorer does) over the time of the pandas + scipy peer
    (``benchmarks/peer_correlate.py``: the same semantics written the straightforward
    way; ``hops=1`` on desklib's side, the same semantics), taking turns, median of 5 runs
    each; and desklib's growth 100k -> 1M on DataFrames.
``correlate_1m_default_hops_over_hops1``
    desklib on the same DataFrame at the default ``hops`` (links through silent services)
    over ``hops=1``, timed in the same interleaved rounds.
``peak_mem_desklib_1m_mb``, ``peak_mem_peer_1m_mb``, ``peak_mem_1m_over_peer``
    Peak memory one correlation of the 1M DataFrame allocates above the DataFrame itself
    (``tracemalloc`` in a fresh process that loads the pickled DataFrame first:
    ``benchmarks/peer_memory.py``), desklib and the peer, and their ratio.
``threshold_update_ms``, ``window_update_ms``
    One slider move as the notebook pays for it: set ``slider.value`` on the threshold
    explorer (notebook 02) or the window explorer (notebook 05), which recomputes, redraws
    the figure (Agg) and encodes the PNG, on the fixtures; median over a sweep of values.
``threshold_update_100k_ms``, ``window_update_100k_ms``
    The same on 100,000 synthetic tickets (truth: the triage's own severity with 15 %
    of them changed at random, seeded) and on a 100,000-alert storm with its truth.
``cli_correlate_over_pandas_import``
    Whole-process ``desk correlate fixtures/alerts.jsonl --topology ... --json`` over
    whole-process ``python -c "import pandas"``.
``nbval_suite_s``, ``nbval_floor_s``, ``nbval_over_floor``
    The notebook half of ``make test`` (``pytest --nbval`` over notebooks/NN_*.ipynb), and
    its floor: pytest starting and collecting the notebooks, plus, for each notebook, a
    kernel started and the notebook's own import statements run in it, then shut down.

Goals (2 cores): triage >= 100,000/s; 1M alerts <= 2 s; growth <= 12x; desklib <= 0.5x the
peer from the same DataFrame, growth <= 11x, peak memory no more than the peer's; slider moves
< 100 ms on the fixtures and < 250 ms at 100k; CLI <= 1.5x pandas import; nbval suite
<= 1.5x its floor. Timings depend on the machine and on what else it is doing: run it
on a quiet machine, and compare machines through the reference loop printed first.
"""
from __future__ import annotations

import argparse
import ast
import gc
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from bench_correlate import reference_loop  # noqa: E402
from desklib import aiops, aiops_viz, stormgen, widgets  # noqa: E402
from desklib.data import fixture  # noqa: E402
from desklib.lesson import setup  # noqa: E402
from desklib.triage import SEVERITIES, load_rules, triage_all  # noqa: E402

GOALS = {   # key: (goal, "min" if the figure must reach it, "max" if it must stay within it)
    "triage_tickets_per_s": (100_000, "min"),
    "correlate_1m_s": (2.0, "max"),
    "correlate_growth_100k_to_1m": (12.0, "max"),
    "correlate_1m_over_peer": (0.5, "max"),
    "correlate_frame_1m_s": (None, None),
    "peer_1m_s": (None, None),
    "correlate_frame_growth_100k_to_1m": (11.0, "max"),
    "peak_mem_desklib_1m_mb": (None, None),
    "peak_mem_peer_1m_mb": (None, None),
    "peak_mem_1m_over_peer": (1.0, "max"),
    "correlate_1m_default_hops_over_hops1": (1.10, "max"),
    "threshold_update_ms": (100.0, "max"),
    "window_update_ms": (100.0, "max"),
    "threshold_update_100k_ms": (250.0, "max"),
    "window_update_100k_ms": (250.0, "max"),
    "cli_correlate_over_pandas_import": (1.5, "max"),
    "nbval_suite_s": (None, None),
    "nbval_floor_s": (None, None),
    "nbval_over_floor": (1.5, "max"),
}
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "notebooks" / "sanitize.cfg")]


def median_of(runs: int, fn, warmup: int = 1) -> float:
    """Median seconds of ``runs`` calls of ``fn`` after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
        del result
    return statistics.median(samples)


# ----------------------------------------------------------------------------- triage

def synthetic_day(n: int, rules, seed: int = 42):
    """n synthetic tickets and a truth: the triage's severity, 15 % changed (seeded)."""
    from bench_triage import synthesise
    tickets = synthesise(n, rules, seed)
    rng = random.Random(seed)
    truth = {t.id: (rng.choice(SEVERITIES) if rng.random() < 0.15 else t.severity)
             for t in triage_all(tickets, rules)}
    return tickets, truth


def bench_triage(runs: int, tickets, rules) -> dict:
    seconds = median_of(runs, lambda: triage_all(tickets, rules))
    return {"triage_tickets_per_s": round(len(tickets) / seconds)}


# ----------------------------------------------------------------------------- correlation

def storm(n: int):
    return stormgen.generate(7, services=2000, faults=n // 9, alerts_per_fault=8, noise=0.125, flapping=0.1)


def correlate_and_read(alerts, topology, runbooks):
    result = aiops.correlate(alerts, topology, runbooks=runbooks)
    return result, tuple(result.incidents)


def time_storm(n: int, runs: int, runbooks) -> tuple[float, str]:
    """Median seconds to correlate an n-alert storm (records read), and what it gave."""
    topology, alerts, _ = storm(n)
    seconds = median_of(runs, lambda: correlate_and_read(alerts, topology, runbooks))
    result = aiops.correlate(alerts, topology, runbooks=runbooks)
    return seconds, f"{len(alerts):,} alerts -> {len(result.incidents):,} incidents"


def bench_correlate(runs: int, sizes=(100_000, 1_000_000)) -> tuple[dict, dict]:
    runbooks = aiops.load_runbooks()
    seconds, notes = {}, {}
    for n in sizes:
        seconds[n], notes[n] = time_storm(n, runs, runbooks)    # the storm is freed on return
        gc.collect()
    out = {}
    if 1_000_000 in seconds:
        out["correlate_1m_s"] = round(seconds[1_000_000], 3)
        out["correlate_growth_100k_to_1m"] = round(seconds[1_000_000] / seconds[100_000], 2)
    return out, {"correlate_100k_s": round(seconds[100_000], 3), "storms": notes}


def storm_frame(alerts):
    """The storm as the DataFrame both sides start from (pandas infers the dtypes)."""
    import pandas as pd
    return pd.DataFrame({"id": [a.id for a in alerts], "ts": pd.to_datetime([a.ts for a in alerts], utc=True),
                         "service": [a.service for a in alerts], "name": [a.name for a in alerts],
                         "severity": [a.severity for a in alerts], "labels": [a.labels for a in alerts]})


def bench_peer(runs: int, sizes=(100_000, 1_000_000)) -> tuple[dict, dict]:
    """desklib from a DataFrame against the pandas + scipy peer: times interleaved, then
    each one's peak memory in a process of its own."""
    import pickle
    import tempfile
    from peer_correlate import correlate_peer
    runbooks = aiops.load_runbooks()
    out, extra, seconds = {}, {}, {}
    for n in sizes:
        topology, alerts, _ = storm(n)
        frame = storm_frame(alerts)
        del alerts
        samples: dict[str, list[float]] = {"desklib": [], "peer": [], "default_hops": []}

        def ours(hops=1):          # hops=1: the peer's semantics (links between direct neighbours)
            result = aiops.correlate(frame, topology, runbooks=runbooks, hops=hops)
            return result, result.incidents[:25]

        def peer():
            return correlate_peer(frame, topology, aiops.DEFAULT_WINDOW_S)

        def default_hops():
            return ours(aiops.DEFAULT_HOPS)

        runners = (("desklib", ours), ("peer", peer), ("default_hops", default_hops))
        for _, fn in runners:                            # warm-up
            fn()
        for _ in range(runs):                            # interleaved: all see the same machine
            for name, fn in runners:
                gc.collect()
                start = time.perf_counter()
                result = fn()
                samples[name].append(time.perf_counter() - start)
                del result
        seconds[n] = {name: statistics.median(s) for name, s in samples.items()}
        extra[f"peer_samples_{n}"] = {name: [round(x, 2) for x in s] for name, s in samples.items()}
        if n == 1_000_000:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "storm.pickle"
                with open(path, "wb") as f:
                    pickle.dump((topology, frame), f)
                del frame
                gc.collect()
                for which in ("desklib", "peer"):
                    got = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "peer_memory.py"), str(path),
                                          which], capture_output=True, text=True, check=True)
                    out[f"peak_mem_{which}_1m_mb"] = round(float(got.stdout.split()[-1]))
                out["peak_mem_1m_over_peer"] = round(out["peak_mem_desklib_1m_mb"] / out["peak_mem_peer_1m_mb"], 2)
        else:
            del frame
        gc.collect()
    if 1_000_000 in seconds:
        big = seconds[1_000_000]
        out["correlate_1m_over_peer"] = round(big["desklib"] / big["peer"], 3)
        out["correlate_frame_1m_s"] = round(big["desklib"], 3)
        out["peer_1m_s"] = round(big["peer"], 3)
        out["correlate_1m_default_hops_over_hops1"] = round(big["default_hops"] / big["desklib"], 3)
        if 100_000 in seconds:
            out["correlate_frame_growth_100k_to_1m"] = round(big["desklib"] / seconds[100_000]["desklib"], 2)
    if 100_000 in seconds:
        extra["correlate_frame_100k_s"] = round(seconds[100_000]["desklib"], 3)
        extra["peer_100k_s"] = round(seconds[100_000]["peer"], 3)
    return out, extra


# ----------------------------------------------------------------------------- sliders

def slider_ms(control, values, warmup: int = 3) -> float:
    """Median ms of setting ``control.value`` to each of ``values`` (after ``warmup`` moves)."""
    for v in values[:warmup]:
        control.value = v
    samples = []
    for v in values:
        if control.value == v:
            continue                 # setting the same value fires nothing
        start = time.perf_counter()
        control.value = v
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def threshold_values(k: int, seed: int = 0) -> list[float]:
    values = [round(i / 100, 2) for i in range(101)]
    random.Random(seed).shuffle(values)
    return values[:k]


def window_values(k: int, seed: int = 0) -> list[int]:
    values = list(range(aiops_viz.WINDOW_MIN_S, aiops_viz.WINDOW_MAX_S + 1, aiops_viz.WINDOW_STEP_S))
    random.Random(seed).shuffle(values)
    return values[:k]


def bench_sliders(moves: int, tickets_100k, truth_100k) -> dict:
    out = {}
    explorer = widgets.threshold_explorer()
    out["threshold_update_ms"] = round(slider_ms(explorer.slider, threshold_values(moves)), 1)
    explorer = aiops_viz.window_explorer()
    out["window_update_ms"] = round(slider_ms(explorer.slider, window_values(moves)), 1)
    explorer = widgets.threshold_explorer(tickets_100k, truth_100k)
    out["threshold_update_100k_ms"] = round(slider_ms(explorer.slider, threshold_values(moves)), 1)
    del explorer
    topology, alerts, truth = storm(100_000)
    explorer = aiops_viz.window_explorer(alerts, topology, truth)
    out["window_update_100k_ms"] = round(slider_ms(explorer.slider, window_values(moves)), 1)
    return out


# ----------------------------------------------------------------------------- whole processes

def process_s(cmd: list[str], **kwargs) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
    return time.perf_counter() - start


def interleaved(runs: int, commands: dict[str, list[str]]) -> dict[str, float]:
    """Median seconds of each command, the commands taking turns (after one warm-up each)."""
    for cmd in commands.values():
        process_s(cmd)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            samples[name].append(process_s(cmd))
    return {name: statistics.median(s) for name, s in samples.items()}


def bench_cli(runs: int) -> dict:
    desk = shutil.which("desk", path=str(Path(sys.executable).parent)) or "desk"
    medians = interleaved(runs, {
        "pandas": [sys.executable, "-c", "import pandas"],
        "desk": [desk, "correlate", str(fixture("alerts.jsonl")), "--topology", str(fixture("topology.json")),
                 "--json"],
    })
    return {"cli_correlate_over_pandas_import": round(medians["desk"] / medians["pandas"], 2)}


def notebook_imports(path: Path) -> str:
    """The import statements of a notebook's code cells, in order, as one cell of code."""
    lines = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        try:
            tree = ast.parse("".join(cell["source"]))
        except SyntaxError:
            continue
        lines += [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(dict.fromkeys(lines))


def kernel_floor_s(path: Path) -> float:
    """Start a kernel as nbval does, run the notebook's imports in it, shut it down."""
    from jupyter_client.manager import start_new_kernel
    code = notebook_imports(path)
    start = time.perf_counter()
    manager, client = start_new_kernel(kernel_name="python3", stderr=subprocess.DEVNULL)
    try:
        reply = client.execute_interactive(code, store_history=False, timeout=120,
                                           output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"{path.name}: its imports failed in a fresh kernel: {reply['content']}")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)
    return time.perf_counter() - start


def bench_nbval(runs: int) -> dict:
    env = dict(os.environ, TZ="UTC", PYTHONHASHSEED="0")
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    suite_cmd = pytest + NBVAL + [str(p) for p in NOTEBOOKS]
    collect_cmd = pytest + NBVAL + ["--collect-only"] + [str(p) for p in NOTEBOOKS]

    def suite() -> float:
        return process_s(suite_cmd, env=env, cwd=ROOT)

    def floor() -> float:
        return process_s(collect_cmd, env=env, cwd=ROOT) + sum(kernel_floor_s(p) for p in NOTEBOOKS)

    suite(), floor()                                  # warm-up (file cache, bytecode)
    suites, floors = [], []
    for _ in range(runs):                             # interleaved, so both see the same machine
        suites.append(suite())
        floors.append(floor())
    s, f = statistics.median(suites), statistics.median(floors)
    return {"nbval_suite_s": round(s, 2), "nbval_floor_s": round(f, 2), "nbval_over_floor": round(s / f, 2)}


# ----------------------------------------------------------------------------- report

def verdict(key: str, value) -> str:
    goal, sense = GOALS[key]
    if goal is None or value is None:
        return ""
    met = value >= goal if sense == "min" else value <= goal
    return ("met" if met else "MISSED") + f" ({'>=' if sense == 'min' else '<='} {goal:g})"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats; no 1M storm, no nbval")
    args = parser.parse_args(argv)
    runs = 3 if args.quick else 5
    setup(quiet=True)
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cores; "
          f"reference loop (10M additions): {reference_loop():.2f} s", flush=True)

    rules = load_rules()
    tickets, truth = synthetic_day(100_000, rules)
    results: dict = dict.fromkeys(GOALS)
    extra: dict = {}
    steps = [("triage", lambda: bench_triage(runs, tickets, rules)),
             ("correlate", lambda: bench_correlate(3 if not args.quick else 1,
                                                    (100_000,) if args.quick else (100_000, 1_000_000))),
             ("peer", lambda: bench_peer(3 if args.quick else 5,
                                          (100_000,) if args.quick else (100_000, 1_000_000))),
             ("sliders", lambda: bench_sliders(12 if args.quick else 30, tickets, truth)),
             ("cli", lambda: bench_cli(5 if args.quick else 15))]
    if not args.quick:
        steps.append(("nbval", lambda: bench_nbval(3)))
    for name, step in steps:
        start = time.perf_counter()
        got = step()
        if isinstance(got, tuple):
            got, more = got
            extra.update(more)
        results.update(got)
        print(f"  {name} done in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)

    print(f"\n{'measure':<34} {'value':>12}   goal")
    for key, value in results.items():
        shown = "not run" if value is None else f"{value:,}"
        print(f"{key:<34} {shown:>12}   {verdict(key, value)}")
    if "correlate_100k_s" in extra:
        print(f"{'(correlate_100k_s)':<34} {extra['correlate_100k_s']:>12,}")
    for key in ("correlate_frame_100k_s", "peer_100k_s"):
        if key in extra:
            print(f"{'(' + key + ')':<34} {extra[key]:>12,}")
    for key, value in extra.items():
        if key.startswith("peer_samples_"):
            print(f"  {key}: {value}")
    for n, note in extra.get("storms", {}).items():
        print(f"  storm {n:,}: {note}")
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
