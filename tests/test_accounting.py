"""Every record read is accounted for: used, set aside (with its reason) or merged.

read == used + set_aside + merged in both modes, and the ids of what was used, set
aside and merged are exactly the ids that came in. ``--rejects FILE`` round-trips:
the rejects file plus the output is the input.
"""
from __future__ import annotations

import contextlib
import functools
import io
import json
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desklib import cli
from desklib.records import InputError, load_tickets, parse_tickets, read_alerts, read_tickets

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# ----------------------------------------------------------------------------- tickets: good and bad records

IDS = st.sampled_from(["t1", "t2", "t3", " t4", "t5 ", "t6", "t7", "t8"])
GOOD = st.builds(lambda i, h, s: {"id": i, "created_at": f"2026-03-02T{h:02d}:00:00Z", "subject": s, "body": ""},
                 IDS, st.integers(0, 23), st.sampled_from(["site down", "how do I export", "slow", "", "a\u2028b"]))
BAD = st.sampled_from([
    '{"id": "tb1", "created_at": "yesterday", "body": ""}',
    '{"id": "tb2", "body": ""}',
    '{"id": "   ", "created_at": "2026-03-02T09:00:00Z", "body": ""}',
    '{"id": "tb3", "id": "tb4", "created_at": "2026-03-02T09:00:00Z", "body": ""}',
    '{"id": "tb5", "created_at": "2026-03-02T09:00:00Z", "body": "", "n": NaN}',
    '{"id": "tb6", "created_at": "0001-01-01T00:00:00+01:00", "body": ""}',
    '{"id": "tb7", "created_at": ',
    '[1, 2]',
])
LINES = st.lists(st.one_of(GOOD.map(json.dumps), BAD), min_size=1, max_size=12)


def _write(tmp_path, lines, name="t.jsonl"):
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@SETTINGS
@given(lines=LINES)
def test_tickets_conservation_in_both_modes(tmp_path, lines):
    path = _write(tmp_path, lines)
    tickets, report = read_tickets(path, on_error="collect")
    assert report.read == len(lines) == report.used + report.set_aside + report.merged
    assert report.merged == 0 and report.used == len(tickets)
    # every line is either set aside (by its line number) or a ticket (by its stripped id)
    set_aside = {r["line"] for r in report.rejects}
    used = Counter(t.id for t in tickets)
    assert len(set_aside) == report.set_aside and max(used.values(), default=1) == 1
    for number, line in enumerate(lines, start=1):
        if number not in set_aside:
            used[json.loads(line)["id"].strip()] -= 1
    assert set(used.values()) <= {0}
    # strict: all of it, or an error for the first record set aside
    try:
        strict, strict_report = read_tickets(path)
    except InputError as exc:
        assert report.rejects and str(exc) == report.rejects[0]["reason"]
    else:
        assert strict == tickets and not report.rejects and strict_report.counts() == report.counts()


# ----------------------------------------------------------------------------- webhook alerts: merged and set aside

def _am(fp, minute, service="pg-main", status="firing"):
    return {"status": status, "labels": {"alertname": "PostgresDown", "service": service, "severity": "critical"},
            "annotations": {"summary": "down"}, "startsAt": f"2026-03-02T02:{minute:02d}:00Z",
            "endsAt": "0001-01-01T00:00:00Z", "fingerprint": fp}


ALERT = st.one_of(
    st.builds(_am, st.sampled_from(["f1", "f2", "f3"]), st.sampled_from([0, 4, 8]),
              st.sampled_from(["pg-main", "orders"]), st.sampled_from(["firing", "resolved"])),
    # without a service label, or with an empty one, an alert is still good (placeholder service)
    st.builds(lambda fp, labels: {**_am(fp, 12), "labels": labels}, st.sampled_from(["f4", "f5"]),
              st.sampled_from([{"alertname": "X"}, {"alertname": "X", "service": ""},
                               {"alertname": "X", "job": "node", "severity": "page"}])),
    st.sampled_from([{"labels": {"service": "pg-main"}, "startsAt": "2026-03-02T02:00:00Z", "fingerprint": "bad1"},
                     {**_am("bad2", 1), "startsAt": "0001-01-01T00:00:00Z"},
                     {**_am("bad3", 1), "status": "exploded"},
                     "not an alert"]))
PAYLOADS = st.lists(st.lists(ALERT, max_size=5), min_size=1, max_size=5)


