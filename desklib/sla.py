"""The SLA clock: when is a ticket due, how much of its time is used, what happened when.

Each ticket has two clocks, one per *metric*: ``first_response`` (a human replies)
and ``resolution`` (the ticket is solved). A clock

* **starts** when the ticket is created, or at the tier's next opening if the tier
  is closed then (a SEV3 created on Saturday starts counting on Monday at 08:00);
* **counts calendar time**: wall-clock time on a 24x7 tier, open hours only on a
  business-hours tier (see :func:`clock_time`);
* **pauses** the resolution clock while the ticket is ``pending`` (waiting on the
  customer). The ticket record keeps no status history, so the lesson's convention
  is: a pending ticket has been paused since its first response (the reply that
  asked the customer something) until ``now``;
* **stops** at the first response / the resolution. Stopping on or before the due
  time is *fulfilled* (``met=True``); after it, the metric stays *breached*
  (``met=False``).

Due times are exact timestamps computed once (:func:`due_at`), not found by
polling the clock minute by minute. Business hours are counted in the tier's own
time zone, one local day at a time, as real elapsed time: on the day the clocks
change a 4-hour target is still 4 working hours (``zoneinfo`` knows the changes).
pandas' ``CustomBusinessHour`` (the notebook's exercise) counts wall-clock hours
instead, so across a change it is an hour off, and it refuses a time in the
skipped hour.

Nothing here reads the wall clock: every function takes ``now``. A record that
carries a later timestamp than ``now`` (a reply at 16:20 when ``now`` is 16:00) is
treated as not having happened yet, so you can replay the day at any instant.

Two views of the same clock:

* :func:`sla_state` — where each metric stands at ``now`` (:class:`SlaStatus`);
* :func:`sla_events` — the audit log, like a help desk's SLA metric events:
  ``sla_applied``, ``warning_50``, ``warning_75``, ``breached``, ``fulfilled``
  (``escalated`` events are added by :mod:`desklib.escalation`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import Iterable, Iterator

from .records import Ticket
from .routing import METRICS, REVIEW, WEEKDAYS, Calendar, Policy, Targets, route, severity_map, targets

__all__ = ["SlaStatus", "Event", "MetricClock", "EVENT_KINDS", "STATES", "as_utc",
           "clock_start", "due_at", "clock_time", "sla_state", "sla_events", "sla_frame",
           "event_key", "events_frame"]

#: Event kinds, in the order they are listed when several happen at one instant.
#: (Warning kinds follow the policy's levels; 0.5 -> ``warning_50``.)
EVENT_KINDS = ("sla_applied", "warning_50", "warning_75", "breached", "escalated", "fulfilled")
#: The states a metric can be in.
STATES = ("ok", "warning_50", "warning_75", "breached", "fulfilled")

_US = timedelta(microseconds=1)
#: The last instant a datetime can hold: the due time of a target that runs out after it.
END = datetime.max.replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------------------
# Calendar arithmetic
# ---------------------------------------------------------------------------

def as_utc(ts: datetime, name: str = "timestamp") -> datetime:
    """``ts`` as a UTC datetime; naive timestamps are refused (no guessing a zone)."""
    if ts.tzinfo is timezone.utc and type(ts) is datetime:     # the common case, as is
        return ts
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got {ts!r}")
    if hasattr(ts, "to_pydatetime"):  # a pandas Timestamp
        ts = ts.to_pydatetime()
    return ts.astimezone(timezone.utc)


@lru_cache(maxsize=64)
def _week(calendar: Calendar):
    """What a business calendar's days need, worked out once: ``(zone, open weekdays, holidays)``."""
    from zoneinfo import ZoneInfo
    return (ZoneInfo(calendar.timezone), frozenset(WEEKDAYS.index(d) for d in calendar.days),
            frozenset(calendar.holidays))


class ClockSpanError(ValueError):
    """A business-hours clock that would run longer than :data:`_MAX_DAYS` days (no opening, or
    a ``start`` and ``now`` centuries apart)."""


_MAX_DAYS = 3660 * 8       # no target is longer than ten years of one open day a week


