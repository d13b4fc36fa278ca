"""``desk capture`` (desklib.capture) and ``desk replay`` (desklib.replay), without Alertmanager.

The receiver keeps every payload it acknowledged, whatever comes after: a malformed body, a
huge one, a wrong token, a client that goes away in the middle of its body, a disk that fails
mid-write. What it writes is what the alert readers read. ``desk replay`` into ``desk capture``
gives the fixture storm's incidents back. (The real Alertmanager: tests/test_alertmanager.py.)
"""
from __future__ import annotations

import contextlib
import errno
import gzip
import http.client
import io
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from desklib import aiops, capture, cli, load_alerts, load_topology, replay
from desklib.alertmap import load_policy
from desklib.records import InputError, read_alerts

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
PAYLOADS = json.loads((FIXTURES / "alerts_webhook.json").read_text(encoding="utf-8"))
TOKEN = "s3cret-token"
LIMIT = 64 * 1024


def _payload(i: int = 0) -> bytes:
    return json.dumps(PAYLOADS[i]).encode()


@contextlib.contextmanager
def running(tmp_path: Path, token: str | None = TOKEN, max_bytes: int = LIMIT, name: str = "capture.jsonl"):
    """An in-process receiver on a free loopback port."""
    out = tmp_path / name
    cap = capture.Capture(out)
    said, warned = [], []
    handler = capture.make_handler(cap, token.encode() if token else None, max_bytes, said.append, warned.append)
    server = capture.make_server("127.0.0.1", 0, handler)
    stop = threading.Event()
    thread = threading.Thread(target=capture.serve, args=(server, stop), daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(port=server.server_address[1], url=f"http://127.0.0.1:{server.server_address[1]}/",
                              cap=cap, out=out, said=said, warned=warned)
    finally:
        stop.set()
        thread.join(10)
        cap.close()


def request(port: int, body: bytes = b"", method: str = "POST", path: str = "/", token: str | None = TOKEN,
            headers: dict | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        hdrs = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {}),
                **(headers or {})}
        conn.request(method, path, body=body if method in ("POST", "PUT") else None, headers=hdrs)
        answer = conn.getresponse()
        return answer.status, answer.read().decode()
    finally:
        conn.close()


