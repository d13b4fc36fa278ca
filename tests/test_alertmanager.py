"""The real round trip: a real Alertmanager sends its notifications to ``desk capture``, and
``desk correlate`` on the capture finds the incidents it finds on ``fixtures/alerts.jsonl``.

Debian's ``prometheus-alertmanager`` runs on loopback (free ports, its own storage folder,
clustering off) with one route: every alert (``group_by: ['...']``, so each label set is its
own group; ``group_wait`` and ``group_interval`` 1 s) to ``desk capture``, with a bearer token
from a credentials file. The fixture storm goes in through the API v2 (``POST /api/v2/alerts``),
shifted so it ends now.

Alertmanager keeps one alert per label set: a later firing of the same label set posted while
the first is active is merged into it. So the storm goes in rounds (:func:`desklib.replay.rounds`):
every label set's first firing, then the ends of those that fire again, then the second
firings ... each round posted once the previous one has reached the capture. That is what a
flapping alert looks like on the wire, and the capture then holds every one of the 40 alerts.

``DESK_ALERTMANAGER`` names the binary, else ``/usr/bin/prometheus-alertmanager``,
``prometheus-alertmanager`` or ``alertmanager`` on PATH. Without one these tests skip and say
why; with ``CI=true`` they fail (``.ci/run`` installs the Debian package). Every process started
is stopped by its id.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import selectors
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from real_programs import find_program, free_port, unavailable

from desklib import cli, load_alert_truth, load_alerts, replay
from desklib.alertmap import load_policy
from desklib.timefmt import parse_iso

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
TOKEN = "desk-round-trip-token"
WAIT_S = 30                       # the longest wait for one round to reach the capture
CONFIG = """\
route:
  receiver: desk
  group_by: ['...']
  group_wait: 1s
  group_interval: 250ms
  repeat_interval: 1h
receivers:
  - name: desk
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          authorization:
            credentials_file: {token}
"""


def alertmanager_path() -> tuple[str | None, str]:
    """The Alertmanager binary and where it came from, or (None, why there is none)."""
    return find_program("DESK_ALERTMANAGER",
                        ("/usr/bin/prometheus-alertmanager", "prometheus-alertmanager", "alertmanager"),
                        "no Alertmanager found (install Debian's prometheus-alertmanager)")


def _unavailable(reason: str):
    unavailable("Alertmanager round trip", reason)


# ----------------------------------------------------------------------------- processes

def _stop(proc: subprocess.Popen) -> None:
    """Stop one process we started, by its id: SIGTERM, then SIGKILL if it does not go."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _first_line(proc: subprocess.Popen, timeout: float) -> str:
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise AssertionError(f"desk capture said nothing in {timeout} s")
    return proc.stdout.readline()


