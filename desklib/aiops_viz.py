"""Pictures and a widget for the AIOps notebooks (05 correlation, 06 show).

Only the notebooks import this module (the ``desk`` command never does), so it may
import matplotlib and ipywidgets at the top. Everything here *shows* what
:mod:`desklib.aiops` computed; none of it changes a result.

=======================  =========================================================
``plot_storm``           the storm as a timeline: a row per service, a dot per
                         alert, coloured by incident
``plot_window_sweep``    incidents, F1 and noise reduction against the window
``plot_topology``        the service map in layers, alerting services coloured
``window_view``          the pure computation behind the explorer
``incidents_html``       the hand-off table that fits the screen (``incidents_table``
                         displays it in a notebook)
``window_explorer``      a window slider, a "use topology" checkbox and a hops control, redrawn live
``sweep``                :func:`aiops.window_sweep` without a progress bar
``human_queue_frame``    the tickets the gate sent to a person, with reasons
``post_this``            the few lines a learner posts at the end of the lesson
=======================  =========================================================

Any alert or ticket text that ends up in HTML goes through :func:`html.escape`:
an alert summary is written by whoever wrote the alerting rule, not by us.
"""
from __future__ import annotations

import base64
import html
import io
from datetime import timezone
from graphlib import CycleError
from typing import Iterable, Mapping, Sequence

import ipywidgets as widgets
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter
from matplotlib.transforms import ScaledTranslation
from PIL import Image

from . import aiops
from .aiops.evaluation import _score, _truth_codes
from .records import Alert, Ticket

__all__ = ["plot_storm", "plot_window_sweep", "plot_topology", "window_view", "view_html", "TABLE_ROWS",
           "incidents_html", "incidents_table", "INCIDENT_COLUMNS", "HANDOFF_COLUMNS", "MIN_POINTS", "STORM_FIGSIZE", "storm_markers", "DENSE_ALERTS", "ROW_LABELS",
           "window_explorer", "WindowExplorer", "sweep", "human_queue_frame", "post_this",
           "WINDOW_MIN_S", "WINDOW_MAX_S", "WINDOW_STEP_S"]

UTC = timezone.utc
#: The explorer's slider: 30 s to 30 min in steps of 30 s.
WINDOW_MIN_S, WINDOW_MAX_S, WINDOW_STEP_S = 30, 1800, 30
#: Incidents named one by one in a legend; the rest are summed up in one entry.
LEGEND_INCIDENTS = 8
#: The smallest text on a picture, in points (as :data:`desklib.plots.MIN_POINTS`).
MIN_POINTS = 10
#: The storm timeline's size in inches: wide enough for the legend beside the axes.
STORM_FIGSIZE = (11, 4.8)


def _cmap(n: int):
    """The incident colours for n incidents: tab10 while it lasts, then tab20."""
    return plt.get_cmap("tab10" if n <= 10 else "tab20")


def _palette(n: int, first: int | None = None) -> list:
    """The colours of the first ``first`` (default all n) of n incidents; they repeat past 20."""
    cmap = _cmap(n)
    return [cmap(i % cmap.N) for i in range(n if first is None else min(first, n))]


def _label(text: str, width: int = 28) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


# ----------------------------------------------------------------------------- the storm

def _service_rows(correlation: aiops.Correlation) -> list[str]:
    """Services top to bottom: incident by incident (in order of start), each incident's
    services root cause first and then downstream (``Incident.services`` order)."""
    return list(dict.fromkeys(s for inc in correlation.incidents for s in inc.services))


#: The three marker styles of the storm timeline; ``markersize`` is in points (a scatter's
#: ``s`` is its square). The last item says which part takes the incident's colour.
_MARKERS = (
    ("first firing", dict(marker="o", markersize=42 ** 0.5, markeredgecolor="white", markeredgewidth=0.5,
                          zorder=3), "face"),
    ("duplicate", dict(marker="o", markersize=22 ** 0.5, markerfacecolor="none", markeredgewidth=1.2,
                       zorder=3), "edge"),
    ("root-cause alert", dict(marker="*", markersize=190 ** 0.5, markeredgecolor="black", markeredgewidth=0.8,
                              zorder=4), "face"),
)
#: A storm of more than DENSE_ALERTS alerts is drawn with small markers: at that density
#: big ones only make a blot, and drawing 100,000 stars takes a good part of a second.
DENSE_ALERTS = 3000
_DENSE_MARKERS = (
    ("first firing", dict(marker="s", markersize=2.5, markeredgewidth=0, zorder=3), "face"),
    ("duplicate", dict(marker="s", markersize=2.5, markerfacecolor="none", markeredgewidth=0.5, zorder=3), "edge"),
    ("root-cause alert", dict(marker="D", markersize=3.5, markeredgewidth=0, zorder=4), "face"),
)
_SLOTS = 20                        # colours in the largest palette (tab20)
#: More service rows than this get a label on every few rows only.
ROW_LABELS = 20


def _styles(n_alerts: int) -> tuple:
    return _DENSE_MARKERS if n_alerts > DENSE_ALERTS else _MARKERS