@SETTINGS
@given(payloads=PAYLOADS)
def test_webhook_conservation(tmp_path, payloads):
    items = [a for p in payloads for a in p]
    if not items:
        return
    doc = [{"version": "4", "status": "firing", "alerts": p} for p in payloads]
    path = tmp_path / "am.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    alerts, report = read_alerts(path, on_error="collect")
    assert report.read == len(items) == report.used + report.set_aside + report.merged
    good = [a for a in items if isinstance(a, dict) and not a["fingerprint"].startswith("bad")]
    firings = {(a["fingerprint"], a["startsAt"]) for a in good}
    assert report.used == len(alerts) == len(firings) and report.merged == len(good) - len(firings)
    assert len({a.id for a in alerts}) == len(alerts)                       # ids unique
    assert {(a.id.split("@")[0], a.ts.strftime("%Y-%m-%dT%H:%M:%SZ")) for a in alerts} == firings
    assert len(report.rejects) == len(items) - len(good)
    # the same file in any order of payloads: the same alerts
    path.write_text(json.dumps(doc[::-1]), encoding="utf-8")
    again, report2 = read_alerts(path, on_error="collect")
    assert sorted(alerts, key=lambda a: a.id) == sorted(again, key=lambda a: a.id)
    assert report2.counts() == report.counts()


def test_parse_tickets_api_collects_too():
    rows = [(1, {"id": "t1", "created_at": "2026-03-02T09:00:00Z", "body": ""}), (2, {"id": "t2"})]
    with pytest.raises(InputError):
        parse_tickets(rows)
    from desklib.records import LoadReport
    report = LoadReport("<rows>")
    assert [t.id for t in parse_tickets(rows, on_error="collect", report=report)] == ["t1"]
    assert report.counts() == {"read": 2, "used": 1, "set_aside": 1, "merged": 0}
    with pytest.raises(ValueError, match="on_error"):
        parse_tickets(rows, on_error="ignore")


def test_load_tickets_warns_when_it_sets_records_aside(tmp_path):
    path = _write(tmp_path, ['{"id": "t1", "created_at": "2026-03-02T09:00:00Z", "body": "x"}', '{"id": "t2"}'])
    with pytest.warns(UserWarning, match="1 set aside"):
        assert [t.id for t in load_tickets(path, on_error="collect")] == ["t1"]


# ----------------------------------------------------------------------------- --rejects round-trips

