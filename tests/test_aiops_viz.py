"""desklib.aiops_viz: the plots (Agg, no display), the window explorer driven through its
controls without a browser, HTML escaping of alert text, and the 06 "post this" helpers."""
from __future__ import annotations

import base64
import html as html_module
import re
from datetime import datetime, timedelta, timezone

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from desklib import aiops, aiops_viz, support_desk  # noqa: E402
from desklib.data import DAY_END, fixture  # noqa: E402
from desklib.records import Alert, load_alert_truth, load_alerts, load_tickets, load_topology  # noqa: E402
from picture_checks import covered_by_legend, overlap, small_texts  # noqa: E402

UTC = timezone.utc


@pytest.fixture(scope="module")
def storm():
    return (load_alerts(fixture("alerts.jsonl")), load_topology(fixture("topology.json")),
            load_alert_truth(fixture("alerts_truth.csv")))


@pytest.fixture(scope="module")
def explorer():
    return aiops_viz.window_explorer()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def set_value(control, value):
    control.value = value


def legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None, "no legend"
    return [t.get_text() for t in legend.get_texts()]


# ----------------------------------------------------------------------------- plots

def test_plot_storm_draws_every_alert_with_labels_and_legend(storm):
    alerts, topology, _ = storm
    corr = aiops.correlate(alerts, topology)
    ax = aiops_viz.plot_storm(corr)
    assert "40 alerts" in ax.get_title() and "5 incidents" in ax.get_title()
    assert ax.get_xlabel() == "time (UTC)" and ax.get_ylabel() == "service"
    texts = legend_texts(ax)
    for inc in corr.incidents:
        assert any(t.startswith(f"{inc.id} · {inc.root_cause}") for t in texts)
    assert "root-cause alert" in texts and "duplicate" in texts
    # one marker per alert: first firings + duplicates + one root-cause star per incident
    markers = aiops_viz.storm_markers(ax)
    sizes = [sum(len(line.get_xdata()) for line in kind) for kind in markers]
    assert sum(sizes) == 40
    assert sizes[1] == len(corr.duplicate_of) and sizes[2] == len(corr.incidents)
    # each alert sits on its service's row, in its incident's colour
    row = {t.get_text(): i for i, t in enumerate(ax.get_yticklabels())}
    colour = dict(zip((inc.id for inc in corr.incidents), aiops_viz._palette(len(corr.incidents))))
    by_id = {a.id: a for a in alerts}
    drawn = set()
    for kind, lines in enumerate(markers):
        for line in lines:
            face = line.get_markeredgecolor() if kind == 1 else line.get_markerfacecolor()
            for x, y in zip(line.get_xdata(), line.get_ydata()):
                drawn.add((round(float(x) * 86400), int(y), tuple(face)))
    expected = {(round(by_id[aid].ts.timestamp()), row[by_id[aid].service], tuple(colour[inc.id]))
                for inc in corr.incidents for aid in inc.alert_ids}
    assert drawn == expected
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows[0] == "pg-main" and set(rows) == {a.service for a in alerts}
    assert rows.index("pg-main") < rows.index("orders") < rows.index("web")   # upstream first
    assert ax.xaxis.get_major_formatter()(ax.get_xlim()[0] + 0.0).count(":") == 1   # HH:MM


def test_plot_storm_uses_the_given_axes(storm):
    alerts, topology, _ = storm
    fig, ax = plt.subplots()
    assert aiops_viz.plot_storm(aiops.correlate(alerts, None), ax=ax) is ax
    assert "time only" in ax.get_title() and len(fig.axes) == 1


def test_plot_storm_legend_stays_short_when_a_tiny_window_splits_everything(storm):
    alerts, topology, _ = storm
    corr = aiops.correlate(alerts, topology, 30)
    assert len(corr.incidents) > aiops_viz.LEGEND_INCIDENTS
    texts = legend_texts(aiops_viz.plot_storm(corr))
    assert any("more incidents" in t for t in texts)
    assert len(texts) == aiops_viz.LEGEND_INCIDENTS + 3


def test_plot_window_sweep(storm):
    sweep = aiops_viz.sweep(*storm, windows=[60, 180, 240, 300, 1200, 1800, 3600])
    ax = aiops_viz.plot_window_sweep(sweep)
    assert ax.get_title() and ax.get_ylabel() == "incidents" and "window" in ax.get_xlabel()
    assert ax.get_xscale() == "log"
    texts = legend_texts(ax)
    assert {"incidents", "pairwise F1", "noise reduction"} <= set(texts)
    assert f"chosen window: {aiops.DEFAULT_WINDOW_S} s" in texts
    fig, given = plt.subplots()
    assert aiops_viz.plot_window_sweep(sweep, "10m", ax=given) is given
    assert "chosen window: 600 s" in legend_texts(given)