def _alert_columns(correlation: aiops.Correlation) -> dict:
    """Per alert of the stream (time order), as arrays: ``incident`` number, ``kind``
    (0 first firing, 1 duplicate, 2 root-cause alert), ``seconds`` since the epoch and
    ``service`` (codes into the list ``service_names``)."""
    incidents = correlation.incidents
    alerts = correlation.alerts
    if isinstance(incidents, aiops.Incidents) and incidents._table is not None:
        table = incidents._table
        incident, root = table.incident_of, np.zeros(len(alerts), bool)
        root[table.root_j] = True
        repeat = table.repeat_of
        names, codes = table.stream.services
        seconds = table.stream.ts
    else:                          # records made by hand, or no alerts
        number = {aid: i for i, inc in enumerate(incidents) for aid in inc.alert_ids}
        roots = {inc.root_alert_id for inc in incidents}
        incident = np.array([number[a.id] for a in alerts], np.int64)
        root = np.array([a.id in roots for a in alerts], bool)
        repeat = np.array([a.id in correlation.duplicate_of for a in alerts], bool)
        names = sorted({a.service for a in alerts})
        code = {name: i for i, name in enumerate(names)}
        codes = np.array([code[a.service] for a in alerts], np.int64)
        seconds = np.array([int(a.ts.timestamp()) for a in alerts], np.int64)
    kind = np.where(root, 2, np.where(repeat, 1, 0))
    return {"incident": incident, "kind": kind, "seconds": seconds, "service": codes, "service_names": names}


def _storm_points(correlation: aiops.Correlation, rows: Mapping[str, int]) -> list[list[tuple]]:
    """The markers to draw: ``points[kind][slot] = (x as matplotlib dates, y as row
    numbers)`` for the three marker kinds (first firing, duplicate, root-cause alert) and
    each colour slot of the palette (incident i has slot i % 20, or i % 10 with 10
    incidents or fewer)."""
    columns = _alert_columns(correlation)
    slots = _cmap(len(correlation.incidents)).N
    x = mdates.date2num(np.datetime64("1970-01-01T00:00:00")) + columns["seconds"] / 86400.0
    row_of = np.array([rows.get(name, -1) for name in columns["service_names"]] or [0], float)
    y = row_of[columns["service"]]
    group = columns["kind"] * _SLOTS + columns["incident"] % slots
    order = np.argsort(group, kind="stable")
    edges = np.searchsorted(group[order], np.arange(3 * _SLOTS + 1)).tolist()
    return [[(x[order[edges[k * _SLOTS + c]:edges[k * _SLOTS + c + 1]]],
              y[order[edges[k * _SLOTS + c]:edges[k * _SLOTS + c + 1]]]) for c in range(_SLOTS)]
            for k in range(3)]


def _marker_artists(ax, n_alerts: int) -> list[list[Line2D]]:
    """One marker-only line per (kind, colour slot): 60 artists draw any storm."""
    return [[ax.add_line(Line2D([], [], linestyle="", gid=f"storm-marker-{k}-{slot}", **style))
             for slot in range(_SLOTS)] for k, (_, style, _) in enumerate(_styles(n_alerts))]


def storm_markers(ax) -> list[list[Line2D]]:
    """The marker lines :func:`plot_storm` drew on ``ax``: ``[kind][colour slot]``, kinds in
    the order first firing, duplicate, root-cause alert."""
    lines = {line.get_gid(): line for line in ax.lines}
    return [[lines[f"storm-marker-{k}-{slot}"] for slot in range(_SLOTS)] for k in range(len(_MARKERS))]


def _set_markers(artists: list[list[Line2D]], points, n_incidents: int, pixels=None) -> None:
    """Give the marker lines their points and colours. With ``pixels`` (the axes'
    ``transData``, once the layout is final) a point that lands on the same pixel as
    another of its line is dropped: it would be drawn over it, identically."""
    cmap = _cmap(n_incidents)
    for kind, (lines, groups) in enumerate(zip(artists, points)):
        coloured = _MARKERS[kind][2]
        for slot, (line, (x, y)) in enumerate(zip(lines, groups)):
            if pixels is not None and len(x) > 1:
                xy = np.column_stack([x, y])
                at = np.floor(pixels.transform(xy)).astype(np.int64)
                keep = np.unique(at[:, 0] * 1_000_003 + at[:, 1], return_index=True)[1]
                x, y = x[np.sort(keep)], y[np.sort(keep)]
            line.set_data(x, y)
            colour = cmap(slot % cmap.N)
            if coloured == "face":
                line.set_markerfacecolor(colour)
            else:
                line.set_markeredgecolor(colour)


def _storm_title(correlation: aiops.Correlation) -> str:
    how = "time + topology" if correlation.topology_used else "time only"
    return (f"Alert storm: {len(correlation.alerts)} alerts → {len(correlation.incidents)} incidents "
            f"(window {correlation.window_s} s, {how})")


