"""The SLA-urgency queue and the simulated day: ordering, ties, hand-worked schedules, determinism."""
from __future__ import annotations

import random
import statistics
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from desklib.data import LESSON_NOW, fixture
from desklib.queue import (DISCIPLINES, SlaQueue, compare_policies, handling_time, simulate, urgency_frame,
                           urgency_queue)
from desklib.records import Ticket, load_ticket_truth, load_tickets
from desklib.routing import load_policy

UTC = timezone.utc
M = timedelta(minutes=1)


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 3, day, hh, mm, tzinfo=UTC)


@pytest.fixture(scope="module")
def policy():
    return load_policy()


@pytest.fixture(scope="module")
def day():
    return load_tickets(fixture("tickets.jsonl")), load_ticket_truth(fixture("tickets_truth.csv"))


def ticket(tid, created, status="open", first=None, resolved=None) -> Ticket:
    return Ticket(tid, created, status=status, first_response_at=first, resolved_at=resolved)


# --------------------------------------------------------------------------- SlaQueue

def test_pops_earliest_due_first_and_peek_leaves_it():
    q = SlaQueue()
    for item, due in [("c", at(2, 12)), ("a", at(2, 9)), ("b", at(2, 10))]:
        q.push(item, due)
    assert len(q) == 3 and q.peek() == "a" and len(q) == 3
    assert q.next_due() == at(2, 9) and q.time_left(at(2, 8, 30)) == 30 * M
    assert list(q) == ["a", "b", "c"] and len(q) == 3           # iterating does not consume
    assert [q.pop() for _ in range(3)] == ["a", "b", "c"]
    with pytest.raises(IndexError):
        q.pop()
    with pytest.raises(IndexError):
        q.peek()


def test_ties_come_out_in_insertion_order_without_comparing_items():
    q = SlaQueue()
    for n in range(5):
        q.push({"n": n}, at(2, 9))                           # dicts cannot be ordered
    assert [q.pop()["n"] for _ in range(5)] == [0, 1, 2, 3, 4]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 5), max_size=30))
def test_queue_order_is_a_stable_sort_by_due(offsets):
    q = SlaQueue()
    for i, minutes in enumerate(offsets):
        q.push(i, at(2, 9) + minutes * M)
    popped = [q.pop() for _ in range(len(q))]
    assert popped == sorted(range(len(offsets)), key=lambda i: offsets[i])   # sorted() is stable


def test_urgency_queue_orders_the_open_tickets_by_time_left(policy):
    tickets = [
        ticket("a", at(2, 9)),                                             # SEV4, due 17:00 (8 business h)
        ticket("b", at(2, 15, 50)),                                        # SEV1, due 16:05
        ticket("c", at(2, 15), first=at(2, 15, 10)),                       # SEV2, answered: resolution due 23:00
        ticket("d", at(2, 9), status="pending", first=at(2, 9, 30)),       # waiting on the customer
        ticket("e", at(2, 9), status="solved", first=at(2, 9, 5), resolved=at(2, 9, 30)),
        ticket("f", at(2, 16, 30)),                                        # not created yet
    ]
    sev = {"a": "SEV4", "b": "SEV1", "c": "SEV2", "d": "SEV3", "e": "SEV3", "f": "SEV1"}
    waiting = list(urgency_queue(tickets, sev, policy, at(2, 16)))
    assert [(w.ticket_id, w.metric, w.due_at) for w in waiting] == [
        ("b", "first_response", at(2, 16, 5)), ("a", "first_response", at(2, 17)), ("c", "resolution", at(2, 23))]
    assert (waiting[0].waited, waiting[0].time_left) == (10 * M, 5 * M)
    frame = urgency_frame(reversed(tickets), sev, policy, at(2, 16))
    assert list(frame.ticket_id) == ["b", "a", "c"] and list(frame["rank"]) == [1, 2, 3]


def test_equal_due_times_queue_oldest_then_by_id_in_any_input_order(policy):
    tickets = [ticket("z", at(2, 10)), ticket("y", at(2, 10))]
    sev = {"z": "SEV1", "y": "SEV1"}
    for order in (tickets, tickets[::-1]):
        assert [w.ticket_id for w in urgency_queue(order, sev, policy, at(2, 11))] == ["y", "z"]


# --------------------------------------------------------------------------- handling times

def test_handling_time_is_seeded_per_ticket_and_follows_the_policy_median(policy):
    assert handling_time("t01", "SEV1", policy, 0) == handling_time("t01", "SEV1", policy, 0)
    assert handling_time("t01", "SEV1", policy, 0) != handling_time("t01", "SEV1", policy, 1)
    draws = [handling_time(f"x{i}", "SEV4", policy).total_seconds() / 60 for i in range(2001)]
    assert statistics.median(draws) == pytest.approx(policy.handling_median_minutes["SEV4"], rel=0.05)
    with pytest.raises(ValueError, match="no entry for 'SEV9'"):
        handling_time("t01", "SEV9", policy)


# --------------------------------------------------------------------------- the simulation by hand

@pytest.fixture(scope="module")
def fixed(policy):
    """Handling times without spread: an outage takes 220 min, everything else 30."""
    return replace(policy, handling_sigma=0.0,
                   handling_median_minutes={"SEV1": 220, "SEV2": 30, "SEV3": 30, "SEV4": 30})


def met_by_ticket(result):
    return {h.ticket_id: h.met for h in result.handled}