def _desk(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


MIXED_TICKETS = [
    {"id": "t1", "created_at": "2026-03-02T09:00:00Z", "subject": "site down", "body": "nothing loads"},
    {"id": "t2", "created_at": "2026-03-02 09:00", "subject": "no offset"},
    {"id": "t3", "created_at": "2026-03-02T10:00:00Z", "subject": "how do I export", "body": ""},
    {"id": "t4", "created_at": "2026-03-02T11:00:00Z", "subject": "x", "status": "exploded"},
    {"id": "t1", "created_at": "2026-03-02T12:00:00Z", "subject": "a second t1"},
    {"id": "t5", "created_at": "2026-03-02T12:30:00Z", "subject": "charged twice", "prority": "high"},
]


def test_rejects_plus_output_is_the_input_for_tickets(tmp_path):
    path = _write(tmp_path, [json.dumps(r) for r in MIXED_TICKETS])
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = _desk("triage", path, "--rejects", rejects, "--json")
    assert code == 0
    doc = json.loads(out)
    set_aside = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert doc["input"] == {"read": 6, "used": 3, "set_aside": 3, "merged": 0}
    assert [r["line"] for r in set_aside] == [2, 4, 5]
    assert all(r["file"] == "t.jsonl" and r["reason"].startswith(f"t.jsonl:{r['line']}: ") for r in set_aside)
    # the output's records and the rejects' records are the input, line for line
    used = {t["id"] for t in doc["tickets"]}
    rebuilt = {r["line"]: r["record"] for r in set_aside}
    for number, rec in enumerate(MIXED_TICKETS, start=1):
        if number not in rebuilt:
            assert rec["id"] in used
            rebuilt[number] = rec
    assert [rebuilt[n] for n in sorted(rebuilt)] == MIXED_TICKETS
    assert len(used) == 3
    assert doc["notes"] == ["t.jsonl: key 'prority' is not a ticket field (did you mean 'priority'?) "
                            "(1 record, first at line 6); ignored"]
    # fix the rejects and read them again: every ticket comes through
    fixed = [dict(r["record"], created_at="2026-03-02T09:00:00Z", body="", status="new",
                  id=r["record"]["id"] + "b") for r in set_aside]
    again = _write(tmp_path, [json.dumps(r) for r in fixed], "fixed.jsonl")
    assert len(load_tickets(again)) == 3


def test_rejects_plus_output_is_the_input_for_csv_tickets(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,created_at,subject,body\nt1,2026-03-02T09:00:00Z,down,x\nt2,,y,z\nt3,2026-03-02T10:00:00Z,a,\n",
                    encoding="utf-8")
    rejects = tmp_path / "r.jsonl"
    code, out, err = _desk("triage", path, "--rejects", rejects, "--json")
    assert code == 0 and [t["id"] for t in json.loads(out)["tickets"]] == ["t1", "t3"]
    (reject,) = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert reject["line"] == 3 and reject["record"] == {"id": "t2", "created_at": "", "subject": "y", "body": "z"}


def test_rejects_plus_output_is_the_input_for_alerts(tmp_path):
    alerts = [{"id": f"a{i}", "ts": f"2026-03-02T02:{i:02d}:00Z", "service": "pg-main" if i % 2 else "orders",
               "name": "Down", "severity": "critical"} for i in range(1, 9)]
    alerts[2]["severity"] = "loud"             # 'fatal' would be read as critical (alert_policy.toml)
    alerts[5]["ts"] = "0001-01-01T00:00:00Z"
    alerts[6] = "{not json"
    path = _write(tmp_path, [a if isinstance(a, str) else json.dumps(a) for a in alerts], "a.jsonl")
    rejects = tmp_path / "r.jsonl"
    code, out, err = _desk("correlate", path, "--rejects", rejects, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["input"] == {"read": 8, "used": 5, "set_aside": 3, "merged": 0}
    assert err == f"desk: a.jsonl: 8 read, 5 used, 3 set aside in {rejects}, 0 merged\n"
    set_aside = {r["line"]: r["record"] for r in map(json.loads, rejects.read_text().splitlines())}
    used = {a for inc in doc["incidents"] for a in inc["alert_ids"]}
    assert set(set_aside) == {3, 6, 7} and set_aside[7] == "{not json"
    for number, rec in enumerate(alerts, start=1):
        assert (rec in (set_aside.get(number),)) != (isinstance(rec, dict) and rec["id"] in used)
    assert len(used) + len(set_aside) == len(alerts)


def test_rejects_plus_output_is_the_input_for_webhooks(tmp_path):
    def am(fp, minute, **labels):
        return {"labels": {"alertname": "Down", "service": "pg-main", **labels},
                "startsAt": f"2026-03-02T02:{minute:02d}:00Z", "fingerprint": fp}
    doc = [{"version": "4", "alerts": [am("f1", 0), am("f2", 1, alertname=""), am("f3", 2)]},
           {"version": "4", "truncatedAlerts": 2, "alerts": [am("f1", 0), {**am("f4", 3), "startsAt": "yesterday"},
                                                             am("f5", 4, service="", severity="loud")]}]
    path = tmp_path / "am.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    rejects = tmp_path / "r.jsonl"
    code, out, err = _desk("correlate", path, "--rejects", rejects, "--json")
    assert code == 0
    out = json.loads(out)
    assert out["input"] == {"read": 6, "used": 3, "set_aside": 2, "merged": 1}
    set_aside = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [r["line"] for r in set_aside] == ["[0]: alerts[2]", "[1]: alerts[2]"]
    assert [r["record"]["fingerprint"] for r in set_aside] == ["f2", "f4"]
    used = sorted(a for inc in out["incidents"] for a in inc["alert_ids"])
    assert used == ["f1", "f3", "f5"]     # f1 twice: one alert, one merged; f5 kept (placeholder, warning)
    notes = "\n".join(out["notes"])
    assert "Alertmanager left out 2 alerts in 1 notification (truncatedAlerts > 0" in notes
    assert "grouped under service '(no service label)' (1 alert)" in notes
    assert "severity 'loud' is not in alert_policy.toml: treated as warning, kept as given in labels (1 alert)" in notes


def test_validate_sets_aside_too_even_when_the_first_line_is_bad(tmp_path):
    path = _write(tmp_path, ['{"id": "t0", "created_at": ', json.dumps(MIXED_TICKETS[0]), json.dumps(MIXED_TICKETS[2])])
    code, out, err = _desk("validate", path)
    assert code == 2 and err.startswith("desk: t.jsonl:1: invalid JSON")
    rejects = tmp_path / "r.jsonl"
    code, out, err = _desk("validate", path, "--rejects", rejects)
    assert code == 0 and out.startswith("t.jsonl: 2 tickets")
    assert err == f"desk: t.jsonl: 3 read, 2 used, 1 set aside in {rejects}, 0 merged\n"
    assert json.loads(rejects.read_text())["record"] == '{"id": "t0", "created_at": '


def test_a_broken_line_among_webhook_payloads_is_set_aside_alone(tmp_path):
    def am(fp, minute):
        return {"labels": {"alertname": "Down", "service": "pg-main"}, "startsAt": f"2026-03-02T02:{minute:02d}:00Z",
                "fingerprint": fp}
    lines = [json.dumps({"version": "4", "alerts": [am("f1", 0)]}), '{"version": "4", "alerts": [',
             json.dumps({"version": "4", "alerts": [am("f2", 1), am("f1", 0)]})]
    path = _write(tmp_path, lines, "am.jsonl")
    alerts, report = read_alerts(path, on_error="collect")
    assert [a.id for a in alerts] == ["f1", "f2"]
    assert report.counts() == {"read": 4, "used": 2, "set_aside": 1, "merged": 1}
    assert report.rejects[0]["line"] == 2 and "invalid JSON" in report.rejects[0]["reason"]


def test_the_records_only_loaders_warn_about_notes(tmp_path):
    path = _write(tmp_path, [json.dumps({**MIXED_TICKETS[0], "prority": "high"})])
    with pytest.warns(UserWarning, match="did you mean 'priority'"):
        load_tickets(path)


# ----------------------------------------------------------------------------- anything at all: an answer, never a crash

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
FIELDS = st.sampled_from(["id", "created_at", "subject", "body", "status", "ts", "service", "name", "severity",
                          "labels", "summary", "alerts", "startsAt", "fingerprint", "first_response_at"])
RECORD = st.dictionaries(FIELDS, JSON_VALUES | st.sampled_from(["2026-03-02T09:00:00Z", "t1", "critical", "web", ""]),
                         max_size=8)


@SETTINGS
@given(records=st.lists(RECORD | JSON_VALUES, min_size=1, max_size=6), alerts=st.booleans())
def test_any_json_lines_get_an_answer_and_every_line_is_counted(tmp_path, records, alerts):
    path = _write(tmp_path, [json.dumps(r) for r in records], "x.jsonl")
    reader = read_alerts if alerts else read_tickets
    try:
        got, report = reader(path, on_error="collect")
    except InputError as exc:          # only a whole-file answer, in one line
        assert one_line(str(exc))
        return
    assert report.read == report.used + report.set_aside + report.merged
    assert alerts or report.read == len(records)
    assert len(got) == report.used and len(report.rejects) == report.set_aside
    assert all(one_line(text) for text in report.notes + [r["reason"] for r in report.rejects])
    try:
        reader(path)
    except InputError as exc:
        assert one_line(str(exc)) and report.set_aside


def one_line(text: str) -> bool:
    return len(text.splitlines()) == 1


# ----------------------------------------------------------------------------- the desk: one outcome per ticket

DAY_TICKET = st.builds(
    lambda h, m, s, replied: {"created_at": f"2026-03-0{2 + h // 24}T{h % 24:02d}:{m:02d}:00Z", "subject": s,
                              "first_response_at": f"2026-03-04T{replied:02d}:00:00Z" if replied is not None else None},
    st.integers(0, 47), st.sampled_from([0, 15, 30]),
    st.sampled_from(["Everything is down, every page returns 502", "how do I export", "asdf", "", "charged twice",
                     "nobody can log in", "slow", "how do I switch plans? also dashboard down"]),
    st.one_of(st.none(), st.integers(0, 23)))


@functools.cache
def _desk_policies():
    from desklib.routing import load_policy
    from desklib.triage import load_rules
    return load_rules(), load_policy()


@SETTINGS
@given(records=st.lists(DAY_TICKET, min_size=1, max_size=10), threshold=st.sampled_from([0.0, 0.5, 0.67, 0.9, 1.0]),
       hours=st.integers(0, 72), seed=st.integers(0, 99))
def test_every_ticket_is_routed_or_in_the_human_queue_exactly_once(records, threshold, hours, seed):
    """run_day: each ticket is either auto-routed (an SLA state) or held (a review), never both,
    never neither; the human queue's order does not depend on the input order."""
    import random
    from datetime import datetime, timedelta, timezone

    from desklib.records import parse_tickets
    from desklib.review import queue_key
    from desklib.support_desk import run_day
    rows = [(n, {"id": f"t{n}", **{k: v for k, v in r.items() if v is not None}}) for n, r in enumerate(records)]
    tickets = parse_tickets(rows)
    now = datetime(2026, 3, 2, tzinfo=timezone.utc) + timedelta(hours=hours)
    rules, policy = _desk_policies()
    day = run_day(tickets, now, rules, policy, threshold)
    auto = [s.id for s in day.states]
    held = [r.ticket_id for r in day.reviews]
    assert sorted(auto + held) == sorted(t.id for t in tickets)                 # each once, none lost
    assert len(set(held)) == len(held)
    assert set(held) == {o.id for o in day.outcomes if o.route == "human"}
    keys = [queue_key(r.suggested, r.created_at, r.ticket_id) for r in day.reviews]
    assert keys == sorted(keys)
    shuffled = tickets[:]
    random.Random(seed).shuffle(shuffled)
    again = run_day(shuffled, now, rules, policy, threshold)
    assert again.reviews == day.reviews and again.states == day.states