def test_sweep_is_window_sweep_without_a_progress_bar(storm, capsys):
    import tqdm.auto
    real = tqdm.auto.tqdm
    windows = [60, 300, 1800]
    quiet = aiops_viz.sweep(*storm, windows=windows)
    assert capsys.readouterr().err == ""
    assert tqdm.auto.tqdm is real                      # the bar is switched off only for the call
    pd.testing.assert_frame_equal(quiet, aiops.window_sweep(*storm, windows=windows))


def test_plot_topology(storm):
    alerts, topology, _ = storm
    corr = aiops.correlate(alerts, topology)
    ax = aiops_viz.plot_topology(topology, alerting=corr)
    assert ax.get_title() and ax.get_ylabel() and ax.get_xlabel()
    texts = legend_texts(ax)
    assert "INC-1 · pg-main" in texts and "quiet" in texts
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert "not in the topology" in ticks            # vpn-gw alerts but is not in topology.json
    fig, given = plt.subplots()
    assert aiops_viz.plot_topology(topology, alerting=alerts, ax=given) is given
    assert "alerting" in legend_texts(given)
    assert aiops_viz.plot_topology(topology).get_legend() is not None
    assert aiops_viz.plot_topology({"a": ["b"], "b": ["a"]}).get_title()   # a cycle has no layers: one row


# ----------------------------------------------------------------------------- the explorer

def assert_same_view(got: dict, expected: dict):
    assert got["window_s"] == expected["window_s"] and got["use_topology"] == expected["use_topology"]
    assert got["hops"] == expected["hops"]
    assert got["correlation"] == expected["correlation"]
    assert got["evaluation"] == expected["evaluation"]
    frame = got["incidents"]
    if frame is None:              # the explorer leaves the frame out; it can always be made
        frame = aiops.incidents_frame(got["correlation"])
    pd.testing.assert_frame_equal(frame, expected["incidents"])


def test_window_view_is_pure_and_scores_the_default(storm):
    view = aiops_viz.window_view(*storm, aiops.DEFAULT_WINDOW_S)
    assert_same_view(view, aiops_viz.window_view(*storm, "5m"))
    assert view["evaluation"]["f1"] == 1.0 and len(view["incidents"]) == 5
    assert view["correlation"].noise_reduction == pytest.approx(0.875)
    alone = aiops_viz.window_view(storm[0], storm[1], None, 300)
    assert alone["evaluation"] is None


def test_explorer_starts_at_the_default(explorer, storm):
    assert (explorer.slider.min, explorer.slider.max) == (30, 1800)
    assert explorer.slider.value == aiops.DEFAULT_WINDOW_S and explorer.toggle.value is True
    assert explorer.toggle.description == "use topology"
    assert_same_view(explorer.view, aiops_viz.window_view(*storm, aiops.DEFAULT_WINDOW_S))
    assert explorer.png.startswith(b"\x89PNG")
    (shown,) = explorer.plot.outputs                       # the Output holds the current timeline
    assert base64.b64decode(shown["data"]["image/png"]) == explorer.png
    assert "5 incidents" in explorer.summary.value and "0.875" in explorer.summary.value
    assert explorer.summary.value.count("&#9632;") == 5          # a colour swatch per incident
    assert "colour: incident (see the table)" in legend_texts(explorer._ax)
    assert repr(explorer) == "WindowExplorer(window 300 s, hops 2, time + topology: 40 alerts -> 5 incidents)"
    assert (explorer.hops.description, explorer.hops.value, explorer.hops.options) == ("hops", 2, (1, 2, 3))


def test_moving_the_slider_recomputes(explorer, storm):
    try:
        for value in (60, 180, 600, 1800):
            set_value(explorer.slider, value)
            assert_same_view(explorer.view, aiops_viz.window_view(*storm, value))
            assert f"window <b>{value} s</b>" in explorer.summary.value
        assert len(explorer.view["correlation"].incidents) == 4          # 1800 s: pg-main + redis chain
    finally:
        set_value(explorer.slider, aiops.DEFAULT_WINDOW_S)


def test_the_hops_control_recomputes_on_a_silent_middle_tier(storm):
    alerts, topology, truth = storm
    kept = [a for a in alerts if a.service not in {"orders", "auth", "search"}]
    explorer = aiops_viz.WindowExplorer(kept, topology, {a.id: truth[a.id] for a in kept})
    counts = {}
    for hops in (1, 3, 2):
        set_value(explorer.hops, hops)
        assert_same_view(explorer.view, aiops_viz.window_view(kept, topology, {a.id: truth[a.id] for a in kept},
                                                              300, hops=hops))
        assert f"hops {hops}, time + topology" in explorer.summary.value
        counts[hops] = len(explorer.view["correlation"].incidents)
    assert counts == {1: 8, 2: 5, 3: 4}


