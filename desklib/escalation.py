"""Escalation: a ticket that misses its SLA moves up a tier.

The path comes from the policy file (``L1 -> L2 -> L3 -> IC``). The rule:

1. **When** — the instant a target is missed (its ``breached`` event), the ticket
   moves one step up the path and an ``escalated`` event is logged at that same
   instant. Not later, when someone happens to look: the log is exact.
2. **New targets** — on the new tier, every metric that is still open gets a clock
   that starts at the escalation instant and counts on the *new tier's* calendar:

   * the metric that was missed gets the severity's **full target again** (the new
     tier's own promise: a SEV3 with no reply after 4 business hours on L1 now
     has 4 wall-clock hours on L2 to reply);
   * a metric that was not missed **keeps the share it has left** (a resolution
     clock that used 25% of its target on L1 continues with 75% on L2). Moving up
     never grants more time for what was not late.

   Metrics that already stopped (replied, solved) stay as they were.
3. **Again** — each later miss moves one more step. At the last tier (IC) misses
   are still logged as ``breached``, but there is nowhere left to go.
4. **Solved tickets don't escalate**: once solved, every clock has stopped, so no
   target can be missed any more. (A ticket may have been escalated earlier in
   its life, before it was solved; the log keeps that history.)

:func:`escalate` is a pure function of ``(state, policy, now)``, and it is
*idempotent*: escalating again at the same ``now`` changes nothing, and
escalating at 12:00 then at 16:00 gives exactly what escalating once at 16:00
gives.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from typing import Iterable, Mapping

from ._gc import paused
from .records import InputError, Ticket
from .routing import METRICS, Policy, route, severity_map, targets
from .sla import ClockPlan, ClockSpanError, Event, FastClock, MetricClock, SlaStatus, as_utc, event_key, fast_event_key

__all__ = ["TicketState", "next_tier", "open_state", "open_states", "escalate", "escalate_all",
           "escalate_tickets", "escalation_frame", "state_events_frame"]


@dataclass(frozen=True)
class TicketState:
    """Where one ticket is in its SLA life, as of ``as_of``.

    ``tier`` and ``step`` say where it sits now (step 0 = the routed tier);
    ``since`` is when it arrived there. ``carried`` holds the metrics still open
    when it arrived, with the share of their target already used. ``sla`` is each
    metric's status and ``events`` the full audit log, both as of ``as_of``.
    (:func:`escalate_all` writes ``sla``, ``events`` and ``history`` out when first read.)
    """
    ticket: Ticket
    severity: str
    tier: str
    since: datetime
    step: int = 0
    carried: Mapping[str, Fraction] = field(default_factory=lambda: {m: Fraction(0) for m in METRICS})
    sla: Mapping[str, SlaStatus] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    history: tuple[Event, ...] = ()      # the closed part of the log: tiers already left
    as_of: datetime | None = None

    @property
    def id(self) -> str:
        return self.ticket.id

    @property
    def escalations(self) -> int:
        return self.step


class _Later:
    """A field the fast path has not written out yet: ``make()`` writes it (see :class:`_WrittenWhenRead`)."""
    __slots__ = ("make",)

    def __init__(self, make):
        self.make = make

    def __reduce__(self):                     # a copy or a pickle holds the value itself
        return (_written, (self.make(),))


def _written(value):
    return value


class _WrittenWhenRead:
    """``TicketState.sla``, ``.events`` and ``.history`` read like the dict and tuples they are.
    The fast path may store a :class:`_Later` instead, written out (once) the first time the
    field is read, so an escalation run that only asks where tickets are does not write
    200,000 audit logs."""

    def __init__(self, name: str):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name]
        if type(value) is _Later:
            value = obj.__dict__[self.name] = value.make()
        return value

    def __set__(self, obj, value):
        obj.__dict__[self.name] = value


for _name in ("sla", "events", "history"):    # after @dataclass: its __init__, __eq__, __repr__ read through
    setattr(TicketState, _name, _WrittenWhenRead(_name))


def next_tier(tier: str, policy: Policy) -> str | None:
    """The tier above ``tier`` on the escalation path, or ``None`` at the top."""
    path = policy.escalation_path
    if tier not in path:
        raise ValueError(f"tier {tier!r} is not on the escalation path {' -> '.join(path)}")
    i = path.index(tier)
    return path[i + 1] if i + 1 < len(path) else None


def open_state(ticket: Ticket, severity: str, policy: Policy) -> TicketState:
    """A ticket just routed: on its severity's tier since creation, nothing measured yet."""
    return TicketState(ticket, severity, route(severity, policy), ticket.created_at)


def open_states(tickets: Iterable[Ticket], severities, policy: Policy) -> list[TicketState]:
    """:func:`open_state` for every ticket, sorted by ticket id."""
    sev = severity_map(severities)
    tickets = list(tickets)
    missing = sorted(t.id for t in tickets if t.id not in sev)
    if missing:
        raise ValueError(f"no severity for tickets {missing}")
    return sorted((open_state(t, sev[t.id], policy) for t in tickets), key=lambda s: s.id)


def _clocks(state: TicketState, policy: Policy, now: datetime) -> dict[str, MetricClock]:
    t = targets(state.severity, state.tier, policy)
    return {m: MetricClock(state.ticket, m, t, policy.warning_levels, now, state.since, used, state.step)
            for m, used in state.carried.items()}


def escalate(state: TicketState, policy: Policy, now: datetime) -> TicketState:
    """The ticket's state at ``now``: every target missed by then has moved it up a tier.

    Works through the misses in time order: find the earliest miss on the
    current tier, close that tier's log at that instant, move up, re-measure on
    the new tier, repeat. ``now`` must not be earlier than the state's ``as_of``.
    """
    now = as_utc(now, "now")
    if state.as_of is not None and now < state.as_of:
        raise ValueError(f"ticket {state.id!r} was escalated as of {state.as_of:%Y-%m-%d %H:%M}; "
                         f"cannot go back to {now:%Y-%m-%d %H:%M}")
    if state.ticket.created_at > now:                  # not created yet: nothing to measure
        return replace(state, as_of=now)

    while True:
        clocks = _clocks(state, policy, now)
        misses = [c.due for c in clocks.values() if c.fires(c.due)]
        up = next_tier(state.tier, policy)
        if not misses or up is None:
            break
        at = min(misses)
        missed = [m for m, c in clocks.items() if c.due == at]
        closed = tuple(e for c in clocks.values() for e in c.events() if e.at <= at)
        moved = Event(state.id, missed[0], "escalated", at, f"{state.tier} -> {up}: "
                      f"{' and '.join(m.replace('_', ' ') for m in missed)} target missed",
                      state.tier, state.step)
        still_open = {m: (Fraction(0) if m in missed else c.share_at(at))
                      for m, c in clocks.items() if c.running_at(at)}
        finished = {m: c.status() for m, c in clocks.items() if m not in still_open}
        state = replace(state, tier=up, since=at, step=state.step + 1, carried=still_open,
                        sla={**state.sla, **finished}, history=state.history + closed + (moved,))

    current = {m: c.status() for m, c in clocks.items()}
    sla = {m: ({**state.sla, **current})[m] for m in METRICS if m in state.sla or m in current}
    log = tuple(sorted(state.history + tuple(e for c in clocks.values() for e in c.events()), key=event_key))
    return replace(state, sla=sla, events=log, as_of=now)


def escalate_all(states: Iterable[TicketState], policy: Policy, now: datetime) -> list[TicketState]:
    """:func:`escalate` every ticket; the result holds each ticket exactly once, sorted by id.

    Two states for one ticket are a bug upstream, so they raise instead of one
    silently winning. (It runs the fast path below, which gives what ``escalate`` gives;
    each state's ``sla`` and log are written out when first read.)
    """
    states = list(states)
    seen = Counter(s.id for s in states)                # one pass: linear in the tickets
    dupes = sorted(i for i, n in seen.items() if n > 1)
    if dupes:
        raise ValueError(f"tickets {dupes} appear more than once")
    # escalate(s, policy, now) for each s, worked out by the fast path beside it (same results)
    with paused():
        return sorted(_escalate_many(states, policy, now), key=lambda s: s.id)


