"""`make lab` must serve JupyterLab as a learner gets it: start the same server the Makefile starts,
ask /api/status, read the project's settings back, and run `desk` in one of its terminals."""
import asyncio
import json
import re
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from real_programs import free_port

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "lesson-test"


def _get(port: int, path: str, method: str = "GET"):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     data=b"" if method == "POST" else None,
                                     headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as r:
        body = r.read()
        return r.status, (json.loads(body) if body[:1] in (b"{", b"[") else body)


async def _terminal(port: int, command: str, until: str, timeout: float = 30) -> str:
    """Open a terminal of the server, type `command`, return what it printed up to a match of `until`."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect
    _, created = _get(port, "/api/terminals", method="POST")
    name = created["name"]
    ws = await websocket_connect(HTTPRequest(f"ws://127.0.0.1:{port}/terminals/websocket/{name}",
                                             headers={"Authorization": f"token {TOKEN}"}))
    try:
        await ws.write_message(json.dumps(["stdin", command + "\r"]))
        shown, deadline = "", time.monotonic() + timeout
        while not re.search(until, shown):
            left = deadline - time.monotonic()
            assert left > 0, f"the terminal did not print {until!r} within {timeout} s; it printed:\n{shown[-2000:]}"
            message = await asyncio.wait_for(ws.read_message(), timeout=left)
            assert message is not None, f"the terminal closed; it printed:\n{shown[-2000:]}"
            kind, *payload = json.loads(message)
            if kind == "stdout":
                shown += payload[0]
        return shown
    finally:
        ws.close()
        _get(port, f"/api/terminals/{name}", method="DELETE")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab` on a free port, with per-test Jupyter folders; stopped by its process group id."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    tmp = tmp_path_factory.mktemp("lab")
    port = free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp / "config"),
           "JUPYTER_DATA_DIR": str(tmp / "data"), "HOME": str(tmp / "home")}
    # A learner's PATH does not hold the project's environment: take it out of the test's too.
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if Path(p).resolve() != (ROOT / ".venv" / "bin").resolve())
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={TOKEN}"
    proc = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_ARGS={args}", f"PYTHON={sys.executable}"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline, status = time.monotonic() + 90, None
        while time.monotonic() < deadline and status is None:
            assert proc.poll() is None, "make lab exited early"
            try:
                status = _get(port, "/api/status")[1]
            except OSError:
                time.sleep(0.5)
        assert status is not None, "JupyterLab did not answer /api/status within 90 s"
        yield port, status
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=10)


def test_make_lab_serves_jupyterlab(lab):
    port, status = lab
    assert "started" in status
    assert _get(port, "/lab")[0] == 200


def test_the_news_popup_is_off_by_the_projects_settings(lab):
    port, _ = lab
    _, settings = _get(port, "/lab/api/settings/@jupyterlab/apputils-extension:notification")
    assert settings["schema"]["properties"]["fetchNews"]["default"] == "false"
    assert settings["schema"]["properties"]["checkForUpdates"]["default"] is False


def test_desk_runs_in_a_lab_terminal(lab):
    port, _ = lab
    shown = asyncio.run(_terminal(port, "desk --help; echo desk-exit=$?", r"desk-exit=\d+"))
    assert "usage: desk" in shown, shown
    assert "desk-exit=0" in shown, shown


@pytest.mark.parametrize("folder", ["notebooks", "starters"])
def test_desk_check_finds_the_challenge_from_the_lesson_folders(lab, folder):
    """What `!desk check priority_queue` runs in a notebook of that folder (the kernel starts there)."""
    port, _ = lab
    shown = asyncio.run(_terminal(port, f"cd {folder} && desk check priority_queue; echo desk-exit=$?",
                                  r"desk-exit=\d+"))
    assert "not found" not in shown, shown
    assert re.search(r"\d+ of \d+ cases pass", shown), shown
