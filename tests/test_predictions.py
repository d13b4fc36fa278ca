"""A predictions file is an input like any other, and everything after triage takes it."""
import json

import matplotlib
import pytest

matplotlib.use("Agg")

import desklib
from desklib import gate, plots, triage, widgets
from desklib.data import fixture
from desklib.predictions import load_predictions, read_predictions, save_predictions
from desklib.records import InputError


@pytest.fixture(scope="module")
def day():
    tickets = desklib.load_tickets(fixture("tickets.jsonl"))
    truth = desklib.load_ticket_truth(fixture("tickets_truth.csv"))
    return tickets, truth, triage.triage_all(tickets, triage.load_rules())


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_the_fixture_file_is_the_keyword_rules_run_on_the_day(day):
    tickets, truth, triaged = day
    preds, labels, report = read_predictions(fixture("predictions.csv"))
    assert labels == truth and report.counts() == {"read": 48, "used": 48, "set_aside": 0, "merged": 0}
    assert [(p.id, p.severity, p.confidence) for p in preds] == [(t.id, t.severity, t.confidence) for t in triaged]
    assert report.notes == []


def test_csv_jsonl_and_a_separate_truth_file_read_the_same(tmp_path):
    csv_preds, csv_labels = load_predictions(fixture("predictions.csv"))
    lines = [json.dumps({"id": p.id, "severity": p.severity.lower(), "confidence": p.confidence}) for p in csv_preds]
    jsonl = write(tmp_path / "p.jsonl", "\n".join(lines) + "\n")
    preds, labels, report = read_predictions(jsonl, truth=fixture("tickets_truth.csv"))
    def key(records):
        return [(p.id, p.severity, p.confidence, p.scores) for p in records]
    assert key(preds) == key(csv_preds) and labels == csv_labels
    assert preds[0].matched == ("model: p.jsonl",)
    save_predictions(csv_preds, tmp_path / "bare.csv")
    again, again_labels = load_predictions(tmp_path / "bare.csv", fixture("tickets_truth.csv"))
    assert key(again) == key(csv_preds) and again_labels == csv_labels


def test_unlabelled_predictions_are_counted_and_named_not_dropped(tmp_path):
    path = write(tmp_path / "p.csv", "id,severity,confidence,true_severity\n"
                 "a,SEV1,0.9,SEV1\nb,SEV2,0.8,\nc,SEV3,0.7,SEV4\nd,SEV4,0.6,\n")
    preds, labels, report = read_predictions(path)
    assert [p.id for p in preds] == ["a", "b", "c", "d"] and labels == {"a": "SEV1", "c": "SEV4"}
    assert report.notes == ["p.csv: 2 of 4 predictions have no label (b, d); counted in coverage, not in precision"]


def test_a_truth_file_wins_over_the_column_and_says_so(tmp_path):
    path = write(tmp_path / "p.csv", "id,severity,confidence,true_severity\na,SEV1,0.9,SEV1\nb,SEV2,0.8,SEV2\n")
    truth = write(tmp_path / "truth.csv", "id,severity\na,SEV1\nb,SEV3\nz,SEV4\n")
    _, labels, report = read_predictions(path, truth)
    assert labels == {"a": "SEV1", "b": "SEV3"}
    assert report.notes == ["p.csv: column 'true_severity' ignored, truth.csv is the truth (1 label differ)",
                            "truth.csv: 1 id with no prediction (z); ignored"]


