"""AIOps alert correlation: page on causes, not symptoms.

One database going down trips forty alerts: the database, every service that reads
from it, every front end that calls those services, each of them repeating every
minute. An on-call who gets forty pages works forty symptoms. This module turns the
recorded storm into a handful of *incidents*, each named after the service that most
likely caused it, and each carrying the reason every alert was put there.

It is built like Prometheus Alertmanager's notify path: a chain of small stages, each
with one job and a plain name, run over a recorded alert stream::

    normalize -> dedup -> group -> root_cause -> explain -> hand off
    (sort, UTC)  (repeats) (time + topology) (most upstream) (a reason per alert) (runbook)

* :func:`normalize` sorts the stream by (time, id): recordings arrive out of order.
* :func:`dedup` marks repeats of the same alert (same service, name and labels within
  the window of its previous firing) as duplicates of the first. Nothing is dropped:
  each duplicate keeps a pointer to its original, like Alertmanager's ``inhibitedBy``.
* :func:`group` links two alerts when they fired at most ``window_s`` apart *and* sit
  on the same service or on two services one of which directly depends on the other.
  An incident is a connected chain of such links. Without a topology, time alone
  decides, which is what most alert routers do, and it merges unrelated outages that
  happen to overlap.
* :func:`root_cause` names the alerting service that no other alerting service in the
  incident explains: the most upstream one.
* :func:`explain` gives every alert the reason it joined ("orders depends on pg-main;
  20 s after a01", "duplicate of a01", "first alert of the incident").
* :func:`correlate` runs the chain and hands each incident off as a runbook-ready
  :class:`Incident` (the record the on-call lesson, M31, opens and fixes); the runbook
  key comes from ``fixtures/runbooks.toml``.

Choosing the window
-------------------
``DEFAULT_WINDOW_S = 300`` (5 minutes, also Alertmanager's default ``group_interval``).
The fixture storm (``fixtures/alerts.jsonl``: 40 alerts, 5 true incidents) shows why,
with :func:`window_sweep` over time + topology:

* below 240 s the disk-full incident falls apart: its flapping ``DiskUsageHigh`` fires
  every 4 minutes, so a shorter window neither links its firings nor calls them
  duplicates (180 s: 8 incidents, 120 s: 9, 60 s: 16);
* from 240 s to 1500 s the grouping is exact (5 incidents, pairwise F1 1.0, every root
  cause right, noise reduction 0.875);
* from 1515 s up, the pg-main outage and the redis-sessions incident 25 minutes later
  chain together through ``web -> auth`` and become one (4 incidents).

Any window in the plateau recovers the truth here; 300 s is the smallest round value
that clears the 4-minute flap with a margin, and a short window is the safer choice on
a busier day, when unrelated incidents sit closer together than in this storm.
Time alone, at 300 s, gives 4 incidents: it merges the pg-main outage with the
es-cluster one that overlaps it in time but shares no dependency.

Performance
-----------
The hot path is plain Python over lists of integers and strings (epoch seconds, list
indices): no pandas, no per-alert objects in the inner loop. Grouping is O(n log n)
for n alerts: the sort, then a constant number of dictionary look-ups per alert (see
:func:`group` for why that is enough). Three more habits keep a million alerts
affordable: the dedup memory is pruned to one window of traffic; the reason sentences
are written only when read (``Incident.why``); and Python's cycle collector is paused
while the result is built, because nothing here forms a reference cycle.
``benchmarks/bench_correlate.py`` measures it: on the course machine 100k alerts take
about 0.6 s and 1M about 6 s (growth about 10x for 10x the alerts). pandas is imported
only inside the helpers that return DataFrames.
"""
from __future__ import annotations

import gc
import re
import tomllib
from collections import Counter, defaultdict
from collections.abc import Mapping as MappingABC
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from graphlib import CycleError, TopologicalSorter
from itertools import compress, islice
from operator import gt
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from .records import Alert, isoz

__all__ = [
    "DEFAULT_WINDOW_S", "DEFAULT_SWEEP", "SEVERITIES",
    "Incident", "Correlation", "Runbooks",
    "parse_window", "normalize", "dedup", "neighbours", "group", "root_cause", "upstream_order", "explain",
    "load_runbooks", "correlate", "to_json",
    "evaluate", "baselines", "window_sweep", "incidents_frame", "alerts_frame",
]

#: Two alerts further apart than this (seconds) are never linked. See "Choosing the window".
DEFAULT_WINDOW_S = 300
#: The windows :func:`window_sweep` tries when none are given.
DEFAULT_SWEEP = (30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 3600)
#: Worst first: an incident's severity is its worst alert's.
SEVERITIES = ("critical", "warning", "info")

