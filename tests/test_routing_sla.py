"""Routing and the SLA clock: the policy file, due times worked out by hand, pause, states, events."""
from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import desklib.sla as sla_module
from desklib.data import LESSON_NOW, fixture
from desklib.records import Ticket, load_ticket_truth, load_tickets
from desklib.routing import Calendar, load_policy, route, severity_map, targets
from desklib.sla import (EVENT_KINDS, STATES, clock_start, clock_time, due_at, event_key, sla_events,
                         sla_frame, sla_state)

ROOT = Path(__file__).resolve().parents[1]
UTC = timezone.utc
H, M = timedelta(hours=1), timedelta(minutes=1)


def at(day: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    """A UTC instant in March 2026. Mon 2 .. Sun 8, Mon 9 .. Sun 15."""
    return datetime(2026, 3, day, hh, mm, ss, tzinfo=UTC)


@pytest.fixture(scope="module")
def policy():
    return load_policy()


@pytest.fixture(scope="module")
def l1(policy):
    return policy.tiers["L1"].calendar


@pytest.fixture(scope="module")
def always(policy):
    return policy.tiers["L2"].calendar


def ticket(tid="x1", created=None, status="open", first=None, resolved=None) -> Ticket:
    return Ticket(tid, created or at(2, 10), status=status, first_response_at=first, resolved_at=resolved)


# --------------------------------------------------------------------------- the policy file

def test_policy_holds_the_lessons_sla_facts(policy):
    expected = {"SEV1": ("L3", 15 * M, 4 * H), "SEV2": ("L2", 1 * H, 8 * H),
                "SEV3": ("L1", 4 * H, 16 * H), "SEV4": ("L1", 8 * H, 40 * H)}
    for sev, (tier, first, resolution) in expected.items():
        assert route(sev, policy) == tier
        t = targets(sev, tier, policy)
        assert (t.first_response, t.resolution) == (first, resolution)
    l1 = policy.tiers["L1"].calendar
    assert (l1.kind, l1.days, l1.start, l1.end, l1.timezone) == (
        "business_hours", ("Mon", "Tue", "Wed", "Thu", "Fri"), time(8), time(18), "UTC")
    assert all(policy.tiers[t].calendar.is_24x7 for t in ("L2", "L3", "IC"))
    assert policy.escalation_path == ("L1", "L2", "L3", "IC")
    assert policy.warning_levels == (0.5, 0.75)


def test_default_policy_is_the_fixture_file(policy):
    assert load_policy(fixture("sla_policy.toml")) == policy
    assert load_policy(ROOT / "fixtures" / "sla_policy.toml") == policy


def test_the_calendar_belongs_to_the_tier_the_durations_to_the_severity(policy):
    on_l1, on_l2 = targets("SEV3", "L1", policy), targets("SEV3", "L2", policy)
    assert on_l1.first_response == on_l2.first_response == 4 * H
    assert on_l1.calendar.kind == "business_hours" and on_l2.calendar.is_24x7


def test_unknown_names_are_explained(policy):
    with pytest.raises(ValueError, match=r"unknown severity 'SEV5'.*SEV1, SEV2, SEV3, SEV4"):
        route("SEV5", policy)
    with pytest.raises(ValueError, match=r"unknown tier 'L9'"):
        targets("SEV1", "L9", policy)
    with pytest.raises(ValueError, match="unknown SLA metric"):
        targets("SEV1", "L3", policy).for_metric("happiness")


@pytest.mark.parametrize("edit, message", [
    (('first_response = "15min"', 'first_response = "0min"'), r"\[severity\.SEV1\]: first_response: a target must be positive"),
    (('first_response = "15min"', 'first_response = "soon"'), r"\[severity\.SEV1\]: first_response: cannot read duration"),
    (('tier = "L3"', 'tier = "L4"'), r"\[severity\.SEV1\]: tier: unknown tier 'L4'"),
    (('levels = [0.5, 0.75]', 'levels = [0.75, 0.5]'), r"\[warnings\]: levels"),
    (('path = ["L1", "L2", "L3", "IC"]', 'path = ["L2", "L3", "IC"]'), r"\[escalation\]: path: tiers \['L1'\]"),
    (('end = "18:00"', 'end = "08:30"'), r"\[tiers\.L1\]: business hours 08:00-08:30"),
    (('days = ["Mon", "Tue", "Wed", "Thu", "Fri"]', 'days = ["Monday"]'), r"\[tiers\.L1\]: days"),
    (('timezone = "UTC"', 'timezone = "Mars/Olympus"'), r"\[tiers\.L1\]: timezone: unknown time zone"),
])
def test_a_bad_policy_file_names_the_key(tmp_path, edit, message):
    text = (ROOT / "fixtures" / "sla_policy.toml").read_text()
    old, new = edit
    assert old in text
    path = tmp_path / "sla_policy.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ValueError, match=r"^sla_policy\.toml: " + message):
        load_policy(path)


def test_severity_map_accepts_the_shapes_the_lesson_produces():
    class Result:
        def __init__(self, ticket_id, severity):
            self.ticket_id, self.severity = ticket_id, severity
    want = {"t1": "SEV1", "t2": "SEV3"}
    assert severity_map(want) == want
    assert severity_map({"t1": Result("t1", "SEV1"), "t2": Result("t2", "SEV3")}) == want
    assert severity_map([Result("t1", "SEV1"), Result("t2", "SEV3")]) == want
    assert severity_map(pd.DataFrame({"id": ["t1", "t2"], "severity": ["SEV1", "SEV3"]})) == want
    assert severity_map(pd.DataFrame({"severity": ["SEV1", "SEV3"]}, index=["t1", "t2"])) == want
    with pytest.raises(ValueError, match="expected a severity"):
        severity_map({"t1": 3})


# --------------------------------------------------------------------------- due times by hand

@pytest.mark.parametrize("start, duration, due", [
    (at(6, 17, 30), 4 * H, at(9, 11, 30)),       # Fri 17:30: 30 min Friday, 3h30 Monday
    (at(7, 10), 4 * H, at(9, 12)),               # Saturday: clock starts Monday 08:00
    (at(8, 23, 59), 1 * H, at(9, 9)),            # Sunday night
    (at(2, 7), 1 * H, at(2, 9)),                 # before opening
    (at(2, 14), 4 * H, at(2, 18)),               # runs out exactly at closing: due at closing
    (at(2, 8), 10 * H, at(2, 18)),               # one whole business day
    (at(2, 14), 4 * H + 30 * M, at(3, 8, 30)),   # 30 min spill into Tuesday
    (at(2, 17, 45), 30 * M, at(3, 8, 15)),       # sub-hour target over the night
    (at(6, 16), 16 * H, at(10, 12)),             # Fri 2h + Mon 10h + Tue 4h
    (at(2, 8), 40 * H, at(5, 18)),               # SEV4 resolution: Mon-Thu
    (at(2, 9, 15), 7 * H + 30 * M, at(2, 16, 45)),
    (at(2, 18), 15 * M, at(3, 8, 15)),           # created at closing time
    (at(2, 12, 0, 30), 2 * H, at(2, 14, 0, 30)), # seconds survive
    (at(7, 10), timedelta(0), at(9, 8)),         # a zero target is due when the clock starts
])
def test_business_hours_due_times_worked_by_hand(l1, start, duration, due):
    assert due_at(start, duration, l1) == due
    assert clock_time(start, due, l1) == duration


def test_clock_starts_at_the_next_opening(l1, always):
    assert clock_start(at(7, 10), l1) == at(9, 8)         # Saturday -> Monday 08:00
    assert clock_start(at(6, 18, 30), l1) == at(9, 8)     # Friday evening -> Monday 08:00
    assert clock_start(at(3, 6), l1) == at(3, 8)
    assert clock_start(at(3, 11, 17), l1) == at(3, 11, 17)
    assert clock_start(at(7, 10), always) == at(7, 10)


@pytest.mark.parametrize("start, duration, due", [
    (at(6, 23, 50), 15 * M, at(7, 0, 5)),   # over midnight into Saturday: 24x7 ignores weekends
    (at(2, 9), 8 * H, at(2, 17)),
    (at(7, 10), 4 * H, at(7, 14)),
])
def test_24x7_due_is_start_plus_duration(always, start, duration, due):
    assert due_at(start, duration, always) == due


def test_clock_time_counts_open_hours_only(l1, always):
    assert clock_time(at(6, 17), at(9, 9), l1) == 2 * H        # Fri 17-18, Mon 08-09
    assert clock_time(at(7, 0), at(8, 23), l1) == timedelta(0)  # the weekend
    assert clock_time(at(2, 0), at(3, 0), l1) == 10 * H
    assert clock_time(at(3, 0), at(2, 0), l1) == timedelta(0)   # backwards is nothing
    assert clock_time(at(6, 17), at(9, 9), always) == 64 * H


def test_holidays_and_other_time_zones(l1):
    holiday = replace(l1, holidays=(date(2026, 3, 9),))                     # Monday off
    assert due_at(at(6, 17, 30), 4 * H, holiday) == at(10, 11, 30)
    assert clock_time(at(6, 17), at(10, 9), holiday) == 2 * H
    new_york = Calendar("business_hours", ("Mon", "Tue", "Wed", "Thu", "Fri"), time(9), time(17),
                        "America/New_York")                                 # EST = UTC-5 that week
    assert clock_start(at(2, 13), new_york) == at(2, 14)                    # 08:00 EST -> opens 09:00 EST
    assert due_at(at(2, 13), 1 * H, new_york) == at(2, 15)
    assert due_at(at(2, 21, 30), 1 * H, new_york) == at(3, 14, 30)          # 16:30 EST: 30 min + 30 min


def test_naive_timestamps_are_refused(l1):
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(datetime(2026, 3, 2, 9), H, l1)


instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31),
                        timezones=st.just(UTC))
