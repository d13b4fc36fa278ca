"""Where the lesson's fixtures live, and the lesson's fixed clock.

Everything a learner may edit — tickets, alerts, keyword rules, the SLA policy, the
service topology, runbook keys — is a file in the top-level ``fixtures/`` folder.
An installed desklib (``pip install .``) carries the same files as ``desklib.fixtures``.
Set ``DESKLIB_FIXTURES`` to point the lesson at another folder of the same shape.
"""
from __future__ import annotations

import os
from importlib import resources
from datetime import datetime, timezone
from pathlib import Path

#: The simulated support day is Monday 2026-03-02 (UTC).
DAY_START = datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)
#: The lesson's "now": the moment the notebooks look at the desk.
LESSON_NOW = datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc)
#: The end of the simulated day: `desk run` escalates at this instant.
DAY_END = datetime(2026, 3, 3, 0, 0, tzinfo=timezone.utc)


def fixtures_dir() -> Path:
    """The fixtures folder: ``$DESKLIB_FIXTURES``, else the package data ``desklib.fixtures``
    (the top-level ``fixtures/`` of a clone or an editable install), else ``fixtures/`` beside
    the package."""
    env = os.environ.get("DESKLIB_FIXTURES")
    if env:
        return Path(env)
    try:
        packaged = Path(str(resources.files("desklib.fixtures")))
    except (ModuleNotFoundError, TypeError, ValueError):
        packaged = None
    if packaged is not None and (packaged / "triage_rules.toml").is_file():
        return packaged
    return Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> Path:
    """Path of one fixture file, e.g. ``fixture("tickets.jsonl")``."""
    path = fixtures_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"fixture '{name}' not found in {fixtures_dir()}")
    return path
