"""Other tools' exports, end to end through the command line (README "Bring your own data").

Each example export in ``fixtures/sources/`` (written for this course from the formats'
public documentation) goes through ``desk`` as a learner would type it: one preset flag
for tickets (``--from``, ``--map``, ``--tz``), default options for alerts. Every run must
load, triage or correlate, and say what it mapped, defaulted or ignored.
"""
from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from desklib import aiops, alertmap, cli
from desklib.data import fixtures_dir
from desklib.records import read_alerts, read_tickets

SOURCES = fixtures_dir() / "sources"
ROOT = Path(__file__).resolve().parents[1]
HELPDESK_MAP = ["--map", "id=Ticket #", "--map", "created_at=Opened", "--map", "subject=Title",
                "--map", "body=Details", "--map", "customer=Client", "--map", "channel=Via"]


def desk(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main([str(a) for a in argv])
        except SystemExit as exc:          # a usage error: argparse exits with status 2
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def triage_json(*argv) -> dict:
    code, out, err = desk("triage", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def by_id(doc: dict) -> dict:
    return {t["id"]: t for t in doc["tickets"]}


# ----------------------------------------------------------------------------- tickets

def test_zendesk_api_response_triages_with_the_description_as_body():
    doc = triage_json(SOURCES / "zendesk_tickets.json", "--from", "zendesk")
    tickets = by_id(doc)
    assert doc["input"] == {"read": 4, "used": 4, "set_aside": 0, "merged": 0}
    assert set(tickets) == {"35436", "35437", "35438", "35439"}          # numeric ids as text
    # "How do I export my invoices?" lives only in Zendesk's description: read, triaged
    invoices = tickets["35437"]
    assert invoices["reason"] != "no rule matched" and invoices["route"] == "auto"
    assert any("invoices" in m for m in invoices["matched"])
    notes = "\n".join(doc["notes"])
    assert "fields mapped: body ← description" in notes
    assert "status 'hold' read as pending (1 ticket)" in notes and "status 'closed' read as solved (1 ticket)" in notes
    assert "numeric ids read as text (4 tickets)" in notes
    # the body is there, whole, on the ticket itself
    loaded, _ = read_tickets(SOURCES / "zendesk_tickets.json", source="zendesk")
    body = {t.id: t for t in loaded}["35437"].body
    raw = {str(t["id"]): t for t in json.loads((SOURCES / "zendesk_tickets.json").read_text())["tickets"]}
    assert body == raw["35437"]["description"] and {t.id: t.source_priority for t in loaded}["35437"] == raw["35437"]["priority"]


def test_zendesk_without_the_preset_says_what_is_wrong():
    code, out, err = desk("triage", SOURCES / "zendesk_tickets.json")
    assert code == 2 and out == "" and err.count("\n") == 1 and "zendesk_tickets.json" in err


def test_jira_csv_export():
    doc = triage_json(SOURCES / "jira_export.csv", "--from", "jira", "--tz", "Europe/Berlin")
    assert doc["summary"]["total"] == 4 and doc["input"]["used"] == 4
    assert all(t["id"].startswith("OPS-") for t in doc["tickets"])
    notes = "\n".join(doc["notes"])
    assert "Labels ×3" in notes and "Watchers ×2" in notes                 # repeated columns named, not refused
    assert "times without a UTC offset read in Europe/Berlin" in notes
    code, out, err = desk("validate", SOURCES / "jira_export.csv", "--from", "jira", "--tz", "Europe/Berlin")
    assert code == 0 and out.startswith("jira_export.csv: 4 tickets")
    assert "  note: columns mapped: id ← Issue key, created_at ← Created" in out


def test_servicenow_csv_export():
    doc = triage_json(SOURCES / "servicenow_incidents.csv", "--from", "servicenow", "--tz", "America/New_York")
    assert doc["summary"]["total"] == 4 and all(t["id"].startswith("INC") for t in doc["tickets"])
    assert any("columns mapped: id ← number, created_at ← opened_at, subject ← short_description" in n
               for n in doc["notes"])


def test_any_csv_with_map_and_a_ticket_with_no_text():
    doc = triage_json(SOURCES / "helpdesk_export.csv", *HELPDESK_MAP, "--tz", "Europe/Berlin")
    tickets = by_id(doc)
    assert tickets["HD-1002"]["route"] == "human" and tickets["HD-1002"]["reason"] == "no text"
    assert tickets["HD-1001"]["severity"] == "SEV1"
    assert any("no text at all (no subject, no body): valid, goes to a human (1 ticket)" in n for n in doc["notes"])


@pytest.mark.parametrize("argv, words", [
    (["--from", "jira"], ["no UTC offset", "--tz"]),
    (["--from", "jira", "--tz", "Mars/Olympus"], ["Mars/Olympus"]),
    (["--from", "jira", "--map", "idd=Key"], ["'idd' is not a desk field", "did you mean id?"]),
    (["--from", "jira", "--map", "id"], ["expected field=Column"]),
])
def test_bad_ticket_options_are_one_line(argv, words):
    code, out, err = desk("triage", SOURCES / "jira_export.csv", *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert all(w in err for w in words), err


def test_unknown_preset_is_a_usage_error():
    code, out, err = desk("triage", SOURCES / "jira_export.csv", "--from", "freshdesk")
    assert code == 2 and "invalid choice: 'freshdesk'" in err and "jira" in err


def test_a_naive_time_in_the_desks_own_format_points_at_tz(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,created_at,subject\nt1,2026-03-02 09:00,site down\n")
    code, out, err = desk("triage", path)
    assert code == 2 and "no UTC offset" in err and "--tz" in err
    doc = triage_json(path, "--tz", "Europe/Berlin")
    assert doc["tickets"][0]["id"] == "t1"
    tickets, report = read_tickets(path, tz="Europe/Berlin")
    assert tickets[0].created_at.isoformat() == "2026-03-02T08:00:00+00:00"


def test_rejects_keep_conservation_on_a_preset(tmp_path):
    text = (SOURCES / "jira_export.csv").read_text(encoding="utf-8")
    lines = text.split("\n")
    header = lines[0].split(",")
    bad = ["OPS-99" if h == "Issue key" else ("someday" if h == "Created" else "") for h in header]
    path = tmp_path / "jira.csv"
    path.write_text(text.rstrip("\n") + "\n" + ",".join(bad) + "\n", encoding="utf-8")
    rejects = tmp_path / "r.jsonl"
    doc = triage_json(path, "--from", "jira", "--tz", "UTC", "--rejects", rejects)
    assert doc["input"] == {"read": 5, "used": 4, "set_aside": 1, "merged": 0}
    (reject,) = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert reject["record"]["Issue key"] == "OPS-99" and "field 'created_at'" in reject["reason"]
    code, out, err = desk("triage", path, "--from", "jira", "--tz", "UTC")
    assert code == 2 and "OPS-99" in err


# ----------------------------------------------------------------------------- alerts

def correlate_json(path, *argv) -> dict:
    code, out, err = desk("correlate", path, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_alertmanager_capture_with_default_options():
    doc = correlate_json(SOURCES / "alertmanager_capture.jsonl", "--window", "30s")
    assert doc["input"] == {"read": 7, "used": 5, "set_aside": 0, "merged": 2}   # re-notified + resolved copies
    state = {inc["root_cause"]: (inc["firing"], inc["ended_at"]) for inc in doc["incidents"]}
    assert state["pg-main"] == (False, "2026-03-02T02:14:30.500000Z")            # its resolved message
    assert state["orders"] == (True, None)
    notes = "\n".join(doc["notes"])
    for note in ("severity 'page' read as critical (3 alerts)", "severity 'major' read as critical (1 alert)",
                 "severity 'none' read as info (1 alert)", "severity 'P1' read as critical (2 alerts)",
                 "grouped under service '(no service label)' (2 alerts)", "service from label 'job' (1 alert)",
                 "Alertmanager left out 3 alerts in 1 notification (truncatedAlerts > 0"):
        assert note in notes, note
    # the text output shows each incident's state and the truncated notification
    code, out, err = desk("correlate", SOURCES / "alertmanager_capture.jsonl", "--window", "30s")
    assert code == 0
    pg = next(line for line in out.splitlines() if line.startswith("INC-2"))
    assert "resolved 02:14:30" in pg and "https://runbooks.example/postgres/down" in pg
    assert "2 still firing, 1 resolved" in out
    assert "warning: alertmanager_capture.jsonl: group" in out and "truncatedAlerts" in out


def test_capture_in_any_order_of_payloads(tmp_path):
    lines = (SOURCES / "alertmanager_capture.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "reversed.jsonl"
    path.write_text("\n".join(lines[::-1]) + "\n", encoding="utf-8")
    a = correlate_json(SOURCES / "alertmanager_capture.jsonl", "--window", "30s")
    b = correlate_json(path, "--window", "30s")
    assert a["incidents"] == b["incidents"] and a["input"] == b["input"]


def test_resolved_only_payload_gives_incidents_that_are_not_firing(tmp_path):
    lines = (SOURCES / "alertmanager_capture.jsonl").read_text(encoding="utf-8").splitlines()
    resolved = [line for line in lines if json.loads(line)["status"] == "resolved"]
    path = tmp_path / "resolved.json"
    path.write_text(resolved[0], encoding="utf-8")
    doc = correlate_json(path)
    assert doc["incidents"] and all(not inc["firing"] and inc["ended_at"] for inc in doc["incidents"])
    code, out, err = desk("correlate", path)
    assert "0 still firing, 1 resolved" in out and "firing " not in out.split("\n", 2)[2]
    code, out, err = desk("validate", path)
    assert code == 0 and "0 firing, 1 resolved" in out


SPELLINGS = {"critical": ["critical", "page", "major", "high", "error", "emergency", "P1"],
             "warning": ["warning", "warn", "minor", "medium", "P2", "P3"],
             "info": ["info", "low", "none", "notice", "P4", "P5", "NONE"]}


def test_every_severity_spelling_of_the_issue_loads_and_correlates(tmp_path):
    alerts = []
    for i, (level, given) in enumerate((lv, g) for lv, gs in SPELLINGS.items() for g in gs):
        alerts.append({"status": "firing", "labels": {"alertname": f"A{i}", "job": f"svc{i}", "severity": given},
                       "annotations": {}, "startsAt": f"2026-03-02T{i:02d}:00:00Z",
                       "endsAt": "0001-01-01T00:00:00Z", "fingerprint": f"fp{i:02d}"})
    path = tmp_path / "am.json"
    path.write_text(json.dumps({"version": "4", "groupKey": "{}:{}", "alerts": alerts}), encoding="utf-8")
    doc = correlate_json(path)
    expected = [lv for lv, gs in SPELLINGS.items() for _ in gs]
    assert [inc["severity"] for inc in doc["incidents"]] == expected            # one incident an hour
    notes = "\n".join(doc["notes"])
    for given in ("page", "major", "none", "P1", "P5", "notice", "warn"):
        assert f"severity '{given}' read as" in notes
    assert "service from label 'job'" in notes
    code, out, err = desk("validate", path)
    assert code == 0 and f"critical {len(SPELLINGS['critical'])}, warning {len(SPELLINGS['warning'])}, " \
                         f"info {len(SPELLINGS['info'])}" in out


def test_grafana_webhook_with_default_options():
    doc = correlate_json(SOURCES / "grafana_webhook.json")
    assert doc["input"] == {"read": 2, "used": 2, "set_aside": 0, "merged": 0}
    assert sorted(inc["firing"] for inc in doc["incidents"]) == [False, True]
    notes = "\n".join(doc["notes"])
    assert "payload fields not read:" in notes and "orgId" in notes and "valueString" in notes
    assert "service from label 'app' (2 alerts)" in notes


def test_alertmanager_api_v2_list_with_default_options():
    doc = correlate_json(SOURCES / "alertmanager_api_v2.json")
    assert doc["input"]["used"] == 3 and all(inc["firing"] for inc in doc["incidents"])
    assert any("API v2 alert list: read as firing" in n for n in doc["notes"])
    code, out, err = desk("validate", SOURCES / "alertmanager_api_v2.json")
    assert code == 0 and "3 alerts" in out and "  note: severity 'none' read as info (1 alert)" in out


def test_service_label_chain_on_the_command_line(tmp_path):
    doc = correlate_json(SOURCES / "alertmanager_capture.jsonl", "--service-label", "job,service")
    services = {s for inc in doc["incidents"] for s in inc["services"]}
    assert "(no service label)" in services
    assert any("none of the labels job, service:" in n for n in doc["notes"])
    code, out, err = desk("correlate", SOURCES / "alertmanager_capture.jsonl", "--service-label", "job,,app")
    assert code == 2 and err.count("\n") == 1 and "--service-label" in err


def test_the_desks_own_alert_format_takes_the_mapped_spellings(tmp_path):
    path = tmp_path / "a.jsonl"
    rows = [{"id": "a1", "ts": "2026-03-02T02:00:00Z", "service": "db", "name": "Down", "severity": "page"},
            {"id": "a2", "ts": "2026-03-02T02:01:00Z", "service": "db", "name": "Down", "severity": "critical",
             "status": "resolved", "ends_at": "2026-03-02T02:05:00Z", "runbook_url": "https://rb.example/db"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    alerts, report = read_alerts(path)
    assert [(a.severity, a.severity_given) for a in alerts] == [("critical", "page"), ("critical", None)]
    assert report.notes == ["a.jsonl: severity 'page' read as critical (alert_policy.toml; 1 alert)"]
    rows[0]["severity"] = "loud"                                             # not a spelling: a typo
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, out, err = desk("correlate", path)
    assert code == 2 and "unknown severity 'loud'" in err


# ----------------------------------------------------------------------------- incidents: fast path = reference

def _unknown_end(tmp_path):
    """Two resolved alerts on one service, one of them without an endsAt (end unknown)."""
    alerts = [{"status": "resolved", "labels": {"alertname": "Down", "service": "cache"},
               "startsAt": f"2026-03-02T03:0{i}:00Z", "fingerprint": f"u{i}",
               **({"endsAt": "2026-03-02T03:30:00Z"} if i else {})} for i in range(2)]
    path = tmp_path / "u.json"
    path.write_text(json.dumps({"version": "4", "alerts": alerts}), encoding="utf-8")
    return read_alerts(path)[0]


@pytest.mark.parametrize("window", [0, 30, 300, 3600])
def test_incident_state_agrees_with_the_reference(tmp_path, window):
    alerts, _ = read_alerts(SOURCES / "alertmanager_capture.jsonl")
    grafana, _ = read_alerts(SOURCES / "grafana_webhook.json")
    result = aiops.correlate(alerts + grafana + _unknown_end(tmp_path), None, window)
    states = {(inc.firing, inc.ended_at is None) for inc in result.incidents}
    assert (False, True) in states or window == 3600          # resolved, end unknown: seen apart from the rest
    by_id = {a.id: a for a in result.alerts}
    for inc in result.incidents:
        want = alertmap.incident_status((by_id[i].status, by_id[i].ends_at) for i in inc.alert_ids)
        assert (inc.firing, inc.ended_at) == want
        root = by_id[inc.root_alert_id]
        if root.runbook_url:
            assert inc.runbook == root.runbook_url


def test_subprocess_round_trip():
    """The installed entry point, as a learner's terminal runs it."""
    run = subprocess.run([sys.executable, "-m", "desklib", "triage", str(SOURCES / "zendesk_tickets.json"),
                          "--from", "zendesk"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 0 and "35437" in run.stdout and "4 read, 4 used" in run.stderr
    run = subprocess.run([sys.executable, "-m", "desklib", "correlate", str(SOURCES / "alertmanager_capture.jsonl"),
                          "--window", "30s"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 0 and "resolved 02:14:30" in run.stdout and "7 read, 5 used" in run.stderr


# ----------------------------------------------------------------------------- the new fields round-trip

@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_new_fields_survive_save_load_and_frames(tmp_path, suffix):
    from desklib import records
    alerts, _ = read_alerts(SOURCES / "alertmanager_capture.jsonl")
    assert any(a.status == "resolved" and a.ends_at for a in alerts) and any(a.runbook_url for a in alerts)
    assert any(a.severity_given == "page" for a in alerts)
    path = tmp_path / f"a{suffix}"
    records.save_alerts(alerts, path)
    again, report = read_alerts(path)
    assert again == alerts and report.set_aside == 0
    assert records.frame_to_alerts(records.alerts_to_frame(alerts)) == alerts
    tickets, _ = read_tickets(SOURCES / "zendesk_tickets.json", source="zendesk")
    assert any(t.source_priority for t in tickets)
    path = tmp_path / f"t{suffix}"
    records.save_tickets(tickets, path)
    assert read_tickets(path)[0] == tickets
    assert records.frame_to_tickets(records.tickets_to_frame(tickets)) == tickets


def test_a_plain_csv_ticket_with_no_text_no_longer_rejects_the_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,created_at,subject,body\nt1,2026-03-02T09:00:00Z,site down,503 everywhere\n"
                    "t2,2026-03-02T09:05:00Z,,\n", encoding="utf-8")
    doc = triage_json(path)
    assert doc["input"] == {"read": 2, "used": 2, "set_aside": 0, "merged": 0}
    assert by_id(doc)["t2"]["route"] == "human" and by_id(doc)["t2"]["reason"] == "no text"
    assert doc["notes"] == ["t.csv: 1 ticket with no text at all (no subject, no body): valid, routed to a human"]