durations = st.integers(0, 120 * 3600).map(lambda s: timedelta(seconds=s))


@settings(max_examples=150, deadline=None)
@given(start=instants, duration=durations, tier=st.sampled_from(["L1", "L2"]))
def test_a_due_time_never_precedes_creation_and_is_exact(policy, start, duration, tier):
    calendar = policy.tiers[tier].calendar
    due = due_at(start, duration, calendar)
    assert due >= start
    assert due >= clock_start(start, calendar)
    assert clock_time(start, due, calendar) == duration                       # exactly the target...
    if duration:
        assert clock_time(start, due - timedelta(microseconds=1), calendar) < duration  # ...and no later


# --------------------------------------------------------------------------- states

def test_states_at_50_75_and_100_percent(policy):
    t = ticket(created=at(2, 10))   # SEV2: L2, first response 1h, 24x7
    cases = [(at(2, 10, 29), "ok"), (at(2, 10, 30), "warning_50"), (at(2, 10, 44), "warning_50"),
             (at(2, 10, 45), "warning_75"), (at(2, 10, 59, 59), "warning_75"), (at(2, 11), "breached"),
             (at(2, 13), "breached")]
    for now, state in cases:
        status = sla_state(t, "SEV2", policy, now)["first_response"]
        assert status.state == state, now
        assert status.met is None and status.due_at == at(2, 11)
        assert status.elapsed == pytest.approx((now - at(2, 10)) / H)


