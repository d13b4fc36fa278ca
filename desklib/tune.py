"""Tune the gate on labelled tickets, and say how sure the choice is (``desk tune``).

Works on any triage output: the keyword rules' or a model's predictions file
(:mod:`desklib.predictions`). Four answers, each a small pure function:

* **From costs** — Chow's rule (:func:`desklib.gate.chow_threshold`), with the coverage and
  precision it gives on the data. It trusts the confidences to be probabilities.
* **From a precision target, with a guarantee** — :func:`certify_threshold`: the lowest
  threshold whose auto-routed precision is at least ``P`` with probability at least ``1 − δ``
  over the draw of the labelled set. Method: **Learn then Test** (Angelopoulos, Bates,
  Candès, Jordan, Lei 2021) with **fixed-sequence testing** and an **exact binomial
  (Clopper–Pearson) test** at each threshold. The thresholds are a fixed grid
  (1.00, 0.99, …, 0.00). Where the sequence starts is decided from the confidences alone,
  before any label is looked at: at the first threshold that auto-routes at least
  :func:`start_count` labelled tickets — enough that a set with half the allowed error rate
  would pass even when a little unlucky (or, with fewer labelled tickets than that, the bare minimum a set with no
  mistake would need). (Starting at the top, where a threshold holds three tickets, is the known
  trap: the first test cannot pass and a fixed sequence then certifies nothing.) From there
  each step down is tested — "precision ≤ P" is rejected when
  ``P(Binomial(m, P) ≥ right) ≤ δ`` — and the walk stops at the first threshold that fails.
  Testing in a fixed order spends the whole δ on each test without a multiple-testing
  correction, because a threshold is only reached when every one before it passed.
  The guarantee is about the gate's precision on tickets like the labelled ones (drawn the
  same way); it says nothing about next month's tickets if they change.
* **Calibration** — ECE (the lesson's equal-width bins) with a seeded bootstrap interval.
  The plug-in ECE is biased **upward** on small sets: noise in each bin's accuracy adds to
  ``|accuracy − confidence|`` and never cancels, so even a perfectly calibrated model shows
  an ECE of several points on 50 tickets. The interval shows the spread, not that bias.
* **The sweep** — every 0.05, with each threshold's own Clopper–Pearson lower bound. That
  bound holds for one threshold looked at alone; picking the best-looking row of the table
  is not covered by it. Only :func:`certify_threshold`'s answer carries the guarantee.

With ``recalibrate=True``, :func:`recalibrate` fits isotonic regression (pool adjacent
violators) on one seeded half of the labelled tickets and reports reliability before and
after on the other half, where it also certifies a threshold: never on the data it was fitted on.

The arithmetic is plain Python (the regularised incomplete beta function by its continued
fraction, and bisection), checked in the tests against exact binomial sums and published values.
"""
from __future__ import annotations

import math
import random
from bisect import bisect_right
from typing import Iterable, Mapping, Sequence

from .gate import routes_auto

__all__ = [
    "DEFAULT_TARGET", "DEFAULT_DELTA", "GRID", "SWEEP", "betainc", "binomial_tail", "precision_lower_bound",
    "start_count", "certify_threshold", "precision_at", "tickets_needed", "ece", "ece_interval", "isotonic_fit",
    "isotonic_apply", "recalibrate", "tune", "labelled_pairs", "labelled_needed", "calibration", "sweep",
]

DEFAULT_TARGET = 0.95
DEFAULT_DELTA = 0.05
#: The fixed sequence of thresholds tested, highest first (the explorer's slider steps).
GRID = tuple(round(1 - i / 100, 2) for i in range(101))
#: The thresholds of the sweep table.
SWEEP = tuple(round(i / 20, 2) for i in range(21))
METHOD = ("Learn-then-Test fixed-sequence testing, exact binomial (Clopper-Pearson) test per threshold; "
          "grid 1.00, 0.99, ..., 0.00, starting where {m} labelled tickets are auto-routed "
          "(chosen from the confidences alone)")


# ----------------------------------------------------------------------------- binomial arithmetic

