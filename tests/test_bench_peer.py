"""The benchmark's pandas + scipy peer (benchmarks/peer_correlate.py) computes the same
thing as desklib: identical partition, duplicates and root causes on generated storms."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desklib import aiops, stormgen
from desklib.data import fixture
from desklib.records import alerts_to_frame, load_alerts, load_topology

pytest.importorskip("scipy")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from peer_correlate import correlate_peer  # noqa: E402


def check(frame, topology, window):
    ours = aiops.correlate(frame, topology, window, runbooks=aiops.Runbooks(), hops=1)   # the direct rule
    peer = correlate_peer(frame, topology, window)
    assert list(peer["ids"]) == list(ours.alerts.ids)
    assert peer["incident"].tolist() == ours.incidents.incident_of().tolist()
    assert peer["duplicate_of"] == dict(ours.duplicate_of)
    assert peer["root_causes"] == ours.incidents.root_causes()
    return ours


@pytest.mark.parametrize("seed", range(4))
def test_the_peer_finds_the_same_incidents_on_generated_storms(seed):
    topology, alerts, _ = stormgen.generate(seed, services=60, faults=80, noise=0.3, flapping=0.3, hops=1)
    frame = alerts_to_frame(alerts)
    for window in (0, 120, 300, 1800):
        for topo in (topology, None):
            check(frame, topo, window)


def test_the_peer_agrees_on_the_fixture_storm():
    frame = alerts_to_frame(load_alerts(fixture("alerts.jsonl")))
    ours = check(frame, load_topology(fixture("topology.json")), 300)
    assert len(ours.incidents) == 5
