"""``desk fit-rules``: the rules' keywords kept, their numbers fitted to labelled tickets.

Checked here: the fitter predicts exactly what triage says; the scores (accuracy, ECE,
AUROC) agree with plain definitions; folds do not depend on the order of the file; the
fitted file is a rules file ``load_rules`` reads, the same bytes for the same tickets in
any order, with the candidate keywords as comments only; on a generated labelled set the
fitted rules beat the shipped ones under cross-validation; bad input is one line, exit 2.
"""
from __future__ import annotations

import json
import random
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from desklib import cli, fitrules, ticketgen
from desklib.records import read_tickets, load_ticket_truth, save_tickets
from desklib.triage import SEVERITIES, Triage, expected_calibration_error, load_rules, triage

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
RULES = load_rules()
SEV = [SEVERITIES.index(r.severity) for r in RULES.rules]


def write_set(folder: Path, tickets, truth, *, shuffle: int | None = None, name: str = "gen") -> tuple[Path, Path]:
    """Tickets as JSON lines and truth as CSV in ``folder`` (rows shuffled with the seed ``shuffle``)."""
    tickets = list(tickets)
    rows = sorted(truth.items())
    if shuffle is not None:
        random.Random(shuffle).shuffle(tickets)
        random.Random(shuffle + 1).shuffle(rows)
    folder.mkdir(parents=True, exist_ok=True)
    tpath, gpath = folder / f"{name}.jsonl", folder / f"{name}_truth.csv"
    save_tickets(tickets, tpath)
    gpath.write_text("id,severity\n" + "".join(f"{i},{s}\n" for i, s in rows), encoding="utf-8")
    return tpath, gpath


def run(argv, capsys) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# ----------------------------------------------------------------------------- the model is triage's

def test_predictions_are_exactly_triage_on_the_fixture_day_and_a_generated_set():
    day, _ = read_tickets(FIXTURES / "tickets.jsonl")
    generated, _ = ticketgen.generate(300, seed=5)
    params = fitrules.params_of(RULES)
    for t in [*day, *generated]:
        want = triage(t, RULES)
        assert fitrules.predict(fitrules.rule_counts(t, RULES), SEV, params) == (want.severity, want.confidence), t.id


def test_a_fitted_file_triages_like_the_fitted_numbers(tmp_path, capsys):
    tickets, truth = ticketgen.generate(250, seed=7)
    tpath, gpath = write_set(tmp_path, tickets, truth)
    code, _, _ = run(["fit-rules", tpath, gpath, "-o", tmp_path / "fitted.toml", "--json"], capsys)
    assert code == 0
    fitted = load_rules(tmp_path / "fitted.toml")
    report = fitrules.fit_rules(tickets, truth, RULES)
    assert fitrules.params_of(fitted) == report.params
    assert [(r.name, r.severity, r.keywords, r.unless) for r in fitted.rules] == \
        [(r.name, r.severity, r.keywords, r.unless) for r in RULES.rules]      # keywords and form kept
    for t in tickets[:100]:
        want = triage(t, fitted)
        assert fitrules.predict(fitrules.rule_counts(t, RULES), SEV, report.params) == (want.severity, want.confidence)


def test_desk_triage_and_desk_run_take_the_fitted_file(tmp_path, capsys):
    """The fitted file is what `desk triage --rules` and `desk run --rules` triage with."""
    tickets, truth = ticketgen.generate(250, seed=7)
    tpath, gpath = write_set(tmp_path, tickets, truth)
    assert run(["fit-rules", tpath, gpath, "-o", tmp_path / "fitted.toml"], capsys)[0] == 0
    fitted = load_rules(tmp_path / "fitted.toml")
    code, out, _ = run(["triage", tpath, "--rules", tmp_path / "fitted.toml", "--json"], capsys)
    assert code == 0
    got = {t["id"]: (t["severity"], t["confidence"]) for t in json.loads(out)["tickets"]}
    assert got == {t.id: (triage(t, fitted).severity, triage(t, fitted).confidence) for t in tickets}
    assert got != {t.id: (triage(t, RULES).severity, triage(t, RULES).confidence) for t in tickets}
    day_fitted = json.loads(run(["run", "--json", "--rules", tmp_path / "fitted.toml"], capsys)[1])
    day_shipped = json.loads(run(["run", "--json"], capsys)[1])
    assert day_fitted["summary"] != day_shipped["summary"]
    (tmp_path / "broken.toml").write_text("[scoring]\nbase = 2\n")
    for argv in (["triage", tpath], ["run"]):
        code, out, err = run([*argv, "--rules", tmp_path / "broken.toml"], capsys)
        assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("desk: broken.toml: ")