def test_edf_beats_severity_priority_when_an_old_ticket_is_about_to_run_out(fixed):
    # The one agent is busy with D until 11:39. A (SEV3, due 12:00) and C (SEV2, due 12:35) wait.
    tickets = [ticket("D", at(2, 7, 59)), ticket("A", at(2, 8)), ticket("C", at(2, 11, 35))]
    sev = {"D": "SEV1", "A": "SEV3", "C": "SEV2"}
    by_severity = simulate(tickets, sev, fixed, agents=1, policy_name="severity")
    assert met_by_ticket(by_severity) == {"D": True, "A": False, "C": True}   # C at 11:39, A at 12:09
    assert by_severity.max_lateness == 9 * M
    edf = simulate(tickets, sev, fixed, agents=1, policy_name="edf")
    assert met_by_ticket(edf) == {"D": True, "A": True, "C": True}            # A at 11:39, C at 12:09
    assert {h.ticket_id: h.responded_at for h in edf.handled} == {"D": at(2, 7, 59), "A": at(2, 11, 39),
                                                                   "C": at(2, 12, 9)}


def test_edf_beats_fifo_when_an_outage_arrives_behind_a_question(fixed):
    # Busy until 11:39; B (SEV4, due 16:30) waits since 08:30, E (SEV1, due 11:45) since 11:30.
    tickets = [ticket("D", at(2, 7, 59)), ticket("B", at(2, 8, 30)), ticket("E", at(2, 11, 30))]
    sev = {"D": "SEV1", "B": "SEV4", "E": "SEV1"}
    fifo = simulate(tickets, sev, fixed, agents=1, policy_name="fifo")
    assert met_by_ticket(fifo) == {"D": True, "B": True, "E": False}          # E only at 12:09
    assert (fifo.met, fifo.missed, fifo.max_lateness) == (2, 1, 24 * M)
    assert fifo.mean_lateness == 8 * M
    edf = simulate(tickets, sev, fixed, agents=1, policy_name="edf")
    assert met_by_ticket(edf) == {"D": True, "B": True, "E": True}            # E at 11:39, B at 15:19
    assert {h.ticket_id: h.responded_at for h in edf.handled}["B"] == at(2, 15, 19)
    assert simulate(tickets, sev, fixed, agents=2, policy_name="fifo").missed == 0


def test_simulation_rejects_nonsense(policy, day):
    tickets, truth = day
    with pytest.raises(ValueError, match="unknown policy_name"):
        simulate(tickets, truth, policy, policy_name="random")
    with pytest.raises(ValueError, match="at least one agent"):
        simulate(tickets, truth, policy, agents=0)
    with pytest.raises(ValueError, match="more than once"):
        simulate(tickets + tickets[:1], truth, policy)


# --------------------------------------------------------------------------- the simulated fixture day

@pytest.mark.parametrize("name", DISCIPLINES)
@pytest.mark.parametrize("agents", [1, 2])
def test_schedule_invariants_on_the_fixture_day(policy, day, name, agents):
    tickets, truth = day
    result = simulate(tickets, truth, policy, agents=agents, policy_name=name, seed=3)
    handled = result.handled
    assert sorted(h.ticket_id for h in handled) == sorted(t.id for t in tickets)   # each exactly once
    assert result.met + result.missed == len(tickets)
    for h in handled:
        assert h.created_at <= h.responded_at < h.finished_at
        busy = sum(g.responded_at <= h.responded_at < g.finished_at for g in handled)
        assert busy <= agents                                                   # never more than K at work
        if h.responded_at > h.created_at:                                       # it waited: an agent just freed
            assert any(g.finished_at == h.responded_at for g in handled)
    rank = {s: i for i, s in enumerate(policy.severities)}
    key = {"fifo": lambda h: (h.created_at, h.ticket_id),
           "severity": lambda h: (rank[h.severity], h.created_at, h.ticket_id),
           "edf": lambda h: (h.due_at, h.created_at, h.ticket_id)}[name]
    for h in handled:   # whoever was picked beat everyone still waiting at that instant
        waiting = [w for w in handled if w.created_at <= h.responded_at < w.responded_at]
        assert all(key(h) < key(w) for w in waiting)


def test_simulation_is_deterministic_and_ignores_input_order(policy, day):
    tickets, truth = day
    first = simulate(tickets, truth, policy, agents=2, policy_name="edf", seed=5)
    assert simulate(tickets, truth, policy, agents=2, policy_name="edf", seed=5) == first
    for seed in range(3):
        shuffled = random.Random(seed).sample(tickets, len(tickets))
        assert simulate(shuffled, dict(reversed(list(truth.items()))), policy, 2, "edf", 5) == first
    assert simulate(tickets, truth, policy, agents=2, policy_name="edf", seed=6) != first


def test_compare_policies_backs_the_claims_in_the_docs(policy, day):
    tickets, truth = day
    two = compare_policies(tickets, truth, policy, agents=2, seed=0).set_index("policy")
    assert list(two.index) == list(DISCIPLINES)
    assert (two.met + two.missed == len(tickets)).all()
    assert two.loc["edf", "met"] > two.loc["fifo", "met"]
    assert two.loc["edf", "met"] == two.loc["severity", "met"]
    one = compare_policies(tickets, truth, policy, agents=1, seed=0).set_index("policy")
    worst = one["max_lateness_min"]
    assert worst["edf"] < min(worst["fifo"], worst["severity"])


def test_urgency_frame_on_the_fixture_day(policy, day):
    tickets, truth = day
    frame = urgency_frame(tickets, truth, policy, LESSON_NOW)
    assert frame.due_at.is_monotonic_increasing
    assert (frame.time_left == frame.due_at - LESSON_NOW).all()
    assert (frame.waited >= timedelta(0)).all()
    paused = {t.id for t in tickets if t.status == "pending" and t.first_response_at <= LESSON_NOW}
    assert paused and not set(frame.ticket_id) & paused
