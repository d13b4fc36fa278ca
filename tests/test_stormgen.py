"""desklib.stormgen: seeded storms whose planted truth correlation must recover."""
from __future__ import annotations

import graphlib
import random
from collections import Counter
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desklib import aiops, stormgen
from desklib.data import fixture
from desklib.records import load_topology

UTC = timezone.utc
NO_RUNBOOKS = aiops.Runbooks()


def test_same_seed_same_storm_other_seed_other_storm():
    a = stormgen.generate(3, services=20, faults=6)
    b = stormgen.generate(3, services=20, faults=6)
    c = stormgen.generate(4, services=20, faults=6)
    assert a == b
    assert a[1] != c[1]


def test_sizes_ids_times_and_truth():
    topology, alerts, truth = stormgen.generate(1, services=40, faults=12, alerts_per_fault=7, noise=0.25)
    assert len(alerts) == 12 * 7 + round(0.25 * 12 * 7)
    ids = [a.id for a in alerts]
    assert len(set(ids)) == len(ids) and set(truth) == set(ids)
    assert [a.ts for a in alerts] == sorted(a.ts for a in alerts)
    assert all(a.ts.tzinfo is UTC for a in alerts) and alerts[0].ts >= stormgen.START
    incidents = Counter(incident for incident, _ in truth.values())
    faults = {i for i in incidents if i.startswith("fault-")}
    assert len(faults) == 12 and all(incidents[f] == 7 for f in faults)
    assert all(incidents[i] == 1 for i in incidents if i.startswith("noise-"))
    assert all(a.severity in aiops.SEVERITIES for a in alerts)


def test_topology_is_a_dag_with_every_service_listed():
    topology = stormgen.random_topology(random.Random(5), 50)
    assert len(topology) == 50
    order = list(graphlib.TopologicalSorter(topology).static_order())   # raises CycleError on a cycle
    assert set(order) == set(topology)
    assert all(d > s for s, deps in topology.items() for d in deps)      # depends only on higher numbers


def test_faults_start_at_their_root_and_spread_to_dependants():
    topology, alerts, truth = stormgen.generate(11, services=30, faults=10, alerts_per_fault=8, noise=0)
    dependants = {}
    for s, deps in topology.items():
        for d in deps:
            dependants.setdefault(d, set()).add(s)
    for incident in {i for i, _ in truth.values()}:
        members = [a for a in alerts if truth[a.id][0] == incident]
        root = truth[members[0].id][1]
        assert members[0].service == root                 # the root alerts first
        reach, todo = {root}, [root]
        while todo:
            for u in dependants.get(todo.pop(), ()):
                if u not in reach:
                    reach.add(u)
                    todo.append(u)
        assert {a.service for a in members} <= reach


def test_flapping_makes_duplicates_and_noise_includes_unknown_services():
    topology, alerts, _ = stormgen.generate(2, services=20, faults=10, alerts_per_fault=10, flapping=1.0, noise=1.0)
    assert len(aiops.dedup(alerts, 300)) >= 10 * 5
    known = set(topology) | {d for deps in topology.values() for d in deps}
    assert any(a.service not in known for a in alerts)
    _, calm, _ = stormgen.generate(2, services=20, faults=10, alerts_per_fault=10, flapping=0.0, noise=0.0)
    assert all(a.service in known for a in calm)


def test_time_alone_merges_planted_faults_that_topology_keeps_apart():
    topology, alerts, truth = stormgen.generate(9, services=60, faults=30, alerts_per_fault=6)
    true_count = len({i for i, _ in truth.values()})
    with_topology = aiops.correlate(alerts, topology, 300, runbooks=NO_RUNBOOKS)
    time_only = aiops.correlate(alerts, None, 300, runbooks=NO_RUNBOOKS)
    assert len(with_topology.incidents) == true_count
    assert len(time_only.incidents) < true_count
    assert aiops.evaluate(time_only, truth)["precision"] < 1


def test_a_given_topology_is_used():
    topology = load_topology(fixture("topology.json"))
    got, alerts, truth = stormgen.generate(0, services=topology, faults=5, alerts_per_fault=6)
    assert got == topology
    assert {root for _, root in truth.values()} <= set(topology) | {f"ext-{i}" for i in range(5)}


def test_start_and_window_arguments():
    start = datetime(2030, 1, 1, tzinfo=UTC)
    _, alerts, _ = stormgen.generate(0, faults=3, start=start, window_s=60)
    assert alerts[0].ts >= start
    with pytest.raises(ValueError):
        stormgen.generate(0, window_s=0)
    with pytest.raises(ValueError):
        stormgen.generate(0, alerts_per_fault=0)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), services=st.integers(1, 40), faults=st.integers(0, 12),
       per_fault=st.integers(1, 12), noise=st.sampled_from([0.0, 0.2, 0.5]),
       flapping=st.sampled_from([0.0, 0.3, 1.0]), window=st.integers(1, 900))
def test_time_and_topology_recover_the_planted_truth(seed, services, faults, per_fault, noise, flapping, window):
    topology, alerts, truth = stormgen.generate(seed, services=services, faults=faults, alerts_per_fault=per_fault,
                                                noise=noise, flapping=flapping, window_s=window)
    if not alerts:
        return
    result = aiops.correlate(alerts, topology, window, runbooks=NO_RUNBOOKS)
    score = aiops.evaluate(result, truth)
    assert (score["precision"], score["recall"], score["root_cause_accuracy"]) == (1.0, 1.0, 1.0)
    assert score["incidents"] == score["true_incidents"]