# ----------------------------------------------------------------------------- scores

def brute_auroc(pairs):
    right = [c for s, c, t in pairs if s == t]
    wrong = [c for s, c, t in pairs if s != t]
    if not right or not wrong:
        return None
    wins = sum(1.0 if r > w else 0.5 if r == w else 0.0 for r in right for w in wrong)
    return wins / (len(right) * len(wrong))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SEVERITIES), st.sampled_from([0.2, 0.5, 0.5, 0.77, 0.9, 1.0]),
                          st.sampled_from(SEVERITIES)), min_size=1, max_size=40))
def test_auroc_is_the_share_of_right_wrong_pairs_ordered_with_ties_half(pairs):
    got, want = fitrules.auroc(pairs), brute_auroc(pairs)
    assert (got is None) == (want is None)
    if got is not None:
        assert got == pytest.approx(want, abs=1e-12)


def test_auroc_known_values():
    assert fitrules.auroc([("SEV1", 0.9, "SEV1"), ("SEV1", 0.1, "SEV2")]) == 1.0
    assert fitrules.auroc([("SEV1", 0.1, "SEV1"), ("SEV1", 0.9, "SEV2")]) == 0.0
    assert fitrules.auroc([("SEV1", 0.5, "SEV1"), ("SEV1", 0.5, "SEV2")]) == 0.5
    assert fitrules.auroc([("SEV1", 0.5, "SEV1")]) is None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SEVERITIES), st.floats(0, 1), st.sampled_from(SEVERITIES)),
                min_size=1, max_size=30))
def test_ece_is_triage_s_ece(pairs):
    triaged = [Triage(f"t{i}", s, c) for i, (s, c, _) in enumerate(pairs)]
    truth = {f"t{i}": t for i, (_, _, t) in enumerate(pairs)}
    assert fitrules.ece(pairs) == pytest.approx(expected_calibration_error(triaged, truth), abs=1e-12)


def test_folds_come_from_the_id_alone():
    ids = [f"t{i:03d}" for i in range(200)]
    folds = {i: fitrules.fold_of(i, 5) for i in ids}
    assert set(folds.values()) == set(range(5))
    assert all(20 <= list(folds.values()).count(f) <= 60 for f in range(5))
    shuffled = ids[:]
    random.Random(1).shuffle(shuffled)
    assert {i: fitrules.fold_of(i, 5) for i in shuffled} == folds


# ----------------------------------------------------------------------------- done when

@pytest.fixture(scope="module")
def generated():
    return ticketgen.generate(1500, seed=0)


def test_fitted_rules_beat_the_shipped_ones_under_cross_validation(generated):
    tickets, truth = generated
    report = fitrules.fit_rules(tickets, truth, RULES, folds=5)
    shipped, fitted = report.shipped, report.fitted
    assert fitted["auroc"] > shipped["auroc"]
    assert fitted["ece"] < shipped["ece"] / 2
    assert fitted["accuracy"] > shipped["accuracy"]
    assert shipped["n"] == fitted["n"] == 1500 and shipped["coverage"] == fitted["coverage"]


def test_the_fitted_file_is_the_same_bytes_for_the_same_tickets_in_any_order(tmp_path, capsys):
    tickets, truth = ticketgen.generate(300, seed=11)
    outputs = []
    for n, shuffle in enumerate((None, 3)):
        tpath, gpath = write_set(tmp_path / f"run{n}", tickets, truth, shuffle=shuffle)
        code, _, err = run(["fit-rules", tpath, gpath, "-o", tmp_path / f"fitted{n}.toml"], capsys)
        assert code == 0, err
        outputs.append((tmp_path / f"fitted{n}.toml").read_bytes())
    assert outputs[0] == outputs[1]
    text = outputs[0].decode("utf-8")
    load_rules(tmp_path / "fitted0.toml")                                   # a valid rules file
    assert "candidate keywords" in text and "#   SEV" in text


