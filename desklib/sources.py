"""Tickets from other tools' exports: presets and column mapping.

A learner's tickets come out of Zendesk, Jira or ServiceNow, or out of a spreadsheet
with its own column names. This module turns such raw records into the desk's own
ticket fields (README "Record formats") and says what it did::

    raw records  --(preset or --map)-->  ticket dicts  +  notes

* A **preset** (``fixtures/sources.toml``) names, per source, where each desk field
  is, how the source writes dates and what its statuses mean. It is data: edit it.
* ``columns={"id": "Ticket #"}`` (``--map id="Ticket #"``) replaces single entries.
* A time written without a UTC offset is read in ``tz`` (``--tz Europe/Berlin``).
* **Notes** say what was mapped, defaulted or left out, with counts -- never a line
  per record.

Raw records are what a reader hands over: a JSON object (Zendesk), or a CSV row as
a list of ``(column, value)`` pairs, so a column the export repeats (Jira's Labels,
Watchers ...) is not lost before we can report it. Errors are one
:class:`~desklib.records.InputError` naming the file, the record, the field.
"""
from __future__ import annotations

import csv
import difflib
import io
import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ._gc import paused
from .records import InputError, _clip, _kind
from .timefmt import compile_format, parse_iso, parse_local, resolve_tz, to_utc

__all__ = ["Preset", "load_presets", "get_preset", "parse_map", "json_records", "csv_records",
           "convert_rows", "convert_tickets", "read_rows", "read_tickets", "TICKET_FIELDS", "STATUSES"]

TICKET_FIELDS = ("id", "created_at", "subject", "body", "customer", "channel", "status",
                 "first_response_at", "resolved_at", "source_priority")
TIME_FIELDS = ("created_at", "first_response_at", "resolved_at")
STATUSES = ("new", "open", "pending", "solved")
REQUIRED = ("id", "created_at")
FORMATS = ("json", "csv", "any")


@dataclass(frozen=True)
class Preset:
    """One source: where the desk's fields are, its date formats, its statuses."""
    name: str
    format: str                                 # json | csv | any
    fields: Mapping[str, tuple[str, ...]]       # desk field -> candidate columns/keys
    dates: tuple[str, ...]
    status: Mapping[str, str]                   # lower-cased source status -> desk status
    unknown_status: str | None = None


# ----------------------------------------------------------------------------- the presets file

def load_presets(path: str | Path | None = None) -> dict[str, Preset]:
    """``sources.toml`` -> {source name: Preset}; one-line InputError naming file and key."""
    from .policy import PolicyFile        # policy imports records, which imports this module
    reader, doc = PolicyFile.toml(path, "sources.toml")
    path = Path(reader.name)
    if not doc:
        raise InputError(f"{path.name}: no sources defined")
    return {name: _preset(path.name, name, table) for name, table in sorted(doc.items())}