def test_topology_off_merges_pg_main_and_es_cluster(explorer, storm):
    try:
        with_topology = len(explorer.view["correlation"].incidents)
        png = explorer.png
        set_value(explorer.toggle, False)
        assert_same_view(explorer.view, aiops_viz.window_view(*storm, 300, use_topology=False))
        incidents = explorer.view["correlation"].incidents
        assert len(incidents) < with_topology
        merged = next(inc for inc in incidents if inc.root_cause == "pg-main")
        assert "es-cluster" in merged.services
        assert "es-cluster" not in {inc.root_cause for inc in incidents}
        assert "time only" in explorer.summary.value and explorer.png != png
    finally:
        set_value(explorer.toggle, True)
    assert len(explorer.view["correlation"].incidents) == 5


def test_a_larger_window_never_adds_incidents_with_topology(explorer):
    try:
        counts = []
        for value in range(explorer.slider.min, explorer.slider.max + 1, explorer.slider.step):
            set_value(explorer.slider, value)
            counts.append(len(explorer.view["correlation"].incidents))
        assert counts == sorted(counts, reverse=True)
        assert counts[0] > 5 and 5 in counts
    finally:
        set_value(explorer.slider, aiops.DEFAULT_WINDOW_S)


def test_explorer_html_escapes_hostile_alert_text():
    t0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    evil = "<script>alert('pwned')</script>"
    storm = [Alert(id="x1", ts=t0, service=evil, name="<img src=x onerror=alert(1)>", severity="critical",
                   summary=evil),
             Alert(id="x2", ts=t0 + timedelta(seconds=20), service=evil, name="Down & <b>out</b>",
                   severity="warning", summary="fine"),
             Alert(id="x3", ts=t0 + timedelta(seconds=40), service="db", name="DBDown", severity="critical",
                   summary=evil)]
    explorer = aiops_viz.window_explorer(storm, topology={"db": []})
    page = explorer.summary.value
    assert explorer.view["evaluation"] is None                     # no truth for a storm of your own
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<b>out" not in page
    assert "&lt;script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    html = aiops_viz.view_html(aiops_viz.window_view(storm, {"db": []}, None, 300))
    assert "<script" not in html.lower()


# ----------------------------------------------------------------------------- the show

@pytest.fixture(scope="module")
def desk_day():
    tickets = load_tickets(fixture("tickets.jsonl"))
    return support_desk.run_day(tickets, DAY_END), tickets


def test_human_queue_frame(desk_day):
    day, tickets = desk_day
    frame = aiops_viz.human_queue_frame(day, tickets)
    assert list(frame["id"]) == [o.id for o in day.human_queue]
    assert list(frame.columns) == ["id", "subject", "triaged", "confidence", "reason", "rules matched"]
    assert (frame["reason"].str.contains("<") | frame["reason"].str.contains("no rule matched")).all()


def test_post_this(desk_day, storm):
    day, tickets = desk_day
    corr = aiops.correlate(storm[0], storm[1])
    text = aiops_viz.post_this(corr, day, tickets)
    lines = text.splitlines()
    assert lines[0].startswith("Noise reduction: 0.875 — 40 alerts → 5 incidents")
    assert lines[1] == "Page on: pg-main, es-cluster, vpn-gw, redis-sessions, batch-reports"
    assert lines[2] == f"To a human: {len(day.human_queue)} of {len(day.outcomes)} tickets (gate threshold 0.67)"
    held = [o for o in day.human_queue if o.id in lines[3]]
    assert len(held) == 1 and held[0].severity == min(o.severity for o in day.human_queue)
    assert held[0].reason in lines[3]


# ----------------------------------------------------------------------------- a storm of your own, at scale

@pytest.fixture(scope="module")
def big_storm():
    from desklib import stormgen
    topology, alerts, truth = stormgen.generate(3, services=300, faults=600, noise=0.125, flapping=0.1)
    assert len(alerts) > aiops_viz.DENSE_ALERTS
    return alerts, topology, truth


def test_the_explorer_on_a_big_storm_shows_the_same_numbers_and_a_short_table(big_storm):
    alerts, topology, truth = big_storm
    explorer = aiops_viz.window_explorer(alerts, topology, truth)
    for value in (120, 600):
        set_value(explorer.slider, value)
        expected = aiops_viz.window_view(alerts, topology, truth, value)
        assert_same_view(explorer.view, expected)
        incidents = len(expected["correlation"].incidents)
        assert incidents > aiops_viz.TABLE_ROWS
        assert explorer.summary.value.count("&#9632;") == aiops_viz.TABLE_ROWS
        assert f"… {incidents - aiops_viz.TABLE_ROWS:,} more incidents" in explorer.summary.value
    # small markers, and no more of them than alerts (points on one pixel are drawn once)
    markers = aiops_viz.storm_markers(explorer._ax)
    assert markers[2][0].get_marker() == "D"
    drawn = [sum(len(line.get_xdata()) for line in kind) for kind in markers]
    assert 0 < sum(drawn) <= len(alerts)
    assert drawn[2] <= len(explorer.view["correlation"].incidents)


