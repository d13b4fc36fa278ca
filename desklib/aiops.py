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
The stages compute on columns, not on alert objects. One pass over the alerts per
field turns them into numpy arrays (epoch seconds; services, names and labels as
integer codes); the rest is array arithmetic: stable sorts for the time order and for
dedup, one batch of binary searches for all the "most recent alert on that service"
look-ups of :func:`group`, a union-find run on arrays (:func:`_components`), and root
causes, service lists and symptoms of all incidents at once (:func:`_assemble`).
Grouping stays O(n log n). Laziness does the rest: labels are read only for alerts
that could be repeats; the :class:`Incident` records are made when first read (all at
once when you loop over them, only those you index when you index: the window explorer
shows 25 of 20,000), and their reason sentences only when read (``Incident.why``);
Python's cycle collector is paused while the result is built. Trying many windows on
one storm? :func:`prepare` sorts and reads it once, and the "most recent alert on each
neighbouring service" look-ups, which do not depend on the window, are kept with it.
``make bench`` measures all of it (``benchmarks/run.py``). numpy is imported inside the
functions that use it, so ``import desklib.aiops`` stays light; pandas only inside the
helpers that return DataFrames.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict, deque
from collections.abc import Mapping as MappingABC
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from functools import cached_property
from graphlib import CycleError, TopologicalSorter
from itertools import count, repeat
from operator import attrgetter, floordiv, is_, methodcaller, ne, sub
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Mapping, Sequence

from ._gc import paused as _gc_paused
from .records import Alert, isoz

if TYPE_CHECKING:                  # numpy is imported inside the functions that use it
    import numpy as np

