"""Keyword rules fitted to your desk: the same keywords, weights learnt from labelled tickets.

The shipped rules were weighed by hand on a 48-ticket day. On your own tickets some rules
are more reliable than that and some less: "error" may be said of outages as often as of
bugs. :func:`fit` keeps every rule's keywords, ``unless`` phrases and severity (so every
decision is still explained word by word, the same on every machine) and sets from labelled
tickets only the numbers: each rule's ``weight``, the confidence knobs ``base`` and
``half_saturation``, and the ``fallback_severity`` of tickets no keyword matches.

What is fitted, and how
-----------------------
* A ticket is reduced to how many distinct keywords of each rule it holds (what triage
  adds up), found by :func:`desklib.triage.triage` itself, cancels and all.
* The rules then say a severity and a confidence; read as a guess at the true severity
  that gives the named severity that probability and the other three equal shares of
  the rest, its **log loss** on the labelled tickets is what the fit makes small. It
  rewards being right and saying how sure, together: a rule that is often wrong loses
  weight, so the tickets it alone decides get a lower confidence.
* **Coordinate descent over fixed grids**: each rule's weight in turn over
  :data:`WEIGHT_GRID`, then ``base`` and ``half_saturation`` together over
  :data:`BASE_GRID` x :data:`HALF_GRID`; a value changes only for a strictly smaller
  loss, and rounds repeat until nothing changes (at most :data:`ROUNDS`). No random
  start, no tie left to chance: the same tickets give the same rules.
* ``fallback_severity`` is the commonest true severity among tickets no keyword matches
  (a tie goes to the more severe).

Cross-validation
----------------
:func:`fold_of` puts each ticket in one of ``k`` folds by a hash of its id (SHA-256 with a
fixed seed), so the folds do not depend on the order of the file. Each fold is predicted by
rules fitted on the other folds, and accuracy, ECE (5 bins, as
:func:`desklib.triage.expected_calibration_error`) and AUROC (:func:`auroc`: how well
confidence separates right from wrong; 0.5 is a coin) are computed over all the held-out
predictions. The shipped rules learn nothing, so theirs are simply their scores on all
tickets.

Candidate keywords
------------------
:func:`candidates` lists words and two-word phrases that predict one severity in the
labelled tickets: seen in at least ``min_count`` tickets, right for one severity at least
``min_precision`` of the time and at least ``min_lift`` above that severity's share. They
are proposals for a person, written as comments in the fitted file, never enabled.
"""
from __future__ import annotations

import hashlib
import math
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

from .triage import SEVERITIES, RuleSet, _verdict, triage, words

__all__ = ["Params", "WEIGHT_GRID", "BASE_GRID", "HALF_GRID", "ROUNDS",
           "rule_counts", "params_of", "predict", "fit", "fold_of", "cross_validate",
           "accuracy", "ece", "auroc", "summary", "candidates", "render", "to_toml_string",
           "Candidate", "FitReport", "fit_rules"]

