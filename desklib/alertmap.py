"""Alerts as Alertmanager and Grafana send them: labels -> the desk's alert fields.

Real alerts carry what their rule sets chose: ``severity: page`` or ``P1`` or
``none``; the service in ``service``, or ``job``, or ``namespace``; a ``runbook_url``
annotation; a ``status`` and an ``endsAt`` that say whether they are still firing.
This module reads them with a policy kept as data (``fixtures/alert_policy.toml``)::

    payloads --normalize--> one alert dict per copy --merge--> one per firing + notes

What it reads:

* **Alertmanager webhook payloads** (``version: "4"``): ``alerts[]`` with ``status``,
  ``labels``, ``annotations``, ``startsAt``, ``endsAt`` (``0001-01-01T00:00:00Z`` =
  still firing), ``fingerprint``; the payload's ``groupKey`` and ``truncatedAlerts``.
* **Grafana webhook payloads**: the same plus ``orgId``, ``state``, ``title``,
  ``message`` and per alert ``values``, ``valueString``, ``silenceURL``,
  ``dashboardURL``, ``panelURL``, ``imageURL`` (named in the notes, not used).
* **The Alertmanager API v2 alert list** (``GET /api/v2/alerts``,
  ``amtool -o json alert query``): every alert in it is still firing -- its ``endsAt``
  is only when Alertmanager would time it out.

Every mapping or default is a note; identical notes are counted, never repeated.
Errors are one :class:`~desklib.records.InputError` naming file, record and field.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ._gc import paused
from .records import InputError, _Where, _clip, _kind, isoz
from .timefmt import ZERO_TIME, parse_iso

__all__ = ["AlertPolicy", "load_policy", "parse_service_labels", "map_severity", "pick_service",
           "doc_kind", "normalize_webhook_alert", "normalize_api_alert", "expand", "merge_alerts",
           "read_alerts", "rename_clashes", "summarize_notes", "incident_status", "LEVELS"]

LEVELS = ("critical", "warning", "info")
NOT_READ = "not read: "          # prefix of the notes summarize_notes folds into one line

# Fields we know and deliberately leave out (they are still named in the notes).
_ALERT_READ = {"status", "labels", "annotations", "startsAt", "endsAt", "fingerprint"}
_PAYLOAD_READ = {"alerts", "groupKey", "truncatedAlerts"}


@dataclass(frozen=True)
class AlertPolicy:
    """What alert_policy.toml says, checked."""
    severity: Mapping[str, str]                 # lower-cased label value -> level
    severity_label: str = "severity"
    missing_severity: str = "warning"
    unknown_severity: str = "warning"
    service_labels: tuple[str, ...] = ("service", "job", "app", "namespace")
    placeholder: str = "(no service label)"
    summary_annotations: tuple[str, ...] = ("summary", "description", "message")
    runbook_annotations: tuple[str, ...] = ("runbook_url", "runbook")


# ----------------------------------------------------------------------------- the policy file

def _names(value: Any, where: str, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(f"{where}: expected a non-empty list of {what}, got {value!r}")
    return tuple(v.strip() for v in value)


def load_policy(path: str | Path | None = None) -> AlertPolicy:
    """``alert_policy.toml`` -> AlertPolicy; one-line InputError naming file and key."""
    from .policy import PolicyFile        # policy imports records, which imports this module
    reader, doc = PolicyFile.toml(path, "alert_policy.toml")
    path = Path(reader.name)
    f = path.name
    extra = sorted(set(doc) - {"severity", "service", "annotations"})
    if extra:
        raise InputError(f"{f}: [{extra[0]}]: unknown table (tables: severity, service, annotations)")
    sev = doc.get("severity", {})
    svc = doc.get("service", {})
    ann = doc.get("annotations", {})
    for table, value in (("severity", sev), ("service", svc), ("annotations", ann)):
        if not isinstance(value, dict):
            raise InputError(f"{f}: [{table}]: expected a table, got {value!r}")
    allowed = {"severity": {"label", "missing", "unknown", *LEVELS}, "service": {"labels", "placeholder"},
               "annotations": {"summary", "runbook"}}
    for table, value in (("severity", sev), ("service", svc), ("annotations", ann)):
        extra = sorted(set(value) - allowed[table])
        if extra:
            raise InputError(f"{f}: [{table}] {extra[0]}: unknown key (keys: {', '.join(sorted(allowed[table]))})")
    mapping: dict[str, str] = {}
    for level in LEVELS:
        for given in _names(sev.get(level, [level]), f"{f}: [severity] {level}", "label values"):
            low = given.lower()
            if low in mapping and mapping[low] != level:
                raise InputError(f"{f}: [severity] {level}: '{given}' is also listed under {mapping[low]}")
            mapping[low] = level
    for key in ("missing", "unknown"):
        if sev.get(key, "warning") not in LEVELS:
            raise InputError(f"{f}: [severity] {key}: expected one of {', '.join(LEVELS)}, got {sev[key]!r}")
    label = sev.get("label", "severity")
    if not isinstance(label, str) or not label.strip():
        raise InputError(f"{f}: [severity] label: expected a label name, got {label!r}")
    placeholder = svc.get("placeholder", "(no service label)")
    if not isinstance(placeholder, str) or not placeholder.strip():
        raise InputError(f"{f}: [service] placeholder: expected a non-empty name, got {placeholder!r}")
    return AlertPolicy(
        severity=mapping, severity_label=label.strip(),
        missing_severity=sev.get("missing", "warning"), unknown_severity=sev.get("unknown", "warning"),
        service_labels=_names(svc.get("labels", list(AlertPolicy.service_labels)), f"{f}: [service] labels",
                              "label names"),
        placeholder=placeholder,
        summary_annotations=_names(ann.get("summary", list(AlertPolicy.summary_annotations)),
                                   f"{f}: [annotations] summary", "annotation names"),
        runbook_annotations=_names(ann.get("runbook", list(AlertPolicy.runbook_annotations)),
                                   f"{f}: [annotations] runbook", "annotation names"))


def parse_service_labels(value: str | Iterable[str]) -> tuple[str, ...]:
    """``"service,job,app"`` (``--service-label``) or a list -> a checked tuple of label names."""
    items = value.split(",") if isinstance(value, str) else list(value)
    names = tuple(str(v).strip() for v in items)
    if not names or any(not n for n in names):
        raise InputError(f"--service-label '{value if isinstance(value, str) else ','.join(items)}': "
                         "expected label names separated by commas, e.g. service,job,app,namespace")
    if len(set(names)) != len(names):
        raise InputError(f"--service-label: a label is named twice in '{','.join(names)}'")
    return names


# ----------------------------------------------------------------------------- single decisions

def map_severity(value: str | None, policy: AlertPolicy) -> tuple[str, str | None]:
    """A severity label value (or None) -> (level, note or None). Never raises for a value."""
    if value is None or not value.strip():
        return policy.missing_severity, f"no {policy.severity_label} label: read as {policy.missing_severity}"
    level = policy.severity.get(value.strip().lower())
    if level is None:
        return policy.unknown_severity, (f"{policy.severity_label} '{value}' is not in alert_policy.toml: "
                                         f"treated as {policy.unknown_severity}, kept as given in labels")
    if level != value:
        return level, f"{policy.severity_label} '{value}' read as {level}"
    return level, None


def pick_service(labels: Mapping[str, str], policy: AlertPolicy) -> tuple[str, str | None]:
    """The first non-empty label of the chain -> (service, note or None)."""
    for i, name in enumerate(policy.service_labels):
        value = labels.get(name)
        if isinstance(value, str) and value.strip():
            return value, (f"service from label '{name}'" if i else None)
    chain = ", ".join(policy.service_labels)
    return policy.placeholder, f"none of the labels {chain}: grouped under service '{policy.placeholder}'"


# ----------------------------------------------------------------------------- one alert

def _strings(value: Any, w: _Where, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise w.error(key, f"expected an object of name -> text, got {_kind(value)}")
    for k, v in value.items():
        if not isinstance(v, str):
            raise w.error(f"{key}.{k}", f"expected text, got {_kind(v)}")
    return {k: value[k] for k in sorted(value)}


def _time(value: Any, w: _Where, key: str, required: bool) -> datetime | None:
    if value is None or value == "":
        if required:
            raise w.error(key, "missing")
        return None
    if not isinstance(value, str):
        raise w.error(key, f"expected an RFC 3339 timestamp (text), got {_kind(value)}")
    ts = parse_iso(value)
    if ts is None:
        raise w.error(key, f"not an RFC 3339 timestamp: '{_clip(value)}'")
    if ts.tzinfo is None:
        raise w.error(key, f"no UTC offset in '{_clip(value)}'")
    try:
        ts = ts.astimezone(timezone.utc)
    except OverflowError:
        raise w.error(key, f"'{_clip(value)}' is outside the years the desk can represent") from None
    if ts == ZERO_TIME:           # Go's zero time: "not set"
        if required:
            raise w.error(key, "is the zero time 0001-01-01T00:00:00Z (not set)")
        return None
    return ts


def _common(raw: Any, policy: AlertPolicy, where: str) -> tuple[dict, list[str], _Where, dict]:
    w = _Where(where, "", "alert")     # `where` already names the file and the record
    if not isinstance(raw, dict):
        raise w.error(None, f"expected an alert object, got {_kind(raw)}")
    notes: list[str] = []
    labels = _strings(raw.get("labels"), w, "labels")
    fp = raw.get("fingerprint")
    if fp is not None and not isinstance(fp, str):
        raise w.error("fingerprint", f"expected text, got {_kind(fp)}")
    if not fp or not fp.strip():
        fp = hashlib.sha1(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
        notes.append("no fingerprint: id made from the labels")
    w.rid = fp = fp.strip()
    name = labels.get("alertname", "")
    if not name.strip():
        raise w.error("labels.alertname", "is empty" if "alertname" in labels else "missing")
    annotations = _strings(raw.get("annotations"), w, "annotations")
    service, note = pick_service(labels, policy)
    notes += [note] if note else []
    given = labels.get(policy.severity_label)
    severity, note = map_severity(given, policy)
    notes += [note] if note else []
    summary, runbook = "", None
    for i, key in enumerate(policy.summary_annotations):
        if annotations.get(key, "").strip():
            summary = annotations[key]
            if i:
                notes.append(f"summary from annotation '{key}'")
            break
    for key in policy.runbook_annotations:
        if annotations.get(key, "").strip():
            runbook = annotations[key].strip()
            break
    starts = _time(raw.get("startsAt"), w, "startsAt", required=True)
    alert = {"id": fp, "ts": starts, "service": service, "name": name, "severity": severity,
             "labels": labels, "summary": summary, "status": "firing", "ends_at": None,
             "runbook_url": runbook, "severity_given": given if given is None or given.strip() else None}
    return alert, notes, w, raw


def normalize_webhook_alert(raw: Any, policy: AlertPolicy, where: str = "") -> tuple[dict, list[str]]:
    """One ``alerts[]`` entry of an Alertmanager or Grafana webhook payload -> (alert, notes).

    ``status`` "resolved" with ``endsAt`` -> resolved at that time. ``endsAt`` of
    ``0001-01-01T00:00:00Z`` (or absent) means still firing. Notes carry no alert id,
    so identical ones can be counted.
    """
    alert, notes, w, raw = _common(raw, policy, where)
    status = raw.get("status")
    if status is not None and status not in ("firing", "resolved"):
        raise w.error("status", f"expected 'firing' or 'resolved', got {_clip(status) if isinstance(status, str) else _kind(status)}")
    ends = _time(raw.get("endsAt"), w, "endsAt", required=False)
    if status is None:
        status = "resolved" if ends is not None else "firing"    # Alertmanager shows endsAt only once passed
        notes.append(f"no status: read as {status} from endsAt")
    if status == "resolved":
        if ends is None:
            notes.append("resolved without an endsAt: end time unknown")
        elif ends < alert["ts"]:
            raise w.error("endsAt", f"{isoz(ends)} is before startsAt {isoz(alert['ts'])}")
        alert.update(status="resolved", ends_at=ends)
    elif ends is not None:
        notes.append("firing with an endsAt: read as still firing (endsAt is then only a time-out)")
    notes += [NOT_READ + k for k in sorted(set(raw) - _ALERT_READ)]
    return alert, notes


def normalize_api_alert(raw: Any, policy: AlertPolicy, where: str = "") -> tuple[dict, list[str]]:
    """One alert of the Alertmanager API v2 list -> (alert, notes); always firing.

    The API lists alerts that have not ended; their ``endsAt`` is when Alertmanager
    would time them out if nothing re-sent them, not an end, so it is not read.
    """
    alert, notes, w, raw = _common(raw, policy, where)
    state = raw.get("status")
    if isinstance(state, dict):
        s = state.get("state")
        if s == "suppressed":
            notes.append("silenced or inhibited (status.state suppressed): read as firing")
        elif s not in (None, "active", "unprocessed"):
            raise w.error("status.state", f"expected active, suppressed or unprocessed, got {_clip(s)}")
    elif state is not None:
        raise w.error("status", f"expected an object with 'state', got {_kind(state)}")
    notes.append("API v2 alert list: read as firing (its endsAt is a time-out, not an end)")
    notes += [NOT_READ + k for k in sorted(set(raw) - _ALERT_READ - {"endsAt"})]
    return alert, notes


# ----------------------------------------------------------------------------- files of payloads

def doc_kind(doc: Any) -> str | None:
    """'webhook' (a payload with alerts[]), 'api' (an API v2 alert) or None (something else)."""
    if isinstance(doc, dict):
        if "alerts" in doc:
            return "webhook"
        if "startsAt" in doc and "labels" in doc and "id" not in doc:
            return "api"
    return None


def _payload_alerts(doc: Any, at: str) -> tuple[list, int]:
    """A webhook payload's alerts[] and its truncatedAlerts count, checked."""
    if doc_kind(doc) != "webhook":
        got = _kind(doc) if not isinstance(doc, dict) else "an object without alerts or startsAt"
        raise InputError(f"{at}: expected an Alertmanager/Grafana webhook payload (an object with "
                         f"'alerts') or an API v2 alert, got {got}")
    items = doc["alerts"]
    if not isinstance(items, list):
        raise InputError(f"{at}: field 'alerts': expected a list, got {_kind(items)}")
    n_trunc = doc.get("truncatedAlerts") or 0
    if isinstance(n_trunc, bool) or not isinstance(n_trunc, int) or n_trunc < 0:
        raise InputError(f"{at}: field 'truncatedAlerts': expected a count, got {_kind(n_trunc)}")
    return items, n_trunc


