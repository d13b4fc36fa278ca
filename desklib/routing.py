"""Routing: which tier gets a ticket, and which SLA targets it must meet.

The rules live in ``fixtures/sla_policy.toml`` so the desk can change them
without touching code. This module reads that file into plain, frozen
dataclasses and answers two questions:

* :func:`route` — a severity goes to which tier? (``SEV1`` -> ``L3``)
* :func:`targets` — on that tier, how long until the first response and the
  resolution are due, and on which calendar does that time count?

>>> policy = load_policy()
>>> route("SEV3", policy)
'L1'
>>> t = targets("SEV3", "L1", policy)
>>> t.first_response, t.calendar.kind
(datetime.timedelta(seconds=14400), 'business_hours')

The durations belong to the severity; the calendar belongs to the tier. That is
why :func:`targets` takes both: when a SEV3 ticket is escalated from L1 (business
hours) to L2 (24x7), its "4h" starts counting wall-clock hours.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from typing import Mapping

__all__ = ["Calendar", "Tier", "SeverityRule", "Targets", "ReviewRule", "HumanReview", "Policy",
           "load_policy", "route", "targets", "review_targets", "severity_map", "METRICS", "REVIEW", "WEEKDAYS"]

#: The two things an SLA measures, in the order the desk meets them.
METRICS = ("first_response", "resolution")
#: The clock of a ticket the gate held for a person: until someone reads it (see ``desklib.review``).
REVIEW = "review"
#: Day names a business calendar may use (pandas weekmask spelling).
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Calendar:
    """When a tier's SLA clock runs.

    ``kind`` is ``"24x7"`` (always) or ``"business_hours"`` (only on ``days``
    between ``start`` and ``end``, wall-clock time in ``timezone``, except
    ``holidays``).
    """
    kind: str
    days: tuple[str, ...] = ()
    start: time | None = None
    end: time | None = None
    timezone: str = "UTC"
    holidays: tuple[date, ...] = ()

    @property
    def is_24x7(self) -> bool:
        return self.kind == "24x7"

    def describe(self) -> str:
        """A short human label, e.g. ``Mon-Fri 08:00-18:00 UTC``."""
        if self.is_24x7:
            return "24x7"
        days = f"{self.days[0]}-{self.days[-1]}" if len(self.days) > 2 else ",".join(self.days)
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M} {self.timezone}"


@dataclass(frozen=True)
class Tier:
    """One support tier: its name, what it does, and its calendar."""
    name: str
    calendar: Calendar
    description: str = ""


@dataclass(frozen=True)
class SeverityRule:
    """What a severity promises: the tier it goes to and its two targets."""
    severity: str
    tier: str
    first_response: timedelta
    resolution: timedelta
    description: str = ""


@dataclass(frozen=True)
class Targets:
    """The targets a ticket of ``severity`` has while it sits on ``tier``."""
    severity: str
    tier: str
    first_response: timedelta
    resolution: timedelta
    calendar: Calendar
    review: timedelta | None = None      # the human review target (only in :func:`review_targets`)

    def for_metric(self, metric: str) -> timedelta:
        """The target of one metric: ``"first_response"``, ``"resolution"`` (or ``"review"``)."""
        if metric == REVIEW and self.review is not None:
            return self.review
        if metric not in METRICS:
            raise ValueError(f"unknown SLA metric {metric!r}; expected one of {METRICS}")
        return getattr(self, metric)


@dataclass(frozen=True)
class ReviewRule:
    """How fast a person must read a held ticket whose rules suggested ``severity``, and on
    which tier's calendar (and escalation path) that review clock runs."""
    severity: str
    target: timedelta
    tier: str


@dataclass(frozen=True)
class HumanReview:
    """The ``[human_review]`` table: a review target per suggested severity, and the severity a
    ticket no rule could read is reviewed as."""
    rules: Mapping[str, ReviewRule]
    no_rule_matched: str
    description: str = ""


@dataclass(frozen=True)
class Policy:
    """The whole SLA policy file as plain data."""
    severities: Mapping[str, SeverityRule]
    tiers: Mapping[str, Tier]
    escalation_path: tuple[str, ...]
    warning_levels: tuple[float, ...]
    handling_median_minutes: Mapping[str, float] = field(default_factory=dict)
    handling_sigma: float = 0.5
    source: str = "<policy>"
    human_review: HumanReview | None = None


# -- loading ----------------------------------------------------------------