def _storm_legend(ax, correlation: aiops.Correlation, colours, incidents: bool = True):
    """The legend: an entry per incident (up to LEGEND_INCIDENTS), then the marker styles.
    Without incident entries one line says where the colours are explained instead."""
    shown = correlation.incidents[:LEGEND_INCIDENTS] if incidents else ()
    handles = [Line2D([], [], ls="", marker="o", markersize=7, color=colour,
                      label=f"{inc.id} · {_label(inc.root_cause, 20)} ({len(inc.alert_ids)})")
               for inc, colour in zip(shown, colours)]
    if incidents and len(correlation.incidents) > LEGEND_INCIDENTS:
        more = len(correlation.incidents) - LEGEND_INCIDENTS
        handles.append(Line2D([], [], ls="", label=f"… {more} more incidents"))
    if not incidents:
        handles.append(Line2D([], [], ls="", marker="s", markersize=7, color="0.6",
                              label="colour: incident (see the table)"))
    _, root_style, _ = _styles(len(correlation.alerts))[2]
    dense = root_style["marker"] != "*"
    handles += [Line2D([], [], ls="", marker=root_style["marker"], markersize=6 if dense else 11, color="0.6",
                       markeredgecolor="black", label="root-cause alert"),
                Line2D([], [], ls="", marker="o", markersize=4 if dense else 5, markerfacecolor="none",
                       markeredgecolor="0.4", label="duplicate")]
    return ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0,
                     fontsize=MIN_POINTS, title="incident · root cause (alerts)" if incidents else None,
                     title_fontsize=MIN_POINTS)


def plot_storm(correlation: aiops.Correlation, ax=None, *, rows: Sequence[str] | None = None,
               incident_legend: bool = True):
    """The storm as a timeline: one row per service, one marker per alert.

    Colour = incident (the legend names its root cause); a star marks each incident's
    root-cause alert; a hollow, smaller ring is a duplicate (a repeat of an earlier
    firing). A storm of more than :data:`DENSE_ALERTS` alerts gets small markers (a
    diamond for a root cause) and, past :data:`ROW_LABELS` services, a label on every
    few rows. Rows run incident by incident, root cause first, so a cascade reads from
    the top down (``rows`` fixes another order; it must hold every alerting service).
    ``incident_legend=False`` leaves the incidents out of the legend (the explorer
    names them in its table, with the same colours). Returns the Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=STORM_FIGSIZE, layout="constrained")
    rows = {s: i for i, s in enumerate(rows if rows is not None else _service_rows(correlation))}
    _set_markers(_marker_artists(ax, len(correlation.alerts)), _storm_points(correlation, rows),
                 len(correlation.incidents))
    colours = _palette(len(correlation.incidents), LEGEND_INCIDENTS)

    every = max(1, -(-len(rows) // ROW_LABELS))    # a label on every row, or on every few
    names = list(rows)
    ax.set_yticks(range(0, len(rows), every), names[::every])
    ax.set_ylim(len(rows) - 0.5, -0.5)            # first row on top
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(tz=UTC, minticks=4, maxticks=10))
    if correlation.alerts:
        start, end = mdates.date2num(correlation.alerts[0].ts), mdates.date2num(correlation.alerts[-1].ts)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M" if end - start < 0.9 else "%m-%d %H:%M",
                                                          tz=UTC))
        pad = max((end - start) * 0.03, 30 / 86400)
        ax.set_xlim(start - pad, end + pad)
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("service" if every == 1 else f"service ({len(rows):,} rows, 1 in {every} labelled)")
    ax.set_title(_storm_title(correlation))
    _storm_legend(ax, correlation, colours, incidents=incident_legend)
    return ax


# ----------------------------------------------------------------------------- the window sweep

def plot_window_sweep(sweep_df, window_s: int | str | None = None, ax=None):
    """Incidents (left axis) and pairwise F1 / noise reduction (right axis) against the
    window on a log scale, with a dashed line at the chosen window (default
    :data:`aiops.DEFAULT_WINDOW_S`). ``sweep_df`` is what :func:`sweep` or
    :func:`aiops.window_sweep` returns. Returns the left Axes.
    """
    window_s = aiops.DEFAULT_WINDOW_S if window_s is None else aiops.parse_window(window_s)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    if "hops" in sweep_df and sweep_df["hops"].nunique() > 1:     # a window x hops sweep: the default's
        sweep_df = sweep_df[sweep_df["hops"] == aiops.DEFAULT_HOPS]
    w = sweep_df["window_s"]
    lines = ax.plot(w, sweep_df["incidents"], color="tab:blue", marker="o", markersize=3, label="incidents")
    ax.set_xscale("log")
    ticks = [t for t in (30, 60, 120, 240, 600, 1800, 3600) if w.min() <= t <= w.max()]   # apart at 10 pt
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("correlation window (seconds, log scale)")
    ax.set_ylabel("incidents")
    ax.set_ylim(bottom=0)
    right = ax.twinx()
    right.grid(False)
    lines += right.plot(w, sweep_df["f1"], color="tab:green", label="pairwise F1")
    lines += right.plot(w, sweep_df["noise_reduction"], color="tab:orange", ls="--", label="noise reduction")
    right.set_ylim(0, 1.05)
    right.set_ylabel("score (0–1)")
    lines.append(ax.axvline(window_s, color="black", ls=":", lw=1.5, label=f"chosen window: {window_s} s"))
    ax.legend(handles=lines, loc="upper left", bbox_to_anchor=(1.0, 1.0), borderaxespad=0, fontsize=MIN_POINTS,
              bbox_transform=ax.transAxes + ScaledTranslation(0.75, 0, ax.figure.dpi_scale_trans))
    ax.set_title("Choosing the window: too short splits incidents, too long merges them")
    return ax


def sweep(alerts: Iterable[Alert], topology, truth, windows: Iterable[int | str] = aiops.DEFAULT_SWEEP,
          progress: bool = False, hops=aiops.DEFAULT_HOPS):
    """:func:`aiops.window_sweep` (same DataFrame), with the progress bar off unless asked for."""
    return aiops.window_sweep(alerts, topology, truth, windows, progress=progress, hops=hops)


# ----------------------------------------------------------------------------- the topology

def _layers(topology: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """service -> layer: 0 for a service with no dependencies, else 1 + its deepest dependency's."""
    services = sorted(set(topology) | {d for deps in topology.values() for d in deps})
    try:
        order = aiops.upstream_order({s: topology.get(s, ()) for s in services})   # dependencies first
    except CycleError:                  # no layers in a cycle: draw every service on one row
        return {s: 0 for s in services}
    layer: dict[str, int] = {}
    for s in order:
        layer[s] = 1 + max((layer[d] for d in topology.get(s, ()) if d != s), default=-1)
    return layer


