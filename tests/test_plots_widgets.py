"""Tests for desklib.plots and desklib.widgets: every plot is labelled, the threshold explorer recomputes and escapes."""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from desklib import DAY_END, LESSON_NOW, fixture, load_ticket_truth, load_tickets  # noqa: E402
from desklib import plots, widgets  # noqa: E402
from picture_checks import covered_by_legend, overlap, small_texts  # noqa: E402
from desklib.escalation import escalate_tickets, escalation_frame  # noqa: E402
from desklib.gate import default_threshold, risk_coverage, threshold_sweep  # noqa: E402
from desklib.queue import compare_policies  # noqa: E402
from desklib.routing import load_policy  # noqa: E402
from desklib.sla import sla_frame  # noqa: E402
from desklib.triage import confusion_matrix, load_rules, reliability_table, triage_all  # noqa: E402

TICKETS = load_tickets(fixture("tickets.jsonl"))
TRUTH = load_ticket_truth(fixture("tickets_truth.csv"))
TRIAGED = triage_all(TICKETS, load_rules())
POLICY = load_policy()
SEVERITY = {t.id: t.severity for t in TRIAGED}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _sla():
    return sla_frame(TICKETS, SEVERITY, POLICY, LESSON_NOW)


def _timeline():
    return escalation_frame(escalate_tickets(TICKETS, SEVERITY, POLICY, DAY_END))


def _queues():
    return pd.concat([compare_policies(TICKETS, TRUTH, POLICY, agents=k) for k in (1, 2)], ignore_index=True)


# (name, call drawing on `ax`, does a legend explain colours?)
PLOTS = [
    ("confusion", lambda ax: plots.plot_confusion(confusion_matrix(TRIAGED, TRUTH), ax=ax), False),
    ("reliability", lambda ax: plots.plot_reliability(reliability_table(TRIAGED, TRUTH), ax=ax,
                                                      threshold=0.67, ece=0.1), True),
    ("risk_coverage", lambda ax: plots.plot_risk_coverage(risk_coverage(TRIAGED, TRUTH), ax=ax,
                                                          threshold=0.67), True),
    ("threshold_sweep", lambda ax: plots.plot_threshold_sweep(threshold_sweep(TRIAGED, TRUTH), ax=ax,
                                                              threshold=0.67), True),
    ("sla_clocks", lambda ax: plots.plot_sla_clocks(_sla(), LESSON_NOW, ax=ax), True),
    ("timeline", lambda ax: plots.plot_escalation_timeline(_timeline(), ax=ax, now=LESSON_NOW), True),
    ("queues", lambda ax: plots.plot_queue_comparison(_queues(), ax=ax), True),
]


@pytest.mark.parametrize("name,draw,legend", PLOTS, ids=[p[0] for p in PLOTS])
def test_every_plot_draws_on_the_given_axes_with_title_labels_and_legend(name, draw, legend):
    fig, ax = plt.subplots()
    returned = draw(ax)
    assert returned is ax
    assert ax.get_title().strip(), f"{name}: no title"
    assert ax.get_xlabel().strip() and ax.get_ylabel().strip(), f"{name}: unlabelled axis"
    if legend:
        assert ax.get_legend() is not None and ax.get_legend().get_texts(), f"{name}: no legend"
    fig.canvas.draw()                                   # renders without error


@pytest.mark.parametrize("name,draw,legend", PLOTS, ids=[p[0] for p in PLOTS])
def test_every_plot_makes_its_own_axes_when_none_is_given(name, draw, legend):
    ax = draw(None)
    assert ax is not None and ax.get_title().strip()


def test_sla_clock_bars_are_coloured_by_state_and_the_legend_names_every_state():
    frame, _ = plots.sla_rows(_sla(), top=None)          # every clock, most used first
    fig, ax = plt.subplots()
    plots.plot_sla_clocks(frame, LESSON_NOW, ax=ax, top=None)
    bars = ax.patches[: len(frame)]
    assert len(bars) == len(frame)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [s.replace("_", " ") for s in plots.STATE_COLORS]
    for bar, state in zip(bars, frame["state"]):
        assert bar.get_facecolor() == pytest.approx(matplotlib.colors.to_rgba(plots.STATE_COLORS[state]))
    assert bars[0].get_y() > bars[-1].get_y()           # the first row is drawn at the top


# ----------------------------------------------------------------------------- readable on a projector

@pytest.mark.parametrize("name,draw,legend", PLOTS, ids=[p[0] for p in PLOTS])
def test_every_text_of_every_plot_is_at_least_10_points(name, draw, legend):
    ax = draw(None)
    assert small_texts(ax.figure, plots.MIN_POINTS) == [], f"{name}: text below {plots.MIN_POINTS} pt"


@pytest.mark.parametrize("name,draw,legend", [p for p in PLOTS if p[2]], ids=[p[0] for p in PLOTS if p[2]])
def test_no_legend_covers_data(name, draw, legend):
    ax = draw(None)
    assert ax.get_legend() is not None
    assert covered_by_legend(ax.figure) == []