def escalate_tickets(tickets: Iterable[Ticket], severities, policy: Policy, now: datetime) -> list[TicketState]:
    """Route every ticket and escalate it up to ``now``: the desk's escalation run in one call."""
    with paused():                                      # no cycles among the states: see _gc.paused
        return escalate_all(open_states(tickets, severities, policy), policy, now)


# ---------------------------------------------------------------------------
# The fast path: escalate() for many tickets, with less work per ticket
# ---------------------------------------------------------------------------
#
# The same loop as escalate(), on sla.FastClock instead of sla.MetricClock, with each
# (severity, tier)'s targets and calendar looked up once per run. States it was not
# written for (timestamps that are not plain UTC datetimes, unknown metrics, a subclass)
# go through escalate() itself. tests/test_escalation_fast.py checks both give equal
# states on thousands of tickets.

def _fast_path_fits(state: TicketState, now: datetime) -> bool:
    """Is ``state`` one :func:`_escalate_fast` was written for (plain UTC datetimes, known metrics,
    carried shares below 1, time not going back)? The others go through :func:`escalate`."""
    t, utc = state.ticket, timezone.utc
    for ts in (t.created_at, t.first_response_at, t.resolved_at, state.since, state.as_of):
        if ts is not None and (type(ts) is not datetime or ts.tzinfo is not utc):
            return False
    for m, used in state.carried.items():
        if m not in METRICS or type(used) is not Fraction or used.numerator >= used.denominator:
            return False
    return (type(state) is TicketState and type(now) is datetime and now.tzinfo is utc
            and type(state.history) is tuple and (state.as_of is None or now >= state.as_of))


def _escalate_many(states: list[TicketState], policy: Policy, now: datetime):
    """``escalate(s, policy, now)`` for each state, in order."""
    now = as_utc(now, "now")
    plans: dict = {}
    fast = all(rule.first_response > timedelta(0) and rule.resolution > timedelta(0)
               for rule in policy.severities.values())          # a zero target: escalate() says what it says
    for s in states:
        try:
            yield (_escalate_fast(s, policy, now, plans) if fast and _fast_path_fits(s, now)
                   else escalate(s, policy, now))
        except ClockSpanError as e:          # e.g. a ticket built in code in year 1, a business-hours tier
            raise InputError(f"ticket {s.id!r}: {e}") from None


def _escalate_fast(state: TicketState, policy: Policy, now: datetime, plans: dict) -> TicketState:
    """:func:`escalate` on :class:`desklib.sla.FastClock`; ``plans`` remembers the clock plans per
    (severity, tier). The audit log (``events``, ``history``) is written when first read."""
    ticket, severity = state.ticket, state.severity
    if ticket.created_at > now:
        return replace(state, as_of=now)
    levels = policy.warning_levels
    tier, since, step, carried = state.tier, state.since, state.step, state.carried
    left = []                                  # (clocks, instant, escalated event, still open) per tier left
    while True:
        plan = plans.get((severity, tier))
        if plan is None:
            t = targets(severity, tier, policy)
            plan = plans[severity, tier] = {m: ClockPlan(t, m, levels) for m in METRICS}
        clocks = {m: FastClock(plan[m], ticket, now, since, used, step) for m, used in carried.items()}
        misses = [c.due for c in clocks.values() if c.fires(c.due)]
        up = next_tier(tier, policy)
        if not misses or up is None:
            break
        at = min(misses)
        missed = [m for m, c in clocks.items() if c.due == at]
        moved = Event(ticket.id, missed[0], "escalated", at, f"{tier} -> {up}: "
                      f"{' and '.join(m.replace('_', ' ') for m in missed)} target missed", tier, step)
        still_open = {m: (_NO_SHARE if m in missed else c.share_at(at))
                      for m, c in clocks.items() if c.running_at(at)}
        left.append((clocks, at, moved, still_open))
        tier, since, step, carried = up, at, step + 1, still_open

    if now - state.since < _CENTURIES:
        sla = _Later(lambda: _statuses(state.sla, left, clocks))
    else:                                      # a clock across centuries may be refused: find out now
        sla = _statuses(state.sla, left, clocks)
    base, closed = state.history, []           # closed: the history, once written

    def written_history() -> tuple:
        if not closed:
            closed.append(_history(base, left))
        return closed[0]

    history = _Later(written_history) if left else base
    log = _Later(lambda: tuple(sorted(written_history() + tuple(e for c in clocks.values() for e in c.events()),
                                      key=fast_event_key)))
    return TicketState(ticket=ticket, severity=severity, tier=tier, since=since, step=step, carried=carried,
                       sla=sla, events=log, history=history, as_of=now)


