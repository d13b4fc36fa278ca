"""Business hours across daylight-saving changes: counted in the tier's zone, as real time.

A tier's hours are wall-clock times in its zone; the SLA counts the real time the tier
is open. On the day the clocks change a 4-hour target is still 4 working hours (3 or 5
on the wall clock). The changes tested: Europe/Berlin (last Sunday of March and of
October) and America/New_York (second Sunday of March, first Sunday of November), on
tiers open on Sunday night, when the change happens.
"""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from desklib.routing import Calendar, load_policy
from desklib.sla import clock_start, clock_time, due_at

UTC = timezone.utc
H = timedelta(hours=1)


def weekend(zone: str, start: time = time(0), end: time = time(12)) -> Calendar:
    return Calendar("business_hours", ("Sat", "Sun"), start, end, zone, ())


def local(zone: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


CHANGES = [   # zone, the Sunday of the change, wall-clock hours 4 real hours span from 00:00
    ("Europe/Berlin", date(2026, 3, 29), 5),        # 02:00 -> 03:00: 4 h from 00:00 end at 05:00
    ("Europe/Berlin", date(2026, 10, 25), 3),       # 03:00 -> 02:00: 4 h from 00:00 end at 03:00
    ("America/New_York", date(2026, 3, 8), 5),
    ("America/New_York", date(2026, 11, 1), 3),
]


@pytest.mark.parametrize("zone, sunday, wall_hours", CHANGES)
def test_a_4h_target_is_4_working_hours_on_the_day_the_clocks_change(zone, sunday, wall_hours):
    cal = weekend(zone)
    start = local(zone, sunday.year, sunday.month, sunday.day, 0, 0)
    due = due_at(start, 4 * H, cal)
    assert due - start == 4 * H                                     # real time
    assert due.astimezone(ZoneInfo(zone)).hour == wall_hours        # the wall clock shows it
    assert clock_time(start, due, cal) == 4 * H


@pytest.mark.parametrize("zone, sunday, wall_hours", CHANGES)
def test_the_open_day_of_a_change_is_an_hour_shorter_or_longer(zone, sunday, wall_hours):
    cal = weekend(zone)
    opens = local(zone, sunday.year, sunday.month, sunday.day, 0, 0)
    closes = local(zone, sunday.year, sunday.month, sunday.day, 12, 0)
    expected = 11 * H if sunday.month == 3 else 13 * H
    assert clock_time(opens, closes + 10 * H, cal) == expected
    # a 12 h target does not fit in a spring Sunday: it spills into Saturday's hours
    if sunday.month == 3:
        next_saturday = sunday + timedelta(days=6)
        saturday = local(zone, next_saturday.year, next_saturday.month, next_saturday.day, 1, 0)
        assert due_at(opens, 12 * H, cal) == saturday.astimezone(UTC)


def test_an_opening_inside_the_skipped_hour_moves_forward_by_the_jump():
    cal = weekend("Europe/Berlin", start=time(2, 30))
    friday_night = datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    saturday = clock_start(friday_night, cal)
    assert saturday == datetime(2026, 3, 28, 1, 30, tzinfo=UTC)         # 02:30 CET
    start = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)                     # Sunday 00:00 CET
    # 02:30 does not exist that Sunday; read as PEP 495 does (the offset before the jump):
    # 01:30 UTC, which the clocks show as 03:30 CEST
    assert clock_start(start, cal) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert due_at(start, 4 * H, cal) == datetime(2026, 3, 29, 5, 30, tzinfo=UTC)


def test_every_instant_of_a_change_day_works_without_errors():
    cal = weekend("Europe/Berlin", start=time(1, 15), end=time(4, 45))
    t = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    while t < datetime(2026, 3, 29, 4, 0, tzinfo=UTC):
        due = due_at(t, 30 * timedelta(minutes=1), cal)
        assert clock_time(t, due, cal) == 30 * timedelta(minutes=1)
        t += timedelta(minutes=5)


def test_the_fixture_l1_calendar_is_unchanged_by_a_berlin_zone_outside_the_changes():
    l1 = load_policy().tiers["L1"].calendar
    start = datetime(2026, 3, 6, 17, 30, tzinfo=UTC)
    assert due_at(start, 4 * H, l1) == datetime(2026, 3, 9, 11, 30, tzinfo=UTC)


ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ZONES), st.datetimes(datetime(2026, 3, 1), datetime(2026, 11, 10)),
       st.integers(0, 3 * 24 * 60), st.sampled_from([time(0), time(1, 30), time(2, 30)]),
       st.sampled_from([time(3, 0), time(12, 0), time(23, 0)]))
