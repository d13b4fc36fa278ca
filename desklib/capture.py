"""``desk capture``: be the webhook at the other end of an Alertmanager, and keep what it sends.

Every Alertmanager (and Grafana) can send its notifications to a webhook. Point one at
this receiver and it records, it does not page: each POSTed body is checked with the same
reader ``desk correlate`` uses and appended to a JSON-lines file, one payload per line,
written to disk (flushed and fsynced) *before* the ``200`` goes back. What was acknowledged
survives a crash; what was refused never reaches the file::

    POST body --check_payload--> one JSON line --Capture.append (lock, fsync)--> 200

=====================================  ==========================================
``POST`` (any path), a webhook body     ``200``, appended
body not UTF-8 JSON, not a webhook,     ``400`` and one line saying why (the
or an alert the reader refuses          reader's own message)
no ``Content-Length``                   ``411`` (the body is never read unbounded)
``Content-Length`` over the limit       ``413``, without reading the body
a ``Content-Encoding`` (gzip, ...)      ``415`` (bodies are read as sent, uncompressed)
missing or wrong bearer token           ``401`` (``--token-file``)
``GET /-/healthy``                      ``200``
any other method or path                ``405``
=====================================  ==========================================

A client that goes away in the middle of its body gets nothing written. The file is
exactly what :func:`desklib.records.read_alerts` reads (``.jsonl`` of webhook payloads).
"""
from __future__ import annotations

import hmac
import ipaddress
import json
import os
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from .alertmap import _payload_alerts, doc_kind
from .records import InputError, _json, _jsonl_rows, _kind, _Unreadable, parse_alerts

__all__ = ["MAX_BYTES", "Refused", "check_payload", "parse_listen", "read_token", "Capture",
           "make_handler", "make_server", "serve"]

MAX_BYTES = 10 * 1024 * 1024      #: the default size limit of one body (10 MB)
READ_TIMEOUT_S = 30               #: a client silent this long mid-request is dropped
HEALTH_PATH = "/-/healthy"


class Refused(Exception):
    """A request answered with an error status and a one-line reason."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


# ----------------------------------------------------------------------------- one body

def _one_line(text: str, doc: dict) -> str:
    """The payload as one JSON line: as sent when it already is one, else re-written compactly."""
    text = text.strip()
    if "\n" not in text and "\r" not in text:
        return text
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def check_payload(body: bytes) -> tuple[str, dict]:
    """A POSTed body -> (the line to append, the payload); :class:`Refused` (400) with the reason.

    The line is read back exactly as the file will be read (:func:`records._jsonl_rows` and
    :func:`records.parse_alerts`, strict), so a capture never holds a line the readers refuse.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(400, f"body is not UTF-8 text (byte 0x{body[exc.start]:02x} at {exc.start})") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise Refused(400, "empty body: expected an Alertmanager or Grafana webhook payload (JSON)")
    try:
        doc = _json(text)
    except ValueError as exc:
        raise Refused(400, f"body is not JSON the desk reads: {exc}") from None
    kind = doc_kind(doc)                        # how the readers tell a webhook payload
    if kind != "webhook":
        got = {"api": "one Alertmanager API v2 alert (post those to an Alertmanager)"}.get(
            kind, _kind(doc) if not isinstance(doc, dict) else "an object without 'alerts'")
        raise Refused(400, f"not an Alertmanager or Grafana webhook payload (an object with 'alerts'): got {got}")
    try:
        items, _ = _payload_alerts(doc, "payload")
    except InputError as exc:
        raise Refused(400, str(exc)) from None
    if not items:
        raise Refused(400, "a webhook payload with no alerts")
    line = _one_line(text, doc)
    (_, again, _), = _jsonl_rows(line)          # read back as the file will be read
    if isinstance(again, _Unreadable):
        raise Refused(400, f"body is not JSON the desk reads: {again.reason}")
    try:
        parse_alerts([(1, doc)], name="payload")
    except InputError as exc:
        raise Refused(400, str(exc)) from None
    return line, doc