def _preset(fname: str, name: str, table: Any) -> Preset:
    where = f"{fname}: [{name}]"
    if not isinstance(table, dict):
        raise InputError(f"{where}: expected a table ([{name}] with format, dates, fields, status)")
    unknown = sorted(set(table) - {"format", "dates", "fields", "status", "unknown_status"})
    if unknown:
        raise InputError(f"{where}: unknown key '{unknown[0]}' (keys: format, dates, unknown_status, "
                         "and the tables fields, status)")
    fmt = table.get("format", "any")
    if fmt not in FORMATS:
        raise InputError(f"{where} format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    dates = table.get("dates", ["iso"])
    if not isinstance(dates, list) or not dates or not all(isinstance(d, str) and d.strip() for d in dates):
        raise InputError(f"{where} dates: expected a non-empty list of date formats, got {dates!r}")
    for i, d in enumerate(dates):
        if d != "iso":
            try:
                compile_format(d)
            except ValueError as exc:
                raise InputError(f"{where} dates[{i}]: {exc}") from None
    fields = table.get("fields")
    if not isinstance(fields, dict):
        raise InputError(f"{fname}: [{name}.fields]: missing (which column holds which desk field)")
    out_fields: dict[str, tuple[str, ...]] = {}
    for key, cols in fields.items():
        if key not in TICKET_FIELDS:
            raise InputError(f"{fname}: [{name}.fields] {key}: not a desk field "
                             f"(one of {', '.join(TICKET_FIELDS)})")
        cols = [cols] if isinstance(cols, str) else cols
        if not isinstance(cols, list) or not cols or not all(isinstance(c, str) and c.strip() for c in cols):
            raise InputError(f"{fname}: [{name}.fields] {key}: expected a column name or a list of them")
        out_fields[key] = tuple(cols)
    for key in REQUIRED:
        if key not in out_fields:
            raise InputError(f"{fname}: [{name}.fields] {key}: missing (every ticket needs one)")
    status_table = table.get("status", {})
    if not isinstance(status_table, dict):
        raise InputError(f"{fname}: [{name}.status]: expected a table of source status = desk status")
    status: dict[str, str] = {}
    for given, mapped in status_table.items():
        if mapped not in STATUSES:
            raise InputError(f"{fname}: [{name}.status] {given!r}: expected one of "
                             f"{', '.join(STATUSES)}, got {mapped!r}")
        low = given.strip().lower()
        if low in status and status[low] != mapped:
            raise InputError(f"{fname}: [{name}.status] {given!r}: given twice (letter case does not count)")
        status[low] = mapped
    unknown_status = table.get("unknown_status")
    if unknown_status is not None and unknown_status not in STATUSES:
        raise InputError(f"{where} unknown_status: expected one of {', '.join(STATUSES)}, "
                         f"got {unknown_status!r}")
    return Preset(name, fmt, out_fields, tuple(dates), status, unknown_status)


def get_preset(source: str | None, presets: Mapping[str, Preset] | None = None) -> Preset:
    """The preset for ``source`` (``None``: the desk's own format); error lists the known ones."""
    presets = load_presets() if presets is None else presets
    key = "desk" if source is None else str(source).strip().lower()
    if key not in presets:
        known = ", ".join(n for n in presets if n != "desk")
        raise InputError(f"--from '{source}': unknown source (one of {known}; "
                         "or no --from and --map field=Column for any other CSV)")
    return presets[key]


def parse_map(items: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``["id=Ticket #", "body=Details"]`` (repeatable ``--map``) -> {"id": "Ticket #", ...}."""
    if items is None:
        return {}
    pairs = list(items.items()) if isinstance(items, Mapping) else []
    if not isinstance(items, Mapping):
        for item in items:
            field, sep, column = str(item).partition("=")
            if not sep:
                raise InputError(f"--map '{item}': expected field=Column, e.g. --map id='Ticket #'")
            pairs.append((field, column))
    out: dict[str, str] = {}
    for field, column in pairs:
        if not isinstance(field, str) or not isinstance(column, str):
            raise InputError(f"--map {field}={column}: expected text on both sides of '='")
        field, column = field.strip(), column.strip()
        if field not in TICKET_FIELDS:
            near = difflib.get_close_matches(field, TICKET_FIELDS, n=1)
            hint = f"did you mean {near[0]}? " if near else ""
            raise InputError(f"--map {field}={column}: '{field}' is not a desk field "
                             f"({hint}fields: {', '.join(TICKET_FIELDS)})")
        if not column:
            raise InputError(f"--map {field}=: the column name is empty")
        if field in out and out[field] != column:
            raise InputError(f"--map {field}: given twice ('{out[field]}' and '{column}')")
        out[field] = column
    return out


# ----------------------------------------------------------------------------- raw records

def json_records(text: str, name: str) -> tuple[list[tuple[str | int, Any]], list[str]]:
    """JSON text -> ((where, ticket object) list, notes).

    Accepts a Zendesk list response ``{"tickets": [...], "next_page": ..., "count": N}``
    (cursor pages too: ``meta.has_more``), one such page per line, a single-ticket
    response ``{"ticket": {...}}``, a JSON array of tickets, or one ticket per line.
    """
    stripped = text.strip()
    try:
        doc = _loads(stripped, name, 1)
        docs: list[tuple[str | int, Any]] = [("", doc)]
    except json.JSONDecodeError as exc:
        docs = []
        lines = [(i, ln) for i, ln in enumerate(text.split("\n"), start=1) if ln.strip()]
        if len(lines) < 2:
            raise InputError(f"{name}:{exc.lineno}: invalid JSON ({exc.msg} at column {exc.colno})") from None
        for lineno, line in lines:
            try:
                docs.append((lineno, _loads(line, name, lineno)))
            except json.JSONDecodeError as err:
                if lineno == lines[0][0]:    # not JSON lines either: report the document's error
                    raise InputError(f"{name}:{exc.lineno}: invalid JSON ({exc.msg} at column {exc.colno})") from None
                raise InputError(f"{name}:{lineno}: invalid JSON ({err.msg} at column {err.colno})") from None
    rows: list[tuple[str | int, Any]] = []
    pages = more = 0
    counts: set[int] = set()
    for line, doc in docs:
        prefix = f"{line}: " if line != "" else ""
        if isinstance(doc, list):
            rows += [(f"{prefix}[{i}]", item) for i, item in enumerate(doc)]
        elif isinstance(doc, dict) and isinstance(doc.get("tickets"), list):
            pages += 1
            rows += [(f"{prefix}tickets[{i}]", item) for i, item in enumerate(doc["tickets"])]
            meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
            if doc.get("next_page") or meta.get("has_more"):
                more += 1
            if isinstance(doc.get("count"), int) and not isinstance(doc.get("count"), bool):
                counts.add(doc["count"])
        elif isinstance(doc, dict) and "tickets" in doc:
            raise InputError(f"{name}:{line or 1}: field 'tickets': expected a list of tickets")
        elif isinstance(doc, dict) and isinstance(doc.get("ticket"), dict):
            rows.append((line if line != "" else "ticket", doc["ticket"]))
        else:
            rows.append((line if line != "" else 1, doc))
    notes = []
    if pages:
        notes.append(f"read {pages} page{'s' if pages != 1 else ''} of an API list response")
    if more:
        total = f" (the response counts {max(counts)} tickets)" if counts else ""
        notes.append(f"{more} page{'s say' if more != 1 else ' says'} there are more pages (next_page / "
                     f"meta.has_more): {len(rows)} tickets read, the rest are not in this file{total}")
    return rows, notes


def _loads(text: str, name: str, line: int) -> Any:
    """json.loads; nesting too deep or a number too long is a one-line error, not a traceback."""
    try:
        return json.loads(text)
    except RecursionError:
        raise InputError(f"{name}:{line}: JSON nested too deeply") from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:            # e.g. an integer of thousands of digits
        raise InputError(f"{name}:{line}: unreadable JSON value ({exc})") from None


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] > counts[","] else ","


def csv_records(text: str, name: str) -> list[tuple[int, list[tuple[str, str]]]]:
    """CSV text -> [(line, [(column, value), ...])]: repeated columns kept, blank rows skipped.

    An unterminated quote or a row with more values than the header is an error; a short
    row (spreadsheets drop trailing empty cells) is padded with empty values.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]),
                        strict=True)
    rows: list[tuple[int, list[tuple[str, str]]]] = []
    with paused():                       # many small acyclic objects: see desklib._gc
        _csv_rows(reader, name, rows)
    return rows