@pytest.mark.parametrize("row, message", [
    ("p1,SEV2,1.3", "p.csv:2: prediction 'p1': field 'confidence': 1.3 is outside [0, 1]"),
    ("p1,SEV2,83", "p.csv:2: prediction 'p1': field 'confidence': 83 is outside [0, 1] (a percentage? divide by 100)"),
    ("p1,SEV2,-0.1", "p.csv:2: prediction 'p1': field 'confidence': -0.1 is outside [0, 1]"),
    ("p1,SEV2,nan", "p.csv:2: prediction 'p1': field 'confidence': nan is outside [0, 1]"),
    ("p1,SEV2,high", "p.csv:2: prediction 'p1': field 'confidence': expected a number in [0, 1], got 'high'"),
    ("p1,P1,0.5", "p.csv:2: prediction 'p1': field 'severity': unknown severity 'P1' (one of SEV1, SEV2, SEV3, SEV4)"),
    ("p1,,0.5", "p.csv:2: prediction 'p1': field 'severity': missing"),
    (",SEV1,0.5", "p.csv:2: field 'id': missing"),
])
def test_bad_rows_are_one_line_naming_file_line_record_and_field(tmp_path, row, message):
    path = write(tmp_path / "p.csv", f"id,severity,confidence\n{row}\n")
    with pytest.raises(InputError) as err:
        read_predictions(path)
    assert str(err.value) == message


@pytest.mark.parametrize("record, message", [
    ({"id": "p1", "severity": "SEV1", "confidence": "0.9"},
     "field 'confidence': expected a JSON number in [0, 1], got the text '0.9' (write it without quotes)"),
    ({"id": "p1", "severity": "SEV1", "confidence": True}, "expected a number in [0, 1], got true/false"),
    ({"id": "p1", "severity": "SEV1", "confidence": 0.9, "true_severity": "sev9"}, "field 'true_severity': unknown severity 'sev9'"),
    ({"id": "p1", "severity": 1, "confidence": 0.9}, "field 'severity': expected text like 'SEV2', got number 1"),
])
def test_bad_json_records(tmp_path, record, message):
    path = write(tmp_path / "p.jsonl", json.dumps(record) + "\n")
    with pytest.raises(InputError, match=r"^p\.jsonl:1: prediction 'p1': ") as err:
        read_predictions(path)
    assert message in str(err.value)


def test_collect_sets_bad_rows_aside_and_keeps_the_rest(tmp_path):
    path = write(tmp_path / "p.csv", "id,severity,confidence,prob\na,SEV1,0.9,x\nb,SEV2,1.9,y\na,SEV3,0.5,z\n")
    preds, _, report = read_predictions(path, on_error="collect")
    assert [p.id for p in preds] == ["a"]
    assert report.counts() == {"read": 3, "used": 1, "set_aside": 2, "merged": 0}
    assert [r["line"] for r in report.rejects] == [3, 4]
    assert "duplicate id" in report.rejects[1]["reason"]
    assert any("column 'prob' is not a prediction field" in n for n in report.notes)


def test_everything_after_triage_takes_predictions(day, tmp_path):
    """gate, sweep, risk-coverage, precision target, reliability/ECE and the plots give on the
    predictions file exactly what they give on the keyword rules' output above the no-evidence level."""
    _, truth, triaged = day
    preds, labels = load_predictions(fixture("predictions.csv"))
    assert [d.route for d in gate.gate(preds, 0.67)] == [d.route for d in gate.gate(triaged, 0.67)]
    assert gate.gate(preds, 0.67)[0].reason == "confidence 0.91 >= 0.67"
    grid = [0.5, 0.67, 0.8, 0.9]
    assert gate.threshold_sweep(preds, labels, grid).equals(gate.threshold_sweep(triaged, truth, grid))
    # no-evidence tickets (0.20) are auto-routable as predictions: a model's answer is evidence
    rc_p, rc_t = gate.risk_coverage(preds, labels), gate.risk_coverage(triaged, truth)
    assert rc_p[rc_p.threshold > 0.2].equals(rc_t[rc_t.threshold > 0.2])
    assert gate.threshold_for_precision(preds, labels, 0.95, robust=True) == \
        gate.threshold_for_precision(triaged, truth, 0.95, robust=True)
    assert triage.reliability_table(preds, labels).equals(triage.reliability_table(triaged, truth))
    assert triage.expected_calibration_error(preds, labels) == triage.expected_calibration_error(triaged, truth)
    ax = plots.plot_reliability(triage.reliability_table(preds, labels), label="model")
    assert ax.get_legend().get_texts()[0].get_text() == "model (5 bins)"
    plots.plot_threshold_sweep(gate.threshold_sweep(preds, labels), threshold=0.67)
    plots.plot_risk_coverage(rc_p, threshold=0.67)
    import matplotlib.pyplot as plt
    plt.close("all")


