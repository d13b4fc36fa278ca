"""The escalation run's fast path gives exactly what the plain functions give.

``escalate_all`` / ``escalate_tickets`` work through :func:`desklib.escalation._escalate_fast`
(``FastClock``, remembered business days, logs written when first read); ``escalate``,
``due_at`` and ``clock_time`` are the plain versions the notebooks teach. Here both run on
thousands of seeded random tickets -- every severity and status, pending and resolved,
replies before and after ``now``, weekends, holidays, and business hours in zones whose
clocks change (New York, Berlin, a tier open on Sunday nights) -- and must agree to the
last field: tier, step, carried shares, SLA status, every event and its text.
"""
from __future__ import annotations

import copy
import pickle
import random
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from desklib import support_desk
from desklib.escalation import escalate, escalate_all, escalate_tickets, open_states
from desklib.records import InputError, TICKET_STATUSES, Ticket
from desklib.routing import Calendar, Tier, load_policy
from desklib.sla import calendar_clock, clock_time, due_at

UTC = timezone.utc
H = timedelta(hours=1)
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")


def _zoned_policy():
    """The lesson's policy with every tier on business hours in a zone whose clocks change."""
    p = load_policy()
    cals = {
        "L1": Calendar("business_hours", ("Mon", "Tue", "Wed", "Thu", "Fri"), time(8), time(18),
                       "America/New_York", (date(2026, 3, 10), date(2026, 11, 3))),
        "L2": Calendar("business_hours", ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat"), time(7), time(22),
                       "Europe/Berlin", (date(2026, 3, 30),)),
        "L3": Calendar("business_hours", ("Sat", "Sun"), time(0), time(12), "Europe/Berlin", ()),
        "IC": Calendar("business_hours", ("Sun", "Mon"), time(1, 30), time(23), "America/New_York", ()),
    }
    tiers = {name: Tier(name, cals[name], t.description) for name, t in p.tiers.items()}
    return replace(p, tiers=tiers, warning_levels=(0.3, 0.5, 0.9))


POLICIES = {"lesson": load_policy(), "zoned": _zoned_policy()}
#: weeks around the spring and autumn clock changes of 2026 (US 8 Mar / 1 Nov, EU 29 Mar / 25 Oct)
WEEKS = [datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 26, tzinfo=UTC),
         datetime(2026, 10, 22, tzinfo=UTC), datetime(2026, 10, 29, tzinfo=UTC)]


def random_tickets(rng: random.Random, n: int, week: datetime) -> tuple[list[Ticket], dict[str, str]]:
    tickets, sev = [], {}
    for i in range(n):
        created = week + timedelta(seconds=rng.randrange(0, 7 * 24 * 3600), microseconds=rng.choice((0, 1, 999_999)))
        first = resolved = None
        if rng.random() < 0.6:
            first = created + timedelta(minutes=rng.randrange(-30, 3 * 24 * 60))   # a few before creation: clock skew
        if rng.random() < 0.35:
            resolved = created + timedelta(minutes=rng.randrange(-10, 5 * 24 * 60))
        status = rng.choice(TICKET_STATUSES)
        tid = f"r{i:05d}"
        tickets.append(Ticket(tid, created, status=status, first_response_at=first, resolved_at=resolved))
        sev[tid] = rng.choice(SEVERITIES)
    return tickets, sev


def plain(states, policy, now):
    return sorted((escalate(s, policy, now) for s in states), key=lambda s: s.id)


def assert_same(fast, slow):
    assert [s.id for s in fast] == [s.id for s in slow]
    for a, b in zip(fast, slow):
        assert a == b, a.id
        assert repr(a) == repr(b), a.id                 # also the same time zones and float digits


