"""Alerts as Alertmanager and Grafana send them (desklib.alertmap)."""
from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from desklib import alertmap, records
from desklib.records import InputError

FIX = Path(__file__).resolve().parents[1] / "fixtures"
SRC = FIX / "sources"
UTC = timezone.utc
POLICY = alertmap.load_policy(FIX / "alert_policy.toml")


def docs_of(name):
    text = (SRC / name).read_text(encoding="utf-8")
    if name.endswith(".jsonl"):
        return [(i, json.loads(line)) for i, line in enumerate(text.split("\n"), start=1) if line.strip()]
    doc = json.loads(text)
    return [(f"[{i}]", d) for i, d in enumerate(doc)] if isinstance(doc, list) else [("", doc)]


def read(name, **kw):
    return alertmap.read_alerts(docs_of(name), name, POLICY, **kw)


def alert(labels, status="firing", starts="2026-03-02T02:00:00Z", ends="0001-01-01T00:00:00Z",
          fp="aaaa000000000001", **extra):
    return {"status": status, "labels": labels, "annotations": extra.pop("annotations", {}),
            "startsAt": starts, "endsAt": ends, "fingerprint": fp, **extra}


def payload(*alerts, **extra):
    return {"version": "4", "status": "firing", "receiver": "r", "groupKey": "{}:{}", "truncatedAlerts": 0,
            "alerts": list(alerts), **extra}


def as_alert(d):
    """The canonical dict holds what records.Alert takes today."""
    return records.Alert(**{k: d[k] for k in records.ALERT_FIELDS})


# ----------------------------------------------------------------------------- severity

@pytest.mark.parametrize("level, values", [
    ("critical", ["critical", "page", "major", "high", "error", "emergency", "P1", "sev1", "PAGE", "Sev1"]),
    ("warning", ["warning", "warn", "minor", "medium", "P2", "P3", "Warning"]),
    ("info", ["info", "low", "none", "notice", "P4", "P5", "NONE"]),
])
def test_every_severity_spelling_maps(level, values):
    for value in values:
        got, note = alertmap.map_severity(value, POLICY)
        assert got == level, value
        assert (note is None) == (value == level)


def test_an_unmapped_severity_is_kept_treated_as_warning_and_reported():
    a = payload(alert({"alertname": "X", "service": "s", "severity": "sev-x"}))
    alerts, notes, _ = alertmap.read_alerts([(1, a)], "am.jsonl", POLICY)
    assert alerts[0]["severity"] == "warning"
    assert alerts[0]["severity_given"] == "sev-x" and alerts[0]["labels"]["severity"] == "sev-x"
    assert ("severity 'sev-x' is not in alert_policy.toml: treated as warning, kept as given in labels "
            "(1 alert)") in notes


def test_no_severity_label_is_warning_and_said():
    alerts, notes, _ = alertmap.read_alerts([(1, payload(alert({"alertname": "X", "service": "s"})))], "f", POLICY)
    assert alerts[0]["severity"] == "warning" and alerts[0]["severity_given"] is None
    assert "no severity label: read as warning (1 alert)" in notes


# ----------------------------------------------------------------------------- service chain

@pytest.mark.parametrize("labels, service, note", [
    ({"service": "pg", "job": "postgres"}, "pg", None),
    ({"job": "postgres", "app": "db"}, "postgres", "service from label 'job'"),
    ({"service": "", "job": " ", "app": "db"}, "db", "service from label 'app'"),      # empty = missing
    ({"namespace": "monitoring"}, "monitoring", "service from label 'namespace'"),
    ({"instance": "10.0.0.1"}, "(no service label)",
     "none of the labels service, job, app, namespace: grouped under service '(no service label)'"),
])
def test_service_comes_from_the_first_label_of_the_chain(labels, service, note):
    assert alertmap.pick_service(labels, POLICY) == (service, note)


def test_one_alert_without_any_service_label_does_not_reject_the_storm():
    docs = [(1, payload(alert({"alertname": "A", "service": "web"}, fp="f1"),
                        alert({"alertname": "B", "instance": "i"}, fp="f2")))]
    alerts, notes, counts = alertmap.read_alerts(docs, "f", POLICY)
    assert [a["service"] for a in alerts] == ["web", "(no service label)"]
    assert ("none of the labels service, job, app, namespace: grouped under service '(no service label)' "
            "(1 alert)") in notes
    assert counts == {"read": 2, "used": 2, "merged": 0, "set_aside": 0}