def expand(docs: Iterable[tuple[Any, Any]], policy: AlertPolicy, name: str = "<alerts>",
           on_error: Callable[[str, Any, InputError], None] | None = None,
           ) -> tuple[list[dict], list[str], list[str]]:
    """(where, payload or API alert) pairs -> (alerts, alert notes, file notes).

    One alert per copy, in input order; ``where`` is the line or position of the
    document in file ``name``. Alert notes repeat per alert (count them with
    :func:`summarize_notes`); file notes (truncated groups, payload fields) are final.
    ``on_error(where, raw, error)``: a bad alert (or a bad payload, whole) is handed to
    it and left out (``--rejects``); without it the first one raises.
    """
    alerts: list[dict] = []
    notes: list[str] = []
    payload_keys: Counter[str] = Counter()
    truncated: dict[str, list[int]] = defaultdict(list)

    def one(normalize, raw: Any, where: str) -> None:
        try:
            alert, n = normalize(raw, policy, where)
        except InputError as exc:
            if on_error is None:
                raise
            on_error(where, raw, exc)
        else:
            alerts.append(alert)
            notes.extend(n)

    for line, doc in docs:
        at = f"{name}:{line}" if line not in ("", None) else name
        if doc_kind(doc) == "api":
            one(normalize_api_alert, doc, at)
            continue
        try:
            items, n_trunc = _payload_alerts(doc, at)
        except InputError as exc:
            if on_error is None:
                raise
            on_error(at, doc, exc)
            continue
        if n_trunc:
            key = doc.get("groupKey")
            truncated[key if isinstance(key, str) and key else "(no groupKey)"].append(n_trunc)
        payload_keys.update(set(doc) - _PAYLOAD_READ)
        for i, item in enumerate(items, start=1):
            one(normalize_webhook_alert, item, f"{at}: alerts[{i}]" if line not in ("", None) else f"{at}:alerts[{i}]")
    file_notes = []
    for key in sorted(truncated):
        counts = truncated[key]
        file_notes.append(f"group {key}: Alertmanager left out {sum(counts)} alerts in {len(counts)} "
                          f"notification{'s' if len(counts) != 1 else ''} (truncatedAlerts > 0: max_alerts "
                          "in the receiver's webhook_config caps each notification); they are not in this file")
    if payload_keys:
        file_notes.append("payload fields not read: " + ", ".join(
            f"{k} ×{n}" if n > 1 else k for k, n in sorted(payload_keys.items())))
    return alerts, notes, file_notes