def _untangle(by_layer: dict[int, list[str]], topology: Mapping[str, Sequence[str]],
              width: int) -> dict[str, tuple[float, int]]:
    """Positions ``{service: (x, layer)}``. Within a layer services are ordered by the mean
    position of the services they connect to (the barycentre heuristic, a few sweeps up
    and down), which removes most crossing arrows; ties keep name order."""
    down = {s: [d for d in deps if d != s] for s, deps in topology.items()}
    up: dict[str, list[str]] = {}
    for s, deps in down.items():
        for d in deps:
            up.setdefault(d, []).append(s)

    def xs(members):
        return {s: (i + 0.5) * width / len(members) for i, s in enumerate(members)}

    x = {s: v for members in by_layer.values() for s, v in xs(members).items()}
    levels = sorted(by_layer)
    for _ in range(4):
        for order, links in ((levels[1:], down), (levels[-2::-1], up)):
            for level in order:
                def centre(s):
                    near = [x[n] for n in links.get(s, ()) if n in x]
                    return sum(near) / len(near) if near else x[s]
                by_layer[level] = sorted(by_layer[level], key=lambda s: (centre(s), s))
                x.update(xs(by_layer[level]))
    return {s: (x[s], level) for level, members in by_layer.items() for s in members}


def plot_topology(topology: Mapping[str, Sequence[str]], alerting=None, ax=None):
    """The service map in layers: dependencies at the bottom, each arrow points from a
    service to one it depends on.

    ``alerting`` colours services: a :class:`aiops.Correlation` colours each by its (first)
    incident and rings the root causes; an iterable of service names or alerts marks
    them "alerting". Alerting services missing from the topology get a row of their own
    ("not in the topology"). Returns the Axes.
    """
    layer = _layers(topology)
    colour_of: dict[str, tuple] = {}
    roots: set[str] = set()
    handles = []
    if isinstance(alerting, aiops.Correlation):
        colours = _palette(len(alerting.incidents))
        for inc, colour in zip(alerting.incidents, colours):
            roots.add(inc.root_cause)
            for s in inc.services:
                colour_of.setdefault(s, colour)
            if len(handles) < LEGEND_INCIDENTS:
                handles.append(Line2D([], [], ls="", marker="o", markersize=9, color=colour,
                                      label=f"{inc.id} · {_label(inc.root_cause, 20)}"))
        handles.append(Line2D([], [], ls="", marker="o", markersize=9, markerfacecolor="white",
                              markeredgecolor="black", markeredgewidth=2, label="root cause (ring)"))
    elif alerting is not None:
        colour_of = {(a.service if isinstance(a, Alert) else str(a)): "tab:red" for a in alerting}
        handles.append(Line2D([], [], ls="", marker="o", markersize=9, color="tab:red", label="alerting"))
    handles.append(Line2D([], [], ls="", marker="o", markersize=9, color="0.85", label="quiet"))
    outside = sorted(set(colour_of) - set(layer))
    top = max(layer.values(), default=-1) + 1
    for s in outside:
        layer[s] = top

    by_layer: dict[int, list[str]] = {}
    for s in sorted(layer, key=lambda s: (layer[s], s)):
        by_layer.setdefault(layer[s], []).append(s)
    width = max((len(v) for v in by_layer.values()), default=1)
    pos = _untangle(by_layer, topology, width)

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.9 * (len(by_layer) + 1)), layout="constrained")
    for s, deps in sorted(topology.items()):
        for d in deps:
            if d != s and d in pos:
                ax.annotate("", xy=pos[d], xytext=pos[s],
                            arrowprops=dict(arrowstyle="-|>", color="0.55", lw=0.9,
                                            shrinkA=11, shrinkB=11))
    for s, (x, y) in pos.items():
        ring = s in roots
        ax.scatter([x], [y], s=320, color=colour_of.get(s, "0.85"), zorder=3,
                   edgecolors="black" if ring else "white", linewidths=2.5 if ring else 1)
        ax.annotate(s, (x, y), xytext=(0, -16), textcoords="offset points", ha="center", va="top",
                    fontsize=MIN_POINTS)
    ax.set_xlim(-0.2, width + 0.2)
    ax.set_ylim(-0.8, max(by_layer, default=0) + 0.5)
    ax.set_xticks([])
    ax.set_yticks(sorted(by_layer), [("not in the topology" if outside and k == top else f"layer {k}")
                                     for k in sorted(by_layer)])
    ax.grid(False)
    ax.set_xlabel("arrow: depends on (each layer ordered to keep arrows short)")
    ax.set_ylabel("layer (0 = depends on nothing)")
    ax.set_title("Service topology" + (": who was alerting" if alerting is not None else ""))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, fontsize=MIN_POINTS)
    return ax


