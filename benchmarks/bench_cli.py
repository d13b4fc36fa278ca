"""Start-up budget of the command line: `desk correlate` on the 40-alert storm, whole process,
against `python -c "import pandas"` (target: at most 1.5x). Runs are interleaved; medians printed.

    .venv/bin/python benchmarks/bench_cli.py [runs]
"""
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 15
desk = shutil.which("desk", path=str(Path(sys.executable).parent)) or "desk"
COMMANDS = {
    "import pandas": [sys.executable, "-c", "import pandas"],
    "desk correlate (40 alerts)": [desk, "correlate", str(ROOT / "fixtures/alerts.jsonl"),
                                   "--topology", str(ROOT / "fixtures/topology.json"), "--json"],
    "desk triage (48 tickets)": [desk, "triage", str(ROOT / "fixtures/tickets.jsonl"), "--json"],
}


def once(cmd) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


for cmd in COMMANDS.values():    # warm the file cache
    once(cmd)
times = {name: [] for name in COMMANDS}
for _ in range(RUNS):
    for name, cmd in COMMANDS.items():
        times[name].append(once(cmd))
base = statistics.median(times["import pandas"])
for name, samples in times.items():
    med = statistics.median(samples)
    print(f"{name:<28} median {med * 1000:7.1f} ms  ({med / base:.2f}x import pandas)  over {RUNS} runs")