UTC = timezone.utc

# How an alert is linked to an earlier one. The order is the order of preference when an
# alert could join through several links: a dependency explains a symptom best.
DEPENDS_ON, SAME_SERVICE, DEPENDED_ON, TIME_ONLY = range(4)


# ----------------------------------------------------------------------------- windows

_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_window(value: str | int) -> int:
    """A window as seconds: ``"300"``, ``"300s"``, ``"5m"``, ``"1h"``, ``"1m30s"`` or an int.

    >>> parse_window("5m"), parse_window("300s"), parse_window("1h"), parse_window(90)
    (300, 300, 3600, 90)
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"window {value}: must be 0 or more seconds")
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit():
            return int(text)
        match = _DURATION.fullmatch(text)
        if text and match and any(match.groups()):
            hours, minutes, seconds = (int(g or 0) for g in match.groups())
            return hours * 3600 + minutes * 60 + seconds
    raise ValueError(f"window {value!r}: expected seconds or a duration such as "
                     "'300', '300s', '5m', '1h' or '1m30s'")


# ----------------------------------------------------------------------------- stage 1: normalize

def normalize(alerts: Iterable[Alert]) -> list[Alert]:
    """Stage 1: the alerts in time order (ties by id), every timestamp in UTC.

    Recorded streams arrive out of order (a slow exporter, a retried webhook), and
    every later stage assumes time order. Sorting by (time, id) rather than by arrival
    makes the result independent of the order the input came in.
    """
    return _ordered(alerts)[0]


def _ordered(alerts: Iterable[Alert]) -> tuple[list[Alert], list[int]]:
    """(alerts sorted by (ts, id), their integer epoch seconds)."""
    alerts = list(alerts)
    if not all(a.ts.tzinfo is UTC for a in alerts):
        alerts = [_in_utc(a) for a in alerts]
    stamps = [a.ts.timestamp() for a in alerts]
    ids = [a.id for a in alerts]
    if len(set(ids)) != len(ids):
        dup = next(aid for aid, count in Counter(ids).items() if count > 1)
        raise ValueError(f"alert id {dup!r} appears more than once; ids must be unique")
    keys = list(zip(stamps, ids))
    if any(map(gt, keys, islice(keys, 1, None))):     # anything out of order? (usually a little)
        order = sorted(range(len(keys)), key=keys.__getitem__)
        alerts = [alerts[i] for i in order]
        stamps = [stamps[i] for i in order]
    return alerts, [int(t) for t in stamps]


def _in_utc(a: Alert) -> Alert:
    if a.ts.tzinfo is None or a.ts.utcoffset() is None:
        raise ValueError(f"alert {a.id!r}: ts {a.ts.isoformat()} has no UTC offset")
    return replace(a, ts=a.ts.astimezone(UTC))


# ----------------------------------------------------------------------------- stage 2: dedup

def dedup(alerts: Iterable[Alert], window_s: int | str = DEFAULT_WINDOW_S) -> dict[str, str]:
    """Stage 2: ``{duplicate id: id of the first firing}`` for repeats of the same alert.

    Two alerts are the same alert when service, name and labels are equal (Alertmanager's
    fingerprint is a hash of exactly that label set). A repeat within ``window_s`` of
    the *previous* firing is a duplicate of the first one; a long silence starts a new
    original. Duplicates are not dropped: they stay in their incident and are counted.
    """
    ordered, ts = _ordered(alerts)
    first = _first_firings(ordered, ts, parse_window(window_s))
    return {ordered[j].id: ordered[f].id for j, f in enumerate(first) if f != j}


def _first_firings(ordered: Sequence[Alert], ts: Sequence[int], window: int) -> list[int]:
    """For each alert (by index) the index of the first firing it repeats (itself if none).

    ``latest`` remembers each alert identity's latest firing. Identities silent for
    longer than the window can never match again, so the dict is pruned whenever it
    doubles in size: it stays as small as one window of traffic (fast look-ups), and
    each prune is paid for by the inserts that doubled it.
    """
    first = list(range(len(ordered)))
    latest: dict[tuple, int] = {}     # alert identity -> index of its latest firing
    latest_get = latest.get
    prune_at = 4096
    for j, a in enumerate(ordered):
        key = (a.service, a.name, *sorted(a.labels.items()))
        prev = latest_get(key)
        if prev is not None and ts[j] - ts[prev] <= window:
            first[j] = first[prev]
        latest[key] = j
        if len(latest) >= prune_at:
            oldest = ts[j] - window
            latest = {k: i for k, i in latest.items() if ts[i] >= oldest}
            latest_get = latest.get
            prune_at = max(4096, 2 * len(latest))
    return first


# ----------------------------------------------------------------------------- stage 3: group

def neighbours(topology: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    """Undirected neighbour sets: a service's dependencies and its dependants.

    >>> sorted(neighbours({"web": ["orders"], "orders": ["pg-main"]})["orders"])
    ['pg-main', 'web']
    """
    out: dict[str, set[str]] = defaultdict(set)
    for service, deps in topology.items():
        out[service]
        for dep in deps:
            if dep != service:
                out[service].add(dep)
                out[dep].add(service)
    return {s: frozenset(n) for s, n in out.items()}


def _link_table(topology: Mapping[str, Sequence[str]], services: Iterable[str]) -> dict:
    """service -> ((service it may link to, kind of link), ...), best explanation first.

    Computed once per run from the topology: the inner loop of :func:`_link` only
    looks services up in it.
    """
    near = neighbours(topology)
    table = {}
    for s in services:
        deps = {d for d in topology.get(s, ()) if d != s}
        others = near.get(s, frozenset())
        table[s] = (tuple((d, DEPENDS_ON) for d in sorted(deps))
                    + ((s, SAME_SERVICE),)
                    + tuple((u, DEPENDED_ON) for u in sorted(others - deps)))
    return table


def group(alerts: Iterable[Alert], topology: Mapping[str, Sequence[str]] | None = None,
          window_s: int | str = DEFAULT_WINDOW_S) -> list[list[Alert]]:
    """Stage 3: the alerts as incidents (lists in time order), incidents ordered by start.

    Two alerts are *linked* when they fired at most ``window_s`` apart and their
    services are the same or one directly depends on the other (``topology=None``:
    time alone decides). Incidents are the connected chains of links, found with a
    union-find.

    Checking every pair of alerts would cost O(n^2). After sorting it is enough to link
    each alert only to the **most recent** earlier alert of its own service and of each
    neighbour service. Why that loses no link:

        Claim: if alerts i < j (in time order) satisfy the link rule, they end up in
        the same incident. Induction on j. i's service is j's own or a neighbour, so
        j looks it up; let k be the most recent alert before j on that service. Then
        i <= k < j and t_j - t_k <= t_j - t_i <= window: j is linked to k directly.
        If k = i we are done. Otherwise i and k share a service and
        t_k - t_i <= t_j - t_i <= window, so (i, k) satisfies the rule too, with
        k < j: by induction i and k are already in one incident, and so is j.

    So each alert costs one look-up per neighbour service plus a union-find step
    (O(log n) amortised at worst, about constant in practice), and the whole stage is
    O(n log n).
    """
    ordered, ts = _ordered(alerts)
    roots, _, _ = _run_links(ordered, ts, topology, parse_window(window_s))
    members: dict[int, list[Alert]] = defaultdict(list)
    for a, r in zip(ordered, roots):
        members[r].append(a)
    return list(members.values())


def _run_links(ordered, ts, topology, window):
    """Build the link table and run :func:`_link`; returns (roots, how, joined)."""
    if topology is None:
        homes = [None] * len(ordered)   # one pseudo-service: every alert neighbours every other
        table = {None: ((None, TIME_ONLY),)}
    else:
        homes = [a.service for a in ordered]
        table = _link_table(topology, set(homes))
    parent, how, joined = _link(ts, homes, table, window)
    return _flatten(parent), how, joined


def _link(ts: Sequence[int], homes: Sequence, table: Mapping, window: int):
    """The hot loop. Alerts are list indices 0..n-1 in time order.

    Returns ``parent`` (a union-find forest), ``how[j] = (kind, k)`` for the first link
    that joined alert j to an earlier alert k (None if it had none), and ``joined``:
    ``{opener: j}`` for an alert that opened a chain of its own which a later alert j
    then linked into an older chain. The root of every chain is its earliest alert
    (the lower index), so an incident's root is also its first alert.
    """
    parent = list(range(len(ts)))
    how: list = [None] * len(ts)
    joined: dict[int, int] = {}
    last: dict = {}               # service -> index of its most recent alert
    last_get = last.get
    for j, t in enumerate(ts):
        oldest = t - window
        home = homes[j]
        rj = -1                   # root of the chain j has joined so far
        for other, kind in table[home]:
            k = last_get(other)
            if k is None or ts[k] < oldest:
                continue
            r = k                 # find k's root, halving the path on the way
            while parent[r] != r:
                parent[r] = parent[parent[r]]
                r = parent[r]
            if rj < 0:            # j's first link: that is the reason it joined
                rj = parent[j] = r
                how[j] = (kind, k)
            elif r != rj:         # j bridges two chains: the later root joins the earlier
                if r < rj:
                    r, rj = rj, r
                parent[r] = rj
                joined[r] = j
        last[home] = j
    return parent, how, joined


def _flatten(parent: list[int]) -> list[int]:
    """Union-find forest -> each alert's root, in one pass (a parent always precedes its child)."""
    for j, p in enumerate(parent):
        if p != j:
            parent[j] = parent[p]
    return parent