def _rank(alert: dict) -> tuple:
    """Which of several copies of one firing wins: resolved, then latest end, then content."""
    text = json.dumps({k: (isoz(v) if isinstance(v, datetime) else v) for k, v in alert.items()},
                      sort_keys=True)
    return (alert["status"] == "resolved", alert["ends_at"] or ZERO_TIME, text)


def merge_alerts(alerts: Iterable[dict], check: bool = True) -> tuple[list[dict], int]:
    """Copies of the same firing (same id and ts) -> one alert; returns (alerts, merged count).

    A re-notification and the resolved message are copies: the resolved copy wins
    whatever the order of payloads. The same id with a later ``ts`` fired again (a flap)
    and becomes ``id@ts``, so the earliest firing keeps the bare id. Output is sorted by
    (ts, id): the same set of copies in any order gives the same list.
    """
    best: dict[tuple[str, datetime], dict] = {}
    n = 0
    for alert in alerts:
        n += 1
        key = (alert["id"], alert["ts"])
        if key not in best or _rank(alert) > _rank(best[key]):
            best[key] = alert
    first: dict[str, datetime] = {}
    for fp, ts in best:
        if fp not in first or ts < first[fp]:
            first[fp] = ts
    out = []
    for (fp, ts), alert in best.items():
        if ts != first[fp]:
            alert = {**alert, "id": f"{fp}@{isoz(ts)}"}
        out.append(alert)
    out.sort(key=lambda a: (a["ts"], a["id"]))
    ids = Counter(a["id"] for a in out)
    clash = sorted(i for i, c in ids.items() if c > 1)
    if clash and check:
        raise InputError(f"alert '{_clip(clash[0], 40)}': field 'fingerprint': two different alerts end up "
                         "with this id (a fingerprint equals another alert's fingerprint@startsAt)")
    return out, n - len(out)


