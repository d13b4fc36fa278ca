"""`desk tune`: the JSON contract, the readable report, and one line with exit 2 on bad input."""
import json

import pytest

from desklib import cli, predgen
from desklib.data import fixture

PREDICTIONS = str(fixture("predictions.csv"))


def run(capsys, *argv):
    code = cli.main(["tune", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def tune_json(capsys, *argv):
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out), err


def test_the_fixture_day_contract(capsys):
    doc, err = tune_json(capsys, PREDICTIONS)
    assert list(doc) == ["n", "labelled", "chow", "precision_target", "calibration", "sweep", "input", "notes"]
    assert (doc["n"], doc["labelled"]) == (48, 48)
    assert doc["chow"]["threshold"] == pytest.approx(2 / 3)
    assert doc["chow"]["coverage"] == 39 / 48 and doc["chow"]["precision"] == 37 / 39
    target = doc["precision_target"]
    assert {"target", "delta", "threshold", "coverage", "precision", "precision_lower_bound", "method"} <= set(target)
    assert (target["target"], target["delta"]) == (0.95, 0.05)
    # 48 tickets cannot certify 95 %: even 48 right of 48 only bounds precision at 0.05 ** (1/48) = 0.94
    assert target["threshold"] is None and "59 are needed" in target["reason"]
    assert target["labelled_needed"] > 1000 and "Learn-then-Test" in target["method"]
    cal = doc["calibration"]
    assert cal["ece"] == pytest.approx(0.107, abs=0.001)
    lo, hi = cal["ece_interval"]
    assert lo < cal["ece"] < hi and sum(b["count"] for b in cal["bins"]) == 48
    assert [r["threshold"] for r in doc["sweep"]] == [i / 20 for i in range(21)]
    row = next(r for r in doc["sweep"] if r["threshold"] == 0.8)
    assert (row["auto"], row["human"], row["precision"]) == (23, 25, 1.0)
    assert row["precision_lower_bound"] == pytest.approx(0.05 ** (1 / 23))
    assert set(doc["sweep"][0]) == {"threshold", "auto", "human", "coverage", "precision", "precision_lower_bound"}
    assert doc["input"] == {"read": 48, "used": 48, "set_aside": 0, "merged": 0}
    assert any("not the guarantee" in n for n in doc["notes"])
    assert err == "desk: predictions.csv: 48 read, 48 used, 0 set aside, 0 merged\n"


def test_the_readable_report(capsys):
    code, out, err = run(capsys, PREDICTIONS)
    assert code == 0
    assert "threshold 0.67 -> coverage 81.2%, precision 94.9%" in out
    assert "Not certified" in out and "labelled tickets would be needed" in out
    assert "ECE (5 bins) 0.107" in out and "each threshold's own bound" in out
    assert err.endswith("desk: predictions.csv: 48 read, 48 used, 0 set aside, 0 merged\n")


def test_a_large_generated_set_certifies_and_recalibrates(capsys, tmp_path):
    path = predgen.write(predgen.generate(6000, 1), tmp_path / "gen.csv")
    doc, _ = tune_json(capsys, path, "--target-precision", "0.9", "--delta", "0.05", "--recalibrate",
                       "--cost-wrong", "10", "--cost-human", "2")
    assert doc["chow"]["threshold"] == pytest.approx(0.8)
    target = doc["precision_target"]
    oracle = predgen.MODEL.oracle_threshold(0.9)
    assert target["threshold"] is not None and oracle <= target["threshold"] <= oracle + 0.05
    assert target["precision_lower_bound"] >= 0.9 and 0 < target["coverage"] < 1
    recal = doc["recalibration"]
    assert recal["fitted_on"] == recal["held_out"] == 3000
    assert recal["after"]["ece"] < recal["before"]["ece"]
    assert recal["precision_target"]["certified_on"] == "held-out half"
    code, out, _ = run(capsys, path, "--target-precision", "0.9", "--recalibrate")
    assert code == 0 and "Certified: threshold" in out and "Recalibrated (isotonic" in out


def test_separate_truth_and_unlabelled_predictions(capsys, tmp_path):
    lines = PREDICTIONS and open(PREDICTIONS, encoding="utf-8").read().splitlines()
    bare = tmp_path / "bare.csv"
    bare.write_text("id,severity,confidence\n" + "\n".join(",".join(ln.split(",")[:3]) for ln in lines[1:]) + "\n")
    truth = tmp_path / "truth.csv"
    truth.write_text("id,severity\n" + "\n".join(f"{ln.split(',')[0]},{ln.split(',')[3]}" for ln in lines[1:41]) + "\n")
    doc, err = tune_json(capsys, bare, "--truth", truth)
    assert (doc["n"], doc["labelled"]) == (48, 40)
    assert doc["notes"][0].startswith("bare.csv: 8 of 48 predictions have no label (t")
    assert doc["chow"]["coverage"] == 39 / 48          # coverage counts every prediction


@pytest.mark.parametrize("content, argv, message", [
    ("id,severity,confidence\np1,SEV2,1.5\n", [], "p.csv:2: prediction 'p1': field 'confidence': 1.5 is outside [0, 1]"),
    ("id,severity,confidence\np1,URGENT,0.5\n", [], "p.csv:2: prediction 'p1': field 'severity': unknown severity"),
    ("id,severity,confidence\np1,SEV2,0.5\n", [], "p.csv: no labelled ticket among 1 predictions"),
    ("id,severity,confidence,true_severity\np1,SEV2,0.5,SEV2\n", ["--target-precision", "1"], "--target-precision: expected a number strictly between 0 and 1, got '1'"),
    ("id,severity,confidence,true_severity\np1,SEV2,0.5,SEV2\n", ["--target-precision", "0"], "strictly between 0 and 1"),
    ("id,severity,confidence,true_severity\np1,SEV2,0.5,SEV2\n", ["--delta", "1.2"], "--delta: expected a number strictly between 0 and 1"),
    ("id,severity,confidence,true_severity\np1,SEV2,0.5,SEV2\n", ["--cost-wrong", "0"], "cost_wrong must be > 0"),
    ("id,severity\np1,SEV2\n", [], "missing column(s) 'confidence'"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, content, argv, message):
    path = tmp_path / "p.csv"
    path.write_text(content)
    with pytest.raises(SystemExit) if argv and "--cost-wrong" not in argv else _nothing():
        code, out, err = run(capsys, path, *argv)
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and message in err, err
    if argv and "--cost-wrong" not in argv:
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_usage_errors_exit_2(capsys, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("id,severity,confidence,true_severity\np1,SEV2,0.5,SEV2\n")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["tune", str(path), "--delta", "0"])
    assert exit_.value.code == 2


def test_rejects_set_bad_rows_aside(capsys, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("id,severity,confidence,true_severity\na,SEV2,0.5,SEV2\nb,SEV2,7,SEV2\n")
    code, out, err = run(capsys, path, "--rejects", tmp_path / "rej.jsonl", "--json")
    assert code == 0 and json.loads(out)["input"] == {"read": 2, "used": 1, "set_aside": 1, "merged": 0}
    assert "field 'confidence'" in json.loads((tmp_path / "rej.jsonl").read_text())["reason"]


def test_the_readme_sample_is_what_desk_tune_prints():
    from test_readme import _agrees, _samples, desk
    sample = next(s for s in _samples() if "precision_target" in s)
    code, out, err = desk(["tune", "fixtures/predictions.csv", "--json"])
    assert code == 0, err
    _agrees(sample, json.loads(out), "tune")


@pytest.mark.parametrize("truth, message", [
    ("id,severity\n", "truth.csv: no prediction of p.csv has a label here (0 ids, none matching)"),
    ("id,severity\n p1 ,SEV2\nzz,SEV1\n", "truth.csv: no prediction of p.csv has a label here (2 ids, none matching: "
                                         "e.g. ' p1 ' in the truth, 'p1' in p.csv)"),
])
def test_a_truth_file_that_labels_nothing_is_named(capsys, tmp_path, truth, message):
    # the predictions' own column is ignored when --truth is given: the truth file is what failed
    path, truth_path = tmp_path / "p.csv", tmp_path / "truth.csv"
    path.write_text("id,severity,confidence,true_severity\np1,SEV2,0.5,SEV2\n")
    truth_path.write_text(truth)
    code, out, err = run(capsys, path, "--truth", truth_path)
    assert (code, out) == (2, "")
    assert err == f"desk: {message}\n"


def test_too_few_labels_is_not_blamed_on_the_model(capsys, tmp_path):
    few = tmp_path / "few.csv"          # three right answers: too few to estimate, not a bad model
    few.write_text("id,severity,confidence,true_severity\na,SEV1,0.9,SEV1\nb,SEV2,0.8,SEV2\nc,SEV3,0.7,SEV3\n")
    target = tune_json(capsys, few)[0]["precision_target"]
    assert target["threshold"] is None and target["labelled_needed"] is None
    assert target["reason"].startswith("only 3 labelled tickets can be auto-routed")
    assert "too few to estimate" in target["labelled_needed_why"]
    assert "better model" not in target["labelled_needed_why"]
    wrong = tmp_path / "wrong.csv"      # 200 wrong answers: more labels will not help
    wrong.write_text("id,severity,confidence,true_severity\n"
                     + "".join(f"w{i},SEV2,{i / 200:.3f},SEV3\n" for i in range(200)))
    target = tune_json(capsys, wrong)[0]["precision_target"]
    assert target["labelled_needed"] is None and "a better model might" in target["labelled_needed_why"]
