"""``desk replay``: send a recorded storm again, in its own rhythm, sped up.

For an instructor: the storm arrives on an Alertmanager (``POST /api/v2/alerts``, a JSON
list of ``{labels, annotations, startsAt, endsAt}``) or on ``desk capture`` (as webhook
payloads), and the class watches it grow. What is sent keeps the storm's own timing:
every ``startsAt``/``endsAt`` is shifted by one offset so the storm ends "now" (when the
replay ends), so the replayed storm correlates exactly as the recording. Only the pauses
between sends are divided by ``speed``::

    alerts --plan(now, speed)--> [Send(at, alerts)] --body--> POST, one per Send

The plan is a pure function of the alerts, ``now`` and ``speed``; the command line reads
the clock and sleeps. Any file the alert readers accept can be replayed: the desk's
``alerts.jsonl``, a webhook capture, an API v2 list.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Mapping
from urllib.parse import urlsplit

from .alertmap import AlertPolicy, load_policy, pick_service
from .records import Alert, InputError, isoz

__all__ = ["API_PATH", "fingerprint", "wire_labels", "target_kind", "Send", "implied_ends", "wire_alert",
           "plan", "rounds", "body", "post", "ZERO_TIME"]

API_PATH = "/api/v2/alerts"
ZERO_TIME = "0001-01-01T00:00:00Z"     # a webhook alert still firing has this endsAt
RECEIVER = "desk-replay"


def fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's (Prometheus's) label-set fingerprint: 64-bit FNV-1a over the sorted
    label names and values, each followed by the byte 0xff, as 16 hex digits."""
    h = 0xcbf29ce484222325
    for name in sorted(labels):
        for part in (name, labels[name]):
            for byte in part.encode("utf-8") + b"\xff":
                h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def wire_labels(alert: Alert, policy: AlertPolicy) -> dict[str, str]:
    """The alert's label set as Alertmanager would hold it: its labels, plus ``alertname``,
    the severity label and, unless its labels already name its service, the first label of the
    policy's service chain (``service``). A webhook alert read back keeps the labels it came with."""
    labels = dict(alert.labels)
    labels.setdefault("alertname", alert.name)
    labels.setdefault(policy.severity_label, alert.severity_given or alert.severity)
    if pick_service(labels, policy)[0] != alert.service:
        labels[policy.service_labels[0]] = alert.service
    return dict(sorted(labels.items()))


def target_kind(url: str) -> str:
    """``alertmanager`` for a URL ending in ``/api/v2/alerts``, else ``webhook``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"--to '{url}': expected an http:// or https:// URL")
    return "alertmanager" if parts.path.rstrip("/").endswith(API_PATH) else "webhook"


@dataclass(frozen=True)
class Send:
    """One request of a replay: when to send it and the wire alerts it carries."""
    at: datetime
    alerts: tuple[dict, ...]

    @property
    def resolved(self) -> int:
        return sum(a.get("status", "resolved" if "endsAt" in a else "firing") == "resolved" for a in self.alerts)


def _annotations(alert: Alert) -> dict[str, str]:
    out = {}
    if alert.summary:
        out["summary"] = alert.summary
    if alert.runbook_url:
        out["runbook_url"] = alert.runbook_url
    return out


def implied_ends(alerts: Iterable[Alert], policy: AlertPolicy) -> dict[str, datetime]:
    """When a label set fires again, its earlier firing (with no end of its own) ended halfway
    to the next: alert id -> that end. Alertmanager keeps one alert per label set, so without
    the end it would merge the two firings into one."""
    by_set: dict[tuple, list[Alert]] = defaultdict(list)
    for a in sorted(alerts, key=lambda a: (a.ts, a.id)):
        by_set[tuple(wire_labels(a, policy).items())].append(a)
    ends = {}
    for firings in by_set.values():
        for a, nxt in zip(firings, firings[1:]):
            if a.ends_at is None and nxt.ts > a.ts:
                ends[a.id] = a.ts + (nxt.ts - a.ts) / 2
    return ends


def wire_alert(alert: Alert, labels: dict, offset: timedelta, ends_at: datetime | None, kind: str) -> dict:
    """One alert as sent: an API v2 postable alert, or a webhook payload's alert."""
    starts = isoz(alert.ts + offset)
    if kind == "alertmanager":
        item = {"labels": labels, "annotations": _annotations(alert), "startsAt": starts}
        if ends_at is not None:
            item["endsAt"] = isoz(ends_at + offset)
        return item
    return {"status": "firing" if ends_at is None else "resolved", "labels": labels,
            "annotations": _annotations(alert), "startsAt": starts,
            "endsAt": ZERO_TIME if ends_at is None else isoz(ends_at + offset),
            "generatorURL": "", "fingerprint": fingerprint(labels)}