def _open_intervals(calendar: Calendar, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The calendar's open intervals ``(opens, closes)`` in UTC, day by day, from the local
    day of ``start`` on (earlier days close before ``start``).

    Each open day's opening and closing are that *local* day's wall-clock times in the
    tier's zone, turned into real instants: on the day the clocks change, "00:00-12:00"
    is 11 or 13 hours long. A wall-clock time inside the skipped hour (02:30 on a
    spring change) is read as PEP 495 reads it, with the offset before the jump: it
    happens when the clocks show 03:30. An hour that occurs twice is its first occurrence. Adding up real time is what makes a 4-hour target 4
    working hours on every day of the year.
    """
    tz, open_days, holidays = _week(calendar)
    try:
        day = start.astimezone(tz).date()
    except OverflowError:             # year 1 west of UTC: its local day would be in year 0
        day = start.date()
    for _ in range(_MAX_DAYS):
        if day.weekday() in open_days and day not in holidays:
            try:
                opens = datetime.combine(day, calendar.start, tzinfo=tz).astimezone(timezone.utc)
            except OverflowError:     # after 9999-12-31 23:59 UTC: no more openings to count
                return
            try:
                closes = datetime.combine(day, calendar.end, tzinfo=tz).astimezone(timezone.utc)
            except OverflowError:     # the last day a datetime can hold: open until its end
                closes = END
            if closes > opens:
                yield opens, closes
        if day == date.max:
            return
        day += timedelta(days=1)
    raise ClockSpanError(f"business hours on {calendar.describe()} are counted at most {_MAX_DAYS} days "
                         f"({_MAX_DAYS // 366} years) from {start:%Y-%m-%d}; this clock runs longer")


def clock_start(start: datetime, calendar: Calendar) -> datetime:
    """The first instant at or after ``start`` when the calendar's clock runs."""
    return due_at(start, timedelta(0), calendar)


def due_at(start: datetime, duration: timedelta, calendar: Calendar) -> datetime:
    """The exact instant at which ``duration`` of calendar time has passed since ``start``.

    24x7: ``start + duration``. Business hours: walk the open intervals from ``start``
    (:func:`_open_intervals`), using up each one's real time until the duration is spent.

    >>> from datetime import datetime, timedelta, timezone
    >>> from desklib.routing import load_policy
    >>> l1 = load_policy().tiers["L1"].calendar          # Mon-Fri 08:00-18:00 UTC
    >>> friday = datetime(2026, 3, 6, 17, 30, tzinfo=timezone.utc)
    >>> due_at(friday, timedelta(hours=4), l1)           # 30 min Friday + 3.5 h Monday
    datetime.datetime(2026, 3, 9, 11, 30, tzinfo=datetime.timezone.utc)

    A due time after the last instant a datetime can hold (9999-12-31 23:59:59.999999
    UTC) is that instant, :data:`END`: no ``now`` can be past it.

    When a target runs out exactly at closing time the due time is that closing
    time (Monday 18:00), not the next morning's opening, although no business
    time separates the two: a due time is the *earliest* instant the time is up.
    (Likewise a clock started exactly at closing time starts there; after it, at
    the next opening.)
    """
    start = as_utc(start, "start")
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration}")
    if calendar.is_24x7:
        return start + duration if END - start >= duration else END
    left = duration
    for opens, closes in _open_intervals(calendar, start):
        begin = max(opens, start)
        if begin > closes:                               # this day is over already
            continue
        if left <= closes - begin:
            return begin + left
        left -= closes - begin
    return END                                           # not within the years datetime can hold


def clock_time(start: datetime, end: datetime, calendar: Calendar) -> timedelta:
    """How much calendar time passes between ``start`` and ``end`` (zero if ``end <= start``).

    For business hours this adds up, for each open day, the overlap of that day's
    opening hours (real instants, see :func:`_open_intervals`) with ``[start, end]``.
    It is the inverse of :func:`due_at`: ``clock_time(s, due_at(s, d, cal), cal) == d``.
    """
    start, end = as_utc(start, "start"), as_utc(end, "end")
    if end <= start:
        return timedelta(0)
    if calendar.is_24x7:
        return end - start
    total = timedelta(0)
    for opens, closes in _open_intervals(calendar, start):
        if opens >= end:
            break
        overlap = min(end, closes) - max(start, opens)
        if overlap > timedelta(0):
            total += overlap
    return total