def test_service_label_chain_given_for_one_run():
    docs = [(1, payload(alert({"alertname": "A", "team": "payments", "service": "web"})))]
    alerts, notes, _ = alertmap.read_alerts(docs, "f", POLICY, service_labels="team,service")
    assert alerts[0]["service"] == "payments"


@pytest.mark.parametrize("value", ["", "service,,job", " , ", "job,job"])
def test_bad_service_label_chain(value):
    with pytest.raises(InputError, match=r"^--service-label"):
        alertmap.parse_service_labels(value)


# ----------------------------------------------------------------------------- the capture end to end

def test_alertmanager_capture_end_to_end():
    alerts, notes, counts = read("alertmanager_capture.jsonl")
    by = {a["name"]: a for a in alerts}
    pg = by["PostgresDown"]
    assert pg["id"] == "3f2a9c1b7d5e0a41"
    assert pg["ts"] == datetime(2026, 3, 2, 2, 0, 0, 123456, tzinfo=UTC)          # nanoseconds cut
    assert pg["status"] == "resolved" and pg["ends_at"] == datetime(2026, 3, 2, 2, 14, 30, 500000, tzinfo=UTC)
    assert pg["severity"] == "critical" and pg["severity_given"] == "page"
    assert pg["runbook_url"] == "https://runbooks.example/postgres/down"
    assert by["OrdersHighErrorRate"]["service"] == "orders"                        # from job
    assert by["OrdersHighErrorRate"]["summary"] == "5xx ratio above 5% for 5 minutes"   # from description
    assert by["Watchdog"]["severity"] == "info" and by["Watchdog"]["service"] == "monitoring"
    assert [a["status"] for a in alerts].count("firing") == 4
    assert counts == {"read": 7, "used": 5, "merged": 2, "set_aside": 0}
    assert [a["ts"] for a in alerts] == sorted(a["ts"] for a in alerts)
    assert "severity 'page' read as critical (3 alerts)" in notes
    assert "severity 'P1' read as critical (2 alerts)" in notes
    assert "severity 'none' read as info (1 alert)" in notes
    assert "severity 'major' read as critical (1 alert)" in notes
    assert "service from label 'job' (1 alert)" in notes
    assert "status: 4 still firing, 1 resolved" in notes
    trunc = [n for n in notes if n.startswith("group ")]
    assert trunc == ['group {}:{alertname="NodeClockSkew"}: Alertmanager left out 3 alerts in 1 notification '
                     "(truncatedAlerts > 0: max_alerts in the receiver's webhook_config caps each "
                     "notification); they are not in this file"]
    assert any(n.startswith("alert fields not read: generatorURL ×7") for n in notes)
    for a in alerts:                                   # the fields records.Alert has today still fit
        assert as_alert(a).ts.tzinfo is not None


def test_resolved_only_payload_makes_resolved_alerts():
    docs = [(1, payload(alert({"alertname": "A", "service": "web", "severity": "critical"}, status="resolved",
                              ends="2026-03-02T02:10:00Z"), status="resolved"))]
    alerts, notes, _ = alertmap.read_alerts(docs, "f", POLICY)
    assert alerts[0]["status"] == "resolved" and alerts[0]["ends_at"] == datetime(2026, 3, 2, 2, 10, tzinfo=UTC)
    assert "status: 0 still firing, 1 resolved" in notes
    assert alertmap.incident_status([(a["status"], a["ends_at"]) for a in alerts]) == (
        False, datetime(2026, 3, 2, 2, 10, tzinfo=UTC))


@pytest.mark.parametrize("members, want", [
    ([("firing", None), ("resolved", datetime(2026, 3, 2, 3, tzinfo=UTC))], (True, None)),
    ([("resolved", datetime(2026, 3, 2, 3, tzinfo=UTC)), ("resolved", datetime(2026, 3, 2, 4, tzinfo=UTC))],
     (False, datetime(2026, 3, 2, 4, tzinfo=UTC))),
    ([("resolved", None), ("resolved", datetime(2026, 3, 2, 4, tzinfo=UTC))], (False, None)),
])
def test_incident_status(members, want):
    assert alertmap.incident_status(members) == want


