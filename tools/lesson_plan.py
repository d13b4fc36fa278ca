"""The lesson's run of show, computed from the notebooks: `python tools/lesson_plan.py`.

Every notebook keeps its time box in its metadata, ``"lesson": {"minutes": N, "start": "0:05"}``.
Cells tagged ``optional`` are the "Going further" part a learner opens after the session; the
rest is the core. A core must fit its box by this estimate:

* markdown: words ÷ 180 per minute (a learner reading, not skimming);
* code: 20 seconds per non-empty code cell (read it, run it, glance at the output);
* exercises: 3 minutes per cell tagged ``solution``;
* ``notes.md``: its words ÷ 180, in the one notebook whose core says to read it.

``--check`` exits 1 when a core is over its box, the boxes do not tile the hour, or the run of
show in README.md or instructor.md disagrees with the notebooks. ``--markdown`` prints the
run-of-show table the README and the instructor's guide carry.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORDS_PER_MINUTE = 180
SECONDS_PER_CODE_CELL = 20
MINUTES_PER_EXERCISE = 3
READ_NOTES = re.compile(r"read[^.\n]{0,60}notes\.md", re.I)
WORD = re.compile(r"\w+")


def words(text: str) -> int:
    return len(WORD.findall(text))


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


@dataclass(frozen=True)
class Step:
    notebook: str
    start: str
    minutes: int
    title: str
    words: int
    code_cells: int
    exercises: int
    notes_words: int
    optional_cells: int

    @property
    def need(self) -> float:
        """Minutes the core needs by the estimate."""
        return ((self.words + self.notes_words) / WORDS_PER_MINUTE
                + self.code_cells * SECONDS_PER_CODE_CELL / 60
                + self.exercises * MINUTES_PER_EXERCISE)

    @property
    def end(self) -> str:
        return _clock(_minutes(self.start) + self.minutes)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def step(path: Path, root: Path = ROOT) -> Step:
    nb = json.loads(path.read_text(encoding="utf-8"))
    lesson = nb.get("metadata", {}).get("lesson") or {}
    core = [c for c in nb["cells"] if "optional" not in _tags(c)]
    markdown = [_source(c) for c in core if c["cell_type"] == "markdown"]
    code = [c for c in core if c["cell_type"] == "code" and _source(c).strip()]
    notes = root / "notes.md"
    reads_notes = any(READ_NOTES.search(text) for text in markdown) and notes.is_file()
    title = next((line.lstrip("# ").strip() for line in markdown[0].splitlines() if line.startswith("# ")), path.stem)
    return Step(notebook=path.stem, start=lesson.get("start", "?"), minutes=lesson.get("minutes", 0), title=title,
                words=sum(words(t) for t in markdown), code_cells=len(code),
                exercises=sum("solution" in _tags(c) for c in code),
                notes_words=words(notes.read_text(encoding="utf-8")) if reads_notes else 0,
                optional_cells=sum("optional" in _tags(c) for c in nb["cells"]))


def plan(root: Path = ROOT) -> list[Step]:
    return [step(p, root) for p in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))]


def table(steps: list[Step]) -> str:
    """The run of show as a markdown table (what README.md and instructor.md carry)."""
    rows = ["| time | notebook | step | box | core needs (estimate) |",
            "|---|---|---|---:|---:|"]
    for s in steps:
        title = s.title.split("·", 1)[-1].strip()
        notes = " (+ `notes.md`)" if s.notes_words else ""
        rows.append(f"| {s.start}–{s.end} | `{s.notebook}` | {title}{notes} | {s.minutes} min | {s.need:.1f} min |")
    return "\n".join(rows)


def problems(steps: list[Step], root: Path = ROOT) -> list[str]:
    found = []
    clock = 0
    for s in steps:
        if s.start == "?" or not s.minutes:
            found.append(f"{s.notebook}: no \"lesson\": {{\"minutes\", \"start\"}} in its metadata")
            continue
        if _minutes(s.start) != clock:
            found.append(f"{s.notebook}: starts at {s.start}, but the step before ends at {_clock(clock)}")
        clock = _minutes(s.start) + s.minutes
        if s.need > s.minutes:
            found.append(f"{s.notebook}: the core needs {s.need:.1f} min, its box is {s.minutes} min "
                         f"({s.words} words, {s.code_cells} code cells, {s.exercises} exercises"
                         f"{', notes.md' if s.notes_words else ''})")
    if steps and clock != 60:
        found.append(f"the run of show ends at {_clock(clock)}, not 1:00")
    wanted = table(steps)
    for doc in ("README.md", "instructor.md"):
        path = root / doc
        if not path.is_file() or wanted not in path.read_text(encoding="utf-8"):
            found.append(f"{doc}: its run-of-show table differs from the notebooks (print it with "
                         f"`python tools/lesson_plan.py --markdown`)")
    return found


def main(argv: list[str]) -> int:
    steps = plan()
    if "--markdown" in argv:
        print(table(steps))
        return 0
    for s in steps:
        flag = "" if s.need <= s.minutes else "  OVER"
        print(f"{s.start:>5} {s.notebook:<16} box {s.minutes:>2} min, core needs {s.need:4.1f} min{flag}")
    if "--check" in argv:
        found = problems(steps)
        for line in found:
            print(line)
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
