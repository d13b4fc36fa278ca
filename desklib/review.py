"""The human queue is a queue: what the gate held back, worst first, each on a review clock.

The gate (:mod:`desklib.gate`) sends an unsure ticket to a person instead of guessing.
That person still has to *read* it, and a held ticket that is a full outage ("Everything
is down ... every page returns 502", confidence 0.64 under a 0.67 gate) must not wait
behind a how-to question. So the held tickets form a queue with a clock:

* **Order** — by the worst severity any matched rule suggested (:func:`suggested_severity`:
  the most severe severity with a positive score, SEV1 first), then by age (created
  first), then by id, so the order is the same whatever order the tickets came in.
  A ticket no rule could read (no keyword matched, or no text at all) is reviewed as the
  policy's ``[human_review] no_rule_matched`` severity — SEV2 in the shipped policy:
  unread is not the same as unimportant (``Se cayó todo`` is a Spanish outage the
  English rules cannot see), so it is read within the half hour, around the clock, but
  after every possible outage.
* **Target** — ``[human_review.SEVn]`` in ``fixtures/sla_policy.toml`` gives each
  suggested severity a review target and the tier whose calendar counts it (a possible
  SEV1: 15 minutes on L3, 24x7). It is one more clock of :mod:`desklib.sla`, the
  ``"review"`` metric: the same due times, warnings (``warning_50``, ``warning_75``),
  ``breached`` and ``fulfilled`` events.
* **Done** — the ticket record keeps no "reviewed" stamp, so the lesson's convention is:
  the first response (a person replied, so a person read it) or the resolution ends the
  review, as it ends the first-response clock.
* **Escalation** — as :mod:`desklib.escalation` does for every clock: the instant a review
  target is missed the ticket moves one step up the ``[escalation] path`` (an
  ``escalated`` event at that instant) and gets the full review target again on the new
  tier's calendar; at the last tier misses are still logged. A possible outage is never
  parked: nobody read it in 15 minutes, so the incident commander is told.

The review does not change the gate's outcome: a held ticket stays ``route="human"``
(exactly one outcome per ticket); its review is reported beside it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

from .escalation import next_tier
from .records import InputError, Ticket
from .routing import REVIEW, Policy, review_targets
from .sla import ClockSpanError, Event, MetricClock, SlaStatus, as_utc, event_key
from .triage import SEVERITIES

__all__ = ["Review", "suggested_severity", "review_clock", "review_queue", "queue_key", "review_frame"]


def suggested_severity(triaged, no_rule_matched: str) -> str:
    """The worst severity any matched rule suggested for one triage result.

    The most severe severity with a positive score (``scores = {"SEV1": 2.0, "SEV4": 1.5}``
    gives SEV1 even when SEV4 had more keywords); a result without scores but with matches
    (another classifier's output) suggests its own severity; nothing matched gives
    ``no_rule_matched`` (the policy's ``[human_review] no_rule_matched``).
    """
    scores = getattr(triaged, "scores", None) or {}
    for sev in SEVERITIES:
        if scores.get(sev, 0) > 0:
            return sev
    return triaged.severity if getattr(triaged, "matched", ()) else no_rule_matched


@dataclass(frozen=True)
class Review:
    """One held ticket's place and clock in the human queue, as of ``now``."""
    ticket_id: str
    suggested: str                  # the worst severity a rule suggested (or no_rule_matched)
    created_at: datetime
    reason: str                     # the gate's reason: "confidence 0.64 < 0.67", "no rule matched", ...
    due_at: datetime                # the review's due time on its first tier: the promise
    tier: str                       # the tier the review sits on now
    escalations: int
    status: SlaStatus               # the review clock on the current tier
    events: tuple[Event, ...]       # the review's audit log, sorted by sla.event_key

    @property
    def state(self) -> str:
        """Against the promise (``due_at``): ``ok``, ``warning_50``, ``warning_75``, ``fulfilled``
        (read in time) or ``breached`` (missed, read late or not yet; ``status`` is the clock on
        the tier it was escalated to)."""
        return "breached" if self.breached_at is not None else self.status.state

    @property
    def breached_at(self) -> datetime | None:
        """When the review first missed a target (``None``: never)."""
        return next((e.at for e in self.events if e.kind == "breached"), None)

    @property
    def reviewed_at(self) -> datetime | None:
        """When a person read it (first response or resolution), if by ``now``."""
        return self.status.stopped_at


def queue_key(suggested: str, created_at: datetime, ticket_id: str) -> tuple:
    """The human queue's order: worst suggested severity, then oldest, then id."""
    return (SEVERITIES.index(suggested), created_at, ticket_id)


def review_clock(ticket: Ticket, suggested: str, policy: Policy, now: datetime, reason: str = "") -> Review:
    """The review of one held ticket at ``now``: its clock, escalated as :func:`desklib.escalation.escalate`
    escalates (each miss: one step up the path, the full review target again on the new tier)."""
    now = as_utc(now, "now")
    rules = policy.human_review.rules if policy.human_review is not None else None
    if rules is None:
        raise ValueError(f"{policy.source}: no [human_review] table: the human queue has no review targets")
    if suggested not in rules:
        raise ValueError(f"unknown severity {suggested!r}; [human_review] defines {', '.join(rules)}")
    try:
        return _review(ticket, suggested, policy, now, reason, rules[suggested].tier)
    except ClockSpanError as exc:       # a business-hours review across centuries (a ticket built in code)
        raise InputError(f"ticket {ticket.id!r}: {exc}") from None


def _review(ticket: Ticket, suggested: str, policy: Policy, now: datetime, reason: str, tier: str) -> Review:
    start, step, closed = ticket.created_at, 0, []
    while True:
        clock = MetricClock(ticket, REVIEW, review_targets(suggested, tier, policy), policy.warning_levels,
                            now, start, step=step)
        if step == 0:
            first_due = clock.due
        up = next_tier(tier, policy)
        if up is None or not clock.fires(clock.due):
            break
        at = clock.due
        closed += [e for e in clock.events() if e.at <= at]
        closed.append(Event(ticket.id, REVIEW, "escalated", at, f"{tier} -> {up}: review target missed", tier, step))
        tier, start, step = up, at, step + 1
    events = tuple(sorted(closed + clock.events(), key=event_key))
    return Review(ticket.id, suggested, ticket.created_at, reason, first_due, tier, step, clock.status(), events)


def review_queue(tickets: Iterable[Ticket], suggested: Mapping[str, str], policy: Policy, now: datetime,
                 reasons: Mapping[str, str] | None = None) -> list[Review]:
    """Every held ticket's :class:`Review` at ``now``, in queue order (:func:`queue_key`).

    ``suggested`` maps each ticket id to its :func:`suggested_severity`; ``reasons`` to the
    gate's reason (shown, not used). A ticket created after ``now`` is listed with its clock
    not started yet.
    """
    reasons = reasons or {}
    tickets = list(tickets)
    missing = sorted(t.id for t in tickets if t.id not in suggested)
    if missing:
        raise ValueError(f"no suggested severity for tickets {missing}")
    reviews = [review_clock(t, suggested[t.id], policy, now, reasons.get(t.id, "")) for t in tickets]
    return sorted(reviews, key=lambda r: queue_key(r.suggested, r.created_at, r.ticket_id))


def review_frame(reviews: Iterable[Review]):
    """The human queue as a DataFrame, one row per held ticket in queue order.

    Columns: ``rank, ticket_id, suggested, reason, created_at, review_due, state, tier,
    escalations, breached_at, reviewed_at``.
    """
    import pandas as pd
    rows = [{"rank": i, "ticket_id": r.ticket_id, "suggested": r.suggested, "reason": r.reason,
             "created_at": r.created_at, "review_due": r.due_at, "state": r.state, "tier": r.tier,
             "escalations": r.escalations, "breached_at": r.breached_at, "reviewed_at": r.reviewed_at}
            for i, r in enumerate(reviews, start=1)]
    columns = ["rank", "ticket_id", "suggested", "reason", "created_at", "review_due", "state", "tier",
               "escalations", "breached_at", "reviewed_at"]
    frame = pd.DataFrame(rows, columns=columns)
    for col in ("created_at", "review_due", "breached_at", "reviewed_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame
