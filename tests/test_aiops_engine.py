"""One semantics, proven twice: the from-scratch stages (desklib/aiops/s1_normalize.py ...
s5_explain.py, handoff.py) and the columnar engine (desklib/aiops/engine.py) give the same
incidents, duplicates, root causes and reasons, on random storms and topologies; and the
engine gives the same from a DataFrame as from Alert records."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desklib import aiops, stormgen
from desklib.data import fixture
from desklib.records import Alert, alerts_to_frame, load_alert_truth, load_alerts, load_topology

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
RUNBOOKS = aiops.Runbooks(default="rb-default", by_alert={"Down": "rb-down"}, by_service={"s1": "rb-s1"})
SERVICES = ("s0", "s1", "s2", "s3", "s4", "s5", "ghost")      # "ghost" and "s5" are often not in the topology

topologies = st.dictionaries(st.sampled_from(SERVICES[:6]),
                             st.lists(st.sampled_from(SERVICES[:6]), max_size=3), max_size=6)   # cycles too


@st.composite
def storms(draw, max_alerts=30):
    """Alerts on few services, few names and labels, at few distinct times: ties in time,
    repeats, flaps (the same alert every few minutes), unknown severities, resolved alerts."""
    n = draw(st.integers(0, max_alerts))
    alerts = []
    for i in range(n):
        seconds = draw(st.sampled_from((0, 0, 30, 60, 61, 120, 240, 300, 301, 480, 600, 900, 1500)))
        micro = draw(st.sampled_from((0, 0, 0, 1, 500_000)))
        status = draw(st.sampled_from(("firing", "firing", "resolved")))
        ends = draw(st.sampled_from((None, 100, 2000))) if status == "resolved" else None
        alerts.append(Alert(
            id=f"a{draw(st.integers(0, 9))}{i:02d}",
            ts=T0 + timedelta(seconds=seconds, microseconds=micro),
            service=draw(st.sampled_from(SERVICES)), name=draw(st.sampled_from(("Down", "Slow", "Err"))),
            severity=draw(st.sampled_from(("critical", "warning", "info", "page"))),
            labels=draw(st.sampled_from(({}, {"i": "0"}, {"i": "1"}, {"i": "0", "z": "1"}))),
            status=status, ends_at=None if ends is None else T0 + timedelta(seconds=ends),
            runbook_url=draw(st.sampled_from((None, None, "https://runbooks.example/x")))))
    return alerts


def same(engine: aiops.Correlation, scratch: aiops.Correlation) -> None:
    assert tuple(engine.incidents) == tuple(scratch.incidents)   # every field, reasons included
    assert [dict(i.why) for i in engine.incidents] == [i.why for i in scratch.incidents]
    assert dict(engine.duplicate_of) == scratch.duplicate_of
    assert engine.incidents.root_causes() == scratch.incidents.root_causes()
    assert tuple(engine.alerts) == tuple(scratch.alerts)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(storms(), st.one_of(st.none(), topologies), st.integers(0, 1600), st.integers(1, 4))
def test_engine_and_from_scratch_stages_agree(alerts, topology, window, hops):
    engine = aiops.correlate(alerts, topology, window, runbooks=RUNBOOKS, hops=hops)
    scratch = aiops.correlate(alerts, topology, window, runbooks=RUNBOOKS, engine="reference", hops=hops)
    same(engine, scratch)
    assert aiops.explain(alerts, topology, window, hops) == {k: v for i in engine.incidents
                                                             for k, v in i.why.items()}
    assert aiops.dedup(alerts, window) == dict(engine.duplicate_of)
    groups = aiops.group(alerts, topology, window, hops)
    assert [tuple(a.id for a in g) for g in groups] == [i.alert_ids for i in engine.incidents]
    assert [aiops.root_cause(g, topology, hops) for g in groups] == engine.incidents.root_causes()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(storms(), st.one_of(st.none(), topologies), st.integers(0, 1600))
def test_a_dataframe_correlates_like_the_alerts(alerts, topology, window):
    frame = alerts_to_frame(alerts)             # every field, labels as dicts, times as datetime64
    from_records = aiops.correlate(alerts, topology, window, runbooks=RUNBOOKS, hops=3)
    from_frame = aiops.correlate(frame, topology, window, runbooks=RUNBOOKS, hops=3)
    assert aiops.to_json(from_frame) == aiops.to_json(from_records)
    assert tuple(from_frame.incidents) == tuple(from_records.incidents)
    assert dict(from_frame.duplicate_of) == dict(from_records.duplicate_of)


@pytest.mark.parametrize("seed", range(3))
def test_generated_storms_agree(seed):
    topology, alerts, truth = stormgen.generate(seed, services=40, faults=25, noise=0.3, flapping=0.3, silent=0.3)
    for window in (0, 60, 300, 3600):
        for topo, hops in ((topology, 1), (topology, 2), (topology, 3), (None, 2)):
            same(aiops.correlate(alerts, topo, window, runbooks=RUNBOOKS, hops=hops),
                 aiops.correlate(alerts, topo, window, runbooks=RUNBOOKS, engine="reference", hops=hops))


def test_the_fixture_storm_agrees_and_is_exact():
    alerts = load_alerts(fixture("alerts.jsonl"))
    topology = load_topology(fixture("topology.json"))
    truth = load_alert_truth(fixture("alerts_truth.csv"))
    scratch = aiops.correlate(alerts, topology, engine="reference")
    same(aiops.correlate(alerts, topology), scratch)
    score = aiops.evaluate(scratch, truth)
    assert (score["incidents"], score["f1"], score["root_cause_accuracy"]) == (5, 1.0, 1.0)


def test_nanoseconds_from_a_frame_stay_exact():
    base = pd.Timestamp("2026-03-02T02:00:00Z")
    frame = pd.DataFrame({"id": ["b", "a", "c"], "service": ["db"] * 3, "name": ["Down"] * 3,
                          "severity": ["critical"] * 3,
                          "ts": [base + pd.Timedelta(1, "ns"), base, base + pd.Timedelta(300, "s") + pd.Timedelta(1, "ns")]})
    result = aiops.correlate(frame, None, 300, runbooks=RUNBOOKS)
    assert [i.alert_ids for i in result.incidents] == [("a", "b", "c")]          # c is 300 s after b
    assert dict(result.incidents[0].why)["c"] == "duplicate of a"
    assert dict(aiops.correlate(frame, None, 299, runbooks=RUNBOOKS).duplicate_of) == {"b": "a"}
    assert dict(result.incidents[0].why)["b"] == "duplicate of a"
    apart = aiops.correlate(frame.assign(name=["X", "Y", "Z"]), None, 300, runbooks=RUNBOOKS)
    assert dict(apart.incidents[0].why)["b"] == "0.000000001 s after a (time window only)"
    assert apart.incidents[0].end == base + pd.Timedelta(300, "s") + pd.Timedelta(1, "ns")


def test_a_frame_with_a_bad_column_gets_one_clear_error():
    frame = pd.DataFrame({"id": ["a"], "ts": [pd.Timestamp("2026-03-02T02:00:00")], "service": ["db"],
                          "name": ["Down"], "severity": ["critical"]})
    with pytest.raises(ValueError, match="column ts: .*naive times have no UTC offset"):
        aiops.correlate(frame)
    with pytest.raises(ValueError, match="missing column.*service"):
        aiops.correlate(frame.drop(columns="service"))
    twice = pd.concat([frame, frame]).assign(ts=pd.Timestamp("2026-03-02T02:00:00Z"))
    with pytest.raises(ValueError, match="'a' appears more than once"):
        aiops.correlate(twice)
    with pytest.raises(ValueError, match="engine 'fast'"):
        aiops.correlate([], engine="fast")


# ----------------------------------------------------------------------------- columns straight from files

@pytest.mark.parametrize("name", ["alerts.jsonl", "alerts_webhook.json", "sources/alertmanager_capture.jsonl",
                                  "sources/grafana_webhook.json", "sources/alertmanager_api_v2.json"])
def test_files_read_as_columns_correlate_like_the_records(name):
    from desklib.records import read_alert_frame, read_alerts
    alerts, report = read_alerts(fixture(name))
    frame, frame_report = read_alert_frame(fixture(name))
    assert frame_report.line() == report.line() and frame_report.notes == report.notes
    assert list(frame.columns) == list(alerts_to_frame(alerts).columns)
    topology = load_topology(fixture("topology.json"))
    assert aiops.to_json(aiops.correlate(frame, topology)) == aiops.to_json(aiops.correlate(alerts, topology))


def test_a_csv_read_as_columns_correlates_like_the_records(tmp_path):
    from desklib.records import read_alert_frame, save_alerts
    alerts = load_alerts(fixture("alerts.jsonl"))
    path = tmp_path / "alerts.csv"
    save_alerts(alerts, path)
    frame, _ = read_alert_frame(path)
    assert aiops.to_json(aiops.correlate(frame, None)) == aiops.to_json(aiops.correlate(alerts, None))


def test_a_bad_record_read_as_columns_gets_the_same_one_line_error(tmp_path):
    from desklib.records import InputError, read_alert_frame
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a1", "ts": "2026-03-02T02:00:00Z", "service": "db", "name": "Down", '
                    '"severity": "critical"}\n{"id": "a2", "ts": "2026-03-02 02:01", "service": "db", '
                    '"name": "Down", "severity": "critical"}\n')
    with pytest.raises(InputError) as as_records:
        load_alerts(path)
    with pytest.raises(InputError) as as_columns:
        read_alert_frame(path)
    assert str(as_columns.value) == str(as_records.value) and "bad.jsonl:2" in str(as_records.value)


# ----------------------------------------------------------------------------- the stages a learner reads

LESSON_STAGES = ["normalize", "dedup", "neighbours", "link", "group", "root_cause", "upstream_order",
                 "explain", "reasons", "hand_off", "silent_paths", "link_table"]


@pytest.mark.parametrize("name", LESSON_STAGES)
def test_every_stage_a_learner_is_pointed_to_fits_on_one_screen(name):
    import inspect

    from desklib.aiops import s5_explain
    from desklib.aiops import s3_group
    function = (getattr(s5_explain, name) if name == "reasons" else getattr(s3_group, name) if name in
                ("silent_paths", "link_table") else getattr(aiops, name))
    source, _ = inspect.getsourcelines(function)
    assert len(source) <= 60, f"{name}: {len(source)} lines"
    assert function.__doc__ and function.__module__.startswith("desklib.aiops.")
    assert not any("numpy" in line or "np." in line for line in source)     # plain Python, from scratch
