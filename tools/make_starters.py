"""Make the learner's notebooks from the complete ones: `make starters`.

In ``notebooks/NN_*.ipynb`` a code cell tagged ``solution`` holds an exercise's
answer. In the learner's copy (``starters/NN_*.ipynb``) the lines between
``# BEGIN SOLUTION`` and ``# END SOLUTION`` become ``# your code here`` (a whole
cell without markers becomes just that), and every output is cleared. The
checker cell after each exercise then tells the learner what is still wrong.

``--check`` writes nothing and exits 1 if a starter is missing or out of date.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SRC, DEST = ROOT / "notebooks", ROOT / "starters"
BLOCK = re.compile(r"^([ \t]*)# BEGIN SOLUTION\n.*?^[ \t]*# END SOLUTION[ \t]*\n?", re.M | re.S)


def strip_solution(source: str) -> str:
    if "# BEGIN SOLUTION" not in source:
        return "# your code here\n"
    return BLOCK.sub(lambda m: f"{m.group(1)}# your code here\n{m.group(1)}pass\n", source).rstrip("\n")


def starter(nb):
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "solution" in cell.metadata.get("tags", []):
            cell.source = strip_solution(cell.source)
        cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    return nb


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for path in sorted(SRC.glob("[0-9][0-9]_*.ipynb")):
        text = nbformat.writes(starter(nbformat.read(path, as_version=4))) + "\n"
        target = DEST / path.name
        if check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(target.relative_to(ROOT))
        else:
            DEST.mkdir(exist_ok=True)
            target.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"out of date: {path} (run `make starters`)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
