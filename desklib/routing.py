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

import tomllib
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from typing import Mapping

__all__ = ["Calendar", "Tier", "SeverityRule", "Targets", "Policy",
           "load_policy", "route", "targets", "severity_map", "METRICS", "WEEKDAYS"]

#: The two things an SLA measures, in the order the desk meets them.
METRICS = ("first_response", "resolution")
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

    def for_metric(self, metric: str) -> timedelta:
        """The target of one metric: ``"first_response"`` or ``"resolution"``."""
        if metric not in METRICS:
            raise ValueError(f"unknown SLA metric {metric!r}; expected one of {METRICS}")
        return getattr(self, metric)


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


# -- loading ----------------------------------------------------------------

def _default_path() -> Path:
    try:
        from .data import fixture
        return fixture("sla_policy.toml")
    except ImportError:  # desklib.data not there: use the fixtures folder beside the package
        return Path(__file__).resolve().parents[1] / "fixtures" / "sla_policy.toml"


class _Reader:
    """Small helpers that turn a bad value into an error naming the file and key."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, problem: str) -> ValueError:
        return ValueError(f"{self.source}: {key}: {problem}")

    def duration(self, table: dict, key: str, where: str) -> timedelta:
        import pandas as pd  # only needed to parse "15min"-style text
        raw = table.get(key)
        if not isinstance(raw, str):
            raise self.fail(f"{where}.{key}", f"expected a duration like \"4h\", got {raw!r}")
        try:
            value = pd.Timedelta(raw).to_pytimedelta()
        except ValueError as exc:
            raise self.fail(f"{where}.{key}", f"cannot read duration {raw!r} ({exc})") from None
        if value <= timedelta(0):
            raise self.fail(f"{where}.{key}", f"a target must be positive, got {raw!r}")
        return value

    def clock_time(self, table: dict, key: str, where: str) -> time:
        raw = table.get(key)
        try:
            return time.fromisoformat(raw)
        except (TypeError, ValueError):
            raise self.fail(f"{where}.{key}", f"expected a time like \"08:00\", got {raw!r}") from None

    def calendar(self, table: dict, where: str) -> Calendar:
        kind = table.get("calendar")
        if kind == "24x7":
            return Calendar("24x7")
        if kind != "business_hours":
            raise self.fail(f"{where}.calendar", f"expected \"24x7\" or \"business_hours\", got {kind!r}")
        days = tuple(table.get("days", ()))
        bad = [d for d in days if d not in WEEKDAYS]
        if not days or bad:
            raise self.fail(f"{where}.days", f"expected day names from {WEEKDAYS}, got {list(days)!r}")
        start, end = self.clock_time(table, "start", where), self.clock_time(table, "end", where)
        open_hours = (end.hour * 60 + end.minute - start.hour * 60 - start.minute) / 60
        if not 1 <= open_hours <= 23:
            raise self.fail(f"{where}", f"business hours {start:%H:%M}-{end:%H:%M} must be at least "
                                        "1h long and leave at least 1h closed (use \"24x7\" otherwise)")
        tz = table.get("timezone", "UTC")
        try:
            from zoneinfo import ZoneInfo
            ZoneInfo(tz)
        except Exception:
            raise self.fail(f"{where}.timezone", f"unknown time zone {tz!r}") from None
        try:
            holidays = tuple(sorted(date.fromisoformat(d) for d in table.get("holidays", ())))
        except (TypeError, ValueError):
            raise self.fail(f"{where}.holidays", "expected dates like \"2026-04-03\"") from None
        return Calendar("business_hours", days, start, end, tz, holidays)


def load_policy(path: str | Path | None = None) -> Policy:
    """Read the SLA policy (default: the lesson's ``fixtures/sla_policy.toml``).

    Every mistake raises ``ValueError`` naming the file and the key, e.g.
    ``sla_policy.toml: severity.SEV1.first_response: a target must be positive, got '0min'``.
    """
    path = Path(path) if path is not None else _default_path()
    r = _Reader(path.name)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise r.fail("toml", str(exc)) from None

    tiers = {name: Tier(name, r.calendar(t, f"tiers.{name}"), t.get("description", ""))
             for name, t in raw.get("tiers", {}).items()}
    if not tiers:
        raise r.fail("tiers", "no tiers defined")

    severities = {}
    for sev, s in raw.get("severity", {}).items():
        if s.get("tier") not in tiers:
            raise r.fail(f"severity.{sev}.tier", f"unknown tier {s.get('tier')!r}; tiers are {sorted(tiers)}")
        severities[sev] = SeverityRule(sev, s["tier"],
                                       r.duration(s, "first_response", f"severity.{sev}"),
                                       r.duration(s, "resolution", f"severity.{sev}"),
                                       s.get("description", ""))
    if not severities:
        raise r.fail("severity", "no severities defined")

    path_ = tuple(raw.get("escalation", {}).get("path", ()))
    unknown = [t for t in path_ if t not in tiers]
    if unknown or len(set(path_)) != len(path_):
        raise r.fail("escalation.path", f"must list distinct tiers from {sorted(tiers)}, got {list(path_)}")
    missing = sorted({rule.tier for rule in severities.values()} - set(path_))
    if missing:
        raise r.fail("escalation.path", f"tiers {missing} receive tickets but are not on the path")

    levels = tuple(float(x) for x in raw.get("warnings", {}).get("levels", ()))
    if any(not 0 < x < 1 for x in levels) or list(levels) != sorted(set(levels)):
        raise r.fail("warnings.levels", f"expected increasing fractions between 0 and 1, got {list(levels)}")

    sim = raw.get("simulation", {})
    medians = {k: float(v) for k, v in sim.get("handling_median_minutes", {}).items()}
    return Policy(severities, tiers, path_, levels, medians, float(sim.get("sigma", 0.5)), path.name)


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
