"""The confidence gate: sure triage is routed automatically, unsure triage goes to a human.

This is the approval idea of M22 applied to the desk: a wrong automatic route
costs more than a person's minute, so the triage step is only trusted when it is
confident. Every decision carries its reason, e.g. ``"confidence 0.41 < 0.65"``.

The rule, in order:

1. **No keyword matched -> human**, whatever the threshold ("no rule matched").
   A ticket with no evidence (gibberish, an empty body, another language) has
   nothing to be confident about; its confidence is the policy's ``base`` only
   because a number has to be shown. Even ``threshold=0`` does not auto-route it.
2. **confidence >= threshold -> auto**, otherwise **human**.

Raising the threshold can only move tickets from "auto" to "human", never back:
the human queue never shrinks as the threshold rises (the tests check this).

Choosing the threshold
----------------------
The default lives in ``fixtures/triage_rules.toml`` (``[gate] threshold``). It was
chosen from the fixture day with the tools below, not guessed:

* **From costs (Chow's rule).** Route automatically when the expected cost of a
  wrong route, ``(1 - confidence) * cost_wrong``, is at most the cost of a human
  look, ``cost_human``. With a misroute costing about three manual triages
  (15 vs 5 agent-minutes) that is ``1 - 5/15 = 0.67`` — the shipped default.
  Chow's rule treats confidence as a probability, so it is only as good as the
  calibration: the triage policy's ``half_saturation`` was tuned first so that
  confidences match accuracy on the fixture day (``triage.reliability_table``).
* **Checked against data.** ``threshold_sweep`` at 0.67 on the fixture day: 39
  of 48 tickets routed automatically, 37 of them right (95 %), 9 to a human.
  Getting the last two right (``threshold_for_precision(..., 1.0)``) needs 0.80
  and halves the coverage — a human look at 16 more tickets to save two
  misroutes, which the costs above say is not worth it.

The tuning tools return DataFrames; pandas is imported inside them.
"""
from __future__ import annotations

import math
from itertools import groupby
from operator import itemgetter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from desklib.triage import Triage, _pairs

__all__ = [
    "Decision", "GatePolicy", "load_gate_policy", "default_threshold", "routes_auto", "gate",
    "threshold_sweep", "risk_coverage", "threshold_for_precision", "chow_threshold",
]

NO_EVIDENCE = "no rule matched"
#: The reason for a ticket with no subject and no body (an e-mail with only an attachment).
NO_TEXT = "no text"


@dataclass(frozen=True)
class Decision:
    """Where one ticket goes, and why."""
    id: str
    route: str            # "auto" | "human"
    reason: str           # "confidence 0.85 >= 0.67", "confidence 0.41 < 0.67", "no rule matched"
    severity: str = ""
    confidence: float = 0.0


@dataclass(frozen=True)
class GatePolicy:
    """The ``[gate]`` table of the triage policy."""
    threshold: float
    cost_wrong: float
    cost_human: float


def _check_threshold(threshold) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) \
            or not 0.0 <= threshold <= 1.0:     # NaN fails this comparison too
        raise ValueError(f"threshold must be a number in [0, 1], got {threshold!r}")
    return float(threshold)


def load_gate_policy(path: str | Path | None = None) -> GatePolicy:
    """Read ``[gate]`` (threshold, cost_wrong, cost_human) from the triage policy file.

    A missing or malformed value raises :class:`desklib.policy.PolicyError` naming the file
    and the key, e.g. ``triage_rules.toml: [gate] threshold: expected a number in [0, 1], got 1.5``.
    """
    from .policy import PolicyFile
    r, doc = PolicyFile.toml(path, "triage_rules.toml")
    table = r.table(doc, "gate", "")
    threshold = r.number(table, "threshold", "[gate]", 0.0, 1.0)
    cost_wrong = r.number(table, "cost_wrong", "[gate]", 0.0, 1e9, default=1.0, low_open=True)
    cost_human = r.number(table, "cost_human", "[gate]", 0.0, 1e9, default=0.0)
    r.known(table, ("threshold", "cost_wrong", "cost_human"), "[gate]")
    return GatePolicy(threshold, cost_wrong, cost_human)


def default_threshold(path: str | Path | None = None) -> float:
    """The policy's ``[gate] threshold`` (0.67 in the shipped fixtures)."""
    return load_gate_policy(path).threshold


def _fmt(x: float) -> str:
    return f"{x:.2f}" if round(x, 2) == x else f"{x:.4g}"


def routes_auto(t: Triage, threshold: float) -> bool:
    """The whole rule in one line: some rule matched and the confidence reaches the threshold."""
    return bool(t.matched) and t.confidence >= threshold


def _decide(t: Triage, threshold: float, shown: str) -> Decision:
    """The gate for one result; ``shown`` is the threshold as the reason prints it."""
    if not t.matched:
        return Decision(t.id, "human", NO_EVIDENCE, t.severity, t.confidence)
    if routes_auto(t, threshold):
        return Decision(t.id, "auto", f"confidence {_fmt(t.confidence)} >= {shown}",
                        t.severity, t.confidence)
    return Decision(t.id, "human", f"confidence {_fmt(t.confidence)} < {shown}",
                    t.severity, t.confidence)


