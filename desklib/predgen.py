"""Labelled predictions with a known truth, from a seed: a classifier whose precision is known exactly.

48 labelled tickets say little about a threshold. To see how much more it takes, and to
test that :mod:`desklib.tune`'s guarantee holds, we need many labelled sets drawn from one
classifier whose true precision at every threshold is known. :func:`generate` draws them.

The model (:class:`Model`; the default is :data:`MODEL`)
------------------------------------------------------
* The classifier reports confidences on a grid of 0.01 (as a model asked for two decimals
  does), from ``low`` to 1.00. Their frequency is a bump around ``peak`` (most tickets look
  fairly clear) over a flat floor: :meth:`Model.weights`.
* A prediction at confidence ``c`` is right with probability ``Model.p_right(c)``:
  ``offset + slope × c``, clipped to [0, 1]. The default is over-confident at the top
  (0.95 is right 92 % of the time) and under-confident at the bottom — a typical shape.
* The predicted severity follows ``Model.mix``; a wrong one's true severity is another
  severity, drawn evenly.

So the precision of the gate at any threshold is a finite sum (:meth:`Model.precision`), and
the threshold an oracle would pick for a target (:meth:`Model.oracle_threshold`) is exact.
The records are plain dicts in the predictions-file format (``id, severity, confidence,
true_severity``): write them with :func:`write` and ``desk tune`` reads them like any model's.
"""
from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

__all__ = ["Model", "MODEL", "generate", "write", "as_records"]

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")


@dataclass(frozen=True)
class Model:
    """A classifier's confidences and how often each is right (see the module)."""
    low: float = 0.30
    peak: float = 0.88
    width: float = 0.10
    floor: float = 0.25
    offset: float = 0.07
    slope: float = 0.90
    mix: tuple[float, float, float, float] = (0.10, 0.25, 0.40, 0.25)

    @property
    def levels(self) -> list[float]:
        """The confidences the classifier reports: low, low + 0.01, ..., 1.00."""
        start = round(self.low * 100)
        return [k / 100 for k in range(start, 101)]

    def weights(self) -> list[float]:
        """How often each level is reported (sums to 1)."""
        raw = [self.floor + math.exp(-((c - self.peak) / self.width) ** 2) for c in self.levels]
        total = sum(raw)
        return [w / total for w in raw]

    def p_right(self, confidence: float) -> float:
        """The chance that a prediction made with this confidence is right."""
        return min(1.0, max(0.0, self.offset + self.slope * confidence))

    def precision(self, threshold: float) -> float | None:
        """The true precision of the gate at ``threshold`` (``None`` if nothing reaches it)."""
        mass = right = 0.0
        for c, w in zip(self.levels, self.weights()):
            if c >= threshold:
                mass += w
                right += w * self.p_right(c)
        return right / mass if mass else None

    def coverage(self, threshold: float) -> float:
        """The true share of tickets auto-routed at ``threshold``."""
        return sum(w for c, w in zip(self.levels, self.weights()) if c >= threshold)

    def oracle_threshold(self, target: float) -> float | None:
        """The lowest 0.01-step threshold whose true precision is at least ``target``."""
        ok = [k / 100 for k in range(101) if (self.precision(k / 100) or 0.0) >= target]
        # the true precision falls as the threshold falls, so the lowest passing one is the answer
        return min(ok) if ok else None


MODEL = Model()


def generate(n: int, seed: int = 0, model: Model = MODEL) -> list[dict]:
    """``n`` labelled predictions drawn from ``model``; the same seed gives the same rows.

    Each row: ``{"id": "p00001", "severity", "confidence", "true_severity"}``.
    """
    rng = random.Random(seed)
    levels, weights = model.levels, model.weights()
    width = max(5, len(str(n)))
    rows = []
    for i, c in enumerate(rng.choices(levels, weights, k=n), start=1):
        sev = rng.choices(SEVERITIES, model.mix)[0]
        right = rng.random() < model.p_right(c)
        true = sev if right else rng.choice([s for s in SEVERITIES if s != sev])
        rows.append({"id": f"p{i:0{width}d}", "severity": sev, "confidence": c, "true_severity": true})
    return rows


def as_records(rows: Iterable[dict]):
    """``(predictions, labels)`` as :func:`desklib.predictions.load_predictions` returns them."""
    from .predictions import prediction
    rows = list(rows)
    return ([prediction(r["id"], r["severity"], r["confidence"], "generated") for r in rows],
            {r["id"]: r["true_severity"] for r in rows if r.get("true_severity")})


def write(rows: Iterable[dict], path: str | Path) -> Path:
    """The rows as a predictions CSV (``id,severity,confidence,true_severity``)."""
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(fh, ["id", "severity", "confidence", "true_severity"], lineterminator="\n")
        out.writeheader()
        out.writerows(rows)
    return path