# ----------------------------------------------------------------------------- stage 4: root cause

def root_cause(incident: Sequence[Alert], topology: Mapping[str, Sequence[str]] | None = None) -> str:
    """Stage 4: the alerting service that no alerting dependency explains.

    Among the services alerting in the incident, keep those none of whose dependencies
    is also alerting: the most upstream ones. (Following dependencies from any alerting
    service through alerting services always ends at one of them.) If several remain,
    the one that alerted first wins, then the alphabetically first, so the answer never
    depends on input order. Without a topology every service is a candidate and the
    first to alert wins. If a dependency cycle leaves no candidate, all are candidates.

    >>> from desklib.records import parse_alerts
    >>> storm = parse_alerts([(1, {"id": "x1", "ts": "2026-03-02T02:00:30Z", "service": "web",
    ...     "name": "HTTP5xxRate", "severity": "critical"}), (2, {"id": "x2",
    ...     "ts": "2026-03-02T02:01:00Z", "service": "pg-main", "name": "PostgresDown",
    ...     "severity": "critical"})])
    >>> root_cause(storm, {"web": ["pg-main"]}), root_cause(storm)
    ('pg-main', 'web')
    """
    ordered, ts = _ordered(incident)
    if not ordered:
        raise ValueError("an incident needs at least one alert")
    services = [a.service for a in ordered]
    deps = None if topology is None else _dependency_sets(topology)
    return _root_service(dict.fromkeys(services), range(len(ordered)), services, ts, deps)


