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

pandas is imported only inside the ``*_to_frame`` helpers, so the command line
starts fast.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

__all__ = [
    "InputError", "Ticket", "Alert",
    "load_tickets", "load_alerts", "load_topology", "load_ticket_truth", "load_alert_truth",
    "parse_tickets", "parse_alerts",
    "save_tickets", "save_alerts", "tickets_to_frame", "alerts_to_frame",
    "parse_timestamp", "isoz",
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


def parse_timestamp(value: Any) -> datetime:
    """ISO-8601 text with a UTC offset -> aware UTC datetime; ValueError says why not."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"no UTC offset in '{value.isoformat()}'")
        return value.astimezone(timezone.utc)
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
    return parsed.astimezone(timezone.utc)


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
        return f"number {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _clip(text: str, width: int = 60) -> str:
    text = str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


# ----------------------------------------------------------------------------- reading files

def _read_text(path: Path) -> str:
    """File -> text. UTF-8 (a BOM is fine), any line endings; clear errors otherwise."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{path.name}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                         "save the file as UTF-8") from None
    if not text.strip():
        raise InputError(f"{path.name}: file is empty (no records)")
    return text


def _jsonl_rows(text: str, name: str) -> Iterator[tuple[int, Any]]:
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield lineno, json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}:{lineno}: invalid JSON ({exc.msg} at column {exc.colno})") from None


