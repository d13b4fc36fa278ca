"""desk tune's arithmetic and its guarantee.

The binomial tail and the Clopper–Pearson bound are checked against exact sums in rational
arithmetic and against published values; the guarantee is checked by simulation on
classifiers whose true precision is known exactly (desklib.predgen).
"""
import math
import random
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desklib import predgen, triage, tune
from desklib.predictions import load_predictions


def exact_tail(k: int, n: int, p: float) -> float:
    """P(X >= k), X ~ Binomial(n, p), summed exactly in fractions."""
    q = Fraction(p)
    return float(sum(math.comb(n, j) * q ** j * (1 - q) ** (n - j) for j in range(max(k, 0), n + 1)))


def test_binomial_tail_equals_the_exact_sum():
    rng = random.Random(7)
    for _ in range(250):
        n = rng.randint(1, 90)
        k = rng.randint(-1, n + 1)
        p = rng.choice([0.01, 0.1, 0.37, 0.5, 0.8, 0.9, 0.95, 0.99, rng.random()])
        assert tune.binomial_tail(k, n, p) == pytest.approx(exact_tail(k, n, p), abs=1e-12)


def test_binomial_tail_large_n_against_the_normal_and_symmetry():
    # symmetry: P(X >= k | n, p) = 1 - P(X >= n - k + 1 | n, 1 - p)
    for n, k, p in [(5000, 4800, 0.95), (20000, 19000, 0.95), (3000, 10, 0.004)]:
        assert tune.binomial_tail(k, n, p) == pytest.approx(1 - tune.binomial_tail(n - k + 1, n, 1 - p), abs=1e-9)
    # at the mean of a large binomial the upper tail is close to one half
    assert tune.binomial_tail(9500, 10000, 0.95) == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize("right, auto, delta, expected", [
    (5, 10, 0.025, 0.1870860),      # R: binom.test(5, 10)$conf.int[1]
    (10, 10, 0.025, 0.6915029),     # R: binom.test(10, 10)$conf.int[1]
    (37, 39, 0.025, 0.8267),        # R: binom.test(37, 39)$conf.int[1] = 0.8267...
    (0, 10, 0.05, 0.0),
    (48, 48, 0.05, 0.05 ** (1 / 48)),
])
def test_clopper_pearson_lower_bound_known_values(right, auto, delta, expected):
    assert tune.precision_lower_bound(right, auto, delta) == pytest.approx(expected, abs=1e-4)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))),
       st.sampled_from([0.01, 0.05, 0.1, 0.2]))
def test_the_bound_is_where_the_tail_equals_delta(counts, delta):
    right, auto = counts
    bound = tune.precision_lower_bound(right, auto, delta)
    assert 0 < bound <= right / auto
    assert tune.binomial_tail(right, auto, bound) == pytest.approx(delta, abs=1e-9)


def test_start_count_and_tickets_needed():
    # with no mistake, log(delta) / log(P) tickets are the bare minimum: 59 for 0.95 at 0.05
    assert math.ceil(math.log(0.05) / math.log(0.95)) == 59
    assert tune.start_count(0.95, 0.05) > 59
    m = tune.start_count(0.9, 0.05)
    assert tune._passes(m - math.floor(m * 0.05), m, 0.9, 0.05)
    needed = [tune.tickets_needed(p, 0.95, 0.05) for p in (0.96, 0.97, 0.99)]
    assert needed == sorted(needed, reverse=True) and needed[-1] >= 59
    assert tune.tickets_needed(0.95, 0.95, 0.05) is None
    m = tune.tickets_needed(0.97, 0.95, 0.05)
    assert tune.precision_lower_bound(math.floor(0.97 * m), m, 0.05) >= 0.95
    assert tune.precision_lower_bound(math.floor(0.97 * (m - 1)), m - 1, 0.05) < 0.95


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, float("nan"), True])
def test_target_and_delta_outside_the_open_interval_are_refused(bad):
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        tune.certify_threshold([(0.9, True, True)], target=bad)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        tune.certify_threshold([(0.9, True, True)], delta=bad)


# ----------------------------------------------------------------------------- the guarantee

def _certified(n: int, seed: int, model, target: float, delta: float):
    preds, labels = predgen.as_records(predgen.generate(n, seed, model))
    return tune.certify_threshold(tune.labelled_pairs(preds, labels), target, delta)["threshold"]


