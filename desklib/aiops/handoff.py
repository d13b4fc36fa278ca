"""Hand-off: the records an incident is handed to the on-call in, and its runbook.

* :class:`Incident` -- one incident, runbook-ready; :class:`Correlation` -- the result
  of :func:`desklib.aiops.correlate` with the knobs behind it; :class:`Incidents` -- the
  tuple-like sequence of a correlation's incidents (records made when first read).
* :class:`Runbooks` and :func:`load_runbooks` -- ``fixtures/runbooks.toml``.
* :func:`hand_off` -- the from-scratch last stage: incidents (lists of alerts) to
  records, one plain loop per incident. ``engine.py`` computes the same records on
  arrays, for every incident at once.
* :func:`to_json` -- the command line's JSON contract.
"""
from __future__ import annotations

from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass, field
from datetime import datetime, timezone
from graphlib import CycleError
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Mapping, Sequence

from ..records import Alert, isoz
from .basics import SEVERITIES, SEVERITY_RANK

if TYPE_CHECKING:
    import numpy as np

UTC = timezone.utc
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
    from ..policy import PolicyFile, describe, policy_path
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
    silent: tuple[str, ...] = ()   # services that did not alert which its links ran through (name order)

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
    hops: int = 1                  # dependency edges a link may span through silent services

    @property
    def noise_reduction(self) -> float:
        """1 - incidents / alerts: the share of pages correlation saved."""
        return 1 - len(self.incidents) / len(self.alerts) if self.alerts else 0.0

    @property
    def params(self) -> dict:
        """The knobs behind this result, to print next to it."""
        link = ("gap <= window and same service or a direct dependency" if self.hops == 1 else
                f"gap <= window and same service or a direct dependency, or up to {self.hops} dependency "
                "edges through services with no alerts in the window from an alert no dependency explains")
        return {"window_s": self.window_s, "hops": self.hops,
                "dedup": "same service + name + labels within the window of the previous firing",
                "link": link if self.topology_used else "gap <= window (time only, no topology)"}


class Incidents(SequenceABC):
    """The incidents of a :class:`Correlation`: a read-only sequence, like a tuple.

    ``len`` and the numbers (noise reduction, the explorer's counts) come from the
    columns at once; the :class:`Incident` records are made when first read -- all of
    them in one go when you loop, only the ones you ask for when you index or slice
    (the window explorer shows the first 25 of 20,000). Once made, a record is kept,
    so ``c.incidents[0] is c.incidents[0]``. Compares equal to a tuple of the same
    records. ``table`` is the engine's incident table (anything with ``len``,
    ``records(lo, hi)``, ``incident_of`` and ``root_causes()``); ``records`` are records
    made already (the from-scratch path hands them over that way).
    """
    __slots__ = ("_table", "_made", "_all")

    def __init__(self, table=None, records: Sequence[Incident] = ()):
        self._table, self._made = table, {}
        self._all = None if table is not None and len(table) else tuple(records)

    def __len__(self) -> int:
        return len(self._all) if self._all is not None else len(self._table)

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
        """For each alert of the stream (time order), the number of its incident (0, 1, ...);
        None for records handed over without the engine's table."""
        import numpy as np
        if self._table is not None:
            return self._table.incident_of
        return None if self._all else np.empty(0, np.int64)

    def root_causes(self) -> list[str]:
        """Each incident's root-cause service, without making the records."""
        if self._all is None:
            return self._table.root_causes()
        return [inc.root_cause for inc in self._all]


def to_json(correlation: Correlation, evaluation: Mapping | None = None) -> dict:
    """The command line's JSON: window, hops, alert count, incidents, noise reduction [, evaluation].
    An incident whose links ran through silent services lists them under ``"silent"``."""
    out = {
        "window_s": correlation.window_s,
        "hops": correlation.hops,
        "alerts": len(correlation.alerts),
        "incidents": [{"id": inc.id, "root_cause": inc.root_cause, "alert_ids": list(inc.alert_ids),
                       "services": list(inc.services), "start": isoz(inc.start), "end": isoz(inc.end),
                       "severity": inc.severity, "runbook": inc.runbook, "why": dict(inc.why),
                       "firing": inc.firing, "ended_at": isoz(inc.ended_at),
                       **({"silent": list(inc.silent)} if inc.silent else {})}
                      for inc in correlation.incidents],
        "noise_reduction": round(correlation.noise_reduction, 4),
    }
    if evaluation is not None:
        out["evaluation"] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in evaluation.items()}
    return out



def hand_off(incidents: Sequence[Sequence[Alert]], duplicate_of: Mapping[str, str],
             why: Mapping[str, str], topology: Mapping[str, Sequence[str]] | None,
             runbooks: Runbooks, hops: int = 1, silent: Mapping[str, set] | None = None) -> tuple[Incident, ...]:
    """The last stage, from scratch: each incident (its alerts in time order, incidents
    in order of start) as a runbook-ready :class:`Incident`.

    The root cause is :func:`root_cause`'s service and the root alert its first alert
    there. The services list the root cause first, then the others most upstream first
    (:func:`upstream_order`; in order of first alert without a topology or with a
    cycle); symptoms are the other (service, alert name) kinds in order of first alert.
    The severity is the worst alert's; the runbook is the root alert's ``runbook_url``,
    else ``runbooks.toml``'s key. An incident fires while any of its alerts does; it
    ended when its last alert was resolved, if every end is known. ``silent`` maps an
    alert id to the silent services its links ran through.
    """
    from .s4_root_cause import root_cause, upstream_order
    silent = silent or {}
    try:
        rank = upstream_order(topology) if topology is not None else {}
    except CycleError:
        rank = {}
    records = []
    for number, alerts in enumerate(incidents, start=1):
        cause = root_cause(alerts, topology, hops)
        root = next(a for a in alerts if a.service == cause)
        first_seen = {}                                    # service -> position of its first alert
        for i, a in enumerate(alerts):
            first_seen.setdefault(a.service, i)
        others = sorted((s for s in first_seen if s != cause),
                        key=lambda s: (rank.get(s, len(rank)), first_seen[s]))
        symptoms = dict.fromkeys((a.service, a.name) for a in alerts)
        del symptoms[(root.service, root.name)]
        worst = min(SEVERITY_RANK.get(a.severity, len(SEVERITIES)) for a in alerts)
        firing = any(a.status == "firing" for a in alerts)
        ends = [a.ends_at for a in alerts]
        records.append(Incident(
            id=f"INC-{number}", root_cause=cause, root_alert=root.name, root_alert_id=root.id,
            services=(cause, *others), symptoms=tuple(symptoms), start=alerts[0].ts, end=alerts[-1].ts,
            severity=SEVERITIES[worst] if worst < len(SEVERITIES) else root.severity,
            runbook=root.runbook_url or runbooks.key_for(root.name, root.service),
            alert_ids=tuple(a.id for a in alerts), duplicates=sum(a.id in duplicate_of for a in alerts),
            why={a.id: why[a.id] for a in alerts}, firing=firing,
            ended_at=None if firing or None in ends else max(ends).astimezone(UTC),
            silent=tuple(sorted(set().union(*(silent.get(a.id, ()) for a in alerts))))))
    return tuple(records)
