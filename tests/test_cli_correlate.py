"""`desk correlate` and the storm in `desk run`: the JSON contract and its invariants."""
import json
import random
import subprocess
import sys

import pytest

from desklib import cli
from desklib.data import fixture
from desklib.records import load_alerts, save_alerts

STORM = [str(fixture("alerts.jsonl")), "--topology", str(fixture("topology.json"))]


def _json(capsys, *argv):
    assert cli.main(["correlate", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_contract(capsys):
    doc = _json(capsys, *STORM)
    assert list(doc) == ["window_s", "hops", "alerts", "incidents", "noise_reduction", "input", "notes"]
    assert doc["input"] == {"read": 40, "used": 40, "set_aside": 0, "merged": 0} and doc["notes"] == []
    assert doc["window_s"] == 300 and doc["alerts"] == 40
    for inc in doc["incidents"]:
        assert list(inc) == ["id", "root_cause", "alert_ids", "services", "start", "end", "severity", "runbook", "why",
                             "firing", "ended_at"]
        assert inc["start"].endswith("Z") and inc["end"].endswith("Z") and inc["start"] <= inc["end"]
        assert inc["severity"] in ("critical", "warning", "info")
        assert set(inc["why"]) == set(inc["alert_ids"])
        assert inc["root_cause"] in inc["services"]
    starts = [inc["start"] for inc in doc["incidents"]]
    assert starts == sorted(starts)
    assert [inc["id"] for inc in doc["incidents"]] == [f"INC-{i}" for i in range(1, len(starts) + 1)]
    ids = [a for inc in doc["incidents"] for a in inc["alert_ids"]]
    assert sorted(ids) == sorted(a.id for a in load_alerts(fixture("alerts.jsonl")))   # each alert exactly once
    assert doc["noise_reduction"] == pytest.approx(1 - len(doc["incidents"]) / 40)


def test_truth_adds_an_evaluation(capsys):
    doc = _json(capsys, *STORM, "--truth", str(fixture("alerts_truth.csv")))
    ev = doc["evaluation"]
    assert ev["true_incidents"] == 5 and ev["incidents"] == len(doc["incidents"])
    assert ev["f1"] == 1.0 and ev["root_cause_accuracy"] == 1.0


@pytest.mark.parametrize("window", ["5m", "300s", "300"])
def test_window_spellings_agree(capsys, window):
    assert _json(capsys, *STORM, "--window", window) == _json(capsys, *STORM)


def _shape(doc):
    return [(inc["root_cause"], len(inc["alert_ids"]), inc["start"], inc["end"], inc["severity"], inc["runbook"])
            for inc in doc["incidents"]], doc["noise_reduction"]


def test_webhook_and_jsonl_and_any_order_agree(capsys, tmp_path):
    reference = _shape(_json(capsys, *STORM))
    webhook = _shape(_json(capsys, str(fixture("alerts_webhook.json")), "--topology", str(fixture("topology.json"))))
    assert webhook == reference
    alerts = load_alerts(fixture("alerts.jsonl"))
    random.Random(3).shuffle(alerts)
    save_alerts(alerts, tmp_path / "storm.csv")
    shuffled = _json(capsys, str(tmp_path / "storm.csv"), "--topology", str(fixture("topology.json")))
    assert _json(capsys, *STORM) == shuffled


def test_time_only_merges_the_overlapping_outages(capsys):
    with_topology = _json(capsys, *STORM)
    time_only = _json(capsys, str(fixture("alerts.jsonl")))
    assert len(time_only["incidents"]) < len(with_topology["incidents"])
    merged = next(inc for inc in time_only["incidents"] if "pg-main" in inc["services"])
    assert "es-cluster" in merged["services"]


def test_readable_table(capsys):
    assert cli.main(["correlate", *STORM, "--truth", str(fixture("alerts_truth.csv"))]) == 0
    out = capsys.readouterr().out
    assert "noise reduction 0.875" in out and "root-cause accuracy 1.000" in out
    assert "INC-1" in out and "pg-main" in out


def test_truth_that_does_not_match_is_one_line(capsys):
    code = cli.main(["correlate", str(fixture("alerts_webhook.json")), "--truth", str(fixture("alerts_truth.csv"))])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "alerts_truth.csv" in err


def test_bad_window_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["correlate", *STORM, "--window", "5 fortnights"])
    assert info.value.code == 2 and capsys.readouterr().err.count("\n") == 1


def test_desk_run_includes_the_storm(capsys):
    assert cli.main(["run"]) == 0
    out = capsys.readouterr().out
    assert "Alert storm (40 alerts" in out and "Noise reduction: 0.875" in out
    assert "pg-main" in out and "es-cluster" in out


def test_correlate_in_a_real_process_imports_no_pandas():
    code = ("import sys, runpy; sys.argv = ['desk', 'correlate', %r, '--json'];\n"
            "from desklib import cli; rc = cli.main(sys.argv[1:]);\n"
            "assert 'pandas' not in sys.modules and 'matplotlib' not in sys.modules, sorted(m for m in sys.modules if m.startswith(('pandas', 'matplotlib')))[:3]\n"
            "sys.exit(rc)") % str(fixture("alerts.jsonl"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