def _scale(duration: timedelta, share: Fraction) -> timedelta:
    """``duration * share``, exact to the microsecond (a tie rounds to even, as ``round``)."""
    if share == 1:
        return duration
    q, r = divmod(share.numerator * (duration // _US), share.denominator)
    if 2 * r > share.denominator or (2 * r == share.denominator and q % 2):
        q += 1
    return timedelta(microseconds=q)


@lru_cache(maxsize=1024)
def _share_of(target: timedelta, level: float) -> timedelta:
    """``level`` of ``target``, exact to the microsecond (remembered: targets and levels are few)."""
    return _scale(target, _level(level))


@lru_cache(maxsize=64)
def _level(level: float) -> Fraction:
    """A warning level as the exact fraction it is written as (0.75 -> 3/4)."""
    return Fraction(str(level))


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _day_time(ts: datetime) -> str:
    """``"Mon 08:00"``: what ``f"{ts:%a %H:%M}"`` gives in the C locale, without strftime."""
    return f"{_DAY_NAMES[ts.weekday()]} {ts.hour:02d}:{ts.minute:02d}"


@lru_cache(maxsize=64)
def _describe(calendar: Calendar) -> str:
    return calendar.describe()


def _fmt(td: timedelta) -> str:
    """``timedelta(hours=1, minutes=5)`` -> ``"1h05m"``."""
    minutes = round(td.total_seconds() / 60)
    hours, minutes = divmod(abs(minutes), 60)
    sign = "-" if td < timedelta(0) else ""
    return f"{sign}{hours}h{minutes:02d}m" if hours else f"{sign}{minutes}m"


# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SlaStatus:
    """Where one metric of one ticket stands at ``now``."""
    ticket_id: str
    metric: str                 # first_response | resolution
    tier: str
    target: timedelta           # the full target on this tier
    started: datetime           # when the clock (on this tier) started counting
    due_at: datetime            # exact due time (for a paused clock: if it resumed at `now`)
    elapsed: float              # share of the target used: 0.5 = half, 1.0 = due
    state: str                  # ok | warning_50 | warning_75 | breached | fulfilled
    met: bool | None = None     # True/False once the metric stopped, None while running
    paused: bool = False
    stopped_at: datetime | None = None
    step: int = 0               # escalation step (0 = the tier the ticket was routed to)


@dataclass(frozen=True)
class Event:
    """One line of a ticket's SLA audit log."""
    ticket_id: str
    metric: str
    kind: str                   # sla_applied | warning_50 | warning_75 | breached | escalated | fulfilled
    at: datetime
    detail: str = ""
    tier: str = ""
    step: int = 0


def _kind_rank(kind: str) -> tuple[int, float]:
    if kind.startswith("warning_"):
        return (1, float(kind.removeprefix("warning_")))
    return ({"sla_applied": 0, "breached": 2, "escalated": 3, "fulfilled": 4}[kind], 0.0)


#: Metrics in the order their events are listed at one instant (the review clock of a held ticket last).
_METRIC_RANK = {m: i for i, m in enumerate((*METRICS, REVIEW))}


def event_key(event: Event) -> tuple:
    """Sort key of the log: by time, then by what caused what at one instant.

    At an escalation instant the old tier's ``breached`` and ``escalated`` come
    before the new tier's ``sla_applied`` (higher ``step``).
    """
    return (event.at, event.ticket_id, event.step, _kind_rank(event.kind), _METRIC_RANK[event.metric])


# ---------------------------------------------------------------------------
# One metric's clock
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class MetricClock:
    """The clock of one metric of one ticket on one tier, as seen at ``now``.

    ``start`` is when the ticket arrived on the tier (creation, or an escalation);
    ``used`` is the share of the target already used on earlier tiers (0 for a
    fresh target). :func:`sla_state` and :func:`sla_events` use a fresh clock on
    the routed tier; :mod:`desklib.escalation` chains clocks across tiers.
    """
    ticket: Ticket
    metric: str
    targets: Targets
    levels: tuple[float, ...]
    now: datetime
    start: datetime
    used: Fraction = Fraction(0)
    step: int = 0

    @cached_property
    def target(self) -> timedelta:
        return self.targets.for_metric(self.metric)

    @cached_property
    def calendar(self) -> Calendar:
        return self.targets.calendar

    @cached_property
    def started(self) -> datetime:
        return clock_start(self.start, self.calendar)

    @cached_property
    def stop(self) -> datetime | None:
        """When the metric stopped, if it has by ``now``.

        A resolution also answers the customer, so it stops the first-response
        clock too. The review clock of a held ticket (``"review"``) stops at the first
        response as well: a person who replied has read it. A stamp before ``start``
        (clock skew) counts as at ``start``.
        """
        t = self.ticket
        stamps = [t.resolved_at] + ([t.first_response_at] if self.metric != "resolution" else [])
        known = [s for s in stamps if s is not None and s <= self.now]
        return max(min(known), self.start) if known else None

    @cached_property
    def pause(self) -> datetime | None:
        """When the resolution clock paused (a pending ticket), else ``None``."""
        t = self.ticket
        if (self.metric == "resolution" and t.status == "pending" and self.stop is None
                and t.first_response_at is not None and t.first_response_at <= self.now):
            return max(t.first_response_at, self.start)
        return None

    def ran(self, until: datetime) -> timedelta:
        """Calendar time the clock ran on this tier up to ``until``."""
        ends = [until] + [x for x in (self.pause, self.stop) if x is not None]
        return clock_time(self.start, min(ends), self.calendar)

    def share_at(self, at: datetime) -> Fraction:
        """Share of the target used at ``at`` (including earlier tiers)."""
        return self.used + Fraction(self.ran(at) // _US, self.target // _US)

    def reach(self, level: float) -> datetime | None:
        """The instant the clock reaches ``level`` of the target (``None`` if it did on an earlier tier).

        If the clock is paused before then, it resumes at ``now`` with what is left.
        """
        reached = self.__dict__.setdefault("_reached", {})          # each level worked out once
        if level not in reached:
            reached[level] = self._reach(level)
        return reached[level]

    def _reach(self, level: float) -> datetime | None:
        if self.used:
            need = _level(level) - self.used
            if need.numerator <= 0:
                return None
            need_time = _scale(self.target, need)
        else:                                            # a fresh target: the same few values
            need_time = _share_of(self.target, level)
        at = due_at(self.start, need_time, self.calendar)
        if self.pause is None or at <= self.pause:
            return at
        return due_at(self.now, need_time - clock_time(self.start, self.pause, self.calendar), self.calendar)

    @cached_property
    def due(self) -> datetime:
        return self.reach(1.0)

    def running_at(self, at: datetime) -> bool:
        """Is the clock still going at ``at`` (not yet stopped)?"""
        return self.stop is None or at < self.stop

    def fires(self, at: datetime | None) -> bool:
        """Does a threshold at ``at`` happen (by ``now``, while the clock runs)?"""
        return at is not None and at <= self.now and self.running_at(at)

    def status(self) -> SlaStatus:
        if self.stop is not None:
            met = self.stop <= self.due
            state, share = ("fulfilled" if met else "breached"), self.share_at(self.stop)
        else:
            met, share = None, self.share_at(self.now)
            state = "breached" if self.due <= self.now else "ok"
            if state == "ok":
                for level in self.levels:
                    if self.fires(self.reach(level)):
                        state = f"warning_{round(level * 100)}"
        return SlaStatus(self.ticket.id, self.metric, self.targets.tier, self.target, self.started,
                         self.due, float(share), state, met, self.pause is not None, self.stop, self.step)

    def events(self) -> list[Event]:
        """This clock's audit events that happened by ``now``."""
        def event(kind, at, detail):
            return Event(self.ticket.id, self.metric, kind, at, detail, self.targets.tier, self.step)

        if self.start > self.now:
            return []
        budget = _scale(self.target, 1 - self.used)
        left = "" if self.used == 0 else f" ({_fmt(budget)} left)"
        target = _fmt(self.target)
        due = self.due if self.pause is None else due_at(self.start, budget, self.calendar)
        out = [event("sla_applied", self.start,
                     f"{self.metric} target {target}{left} on {self.targets.tier} "
                     f"({_describe(self.calendar)}); clock starts {_day_time(self.started)}, "
                     f"due {_day_time(due)}")]
        for level in self.levels:
            at = self.reach(level)
            if self.fires(at):
                out.append(event(f"warning_{round(level * 100)}", at, f"{level:.0%} of {target} used"))
        if self.fires(self.due):
            out.append(event("breached", self.due, f"no {self.metric.replace('_', ' ')} within {target}"))
        if self.stop is not None:
            late = self.stop - self.due
            out.append(event("fulfilled", self.stop,
                             f"met, {_fmt(-late)} to spare" if late <= timedelta(0) else f"late by {_fmt(late)}"))
        return out


# ---------------------------------------------------------------------------
# The ticket-level views
# ---------------------------------------------------------------------------

def _clocks(ticket: Ticket, severity: str, policy: Policy, now: datetime,
            tier: str | None) -> list[MetricClock]:
    now = as_utc(now, "now")
    t = targets(severity, tier or route(severity, policy), policy)
    return [MetricClock(ticket, m, t, policy.warning_levels, now, ticket.created_at) for m in METRICS]


def sla_state(ticket: Ticket, severity: str, policy: Policy, now: datetime,
              tier: str | None = None) -> dict[str, SlaStatus]:
    """Each metric's :class:`SlaStatus` at ``now``, on the routed tier (or ``tier``).

    ``{"first_response": SlaStatus(...), "resolution": SlaStatus(...)}``. This is
    the promise made at creation; :mod:`desklib.escalation` follows the ticket
    when it moves up a tier.
    """
    if ticket.created_at > as_utc(now, "now"):
        raise ValueError(f"ticket {ticket.id!r} is created at {ticket.created_at:%Y-%m-%d %H:%M}, after now")
    return {c.metric: c.status() for c in _clocks(ticket, severity, policy, now, tier)}


def sla_events(ticket: Ticket, severity: str, policy: Policy, now: datetime,
               tier: str | None = None) -> list[Event]:
    """The ticket's SLA audit log up to ``now`` on its routed tier, sorted by :func:`event_key`."""
    return sorted((e for c in _clocks(ticket, severity, policy, now, tier) for e in c.events()), key=event_key)


def sla_frame(tickets: Iterable[Ticket], severities, policy: Policy, now: datetime):
    """One row per ticket x metric at ``now``, for the notebook (tickets created after ``now`` are left out).

    ``severities`` is ``{id: "SEV3"}`` or the triage output (see
    :func:`desklib.routing.severity_map`).
    """
    import pandas as pd
    sev = severity_map(severities)
    now = as_utc(now, "now")
    rows = []
    for ticket in sorted(tickets, key=lambda t: t.id):
        if ticket.created_at > now:
            continue
        for status in sla_state(ticket, sev[ticket.id], policy, now).values():
            rows.append({"ticket_id": ticket.id, "severity": sev[ticket.id], "tier": status.tier,
                         "metric": status.metric, "created_at": ticket.created_at,
                         "started": status.started, "target": status.target, "due_at": status.due_at,
                         "stopped_at": status.stopped_at, "elapsed": status.elapsed,
                         "state": status.state, "met": status.met, "paused": status.paused})
    columns = ["ticket_id", "severity", "tier", "metric", "created_at", "started", "target", "due_at",
               "stopped_at", "elapsed", "state", "met", "paused"]
    frame = pd.DataFrame(rows, columns=columns)
    for col in ("created_at", "started", "due_at", "stopped_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def events_frame(events: Iterable[Event]):
    """Events -> DataFrame, one row per event, in log order."""
    import pandas as pd
    rows = [e.__dict__ for e in sorted(events, key=event_key)]
    frame = pd.DataFrame(rows, columns=["ticket_id", "metric", "kind", "at", "detail", "tier", "step"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


# ---------------------------------------------------------------------------
# The fast path: the same clock with less work per ticket
# ---------------------------------------------------------------------------
#
# Escalating 200,000 tickets asks the calendar the same few questions again and
# again. The classes below answer exactly what :func:`due_at`, :func:`clock_time`
# and :class:`MetricClock` answer (tests/test_escalation_fast.py compares them on
# thousands of tickets), with three savings: each open day's interval is worked
# out once per calendar and remembered; a clock is a plain object with slots
# instead of a frozen dataclass with cached properties; and a fresh target's
# share is a float division instead of a Fraction. Anything unusual (a start near
# the ends of what datetime can hold, a walk longer than ten years) is handed to
# the plain functions, so the two can never disagree.

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
_SAFE_FROM = datetime(2, 1, 1, tzinfo=timezone.utc)      # the fast walk stays well inside datetime's years
_SAFE_TO = datetime(9980, 1, 1, tzinfo=timezone.utc)
_FAST_DAYS = 3660                                        # ten years of days, then the plain walk


class _AlwaysOpen:
    """A 24x7 calendar: :func:`due_at` and :func:`clock_time` without the checks."""
    __slots__ = ("calendar",)

    def __init__(self, calendar: Calendar):
        self.calendar = calendar

    def due_at(self, start: datetime, duration: timedelta) -> datetime:
        if duration < _ZERO:
            return due_at(start, duration, self.calendar)          # the plain error
        return start + duration if END - start >= duration else END

    def clock_time(self, start: datetime, end: datetime) -> timedelta:
        return _ZERO if end <= start else end - start


class _BusinessHours:
    """A business-hours calendar whose open days are worked out once each and remembered."""
    __slots__ = ("calendar", "tz", "open_days", "holidays", "days")

    def __init__(self, calendar: Calendar):
        self.calendar = calendar
        self.tz, self.open_days, self.holidays = _week(calendar)
        self.days: dict[date, tuple[datetime, datetime] | None] = {}

    def _interval(self, day: date) -> tuple[datetime, datetime] | None:
        """``day``'s open interval in UTC, as :func:`_open_intervals` yields it (``None``: closed)."""
        interval = self.days.get(day, False)
        if interval is False:
            interval = None
            if day.weekday() in self.open_days and day not in self.holidays:
                cal, tz = self.calendar, self.tz
                opens = datetime.combine(day, cal.start, tzinfo=tz).astimezone(timezone.utc)
                closes = datetime.combine(day, cal.end, tzinfo=tz).astimezone(timezone.utc)
                if closes > opens:
                    interval = (opens, closes)
            self.days[day] = interval
        return interval

    def due_at(self, start: datetime, duration: timedelta) -> datetime:
        if duration < _ZERO or not _SAFE_FROM <= start < _SAFE_TO:
            return due_at(start, duration, self.calendar)
        left = duration
        day = start.astimezone(self.tz).date()
        for _ in range(_FAST_DAYS):
            interval = self._interval(day)
            if interval is not None:
                opens, closes = interval
                begin = max(opens, start)
                if begin <= closes:
                    if left <= closes - begin:
                        return begin + left
                    left -= closes - begin
            day += _ONE_DAY
        return due_at(start, duration, self.calendar)

    def clock_time(self, start: datetime, end: datetime) -> timedelta:
        if end <= start:
            return _ZERO
        if not _SAFE_FROM <= start < _SAFE_TO:
            return clock_time(start, end, self.calendar)
        total = _ZERO
        day = start.astimezone(self.tz).date()
        for _ in range(_FAST_DAYS):
            interval = self._interval(day)
            if interval is not None:
                opens, closes = interval
                if opens >= end:
                    return total
                overlap = min(end, closes) - max(start, opens)
                if overlap > _ZERO:
                    total += overlap
            day += _ONE_DAY
        return clock_time(start, end, self.calendar)


@lru_cache(maxsize=64)
def calendar_clock(calendar: Calendar) -> _AlwaysOpen | _BusinessHours:
    """The remembered fast form of ``calendar``: ``.due_at(start, duration)``, ``.clock_time(start, end)``.

    Same answers as :func:`due_at` and :func:`clock_time` for UTC datetimes.
    """
    return _AlwaysOpen(calendar) if calendar.is_24x7 else _BusinessHours(calendar)


_KIND_RANK: dict[str, tuple[int, float]] = {}


def fast_event_key(event: Event) -> tuple:
    """:func:`event_key`, with each kind's rank remembered."""
    rank = _KIND_RANK.get(event.kind)
    if rank is None:
        rank = _KIND_RANK[event.kind] = _kind_rank(event.kind)
    return (event.at, event.ticket_id, event.step, rank, _METRIC_RANK[event.metric])


def _scale_ratio(duration: timedelta, duration_us: int, num: int, den: int) -> timedelta:
    """``_scale(duration, Fraction(num, den))`` without building the Fraction: the quotient and the
    tie test are the same for any multiple of a fraction's terms (``den > 0``)."""
    if num == den:
        return duration
    q, r = divmod(num * duration_us, den)
    if 2 * r > den or (2 * r == den and q % 2):
        q += 1
    return timedelta(microseconds=q)


class ClockPlan:
    """What every clock of one metric on one severity's targets shares, worked out once:
    the target, the calendar's fast form, each level's share of a fresh target, the texts."""
    __slots__ = ("targets", "metric", "tier", "target", "target_us", "calendar", "clock", "always_open",
                 "levels", "fresh_need", "warnings", "applied", "breached")

    def __init__(self, targets: Targets, metric: str, levels: tuple[float, ...]):
        self.targets, self.metric, self.tier, self.levels = targets, metric, targets.tier, levels
        self.target = targets.for_metric(metric)
        self.target_us = self.target // _US
        self.calendar = targets.calendar
        self.clock = calendar_clock(self.calendar)
        self.always_open = self.calendar.is_24x7
        self.fresh_need = {level: _share_of(self.target, level) for level in (*levels, 1.0)}
        text = _fmt(self.target)
        self.warnings = tuple((level, f"warning_{round(level * 100)}", f"{level:.0%} of {text} used")
                              for level in levels)
        self.applied = (f"{metric} target {text}", f" on {self.tier} ({_describe(self.calendar)}); clock starts ")
        self.breached = f"no {metric.replace('_', ' ')} within {text}"


class FastClock:
    """:class:`MetricClock` for UTC timestamps, with less work: the same ``due``, ``status()``,
    ``events()``, ``share_at()`` and ``running_at()``. ``plan`` is the :class:`ClockPlan`
    of the clock's targets and metric; ``used`` is a Fraction, as in :class:`MetricClock`.
    """
    __slots__ = ("plan", "ticket", "now", "start", "used", "fresh", "step", "stop", "pause",
                 "_reached", "_started", "due")

    def __init__(self, plan: ClockPlan, ticket: Ticket, now: datetime, start: datetime,
                 used: Fraction, step: int):
        self.plan, self.ticket, self.now, self.start, self.used, self.step = plan, ticket, now, start, used, step
        self.fresh = not used
        # MetricClock.stop: the earliest of the stamps that count, not before start
        known = ticket.resolved_at
        if known is not None and known > now:
            known = None
        first = ticket.first_response_at
        if plan.metric == "first_response" and first is not None and first <= now and (known is None or first < known):
            known = first
        self.stop = None if known is None else start if start > known else known
        # MetricClock.pause
        self.pause = (start if start > first else first) if (
            plan.metric == "resolution" and ticket.status == "pending" and self.stop is None
            and first is not None and first <= now) else None
        self._started = None
        self.due = due = self._reach(1.0)
        self._reached: dict[float, datetime | None] = {1.0: due}

    @property
    def started(self) -> datetime:
        if self._started is None:
            self._started = self.start if self.plan.always_open else self.plan.clock.due_at(self.start, _ZERO)
        return self._started

    def ran(self, until: datetime) -> timedelta:
        pause, stop = self.pause, self.stop
        if pause is not None and pause < until:
            until = pause
        if stop is not None and stop < until:
            until = stop
        return self.plan.clock.clock_time(self.start, until)

    def share_at(self, at: datetime) -> Fraction:
        share = Fraction(self.ran(at) // _US, self.plan.target_us)
        return share if self.fresh else self.used + share

    def _elapsed(self, at: datetime) -> float:
        """``float(self.share_at(at))`` as one division of integers (int / int rounds as Fraction does)."""
        ran, target, used = self.ran(at) // _US, self.plan.target_us, self.used
        if self.fresh:
            return ran / target
        return (used.numerator * target + ran * used.denominator) / (used.denominator * target)

    def reach(self, level: float) -> datetime | None:
        reached = self._reached
        if level not in reached:
            reached[level] = self._reach(level)
        return reached[level]

    def _reach(self, level: float) -> datetime | None:
        plan = self.plan
        if self.fresh:
            need_time = plan.fresh_need[level]
        else:                       # _scale(target, _level(level) - used) in integers, the same rounding
            lv, used = _level(level), self.used
            num = lv.numerator * used.denominator - used.numerator * lv.denominator
            den = lv.denominator * used.denominator
            if num <= 0:
                return None
            need_time = _scale_ratio(plan.target, plan.target_us, num, den)
        clock, start = plan.clock, self.start
        if plan.always_open:                             # _AlwaysOpen.due_at, written out
            at = start + need_time if END - start >= need_time else END
        else:
            at = clock.due_at(start, need_time)
        if self.pause is None or at <= self.pause:
            return at
        return clock.due_at(self.now, need_time - clock.clock_time(start, self.pause))

    def running_at(self, at: datetime) -> bool:
        return self.stop is None or at < self.stop

    def fires(self, at: datetime | None) -> bool:
        return at is not None and at <= self.now and (self.stop is None or at < self.stop)

    def status(self) -> SlaStatus:
        plan, due = self.plan, self.due
        if self.stop is not None:
            met = self.stop <= due
            state, elapsed = ("fulfilled" if met else "breached"), self._elapsed(self.stop)
        else:
            met, elapsed = None, self._elapsed(self.now)
            state = "breached" if due <= self.now else "ok"
            if state == "ok":
                for level in plan.levels:
                    if self.fires(self.reach(level)):
                        state = f"warning_{round(level * 100)}"
        return SlaStatus(self.ticket.id, plan.metric, plan.tier, plan.target, self.started,
                         due, elapsed, state, met, self.pause is not None, self.stop, self.step)

    def events(self) -> list[Event]:
        if self.start > self.now:
            return []
        plan, tid, step, due = self.plan, self.ticket.id, self.step, self.due
        metric, tier = plan.metric, plan.tier
        if self.fresh:
            budget, left = plan.target, ""
        else:
            used = self.used
            budget = _scale_ratio(plan.target, plan.target_us, used.denominator - used.numerator, used.denominator)
            left = f" ({_fmt(budget)} left)"
        shown = due if self.pause is None else plan.clock.due_at(self.start, budget)
        head, middle = plan.applied
        out = [Event(tid, metric, "sla_applied", self.start,
                     f"{head}{left}{middle}{_day_time(self.started)}, due {_day_time(shown)}", tier, step)]
        for level, kind, detail in plan.warnings:
            at = self.reach(level)
            if self.fires(at):
                out.append(Event(tid, metric, kind, at, detail, tier, step))
        if self.fires(due):
            out.append(Event(tid, metric, "breached", due, plan.breached, tier, step))
        if self.stop is not None:
            late = self.stop - due
            out.append(Event(tid, metric, "fulfilled", self.stop,
                             f"met, {_fmt(-late)} to spare" if late <= _ZERO else f"late by {_fmt(late)}",
                             tier, step))
        return out