def _calendar(r, table: dict, where: str) -> Calendar:
    """The calendar of one ``[tiers.X]`` table."""
    kind = r.text(table, "calendar", where, choices=("24x7", "business_hours"))
    if kind == "24x7":
        r.known(table, ("description", "calendar"), where + " (a 24x7 tier)")
        return Calendar("24x7")
    r.known(table, ("description", "calendar", "days", "start", "end", "timezone", "holidays"), where)
    days = r.list_of_text(table, "days", where, choices=WEEKDAYS)
    if len(set(days)) != len(days):
        raise r.fail(where, f"days: a day is listed twice in {days}")
    days = tuple(d for d in WEEKDAYS if d in days)          # week order, whatever the file's order
    start, end = r.clock_time(table, "start", where), r.clock_time(table, "end", where)
    open_hours = (end.hour * 60 + end.minute - start.hour * 60 - start.minute) / 60
    if not 1 <= open_hours <= 23:
        raise r.fail(where, f"business hours {start:%H:%M}-{end:%H:%M} must be at least "
                            "1h long and leave at least 1h closed (use \"24x7\" otherwise)")
    tz = r.text(table, "timezone", where, default="UTC")
    try:
        from zoneinfo import ZoneInfo
        ZoneInfo(tz)
    except Exception:
        raise r.fail(where, f"timezone: unknown time zone {tz!r}") from None
    holidays = []
    for i, d in enumerate(r.list_of_text(table, "holidays", where, default=[], nonempty=False)):
        try:
            holidays.append(date.fromisoformat(d))
        except ValueError:
            raise r.fail(where, f'holidays[{i}]: expected a date like "2026-04-03", got {d!r}') from None
    return Calendar("business_hours", days, start, end, tz, tuple(sorted(set(holidays))))


def load_policy(path: str | Path | None = None) -> Policy:
    """Read the SLA policy (default: the lesson's ``fixtures/sla_policy.toml``).

    Every mistake raises :class:`desklib.policy.PolicyError` (a ``ValueError``) naming the
    file and the key, e.g.
    ``sla_policy.toml: [severity.SEV1]: first_response: a target must be positive, got '0min'``.
    """
    from .policy import PolicyFile
    from .triage import SEVERITIES
    r, raw = PolicyFile.toml(path, "sla_policy.toml")
    r.known(raw, ("severity", "tiers", "escalation", "warnings", "simulation", "human_review"), "")

    tiers = {}
    for name, t in r.table(raw, "tiers", "").items():
        where = f"[tiers.{name}]"
        if not isinstance(t, dict):
            raise r.expected("[tiers]", name, "a table", t)
        description = r.text(t, "description", where, default="", empty=True)
        tiers[name] = Tier(name, _calendar(r, t, where), description)
    if not tiers:
        raise r.fail("[tiers]", "no tiers defined")

    severities = {}
    table = r.table(raw, "severity", "")
    for sev, s in table.items():
        where = f"[severity.{sev}]"
        if sev not in SEVERITIES:
            raise r.fail("[severity]", f"unknown severity {sev!r} (expected {', '.join(SEVERITIES)})")
        if not isinstance(s, dict):
            raise r.expected("[severity]", sev, "a table", s)
        r.known(s, ("description", "tier", "first_response", "resolution"), where)
        tier = r.text(s, "tier", where)
        if tier not in tiers:
            raise r.fail(where, f"tier: unknown tier {tier!r}; tiers are {sorted(tiers)}")
        severities[sev] = SeverityRule(sev, tier, r.duration(s, "first_response", where),
                                       r.duration(s, "resolution", where),
                                       r.text(s, "description", where, default="", empty=True))
    missing = [sev for sev in SEVERITIES if sev not in severities]
    if missing:
        raise r.fail("[severity]", f"no [severity.{missing[0]}] (every severity triage gives needs "
                                   "a tier and targets)")
    severities = {sev: severities[sev] for sev in SEVERITIES}

    escalation = r.table(raw, "escalation", "")
    r.known(escalation, ("path",), "[escalation]")
    path_ = tuple(r.list_of_text(escalation, "path", "[escalation]"))
    unknown = [t for t in path_ if t not in tiers]
    if unknown or len(set(path_)) != len(path_):
        raise r.fail("[escalation]", f"path: must list distinct tiers from {sorted(tiers)}, got {list(path_)}")
    missing = sorted({rule.tier for rule in severities.values()} - set(path_))
    if missing:
        raise r.fail("[escalation]", f"path: tiers {missing} receive tickets but are not on the path")

    warnings = r.table(raw, "warnings", "", required=False)
    r.known(warnings, ("levels",), "[warnings]")
    levels = tuple(r.list_of_numbers(warnings, "levels", "[warnings]", 0.0, 1.0, default=[]))
    if list(levels) != sorted(set(levels)):
        raise r.fail("[warnings]", f"levels: expected increasing fractions between 0 and 1, got {list(levels)}")
    if len({round(x * 100) for x in levels}) != len(levels):
        raise r.fail("[warnings]", f"levels: two levels give the same warning_<percent> name: {list(levels)}")

    sim = r.table(raw, "simulation", "", required=False)
    r.known(sim, ("sigma", "handling_median_minutes"), "[simulation]")
    sigma = r.number(sim, "sigma", "[simulation]", 0.0, 5.0, default=0.5)
    medians_table = r.table(sim, "handling_median_minutes", "[simulation]", required=False)
    r.known(medians_table, SEVERITIES, "[simulation.handling_median_minutes]")
    medians = {k: r.number(medians_table, k, "[simulation.handling_median_minutes]", 0.0, 10_000.0,
                           low_open=True) for k in medians_table}
    review = _human_review(r, r.table(raw, "human_review", ""), path_)
    return Policy(severities, tiers, path_, levels, medians, sigma, r.name, review)


