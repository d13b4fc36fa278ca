"""The columnar engine: the same five stages as ``s1_normalize.py`` ... ``s5_explain.py``
and ``handoff.py``, computed on arrays for every alert at once.

The from-scratch stages read like the lesson, one alert after another; this module is
what :func:`desklib.aiops.correlate` runs by default, and the property tests
(``tests/test_aiops_engine.py``) show both give the same incidents, duplicates, root
causes and reasons.

* :class:`_Stream` -- the normalized alerts as columns: times as exact integer ticks
  (microseconds from Alert records, so every year 1-9999 fits; nanoseconds from a
  DataFrame's ``datetime64[ns]``), ids, and services, names and labels as integer
  codes. It reads its columns from ``Alert`` records or straight from a DataFrame
  (:func:`from_frame`): a million alerts never become a million objects.
* dedup (:func:`_first_firings`): one stable sort by fingerprint code.
* group (:func:`_run_links`): one batch of binary searches for every "most recent
  alert on that service" look-up, then a union-find on arrays (:func:`_components`).
* root cause (:func:`_root_causes`) and the hand-off fields (:class:`_IncidentTable`)
  for all incidents at once; the :class:`Incident` records and their reason sentences
  are made only when read.

numpy is imported inside the functions that use it, so ``import desklib.aiops`` stays
light; pandas only for DataFrame input.
"""
from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping as MappingABC
from collections.abc import Sequence as SequenceABC
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from functools import cached_property
from graphlib import CycleError
from itertools import count, repeat
from operator import attrgetter, floordiv, is_, ne, sub
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Mapping, Sequence

from .._gc import paused as _gc_paused
from ..records import Alert
from .basics import (DEPENDS_ON, FIRST, SEVERITIES, SEVERITY_RANK, THROUGH_DOWN, THROUGH_UP, duplicate_reason,
                     link_reason, opened_reason, seconds)
from .handoff import Correlation, Incident, Incidents, Runbooks
from .s3_group import link_table
from .s4_root_cause import upstream_order

if TYPE_CHECKING:                  # numpy is imported inside the functions that use it
    import numpy as np

UTC = timezone.utc


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_US = timedelta(microseconds=1)
_US_PER_S = 1_000_000

_TS, _ID, _SERVICE, _NAME, _SEVERITY, _LABELS = map(
    attrgetter, ("ts", "id", "service", "name", "severity", "labels"))
_TZINFO, _STATUS = attrgetter("ts.tzinfo"), attrgetter("status")