@pytest.mark.parametrize("name", sorted(POLICIES))
@pytest.mark.parametrize("week", WEEKS, ids=lambda w: f"{w:%m-%d}")
def test_fast_run_equals_plain_escalate_on_random_tickets(name, week):
    policy = POLICIES[name]
    rng = random.Random(f"{name}{week}")
    tickets, sev = random_tickets(rng, 400, week)
    states = open_states(tickets, sev, policy)
    for now in (week + timedelta(hours=rng.randrange(1, 7 * 24)), week + timedelta(days=9, seconds=1)):
        assert_same(escalate_all(states, policy, now), plain(states, policy, now))


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_replaying_a_fast_run_later_equals_plain_replay(name):
    policy = POLICIES[name]
    week = WEEKS[1]
    tickets, sev = random_tickets(random.Random(7), 300, week)
    early, late = week + 60 * H, week + 150 * H
    fast_early = escalate_tickets(tickets, sev, policy, early)
    plain_early = plain(open_states(tickets, sev, policy), policy, early)
    assert_same(escalate_all(fast_early, policy, late), plain(plain_early, policy, late))
    assert_same(escalate_all(fast_early, policy, late), escalate_tickets(tickets, sev, policy, late))


def test_the_fields_written_when_read_are_the_same_whatever_is_read_first():
    policy = POLICIES["lesson"]
    tickets, sev = random_tickets(random.Random(3), 200, WEEKS[0])
    now = WEEKS[0] + 100 * H
    reference = plain(open_states(tickets, sev, policy), policy, now)
    history_first = escalate_tickets(tickets, sev, policy, now)
    events_first = escalate_tickets(tickets, sev, policy, now)
    sla_first = escalate_tickets(tickets, sev, policy, now)
    for h, e, s, r in zip(history_first, events_first, sla_first, reference):
        assert h.history == r.history and h.events == r.events and h.sla == r.sla
        assert e.events == r.events and e.history == r.history and e.sla == r.sla
        assert s.sla == r.sla and s.events == r.events and s.history == r.history
        assert set(e.events) >= set(e.history)            # the open tier's log adds to the closed part


def test_fast_states_copy_and_pickle_as_their_logs():
    policy = POLICIES["lesson"]
    tickets, sev = random_tickets(random.Random(5), 60, WEEKS[0])
    now = WEEKS[0] + 80 * H
    reference = plain(open_states(tickets, sev, policy), policy, now)
    fast = escalate_tickets(tickets, sev, policy, now)
    assert pickle.loads(pickle.dumps(fast)) == reference
    assert copy.deepcopy(fast) == reference
    assert [copy.copy(s) for s in fast] == reference


def test_a_policy_with_a_zero_target_goes_through_escalate():
    """A policy built in code with a 0 target (the file refuses one): escalate() decides, eagerly."""
    policy = POLICIES["lesson"]
    rule = replace(policy.severities["SEV3"], first_response=timedelta(0))
    zero = replace(policy, severities={**policy.severities, "SEV3": rule})
    states = open_states([Ticket("z1", datetime(2026, 3, 2, 9, tzinfo=UTC), status="new")], {"z1": "SEV3"}, zero)
    now = datetime(2026, 3, 3, tzinfo=UTC)
    with pytest.raises(ZeroDivisionError):
        escalate(states[0], zero, now)
    with pytest.raises(ZeroDivisionError):
        escalate_all(states, zero, now)


def test_states_the_fast_path_was_not_written_for_go_through_escalate():
    """Timestamps in another zone, a carried share as a plain int: escalate() decides, as before."""
    policy = POLICIES["lesson"]
    berlin = ZoneInfo("Europe/Berlin")
    t = Ticket("z1", datetime(2026, 3, 2, 9, tzinfo=berlin), status="open")
    state = open_states([t], {"z1": "SEV3"}, policy)[0]
    now = datetime(2026, 3, 3, tzinfo=UTC)
    assert escalate_all([state], policy, now) == [escalate(state, policy, now)]
    odd = replace(state, carried={"first_response": 0, "resolution": 0})
    assert repr(escalate_all([odd], policy, now)) == repr([escalate(odd, policy, now)])


# --------------------------------------------------------------------------- the calendar's fast form

instants = st.integers(0, 400 * 24 * 60).map(lambda m: datetime(2026, 1, 1, tzinfo=UTC) + m * timedelta(minutes=1))
durations = st.integers(0, 60 * 60).map(lambda m: m * timedelta(minutes=1))


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(POLICIES)), tier=st.sampled_from(["L1", "L2", "L3", "IC"]),
       start=instants, duration=durations, end=instants)
