"""Records and the files they come from.

Two kinds of record flow through the desk:

* a :class:`Ticket` — something a person wrote to support;
* an :class:`Alert` — something a machine fired at the on-call.

Both are plain, frozen dataclasses with timezone-aware UTC timestamps. This module
reads them from the formats the README documents (tickets and alerts as JSONL or
CSV, alerts also as Prometheus Alertmanager webhook payloads, a service topology as
JSON) and writes them back.

Bad input never gets half-loaded. Every problem raises one :class:`InputError`
whose message names the file, the line (or record), the record's id and the field::

    alerts.jsonl:7: alert 'a07': field 'ts': no UTC offset in '2026-03-02 02:01'

or, with ``on_error="collect"``, the bad record is set aside with that reason in a
:class:`LoadReport`, which accounts for every record read (used, set aside or merged)
and notes what was read but not used (unknown fields, near misses, truncated payloads).

pandas is imported only inside the ``*_to_frame`` helpers, so the command line
starts fast.
"""
from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import re
import sys
import warnings
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

__all__ = [
    "InputError", "Ticket", "Alert",
    "LoadReport", "load_tickets", "load_alerts", "read_tickets", "read_alerts", "load_topology", "load_ticket_truth", "load_alert_truth",
    "parse_tickets", "parse_alerts",
    "save_tickets", "save_alerts", "tickets_to_frame", "alerts_to_frame",
    "parse_timestamp", "isoz", "EARLIEST", "LATEST",
    "TICKET_STATUSES", "ALERT_SEVERITIES",
]

TICKET_STATUSES = ("new", "open", "pending", "solved")
ALERT_SEVERITIES = ("critical", "warning", "info")
TICKET_FIELDS = ("id", "created_at", "subject", "body", "customer", "channel",
                 "status", "first_response_at", "resolved_at")
ALERT_FIELDS = ("id", "ts", "service", "name", "severity", "labels", "summary")


class InputError(ValueError):
    """A record that cannot be read, with where and why, in one line."""


@dataclass(frozen=True)
class Ticket:
    """One support ticket. Timestamps are timezone-aware UTC."""
    id: str
    created_at: datetime
    subject: str = ""
    body: str = ""
    customer: str | None = None
    channel: str | None = None
    status: str = "new"
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None

    @property
    def text(self) -> str:
        """Subject and body together: what a reader (or a classifier) sees."""
        return f"{self.subject}\n{self.body}"


@dataclass(frozen=True)
class Alert:
    """One fired alert. ``ts`` is when it started firing, timezone-aware UTC."""
    id: str
    ts: datetime
    service: str
    name: str
    severity: str
    labels: dict[str, str] = field(default_factory=dict, hash=False)
    summary: str = ""


# ----------------------------------------------------------------------------- timestamps

_FRACTION = re.compile(r"(\.\d{6})\d+")   # Alertmanager writes nanoseconds; Python keeps micro
#: Alertmanager's zero time: "not set" (e.g. the ``endsAt`` of an alert still firing).
_ZERO_TIME = re.compile(r"\s*0001-01-01[T ]00:00:00(\.0+)?([Zz]|[+-]00:?00)\s*")
#: The span of time the desk works in: what pandas can hold (64-bit nanoseconds, years
#: 1677-2262), kept to whole years. Alert times, SLA clocks and frames all fit inside.
EARLIEST = datetime(1678, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2262, 1, 1, tzinfo=timezone.utc)   # exclusive


def _in_range(ts: datetime, value: Any) -> datetime:
    try:
        utc = ts.astimezone(timezone.utc)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(f"'{_clip(value)}' is outside the years the desk handles "
                         f"({EARLIEST.year}-{LATEST.year - 1} UTC)")
    return utc


def parse_timestamp(value: Any) -> datetime:
    """ISO-8601 text with a UTC offset -> aware UTC datetime; ValueError says why not."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"no UTC offset in '{value.isoformat()}'")
        return _in_range(value, value.isoformat())
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO-8601 timestamp (text), got {_kind(value)}")
    text = value.strip()
    if text.endswith("z"):          # RFC 3339 allows a lower-case zone designator
        text = text[:-1] + "Z"
    try:
        parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", text) if "." in text else text)
    except ValueError:
        raise ValueError(f"not an ISO-8601 timestamp: '{_clip(value)}'") from None
    if parsed.tzinfo is None:
        raise ValueError(f"no UTC offset in '{_clip(value)}'")
    return _in_range(parsed, value)


def isoz(ts: datetime | None) -> str | None:
    """Aware datetime -> '2026-03-02T02:00:00Z' (seconds precision unless it has micros)."""
    if ts is None:
        return None
    ts = ts.astimezone(timezone.utc)
    spec = "seconds" if ts.microsecond == 0 else "microseconds"
    return ts.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"number {_clip(repr(value), 30)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


#: Line breaks and other control characters, shown escaped so that a message stays one line.
_ONE_LINE = {c: repr(chr(c))[1:-1] for c in [*range(0x20), 0x7f, 0x85, 0x2028, 0x2029]}


def _clip(text: Any, width: int = 60) -> str:
    """A value as a message shows it: at most ``width`` characters, on one line."""
    text = str(text)
    text = text if len(text) <= width else text[: width - 1] + "…"
    # never let a lone surrogate (invalid Unicode) reach a message that gets printed
    return text.translate(_ONE_LINE).encode("utf-8", "backslashreplace").decode("utf-8")


# ----------------------------------------------------------------------------- what was read

@dataclass
class LoadReport:
    """What a loader did with a file: every record read is used, set aside or merged.

    ``read == used + set_aside + merged`` always holds. ``merged`` counts records that are
    by design the same record as another (an Alertmanager re-notification). ``rejects``
    holds the set-aside records as ``{"file", "line", "reason", "record"}`` (the record as
    it was read: the JSON value, the CSV row, or the text of a line that is not JSON);
    ``notes`` says what was ignored, mapped or renamed, one line each.
    """
    file: str
    read: int = 0
    used: int = 0
    set_aside: int = 0
    merged: int = 0
    notes: list[str] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The ``"input"`` object of every ``--json`` document."""
        return {"read": self.read, "used": self.used, "set_aside": self.set_aside, "merged": self.merged}

    def line(self, rejects_file: str | None = None) -> str:
        """``48 read, 46 used, 2 set aside in rejects.jsonl, 0 merged``."""
        where = f" in {rejects_file}" if rejects_file else ""
        return (f"{self.read} read, {self.used} used, {self.set_aside} set aside{where}, "
                f"{self.merged} merged")

    def _reject(self, line: Any, reason: str, record: Any) -> None:
        self.set_aside += 1
        self.rejects.append({"file": self.file, "line": line, "reason": reason, "record": record})


