"""Widgets for the desk notebooks: the confidence-gate threshold explorer (notebook 02).

The computation is a pure function, :func:`gate_view`, so it can be tested and
shown without a browser. The widget, :func:`threshold_explorer`, only calls it
when its slider moves and redraws what changed:

* the auto / human split and the accuracy of what is auto-routed;
* the human queue (and the auto-routed tickets that are wrong) as HTML tables —
  every piece of ticket text goes through :func:`html.escape`, because tickets
  are written by strangers (the fixture day has one carrying a ``<script>`` tag);
* a marker on the risk–coverage curve and a line on the reliability diagram.

The figure is drawn once; a slider move only moves the markers (see
:func:`desklib.plots.set_threshold`) and re-renders the PNG, which keeps a redraw
well under 100 ms (``benchmarks/bench_widgets_desk.py`` measures it).

Tests and notebooks reach the parts through attributes::

    explorer = threshold_explorer()
    explorer.slider.value = 0.8        # recomputes and redraws, as a drag would
    explorer.view["human"]             # the last computed gate_view(...)
"""
from __future__ import annotations

import base64
import html
import io
import math
from typing import Iterable, Mapping

import ipywidgets as widgets

__all__ = ["HUMAN_COLUMNS", "WRONG_COLUMNS", "TABLE_ROWS", "GateColumns", "gate_view", "gate_summary", "gate_view_html",
           "render_gate_view", "ThresholdExplorer", "threshold_explorer"]

HUMAN_COLUMNS = ["id", "subject", "severity", "confidence", "reason"]
WRONG_COLUMNS = ["id", "subject", "severity", "true_severity", "confidence"]