# ----------------------------------------------------------------------------- the explorer

#: Incident rows the explorer's table shows before it says how many more there are.
TABLE_ROWS = 25
#: The explorer's hops control: the direct rule, the default, and one more.
HOPS_CHOICES = (1, 2, 3)


def window_view(alerts: Sequence[Alert] | aiops.PreparedAlerts, topology, truth, window_s: int | str,
                use_topology: bool = True, frame: bool = True, hops: int = aiops.DEFAULT_HOPS) -> dict:
    """The explorer's computation, pure: correlate at ``window_s`` and ``hops`` (with the
    topology or by time alone) and score it.

    Returns ``{"window_s", "hops", "use_topology", "correlation", "evaluation", "incidents"}``;
    ``evaluation`` is :func:`aiops.evaluate` against ``truth`` (None without a truth) and
    ``incidents`` is :func:`aiops.incidents_frame` (None with ``frame=False``). ``alerts``
    may be what :func:`aiops.prepare` made of them.
    """
    window, hops = aiops.parse_window(window_s), aiops.parse_hops(hops)
    correlation = aiops.correlate(alerts, topology if use_topology else None, window, hops=hops)
    evaluation = aiops.evaluate(correlation, truth) if truth is not None else None
    return {"window_s": window, "hops": hops, "use_topology": bool(use_topology), "correlation": correlation,
            "evaluation": evaluation, "incidents": aiops.incidents_frame(correlation) if frame else None}


# Incident tables fit the output area of a 1366-px screen: the table may not grow past its
# container, names and keys stay on one line, and long lists (services, symptoms, alert text)
# wrap inside their cell instead of pushing the columns after them off the right edge.
_TABLE = "max-width: 100%; table-layout: auto; border-collapse: collapse; font-size: 90%"
_CELL = "text-align: left; padding: 0.2em 0.5em; line-height: 1.35"
_KEEP = f"white-space: nowrap; vertical-align: top; {_CELL}"
_WRAP = f"white-space: normal; overflow-wrap: anywhere; word-break: break-word; vertical-align: top; min-width: 6em; {_CELL}"
_HEAD = f"white-space: normal; vertical-align: bottom; {_CELL}"
#: The hand-off table's columns, most important first: what broke, which runbook, how bad,
#: when; then the detail. A ``True`` marks a column whose text may wrap.
INCIDENT_COLUMNS = {"incident": False, "root cause": False, "runbook": False, "severity": False,
                    "start": True, "alerts": False, "services": True, "symptoms": True,
                    "root alert": False, "end": True, "duplicates": False, "firing": False, "ended at": True,
                    "silent services": True}
#: The columns shown unless others are asked for: the ones that fit beside JupyterLab's file
#: browser on a 1366-px screen (the rest are in :func:`aiops.incidents_frame`).
HANDOFF_COLUMNS = ("incident", "root cause", "runbook", "severity", "start", "alerts", "services", "symptoms")


def _cells(inc: aiops.Incident) -> dict:
    return {"incident": inc.id, "root cause": inc.root_cause, "runbook": inc.runbook or "–",
            "severity": inc.severity, "start": f"{inc.start:%Y-%m-%d %H:%M:%S}", "end": f"{inc.end:%Y-%m-%d %H:%M:%S}",
            "alerts": len(inc.alert_ids), "duplicates": inc.duplicates, "root alert": inc.root_alert,
            "services": ", ".join(inc.services), "symptoms": "; ".join(f"{s}: {n}" for s, n in inc.symptoms) or "–",
            "firing": "yes" if inc.firing else "no",
            "ended at": f"{inc.ended_at:%Y-%m-%d %H:%M:%S}" if inc.ended_at is not None else "–",
            "silent services": ", ".join(inc.silent) or "–"}