def _csv_rows(reader, name: str, rows: list) -> None:
    try:
        header = [h.strip() for h in next(reader, [])]
        if not any(header):
            raise InputError(f"{name}:1: header: no column names")
        line = reader.line_num
        for values in reader:
            start, line = line + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(header):
                raise InputError(f"{name}:{start}: {len(values)} values but the header has "
                                 f"{len(header)} columns")
            values = values + [""] * (len(header) - len(values))
            rows.append((start, list(zip(header, values))))
    except csv.Error as exc:
        raise InputError(f"{name}:{reader.line_num}: malformed CSV ({exc}; "
                         "an unterminated quote?)") from None


# ----------------------------------------------------------------------------- conversion

def _fail(name: str, line: Any, rid: Any, field: str | None, problem: str) -> InputError:
    parts = [f"{name}:{line}" if line not in ("", None) else name]
    if rid is not None:
        parts.append(f"ticket '{_clip(rid, 40)}'")
    if field:
        parts.append(f"field '{field}'")
    parts.append(problem)
    return InputError(": ".join(parts))


def _dig(raw: dict, key: str) -> tuple[bool, Any]:
    """(present, value) of a dotted key such as ``via.channel`` in a JSON object."""
    value: Any = raw
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _plan(preset: Preset, columns: Mapping[str, str], header: list[str] | None,
          name: str) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """Which columns to try per desk field; for CSV checked against the header."""
    plan = dict(preset.fields)
    plan.update({f: (c,) for f, c in columns.items()})
    notes: list[str] = []
    if header is None:
        return plan, notes
    counts = Counter(header)
    chosen: dict[str, tuple[str, ...]] = {}
    for field in TICKET_FIELDS:
        found = [c for c in plan.get(field, ()) if c in counts]
        if not found:
            if field in REQUIRED or field in columns:
                wanted = " or ".join(f"'{c}'" for c in plan.get(field, ())) or f"'{field}'"
                near = difflib.get_close_matches(plan.get(field, (field,))[0], list(counts), n=1)
                hint = f" (the file has '{near[0]}')" if near else ""
                raise InputError(f"{name}:1: header: no column {wanted} for {field}{hint}; "
                                 f"name it with --map {field}=COLUMN")
            continue
        for col in found:
            if counts[col] > 1:
                raise InputError(f"{name}:1: header: column '{col}' ({field}) appears {counts[col]} times; "
                                 "the desk cannot tell which one holds the ticket's value")
        chosen[field] = tuple(found)
    lacking = [f if plan[f] == (f,) else f"{f} ({' or '.join(plan[f])})"
               for f in TICKET_FIELDS if f in plan and f not in chosen]
    if lacking:
        notes.append("not in the file, left empty: " + ", ".join(lacking))
    read = {c for cols in chosen.values() for c in cols}
    left = sorted(c for c in counts if c not in read and c)
    if left:
        shown = ", ".join(f"{c} ×{counts[c]}" if counts[c] > 1 else c for c in left)
        notes.append(f"columns not read ({len(left)}): {shown}")
        near = []
        for field in TICKET_FIELDS:
            if field in chosen:
                continue
            for want in plan.get(field, (field,)):
                m = difflib.get_close_matches(want, left, n=1, cutoff=0.8)
                if m:
                    near.append(f"'{m[0]}' looks like {field} (--map {field}={m[0]})")
                    break
        if near:
            notes.append("near misses: " + "; ".join(near))
    mapped = [f"{f} ← {' or '.join(c)}" for f, c in chosen.items() if c != (f,)]
    if mapped:
        notes.append("columns mapped: " + ", ".join(mapped))
    return chosen, notes


