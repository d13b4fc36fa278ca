"""The desk path end to end, and the `desk triage` / `desk run` contract."""
import json
import random

import pytest

from desklib import cli
from desklib.data import DAY_END, fixture
from desklib.records import load_tickets, save_tickets
from desklib.support_desk import run_day, triage_and_route, triage_json

TICKETS = load_tickets(fixture("tickets.jsonl"))


def _triage_json(capsys, path, *extra):
    assert cli.main(["triage", str(path), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_triage_json_contract(capsys):
    doc = _triage_json(capsys, fixture("tickets.jsonl"))
    assert list(doc) == ["threshold", "tickets", "summary", "input", "notes"]
    assert doc["input"] == {"read": 48, "used": 48, "set_aside": 0, "merged": 0} and doc["notes"] == []
    assert [t["id"] for t in doc["tickets"]] == [t.id for t in TICKETS]          # input order
    for t in doc["tickets"]:
        assert list(t) == ["id", "severity", "confidence", "matched", "route", "tier", "reason"]
        assert t["severity"] in ("SEV1", "SEV2", "SEV3", "SEV4")
        assert 0.0 <= t["confidence"] <= 1.0 and isinstance(t["matched"], list)
        assert t["route"] in ("auto", "human")
        assert (t["tier"] is None) == (t["route"] == "human")
        assert t["tier"] in (None, "L1", "L2", "L3")
        assert t["reason"]
    s = doc["summary"]
    assert s == {"total": len(TICKETS), "auto": s["auto"], "human": s["human"]}
    assert s["auto"] + s["human"] == s["total"]
    assert s["human"] == sum(t["route"] == "human" for t in doc["tickets"])


def test_threshold_flag_moves_the_gate(capsys):
    low = _triage_json(capsys, fixture("tickets.jsonl"), "--threshold", "0")
    high = _triage_json(capsys, fixture("tickets.jsonl"), "--threshold", "1")
    assert low["threshold"] == 0.0 and high["threshold"] == 1.0
    assert high["summary"]["human"] == len(TICKETS)
    assert low["summary"]["human"] < high["summary"]["human"]
    # no evidence is never automatic, even at threshold 0
    assert all(t["route"] == "human" for t in low["tickets"] if not t["matched"])


def test_same_result_for_csv_jsonl_and_any_order(capsys, tmp_path):
    reference = {t["id"]: t for t in _triage_json(capsys, fixture("tickets.jsonl"))["tickets"]}
    shuffled = TICKETS[:]
    random.Random(7).shuffle(shuffled)
    save_tickets(shuffled, tmp_path / "day.csv")
    doc = _triage_json(capsys, tmp_path / "day.csv")
    assert [t["id"] for t in doc["tickets"]] == [t.id for t in shuffled]
    assert {t["id"]: t for t in doc["tickets"]} == reference


def test_every_ticket_ends_in_exactly_one_outcome():
    day = run_day(TICKETS, DAY_END)
    ids = [o.id for o in day.outcomes]
    assert sorted(ids) == sorted(t.id for t in TICKETS)
    auto = {o.id for o in day.outcomes if o.route == "auto"}
    assert {s.id for s in day.states} == auto                       # every auto ticket has an SLA state
    assert len(day.states) == len(auto)
    assert {o.id for o in day.human_queue}.isdisjoint(auto)


def test_triage_json_summary_matches_outcomes():
    outcomes = triage_and_route(TICKETS, threshold=0.5)
    doc = triage_json(outcomes, 0.5)
    assert doc["summary"]["total"] == len(outcomes)


def test_desk_run_report(capsys):
    assert cli.main(["run"]) == 0
    out = capsys.readouterr().out
    assert "per tier:" in out and "Human queue" in out and "Escalations" in out
    day = run_day(TICKETS, DAY_END)
    for o in day.human_queue:
        assert f"  {o.id} " in out
    for s in day.escalated:
        assert f"  {s.id} " in out


def test_bad_tickets_file_exits_2(capsys, tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"id": "t1", "created_at": "2026-03-02T09:00:00", "subject": "x"}\n')
    assert cli.main(["triage", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == ("desk: t.jsonl:1: ticket 't1': field 'created_at': no UTC offset in '2026-03-02T09:00:00' "
                   "(--tz ZONE, or tz= in load_tickets, reads such times in a zone, e.g. --tz Europe/Berlin)\n")


@pytest.mark.parametrize("bad", ["-0.1", "1.5", "abc", "nan"])
def test_bad_threshold_is_a_usage_error(capsys, bad):
    with pytest.raises(SystemExit) as info:
        cli.main(["triage", str(fixture("tickets.jsonl")), "--threshold", bad])
    assert info.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1