def _human_review(r, table: dict, path_: tuple[str, ...]) -> HumanReview:
    """The ``[human_review]`` table: ``no_rule_matched`` and one ``[human_review.SEVn]`` per severity."""
    from .triage import SEVERITIES
    where = "[human_review]"
    r.known(table, ("description", "no_rule_matched", *SEVERITIES), where)
    description = r.text(table, "description", where, default="", empty=True)
    unread = r.text(table, "no_rule_matched", where, choices=SEVERITIES)
    rules = {}
    for sev in SEVERITIES:
        if sev not in table:
            raise r.fail(where, f"no [human_review.{sev}] (every severity a rule can suggest needs a review target)")
        rule = table[sev]
        if not isinstance(rule, dict):
            raise r.expected(where, sev, "a table", rule)
        at = f"[human_review.{sev}]"
        r.known(rule, ("target", "tier"), at)
        target = r.duration(rule, "target", at)
        tier = r.text(rule, "tier", at)
        if tier not in path_:
            raise r.fail(at, f"tier: expected a tier on the [escalation] path ({', '.join(path_)}), got {tier!r}")
        rules[sev] = ReviewRule(sev, target, tier)
    return HumanReview(rules, unread, description)


# -- the two questions -------------------------------------------------------

def _rule(severity: str, policy: Policy) -> SeverityRule:
    try:
        return policy.severities[severity]
    except KeyError:
        raise ValueError(f"unknown severity {severity!r}; the policy defines "
                         f"{', '.join(sorted(policy.severities))}") from None


def route(severity: str, policy: Policy) -> str:
    """The tier a new ticket of this severity goes to, e.g. ``"SEV1"`` -> ``"L3"``."""
    return _rule(severity, policy).tier


def targets(severity: str, tier: str, policy: Policy) -> Targets:
    """The severity's targets, counted on ``tier``'s calendar.

    The durations come from the severity (a SEV3 always gets 4h to first
    response); the calendar comes from the tier holding the ticket.
    """
    rule = _rule(severity, policy)
    if tier not in policy.tiers:
        raise ValueError(f"unknown tier {tier!r}; the policy defines {', '.join(policy.tiers)}")
    return Targets(severity, tier, rule.first_response, rule.resolution, policy.tiers[tier].calendar)


def review_targets(suggested: str, tier: str, policy: Policy) -> Targets:
    """The review target of a held ticket whose rules suggested ``suggested``, counted on
    ``tier``'s calendar (the ``"review"`` metric of :class:`Targets`)."""
    if policy.human_review is None:
        raise ValueError(f"{policy.source}: no [human_review] table: the human queue has no review targets")
    rule = policy.human_review.rules.get(suggested)
    if rule is None:
        raise ValueError(f"unknown severity {suggested!r}; [human_review] defines "
                         f"{', '.join(sorted(policy.human_review.rules))}")
    if tier not in policy.tiers:
        raise ValueError(f"unknown tier {tier!r}; the policy defines {', '.join(policy.tiers)}")
    base = targets(suggested, tier, policy)
    return Targets(suggested, tier, base.first_response, base.resolution, base.calendar, rule.target)


def severity_map(severities) -> dict[str, str]:
    """Normalise "which ticket has which severity" to a plain ``{id: "SEV3"}`` dict.

    Accepts what the lesson produces: a dict ``{id: "SEV3"}``, a dict of triage
    results (anything with a ``.severity`` attribute), a list of such results
    (with ``.ticket_id`` or ``.id``), or a DataFrame with ``severity`` and an
    ``id``/``ticket_id`` column (or the ids as index).
    """
    def sev(value):
        value = getattr(value, "severity", value)
        if not isinstance(value, str):
            raise ValueError(f"expected a severity like 'SEV3', got {value!r}")
        return value

    if hasattr(severities, "columns"):  # a DataFrame
        frame = severities
        key = next((c for c in ("id", "ticket_id") if c in frame.columns), None)
        ids = frame[key] if key else frame.index
        return {str(i): sev(s) for i, s in zip(ids, frame["severity"])}
    if isinstance(severities, Mapping):
        return {str(k): sev(v) for k, v in severities.items()}
    out: dict[str, str] = {}
    for item in severities:
        tid = getattr(item, "ticket_id", None) or getattr(item, "id", None)
        if tid is None:
            raise ValueError(f"cannot tell which ticket {item!r} is about (no ticket_id/id)")
        out[str(tid)] = sev(item)
    return out
