"""Plots for the desk notebooks (01–04): every function takes data and ``ax=None`` and returns the Axes.

Each one draws a DataFrame that the library already computed; none of them
computes a result of its own. Colours are fixed (the same state or severity has
the same colour in every plot and on every machine).

==============================  ==========================================================
:func:`plot_confusion`          ``triage.confusion_matrix`` as a heatmap with counts
:func:`plot_reliability`        ``triage.reliability_table``: accuracy vs confidence per bin
:func:`plot_risk_coverage`      ``gate.risk_coverage`` with a marker at the threshold
:func:`plot_threshold_sweep`    ``gate.threshold_sweep``: coverage, accuracy, human queue
:func:`plot_sla_clocks`         ``sla.sla_frame``: share of each target used at ``now``
:func:`plot_escalation_timeline` ``escalation.escalation_frame``: the day, one row a ticket
:func:`plot_queue_comparison`   ``queue.compare_policies``: SLAs met per discipline
==============================  ==========================================================

Plots that show a threshold register a marker that :func:`set_threshold` moves
without redrawing the rest — the threshold explorer in :mod:`desklib.widgets`
uses that to stay fast. This module is imported only by notebooks and widgets,
never by the ``desk`` command, so importing matplotlib at the top is fine.
"""
from __future__ import annotations

from typing import Callable
from weakref import WeakKeyDictionary

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.transforms import ScaledTranslation

__all__ = ["MIN_POINTS", "SLA_ROWS", "STATE_COLORS", "SEVERITY_COLORS", "EVENT_STYLES", "QUEUE_COLORS",
           "plot_confusion", "plot_reliability", "plot_risk_coverage", "plot_threshold_sweep",
           "set_threshold", "threshold_artists", "sla_rows", "plot_sla_clocks", "plot_escalation_timeline", "plot_queue_comparison"]

#: SLA states, from calm to late; "fulfilled" is done.
STATE_COLORS = {"ok": "#4c9a2a", "warning_50": "#e3b505", "warning_75": "#f28e2b",
                "breached": "#d62728", "fulfilled": "#9aa5b1"}
#: Severities, most severe first.
SEVERITY_COLORS = {"SEV1": "#d62728", "SEV2": "#f28e2b", "SEV3": "#1f77b4", "SEV4": "#7f7f7f"}
#: Markers of the escalation timeline: event -> (label, marker, colour, size in points).
EVENT_STYLES = {
    "created_at": ("created", "o", "#555555", 6),
    "warning_50": ("warning 50 %", "v", STATE_COLORS["warning_50"], 8),
    "warning_75": ("warning 75 %", "v", STATE_COLORS["warning_75"], 8),
    "breached": ("first breach", "X", STATE_COLORS["breached"], 9),
    "escalated": ("escalated (to the tier named)", ">", "#6a3d9a", 9),
    "resolved_at": ("resolved", "s", STATE_COLORS["ok"], 7),
}
#: The escalation arrows ride this many points above their ticket's line, drawn over every
#: other marker: an escalation often happens at the breach, and the breach's cross must not hide it.
ESCALATION_LIFT = 10
_ROW_IN = 0.36                     # inches per ticket row of the timeline
#: Queue simulation outcomes.
QUEUE_COLORS = {"met": "#4c9a2a", "missed": "#d62728"}
_LINE = {"coverage": "#1f77b4", "accuracy": "#2ca02c", "human": "#f28e2b",
         "threshold": "#d62728", "ideal": "#7f7f7f", "counts": "#c7d3e0"}

# Axes -> [(function that moves a threshold marker, the artists it moves)]; see set_threshold().
_MARKERS: "WeakKeyDictionary[Axes, list[tuple[Callable[[float], None], tuple]]]" = WeakKeyDictionary()


#: The smallest text on a picture, in points: readable from the back of a room on a projector
#: at 1366×768 (10 pt is 11 px at the lesson's 80 dpi). Tick labels and legends never go below it.
MIN_POINTS = 10
#: Clocks :func:`plot_sla_clocks` shows by default (the most used ones; a note counts the rest).
SLA_ROWS = 15