@contextlib.contextmanager
def started_capture(out: Path, token_file: Path):
    """``desk capture`` on a free loopback port; yields (its URL, the process)."""
    proc = subprocess.Popen([sys.executable, "-m", "desklib", "capture", "--listen", "127.0.0.1:0",
                             "-o", str(out), "--token-file", str(token_file)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = _first_line(proc, 20)
        assert "listening on http://127.0.0.1:" in line, line + proc.stderr.read()
        yield line.split("listening on ")[1].split()[0], proc
    finally:
        _stop(proc)


@contextlib.contextmanager
def started_alertmanager(binary: str, folder: Path, webhook: str, token_file: Path):
    """A real Alertmanager on a free loopback port, clustering off; yields its URL."""
    config = folder / "alertmanager.yml"
    config.write_text(CONFIG.format(url=webhook, token=token_file), encoding="utf-8")
    port = free_port()
    log = (folder / "alertmanager.log").open("w")
    proc = subprocess.Popen([binary, f"--config.file={config}", f"--storage.path={folder / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
                             "--log.level=warn"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"alertmanager exited ({proc.returncode}): "
                                     + (folder / "alertmanager.log").read_text()[-800:])
            try:
                with urllib.request.urlopen(url + "/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            assert time.monotonic() < deadline, "alertmanager not ready after 20 s"
            time.sleep(0.1)
        yield url
    finally:
        _stop(proc)
        log.close()


# ----------------------------------------------------------------------------- what reached the capture

def _captured(path: Path) -> set[tuple[str, datetime, str]]:
    """(fingerprint, startsAt, status) of every alert entry in the capture so far."""
    seen = set()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    for line in text.split("\n")[:-1]:          # complete lines only
        for a in json.loads(line)["alerts"]:
            seen.add((a["fingerprint"], parse_iso(a["startsAt"]), a["status"]))
    return seen


def _expected(send: replay.Send) -> set[tuple[str, datetime, str]]:
    return {(replay.fingerprint(a["labels"]), parse_iso(a["startsAt"]), "resolved" if "endsAt" in a else "firing")
            for a in send.alerts}


def _post_and_wait(am: str, send: replay.Send, capture: Path, proc) -> None:
    """Post one round to the Alertmanager and wait until all of it has reached the capture."""
    replay.post(am + replay.API_PATH, replay.body(send, "alertmanager"))
    want = _expected(send)
    deadline = time.monotonic() + WAIT_S
    while not want <= _captured(capture):
        assert proc.poll() is None, "desk capture stopped: " + proc.stderr.read()
        assert time.monotonic() < deadline, (f"after {WAIT_S} s the capture lacks "
                                             f"{sorted(want - _captured(capture))[:3]}")
        time.sleep(0.1)


def _shift_of(sends: list[replay.Send], alerts) -> timedelta:
    first = min(parse_iso(a["startsAt"]) for a in sends[0].alerts)
    return first - min(a.ts for a in alerts)


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    """The fixture storm through a real Alertmanager into ``desk capture``, then the end of
    the es-cluster incident and of one alert of the pg-main incident."""
    binary, where = alertmanager_path()
    if binary is None:
        _unavailable(where)
    folder = tmp_path_factory.mktemp("alertmanager")
    token_file = folder / "token"
    token_file.write_text(TOKEN + "\n")
    capture = folder / "capture.jsonl"
    alerts = load_alerts(FIXTURES / "alerts.jsonl")
    policy = load_policy()
    started = time.monotonic()
    with started_capture(capture, token_file) as (webhook, proc):
        with started_alertmanager(binary, folder, webhook, token_file) as am:
            sends = replay.rounds(alerts, datetime.now(timezone.utc), policy)
            for send in sends:
                _post_and_wait(am, send, capture, proc)
            storm = folder / "storm.jsonl"
            storm.write_bytes(capture.read_bytes())
            shift = _shift_of(sends, alerts)
            # Resolve the es-cluster incident (the last firing of each of its label sets) and
            # one alert of the pg-main incident, one minute after each started.
            truth = {i: inc for i, (inc, _) in _truth().items()}
            last = {}
            for a in alerts:
                key = tuple(replay.wire_labels(a, policy).items())
                last[key] = a
            resolve = [a for a in last.values() if truth[a.id] == "es-cluster-red" or a.id == "a40"]
            ends = {a.id: a.ts + timedelta(minutes=1) for a in resolve}
            ending = replay.Send(sends[0].at, tuple(
                replay.wire_alert(a, replay.wire_labels(a, policy), shift, ends[a.id], "alertmanager")
                for a in resolve))
            _post_and_wait(am, ending, capture, proc)
        _stop(proc)
        summary = proc.stdout.read()
    return SimpleNamespace(alerts=alerts, policy=policy, storm=storm, capture=capture, shift=shift,
                           ends=ends, summary=summary, seconds=time.monotonic() - started, rounds=len(sends))


def _truth() -> dict[str, tuple[str, str]]:
    return load_alert_truth(FIXTURES / "alerts_truth.csv")


def _correlate_json(path: Path) -> dict:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["correlate", str(path), "--topology", str(FIXTURES / "topology.json"), "--json"])
    assert code == 0, err.getvalue()
    return json.loads(out.getvalue())


def _partition(doc: dict, key_of: dict[str, tuple]) -> set[frozenset]:
    return {frozenset(key_of[i] for i in inc["alert_ids"]) for inc in doc["incidents"]}


def _keys_from_capture(path: Path, shift: timedelta) -> dict[str, tuple]:
    """captured alert id -> (label-set fingerprint, its start in the recorded storm)."""
    return {a.id: (replay.fingerprint(a.labels), a.ts - shift) for a in load_alerts(path)}


# ----------------------------------------------------------------------------- the tests

def test_the_storm_through_alertmanager_gives_the_fixture_incidents(round_trip):
    rt = round_trip
    fixture = _correlate_json(FIXTURES / "alerts.jsonl")
    captured = _correlate_json(rt.storm)
    fixture_keys = {a.id: (replay.fingerprint(replay.wire_labels(a, rt.policy)), a.ts) for a in rt.alerts}
    capture_keys = _keys_from_capture(rt.storm, rt.shift)
    assert len(set(fixture_keys.values())) == len(rt.alerts) == 40
    assert sorted(capture_keys.values()) == sorted(fixture_keys.values())    # every alert arrived, once
    assert _partition(captured, capture_keys) == _partition(fixture, fixture_keys)
    assert [i["root_cause"] for i in captured["incidents"]] == [i["root_cause"] for i in fixture["incidents"]]
    assert captured["noise_reduction"] == fixture["noise_reduction"]
    # Alertmanager's own fingerprints are the ones desklib.replay computes.
    for line in rt.storm.read_text().splitlines():
        for a in json.loads(line)["alerts"]:
            assert a["fingerprint"] == replay.fingerprint(a["labels"])
    assert rt.seconds < 60, f"the round trip took {rt.seconds:.1f} s"
    assert "alerts appended to" in rt.summary and "refused: none" in rt.summary, rt.summary


def test_resolved_alerts_reach_the_incidents(round_trip):
    rt = round_trip
    doc = _correlate_json(rt.capture)
    keys = _keys_from_capture(rt.capture, rt.shift)
    fixture_id = {(replay.fingerprint(replay.wire_labels(a, rt.policy)), a.ts): a.id for a in rt.alerts}
    ends = {**replay.implied_ends(rt.alerts, rt.policy), **rt.ends}
    truth = _truth()
    states = {}
    for inc in doc["incidents"]:
        members = [fixture_id[keys[i]] for i in inc["alert_ids"]]
        firing = any(m not in ends for m in members)
        assert inc["firing"] is firing, (inc["root_cause"], members)
        expected_end = None if firing else max(ends[m] for m in members) + rt.shift
        assert (parse_iso(inc["ended_at"]) if inc["ended_at"] else None) == expected_end
        states[truth[members[0]][0]] = inc["firing"]
    # Only the es-cluster incident ended; pg-main lost one alert and fires on.
    assert states == {"pg-main-down": True, "es-cluster-red": False, "vpn-cert": True,
                      "redis-evicting": True, "batch-disk-full": True}


def test_the_readme_receiver_snippet_is_a_valid_alertmanager_config(tmp_path):
    binary, where = alertmanager_path()
    if binary is None:
        _unavailable(where)
    amtool = Path(binary).with_name("amtool")
    if not os.access(amtool, os.X_OK):
        _unavailable(f"no amtool beside {binary}")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (snippet,) = [body for body in re.findall(r"^```yaml\n(.*?)^```", readme, re.M | re.S) if "desk-capture" in body]
    token = tmp_path / "desk.token"
    token.write_text(TOKEN + "\n")
    config = tmp_path / "alertmanager.yml"
    config.write_text(snippet.replace("/etc/alertmanager/desk.token", str(token)), encoding="utf-8")
    check = subprocess.run([str(amtool), "check-config", str(config)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0 and "SUCCESS" in check.stdout, check.stdout + check.stderr
    assert "send_resolved: true" in snippet and "credentials_file" in snippet