def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 1e-15
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100_000):
        for aa in (m * (b - m) * x / ((a - 1 + 2 * m) * (a + 2 * m)),
                   -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 1 + 2 * m))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            return h
    raise ArithmeticError(f"incomplete beta did not converge (a={a}, b={b}, x={x})")


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b), for a, b > 0 and x in [0, 1]."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):          # the fraction converges fast on this side
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p): the chance of ``k`` or more right out of ``n``."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    return min(1.0, max(0.0, betainc(k, n - k + 1, p)))


def precision_lower_bound(right: int, auto: int, delta: float = DEFAULT_DELTA) -> float:
    """Clopper–Pearson one-sided lower bound: precision >= this with probability 1 − δ.

    The ``p`` at which ``right`` or more of ``auto`` would happen with probability δ,
    found by bisection (the tail grows with ``p``). ``right == 0`` gives 0.
    """
    if auto <= 0:
        raise ValueError("no auto-routed ticket: no bound")
    if right <= 0:
        return 0.0
    if right == auto:                         # closed form: p**auto = delta
        return delta ** (1.0 / auto)
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if binomial_tail(right, auto, mid) < delta:
            lo = mid
        else:
            hi = mid
    return lo


def _passes(right: int, auto: int, target: float, delta: float) -> bool:
    """The exact test: is "precision <= target" rejected at level δ? (lower bound > target)"""
    return auto > 0 and binomial_tail(right, auto, target) <= delta