def _moment(ticks: int, per_s: int) -> datetime:
    """``ticks`` since the epoch as a UTC datetime (a ``pandas.Timestamp`` when it needs
    nanoseconds, which a datetime cannot hold)."""
    if per_s == _US_PER_S:
        return _EPOCH + timedelta(microseconds=ticks)
    if (ticks * _US_PER_S) % per_s == 0:
        return _EPOCH + timedelta(microseconds=ticks * _US_PER_S // per_s)
    import pandas as pd
    return pd.Timestamp(ticks * (10 ** 9 // per_s), unit="ns", tz="UTC")


class _Stream:
    """The normalized alerts as the columns the engine reads.

    ``ticks`` holds each alert's time as an integer count of ``per_s`` ticks a second
    since 1970-01-01 UTC (int64: exact, so gaps compare exactly with a window), in
    time order (ties by id); ``ids`` their ids. The other columns are built on first
    use, as integer codes: ``services`` is ``(names, codes)`` with ``names[codes[j]]``
    alert j's service (codes follow name order, so comparing codes compares names),
    likewise ``names`` for alert names.

    The columns come from ``alerts`` (Alert records in time order; ``per_s`` 10**6)
    or from ``columns`` (a DataFrame's columns as arrays, ``rows`` the order that sorts
    them, None if sorted): then Alert records are made only for what is asked.
    """

    def __init__(self, ids: Sequence[str], ticks: np.ndarray, per_s: int = _US_PER_S,
                 alerts: list[Alert] | None = None, columns: Mapping | None = None, rows=None):
        self.ids, self.ticks, self.per_s = ids, ticks, per_s
        self._alerts, self._columns, self._rows = alerts, columns, rows

    def __len__(self) -> int:
        return len(self.ticks)

    @property
    def ts(self) -> np.ndarray:
        """Whole epoch seconds (rounded down), for drawing; the stages compare ``ticks``."""
        return self.ticks // self.per_s

    def column(self, name: str):
        """A DataFrame column in time order (None if the frame has no such column)."""
        cache = self.__dict__.setdefault("_sorted", {})
        if name not in cache:
            values = self._columns.get(name)
            cache[name] = values if values is None or self._rows is None else values[self._rows]
        return cache[name]

    def field(self, name: str, idx: Sequence[int]) -> list:
        """Field ``name`` of the alerts at ``idx``."""
        if self._alerts is not None:
            return list(map(attrgetter(name), map(self._alerts.__getitem__, idx)))
        values = self.column(name)
        if values is None:
            return [None] * len(idx)
        return [None if v != v else v for v in values[list(idx)].tolist()]    # NaN, NaT: none

    def moments(self, idx: Sequence[int]) -> list[datetime]:
        """The times of the alerts at ``idx`` as datetimes."""
        if self._alerts is not None:
            return list(map(_TS, map(self._alerts.__getitem__, idx)))
        return [_moment(t, self.per_s) for t in self.ticks[list(idx)].tolist()]

    def alerts_at(self, idx: Sequence[int]) -> list[Alert]:
        """Alert records of the alerts at ``idx`` (made for these only, from a frame)."""
        if self._alerts is not None:
            return list(map(self._alerts.__getitem__, idx))
        idx = list(idx)
        labels = self.field("labels", idx)
        status = self.field("status", idx)
        ends = self.field("ends_at", idx)
        return [Alert(id=self.ids[j], ts=ts, service=s, name=n, severity=v, labels=dict(lab or {}),
                      summary=summary or "", status=st or "firing", ends_at=end, runbook_url=url or None)
                for j, ts, s, n, v, lab, summary, st, end, url in zip(
                    idx, self.moments(idx), self.field("service", idx), self.field("name", idx),
                    self.field("severity", idx), labels, self.field("summary", idx), status, ends,
                    self.field("runbook_url", idx))]

    @cached_property
    def alerts(self) -> list[Alert]:
        """Every alert as a record, in time order (made once, from a frame)."""
        return self._alerts if self._alerts is not None else self.alerts_at(range(len(self)))

    @cached_property
    def services(self) -> tuple[list[str], np.ndarray]:
        if self._alerts is not None:
            return _factorize(map(_SERVICE, self._alerts), len(self), in_order=True)
        return _factorize_column(self.column("service"), in_order=True)

    @cached_property
    def names(self) -> tuple[list[str], np.ndarray]:
        if self._alerts is not None:
            return _factorize(map(_NAME, self._alerts), len(self))
        return _factorize_column(self.column("name"))

    @cached_property
    def kinds(self) -> np.ndarray:
        """(service, alert name) as one integer per alert."""
        return _pair(self.services[1], self.names[1])

    @cached_property
    def by_kind(self) -> np.ndarray:
        """The alert indices sorted by kind, then time."""
        import numpy as np
        return np.argsort(self.kinds, kind="stable")

    def label_codes(self, idx: np.ndarray) -> np.ndarray:
        """The label sets of the alerts at ``idx`` as integers (equal sets, equal codes):
        all of them computed once for a prepared stream, else just these."""
        if "labels" in self.__dict__:
            return self.__dict__["labels"][idx]
        if self._alerts is not None:
            return _label_codes(list(map(_LABELS, map(self._alerts.__getitem__, idx.tolist()))))
        column = self.column("labels")
        import numpy as np
        return np.zeros(len(idx), np.int64) if column is None else _label_codes(column[idx])

    @cached_property
    def labels(self) -> np.ndarray:
        """Each alert's label set as an integer (equal sets, equal codes)."""
        import numpy as np
        return self.label_codes(np.arange(len(self)))

    @cached_property
    def ended(self) -> np.ndarray | None:
        """Each alert's end as integer ticks: -1 while firing, -2 resolved at an unknown
        time; ``None`` when every alert still fires (the usual storm: nothing more to read)."""
        import numpy as np
        if self._alerts is not None:
            statuses = list(map(_STATUS, self._alerts))
        else:
            column = self.column("status")
            statuses = [] if column is None else column.tolist()
        if statuses.count("firing") == len(statuses):
            return None
        ended = np.fromiter(map(ne, statuses, repeat("firing")), bool, len(statuses))
        ends = np.full(len(statuses), -1, np.int64)
        at = np.flatnonzero(ended)
        times = self.field("ends_at", at.tolist())                # the resolved ones only
        one = timedelta(seconds=1) / self.per_s
        ends[at] = [-2 if end is None else (end - _EPOCH) // one for end in times]
        return ends

    @cached_property
    def severity_ranks(self) -> np.ndarray:
        """Each alert's place in :data:`SEVERITIES` (worst 0; unknown severities last)."""
        import numpy as np
        rank, unknown = SEVERITY_RANK.get, len(SEVERITIES)
        if self._alerts is not None:
            return np.fromiter(map(rank, map(_SEVERITY, self._alerts), repeat(unknown)), np.int8, len(self))
        distinct, codes = _factorize_column(self.column("severity"))
        return np.array([rank(s, unknown) for s in distinct] or [unknown], np.int8)[codes]


class _FrameAlerts(SequenceABC):
    """``Correlation.alerts`` of a DataFrame run: the alerts in time order, each record
    made when read (``len`` and ``ids`` need none)."""

    def __init__(self, stream: _Stream):
        self._stream, self.ids = stream, stream.ids

    def __len__(self) -> int:
        return len(self._stream)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self._stream.alerts_at(range(*index.indices(len(self)))))
        return self._stream.alerts[index]

    def __iter__(self):
        return iter(self._stream.alerts)

    def __eq__(self, other):
        return tuple(self) == tuple(other) if isinstance(other, (SequenceABC, tuple)) else NotImplemented

    __hash__ = None


#: What :func:`prepare` returns: the sorted alerts with their fields as arrays.
PreparedAlerts = _Stream


def prepare(alerts) -> "PreparedAlerts":
    """Do once what every window shares: sort the alerts (:func:`normalize`) and read
    every field the stages use into arrays.

    Pass the result to :func:`correlate` or :func:`window_sweep` in place of the alerts
    when you try many windows on the same storm (the window explorer does): each run
    then starts from the arrays. The result is the same as from the alerts themselves.
    ``alerts`` may also be a DataFrame (:func:`from_frame`).
    """
    if isinstance(alerts, _Stream):
        return alerts
    stream = stream_of(alerts)
    for column in ("services", "names", "kinds", "by_kind", "labels", "severity_ranks"):
        getattr(stream, column)
    stream.__dict__["_links"] = {}                # keep the window-free link look-ups too
    return stream


def stream_of(alerts) -> _Stream:
    """Alert records (any order), a DataFrame or a stream already: as a sorted stream."""
    if isinstance(alerts, _Stream):
        return alerts
    if hasattr(alerts, "columns") and hasattr(alerts, "dtypes"):
        return from_frame(alerts)
    return _ordered(alerts)


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
    return _Stream(ids, stamps, _US_PER_S, alerts=alerts)


FRAME_COLUMNS = ("id", "ts", "service", "name", "severity")
_OPTIONAL = ("labels", "summary", "status", "ends_at", "runbook_url")
_PER_S = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def from_frame(frame) -> _Stream:
    """A DataFrame with columns ``id``, ``ts``, ``service``, ``name``, ``severity`` (and
    optionally ``labels`` as dicts, ``summary``, ``status``, ``ends_at``, ``runbook_url``)
    as a sorted stream, without making an Alert record per row.

    ``ts`` is a time-zone-aware ``datetime64`` column (any unit; its ticks are kept
    exactly, e.g. nanoseconds) or integers (nanoseconds since 1970-01-01 UTC).
    """
    import numpy as np
    import pandas as pd
    missing = [c for c in FRAME_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"alerts frame: missing column(s) {', '.join(missing)} "
                         f"(needs {', '.join(FRAME_COLUMNS)})")
    ts = frame["ts"]
    if pd.api.types.is_integer_dtype(ts.dtype):
        ticks, per_s = ts.to_numpy(np.int64), 1_000_000_000
    elif isinstance(ts.dtype, pd.DatetimeTZDtype):
        naive = ts.dt.tz_convert("UTC").dt.tz_localize(None)
        if naive.isna().any():
            raise ValueError(f"alerts frame: row {int(np.flatnonzero(naive.isna())[0])}: ts is missing")
        ticks, per_s = naive.to_numpy().view(np.int64), _PER_S[naive.dt.unit]
    else:
        raise ValueError(f"alerts frame: column ts: expected time-zone-aware datetimes or integer "
                         f"nanoseconds, got {ts.dtype} (naive times have no UTC offset)")
    ids = frame["id"].to_numpy(object)
    seen = pd.Index(ids)
    if not seen.is_unique:
        dup = seen[seen.duplicated()][0]
        raise ValueError(f"alert id {dup!r} appears more than once; ids must be unique")
    columns = {c: frame[c].to_numpy(object) for c in FRAME_COLUMNS[2:] + _OPTIONAL if c in frame.columns}
    columns["id"] = ids
    order = _time_order(ticks, ids)
    if order is not None:
        ids, ticks = ids[order], ticks[order]
    return _Stream(ids, np.ascontiguousarray(ticks), per_s, columns=columns, rows=order)


def _time_order(stamps: np.ndarray, ids: Sequence[str]) -> np.ndarray | None:
    """The indices that sort the alerts by (stamp, id); None if they are sorted already."""
    import numpy as np
    if len(stamps) < 2 or (stamps[1:] > stamps[:-1]).all():
        return None
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


def _factorize_column(values: np.ndarray, in_order: bool = False) -> tuple[list, np.ndarray]:
    """:func:`_factorize` of an array of strings, in C (``pandas.factorize``)."""
    import numpy as np
    import pandas as pd
    codes, distinct = pd.factorize(values, sort=in_order)
    if (codes < 0).any():
        raise ValueError(f"alerts frame: row {int(np.flatnonzero(codes < 0)[0])}: a value is missing")
    return list(distinct), codes.astype(np.int64, copy=False)


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
    n, ts, kinds = len(stream), stream.ticks, stream.kinds
    window = window * stream.per_s               # compared exactly, in ticks
    first = np.arange(n)
    by_kind = stream.by_kind
    close = (kinds[by_kind[1:]] == kinds[by_kind[:-1]]) & (ts[by_kind[1:]] - ts[by_kind[:-1]] <= window)
    maybe = np.zeros(n, bool)
    maybe[by_kind[1:][close]] = maybe[by_kind[:-1][close]] = True
    some = np.flatnonzero(maybe)
    labels = stream.label_codes(some)
    identity = _pair(kinds[some], labels)
    order = np.argsort(identity, kind="stable")
    by_identity, same = some[order], identity[order]
    t = ts[by_identity]
    opens = np.ones(len(some), bool)
    opens[1:] = (same[1:] != same[:-1]) | (t[1:] - t[:-1] > window)
    first[by_identity] = by_identity[np.maximum.accumulate(np.where(opens, np.arange(len(some)), 0))]
    return first


def _label_codes(labels: Sequence[Mapping[str, str] | None]) -> np.ndarray:
    """Each label set as an integer; equal sets get equal codes whatever their order.

    The labels are read as written (cheap), and only the distinct ones are then sorted.
    """
    try:                           # every set a dict (the usual case): read in C
        written, code = _factorize(map(tuple, map(dict.items, labels)), len(labels))
    except TypeError:              # some missing (None, NaN from a frame): no labels
        written, code = _factorize((tuple(d.items()) if isinstance(d, MappingABC) else () for d in labels),
                                   len(labels))
    _, canonical = _factorize([tuple(sorted(items)) for items in written], len(written))
    return canonical[code]


def run(alerts, topology: Mapping[str, Sequence[str]] | None, window: int, runbooks: Runbooks,
        hops: int = 1) -> Correlation:
    """The whole chain on arrays: ``alerts`` are Alert records, a DataFrame or a prepared
    stream; ``topology`` is checked already, ``window`` whole seconds."""
    with _gc_paused():
        stream = stream_of(alerts)
        first = _first_firings(stream, window)
        roots, how_kind, how_k, how_entry, links = _run_links(stream, topology, window, hops)
        via = _topology_tables(stream, topology, hops)["via"]
        reason = _reasons(stream, first, roots, how_kind, how_k, how_entry, via, links)
        return _assemble(stream, roots, first, reason, topology, runbooks, window, hops, links)


def _topology_key(topology: Mapping[str, Sequence[str]]) -> tuple:
    """The topology's content as a value: what a cached table was made from (0.2 ms for
    2,000 services, so a topology edited in place is noticed at every run)."""
    return tuple((s, tuple(deps)) for s, deps in topology.items())


def _topology_tables(stream: _Stream, topology: Mapping[str, Sequence[str]] | None, hops: int = 1) -> dict:
    """What the stages read from the topology for this stream's services, made once per
    stream, topology and ``hops``, as flat arrays over the entries of every alerting
    service's row of :func:`link_table` (entries to services with no alert left out):
    ``owner`` (whose row), ``other`` (the service it links to), ``kind``, ``rank`` (its
    place in the row), ``via`` (the silent services between, as names) and
    ``via_owner``/``via_code`` (those of them that alert somewhere in the stream, one
    row each, for the silence checks); ``upstream`` is :func:`upstream_order` or the
    ``CycleError`` it raised. Without a topology, one row links everything to everything.

    A prepared stream is correlated again and again (one window after another); the
    tables are kept on it next to a copy of the topology, and made again if the
    topology given differs from that copy in any way.
    """
    import numpy as np
    snapshot = (None if topology is None else _topology_key(topology), hops)
    cached = stream.__dict__.get("_topology")
    if cached is not None and cached[0] == snapshot:
        return cached[1]
    names = stream.services[0] if topology is not None else [None]
    code = {s: i for i, s in enumerate(names)}
    table = _link_table(snapshot, topology, names, hops)
    rows = [[(code[o], kind, via) for o, kind, via in table[s] if o in code] for s in names]
    lengths = np.array([len(r) for r in rows], np.int64)
    via = [v for r in rows for _, _, v in r]
    via_alerting = [[code[m] for m in v if m in code] for v in via]
    try:
        upstream = upstream_order(topology) if topology is not None else None
    except CycleError as exc:
        upstream = exc
    where = {(i, o, kind, v): e for e, (i, (o, kind, v)) in enumerate((i, x) for i, r in enumerate(rows) for x in r)}
    mirror = [where.get((o, i, THROUGH_DOWN, v), -1) if kind == THROUGH_UP else -1
              for i, r in enumerate(rows) for o, kind, v in r]       # the same path, seen from above
    tables = {"owner": np.repeat(np.arange(len(rows)), lengths),
              "mirror": np.array(mirror, np.int64),
              "other": np.array([o for r in rows for o, _, _ in r], np.int64),
              "kind": np.array([k for r in rows for _, k, _ in r], np.int8),
              "rank": np.concatenate([np.arange(m) for m in lengths.tolist()] or [np.zeros(0, np.int64)]),
              "via": via,
              "via_owner": np.repeat(np.arange(len(via)), [len(v) for v in via_alerting]).astype(np.int64),
              "via_code": np.array([m for v in via_alerting for m in v], np.int64),
              "upstream": upstream}
    stream.__dict__["_topology"] = (snapshot, tables)
    return tables


_LINK_TABLES: dict = {}


def _link_table(snapshot: tuple, topology, names: list, hops: int) -> dict:
    """:func:`link_table`, kept for the last few (topology, services, hops) it was made for:
    the paths through silent services take a depth-first walk from every service, and a
    storm of a million alerts on 2,000 services asks for the same table run after run."""
    key = (snapshot, tuple(names))
    if key not in _LINK_TABLES:
        while len(_LINK_TABLES) >= 4:
            _LINK_TABLES.pop(next(iter(_LINK_TABLES)))
        _LINK_TABLES[key] = link_table(topology, names, hops)
    return _LINK_TABLES[key]


def _run_links(stream: _Stream, topology: Mapping[str, Sequence[str]] | None, window: int, hops: int = 1):
    """:func:`link` for every alert at once: ``(roots, how_kind, how_k, how_entry, links)``.

    ``roots[j]`` is the earliest alert of j's incident; ``how_kind[j]``/``how_k[j]``/
    ``how_entry[j]`` the kind of the first (most preferred) link that joined alert j to
    an earlier alert, that alert, and its entry of the link table (kind -1: no link);
    ``links`` every link made, as arrays ``(j, k, rank, entry)``.

    Every look-up "most recent alert on service o before alert j" is one binary search
    in the alerts sorted by (service, index); an alert's reason is its valid link that
    comes first in its service's row of the link table. A link through silent services
    is valid when the alert on its dependant side has no dependency link in the window
    and no service between has an alert in the window before j (more binary searches,
    for those candidates only).
    """
    import numpy as np
    n, ts, span = len(stream), stream.ticks, window * stream.per_s
    tables = _topology_tables(stream, topology, hops)
    j, k, entry = _candidate_links(stream, topology, hops)
    close = ts[j] - ts[k] <= span                                    # the window comes in here
    j, k, entry = j[close], k[close], entry[close]
    if hops > 1 and topology is not None and (tables["kind"] >= THROUGH_UP).any():
        explained = np.zeros(n, bool)
        explained[j[tables["kind"][entry] == DEPENDS_ON]] = True
        hj, hk, he = _links_through(stream, tables, ~explained, span)
        keep = ~_busy_between(stream, tables, hj, he, np.ones(len(hj), bool), span)
        j, k, entry = np.r_[j, hj[keep]], np.r_[k, hk[keep]], np.r_[entry, he[keep]]
    rank = tables["rank"][entry]
    best = np.full(n, np.iinfo(np.int64).max, np.int64)              # each alert's first valid link
    np.minimum.at(best, j, rank)
    first = rank == best[j]
    how_kind = np.full(n, -1, np.int8)
    how_kind[j[first]] = tables["kind"][entry[first]]
    how_k = np.zeros(n, np.int64)
    how_k[j[first]] = k[first]
    how_entry = np.zeros(n, np.int64)
    how_entry[j[first]] = entry[first]
    return _components(n, j, k), how_kind, how_k, how_entry, (j, k, rank, entry)


def _links_through(stream: _Stream, tables: dict, lonely: np.ndarray, span: int):
    """The candidate links through services between, ``(j, k, entry)``, for the alerts
    ``lonely`` (a mask) that no dependency explains: up from such an alert j to the most
    recent alert k on a service further up at most ``span`` ticks before; and down, to
    such an alert k from each later alert j further up (at most ``span`` after it) whose
    most recent alert on k's service is k. Whether the services between were silent is
    checked afterwards (:func:`_busy_between`)."""
    import numpy as np
    n, ts = len(stream), stream.ticks
    homes = stream.services[1]
    keys, by_home = _sorted_keys(stream)
    up = np.flatnonzero(tables["kind"] == THROUGH_UP)
    # the lonely alerts by service, then time; one row per (path up, lonely alert on its start),
    # grouped by path, so the binary searches below walk the sorted keys forwards
    place = np.flatnonzero(lonely[by_home])                           # places in by_home
    on = np.bincount(homes[by_home[place]], minlength=len(stream.services[0]))
    first = np.cumsum(on) - on
    sizes = on[tables["owner"][up]]
    e = np.repeat(up, sizes)
    p = place[np.arange(sizes.sum()) + np.repeat(first[tables["owner"][up]] - (np.cumsum(sizes) - sizes), sizes)]
    a, u = by_home[p], tables["other"][e]
    at = np.searchsorted(keys, u * n + a) - 1                         # the last alert on u before a
    k = np.where(at >= 0, keys[np.maximum(at, 0)] - u * n, -1)
    ok = (k >= 0) & (k < n) & (ts[a] - ts[np.maximum(k, 0)] <= span)
    up_links = (a[ok], k[ok], e[ok])
    # down: j = each alert on u after a, before the next alert on a's service and at most span
    # after a (alerts are in time order: both are index bounds)
    nxt = np.where(p + 1 < n, by_home[np.minimum(p + 1, n - 1)], n)
    nxt = np.where((p + 1 < n) & (homes[np.minimum(nxt, n - 1)] == homes[a]), nxt, n)
    reach = np.searchsorted(ts, ts + span, side="right")             # per alert, in order: fast
    end = np.minimum(nxt, reach[a])
    after = keys[np.minimum(at + 1, n - 1)] - u * n                   # the first alert on u after a ...
    some = np.flatnonzero((at + 1 < n) & (after < end))               # ... comes before the end: some j
    lo = at[some] + 1
    size = np.searchsorted(keys, u[some] * n + end[some]) - lo
    row = np.repeat(some, size)
    j = keys[np.arange(size.sum()) + np.repeat(lo - (np.cumsum(size) - size), size)] - u[row] * n
    down_links = (j, a[row], tables["mirror"][e[row]])
    return tuple(np.r_[x, y] for x, y in zip(up_links, down_links))


def _sorted_keys(stream: _Stream):
    """``(keys, by_home)``: the alerts sorted by service, then time, and their keys
    ``service * n + index`` (made once per stream)."""
    import numpy as np
    if "_by_home" not in stream.__dict__:
        homes = stream.services[1]
        by_home = np.argsort(homes, kind="stable")
        stream.__dict__["_by_home"] = (homes[by_home] * len(stream) + by_home, by_home)
    return stream.__dict__["_by_home"]


def _busy_between(stream: _Stream, tables: dict, j: np.ndarray, entry: np.ndarray, asked: np.ndarray,
                  span: int) -> np.ndarray:
    """For the links ``asked``: does a service between alert j and its other end have an
    alert at most ``span`` ticks before j? (False where not asked.)"""
    import numpy as np
    busy = np.zeros(len(j), bool)
    pick = np.flatnonzero(asked)
    via_owner, via_code = tables["via_owner"], tables["via_code"]
    if not len(pick) or not len(via_code):
        return busy
    counts = np.bincount(via_owner, minlength=len(tables["via"]))[entry[pick]]
    starts = np.searchsorted(via_owner, entry[pick])
    link = np.repeat(pick, counts)                                   # one row per (link, service between)
    m = via_code[np.arange(counts.sum()) + np.repeat(starts - (np.cumsum(counts) - counts), counts)]
    k = _most_recent(stream, m, j[link])
    hit = (k >= 0) & (stream.ticks[j[link]] - stream.ticks[np.maximum(k, 0)] <= span)
    busy[link[hit]] = True
    return busy


def _most_recent(stream: _Stream, service: np.ndarray, before: np.ndarray) -> np.ndarray:
    """The most recent alert on ``service[i]`` before alert ``before[i]`` (-1 if none)."""
    import numpy as np
    n = len(stream)
    keys = _sorted_keys(stream)[0]
    at = np.searchsorted(keys, service * n + before) - 1              # the last key before (o, j)
    k = keys[np.maximum(at, 0)] - service * n                         # an alert on o if 0 <= k < n
    return np.where((at >= 0) & (k >= 0) & (k < n), k, -1)


def _candidate_links(stream: _Stream, topology: Mapping[str, Sequence[str]] | None, hops: int = 1):
    """Every direct link an alert could make, whatever the window: ``(j, k, entry)`` arrays,
    one item per alert j and entry of its service's row of the link table (but those
    through silent services: :func:`_links_through`) whose service has an alert k before j
    (the most recent one). :func:`_run_links` keeps those at most a
    window apart. A prepared stream keeps them (for the last topology used), so it pays
    for the binary searches once, not once per window; a one-off run does not hold on
    to them.
    """
    import numpy as np
    key = (None if topology is None else _topology_key(topology), hops)
    cache = stream.__dict__.get("_links")        # only a prepared stream keeps them
    if cache is not None and key in cache:
        return cache[key]
    n = len(stream)
    tables = _topology_tables(stream, topology, hops)
    homes = stream.services[1] if topology is not None else np.zeros(n, np.int64)
    direct = np.flatnonzero(tables["kind"] < THROUGH_UP)              # links through silent services: later
    other, owner = tables["other"][direct], tables["owner"][direct]
    by_home = np.argsort(homes, kind="stable")                        # alerts by service, then time
    alerts_on = np.bincount(homes, minlength=int(owner.max(initial=0)) + 1)
    home_start = np.cumsum(alerts_on) - alerts_on
    # one query per (alert j, entry e of its service's row), grouped by entry: in each group j
    # ascends, so the binary searches below walk the sorted keys mostly forwards (10x faster)
    sizes = alerts_on[owner]
    entry = np.repeat(np.arange(len(other)), sizes)
    j = by_home[np.arange(len(entry)) + np.repeat(home_start[owner] - (np.cumsum(sizes) - sizes), sizes)]
    if topology is None:
        k = j - 1                                                     # the alert just before
    else:
        keys = _sorted_keys(stream)[0]                                # sorted: service, then time
        o = other[entry]
        at = np.searchsorted(keys, o * n + j) - 1                     # the last key before (o, j)
        k = np.where(at >= 0, keys[np.maximum(at, 0)] - o * n, -1)    # an alert on o if 0 <= k
    ok = k >= 0
    found = (j[ok], k[ok], direct[entry[ok]])
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



def _root_causes(stream: _Stream, members: np.ndarray, incident: np.ndarray, alerting: np.ndarray,
                 topology: Mapping[str, Sequence[str]] | None, hops: int = 1) -> np.ndarray:
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
    if topology is not None:       # drop services an alerting service further up explains
        tables = _topology_tables(stream, topology, hops)
        present = np.sort(inc * len(names) + svc)                     # (incident, alerting service)

        def alerting_in(incidents, service):
            asked = incidents * len(names) + service
            return present[np.minimum(np.searchsorted(present, asked), len(present) - 1)] == asked

        def explained(kind: int, pairs: np.ndarray) -> np.ndarray:
            """Of ``pairs``, those with an alerting service up an entry of ``kind`` (the
            services between, if any, not alerting)."""
            up = np.flatnonzero(tables["kind"] == kind)
            lengths = np.bincount(tables["owner"][up], minlength=len(names))
            per_pair = lengths[svc[pairs]]
            first_query = np.cumsum(per_pair) - per_pair
            entry = up[np.arange(per_pair.sum()) + np.repeat((np.cumsum(lengths) - lengths)[svc[pairs]]
                                                             - first_query, per_pair)]
            pair = np.repeat(pairs, per_pair)                         # one row per (pair, explainer)
            found = alerting_in(inc[pair], tables["other"][entry])
            if kind == THROUGH_UP:
                via_owner = tables["via_owner"]
                counts = np.bincount(via_owner, minlength=len(tables["via"]))[entry]
                row = np.repeat(np.arange(len(entry)), counts)        # one row per service between
                starts = np.searchsorted(via_owner, entry)
                between = tables["via_code"][np.arange(counts.sum())
                                             + np.repeat(starts - (np.cumsum(counts) - counts), counts)]
                found &= np.bincount(row, alerting_in(inc[pair[row]], between), len(entry)) == 0
            return np.bincount(pair, found, len(svc)) > 0

        candidate = ~explained(DEPENDS_ON, np.arange(len(svc)))
        if hops > 1:               # only what no dependency explains looks further up
            candidate &= ~explained(THROUGH_UP, np.flatnonzero(candidate))
        candidate |= (np.bincount(inc, candidate, incident[-1] + 1) == 0)[inc]   # a cycle: all are
    pick = np.flatnonzero(candidate)
    pick = pick[np.lexsort((svc[pick], stream.ticks[members[alerting[pick]]], inc[pick]))]
    head = np.ones(len(pick), bool)          # per incident: earliest first alert, then name
    head[1:] = inc[pick[1:]] != inc[pick[:-1]]
    return pick[head]


def _reasons(stream: _Stream, first: np.ndarray, roots: np.ndarray, how_kind: np.ndarray,
             how_k: np.ndarray, how_entry: np.ndarray, via: Sequence[tuple],
             links: tuple) -> Callable[[int], str]:
    """A function: alert index -> the sentence that explains why it joined (the words
    of ``basics.py``, as the from-scratch ``reasons`` writes them).

    An alert that opened a chain of its own names the later alert that linked that
    chain into an older one. Only the order of the union-find steps knows which one, so
    the first time such a sentence is read, the unions of that one incident are done
    again in time order, from the links the run made (``links``: ``(j, k, rank, entry)``).
    """
    import numpy as np
    ids, ts, per_s = stream.ids, stream.ticks, stream.per_s
    names, services = stream.services
    joined: dict[int, int] = {}    # opener -> the alert that linked its chain to an older one
    replay: dict = {}              # what replaying needs, made on first use

    def joined_at(j: int) -> int:
        if j not in joined:
            lj, lk, rank = links[:3]
            if not replay:         # the links by incident, then alert, then row order
                replay["order"] = order = np.lexsort((rank, lj, roots[lj]))
                replay["roots"] = roots[lj[order]]
            r = roots[j]
            lo, hi = np.searchsorted(replay["roots"], [r, r + 1])
            pick = replay["order"][lo:hi]
            parent: dict[int, int] = {}

            def find(x: int) -> int:
                while parent.get(x, x) != x:
                    parent[x] = parent.get(parent[x], parent[x])
                    x = parent[x]
                return x

            current = mine = -1
            for a, b in zip(lj[pick].tolist(), lk[pick].tolist()):
                if a != current:
                    current, mine = a, -1
                r = find(b)
                if mine < 0:
                    mine = parent[a] = r
                elif r != mine:
                    parent[max(r, mine)], joined[max(r, mine)], mine = min(r, mine), a, min(r, mine)
        return joined[j]

    def reason(j: int) -> str:
        f = int(first[j])
        if f != j:
            return duplicate_reason(ids[f])
        kind = int(how_kind[j])
        if kind < 0:
            if roots[j] == j:
                return FIRST
            later = joined_at(j)
            return opened_reason(ids[later], seconds(int(ts[later] - ts[j]), per_s))
        k = int(how_k[j])
        return link_reason(kind, names[services[j]], names[services[k]], ids[k],
                           seconds(int(ts[j] - ts[k]), per_s), via[int(how_entry[j])])

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



def _assemble(stream: _Stream, roots: np.ndarray, first: np.ndarray, reason: Callable[[int], str],
              topology: Mapping[str, Sequence[str]] | None, runbooks: Runbooks, window: int,
              hops: int = 1, links: tuple | None = None) -> Correlation:
    """Partition (each alert's root index) -> Correlation with hand-off records.

    Every field of every incident is computed for all incidents at once, as array
    operations over the alerts grouped by incident (:class:`_IncidentTable`); the
    records themselves are made when they are first read, in bulk
    (:class:`Incidents`).
    """
    import numpy as np
    ids, n = stream.ids, len(stream)
    id_array = ids if isinstance(ids, np.ndarray) else np.array(ids, object)
    repeat_of = first != np.arange(n)
    duplicate_of = _Duplicates(id_array, first, repeat_of)
    table = _IncidentTable(stream, roots, repeat_of, id_array, reason, topology, runbooks, hops,
                           links) if n else None
    alerts = tuple(stream.alerts) if stream._alerts is not None else _FrameAlerts(stream)
    return Correlation(incidents=Incidents(table), alerts=alerts, window_s=window,
                       topology_used=topology is not None, duplicate_of=duplicate_of, hops=hops)


class _Duplicates(MappingABC):
    """``{duplicate id: id of its first firing}``, made into a dict when first read."""

    def __init__(self, ids: np.ndarray, first: np.ndarray, repeat_of: np.ndarray):
        self._parts, self._dict = (ids, first, repeat_of), None

    def _made(self) -> dict:
        if self._dict is None:
            ids, first, repeat_of = self._parts
            self._dict = dict(zip(ids[repeat_of].tolist(), ids[first[repeat_of]].tolist()))
        return self._dict

    def __getitem__(self, key):
        return self._made()[key]

    def __iter__(self):
        return iter(self._made())

    def __len__(self) -> int:
        return int(self._parts[2].sum()) if self._dict is None else len(self._dict)

    def __contains__(self, key) -> bool:
        return key in self._made()

    def __repr__(self) -> str:
        return repr(self._made())


class _IncidentTable:
    """The incidents of one run as columns (numpy arrays over the alerts grouped by
    incident); :meth:`records` turns a range of them into :class:`Incident` objects.

    ``members`` lists alert indices incident by incident (each in time order);
    incident i is ``members[starts[i]:stops[i]]``; ``incident_of[j]`` numbers alert j's
    incident; ``root_j`` holds each incident's root-cause alert.
    """

    def __init__(self, stream: _Stream, roots: np.ndarray, repeat_of: np.ndarray, id_array: np.ndarray,
                 reason: Callable[[int], str], topology: Mapping[str, Sequence[str]] | None,
                 runbooks: Runbooks, hops: int = 1, links: tuple | None = None):
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
        cause = _root_causes(stream, members, incident, alerting, topology, hops)
        self.root_j = members[alerting[cause]]
        rank = None
        if topology is not None:
            rank = _topology_tables(stream, topology, hops)["upstream"]
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

        # the links made through silent services, by incident (their services between, later)
        self.hop_inc = self.hop_entry = np.zeros(0, np.int64)
        if links is not None and topology is not None and hops > 1:
            tables = _topology_tables(stream, topology, hops)
            lj, entry = links[0], links[3]
            hop = tables["kind"][entry] >= THROUGH_UP
            order = np.argsort(self.incident_of[lj[hop]], kind="stable")
            self.hop_inc, self.hop_entry = self.incident_of[lj[hop]][order], entry[hop][order]
            self.via = tables["via"]

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

    def _silent(self, lo: int, hi: int) -> list[tuple[str, ...]]:
        """Incidents ``lo .. hi-1``: the silent services their links ran through."""
        import numpy as np
        first, last = np.searchsorted(self.hop_inc, [lo, hi])
        if first == last:
            return [()] * (hi - lo)
        silent: dict[int, set] = {}
        for i, e in zip(self.hop_inc[first:last].tolist(), self.hop_entry[first:last].tolist()):
            silent.setdefault(i, set()).update(self.via[e])
        return [tuple(sorted(silent.get(i, ()))) for i in range(lo, hi)]

    def records(self, lo: int, hi: int) -> list[Incident]:
        """Incidents ``lo .. hi-1`` as records, every field made for all of them at once."""
        with _gc_paused():         # millions of small tuples, no cycles among them
            return self._records(lo, hi)

    def _records(self, lo: int, hi: int) -> list[Incident]:
        import numpy as np
        stream = self.stream
        ids = stream.ids
        service_names, services = stream.services
        alert_names, codes = stream.names
        starts, stops, members = self.starts[lo:hi], self.stops[lo:hi], self.members
        root_j = self.root_j[lo:hi]
        root_list = root_j.tolist()
        root_cause = list(map(service_names.__getitem__, services[root_j].tolist()))
        root_alert = list(map(alert_names.__getitem__, codes[root_j].tolist()))
        runbook = {pair: self.runbooks.key_for(*pair) for pair in set(zip(root_alert, root_cause))}
        runbook_column = list(map(runbook.__getitem__, zip(root_alert, root_cause)))
        own = stream.field("runbook_url", root_list)          # the root alert's annotation first
        if any(own):
            runbook_column = [url or key for url, key in zip(own, runbook_column)]
        if self.ended_us is None:
            firing, ended_at = repeat(True), repeat(None)
        else:
            firing = self.firing[lo:hi].tolist()
            ended_at = [None if t < 0 else _moment(t, stream.per_s) for t in self.ended_us[lo:hi].tolist()]

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
            "start": stream.moments(members[starts].tolist()),
            "end": stream.moments(members[stops - 1].tolist()),
            "severity": [SEVERITIES[w] if w < unknown else stream.field("severity", [j])[0]
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
            "silent": self._silent(lo, hi),
        }
        return _records(Incident, hi - lo, columns)



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