def _table(columns: Mapping[str, bool], rows: Iterable[Sequence], swatches: Sequence[str] = (),
           more: str = "", caption: str = "") -> str:
    """An HTML table that fits its container: every header and cell ``html.escape``'d, the
    columns marked True may wrap. ``swatches`` (HTML, made here) go before the first cell of
    each row; ``more`` is a last row spanning the table."""
    esc = html.escape
    head = "".join(f"<th style='{_HEAD}'>{esc(name)}</th>" for name in columns)
    body = []
    for k, row in enumerate(rows):
        swatch = swatches[k] if k < len(swatches) else ""
        body.append("<tr>" + "".join(
            f"<td style='{_WRAP if wrap else _KEEP}'>{swatch if i == 0 else ''}{esc(str(value))}</td>"
            for i, (value, wrap) in enumerate(zip(row, columns.values()))) + "</tr>")
    if more:
        body.append(f"<tr><td colspan='{len(columns)}' style='{_WRAP}'><i>{esc(more)}</i></td></tr>")
    title = f"<caption style='text-align: left'>{esc(caption)}</caption>" if caption else ""
    return (f"<table class='desk-incidents' style='{_TABLE}'>{title}<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def _swatches(n_incidents: int, shown: int) -> list[str]:
    """The coloured square before each incident id: its colour in :func:`plot_storm`."""
    return [f"<span style='color: {to_hex(colour)}'>&#9632;</span> " for colour in _palette(n_incidents, shown)]


def incidents_html(correlation: aiops.Correlation, limit: int | None = None,
                   columns: Sequence[str] | None = None) -> str:
    """The incidents of ``correlation`` as the hand-off table, in HTML that fits a projector's
    screen: the columns that matter in order of importance (:data:`HANDOFF_COLUMNS`, or
    the ``columns`` named from :data:`INCIDENT_COLUMNS`), services and symptoms wrapping
    inside their cells, the table never wider than its output area. ``limit`` shows the first incidents and a line counting the rest.
    The same records as :func:`aiops.incidents_frame`; all text is ``html.escape``'d.
    """
    names = list(HANDOFF_COLUMNS if columns is None else columns)
    unknown = [c for c in names if c not in INCIDENT_COLUMNS]
    if unknown:
        raise ValueError(f"incidents_html: unknown column(s) {unknown}; choose from {list(INCIDENT_COLUMNS)}")
    incidents = correlation.incidents
    shown = incidents if limit is None else incidents[:limit]
    rows = [[_cells(inc)[c] for c in names] for inc in shown]
    more = (f"… {len(incidents) - len(shown):,} more incidents (all of them: aiops.incidents_frame(...))"
            if len(incidents) > len(shown) else "")
    how = "time + topology" if correlation.topology_used else "time only"
    caption = (f"{len(incidents)} incidents from {len(correlation.alerts)} alerts "
               f"(window {correlation.window_s} s, {how}); times in UTC")
    return _table({c: INCIDENT_COLUMNS[c] for c in names}, rows, _swatches(len(incidents), len(shown)), more, caption)


def incidents_table(correlation: aiops.Correlation, limit: int | None = None,
                    columns: Sequence[str] | None = None):
    """:func:`incidents_html` ready to display in a notebook (an ``IPython.display.HTML``)."""
    from IPython.display import HTML
    return HTML(incidents_html(correlation, limit, columns))


#: The explorer's incident table: a column per item, True where the text may wrap (the root
#: alert's name shares its cell with what it said, so the table fits beside the file browser).
_COLUMNS = {"incident": False, "root cause": False, "runbook": False, "alerts": False, "duplicates": False,
            "first": False, "last": False, "root alert: what it said": True, "services": True}


def view_html(view: Mapping, limit: int = TABLE_ROWS, alerts_by_id: Mapping[str, Alert] | None = None) -> str:
    """The numbers and the incident table of a :func:`window_view`, as HTML: the first
    ``limit`` incidents, then a line saying how many more there are. ``alerts_by_id``
    (optional) finds the root alerts' summaries without a pass over the storm.

    Every piece of alert text (service, alert name, summary) is ``html.escape``'d. The
    square before each incident id has the incident's colour in :func:`plot_storm`. The
    table fits its output area: the alert text and the services wrap.
    """
    corr: aiops.Correlation = view["correlation"]
    shown = corr.incidents[:limit]
    if alerts_by_id is None:
        wanted = {inc.root_alert_id for inc in shown}
        alerts_by_id = {a.id: a for a in corr.alerts if a.id in wanted}
    summary = {inc.root_alert_id: alerts_by_id[inc.root_alert_id].summary for inc in shown}
    how = f"hops {view.get('hops', aiops.DEFAULT_HOPS)}, time + topology" if view["use_topology"] else "time only"
    parts = [f"window <b>{view['window_s']} s</b>, {how}: {len(corr.alerts)} alerts → "
             f"<b>{len(corr.incidents)} incidents</b>, noise reduction <b>{corr.noise_reduction:.3f}</b>"]
    ev = view["evaluation"]
    if ev is not None:
        parts.append(f"pairwise F1 <b>{ev['f1']:.3f}</b> (precision {ev['precision']:.3f}, recall "
                     f"{ev['recall']:.3f}), root-cause accuracy <b>{ev['root_cause_accuracy']:.2f}</b> "
                     f"against {ev['true_incidents']} true incidents")
    rows = [(inc.id, inc.root_cause, inc.runbook or "–", len(inc.alert_ids), inc.duplicates,
             f"{inc.start:%H:%M:%S}", f"{inc.end:%H:%M:%S}",
             f"{inc.root_alert}: {_label(summary.get(inc.root_alert_id, ''), 60)}", ", ".join(inc.services))
            for inc in shown]
    more = (f"… {len(corr.incidents) - len(shown):,} more incidents "
            "(all of them: aiops.incidents_frame(explorer.view['correlation']))" if len(corr.incidents) > len(shown)
            else "")
    return ("<div>" + "<br>".join(parts) + "</div>"
            + _table(_COLUMNS, rows, _swatches(len(corr.incidents), limit), more))


class WindowExplorer(widgets.VBox):
    """A window slider and a "use topology" checkbox; on every change the storm is
    correlated again and the numbers, the incident table and the storm timeline are
    redrawn.

    ``.slider``, ``.toggle`` and ``.hops`` are the controls (set ``.value`` to move them), ``.view``
    the latest :func:`window_view` result (without the ``incidents`` frame: make it with
    :func:`aiops.incidents_frame` when you want it), ``.summary`` the HTML widget with
    the numbers and the table, ``.plot`` the Output the timeline is drawn into. The
    figure is made once and redrawn in place.

    Scale: the alerts are sorted and read into arrays once (:func:`aiops.prepare`), as
    is the truth; a change then costs one correlation on the arrays, the first
    :data:`TABLE_ROWS` incident records, and drawing the markers over a cached
    background (``benchmarks/run.py`` times it on 100,000 alerts).
    """

    def __init__(self, alerts: Sequence[Alert], topology, truth=None,
                 window_s: int = aiops.DEFAULT_WINDOW_S, use_topology: bool = True,
                 hops: int = aiops.DEFAULT_HOPS):
        self.alerts, self.topology, self.truth = list(alerts), topology, truth
        self.prepared = aiops.prepare(self.alerts)
        self._by_id = {a.id: a for a in self.prepared.alerts}
        self._truth = _truth_codes(truth, self.prepared.ids) if truth is not None else None
        self._runbooks = aiops.load_runbooks()
        self.slider = widgets.IntSlider(value=aiops.parse_window(window_s), min=WINDOW_MIN_S, max=WINDOW_MAX_S,
                                        step=WINDOW_STEP_S, description="window (s)",
                                        layout=widgets.Layout(width="420px"))
        self.toggle = widgets.Checkbox(value=use_topology, description="use topology")
        self.hops = widgets.Dropdown(options=HOPS_CHOICES, value=aiops.parse_hops(hops), description="hops",
                                     layout=widgets.Layout(width="140px"),
                                     style={"description_width": "initial"})
        self.summary = widgets.HTML()
        self.plot = widgets.Output()
        self.view: dict = {}
        self.png = b""
        self._build_figure()
        super().__init__([widgets.HBox([self.slider, self.toggle, self.hops]), self.summary, self.plot])
        self.slider.observe(self._update, names="value")
        self.toggle.observe(self._update, names="value")
        self.hops.observe(self._update, names="value")
        self._update()

    def _build_figure(self) -> None:
        """Draw the parts that never change once (axes, service rows, time axis) and keep
        them as a background; an update draws only the markers and the title over it
        (matplotlib "blitting"). Not a pyplot figure, so the notebook does not show it a
        second time below the widget."""
        self._figure = Figure(figsize=STORM_FIGSIZE, dpi=80, layout="constrained")
        self._canvas = FigureCanvasAgg(self._figure)
        self._ax = ax = self._figure.add_subplot()
        # rows fixed for the explorer's life (as the default view orders them), so they do not jump
        reference = aiops.correlate(self.prepared, self.topology, aiops.DEFAULT_WINDOW_S,
                                    runbooks=aiops.Runbooks())
        self._rows = {s: i for i, s in enumerate(_service_rows(reference))}
        plot_storm(reference, ax=ax, rows=list(self._rows), incident_legend=False)
        self._markers = storm_markers(ax)
        for artist in (*self._markers_flat(), ax.title):
            artist.set_animated(True)
        self._canvas.draw()
        self._background = self._canvas.copy_from_bbox(self._figure.bbox)
        # the legend's pixels as drawn: pasted back over the markers after each update
        # (drawing the legend again would cost more than the rest of an update)
        legend = ax.get_legend()
        self._legend = self._canvas.copy_from_bbox(legend.get_window_extent()) if legend else None

    def _markers_flat(self) -> list:
        return [line for lines in self._markers for line in lines]

    def _update(self, change=None) -> None:
        window, use_topology, hops = self.slider.value, self.toggle.value, self.hops.value
        corr = aiops.correlate(self.prepared, self.topology if use_topology else None, window,
                               runbooks=self._runbooks, hops=hops)
        evaluation = _score(corr, self._truth) if self._truth is not None else None
        self.view = {"window_s": window, "hops": hops, "use_topology": bool(use_topology), "correlation": corr,
                     "evaluation": evaluation, "incidents": None}
        self.summary.value = view_html(self.view, alerts_by_id=self._by_id)
        ax = self._ax
        _set_markers(self._markers, _storm_points(corr, self._rows), len(corr.incidents),
                     pixels=ax.transData if len(corr.alerts) > DENSE_ALERTS else None)
        ax.title.set_text(_storm_title(corr))
        self._canvas.restore_region(self._background)
        for artist in (*self._markers_flat(), ax.title):
            if not isinstance(artist, Line2D) or len(artist.get_xdata()):   # 60 lines, most empty
                ax.draw_artist(artist)
        if self._legend is not None:
            self._canvas.restore_region(self._legend)    # markers must not cover the legend
        width, height = self._canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self._canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="PNG", compress_level=1)   # fast: this PNG lives a moment
        self.png = buffer.getvalue()
        # Replace the Output's content by setting it, not by capturing a display() inside
        # `with self.plot:` -- capture needs a front end, and nbclient (the notebook
        # runner) fails on captured output when it does not store widget state.
        self.plot.outputs = ({"output_type": "display_data", "metadata": {},
                              "data": {"image/png": base64.b64encode(self.png).decode("ascii"),
                                       "text/plain": _storm_title(corr)}},)

    def __repr__(self) -> str:   # the text a notebook saves next to the widget
        corr = self.view["correlation"]
        how = f"hops {self.hops.value}, time + topology" if self.toggle.value else "time only"
        return (f"WindowExplorer(window {self.slider.value} s, {how}: "
                f"{len(corr.alerts)} alerts -> {len(corr.incidents)} incidents)")