def _naive(n: int, seed: int, model, target: float):
    """The lowest threshold whose observed precision reaches the target: what a sweep suggests."""
    preds, labels = predgen.as_records(predgen.generate(n, seed, model))
    pairs = tune.labelled_pairs(preds, labels)
    ok = [th for th, (auto, right) in zip(tune.GRID, tune._auto_counts(pairs, tune.GRID))
          if auto and right / auto >= target]
    return min(ok) if ok else None


def _allowed(trials: int, delta: float) -> float:
    """δ plus three binomial standard deviations of a failure count."""
    return delta + 3 * math.sqrt(delta * (1 - delta) / trials)


def test_the_guarantee_holds_where_it_is_hardest():
    """Every threshold's true precision is exactly the target (0.90): any certificate is wrong,
    so the share of labelled sets that certify one is the failure rate itself. It must stay
    within δ; the observed-precision rule, for comparison, is wrong most of the time."""
    flat = predgen.Model(offset=0.90, slope=0.0)
    assert flat.precision(0.5) == pytest.approx(0.90) and flat.precision(0.99) == pytest.approx(0.90)
    trials, delta = 300, 0.1
    wrong = sum(_certified(600, seed, flat, 0.90, delta) is not None for seed in range(trials))
    naive = sum(_naive(600, seed, flat, 0.90) is not None for seed in range(60))
    assert wrong / trials <= _allowed(trials, delta), (wrong, trials)
    assert wrong > 0          # exact tests at the boundary: close to δ, not absurdly below it
    assert naive / 60 > 0.5


def test_the_guarantee_holds_on_a_miscalibrated_model():
    model, target, delta, trials = predgen.MODEL, 0.90, 0.1, 200
    wrong = 0
    for seed in range(trials):
        th = _certified(800, seed, model, target, delta)
        wrong += th is not None and model.precision(th) < target
    assert wrong / trials <= _allowed(trials, delta), (wrong, trials)


def test_with_enough_labels_it_certifies_close_to_the_oracle():
    model = predgen.MODEL
    oracle = model.oracle_threshold(0.90)
    assert oracle == 0.87 and model.precision(oracle) >= 0.90 > model.precision(oracle - 0.01)
    found = [_certified(20000, seed, model, 0.90, 0.05) for seed in range(3)]
    assert all(th is not None and oracle <= th <= oracle + 0.03 for th in found), (oracle, found)
    assert model.coverage(max(found)) > 0.8 * model.coverage(oracle)


def test_the_start_is_not_the_top_of_the_grid():
    """The trap: a fixed sequence starting at 1.00 (a handful of tickets) fails at once."""
    preds, labels = predgen.as_records(predgen.generate(5000, 3))
    pairs = tune.labelled_pairs(preds, labels)
    result = tune.certify_threshold(pairs, 0.9, 0.05)
    auto_at_start = tune._counts(pairs, result["start"])[0]
    assert auto_at_start >= tune.start_count(0.9, 0.05)
    assert result["threshold"] is not None
    # from the top of the grid the same data certify nothing (t = 1.00 holds too few tickets)
    assert tune._counts(pairs, 1.0)[0] < tune.start_count(0.9, 0.05)


def test_the_start_is_chosen_without_the_labels():
    preds, labels = predgen.as_records(predgen.generate(3000, 5))
    flipped = {k: ("SEV1" if v != "SEV1" else "SEV2") for k, v in labels.items()}
    a = tune.certify_threshold(tune.labelled_pairs(preds, labels), 0.9, 0.05)
    b = tune.certify_threshold(tune.labelled_pairs(preds, flipped), 0.9, 0.05)
    assert a["start"] == b["start"] and b["threshold"] is None


# ----------------------------------------------------------------------------- calibration

def test_ece_is_the_lessons_ece_and_its_interval_is_seeded():
    preds, labels = load_predictions(tune_fixture())
    pairs = tune.labelled_pairs(preds, labels)
    assert tune.ece(pairs) == pytest.approx(triage.expected_calibration_error(preds, labels), abs=1e-12)
    assert tune.ece(pairs, 10) == pytest.approx(triage.expected_calibration_error(preds, labels, 10), abs=1e-12)
    lo, hi = tune.ece_interval(pairs, seed=1)
    assert (lo, hi) == tune.ece_interval(pairs, seed=1) != tune.ece_interval(pairs, seed=2)
    assert lo < tune.ece(pairs) < hi


def test_plug_in_ece_reads_high_on_a_small_set_of_a_calibrated_model():
    calibrated = predgen.Model(offset=0.0, slope=1.0)
    small = [tune.ece(tune.labelled_pairs(*predgen.as_records(predgen.generate(48, s, calibrated))))
             for s in range(40)]
    large = tune.ece(tune.labelled_pairs(*predgen.as_records(predgen.generate(20000, 0, calibrated))))
    assert large < 0.02 < sorted(small)[20]


