"""Re-execute the lesson notebooks in place, deterministically: `make notebooks`.

Runs each notebook top to bottom in a fresh kernel (with a timeout), without
timing metadata or saved widget state (it is dropped after the run), and gives widget outputs stable ids, so
running it twice in a row changes nothing.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 300


def stabilise(nb) -> None:
    """Remove what differs between runs: widget model ids and kernel-chosen metadata."""
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        for k, out in enumerate(cell.get("outputs", [])):
            view = out.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view is not None:
                view["model_id"] = f"cell{index}-output{k}"
    nb.metadata.pop("widgets", None)


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=TIMEOUT_S, kernel_name="python3", record_timing=False, coalesce_streams=True,
                            store_widget_state=True, resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    stabilise(nb)        # widget state is kept while running (Output widgets need it), then dropped
    nbformat.write(nb, path)


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        print(f"executing {path.name}", flush=True)
        execute(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
