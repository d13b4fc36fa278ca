"""The desk path in a few lines: triage -> gate -> route -> SLA -> escalation.

Each step is its own module; this one only wires them together, so a learner can
read the whole path here and open the module of the step they are on::

    triaged   = triage_all(tickets, rules)              # triage.py
    decisions = gate(triaged, threshold)                # gate.py
    tier      = route(severity, policy)                 # routing.py (auto-routed only)
    states    = escalate_tickets(auto, sev, policy, now)  # sla.py + escalation.py
    reviews   = review_queue(held, suggested, policy, now)  # review.py (the human queue)

Every ticket ends in exactly one outcome: ``auto`` to a tier, or ``human``.
Tickets in the human queue have no tier yet — a person decides it — so they
get no SLA clock of a tier; they wait on a *review* clock instead, worst
suggested severity first (``[human_review]`` in the SLA policy).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from .escalation import TicketState, escalate_tickets
from .gate import NO_TEXT, default_threshold, gate
from .records import Ticket, has_text, isoz
from .review import Review, review_queue, suggested_severity
from .routing import Policy, load_policy, route
from .triage import RuleSet, load_rules, triage_all

__all__ = ["Outcome", "DeskDay", "triage_and_route", "run_day", "triage_json", "run_json", "day_report"]


@dataclass(frozen=True)
class Outcome:
    """What the desk did with one ticket."""
    id: str
    severity: str
    confidence: float
    matched: tuple[str, ...]
    route: str                 # "auto" | "human"
    tier: str | None           # the routed tier; None for the human queue
    reason: str
    suggested: str = ""        # the worst severity a matched rule suggested (review.suggested_severity)


@dataclass(frozen=True)
class DeskDay:
    """One run of the desk: every ticket's outcome and the auto-routed tickets' SLA state at ``now``."""
    threshold: float
    now: datetime
    outcomes: tuple[Outcome, ...]          # input order
    states: tuple[TicketState, ...]        # auto-routed tickets, escalated up to `now`, by id
    reviews: tuple[Review, ...] = ()       # the human queue in review order, its clocks at `now`

    @property
    def human_queue(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.route == "human"]

    @property
    def escalated(self) -> list[TicketState]:
        return [s for s in self.states if s.escalations]


def triage_and_route(tickets: Iterable[Ticket], rules: RuleSet | None = None, policy: Policy | None = None,
                     threshold: float | None = None) -> list[Outcome]:
    """Triage, gate and route every ticket; one :class:`Outcome` each, in input order."""
    rules = rules or load_rules()
    policy = policy or load_policy()
    threshold = default_threshold() if threshold is None else threshold
    tickets = list(tickets)
    triaged = triage_all(tickets, rules)
    outcomes = []
    for ticket, t, d in zip(tickets, triaged, gate(triaged, threshold)):
        tier = route(t.severity, policy) if d.route == "auto" else None
        reason = d.reason if d.route == "auto" or has_text(ticket) else NO_TEXT   # nothing to read: a human looks
        suggested = suggested_severity(t, policy.human_review.no_rule_matched if policy.human_review
                                       else rules.fallback_severity)
        outcomes.append(Outcome(t.id, t.severity, t.confidence, t.matched, d.route, tier, reason, suggested))
    return outcomes


def run_day(tickets: Iterable[Ticket], now: datetime, rules: RuleSet | None = None,
            policy: Policy | None = None, threshold: float | None = None) -> DeskDay:
    """The whole desk path at ``now``: outcomes, then SLA clocks and escalation for the auto-routed,
    and the review clocks of the human queue."""
    tickets = list(tickets)
    policy = policy or load_policy()
    threshold = default_threshold() if threshold is None else threshold
    outcomes = triage_and_route(tickets, rules, policy, threshold)
    auto = {o.id: o.severity for o in outcomes if o.route == "auto"}
    states = escalate_tickets([t for t in tickets if t.id in auto], auto, policy, now)
    held = {o.id: o for o in outcomes if o.route == "human"}
    reviews = review_queue([t for t in tickets if t.id in held], {i: o.suggested for i, o in held.items()},
                           policy, now, {i: o.reason for i, o in held.items()})
    return DeskDay(threshold, now, tuple(outcomes), tuple(states), tuple(reviews))


def triage_json(outcomes: Iterable[Outcome], threshold: float) -> dict:
    """The ``desk triage --json`` document (a contract other tools read)."""
    outcomes = list(outcomes)
    counts = Counter(o.route for o in outcomes)
    return {
        "threshold": threshold,
        "tickets": [{"id": o.id, "severity": o.severity, "confidence": o.confidence,
                     "matched": list(o.matched), "route": o.route, "tier": o.tier, "reason": o.reason}
                    for o in outcomes],
        "summary": {"total": len(outcomes), "auto": counts["auto"], "human": counts["human"]},
    }


def _one_line(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def review_lines(day: DeskDay, tickets: Iterable[Ticket]) -> list[str]:
    """The human queue in review order: suggested severity, review due time, state."""
    by_id = {t.id: t for t in tickets}
    waiting = [r for r in day.reviews if r.reviewed_at is None]
    late = [r for r in day.reviews if r.breached_at is not None]
    lines = [f"Human queue ({len(day.reviews)}: {len(waiting)} waiting for a review, "
             f"{len(late)} review{'s' if len(late) != 1 else ''} late), worst suggested severity first:",
             f"  {'#':>2}  {'id':<6} {'suggests':<8} {'review due':<20} {'state':<10} {'tier':<4} "
             f"{'reason':<26} subject"]
    for n, r in enumerate(day.reviews, start=1):
        t = by_id.get(r.ticket_id)
        subject = _one_line(t.subject or t.body) if t else ""
        lines.append(f"  {n:>2}  {r.ticket_id:<6} {r.suggested:<8} {isoz(r.due_at):<20} {r.state:<10} "
                     f"{r.tier:<4} {r.reason:<26} {subject!r}")
    return lines


def day_report(day: DeskDay, tickets: Iterable[Ticket], review: bool = False) -> str:
    """A short readable report of a desk run: tiers, the human queue, the escalations.

    ``review=True`` (what ``desk run`` prints) shows the human queue in review order with
    each ticket's suggested severity, review due time and state (:func:`review_lines`);
    without it, the held tickets in input order with the gate's reason.
    """
    tickets = list(tickets)
    by_id = {t.id: t for t in tickets}
    lines = [f"Support desk at {isoz(day.now)} (gate threshold {day.threshold:.2f})", ""]
    tiers = Counter(o.tier for o in day.outcomes if o.tier)
    total = len(day.outcomes)
    lines.append(f"{total} tickets: {total - len(day.human_queue)} routed automatically, "
                 f"{len(day.human_queue)} to a human")
    lines.append("  per tier: " + ", ".join(f"{tier} {tiers[tier]}" for tier in sorted(tiers)))
    if review:
        lines += [""] + review_lines(day, tickets)
    else:
        lines += ["", f"Human queue ({len(day.human_queue)}):"]
        for o in day.human_queue:
            t = by_id.get(o.id)
            subject = _one_line(t.subject or t.body) if t else ""
            lines.append(f"  {o.id:<6} {o.reason:<26} {subject!r}")
    lines += ["", f"Escalations ({len(day.escalated)} tickets):"]
    for s in day.escalated:
        moves = [e for e in s.events if e.kind == "escalated"]
        path = " -> ".join([e.tier for e in moves] + [s.tier])
        lines.append(f"  {s.id:<6} {s.severity}  {path:<16} first at {isoz(moves[0].at)}")
    return "\n".join(lines)


def run_json(day: DeskDay) -> dict:
    """The desk's part of ``desk run --json``: ``desk triage --json``'s keys (``threshold``,
    ``tickets``, ``summary``), then ``now``, the ``human_queue`` in review order and the
    ``escalations``."""
    doc = triage_json(day.outcomes, day.threshold)
    doc["now"] = isoz(day.now)
    doc["human_queue"] = [
        {"rank": n, "id": r.ticket_id, "suggested_severity": r.suggested, "reason": r.reason,
         "created_at": isoz(r.created_at), "review_due": isoz(r.due_at), "state": r.state,
         "tier": r.tier, "escalations": r.escalations, "breached_at": isoz(r.breached_at) if r.breached_at else None,
         "reviewed_at": isoz(r.reviewed_at) if r.reviewed_at else None}
        for n, r in enumerate(day.reviews, start=1)]
    doc["escalations"] = [
        {"id": s.id, "severity": s.severity, "path": [e.tier for e in s.events if e.kind == "escalated"] + [s.tier],
         "first_at": isoz(next(e.at for e in s.events if e.kind == "escalated"))}
        for s in day.escalated]
    return doc