def _alerts(n: int) -> str:
    return f"{n} alert{'s' if n != 1 else ''}"


def alert_counts(doc: dict) -> tuple[int, int]:
    """(firing, resolved) entries of a checked payload."""
    resolved = sum(isinstance(a, dict) and a.get("status") == "resolved" for a in doc["alerts"])
    return len(doc["alerts"]) - resolved, resolved


# ----------------------------------------------------------------------------- options

def parse_listen(text: str) -> tuple[str, int]:
    """``127.0.0.1:9099``, ``[::1]:9099`` or ``:9099`` (loopback) -> (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise InputError(f"--listen '{text}': expected HOST:PORT, e.g. 127.0.0.1:9099")
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_token(path: str | Path) -> bytes:
    """The bearer token in ``path`` (surrounding spaces and the final newline stripped)."""
    try:
        token = Path(path).read_bytes().strip()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the token file ({exc.strerror or exc})") from None
    if not token or b"\n" in token:
        raise InputError(f"{path}: expected one token on one line")
    return token


def authorized(header: str | None, token: bytes | None) -> bool:
    """Does an ``Authorization`` header carry ``Bearer <token>``? (constant-time compare)"""
    if token is None:
        return True
    scheme, _, given = (header or "").strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode("utf-8", "replace"), token)


# ----------------------------------------------------------------------------- the file

@dataclass
class Capture:
    """The output file and its counts. :meth:`append` is atomic for readers of the file:
    one ``write`` per line, fsynced, the file cut back to its old size if that fails."""
    path: Path
    max_payloads: int | None = None
    payloads: int = 0
    alerts: int = 0
    refused: Counter = field(default_factory=Counter)
    full: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self.path = Path(self.path)
        if self.path.suffix.lower() not in (".jsonl", ".ndjson"):
            raise InputError(f"{self.path}: the capture is JSON lines; name it .jsonl")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)       # -o build/storm.jsonl on a fresh clone
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise InputError(f"{self.path}: cannot open for appending ({exc.strerror or exc})") from None
        size = os.fstat(self._fd).st_size
        if size:
            with self.path.open("rb") as fh:
                fh.seek(size - 1)
                last = fh.read(1)
            if last != b"\n":
                os.close(self._fd)
                raise InputError(f"{self.path}: does not end with a newline (not a capture written by "
                                 "desk capture?); name another file")
        self._lock = threading.Lock()

    def append(self, line: str, n_alerts: int) -> tuple[int, int]:
        """Write one payload line and fsync it; returns (payloads, alerts) so far."""
        data = (line + "\n").encode("utf-8")
        with self._lock:
            if self.full.is_set():
                raise Refused(503, f"capture stopped after --max-payloads {self.max_payloads}")
            size = os.fstat(self._fd).st_size
            try:
                self._write_all(data)
            except OSError as exc:
                try:
                    os.ftruncate(self._fd, size)      # never leave half a line behind
                except OSError:
                    pass
                raise Refused(507, f"cannot write {self.path.name}: {exc.strerror or exc}") from None
            self.payloads += 1
            self.alerts += n_alerts
            if self.max_payloads is not None and self.payloads >= self.max_payloads:
                self.full.set()
            return self.payloads, self.alerts

    def count_refused(self, status: int | str) -> None:
        with self._lock:
            self.refused[status] += 1

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)


# ----------------------------------------------------------------------------- HTTP

def make_handler(capture: Capture, token: bytes | None = None, max_bytes: int = MAX_BYTES,
                 say: Callable[[str], None] = print, warn: Callable[[str], None] = print):
    """The request handler class: ``say`` gets one line per payload kept, ``warn`` one per refusal."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "desk-capture"
        timeout = READ_TIMEOUT_S

        def log_message(self, format, *args):    # noqa: A002 - our own lines instead
            pass

        def _answer(self, status: int, text: str, **headers: str) -> None:
            body = (text + "\n").encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

        def _refuse(self, exc: Refused, **headers: str) -> None:
            capture.count_refused(exc.status)
            warn(f"refused {exc.status} from {self.client_address[0]}: {exc.reason}")
            self.close_connection = True
            self._answer(exc.status, exc.reason, **headers)

        def _body(self) -> bytes | None:
            """The body, at most ``max_bytes``; None when the client went away mid-body."""
            length = self.headers.get("Content-Length")
            encoding = (self.headers.get("Content-Encoding") or "identity").strip().lower()
            if encoding != "identity":         # Alertmanager and Grafana send plain JSON; a proxy might not
                raise Refused(415, f"Content-Encoding '{encoding[:20]}' is not read: send the body uncompressed")
            if self.headers.get("Transfer-Encoding") or length is None:
                raise Refused(411, "send a Content-Length (chunked bodies are not read)")
            if not length.strip().isdigit():
                raise Refused(400, f"Content-Length '{length[:20]}' is not a byte count")
            n = int(length)
            if n > max_bytes:
                raise Refused(413, f"body of {n} bytes is over the limit of {max_bytes} (--max-bytes)")
            try:
                body = self.rfile.read(n)
            except (TimeoutError, socket.timeout):
                capture.count_refused("incomplete")
                warn(f"client {self.client_address[0]} sent nothing for {self.timeout} s in the middle of "
                     "its body: dropped, nothing written")
                self.close_connection = True
                return None
            except ConnectionError:
                body = b""
            if len(body) < n:
                capture.count_refused("incomplete")
                warn(f"client {self.client_address[0]} went away after {len(body)} of {n} bytes: nothing written")
                self.close_connection = True
                return None
            return body

        def do_POST(self):  # noqa: N802 - http.server's naming
            try:
                if not authorized(self.headers.get("Authorization"), token):
                    raise Refused(401, "missing or wrong bearer token (Authorization: Bearer ...)")
                body = self._body()
                if body is None:
                    return
                line, doc = check_payload(body)
                firing, resolved = alert_counts(doc)
                payloads, alerts = capture.append(line, firing + resolved)
            except Refused as exc:
                extra = {"WWW_Authenticate": "Bearer"} if exc.status == 401 else {}
                self._refuse(exc, **extra)
                return
            self._answer(200, f"ok: payload {payloads}")
            say(f"payload {payloads}: {_alerts(firing + resolved)} ({firing} firing, {resolved} resolved); "
                f"{_alerts(alerts)} in all")

        def do_GET(self):  # noqa: N802
            if self.path == HEALTH_PATH:
                self._answer(200, "OK")
            else:
                self._refuse(Refused(405, f"GET {self.path[:60]}: only POST (webhooks) and GET {HEALTH_PATH}"),
                             Allow="POST")

        def _not_allowed(self):
            self._refuse(Refused(405, f"{self.command}: only POST (webhooks) and GET {HEALTH_PATH}"), Allow="POST")

        do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _not_allowed

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = False          # server_close() waits for the requests in flight
    block_on_close = True
    request_queue_size = 128        # an Alertmanager flushes many groups at once


def make_server(host: str, port: int, handler) -> ThreadingHTTPServer:
    """A threading HTTP server on (host, port); port 0 picks a free one. IPv6 hosts work."""
    cls = _Server
    if ":" in host:
        cls = type("_Server6", (_Server,), {"address_family": socket.AF_INET6})
    try:
        return cls((host, port), handler)
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None


def serve(server: ThreadingHTTPServer, stop: threading.Event, duration_s: float | None = None,
          full: threading.Event | None = None) -> str:
    """Serve until ``stop`` is set, ``full`` is set or ``duration_s`` has passed; returns why.

    Requests in flight are finished before it returns; the server is closed.
    """
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    deadline = None if duration_s is None else time.monotonic() + duration_s
    why = None
    try:
        while why is None:
            left = 0.1 if deadline is None else min(0.1, max(deadline - time.monotonic(), 0.0))
            if stop.wait(left):
                why = "stopped"
            elif full is not None and full.is_set():
                why = "max-payloads"
            elif deadline is not None and time.monotonic() >= deadline:
                why = "duration"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    return why