def _dependency_sets(topology: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    return {s: frozenset(d for d in deps if d != s) for s, deps in topology.items()}


_NONE: frozenset[str] = frozenset()


def _root_service(alerting: Mapping[str, None], idx: Sequence[int], services: Sequence[str],
                  ts: Sequence[int], deps: Mapping[str, frozenset[str]] | None) -> str:
    """Most upstream of the ``alerting`` services (in order of first alert) of alerts ``idx``."""
    if len(alerting) == 1:
        return next(iter(alerting))
    candidates = list(alerting)
    if deps is not None:
        candidates = [s for s in alerting if deps.get(s, _NONE).isdisjoint(alerting)] or candidates
    if len(candidates) == 1:
        return candidates[0]
    first_ts: dict[str, int] = {}      # a tie: compare first alert times, then names
    for j in idx:
        first_ts.setdefault(services[j], ts[j])
    return min(candidates, key=lambda s: (first_ts[s], s))


def upstream_order(topology: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """``{service: rank}``, dependencies before the services that depend on them.

    graphlib's topological sort of the whole topology, computed once per run; an
    incident lists its services in this order, which reads like the path the failure
    took. Services are fed in name order so the ranks depend only on the topology's
    content. A topology with a cycle has no such order: ``CycleError`` names the cycle.
    """
    sorter = TopologicalSorter({s: sorted(topology[s]) for s in sorted(topology)})
    return {s: rank for rank, s in enumerate(sorter.static_order())}


# ----------------------------------------------------------------------------- stage 5: explain

def explain(alerts: Iterable[Alert], topology: Mapping[str, Sequence[str]] | None = None,
            window_s: int | str = DEFAULT_WINDOW_S) -> dict[str, str]:
    """Stage 5: ``{alert id: why it is in its incident}``, for every alert.

    The reason is the link that brought the alert in, in order of preference:
    a duplicate, a dependency ("orders depends on pg-main; 20 s after a01"), the same
    service ("same service as a05; 40 s after"), a dependant, or time alone. The
    first alert of an incident says so.
    """
    correlation = correlate(alerts, topology, window_s, runbooks=_NO_RUNBOOKS)
    return {aid: why for inc in correlation.incidents for aid, why in inc.why.items()}


def _reasons(ordered, ts, first, roots, how, joined) -> Callable[[int], str]:
    """A function: alert index -> the sentence that explains why it joined."""
    ids = [a.id for a in ordered]

    def reason(j: int) -> str:
        f = first[j]
        if f != j:
            return f"duplicate of {ids[f]}"
        link = how[j]
        if link is None:
            if roots[j] == j:
                return "first alert of the incident"
            later = joined[j]
            return (f"opened a chain of its own; {ids[later]} linked it to the incident "
                    f"{ts[later] - ts[j]} s later")
        kind, k = link
        gap = ts[j] - ts[k]
        here, there = ordered[j].service, ordered[k].service
        if kind == DEPENDS_ON:
            return f"{here} depends on {there}; {gap} s after {ids[k]}"
        if kind == SAME_SERVICE:
            return f"same service as {ids[k]}; {gap} s after"
        if kind == DEPENDED_ON:
            return f"{there} depends on {here}; {gap} s after {ids[k]}"
        return f"{gap} s after {ids[k]} (time window only)"

    return reason


class _Why(MappingABC):
    """``{alert id: reason}`` for one incident; each sentence is written when it is read.

    Reads like a dict (``why["a04"]``, ``for aid in why``, ``== {...}``); ``dict(why)``
    makes a real one (``json.dumps`` needs that). A million-alert replay does not pay
    for a million sentences nobody reads.
    """
    __slots__ = ("_ids", "_idx", "_reason", "_where")

    def __init__(self, ids: Sequence[str], idx: Sequence[int], reason: Callable[[int], str]):
        self._ids, self._idx, self._reason, self._where = ids, idx, reason, None

    def __getitem__(self, alert_id: str) -> str:
        if self._where is None:
            self._where = {self._ids[j]: j for j in self._idx}
        return self._reason(self._where[alert_id])

    def __iter__(self) -> Iterator[str]:
        return map(self._ids.__getitem__, self._idx)

    def __len__(self) -> int:
        return len(self._idx)

    def __repr__(self) -> str:
        return repr(dict(self))


# ----------------------------------------------------------------------------- stage 6: hand off

@dataclass(frozen=True)
class Runbooks:
    """Runbook keys, looked up by root alert name, then root-cause service, then default."""
    default: str | None = None
    by_alert: Mapping[str, str] = field(default_factory=dict, hash=False)
    by_service: Mapping[str, str] = field(default_factory=dict, hash=False)

    def key_for(self, alert_name: str, service: str) -> str | None:
        """The runbook for an incident whose root alert is ``alert_name`` on ``service``."""
        return self.by_alert.get(alert_name) or self.by_service.get(service) or self.default


_NO_RUNBOOKS = Runbooks()
_runbook_cache: dict[tuple[str, int], Runbooks] = {}


def load_runbooks(path: str | Path | None = None) -> Runbooks:
    """Read ``runbooks.toml`` (default: the lesson's ``fixtures/runbooks.toml``).

    The file is re-read when it changes, so a learner can edit it and re-run a cell.
    """
    if path is None:
        from .data import fixture
        path = fixture("runbooks.toml")
    path = Path(path)
    stamp = (str(path.resolve()), path.stat().st_mtime_ns)
    if stamp not in _runbook_cache:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
        for table in ("alerts", "services"):
            entries = doc.get(table, {})
            if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
                raise ValueError(f"{path.name}: [{table}] must be a table of name = \"runbook key\"")
        if not isinstance(doc.get("default", ""), str):
            raise ValueError(f"{path.name}: default must be a runbook key (text)")
        _runbook_cache[stamp] = Runbooks(default=doc.get("default"),
                                         by_alert=dict(doc.get("alerts", {})),
                                         by_service=dict(doc.get("services", {})))
    return _runbook_cache[stamp]


@dataclass(frozen=True, slots=True)
class Incident:
    """One correlated incident, ready for the on-call runbook (M31).

    ``alert_ids`` holds every alert of the incident in time order, duplicates included;
    ``why`` says for each of them why it is here.
    """
    id: str                        # INC-1, INC-2, ... in order of start
    root_cause: str                # the most upstream alerting service
    root_alert: str                # name of the root cause's first alert, e.g. PostgresDown
    root_alert_id: str
    services: tuple[str, ...]      # alerting services, root first, then in order of first alert
    symptoms: tuple[tuple[str, str], ...]   # (service, alert name) of every other kind of alert
    start: datetime
    end: datetime
    severity: str                  # the worst alert's
    runbook: str | None
    alert_ids: tuple[str, ...]
    duplicates: int                # how many of alert_ids are repeats
    why: Mapping[str, str] = field(hash=False)

    @property
    def pages(self) -> int:
        """Alerts that would have paged someone without correlation."""
        return len(self.alert_ids)


@dataclass(frozen=True, slots=True)
class Correlation:
    """The result of :func:`correlate`: incidents plus the parameters that produced them."""
    incidents: tuple[Incident, ...]
    alerts: tuple[Alert, ...]      # the normalized stream, time order
    window_s: int
    topology_used: bool
    duplicate_of: Mapping[str, str] = field(hash=False)

    @property
    def noise_reduction(self) -> float:
        """1 - incidents / alerts: the share of pages correlation saved."""
        return 1 - len(self.incidents) / len(self.alerts) if self.alerts else 0.0

    @property
    def params(self) -> dict:
        """The knobs behind this result, to print next to it."""
        return {"window_s": self.window_s,
                "dedup": "same service + name + labels within the window of the previous firing",
                "link": ("gap <= window and same service or a direct dependency" if self.topology_used
                         else "gap <= window (time only, no topology)")}


def correlate(alerts: Iterable[Alert], topology: Mapping[str, Sequence[str]] | None = None,
              window_s: int | str = DEFAULT_WINDOW_S, *, runbooks: Runbooks | None = None) -> Correlation:
    """Run the whole chain: normalize -> dedup -> group -> root cause -> explain -> hand off.

    ``topology`` maps a service to the services it depends on (``load_topology``);
    ``None`` groups by time alone. ``runbooks`` defaults to ``fixtures/runbooks.toml``.
    """
    window = parse_window(window_s)
    if runbooks is None:
        runbooks = load_runbooks()
    with _gc_paused():
        ordered, ts = _ordered(alerts)
        first = _first_firings(ordered, ts, window)
        roots, how, joined = _run_links(ordered, ts, topology, window)
        reason = _reasons(ordered, ts, first, roots, how, joined)
        return _assemble(ordered, ts, roots, first, reason, topology, runbooks, window)


@contextmanager
def _gc_paused():
    """Pause Python's cycle collector while we build millions of small objects.

    Nothing built here forms a reference cycle, so reference counting frees it all;
    the cycle collector would only re-scan every alert again and again as the heap
    grows (on a million alerts that doubled the run time).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def _assemble(ordered, ts, roots, first, reason, topology, runbooks, window) -> Correlation:
    """Partition (each alert's root index) -> Correlation with hand-off records.

    Per-alert columns are built once; per incident the work is mostly ``map`` and
    ``dict.fromkeys`` over index lists, which run at C speed.
    """
    ids = [a.id for a in ordered]
    services = [a.service for a in ordered]
    names = [a.name for a in ordered]
    severity_rank, unknown = _SEVERITY_RANK.get, len(SEVERITIES)
    worst_of = [severity_rank(a.severity, unknown) for a in ordered]
    repeat = [f != j for j, f in enumerate(first)]
    deps = rank = None
    if topology is not None:
        deps = _dependency_sets(topology)
        try:
            rank = upstream_order(topology)
        except CycleError:
            rank = None        # no dependency order: services stay in order of first alert
    members: dict[int, list[int]] = defaultdict(list)
    for j, r in enumerate(roots):      # roots come in time order, so incidents do too
        members[r].append(j)

    incidents = []
    for number, idx in enumerate(members.values(), start=1):
        if len(idx) == 1:              # a lone alert (most noise): it is its own cause
            root_j = idx[0]
            cause, others, symptoms = services[root_j], (), ()
            severity, duplicates = ordered[root_j].severity, 0
        else:
            of_idx = list(map(services.__getitem__, idx))
            alerting = dict.fromkeys(of_idx)                      # in order of first alert
            cause = _root_service(alerting, idx, services, ts, deps)
            root_j = idx[of_idx.index(cause)]
            del alerting[cause]
            others = list(alerting)
            if rank and len(others) > 1:
                others.sort(key=lambda s: rank.get(s, len(rank)))   # stable: ties keep alert order
            kinds = dict.fromkeys(zip(of_idx, map(names.__getitem__, idx)))
            del kinds[cause, names[root_j]]
            symptoms = tuple(kinds)
            worst = min(map(worst_of.__getitem__, idx))
            severity = SEVERITIES[worst] if worst < len(SEVERITIES) else ordered[root_j].severity
            duplicates = sum(map(repeat.__getitem__, idx))
        incidents.append(Incident(
            id=f"INC-{number}", root_cause=cause, root_alert=names[root_j], root_alert_id=ids[root_j],
            services=(cause, *others), symptoms=symptoms,
            start=ordered[idx[0]].ts, end=ordered[idx[-1]].ts,      # idx is in time order
            severity=severity, runbook=runbooks.key_for(names[root_j], cause),
            alert_ids=tuple(map(ids.__getitem__, idx)), duplicates=duplicates,
            why=_Why(ids, idx, reason)))
    duplicate_of = {ids[j]: ids[first[j]] for j in compress(range(len(first)), repeat)}
    return Correlation(incidents=tuple(incidents), alerts=tuple(ordered), window_s=window,
                       topology_used=topology is not None, duplicate_of=duplicate_of)


def to_json(correlation: Correlation, evaluation: Mapping | None = None) -> dict:
    """The command line's JSON: window, alert count, incidents, noise reduction [, evaluation]."""
    out = {
        "window_s": correlation.window_s,
        "alerts": len(correlation.alerts),
        "incidents": [{"id": inc.id, "root_cause": inc.root_cause, "alert_ids": list(inc.alert_ids),
                       "services": list(inc.services), "start": isoz(inc.start), "end": isoz(inc.end),
                       "severity": inc.severity, "runbook": inc.runbook, "why": dict(inc.why)}
                      for inc in correlation.incidents],
        "noise_reduction": round(correlation.noise_reduction, 4),
    }
    if evaluation is not None:
        out["evaluation"] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in evaluation.items()}
    return out


# ----------------------------------------------------------------------------- evaluation

def evaluate(correlation: Correlation, truth: Mapping[str, tuple[str, str]]) -> dict:
    """Score incidents against the truth ``{alert id: (true incident, root-cause service)}``.

    * pairwise precision: of the alert pairs put in one incident, the share that truly
      belong together; recall: of the pairs that belong together, the share put together.
      Pairs are counted from a contingency table (a group of c alerts holds c(c-1)/2
      pairs), not by looping over all pairs. With no pair predicted (one page per
      alert), precision is 1.0: nothing was wrongly merged.
    * root-cause accuracy: for each true incident, take the predicted incident holding
      most of its alerts (ties: the earlier one); it is right if it names the true cause.
    """
    predicted = {aid: inc.id for inc in correlation.incidents for aid in inc.alert_ids}
    missing, extra = truth.keys() - predicted.keys(), predicted.keys() - truth.keys()
    if missing or extra:
        raise ValueError(f"truth and alerts disagree: {len(missing)} ids only in the truth "
                         f"{sorted(missing)[:3]}, {len(extra)} only in the alerts {sorted(extra)[:3]}")
    true_root: dict[str, str] = {}
    for aid, (incident, cause) in truth.items():
        if true_root.setdefault(incident, cause) != cause:
            raise ValueError(f"truth: incident {incident!r} has two root causes "
                             f"({true_root[incident]!r}, {cause!r})")
    cells = Counter((predicted[aid], incident) for aid, (incident, _) in truth.items())
    pairs = lambda counts: sum(c * (c - 1) // 2 for c in counts)   # noqa: E731
    together = pairs(cells.values())
    predicted_pairs = pairs(Counter(predicted.values()).values())
    true_pairs = pairs(Counter(incident for incident, _ in truth.values()).values())
    precision = together / predicted_pairs if predicted_pairs else 1.0
    recall = together / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    order = {inc.id: i for i, inc in enumerate(correlation.incidents)}
    named = {inc.id: inc.root_cause for inc in correlation.incidents}
    best: dict[str, tuple[tuple[int, int], str]] = {}
    for (pred, incident), count in cells.items():
        score = (count, -order[pred])
        if incident not in best or score > best[incident][0]:
            best[incident] = (score, pred)
    right = sum(named[pred] == true_root[incident] for incident, (_, pred) in best.items())
    return {"alerts": len(truth), "incidents": len(correlation.incidents), "true_incidents": len(true_root),
            "precision": precision, "recall": recall, "f1": f1,
            "root_cause_accuracy": right / len(true_root) if true_root else 1.0,
            "noise_reduction": correlation.noise_reduction}


def _by_label(alerts: Iterable[Alert], label: str, window: int) -> Correlation:
    """Alertmanager-style ``group_by: [label]``: one group per label value, whatever the time."""
    ordered, ts = _ordered(alerts)
    value = (lambda a: a.service) if label == "service" else (
        (lambda a: a.name) if label == "alertname" else (lambda a: a.labels.get(label, "")))
    firsts: dict[str, int] = {}
    roots = [firsts.setdefault(value(a), j) for j, a in enumerate(ordered)]
    first = _first_firings(ordered, ts, window)

    def reason(j: int) -> str:
        return (f"first alert with {label}={value(ordered[j])!r}" if roots[j] == j
                else f"same {label} as {ordered[roots[j]].id}")
    return _assemble(ordered, ts, roots, first, reason, None, _NO_RUNBOOKS, window)


def _one_page_each(alerts: Iterable[Alert], window: int) -> Correlation:
    ordered, ts = _ordered(alerts)
    return _assemble(ordered, ts, list(range(len(ordered))), list(range(len(ordered))),
                     lambda j: "its own page", None, _NO_RUNBOOKS, window)


def baselines(alerts: Iterable[Alert], topology: Mapping[str, Sequence[str]] | None,
              truth: Mapping[str, tuple[str, str]], window_s: int | str = DEFAULT_WINDOW_S):
    """DataFrame: the same storm grouped five ways, scored against the truth.

    one page per alert (no correlation) | Alertmanager ``group_by: [service]`` |
    ``group_by: [alertname]`` | time window only | time window + topology.
    Methods that do not know the topology also name root causes without it
    (the first service to alert).
    """
    import pandas as pd
    alerts = list(alerts)
    window = parse_window(window_s)
    runs = [
        ("one page per alert", _one_page_each(alerts, window)),
        ("group_by: [service]", _by_label(alerts, "service", window)),
        ("group_by: [alertname]", _by_label(alerts, "alertname", window)),
        (f"time window only ({window} s)", correlate(alerts, None, window, runbooks=_NO_RUNBOOKS)),
        (f"time + topology ({window} s)", correlate(alerts, topology, window, runbooks=_NO_RUNBOOKS)),
    ]
    rows = []
    for method, corr in runs:
        score = evaluate(corr, truth)
        rows.append({"method": method, "incidents": score["incidents"],
                     "true_incidents": score["true_incidents"], "precision": score["precision"],
                     "recall": score["recall"], "f1": score["f1"],
                     "root_cause_accuracy": score["root_cause_accuracy"],
                     "noise_reduction": score["noise_reduction"]})
    return pd.DataFrame(rows)


def window_sweep(alerts: Iterable[Alert], topology: Mapping[str, Sequence[str]] | None,
                 truth: Mapping[str, tuple[str, str]], windows: Iterable[int | str] = DEFAULT_SWEEP):
    """DataFrame: one row per window with incidents, pairwise precision/recall/F1,
    noise reduction and root-cause accuracy. Shows a progress bar (``tqdm.auto``)."""
    import pandas as pd
    from tqdm.auto import tqdm
    alerts = list(alerts)
    rows = []
    for w in tqdm(list(windows), desc="window sweep", unit="window", leave=False):
        window = parse_window(w)
        score = evaluate(correlate(alerts, topology, window, runbooks=_NO_RUNBOOKS), truth)
        rows.append({"window_s": window, "incidents": score["incidents"],
                     "precision": score["precision"], "recall": score["recall"], "f1": score["f1"],
                     "noise_reduction": score["noise_reduction"],
                     "root_cause_accuracy": score["root_cause_accuracy"]})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- frames for the notebook

def incidents_frame(correlation: Correlation):
    """DataFrame: one row per incident (the hand-off records)."""
    import pandas as pd
    rows = [{"id": inc.id, "root_cause": inc.root_cause, "root_alert": inc.root_alert,
             "severity": inc.severity, "start": inc.start, "end": inc.end,
             "alerts": len(inc.alert_ids), "duplicates": inc.duplicates,
             "services": ", ".join(inc.services), "symptoms": "; ".join(f"{s}: {n}" for s, n in inc.symptoms),
             "runbook": inc.runbook} for inc in correlation.incidents]
    columns = ["id", "root_cause", "root_alert", "severity", "start", "end", "alerts",
               "duplicates", "services", "symptoms", "runbook"]
    frame = pd.DataFrame(rows, columns=columns)
    for col in ("start", "end"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def alerts_frame(correlation: Correlation):
    """DataFrame: one row per alert in time order, with its incident, duplicate_of and why."""
    import pandas as pd
    incident_of, why = {}, {}
    for inc in correlation.incidents:
        for aid in inc.alert_ids:
            incident_of[aid] = inc.id
        why.update(inc.why)
    rows = [{"id": a.id, "ts": a.ts, "service": a.service, "name": a.name, "severity": a.severity,
             "incident": incident_of[a.id], "duplicate_of": correlation.duplicate_of.get(a.id),
             "why": why[a.id]} for a in correlation.alerts]
    columns = ["id", "ts", "service", "name", "severity", "incident", "duplicate_of", "why"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame
