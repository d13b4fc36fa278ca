"""Records and the files they come from.

Two kinds of record flow through the desk:

* a :class:`Ticket` — something a person wrote to support;
* an :class:`Alert` — something a machine fired at the on-call.

Both are plain, frozen dataclasses with timezone-aware UTC timestamps. This module
reads them from the formats the README documents (tickets and alerts as JSONL or
CSV, alerts also as Alertmanager or Grafana webhook payloads and the Alertmanager API
v2 list, read through :mod:`desklib.alertmap`; other tools' ticket exports through
:mod:`desklib.sources`; a service topology as JSON) and writes them back.

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
import io
import json
import re
import sys
import warnings
from collections import Counter, namedtuple
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

__all__ = [
    "InputError", "Ticket", "Alert",
    "LoadReport", "load_tickets", "load_alerts", "read_tickets", "read_alerts", "read_alert_frame", "load_topology", "load_ticket_truth", "load_alert_truth",
    "parse_tickets", "parse_alerts",
    "save_tickets", "save_alerts", "tickets_to_frame", "alerts_to_frame",
    "parse_timestamp", "isoz", "EARLIEST", "LATEST",
    "TICKET_STATUSES", "ALERT_SEVERITIES", "ALERT_STATUSES", "has_text",
]

TICKET_STATUSES = ("new", "open", "pending", "solved")
ALERT_SEVERITIES = ("critical", "warning", "info")
TICKET_FIELDS = ("id", "created_at", "subject", "body", "customer", "channel",
                 "status", "first_response_at", "resolved_at", "source_priority")
ALERT_FIELDS = ("id", "ts", "service", "name", "severity", "labels", "summary",
                "status", "ends_at", "runbook_url", "severity_given")
ALERT_STATUSES = ("firing", "resolved")


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
    source_priority: str | None = None     # the exporting tool's own priority, kept as given

    @property
    def text(self) -> str:
        """Subject and body together: what a reader (or a classifier) sees."""
        return f"{self.subject}\n{self.body}"


@dataclass(frozen=True)
class Alert:
    """One fired alert. ``ts`` is when it started firing, timezone-aware UTC.

    ``status`` is "firing" or "resolved" (then ``ends_at`` says when, if known);
    ``runbook_url`` comes from the alert's annotation; ``severity_given`` keeps the
    severity as the source wrote it when the desk mapped it (``page`` -> critical).
    """
    id: str
    ts: datetime
    service: str
    name: str
    severity: str
    labels: dict[str, str] = field(default_factory=dict, hash=False)
    summary: str = ""
    status: str = "firing"
    ends_at: datetime | None = None
    runbook_url: str | None = None
    severity_given: str | None = None


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


def _time(rec: dict, key: str, where: _Where, required: bool = False, naive_hint: str = "") -> datetime | None:
    value = rec.get(key)
    if value is None or value == "":
        if required:
            raise where.error(key, _missing(rec, key) if value is None else "is empty")
        return None
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        why = str(exc)
        raise where.error(key, why + naive_hint if why.startswith("no UTC offset") else why) from None


#: What a ticket's time without an offset needs (the command line's option and the API's).
_TZ_HINT = " (--tz ZONE, or tz= in load_tickets, reads such times in a zone, e.g. --tz Europe/Berlin)"


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
    created = _time(rec, "created_at", where, required=True, naive_hint=_TZ_HINT)
    if "subject" not in rec and "body" not in rec:
        # no text at all is a ticket (an e-mail with only an attachment): it goes to a human.
        # But a near miss ('Subject', 'bdy') is a misspelling whose text would be lost.
        hint = _hint("subject", rec) or _hint("body", rec)
        if hint:
            raise where.error("body", "subject and body both missing" + hint)
    subject = _text(rec, "subject", where, default="")
    body = _text(rec, "body", where, default="")
    status = _text(rec, "status", where, default="new").strip().lower()
    if status not in TICKET_STATUSES:
        raise where.error("status", f"unknown status '{_clip(status)}' (one of {', '.join(TICKET_STATUSES)})")
    first = _time(rec, "first_response_at", where, naive_hint=_TZ_HINT)
    resolved = _time(rec, "resolved_at", where, naive_hint=_TZ_HINT)
    for key, ts in (("first_response_at", first), ("resolved_at", resolved)):
        if ts is not None and ts < created:
            raise where.error(key, f"{isoz(ts)} is before created_at {isoz(created)}")
    return Ticket(id=rid, created_at=created, subject=subject, body=body,
                  customer=_text(rec, "customer", where), channel=_text(rec, "channel", where),
                  status=status, first_response_at=first, resolved_at=resolved,
                  source_priority=_text(rec, "source_priority", where))


def has_text(t: Ticket) -> bool:
    """Does the ticket say anything? One with no subject and no body goes to a human ("no text")."""
    return bool(t.subject.strip() or t.body.strip())


def _no_text_note(tickets: list[Ticket], name: str, report: LoadReport) -> None:
    empty = sum(not has_text(t) for t in tickets)
    if empty:
        report.notes.append(f"{name}: {empty} ticket{'s' if empty != 1 else ''} with no text at all "
                            "(no subject, no body): valid, routed to a human")


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


def read_tickets(path: str | Path, on_error: str = "raise", *, source: str | None = None,
                 columns: Any = None, tz: Any = None) -> tuple[list[Ticket], LoadReport]:
    """Tickets from ``.jsonl``, ``.json`` or ``.csv`` (``-``: standard input), with the report of
    what was read, used and set aside (see :class:`LoadReport`).

    ``source`` (``"zendesk"``, ``"jira"``, ``"servicenow"``: the presets of
    ``fixtures/sources.toml``), ``columns`` (``{"id": "Ticket #"}`` or ``["id=Ticket #"]``)
    and ``tz`` (an IANA zone for times without an offset) read other tools' exports
    (:mod:`desklib.sources`); what they mapped or defaulted is in the report's notes.
    """
    _check_on_error(on_error)
    name, text, fmt = _source(path)
    report = LoadReport(name)
    if source is not None or columns or tz is not None:
        tickets = _source_tickets(text, name, fmt, source, columns, tz, on_error, report)
        return tickets, report
    if fmt == "csv":
        rows = _csv_rows(text, name, ("id", "created_at"), TICKET_FIELDS, report, "ticket", TICKET_UNREAD)
        unknown = None
    else:
        rows = _jsonl_rows(text) if fmt == "jsonl" else _json_rows(text, name)
        unknown = _Unknown(name, "ticket", TICKET_FIELDS, TICKET_UNREAD)
    tickets = _parse(rows, name, "ticket", _ticket, on_error, report, unknown)
    _no_text_note(tickets, name, report)
    return tickets, report


def _plain(raw: Any) -> Any:
    """A raw record as the rejects file keeps it: a CSV row's (column, value) pairs as an object
    (a repeated column as 'Name (2)', ...)."""
    if not isinstance(raw, list):
        return raw
    out: dict[str, str] = {}
    for column, value in raw:
        key, k = column, 1
        while key in out:
            k += 1
            key = f"{column} ({k})"
        out[key] = value
    return out


def _source_tickets(text: str, name: str, fmt: str, source: str | None, columns: Any, tz: Any,
                    on_error: str, report: LoadReport) -> list[Ticket]:
    """Another tool's export -> tickets, through :mod:`desklib.sources` and then the same
    per-record checks as the desk's own files."""
    from . import sources
    set_aside = []

    def aside(line: Any, raw: Any, exc: InputError) -> None:
        set_aside.append((line, str(exc), _plain(raw)))

    preset = sources.get_preset(source)
    kind = preset.format if preset.format != "any" else ("csv" if fmt == "csv" else "json")
    if kind == "csv":
        raw_rows, file_notes = sources.csv_records(text, name), []
    else:
        raw_rows, file_notes = sources.json_records(text, name)
    if not raw_rows:
        raise InputError(f"{name}: no tickets in the file")
    raws = {line: raw for line, raw in raw_rows}
    pairs, notes = sources.convert_rows(raw_rows, name, source=source, columns=columns, tz=tz,
                                        on_error=aside if on_error == "collect" else None)
    for line, reason, raw in set_aside:
        report.read += 1
        report._reject(line, reason, raw)
    rows = [(line, rec, _plain(raws[line])) for line, rec in pairs]
    tickets = _parse(rows, name, "ticket", _ticket, on_error, report, None) if rows else []
    report.notes.extend(f"{name}: {note}" for note in file_notes + notes)
    return tickets


