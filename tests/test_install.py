"""Installed, not just cloned: `pip install .` (not editable) into a fresh venv carries the
fixtures as package data, so `desk` and the API's defaults work away from the clone.

The fresh venv gets no dependencies of its own (``--no-deps``): a ``.pth`` file lends it the
test environment's site-packages (pandas, numpy), appended after its own, so the desklib it
imports is the one just installed. pip builds the wheel as it always does (build isolation,
setuptools from the configured index or cache).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from desklib import data

ROOT = Path(__file__).resolve().parents[1]


def test_editable_install_reads_the_clones_fixtures():
    assert data.fixtures_dir() == ROOT / "fixtures" or os.environ.get("DESKLIB_FIXTURES")
    assert data.fixture("runbooks.toml").is_file()


def test_pip_install_ships_the_fixtures(tmp_path):
    started = time.perf_counter()
    source = tmp_path / "src"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("desklib", "fixtures"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                              "--quiet", "--disable-pip-version-check", str(source)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    installed = time.perf_counter() - started

    env = {k: v for k, v in os.environ.items() if k not in ("DESKLIB_FIXTURES", "PYTHONPATH")}
    away = tmp_path / "elsewhere"          # not the clone: nothing to find by accident
    away.mkdir()

    def run(*argv):
        return subprocess.run([str(a) for a in argv], capture_output=True, text=True, cwd=away, env=env, timeout=180)

    where = run(python, "-c", "import desklib, desklib.data as d; print(desklib.__file__); print(d.fixtures_dir())")
    assert where.returncode == 0, where.stderr
    package, fixtures = map(Path, where.stdout.split())
    assert package.is_relative_to(site) and fixtures == site / "desklib" / "fixtures"
    assert sorted(p.name for p in fixtures.iterdir() if p.suffix != ".py" and p.is_file()) == sorted(
        p.name for p in (ROOT / "fixtures").iterdir() if p.suffix != ".py" and p.is_file())

    # every subpackage of the source (desklib/aiops/ ...) is installed, module for module
    for init in (ROOT / "desklib").rglob("__init__.py"):
        sub = init.parent.relative_to(ROOT)
        modules = sorted(p.name for p in init.parent.glob("*.py"))
        assert sorted(p.name for p in (site / sub).glob("*.py")) == modules, f"{sub} is not installed whole"

    desk = venv / "bin" / "desk"
    triage = run(desk, "triage", fixtures / "tickets.jsonl", "--json")
    assert triage.returncode == 0, triage.stderr
    assert json.loads(triage.stdout)["summary"] == {"total": 48, "auto": 39, "human": 9}
    correlate = run(desk, "correlate", fixtures / "alerts.jsonl", "--topology", fixtures / "topology.json", "--json")
    assert correlate.returncode == 0, correlate.stderr
    incidents = json.loads(correlate.stdout)["incidents"]
    assert len(incidents) == 5 and all(inc["runbook"] for inc in incidents)
    api = run(python, "-c", "from desklib import aiops, fixture, load_alerts\n"
                            "result = aiops.correlate(load_alerts(fixture('alerts.jsonl')))\n"
                            "print(sorted({i.runbook for i in result.incidents}))\n"
                            "scratch = aiops.correlate(load_alerts(fixture('alerts.jsonl')), engine='reference')\n"
                            "print(scratch.incidents == result.incidents, aiops.s3_group.__file__)")
    assert api.returncode == 0 and "rb-" in api.stdout, api.stderr
    assert api.stdout.split()[-2] == "True" and Path(api.stdout.split()[-1]).is_relative_to(site), api.stdout
    ran = run(desk, "run")
    assert ran.returncode == 0 and "Noise reduction" in ran.stdout, ran.stderr
    # the example exports ship too, with the presets and the alert policy that read them
    sources = fixtures / "sources"
    assert sorted(p.name for p in sources.iterdir() if p.is_file()) == sorted(
        p.name for p in (ROOT / "fixtures" / "sources").iterdir() if p.is_file())
    jira = run(desk, "validate", sources / "jira_export.csv", "--from", "jira", "--tz", "Europe/Berlin")
    assert jira.returncode == 0 and "jira_export.csv: 4 tickets" in jira.stdout, jira.stderr
    capture = run(desk, "validate", sources / "alertmanager_capture.jsonl")
    assert capture.returncode == 0 and "4 firing, 1 resolved" in capture.stdout, capture.stderr
    assert "severity 'page' read as critical" in capture.stdout
    print(f"pip install . into a fresh venv: {installed:.1f} s; with the checks: {time.perf_counter() - started:.1f} s")