def test_resolved_without_endsat_and_no_status():
    docs = [(1, payload(alert({"alertname": "A", "service": "w"}, status="resolved", fp="f1"),
                        {k: v for k, v in alert({"alertname": "B", "service": "w"}, fp="f2",
                                                ends="2026-03-02T02:05:00Z").items() if k != "status"}))]
    alerts, notes, _ = alertmap.read_alerts(docs, "f", POLICY)
    assert [(a["status"], a["ends_at"]) for a in alerts] == [
        ("resolved", None), ("resolved", datetime(2026, 3, 2, 2, 5, tzinfo=UTC))]
    assert "resolved without an endsAt: end time unknown (1 alert)" in notes
    assert "no status: read as resolved from endsAt (1 alert)" in notes


# ----------------------------------------------------------------------------- merging copies

def test_flapping_alert_gets_fingerprint_at_start_whatever_the_order():
    a1 = alert({"alertname": "A", "service": "w"}, starts="2026-03-02T02:00:00Z", fp="f1")
    a2 = alert({"alertname": "A", "service": "w"}, starts="2026-03-02T02:30:00Z", fp="f1")
    for order in ([a1, a2], [a2, a1]):
        alerts, _, counts = alertmap.read_alerts([(1, payload(*order))], "f", POLICY)
        assert [a["id"] for a in alerts] == ["f1", "f1@2026-03-02T02:30:00Z"]
        assert counts["merged"] == 0


def test_no_fingerprint_makes_a_stable_id_from_the_labels():
    raw = alert({"alertname": "A", "service": "w"})
    del raw["fingerprint"]
    one, notes = alertmap.normalize_webhook_alert(raw, POLICY)
    two, _ = alertmap.normalize_webhook_alert(copy.deepcopy(raw), POLICY)
    assert one["id"] == two["id"] and len(one["id"]) == 16
    assert "no fingerprint: id made from the labels" in notes


def test_an_id_clash_between_fingerprint_and_fingerprint_at_start_is_an_error():
    a1 = alert({"alertname": "A", "service": "w"}, starts="2026-03-02T02:00:00Z", fp="f1")
    a2 = alert({"alertname": "A", "service": "w"}, starts="2026-03-02T02:30:00Z", fp="f1")
    a3 = alert({"alertname": "B", "service": "w"}, fp="f1@2026-03-02T02:30:00Z")
    with pytest.raises(InputError, match=r"two different alerts end up with this id"):
        alertmap.read_alerts([(1, payload(a1, a2, a3))], "f", POLICY)


CAPTURE = docs_of("alertmanager_capture.jsonl")
BASE = read("alertmanager_capture.jsonl")


@settings(max_examples=60, deadline=None)
@given(st.permutations(range(len(CAPTURE))))
def test_payload_order_does_not_change_the_result(perm):
    docs = [(CAPTURE[i][0], CAPTURE[i][1]) for i in perm]
    assert alertmap.read_alerts(docs, "alertmanager_capture.jsonl", POLICY) == BASE


COPIES = alertmap.expand(CAPTURE, POLICY, "c")[0]


@settings(max_examples=60, deadline=None)
@given(st.permutations(range(len(COPIES))))
def test_merge_is_order_independent_and_the_resolved_copy_wins(perm):
    merged, n = alertmap.merge_alerts([COPIES[i] for i in perm])
    assert (merged, n) == alertmap.merge_alerts(COPIES)
    assert n == 2
    assert next(a for a in merged if a["id"] == "3f2a9c1b7d5e0a41")["status"] == "resolved"


# ----------------------------------------------------------------------------- Grafana and the API v2 list

def test_grafana_webhook():
    alerts, notes, counts = read("grafana_webhook.json")
    by = {a["name"]: a for a in alerts}
    lat = by["CheckoutLatencyHigh"]
    assert lat["ts"] == datetime(2026, 3, 2, 2, 10, tzinfo=UTC)                 # +01:00 -> UTC
    assert lat["service"] == "checkout" and lat["status"] == "firing"
    assert lat["runbook_url"] == "https://runbooks.example/checkout/latency"
    burn = by["CheckoutErrorBudgetBurn"]
    assert burn["status"] == "resolved" and burn["ends_at"] == datetime(2026, 3, 2, 2, 12, tzinfo=UTC)
    assert burn["severity"] == "critical" and burn["severity_given"] == "high"
    unread = next(n for n in notes if n.startswith("alert fields not read"))
    for field in ("values", "valueString", "silenceURL", "dashboardURL", "panelURL", "imageURL"):
        assert field in unread
    payload_unread = next(n for n in notes if n.startswith("payload fields not read"))
    for field in ("orgId", "state", "title", "message"):
        assert field in payload_unread
    assert counts == {"read": 2, "used": 2, "merged": 0, "set_aside": 0}


