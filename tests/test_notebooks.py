"""The lesson notebooks: shape, clean outputs, exercises that fail as starters, starters in sync.

(nbval, run by `make test` over the same notebooks, checks that every committed
output is reproduced.)
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest


ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EXPECTED = ["00_hook", "01_triage", "02_gate", "03_routing_sla", "04_escalation", "05_correlation", "06_show"]
SETUP = "import desklib\nnow = desklib.setup()"


def _nb(path):
    return nbformat.read(path, as_version=4)


def test_the_sequence_is_complete():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


def _optional(cell) -> bool:
    return "optional" in cell.metadata.get("tags", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_episode_shape(path):
    """Questions and Objectives first; the core ends with Key points; "Going further" after it, all optional."""
    nb = _nb(path)
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    for heading in ("### Questions", "### Objectives"):
        assert heading in first.source, f"{path.name}: first cell lacks {heading}"
    assert re.search(r"\d+ min", first.source), f"{path.name}: no time box in the first cell"
    core = [c for c in nb.cells if not _optional(c)]
    extra = nb.cells[len(core):]
    assert nb.cells[:len(core)] == core, f"{path.name}: an optional cell sits inside the core"
    last = core[-1]
    assert last.cell_type == "markdown" and "### Key points" in last.source, f"{path.name}: the core must end with Key points"
    if extra:
        assert extra[0].cell_type == "markdown" and extra[0].source.startswith("## Going further"), \
            f"{path.name}: the optional part must open with a '## Going further' heading"
    minutes = nb.metadata["lesson"]["minutes"]
    assert f"{minutes} min" in first.source, f"{path.name}: the heading's time box differs from the metadata's"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source.strip() == SETUP, f"{path.name}: the first code cell must be the shared setup"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercises_and_checkers_are_core(path):
    """Every exercise in the core is checked in the core; Going further exercises check there too."""
    cells = _nb(path).cells
    for i, cell in enumerate(cells):
        if "solution" in cell.metadata.get("tags", []):
            check = next(c for c in cells[i + 1:] if c.cell_type == "code")
            assert _optional(check) == _optional(cell), f"{path.name}: exercise and checker in different parts"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_outputs_are_clean(path):
    nb = _nb(path)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.execution_count for c in code]
    assert None not in counts, f"{path.name}: unexecuted code cells"
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: not executed top to bottom in one run"
    text = path.read_text(encoding="utf-8")
    assert '"output_type": "error"' not in text
    for pattern in (r"/(root|home|tmp|work)/", r"0x[0-9a-f]{6,}", r"\d+(\.\d+)?it/s"):
        assert not re.search(pattern, text), f"{path.name}: output holds something machine-specific ({pattern})"
    for c in code:
        for out in c.outputs:
            if out.get("name") == "stderr":
                pytest.fail(f"{path.name}: stderr output in a cell: {''.join(out.get('text', ''))[:80]!r}")


def _exercises(path):
    """(solution cell source, checker cell source) pairs in a notebook."""
    cells = _nb(path).cells
    pairs = []
    for i, cell in enumerate(cells):
        if cell.cell_type == "code" and "solution" in cell.metadata.get("tags", []):
            check = next(c for c in cells[i + 1:] if c.cell_type == "code")
            assert "check" in check.source, f"{path.name}: no checker after the solution in cell {i}"
            pairs.append((cell.source, check.source))
    return pairs


def test_every_lab_step_has_an_exercise_in_its_core():
    for path in NOTEBOOKS:
        if path.stem[:2] in ("01", "02", "03", "04", "05"):
            core = [c for c in _nb(path).cells if not _optional(c)]
            assert any("solution" in c.metadata.get("tags", []) for c in core), f"{path.name} has no core exercise"


sys.path.insert(0, str(ROOT / "tools"))
from make_starters import strip_solution  # noqa: E402


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem[:2] in ("01", "02", "03", "04", "05")],
                         ids=lambda p: p.stem)
def test_checkers_pass_the_solution_and_fail_the_starter(path, capsys):
    import desklib
    for solution, check in _exercises(path):
        env = {"desklib": desklib, "now": desklib.LESSON_NOW}
        exec("import desklib.checks\n" + solution, env)
        exec(check, env)                                       # the solution passes
        assert "✓" in capsys.readouterr().out
        env = {"desklib": desklib, "now": desklib.LESSON_NOW}
        exec("import desklib.checks\n" + strip_solution(solution), env)
        exec(check, env)                                       # the learner's starting point fails, visibly
        out = capsys.readouterr().out
        assert out.startswith("✗") and "not written yet" in out and len(out.splitlines()) <= 4, out


def test_starters_are_in_sync():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "make_starters.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for path in NOTEBOOKS:
        starter = _nb(ROOT / "starters" / path.name)
        assert all(not c.get("outputs") and c.get("execution_count") is None
                   for c in starter.cells if c.cell_type == "code")
        assert "# BEGIN SOLUTION" not in json.dumps(starter)