_NO_SHARE = Fraction(0)                        # a fresh target (Fractions do not change: one will do)
#: Statuses of clocks that ran this long are worked out at once (see sla.ClockSpanError).
_CENTURIES = timedelta(days=50 * 365)


def _statuses(sla: Mapping, left: list, clocks: dict) -> dict:
    """The ``sla`` of escalate(): each metric's status where it stopped or where it stands."""
    for tier_clocks, _, _, still_open in left:
        sla = {**sla, **{m: c.status() for m, c in tier_clocks.items() if m not in still_open}}
    merged = {**sla, **{m: c.status() for m, c in clocks.items()}}
    return {m: merged[m] for m in METRICS if m in merged}


def _history(base: tuple, left: list) -> tuple:
    """The closed part of the log: each tier's events up to the instant the ticket left it."""
    for clocks, at, moved, _ in left:
        base = base + tuple(e for c in clocks.values() for e in c.events() if e.at <= at) + (moved,)
    return base


# ---------------------------------------------------------------------------
# Frames for the notebook
# ---------------------------------------------------------------------------

def escalation_frame(states: Iterable[TicketState]):
    """One row per ticket: where it started, where it is, and when things happened.

    Columns: ``ticket_id, severity, created_at, routed_tier, tier, escalations,
    path, warning_50, warning_75, breached, escalated, resolved_at`` — each time
    column holds the *first* such event (any metric), ``NaT`` if none, and
    ``escalated_times`` lists every escalation instant. Ready for a timeline plot.
    """
    import pandas as pd
    states = sorted(states, key=lambda s: s.id)
    warning_kinds = sorted({e.kind for s in states for e in s.events if e.kind.startswith("warning_")},
                           key=lambda k: float(k.removeprefix("warning_")))
    rows = []
    for s in states:
        first = {}
        for e in s.events:
            first.setdefault(e.kind, e.at)
        escalations = [e for e in s.events if e.kind == "escalated"]
        tiers = [e.tier for e in escalations] + [s.tier]
        resolved = s.ticket.resolved_at
        rows.append({"ticket_id": s.id, "severity": s.severity, "created_at": s.ticket.created_at,
                     "routed_tier": tiers[0], "tier": s.tier, "escalations": s.escalations,
                     "path": " -> ".join(tiers),
                     **{k: first.get(k) for k in warning_kinds + ["breached", "escalated"]},
                     "escalated_times": tuple(e.at for e in escalations),
                     "resolved_at": resolved if resolved is not None and s.as_of and resolved <= s.as_of else None})
    frame = pd.DataFrame(rows, columns=["ticket_id", "severity", "created_at", "routed_tier", "tier",
                                        "escalations", "path", *warning_kinds, "breached", "escalated",
                                        "escalated_times", "resolved_at"])
    for col in ["created_at", *warning_kinds, "breached", "escalated", "resolved_at"]:
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def state_events_frame(states: Iterable[TicketState]):
    """Every ticket's audit log in one DataFrame (one row per event), in time order."""
    from .sla import events_frame
    return events_frame(e for s in states for e in s.events)
