"""Loaders, round-trips and the catalogue of malformed input.

Every malformed case must give one InputError naming the file, the line or record,
and the field — and the CLI must turn it into one line on stderr with exit status 2.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timezone
from pathlib import Path

import pandas as pd
import pytest

from desklib import cli
from desklib.records import (Alert, InputError, Ticket, alerts_to_frame, frame_to_alerts,
                             frame_to_tickets, load_alerts, load_ticket_truth, load_tickets,
                             load_topology, parse_timestamp, save_alerts, save_tickets,
                             tickets_to_frame)

T1 = {"id": "t1", "created_at": "2026-03-02T09:00:00+01:00", "subject": "site down", "body": "help"}
A1 = {"id": "a1", "ts": "2026-03-02T02:00:00Z", "service": "pg-main", "name": "PostgresDown",
      "severity": "critical", "labels": {"instance": "pg-0"}, "summary": "pg is down"}


def jsonl(*records) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def webhook(*alerts, **extra) -> dict:
    return {"version": "4", "status": "firing", "receiver": "desk", "groupKey": "{}:{}",
            "alerts": list(alerts), **extra}


def am_alert(fp="fp1", starts="2026-03-02T02:00:00.123456789Z", **labels) -> dict:
    labels = {"alertname": "PostgresDown", "service": "pg-main", "severity": "critical", **labels}
    return {"status": "firing", "labels": labels, "annotations": {"summary": "pg down"},
            "startsAt": starts, "endsAt": "0001-01-01T00:00:00Z", "fingerprint": fp}


# ----------------------------------------------------------------------------- the catalogue
# (name, file name, content, loader, the pieces the message must contain)
CATALOGUE = [
    ("invalid JSON line", "t.jsonl", jsonl(T1, '{"id": "t2", "created_at": '), "tickets",
     ["t.jsonl:2:", "invalid JSON"]),
    ("missing required field", "t.jsonl", jsonl(T1, {"id": "t2", "subject": "x"}), "tickets",
     ["t.jsonl:2:", "ticket 't2'", "field 'created_at'", "missing"]),
    ("naive timestamp", "alerts.jsonl", jsonl(A1, {**A1, "id": "a07", "ts": "2026-03-02 02:01"}), "alerts",
     ["alerts.jsonl:2: alert 'a07': field 'ts': no UTC offset in '2026-03-02 02:01'"]),
    ("unparsable timestamp", "t.jsonl", jsonl({**T1, "created_at": "yesterday at noon"}), "tickets",
     ["t.jsonl:1:", "ticket 't1'", "field 'created_at'", "not an ISO-8601 timestamp"]),
    ("duplicate id", "t.jsonl", jsonl(T1, {**T1, "subject": "again"}), "tickets",
     ["t.jsonl:2:", "ticket 't1'", "field 'id'", "duplicate"]),
    ("empty file", "t.jsonl", "", "tickets", ["t.jsonl", "empty"]),
    ("blank lines only", "a.jsonl", "\n  \n\n", "alerts", ["a.jsonl", "empty"]),
    ("unknown severity", "a.jsonl", jsonl({**A1, "severity": "apocalyptic"}), "alerts",
     ["a.jsonl:1:", "alert 'a1'", "field 'severity'", "unknown severity 'apocalyptic'"]),
    ("number where text", "t.jsonl", jsonl({**T1, "subject": 42}), "tickets",
     ["t.jsonl:1:", "ticket 't1'", "field 'subject'", "expected text, got number 42"]),
    ("numeric id", "a.jsonl", jsonl({**A1, "id": 7}), "alerts", ["a.jsonl:1:", "field 'id'", "expected text"]),
    ("non-UTF-8 bytes", "t.jsonl", jsonl(T1).encode() + '{"id": "t2", "subject": "caf\xe9"}\n'.encode("latin-1"),
     "tickets", ["t.jsonl:2:", "not UTF-8"]),
    ("CSV with missing header", "t.csv", "t1,2026-03-02T09:00:00Z,down,help\n", "tickets",
     ["t.csv:1:", "header", "'id'", "'created_at'"]),
    ("CSV row with extra values", "t.csv", "id,created_at,subject\nt1,2026-03-02T09:00:00Z,a,b\n", "tickets",
     ["t.csv:2:", "more values"]),
    ("webhook without alerts", "w.json", json.dumps({"version": "4", "status": "firing"}), "alerts",
     ["w.json", "field 'alerts'", "missing"]),
    ("webhook alert without alertname", "w.json", json.dumps(webhook(am_alert(alertname=None) | {"labels": {"service": "x"}})),
     "alerts", ["w.json", "alerts[1]", "field 'labels.alertname'", "missing"]),
    ("webhook alert with an unknown status", "w.json", json.dumps(webhook({**am_alert(), "status": "exploded"})),
     "alerts", ["w.json", "alerts[1]", "field 'status'", "expected 'firing' or 'resolved'"]),
    ("topology not an object", "topo.json", json.dumps(["web", "orders"]), "topology",
     ["topo.json", "expected an object"]),
    ("topology lists a non-string", "topo.json", json.dumps({"web": ["orders", 3]}), "topology",
     ["topo.json", "service 'web'", "[1]", "expected a service name"]),
    ("topology dependency not a list", "topo.json", json.dumps({"web": "orders"}), "topology",
     ["topo.json", "service 'web'", "expected a list"]),
    ("unknown status", "t.jsonl", jsonl({**T1, "status": "escalated-ish"}), "tickets",
     ["t.jsonl:1:", "field 'status'", "unknown status"]),
    ("subject and body both missing, 'Subject' given", "t.jsonl", jsonl({"id": "t1", "created_at": T1["created_at"], "Subject": "x"}),
     "tickets", ["t.jsonl:1:", "ticket 't1'", "subject and body both missing", "'Subject'"]),
    ("response before creation", "t.jsonl", jsonl({**T1, "first_response_at": "2026-03-02T07:00:00Z"}), "tickets",
     ["t.jsonl:1:", "field 'first_response_at'", "before created_at"]),
    ("labels not an object", "a.jsonl", jsonl({**A1, "labels": ["x"]}), "alerts",
     ["a.jsonl:1:", "field 'labels'", "expected an object"]),
    ("line is not an object", "a.jsonl", jsonl(A1, "[1, 2]"), "alerts", ["a.jsonl:2:", "expected a JSON object"]),
    ("unknown file type", "t.txt", "hello", "tickets", ["t.txt", "unknown file type"]),
    ("file not found", "missing.jsonl", None, "tickets", ["missing.jsonl", "not found"]),
]

LOADERS = {"tickets": load_tickets, "alerts": load_alerts, "topology": load_topology}


@pytest.mark.parametrize("name,fname,content,kind,pieces", CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_catalogue_api(tmp_path, name, fname, content, kind, pieces):
    path = tmp_path / fname if content is None else write(tmp_path, fname, content)
    with pytest.raises(InputError) as info:
        LOADERS[kind](path)
    message = str(info.value)
    assert "\n" not in message
    for piece in pieces:
        assert piece in message, f"{piece!r} not in {message!r}"


@pytest.mark.parametrize("name,fname,content,kind,pieces", CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_catalogue_cli(tmp_path, capsys, name, fname, content, kind, pieces):
    path = tmp_path / fname if content is None else write(tmp_path, fname, content)
    assert cli.main(["validate", str(path), "--kind", kind]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("desk: ")
    assert "Traceback" not in err
    assert pieces[0] in err


def test_catalogue_is_large_enough():
    assert len(CATALOGUE) >= 15


def test_cli_error_in_a_real_process(tmp_path):
    path = write(tmp_path, "alerts.jsonl", jsonl(A1, {**A1, "id": "a07", "ts": "2026-03-02 02:01"}))
    proc = subprocess.run([sys.executable, "-m", "desklib", "validate", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == "desk: alerts.jsonl:2: alert 'a07': field 'ts': no UTC offset in '2026-03-02 02:01'\n"


def test_cli_usage_error_is_one_line(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["validate"])
    assert info.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_cli_version(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("desk 0.")


def test_cli_imports_no_plotting_or_jupyter():
    code = ("import sys, desklib.cli; bad = [m for m in ('matplotlib', 'ipywidgets', 'IPython', 'jupyter_core', "
            "'pandas') if m in sys.modules]; print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout.strip()
    assert out == ""


# ----------------------------------------------------------------------------- accepted oddities

def test_bom_and_windows_line_endings_are_accepted(tmp_path):
    text = jsonl(T1, {**T1, "id": "t2"}).replace("\n", "\r\n")
    path = write(tmp_path, "t.jsonl", b"\xef\xbb\xbf" + text.encode())
    assert [t.id for t in load_tickets(path)] == ["t1", "t2"]
    csv_text = "\ufeffid,created_at,subject,body\r\nt1,2026-03-02T09:00:00Z,down,\"line one\r\nline two\"\r\n"
    (ticket,) = load_tickets(write(tmp_path, "t.csv", csv_text.encode()))
    assert ticket.id == "t1" and ticket.body.splitlines() == ["line one", "line two"]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_huge_text_field_is_accepted_without_hanging(tmp_path, suffix):
    big = "x" * (10 * 1024 * 1024)
    ticket = Ticket(id="big", created_at=parse_timestamp("2026-03-02T09:00:00Z"), subject="log", body=big)
    path = tmp_path / f"big{suffix}"
    save_tickets([ticket], path)
    started = time.perf_counter()
    (loaded,) = load_tickets(path)
    assert len(loaded.body) == len(big)
    assert time.perf_counter() - started < 30   # generous: a hang, not speed, is what this catches


def test_timestamps_become_utc():
    (ticket,) = load_tickets_from_records([T1])
    assert ticket.created_at.tzinfo == timezone.utc
    assert ticket.created_at.hour == 8           # 09:00+01:00
    assert parse_timestamp("2026-03-02T02:00:00.123456789Z").microsecond == 123456
    assert parse_timestamp("2026-03-01T21:00:00-05:00") == parse_timestamp("2026-03-02T02:00:00Z")


def load_tickets_from_records(records, tmp=None):
    import tempfile
    folder = Path(tempfile.mkdtemp())
    return load_tickets(write(folder, "t.jsonl", jsonl(*records)))


def test_optional_fields_and_defaults(tmp_path):
    (ticket,) = load_tickets(write(tmp_path, "t.jsonl", jsonl({"id": "t9", "created_at": "2026-03-02T09:00:00Z",
                                                                 "subject": "only a subject"})))
    assert ticket.body == "" and ticket.status == "new" and ticket.customer is None
    (alert,) = load_alerts(write(tmp_path, "a.jsonl", jsonl({k: v for k, v in A1.items() if k not in ("labels", "summary")})))
    assert alert.labels == {} and alert.summary == ""


def test_topology_unknown_services_are_fine(tmp_path):
    topo = load_topology(write(tmp_path, "topo.json", json.dumps({"web": ["orders", "orders", "web"], "orders": []})))
    assert topo == {"orders": (), "web": ("orders",)}


# ----------------------------------------------------------------------------- webhook

def test_webhook_payload_maps_fields(tmp_path):
    (alert,) = load_alerts(write(tmp_path, "w.json", json.dumps(webhook(am_alert()))))
    assert alert.id == "fp1" and alert.name == "PostgresDown" and alert.service == "pg-main"
    assert alert.severity == "critical" and alert.summary == "pg down"
    assert alert.ts == parse_timestamp("2026-03-02T02:00:00.123456Z")


def test_webhook_repeat_is_same_alert_and_flap_is_new(tmp_path):
    first = am_alert(starts="2026-03-02T02:00:00Z")
    again = am_alert(starts="2026-03-02T02:00:00Z") | {"status": "resolved", "endsAt": "2026-03-02T02:03:00Z"}
    flap = am_alert(starts="2026-03-02T02:05:00Z")
    payloads = [webhook(first), webhook(again), webhook(flap)]
    ids = sorted(a.id for a in load_alerts(write(tmp_path, "w.json", json.dumps(payloads))))
    assert ids == ["fp1", "fp1@2026-03-02T02:05:00Z"]
    # the same, as JSONL of payloads and in the opposite order: the same ids
    text = "".join(json.dumps(p) + "\n" for p in reversed(payloads))
    assert sorted(a.id for a in load_alerts(write(tmp_path, "w.jsonl", text))) == ids


def test_webhook_service_label_is_configurable(tmp_path):
    item = am_alert() | {"labels": {"alertname": "X", "job": "orders"}}
    with pytest.warns(UserWarning, match="no severity label: read as warning"):      # and said so
        (alert,) = load_alerts(write(tmp_path, "w.json", json.dumps(webhook(item))), service_label="job")
    assert alert.service == "orders" and alert.severity == "warning"   # no severity label -> warning


# ----------------------------------------------------------------------------- round trips

def _tickets():
    return load_tickets_from_records([
        T1,
        {"id": "t2", "created_at": "2026-03-02T10:00:00Z", "subject": "", "body": "how do I, \"quote\"\nnewline",
         "customer": "acme", "channel": "chat", "status": "pending", "first_response_at": "2026-03-02T10:05:00Z"},
        {"id": "t3", "created_at": "2026-03-02T11:00:00Z", "subject": "<script>alert(1)</script>", "body": "",
         "status": "solved", "first_response_at": "2026-03-02T11:01:00Z", "resolved_at": "2026-03-02T12:00:00Z"},
    ])


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_tickets_round_trip(tmp_path, suffix):
    tickets = _tickets()
    save_tickets(tickets, tmp_path / f"t{suffix}")
    assert load_tickets(tmp_path / f"t{suffix}") == tickets


def test_jsonl_csv_frame_round_trip(tmp_path):
    tickets = _tickets()
    save_tickets(tickets, tmp_path / "t.jsonl")
    save_tickets(load_tickets(tmp_path / "t.jsonl"), tmp_path / "t.csv")
    frame = tickets_to_frame(load_tickets(tmp_path / "t.csv"))
    assert isinstance(frame, pd.DataFrame) and list(frame["id"]) == ["t1", "t2", "t3"]
    assert str(frame["created_at"].dt.tz) == "UTC"
    assert frame_to_tickets(frame) == tickets


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_alerts_round_trip(tmp_path, suffix):
    alerts = [Alert(id="a1", ts=parse_timestamp(A1["ts"]), service="pg-main", name="PostgresDown",
                    severity="critical", labels={"instance": "pg-0", "zone": "b"}, summary="a, \"b\""),
              Alert(id="a2", ts=parse_timestamp("2026-03-02T02:00:30Z"), service="web", name="HighErrorRate",
                    severity="warning")]
    save_alerts(alerts, tmp_path / f"a{suffix}")
    loaded = load_alerts(tmp_path / f"a{suffix}")
    assert loaded == alerts and loaded[0].labels == {"instance": "pg-0", "zone": "b"}
    assert frame_to_alerts(alerts_to_frame(loaded)) == alerts


def test_ticket_truth_rejects_unknown_severity(tmp_path):
    with pytest.raises(InputError, match=r"truth.csv:3: ticket 't2': field 'severity'"):
        load_ticket_truth(write(tmp_path, "truth.csv", "id,severity\nt1,SEV1\nt2,SEV9\n"))


def test_a_truth_file_in_json_lines_is_told_it_must_be_csv(tmp_path):
    from desklib.records import load_alert_truth
    with pytest.raises(InputError) as err:
        load_ticket_truth(write(tmp_path, "truth.jsonl", '{"id": "t1", "severity": "SEV1"}\n'))
    assert str(err.value) == "truth.jsonl: a truth file is CSV with a header (id,severity), not JSONL"
    with pytest.raises(InputError, match=r"^truth.json: a truth file is CSV with a header \(id,incident,root_cause\)"):
        load_alert_truth(write(tmp_path, "truth.json", '[{"id": "a1"}]'))


def test_semicolon_and_tab_separated_csv_are_read(tmp_path):
    for sep in (";", "\t"):
        text = sep.join(["id", "created_at", "subject", "body"]) + "\n" + \
            sep.join(["t1", "2026-03-02T09:00:00z", "site down", "help, please"]) + "\n"
        (ticket,) = load_tickets(write(tmp_path, "t.csv", text))
        assert ticket.body == "help, please" and ticket.created_at.hour == 9