def _axes(ax: Axes | None, figsize: tuple[float, float] = (7, 4)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


#: Room (inches) a right-hand axis takes with its tick labels and label: a legend starts past it.
_RIGHT_AXIS_IN = 0.75


def _legend_outside(ax: Axes, handles=None, title: str | None = None, gap_in: float = 0.1):
    """A legend to the right of the axes, top-aligned, so it never covers data.

    ``gap_in`` is the space (inches) between the axes and the legend: a plot with a right
    axis (``twinx``) passes enough to clear that axis' tick labels and label.
    """
    shift = ScaledTranslation(gap_in, 0, ax.figure.dpi_scale_trans)
    kwargs = {} if handles is None else {"handles": handles}
    return ax.legend(**kwargs, loc="upper left", bbox_to_anchor=(1.0, 1.0), bbox_transform=ax.transAxes + shift,
                     borderaxespad=0, fontsize=MIN_POINTS, title=title, title_fontsize=MIN_POINTS)


def _register(ax: Axes, update: Callable[[float], None], *artists) -> None:
    _MARKERS.setdefault(ax, []).append((update, artists))


def set_threshold(ax: Axes, threshold: float) -> None:
    """Move the threshold marker(s) a plot function drew on ``ax`` (nothing else changes)."""
    for update, _ in _MARKERS.get(ax, []):
        update(threshold)


def threshold_artists(ax: Axes) -> list:
    """The artists :func:`set_threshold` moves on ``ax`` (a widget redraws only these)."""
    return [artist for _, artists in _MARKERS.get(ax, []) for artist in artists]


# ----------------------------------------------------------------------------- 01 triage

def plot_confusion(matrix, ax: Axes | None = None, title: str = "Triage vs truth: confusion matrix") -> Axes:
    """Heatmap of ``triage.confusion_matrix`` (true severity in rows, predicted in columns), counts written in.

    The diagonal is right; everything off it is a ticket triaged to the wrong severity.
    """
    ax = _axes(ax, (5, 4.2))
    values = matrix.to_numpy()
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=max(int(values.max()), 1))
    top = values.max() if values.size else 0
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            count = int(values[i, j])
            ax.text(j, i, str(count), ha="center", va="center", fontsize=11,
                    color="white" if count > top / 2 else "black",
                    fontweight="bold" if i == j else "normal")
    ax.set_xticks(range(values.shape[1]), [str(c) for c in matrix.columns])
    ax.set_yticks(range(values.shape[0]), [str(r) for r in matrix.index])
    ax.set_xlabel(f"{matrix.columns.name or 'predicted'} severity")
    ax.set_ylabel(f"{matrix.index.name or 'true'} severity")
    ax.set_title(title)
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, label="tickets", fraction=0.046, pad=0.04)
    return ax


