"""The chain, run end to end: :func:`correlate`.

``engine="columnar"`` (the default) runs ``engine.py``; ``engine="reference"`` runs the
from-scratch stages one after another -- the lesson's code, and the oracle the
property tests hold the engine to.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from ..records import Alert
from .basics import DEFAULT_HOPS, DEFAULT_WINDOW_S, checked_topology, parse_hops, parse_window
from .handoff import Correlation, Incidents, Runbooks, hand_off, load_runbooks
from .s1_normalize import normalize
from .s2_dedup import dedup
from .s3_group import link
from .s5_explain import reasons

ENGINES = ("columnar", "reference")


def correlate(alerts, topology: Mapping[str, Sequence[str]] | None = None,
              window_s: int | str = DEFAULT_WINDOW_S, *, runbooks: Runbooks | None = None,
              engine: str = "columnar", hops: int | str = DEFAULT_HOPS) -> Correlation:
    """Run the whole chain: normalize -> dedup -> group -> root cause -> explain -> hand off.

    ``alerts`` are :class:`~desklib.records.Alert` records in any order, a DataFrame
    with columns ``id``, ``ts``, ``service``, ``name``, ``severity`` (optionally
    ``labels``, ``status``, ``ends_at``, ``runbook_url``; see :func:`engine.from_frame`),
    or what :func:`prepare` made of them. ``topology`` maps a service to the services it
    depends on (``load_topology``); ``None`` groups by time alone. ``hops`` (1: direct
    dependencies only) lets an alert no dependency explains link through up to
    ``hops - 1`` services that did not alert (see :func:`link`). ``runbooks``
    defaults to ``fixtures/runbooks.toml``. ``engine="reference"`` runs the
    from-scratch stages instead of the columnar engine: the same result, slower.
    """
    window, hops = parse_window(window_s), parse_hops(hops)
    topology = checked_topology(topology)
    if runbooks is None:
        runbooks = load_runbooks()
    if engine == "columnar":
        from .engine import run
        return run(alerts, topology, window, runbooks, hops)
    if engine != "reference":
        raise ValueError(f"engine {engine!r}: expected one of {', '.join(ENGINES)}")
    return reference(alerts, topology, window, runbooks, hops)


def reference(alerts: Iterable[Alert], topology, window: int, runbooks: Runbooks, hops: int = 1) -> Correlation:
    """The from-scratch chain: each stage a plain loop over alert records."""
    from .engine import _Stream
    if isinstance(alerts, _Stream) or hasattr(alerts, "columns"):
        from .engine import stream_of
        alerts = stream_of(alerts).alerts
    ordered = normalize(alerts)                                   # 1
    duplicate_of = dedup(ordered, window)                         # 2
    root, how, joined, through = link(ordered, topology, window, hops)   # 3
    incidents: dict[int, list[Alert]] = {}
    for a, r in zip(ordered, root):
        incidents.setdefault(r, []).append(a)
    why = reasons(ordered, duplicate_of, root, how, joined)       # 5 (4 runs inside hand_off)
    silent: dict[str, set] = {}
    for j, via in through:
        silent.setdefault(ordered[j].id, set()).update(via)
    records = hand_off(list(incidents.values()), duplicate_of, why, topology, runbooks, hops, silent)
    return Correlation(incidents=Incidents(records=records), alerts=tuple(ordered), window_s=window,
                       topology_used=topology is not None, duplicate_of=duplicate_of, hops=hops)