def test_calendar_clock_answers_as_due_at_and_clock_time(name, tier, start, duration, end):
    cal = POLICIES[name].tiers[tier].calendar
    fast = calendar_clock(cal)
    assert fast.due_at(start, duration) == due_at(start, duration, cal)
    assert fast.clock_time(start, end) == clock_time(start, end, cal)


@pytest.mark.parametrize("start", [datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 3, 7, tzinfo=UTC),
                                   datetime(9999, 12, 30, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)])
def test_calendar_clock_at_the_ends_of_time(start):
    for policy in POLICIES.values():
        for tier in policy.tiers.values():
            fast = calendar_clock(tier.calendar)
            for d in (timedelta(0), H, 40 * H):
                assert fast.due_at(start, d) == due_at(start, d, tier.calendar)
            end = start + 50 * H if start.year == 1 else datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
            assert fast.clock_time(start, end) == clock_time(start, end, tier.calendar)


# --------------------------------------------------------------------------- the ends of the years

TEXTS = ["Outage: the whole site is down for everyone", "I cannot log in since this morning",
         "how do I export my invoices?"]


LATEST = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def desk_tickets(created: datetime) -> list[Ticket]:
    first = created + H if created < LATEST - H else None
    return [Ticket(f"e{i}", created, text, text, status=status, first_response_at=first if status != "new" else None)
            for i, (text, status) in enumerate((t, s) for t in TEXTS for s in ("new", "pending"))]


@pytest.mark.parametrize("name", sorted(POLICIES))
@pytest.mark.parametrize("created", [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC), LATEST])
@pytest.mark.parametrize("now", [datetime(2026, 3, 3, tzinfo=UTC), LATEST])
def test_run_day_with_a_ticket_from_year_1_or_9999(name, created, now):
    """A ticket built in code at the ends of datetime's years: the desk runs it as escalate() does, or
    (a business-hours clock asked to count across centuries) refuses it in one InputError line."""
    policy = POLICIES[name]
    tickets = desk_tickets(created)
    try:
        day = support_desk.run_day(tickets, now, policy=policy)
    except InputError as refused:
        message = str(refused)
        assert "\n" not in message and message.startswith("ticket 'e") and "at most 29280 days" in message
        assert name == "zoned" and abs(now.year - created.year) > 80     # only where a clock cannot be counted
        return
    auto = {o.id: o.severity for o in day.outcomes if o.route == "auto"}
    assert len(day.outcomes) == len(tickets) and [s.id for s in day.states] == sorted(auto)
    assert_same(list(day.states), plain(open_states([t for t in tickets if t.id in auto], auto, policy), policy, now))
    assert [len(s.events) for s in day.states]                           # the logs can be written out


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_run_day_at_the_edges_of_the_desks_years(name):
    policy = POLICIES[name]
    for created, now in [(datetime(1678, 1, 1, tzinfo=UTC), datetime(1678, 1, 9, tzinfo=UTC)),
                         (datetime(2261, 12, 20, tzinfo=UTC), datetime(2261, 12, 31, 23, 59, tzinfo=UTC))]:
        tickets = desk_tickets(created)
        day = support_desk.run_day(tickets, now, policy=policy)
        auto = {o.id: o.severity for o in day.outcomes if o.route == "auto"}
        assert len(day.outcomes) == len(tickets) and [s.id for s in day.states] == sorted(auto)
        assert_same(list(day.states), plain(open_states([t for t in tickets if t.id in auto], auto, policy),
                                            policy, now))


@pytest.mark.parametrize("created", [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 20, tzinfo=UTC)])
def test_escalate_all_at_the_ends_of_time_agrees_with_escalate(created):
    """Below the desk's run, escalate_all takes any year, and agrees with escalate (lesson policy)."""
    policy = POLICIES["lesson"]
    tickets = [Ticket(t.id, t.created_at, status=t.status, first_response_at=t.first_response_at)
               for t in desk_tickets(created)]
    states = open_states(tickets, {t.id: sev for t, sev in zip(tickets, SEVERITIES * 2)}, policy)
    for now in (created + 30 * H if created.year == 1 else LATEST, LATEST):
        assert_same(escalate_all(states, policy, now), plain(states, policy, now))