def plot_reliability(table, ax: Axes | None = None, threshold: float | None = None,
                     counts: bool = True, ece: float | None = None,
                     title: str = "Reliability: is confidence 0.8 right 80 % of the time?",
                     label: str = "keyword rules") -> Axes:
    """``triage.reliability_table`` as a reliability diagram.

    Each filled bin is a point at (mean confidence, accuracy); the dashed diagonal is
    perfect calibration (above it: under-confident, below it: over-confident).
    ``counts`` adds light bars with the number of tickets per bin (right axis);
    ``threshold`` adds a vertical line that :func:`set_threshold` can move; ``label`` names
    the classifier in the legend (a model's predictions: ``label="model"``).
    """
    ax = _axes(ax, (6, 4.2))
    bins = len(table)
    width = 1 / bins if bins else 1.0
    handles = []
    if counts and bins:
        right = ax.twinx()
        centers = [(i + 0.5) * width for i in range(bins)]
        right.bar(centers, table["count"], width=width * 0.9, color=_LINE["counts"], alpha=0.6, zorder=0)
        right.set_ylabel("tickets in the bin")
        right.set_ylim(0, max(int(table["count"].max()), 1) * 3)    # keep the bars in the lower third
        right.grid(False)
        ax.set_zorder(right.get_zorder() + 1)
        ax.patch.set_visible(False)
        handles.append(Patch(color=_LINE["counts"], label="tickets per bin (right axis)"))
    ideal, = ax.plot([0, 1], [0, 1], ls="--", color=_LINE["ideal"], label="perfect calibration")
    filled = table[table["count"] > 0]
    points, = ax.plot(filled["mean_confidence"], filled["accuracy"], "o-", color=_LINE["coverage"],
                      label=f"{label} ({bins} bins)", zorder=3)
    handles = [points, ideal] + handles
    if threshold is not None:
        line = ax.axvline(threshold, color=_LINE["threshold"], lw=1.5, label="gate threshold")
        handles.append(line)

        def move(t: float) -> None:
            line.set_xdata([t, t])
        _register(ax, move, line)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("mean confidence in the bin")
    ax.set_ylabel("accuracy in the bin")
    ax.set_title(title if ece is None else f"{title}\nECE ({bins} bins) = {ece:.3f}")
    _legend_outside(ax, handles, gap_in=_RIGHT_AXIS_IN if counts and bins else 0.1)
    return ax


# ----------------------------------------------------------------------------- 02 the gate

def _rc_point(rc, threshold: float) -> tuple[float, float] | None:
    """(coverage, risk) of the gate at ``threshold`` read off the risk–coverage table."""
    above = rc[rc["threshold"] >= threshold - 1e-12]
    if above.empty:
        return None
    row = above.loc[above["threshold"].idxmin()]
    return float(row["coverage"]), float(row["risk"])


def plot_risk_coverage(rc, ax: Axes | None = None, threshold: float | None = None,
                       title: str = "Risk–coverage: automate more, err more") -> Axes:
    """``gate.risk_coverage``: share auto-routed (x) against the error rate of what is auto-routed (y).

    Each point is one threshold (a distinct confidence, highest on the left). With
    ``threshold`` a marker shows where the gate sits; :func:`set_threshold` moves it.
    """
    ax = _axes(ax, (6, 4.2))
    curve, = ax.plot(rc["coverage"], rc["risk"], "o-", color=_LINE["coverage"], ms=4,
                     label="each point: one threshold")
    handles = [curve]
    if threshold is not None:
        marker, = ax.plot([], [], "D", color=_LINE["threshold"], ms=10, zorder=4, label="gate threshold")
        note = ax.text(0.02, 0.97, "", transform=ax.transAxes, va="top", fontsize=MIN_POINTS,
                       bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="none", alpha=0.8))
        handles.append(marker)

        def move(t: float) -> None:
            point = _rc_point(rc, t)
            if point is None:
                marker.set_data([], [])
                note.set_text(f"threshold {t:.2f}\nnothing auto-routed")
            else:
                marker.set_data([point[0]], [point[1]])
                note.set_text(f"threshold {t:.2f}\ncoverage {point[0]:.0%}, risk {point[1]:.1%}")
        move(threshold)
        _register(ax, move, marker, note)
    ax.set_xlim(0, 1)
    top = float(rc["risk"].max()) if len(rc) else 0.0
    ax.set_ylim(-0.005, max(top * 1.4, 0.05))
    ax.set_xlabel("coverage (share of tickets auto-routed)")
    ax.set_ylabel("risk (share of auto-routed that are wrong)")
    ax.set_title(title)
    _legend_outside(ax, handles)
    return ax