def _check_unit(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    return float(value)


def start_count(target: float, delta: float) -> int:
    """How many auto-routed labelled tickets the fixed sequence starts with.

    The smallest ``m`` at which a set with half the allowed error rate, ``e = (1 − P) / 2``,
    would still pass the test when it is unlucky by one standard deviation (``m·e + √(m·e)``
    mistakes): 180 for P = 0.9, δ = 0.05. It depends on P and δ only; where the sequence
    starts then depends on the confidences only. Fewer would make the first test a coin toss
    (on 6,000 generated tickets a start at 76 certified 70 % of the sets, at 180 95 %).
    (With no mistake at all, ``log δ / log P`` tickets are the bare minimum: 59 for P = 0.95,
    δ = 0.05.)
    """
    target, delta = _check_unit("target", target), _check_unit("delta", delta)
    m = max(1, math.ceil(math.log(delta) / math.log(target)))
    e = (1 - target) / 2
    while not _passes(m - math.floor(m * e + math.sqrt(m * e)), m, target, delta):
        m += max(1, m // 50)
    return m


def tickets_needed(precision: float, target: float, delta: float) -> int | None:
    """Roughly how many auto-routed labelled tickets certify ``target`` if the true precision is
    ``precision``: the smallest ``m`` whose lower bound at ``precision × m`` right reaches it.
    ``None`` when ``precision <= target`` (no amount of data certifies it)."""
    if precision <= target:
        return None
    def ok(m: int) -> bool:
        return _passes(math.floor(precision * m), m, target, delta)
    hi = 1
    while not ok(hi):
        hi *= 2
        if hi > 10**9:
            return None
    lo = hi // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


# ----------------------------------------------------------------------------- the data, as pairs

def labelled_pairs(triaged: Iterable, truth: Mapping[str, str]) -> list[tuple[float, bool, bool]]:
    """``(confidence, has evidence, right)`` per labelled result (unlabelled ones are left out),
    in id order: sums and the bootstrap then give the same numbers whatever the input order."""
    return [(t.confidence, bool(t.matched), t.severity == truth[t.id])
            for t in sorted(triaged, key=lambda t: t.id) if t.id in truth]


def _counts(pairs: Sequence[tuple[float, bool, bool]], threshold: float) -> tuple[int, int]:
    """(auto-routed, right among them) at ``threshold`` — the gate's rule, as in gate.routes_auto."""
    auto = right = 0
    for conf, evidence, ok in pairs:
        if evidence and conf >= threshold:
            auto += 1
            right += ok
    return auto, right


def precision_at(pairs: Sequence[tuple[float, bool, bool]], threshold: float,
                 delta: float = DEFAULT_DELTA) -> dict:
    """``{"auto", "right", "precision", "precision_lower_bound"}`` of the labelled tickets at one
    threshold; the bound is that threshold's own (Clopper–Pearson, 1 − δ). ``None`` when none is auto-routed."""
    auto, right = _counts(pairs, threshold)
    return {"auto": auto, "right": right, "precision": right / auto if auto else None,
            "precision_lower_bound": precision_lower_bound(right, auto, delta) if auto else None}


def _auto_counts(pairs, grid: Sequence[float]) -> list[tuple[int, int]]:
    """(auto, right) at each threshold of ``grid`` in one sort, not one pass per threshold."""
    ranked = sorted(((c, ok) for c, ev, ok in pairs if ev), reverse=True)
    out, i, right = [], 0, 0
    for th in sorted(grid, reverse=True):
        while i < len(ranked) and ranked[i][0] >= th:
            right += ranked[i][1]
            i += 1
        out.append((th, i, right))
    by = {th: (a, r) for th, a, r in out}
    return [by[th] for th in grid]


# ----------------------------------------------------------------------------- the guarantee

def certify_threshold(pairs: Sequence[tuple[float, bool, bool]], target: float = DEFAULT_TARGET,
                      delta: float = DEFAULT_DELTA, grid: Sequence[float] = GRID) -> dict:
    """The lowest grid threshold whose auto-routed precision is >= ``target`` with probability
    >= 1 − ``delta`` (Learn then Test, fixed sequence, exact binomial tests; see the module).

    ``pairs`` are :func:`labelled_pairs`. Returns ``{"threshold", "auto", "right", "precision",
    "precision_lower_bound", "start", "tested", "reason"}``; ``threshold`` is ``None`` (with the
    reason) when nothing is certified.
    """
    target, delta = _check_unit("target", target), _check_unit("delta", delta)
    grid = sorted(set(grid), reverse=True)
    counts = _auto_counts(pairs, grid)
    need = start_count(target, delta)
    total = counts[-1][0] if counts else 0
    base = {"threshold": None, "auto": None, "right": None, "precision": None,
            "precision_lower_bound": None, "start": None, "tested": 0, "start_count": need}
    minimum = max(1, math.ceil(math.log(delta) / math.log(target)))
    if total < minimum:
        return {**base, "reason": f"only {total} labelled ticket{'s' if total != 1 else ''} can be auto-routed at all; even with no "
                                  f"mistake {minimum} are needed to show precision >= {target:g} at "
                                  f"delta {delta:g}"}
    # where to start: decided from how many are auto-routed (confidences), never from the labels
    # (with fewer than that in all, where a set with no mistake could just pass)
    first = need if total >= need else minimum
    start = next(i for i, (auto, _) in enumerate(counts) if auto >= first)
    best, tested, last = None, 0, None
    for i in range(start, len(grid)):
        auto, right = counts[i]
        if last is not None and auto == last:      # same tickets as the threshold above: same test
            best = i if best == i - 1 else best
            continue
        last = auto
        tested += 1
        if not _passes(right, auto, target, delta):
            break
        best = i
    base.update(start=grid[start], tested=tested, start_count=first)    # the count the walk really started at
    if best is None:
        auto, right = counts[start]
        return {**base, "reason": f"the first test fails: at {grid[start]:.2f}, {right} of {auto} auto-routed "
                                  f"labelled tickets are right ({right / auto:.1%}), lower bound "
                                  f"{precision_lower_bound(right, auto, delta):.3f} < {target:g}"}
    auto, right = counts[best]
    return {**base, "threshold": grid[best], "auto": auto, "right": right, "precision": right / auto,
            "precision_lower_bound": precision_lower_bound(right, auto, delta), "reason": None}


#: Labelled tickets a threshold must auto-route before its precision is estimated (labelled_needed).
NEEDED_LEAST = 10


def labelled_needed(pairs, target: float, delta: float, grid: Sequence[float] = GRID,
                    least: int = NEEDED_LEAST) -> dict | None:
    """A rough answer to "how many labelled tickets would certify ``target``?".

    At each threshold auto-routing at least ``least`` labelled tickets, the precision is
    estimated with Laplace's rule (``(right + 1) / (auto + 2)``, so 23 of 23 does not count as
    100 %); :func:`tickets_needed` says how many auto-routed tickets that precision needs,
    scaled by the share auto-routed there. The smallest answer, with its threshold; ``None``
    when no threshold's estimate beats the target (better data will not do; a better model may).
    """
    labelled = len(pairs)
    best = None
    for th, (auto, right) in zip(grid, _auto_counts(pairs, grid)):
        if auto < least:
            continue
        estimate = (right + 1) / (auto + 2)
        m = tickets_needed(estimate, target, delta)
        if m is None:
            continue
        n = math.ceil(m * labelled / auto)
        if best is None or n < best["labelled"]:
            best = {"labelled": n, "threshold": th, "precision_estimate": estimate}
    return best


# ----------------------------------------------------------------------------- calibration

def _binner(bins: int):
    """confidence -> its bin of ``triage.reliability_table`` (equal width, the last one closed)."""
    edges = [i / bins for i in range(bins + 1)]

    def index(confidence: float) -> int:
        return min(max(bisect_right(edges, confidence) - 1, 0), bins - 1)
    return index


def ece(pairs: Sequence[tuple[float, bool, bool]], bins: int = 5) -> float:
    """The plug-in ECE over equal-width bins (the same number as ``triage.expected_calibration_error``)."""
    n = len(pairs)
    if not n:
        raise ValueError("no labelled ticket")
    conf = [0.0] * bins
    right = [0] * bins
    count = [0] * bins
    index = _binner(bins)
    for c, _, ok in pairs:
        i = index(c)
        conf[i] += c
        right[i] += ok
        count[i] += 1
    return sum(abs(right[i] - conf[i]) / n for i in range(bins) if count[i])


def ece_interval(pairs: Sequence[tuple[float, bool, bool]], bins: int = 5, rounds: int = 1000,
                 seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """A percentile bootstrap interval of the ECE: resample the labelled tickets ``rounds`` times
    (seeded: the same input gives the same interval). Shows the spread of the plug-in ECE;
    it does not remove its upward bias on small sets.

    Tickets with the same confidence and the same correctness are interchangeable, so a
    resample is drawn as how many of each such kind it holds (one multinomial draw), which is
    the same as drawing ``n`` tickets with replacement, and fast when confidences repeat.
    """
    import numpy as np
    from collections import Counter
    n = len(pairs)
    if not n:
        raise ValueError("no labelled ticket")
    kinds = sorted(Counter((c, bool(ok)) for c, _, ok in pairs).items())
    index = _binner(bins)
    member = np.zeros((len(kinds), bins))
    for k, ((c, _), _) in enumerate(kinds):
        member[k, index(c)] = 1.0
    gap = np.array([float(ok) - c for (c, ok), _ in kinds])        # what one ticket adds to its bin's gap
    share = np.array([count for _, count in kinds], float) / n
    rng = np.random.default_rng(seed)
    values = np.empty(rounds)
    for start in range(0, rounds, 100):                          # 100 resamples at a time
        draws = rng.multinomial(n, share, size=min(100, rounds - start))
        values[start:start + len(draws)] = np.abs((draws * gap) @ member).sum(axis=1) / n
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _reliability_rows(pairs, bins: int) -> list[dict]:
    """``triage.reliability_table`` as plain rows (``None`` for an empty bin's numbers)."""
    members: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    index = _binner(bins)
    for c, _, ok in pairs:
        members[index(c)].append((c, ok))
    rows = []
    for i, m in enumerate(members):
        conf = sum(c for c, _ in m) / len(m) if m else None
        acc = sum(ok for _, ok in m) / len(m) if m else None
        rows.append({"bin": f"[{i / bins:.2f}, {(i + 1) / bins:.2f}{']' if i == bins - 1 else ')'}",
                     "count": len(m), "mean_confidence": conf, "accuracy": acc,
                     "gap": None if not m else acc - conf})
    return rows


def calibration(pairs, bins: int = 5, seed: int = 0, rounds: int = 1000) -> dict:
    """``{"ece", "ece_interval", "bins"}``: the plug-in ECE, its bootstrap interval, the table."""
    lo, hi = ece_interval(pairs, bins, rounds, seed)
    return {"ece": ece(pairs, bins), "ece_interval": [lo, hi], "bins": _reliability_rows(pairs, bins)}


# ----------------------------------------------------------------------------- recalibration

def isotonic_fit(points: Iterable[tuple[float, bool]]) -> list[tuple[float, float]]:
    """Isotonic regression by pool adjacent violators: ``(confidence, right)`` points ->
    the steps ``[(from confidence, calibrated value), ...]`` of a non-decreasing function."""
    groups: list[list[float]] = []             # [confidence, sum of right, count]: ties are one point
    for conf, ok in sorted(points):
        if groups and groups[-1][0] == conf:
            groups[-1][1] += ok
            groups[-1][2] += 1
        else:
            groups.append([conf, float(ok), 1])
    blocks: list[list[float]] = []             # [first confidence, sum of right, count]
    for group in groups:
        blocks.append(group)
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            first, s, n = blocks.pop()          # a violation (or a tie): pool with the block before
            blocks[-1][1] += s
            blocks[-1][2] += n
    return [(b[0], b[1] / b[2]) for b in blocks]


def isotonic_apply(steps: Sequence[tuple[float, float]], confidence: float) -> float:
    """The calibrated value of ``confidence``: the step it falls on (below the first: the first)."""
    i = bisect_right([x for x, _ in steps], confidence) - 1
    return steps[max(i, 0)][1]


def _split(ids: Iterable[str], seed: int) -> tuple[set[str], set[str]]:
    """One seeded split of the labelled ids in two halves (fit, held out), whatever their order."""
    ordered = sorted(ids)
    random.Random(seed).shuffle(ordered)
    half = (len(ordered) + 1) // 2
    return set(ordered[:half]), set(ordered[half:])


def recalibrate(triaged: Sequence, truth: Mapping[str, str], target: float = DEFAULT_TARGET,
                delta: float = DEFAULT_DELTA, bins: int = 5, seed: int = 0) -> dict:
    """Fit isotonic calibration on one half of the labelled tickets; on the other half, show
    reliability before and after and certify a threshold on the calibrated confidences.

    The certified threshold is on the calibrated scale; ``raw_threshold`` is the same gate in
    the model's own confidences (the lowest one the calibration lifts to the threshold).
    """
    labelled = sorted((t for t in triaged if t.id in truth), key=lambda t: t.id)
    fit_ids, held_ids = _split((t.id for t in labelled), seed)
    fit = [t for t in labelled if t.id in fit_ids]
    held = [t for t in labelled if t.id in held_ids]
    steps = isotonic_fit((t.confidence, t.severity == truth[t.id]) for t in fit if t.matched)
    if not held or not steps:
        raise ValueError(f"recalibration needs labelled tickets in both halves; {len(labelled)} labelled")
    before = labelled_pairs(held, truth)
    lifted = {c: isotonic_apply(steps, c) for c in {c for c, _, _ in before}}
    after = [(lifted[c], ev, ok) for c, ev, ok in before]
    certified = certify_threshold(after, target, delta)
    raw = None
    if certified["threshold"] is not None:
        raw = next(x for x, v in steps if v >= certified["threshold"])
    return {"method": "isotonic regression (pool adjacent violators)", "seed": seed,
            "fitted_on": len(fit), "held_out": len(held),
            "mapping": [{"from_confidence": x, "calibrated": v} for x, v in steps],
            "before": {"ece": ece(before, bins), "bins": _reliability_rows(before, bins)},
            "after": {"ece": ece(after, bins), "bins": _reliability_rows(after, bins)},
            "precision_target": {**_target_doc(certified, target, delta, after, len(held)),
                                 "raw_threshold": raw, "certified_on": "held-out half"}}


# ----------------------------------------------------------------------------- everything together

def _target_doc(certified: dict, target: float, delta: float, pairs, n: int) -> dict:
    doc = {"target": target, "delta": delta, "threshold": certified["threshold"],
           "coverage": None, "precision": certified["precision"],
           "precision_lower_bound": certified["precision_lower_bound"],
           "method": METHOD.format(m=certified["start_count"]),
           "start": certified["start"], "tested": certified["tested"]}
    if certified["threshold"] is None:
        needed = labelled_needed(pairs, target, delta)
        doc["reason"] = certified["reason"]
        doc["labelled_needed"] = needed and needed["labelled"]
        most = _counts(pairs, min(GRID))[0]        # labelled tickets auto-routed at the lowest threshold
        if needed:
            why = (f"if the precision estimated at threshold {needed['threshold']:.2f}, "
                   f"{needed['precision_estimate']:.3f}, holds")
        elif most < NEEDED_LEAST:
            why = (f"only {most} labelled ticket{'s are' if most != 1 else ' is'} auto-routed at any threshold: "
                   f"too few to estimate the precision (at least {NEEDED_LEAST} are needed for that), "
                   "so how many would certify it cannot be said")
        else:
            why = "no threshold's estimated precision beats the target: more labels will not certify it, a better model might"
        doc["labelled_needed_why"] = why
    else:
        doc["coverage"] = certified["auto"] / len(pairs) if pairs else None
    return doc


def sweep(triaged: Sequence, truth: Mapping[str, str], delta: float = DEFAULT_DELTA,
          thresholds: Sequence[float] = SWEEP) -> list[dict]:
    """The gate every 0.05: ``threshold, auto, human`` (all predictions), ``coverage``,
    ``precision`` (labelled auto-routed) and ``precision_lower_bound`` — a per-threshold
    Clopper–Pearson bound at 1 − δ, not the guarantee of a threshold picked from the table."""
    n = len(triaged)
    pairs = labelled_pairs(triaged, truth)
    everyone = [(t.confidence, bool(t.matched), False) for t in triaged]   # the gate, labels aside
    rows = []
    for th, (auto, _), (lab, right) in zip(thresholds, _auto_counts(everyone, thresholds),
                                            _auto_counts(pairs, thresholds)):
        rows.append({"threshold": th, "auto": auto, "human": n - auto, "coverage": auto / n,
                     "precision": right / lab if lab else None,
                     "precision_lower_bound": precision_lower_bound(right, lab, delta) if lab else None})
    return rows


def tune(triaged: Iterable, truth: Mapping[str, str], target: float = DEFAULT_TARGET,
         delta: float = DEFAULT_DELTA, cost_wrong: float | None = None, cost_human: float | None = None,
         recalibration: bool = False, bins: int = 5, seed: int = 0) -> dict:
    """Everything ``desk tune --json`` prints except ``input`` and ``notes``.

    ``{"n", "labelled", "chow": {threshold, coverage, precision}, "precision_target": {target,
    delta, threshold, coverage, precision, precision_lower_bound, method, ...}, "calibration":
    {ece, ece_interval, bins}, "sweep": [...]}`` and, with ``recalibration``, ``"recalibration"``.
    Costs default to the policy's ``[gate]`` table. Coverage is over all predictions (what the
    gate does to each), precision over the labelled auto-routed ones. Raises ValueError when no
    prediction is labelled.
    """
    from .gate import chow_threshold, load_gate_policy
    triaged = list(triaged)
    target, delta = _check_unit("target precision", target), _check_unit("delta", delta)
    pairs = labelled_pairs(triaged, truth)
    if not pairs:
        raise ValueError(f"no labelled ticket among {len(triaged)} predictions: give true_severity "
                         "or a truth file (--truth)")
    if cost_wrong is None or cost_human is None:
        policy = load_gate_policy()
        cost_wrong = policy.cost_wrong if cost_wrong is None else cost_wrong
        cost_human = policy.cost_human if cost_human is None else cost_human
    chow = chow_threshold(cost_wrong, cost_human)
    n = len(triaged)
    auto = sum(routes_auto(t, chow) for t in triaged)
    lab, right = _counts(pairs, chow)
    certified = certify_threshold(pairs, target, delta)
    target_doc = _target_doc(certified, target, delta, pairs, n)
    if certified["threshold"] is not None:
        target_doc["coverage"] = sum(routes_auto(t, certified["threshold"]) for t in triaged) / n
    doc = {"n": n, "labelled": len(pairs),
           "chow": {"threshold": chow, "cost_wrong": cost_wrong, "cost_human": cost_human,
                    "coverage": auto / n, "precision": right / lab if lab else None,
                    "precision_lower_bound": precision_lower_bound(right, lab, delta) if lab else None},
           "precision_target": target_doc,
           "calibration": {**calibration(pairs, bins, seed), "bin_count": bins, "seed": seed},
           "sweep": sweep(triaged, truth, delta)}
    if recalibration:
        doc["recalibration"] = recalibrate(triaged, truth, target, delta, bins, seed)
    return doc
