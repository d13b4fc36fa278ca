"""The learner's notebooks run top to bottom untouched: every code cell executes, and each blank
exercise fails its checker visibly without stopping the cells after it."""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
STARTERS = sorted((ROOT / "starters").glob("[0-9][0-9]_*.ipynb"))


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        parts.append(out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


@pytest.mark.parametrize("path", STARTERS, ids=lambda p: p.stem)
def test_an_untouched_starter_runs_to_the_end(path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()                          # raises CellExecutionError at the first cell that fails
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert all(c.execution_count is not None for c in code), f"{path.name}: a code cell did not run"
    assert not any(out.get("output_type") == "error" for c in code for out in c.outputs)
    checkers = [c for c in code if "desklib.checks.check_" in c.source]
    for cell in checkers:
        shown = _text(cell)
        assert shown.startswith("✗"), f"{path.name}: a blank exercise must fail its checker visibly: {shown!r}"
        assert len(shown.strip().splitlines()) <= 4, f"{path.name}: the checker said more than 4 lines:\n{shown}"
        assert "Traceback" not in shown