def test_the_queue_legend_leaves_every_bar_visible():
    ax = plots.plot_queue_comparison(_queues())
    ax.figure.canvas.draw()
    box = ax.get_legend().get_window_extent()
    assert len(ax.patches) == 2 * len(_queues())
    assert [p for p in ax.patches if overlap(box, p.get_window_extent())] == []


def test_the_threshold_explorer_figure_is_readable_and_its_legends_cover_nothing(explorer):
    assert small_texts(explorer.fig, plots.MIN_POINTS) == []
    assert explorer.fig.dpi == 80
    assert covered_by_legend(explorer.fig) == []


def test_the_sla_chart_shows_the_most_used_clocks_and_says_how_many_are_hidden():
    frame = _sla()
    open_clocks = frame[frame.state != "fulfilled"]
    ax = plots.plot_sla_clocks(open_clocks, LESSON_NOW)
    shown = len(ax.patches)
    hidden = len(open_clocks) - plots.SLA_ROWS
    assert shown == plots.SLA_ROWS and hidden > 0
    assert f"{plots.SLA_ROWS} most used of {len(open_clocks)} clocks ({hidden} hidden)" in ax.get_title()
    rows, left_out = plots.sla_rows(open_clocks)
    assert left_out == hidden
    labels = [t.get_text() for t in ax.get_yticklabels()]                # ticks run top row first
    assert [label.split(" ")[0] for label in labels] == list(rows["ticket_id"])
    # the shown clocks are the most used: none left out has used more of its target
    kept = set(zip(rows.ticket_id, rows.metric))
    left = [e for t, m, e in zip(open_clocks.ticket_id, open_clocks.metric, open_clocks.elapsed) if (t, m) not in kept]
    assert min(rows.elapsed) >= max(left)
    assert list(rows.elapsed) == sorted(rows.elapsed, reverse=True)
    # same picture whatever the frame's order
    again, _ = plots.sla_rows(open_clocks.iloc[::-1])
    pd.testing.assert_frame_equal(again, rows)
    # each label is 10 pt and the rows are far enough apart not to run into each other
    ax.figure.canvas.draw()
    boxes = [t.get_window_extent() for t in ax.get_yticklabels()]
    assert all(t.get_fontsize() >= 10 for t in ax.get_yticklabels())
    assert not any(overlap(a, b) for a, b in zip(boxes, boxes[1:]))


def test_the_sla_chart_can_show_every_clock():
    frame = _sla()
    ax = plots.plot_sla_clocks(frame, LESSON_NOW, top=None)
    assert len(ax.patches) == len(frame)
    assert f"all {len(frame)} clocks" in ax.get_title() and "hidden" not in ax.get_title()


def test_every_escalation_arrow_is_drawn_above_and_clear_of_the_breach_markers():
    frame = _timeline()
    ax = plots.plot_escalation_timeline(frame, now=LESSON_NOW)
    fig = ax.figure
    fig.canvas.draw()
    lines = {line.get_gid(): line for line in ax.lines}
    arrows, breaches = lines["timeline-escalated"], lines["timeline-breached"]
    assert len(arrows.get_xdata()) == sum(len(t) for t in frame["escalated_times"]) > 0
    # above every other marker ...
    assert arrows.get_zorder() > max(line.get_zorder() for gid, line in lines.items() if gid != "timeline-escalated")
    # ... and no breach cross over an arrow: centres further apart than the two half-sizes
    px = fig.dpi / 72
    reach = (arrows.get_markersize() + breaches.get_markersize()) / 2 * px
    a = arrows.get_transform().transform(arrows.get_xydata())
    b = breaches.get_transform().transform(breaches.get_xydata())
    near = [(tuple(p), tuple(q)) for p in a for q in b if ((p - q) ** 2).sum() ** 0.5 < reach]
    assert near == [], f"breach markers overlap escalation arrows at {near}"
    # some escalation does happen at its breach (the case that used to hide the arrow)
    assert any(abs(p[0] - q[0]) < 1 for p in a for q in b)
    # the pixel at every arrow's centre has the arrow's colour (nothing drawn over it)
    image = np.asarray(fig.canvas.buffer_rgba())[:, :, :3].astype(int)
    colour = np.array(matplotlib.colors.to_rgb(plots.EVENT_STYLES["escalated"][2])) * 255
    height = image.shape[0]
    for x, y in a:
        pixel = image[height - 1 - int(round(y)), int(round(x))]
        assert np.abs(pixel - colour).max() < 40, f"arrow at ({x:.0f}, {y:.0f}) is covered: {pixel}"


def test_set_threshold_moves_the_markers():
    rc = risk_coverage(TRIAGED, TRUTH)
    fig, ax = plt.subplots()
    plots.plot_risk_coverage(rc, ax=ax, threshold=0.67)
    marker = next(a for a in plots.threshold_artists(ax) if hasattr(a, "get_xdata"))
    at_default = (marker.get_xdata()[0], marker.get_ydata()[0])
    row = rc[rc.threshold == 0.67].iloc[0]
    assert at_default == pytest.approx((row.coverage, row.risk))
    plots.set_threshold(ax, 0.8)
    row = rc[rc.threshold == 0.81].iloc[0]            # the lowest confidence level at or above 0.8
    assert (marker.get_xdata()[0], marker.get_ydata()[0]) == pytest.approx((row.coverage, row.risk))
    plots.set_threshold(ax, 0.99)                       # above every confidence: nothing auto-routed
    assert len(marker.get_xdata()) == 0


