"""What the tests that meet real programs (Chromium, JupyterLab, Alertmanager) share: finding the
program, skipping with the reason outside CI and failing under ``CI=true`` (``.ci/run`` installs
what they need), and a free port on loopback."""
from __future__ import annotations

import os
import shutil
import socket

import pytest


def find_program(env: str, names: tuple[str, ...], hint: str) -> tuple[str | None, str]:
    """The program to run and where it came from, or ``(None, why there is none)``.

    ``$env`` names it outright; else the first of ``names`` that is an absolute executable path
    or found on PATH. ``hint`` ends the reason when nothing is found.
    """
    override = os.environ.get(env)
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override, f"{env}={override}"
        return None, f"{env}={override} is not an executable file"
    for name in names:
        if os.path.isabs(name):
            if os.access(name, os.X_OK):
                return name, name
            continue
        found = shutil.which(name)
        if found:
            return found, f"{name} on PATH"
    return None, f"{hint} (or set {env})"


def unavailable(what: str, reason: str):
    """Skip with the reason; under CI=true fail instead, since CI installs what these tests need."""
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(f"{what} cannot run: {reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(f"{what}: {reason}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