def test_plot_storm_labels_every_few_rows_when_there_are_many_services(big_storm):
    alerts, topology, _ = big_storm
    ax = aiops_viz.plot_storm(aiops.correlate(alerts, topology))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    rows = len({a.service for a in alerts})
    assert rows > aiops_viz.ROW_LABELS and len(labels) <= aiops_viz.ROW_LABELS
    assert "labelled" in ax.get_ylabel() and f"{rows:,} rows" in ax.get_ylabel()
    drawn = sum(len(line.get_xdata()) for kind in aiops_viz.storm_markers(ax) for line in kind)
    assert drawn == len(alerts)                       # a static plot draws every alert


# ----------------------------------------------------------------------------- readable on a projector

def _pictures(storm):
    alerts, topology, truth = storm
    corr = aiops.correlate(alerts, topology)
    return {"storm": aiops_viz.plot_storm(corr).figure,
            "window sweep": aiops_viz.plot_window_sweep(aiops_viz.sweep(alerts, topology, truth)).figure,
            "topology": aiops_viz.plot_topology(topology, corr).figure}


def test_every_aiops_picture_has_10_point_text_and_legends_beside_the_data(storm, explorer):
    figures = {**_pictures(storm), "explorer": explorer._figure}
    for name, fig in figures.items():
        assert small_texts(fig, aiops_viz.MIN_POINTS) == [], name
        assert any(ax.get_legend() for ax in fig.axes), name
        assert covered_by_legend(fig) == [], name


def test_no_tick_label_of_the_window_sweep_runs_into_the_next(storm):
    fig = _pictures(storm)["window sweep"]
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert len(boxes) >= 5
    assert not any(overlap(a, b) for a, b in zip(boxes, boxes[1:]))


def test_the_incident_table_puts_the_hand_off_first_and_wraps_the_long_lists(storm):
    corr = aiops.correlate(storm[0], storm[1])
    page = aiops_viz.incidents_html(corr)
    heads = re.findall(r"<th style='[^']*'>([^<]*)</th>", page)
    assert heads == list(aiops_viz.HANDOFF_COLUMNS)
    assert heads[:3] == ["incident", "root cause", "runbook"] and heads[-1] == "symptoms"
    first_row = page.split("<tbody>")[1].split("</tr>")[0]
    styles = dict(zip(heads, re.findall(r"<td style='([^']*)'>", first_row)))
    wraps = {name: "white-space: normal" in style for name, style in styles.items()}
    assert wraps["symptoms"] and wraps["services"] and not wraps["runbook"] and not wraps["incident"]
    assert re.search(r"<table [^>]*style='[^']*max-width: 100%", page)
    # the same records as the frame, row by row
    frame = aiops.incidents_frame(corr)
    rows = re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1])
    assert len(rows) == len(frame)
    for row, (_, inc) in zip(rows, frame.iterrows()):
        cells = [html_module.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        assert cells[0].endswith(inc["id"]) and cells[1] == inc["root_cause"] and cells[2] == inc["runbook"]
        assert cells[-1] == (inc["symptoms"] or "–") and cells[-2] == inc["services"]
    # every column of the frame can be asked for; fewer columns, a limit, a wrong name
    every = aiops_viz.incidents_html(corr, columns=list(aiops_viz.INCIDENT_COLUMNS))
    assert every.count("<th ") == len(aiops_viz.INCIDENT_COLUMNS) == len(frame.columns)
    short = aiops_viz.incidents_html(corr, limit=2, columns=["incident", "runbook"])
    assert short.count("<th ") == 2 and "… 3 more incidents" in short
    with pytest.raises(ValueError, match="unknown column"):
        aiops_viz.incidents_html(corr, columns=["incident", "colour"])
    assert aiops_viz.incidents_table(corr)._repr_html_() == page


def test_the_incident_table_escapes_hostile_alert_text():
    t0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    evil = "<script>alert('pwned')</script>"
    storm = [Alert(id="x1", ts=t0, service=evil, name="<img src=x onerror=alert(1)>", severity="critical",
                   summary=evil),
             Alert(id="x2", ts=t0 + timedelta(seconds=20), service="db", name="Down & <b>out</b>",
                   severity="warning", summary="fine")]
    page = aiops_viz.incidents_html(aiops.correlate(storm, {"db": [evil]}), columns=list(aiops_viz.INCIDENT_COLUMNS))
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<b>out" not in page
    assert "&lt;script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;b&gt;out" in page