def rename_clashes(alerts: list[dict]) -> tuple[list[dict], list[str]]:
    """Different alerts that ended up with one id (a fingerprint equal to another alert's
    ``fingerprint@startsAt``): the earliest keeps it, the later ones become ``id#2``, ``id#3``
    ... -- renamed and said, never dropped. Returns (alerts sorted by (ts, id), notes)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, a in enumerate(alerts):
        groups[a["id"]].append(i)
    if all(len(g) == 1 for g in groups.values()):
        return alerts, []
    taken, out, notes = set(groups), list(alerts), []
    for aid in sorted(aid for aid, g in groups.items() if len(g) > 1):
        order = sorted(groups[aid], key=lambda i: (out[i]["ts"], _rank(out[i])))
        renamed = []
        for i in order[1:]:
            k = 2
            while f"{aid}#{k}" in taken:
                k += 1
            taken.add(f"{aid}#{k}")
            out[i] = {**out[i], "id": f"{aid}#{k}"}
            renamed.append(f"'{aid}#{k}'")
        notes.append(f"{len(order)} different alerts have the id '{_clip(aid, 60)}'; "
                     f"the later ones are {', '.join(renamed)}")
    out.sort(key=lambda a: (a["ts"], a["id"]))
    return out, notes


def summarize_notes(notes: Iterable[str], unit: str = "alert") -> list[str]:
    """Identical notes counted once (``note (3 alerts)``); 'not read' fields on one line."""
    counts = Counter(notes)
    unread = {k[len(NOT_READ):]: c for k, c in counts.items() if k.startswith(NOT_READ)}
    out = [f"{k} ({c} {unit}{'s' if c != 1 else ''})"
           for k, c in sorted(counts.items()) if not k.startswith(NOT_READ)]
    if unread:
        out.append("alert fields not read: " + ", ".join(
            f"{k} ×{c}" if c > 1 else k for k, c in sorted(unread.items())))
    return out


def read_alerts(docs: Iterable[tuple[Any, Any]], name: str = "<alerts>", policy: AlertPolicy | None = None,
                service_labels: str | Iterable[str] | None = None,
                on_error: Callable[[str, Any, InputError], None] | None = None,
                clashes: str = "raise") -> tuple[list[dict], list[str], dict]:
    """Payloads / API alerts -> (merged alerts sorted by time, notes, counts).

    ``counts`` is ``{"read", "used", "merged", "set_aside"}`` with read = used + merged +
    set_aside (a payload set aside whole counts once). ``service_labels``
    (``--service-label``) replaces the policy's chain; ``on_error`` as in :func:`expand`.
    ``clashes="rename"``: two different alerts with one id are renamed (:func:`rename_clashes`)
    instead of refused.
    """
    policy = load_policy() if policy is None else policy
    if service_labels is not None:
        policy = replace(policy, service_labels=parse_service_labels(service_labels))
    set_aside = 0

    def aside(where: str, raw: Any, exc: InputError) -> None:
        nonlocal set_aside
        set_aside += 1
        on_error(where, raw, exc)

    with paused():                   # many small acyclic objects: see desklib._gc
        copies, alert_notes, file_notes = expand(docs, policy, name, aside if on_error else None)
        if not copies and not set_aside:
            raise InputError(f"{name}: the payloads hold no alerts")
        merged, n_merged = merge_alerts(copies, check=clashes != "rename")
        merged, clash_notes = rename_clashes(merged) if clashes == "rename" else (merged, [])
    notes = file_notes + summarize_notes(alert_notes) + clash_notes
    resolved = sum(a["status"] == "resolved" for a in merged)
    if n_merged:
        notes.append(f"{n_merged} repeated cop{'ies' if n_merged != 1 else 'y'} of an alert "
                     "(re-notification or resolved message) merged into the alert")
    notes.append(f"status: {len(merged) - resolved} still firing, {resolved} resolved")
    return merged, notes, {"read": len(copies) + set_aside, "used": len(merged), "merged": n_merged,
                           "set_aside": set_aside}


def incident_status(members: Iterable[tuple[str, datetime | None]]) -> tuple[bool, datetime | None]:
    """(status, ends_at) of an incident's alerts -> (still firing?, when it ended).

    An incident fires while any of its alerts fires; once all are resolved it ended
    when the last one did (None if a resolved alert's end is unknown).
    """
    members = list(members)
    if not members or any(status != "resolved" for status, _ in members):
        return True, None
    ends = [end for _, end in members]
    return False, (None if any(e is None for e in ends) else max(ends))
