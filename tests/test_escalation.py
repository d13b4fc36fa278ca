"""Escalation: the tier path, the rule worked by hand, the IC cap, idempotence, no lost tickets."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from desklib.data import DAY_END, LESSON_NOW, fixture
from desklib.escalation import (escalate, escalate_all, escalate_tickets, escalation_frame, next_tier,
                                open_state, open_states, state_events_frame)
from desklib.records import TICKET_STATUSES, Ticket, load_ticket_truth, load_tickets
from desklib.routing import load_policy
from desklib.sla import event_key

UTC = timezone.utc
M = timedelta(minutes=1)


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 3, day, hh, mm, tzinfo=UTC)


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def ticket(tid="x1", created=None, status="open", first=None, resolved=None) -> Ticket:
    return Ticket(tid, created or at(2, 10), status=status, first_response_at=first, resolved_at=resolved)


def escalations(state):
    return [(e.at, e.tier) for e in state.events if e.kind == "escalated"]


# --------------------------------------------------------------------------- the path

def test_tier_path_and_the_cap(policy):
    assert [next_tier(t, policy) for t in ("L1", "L2", "L3", "IC")] == ["L2", "L3", "IC", None]
    with pytest.raises(ValueError, match="not on the escalation path"):
        next_tier("L7", policy)


# --------------------------------------------------------------------------- the rule by hand

def test_unanswered_sev3_climbs_one_tier_per_miss(policy):
    # SEV3 created Mon 11:40 on L1 (business hours): first response due 15:40.
    start = open_state(ticket(created=at(2, 11, 40)), "SEV3", policy)
    assert (start.tier, start.step) == ("L1", 0)

    s = escalate(start, policy, at(2, 15, 39))
    assert (s.tier, escalations(s)) == ("L1", [])

    s = escalate(start, policy, at(2, 16))
    assert (s.tier, s.step, s.since) == ("L2", 1, at(2, 15, 40))
    assert escalations(s) == [(at(2, 15, 40), "L1")]
    # the missed metric gets the full 4h again, now on L2's 24x7 calendar ...
    assert s.sla["first_response"].due_at == at(2, 19, 40) and s.sla["first_response"].tier == "L2"
    # ... the resolution keeps what it had left: 4 of 16 business hours used, 12h left on 24x7;
    # by 16:00 it has run 20 more minutes
    assert s.sla["resolution"].due_at == at(3, 3, 40)
    assert s.sla["resolution"].elapsed == pytest.approx((4 * 60 + 20) / (16 * 60))

    s = escalate(start, policy, DAY_END)
    assert escalations(s) == [(at(2, 15, 40), "L1"), (at(2, 19, 40), "L2"), (at(2, 23, 40), "L3")]
    assert (s.tier, s.escalations) == ("IC", 3)


def test_ic_is_the_last_stop_but_misses_are_still_logged(policy):
    # SEV1 created 09:00 on L3, never answered: to IC at 09:15, IC's own 15 min run out at 09:30.
    s = escalate(open_state(ticket(created=at(2, 9)), "SEV1", policy), policy, at(9, 9))
    assert (s.tier, s.step) == ("IC", 1)
    assert escalations(s) == [(at(2, 9, 15), "L3")]
    breaches = [(e.at, e.tier, e.metric) for e in s.events if e.kind == "breached"]
    assert breaches == [(at(2, 9, 15), "L3", "first_response"),
                        (at(2, 9, 30), "IC", "first_response"),
                        (at(2, 13), "IC", "resolution")]     # 15 of 240 min used on L3; 225 left from 09:15


def test_a_late_resolution_escalates_and_a_met_reply_stays_met(policy):
    t = ticket(created=at(2, 10), first=at(2, 10, 30))        # SEV2: replied in time, never solved
    s = escalate(open_state(t, "SEV2", policy), policy, at(2, 20))
    assert escalations(s) == [(at(2, 18), "L2")]
    assert s.tier == "L3" and s.sla["first_response"].state == "fulfilled" and s.sla["first_response"].met
    assert s.sla["resolution"].tier == "L3" and s.sla["resolution"].due_at == at(3, 2)
    moved = next(e for e in s.events if e.kind == "escalated")
    assert moved.metric == "resolution" and moved.detail == "L2 -> L3: resolution target missed"


def test_log_order_at_the_escalation_instant(policy):
    s = escalate(open_state(ticket(created=at(2, 9)), "SEV1", policy), policy, at(2, 9, 20))
    at_breach = [(e.kind, e.tier, e.metric) for e in s.events if e.at == at(2, 9, 15)]
    assert at_breach == [("breached", "L3", "first_response"), ("escalated", "L3", "first_response"),
                         ("sla_applied", "IC", "first_response"), ("sla_applied", "IC", "resolution")]
    assert list(s.events) == sorted(s.events, key=event_key)


def test_solved_tickets_do_not_escalate(policy):
    on_time = ticket(created=at(2, 10), status="solved", first=at(2, 10, 5), resolved=at(2, 11))
    assert escalate(open_state(on_time, "SEV1", policy), policy, at(20, 0)).step == 0
    # solved late: it escalated while open, and nothing moves after the resolution
    late = ticket(created=at(2, 10), status="solved", first=at(2, 10, 30), resolved=at(2, 16))
    for now in (at(2, 16), at(2, 22), at(9, 0)):
        s = escalate(open_state(late, "SEV1", policy), policy, now)
        assert escalations(s) == [(at(2, 10, 15), "L3")] and s.tier == "IC"


def test_a_pending_ticket_does_not_escalate_while_it_waits_on_the_customer(policy):
    t = ticket(created=at(2, 10), status="pending", first=at(2, 10, 10))    # SEV1, paused after 10 min
    s = escalate(open_state(t, "SEV1", policy), policy, at(9, 10))
    assert s.step == 0 and s.sla["resolution"].paused


def test_a_ticket_from_the_future_is_left_alone(policy):
    s = escalate(open_state(ticket(created=at(2, 20)), "SEV1", policy), policy, at(2, 16))
    assert s.events == () and s.step == 0 and s.as_of == at(2, 16)


def test_time_does_not_run_backwards(policy):
    s = escalate(open_state(ticket(), "SEV2", policy), policy, at(2, 16))
    with pytest.raises(ValueError, match="cannot go back"):
        escalate(s, policy, at(2, 15))


# --------------------------------------------------------------------------- properties

instants = st.integers(0, 6 * 24 * 60).map(lambda m: at(1, 0) + m * M)   # Sun 1 .. Sat 7
gaps = st.one_of(st.none(), st.integers(0, 30 * 60).map(lambda m: m * M))


@st.composite
def tickets(draw, tid="x1"):
    created = draw(instants)
    first, solve = draw(gaps), draw(gaps)
    status = draw(st.sampled_from(TICKET_STATUSES))
    return Ticket(tid, created, status=status,
                  first_response_at=None if first is None else created + first,
                  resolved_at=None if solve is None else created + solve)


severities = st.sampled_from(["SEV1", "SEV2", "SEV3", "SEV4"])


@settings(max_examples=60, deadline=None)
@given(t=tickets(), sev=severities, now=instants)
def test_escalating_twice_at_the_same_now_changes_nothing(policy, t, sev, now):
    once = escalate(open_state(t, sev, policy), policy, now)
    assert escalate(once, policy, now) == once


@settings(max_examples=60, deadline=None)
@given(t=tickets(), sev=severities, a=instants, b=instants)
def test_escalating_in_two_steps_equals_escalating_once(policy, t, sev, a, b):
    early, late = min(a, b), max(a, b)
    start = open_state(t, sev, policy)
    assert escalate(escalate(start, policy, early), policy, late) == escalate(start, policy, late)


@settings(max_examples=60, deadline=None)
@given(t=tickets(), sev=severities, now=instants)
def test_every_escalation_follows_a_breach_one_step_at_a_time(policy, t, sev, now):
    s = escalate(open_state(t, sev, policy), policy, now)
    moves = [e for e in s.events if e.kind == "escalated"]
    path = policy.escalation_path
    first = path.index(open_state(t, sev, policy).tier)
    assert [e.tier for e in moves] == list(path[first:first + len(moves)])
    assert s.tier == path[min(first + len(moves), len(path) - 1)] and s.step == len(moves)
    breaches = {(e.at, e.tier, e.step) for e in s.events if e.kind == "breached"}
    assert all((e.at, e.tier, e.step) in breaches for e in moves)
    assert all(e.at <= now for e in s.events) and list(s.events) == sorted(s.events, key=event_key)
    if t.resolved_at is not None and t.resolved_at <= now:
        assert all(e.at < max(t.resolved_at, t.created_at) for e in moves)


@settings(max_examples=25, deadline=None)
@given(batch=st.lists(st.tuples(tickets(), severities), min_size=1, max_size=6), now=instants,
       seed=st.integers(0, 999))
def test_no_ticket_is_dropped_or_duplicated(policy, batch, now, seed):
    ts = [(Ticket(f"t{i}", t.created_at, status=t.status, first_response_at=t.first_response_at,
                  resolved_at=t.resolved_at), sev) for i, (t, sev) in enumerate(batch)]
    states = open_states([t for t, _ in ts], {t.id: sev for t, sev in ts}, policy)
    out = escalate_all(states, policy, now)
    assert [s.id for s in out] == sorted(t.id for t, _ in ts)
    shuffled = random.Random(seed).sample(states, len(states))
    assert escalate_all(shuffled, policy, now) == out
    with pytest.raises(ValueError, match="more than once"):
        escalate_all(states + states[:1], policy, now)


# --------------------------------------------------------------------------- the fixture day and the frames

def test_fixture_day_escalation_run(policy):
    tickets_ = load_tickets(fixture("tickets.jsonl"))
    truth = load_ticket_truth(fixture("tickets_truth.csv"))
    at_now = escalate_tickets(tickets_, truth, policy, LESSON_NOW)
    at_end = escalate_tickets(tickets_, truth, policy, DAY_END)
    assert [s.id for s in at_end] == sorted(t.id for t in tickets_)
    assert escalate_all(at_now, policy, DAY_END) == at_end               # replay from 16:00 to midnight
    assert all(b.step >= a.step for a, b in zip(at_now, at_end))

    frame = escalation_frame(at_end)
    assert len(frame) == len(tickets_) and list(frame.ticket_id) == sorted(t.id for t in tickets_)
    moved = frame[frame.escalations > 0]
    assert not moved.empty
    assert (moved.escalated >= moved.breached).all() and (moved.breached >= moved.created_at).all()
    assert (moved.warning_50 <= moved.breached).all()
    assert all(len(times) == n for times, n in zip(frame.escalated_times, frame.escalations))
    assert all(p.split(" -> ")[-1] == tier for p, tier in zip(frame.path, frame.tier))

    events = state_events_frame(at_end)
    assert len(events) == sum(len(s.events) for s in at_end)
    assert (events.kind == "escalated").sum() == frame.escalations.sum()
