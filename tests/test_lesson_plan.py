"""The run of show: every notebook's core fits its time box, and README.md, instructor.md and the
notebooks tell the same story."""
import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import lesson_plan  # noqa: E402


def test_every_core_fits_its_box_and_the_docs_agree():
    steps = lesson_plan.plan()
    assert [s.notebook for s in steps][0] == "00_hook"
    assert lesson_plan.problems(steps) == []


def test_the_boxes_follow_the_brief():
    """0:00 hook, 0:05 the reading, 0:12 Lab Part A, 0:30 Lab Part B, 0:50 show, 1:00 wrap."""
    starts = {s.notebook: s.start for s in lesson_plan.plan()}
    assert starts["00_hook"] == "0:00" and starts["01_triage"] == "0:12" and starts["06_show"] == "0:50"
    hook = lesson_plan.step(ROOT / "notebooks" / "00_hook.ipynb")
    assert hook.notes_words > 0, "the hook's slot is where notes.md is read"
    assert sum(s.notes_words > 0 for s in lesson_plan.plan()) == 1


def test_the_estimate_follows_the_stated_formula():
    s = lesson_plan.Step("x", "0:00", 6, "t", words=360, code_cells=6, exercises=1, notes_words=180, optional_cells=0)
    assert s.need == pytest.approx(360 / 180 + 180 / 180 + 6 * 20 / 60 + 3)


def _copy(tmp_path):
    for name in ("notebooks", "notes.md", "README.md", "instructor.md"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    return tmp_path


def test_a_core_over_its_box_is_caught(tmp_path):
    root = _copy(tmp_path)
    path = root / "notebooks" / "01_triage.ipynb"
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:                      # promote "Going further" into the core
        tags = cell["metadata"].get("tags", [])
        if "optional" in tags:
            tags.remove("optional")
    path.write_text(json.dumps(nb))
    found = lesson_plan.problems(lesson_plan.plan(root), root)
    assert any(line.startswith("01_triage: the core needs") for line in found), found


def test_a_drifting_guide_is_caught(tmp_path):
    root = _copy(tmp_path)
    path = root / "notebooks" / "02_gate.ipynb"
    nb = json.loads(path.read_text())
    nb["metadata"]["lesson"]["minutes"] = 8
    path.write_text(json.dumps(nb))
    found = lesson_plan.problems(lesson_plan.plan(root), root)
    assert any("README.md" in line for line in found) and any("instructor.md" in line for line in found)
    assert any("03_routing_sla: starts at 0:25" in line for line in found)


def test_the_instructor_guide_covers_what_it_promises():
    text = (ROOT / "instructor.md").read_text(encoding="utf-8")
    for needed in ("## Run of show", "live-code", "get stuck", "## Resetting a learner's notebook",
                   "post your number"):
        assert needed.lower() in text.lower(), needed
    for s in lesson_plan.plan():
        assert f"`{s.notebook}`" in text