_RANK = {s: i for i, s in enumerate(SEVERITIES)}
#: The weights each rule may take (the shipped rules use 0.5 to 2).
WEIGHT_GRID = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
#: The values ``base`` may take: the confidence of a ticket with no evidence.
BASE_GRID = tuple(round(0.05 * i, 2) for i in range(0, 17))          # 0.0 .. 0.8
#: The values ``half_saturation`` may take.
HALF_GRID = (0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
#: At most this many rounds of coordinate descent.
ROUNDS = 6
_EPS = 1e-3                      # confidences are clipped to [_EPS, 1 - _EPS] inside the log loss


@dataclass(frozen=True)
class Params:
    """The numbers of a rules file: one weight per rule (in file order) and the knobs."""
    weights: tuple[float, ...]
    base: float
    half_saturation: float
    fallback_severity: str


def params_of(rules: RuleSet) -> Params:
    """The numbers of a loaded rules file."""
    return Params(tuple(r.weight for r in rules.rules), rules.base, rules.half_saturation,
                  rules.fallback_severity)


# ----------------------------------------------------------------------------- tickets -> counts

@lru_cache(maxsize=8)
def _rule_of(rules: RuleSet) -> dict[str, int]:
    """Each explanation triage can give ("outage: 'down'") -> the number of its rule."""
    return {f"{r.name}: '{kw}'": i for i, r in enumerate(rules.rules) for kw in r.keywords}


def rule_counts(ticket, rules: RuleSet) -> tuple[int, ...]:
    """How many distinct keywords of each rule (in file order) the ticket holds, as triage finds them."""
    index = _rule_of(rules)
    counts = [0] * len(rules.rules)
    for explanation in triage(ticket, rules).matched:
        counts[index[explanation]] += 1
    return tuple(counts)


def _totals(counts: Sequence[int], severities: Sequence[int], weights: Sequence[float]) -> tuple[float, ...]:
    """The score of each severity (SEV1 first): each rule's weight times its distinct keywords."""
    totals = [0.0] * len(SEVERITIES)
    for c, rank, w in zip(counts, severities, weights):
        if c:
            totals[rank] += c * w
    return tuple(totals)


def predict(counts: Sequence[int], severities: Sequence[int], params: Params) -> tuple[str, float]:
    """Severity and confidence, exactly as :func:`desklib.triage.triage` would give them.

    ``severities`` is each rule's severity as its position in SEVERITIES.
    """
    if not any(counts):
        return params.fallback_severity, round(params.base, 2)
    return _verdict(_totals(counts, severities, params.weights), params.base, params.half_saturation)


def _loss(confidence: float, right: int, n: int) -> float:
    """Log loss of ``n`` tickets given one severity with ``confidence``, ``right`` of them
    rightly: the named severity gets ``confidence``, the other three a third of the rest each."""
    c = min(max(confidence, _EPS), 1 - _EPS)
    return -right * math.log(c) - (n - right) * math.log((1 - c) / (len(SEVERITIES) - 1))


def _groups(samples: Iterable[tuple[tuple[int, ...], str]]) -> dict[tuple[int, ...], Counter]:
    """counts -> Counter of true severities (tickets with the same counts are scored alike)."""
    groups: dict[tuple[int, ...], Counter] = {}
    for counts, true in samples:
        groups.setdefault(counts, Counter())[true] += 1
    return dict(sorted(groups.items()))


def _fallback(groups: Mapping[tuple[int, ...], Counter], default: str) -> str:
    none = Counter()
    for counts, truth in groups.items():
        if not any(counts):
            none.update(truth)
    if not none:
        return default
    return max(SEVERITIES, key=lambda s: (none[s], -_RANK[s]))


def fit(samples: Iterable[tuple[tuple[int, ...], str]], severities: Sequence[int], start: Params) -> Params:
    """Weights and knobs that make the log loss of ``samples`` ((counts, true severity) pairs)
    small, by coordinate descent over the grids from ``start``; rules no sample holds keep
    their weight."""
    groups = _groups(samples)
    size = {c: sum(t.values()) for c, t in groups.items()}
    matched = [c for c in groups if any(c)]
    unmatched = [c for c in groups if not any(c)]
    verdict = _verdict.__wrapped__          # the same formula, without filling triage's cache
    weights = list(start.weights)
    base, half = start.base, start.half_saturation
    fallback = _fallback(groups, start.fallback_severity)

    def loss_of(keys, totals, base, half) -> float:
        total = 0.0
        for c in keys:
            sev, conf = verdict(totals[c], base, half)
            total += _loss(conf, groups[c][sev], size[c])
        return total

    def none_loss(base) -> float:
        return sum(_loss(round(base, 2), groups[c][fallback], size[c]) for c in unmatched)

    used = [[c for c in matched if c[i]] for i in range(len(weights))]
    totals = {c: _totals(c, severities, weights) for c in matched}
    for _ in range(ROUNDS):
        before = (tuple(weights), base, half)
        for i, affected in enumerate(used):
            if not affected:
                continue
            best_w, best_loss = weights[i], loss_of(affected, totals, base, half)
            for w in WEIGHT_GRID:
                weights[i] = w
                trial = {c: _totals(c, severities, weights) for c in affected}
                trial_loss = loss_of(affected, trial, base, half)
                if trial_loss < best_loss - 1e-9:
                    best_w, best_loss = w, trial_loss
            weights[i] = best_w
            totals.update({c: _totals(c, severities, weights) for c in affected})
        best, best_loss = (base, half), loss_of(matched, totals, base, half) + none_loss(base)
        for b in BASE_GRID:
            nothing = none_loss(b)
            for h in HALF_GRID:
                trial_loss = loss_of(matched, totals, b, h) + nothing
                if trial_loss < best_loss - 1e-9:
                    best, best_loss = (b, h), trial_loss
        base, half = best
        if (tuple(weights), base, half) == before:
            break
    return Params(tuple(weights), base, half, fallback)


# ----------------------------------------------------------------------------- folds and scores

def fold_of(ticket_id: str, k: int, seed: int = 14) -> int:
    """The fold (0 .. k-1) of a ticket: from a hash of its id alone, so the order of the file
    changes nothing."""
    digest = hashlib.sha256(f"{seed}:{ticket_id}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % k


def cross_validate(samples: Mapping[str, tuple[tuple[int, ...], str]], severities: Sequence[int],
                   start: Params, k: int) -> dict[str, tuple[str, float]]:
    """Each ticket's held-out (severity, confidence): predicted by rules fitted on the other folds.

    ``samples`` maps ticket id -> (counts, true severity).
    """
    fold = {tid: fold_of(tid, k) for tid in samples}
    out: dict[str, tuple[str, float]] = {}
    for f in range(k):
        held = sorted(tid for tid in samples if fold[tid] == f)
        if not held:
            continue
        train = [samples[tid] for tid in sorted(samples) if fold[tid] != f]
        params = fit(train, severities, start) if train else start
        for tid in held:
            out[tid] = predict(samples[tid][0], severities, params)
    return dict(sorted(out.items()))


def accuracy(pairs: Sequence[tuple[str, float, str]]) -> float:
    """Share of (severity, confidence, true severity) triples that are right."""
    return sum(s == t for s, _, t in pairs) / len(pairs)


def ece(pairs: Sequence[tuple[str, float, str]], bins: int = 5) -> float:
    """Expected calibration error over equal-width bins, as
    :func:`desklib.triage.expected_calibration_error` computes it (the last bin holds 1.0)."""
    edges = [i / bins for i in range(bins + 1)]
    members: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for s, c, t in pairs:
        i = min(max(bisect_right(edges, c) - 1, 0), bins - 1)
        members[i].append((c, s == t))
    n = len(pairs)
    return sum(len(m) / n * abs(sum(ok for _, ok in m) / len(m) - sum(c for c, _ in m) / len(m))
               for m in members if m)


def auroc(pairs: Sequence[tuple[str, float, str]]) -> float | None:
    """How well confidence separates right from wrong: the chance that a right answer has a
    higher confidence than a wrong one (ties count half). By the rank formula (Mann-Whitney):
    ``(sum of the ranks of the right ones - n_right (n_right + 1) / 2) / (n_right n_wrong)``,
    tied confidences sharing their mean rank. ``None`` when all are right or all wrong."""
    scored = sorted((c, s == t) for s, c, t in pairs)
    right = sum(ok for _, ok in scored)
    wrong = len(scored) - right
    if not right or not wrong:
        return None
    rank_sum, i = 0.0, 0
    while i < len(scored):
        j = i
        while j < len(scored) and scored[j][0] == scored[i][0]:
            j += 1
        mean_rank = (i + 1 + j) / 2                     # ranks i+1 .. j share their mean
        rank_sum += mean_rank * sum(ok for _, ok in scored[i:j])
        i = j
    return (rank_sum - right * (right + 1) / 2) / (right * wrong)


def summary(pairs: Sequence[tuple[str, float, str]], matched: Sequence[bool], threshold: float) -> dict:
    """``{n, accuracy, ece, auroc, coverage, auto, auto_precision}``: ``coverage`` is the share of
    tickets some keyword matched; ``auto`` the share the gate at ``threshold`` routes
    automatically (matched and confident enough), ``auto_precision`` how many of those are right."""
    auto = [(s, c, t) for (s, c, t), m in zip(pairs, matched) if m and c >= threshold]
    return {"n": len(pairs), "accuracy": accuracy(pairs), "ece": ece(pairs), "auroc": auroc(pairs),
            "coverage": sum(matched) / len(pairs), "auto": len(auto) / len(pairs),
            "auto_precision": accuracy(auto) if auto else None}


# ----------------------------------------------------------------------------- candidate keywords

@dataclass(frozen=True)
class Candidate:
    """A word or two-word phrase that predicts ``severity``: in ``count`` labelled tickets,
    ``right`` of them of that severity."""
    phrase: str
    severity: str
    count: int
    right: int

    @property
    def precision(self) -> float:
        return self.right / self.count


def _wilson_low(right: int, n: int, z: float = 1.96) -> float:
    """The lower end of the Wilson interval of right/n (ranks a 9/10 below a 90/100)."""
    p = right / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - margin) / (1 + z * z / n)


def candidates(texts: Mapping[str, str], truth: Mapping[str, str], rules: RuleSet, *, min_count: int | None = None,
               min_precision: float = 0.6, min_lift: float = 0.2, per_severity: int = 8) -> list[Candidate]:
    """Words and two-word phrases that predict a severity, best first within each severity.

    ``texts`` maps ticket id -> text. A phrase already a keyword or ``unless`` phrase, or part
    of one ("log" of "log in"), is left out, and so is a two-word phrase that predicts no
    better than one of its words alone. ``min_count`` defaults to 5 tickets, or one in
    300 on larger sets. Ranked by the Wilson lower bound of the precision, then by count,
    then alphabetically.
    """
    if min_count is None:
        min_count = max(5, round(len(texts) / 300))
    known = [tuple(words(k)) for r in rules.rules for k in (*r.keywords, *r.unless)]

    def is_known(gram: tuple[str, ...]) -> bool:
        return any(gram == k[i:i + len(gram)] for k in known for i in range(len(k) - len(gram) + 1))

    seen: dict[tuple[str, ...], Counter] = {}
    shares = Counter(truth[tid] for tid in texts)
    for tid in sorted(texts):
        w = words(texts[tid])
        grams = set(zip(w)) | set(zip(w, w[1:]))
        for g in grams:
            seen.setdefault(g, Counter())[truth[tid]] += 1
    n = len(texts)
    found: list[tuple[float, Candidate]] = []
    for gram, by in seen.items():
        count = sum(by.values())
        if count < min_count:
            continue
        severity = max(SEVERITIES, key=lambda s: (by[s], -_RANK[s]))
        right = by[severity]
        if right / count < min_precision or right / count < shares[severity] / n + min_lift or is_known(gram):
            continue
        if len(gram) == 2 and any(right / count <= seen[(w,)][severity] / sum(seen[(w,)].values()) for w in gram):
            continue                              # "testimonials from" says no more than "testimonials"
        found.append((_wilson_low(right, count), Candidate(" ".join(gram), severity, count, right)))
    out = []
    for sev in SEVERITIES:
        mine = sorted((c for c in found if c[1].severity == sev),
                      key=lambda c: (-c[0], -c[1].count, c[1].phrase))
        out.extend(c for _, c in mine[:per_severity])
    return out


# ----------------------------------------------------------------------------- the fitted file

def to_toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _list(items: Iterable[str], indent: int) -> str:
    """A TOML list of strings, wrapped before 96 columns, continued under its first item."""
    lines, current = [], []
    for piece in (to_toml_string(item) for item in items):
        if current and indent + 1 + len(", ".join([*current, piece])) + 1 > 96:
            lines.append(", ".join(current) + ",")
            current = []
        current.append(piece)
    lines.append(", ".join(current))
    return "[" + ("\n" + " " * (indent + 1)).join(lines) + "]"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


@dataclass(frozen=True)
class FitReport:
    """What ``desk fit-rules`` found: the fitted numbers, the cross-validated scores of the
    base rules and of the fitted ones, and the candidate keywords."""
    n: int
    labelled: int
    folds: int
    params: Params
    shipped: dict
    fitted: dict
    candidates: tuple[Candidate, ...]

    def to_json(self, rules: RuleSet) -> dict:
        return {"n": self.n, "labelled": self.labelled, "folds": self.folds,
                "shipped": self.shipped, "fitted": self.fitted,
                "rules": [{"name": r.name, "severity": r.severity, "weight": w, "weight_before": r.weight}
                          for r, w in zip(rules.rules, self.params.weights)],
                "scoring": {"fallback_severity": self.params.fallback_severity, "base": self.params.base,
                            "half_saturation": self.params.half_saturation},
                "candidates": [{"phrase": c.phrase, "severity": c.severity, "count": c.count,
                                "precision": round(c.precision, 4)} for c in self.candidates]}


def render(rules: RuleSet, report: FitReport, gate: Mapping[str, float], sources: Sequence[str]) -> str:
    """The fitted rules file: the base rules' keywords and cancels, the fitted numbers, the
    base file's ``[gate]``, the scores in comments, and the candidate keywords as comments."""
    p, s, f = report.params, report.shipped, report.fitted
    out = [
        "# Keyword triage policy fitted by `desk fit-rules` to labelled tickets.",
        f"# From {', '.join(sources)}: {report.labelled} labelled tickets "
        f"({report.n - report.labelled} without a true severity, not used).",
        "# The keywords, cancels and severities are the base file's; the weights, base,",
        "# half_saturation and fallback_severity were fitted (desklib/fitrules.py says how).",
        "#",
        f"# Scores over {report.folds} cross-validation folds (each fold predicted by rules",
        "# fitted on the others; the base rules learn nothing, so theirs are on all tickets):",
        "#                 accuracy   ECE (5 bins)   AUROC   keyword coverage",
        f"#   base rules     {_num(s['accuracy'])}        {_num(s['ece'])}       {_num(s['auroc'])}   {_num(s['coverage'])}",
        f"#   fitted rules   {_num(f['accuracy'])}        {_num(f['ece'])}       {_num(f['auroc'])}   {_num(f['coverage'])}",
        "",
        "[scoring]",
        f"fallback_severity = {to_toml_string(p.fallback_severity)}",
        f"base = {p.base!r}",
        f"half_saturation = {p.half_saturation!r}",
    ]
    for rule, weight in zip(rules.rules, p.weights):
        out += ["", "[[rules]]", f"name = {to_toml_string(rule.name)}", f"severity = {to_toml_string(rule.severity)}",
                f"weight = {float(weight)!r}" + (f"    # was {rule.weight!r}" if weight != rule.weight else ""),
                f"keywords = {_list(rule.keywords, 11)}"]
        if rule.unless:
            out.append(f"unless = {_list(rule.unless, 9)}")
    out += ["", "[gate]", "# Kept from the base file: choose a threshold for these rules on your own tickets.",
            *(f"{key} = {float(gate[key])!r}" for key in ("threshold", "cost_wrong", "cost_human")),
            "", "# ----------------------------------------------------------------------------- candidate keywords",
            "# Words and two-word phrases that predicted one severity in the labelled tickets (in how",
            "# many tickets, and how often that severity was right). NOT enabled: to accept one, add it",
            "# to a rule's keywords (or an `unless`), then run `desk fit-rules` again.",
            "#   severity  tickets  precision  phrase"]
    if not report.candidates:
        out.append("#   (none found)")
    for c in report.candidates:
        out.append(f"#   {c.severity:<8}  {c.count:>7}  {c.precision:>9.2f}  {to_toml_string(c.phrase)}")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- all together

def fit_rules(tickets: Sequence, truth: Mapping[str, str], rules: RuleSet, *, folds: int = 5,
              threshold: float = 0.67) -> FitReport:
    """Fit ``rules`` to the labelled ``tickets`` (those whose id is in ``truth``) and score the
    base and the fitted rules by ``folds``-fold cross-validation."""
    labelled = sorted((t for t in tickets if t.id in truth), key=lambda t: t.id)
    if not labelled:
        raise ValueError("no ticket has a true severity")
    if isinstance(folds, bool) or not isinstance(folds, int) or not 2 <= folds <= len(labelled):
        raise ValueError(f"folds must be a whole number from 2 to the number of labelled tickets "
                         f"({len(labelled)}), got {folds!r}")
    severities = [_RANK[r.severity] for r in rules.rules]
    start = params_of(rules)
    samples = {t.id: (rule_counts(t, rules), truth[t.id]) for t in labelled}
    ids = list(samples)
    matched = [any(samples[i][0]) for i in ids]
    base_pairs = [(*predict(samples[i][0], severities, start), samples[i][1]) for i in ids]
    held = cross_validate(samples, severities, start, folds)
    fitted_pairs = [(*held[i], samples[i][1]) for i in ids]
    params = fit(list(samples.values()), severities, start)
    texts = {t.id: f"{t.subject}\n{t.body}" for t in labelled}
    return FitReport(len(tickets), len(labelled), folds, params,
                     summary(base_pairs, matched, threshold), summary(fitted_pairs, matched, threshold),
                     tuple(candidates(texts, truth, rules)))