def tune_fixture():
    from desklib.data import fixture
    return fixture("predictions.csv")


def test_isotonic_pool_adjacent_violators():
    points = [(0.1, True), (0.2, False), (0.3, True), (0.4, True), (0.5, False), (0.6, True)]
    steps = tune.isotonic_fit(points)
    assert steps == [(0.1, 0.5), (0.3, 2 / 3), (0.6, 1.0)]
    assert tune.isotonic_apply(steps, 0.05) == 0.5 and tune.isotonic_apply(steps, 0.45) == 2 / 3


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([i / 20 for i in range(21)]), st.booleans()), min_size=1, max_size=60))
def test_isotonic_is_monotone_and_keeps_the_mean(points):
    steps = tune.isotonic_fit(points)
    values = [v for _, v in steps]
    assert values == sorted(values) and len(set(values)) == len(values)
    fitted = [tune.isotonic_apply(steps, c) for c, _ in points]
    assert sum(fitted) == pytest.approx(sum(ok for _, ok in points))
    # no other non-decreasing fit is closer (checked against pooling the first violation by hand:
    # the squared error of the fit is at most that of the constant fit and of the raw points' means)
    mean = sum(ok for _, ok in points) / len(points)
    sse = sum((f - ok) ** 2 for f, (_, ok) in zip(fitted, points))
    assert sse <= sum((mean - ok) ** 2 for _, ok in points) + 1e-9


def test_recalibration_fits_on_one_half_and_certifies_on_the_other():
    preds, labels = predgen.as_records(predgen.generate(6000, 11))
    result = tune.recalibrate(preds, labels, 0.9, 0.05)
    assert result["fitted_on"] + result["held_out"] == 6000 and result["fitted_on"] == 3000
    assert result["after"]["ece"] < result["before"]["ece"]
    target = result["precision_target"]
    assert target["certified_on"] == "held-out half"
    assert target["threshold"] is not None and target["raw_threshold"] is not None
    assert sum(b["count"] for b in result["after"]["bins"]) == result["held_out"]
    # the held-out half alone decides the certificate: changing the labels of the fitted half
    # changes the mapping but the certificate is tested on the other tickets only
    fit_ids, held_ids = tune._split(labels, 0)
    assert not fit_ids & held_ids and len(fit_ids | held_ids) == 6000
    # same input in another order: the same answer
    again = tune.recalibrate(list(reversed(preds)), dict(reversed(list(labels.items()))), 0.9, 0.05)
    assert again == result


def test_tune_is_the_same_whatever_the_input_order():
    preds, labels = predgen.as_records(predgen.generate(700, 2))
    a = tune.tune(preds, labels, 0.9, 0.1, 15, 5, recalibration=True)
    b = tune.tune(list(reversed(preds)), labels, 0.9, 0.1, 15, 5, recalibration=True)
    assert a == b


def test_generator_is_seeded_and_matches_its_model():
    assert predgen.generate(50, 4) == predgen.generate(50, 4) != predgen.generate(50, 5)
    rows = predgen.generate(40000, 0)
    auto = [r for r in rows if r["confidence"] >= 0.8]
    observed = sum(r["severity"] == r["true_severity"] for r in auto) / len(auto)
    assert observed == pytest.approx(predgen.MODEL.precision(0.8), abs=0.01)
    assert len(auto) / len(rows) == pytest.approx(predgen.MODEL.coverage(0.8), abs=0.01)


def test_the_method_names_the_count_the_walk_started_at():
    # 200 labelled, all right: fewer than start_count(0.95, 0.05), so the walk starts where the bare
    # minimum (59) is auto-routed, and the method must say 59, not the count it could not reach
    pairs = [(i / 200, True, True) for i in range(200)]
    certified = tune.certify_threshold(pairs, 0.95, 0.05)
    assert certified["threshold"] == 0.0 and certified["start_count"] == 59
    assert tune._counts(pairs, certified["start"])[0] >= 59 > tune._counts(pairs, certified["start"] + 0.01)[0]
    doc = tune.tune(tune_records(pairs), {f"r{i}": "SEV2" for i in range(200)}, cost_wrong=15, cost_human=5)
    assert "starting where 59 labelled tickets" in doc["precision_target"]["method"]


def tune_records(pairs):
    from desklib.predictions import prediction
    return [prediction(f"r{i}", "SEV2", conf) for i, (conf, _, _) in enumerate(pairs)]