def test_the_threshold_explorer_runs_on_a_predictions_file(tmp_path):
    path = write(tmp_path / "model.csv", "id,severity,confidence,true_severity\n"
                 "a,SEV1,0.95,SEV1\nb,SEV2,0.85,SEV3\nc,SEV3,0.75,SEV3\nd,SEV4,0.55,SEV4\ne,SEV2,0.9,\n")
    explorer = widgets.threshold_explorer(predictions=path, threshold=0.8)
    assert explorer.view["n"] == 4                         # the labelled ones
    assert list(explorer.view["human_queue"]["id"]) == ["c", "d"]
    assert list(explorer.view["wrong_auto"]["id"]) == ["b"]
    explorer.slider.value = 0.9
    assert explorer.view["auto"] == 1 and explorer.view["auto_accuracy"] == 1.0
    assert repr(explorer) == "ThresholdExplorer(threshold=0.90: 1 auto, 3 to a human)"
    legend = explorer.axes[1].get_legend().get_texts()[0].get_text()
    assert legend == "model (5 bins)"
    # the fixture file with the day's tickets for the subjects: the lesson's explorer, from a file
    day_file = widgets.threshold_explorer(desklib.load_tickets(fixture("tickets.jsonl")),
                                          predictions=fixture("predictions.csv"))
    lesson = widgets.threshold_explorer()
    assert widgets.gate_summary(day_file.view) == widgets.gate_summary(lesson.view)
    # the same queue; only the reason of the two no-evidence tickets differs ("no rule matched")
    assert list(day_file.view["human_queue"]["id"]) == list(lesson.view["human_queue"]["id"])
    assert list(day_file.view["human_queue"]["subject"]) == list(lesson.view["human_queue"]["subject"])


def test_the_precision_bounds_plot_is_readable_on_a_projector():
    import sys
    from pathlib import Path
    import pandas as pd
    import matplotlib.pyplot as plt
    from desklib import predgen, tune
    sys.path.insert(0, str(Path(__file__).parent))
    from picture_checks import covered_by_legend, small_texts
    rows = []
    for n in (48, 500, 5000):
        for seed in range(5):
            pairs = tune.labelled_pairs(*predgen.as_records(predgen.generate(n, seed)))
            rows.append({"labelled": n, "seed": seed, **tune.precision_at(pairs, 0.9)})
    frame = pd.DataFrame(rows)
    ax = plots.plot_precision_bounds(frame, 0.9, predgen.MODEL.precision(0.9))
    try:
        assert [t.get_text() for t in ax.get_xticklabels()] == ["48", "500", "5,000"]
        assert len(ax.lines[0].get_xdata()) == 15 and ax.get_legend() is not None
        assert small_texts(ax.figure, plots.MIN_POINTS) == []
        assert covered_by_legend(ax.figure) == []
    finally:
        plt.close("all")


def test_a_decimal_comma_is_refused_with_the_number_it_likely_meant(tmp_path):
    # a spreadsheet in a German or French locale: ';' between cells, ',' in numbers; never guessed
    path = write(tmp_path / "p.csv", "id;severity;confidence\np1;SEV2;0,93\n")
    with pytest.raises(InputError) as err:
        read_predictions(path)
    assert str(err.value) == ("p.csv:2: prediction 'p1': field 'confidence': expected a number in [0, 1], "
                              "got '0,93' (a decimal comma? write 0.93)")