def load_tickets(path: str | Path, on_error: str = "raise", *, source: str | None = None,
                 columns: Any = None, tz: Any = None) -> list[Ticket]:
    """Read tickets from ``.jsonl``, ``.json`` or ``.csv`` (see the README for the fields).

    Strict by default: the first bad record raises InputError. ``on_error="collect"`` keeps
    the good ones; :func:`read_tickets` also returns what was set aside and why.
    ``source``, ``columns``, ``tz``: other tools' exports, as in :func:`read_tickets`.
    """
    tickets, report = read_tickets(path, on_error, source=source, columns=columns, tz=tz)
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


def _alert_policy():
    """The severity spellings and service labels of ``fixtures/alert_policy.toml``."""
    from .alertmap import load_policy
    return load_policy()


def _severity(value: Any, where: _Where, key: str = "severity") -> tuple[str, str | None]:
    """(level, the value as given when it was a spelling alert_policy.toml maps, else None)."""
    if not isinstance(value, str):
        raise where.error(key, "missing" if value is None else f"expected text, got {_kind(value)}")
    sev = value.strip().lower()
    if sev in ALERT_SEVERITIES:
        return sev, None
    mapped = _alert_policy().severity.get(sev) if sev else None
    if mapped is None:
        raise where.error(key, f"unknown severity '{_clip(value)}' (one of {', '.join(ALERT_SEVERITIES)}, "
                               "or a spelling listed in alert_policy.toml)")
    return mapped, value.strip()


