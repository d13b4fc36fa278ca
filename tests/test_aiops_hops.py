"""Links through silent services (``hops``): the fixture storm stays exact, the same storm with
its middle tier silent is recovered at the default and split by the direct rule, generated
storms with silent tiers are grouped exactly, and hops is a knob everywhere the window is."""
from __future__ import annotations

import json

import pytest

from desklib import aiops, cli, stormgen
from desklib.data import fixture
from desklib.records import load_alert_truth, load_alerts, load_topology

RUNBOOKS = aiops.Runbooks()
MIDDLE = {"orders", "auth", "search"}          # the API tier between the front ends and the data stores


@pytest.fixture(scope="module")
def storm():
    return (load_alerts(fixture("alerts.jsonl")), load_topology(fixture("topology.json")),
            load_alert_truth(fixture("alerts_truth.csv")))


@pytest.fixture(scope="module")
def silent_middle(storm):
    alerts, topology, truth = storm
    kept = [a for a in alerts if a.service not in MIDDLE]
    return kept, topology, {a.id: truth[a.id] for a in kept}


def score(alerts, topology, truth, hops):
    result = aiops.correlate(alerts, topology, runbooks=RUNBOOKS, hops=hops)
    return result, aiops.evaluate(result, truth)


def test_the_fixture_storm_stays_exact_at_the_default(storm):
    assert aiops.DEFAULT_HOPS == 2
    for hops in (1, 2, 3):
        result, s = score(*storm, hops)
        assert (s["incidents"], s["f1"], s["root_cause_accuracy"]) == (5, 1.0, 1.0)
        assert all(inc.silent == () for inc in result.incidents)


def test_a_silent_middle_tier_splits_the_direct_rule_and_not_the_default(silent_middle):
    direct, s1 = score(*silent_middle, 1)
    assert s1["incidents"] == 8 and s1["f1"] < 0.75
    assert [i.root_cause for i in direct.incidents].count("web") + \
        [i.root_cause for i in direct.incidents].count("mobile-api") >= 2       # front ends blamed
    result, s2 = score(*silent_middle, 2)
    assert (s2["incidents"], s2["f1"], s2["root_cause_accuracy"]) == (5, 1.0, 1.0)
    pg = result.incidents[0]
    assert pg.root_cause == "pg-main" and pg.silent == ("orders",)
    assert aiops.to_json(result)["incidents"][0]["silent"] == ["orders"]
    assert "silent" not in aiops.to_json(direct)["incidents"][0]          # only where there were some
    assert pg.why["a40"] == "web → orders (no alerts) → pg-main; 50 s after a01"
    assert pg.why["a07"] == "mobile-api → orders (no alerts) → pg-main; 30 s after a04"
    # three hops reach the overlapping es-cluster outage through web → catalog → search
    three, s3 = score(*silent_middle, 3)
    assert s3["incidents"] == 4 and s3["f1"] < 1
    assert three.incidents[0].silent == ("catalog", "orders", "search")


@pytest.mark.parametrize("seed", range(4))
def test_generated_storms_with_silent_tiers_are_grouped_exactly_at_the_default(seed):
    topology, alerts, truth = stormgen.generate(seed, services=80, faults=40, noise=0.2, flapping=0.2, silent=0.4)
    never = (set(topology) | {d for deps in topology.values() for d in deps}) - {a.service for a in alerts}
    result, s = score(alerts, topology, truth, aiops.DEFAULT_HOPS)
    assert (s["precision"], s["recall"], s["root_cause_accuracy"]) == (1.0, 1.0, 1.0)
    ran_through = {m for inc in result.incidents for m in inc.silent}
    assert ran_through & never                              # the silent tier, named in the incidents
    assert score(alerts, topology, truth, 1)[1]["recall"] < 1     # the direct rule splits some


def test_hops_beside_the_window_everywhere(storm, capsys):
    alerts, topology, truth = storm
    sweep = aiops.window_sweep(alerts, topology, truth, [120, 300], progress=False, hops=[1, 2, 3])
    assert list(sweep[["window_s", "hops"]].itertuples(index=False, name=None)) == [
        (120, 1), (300, 1), (120, 2), (300, 2), (120, 3), (300, 3)]
    result = aiops.correlate(alerts, topology, hops=3)
    assert aiops.to_json(result)["hops"] == 3 and result.params["hops"] == 3
    assert cli.main(["correlate", str(fixture("alerts.jsonl")), "--topology", str(fixture("topology.json")),
                     "--hops", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["hops"] == 1
    with pytest.raises(ValueError, match="hops 0"):
        aiops.correlate(alerts, topology, hops=0)
    with pytest.raises(SystemExit) as refused:
        cli.main(["correlate", str(fixture("alerts.jsonl")), "--hops", "zero"])
    assert refused.value.code == 2 and "--hops: hops 'zero'" in capsys.readouterr().err


def _layers(width: int, depth: int) -> dict:
    """Every service of a layer depends on every one of the next: width ** k routes down."""
    return {f"l{d}-{i}": [f"l{d + 1}-{j}" for j in range(width)] if d + 1 < depth else []
            for d in range(depth) for i in range(width)}


def test_too_many_paths_is_one_line_not_a_full_memory(tmp_path, capsys):
    # 12 ** 5 routes from each top service: the table of paths would take gigabytes; it is refused
    # as soon as it passes aiops' limit, in the API and as one line with exit 2 from the command
    topology = _layers(12, 7)
    alerts = [{"id": f"a{i}", "ts": f"2026-03-02T02:00:{i:02d}Z", "service": s, "name": "Down", "severity": "critical"}
              for i, s in enumerate(["l0-0", "l6-0"])]
    storm = tmp_path / "storm.jsonl"
    storm.write_text("".join(json.dumps(a) + "\n" for a in alerts))
    (tmp_path / "topo.json").write_text(json.dumps(topology))
    for engine in ("columnar", "reference"):
        with pytest.raises(ValueError, match=r"^hops 7: more than 200,000 paths .* use fewer hops"):
            aiops.correlate(load_alerts(storm), topology, hops=7, engine=engine)
    assert len(aiops.correlate(load_alerts(storm), topology, hops=2).incidents) == 2
    code = cli.main(["correlate", str(storm), "--topology", str(tmp_path / "topo.json"), "--hops", "7"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("desk: topo.json: hops 7: more than 200,000 paths") and err.count("\n") == 1


def test_a_long_chain_and_huge_hops_need_no_deep_stack():
    chain = {f"s{i:04d}": [f"s{i + 1:04d}"] for i in range(1500)}
    paths = aiops.s3_group.silent_paths(chain, "s0000", 10 ** 9)
    assert len(paths) == 1499 and paths[-1] == ("s1500", tuple(f"s{i:04d}" for i in range(1, 1500)))