def window_explorer(alerts: Sequence[Alert] | None = None, topology=None, truth=None) -> WindowExplorer:
    """The window explorer on the lesson's storm (or on ``alerts`` you pass).

    Missing pieces come from the fixtures: the topology always, the truth only when the
    alerts are the fixture's too (another storm's alerts have no answer key here).
    """
    from .data import fixture
    from .records import load_alert_truth, load_alerts, load_topology
    if alerts is None:
        alerts = load_alerts(fixture("alerts.jsonl"))
        if truth is None:
            truth = load_alert_truth(fixture("alerts_truth.csv"))
    if topology is None:
        topology = load_topology(fixture("topology.json"))
    return WindowExplorer(alerts, topology, truth)


# ----------------------------------------------------------------------------- the show

_SEVERITY_ORDER = {"SEV1": 0, "SEV2": 1, "SEV3": 2, "SEV4": 3}


def human_queue_frame(day, tickets: Iterable[Ticket]):
    """DataFrame: the tickets the gate sent to a person, with the triage and the reason.

    ``day`` is a :class:`desklib.support_desk.DeskDay`. Text is shown as data (a
    DataFrame's HTML escapes it).
    """
    import pandas as pd
    by_id = {t.id: t for t in tickets}
    def subject(ticket_id: str) -> str:
        t = by_id.get(ticket_id)
        return _label(t.subject or t.body, 50) if t else ""

    rows = [{"id": o.id, "subject": subject(o.id), "triaged": o.severity, "confidence": o.confidence,
             "reason": o.reason, "rules matched": "; ".join(o.matched) or "–"} for o in day.human_queue]
    return pd.DataFrame(rows, columns=["id", "subject", "triaged", "confidence", "reason", "rules matched"])


def post_this(correlation: aiops.Correlation, day, tickets: Iterable[Ticket]) -> str:
    """The few lines a learner posts at the end: the noise-reduction number and the
    ticket that went to a human (the most severe one the gate held back, with why)."""
    by_id = {t.id: t for t in tickets}
    n, k = len(correlation.alerts), len(correlation.incidents)
    how = "time + topology" if correlation.topology_used else "time only"
    lines = [f"Noise reduction: {correlation.noise_reduction:.3f} — {n} alerts → {k} incidents "
             f"(window {correlation.window_s} s, {how})",
             "Page on: " + ", ".join(inc.root_cause for inc in correlation.incidents)]
    queue = day.human_queue
    lines.append(f"To a human: {len(queue)} of {len(day.outcomes)} tickets (gate threshold {day.threshold:.2f})")
    if queue:
        held = min(queue, key=lambda o: (_SEVERITY_ORDER.get(o.severity, 9), -o.confidence))
        t = by_id.get(held.id)
        subject = _label(t.subject or t.body, 60) if t else ""
        lines.append(f"  {held.id} \"{subject}\" — triaged {held.severity}, {held.reason}")
    return "\n".join(lines)