def plot_threshold_sweep(sweep, ax: Axes | None = None, threshold: float | None = None,
                         title: str = "Threshold sweep: what each threshold buys") -> Axes:
    """``gate.threshold_sweep``: coverage and auto-routed accuracy (left axis) and the human queue (right axis)."""
    ax = _axes(ax, (7, 4.2))
    right = ax.twinx()
    cov, = ax.plot(sweep["threshold"], sweep["coverage"], "o-", ms=3, color=_LINE["coverage"],
                   label="coverage (auto-routed share)")
    acc, = ax.plot(sweep["threshold"], sweep["auto_accuracy"], "s-", ms=3, color=_LINE["accuracy"],
                   label="accuracy of the auto-routed")
    queue, = right.plot(sweep["threshold"], sweep["human_queue"], "^--", ms=3, color=_LINE["human"],
                        label="human queue (right axis)")
    handles = [cov, acc, queue]
    if threshold is not None:
        line = ax.axvline(threshold, color=_LINE["threshold"], lw=1.5, label="gate threshold")
        handles.append(line)
        _register(ax, lambda t: line.set_xdata([t, t]), line)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    right.set_ylim(0, max(int(sweep["human_queue"].max()), 1) * 1.05)
    right.set_ylabel("tickets sent to a human")
    right.grid(False)
    ax.set_xlabel("gate threshold (auto-route when confidence ≥ threshold)")
    ax.set_ylabel("share")
    ax.set_title(title)
    _legend_outside(ax, handles, gap_in=_RIGHT_AXIS_IN)
    return ax


def plot_precision_bounds(frame, target: float, true_precision: float | None = None,
                          ax: Axes | None = None, delta: float = 0.05,
                          title: str = "What a labelled set can certify") -> Axes:
    """Observed precision and its lower bound against the number of labelled tickets.

    ``frame`` has one row per labelled set: ``labelled`` (its size), ``precision`` (observed
    at one threshold) and ``precision_lower_bound`` (Clopper–Pearson at 1 − ``delta``). Sizes
    go on a log axis, each set a point (spread sideways a little so they do not hide each
    other); ``target`` and, when known, ``true_precision`` are horizontal lines.
    """
    import numpy as np
    ax = _axes(ax, (7, 4.2))
    sizes = sorted(frame["labelled"].unique())
    rank = frame.groupby("labelled").cumcount().to_numpy()
    spread = np.exp((rank - rank.max() / 2) * 0.02) if len(frame) else 1.0
    x = frame["labelled"].to_numpy() * spread
    seen, = ax.plot(x, frame["precision"], "o", mfc="none", ms=6, color=_LINE["coverage"],
                    label="observed precision (one labelled set each)")
    bound, = ax.plot(x, frame["precision_lower_bound"], "o", ms=5, color=_LINE["accuracy"],
                     label=f"its lower bound ({1 - delta:.0%} sure)")
    handles = [seen, bound]
    goal = ax.axhline(target, color=_LINE["threshold"], ls="--", lw=1.5, label=f"target {target:.0%}")
    handles.append(goal)
    if true_precision is not None:
        real = ax.axhline(true_precision, color=_LINE["ideal"], lw=1.5,
                          label=f"true precision {true_precision:.1%}")
        handles.append(real)
    ax.set_xscale("log")
    ax.set_xticks(sizes, [f"{s:,}" for s in sizes])
    ax.minorticks_off()
    ax.set_xlim(min(sizes) / 1.6, max(sizes) * 1.6)
    low = float(np.nanmin(frame["precision_lower_bound"])) if len(frame) else 0.0
    ax.set_ylim(max(0.0, min(low, target) - 0.05), 1.01)
    ax.set_xlabel("labelled tickets in the set (log scale)")
    ax.set_ylabel("precision of the auto-routed")
    ax.set_title(title)
    _legend_outside(ax, handles)
    return ax


# ----------------------------------------------------------------------------- 03 the SLA clock

def sla_rows(frame, top: int | None = SLA_ROWS):
    """The clocks :func:`plot_sla_clocks` shows: the ``top`` most used (largest share of the
    target used, ties by ticket and metric), most used first; ``top=None`` keeps them all.
    Returns ``(rows, hidden)``: the rows as a DataFrame and how many were left out."""
    order = sorted(range(len(frame)), key=lambda i: (-float(frame["elapsed"].iloc[i]),
                                                     str(frame["ticket_id"].iloc[i]), str(frame["metric"].iloc[i])))
    keep = order if top is None else order[:top]
    return frame.iloc[keep].reset_index(drop=True), len(frame) - len(keep)