def _delimiter(text: str) -> str:
    """',' unless the header is clearly split by ';' or tabs (spreadsheets in many locales)."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] > counts[","] else ","


def _csv_rows(text: str, name: str, required: Iterable[str]) -> Iterator[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        cols = ", ".join(f"'{c}'" for c in missing)
        raise InputError(f"{name}:1: header: missing column(s) {cols} "
                         f"(the first line must name the columns: {', '.join(required)})")
    try:
        for row in reader:
            lineno = reader.line_num
            if None in row:
                raise InputError(f"{name}:{lineno}: more values than the header has columns")
            if all((v or "").strip() == "" for v in row.values()):
                continue
            # an empty CSV cell means "not given", as an absent JSON key does
            yield lineno, {k: v for k, v in row.items() if v is not None and v != ""}
    except csv.Error as exc:
        raise InputError(f"{name}:{reader.line_num}: malformed CSV ({exc})") from None


csv.field_size_limit(64 * 1024 * 1024)   # a pasted log of many MB is still one field


def _rows(path: Path, required: tuple[str, ...]) -> tuple[str, Iterator[tuple[int, Any]]]:
    text = _read_text(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return text, _csv_rows(text, path.name, required)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return text, _jsonl_rows(text, path.name)
    raise InputError(f"{path.name}: unknown file type '{suffix}' (use .jsonl or .csv)")


class _Where:
    """Builds the 'file:line: kind 'id': field 'f': problem' prefix."""

    def __init__(self, name: str, line: int | str, kind: str, rid: Any = None):
        self.name, self.line, self.kind, self.rid = name, line, kind, rid

    def error(self, fieldname: str | None, problem: str) -> InputError:
        parts = [f"{self.name}:{self.line}" if self.line not in ("", None) else self.name]
        if self.rid is not None:
            parts.append(f"{self.kind} '{_clip(self.rid, 40)}'")
        if fieldname:
            parts.append(f"field '{fieldname}'")
        parts.append(problem)
        return InputError(": ".join(parts))


def _text(rec: dict, key: str, where: _Where, required: bool = False,
          default: str | None = None) -> str | None:
    value = rec.get(key)
    if value is None:
        if required:
            raise where.error(key, "missing" if key not in rec else "is null")
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
            raise where.error(key, "missing")
        return None
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise where.error(key, str(exc)) from None


def _record_id(rec: Any, where: _Where) -> str:
    if not isinstance(rec, dict):
        raise where.error(None, f"expected a JSON object per line, got {_kind(rec)}")
    value = rec.get("id")
    if value is None or value == "":
        raise where.error("id", "missing")
    if not isinstance(value, str):
        raise where.error("id", f"expected text, got {_kind(value)}")
    where.rid = value
    return value


def _check_unique(rid: str, seen: dict[str, Any], where: _Where) -> None:
    if rid in seen:
        raise where.error("id", f"duplicate id (first seen at {seen[rid]})")
    seen[rid] = where.line


# ----------------------------------------------------------------------------- tickets

def _ticket(rec: Any, where: _Where) -> Ticket:
    rid = _record_id(rec, where)
    created = _time(rec, "created_at", where, required=True)
    if "subject" not in rec and "body" not in rec:
        raise where.error("body", "subject and body both missing (either may be empty, not both absent)")
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


def parse_tickets(rows: Iterable[tuple[int | str, Any]], name: str = "<tickets>") -> list[Ticket]:
    """(line, record) pairs -> tickets, in input order; raises InputError on the first bad one."""
    seen: dict[str, Any] = {}
    tickets = []
    for line, rec in rows:
        where = _Where(name, line, "ticket")
        ticket = _ticket(rec, where)
        _check_unique(ticket.id, seen, where)
        tickets.append(ticket)
    if not tickets:
        raise InputError(f"{name}: no tickets in the file")
    return tickets


def load_tickets(path: str | Path) -> list[Ticket]:
    """Read tickets from ``.jsonl`` or ``.csv`` (see the README for the fields)."""
    path = Path(path)
    _, rows = _rows(path, ("id", "created_at"))
    return parse_tickets(rows, path.name)


# ----------------------------------------------------------------------------- alerts

def _labels(value: Any, where: _Where, key: str = "labels") -> dict[str, str]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):          # CSV: the labels cell holds a JSON object
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise where.error(key, f"expected a JSON object like {{\"instance\": \"db-0\"}}, got '{_clip(value)}'") from None
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


def _webhook_alerts(payloads: list[tuple[int | str, Any]], name: str, service_label: str) -> list[Alert]:
    """Alertmanager webhook payloads -> alerts.

    id is the alert's ``fingerprint``. The same fingerprint with the same ``startsAt``
    in a later payload (a re-notification, or the "resolved" message) is the same
    alert and is kept once. The same fingerprint with a *later* ``startsAt`` is the
    alert firing again (flapping): it becomes ``fingerprint@startsAt``, so the
    earliest firing keeps the bare fingerprint whatever order the payloads come in.
    """
    firings: dict[tuple[str, datetime], tuple[Alert, _Where]] = {}
    for line, payload in payloads:
        where = _Where(name, line, "payload")
        if not isinstance(payload, dict):
            raise where.error(None, f"expected a webhook payload object, got {_kind(payload)}")
        alerts = payload.get("alerts")
        if alerts is None:
            raise where.error("alerts", "missing (not an Alertmanager webhook payload?)")
        if not isinstance(alerts, list):
            raise where.error("alerts", f"expected a list, got {_kind(alerts)}")
        for i, item in enumerate(alerts, start=1):
            w = _Where(name, f"{line}: alerts[{i}]" if line not in ("", None) else f"alerts[{i}]", "alert")
            if not isinstance(item, dict):
                raise w.error(None, f"expected an alert object, got {_kind(item)}")
            labels = _labels(item.get("labels"), w)
            fp = item.get("fingerprint")
            if fp is not None and not isinstance(fp, str):
                raise w.error("fingerprint", f"expected text, got {_kind(fp)}")
            if not fp:   # older Alertmanagers omit it: a stable hash of the label set instead
                fp = hashlib.sha1(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
            w.rid = fp
            if "alertname" not in labels:
                raise w.error("labels.alertname", "missing")
            if service_label not in labels:
                raise w.error(f"labels.{service_label}",
                              "missing (choose the label that names the service with service_label / --service-label)")
            starts = _time(item, "startsAt", w, required=True)
            annotations = item.get("annotations") or {}
            if not isinstance(annotations, dict):
                raise w.error("annotations", f"expected an object, got {_kind(annotations)}")
            summary = annotations.get("summary") or annotations.get("description") or ""
            if not isinstance(summary, str):
                raise w.error("annotations.summary", f"expected text, got {_kind(summary)}")
            sev = labels.get("severity", "warning")   # Alertmanager does not require one
            alert = Alert(id=fp, ts=starts, service=labels[service_label], name=labels["alertname"],
                          severity=_severity(sev, w, "labels.severity"), labels=labels, summary=summary)
            firings.setdefault((fp, starts), (alert, w))
    if not firings:
        raise InputError(f"{name}: the webhook payloads hold no alerts")
    first_start: dict[str, datetime] = {}
    for fp, starts in firings:
        if fp not in first_start or starts < first_start[fp]:
            first_start[fp] = starts
    out = []
    for (fp, starts), (alert, _) in firings.items():
        if starts != first_start[fp]:
            alert = Alert(id=f"{fp}@{isoz(starts)}", ts=alert.ts, service=alert.service, name=alert.name,
                          severity=alert.severity, labels=alert.labels, summary=alert.summary)
        out.append(alert)
    return out


def parse_alerts(rows: Iterable[tuple[int | str, Any]], name: str = "<alerts>",
                 service_label: str = "service") -> list[Alert]:
    """(line, record) pairs -> alerts; webhook payloads among them are detected and expanded."""
    rows = list(rows)
    if rows and all(_is_webhook(rec) for _, rec in rows):
        return _webhook_alerts(rows, name, service_label)
    seen: dict[str, Any] = {}
    alerts = []
    for line, rec in rows:
        where = _Where(name, line, "alert")
        if _is_webhook(rec):
            raise where.error(None, "a webhook payload mixed with plain alert records")
        alert = _alert(rec, where)
        _check_unique(alert.id, seen, where)
        alerts.append(alert)
    if not alerts:
        raise InputError(f"{name}: no alerts in the file")
    return alerts


def load_alerts(path: str | Path, service_label: str = "service") -> list[Alert]:
    """Read alerts from ``.jsonl``/``.csv`` records or Alertmanager webhook JSON.

    A ``.json`` file may hold one webhook payload, a list of payloads, or a list of
    alert records; a ``.jsonl`` file one payload or one alert record per line.
    ``service_label`` names the webhook label that carries the service.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        doc = _load_json(path)
        if isinstance(doc, list):
            rows = [(f"[{i}]", rec) for i, rec in enumerate(doc)]
        elif _is_webhook(doc):
            rows = [("", doc)]
        else:
            raise InputError(f"{path.name}: expected an Alertmanager webhook payload (an object with "
                             f"'alerts') or a list, got {_kind(doc)}")
        return parse_alerts(rows, path.name, service_label)
    _, rows = _rows(path, ("id", "ts", "service", "name", "severity"))
    return parse_alerts(rows, path.name, service_label)