def test_alertmanager_api_v2_list():
    alerts, notes, _ = read("alertmanager_api_v2.json")
    assert [a["id"] for a in alerts] == ["7a3c9e5b1d0f2864", "6e1f0a9c3b7d2548", "d2a85c1e0f4b7396"]
    assert all(a["status"] == "firing" and a["ends_at"] is None for a in alerts)
    assert alerts[0]["severity"] == "info" and alerts[0]["service"] == "kube-system"
    assert "silenced or inhibited (status.state suppressed): read as firing (1 alert)" in notes
    assert "API v2 alert list: read as firing (its endsAt is a time-out, not an end) (3 alerts)" in notes
    assert alertmap.doc_kind(docs_of("alertmanager_api_v2.json")[0][1]) == "api"


def test_doc_kind():
    assert alertmap.doc_kind(payload()) == "webhook"
    assert alertmap.doc_kind({"id": "a1", "ts": "2026-03-02T02:00:00Z", "labels": {}, "startsAt": "x"}) is None
    assert alertmap.doc_kind([1]) is None


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("raw, message", [
    (alert({"service": "w"}), "am.jsonl:3: alerts[1]: alert 'aaaa000000000001': field 'labels.alertname': missing"),
    (alert({"alertname": "A"}, starts="yesterday"),
     "am.jsonl:3: alerts[1]: alert 'aaaa000000000001': field 'startsAt': not an RFC 3339 timestamp: 'yesterday'"),
    (alert({"alertname": "A"}, starts="2026-03-02T02:00:00"),
     "am.jsonl:3: alerts[1]: alert 'aaaa000000000001': field 'startsAt': no UTC offset"),
    (alert({"alertname": "A"}, starts="0001-01-01T00:00:00Z"),
     "am.jsonl:3: alerts[1]: alert 'aaaa000000000001': field 'startsAt': is the zero time"),
    (alert({"alertname": "A"}, status="pending"),
     "am.jsonl:3: alerts[1]: alert 'aaaa000000000001': field 'status': expected 'firing' or 'resolved', got pending"),
    (alert({"alertname": "A"}, status="resolved", ends="2026-03-02T01:00:00Z"),
     "am.jsonl:3: alerts[1]: alert 'aaaa000000000001': field 'endsAt': 2026-03-02T01:00:00Z is before startsAt"),
    (alert({"alertname": "A", "replica": 2}), "am.jsonl:3: alerts[1]: field 'labels.replica': expected text, got number 2"),
    (alert({"alertname": "A"}, fp=7), "am.jsonl:3: alerts[1]: field 'fingerprint': expected text, got number 7"),
    ("oops", "am.jsonl:3: alerts[1]: expected an alert object, got str"),
])
def test_a_bad_alert_names_file_line_alert_and_field(raw, message):
    with pytest.raises(InputError) as err:
        alertmap.read_alerts([(3, payload(raw))], "am.jsonl", POLICY)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize("doc, message", [
    (payload(truncatedAlerts=-1), "am.jsonl:3: field 'truncatedAlerts': expected a count"),
    ({"alerts": {"a": 1}}, "am.jsonl:3: field 'alerts': expected a list, got an object"),
    ({"id": "a1", "ts": "2026-03-02T02:00:00Z"}, "am.jsonl:3: expected an Alertmanager/Grafana webhook payload"),
])
def test_a_bad_payload(doc, message):
    with pytest.raises(InputError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        alertmap.read_alerts([(3, doc)], "am.jsonl", POLICY)


def test_payloads_without_alerts():
    with pytest.raises(InputError, match=r"^am.jsonl: the payloads hold no alerts"):
        alertmap.read_alerts([(1, payload())], "am.jsonl", POLICY)


# ----------------------------------------------------------------------------- the policy file

@pytest.mark.parametrize("text, message", [
    ("[severity]\ncritical = ['page']\nwarning = ['page']\n",
     "alert_policy.toml: [severity] warning: 'page' is also listed under critical"),
    ("[severity]\nmissing = 'loud'\n", "alert_policy.toml: [severity] missing: expected one of critical, warning, info"),
    ("[severity]\nurgent = ['x']\n", "alert_policy.toml: [severity] urgent: unknown key"),
    ("[service]\nlabels = []\n", "alert_policy.toml: [service] labels: expected a non-empty list of label names"),
    ("[service]\nplaceholder = ''\n", "alert_policy.toml: [service] placeholder: expected a non-empty name"),
    ("[services]\nlabels = ['x']\n", "alert_policy.toml: [services]: unknown table"),
    ("severity = 5\n", "alert_policy.toml: [severity]: expected a table"),
    ("[severity\n", "alert_policy.toml:1: TOML syntax: "),
])
def test_a_broken_policy_is_one_line_naming_file_and_key(tmp_path, text, message):
    path = tmp_path / "alert_policy.toml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        alertmap.load_policy(path)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_an_edited_policy_changes_the_mapping(tmp_path):
    path = tmp_path / "alert_policy.toml"
    path.write_text("[severity]\ncritical = ['critical', 'sev-x']\nunknown = 'info'\n"
                    "[service]\nlabels = ['team']\nplaceholder = '(unowned)'\n")
    policy = alertmap.load_policy(path)
    assert alertmap.map_severity("SEV-X", policy)[0] == "critical"
    assert alertmap.map_severity("page", policy)[0] == "info"          # not listed here: unknown -> info
    assert alertmap.pick_service({"service": "w"}, policy)[0] == "(unowned)"
    assert replace(policy, service_labels=("service",)).service_labels == ("service",)


def test_mapped_alerts_correlate_each_in_exactly_one_incident():
    from desklib import aiops
    alerts = []
    for name in ("alertmanager_capture.jsonl", "grafana_webhook.json", "alertmanager_api_v2.json"):
        alerts += [as_alert(a) for a in read(name)[0]]
    correlation = aiops.correlate(alerts, None, "5m")
    ids = [i for inc in correlation.incidents for i in inc.alert_ids]
    assert sorted(ids) == sorted(a.id for a in alerts)
    pg = next(inc for inc in correlation.incidents if "3f2a9c1b7d5e0a41" in inc.alert_ids)
    members = [a for a in read("alertmanager_capture.jsonl")[0] if a["id"] in pg.alert_ids]
    firing, ended = alertmap.incident_status([(a["status"], a["ends_at"]) for a in members])
    assert firing == any(a["status"] == "firing" for a in members)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["good", "repeat", "bad_alert", "bad_payload"]), min_size=1, max_size=10))
