"""The human queue is a queue: worst suggested severity first, each held ticket on a review clock.

The review clock is the SLA clock of desklib.sla (metric "review"), with the targets of
``[human_review]`` in fixtures/sla_policy.toml, and it escalates like any other clock.
Every ``now`` is passed in.
"""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

import pytest

from desklib import cli
from desklib.data import DAY_END, LESSON_NOW, fixture
from desklib.records import Ticket, load_tickets
from desklib.review import queue_key, review_clock, review_frame, suggested_severity
from desklib.routing import load_policy
from desklib.support_desk import run_day, triage_and_route, triage_json
from desklib.triage import Triage, load_rules, triage

POLICY = load_policy()
RULES = load_rules()
TICKETS = load_tickets(fixture("tickets.jsonl"))
UTC = timezone.utc
MIN = timedelta(minutes=1)
US = timedelta(microseconds=1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


OUTAGE = Ticket("x-outage", at(2, 20, 0), "Everything is down",
                "Since 19:58 every page returns 502 and nobody can work. Production is completely down.")
# older held tickets a FIFO queue would put first
HOWTO = Ticket("x-howto", at(2, 19, 0), "How do I export my invoices to CSV?", "")
BUTTON = Ticket("x-button", at(2, 19, 30), "The export button does nothing", "nothing happens when I click it")
EMPTY = Ticket("x-empty", at(2, 19, 45), "", "")


def held_day(now, tickets=(HOWTO, BUTTON, OUTAGE, EMPTY)):
    """The desk with the gate above the outage's confidence, so every ticket goes to a human."""
    confidence = triage(OUTAGE, RULES).confidence
    assert confidence < 1.0
    day = run_day(list(tickets), now, RULES, POLICY, threshold=min(1.0, confidence + 0.01))
    assert {o.route for o in day.outcomes} == {"human"}
    return day


# ----------------------------------------------------------------------------- the case

def test_a_plain_outage_held_by_the_gate_is_first_and_breaches_after_its_review_target():
    due = OUTAGE.created_at + POLICY.human_review.rules["SEV1"].target
    assert due == at(2, 20, 15)                                   # 15 minutes, around the clock
    before = held_day(due - US)
    first = before.reviews[0]
    assert [r.ticket_id for r in before.reviews][0] == "x-outage"
    assert (first.suggested, first.due_at, first.tier) == ("SEV1", due, "L3")
    assert first.state == "warning_75" and first.breached_at is None
    # older tickets wait behind it: a possible outage is reviewed first, never parked
    assert all(r.created_at < OUTAGE.created_at for r in before.reviews[1:])

    after = held_day(due)
    first = after.reviews[0]
    assert first.ticket_id == "x-outage" and first.state == "breached" and first.breached_at == due
    assert [(e.kind, e.at) for e in first.events if e.kind in ("breached", "escalated")] == \
        [("breached", due), ("escalated", due)]
    assert first.tier == "IC" and first.escalations == 1          # L3 -> IC at the breach instant
    # the outcome is still exactly one: held for a human
    assert [o.route for o in after.outcomes if o.id == "x-outage"] == ["human"]


def test_the_rest_of_the_queue_is_by_suggested_severity_then_age():
    day = held_day(at(2, 20, 10))
    assert [(r.ticket_id, r.suggested) for r in day.reviews] == [
        ("x-outage", "SEV1"),
        ("x-button", "SEV2"),         # no keyword matched: the policy's no_rule_matched, older first
        ("x-empty", "SEV2"),          # no text at all: the same
        ("x-howto", "SEV4"),          # the oldest ticket, last
    ]
    keys = [queue_key(r.suggested, r.created_at, r.ticket_id) for r in day.reviews]
    assert keys == sorted(keys)


def test_the_queue_is_the_same_for_any_input_order():
    tickets = TICKETS[:]
    expected = [r.ticket_id for r in run_day(tickets, DAY_END).reviews]
    for seed in range(3):
        random.Random(seed).shuffle(tickets)
        assert [r.ticket_id for r in run_day(tickets, DAY_END).reviews] == expected


# ----------------------------------------------------------------------------- suggested severity

def test_suggested_severity_is_the_worst_with_a_positive_score():
    t = Triage("a", "SEV4", 0.6, ("howto: 'how do i'", "outage: 'down'"),
               {"SEV1": 1.0, "SEV2": 0.0, "SEV3": 0.0, "SEV4": 1.5})
    assert suggested_severity(t, "SEV2") == "SEV1"
    assert suggested_severity(Triage("b", "SEV3", 0.2, (), dict.fromkeys(("SEV1", "SEV2", "SEV3", "SEV4"), 0.0)),
                              "SEV2") == "SEV2"
    assert suggested_severity(Triage("c", "SEV3", 0.7, ("model",), {}), "SEV1") == "SEV3"   # no scores: its own


def test_fixture_day_mixed_ticket_suggests_sev1():
    # t14: "how do I switch plans? also dashboard down" -- held at 0.58, more SEV4 words than SEV1
    outcome = next(o for o in triage_and_route(TICKETS) if o.id == "t14")
    assert outcome.route == "human" and outcome.suggested == "SEV1"


# ----------------------------------------------------------------------------- the review clock

def test_review_ends_at_the_first_response_and_counts_business_hours_for_a_possible_sev3():
    friday = Ticket("f", at(6, 17, 30), "wrong answer", "", first_response_at=at(9, 9, 0))
    early = review_clock(friday, "SEV3", POLICY, at(9, 8, 0))     # Monday 08:00, before the reply
    assert early.due_at == at(9, 9, 30)                           # 30 min Friday + 1.5 h Monday on L1
    assert early.state == "ok" and early.reviewed_at is None
    done = review_clock(friday, "SEV3", POLICY, at(9, 12, 0))
    assert done.state == "fulfilled" and done.reviewed_at == at(9, 9, 0) and done.breached_at is None
    assert [e.kind for e in done.events] == ["sla_applied", "warning_50", "fulfilled"]


def test_a_missed_review_escalates_up_the_path_with_the_full_target_again():
    help_ = Ticket("h", at(2, 11, 40), "help", "")
    r = review_clock(help_, "SEV2", POLICY, at(2, 14, 0))
    moves = [(e.at, e.detail) for e in r.events if e.kind == "escalated"]
    assert moves == [(at(2, 12, 10), "L2 -> L3: review target missed"),
                     (at(2, 12, 40), "L3 -> IC: review target missed")]
    assert (r.tier, r.escalations, r.state, r.due_at, r.breached_at) == ("IC", 2, "breached", at(2, 12, 10),
                                                                         at(2, 12, 10))
    assert r.status.due_at == at(2, 13, 10)                       # 30 min again on IC, still missed
    # pure and repeatable: the same now gives the same review, a later one extends the log
    assert review_clock(help_, "SEV2", POLICY, at(2, 14, 0)) == r
    assert review_clock(help_, "SEV2", POLICY, at(2, 12, 20)).events == \
        tuple(e for e in r.events if e.at <= at(2, 12, 20) and e.tier in ("L2", "L3"))


def test_a_late_reply_is_a_breach_then_a_fulfilment_on_the_tier_it_reached():
    t = Ticket("late", at(2, 10, 0), "site down", "", first_response_at=at(2, 10, 20))
    r = review_clock(t, "SEV1", POLICY, at(2, 11, 0))
    assert r.breached_at == at(2, 10, 15) and r.tier == "IC" and r.state == "breached"
    assert r.status.state == "fulfilled" and r.reviewed_at == at(2, 10, 20)     # in time on IC


def test_a_ticket_created_after_now_waits_with_its_clock_not_started():
    r = review_clock(OUTAGE, "SEV1", POLICY, at(2, 19, 0))
    assert r.state == "ok" and r.events == () and r.escalations == 0


def test_review_frame_lists_the_queue_in_order():
    day = run_day(TICKETS, LESSON_NOW)
    frame = review_frame(day.reviews)
    assert list(frame["ticket_id"]) == [r.ticket_id for r in day.reviews]
    assert list(frame["rank"]) == list(range(1, len(day.reviews) + 1))
    assert str(frame["review_due"].dt.tz) == "UTC"


def test_a_policy_without_a_review_target_for_a_severity_is_a_clear_error():
    with pytest.raises(ValueError, match="SEV5"):
        review_clock(OUTAGE, "SEV5", POLICY, at(2, 21))


# ----------------------------------------------------------------------------- the fixture day, `desk run`

def test_fixture_day_human_queue_at_day_end():
    day = run_day(TICKETS, DAY_END)
    assert [r.ticket_id for r in day.reviews] == ["t14", "t10", "t15", "t42", "t45", "t46", "t41", "t05", "t44"]
    assert {r.ticket_id for r in day.reviews} == {o.id for o in day.human_queue}
    late = {r.ticket_id: r.breached_at for r in day.reviews if r.breached_at}
    assert late == {"t42": at(2, 12, 10), "t46": at(2, 17, 15)}           # never read: help, slow replies


def test_desk_run_json_keeps_the_triage_keys_and_adds_the_human_queue(capsys):
    assert cli.main(["run", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc) == ["threshold", "tickets", "summary", "now", "human_queue", "escalations", "storm",
                         "input", "notes"]
    day = run_day(TICKETS, DAY_END)
    assert {k: doc[k] for k in ("threshold", "tickets", "summary")} == triage_json(day.outcomes, day.threshold)
    assert doc["now"] == "2026-03-03T00:00:00Z"
    assert [q["id"] for q in doc["human_queue"]] == [r.ticket_id for r in day.reviews]
    first = doc["human_queue"][0]
    assert list(first) == ["rank", "id", "suggested_severity", "reason", "created_at", "review_due", "state",
                           "tier", "escalations", "breached_at", "reviewed_at"]
    assert (first["rank"], first["id"], first["suggested_severity"], first["review_due"], first["state"]) == \
        (1, "t14", "SEV1", "2026-03-02T11:05:00Z", "fulfilled")
    assert {q["id"]: q["state"] for q in doc["human_queue"] if q["breached_at"]} == {"t42": "breached",
                                                                                     "t46": "breached"}
    assert [e["id"] for e in doc["escalations"]] == [s.id for s in day.escalated]
    assert list(doc["storm"]) == ["window_s", "hops", "alerts", "incidents", "noise_reduction", "input", "notes"]
    assert doc["input"]["read"] == 48 and doc["storm"]["input"]["read"] == 40


def test_desk_run_text_shows_the_queue_in_order_with_clocks(capsys):
    assert cli.main(["run"]) == 0
    out = capsys.readouterr().out
    assert "Human queue (9: 2 waiting for a review, 2 reviews late)" in out
    rows = [line.split() for line in out.splitlines() if line[:4].strip().isdigit() and " SEV" in line]
    assert [row[1] for row in rows] == ["t14", "t10", "t15", "t42", "t45", "t46", "t41", "t05", "t44"]
    assert rows[0][2:5] == ["SEV1", "2026-03-02T11:05:00Z", "fulfilled"]
    assert rows[3][2:6] == ["SEV2", "2026-03-02T12:10:00Z", "breached", "IC"]


def test_the_readme_sample_of_desk_run_json_is_what_it_prints(capsys):
    from test_readme import _agrees, _samples
    sample = next(s for s in _samples() if "human_queue" in s)
    assert cli.main(["run", "--json"]) == 0
    _agrees(sample, json.loads(capsys.readouterr().out), "run")


def test_a_policy_built_without_human_review_cannot_run_the_desk():
    from dataclasses import replace
    with pytest.raises(ValueError, match=r"no \[human_review\] table"):
        run_day([OUTAGE], at(2, 21), RULES, replace(POLICY, human_review=None), threshold=1.0)