def _subject(ticket, width: int = 70) -> str:
    """The ticket's subject, or the start of its body when the subject is empty (raw text, not escaped)."""
    text = " ".join((ticket.subject or "").split()) or " ".join((ticket.body or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


# ----------------------------------------------------------------------------- the pure part

#: Rows a table shows before it says "... N more" (the frames in the view hold them all).
TABLE_ROWS = 25


class GateColumns:
    """What :func:`gate_view` reads, computed once per set of tickets: ids, subjects,
    severities and confidences as arrays, whether any rule matched, and (with a
    truth) whether each severity is right. The explorer keeps one, so a slider
    move is a comparison over an array, not a pass over the tickets.
    """

    def __init__(self, triaged: Iterable, truth: Mapping[str, str] | None = None,
                 tickets: Iterable | None = None):
        import numpy as np
        triaged = list(triaged)
        subjects = {t.id: _subject(t) for t in tickets} if tickets is not None else {}
        self.n = len(triaged)
        self.ids = np.array([t.id for t in triaged], object)
        self.subjects = np.array([subjects.get(t.id, "") for t in triaged], object)
        self.severity = np.array([t.severity for t in triaged], object)
        self.confidence = np.array([t.confidence for t in triaged], float)
        self.matched = np.array([bool(t.matched) for t in triaged], bool)
        self.truth = self.correct = None
        if truth is not None:
            missing = [t.id for t in triaged if t.id not in truth]
            if missing:
                raise ValueError(f"no true severity for tickets {missing[:10]}"
                                 + (f" and {len(missing) - 10} more" if len(missing) > 10 else ""))
            self.truth = np.array([truth[t.id] for t in triaged], object)
            self.correct = self.severity == self.truth

    def view(self, threshold: float) -> dict:
        """:func:`gate_view` at ``threshold`` (the same rule as :func:`desklib.gate.gate`)."""
        import numpy as np
        import pandas as pd
        from .gate import NO_EVIDENCE, _check_threshold, _fmt
        threshold = _check_threshold(threshold)
        auto = self.matched & (self.confidence >= threshold)      # gate.routes_auto, for all at once
        human = np.flatnonzero(~auto)
        shown = _fmt(threshold)
        # one reason text per distinct confidence (a few dozen), not per ticket
        levels, which = np.unique(self.confidence[human], return_inverse=True)
        texts = np.array([f"confidence {_fmt(c)} < {shown}" for c in levels.tolist()], object)
        reasons = np.where(self.matched[human], texts[which.reshape(-1)], NO_EVIDENCE)
        queue = pd.DataFrame({"id": self.ids[human], "subject": self.subjects[human],
                              "severity": self.severity[human], "confidence": self.confidence[human],
                              "reason": reasons.astype(object)}, columns=HUMAN_COLUMNS)
        n_auto = int(auto.sum())
        accuracy, wrong = float("nan"), np.empty(0, np.int64)
        if self.correct is not None:
            wrong = np.flatnonzero(auto & ~self.correct)
            accuracy = (n_auto - len(wrong)) / n_auto if n_auto else float("nan")
        wrong_frame = pd.DataFrame({"id": self.ids[wrong], "subject": self.subjects[wrong],
                                    "severity": self.severity[wrong],
                                    "true_severity": (self.truth[wrong] if self.truth is not None
                                                      else np.empty(0, object)),
                                    "confidence": self.confidence[wrong]}, columns=WRONG_COLUMNS)
        return {"threshold": float(threshold), "n": self.n, "auto": n_auto, "human": len(human),
                "coverage": n_auto / self.n if self.n else float("nan"), "auto_accuracy": accuracy,
                "auto_wrong": len(wrong), "human_queue": queue, "wrong_auto": wrong_frame}


def gate_view(triaged: Iterable, truth: Mapping[str, str] | None, threshold: float,
              tickets: Iterable | None = None) -> dict:
    """The confidence gate at ``threshold``, summarised for people.

    ``triaged`` are :class:`desklib.triage.Triage` results, ``truth`` the true
    severities (``{id: "SEV1"}``, may be ``None``), ``tickets`` (optional) supply
    the subjects shown in the tables. Returns a dict:

    ``threshold, n, auto, human`` (counts; ``auto + human == n``), ``coverage``
    (auto / n), ``auto_accuracy`` (right among the auto-routed; NaN with no truth
    or nothing auto-routed), ``auto_wrong`` (count), ``human_queue`` (DataFrame:
    id, subject, severity, confidence, reason — in input order) and
    ``wrong_auto`` (DataFrame: the auto-routed tickets whose severity is wrong).
    Text in the frames is raw; :func:`gate_view_html` escapes it.

    Several thresholds on the same tickets: build :class:`GateColumns` once and
    call its ``view``.
    """
    return GateColumns(triaged, truth, tickets).view(threshold)


def gate_summary(view: dict) -> str:
    """One line: ``threshold 0.67: 39 of 48 auto-routed (81%), 9 to a human; auto-routed accuracy 95% (2 wrong)``."""
    acc = view["auto_accuracy"]
    accuracy = ("nothing auto-routed" if view["auto"] == 0 else
                "auto-routed accuracy unknown (no truth)" if math.isnan(acc) else
                f"auto-routed accuracy {acc:.0%} ({view['auto_wrong']} wrong)")
    return (f"threshold {view['threshold']:.2f}: {view['auto']} of {view['n']} auto-routed "
            f"({view['coverage']:.0%}), {view['human']} to a human; {accuracy}")


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _table_html(frame, caption: str, limit: int = TABLE_ROWS) -> str:
    """A small HTML table of the first ``limit`` rows (then one row saying how many
    more); every header and cell is passed through html.escape."""
    head = "".join(f"<th style='text-align:left'>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(_cell(v))}</td>" for v in row)
                   + "</tr>" for row in frame.head(limit).itertuples(index=False))
    if len(frame) > limit:
        body += (f"<tr><td colspan='{len(frame.columns)}'><i>… {len(frame) - limit:,} more "
                 "(all of them are in the view's frame)</i></td></tr>")
    if not len(frame):
        body = f"<tr><td colspan='{len(frame.columns)}'><i>none</i></td></tr>"
    return (f"<table class='desk-table'><caption style='text-align:left'><b>{html.escape(caption)}</b></caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _tables_html(view: dict) -> str:
    parts = [_table_html(view["human_queue"], f"Human queue ({view['human']})")]
    parts.append(_table_html(view["wrong_auto"], f"Auto-routed but wrong ({view['auto_wrong']})"))
    return "<br>".join(parts)


def gate_view_html(view: dict) -> str:
    """The view as HTML: the summary line, the human queue, the wrong auto-routes (all text escaped)."""
    return f"<p>{html.escape(gate_summary(view))}</p>{_tables_html(view)}"


def render_gate_view(view: dict):
    """The view as an ``IPython.display.HTML`` object, for a static notebook cell."""
    from IPython.display import HTML
    return HTML(gate_view_html(view))


# ----------------------------------------------------------------------------- the widget

class ThresholdExplorer(widgets.VBox):
    """A slider for the gate threshold, the split it gives, its human queue and its place on two curves.

    Attributes: ``slider`` (the FloatSlider), ``view`` (the last :func:`gate_view`),
    ``summary`` and ``tables`` (HTML widgets), ``out`` (the Output holding the
    figure), ``fig`` and ``axes`` (risk–coverage, reliability).
    """

    def __init__(self, triaged, truth, tickets, threshold: float, bins: int = 5, label: str = "keyword rules"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from . import plots
        from .gate import risk_coverage
        from .triage import expected_calibration_error, reliability_table

        self.triaged, self.truth = list(triaged), truth
        self.tickets = list(tickets) if tickets is not None else []   # only the tables' subjects
        self.columns = GateColumns(self.triaged, truth, self.tickets if tickets is not None else None)
        self.slider = widgets.FloatSlider(value=threshold, min=0.0, max=1.0, step=0.01,
                                          description="threshold", readout_format=".2f",
                                          continuous_update=True,
                                          layout=widgets.Layout(width="480px"))
        self.summary = widgets.HTML()
        self.tables = widgets.HTML()
        self.out = widgets.Output()
        # A figure outside pyplot: the notebook never shows it by itself, the Output does.
        # The lesson's 80 dpi; constrained layout keeps room for the legends beside each plot.
        self.fig = Figure(figsize=(12, 4.4), dpi=80, layout="constrained")
        FigureCanvasAgg(self.fig)
        self.axes = tuple(self.fig.subplots(1, 2))
        plots.plot_risk_coverage(risk_coverage(self.triaged, truth), ax=self.axes[0], threshold=threshold)
        plots.plot_reliability(reliability_table(self.triaged, truth, bins), ax=self.axes[1],
                               threshold=threshold, label=label,
                               ece=expected_calibration_error(self.triaged, truth, bins))
        # Draw everything except the threshold markers once and keep the pixels; a
        # redraw then only pastes them back and draws the markers on top (blitting).
        self._markers = [(ax, artist) for ax in self.axes for artist in plots.threshold_artists(ax)]
        for _, artist in self._markers:
            artist.set_animated(True)
        self.fig.canvas.draw()
        self._background = self.fig.canvas.copy_from_bbox(self.fig.bbox)
        self.view: dict = {}
        super().__init__(children=[self.slider, self.summary, self.out, self.tables])
        self.slider.observe(self._on_change, names="value")
        self.update(threshold)

    def _on_change(self, change) -> None:
        self.update(change["new"])

    def update(self, threshold: float) -> dict:
        """Recompute the view at ``threshold`` and redraw; returns the view."""
        from . import plots
        threshold = round(float(threshold), 2)          # the slider's step; 0.67 stays 0.67
        self.view = self.columns.view(threshold)
        self.summary.value = f"<b>{html.escape(gate_summary(self.view))}</b>"
        self.tables.value = _tables_html(self.view)
        for ax in self.axes:
            plots.set_threshold(ax, threshold)
        self.out.outputs = ({"output_type": "display_data", "metadata": {},
                             "data": {"image/png": self.render_png(),
                                      "text/plain": f"<risk-coverage and reliability at {threshold:.2f}>"}},)
        return self.view

    def render_png(self) -> str:
        """The figure as base64 PNG text (what a notebook front end displays).

        Only the threshold markers are drawn, on top of the cached background.
        """
        from PIL import Image
        canvas = self.fig.canvas
        canvas.restore_region(self._background)
        for ax, artist in self._markers:
            ax.draw_artist(artist)
        width, height = canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="PNG", compress_level=1)
        return base64.b64encode(buffer.getvalue()).decode("ascii")

    def __repr__(self) -> str:                           # the notebook's text/plain: short, no addresses
        v = self.view
        if not v:
            return "ThresholdExplorer()"
        return f"ThresholdExplorer(threshold={v['threshold']:.2f}: {v['auto']} auto, {v['human']} to a human)"


def threshold_explorer(tickets=None, truth=None, threshold: float | None = None,
                       rules=None, predictions=None) -> ThresholdExplorer:
    """The threshold explorer on the lesson's day (or on the ``tickets``/``truth`` given).

    ``threshold`` defaults to the policy's ``[gate] threshold``; ``rules`` to the
    shipped keyword rules.

    ``predictions`` explores any classifier's output instead of the keyword rules': a
    predictions file (:mod:`desklib.predictions`; ``truth`` may name a truth file) or a list
    of its records with ``truth`` as ``{id: severity}``. The explorer shows the labelled
    ones (precision needs a label); ``tickets``, when given, supply the tables' subjects.
    """
    from .data import fixture
    from .gate import default_threshold
    from .records import load_ticket_truth, load_tickets
    from .triage import load_rules, triage_all
    if predictions is not None:
        from pathlib import Path
        from .predictions import load_predictions
        if isinstance(predictions, (str, Path)):
            predictions, truth = load_predictions(predictions, truth)
        elif truth is None:
            raise ValueError("predictions given as records need truth={id: severity}")
        labelled = [p for p in predictions if p.id in truth]
        if not labelled:
            raise ValueError("no labelled prediction to explore")
        threshold = default_threshold() if threshold is None else threshold
        return ThresholdExplorer(labelled, truth, tickets, threshold, label="model")
    tickets = list(tickets) if tickets is not None else load_tickets(fixture("tickets.jsonl"))
    truth = truth if truth is not None else load_ticket_truth(fixture("tickets_truth.csv"))
    threshold = default_threshold() if threshold is None else threshold
    triaged = triage_all(tickets, rules or load_rules())
    return ThresholdExplorer(triaged, truth, tickets, threshold)