def plan(alerts: Iterable[Alert], now: datetime, speed: float | None = 60.0, kind: str = "webhook",
         policy: AlertPolicy | None = None) -> list[Send]:
    """The sends of a replay that starts at ``now``, in time order.

    ``speed`` divides the pauses (60: an hour's storm in a minute); ``None`` sends the whole
    storm at once, each alert in its final state. Every time is shifted by one offset so the
    storm's last moment (last start or end) falls when the replay ends. An alert fires at its
    ``ts`` and, when it was resolved, is sent again resolved at its ``ends_at``; for an
    Alertmanager, a label set firing again also ends its earlier firing (:func:`implied_ends`).
    """
    if speed is not None and not speed > 0:
        raise ValueError(f"speed must be more than 0, got {speed}")
    alerts = sorted(alerts, key=lambda a: (a.ts, a.id))
    if not alerts:
        return []
    policy = load_policy() if policy is None else policy
    ends = {a.id: a.ends_at for a in alerts if a.status == "resolved" and a.ends_at is not None}
    if kind == "alertmanager":
        ends = {**implied_ends(alerts, policy), **ends}
    first = alerts[0].ts
    last = max([a.ts for a in alerts] + list(ends.values()))
    span = (last - first) / speed if speed is not None else timedelta(0)
    offset = (now + span) - last
    labels = {a.id: wire_labels(a, policy) for a in alerts}
    if speed is None:
        return [Send(now, tuple(wire_alert(a, labels[a.id], offset, ends.get(a.id), kind) for a in alerts))]
    events: dict[datetime, list[dict]] = defaultdict(list)
    for a in alerts:
        events[now + (a.ts - first) / speed].append(wire_alert(a, labels[a.id], offset, None, kind))
    for a in alerts:
        if a.id in ends:
            events[now + (ends[a.id] - first) / speed].append(wire_alert(a, labels[a.id], offset, ends[a.id], kind))
    return [Send(at, tuple(items)) for at, items in sorted(events.items(), key=lambda kv: kv[0])]


def rounds(alerts: Iterable[Alert], now: datetime, policy: AlertPolicy | None = None) -> list[Send]:
    """The storm for an Alertmanager in as few posts as it can take without merging two firings
    of one label set: post 1 holds every label set's first firing, post 2 the ends of those that
    ended (resolved, or firing again later), post 3 the second firings, and so on. Send each
    only once Alertmanager has notified the one before. Times are shifted so the storm's last
    moment is ``now``; every ``Send.at`` is ``now``.
    """
    alerts = sorted(alerts, key=lambda a: (a.ts, a.id))
    policy = load_policy() if policy is None else policy
    ends = {**implied_ends(alerts, policy),
            **{a.id: a.ends_at for a in alerts if a.status == "resolved" and a.ends_at is not None}}
    offset = now - max([a.ts for a in alerts] + list(ends.values()))
    labels = {a.id: wire_labels(a, policy) for a in alerts}
    seen: dict[tuple, int] = defaultdict(int)
    nth: dict[int, list[Alert]] = defaultdict(list)
    for a in alerts:
        key = tuple(labels[a.id].items())
        nth[seen[key]].append(a)
        seen[key] += 1
    posts = []
    for k in sorted(nth):
        posts.append(Send(now, tuple(wire_alert(a, labels[a.id], offset, None, "alertmanager") for a in nth[k])))
        ended = tuple(wire_alert(a, labels[a.id], offset, ends[a.id], "alertmanager") for a in nth[k] if a.id in ends)
        if ended:
            posts.append(Send(now, ended))
    return posts

def _common(items: list[dict], key: str) -> dict:
    first = items[0][key]
    return {k: v for k, v in first.items() if all(it[key].get(k) == v for it in items)}


def body(send: Send, kind: str) -> bytes:
    """The request body of one send: the API's list of alerts, or one webhook payload."""
    items = list(send.alerts)
    if kind == "alertmanager":
        doc = items
    else:
        doc = {"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0,
               "status": "firing" if any(a["status"] == "firing" for a in items) else "resolved",
               "receiver": RECEIVER, "groupLabels": {}, "commonLabels": _common(items, "labels"),
               "commonAnnotations": _common(items, "annotations"), "externalURL": "", "alerts": items}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def post(url: str, data: bytes, token: bytes | None = None, timeout: float = 10.0) -> str:
    """POST JSON; returns the answer's first line, or raises InputError saying what went wrong."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = "Bearer " + token.decode("utf-8")
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.read(2000).decode("utf-8", "replace").strip().split("\n")[0]
    except urllib.error.HTTPError as exc:
        text = exc.read(2000).decode("utf-8", "replace").strip().split("\n")[0]
        hint = (f" (for an Alertmanager, give the URL ending in {API_PATH})"
                if exc.code in (404, 405) and not url.rstrip("/").endswith(API_PATH) else "")
        raise InputError(f"{url}: HTTP {exc.code}: {text[:200]}{hint}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(f"{url}: cannot send ({reason})") from None