def test_on_error_keeps_read_equal_used_plus_merged_plus_set_aside(kinds):
    docs = []
    for i, kind in enumerate(kinds):
        labels = {"alertname": "A", "service": "w"}
        if kind == "bad_alert":
            labels = {"service": "w"}                                   # no alertname
        fp = "f0" if kind == "repeat" else f"f{i}"
        doc = payload(alert(labels, fp=fp), alert({"alertname": "B", "service": "w"}, fp=f"g{i}"))
        if kind == "bad_payload":
            doc = {"alerts": "not a list"}
        docs.append((i + 1, doc))
    aside = []
    alerts, notes, counts = alertmap.read_alerts(docs, "f", POLICY,
                                                 on_error=lambda w, raw, exc: aside.append(str(exc)))
    assert counts["read"] == counts["used"] + counts["merged"] + counts["set_aside"]
    assert counts["set_aside"] == len(aside) == kinds.count("bad_alert") + kinds.count("bad_payload")
    assert counts["used"] == len(alerts) == len({a["id"] for a in alerts})


def test_firing_with_an_endsat_stays_firing_and_is_said():
    docs = [(1, payload(alert({"alertname": "A", "service": "w"}, ends="2026-03-02T02:30:00Z")))]
    alerts, notes, _ = alertmap.read_alerts(docs, "f", POLICY)
    assert alerts[0]["status"] == "firing" and alerts[0]["ends_at"] is None
    assert "firing with an endsAt: read as still firing (endsAt is then only a time-out) (1 alert)" in notes