def gate(triaged: Iterable[Triage], threshold: float | None = None) -> list[Decision]:
    """One :class:`Decision` per triage result, in the same order.

    ``threshold=None`` uses :func:`default_threshold`.
    """
    threshold = default_threshold() if threshold is None else _check_threshold(threshold)
    shown = _fmt(threshold)
    return [_decide(t, threshold, shown) for t in triaged]


# ----------------------------------------------------------------------------- tuning

def _sweep_rows(pairs: Sequence[tuple[Triage, str]], thresholds: Iterable[float]) -> list[dict]:
    n = len(pairs)
    rows = []
    for th in thresholds:
        th = _check_threshold(th)
        auto = [t.severity == true for t, true in pairs if routes_auto(t, th)]
        right = sum(auto)
        rows.append({"threshold": th, "auto_count": len(auto), "human_queue": n - len(auto),
                     "coverage": len(auto) / n,
                     "auto_accuracy": right / len(auto) if auto else float("nan"),
                     "auto_wrong": len(auto) - right})
    return rows


def threshold_sweep(triaged: Iterable[Triage], truth: Mapping[str, str],
                    thresholds: Iterable[float] | None = None):
    """The gate at many thresholds (default 0.00, 0.05, ..., 1.00).

    Columns: ``threshold``, ``auto_count``, ``human_queue``, ``coverage`` (share
    auto-routed), ``auto_accuracy`` (right among auto-routed; NaN when none) and
    ``auto_wrong``. Read it as a trade: each step up buys accuracy with queue.
    """
    import pandas as pd
    pairs = _pairs(triaged, truth)
    thresholds = [i / 20 for i in range(21)] if thresholds is None else sorted(thresholds)
    columns = ["threshold", "auto_count", "human_queue", "coverage", "auto_accuracy", "auto_wrong"]
    return pd.DataFrame(_sweep_rows(pairs, thresholds), columns=columns)


def risk_coverage(triaged: Iterable[Triage], truth: Mapping[str, str]):
    """The risk-coverage curve: auto-route the most confident first, how often are we wrong?

    One row per distinct confidence among tickets with evidence, highest first
    (a threshold cannot split tied tickets). ``coverage`` is the share of all
    tickets auto-routed at that threshold and ``risk`` the error rate among them
    (1 - auto_accuracy). Tickets with no evidence are never auto-routed, as in
    :func:`gate`, so coverage stops short of 1.0 when there are some.
    """
    import pandas as pd
    pairs = _pairs(triaged, truth)
    n = len(pairs)
    # most confident first; walking down, each distinct level adds its tickets to the
    # auto-routed ones (one sort, not one pass over all tickets per level)
    ranked = sorted(((t.confidence, t.severity == true) for t, true in pairs if t.matched), reverse=True)
    rows, auto, right = [], 0, 0
    for level, group in groupby(ranked, key=itemgetter(0)):
        for _, ok in group:
            auto += 1
            right += ok
        rows.append({"threshold": _check_threshold(level), "auto_count": auto, "coverage": auto / n,
                     "risk": 1 - right / auto})
    return pd.DataFrame(rows, columns=["threshold", "auto_count", "coverage", "risk"])


def threshold_for_precision(triaged: Iterable[Triage], truth: Mapping[str, str],
                            target: float, robust: bool = False) -> float | None:
    """The lowest threshold whose auto-routed accuracy is at least ``target``.

    Only the tickets' own confidences are tried (between two of them the gate
    does not change). Returns ``None`` when no threshold reaches the target with
    at least one ticket auto-routed, so "impossible" cannot be mistaken for 1.0.

    ``robust=True`` also asks every *higher* threshold to meet the target, which
    ignores a lucky dip: a low threshold that passes only because a few
    low-confidence tickets happened to be right.
    """
    if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0 < target <= 1:
        raise ValueError(f"target must be an accuracy in (0, 1], got {target!r}")
    pairs = _pairs(triaged, truth)
    levels = sorted({t.confidence for t, _ in pairs if t.matched})
    rows = _sweep_rows(pairs, levels)
    best = None
    for row in reversed(rows):                   # from the highest threshold down
        ok = row["auto_count"] > 0 and row["auto_accuracy"] >= target
        if ok:
            best = row["threshold"]
        elif robust:
            break
    return best


def chow_threshold(cost_wrong: float, cost_human: float) -> float:
    """Chow's reject rule: the confidence above which automation is the cheaper bet.

    Auto-route when the expected cost of a wrong route is at most a human look::

        (1 - confidence) * cost_wrong <= cost_human
        confidence >= 1 - cost_human / cost_wrong

    The result is clipped to [0, 1]: a human look costing as much as a mistake
    (or more) gives 0 (automate everything that has evidence); a free human look
    gives 1. Costs must be finite, ``cost_wrong > 0`` and ``cost_human >= 0``.
    The rule assumes the confidence is a calibrated probability.
    """
    for name, value in (("cost_wrong", cost_wrong), ("cost_human", cost_human)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    if cost_wrong <= 0:
        raise ValueError(f"cost_wrong must be > 0 (a wrong route costs something), got {cost_wrong!r}")
    if cost_human < 0:
        raise ValueError(f"cost_human must be >= 0, got {cost_human!r}")
    return min(1.0, max(0.0, 1.0 - cost_human / cost_wrong))