_ON_ERROR = ("raise", "collect")


def _check_on_error(on_error: str) -> None:
    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error must be 'raise' or 'collect', got {on_error!r}")


# ----------------------------------------------------------------------------- JSON, safely

class _JSONProblem(ValueError):
    """Text that is not a JSON value the desk can take; the message says why."""


#: Longer integers than this are refused (Python itself stops at 4300 digits).
MAX_DIGITS = 100


def _object(pairs: list[tuple[str, Any]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _JSONProblem(f"key '{_clip(key, 40)}' appears twice in one object "
                                   "(which value is meant?)")
            seen.add(key)
    return obj


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _JSONProblem(f"number {_clip(text, 24)} is too large")
    return value


def _int(text: str) -> int:
    if len(text) > MAX_DIGITS:
        raise _JSONProblem(f"a number of {len(text)} digits (at most {MAX_DIGITS})")
    return int(text)


def _constant(name: str) -> Any:
    raise _JSONProblem(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_float=_float, parse_int=_int,
                            parse_constant=_constant)


def _json(text: str) -> Any:
    """json.loads that refuses what the desk cannot take, always with a ValueError saying why.

    Duplicate keys, NaN/Infinity, numbers too large, nesting too deep: a _JSONProblem
    (``lineno`` set when the position is known).
    """
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        problem = _JSONProblem(f"invalid JSON ({exc.msg} at column {exc.colno})")
        problem.lineno = exc.lineno
        raise problem from None
    except RecursionError:
        raise _JSONProblem("JSON nested too deeply") from None
    except _JSONProblem:
        raise
    except ValueError as exc:       # anything else the decoder refuses
        raise _JSONProblem(f"invalid JSON ({_clip(exc, 80)})") from None


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _lone_surrogate(value: Any, path: str = "") -> str | None:
    """Where in ``value`` a text holds a lone surrogate (not valid Unicode), or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "(text)"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if _lone_surrogate(key):
                return f"{path}.(a key)" if path else "(a key)"
            where = _lone_surrogate(item, f"{path}.{key}" if path else key)
            if where:
                return where
    elif isinstance(value, list):
        for i, item in enumerate(value):
            where = _lone_surrogate(item, f"{path}[{i}]")
            if where:
                return where
    return None


# ----------------------------------------------------------------------------- reading files

class _Unreadable:
    """A record that could not even be read (not JSON, too many CSV values, ...)."""
    __slots__ = ("reason", "field")

    def __init__(self, reason: str, fieldname: str | None = None):
        self.reason, self.field = reason, fieldname


def _decode(raw: bytes, name: str) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{name}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                         "save the file as UTF-8") from None
    if not text.strip():
        raise InputError(f"{name}: file is empty (no records)")
    return text


def _read_text(path: Path) -> str:
    """File -> text. UTF-8 (a BOM is fine), any line endings; clear errors otherwise."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return _decode(raw, path.name)


STDIN = "-"
_stdin_read: tuple[Any, bytes] | None = None   # standard input is read once, whoever asks twice


def _stdin_bytes() -> bytes:
    global _stdin_read
    if _stdin_read is None or _stdin_read[0] is not sys.stdin:
        _stdin_read = (sys.stdin, sys.stdin.buffer.read())
    return _stdin_read[1]


def _source(path: str | Path) -> tuple[str, str, str]:
    """``path`` -> (name for messages, text, format: csv | jsonl | json). ``-`` is standard input."""
    if str(path) == STDIN:
        name = "<stdin>"
        text = _decode(_stdin_bytes(), name)
        return name, text, ("json" if text.lstrip()[:1] in ("{", "[") else "csv")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson", ".json"):
        if not path.exists():
            raise InputError(f"{path}: file not found")
        raise InputError(f"{path.name}: unknown file type '{suffix}' (use .jsonl, .json or .csv)")
    text = _read_text(path)
    return path.name, text, {".csv": "csv", ".json": "json"}.get(suffix, "jsonl")


def _jsonl_rows(text: str) -> Iterator[tuple[int, Any, Any]]:
    """(line, record, raw) per non-blank line; lines end at '\\n' only (U+2028 is text)."""
    for lineno, line in enumerate(text.split("\n"), start=1):
        if line.endswith("\r"):
            line = line[:-1]
        if not line.strip():
            continue
        try:
            rec = _json(line)
        except _JSONProblem as exc:
            yield lineno, _Unreadable(str(exc)), line
            continue
        where = _SURROGATE.search(line) and _lone_surrogate(rec)
        if where:
            yield lineno, _Unreadable(_SURROGATE_PROBLEM, where), rec
            continue
        yield lineno, rec, rec


_SURROGATE_PROBLEM = r"text with a lone surrogate (\ud800-\udfff), not valid Unicode"


def _one_json_per_line(text: str) -> bool:
    """Does a .json file hold JSON lines (several values, one per line) rather than one value?"""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if len(lines) < 2 or not lines[0].lstrip().startswith("{"):
        return False
    try:
        json.loads(lines[0])
    except (ValueError, RecursionError):
        return False
    return True


def _json_rows(text: str, name: str) -> Iterator[tuple[Any, Any, Any]]:
    """A whole-file JSON value: a list of records, or one object; JSON lines also accepted."""
    if _one_json_per_line(text):
        yield from _jsonl_rows(text)
        return
    try:
        doc = _json(text)
    except _JSONProblem as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(f"{name}:{line}: {exc}" if line else f"{name}: {exc}") from None
    items = [(f"[{i}]", rec) for i, rec in enumerate(doc)] if isinstance(doc, list) else [("", doc)]
    check = _SURROGATE.search(text) is not None
    for line, rec in items:
        where = check and _lone_surrogate(rec)
        yield (line, _Unreadable(_SURROGATE_PROBLEM, where), rec) if where else (line, rec, rec)


def _delimiter(text: str) -> str:
    """',' unless the header is clearly split by ';' or tabs (spreadsheets in many locales)."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] > counts[","] else ","


csv.field_size_limit(64 * 1024 * 1024)   # a pasted log of many MB is still one field


def _csv_error(name: str, line: int, exc: csv.Error) -> InputError:
    why = str(exc)
    if "unexpected end of data" in why:
        why = "a quoted field opened in this record is never closed (a missing '\"')"
    return InputError(f"{name}:{line}: malformed CSV: {why}; nothing after it can be read safely")


def _csv_rows(text: str, name: str, required: Iterable[str], read: Iterable[str],
              report: LoadReport | None = None, kind: str = "record",
              unread: Iterable[str] = ()) -> Iterator[tuple[int, Any, dict]]:
    """(line, record, raw row) per data row. The header must name ``required``; a column
    the desk reads (``read``) may appear once only; other columns are reported in notes."""
    required, read = tuple(required), tuple(read)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise _csv_error(name, 1, exc) from None
    columns: dict[str, list[int]] = {}
    for i, h in enumerate(header):
        columns.setdefault(h, []).append(i)
    notes = []
    for h, where in columns.items():
        cols = ", ".join(str(i + 1) for i in where)
        if len(where) > 1 and h in read:
            raise InputError(f"{name}:1: header: column '{h}' appears {len(where)} times (columns {cols}); "
                             "the desk reads it, so which one is meant?")
        if h not in read:
            notes.append(_unknown_note(name, "column", h, kind, read, unread,
                                       f"column {cols}" if len(where) == 1 else f"{len(where)} columns: {cols}"))
    missing = [c for c in required if c not in columns]
    if missing:
        cols = ", ".join(f"'{c}'{_hint(c, columns)}" for c in missing)
        raise InputError(f"{name}:1: header: missing column(s) {cols} "
                         f"(the first line must name the columns: {', '.join(required)})")
    if report is not None:
        report.notes.extend(notes)
    first = {h: where[0] for h, where in columns.items() if h}   # near misses stay visible to hints
    names = [h if len(columns[h]) == 1 else f"{h} ({columns[h].index(i) + 1})" for i, h in enumerate(header)]
    end = reader.line_num
    try:
        for values in reader:
            start, end = end + 1, reader.line_num
            if all(not v.strip() for v in values):
                continue
            raw = dict(zip(names, values))
            if len(values) > len(header):
                raw["(extra values)"] = values[len(header):]
                yield start, _Unreadable(f"{len(values)} values but the header has {len(header)} columns "
                                         "(more values than the header has columns)"), raw
                continue
            # an empty CSV cell means "not given", as an absent JSON key does
            yield start, {h: values[i] for h, i in first.items() if i < len(values) and values[i] != ""}, raw
    except csv.Error as exc:
        raise _csv_error(name, end + 1, exc) from None


def _hint(key: str, present: Iterable[str]) -> str:
    """`` (the record has 'creatd_at': a misspelling?)`` when a near miss of ``key`` is there."""
    for other in present:
        if other != key and _near(other, (key,)) == key:
            return f" (found '{_clip(other, 30)}' instead: a misspelling?)"
    return ""


def _near(key: str, fields: Iterable[str]) -> str | None:
    """The known field ``key`` is a near miss of (other case, a typo), or None."""
    fields = tuple(fields)
    low = key.strip().lower()
    for f in fields:
        if f.lower() == low:
            return f
    match = difflib.get_close_matches(low, fields, n=1, cutoff=0.8)
    return match[0] if match else None


def _unknown_note(name: str, what: str, key: str, kind: str, read: Iterable[str],
                  unread: Iterable[str], where: str) -> str:
    shown = _clip(key, 40)
    if not key:
        return f"{name}: a {what} with no name ({where}) is not read; ignored"
    if key in unread:
        return f"{name}: {what} '{shown}' ({where}) is not read by the desk; ignored"
    near = _near(key, tuple(read) + tuple(unread))
    hint = f" (did you mean '{near}'?)" if near else ""
    return f"{name}: {what} '{shown}' is not a {kind} field{hint} ({where}); ignored"


class _Unknown:
    """Counts the keys of JSON records the desk does not read, for one note per key."""

    def __init__(self, name: str, kind: str, read: Iterable[str], unread: Iterable[str] = ()):
        self.name, self.kind, self.read, self.unread = name, kind, tuple(read), tuple(unread)
        self.known = frozenset(self.read)
        self.seen: dict[str, list] = {}

    def add(self, rec: Any, line: Any) -> None:
        if isinstance(rec, dict) and not self.known.issuperset(rec):
            for key in rec.keys() - self.known:
                entry = self.seen.setdefault(key, [0, line])
                entry[0] += 1

    def notes(self) -> list[str]:
        out = []
        for key in sorted(self.seen):
            count, line = self.seen[key]
            where = f"{count} record{'s' if count != 1 else ''}, first at {_at(line)}"
            out.append(_unknown_note(self.name, "key", key, self.kind, self.read, self.unread, where))
        return out


def _at(line: Any) -> str:
    return f"line {line}" if isinstance(line, int) else str(line or "the record")


class _Where:
    """Builds the 'file:line: kind 'id': field 'f': problem' prefix."""

    def __init__(self, name: str, line: int | str, kind: str, rid: Any = None):
        self.name, self.line, self.kind, self.rid = name, line, kind, rid

    def error(self, fieldname: str | None, problem: str) -> InputError:
        parts = [f"{self.name}:{self.line}" if self.line not in ("", None) else self.name]
        if self.rid is not None:
            parts.append(f"{self.kind} '{_clip(self.rid, 40)}'")
        if fieldname:
            parts.append(f"field '{_clip(fieldname, 40)}'")
        parts.append(problem)
        return InputError(": ".join(parts))


def _missing(rec: dict, key: str) -> str:
    return ("missing" if key not in rec else "is null") + _hint(key, rec)


def _text(rec: dict, key: str, where: _Where, required: bool = False,
          default: str | None = None) -> str | None:
    value = rec.get(key)
    if value is None:
        if required:
            raise where.error(key, _missing(rec, key))
        return default
    if not isinstance(value, str):
        raise where.error(key, f"expected text, got {_kind(value)}")
    if required and not value.strip():
        raise where.error(key, "is empty")
    return value


def _time(rec: dict, key: str, where: _Where, required: bool = False) -> datetime | None:
    value = rec.get(key)
    if value is None or value == "":
        if required:
            raise where.error(key, _missing(rec, key) if value is None else "is empty")
        return None
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise where.error(key, str(exc)) from None


def _record_id(rec: Any, where: _Where) -> str:
    if not isinstance(rec, dict):
        raise where.error(None, f"expected a JSON object per record, got {_kind(rec)}")
    value = rec.get("id")
    if value is None:
        raise where.error("id", _missing(rec, "id"))
    if not isinstance(value, str):
        raise where.error("id", f"expected text, got {_kind(value)}")
    rid = value.strip()
    if not rid:
        raise where.error("id", "is empty" if not value else "is only spaces")
    where.rid = rid
    return rid


def _parse(rows: Iterable[tuple[Any, Any, Any]], name: str, kind: str, build, on_error: str,
           report: LoadReport, unknown: _Unknown | None) -> list:
    """The loop every reader shares: build each record, refuse or set aside the bad ones."""
    _check_on_error(on_error)
    seen: dict[str, Any] = {}
    out = []
    stripped = 0
    for line, rec, raw in rows:
        report.read += 1
        where = _Where(name, line, kind)
        try:
            if isinstance(rec, _Unreadable):
                rid = raw.get("id") if isinstance(raw, dict) else None
                if isinstance(rid, str) and rid.strip() and not _lone_surrogate(rid):
                    where.rid = rid.strip()
                raise where.error(rec.field, rec.reason)
            if unknown is not None:
                unknown.add(rec, line)
            item = build(rec, where)
            if item.id in seen:
                raise where.error("id", f"duplicate id (first seen at {_at(seen[item.id])})")
        except InputError as exc:
            if on_error == "raise":
                raise
            report._reject(line, str(exc), raw)
            continue
        seen[item.id] = line
        stripped += item.id != rec["id"]
        out.append(item)
    if unknown is not None:
        report.notes.extend(unknown.notes())
    if stripped:
        report.notes.append(f"{name}: {stripped} id{'s' if stripped != 1 else ''} had spaces around "
                            "them; stripped")
    report.used = len(out)
    if report.read == 0:
        raise InputError(f"{name}: no {kind}s in the file")
    return out


# ----------------------------------------------------------------------------- tickets

#: Fields of ticket exports the desk knows and does not read (severity comes from the text).
TICKET_UNREAD = ("priority", "tags", "assignee", "requester", "updated_at", "type", "group")


def _ticket(rec: Any, where: _Where) -> Ticket:
    rid = _record_id(rec, where)
    created = _time(rec, "created_at", where, required=True)
    if "subject" not in rec and "body" not in rec:
        hint = _hint("subject", rec) or _hint("body", rec)
        raise where.error("body", "subject and body both missing (either may be empty, not both absent)" + hint)
    subject = _text(rec, "subject", where, default="")
    body = _text(rec, "body", where, default="")
    status = _text(rec, "status", where, default="new").strip().lower()
    if status not in TICKET_STATUSES:
        raise where.error("status", f"unknown status '{_clip(status)}' (one of {', '.join(TICKET_STATUSES)})")
    first = _time(rec, "first_response_at", where)
    resolved = _time(rec, "resolved_at", where)
    for key, ts in (("first_response_at", first), ("resolved_at", resolved)):
        if ts is not None and ts < created:
            raise where.error(key, f"{isoz(ts)} is before created_at {isoz(created)}")
    return Ticket(id=rid, created_at=created, subject=subject, body=body,
                  customer=_text(rec, "customer", where), channel=_text(rec, "channel", where),
                  status=status, first_response_at=first, resolved_at=resolved)


def _ticket_rows(rows: Iterable[tuple[int | str, Any]]) -> Iterator[tuple[Any, Any, Any]]:
    for line, rec in rows:
        yield line, rec, rec


def parse_tickets(rows: Iterable[tuple[int | str, Any]], name: str = "<tickets>",
                  on_error: str = "raise", report: LoadReport | None = None) -> list[Ticket]:
    """(line, record) pairs -> tickets, in input order.

    ``on_error="raise"`` (the default) raises InputError on the first bad record;
    ``"collect"`` sets bad records aside in ``report`` (a :class:`LoadReport`) and goes on.
    """
    report = report if report is not None else LoadReport(name)
    return _parse(_ticket_rows(rows), name, "ticket", _ticket, on_error, report,
                  _Unknown(name, "ticket", TICKET_FIELDS, TICKET_UNREAD))


def read_tickets(path: str | Path, on_error: str = "raise") -> tuple[list[Ticket], LoadReport]:
    """Tickets from ``.jsonl``, ``.json`` or ``.csv`` (``-``: standard input), with the report of
    what was read, used and set aside (see :class:`LoadReport`)."""
    _check_on_error(on_error)
    name, text, fmt = _source(path)
    report = LoadReport(name)
    if fmt == "csv":
        rows = _csv_rows(text, name, ("id", "created_at"), TICKET_FIELDS, report, "ticket", TICKET_UNREAD)
        unknown = None
    else:
        rows = _jsonl_rows(text) if fmt == "jsonl" else _json_rows(text, name)
        unknown = _Unknown(name, "ticket", TICKET_FIELDS, TICKET_UNREAD)
    tickets = _parse(rows, name, "ticket", _ticket, on_error, report, unknown)
    return tickets, report


def load_tickets(path: str | Path, on_error: str = "raise") -> list[Ticket]:
    """Read tickets from ``.jsonl``, ``.json`` or ``.csv`` (see the README for the fields).

    Strict by default: the first bad record raises InputError. ``on_error="collect"`` keeps
    the good ones; :func:`read_tickets` also returns what was set aside and why.
    """
    tickets, report = read_tickets(path, on_error)
    _warn_set_aside(report, "read_tickets")
    return tickets


def _warn_set_aside(report: LoadReport, reader: str) -> None:
    """The records-only loaders still say what they set aside and what they ignored."""
    if report.set_aside:
        warnings.warn(f"{report.file}: {report.line()}; {reader}() returns the records set aside "
                      "and why", stacklevel=3)
    if report.notes:
        more = len(report.notes) - 3
        warnings.warn("; ".join(report.notes[:3]) + (f"; and {more} more ({reader}() returns them all)"
                                                     if more > 0 else ""), stacklevel=3)


# ----------------------------------------------------------------------------- alerts

def _labels(value: Any, where: _Where, key: str = "labels") -> dict[str, str]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):          # CSV: the labels cell holds a JSON object
        try:
            value = _json(value)
        except _JSONProblem as exc:
            raise where.error(key, f"expected a JSON object like {{\"instance\": \"db-0\"}} ({exc}), "
                                   f"got '{_clip(value)}'") from None
    if not isinstance(value, dict):
        raise where.error(key, f"expected an object of name -> text, got {_kind(value)}")
    out = {}
    for k in sorted(value):
        v = value[k]
        if not isinstance(v, str):
            raise where.error(f"{key}.{k}", f"expected text, got {_kind(v)}")
        out[k] = v
    return out


def _severity(value: Any, where: _Where, key: str = "severity") -> str:
    if not isinstance(value, str):
        raise where.error(key, "missing" if value is None else f"expected text, got {_kind(value)}")
    sev = value.strip().lower()
    if sev not in ALERT_SEVERITIES:
        raise where.error(key, f"unknown severity '{_clip(value)}' (one of {', '.join(ALERT_SEVERITIES)})")
    return sev


def _alert(rec: Any, where: _Where) -> Alert:
    rid = _record_id(rec, where)
    return Alert(id=rid, ts=_time(rec, "ts", where, required=True),
                 service=_text(rec, "service", where, required=True),
                 name=_text(rec, "name", where, required=True),
                 severity=_severity(rec.get("severity"), where),
                 labels=_labels(rec.get("labels"), where),
                 summary=_text(rec, "summary", where, default=""))


def _is_webhook(rec: Any) -> bool:
    return isinstance(rec, dict) and ("alerts" in rec or "version" in rec or "groupKey" in rec)


#: The fields of an Alertmanager webhook payload and of each alert in it (its documentation).
WEBHOOK_FIELDS = ("version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels",
                  "commonLabels", "commonAnnotations", "externalURL", "alerts")
WEBHOOK_ALERT_FIELDS = ("status", "labels", "annotations", "startsAt", "endsAt", "generatorURL",
                        "fingerprint")


def _webhook_alert(item: Any, w: _Where, service_label: str) -> tuple[Alert, str, datetime]:
    if not isinstance(item, dict):
        raise w.error(None, f"expected an alert object, got {_kind(item)}")
    labels = _labels(item.get("labels"), w)
    fp = item.get("fingerprint")
    if fp is not None and not isinstance(fp, str):
        raise w.error("fingerprint", f"expected text, got {_kind(fp)}")
    fp = (fp or "").strip()
    if not fp:   # older Alertmanagers omit it: a stable hash of the label set instead
        fp = hashlib.sha1(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
    w.rid = fp
    # an empty label value is a missing label (Prometheus treats them the same)
    if not labels.get("alertname", "").strip():
        raise w.error("labels.alertname", "missing" if "alertname" not in labels else "is empty")
    if not labels.get(service_label, "").strip():
        raise w.error(f"labels.{service_label}",
                      ("is empty" if service_label in labels else "missing") +
                      " (choose the label that names the service with service_label / --service-label)")
    starts_at = item.get("startsAt")
    if isinstance(starts_at, str) and _ZERO_TIME.fullmatch(starts_at):
        raise w.error("startsAt", "is Alertmanager's zero time (not set)")
    starts = _time(item, "startsAt", w, required=True)
    ends_at = item.get("endsAt")
    if not (isinstance(ends_at, str) and _ZERO_TIME.fullmatch(ends_at)):
        _time(item, "endsAt", w)          # checked, not used: the desk works from startsAt
    annotations = item.get("annotations")
    if annotations is None:
        annotations = {}
    if not isinstance(annotations, dict):
        raise w.error("annotations", f"expected an object, got {_kind(annotations)}")
    summary = annotations.get("summary") or annotations.get("description") or ""
    if not isinstance(summary, str):
        raise w.error("annotations.summary", f"expected text, got {_kind(summary)}")
    sev = labels.get("severity", "").strip() or "warning"   # Alertmanager does not require one
    alert = Alert(id=fp, ts=starts, service=labels[service_label], name=labels["alertname"],
                  severity=_severity(sev, w, "labels.severity"), labels=labels, summary=summary)
    return alert, fp, starts


def _canonical(a: Alert) -> tuple:
    return (a.service, a.name, a.severity, json.dumps(a.labels, sort_keys=True), a.summary)


def _webhook_alerts(payloads: Iterable[tuple[Any, Any, Any]], name: str, service_label: str,
                    on_error: str = "raise", report: LoadReport | None = None) -> list[Alert]:
    """Alertmanager webhook payloads -> alerts.

    id is the alert's ``fingerprint``. The same fingerprint with the same ``startsAt``
    in a later payload (a re-notification, or the "resolved" message) is the same
    alert: kept once and counted as merged. The same fingerprint with a *later*
    ``startsAt`` is the alert firing again (flapping): it becomes ``fingerprint@startsAt``,
    so the earliest firing keeps the bare fingerprint whatever order the payloads come in.
    """
    _check_on_error(on_error)
    report = report if report is not None else LoadReport(name)
    firings: dict[tuple[str, datetime], list[Alert]] = {}
    payload_keys = _Unknown(name, "webhook payload", WEBHOOK_FIELDS)
    alert_keys = _Unknown(name, "webhook alert", WEBHOOK_ALERT_FIELDS)

    def refuse(line: Any, exc: InputError, raw: Any) -> None:
        if on_error == "raise":
            raise exc
        report._reject(line, str(exc), raw)

    for line, payload, raw in payloads:
        where = _Where(name, line, "payload")
        problem = None
        if isinstance(payload, _Unreadable):
            problem = where.error(payload.field, payload.reason)
        elif not isinstance(payload, dict):
            problem = where.error(None, f"expected a webhook payload object, got {_kind(payload)}")
        elif payload.get("alerts") is None:
            problem = where.error("alerts", "missing (not an Alertmanager webhook payload?)")
        elif not isinstance(payload["alerts"], list):
            problem = where.error("alerts", f"expected a list, got {_kind(payload['alerts'])}")
        if problem is not None:
            report.read += 1
            refuse(line, problem, raw)
            continue
        payload_keys.add(payload, line)
        left_out = payload.get("truncatedAlerts")
        if isinstance(left_out, int) and not isinstance(left_out, bool) and left_out > 0:
            report.notes.append(f"{name}: {_at(line) if line != '' else 'the payload'}: Alertmanager left out "
                                f"{left_out} alert{'s' if left_out != 1 else ''} (truncatedAlerts); "
                                "they are not in this file")
        elif left_out not in (None, 0):
            report.notes.append(f"{name}: {_at(line) if line != '' else 'the payload'}: truncatedAlerts "
                                f"{_kind(left_out)} is not a count; ignored")
        for i, item in enumerate(payload["alerts"], start=1):
            report.read += 1
            w = _Where(name, f"{line}: alerts[{i}]" if line not in ("", None) else f"alerts[{i}]", "alert")
            alert_keys.add(item, w.line)
            try:
                alert, fp, starts = _webhook_alert(item, w, service_label)
            except InputError as exc:
                refuse(w.line, exc, item)
                continue
            firings.setdefault((fp, starts), []).append(alert)
    report.notes.extend(payload_keys.notes() + alert_keys.notes())
    if report.read == 0:
        raise InputError(f"{name}: the webhook payloads hold no alerts")
    first_start: dict[str, datetime] = {}
    for fp, starts in firings:
        if fp not in first_start or starts < first_start[fp]:
            first_start[fp] = starts
    out = []
    for (fp, starts), same in firings.items():
        report.merged += len(same) - 1
        alert = min(same, key=_canonical)      # the same alert sent again: one of them, whatever the order
        if starts != first_start[fp]:
            alert = replace(alert, id=f"{fp}@{isoz(starts)}")
        out.append(alert)
    out = _unique_ids(out, name, report)
    report.used = len(out)
    return out


def _unique_ids(alerts: list[Alert], name: str, report: LoadReport) -> list[Alert]:
    """A fingerprint may equal another alert's ``fingerprint@startsAt``: rename, never drop."""
    groups: dict[str, list[int]] = {}
    for i, a in enumerate(alerts):
        groups.setdefault(a.id, []).append(i)
    if all(len(g) == 1 for g in groups.values()):
        return alerts
    taken = set(groups)
    alerts = list(alerts)
    for aid in sorted(aid for aid, g in groups.items() if len(g) > 1):
        order = sorted(groups[aid], key=lambda i: (alerts[i].ts, _canonical(alerts[i])))
        renamed = []
        for i in order[1:]:
            k = 2
            while f"{aid}#{k}" in taken:
                k += 1
            taken.add(f"{aid}#{k}")
            alerts[i] = replace(alerts[i], id=f"{aid}#{k}")
            renamed.append(f"'{aid}#{k}'")
        report.notes.append(f"{name}: {len(order)} different alerts have the id '{_clip(aid, 60)}'; "
                            f"the later ones are {', '.join(renamed)}")
    return alerts


def _alert_rows(rows: Iterable[tuple[int | str, Any]]) -> list[tuple[Any, Any, Any]]:
    return [(line, rec, rec) for line, rec in rows]


def _alerts(rows: list[tuple[Any, Any, Any]], name: str, service_label: str, on_error: str,
            report: LoadReport, unknown: bool = True) -> list[Alert]:
    readable = [rec for _, rec, _ in rows if not isinstance(rec, _Unreadable)]
    if readable and all(_is_webhook(rec) for rec in readable):
        return _webhook_alerts(rows, name, service_label, on_error, report)
    if any(_is_webhook(rec) for _, rec, _ in rows):
        mixed = [(line, _Unreadable("a webhook payload mixed with plain alert records")
                  if _is_webhook(rec) else rec, raw) for line, rec, raw in rows]
        rows = mixed
    return _parse(rows, name, "alert", _alert, on_error, report,
                  _Unknown(name, "alert", ALERT_FIELDS) if unknown else None)


def parse_alerts(rows: Iterable[tuple[int | str, Any]], name: str = "<alerts>",
                 service_label: str = "service", on_error: str = "raise",
                 report: LoadReport | None = None) -> list[Alert]:
    """(line, record) pairs -> alerts; webhook payloads among them are detected and expanded."""
    _check_on_error(on_error)
    report = report if report is not None else LoadReport(name)
    return _alerts(_alert_rows(rows), name, service_label, on_error, report)


def read_alerts(path: str | Path, service_label: str = "service",
                on_error: str = "raise") -> tuple[list[Alert], LoadReport]:
    """Alerts with the report of what was read, used, merged and set aside (:class:`LoadReport`)."""
    _check_on_error(on_error)
    name, text, fmt = _source(path)
    report = LoadReport(name)
    if fmt == "csv":
        rows = list(_csv_rows(text, name, ("id", "ts", "service", "name", "severity"), ALERT_FIELDS,
                              report, "alert"))
        return _alerts(rows, name, service_label, on_error, report, unknown=False), report
    rows = list(_jsonl_rows(text) if fmt == "jsonl" else _json_rows(text, name))
    if fmt == "json" and len(rows) == 1 and rows[0][0] == "" and not _is_webhook(rows[0][1]) \
            and not isinstance(rows[0][1], _Unreadable):
        raise InputError(f"{name}: expected an Alertmanager webhook payload (an object with "
                         f"'alerts') or a list, got {_kind(rows[0][1])}")
    return _alerts(rows, name, service_label, on_error, report), report


def load_alerts(path: str | Path, service_label: str = "service", on_error: str = "raise") -> list[Alert]:
    """Read alerts from ``.jsonl``/``.csv`` records or Alertmanager webhook JSON.

    A ``.json`` file may hold one webhook payload, a list of payloads, or a list of
    alert records; a ``.jsonl`` file one payload or one alert record per line.
    ``service_label`` names the webhook label that carries the service. Strict by
    default; ``on_error="collect"`` keeps the good records (:func:`read_alerts` also
    returns what was set aside and why).
    """
    alerts, report = read_alerts(path, service_label, on_error)
    _warn_set_aside(report, "read_alerts")
    return alerts


def _load_json(path: Path) -> Any:
    text = _read_text(path)
    try:
        return _json(text)
    except _JSONProblem as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(f"{path.name}:{line}: {exc}" if line else f"{path.name}: {exc}") from None


# ----------------------------------------------------------------------------- topology and truth

def load_topology(path: str | Path) -> dict[str, tuple[str, ...]]:
    """``{"web": ["orders", "auth"], ...}`` -> service -> the services it depends on.

    Services that appear nowhere are simply isolated: not an error. The shape is checked by
    :func:`desklib.policy.check_topology`, the same check every correlation applies.
    """
    from .policy import check_topology     # policy imports this module: import here, not at the top
    path = Path(path)
    doc = _load_json(path)
    if _lone_surrogate(doc):
        raise InputError(f"{path.name}: {_SURROGATE_PROBLEM}")
    return check_topology(doc, path.name)


def _truth_rows(path: Path, columns: tuple[str, ...], read: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
    text = _read_text(path)
    for lineno, row, _ in _csv_rows(text, path.name, columns, read):
        if isinstance(row, _Unreadable):
            raise InputError(f"{path.name}:{lineno}: {row.reason}")
        for col in columns:
            if not row.get(col, "").strip():
                raise InputError(f"{path.name}:{lineno}: field '{col}': missing")
        yield lineno, row


def load_ticket_truth(path: str | Path) -> dict[str, str]:
    """``id,severity[,note]`` CSV -> {ticket id: "SEV1".."SEV4"}."""
    path = Path(path)
    truth: dict[str, str] = {}
    for lineno, row in _truth_rows(path, ("id", "severity"), ("id", "severity")):
        sev = row["severity"].strip().upper()
        if sev not in ("SEV1", "SEV2", "SEV3", "SEV4"):
            raise InputError(f"{path.name}:{lineno}: ticket '{_clip(row['id'])}': field 'severity': unknown severity '{_clip(sev)}'")
        if row["id"] in truth:
            raise InputError(f"{path.name}:{lineno}: ticket '{_clip(row['id'])}': field 'id': duplicate id")
        truth[row["id"]] = sev
    return truth


def load_alert_truth(path: str | Path) -> dict[str, tuple[str, str]]:
    """``id,incident,root_cause`` CSV -> {alert id: (true incident, root-cause service)}."""
    path = Path(path)
    truth: dict[str, tuple[str, str]] = {}
    cols = ("id", "incident", "root_cause")
    for lineno, row in _truth_rows(path, cols, cols):
        if row["id"] in truth:
            raise InputError(f"{path.name}:{lineno}: alert '{_clip(row['id'])}': field 'id': duplicate id")
        truth[row["id"]] = (row["incident"], row["root_cause"])
    return truth


# ----------------------------------------------------------------------------- writing, frames

def _ticket_dict(t: Ticket) -> dict:
    return {"id": t.id, "created_at": isoz(t.created_at), "subject": t.subject, "body": t.body,
            "customer": t.customer, "channel": t.channel, "status": t.status,
            "first_response_at": isoz(t.first_response_at), "resolved_at": isoz(t.resolved_at)}


def _alert_dict(a: Alert) -> dict:
    return {"id": a.id, "ts": isoz(a.ts), "service": a.service, "name": a.name,
            "severity": a.severity, "labels": dict(a.labels), "summary": a.summary}


def _save(rows: list[dict], path: Path, fields: tuple[str, ...]) -> None:
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: (json.dumps(v, sort_keys=True) if isinstance(v, dict) else ("" if v is None else v))
                                 for k, v in row.items()})
    else:
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def save_tickets(tickets: Iterable[Ticket], path: str | Path) -> None:
    """Write tickets as ``.jsonl`` or ``.csv`` (by the suffix); ``load_tickets`` reads them back."""
    _save([_ticket_dict(t) for t in tickets], Path(path), TICKET_FIELDS)


def save_alerts(alerts: Iterable[Alert], path: str | Path) -> None:
    """Write alerts as ``.jsonl`` or ``.csv`` (labels as a JSON object cell)."""
    _save([_alert_dict(a) for a in alerts], Path(path), ALERT_FIELDS)


def tickets_to_frame(tickets: Iterable[Ticket]):
    """Tickets -> DataFrame, one row per ticket, timestamps as UTC datetimes."""
    import pandas as pd
    frame = pd.DataFrame([{**t.__dict__} for t in tickets], columns=list(TICKET_FIELDS))
    for col in ("created_at", "first_response_at", "resolved_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def alerts_to_frame(alerts: Iterable[Alert]):
    """Alerts -> DataFrame, one row per alert (labels kept as dicts)."""
    import pandas as pd
    frame = pd.DataFrame([{**a.__dict__, "labels": dict(a.labels)} for a in alerts], columns=list(ALERT_FIELDS))
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


def frame_to_tickets(frame) -> list[Ticket]:
    """DataFrame (as from :func:`tickets_to_frame`) -> validated tickets."""
    return parse_tickets(_frame_rows(frame), "<DataFrame>")


def frame_to_alerts(frame) -> list[Alert]:
    """DataFrame (as from :func:`alerts_to_frame`) -> validated alerts."""
    return parse_alerts(_frame_rows(frame), "<DataFrame>")


def _frame_rows(frame) -> Iterator[tuple[str, dict]]:
    import pandas as pd
    for i, row in enumerate(frame.to_dict("records")):
        rec = {}
        for k, v in row.items():
            if isinstance(v, pd.Timestamp):
                v = v.to_pydatetime()
            elif v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
                continue
            rec[k] = v
        yield f"row {i}", rec