class _Tally:
    """Counts of identical notes; rendered once with the count.

    Notes of the record being read wait in ``pending`` until it is kept (``commit``),
    so a record set aside leaves no count behind.
    """

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.pending: list[tuple[str, str]] = []

    def add(self, note: str, unit: str = "ticket") -> None:
        self.pending.append((note, unit))

    def commit(self) -> None:
        self.counts.update(self.pending)
        self.pending.clear()

    def render(self) -> list[str]:
        return [f"{note} ({n} {unit}{'s' if n != 1 else ''})" for (note, unit), n in sorted(self.counts.items())]


class _Bad(Exception):
    """A value that cannot be read; the caller adds file, record and field."""


def _time(value: Any, preset: Preset, tz: tzinfo | None, tally: _Tally) -> datetime:
    if isinstance(value, datetime):
        naive = value if value.tzinfo is None else None
        if naive is None:
            return value.astimezone(timezone.utc)
    elif not isinstance(value, str):
        raise _Bad(f"expected a date and time as text, got {_kind(value)}")
    else:
        text = value.strip()
        naive = None
        for fmt in preset.dates:
            parsed = parse_iso(text) if fmt == "iso" else parse_local(text, fmt)
            if parsed is None:
                continue
            if parsed.tzinfo is not None:
                try:
                    return parsed.astimezone(timezone.utc)
                except OverflowError:
                    raise _Bad(f"'{_clip(text)}' is outside the years the desk can represent") from None
            naive = parsed
            break
        if naive is None:
            shown = ", ".join("ISO-8601" if f == "iso" else f for f in preset.dates)
            raise _Bad(f"not a date and time in the {preset.name} formats ({shown}): '{_clip(text)}'")
    if tz is None:
        raise _Bad(f"no UTC offset in '{_clip(value)}' (pass --tz, e.g. --tz Europe/Berlin)")
    try:
        utc, dst = to_utc(naive, tz)
    except OverflowError:
        raise _Bad(f"'{_clip(value)}' is outside the years the desk can represent") from None
    tally.add(f"times without a UTC offset read in {tz}", "value")
    if dst == "skipped":
        tally.add(f"times in the hour {tz} skips (clocks forward) read with the offset before the change",
                  "value")
    elif dst == "repeated":
        tally.add(f"times in the hour {tz} repeats (clocks back) read as the first of the two", "value")
    return utc