def test_on_time_reply_is_fulfilled_and_a_late_one_stays_breached(policy):
    on_time = sla_state(ticket(first=at(2, 11)), "SEV2", policy, at(2, 12))["first_response"]
    assert (on_time.state, on_time.met, on_time.stopped_at, on_time.elapsed) == ("fulfilled", True, at(2, 11), 1.0)
    late = sla_state(ticket(first=at(2, 11, 1)), "SEV2", policy, at(2, 12))["first_response"]
    assert (late.state, late.met, late.stopped_at) == ("breached", False, at(2, 11, 1))


def test_weekend_ticket_waits_for_monday(policy):
    t = ticket(created=at(7, 10))    # SEV3 on Saturday
    status = sla_state(t, "SEV3", policy, at(9, 7))["first_response"]
    assert (status.started, status.due_at, status.elapsed, status.state) == (at(9, 8), at(9, 12), 0.0, "ok")
    assert sla_state(t, "SEV3", policy, at(9, 10))["first_response"].state == "warning_50"


def test_pending_pauses_the_resolution_clock_from_the_first_response(policy):
    pending = ticket(created=at(2, 9), status="pending", first=at(2, 10))   # SEV3, resolution 16 business hours
    for now in (at(2, 15), at(3, 17)):
        res = sla_state(pending, "SEV3", policy, now)["resolution"]
        assert res.paused and res.elapsed == pytest.approx(1 / 16) and res.state == "ok"
    # if the customer answered at Mon 15:00, 15 business hours would be left: Mon 3h + Tue 10h + Wed 2h
    assert sla_state(pending, "SEV3", policy, at(2, 15))["resolution"].due_at == at(4, 10)
    running = sla_state(replace(pending, status="open"), "SEV3", policy, at(2, 15))["resolution"]
    assert not running.paused and running.elapsed == pytest.approx(6 / 16) and running.due_at == at(3, 15)
    # the first-response clock is not paused: it stopped at the reply
    assert sla_state(pending, "SEV3", policy, at(2, 15))["first_response"].state == "fulfilled"