def raw(port: int, data: bytes, wait_answer: bool = False) -> bytes:
    """Send raw bytes; optionally read the whole answer before closing."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        if wait_answer:
            answer = b""
            while chunk := s.recv(4096):          # the receiver closes after an error
                answer += chunk
            return answer
    return b""


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")[:-1] if path.exists() else []


def _wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# ----------------------------------------------------------------------------- what is kept

def test_each_payload_is_on_disk_before_its_200(tmp_path):
    with running(tmp_path) as rx:
        for i in range(3):
            status, text = request(rx.port, _payload(i))
            assert (status, text.strip()) == (200, f"ok: payload {i + 1}")
            lines = _lines(rx.out)                       # read at once: written before the answer
            assert len(lines) == i + 1 and json.loads(lines[-1]) == PAYLOADS[i]
        _wait_for(lambda: len(rx.said) == 3)               # said after the answer
        assert rx.said[-1].startswith("payload 3: ") and "alerts in all" in rx.said[-1]
        assert rx.warned == []
    assert rx.out.stat().st_mode & 0o777 == 0o600        # captures hold alert text: owner only


def test_a_capture_reads_as_the_payloads_it_holds(tmp_path):
    with running(tmp_path) as rx:
        for i in range(len(PAYLOADS)):
            assert request(rx.port, _payload(i))[0] == 200
    assert rx.cap.payloads == len(PAYLOADS)
    assert rx.cap.alerts == sum(len(p["alerts"]) for p in PAYLOADS)
    assert load_alerts(rx.out) == load_alerts(FIXTURES / "alerts_webhook.json")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert cli.main(["validate", str(rx.out)]) == 0
    assert "capture.jsonl: 40 alerts from" in out.getvalue()


def test_a_grafana_webhook_is_kept(tmp_path):
    body = (FIXTURES / "sources" / "grafana_webhook.json").read_bytes()
    with running(tmp_path) as rx:
        assert request(rx.port, body)[0] == 200
    assert read_alerts(rx.out)[0] == read_alerts(FIXTURES / "sources" / "grafana_webhook.json")[0]


def test_a_pretty_printed_body_becomes_one_line(tmp_path):
    body = json.dumps(PAYLOADS[1], indent=2, ensure_ascii=False).encode()
    with running(tmp_path) as rx:
        assert request(rx.port, "\ufeff".encode() + body)[0] == 200
    (line,) = _lines(rx.out)
    assert json.loads(line) == PAYLOADS[1]


def test_concurrent_payloads_are_whole_lines(tmp_path):
    with running(tmp_path) as rx:
        answers = []
        threads = [threading.Thread(target=lambda i=i: answers.append(request(rx.port, _payload(i % len(PAYLOADS)))))
                   for i in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
    assert sorted(a[0] for a in answers) == [200] * 24
    lines = _lines(rx.out)
    assert len(lines) == 24 and all(json.loads(line) in PAYLOADS for line in lines)
    assert sorted(int(a[1].split()[-1]) for a in answers) == list(range(1, 25))


# ----------------------------------------------------------------------------- what is refused, losing nothing

NO_ALERTNAME = {"version": "4", "alerts": [{"status": "firing", "labels": {"service": "web"},
                                            "startsAt": "2026-03-02T02:00:00Z", "fingerprint": "abc"}]}
REFUSALS = [
    ("not JSON", b"this is not json", {}, 400, "not JSON"),
    ("not UTF-8", b'{"alerts": ["\xff"]}', {}, 400, "not UTF-8"),
    ("empty", b"", {}, 400, "empty body"),
    ("a JSON list", b"[1, 2]", {}, 400, "got a list"),
    ("no alerts key", b'{"version": "4"}', {}, 400, "without 'alerts'"),
    ("alerts not a list", b'{"alerts": {"a": 1}}', {}, 400, "field 'alerts': expected a list"),
    ("an API v2 alert", json.dumps({"labels": {"alertname": "X"}, "startsAt": "2026-03-02T02:00:00Z"}).encode(),
     {}, 400, "one Alertmanager API v2 alert"),
    ("no alerts", b'{"version": "4", "alerts": []}', {}, 400, "no alerts"),
    ("NaN", b'{"alerts": [NaN]}', {}, 400, "NaN is not a JSON number"),
    ("a key twice", b'{"alerts": [], "alerts": []}', {}, 400, "appears twice"),
    ("a desk alert record", json.dumps({"id": "a1", "ts": "2026-03-02T02:00:00Z"}).encode(), {}, 400, "webhook"),
    ("no alertname", json.dumps(NO_ALERTNAME).encode(), {}, 400, "field 'labels.alertname': missing"),
    ("a lone surrogate", b'{"alerts": [{"labels": {"alertname": "\\ud800"}}]}', {}, 400, "surrogate"),
    ("no token", None, {"Authorization": ""}, 401, "bearer token"),
    ("a wrong token", None, {"Authorization": "Bearer s3cret-tokeN"}, 401, "bearer token"),
    ("basic auth", None, {"Authorization": "Basic czNjcmV0LXRva2Vu"}, 401, "bearer token"),
    ("over the limit", b"{" + b" " * LIMIT + b"}", {}, 413, f"over the limit of {LIMIT}"),
    ("a bad Content-Length", None, {"Content-Length": "12abc"}, 400, "Content-Length"),
    ("gzip", gzip.compress(_payload(1)), {"Content-Encoding": "gzip"}, 415, "Content-Encoding 'gzip' is not read"),
]


@pytest.mark.parametrize("body, headers, status, reason", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_a_refused_body_loses_no_acknowledged_payload(tmp_path, body, headers, status, reason):
    with running(tmp_path) as rx:
        assert request(rx.port, _payload(0))[0] == 200
        before = rx.out.read_bytes()
        if body is None:
            body = _payload(1)
        token = None if "Authorization" in headers else TOKEN
        got, text = request(rx.port, body, token=token, headers={k: v for k, v in headers.items() if v})
        assert got == status and reason in text and "\n" not in text.strip()
        assert rx.out.read_bytes() == before
        assert request(rx.port, _payload(2))[0] == 200
        assert [json.loads(line) for line in _lines(rx.out)] == [PAYLOADS[0], PAYLOADS[2]]
        assert len(rx.warned) == 1 and str(status) in rx.warned[0]


@pytest.mark.parametrize("method, path, status", [("GET", "/-/healthy", 200), ("GET", "/", 405),
                                                   ("PUT", "/", 405), ("DELETE", "/", 405), ("HEAD", "/", 405)])
def test_methods(tmp_path, method, path, status):
    with running(tmp_path) as rx:
        got, _ = request(rx.port, _payload(0), method=method, path=path)
        assert got == status
        assert not rx.out.exists() or rx.out.read_bytes() == b""


def test_a_huge_body_is_refused_before_it_is_read(tmp_path):
    with running(tmp_path, max_bytes=capture.MAX_BYTES) as rx:
        head = (f"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {capture.MAX_BYTES + 1}\r\n\r\n").encode()
        answer = raw(rx.port, head + b"{", wait_answer=True)     # the 10 MB never come
        assert answer.startswith(b"HTTP/1.0 413") and b"over the limit of 10485760" in answer
        assert request(rx.port, _payload(0))[0] == 200


def test_a_chunked_body_is_refused_unread(tmp_path):
    with running(tmp_path) as rx:
        head = (f"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                "Transfer-Encoding: chunked\r\n\r\n").encode()
        assert raw(rx.port, head, wait_answer=True).startswith(b"HTTP/1.0 411")


def test_a_client_that_goes_away_mid_body_gets_nothing_written(tmp_path):
    with running(tmp_path) as rx:
        assert request(rx.port, _payload(0))[0] == 200
        before = rx.out.read_bytes()
        body = _payload(1)
        head = (f"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        raw(rx.port, head + body[: len(body) // 2])               # half the body, then close
        _wait_for(lambda: any("went away" in w for w in rx.warned))
        assert rx.out.read_bytes() == before
        assert request(rx.port, _payload(2))[0] == 200
        assert [json.loads(line) for line in _lines(rx.out)] == [PAYLOADS[0], PAYLOADS[2]]
        assert rx.cap.refused["incomplete"] == 1


def test_a_client_that_stalls_mid_body_is_dropped(tmp_path, monkeypatch):
    monkeypatch.setattr(capture, "READ_TIMEOUT_S", 0.5)
    with running(tmp_path) as rx:
        body = _payload(1)
        head = (f"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", rx.port), timeout=5) as s:
            s.sendall(head + body[:100])
            _wait_for(lambda: any("sent nothing for 0.5 s" in w for w in rx.warned))
            assert request(rx.port, _payload(0))[0] == 200
    assert [json.loads(line) for line in _lines(rx.out)] == [PAYLOADS[0]]


def test_a_failed_write_leaves_no_half_line(tmp_path):
    with running(tmp_path) as rx:
        assert request(rx.port, _payload(0))[0] == 200
        before = rx.out.read_bytes()
        real = rx.cap._write_all

        def half_then_full_disk(data: bytes) -> None:
            real(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        rx.cap._write_all = half_then_full_disk
        status, text = request(rx.port, _payload(1))
        assert status == 507 and "No space left on device" in text
        assert rx.out.read_bytes() == before
        rx.cap._write_all = real
        assert request(rx.port, _payload(2))[0] == 200
    assert [json.loads(line) for line in _lines(rx.out)] == [PAYLOADS[0], PAYLOADS[2]]


def test_appends_to_a_capture_and_refuses_a_file_that_is_not_one(tmp_path):
    with running(tmp_path) as rx:
        assert request(rx.port, _payload(0))[0] == 200
    with running(tmp_path) as rx:                                 # a restart appends
        assert request(rx.port, _payload(1))[0] == 200
    assert len(_lines(rx.out)) == 2
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"alerts": [')
    with pytest.raises(InputError, match="does not end with a newline"):
        capture.Capture(broken)
    with pytest.raises(InputError, match="name it .jsonl"):
        capture.Capture(tmp_path / "capture.json")


def test_a_capture_into_a_folder_not_there_yet_makes_it(tmp_path):
    cap = capture.Capture(tmp_path / "build" / "class_storm.jsonl")      # notebook 05's command, fresh clone
    cap.close()
    assert (tmp_path / "build" / "class_storm.jsonl").exists()
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(InputError, match="cannot open for appending"):
        capture.Capture(tmp_path / "taken" / "c.jsonl")


@pytest.mark.parametrize("header, ok", [("Bearer abc", True), ("bearer abc", True), ("Bearer  abc ", True),
                                        ("Bearer abcd", False), ("Bearer", False), (None, False), ("abc", False)])
def test_bearer_token(header, ok):
    assert capture.authorized(header, b"abc") is ok
    assert capture.authorized(header, None) is True


@pytest.mark.parametrize("text, want", [("127.0.0.1:9099", ("127.0.0.1", 9099)), (":0", ("127.0.0.1", 0)),
                                        ("[::1]:9099", ("::1", 9099)), ("0.0.0.0:80", ("0.0.0.0", 80))])
def test_parse_listen(text, want):
    assert capture.parse_listen(text) == want


@pytest.mark.parametrize("text", ["9099", "host:", "host:99999", "host:port"])
def test_parse_listen_refuses(text):
    with pytest.raises(InputError, match="expected HOST:PORT"):
        capture.parse_listen(text)


# ----------------------------------------------------------------------------- the command

def _start(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, "-m", "desklib", "capture", "--listen", "127.0.0.1:0",
                             "-o", str(tmp_path / "c.jsonl"), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    line = proc.stdout.readline()
    assert "listening on http://127.0.0.1:" in line, line
    return proc, int(line.split("127.0.0.1:")[1].split("/")[0])


def _finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, out, err


def test_the_command_stops_after_max_payloads_with_a_summary(tmp_path):
    proc, port = _start(tmp_path, "--max-payloads", "2")
    try:
        assert request(port, _payload(0), token=None)[0] == 200
        assert request(port, b"nope", token=None)[0] == 400
        assert request(port, _payload(1), token=None)[0] == 200
    finally:
        code, out, err = _finish(proc)
    assert code == 0
    assert "payload 2: " in out and "--max-payloads 2 reached: 2 payloads" in out and "refused: 1 × 400" in out
    assert err.count("\n") == 1 and "refused 400" in err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_command_stops_cleanly_on_a_signal(tmp_path, sig):
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n")
    proc, port = _start(tmp_path, "--token-file", str(token))
    try:
        assert request(port, _payload(0))[0] == 200
        assert request(port, _payload(0), token="wrong")[0] == 401
        proc.send_signal(sig)
    finally:
        code, out, err = _finish(proc)
    assert code == 0 and "stopped (Ctrl-C or SIGTERM): 1 payloads, 1 alerts appended" in out
    assert "Traceback" not in err and len(_lines(tmp_path / "c.jsonl")) == 1


def test_the_command_stops_after_its_duration(tmp_path):
    proc, _ = _start(tmp_path, "--duration", "1s")
    code, out, _ = _finish(proc)
    assert code == 0 and "--duration 1 s over: 0 payloads" in out


def test_the_command_refuses_bad_options_in_one_line(tmp_path):
    for argv, needle in ((["--listen", "nope"], "expected HOST:PORT"),
                         (["--token-file", str(tmp_path / "missing")], "cannot read the token file"),
                         (["-o", str(tmp_path / "c.csv")], "name it .jsonl")):
        argv = ["capture", "-o", str(tmp_path / "c.jsonl"), *argv]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            assert cli.main(argv) == 2
        assert needle in err.getvalue() and err.getvalue().count("\n") == 1


# ----------------------------------------------------------------------------- replay

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)


def _fixture_alerts():
    return load_alerts(FIXTURES / "alerts.jsonl")


def test_plan_keeps_the_storms_timing_and_ends_it_when_the_replay_ends():
    alerts = _fixture_alerts()
    sends = replay.plan(alerts, NOW, speed=60)
    first, last = min(a.ts for a in alerts), max(a.ts for a in alerts)
    assert sends[0].at == NOW and sends[-1].at == NOW + (last - first) / 60
    starts = sorted(datetime.fromisoformat(a["startsAt"]) for s in sends for a in s.alerts)
    assert starts[-1] == sends[-1].at                              # the storm ends when the replay does
    originals = sorted(a.ts for a in alerts)
    assert [s - starts[0] for s in starts] == [o - originals[0] for o in originals]   # relative timing kept
    for send in sends:                                             # nothing is sent before it started
        assert all(datetime.fromisoformat(a["startsAt"]) <= send.at for a in send.alerts)
    assert sum(len(s.alerts) for s in sends) == 40


def test_plan_is_the_same_whatever_the_input_order():
    alerts = _fixture_alerts()
    assert replay.plan(alerts, NOW, 30) == replay.plan(list(reversed(alerts)), NOW, 30)
    assert replay.plan(alerts, NOW, None, "alertmanager") == replay.plan(alerts[::-1], NOW, None, "alertmanager")


def test_plan_at_once_and_resolved_alerts():
    alerts = load_alerts(FIXTURES / "alerts_webhook.json")
    resolved = [a for a in alerts if a.status == "resolved"]
    assert resolved
    once = replay.plan(alerts, NOW, None)
    assert len(once) == 1 and once[0].at == NOW and once[0].resolved == len(resolved)
    paced = replay.plan(alerts, NOW, 120)
    assert sum(len(s.alerts) for s in paced) == len(alerts) + len(resolved)   # each resolved one: fired, ended
    assert sum(s.resolved for s in paced) == len(resolved)
    ends = [datetime.fromisoformat(a["endsAt"]) for s in paced for a in s.alerts if a["status"] == "resolved"]
    assert max(ends) == paced[-1].at


def test_for_an_alertmanager_a_label_set_firing_again_ends_its_earlier_firing():
    alerts = _fixture_alerts()
    policy = load_policy()
    ends = replay.implied_ends(alerts, policy)
    by_id = {a.id: a for a in alerts}
    assert ends["a31"] == by_id["a31"].ts + (by_id["a32"].ts - by_id["a31"].ts) / 2   # the flapping disk
    assert "a37" not in ends and "a40" not in ends                                  # last firings go on
    assert sum(len(s.alerts) for s in replay.plan(alerts, NOW, 60, "alertmanager")) == 40 + len(ends)
    assert [len(s.alerts) for s in replay.rounds(alerts, NOW, policy)] == [23, 10, 10, 4, 4, 2, 2, 1, 1]


def test_wire_labels_and_fingerprint():
    policy = load_policy()
    a01 = _fixture_alerts()[0]
    labels = replay.wire_labels(a01, policy)
    assert labels == {"alertname": "PostgresDown", "instance": "pg-main-0", "job": "postgres",
                      "service": "pg-main", "severity": "critical"}
    sys.path.insert(0, str(FIXTURES))
    try:
        import make_webhook                    # the fixture's own Prometheus fingerprint
    finally:
        sys.path.remove(str(FIXTURES))
    for a in _fixture_alerts():
        assert replay.fingerprint(replay.wire_labels(a, policy)) == make_webhook.fingerprint(make_webhook.wire_labels(a))
    assert replay.fingerprint({}) == "cbf29ce484222325"           # FNV-1a's offset basis: nothing hashed
    webhook, _ = read_alerts(FIXTURES / "sources" / "alertmanager_capture.jsonl")
    assert all(replay.wire_labels(a, policy) == a.labels for a in webhook)       # read back: labels as they came


@pytest.mark.parametrize("url, kind", [("http://127.0.0.1:9093/api/v2/alerts", "alertmanager"),
                                       ("https://am.example/prefix/api/v2/alerts/", "alertmanager"),
                                       ("http://127.0.0.1:9099/", "webhook"), ("http://h:1/hook", "webhook")])
def test_target_kind(url, kind):
    assert replay.target_kind(url) == kind


def _desk(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def _partition(alerts, key) -> set[frozenset]:
    result = aiops.correlate(alerts, load_topology(FIXTURES / "topology.json"))
    by_id = {a.id: a for a in alerts}
    return {frozenset(key(by_id[i]) for i in inc.alert_ids) for inc in result.incidents}


def test_replay_into_capture_gives_the_fixture_storms_incidents(tmp_path):
    policy = load_policy()
    token = tmp_path / "token"
    token.write_text(TOKEN)
    with running(tmp_path) as rx:
        code, out, err = _desk(["replay", str(FIXTURES / "alerts.jsonl"), "--to", rx.url, "--speed", "36000",
                                "--token-file", str(token)])
        assert code == 0, err
    assert "40 alerts in 39 posts" in out and rx.cap.payloads == 39
    fixture, captured = _fixture_alerts(), load_alerts(rx.out)
    shift = min(a.ts for a in captured) - min(a.ts for a in fixture)
    want = _partition(fixture, lambda a: (replay.fingerprint(replay.wire_labels(a, policy)), a.ts))
    got = _partition(captured, lambda a: (replay.fingerprint(a.labels), a.ts - shift))
    assert got == want and len(want) == 5
    # ... and a capture replays like the storm it holds
    with running(tmp_path, name="again.jsonl") as rx2:
        assert _desk(["replay", str(rx.out), "--to", rx2.url, "--at-once", "--token-file", str(token)])[0] == 0
    again = load_alerts(rx2.out)
    shift2 = min(a.ts for a in again) - min(a.ts for a in fixture)
    assert _partition(again, lambda a: (replay.fingerprint(a.labels), a.ts - shift2)) == want


def test_replay_errors_are_one_line(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]                  # nothing listens here
    code, _, err = _desk(["replay", str(FIXTURES / "alerts.jsonl"), "--to", f"http://127.0.0.1:{dead}/", "--at-once"])
    assert code == 2 and "cannot send" in err and "Traceback" not in err
    with running(tmp_path) as rx:
        code, _, err = _desk(["replay", str(FIXTURES / "alerts.jsonl"), "--to", rx.url, "--at-once"])
    assert code == 2 and "HTTP 401" in err
    code, _, err = _desk(["replay", str(FIXTURES / "alerts.jsonl"), "--to", "ftp://x/"])
    assert code == 2 and "expected an http:// or https:// URL" in err
    with pytest.raises(SystemExit) as exit_:
        _desk(["replay", str(FIXTURES / "alerts.jsonl"), "--to", "http://x/", "--speed", "0"])
    assert exit_.value.code == 2