def test_clock_time_inverts_due_at_in_any_zone(zone, naive, minutes, opens, closes):
    cal = Calendar("business_hours", ("Sat", "Sun", "Wed"), opens, closes, zone, ())
    start = naive.replace(tzinfo=UTC)
    duration = timedelta(minutes=minutes)
    due = due_at(start, duration, cal)
    assert due >= start
    assert clock_time(start, due, cal) == duration
    assert clock_start(start, cal) == due_at(start, timedelta(0), cal) >= start


# --------------------------------------------------------------------------- the ends of time

def test_a_target_past_year_9999_is_due_at_the_last_instant_and_nothing_raises():
    from desklib.data import DAY_END
    from desklib.escalation import escalate_tickets
    from desklib.records import Ticket
    from desklib.sla import END
    policy = load_policy()
    late = datetime(9999, 12, 31, 20, 0, tzinfo=UTC)
    states = escalate_tickets([Ticket("t", late, "x")], {"t": "SEV4"}, policy, late + H)
    assert states[0].sla["resolution"].due_at == END and states[0].sla["resolution"].state == "ok"
    assert due_at(late, 5 * H, Calendar("24x7")) == END
    ny = Calendar("business_hours", ("Mon", "Fri"), time(8), time(23), "America/New_York", ())
    assert due_at(datetime(9999, 12, 30, tzinfo=UTC), 40 * H, ny) == END
    # Friday 9999-12-31 opens 13:00 UTC and would close after the end of time: counted up to it
    assert clock_time(datetime(9999, 12, 30, tzinfo=UTC), END, ny) == END - datetime(9999, 12, 31, 13, tzinfo=UTC)
    first = datetime(1, 1, 1, tzinfo=UTC)                     # west of UTC its local day is in year 0
    assert due_at(first, 4 * H, ny) > first
    assert escalate_tickets([Ticket("t", first, "x")], {"t": "SEV3"}, policy, DAY_END)[0].tier == "IC"


# --------------------------------------------------------------------------- pandas agrees where it can

def pandas_due_at(start: datetime, duration: timedelta, cal: Calendar) -> datetime:
    """Due time by pandas' CustomBusinessHour (wall-clock hours): right in a zone without
    clock changes, which is where it is compared below."""
    import pandas as pd
    hour = pd.offsets.CustomBusinessHour(start=f"{cal.start:%H:%M}", end=f"{cal.end:%H:%M}",
                                         weekmask=" ".join(cal.days), holidays=list(cal.holidays))
    t = hour.rollforward(pd.Timestamp(start).tz_convert(cal.timezone))
    whole_hours, rest = divmod(duration, H)
    if whole_hours:
        t = t + hour * whole_hours
    if rest:
        t = t + rest
        if not hour.is_on_offset(t):
            t = hour.rollforward(t) + (t - hour.rollback(t))
    elif whole_hours and not hour.is_on_offset(t - timedelta(microseconds=1)):
        t = hour.rollback(t - timedelta(microseconds=1))
    return t.tz_convert("UTC").to_pydatetime()


@settings(max_examples=150, deadline=None)
@given(st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31)), st.integers(0, 60 * 60),
       st.sampled_from([("UTC", time(8), time(18), ("Mon", "Tue", "Wed", "Thu", "Fri")),
                        ("Asia/Kolkata", time(9, 30), time(17, 15), ("Mon", "Wed", "Sat")),
                        ("Asia/Tokyo", time(0), time(12), ("Sun",))]),
       st.sampled_from([(), (date(2026, 3, 4), date(2027, 1, 1))]))
def test_due_at_agrees_with_pandas_business_hours_where_clocks_never_change(naive, minutes, shape, holidays):
    zone, opens, closes, days = shape
    cal = Calendar("business_hours", days, opens, closes, zone, holidays)
    start = naive.replace(tzinfo=UTC)
    duration = timedelta(minutes=minutes)
    assert due_at(start, duration, cal) == pandas_due_at(start, duration, cal)