def plot_sla_clocks(frame, now=None, ax: Axes | None = None, clip: float = 2.0,
                    title: str | None = None, top: int | None = SLA_ROWS) -> Axes:
    """``sla.sla_frame`` at ``now``: one bar per ticket × metric, the share of its target used.

    Only the ``top`` clocks that matter most are drawn (the largest shares used, most
    used at the top; ``top=None`` draws all of them) and the title says how many are
    hidden. Bars are coloured by state (ok, warning 50 %, warning 75 %, breached,
    fulfilled); dotted lines mark 50 % and 75 %, the solid line 100 % (due). Bars longer
    than ``clip`` (200 %) are cut and labelled with their real share. Paused clocks
    (pending on the customer) say so in their label.
    """
    rows, hidden = sla_rows(frame, top)
    ax = _axes(ax, (8, max(2.5, 0.3 * len(rows) + 1.4)))
    y = list(range(len(rows)))[::-1]                # first row (the most used) at the top
    shares = [min(float(s), clip) for s in rows["elapsed"]]
    colors = [STATE_COLORS.get(s, "#000000") for s in rows["state"]]
    ax.barh(y, [100 * s for s in shares], color=colors, height=0.7)
    for yi, real, shown in zip(y, rows["elapsed"], shares):
        if real > clip:
            ax.text(100 * shown, yi, f" {real:.0%} ▶", va="center", fontsize=MIN_POINTS)
    labels = [f"{r.ticket_id} {r.severity} {r.tier} · {r.metric.replace('_', ' ')}"
              + (" (paused)" if r.paused else "") for r in rows.itertuples()]
    ax.set_yticks(y, labels, fontsize=MIN_POINTS)
    for level, style in ((50, ":"), (75, ":"), (100, "-")):
        ax.axvline(level, color="#333333", ls=style, lw=1)
    ax.set_xlim(0, 100 * clip * 1.16)
    ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
    ax.set_xlabel("share of the SLA target used (%)\ndotted: 50 % and 75 % warnings, solid: due")
    ax.set_ylabel("ticket · metric")
    when = f" at {now:%a %Y-%m-%d %H:%M} UTC" if now is not None else ""
    shown = (f"the {len(rows)} most used of {len(frame)} clocks ({hidden} hidden)" if hidden
             else f"all {len(rows)} clocks")
    ax.set_title(f"{title or f'SLA clocks{when}'}\n{shown}")
    _legend_outside(ax, [Patch(color=c, label=s.replace("_", " ")) for s, c in STATE_COLORS.items()], title="state")
    ax.grid(axis="y", visible=False)
    return ax


# ----------------------------------------------------------------------------- 04 escalation

def _hours(ts, start) -> float:
    return (ts - start).total_seconds() / 3600