def test_a_paused_clock_keeps_the_warning_it_had_reached(policy):
    t = ticket(created=at(2, 9), status="pending", first=at(2, 9, 40))       # SEV1: 40 of 240 min, then paused
    res = sla_state(t, "SEV1", policy, at(2, 20))["resolution"]
    assert res.paused and res.state == "ok" and res.due_at == at(2, 20) + 200 * M
    t = ticket(created=at(2, 9), status="pending", first=at(2, 12, 30))      # 210 of 240 min used
    assert sla_state(t, "SEV1", policy, at(2, 20))["resolution"].state == "warning_75"


def test_stamps_after_now_have_not_happened_yet(policy):
    t = ticket(created=at(2, 10), status="solved", first=at(2, 10, 30), resolved=at(2, 17))
    early = sla_state(t, "SEV2", policy, at(2, 10, 20))
    assert early["first_response"].stopped_at is None and early["resolution"].stopped_at is None
    late = sla_state(t, "SEV2", policy, at(2, 18))
    assert late["first_response"].stopped_at == at(2, 10, 30) and late["resolution"].state == "fulfilled"


def test_solving_also_answers_and_a_reply_before_creation_counts_at_creation(policy):
    solved = ticket(created=at(2, 10), status="solved", resolved=at(2, 10, 40))
    assert sla_state(solved, "SEV2", policy, at(2, 12))["first_response"].stopped_at == at(2, 10, 40)
    skewed = ticket(created=at(2, 10), first=at(2, 9, 50))
    status = sla_state(skewed, "SEV1", policy, at(2, 12))["first_response"]
    assert (status.state, status.met, status.elapsed, status.stopped_at) == ("fulfilled", True, 0.0, at(2, 10))


def test_now_before_creation_is_an_error(policy):
    with pytest.raises(ValueError, match="after now"):
        sla_state(ticket(created=at(2, 10)), "SEV1", policy, at(2, 9))


# --------------------------------------------------------------------------- events

def test_event_log_of_an_unanswered_outage(policy):
    t = ticket(created=at(2, 9))   # SEV1: 15 min / 4 h on L3, 24x7
    log = sla_events(t, "SEV1", policy, at(2, 12))
    assert [(e.metric, e.kind, e.at) for e in log] == [
        ("first_response", "sla_applied", at(2, 9)),
        ("resolution", "sla_applied", at(2, 9)),
        ("first_response", "warning_50", at(2, 9, 7, 30)),
        ("first_response", "warning_75", at(2, 9, 11, 15)),
        ("first_response", "breached", at(2, 9, 15)),
        ("resolution", "warning_50", at(2, 11)),
        ("resolution", "warning_75", at(2, 12)),
    ]
    assert {e.ticket_id for e in log} == {"x1"} and {e.tier for e in log} == {"L3"}
    assert "15m" in log[0].detail and "due Mon 09:15" in log[0].detail
    # only what happened by `now`
    assert [e.kind for e in sla_events(t, "SEV1", policy, at(2, 11, 59))][-1] == "warning_50"


