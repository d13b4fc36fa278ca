"""Every relative link in the notebooks' markdown (and in their starters) points to a file that exists,
and so does every project path written in code style (`desklib/gate.py`, `fixtures/topology.json`)."""
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted((ROOT / "starters").glob("[0-9][0-9]_*.ipynb"))

FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
CODE_SPAN = re.compile(r"`[^`\n]*`")
MD_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|#|//)", re.I)


def relative_links(markdown: str) -> list[str]:
    """The link targets of a markdown text that name a file: no URLs, no in-page anchors, no code."""
    text = CODE_SPAN.sub("", FENCE.sub("", markdown))
    targets = MD_LINK.findall(text) + HTML_LINK.findall(text)
    return [t.split("#", 1)[0].split("?", 1)[0] for t in targets if not EXTERNAL.match(t)]


PROJECT_DIRS = ("desklib", "fixtures", "benchmarks", "tools", "starters", "solutions", "notebooks", "tests", "lab")
PROJECT_PATH = re.compile(r"`((?:%s)/[^`\s]*)`" % "|".join(PROJECT_DIRS))


def project_paths(markdown: str) -> list[str]:
    """Paths from the project folder written as code: `desklib/aiops/`, `fixtures/sla_policy.toml`."""
    return PROJECT_PATH.findall(FENCE.sub("", markdown))


def broken_links(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    missing = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for target in relative_links(cell.source):
            if not (path.parent / target).exists():
                missing.append(f"{path.parent.name}/{path.name} cell {index} ({cell.get('id')}): {target}")
        for named in project_paths(cell.source):
            if not (ROOT / named).exists():
                missing.append(f"{path.parent.name}/{path.name} cell {index} ({cell.get('id')}): `{named}`")
    return missing


def test_the_extractor_finds_file_links_and_skips_the_rest():
    text = ("[a](../desklib/aiops/s3_group.py) and [`b`](../desklib/x.py#L3) ![p](img.png)\n"
            "<a href=\"../README.md\">r</a> [web](https://example.org) [top](#going-further)\n"
            "`[not](a-link.py)`\n```\n[also not](code.py)\n```\n")
    assert relative_links(text) == ["../desklib/aiops/s3_group.py", "../desklib/x.py", "img.png", "../README.md"]


@pytest.mark.parametrize("markdown, reported", [
    ("see [the stage](../desklib/aiops/s9_missing.py)", "../desklib/aiops/s9_missing.py"),
    ("| correlation | `desklib/aiops_old.py` | `fixtures/topology.json` |", "`desklib/aiops_old.py`"),
], ids=["a broken link", "a missing project path in code style"])
def test_a_broken_reference_is_reported(tmp_path, markdown, reported):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(markdown)]
    (tmp_path / "notebooks").mkdir()
    path = tmp_path / "notebooks" / "99_x.ipynb"
    nbformat.write(nb, path)
    assert broken_links(path) == [f"notebooks/99_x.ipynb cell 0 ({nb.cells[0].id}): {reported}"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_relative_link_resolves(path):
    assert broken_links(path) == []


def test_the_notebooks_link_to_library_files():
    """The check is not vacuous: the lesson does link to files (05 to its stage files)."""
    links = [t for p in NOTEBOOKS for c in nbformat.read(p, as_version=4).cells
             if c.cell_type == "markdown" for t in relative_links(c.source)]
    assert any(t.startswith("../desklib/") for t in links)
