"""environment.yml (for conda users) must not drift from pyproject.toml."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _split(spec: str) -> tuple[str, str]:
    name, constraint = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec).groups()
    return name.lower().replace("_", "-"), constraint.replace(" ", "")


def _conda_deps() -> tuple[dict[str, str], list[str], str]:
    deps, pip, python = {}, [], None
    in_deps = in_pip = False
    for raw in (ROOT / "environment.yml").read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if re.match(r"^\S", line):
            in_deps = line.startswith("dependencies:")
            in_pip = False
            continue
        if not in_deps:
            continue
        item = line.strip()
        if item == "- pip:":
            in_pip = True
            continue
        if in_pip and raw.startswith("      "):
            pip.append(item[2:].strip())
            continue
        in_pip = False
        name, constraint = _split(item[2:])
        if name == "python":
            python = constraint.lstrip("=")
        elif name != "pip":
            deps[name] = constraint
    return deps, pip, python


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_split(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"])
    deps, pip, python = _conda_deps()
    assert deps == wanted, "environment.yml and pyproject.toml list different dependencies"
    assert pip == ['-e ".[dev]"'] or pip == ["-e .[dev]"]
    assert python is not None
    # the conda Python satisfies requires-python, and is the one this machine runs
    minimum = project["requires-python"].lstrip(">=")
    assert tuple(map(int, python.split("."))) >= tuple(map(int, minimum.split(".")))


def test_environment_uses_conda_forge():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"channels:\s*\n\s*- conda-forge", text)