def test_candidates_are_proposals_in_comments_never_enabled(tmp_path, capsys):
    tickets, truth = ticketgen.generate(300, seed=11)
    tpath, gpath = write_set(tmp_path, tickets, truth)
    code, out, _ = run(["fit-rules", tpath, gpath, "-o", tmp_path / "fitted.toml", "--json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["candidates"]
    fitted = tomllib.loads((tmp_path / "fitted.toml").read_text(encoding="utf-8"))
    keywords = {k for rule in fitted["rules"] for k in rule["keywords"]}
    assert keywords == {k for r in RULES.rules for k in r.keywords}
    for c in doc["candidates"]:
        assert c["phrase"] not in keywords and c["count"] >= 5 and c["precision"] >= 0.6
        assert f'"{c["phrase"]}"' in (tmp_path / "fitted.toml").read_text(encoding="utf-8")
    again = fitrules.candidates({t.id: f"{t.subject}\n{t.body}" for t in reversed(tickets)}, truth, RULES)
    assert [(c.phrase, c.severity, c.count) for c in again] == \
        [(c["phrase"], c["severity"], c["count"]) for c in doc["candidates"]]


def test_candidates_leave_out_keywords_and_their_parts():
    texts = {f"t{i}": "the site is down, production unusable, log in fails" for i in range(6)}
    other = {f"u{i}": "how do i export, the site is slow" for i in range(6)}
    truth = {**dict.fromkeys(texts, "SEV1"), **dict.fromkeys(other, "SEV4")}
    found = fitrules.candidates({**texts, **other}, truth, RULES)
    phrases = {c.phrase for c in found}
    assert "production" in phrases and "unusable" in phrases
    assert "production unusable" not in phrases                 # no better than its words alone
    assert not phrases & {"down", "log", "log in", "in"}


def test_a_two_word_phrase_is_proposed_when_it_predicts_better_than_its_words():
    texts = {**{f"a{i}": "red alert on the board" for i in range(6)},
             **{f"b{i}": "the red button colour" for i in range(6)},
             **{f"c{i}": "alert settings please" for i in range(6)}}
    truth = {tid: "SEV1" if tid[0] == "a" else "SEV4" for tid in texts}
    found = {c.phrase: c for c in fitrules.candidates(texts, truth, RULES)}
    assert (found["red alert"].severity, found["red alert"].count, found["red alert"].precision) == ("SEV1", 6, 1.0)
    assert "red" not in found and "alert" not in found          # each word alone: 6 of 12


def test_json_contract(tmp_path, capsys):
    tickets, truth = ticketgen.generate(200, seed=2)
    del truth[tickets[0].id]
    tpath, gpath = write_set(tmp_path, tickets, truth)
    code, out, err = run(["fit-rules", tpath, gpath, "--json", "--folds", "3"], capsys)
    doc = json.loads(out)
    assert code == 0 and err == "desk: gen.jsonl: 200 read, 200 used, 0 set aside, 0 merged\n"   # notes: in the JSON
    assert set(doc) == {"n", "labelled", "folds", "shipped", "fitted", "rules", "scoring", "candidates",
                        "output", "input", "notes"}
    assert (doc["n"], doc["labelled"], doc["folds"], doc["output"]) == (200, 199, 3, None)
    assert set(doc["fitted"]) == {"n", "accuracy", "ece", "auroc", "coverage", "auto", "auto_precision"}
    assert doc["input"] == {"read": 200, "used": 200, "set_aside": 0, "merged": 0}
    assert any("1 of 200 tickets have no true severity" in n and tickets[0].id in n for n in doc["notes"])


def test_text_output_and_accounting(tmp_path, capsys):
    code, out, err = run(["fit-rules", FIXTURES / "tickets.jsonl", FIXTURES / "tickets_truth.csv", "--folds", "4"],
                         capsys)
    assert code == 0
    assert out.startswith("48 labelled tickets of 48, 4-fold cross-validation")
    assert "base rules" in out and "fitted rules" in out and "pass -o rules.toml" in out
    assert err == "desk: tickets.jsonl: 48 read, 48 used, 0 set aside, 0 merged\n"


# ----------------------------------------------------------------------------- bad input

def bad_cases(tmp_path: Path) -> dict:
    tickets, truth = ticketgen.generate(20, seed=1)
    tpath, gpath = write_set(tmp_path, tickets, truth)
    unknown = tmp_path / "unknown_truth.csv"
    unknown.write_text("id,severity\ng00001,P1\n", encoding="utf-8")
    strangers = tmp_path / "strangers_truth.csv"
    strangers.write_text("id,severity\nzz1,SEV1\n", encoding="utf-8")
    broken_ticket = tmp_path / "broken.jsonl"
    broken_ticket.write_text('{"id": "a1", "created_at": "2026-03-02 10:00"}\n', encoding="utf-8")
    broken_rules = tmp_path / "rules.toml"
    broken_rules.write_text('[[rules]]\nname = "o"\nseverity = "SEV1"\nkeywords = ["down"]\nunless = ["slow"]\n'
                            '[gate]\nthreshold = 0.5\n', encoding="utf-8")
    return {
        "truth file missing": ([tpath, tmp_path / "nope.csv"], "nope.csv: file not found"),
        "unknown severity": ([tpath, unknown], "unknown_truth.csv:2: ticket 'g00001': field 'severity'"),
        "no labelled ticket": ([tpath, strangers], "strangers_truth.csv: no ticket of gen.jsonl has a true severity"),
        "a bad ticket": ([broken_ticket, gpath], "broken.jsonl:1:"),
        "more folds than tickets": ([tpath, gpath, "--folds", "21"], "--folds 21: needs at least 21 labelled tickets, got 20"),
        "a broken base file": ([tpath, gpath, "--rules", broken_rules], "rules.toml: [[rules]] #1 'o': unless[0]"),
        "output over the input": ([tpath, gpath, "-o", gpath], "-o would overwrite an input file"),
    }


@pytest.mark.parametrize("case", ["truth file missing", "unknown severity", "no labelled ticket", "a bad ticket",
                                  "more folds than tickets", "a broken base file", "output over the input"])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, case):
    argv, expected = bad_cases(tmp_path)[case]
    code, out, err = run(["fit-rules", *argv], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("desk: ") and err.count("\n") == 1 and expected in err, err


@pytest.mark.parametrize("folds", ["1", "x", "-3"])
def test_folds_must_be_two_or_more(tmp_path, capsys, folds):
    with pytest.raises(SystemExit) as info:
        cli.main(["fit-rules", "a.jsonl", "b.csv", "--folds", folds])
    _, err = capsys.readouterr()
    assert info.value.code == 2 and "--folds must be a whole number >= 2" in err and err.count("\n") == 1


def test_toml_strings_round_trip():
    for text in ['plain', 'a "quote"', "back\\slash", "tab\there", "del\x7f", "é ü", "new\nline"]:
        assert tomllib.loads(f"x = {fitrules.to_toml_string(text)}")["x"] == text


# ----------------------------------------------------------------------------- the generator

def test_the_generator_is_seeded_and_labelled():
    a, truth_a = ticketgen.generate(300, seed=4)
    b, truth_b = ticketgen.generate(300, seed=4)
    c, _ = ticketgen.generate(300, seed=5)
    assert a == b and truth_a == truth_b and a != c
    assert set(truth_a) == {t.id for t in a} and set(truth_a.values()) == set(SEVERITIES)
    texts = " ".join(f"{t.subject} {t.body}".lower() for t in a)
    for phrase in ("drop down", "memory leak", "privacy policy", "urgent"):   # noise and false-fire phrases
        assert phrase in texts
    assert all(t.created_at < u.created_at for t, u in zip(a, a[1:]))


@pytest.mark.parametrize("kwargs", [{"n": -1}, {"n": 1.5}, {"n": 3, "mix": {"P1": 1.0}}, {"n": 3, "noise": 2.0},
                                    {"n": 3, "mix": {"SEV1": float("nan")}}])
def test_the_generator_refuses_nonsense(kwargs):
    with pytest.raises(ValueError):
        ticketgen.generate(**kwargs)


def test_the_fixture_truth_reader_is_the_one_used():
    truth = load_ticket_truth(FIXTURES / "tickets_truth.csv")
    assert len(truth) == 48