def _load_json(path: Path) -> Any:
    text = _read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path.name}:{exc.lineno}: invalid JSON ({exc.msg} at column {exc.colno})") from None


# ----------------------------------------------------------------------------- topology and truth

def load_topology(path: str | Path) -> dict[str, tuple[str, ...]]:
    """``{"web": ["orders", "auth"], ...}`` -> service -> the services it depends on.

    Services that appear nowhere are simply isolated: not an error.
    """
    path = Path(path)
    doc = _load_json(path)
    if not isinstance(doc, dict):
        raise InputError(f"{path.name}: expected an object of service -> [services it depends on], got {_kind(doc)}")
    topo: dict[str, tuple[str, ...]] = {}
    for service in sorted(doc):
        deps = doc[service]
        if not service.strip():
            raise InputError(f"{path.name}: a service with an empty name")
        if not isinstance(deps, list):
            raise InputError(f"{path.name}: service '{service}': expected a list of services it depends on, got {_kind(deps)}")
        for i, dep in enumerate(deps):
            if not isinstance(dep, str) or not dep.strip():
                raise InputError(f"{path.name}: service '{service}': field '{service}[{i}]': "
                                 f"expected a service name (text), got {_kind(dep) if not isinstance(dep, str) else 'empty text'}")
        topo[service] = tuple(sorted(set(d for d in deps if d != service)))
    return topo


def _truth_rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
    text = _read_text(path)
    for lineno, row in _csv_rows(text, path.name, columns):
        for col in columns:
            if not row.get(col, "").strip():
                raise InputError(f"{path.name}:{lineno}: field '{col}': missing")
        yield lineno, row


def load_ticket_truth(path: str | Path) -> dict[str, str]:
    """``id,severity[,note]`` CSV -> {ticket id: "SEV1".."SEV4"}."""
    path = Path(path)
    truth: dict[str, str] = {}
    for lineno, row in _truth_rows(path, ("id", "severity")):
        sev = row["severity"].strip().upper()
        if sev not in ("SEV1", "SEV2", "SEV3", "SEV4"):
            raise InputError(f"{path.name}:{lineno}: ticket '{row['id']}': field 'severity': unknown severity '{sev}'")
        if row["id"] in truth:
            raise InputError(f"{path.name}:{lineno}: ticket '{row['id']}': field 'id': duplicate id")
        truth[row["id"]] = sev
    return truth


def load_alert_truth(path: str | Path) -> dict[str, tuple[str, str]]:
    """``id,incident,root_cause`` CSV -> {alert id: (true incident, root-cause service)}."""
    path = Path(path)
    truth: dict[str, tuple[str, str]] = {}
    for lineno, row in _truth_rows(path, ("id", "incident", "root_cause")):
        if row["id"] in truth:
            raise InputError(f"{path.name}:{lineno}: alert '{row['id']}': field 'id': duplicate id")
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
