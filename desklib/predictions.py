"""Predictions from any classifier: the output of triage, made by a model the desk did not write.

In production the triage step is an LLM or another model. Its output on your own tickets —
one row per ticket with the severity it chose and how sure it was — is all the gate needs.
A predictions file is read like every other input (same strictness, same report), and each
row becomes a :class:`desklib.triage.Triage` record, so the gate, the sweep, risk–coverage,
the reliability table and ECE, the plots and the threshold explorer take it unchanged.

The format, CSV (a header row) or JSON lines (``.jsonl``; ``.json`` holds a list):

==================  ========  ====================================================
field               required  meaning
==================  ========  ====================================================
``id``              yes       the ticket's id (unique)
``severity``        yes       the predicted severity, ``SEV1`` … ``SEV4`` (any case)
``confidence``      yes       a number in [0, 1] (a JSON number; in CSV the cell's text)
``true_severity``   no        the label, when someone checked; empty = not labelled
==================  ========  ====================================================

The labels may also come from a separate truth file (``id,severity``, like
``fixtures/tickets_truth.csv``): then it is the truth and a ``true_severity`` column is
ignored (said in a note). Predictions without a label are kept and counted, never dropped:
they still count in coverage (what the gate would do to them) but not in precision.

A prediction is evidence by definition, so its record's ``matched`` names where it came
from (``("model: predictions.csv",)``) rather than staying empty: an empty ``matched`` means
"no rule matched" to the gate, which would send every prediction to a human.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from .records import (LoadReport, _Unknown, _Where, _check_on_error, _clip, _csv_rows,
                      _json_rows, _jsonl_rows, _kind, _parse, _record_id, _source, load_ticket_truth)
from .triage import SEVERITIES, Triage

__all__ = ["PREDICTION_FIELDS", "read_predictions", "load_predictions", "prediction", "save_predictions"]

PREDICTION_FIELDS = ("id", "severity", "confidence", "true_severity")
#: Columns a model's output often carries that the desk knows and does not read.
PREDICTION_UNREAD = ("subject", "body", "created_at", "model", "note")
#: Ids named in a note before it says "and N more".
NAMED = 10


def prediction(rid: str, severity: str, confidence: float, source: str = "predictions") -> Triage:
    """One prediction as the record triage makes: ``scores`` holds the confidence on its severity."""
    scores = {s: (float(confidence) if s == severity else 0.0) for s in SEVERITIES}
    return Triage(rid, severity, float(confidence), (f"model: {source}",), scores)


@dataclass(frozen=True)
class _Row:
    id: str
    triage: Triage
    true: str | None


def _severity(rec: dict, key: str, where: _Where, required: bool) -> str | None:
    value = rec.get(key)
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise where.error(key, "missing" if key not in rec else "is null")
        return None
    if not isinstance(value, str):
        raise where.error(key, f"expected text like 'SEV2', got {_kind(value)}")
    sev = value.strip().upper()
    if sev not in SEVERITIES:
        raise where.error(key, f"unknown severity '{_clip(value)}' (one of {', '.join(SEVERITIES)})")
    return sev


def _confidence(rec: dict, where: _Where, from_csv: bool) -> float:
    value = rec.get("confidence")
    if value is None:
        raise where.error("confidence", "missing" if "confidence" not in rec else "is null")
    if from_csv and isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            comma = value.strip().count(",") == 1 and value.strip().replace(",", ".", 1).replace(".", "", 1).isdigit()
            hint = f" (a decimal comma? write {value.strip().replace(',', '.')})" if comma else ""
            raise where.error("confidence", f"expected a number in [0, 1], got '{_clip(value)}'{hint}") from None
    elif isinstance(value, str):        # "0.9" in quotes: a JSON string, not a number
        raise where.error("confidence", f"expected a JSON number in [0, 1], got the text '{_clip(value, 30)}' "
                                        "(write it without quotes)")
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise where.error("confidence", f"expected a number in [0, 1], got {_kind(value)}")
    else:
        number = float(value)
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        hint = " (a percentage? divide by 100)" if math.isfinite(number) and 2 <= number <= 100 else ""
        raise where.error("confidence", f"{_clip(value, 30)} is outside [0, 1]{hint}")
    return number


def _builder(name: str, from_csv: bool):
    def build(rec: Any, where: _Where) -> _Row:
        rid = _record_id(rec, where)
        sev = _severity(rec, "severity", where, required=True)
        conf = _confidence(rec, where, from_csv)
        true = _severity(rec, "true_severity", where, required=False)
        return _Row(rid, prediction(rid, sev, conf, name), true)
    return build


def _ids(ids: list[str]) -> str:
    shown = ", ".join(_clip(i, 30) for i in ids[:NAMED])
    return shown + (f" and {len(ids) - NAMED} more" if len(ids) > NAMED else "")


def read_predictions(path: str | Path, truth: str | Path | Mapping[str, str] | None = None,
                     on_error: str = "raise") -> tuple[list[Triage], dict[str, str], LoadReport]:
    """Predictions from ``.csv``, ``.jsonl`` or ``.json`` (``-``: standard input).

    Returns ``(predictions, labels, report)``: one :class:`Triage` per row in file order,
    ``{id: true severity}`` for the labelled ones, and the :class:`LoadReport` (``read``,
    ``used``, ``set_aside``, ``rejects``, ``notes``). ``truth`` is a truth file
    (``id,severity``) or a mapping; when given, it is the truth. A bad row raises one
    :class:`InputError` naming the file, the line, the id and the field
    (``preds.csv:7: prediction 'p06': field 'confidence': 1.3 is outside [0, 1]``), or,
    with ``on_error="collect"``, is set aside in the report.
    """
    _check_on_error(on_error)
    name, text, fmt = _source(path)
    report = LoadReport(name)
    unknown = None
    if fmt == "csv":
        rows = _csv_rows(text, name, ("id", "severity", "confidence"), PREDICTION_FIELDS, report,
                         "prediction", PREDICTION_UNREAD)
    else:
        rows = _jsonl_rows(text) if fmt == "jsonl" else _json_rows(text, name)
        unknown = _Unknown(name, "prediction", PREDICTION_FIELDS, PREDICTION_UNREAD)
    parsed = _parse(rows, name, "prediction", _builder(name, fmt == "csv"), on_error, report, unknown)
    predictions = [row.triage for row in parsed]
    if truth is None:
        labels = {row.id: row.true for row in parsed if row.true is not None}
    else:
        given = load_ticket_truth(truth) if isinstance(truth, (str, Path)) else dict(truth)
        truth_name = Path(truth).name if isinstance(truth, (str, Path)) else "the truth"
        column = [row for row in parsed if row.true is not None]
        if column:
            differ = sum(given.get(row.id, row.true) != row.true for row in column)
            report.notes.append(f"{name}: column 'true_severity' ignored, {truth_name} is the truth"
                                + (f" ({differ} label{'s' if differ != 1 else ''} differ)" if differ else ""))
        ids = {p.id for p in predictions}
        labels = {p.id: given[p.id] for p in predictions if p.id in given}
        extra = sorted(set(given) - ids)
        if extra:
            report.notes.append(f"{truth_name}: {len(extra)} id{'s' if len(extra) != 1 else ''} with no "
                                f"prediction ({_ids(extra)}); ignored")
    unlabelled = [p.id for p in predictions if p.id not in labels]
    if unlabelled:
        report.notes.append(f"{name}: {len(unlabelled)} of {len(predictions)} predictions have no label "
                            f"({_ids(unlabelled)}); counted in coverage, not in precision")
    return predictions, labels, report


def load_predictions(path: str | Path, truth: str | Path | Mapping[str, str] | None = None
                     ) -> tuple[list[Triage], dict[str, str]]:
    """``(predictions, labels)`` from a predictions file (strict: the first bad row refuses it)."""
    predictions, labels, _ = read_predictions(path, truth)
    return predictions, labels


def save_predictions(predictions: Iterable[Triage], path: str | Path,
                     labels: Mapping[str, str] | None = None) -> None:
    """Write predictions as CSV (``id,severity,confidence[,true_severity]``), e.g. a keyword
    rules' run, so that ``desk tune`` and other tools read it like any model's output."""
    import csv
    labels = labels or {}
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(PREDICTION_FIELDS if labels else PREDICTION_FIELDS[:3])
        for p in predictions:
            row = [p.id, p.severity, repr(round(p.confidence, 6))]
            out.writerow(row + [labels.get(p.id, "")] if labels else row)