# ----------------------------------------------------------------------------- widgets

@pytest.fixture(scope="module")
def explorer():
    return widgets.threshold_explorer(TICKETS, TRUTH)


def test_gate_view_counts_add_up_and_match_the_sweep():
    sweep = threshold_sweep(TRIAGED, TRUTH).set_index("threshold")
    for th in (0.0, 0.5, 0.67, 0.8, 1.0):
        view = widgets.gate_view(TRIAGED, TRUTH, th, TICKETS)
        assert view["auto"] + view["human"] == view["n"] == len(TICKETS)
        assert len(view["human_queue"]) == view["human"]
        assert list(view["human_queue"].columns) == ["id", "subject", "severity", "confidence", "reason"]
        if th in sweep.index:
            row = sweep.loc[th]
            assert view["auto"] == row.auto_count and view["auto_wrong"] == row.auto_wrong
            if view["auto"]:
                assert view["auto_accuracy"] == pytest.approx(row.auto_accuracy)
            else:
                assert math.isnan(view["auto_accuracy"])


def test_gate_view_routes_exactly_as_the_gate_does():
    from desklib.gate import gate
    for th in (0.0, 0.2, 0.49, 0.5, 0.67, 0.77, 0.78, 1.0):
        view = widgets.gate_view(TRIAGED, TRUTH, th, TICKETS)
        decisions = [d for d in gate(TRIAGED, th) if d.route == "human"]
        assert list(view["human_queue"]["id"]) == [d.id for d in decisions]
        assert list(view["human_queue"]["reason"]) == [d.reason for d in decisions]
        assert list(view["human_queue"]["confidence"]) == [d.confidence for d in decisions]


def test_a_long_human_queue_shows_the_first_rows_and_counts_the_rest():
    many = TICKETS * 3                   # 144 tickets, ids repeat; the view does not mind
    triaged = TRIAGED * 3
    view = widgets.gate_view(triaged, TRUTH, 0.99, many)
    assert view["human"] == len(view["human_queue"]) > widgets.TABLE_ROWS
    html = widgets.gate_view_html(view)
    shown = html.split("Auto-routed")[0]
    assert shown.count("<tr><td") == widgets.TABLE_ROWS + 1
    assert f"… {view['human'] - widgets.TABLE_ROWS:,} more" in shown


def test_gate_view_at_the_default_names_the_honest_blind_spot():
    view = widgets.gate_view(TRIAGED, TRUTH, default_threshold(), TICKETS)
    assert (view["auto"], view["human"]) == (39, 9)
    assert sorted(view["wrong_auto"]["id"]) == ["t20", "t43"]
    assert {"t14", "t15", "t45"} <= set(view["human_queue"]["id"])


def test_the_slider_starts_at_the_policy_default(explorer):
    assert explorer.slider.value == pytest.approx(default_threshold())
    assert (explorer.slider.min, explorer.slider.max, explorer.slider.step) == (0.0, 1.0, 0.01)
    assert explorer.view["threshold"] == pytest.approx(default_threshold())


def test_moving_the_slider_recomputes_and_the_human_queue_only_grows(explorer):
    sizes = []
    for value in [i / 20 for i in range(21)]:
        explorer.slider.value = value
        view = explorer.view
        assert view["threshold"] == pytest.approx(value)
        assert view["auto"] + view["human"] == len(TICKETS)
        expected = widgets.gate_view(TRIAGED, TRUTH, value, TICKETS)
        for key in ("n", "auto", "human", "auto_wrong", "coverage"):
            assert view[key] == expected[key]
        pd.testing.assert_frame_equal(view["human_queue"], expected["human_queue"])
        pd.testing.assert_frame_equal(view["wrong_auto"], expected["wrong_auto"])
        assert f"threshold {value:.2f}" in explorer.summary.value
        sizes.append(view["human"])
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]


def test_setting_the_slider_redraws_the_figure(explorer):
    explorer.slider.value = 0.5
    before = explorer.out.outputs[0]["data"]["image/png"]
    explorer.slider.value = 0.9
    after = explorer.out.outputs[0]["data"]["image/png"]
    assert before != after


def test_the_widget_html_escapes_the_script_injection_ticket(explorer):
    explorer.slider.value = 0.8                         # t19 (confidence 0.77) now goes to a human
    assert "t19" in set(explorer.view["human_queue"]["id"])
    html_values = [explorer.summary.value, explorer.tables.value]
    assert all("<script>" not in v and "<img" not in v for v in html_values)
    assert "&lt;script&gt;" in explorer.tables.value
    assert "&lt;script&gt;" in widgets.gate_view_html(explorer.view)


def test_the_explorer_repr_is_short_and_stable(explorer):
    explorer.slider.value = 0.67
    assert repr(explorer) == "ThresholdExplorer(threshold=0.67: 39 auto, 9 to a human)"