#: One alert's fields as a plain tuple (``.id``, ``.ts``, ... like an Alert): what
#: :func:`read_alert_frame` collects into columns instead of making Alert records.
AlertRow = namedtuple("AlertRow", ALERT_FIELDS)


def _alert(rec: Any, where: _Where) -> Alert:
    return Alert(*_alert_row(rec, where))


def _alert_row(rec: Any, where: _Where) -> AlertRow:
    rid = _record_id(rec, where)
    ts = _time(rec, "ts", where, required=True)
    severity, given = _severity(rec.get("severity"), where)
    status = _text(rec, "status", where, default="firing").strip().lower()
    if status not in ALERT_STATUSES:
        raise where.error("status", f"unknown status '{_clip(status)}' (one of {', '.join(ALERT_STATUSES)})")
    ends_value = rec.get("ends_at")
    ends = None if isinstance(ends_value, str) and _ZERO_TIME.fullmatch(ends_value) \
        else _time(rec, "ends_at", where)
    if ends is not None and ends < ts:
        raise where.error("ends_at", f"{isoz(ends)} is before ts {isoz(ts)}")
    if status == "firing" and ends is not None:
        raise where.error("ends_at", "set on a firing alert (an alert that ended has status 'resolved')")
    runbook = _text(rec, "runbook_url", where)
    return AlertRow(id=rid, ts=ts,
                 service=_text(rec, "service", where, required=True),
                 name=_text(rec, "name", where, required=True),
                 severity=severity,
                 labels=_labels(rec.get("labels"), where),
                 summary=_text(rec, "summary", where, default=""),
                 status=status, ends_at=ends, runbook_url=(runbook.strip() or None) if runbook else None,
                 severity_given=given if given is not None else _text(rec, "severity_given", where))


def _is_webhook(rec: Any) -> bool:
    """An Alertmanager/Grafana webhook payload or an Alertmanager API v2 alert (not a desk record)."""
    from .alertmap import doc_kind
    return isinstance(rec, dict) and (doc_kind(rec) is not None or "version" in rec or "groupKey" in rec)


#: The fields of an Alertmanager webhook payload and of each of its alerts that its documentation
#: lists: read, or known and of no use to the desk (never worth a note). Anything else
#: (Grafana's extras, an API v2 alert's) is named in the notes.
WEBHOOK_FIELDS = ("version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels",
                  "commonLabels", "commonAnnotations", "externalURL", "alerts")
WEBHOOK_ALERT_FIELDS = ("status", "labels", "annotations", "startsAt", "endsAt", "generatorURL",
                        "fingerprint")
_UNREAD_LISTS = {"payload fields not read: ": WEBHOOK_FIELDS, "alert fields not read: ": WEBHOOK_ALERT_FIELDS}


def _worth_a_note(note: str) -> str | None:
    """A note of :func:`desklib.alertmap.read_alerts` as the report keeps it, or None.

    The firing/resolved count and the merged copies are in the summary and the accounting
    already; the documented Alertmanager fields the desk leaves alone are not news.
    """
    if note.startswith("status: ") or note.endswith("merged into the alert"):
        return None
    for head, known in _UNREAD_LISTS.items():
        if note.startswith(head):
            left = [item for item in note[len(head):].split(", ") if item.split(" ×")[0] not in known]
            return head + ", ".join(left) if left else None
    return note


def _webhook_alerts(rows: Iterable[tuple[Any, Any, Any]], name: str, service_label: Any,
                    on_error: str, report: LoadReport, make: type = Alert) -> list[Alert]:
    """Alertmanager/Grafana webhook payloads and API v2 alerts -> alerts (:mod:`desklib.alertmap`).

    id is the alert's ``fingerprint``. The same fingerprint with the same ``startsAt`` in a
    later payload (a re-notification, or the "resolved" message) is the same alert: kept
    once (the resolved copy wins, whatever the order) and counted as merged. The same
    fingerprint with a *later* ``startsAt`` is the alert firing again (flapping): it becomes
    ``fingerprint@startsAt``. Severity and service come through ``alert_policy.toml``.
    """
    from . import alertmap
    docs = []
    for line, rec, raw in rows:
        if isinstance(rec, dict) and alertmap.doc_kind(rec) is None:     # 'version' or 'groupKey' only
            rec = _Unreadable("missing (not an Alertmanager webhook payload?)", "alerts")
        if isinstance(rec, _Unreadable):
            report.read += 1
            problem = _Where(name, line, "payload").error(rec.field, rec.reason)
            if on_error == "raise":
                raise problem
            report._reject(line, str(problem), raw)
            continue
        docs.append((line, rec))
    prefix = f"{name}:"

    def aside(where: str, raw: Any, exc: InputError) -> None:
        line = where[len(prefix):].strip() if where.startswith(prefix) else where
        report._reject(int(line) if line.isdigit() else line, str(exc), raw)

    if docs:
        set_aside = report.set_aside
        merged, notes, counts = alertmap.read_alerts(
            docs, name, _alert_policy(), service_labels=service_label,
            on_error=aside if on_error == "collect" else None, clashes="rename")
        assert report.set_aside - set_aside == counts["set_aside"]
        report.read += counts["read"]
        report.merged += counts["merged"]
        report.notes.extend(f"{name}: {note}" for note in map(_worth_a_note, notes) if note)
    else:
        merged = []
    alerts = [make(**alert) for alert in merged]
    report.used = len(alerts)
    if report.read == 0:
        raise InputError(f"{name}: the webhook payloads hold no alerts")
    return alerts


def _alert_rows(rows: Iterable[tuple[int | str, Any]]) -> list[tuple[Any, Any, Any]]:
    return [(line, rec, rec) for line, rec in rows]


def _alerts(rows: list[tuple[Any, Any, Any]], name: str, service_label: Any, on_error: str,
            report: LoadReport, unknown: bool = True, rows_only: bool = False) -> list[Alert]:
    """The alerts of ``rows`` (Alert records, or :data:`AlertRow` tuples if ``rows_only``)."""
    readable = [rec for _, rec, _ in rows if not isinstance(rec, _Unreadable)]
    if readable and all(_is_webhook(rec) for rec in readable):
        return _webhook_alerts(rows, name, service_label, on_error, report, AlertRow if rows_only else Alert)
    if any(_is_webhook(rec) for _, rec, _ in rows):
        mixed = [(line, _Unreadable("a webhook payload mixed with plain alert records")
                  if _is_webhook(rec) else rec, raw) for line, rec, raw in rows]
        rows = mixed
    alerts = _parse(rows, name, "alert", _alert_row if rows_only else _alert, on_error, report,
                    _Unknown(name, "alert", ALERT_FIELDS) if unknown else None)
    spelled = Counter((a.severity_given, a.severity) for a in alerts
                      if a.severity_given is not None and a.severity_given.strip().lower() != a.severity)
    report.notes.extend(f"{name}: severity '{given}' read as {level} (alert_policy.toml; "
                        f"{n} alert{'s' if n != 1 else ''})" for (given, level), n in sorted(spelled.items()))
    return alerts


def parse_alerts(rows: Iterable[tuple[int | str, Any]], name: str = "<alerts>",
                 service_label: str | Iterable[str] | None = None, on_error: str = "raise",
                 report: LoadReport | None = None) -> list[Alert]:
    """(line, record) pairs -> alerts; webhook payloads among them are detected and expanded."""
    _check_on_error(on_error)
    report = report if report is not None else LoadReport(name)
    return _alerts(_alert_rows(rows), name, service_label, on_error, report)


def read_alerts(path: str | Path, service_label: str | Iterable[str] | None = None,
                on_error: str = "raise", rows_only: bool = False) -> tuple[list[Alert], LoadReport]:
    """Alerts with the report of what was read, used, merged and set aside (:class:`LoadReport`).
    ``rows_only``: :data:`AlertRow` tuples instead of Alert records (:func:`read_alert_frame`)."""
    _check_on_error(on_error)
    name, text, fmt = _source(path)
    report = LoadReport(name)
    if fmt == "csv":
        rows = list(_csv_rows(text, name, ("id", "ts", "service", "name", "severity"), ALERT_FIELDS,
                              report, "alert"))
        return _alerts(rows, name, service_label, on_error, report, unknown=False, rows_only=rows_only), report
    rows = list(_jsonl_rows(text) if fmt == "jsonl" else _json_rows(text, name))
    if fmt == "json" and len(rows) == 1 and rows[0][0] == "" and not _is_webhook(rows[0][1]) \
            and not isinstance(rows[0][1], _Unreadable):
        raise InputError(f"{name}: expected an Alertmanager webhook payload (an object with "
                         f"'alerts'), an API v2 alert list or a list of alerts, got {_kind(rows[0][1])}")
    return _alerts(rows, name, service_label, on_error, report, rows_only=rows_only), report


def read_alert_frame(path: str | Path, service_label: str | Iterable[str] | None = None,
                     on_error: str = "raise"):
    """:func:`read_alerts` as columns: ``(DataFrame, LoadReport)``, one row per alert, the
    columns of :func:`alerts_to_frame` (what ``aiops.correlate`` takes), checked record by
    record exactly as :func:`read_alerts` checks them -- without making an Alert record
    for each (a million alerts are a million tuples, then one column each)."""
    rows, report = read_alerts(path, service_label, on_error, rows_only=True)
    return _alert_frame(rows), report


def _alert_frame(rows: list) -> "Any":
    import pandas as pd
    columns = list(zip(*rows)) if rows else [()] * len(ALERT_FIELDS)
    frame = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in zip(ALERT_FIELDS, columns)},
                         columns=list(ALERT_FIELDS))
    for col in ("ts", "ends_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def load_alerts(path: str | Path, service_label: str | Iterable[str] | None = None,
                on_error: str = "raise") -> list[Alert]:
    """Read alerts from ``.jsonl``/``.csv`` records, Alertmanager or Grafana webhook JSON, or
    the Alertmanager API v2 alert list (``amtool -o json alert query``).

    A ``.json`` file may hold one webhook payload, a list of payloads, a list of API v2
    alerts or a list of alert records; a ``.jsonl`` file one payload or one alert record
    per line. ``service_label`` names the label(s) that carry the service of a webhook
    alert: ``"team,job"`` or a list, the first one an alert has wins (default: the chain
    of ``alert_policy.toml``, ``service,job,app,namespace``). Strict by default;
    ``on_error="collect"`` keeps the good records (:func:`read_alerts` also returns what
    was set aside and why).
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
    if path.suffix.lower() in (".json", ".jsonl", ".ndjson"):      # else "malformed CSV" at its first quote
        raise InputError(f"{path.name}: a truth file is CSV with a header ({','.join(columns)}), "
                         f"not {path.suffix.lower()[1:].upper()}")
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
            "first_response_at": isoz(t.first_response_at), "resolved_at": isoz(t.resolved_at),
            "source_priority": t.source_priority}


def _alert_dict(a: Alert) -> dict:
    return {"id": a.id, "ts": isoz(a.ts), "service": a.service, "name": a.name,
            "severity": a.severity, "labels": dict(a.labels), "summary": a.summary,
            "status": a.status, "ends_at": isoz(a.ends_at), "runbook_url": a.runbook_url,
            "severity_given": a.severity_given}


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
    for col in ("ts", "ends_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
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