def test_event_log_of_a_late_reply_and_an_on_time_resolution(policy):
    t = ticket(created=at(2, 9), status="solved", first=at(2, 9, 20), resolved=at(2, 10))
    log = sla_events(t, "SEV1", policy, at(2, 18))
    kinds = [(e.metric, e.kind, e.at) for e in log]
    assert kinds == [
        ("first_response", "sla_applied", at(2, 9)),
        ("resolution", "sla_applied", at(2, 9)),
        ("first_response", "warning_50", at(2, 9, 7, 30)),
        ("first_response", "warning_75", at(2, 9, 11, 15)),
        ("first_response", "breached", at(2, 9, 15)),
        ("first_response", "fulfilled", at(2, 9, 20)),
        ("resolution", "fulfilled", at(2, 10)),
    ]
    assert log[5].detail == "late by 5m" and log[6].detail == "met, 3h00m to spare"


def test_no_warning_once_the_clock_has_stopped(policy):
    t = ticket(created=at(2, 9), first=at(2, 9, 7, 30))   # replied exactly at the 50% mark
    kinds = [(e.metric, e.kind) for e in sla_events(t, "SEV1", policy, at(2, 9, 30))]
    assert ("first_response", "warning_75") not in kinds and ("first_response", "fulfilled") in kinds


def test_events_on_the_fixture_day_are_well_formed(policy):
    tickets = load_tickets(fixture("tickets.jsonl"))
    truth = load_ticket_truth(fixture("tickets_truth.csv"))
    for t in tickets:
        log = sla_events(t, truth[t.id], policy, LESSON_NOW)
        assert log == sorted(log, key=event_key)
        assert all(e.at <= LESSON_NOW and e.kind in EVENT_KINDS for e in log)
        assert all(e.at >= t.created_at for e in log)
        if t.created_at <= LESSON_NOW:
            assert [e.kind for e in log[:2]] == ["sla_applied", "sla_applied"]
        for metric in ("first_response", "resolution"):
            mine = [e.kind for e in log if e.metric == metric]
            assert mine.count("breached") <= 1 and mine.count("fulfilled") <= 1


# --------------------------------------------------------------------------- the frame

def test_sla_frame_on_the_fixture_day(policy):
    tickets = load_tickets(fixture("tickets.jsonl"))
    truth = load_ticket_truth(fixture("tickets_truth.csv"))
    frame = sla_frame(tickets, truth, policy, LESSON_NOW)
    born = [t for t in tickets if t.created_at <= LESSON_NOW]
    assert len(frame) == 2 * len(born) and set(frame.ticket_id) == {t.id for t in born}
    assert set(frame.state) <= set(STATES)
    assert (frame.due_at >= frame.created_at).all()
    pending = {t.id for t in born if t.status == "pending" and t.first_response_at <= LESSON_NOW}
    assert set(frame[frame.paused].ticket_id) == pending
    shuffled = random.Random(7).sample(tickets, len(tickets))
    pd.testing.assert_frame_equal(sla_frame(shuffled, dict(reversed(list(truth.items()))), policy, LESSON_NOW), frame)


# --------------------------------------------------------------------------- no wall clock

def test_the_clock_modules_never_read_the_wall_clock():
    for name in ("routing", "sla", "escalation", "queue"):
        source = (ROOT / "desklib" / f"{name}.py").read_text()
        assert not re.search(r"\.(now|utcnow|today)\(|time\.time\(|time\.monotonic\(", source), name


def test_results_do_not_depend_on_when_they_are_computed(policy, monkeypatch):
    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            raise AssertionError("the SLA clock read the wall clock")
        utcnow = today = now
    t = ticket(created=at(2, 9), status="pending", first=at(2, 9, 40))
    before = sla_events(t, "SEV1", policy, at(2, 18)), sla_state(t, "SEV1", policy, at(2, 18))
    monkeypatch.setattr(sla_module, "datetime", Frozen)
    assert (sla_events(t, "SEV1", policy, at(2, 18)), sla_state(t, "SEV1", policy, at(2, 18))) == before
