"""Tests for desklib.plots and desklib.widgets: every plot is labelled, the threshold explorer recomputes and escapes."""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from desklib import DAY_END, LESSON_NOW, fixture, load_ticket_truth, load_tickets  # noqa: E402
from desklib import plots, widgets  # noqa: E402
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
    frame = _sla()
    fig, ax = plt.subplots()
    plots.plot_sla_clocks(frame, LESSON_NOW, ax=ax)
    bars = ax.patches[: len(frame)]
    assert len(bars) == len(frame)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [s.replace("_", " ") for s in plots.STATE_COLORS]
    for bar, state in zip(bars, frame["state"]):
        assert bar.get_facecolor() == pytest.approx(matplotlib.colors.to_rgba(plots.STATE_COLORS[state]))
    assert bars[0].get_y() > bars[-1].get_y()           # the first row is drawn at the top


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