__all__ = [
    "DEFAULT_WINDOW_S", "DEFAULT_SWEEP", "SEVERITIES",
    "Incident", "Incidents", "Correlation", "Runbooks",
    "parse_window", "normalize", "dedup", "neighbours", "group", "root_cause", "upstream_order", "explain",
    "load_runbooks", "prepare", "PreparedAlerts", "correlate", "to_json",
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
    return _ordered(alerts).alerts


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_US = timedelta(microseconds=1)
_US_PER_S = 1_000_000


def _seconds(us: int) -> str:
    """A gap in microseconds as seconds: ``"240"``, or ``"0.5"`` when it is not whole."""
    whole, rest = divmod(us, _US_PER_S)
    return str(whole) if not rest else f"{whole}.{rest:06d}".rstrip("0")


_TS, _ID, _SERVICE, _NAME, _SEVERITY, _LABELS = map(
    attrgetter, ("ts", "id", "service", "name", "severity", "labels"))
_TZINFO, _ITEMS = attrgetter("ts.tzinfo"), methodcaller("items")
_STATUS, _ENDS_AT, _RUNBOOK_URL = attrgetter("status"), attrgetter("ends_at"), attrgetter("runbook_url")


class _Stream:
    """The normalized alerts and the columns of them that the later stages read.

    ``alerts`` are in time order (ties by id), ``us`` holds their times as integer
    microseconds since 1970-01-01 UTC (a numpy int64 array: exact for every year from 1
    to 9999, so gaps compare exactly with a window) and ``ids`` their ids. The other columns are built on first use, in
    one pass over the alerts each, as integer codes: ``services`` is ``(names, codes)``
    with ``names[codes[j]]`` alert j's service (codes follow name order, so comparing
    codes compares names), likewise ``names`` for alert names. The stages compute on
    these arrays, not on the alert objects: that is what makes a million alerts cheap.
    """

    def __init__(self, alerts: list[Alert], us: np.ndarray, ids: list[str]):
        self.alerts, self.us, self.ids = alerts, us, ids

    def __len__(self) -> int:
        return len(self.alerts)

    @property
    def ts(self) -> np.ndarray:
        """Whole epoch seconds (rounded down), for drawing; the stages compare ``us``."""
        return self.us // _US_PER_S

    @cached_property
    def services(self) -> tuple[list[str], np.ndarray]:
        return _factorize(map(_SERVICE, self.alerts), len(self), in_order=True)

    @cached_property
    def names(self) -> tuple[list[str], np.ndarray]:
        return _factorize(map(_NAME, self.alerts), len(self))

    @cached_property
    def kinds(self) -> np.ndarray:
        """(service, alert name) as one integer per alert."""
        return _pair(self.services[1], self.names[1])

    @cached_property
    def by_kind(self) -> np.ndarray:
        """The alert indices sorted by kind, then time."""
        import numpy as np
        return np.argsort(self.kinds, kind="stable")

    @cached_property
    def labels(self) -> np.ndarray:
        """Each alert's label set as an integer (equal sets, equal codes)."""
        return _label_codes(self.alerts)

    @cached_property
    def ended(self) -> np.ndarray | None:
        """Each alert's end as integer microseconds: -1 while firing, -2 resolved at an unknown
        time; ``None`` when every alert still fires (the usual storm: nothing more to read)."""
        import numpy as np
        statuses = list(map(_STATUS, self.alerts))
        if statuses.count("firing") == len(statuses):
            return None
        ended = np.fromiter(map(ne, statuses, repeat("firing")), bool, len(statuses))
        ends = np.full(len(statuses), -1, np.int64)
        at = np.flatnonzero(ended)
        times = list(map(_ENDS_AT, map(self.alerts.__getitem__, at.tolist())))   # the resolved ones only
        ends[at] = [-2 if end is None else (end - _EPOCH) // _ONE_US for end in times]
        return ends

    @cached_property
    def severity_ranks(self) -> np.ndarray:
        """Each alert's place in :data:`SEVERITIES` (worst 0; unknown severities last)."""
        import numpy as np
        rank, unknown = _SEVERITY_RANK.get, len(SEVERITIES)
        return np.fromiter(map(rank, map(_SEVERITY, self.alerts), repeat(unknown)), np.int8, len(self))


#: What :func:`prepare` returns: the sorted alerts with their fields as arrays.
PreparedAlerts = _Stream


def prepare(alerts: Iterable[Alert] | "PreparedAlerts") -> "PreparedAlerts":
    """Do once what every window shares: sort the alerts (:func:`normalize`) and read
    every field the stages use into arrays.

    Pass the result to :func:`correlate` or :func:`window_sweep` in place of the alerts
    when you try many windows on the same storm (the window explorer does): each run
    then starts from the arrays. The result is the same as from the alerts themselves.
    """
    if isinstance(alerts, _Stream):
        return alerts
    stream = _ordered(alerts)
    for column in ("services", "names", "kinds", "by_kind", "labels", "severity_ranks"):
        getattr(stream, column)
    stream.__dict__["_links"] = {}                # keep the window-free link look-ups too
    return stream


def _ordered(alerts: Iterable[Alert]) -> _Stream:
    """The alerts sorted by (ts, id) as a :class:`_Stream`."""
    import numpy as np
    alerts = list(alerts)
    if not all(map(is_, map(_TZINFO, alerts), repeat(UTC))):
        alerts = [_in_utc(a) for a in alerts]
    # exact integer microseconds since the epoch ((ts - epoch) // 1 µs, in C through map):
    # a float timestamp would drift after about 2100 and misorder alerts
    stamps = np.fromiter(map(floordiv, map(sub, map(_TS, alerts), repeat(_EPOCH)), repeat(_ONE_US)),
                         np.int64, len(alerts))
    ids = list(map(_ID, alerts))
    if len(set(ids)) != len(ids):
        dup = next(aid for aid, count in Counter(ids).items() if count > 1)
        raise ValueError(f"alert id {dup!r} appears more than once; ids must be unique")
    order = _time_order(stamps, ids)
    if order is not None:          # out of order (usually a little): rearrange
        alerts = list(map(alerts.__getitem__, order.tolist()))
        ids = list(map(ids.__getitem__, order.tolist()))
        stamps = stamps[order]
    return _Stream(alerts, stamps, ids)


def _time_order(stamps: np.ndarray, ids: list[str]) -> np.ndarray | None:
    """The indices that sort the alerts by (stamp, id); None if they are sorted already."""
    import numpy as np
    order = np.argsort(stamps, kind="stable")
    ordered = stamps[order]
    tied = ordered[1:] == ordered[:-1]
    if tied.any():                 # alerts of the same instant: sort each such run by id
        at = np.flatnonzero(np.r_[tied, False] | np.r_[False, tied])   # places in a run of ties
        run = np.cumsum(np.r_[True, ordered[at[1:]] != ordered[at[:-1]]]).tolist()
        who = order[at].tolist()
        by_id = sorted(range(len(who)), key=lambda i: (run[i], ids[who[i]]))
        order[at] = [who[i] for i in by_id]
    if (order == np.arange(len(order))).all():
        return None
    return order


def _in_utc(a: Alert) -> Alert:
    if a.ts.tzinfo is None or a.ts.utcoffset() is None:
        raise ValueError(f"alert {a.id!r}: ts {a.ts.isoformat()} has no UTC offset")
    return replace(a, ts=a.ts.astimezone(UTC))


def _factorize(values: Iterable, n: int, in_order: bool = False) -> tuple[list, np.ndarray]:
    """``(distinct, codes)``: the ``n`` values' distinct values and each value's index in them.

    ``distinct`` is in order of first appearance, or sorted if ``in_order``. One dict
    look-up per value (``dict.setdefault`` driven by ``map``, so the loop runs in C).
    """
    import numpy as np
    seen: dict = {}
    at = np.fromiter(map(seen.setdefault, values, count()), np.int64, n)  # where each value first appeared
    distinct = sorted(seen) if in_order else list(seen)
    code = np.zeros(max(n, 1), np.int64)
    code[np.fromiter(map(seen.__getitem__, distinct), np.int64, len(distinct))] = np.arange(len(distinct))
    return distinct, code[at]


def _pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One integer for each (a, b) pair of two columns of codes (integers >= 0)."""
    import numpy as np
    if not len(a):
        return a
    width = int(b.max()) + 1
    if int(a.max()) >= (2 ** 63 - 1) // width:   # the product could overflow: renumber a first
        a = np.unique(a, return_inverse=True)[1].reshape(-1)
    return a * width + b


def _first_of_each(key: np.ndarray) -> np.ndarray:
    """The positions where each distinct value of ``key`` first occurs, in increasing order."""
    import numpy as np
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    head = np.ones(len(key), bool)
    head[1:] = sorted_key[1:] != sorted_key[:-1]
    return np.sort(order[head])


# ----------------------------------------------------------------------------- stage 2: dedup

def dedup(alerts: Iterable[Alert], window_s: int | str = DEFAULT_WINDOW_S) -> dict[str, str]:
    """Stage 2: ``{duplicate id: id of the first firing}`` for repeats of the same alert.

    Two alerts are the same alert when service, name and labels are equal (Alertmanager's
    fingerprint is a hash of exactly that label set). A repeat within ``window_s`` of
    the *previous* firing is a duplicate of the first one; a long silence starts a new
    original. Duplicates are not dropped: they stay in their incident and are counted.
    """
    stream = _ordered(alerts)
    first = _first_firings(stream, parse_window(window_s))
    ids = stream.ids
    return {ids[j]: ids[f] for j, f in enumerate(first.tolist()) if f != j}


def _first_firings(stream: _Stream, window: int) -> np.ndarray:
    """For each alert (by index) the index of the first firing it repeats (itself if none).

    Only an alert with a firing of the same service and name less than a window away
    can repeat or be repeated, so only those (under half of a storm) have their labels
    read. Each of them gets its identity (service, name, labels) as one integer; a
    stable sort by identity lines up every identity's firings in time order; a firing
    opens a new run when it is its identity's first or comes more than ``window`` after
    the one before, and every firing of a run repeats the run's first.
    """
    import numpy as np
    n, ts, kinds = len(stream), stream.us, stream.kinds
    window = window * _US_PER_S                  # compared exactly, in microseconds
    first = np.arange(n)
    by_kind = stream.by_kind
    close = (kinds[by_kind[1:]] == kinds[by_kind[:-1]]) & (ts[by_kind[1:]] - ts[by_kind[:-1]] <= window)
    maybe = np.zeros(n, bool)
    maybe[by_kind[1:][close]] = maybe[by_kind[:-1][close]] = True
    some = np.flatnonzero(maybe)
    labels = (stream.__dict__["labels"][some] if "labels" in stream.__dict__     # prepared: read already
              else _label_codes(list(map(stream.alerts.__getitem__, some.tolist()))))
    identity = _pair(kinds[some], labels)
    order = np.argsort(identity, kind="stable")
    by_identity, same = some[order], identity[order]
    t = ts[by_identity]
    opens = np.ones(len(some), bool)
    opens[1:] = (same[1:] != same[:-1]) | (t[1:] - t[:-1] > window)
    first[by_identity] = by_identity[np.maximum.accumulate(np.where(opens, np.arange(len(some)), 0))]
    return first


def _label_codes(alerts: Sequence[Alert]) -> np.ndarray:
    """Each alert's labels as an integer; equal label sets get equal codes whatever their order.

    The labels are read as written (cheap), and only the distinct ones are then sorted.
    """
    written, code = _factorize(map(tuple, map(_ITEMS, map(_LABELS, alerts))), len(alerts))
    _, canonical = _factorize([tuple(sorted(items)) for items in written], len(written))
    return canonical[code]


# ----------------------------------------------------------------------------- stage 3: group

def neighbours(topology: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    """Undirected neighbour sets: a service's dependencies and its dependants.

    >>> sorted(neighbours({"web": ["orders"], "orders": ["pg-main"]})["orders"])
    ['pg-main', 'web']
    """
    topology = _checked_topology(topology)
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


def _topology_key(topology: Mapping[str, Sequence[str]]) -> tuple:
    """The topology's content as a value: what a cached table was made from (0.2 ms for
    2,000 services, so a topology edited in place is noticed at every run)."""
    return tuple((s, tuple(deps)) for s, deps in topology.items())


def _topology_tables(stream: _Stream, topology: Mapping[str, Sequence[str]]) -> dict:
    """What the stages read from the topology for this stream's services, made once per
    stream and topology: ``rows`` (each alerting service's link table, as service codes
    and link kinds), ``deps`` (each alerting service's alerting dependencies, as codes)
    and ``upstream`` (:func:`upstream_order`, or the ``CycleError`` it raised).

    A prepared stream is correlated again and again (one window after another); the
    tables are kept on it next to a copy of the topology, and made again if the
    topology given differs from that copy in any way.
    """
    snapshot = _topology_key(topology)
    cached = stream.__dict__.get("_topology")
    if cached is not None and cached[0] == snapshot:
        return cached[1]
    names = stream.services[0]
    code = {s: i for i, s in enumerate(names)}
    table = _link_table(topology, names)
    dependencies = _dependency_sets(topology)
    try:
        upstream = upstream_order(topology)
    except CycleError as exc:
        upstream = exc
    tables = {"rows": [[(code[o], kind) for o, kind in table[s] if o in code] for s in names],
              "deps": [[code[d] for d in dependencies.get(s, ()) if d in code] for s in names],
              "upstream": upstream}
    stream.__dict__["_topology"] = (snapshot, tables)
    return tables


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

    So each alert costs one look-up per neighbour service plus a union-find step, and
    the whole stage is O(n log n). :func:`_link` is that loop written out in plain
    Python; :func:`_run_links` does the same look-ups for all alerts at once with numpy.
    """
    topology = _checked_topology(topology)
    stream = _ordered(alerts)
    roots, _, _ = _run_links(stream, topology, parse_window(window_s))
    members: dict[int, list[Alert]] = defaultdict(list)
    for a, r in zip(stream.alerts, roots.tolist()):
        members[r].append(a)
    return list(members.values())


def _run_links(stream: _Stream, topology: Mapping[str, Sequence[str]] | None, window: int):
    """:func:`_link` for every alert at once: ``(roots, how_kind, how_k)`` as arrays.

    ``roots[j]`` is the earliest alert of j's incident; ``how_kind[j]``/``how_k[j]`` the
    kind of the first (most preferred) link that joined alert j to an earlier alert, and
    that alert (kind -1: no link).

    Every look-up "most recent alert on service o before alert j" is one binary search
    in the alerts sorted by (service, index); an alert's reason is its valid link that
    comes first in its service's row of the link table.
    """
    import numpy as np
    n, ts = len(stream), stream.us
    j, k, entry_rank, entry_kind = _candidate_links(stream, topology)
    close = ts[j] - ts[k] <= window * _US_PER_S                                  # the only step the window is in
    j, k, rank, kinds = j[close], k[close], entry_rank[close], entry_kind[close]
    best = np.full(n, np.iinfo(np.int64).max, np.int64)              # each alert's first valid link
    np.minimum.at(best, j, rank)
    first = rank == best[j]
    how_kind = np.full(n, -1, np.int8)
    how_kind[j[first]] = kinds[first]
    how_k = np.zeros(n, np.int64)
    how_k[j[first]] = k[first]
    return _components(n, j, k), how_kind, how_k


def _candidate_links(stream: _Stream, topology: Mapping[str, Sequence[str]] | None):
    """Every link an alert could make, whatever the window: ``(j, k, rank, kind)`` arrays,
    one entry per alert j and entry of its service's link table whose service has an
    alert k before j (the most recent one); ``rank`` is the entry's place in the row
    (lower explains better) and ``kind`` its link kind. :func:`_run_links` keeps those
    at most a window apart. A prepared stream keeps them (for the last topology used),
    so it pays for the binary searches once, not once per window; a one-off run does
    not hold on to them.
    """
    import numpy as np
    key = None if topology is None else _topology_key(topology)
    cache = stream.__dict__.get("_links")        # only a prepared stream keeps them
    if cache is not None and key in cache:
        return cache[key]
    n = len(stream)
    if topology is None:           # one pseudo-service: every alert neighbours every other
        homes = np.zeros(n, np.int64)
        rows = [[(0, TIME_ONLY)]]
    else:
        homes = stream.services[1]
        rows = _topology_tables(stream, topology)["rows"]           # services with alerts
    lengths = np.array([len(r) for r in rows], np.int64)
    other = np.array([o for r in rows for o, _ in r], np.int64)      # the table, flat: entry e
    kinds = np.array([k for r in rows for _, k in r], np.int8)       # links to service other[e]
    rank = np.arange(len(other)) - np.repeat(np.cumsum(lengths) - lengths, lengths)  # its place in its row
    owner = np.repeat(np.arange(len(rows)), lengths)                  # the service whose row it is
    by_home = np.argsort(homes, kind="stable")                        # alerts by service, then time
    alerts_on = np.bincount(homes, minlength=len(rows))
    home_start = np.cumsum(alerts_on) - alerts_on
    # one query per (alert j, entry e of its service's row), grouped by entry: in each group j
    # ascends, so the binary searches below walk the sorted keys mostly forwards (10x faster)
    sizes = alerts_on[owner]
    entry = np.repeat(np.arange(len(other)), sizes)
    j = by_home[np.arange(len(entry)) + np.repeat(home_start[owner] - (np.cumsum(sizes) - sizes), sizes)]
    o = other[entry]
    keys = homes[by_home] * n + by_home                               # sorted: service, then time
    at = np.searchsorted(keys, o * n + j) - 1                         # the last key before (o, j)
    k = keys[at] - o * n                                              # an alert on o if 0 <= k
    ok = (at >= 0) & (k >= 0)
    j, k, entry = j[ok], k[ok], entry[ok]
    found = (j, k, rank[entry], kinds[entry])
    if cache is not None:
        cache.clear()              # one topology at a time: the arrays are as long as the storm
        cache[key] = found
    return found


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Union-find over arrays: for each of ``n`` nodes the smallest node linked to it.

    Each round hooks every root that has a link to another tree under the smaller
    of the two roots, then points every node straight at its root again (pointer
    jumping). Links already inside one tree are dropped; a few rounds finish.
    """
    import numpy as np
    root = np.arange(n)
    while len(a):
        ra, rb = root[a], root[b]
        apart = ra != rb
        a, b, ra, rb = a[apart], b[apart], ra[apart], rb[apart]
        if not len(a):
            break
        np.minimum.at(root, np.maximum(ra, rb), np.minimum(ra, rb))
        while True:
            up = root[root]
            if np.array_equal(up, root):
                break
            root = up
    return root


def _link(ts: Sequence[int], homes: Sequence, table: Mapping, window: int):
    """The link loop in plain Python, one alert after another (alerts are list indices
    0..n-1 in time order). :func:`_run_links` computes the same links for all alerts at
    once; this loop is still used to replay one incident when its reasons are read.

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
    topology = _checked_topology(topology)
    import numpy as np
    stream = _ordered(incident)
    if not len(stream):
        raise ValueError("an incident needs at least one alert")
    names, services = stream.services
    members, one = np.arange(len(stream)), np.zeros(len(stream), np.int64)
    alerting = _first_of_each(services)
    cause = _root_causes(stream, members, one, alerting, topology)
    return names[services[alerting[cause[0]]]]


def _dependency_sets(topology: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    return {s: frozenset(d for d in deps if d != s) for s, deps in topology.items()}


def _root_causes(stream: _Stream, members: np.ndarray, incident: np.ndarray, alerting: np.ndarray,
                 topology: Mapping[str, Sequence[str]] | None) -> np.ndarray:
    """:func:`root_cause` for every incident at once.

    ``members`` lists alert indices grouped by incident, ``incident[p]`` numbers the
    incident of ``members[p]`` (0, 1, ...), and ``alerting`` holds the positions of
    each incident's first alert on each of its services. Returns, for each incident,
    the index into ``alerting`` of its root cause.
    """
    import numpy as np
    names, services = stream.services
    inc = incident[alerting]
    svc = services[members[alerting]]
    candidate = np.ones(len(alerting), bool)
    if topology is not None:       # drop services with an alerting dependency in their incident
        rows = _topology_tables(stream, topology)["deps"]
        lengths = np.array([len(r) for r in rows], np.int64)
        flat = np.array([d for r in rows for d in r], np.int64)
        per_pair = lengths[svc]
        first_query = np.cumsum(per_pair) - per_pair
        entry = np.arange(per_pair.sum()) + np.repeat((np.cumsum(lengths) - lengths)[svc] - first_query,
                                                      per_pair)
        asked = np.repeat(inc, per_pair) * len(names) + flat[entry]    # (incident, dependency)
        present = np.sort(inc * len(names) + svc)                       # (incident, alerting service)
        found = present[np.minimum(np.searchsorted(present, asked), len(present) - 1)] == asked
        candidate = np.bincount(np.repeat(np.arange(len(svc)), per_pair), found, len(svc)) == 0
        candidate |= (np.bincount(inc, candidate, incident[-1] + 1) == 0)[inc]   # a cycle: all are
    pick = np.flatnonzero(candidate)
    pick = pick[np.lexsort((svc[pick], stream.us[members[alerting[pick]]], inc[pick]))]
    head = np.ones(len(pick), bool)          # per incident: earliest first alert, then name
    head[1:] = inc[pick[1:]] != inc[pick[:-1]]
    return pick[head]


def upstream_order(topology: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """``{service: rank}``, dependencies before the services that depend on them.

    graphlib's topological sort of the whole topology, computed once per run; an
    incident lists its services in this order, which reads like the path the failure
    took. Services are fed in name order so the ranks depend only on the topology's
    content. A topology with a cycle has no such order: ``CycleError`` names the cycle.
    """
    topology = _checked_topology(topology)
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


def _reasons(stream: _Stream, first: np.ndarray, roots: np.ndarray, how_kind: np.ndarray,
             how_k: np.ndarray, topology: Mapping[str, Sequence[str]] | None,
             window: int) -> Callable[[int], str]:
    """A function: alert index -> the sentence that explains why it joined.

    An alert that opened a chain of its own names the later alert that linked that
    chain into an older one. Only the union-find knows which one, so the first time
    such a sentence is read, :func:`_link` replays that one incident (the links of an
    incident's alerts never leave it, so the replay sees exactly what the full run saw).
    """
    import numpy as np
    alerts, ids, ts = stream.alerts, stream.ids, stream.us
    joined: dict[int, int] = {}    # opener -> the alert that linked its chain to an older one
    replay: dict = {}              # what replaying needs, made on first use

    def joined_at(j: int) -> int:
        if j not in joined:
            if not replay:
                replay["order"] = order = np.argsort(roots, kind="stable")
                replay["roots"] = roots[order]
                replay["table"] = ({None: ((None, TIME_ONLY),)} if topology is None
                                   else _link_table(topology, stream.services[0]))
            r = roots[j]
            lo, hi = np.searchsorted(replay["roots"], [r, r + 1])
            idx = replay["order"][lo:hi].tolist()
            homes = [None] * len(idx) if topology is None else [alerts[i].service for i in idx]
            _, _, found = _link(ts[idx].tolist(), homes, replay["table"], window * _US_PER_S)
            joined.update((idx[a], idx[b]) for a, b in found.items())
        return joined[j]

    def reason(j: int) -> str:
        f = int(first[j])
        if f != j:
            return f"duplicate of {ids[f]}"
        kind = int(how_kind[j])
        if kind < 0:
            if roots[j] == j:
                return "first alert of the incident"
            later = joined_at(j)
            return (f"opened a chain of its own; {ids[later]} linked it to the incident "
                    f"{_seconds(int(ts[later] - ts[j]))} s later")
        k = int(how_k[j])
        gap = _seconds(int(ts[j] - ts[k]))
        here, there = alerts[j].service, alerts[k].service
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
    for a million sentences nobody reads. The incident's alerts are
    ``members[start:stop]`` (indices into ``ids``).
    """
    __slots__ = ("_ids", "_members", "_start", "_stop", "_reason", "_where")

    def __init__(self, ids: Sequence[str], members: Sequence[int], start: int, stop: int,
                 reason: Callable[[int], str]):
        self._ids, self._members, self._start, self._stop = ids, members, start, stop
        self._reason, self._where = reason, None

    def _idx(self) -> list[int]:
        return self._members[self._start:self._stop].tolist()

    def __getitem__(self, alert_id: str) -> str:
        if self._where is None:
            self._where = {self._ids[j]: j for j in self._idx()}
        return self._reason(self._where[alert_id])

    def __iter__(self) -> Iterator[str]:
        return map(self._ids.__getitem__, self._idx())

    def __len__(self) -> int:
        return self._stop - self._start

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
    A missing file or a malformed value raises :class:`desklib.policy.PolicyError` naming
    the file and the key (``runbooks.toml: default: expected text, got 5``).
    """
    from .policy import PolicyFile, describe, policy_path
    path = policy_path(path, "runbooks.toml")
    try:
        stamp = (str(path.resolve()), path.stat().st_mtime_ns)
    except OSError:
        stamp = None
    if stamp is None or stamp not in _runbook_cache:
        r, doc = PolicyFile.toml(path, "runbooks.toml")
        default = r.text(doc, "default", "", default=None) if "default" in doc else None
        tables = {}
        for name in ("alerts", "services"):
            entries = doc.get(name, {})
            if not isinstance(entries, dict):
                got = ("[[" + name + "]] (an array of tables)" if isinstance(entries, list) and entries
                       and all(isinstance(e, dict) for e in entries) else describe(entries))
                raise r.fail(f"[{name}]", f'expected a table of name = "runbook key", got {got}')
            tables[name] = {key: r.text(entries, key, f"[{name}]") for key in entries}
        r.known(doc, ("default", "alerts", "services"), "")
        runbooks = Runbooks(default=default, by_alert=tables["alerts"], by_service=tables["services"])
        if stamp is None:
            return runbooks
        _runbook_cache[stamp] = runbooks
    return _runbook_cache[stamp]


def _checked_topology(topology):
    """``topology`` as checked plain data (:func:`desklib.policy.check_topology`), or None."""
    if topology is None:
        return None
    from .policy import check_topology
    return check_topology(topology, "topology")


@dataclass(frozen=True, slots=True)
class Incident:
    """One correlated incident, ready for the on-call runbook (M31).

    ``alert_ids`` holds every alert of the incident in time order, duplicates included;
    ``why`` says for each of them why it is here. ``firing`` and ``ended_at`` follow
    :func:`desklib.alertmap.incident_status`; ``runbook`` is the root alert's
    ``runbook_url`` when it has one, else the key from ``runbooks.toml``.
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
    firing: bool = True            # does any of its alerts still fire?
    ended_at: datetime | None = None   # when the last alert was resolved; None while firing or unknown

    @property
    def pages(self) -> int:
        """Alerts that would have paged someone without correlation."""
        return len(self.alert_ids)


@dataclass(frozen=True, slots=True)
class Correlation:
    """The result of :func:`correlate`: incidents plus the parameters that produced them."""
    incidents: Incidents           # a tuple-like sequence of Incident records
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

    ``alerts`` are :class:`~desklib.records.Alert` records in any order, or what
    :func:`prepare` made of them. ``topology`` maps a service to the services it
    depends on (``load_topology``); ``None`` groups by time alone. ``runbooks``
    defaults to ``fixtures/runbooks.toml``.
    """
    window = parse_window(window_s)
    topology = _checked_topology(topology)
    if runbooks is None:
        runbooks = load_runbooks()
    with _gc_paused():
        stream = alerts if isinstance(alerts, _Stream) else _ordered(alerts)
        first = _first_firings(stream, window)
        roots, how_kind, how_k = _run_links(stream, topology, window)
        reason = _reasons(stream, first, roots, how_kind, how_k, topology, window)
        return _assemble(stream, roots, first, reason, topology, runbooks, window)


_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def _assemble(stream: _Stream, roots: np.ndarray, first: np.ndarray, reason: Callable[[int], str],
              topology: Mapping[str, Sequence[str]] | None, runbooks: Runbooks, window: int) -> Correlation:
    """Partition (each alert's root index) -> Correlation with hand-off records.

    Every field of every incident is computed for all incidents at once, as array
    operations over the alerts grouped by incident (:class:`_IncidentTable`); the
    records themselves are made when they are first read, in bulk
    (:class:`Incidents`).
    """
    import numpy as np
    ids, n = stream.ids, len(stream)
    id_array = np.array(ids, object)
    repeat_of = first != np.arange(n)
    duplicate_of = dict(zip(id_array[repeat_of].tolist(), id_array[first[repeat_of]].tolist()))
    table = _IncidentTable(stream, roots, repeat_of, id_array, reason, topology, runbooks) if n else None
    return Correlation(incidents=Incidents(table), alerts=tuple(stream.alerts), window_s=window,
                       topology_used=topology is not None, duplicate_of=duplicate_of)


class _IncidentTable:
    """The incidents of one run as columns (numpy arrays over the alerts grouped by
    incident); :meth:`records` turns a range of them into :class:`Incident` objects.

    ``members`` lists alert indices incident by incident (each in time order);
    incident i is ``members[starts[i]:stops[i]]``; ``incident_of[j]`` numbers alert j's
    incident; ``root_j`` holds each incident's root-cause alert.
    """

    def __init__(self, stream: _Stream, roots: np.ndarray, repeat_of: np.ndarray, id_array: np.ndarray,
                 reason: Callable[[int], str], topology: Mapping[str, Sequence[str]] | None,
                 runbooks: Runbooks):
        import numpy as np
        self.stream, self.reason, self.runbooks, self.id_array = stream, reason, runbooks, id_array
        self.repeat_of = repeat_of                                   # is alert j a duplicate?
        n = len(stream)
        # the alerts grouped by incident (roots come in time order, so incidents do too)
        self.members = members = np.argsort(roots, kind="stable")
        self.starts = starts = np.flatnonzero(np.r_[True, roots[members[1:]] != roots[members[:-1]]])
        self.stops = np.r_[starts[1:], n]
        m = len(starts)
        incident = np.repeat(np.arange(m), self.stops - starts)      # of each position in members
        self.incident_of = np.empty(n, np.int64)
        self.incident_of[members] = incident

        # stage 4: each incident's root cause, then its other services, most upstream first
        service_names, services = stream.services
        alerting = _first_of_each(_pair(services[members], incident))   # first alert of each service
        cause = _root_causes(stream, members, incident, alerting, topology)
        self.root_j = members[alerting[cause]]
        rank = None
        if topology is not None:
            rank = _topology_tables(stream, topology)["upstream"]
            if isinstance(rank, CycleError):
                rank = None        # no dependency order: services stay in order of first alert
        upstream = np.array([rank.get(s, len(rank)) for s in service_names] if rank else [0] * len(service_names))
        not_cause = np.ones(len(alerting), bool)
        not_cause[cause] = False
        svc = services[members[alerting]]
        listed = np.lexsort((alerting, upstream[svc], not_cause, incident[alerting]))
        self.service_codes = svc[listed]
        self.service_bounds = np.r_[0, np.cumsum(np.bincount(incident[alerting], minlength=m))]

        # every other (service, alert name) of the incident, in order of first alert
        kinds = _first_of_each(_pair(stream.kinds[members], incident))
        kinds = kinds[~np.isin(kinds, alerting[cause])]
        self.symptom_j = members[kinds]
        self.symptom_bounds = np.r_[0, np.cumsum(np.bincount(incident[kinds], minlength=m))]

        self.worst = np.minimum.reduceat(stream.severity_ranks[members], starts)
        self.duplicates = np.add.reduceat(repeat_of[members], starts)

        # still firing? (any member firing); when it ended (the last end; -2: unknown)
        ended = stream.ended
        if ended is None:
            self.firing, self.ended_us = np.ones(m, bool), None
        else:
            ends = ended[members]
            self.firing = np.logical_or.reduceat(ends == -1, starts)
            unknown = np.logical_or.reduceat(ends == -2, starts)
            self.ended_us = np.where(self.firing | unknown, -1, np.maximum.reduceat(ends, starts))

    def __len__(self) -> int:
        return len(self.starts)

    def root_causes(self) -> list[str]:
        """The root-cause service of every incident, in order."""
        names, services = self.stream.services
        return list(map(names.__getitem__, services[self.root_j].tolist()))

    def records(self, lo: int, hi: int) -> list[Incident]:
        """Incidents ``lo .. hi-1`` as records, every field made for all of them at once."""
        with _gc_paused():         # millions of small tuples, no cycles among them
            return self._records(lo, hi)

    def _records(self, lo: int, hi: int) -> list[Incident]:
        import numpy as np
        stream = self.stream
        alerts, ids = stream.alerts, stream.ids
        service_names, services = stream.services
        alert_names, codes = stream.names
        starts, stops, members = self.starts[lo:hi], self.stops[lo:hi], self.members
        root_j = self.root_j[lo:hi]
        root_list = root_j.tolist()
        root_cause = list(map(service_names.__getitem__, services[root_j].tolist()))
        root_alert = list(map(alert_names.__getitem__, codes[root_j].tolist()))
        runbook = {pair: self.runbooks.key_for(*pair) for pair in set(zip(root_alert, root_cause))}
        runbook_column = list(map(runbook.__getitem__, zip(root_alert, root_cause)))
        own = list(map(_RUNBOOK_URL, map(alerts.__getitem__, root_list)))   # the root alert's annotation first
        if any(own):
            runbook_column = [url or key for url, key in zip(own, runbook_column)]
        if self.ended_us is None:
            firing, ended_at = repeat(True), repeat(None)
        else:
            firing = self.firing[lo:hi].tolist()
            ended_at = [None if us < 0 else _EPOCH + timedelta(microseconds=us)
                        for us in self.ended_us[lo:hi].tolist()]

        sb, yb = self.service_bounds, self.symptom_bounds
        service_column = _cut(list(map(service_names.__getitem__,
                                       self.service_codes[sb[lo]:sb[hi]].tolist())), sb[lo:hi + 1] - sb[lo])
        # one (service, name) tuple per distinct kind, shared by every incident that lists it
        symptom_j = self.symptom_j[yb[lo]:yb[hi]]
        distinct, which = np.unique(stream.kinds[symptom_j], return_index=True, return_inverse=True)[1:]
        pairs = [(service_names[services[j]], alert_names[codes[j]]) for j in symptom_j[distinct].tolist()]
        symptoms = list(map(pairs.__getitem__, which.reshape(-1).tolist()))
        symptom_column = _cut(symptoms, yb[lo:hi + 1] - yb[lo])

        unknown, worst = len(SEVERITIES), self.worst[lo:hi].tolist()
        first_position, last_position = (int(starts[0]), int(stops[-1])) if hi > lo else (0, 0)
        alert_ids = self.id_array[members[first_position:last_position]].tolist()
        bounds = np.r_[starts, last_position] - first_position
        columns = {
            "id": [f"INC-{number}" for number in range(lo + 1, hi + 1)],
            "root_cause": root_cause,
            "root_alert": root_alert,
            "root_alert_id": list(map(ids.__getitem__, root_list)),
            "services": service_column,
            "symptoms": symptom_column,
            "start": list(map(_TS, map(alerts.__getitem__, members[starts].tolist()))),
            "end": list(map(_TS, map(alerts.__getitem__, members[stops - 1].tolist()))),
            "severity": [SEVERITIES[w] if w < unknown else alerts[j].severity
                         for w, j in zip(worst, root_list)] if worst and max(worst) >= unknown
                        else list(map(SEVERITIES.__getitem__, worst)),
            "runbook": runbook_column,
            "alert_ids": _cut(alert_ids, bounds),
            "duplicates": self.duplicates[lo:hi].tolist(),
            "why": _records(_Why, hi - lo, {"_ids": repeat(ids), "_members": repeat(members),
                                            "_start": starts.tolist(), "_stop": stops.tolist(),
                                            "_reason": repeat(self.reason), "_where": repeat(None)}),
            "firing": firing,
            "ended_at": ended_at,
        }
        return _records(Incident, hi - lo, columns)


class Incidents(SequenceABC):
    """The incidents of a :class:`Correlation`: a read-only sequence, like a tuple.

    ``len`` and the numbers (noise reduction, the explorer's counts) come from the
    columns at once; the :class:`Incident` records are made when first read -- all of
    them in one go when you loop, only the ones you ask for when you index or slice
    (the window explorer shows the first 25 of 20,000). Once made, a record is kept,
    so ``c.incidents[0] is c.incidents[0]``. Compares equal to a tuple of the same
    records.
    """
    __slots__ = ("_table", "_made", "_all")

    def __init__(self, table: _IncidentTable | None = None):
        self._table, self._made, self._all = table, {}, (None if table is not None and len(table) else ())

    def __len__(self) -> int:
        return len(self._table) if self._table is not None else 0

    def _every(self) -> tuple:
        if self._all is None:
            made = self._table.records(0, len(self._table))
            for i, record in self._made.items():        # keep the ones already handed out
                made[i] = record
            self._all, self._made = tuple(made), {}
        return self._all

    def __getitem__(self, index):
        if self._all is not None:
            return self._all[index]
        n = len(self)
        if isinstance(index, slice):
            lo, hi, step = index.indices(n)
            if step != 1 or hi - lo > n // 2:
                return self._every()[index]
            wanted = [i for i in range(lo, hi) if i not in self._made]
            if wanted:
                for i, record in zip(range(wanted[0], wanted[-1] + 1),
                                     self._table.records(wanted[0], wanted[-1] + 1)):
                    self._made.setdefault(i, record)
            return tuple(self._made[i] for i in range(lo, hi))
        i = index.__index__()
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("incident index out of range")
        if i not in self._made:
            self._made[i] = self._table.records(i, i + 1)[0]
        return self._made[i]

    def __iter__(self) -> Iterator[Incident]:
        return iter(self._every())

    def __eq__(self, other) -> bool:
        if isinstance(other, (Incidents, tuple, list)):
            return len(self) == len(other) and tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(self._every())

    def incident_of(self) -> np.ndarray:
        """For each alert of the stream (time order), the number of its incident (0, 1, ...)."""
        import numpy as np
        return self._table.incident_of if self._table is not None else np.empty(0, np.int64)

    def root_causes(self) -> list[str]:
        """Each incident's root-cause service, without making the records."""
        return self._table.root_causes() if self._table is not None else []


def _cut(flat: list, bounds: np.ndarray) -> list[tuple]:
    """``flat`` cut into tuples at ``bounds`` (``len(groups) + 1`` offsets, from 0)."""
    edges = bounds.tolist()
    return list(map(tuple, map(flat.__getitem__, map(slice, edges[:-1], edges[1:]))))


def _records(cls: type, m: int, columns: Mapping[str, Iterable]) -> list:
    """``m`` new ``cls`` objects, slot ``name`` of the i-th set to ``columns[name][i]``.

    The same objects ``cls(...)`` would make (``cls`` has ``__slots__``, no
    ``__post_init__``, and ``columns`` names every slot), made a few hundred thousand at
    a time: one C-level pass per field instead of one Python ``__init__`` call per record.
    """
    records = list(map(object.__new__, repeat(cls, m)))
    for name, column in columns.items():
        deque(map(getattr(cls, name).__set__, records, column), maxlen=0)
    return records


def to_json(correlation: Correlation, evaluation: Mapping | None = None) -> dict:
    """The command line's JSON: window, alert count, incidents, noise reduction [, evaluation]."""
    out = {
        "window_s": correlation.window_s,
        "alerts": len(correlation.alerts),
        "incidents": [{"id": inc.id, "root_cause": inc.root_cause, "alert_ids": list(inc.alert_ids),
                       "services": list(inc.services), "start": isoz(inc.start), "end": isoz(inc.end),
                       "severity": inc.severity, "runbook": inc.runbook, "why": dict(inc.why),
                       "firing": inc.firing, "ended_at": isoz(inc.ended_at)}
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
    return _score(correlation, _truth_codes(truth, [a.id for a in correlation.alerts]))


def _truth_codes(truth: Mapping[str, tuple[str, str]], ids: Sequence[str]) -> tuple:
    """The truth as arrays over alerts in the order of ``ids``: ``(true incident number of
    each alert, root-cause service of each true incident)``. Checks that the truth covers
    exactly these alerts and names one root cause per incident."""
    import numpy as np
    missing = [aid for aid in ids if aid not in truth]
    if missing or len(truth) != len(ids):
        missing, extra = truth.keys() - set(ids), set(ids) - truth.keys()
        raise ValueError(f"truth and alerts disagree: {len(missing)} ids only in the truth "
                         f"{sorted(missing)[:3]}, {len(extra)} only in the alerts {sorted(extra)[:3]}")
    true_root: dict[str, str] = {}
    for aid, (incident, cause) in truth.items():
        if true_root.setdefault(incident, cause) != cause:
            raise ValueError(f"truth: incident {incident!r} has two root causes "
                             f"({true_root[incident]!r}, {cause!r})")
    number = {incident: i for i, incident in enumerate(true_root)}
    true = np.fromiter((number[truth[aid][0]] for aid in ids), np.int64, len(ids))
    return true, list(true_root.values())


def _pairs_in(counts: np.ndarray) -> int:
    """Alert pairs inside groups of these sizes: c(c-1)/2 each."""
    return int((counts * (counts - 1) // 2).sum())


def _score(correlation: Correlation, truth_codes: tuple) -> dict:
    """:func:`evaluate` on arrays: a contingency table of (predicted, true) incident numbers."""
    import numpy as np
    true, true_root = truth_codes
    incidents = correlation.incidents
    m, t = len(incidents), len(true_root)
    if isinstance(incidents, Incidents):
        predicted, named = incidents.incident_of(), incidents.root_causes()
    else:                          # a tuple of records made by hand
        number = {aid: i for i, inc in enumerate(incidents) for aid in inc.alert_ids}
        predicted = np.fromiter((number[a.id] for a in correlation.alerts), np.int64, len(correlation.alerts))
        named = [inc.root_cause for inc in incidents]
    cell, count = np.unique(predicted * max(t, 1) + true, return_counts=True)
    together = _pairs_in(count)
    predicted_pairs = _pairs_in(np.bincount(predicted, minlength=m))
    true_pairs = _pairs_in(np.bincount(true, minlength=t))
    precision = together / predicted_pairs if predicted_pairs else 1.0
    recall = together / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # each true incident's best match: the predicted incident holding most of its alerts,
    # ties to the earlier one
    pred_of, true_of = cell // max(t, 1), cell % max(t, 1)
    order = np.lexsort((pred_of, -count, true_of))
    head = np.ones(len(order), bool)
    head[1:] = true_of[order][1:] != true_of[order][:-1]
    best = zip(pred_of[order][head].tolist(), true_of[order][head].tolist())
    right = sum(named[p] == true_root[i] for p, i in best)
    return {"alerts": len(true), "incidents": m, "true_incidents": t,
            "precision": precision, "recall": recall, "f1": f1,
            "root_cause_accuracy": right / t if t else 1.0,
            "noise_reduction": correlation.noise_reduction}


def _by_label(alerts: Iterable[Alert], label: str, window: int) -> Correlation:
    """Alertmanager-style ``group_by: [label]``: one group per label value, whatever the time."""
    import numpy as np
    stream = _ordered(alerts)
    ordered = stream.alerts
    value = (lambda a: a.service) if label == "service" else (
        (lambda a: a.name) if label == "alertname" else (lambda a: a.labels.get(label, "")))
    firsts: dict[str, int] = {}
    roots = np.array([firsts.setdefault(value(a), j) for j, a in enumerate(ordered)], np.int64)
    first = _first_firings(stream, window)

    def reason(j: int) -> str:
        return (f"first alert with {label}={value(ordered[j])!r}" if roots[j] == j
                else f"same {label} as {ordered[roots[j]].id}")
    return _assemble(stream, roots, first, reason, None, _NO_RUNBOOKS, window)


def _one_page_each(alerts: Iterable[Alert], window: int) -> Correlation:
    import numpy as np
    stream = _ordered(alerts)
    every = np.arange(len(stream))
    return _assemble(stream, every, every, lambda j: "its own page", None, _NO_RUNBOOKS, window)


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
                 truth: Mapping[str, tuple[str, str]], windows: Iterable[int | str] = DEFAULT_SWEEP,
                 progress: bool = True):
    """DataFrame: one row per window with incidents, pairwise precision/recall/F1,
    noise reduction and root-cause accuracy. Shows a ``tqdm.auto`` progress bar
    unless ``progress=False`` (a notebook's saved output should hold results only)."""
    import pandas as pd
    from tqdm.auto import tqdm
    alerts = prepare(alerts)       # sorted and read once, then correlated once per window
    rows = []
    for w in tqdm(list(windows), desc="window sweep", unit="window", leave=False, disable=not progress):
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
             "runbook": inc.runbook, "firing": inc.firing, "ended_at": inc.ended_at}
            for inc in correlation.incidents]
    columns = ["id", "root_cause", "root_alert", "severity", "start", "end", "alerts",
               "duplicates", "services", "symptoms", "runbook", "firing", "ended_at"]
    frame = pd.DataFrame(rows, columns=columns)
    for col in ("start", "end", "ended_at"):
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