def _text(value: Any, numbers: bool = False) -> str:
    if isinstance(value, str):
        return value
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _Bad(f"expected text{' or a number' if numbers else ''}, got {_kind(value)}")


def _pick(raw: dict, keys: tuple[str, ...], found: set, field: str) -> tuple[str | None, Any]:
    """The first of ``keys`` the record has with a value: (key, value), or (None, None)."""
    for key in keys:
        if key in raw:                   # a column, or a top-level JSON key
            value = raw[key]
        elif "." in key:
            present, value = _dig(raw, key)
            if not present:
                continue
        else:
            continue
        found.add(field)
        if not _blank(value):
            return key, value
    return None, None


def _convert(raw: Any, line: Any, name: str, preset: Preset, plan: Mapping[str, tuple[str, ...]],
             tz: tzinfo | None, tally: _Tally, found: set) -> dict:
    """One raw record -> one ticket dict (tallying what it mapped or defaulted)."""
    if not isinstance(raw, (dict, list)):
        raise _fail(name, line, None, None, f"expected a ticket object, got {_kind(raw)}")
    csv_row = isinstance(raw, list)
    if csv_row:              # columns the desk reads are not repeated (checked on the header)
        raw = dict(raw)
    rid, field = None, "id"
    try:
        key, value = _pick(raw, plan["id"], found, "id")
        if key is None:
            raise _Bad(f"missing ({' or '.join(plan['id'])})")
        rid = _text(value, numbers=True).strip()
        if isinstance(value, int):
            tally.add("numeric ids read as text")
        out: dict[str, Any] = {"id": rid}
        for field in TICKET_FIELDS[1:]:
            key, value = _pick(raw, plan.get(field, ()), found, field)
            if key is None:
                if field == "created_at":
                    raise _Bad(f"missing ({' or '.join(plan['created_at'])})")
                out[field] = "" if field in ("subject", "body") else None
            elif field in TIME_FIELDS:
                out[field] = _time(value, preset, tz, tally)
            elif field == "status":
                out[field] = _status(_text(value).strip(), preset, tally)
            else:
                out[field] = _text(value, numbers=field in ("customer", "channel", "source_priority"))
                if field == "customer" and key != plan[field][0]:
                    tally.add(f"customer from {key} (no {plan[field][0]})")
    except _Bad as exc:
        raise _fail(name, line, rid, field, str(exc)) from None
    if out["status"] is None:
        out["status"] = "new"
        tally.add("no status: read as new")
    if not out["subject"].strip() and not out["body"].strip():
        tally.add("no text at all (no subject, no body): valid, goes to a human")
    return out


def _status(given: str, preset: Preset, tally: _Tally) -> str:
    mapped = preset.status.get(given.lower())
    if mapped is None:
        if preset.unknown_status is None:
            raise _Bad(f"unknown status '{_clip(given)}' (known: {', '.join(sorted(preset.status))}; "
                       f"add it under [{preset.name}.status] in sources.toml)")
        mapped = preset.unknown_status
        tally.add(f"status '{given}' is not in [{preset.name}.status]: read as {mapped}")
    elif mapped != given.lower():
        tally.add(f"status '{given}' read as {mapped}")
    return mapped


def convert_rows(rows: Iterable[tuple[Any, Any]], name: str = "<tickets>", *,
                 source: str | None = None, columns: Mapping[str, str] | Iterable[str] | None = None,
                 tz: str | tzinfo | None = None, presets: Mapping[str, Preset] | None = None,
                 on_error: Callable[[Any, Any, InputError], None] | None = None,
                 ) -> tuple[list[tuple[Any, dict]], list[str]]:
    """(where, raw record) pairs -> ((where, ticket dict) pairs in input order, notes).

    ``source``: a preset name from sources.toml (None: the desk's own field names).
    ``columns``: desk field -> column, replacing the preset's entry (``--map``).
    ``tz``: IANA zone for times written without an offset (``--tz``).
    Ticket dicts carry the desk's fields (times as aware UTC datetimes, ``subject`` and
    ``body`` always text) plus ``source_priority`` (the source's own priority, or None).
    ``on_error``: called with (where, raw record, InputError) for a bad record, which is
    then left out (``--rejects``); without it the first bad record raises. Problems of
    the whole file (its header, the options) always raise.
    """
    preset = get_preset(source, presets)
    columns = parse_map(columns)
    try:
        zone = resolve_tz(tz)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    rows = list(rows)
    header = None
    if rows and isinstance(rows[0][1], list):
        header = [c for c, _ in rows[0][1]]
    plan, notes = _plan(preset, columns, header, name)
    if source is not None:
        notes.insert(0, f"read as a {preset.name} export (sources.toml [{preset.name}])")
    tally, found = _Tally(), set()
    tickets = []
    with paused():
        for line, raw in rows:
            try:
                tickets.append((line, _convert(raw, line, name, preset, plan, zone, tally, found)))
            except InputError as exc:
                if on_error is None:
                    raise
                tally.pending.clear()
                on_error(line, raw, exc)
            else:
                tally.commit()
    if header is None:
        notes += _json_notes(rows, name, plan, columns, found)
    return tickets, notes + tally.render()


def convert_tickets(rows: Iterable[tuple[Any, Any]], name: str = "<tickets>", **options: Any,
                    ) -> tuple[list[dict], list[str]]:
    """:func:`convert_rows` without the positions: (ticket dicts, notes)."""
    pairs, notes = convert_rows(rows, name, **options)
    return [ticket for _, ticket in pairs], notes


def _json_notes(rows: list, name: str, plan: Mapping[str, tuple[str, ...]], columns: Mapping[str, str],
                found: set) -> list[str]:
    """What a JSON source mapped, and which keys no ticket has or the desk does not read."""
    for field, column in columns.items():
        if field not in found:
            raise InputError(f"{name}: no ticket has the key '{column}' (--map {field}={column})")
    notes = []
    absent = [f if c == (f,) else f"{f} ({' or '.join(c)})"
              for f, c in plan.items() if f not in found and f not in REQUIRED]
    if absent:
        notes.append("no ticket has, left empty: " + ", ".join(absent))
    used = {k.split(".")[0] for cols in plan.values() for k in cols}
    unread = Counter(k for _, raw in rows for k in raw if k not in used)
    if unread:
        shown = ", ".join(k if n == len(rows) else f"{k} ×{n}" for k, n in sorted(unread.items()))
        notes.append(f"fields not read ({len(unread)}; in every ticket unless ×N): {shown}")
    mapped = [f"{f} ← {' or '.join(c)}" for f, c in plan.items() if c != (f,)]
    if mapped:
        notes.append("fields mapped: " + ", ".join(mapped))
    return notes


def read_rows(text: str, name: str, *, source: str | None = None, suffix: str | None = None,
              **options: Any) -> tuple[list[tuple[Any, dict]], list[str]]:
    """A whole file's text -> ((where, ticket dict) pairs, notes).

    JSON or CSV by the preset's format, else by the file's suffix (``suffix`` or
    ``name``'s). ``options``: ``columns``, ``tz``, ``presets``, ``on_error`` as in
    :func:`convert_rows`.
    """
    preset = get_preset(source, options.get("presets"))
    kind = preset.format
    if kind == "any":
        kind = "csv" if (suffix or Path(name).suffix).lower() == ".csv" else "json"
    if kind == "csv":
        rows, notes = csv_records(text, name), []
    else:
        rows, notes = json_records(text, name)
    if not rows:
        raise InputError(f"{name}: no tickets in the file")
    pairs, more = convert_rows(rows, name, source=source, **options)
    return pairs, notes + more


def read_tickets(text: str, name: str, **options: Any) -> tuple[list[dict], list[str]]:
    """:func:`read_rows` without the positions: (ticket dicts, notes)."""
    pairs, notes = read_rows(text, name, **options)
    return [ticket for _, ticket in pairs], notes
