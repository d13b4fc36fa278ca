"""What the desk refuses, and why: the catalogue of bad input.

Each case is one bad input — a record, a file, a command-line option or a policy — and
runs through the command line (``desk ...``, here through ``cli.main``) and, for records,
through the API (``read_tickets`` / ``read_alerts``). A refusal is exit status 2 with ONE
line on stderr that names the file and the record (line or id) and the field; never a
traceback, never a record lost without a word.

A bad *record* is refused in strict mode (the default) and, with ``--rejects FILE`` /
``on_error="collect"``, set aside in FILE with the same reason while the good records
around it are used. A bad *file* (not UTF-8, an unterminated CSV quote, a column the desk
reads named twice, ...) is refused in both modes: nothing in it can be trusted.

The last groups are inputs that are not errors and must be handled correctly: reported
in the notes, merged, renamed or escaped — still never lost.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from desklib import cli
from desklib.data import fixtures_dir
from desklib.records import InputError, read_alerts, read_tickets

FIXTURES = fixtures_dir()


# ----------------------------------------------------------------------------- running the desk

def desk(*argv: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    """``desk ARGV`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main([str(a) for a in argv])
            except SystemExit as exc:      # argparse usage errors
                code = exc.code
    finally:
        sys.stdin = old_stdin
    return code, out.getvalue(), err.getvalue()


def assert_refused(code: int, err: str, *pieces: str) -> str:
    """Exit 2, one line on stderr, naming what it must; returns the message."""
    assert code == 2, err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    for piece in pieces:
        assert piece in err, (piece, err)
    return err.strip()


# ----------------------------------------------------------------------------- good records around the bad one

T_GOOD = [{"id": "t1", "created_at": "2026-03-02T09:00:00Z", "subject": "site down", "body": "nothing loads"},
          {"id": "t3", "created_at": "2026-03-02T10:00:00Z", "subject": "how do I export", "body": ""}]
A_GOOD = [{"id": "a1", "ts": "2026-03-02T02:00:00Z", "service": "pg-main", "name": "PostgresDown",
           "severity": "critical"},
          {"id": "a3", "ts": "2026-03-02T02:01:00Z", "service": "orders", "name": "HighErrorRate",
           "severity": "warning"}]
T_CSV_HEADER = "id,created_at,subject,body"
T_CSV_GOOD = ["t1,2026-03-02T09:00:00Z,site down,nothing loads", "t3,2026-03-02T10:00:00Z,how do I export,"]
A_CSV_HEADER = "id,ts,service,name,severity,labels"
A_CSV_GOOD = ['a1,2026-03-02T02:00:00Z,pg-main,PostgresDown,critical,', 'a3,2026-03-02T02:01:00Z,orders,HighErrorRate,warning,']


def am(fp: str = "f2", starts: str = "2026-03-02T02:00:30Z", **labels) -> dict:
    """One alert as Alertmanager's webhook sends it."""
    labels = {"alertname": "PostgresDown", "service": "pg-main", "severity": "critical", **labels}
    return {"status": "firing", "labels": labels, "annotations": {"summary": "pg down"},
            "startsAt": starts, "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph", "fingerprint": fp}


W_GOOD = [am("f1", "2026-03-02T02:00:00Z"), am("f3", "2026-03-02T02:01:00Z", service="orders", alertname="HighErrorRate")]


def payload(*alerts, **extra) -> dict:
    return {"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": "firing",
            "receiver": "desk", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093", "alerts": list(alerts), **extra}


def _line(rec) -> str:
    return rec if isinstance(rec, str) else json.dumps(rec, ensure_ascii=False)


# A record case: the bad record sits between two good ones (as line 2, or alerts[2]).
@dataclass
class Rec:
    kind: str            # tickets-jsonl | tickets-csv | alerts-jsonl | alerts-csv | webhook
    bad: object          # the bad record: a JSON value, a JSON line's text, or a CSV row
    pieces: tuple = ()   # what the one-line message must contain (besides file and place)
    args: tuple = ()     # extra options for the command

    def write(self, folder: Path) -> Path:
        if self.kind == "tickets-jsonl":
            path, text = folder / "t.jsonl", "".join(_line(r) + "\n" for r in (T_GOOD[0], self.bad, T_GOOD[1]))
        elif self.kind == "alerts-jsonl":
            path, text = folder / "a.jsonl", "".join(_line(r) + "\n" for r in (A_GOOD[0], self.bad, A_GOOD[1]))
        elif self.kind == "tickets-csv":
            path, text = folder / "t.csv", "\n".join([T_CSV_HEADER, T_CSV_GOOD[0], self.bad, T_CSV_GOOD[1]]) + "\n"
        elif self.kind == "alerts-csv":
            path, text = folder / "a.csv", "\n".join([A_CSV_HEADER, A_CSV_GOOD[0], self.bad, A_CSV_GOOD[1]]) + "\n"
        else:
            path, text = folder / "am.json", json.dumps(payload(W_GOOD[0], self.bad, W_GOOD[1]), ensure_ascii=False)
        path.write_text(text, encoding="utf-8", newline="")
        return path

    @property
    def place(self) -> str:
        return {"tickets-jsonl": "t.jsonl:2:", "alerts-jsonl": "a.jsonl:2:", "tickets-csv": "t.csv:3:",
                "alerts-csv": "a.csv:3:", "webhook": "am.json:alerts[2]:"}[self.kind]

    @property
    def tickets(self) -> bool:
        return self.kind.startswith("tickets")


RECORDS = {
    # --- JSON that is not a record the desk can take
    "invalid JSON": Rec("tickets-jsonl", '{"id": "t2", "created_at": ', ("invalid JSON",)),
    "trailing comma": Rec("tickets-jsonl", '{"id": "t2", "created_at": "2026-03-02T09:00:00Z", "body": "x",}', ("invalid JSON",)),
    "single quotes": Rec("tickets-jsonl", "{'id': 't2'}", ("invalid JSON",)),
    "two objects on one line": Rec("tickets-jsonl", json.dumps(T_GOOD[0]) + json.dumps(T_GOOD[1]), ("invalid JSON", "Extra data")),
    "a list, not an object": Rec("tickets-jsonl", [1, 2], ("expected a JSON object",)),
    "a number, not an object": Rec("alerts-jsonl", "42", ("expected a JSON object", "number 42")),
    "a string, not an object": Rec("tickets-jsonl", '"t2"', ("expected a JSON object",)),
    "null, not an object": Rec("alerts-jsonl", "null", ("expected a JSON object", "null")),
    "NaN is not JSON": Rec("tickets-jsonl", '{"id": "t2", "created_at": "2026-03-02T09:00:00Z", "body": "", "score": NaN}', ("NaN is not a JSON number",)),
    "Infinity is not JSON": Rec("alerts-jsonl", '{"id": "a2", "value": Infinity}', ("Infinity is not a JSON number",)),
    "-Infinity is not JSON": Rec("alerts-jsonl", '{"id": "a2", "value": -Infinity}', ("-Infinity is not a JSON number",)),
    "a float too large (1e999)": Rec("tickets-jsonl", '{"id": "t2", "created_at": "2026-03-02T09:00:00Z", "body": "", "n": 1e999}', ("1e999 is too large",)),
    "an integer of 5000 digits": Rec("tickets-jsonl", '{"id": "t2", "created_at": "2026-03-02T09:00:00Z", "body": "", "n": ' + "9" * 5000 + "}", ("5000 digits",)),
    "an integer of 101 digits": Rec("alerts-jsonl", '{"id": "a2", "n": ' + "1" * 101 + "}", ("101 digits",)),
    "nested 100,000 lists deep": Rec("tickets-jsonl", "[" * 100_000 + "]" * 100_000, ("nested too deeply",)),
    "nested 5,000 objects deep": Rec("alerts-jsonl", '{"a":' * 5000 + "1" + "}" * 5000, ("nested too deeply",)),
    "duplicate key 'id'": Rec("tickets-jsonl", '{"id": "t2", "id": "t9", "created_at": "2026-03-02T09:00:00Z", "body": ""}', ("key 'id' appears twice",)),
    "duplicate key 'body'": Rec("tickets-jsonl", '{"id": "t2", "created_at": "2026-03-02T09:00:00Z", "body": "a", "body": "b"}', ("key 'body' appears twice",)),
    "duplicate key inside labels": Rec("alerts-jsonl", '{"id": "a2", "ts": "2026-03-02T02:00:00Z", "service": "web", "name": "X", "severity": "info", "labels": {"pod": "a", "pod": "b"}}', ("key 'pod' appears twice",)),
    "lone surrogate in an id": Rec("tickets-jsonl", '{"id": "t\\ud800", "created_at": "2026-03-02T09:00:00Z", "body": ""}', ("field 'id'", "lone surrogate")),
    "lone surrogate in a subject": Rec("tickets-jsonl", '{"id": "t2", "created_at": "2026-03-02T09:00:00Z", "subject": "\\udfff x"}', ("ticket 't2'", "field 'subject'", "lone surrogate")),
    "lone surrogate in a key": Rec("alerts-jsonl", '{"id": "a2", "\\ud83d": 1}', ("lone surrogate",)),
    "lone surrogate in a label": Rec("alerts-jsonl", '{"id": "a2", "ts": "2026-03-02T02:00:00Z", "service": "web", "name": "X", "severity": "info", "labels": {"pod": "\\udc80"}}', ("field 'labels.pod'", "lone surrogate")),

    # --- tickets: ids
    "ticket id missing": Rec("tickets-jsonl", {"created_at": "2026-03-02T09:00:00Z", "body": "x"}, ("field 'id'", "missing")),
    "ticket id null": Rec("tickets-jsonl", {"id": None, "created_at": "2026-03-02T09:00:00Z", "body": "x"}, ("field 'id'", "is null")),
    "ticket id a number": Rec("tickets-jsonl", {"id": 2, "created_at": "2026-03-02T09:00:00Z", "body": "x"}, ("field 'id'", "expected text, got number 2")),
    "ticket id a list": Rec("tickets-jsonl", {"id": ["t2"], "created_at": "2026-03-02T09:00:00Z", "body": "x"}, ("field 'id'", "a list")),
    "ticket id empty": Rec("tickets-jsonl", {"id": "", "created_at": "2026-03-02T09:00:00Z", "body": "x"}, ("field 'id'", "is empty")),
    "ticket id only spaces": Rec("tickets-jsonl", {"id": "   ", "created_at": "2026-03-02T09:00:00Z", "body": "x"}, ("field 'id'", "only spaces")),
    "ticket id true": Rec("tickets-jsonl", {"id": True, "created_at": "2026-03-02T09:00:00Z", "body": "x"}, ("field 'id'", "true/false")),
    "duplicate ticket id": Rec("tickets-jsonl", {**T_GOOD[0], "subject": "again"}, ("ticket 't1'", "duplicate id", "line 1")),
    "duplicate ticket id after stripping spaces": Rec("tickets-jsonl", {**T_GOOD[0], "id": " t1 "}, ("ticket 't1'", "duplicate id")),
    # --- tickets: times
    "created_at missing": Rec("tickets-jsonl", {"id": "t2", "body": "x"}, ("ticket 't2'", "field 'created_at'", "missing")),
    "created_at misspelled (creatd_at)": Rec("tickets-jsonl", {"id": "t2", "creatd_at": "2026-03-02T09:00:00Z", "body": "x"}, ("field 'created_at'", "missing", "'creatd_at'", "misspelling")),
    "created_at null": Rec("tickets-jsonl", {"id": "t2", "created_at": None, "body": "x"}, ("field 'created_at'", "is null")),
    "created_at empty": Rec("tickets-jsonl", {"id": "t2", "created_at": "", "body": "x"}, ("field 'created_at'", "is empty")),
    "created_at not a time": Rec("tickets-jsonl", {"id": "t2", "created_at": "yesterday", "body": "x"}, ("field 'created_at'", "not an ISO-8601 timestamp")),
    "created_at without an offset": Rec("tickets-jsonl", {"id": "t2", "created_at": "2026-03-02T09:00:00", "body": "x"}, ("field 'created_at'", "no UTC offset")),
    "created_at a date only": Rec("tickets-jsonl", {"id": "t2", "created_at": "2026-03-02", "body": "x"}, ("field 'created_at'", "no UTC offset")),
    "created_at an epoch number": Rec("tickets-jsonl", {"id": "t2", "created_at": 1772442000, "body": "x"}, ("field 'created_at'", "expected an ISO-8601 timestamp (text), got number")),
    "created_at February 30": Rec("tickets-jsonl", {"id": "t2", "created_at": "2026-02-30T09:00:00Z", "body": "x"}, ("field 'created_at'", "not an ISO-8601")),
    "created_at hour 25": Rec("tickets-jsonl", {"id": "t2", "created_at": "2026-03-02T25:00:00Z", "body": "x"}, ("field 'created_at'", "not an ISO-8601")),
    "created_at year 0001 with +01:00": Rec("tickets-jsonl", {"id": "t2", "created_at": "0001-01-01T00:00:00+01:00", "body": "x"}, ("field 'created_at'", "outside the years the desk handles")),
    "created_at year 9999 with -05:00": Rec("tickets-jsonl", {"id": "t2", "created_at": "9999-12-31T23:00:00-05:00", "body": "x"}, ("field 'created_at'", "outside the years")),
    "created_at year 0001 in UTC (a year-1 ticket)": Rec("tickets-jsonl", {"id": "t2", "created_at": "0001-01-01T00:00:00Z", "body": "x"}, ("field 'created_at'", "outside the years")),
    "created_at year 1600": Rec("tickets-jsonl", {"id": "t2", "created_at": "1600-01-01T00:00:00Z", "body": "x"}, ("outside the years",)),
    "created_at year 2300": Rec("tickets-jsonl", {"id": "t2", "created_at": "2300-01-01T00:00:00Z", "body": "x"}, ("outside the years",)),
    "first_response_at before created_at": Rec("tickets-jsonl", {"id": "t2", "created_at": "2026-03-02T09:00:00Z", "body": "x", "first_response_at": "2026-03-02T08:00:00Z"}, ("field 'first_response_at'", "before created_at")),
    "resolved_at before created_at": Rec("tickets-jsonl", {"id": "t2", "created_at": "2026-03-02T09:00:00Z", "body": "x", "resolved_at": "2026-03-01T09:00:00Z"}, ("field 'resolved_at'", "before created_at")),
    "resolved_at not a time": Rec("tickets-jsonl", {"id": "t2", "created_at": "2026-03-02T09:00:00Z", "body": "x", "resolved_at": "soon"}, ("field 'resolved_at'", "not an ISO-8601")),
    # --- tickets: text and status
    "only 'Subject' (capital S)": Rec("tickets-jsonl", {"id": "t2", "created_at": "2026-03-02T09:00:00Z", "Subject": "site down"}, ("subject and body both missing", "'Subject'")),
    "subject a number": Rec("tickets-jsonl", {"id": "t2", "created_at": "2026-03-02T09:00:00Z", "subject": 42}, ("field 'subject'", "expected text, got number 42")),
    "body a list": Rec("tickets-jsonl", {"id": "t2", "created_at": "2026-03-02T09:00:00Z", "body": ["a"]}, ("field 'body'", "a list")),
    "body an object": Rec("tickets-jsonl", {"id": "t2", "created_at": "2026-03-02T09:00:00Z", "body": {"text": "a"}}, ("field 'body'", "an object")),
    "status unknown": Rec("tickets-jsonl", {"id": "t2", "created_at": "2026-03-02T09:00:00Z", "body": "x", "status": "closed"}, ("field 'status'", "unknown status 'closed'")),
    "status a number": Rec("tickets-jsonl", {"id": "t2", "created_at": "2026-03-02T09:00:00Z", "body": "x", "status": 3}, ("field 'status'", "expected text")),
    "customer a number": Rec("tickets-jsonl", {"id": "t2", "created_at": "2026-03-02T09:00:00Z", "body": "x", "customer": 17}, ("field 'customer'", "expected text")),
    "channel an object": Rec("tickets-jsonl", {"id": "t2", "created_at": "2026-03-02T09:00:00Z", "body": "x", "channel": {}}, ("field 'channel'", "an object")),

    # --- tickets as CSV rows
    "CSV: more values than columns": Rec("tickets-csv", "t2,2026-03-02T09:00:00Z,a,b,c", ("more values than the header has columns",)),
    "CSV: empty created_at cell": Rec("tickets-csv", "t2,,a,b", ("ticket 't2'", "field 'created_at'", "missing")),
    "CSV: created_at without an offset": Rec("tickets-csv", "t2,2026-03-02 09:00,a,b", ("field 'created_at'", "no UTC offset")),
    "CSV: id only spaces": Rec("tickets-csv", "   ,2026-03-02T09:00:00Z,a,b", ("field 'id'", "only spaces")),
    "CSV: duplicate id": Rec("tickets-csv", "t1,2026-03-02T09:00:00Z,a,b", ("ticket 't1'", "duplicate id")),

    # --- alerts as JSON lines
    "alert ts missing": Rec("alerts-jsonl", {**A_GOOD[0], "id": "a2", "ts": None}, ("alert 'a2'", "field 'ts'", "is null")),
    "alert ts without an offset (issue example)": Rec("alerts-jsonl", {**A_GOOD[0], "id": "a07", "ts": "2026-03-02 02:01"}, ("alert 'a07'", "field 'ts'", "no UTC offset in '2026-03-02 02:01'")),
    "alert ts Alertmanager's zero time": Rec("alerts-jsonl", {**A_GOOD[0], "id": "a2", "ts": "0001-01-01T00:00:00Z"}, ("field 'ts'", "outside the years")),
    "alert ts year 9999 with an offset": Rec("alerts-jsonl", {**A_GOOD[0], "id": "a2", "ts": "9999-12-31T23:59:59-01:00"}, ("field 'ts'", "outside the years")),
    "alert service empty": Rec("alerts-jsonl", {**A_GOOD[0], "id": "a2", "service": ""}, ("alert 'a2'", "field 'service'", "is empty")),
    "alert service only spaces": Rec("alerts-jsonl", {**A_GOOD[0], "id": "a2", "service": "  "}, ("field 'service'", "is empty")),
    "alert service missing": Rec("alerts-jsonl", {k: v for k, v in {**A_GOOD[0], "id": "a2"}.items() if k != "service"}, ("field 'service'", "missing")),
    "alert service misspelled (servce)": Rec("alerts-jsonl", {**{k: v for k, v in A_GOOD[0].items() if k != "service"}, "id": "a2", "servce": "web"}, ("field 'service'", "'servce'")),
    "alert name missing": Rec("alerts-jsonl", {k: v for k, v in {**A_GOOD[0], "id": "a2"}.items() if k != "name"}, ("field 'name'", "missing")),
    "alert name a number": Rec("alerts-jsonl", {**A_GOOD[0], "id": "a2", "name": 5}, ("field 'name'", "expected text")),
    "alert severity unknown": Rec("alerts-jsonl", {**A_GOOD[0], "id": "a2", "severity": "apocalyptic"}, ("field 'severity'", "unknown severity 'apocalyptic'")),
    "alert severity missing": Rec("alerts-jsonl", {k: v for k, v in {**A_GOOD[0], "id": "a2"}.items() if k != "severity"}, ("field 'severity'", "missing")),
    "alert severity a number": Rec("alerts-jsonl", {**A_GOOD[0], "id": "a2", "severity": 1}, ("field 'severity'", "expected text")),
    "alert labels a list": Rec("alerts-jsonl", {**A_GOOD[0], "id": "a2", "labels": ["pod"]}, ("field 'labels'", "expected an object")),
    "alert label value a number": Rec("alerts-jsonl", {**A_GOOD[0], "id": "a2", "labels": {"port": 5432}}, ("field 'labels.port'", "expected text")),
    "alert summary a number": Rec("alerts-jsonl", {**A_GOOD[0], "id": "a2", "summary": 0}, ("field 'summary'", "expected text")),
    "alert id a number": Rec("alerts-jsonl", {**A_GOOD[0], "id": 7}, ("field 'id'", "expected text")),
    "alert id only spaces": Rec("alerts-jsonl", {**A_GOOD[0], "id": " \t "}, ("field 'id'", "only spaces")),
    "duplicate alert id": Rec("alerts-jsonl", {**A_GOOD[1], "ts": "2026-03-02T02:00:10Z", "id": "a1"}, ("alert 'a1'", "duplicate id")),
    "a webhook payload among plain alerts": Rec("alerts-jsonl", payload(am()), ("webhook payload mixed with plain alert records",)),

    # --- alerts as CSV rows
    "alerts CSV: labels cell not JSON": Rec("alerts-csv", 'a2,2026-03-02T02:00:30Z,web,X,info,pod=a', ("alert 'a2'", "field 'labels'", "expected a JSON object")),
    "alerts CSV: labels cell a list": Rec("alerts-csv", 'a2,2026-03-02T02:00:30Z,web,X,info,"[1]"', ("field 'labels'", "expected an object")),
    "alerts CSV: labels cell with NaN": Rec("alerts-csv", 'a2,2026-03-02T02:00:30Z,web,X,info,"{""v"": NaN}"', ("field 'labels'", "NaN")),
    "alerts CSV: labels cell with a repeated key": Rec("alerts-csv", 'a2,2026-03-02T02:00:30Z,web,X,info,"{""v"": ""1"", ""v"": ""2""}"', ("field 'labels'", "appears twice")),
    "alerts CSV: empty service cell": Rec("alerts-csv", 'a2,2026-03-02T02:00:30Z,,X,info,', ("alert 'a2'", "field 'service'", "missing")),
    "alerts CSV: unknown severity": Rec("alerts-csv", 'a2,2026-03-02T02:00:30Z,web,X,loud,', ("field 'severity'", "unknown severity")),

    # --- Alertmanager webhook alerts
    "webhook: alert not an object": Rec("webhook", "firing", ("expected an alert object",)),
    "webhook: alertname missing": Rec("webhook", {**am(), "labels": {"service": "pg-main"}}, ("alert 'f2'", "field 'labels.alertname'", "missing")),
    "webhook: alertname empty": Rec("webhook", am(alertname=""), ("field 'labels.alertname'", "is empty")),
    "webhook: a label value a number": Rec("webhook", {**am(), "labels": {"alertname": "X", "service": "web", "port": 1}}, ("field 'labels.port'", "expected text")),
    "webhook: labels a list": Rec("webhook", {**am(), "labels": ["a"]}, ("field 'labels'", "expected an object")),
    "webhook: startsAt missing": Rec("webhook", {k: v for k, v in am().items() if k != "startsAt"}, ("field 'startsAt'", "missing")),
    "webhook: startsAt is the zero time (not set)": Rec("webhook", am(starts="0001-01-01T00:00:00Z"), ("field 'startsAt'", "zero time 0001-01-01T00:00:00Z (not set)")),
    "webhook: startsAt without an offset": Rec("webhook", am(starts="2026-03-02T02:00:30"), ("field 'startsAt'", "no UTC offset")),
    "webhook: startsAt year 0001 with an offset": Rec("webhook", am(starts="0001-01-01T00:30:00+01:00"), ("field 'startsAt'", "outside the years")),
    "webhook: endsAt not a time": Rec("webhook", {**am(), "endsAt": "never"}, ("field 'endsAt'", "not an RFC 3339 timestamp")),
    "webhook: annotations a list": Rec("webhook", {**am(), "annotations": ["x"]}, ("field 'annotations'", "expected an object")),
    "webhook: summary a number": Rec("webhook", {**am(), "annotations": {"summary": 5}}, ("field 'annotations.summary'", "expected text")),
    "webhook: fingerprint a number": Rec("webhook", {**am(), "fingerprint": 12}, ("field 'fingerprint'", "expected text")),
}

def _command(case: Rec, path: Path) -> list:
    return (["triage", path] if case.tickets else ["correlate", path]) + list(case.args)


@pytest.mark.parametrize("name", list(RECORDS))
def test_bad_record_is_refused_or_set_aside(tmp_path, name):
    case = RECORDS[name]
    path = case.write(tmp_path)
    place = case.place if case.kind != "webhook" or not case.args else "am.json:alerts["

    # strict (the default): the whole file is refused in one line
    code, out, err = desk(*_command(case, path))
    message = assert_refused(code, err, "desk: " + place, *case.pieces)
    assert out == ""

    # the API says the same thing
    reader = read_tickets if case.tickets else read_alerts
    kwargs = {} if case.tickets else {"service_label": case.args[1] if case.args else "service"}
    with pytest.raises(InputError) as info:
        reader(path, **kwargs)
    assert "desk: " + str(info.value) == message and "\n" not in str(info.value)

    if case.args:          # every alert lacks the chosen label: nothing to set aside around
        return
    # --rejects: the bad record is set aside with that reason; the good ones are used
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = desk(*_command(case, path), "--rejects", rejects, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["input"] == {"read": 3, "used": 2, "set_aside": 1, "merged": 0}
    assert err.strip().endswith(f"3 read, 2 used, 1 set aside in {rejects}, 0 merged")
    (reject,) = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert "desk: " + reject["reason"] == message.replace("desk: ", "desk: ", 1)
    assert reject["file"] == path.name
    good = ["t1", "t3"] if case.tickets else (["a1", "a3"] if case.kind != "webhook" else ["f1", "f3"])
    used = [t["id"] for t in doc["tickets"]] if case.tickets else sorted(a for i in doc["incidents"] for a in i["alert_ids"])
    assert used == good
    if case.kind.endswith("jsonl") and isinstance(case.bad, (dict, list)):
        assert reject["record"] == case.bad            # the record as it was read
    if case.kind == "webhook" and isinstance(case.bad, dict):
        assert reject["record"] == case.bad

    records, report = reader(path, on_error="collect", **kwargs)
    assert [r.id for r in records] == good and report.set_aside == 1
    assert report.rejects[0]["reason"] == str(info.value)


# ----------------------------------------------------------------------------- bad files: refused whole, in both modes

@dataclass
class File:
    name: str
    content: bytes | str
    command: str          # validate | triage | correlate
    pieces: tuple = ()
    options: tuple = ()

    def write(self, folder: Path) -> Path:
        path = folder / self.name
        if isinstance(self.content, bytes):
            path.write_bytes(self.content)
        else:
            path.write_text(self.content, encoding="utf-8", newline="")
        return path


_T = json.dumps(T_GOOD[0]) + "\n"
FILES = {
    # reading the file at all
    "an empty file": File("t.jsonl", "", "triage", ("t.jsonl: file is empty",)),
    "only blank lines": File("t.jsonl", "\n  \n\n", "triage", ("t.jsonl: file is empty",)),
    "not UTF-8 (Latin-1)": File("t.jsonl", _T.encode() + '{"id": "t2", "body": "café"}\n'.encode("latin-1"), "triage", ("t.jsonl:2: not UTF-8",)),
    "UTF-16 with a byte-order mark": File("t.jsonl", _T.encode("utf-16"), "triage", ("t.jsonl:1: not UTF-8",)),
    "an unknown file type": File("t.txt", _T, "triage", ("t.txt: unknown file type '.txt'",)),
    "an alerts file of unknown type": File("a.xml", "<alerts/>", "correlate", ("a.xml: unknown file type",)),
    "a file that is not there": File("missing.jsonl", None, "triage", ("missing.jsonl: file not found",)),
    "a directory": File("dir.jsonl", None, "correlate", ("dir.jsonl: is a directory",)),
    # a whole-file JSON that is broken
    "webhook JSON cut short": File("am.json", json.dumps(payload(am()))[:-20], "correlate", ("am.json:1: invalid JSON",)),
    "webhook JSON with a repeated key": File("am.json", '{"version": "4", "alerts": [], "alerts": []}', "correlate", ("am.json:", "key 'alerts' appears twice")),
    "webhook JSON nested too deeply": File("am.json", '{"alerts": ' + "[" * 50_000 + "]" * 50_000 + "}", "correlate", ("am.json:", "nested too deeply")),
    "a JSON object that is no payload": File("am.json", '{"hello": "world"}', "correlate", ("am.json: expected an Alertmanager webhook payload",)),
    "a JSON number": File("am.json", "42", "correlate", ("am.json:", "expected an Alertmanager webhook payload",)),
    "webhook payloads holding no alerts": File("am.json", json.dumps(payload()), "correlate", ("am.json: the payloads hold no alerts",)),
    "an empty JSON list of tickets": File("t.json", "[]", "triage", ("t.json: no tickets",)),
    # CSV structure
    "CSV: an unterminated quote (issue example)": File("t.csv", "id,created_at,subject\nt1,2026-03-02T10:00:00Z,\"site down\nt2,2026-03-02T10:00:00Z,x\n", "triage", ("t.csv:2: malformed CSV", "never closed")),
    "CSV: text after a closing quote": File("t.csv", "id,created_at,subject\nt1,2026-03-02T10:00:00Z,\"site\" down\n", "triage", ("t.csv:2: malformed CSV",)),
    "CSV: a column the desk reads named twice (body)": File("t.csv", "id,created_at,body,body\nt1,2026-03-02T10:00:00Z,a,b\n", "triage", ("t.csv:1: header", "column 'body' appears 2 times", "columns 3, 4")),
    "CSV: id named twice": File("t.csv", "id,created_at,id,body\nt1,2026-03-02T10:00:00Z,t9,b\n", "triage", ("column 'id' appears 2 times",)),
    "CSV: ts named twice in alerts": File("a.csv", "id,ts,service,name,severity,ts\na1,2026-03-02T02:00:00Z,web,X,info,2026-03-02T03:00:00Z\n", "correlate", ("a.csv:1: header", "column 'ts' appears 2 times")),
    "CSV: header without id": File("t.csv", "created_at,subject\n2026-03-02T10:00:00Z,x\n", "triage", ("t.csv:1: header", "missing column(s) 'id'")),
    "CSV: header with created_at misspelled": File("t.csv", "id,creatd_at,subject\nt1,2026-03-02T10:00:00Z,x\n", "triage", ("t.csv:1: header", "'created_at'", "'creatd_at'", "misspelling")),
    "CSV: alerts header without severity": File("a.csv", "id,ts,service,name\na1,2026-03-02T02:00:00Z,web,X\n", "correlate", ("a.csv:1: header", "'severity'")),
    "CSV: header only": File("t.csv", "id,created_at,subject\n", "triage", ("t.csv: no tickets",)),
    "CSV: semicolons, created_at twice": File("t.csv", "id;created_at;created_at;body\nt1;2026-03-02T10:00:00Z;2026-03-03T10:00:00Z;x\n", "triage", ("column 'created_at' appears 2 times",)),
    # topology
    "topology: a list": File("topo.json", '["web", "orders"]', "validate", ("topo.json: expected an object",), ("--kind", "topology")),
    "topology: a service mapped to text, not a list": File("topo.json", '{"web": "orders"}', "validate", ("topo.json: service 'web'", "expected a list"), ("--kind", "topology")),
    "topology: a dependency a number": File("topo.json", '{"web": ["orders", 5]}', "validate", ("service 'web': [1]", "expected a service name"), ("--kind", "topology")),
    "topology: an empty dependency": File("topo.json", '{"web": [""]}', "validate", ("service 'web': [0]", "got ''"), ("--kind", "topology")),
    "topology: a service with an empty name": File("topo.json", '{" ": ["web"]}', "validate", ("expected a non-empty service name",), ("--kind", "topology")),
    "topology: a repeated service": File("topo.json", '{"web": ["a"], "web": ["b"]}', "validate", ("key 'web' appears twice",), ("--kind", "topology")),
    "topology: broken JSON": File("topo.json", '{"web": [', "validate", ("topo.json:1: invalid JSON",), ("--kind", "topology")),
    "topology: a lone surrogate": File("topo.json", '{"web": ["\\ud800"]}', "validate", ("lone surrogate",), ("--kind", "topology")),
    "topology given to correlate is broken": File("topo.json", '{"web": "orders"}', "correlate-topology", ("topo.json: service 'web'",)),
    # validate cannot tell what it is
    "validate: a CSV of neither kind": File("x.csv", "a,b\n1,2\n", "validate", ("x.csv:1: header: neither",)),
    "validate: JSON lines of neither kind": File("x.jsonl", '{"a": 1}\n', "validate", ("x.jsonl: cannot tell",)),
    # truth files
    "truth: a missing column": File("truth.csv", "id,incident\na01,1\n", "correlate-truth", ("truth.csv:1: header", "'root_cause'")),
    "truth: a repeated id": File("truth.csv", "id,incident,root_cause\na01,1,pg-main\na01,1,pg-main\n", "correlate-truth", ("truth.csv:3: alert 'a01'", "duplicate id")),
    "truth: ids that are not the alerts'": File("truth.csv", "id,incident,root_cause\nzz,1,pg-main\n", "correlate-truth", ("truth.csv",)),
    "truth: an empty root_cause": File("truth.csv", "id,incident,root_cause\na01,1,\n", "correlate-truth", ("truth.csv:2: field 'root_cause': missing",)),
}


def _file_command(case: File, path: Path) -> list:
    if case.command == "correlate-topology":
        return ["correlate", FIXTURES / "alerts.jsonl", "--topology", path]
    if case.command == "correlate-truth":
        return ["correlate", FIXTURES / "alerts.jsonl", "--truth", path]
    return [case.command, path, *case.options]


@pytest.mark.parametrize("name", list(FILES))
def test_bad_file_is_refused_whole(tmp_path, name):
    case = FILES[name]
    if case.content is None:
        path = tmp_path / case.name
        if name == "a directory":
            path.mkdir()
    else:
        path = case.write(tmp_path)
    code, out, err = desk(*_file_command(case, path))
    assert_refused(code, err, *case.pieces)
    assert out == ""
    if case.command in ("triage", "correlate"):
        # --rejects does not rescue a file that cannot be read record by record
        code, out, err = desk(*_file_command(case, path), "--rejects", tmp_path / "r.jsonl")
        assert_refused(code, err, *case.pieces)
        reader = read_tickets if case.command == "triage" else read_alerts
        for mode in ("raise", "collect"):
            with pytest.raises(InputError) as info:
                reader(path, on_error=mode)
            assert "\n" not in str(info.value) and case.pieces[0].split(":")[0] in str(info.value)


# ----------------------------------------------------------------------------- command-line options and streams

OPTIONS = {
    "--threshold above 1": (["triage", FIXTURES / "tickets.jsonl", "--threshold", "1.5"], ("threshold must be a number in [0, 1]",)),
    "--threshold below 0": (["triage", FIXTURES / "tickets.jsonl", "--threshold", "-0.1"], ("threshold",)),
    "--threshold not a number": (["triage", FIXTURES / "tickets.jsonl", "--threshold", "high"], ("threshold",)),
    "--threshold nan": (["triage", FIXTURES / "tickets.jsonl", "--threshold", "nan"], ("threshold",)),
    "--threshold inf (desk run)": (["run", "--threshold", "inf"], ("threshold",)),
    "--window negative": (["correlate", FIXTURES / "alerts.jsonl", "--window", "-5m"], ("window",)),
    "--window in fortnights": (["correlate", FIXTURES / "alerts.jsonl", "--window", "5 fortnights"], ("window",)),
    "--window huge": (["correlate", FIXTURES / "alerts.jsonl", "--window", "1e999"], ("window",)),
    "--kind unknown": (["validate", FIXTURES / "tickets.jsonl", "--kind", "incidents"], ("--kind",)),
    "an unknown command": (["escalate"], ("invalid choice",)),
    "no command": ([], ("required",)),
    "triage without a file": (["triage"], ("the following arguments are required: tickets",)),
    "an unknown option": (["triage", FIXTURES / "tickets.jsonl", "--fast"], ("unrecognized arguments",)),
    "--rejects into a missing folder": (["triage", FIXTURES / "tickets.jsonl", "--rejects", "/nonexistent/dir/r.jsonl"], ("/nonexistent/dir/r.jsonl: cannot write the rejects file",)),
    "--rejects onto a folder": (["correlate", FIXTURES / "alerts.jsonl", "--rejects", "/"], ("cannot write the rejects file",)),
    "--rejects naming the input file": (["triage", FIXTURES / "tickets.jsonl", "--rejects", FIXTURES / "tickets.jsonl"], ("would overwrite the input file",)),
    "--topology that is not there": (["correlate", FIXTURES / "alerts.jsonl", "--topology", "/nonexistent.json"], ("/nonexistent.json: file not found",)),
    "--truth that is not there": (["correlate", FIXTURES / "alerts.jsonl", "--truth", "/nonexistent.csv"], ("/nonexistent.csv: file not found",)),
}


@pytest.mark.parametrize("name", list(OPTIONS))
def test_bad_option_is_one_line(name):
    argv, pieces = OPTIONS[name]
    code, out, err = desk(*argv)
    assert_refused(code, err, *pieces)
    assert out == ""


STDIN_CASES = {
    "empty standard input": (["triage", "-"], b"", ("<stdin>: file is empty",)),
    "standard input not UTF-8": (["triage", "-"], b"\xff\xfe{}", ("<stdin>:1: not UTF-8",)),
    "a bad record on standard input": (["triage", "-"], (_T + '{"id": "t2"}\n').encode(), ("<stdin>:2: ticket 't2': field 'created_at': missing",)),
    "a topology on standard input": (["validate", "-", "--kind", "topology"], b'{"web": []}', ("not standard input",)),
    "an unterminated quote on standard input": (["triage", "-"], b'id,created_at,subject\nt1,2026-03-02T10:00:00Z,"x\n', ("<stdin>:2: malformed CSV",)),
}


@pytest.mark.parametrize("name", list(STDIN_CASES))
def test_bad_standard_input_is_one_line(name):
    argv, data, pieces = STDIN_CASES[name]
    code, out, err = desk(*argv, stdin=data)
    assert_refused(code, err, *pieces)


def test_every_record_set_aside_is_still_one_line(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"id": "t1"}\n{"id": "t2"}\n', encoding="utf-8")
    rejects = tmp_path / "r.jsonl"
    code, out, err = desk("triage", path, "--rejects", rejects)
    assert_refused(code, err, "t.jsonl: no tickets left to work on", "2 set aside")
    assert len(rejects.read_text().splitlines()) == 2      # written all the same


def _subprocess(*argv, **env):
    return subprocess.run([sys.executable, "-m", "desklib", *map(str, argv)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **env})


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_output_to_a_full_disk_is_one_line():
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "desklib", "triage", str(FIXTURES / "tickets.jsonl")],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == "desk: cannot write the output: No space left on device\n"


def test_output_in_a_terminal_that_cannot_show_utf8(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"id": "tü", "created_at": "2026-03-02T09:00:00Z", "subject": "Störung — ☃ down"},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    table = _subprocess("triage", path, PYTHONIOENCODING="ascii")
    assert table.returncode == 0 and "t\\xfc" in table.stdout and "Traceback" not in table.stderr
    doc = _subprocess("triage", path, "--json", PYTHONIOENCODING="ascii")
    assert doc.returncode == 0 and json.loads(doc.stdout)["tickets"][0]["id"] == "tü"


# ----------------------------------------------------------------------------- policies: every command answers alike

def _edit(folder: Path, name: str, old: str | None, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    if old is None:
        path.write_text(new + "\n" + text, encoding="utf-8")
    else:
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")


# (file, text to replace (None: put `new` first), new text, the commands that read that file)
POLICIES = {
    "[gate] threshold = 1.5": ("triage_rules.toml", "threshold = 0.67", "threshold = 1.5", ("triage", "run")),
    "a TOML syntax error in the rules": ("triage_rules.toml", "[scoring]", "[scoring", ("triage", "run")),
    "[rules] instead of [[rules]]": ("triage_rules.toml", "[[rules]]", "[rules]", ("triage", "run")),
    "scoring = 5": ("triage_rules.toml", "[scoring]", "scoring = 5\n[scorings]", ("triage", "run")),
    "levels = [[0.5]]": ("sla_policy.toml", "levels = [0.5, 0.75]", "levels = [[0.5]]", ("triage", "run")),
    "a tier's days given as text": ("sla_policy.toml", 'days = ["Mon", "Tue", "Wed", "Thu", "Fri"]', 'days = "Mon-Fri"', ("triage", "run")),
    "a rule weight of 1e308": ("triage_rules.toml", "weight = 1.0", "weight = 1e308", ("triage", "run")),
    "a rule with no keywords": ("triage_rules.toml", 'keywords = ["down",', 'keywords = []\nold = ["down",', ("triage", "run")),
    "a TOML syntax error in the SLA policy": ("sla_policy.toml", "[tiers.L1]", "[tiers.L1", ("triage", "run")),
    "runbooks: default = 5": ("runbooks.toml", 'default = "rb-triage-unknown-incident"', "default = 5", ("run", "correlate")),
    "runbooks: [[alerts]]": ("runbooks.toml", "\n[alerts]", "\n[[alerts]]", ("run", "correlate")),
    "runbooks: a TOML syntax error": ("runbooks.toml", "\n[services]", "\n[services", ("run", "correlate")),
}
MISSING = {
    "triage_rules.toml missing": ("triage_rules.toml", ("triage", "run")),
    "sla_policy.toml missing": ("sla_policy.toml", ("triage", "run")),
    "runbooks.toml missing": ("runbooks.toml", ("run", "correlate")),
    "topology.json missing (desk run)": ("topology.json", ("run",)),
    "tickets.jsonl missing (desk run)": ("tickets.jsonl", ("run",)),
}


def _policy_commands(commands):
    argv = {"triage": ["triage", FIXTURES / "tickets.jsonl"], "run": ["run"],
            "correlate": ["correlate", FIXTURES / "alerts.jsonl"]}
    return [argv[c] for c in commands]


@pytest.mark.parametrize("name", list(POLICIES))
def test_broken_policy_is_one_line_from_every_command(tmp_path, monkeypatch, name):
    filename, old, new, commands = POLICIES[name]
    folder = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, folder, ignore=shutil.ignore_patterns("__pycache__"))
    _edit(folder, filename, old, new)
    monkeypatch.setenv("DESKLIB_FIXTURES", str(folder))
    answers = set()
    for argv in _policy_commands(commands):
        code, out, err = desk(*argv)
        answers.add(assert_refused(code, err, filename))
    assert len(answers) == 1, answers       # the same answer from each command


@pytest.mark.parametrize("name", list(MISSING))
def test_missing_policy_is_one_line_from_every_command(tmp_path, monkeypatch, name):
    filename, commands = MISSING[name]
    folder = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / filename).unlink()
    monkeypatch.setenv("DESKLIB_FIXTURES", str(folder))
    for argv in _policy_commands(commands):
        code, out, err = desk(*argv)
        assert_refused(code, err, filename, "not found")


def test_policy_refusal_through_a_real_process(tmp_path):
    folder = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, folder, ignore=shutil.ignore_patterns("__pycache__"))
    _edit(folder, "triage_rules.toml", "threshold = 0.67", "threshold = 1.5")
    proc = _subprocess("run", DESKLIB_FIXTURES=str(folder))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "triage_rules.toml" in proc.stderr


def test_the_catalogue_is_long_enough():
    refusals = len(RECORDS) + len(FILES) + len(OPTIONS) + len(STDIN_CASES) + len(POLICIES) + len(MISSING) + 3
    assert refusals >= 120, refusals


# ----------------------------------------------------------------------------- not errors: handled, and said

def _read_notes(tmp_path, name, text, reader=read_tickets, **kw):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path, *reader(path, **kw)


def test_unknown_and_misspelled_fields_are_noted_not_dropped(tmp_path):
    rec = {**T_GOOD[0], "prority": "high", "Subject": "x", "priority": "p1", "sentiment": "angry"}
    path, tickets, report = _read_notes(tmp_path, "t.jsonl", json.dumps(rec) + "\n" + json.dumps(T_GOOD[1]) + "\n")
    notes = "\n".join(report.notes)
    assert "key 'prority' is not a ticket field (did you mean 'priority'?)" in notes
    assert "key 'Subject' is not a ticket field (did you mean 'subject'?)" in notes
    assert "key 'priority' (1 record, first at line 1) is not read by the desk" in notes
    assert "key 'sentiment' is not a ticket field (1 record, first at line 1); ignored" in notes
    assert len(report.notes) == 4 and report.counts() == {"read": 2, "used": 2, "set_aside": 0, "merged": 0}
    code, out, err = desk("triage", path, "--json")
    assert code == 0 and json.loads(out)["notes"] == report.notes
    code, out, err = desk("triage", path)        # the table: the notes on stderr
    assert code == 0 and "did you mean 'priority'?" in err and err.strip().endswith("2 read, 2 used, 0 set aside, 0 merged")


def test_a_repeated_column_the_desk_does_not_read_is_noted(tmp_path):
    text = "id,created_at,subject,Labels,Labels,Labels\nt1,2026-03-02T10:00:00Z,x,a,b,c\n"    # Jira's multi-value fields
    path, tickets, report = _read_notes(tmp_path, "t.csv", text)
    assert [t.id for t in tickets] == ["t1"]
    assert report.notes == ["t.csv: column 'Labels' is not a ticket field (3 columns: 4, 5, 6); ignored"]


def test_csv_column_near_miss_is_named(tmp_path):
    path, tickets, report = _read_notes(tmp_path, "t.csv", "id,created_at,Subject,body\nt1,2026-03-02T10:00:00Z,x,y\n")
    assert any("column 'Subject' is not a ticket field (did you mean 'subject'?)" in n for n in report.notes)


def test_truncated_alerts_are_noted(tmp_path):
    doc = payload(W_GOOD[0], W_GOOD[1], truncatedAlerts=7)
    path, alerts, report = _read_notes(tmp_path, "am.json", json.dumps(doc), read_alerts)
    assert len(alerts) == 2
    assert report.notes == ["am.json: group {}:{}: Alertmanager left out 7 alerts in 1 notification "
                            "(truncatedAlerts > 0: max_alerts in the receiver's webhook_config caps each "
                            "notification); they are not in this file"]
    code, out, err = desk("correlate", path, "--json")
    assert json.loads(out)["notes"] == report.notes


def test_unknown_webhook_keys_are_noted(tmp_path):
    doc = payload({**W_GOOD[0], "silencedBy": []}, W_GOOD[1], extra_field=1)
    path, alerts, report = _read_notes(tmp_path, "am.json", json.dumps(doc), read_alerts)
    assert "am.json: payload fields not read: extra_field" in report.notes
    assert "am.json: alert fields not read: silencedBy" in report.notes


def test_zero_end_time_means_not_set(tmp_path):
    path, alerts, report = _read_notes(tmp_path, "am.json", json.dumps(payload(*W_GOOD)), read_alerts)
    assert [a.id for a in alerts] == ["f1", "f3"] and report.notes == []


def test_a_renotification_is_merged_and_counted(tmp_path):
    again = {**W_GOOD[0], "status": "resolved", "endsAt": "2026-03-02T02:10:00Z"}
    text = json.dumps([payload(*W_GOOD), payload(again)])
    path, alerts, report = _read_notes(tmp_path, "am.json", text, read_alerts)
    assert [a.id for a in alerts] == ["f1", "f3"]
    assert report.counts() == {"read": 3, "used": 2, "set_aside": 0, "merged": 1}
    code, out, err = desk("correlate", path)
    assert code == 0 and err.strip().endswith("am.json: 3 read, 2 used, 0 set aside, 1 merged")


def test_a_fingerprint_equal_to_another_alerts_flap_id_is_renamed_not_lost(tmp_path):
    flap = am("f1", "2026-03-02T02:04:00Z")                                  # f1 fires again: f1@2026-03-02T02:04:00Z
    clash = am("f1@2026-03-02T02:04:00Z", "2026-03-02T02:02:00Z", service="orders")
    for order in ([W_GOOD[0], flap, clash], [clash, flap, W_GOOD[0]]):
        path, alerts, report = _read_notes(tmp_path, "am.json", json.dumps(payload(*order)), read_alerts)
        ids = sorted(a.id for a in alerts)
        assert len(alerts) == 3 and len(set(ids)) == 3
        assert ids == ["f1", "f1@2026-03-02T02:04:00Z", "f1@2026-03-02T02:04:00Z#2"]
        renamed = {a.id: a.service for a in alerts}
        assert renamed["f1@2026-03-02T02:04:00Z"] == "orders"        # the earlier one keeps the id, whatever the order
        assert any("have the id 'f1@2026-03-02T02:04:00Z'" in n for n in report.notes)
    code, out, err = desk("correlate", path, "--json")
    assert code == 0 and sum(len(i["alert_ids"]) for i in json.loads(out)["incidents"]) == 3


def test_a_ticket_with_no_text_is_valid_and_goes_to_a_human(tmp_path):
    path, tickets, report = _read_notes(tmp_path, "t.jsonl", json.dumps({"id": "t2", "created_at": "2026-03-02T09:00:00Z"}) + "\n")
    assert tickets[0].subject == tickets[0].body == ""
    assert report.notes == ["t.jsonl: 1 ticket with no text at all (no subject, no body): valid, routed to a human"]
    code, out, err = desk("triage", path, "--json")
    assert code == 0 and json.loads(out)["tickets"][0]["reason"] == "no text"
    # a near miss of subject or body is a misspelling, not an empty ticket: refused
    bad = tmp_path / "b.jsonl"
    bad.write_text(json.dumps({"id": "t3", "created_at": "2026-03-02T09:00:00Z", "Subject": "site down"}) + "\n")
    code, out, err = desk("triage", bad)
    assert code == 2 and "subject and body both missing (found 'Subject' instead: a misspelling?)" in err


@pytest.mark.parametrize("bad, service, severity, note", [
    ({"labels": {"alertname": "X"}}, "(no service label)", "warning",
     "none of the labels service, job, app, namespace: grouped under service '(no service label)' (1 alert)"),
    ({"labels": {"alertname": "X", "service": ""}}, "(no service label)", "warning", "grouped under service"),
    ({"labels": {"alertname": "X", "service": "   ", "job": "node"}}, "node", "warning", "service from label 'job' (1 alert)"),
    ({"labels": {"alertname": "X", "service": "web", "severity": "page"}}, "web", "critical", "severity 'page' read as critical (1 alert)"),
    ({"labels": {"alertname": "X", "service": "web", "severity": "loud"}}, "web", "warning",
     "severity 'loud' is not in alert_policy.toml: treated as warning, kept as given in labels (1 alert)"),
])
def test_webhook_alerts_the_desk_maps_instead_of_refusing(tmp_path, bad, service, severity, note):
    """What issue 12 refused, the alert policy now maps: and says so."""
    path, alerts, report = _read_notes(tmp_path, "am.json", json.dumps(payload(W_GOOD[0], {**am(), **bad}, W_GOOD[1])), read_alerts)
    (alert,) = [a for a in alerts if a.id == "f2"]
    assert (alert.service, alert.severity) == (service, severity)
    assert any(note in n for n in report.notes), report.notes
    code, out, err = desk("correlate", path, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["input"] == {"read": 3, "used": 3, "set_aside": 0, "merged": 0}
    assert any(note in n for n in doc["notes"])


def test_service_label_names_a_label_the_alerts_lack(tmp_path):
    path = tmp_path / "am.json"
    path.write_text(json.dumps(payload(*W_GOOD)))
    code, out, err = desk("correlate", path, "--service-label", "job", "--json")
    doc = json.loads(out)
    assert code == 0 and {s for i in doc["incidents"] for s in i["services"]} == {"(no service label)"}
    assert any("none of the labels job: grouped under service '(no service label)' (2 alerts)" in n for n in doc["notes"])


def test_empty_severity_label_defaults_like_a_missing_one(tmp_path):
    path, alerts, report = _read_notes(tmp_path, "am.json", json.dumps(payload(am(severity=""))), read_alerts)
    assert alerts[0].severity == "warning"


def test_ids_with_spaces_are_stripped_and_said(tmp_path):
    rec = {**T_GOOD[0], "id": "  t1 "}
    path, tickets, report = _read_notes(tmp_path, "t.jsonl", json.dumps(rec) + "\n")
    assert tickets[0].id == "t1" and report.notes == ["t.jsonl: 1 id had spaces around them; stripped"]


def test_line_separators_inside_text_round_trip(tmp_path):
    from desklib.records import load_tickets, save_tickets
    rec = {**T_GOOD[0], "subject": "a\u2028b\u2029c\x85d\x0be\x0cf\x1cg\x1dh\x1ei\rj"}
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    tickets = load_tickets(path)
    assert tickets[0].subject == rec["subject"]
    save_tickets(tickets, tmp_path / "again.jsonl")
    assert load_tickets(tmp_path / "again.jsonl") == tickets


def test_standard_input_reads_jsonl_csv_and_webhooks():
    jsonl = (FIXTURES / "tickets.jsonl").read_bytes()
    code, out, err = desk("triage", "-", "--json", stdin=jsonl)
    assert code == 0 and json.loads(out)["summary"]["total"] == 48
    assert err == "desk: <stdin>: 48 read, 48 used, 0 set aside, 0 merged\n"
    code, out, err = desk("triage", "-", stdin=b"id,created_at,subject\nt1,2026-03-02T10:00:00Z,site down\n")
    assert code == 0 and "1 tickets" in out
    code, out, err = desk("correlate", "-", "--json", stdin=(FIXTURES / "alerts_webhook.json").read_bytes())
    assert code == 0 and json.loads(out)["alerts"] == 40
    code, out, err = desk("validate", "-", stdin=(FIXTURES / "alerts.jsonl").read_bytes())
    assert code == 0 and out.startswith("<stdin>: 40 alerts")


def test_a_json_file_holds_a_list_of_tickets_or_json_lines(tmp_path):
    (tmp_path / "list.json").write_text(json.dumps(T_GOOD, indent=2), encoding="utf-8")
    (tmp_path / "lines.json").write_text("".join(json.dumps(t) + "\n" for t in T_GOOD), encoding="utf-8")
    for name in ("list.json", "lines.json"):
        tickets, report = read_tickets(tmp_path / name)
        assert [t.id for t in tickets] == ["t1", "t3"]


def test_no_nan_reaches_json_output(monkeypatch):
    from desklib import support_desk
    real = support_desk.triage_json

    def with_nan(outcomes, threshold):
        doc = real(outcomes, threshold)
        doc["tickets"][0]["confidence"] = float("nan")
        return doc
    monkeypatch.setattr(support_desk, "triage_json", with_nan)
    code, out, err = desk("triage", FIXTURES / "tickets.jsonl", "--json")
    assert_refused(code, err, "cannot write JSON", "Out of range float values")
    assert "NaN" not in out