def plot_escalation_timeline(frame, ax: Axes | None = None, start=None, end=None, now=None,
                             title: str = "The day on the desk: created → warnings → breach → escalation") -> Axes:
    """``escalation.escalation_frame``: one row per ticket across the day.

    A grey line runs from creation to resolution (or to ``end``); markers show
    the first 50 % and 75 % warnings, the first breach, every escalation (labelled
    with the tier it went to) and the resolution. ``start``/``end`` default to the
    lesson's day (:data:`desklib.DAY_START`, :data:`desklib.DAY_END`); ``now``
    adds a vertical line.
    """
    import pandas as pd
    from .data import DAY_END, DAY_START
    start = pd.Timestamp(start if start is not None else DAY_START)
    end = pd.Timestamp(end if end is not None else DAY_END)
    rows = frame.reset_index(drop=True)
    ax = _axes(ax, (9, max(2.5, _ROW_IN * len(rows) + 1.4)))
    y = list(range(len(rows)))[::-1]
    lift = ScaledTranslation(0, ESCALATION_LIFT / 72, ax.figure.dpi_scale_trans)
    for yi, r in zip(y, rows.itertuples()):
        created = _hours(r.created_at, start)
        done = _hours(r.resolved_at, start) if not pd.isna(r.resolved_at) else _hours(end, start)
        ax.plot([created, done], [yi, yi], color="#bbbbbb", lw=2, zorder=1)
        tiers = r.path.split(" -> ")[1:]
        for k, at in enumerate(r.escalated_times):
            x = _hours(pd.Timestamp(at), start)
            ax.annotate(tiers[k] if k < len(tiers) else "", (x, yi), xytext=(6, ESCALATION_LIFT),
                        textcoords="offset points", fontsize=MIN_POINTS, ha="left", va="center",
                        color=EVENT_STYLES["escalated"][2], zorder=5)
    for column, (label, marker, color, size) in EVENT_STYLES.items():
        if column == "escalated":
            xs = [_hours(pd.Timestamp(at), start) for r in rows.itertuples() for at in r.escalated_times]
            ys = [yi for yi, r in zip(y, rows.itertuples()) for _ in r.escalated_times]
        elif column in rows.columns:
            pairs = [(_hours(ts, start), yi) for yi, ts in zip(y, rows[column]) if not pd.isna(ts)]
            xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
        else:
            xs, ys = [], []
        line, = ax.plot(xs, ys, ls="none", marker=marker, color=color, ms=size, label=label,
                        zorder=5 if column == "escalated" else 3, gid=f"timeline-{column}")
        if column == "escalated":
            line.set_transform(ax.transData + lift)
    if now is not None:
        ax.axvline(_hours(pd.Timestamp(now), start), color="#333333", ls="--", lw=1, label="the lesson's now")
    labels = [f"{r.ticket_id} {r.severity} {r.path.replace(' -> ', '→')}" for r in rows.itertuples()]
    ax.set_yticks(y, labels, fontsize=MIN_POINTS)
    span = _hours(end, start)
    ax.set_xlim(0, span)
    ax.set_xticks(range(0, int(span) + 1, 2))
    ax.set_ylim(-0.6, len(rows) - 0.1)
    ax.set_xlabel(f"hour of the day ({start:%a %Y-%m-%d} UTC); grey line: open")
    ax.set_ylabel("ticket, severity, tier path")
    ax.set_title(title)
    _legend_outside(ax, title="events")
    ax.grid(axis="y", visible=False)
    return ax


def plot_queue_comparison(table, ax: Axes | None = None,
                          title: str = "First responses on time, by queue discipline") -> Axes:
    """``queue.compare_policies`` (one table, or several concatenated for different ``agents``).

    Stacked bars per discipline: SLAs met (green) and missed (red), grouped by the
    number of agents K.
    """
    ax = _axes(ax, (9, 4))
    rows = table.reset_index(drop=True)
    groups = list(dict.fromkeys(rows["agents"]))
    xs, labels = [], []
    x = 0.0
    for g in groups:
        for r in rows[rows["agents"] == g].itertuples():
            xs.append(x)
            labels.append(f"{r.policy}\nK={g}")
            x += 1
        x += 0.6                                          # a gap between agent counts
    met, missed = rows["met"].to_numpy(), rows["missed"].to_numpy()
    ax.bar(xs, met, color=QUEUE_COLORS["met"], label="SLA met", width=0.8)
    ax.bar(xs, missed, bottom=met, color=QUEUE_COLORS["missed"], label="SLA missed", width=0.8)
    for xi, m, n in zip(xs, met, missed):
        ax.text(xi, m / 2, str(int(m)), ha="center", va="center", color="white", fontsize=MIN_POINTS)
        if n:
            ax.text(xi, m + n / 2, str(int(n)), ha="center", va="center", color="white", fontsize=MIN_POINTS,
                    fontweight="bold")
    ax.set_xticks(xs, labels)
    ax.set_ylim(0, float((met + missed).max()) * 1.08)
    ax.set_xlabel("queue discipline and number of agents K")
    ax.set_ylabel("tickets (first response)")
    ax.set_title(title)
    _legend_outside(ax)
    return ax
