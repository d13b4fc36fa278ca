"""Checkers for the lesson's exercises: a verdict in a few lines, with a hint that fits the attempt.

``check_whole_word(whole_word)`` and its siblings print their verdict and
return ``None``. They never raise, so "Run All" carries on past a blank
exercise and a passed check leaves no ``Out[n]`` behind.

- **Pass**: one line, ``✓ whole_word: all 11 cases pass``.
- **Fail**: at most four lines starting with ``✗``: how many cases pass, one
  failing case (what went in, what came out, what that case expects) and one
  hint. The other cases' expected answers are never printed.
- **Blank** (the starter's ``pass``: ``None`` for every case, or
  ``NotImplementedError``): "not written yet" and where to start.
- **Crash**: the learner's exception in one line (type and message, no frames).

The hint comes from *diagnosing* the attempt, not from the first failing case.
Each exercise keeps a catalogue of the usual mistakes (:class:`Mistake`): a
short wrong implementation written the way a learner writes it, or a signature
of outputs across the cases. The attempt runs on every case; its outputs are
compared with each mistake's, and the hint of the closest one is shown:

1. the same outputs on every case (or the signature holds);
2. the mistake's failing cases are among the attempt's, with the same outputs
   there, and explain at least half of its failures (the attempt may hold two
   mistakes: name the larger, the learner fixes it and checks again).

Between equal matches the earlier entry of the catalogue wins (signatures for
whole classes of answers come first). When nothing matches, the hint of the
first failing case is the fallback.

``diagnose_whole_word(fn)`` (and the others) return the :class:`Verdict`
itself for tests and tools: ``passed``, the printed ``lines``, the ``mistake``
key that was recognised and the index of the ``case`` shown.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence

__all__ = ["Verdict", "Case", "Mistake", "Exercise", "EXERCISES", "diagnose",
           "diagnose_whole_word", "diagnose_gate_route", "diagnose_due_24x7", "diagnose_due_business_hours",
           "diagnose_next_tier", "diagnose_linked",
           "check_whole_word", "check_gate_route", "check_due_24x7", "check_due_business_hours",
           "check_next_tier", "check_linked", "ExerciseFailed"]


class ExerciseFailed(AssertionError):
    """Raised by :meth:`Verdict.raise_if_failed` (for scripts that want an exception)."""


# ----------------------------------------------------------------------------- the pieces

@dataclass(frozen=True)
class Case:
    """One input, its expected answer, and the hint used when no known mistake explains a failure."""
    args: tuple
    expected: Any
    hint: str


@dataclass(frozen=True)
class Mistake:
    """A usual wrong attempt: a key, the hint naming it, and how to recognise it.

    ``wrong`` is a short wrong implementation; ``signature(outcomes)`` instead
    recognises the mistake from the attempt's outcomes (a list of
    :class:`Outcome`, one per case). ``example`` is the case that shows the
    mistake best (used when the attempt fails it).
    """
    key: str
    hint: str
    wrong: Callable | None = None
    signature: Callable[[list["Outcome"]], bool] | None = None
    example: int | None = None


@dataclass(frozen=True)
class Outcome:
    """What one call gave: a value, or the exception it raised."""
    value: Any = None
    error: BaseException | None = None


@dataclass(frozen=True)
class Exercise:
    name: str
    cases: tuple[Case, ...]
    mistakes: tuple[Mistake, ...]
    start: str                                  # the "not written yet" hint
    preface: str = ""                           # said once before the failing call (e.g. the topology)
    show_args: Callable[[tuple], str] | None = None


@dataclass(frozen=True)
class Verdict:
    """The result of a check: what a learner reads (``lines``) and what was recognised."""
    exercise: str
    passed: bool
    lines: tuple[str, ...]
    mistake: str | None = None      # a catalogue key, or "blank", "not_callable", "generic"
    case: int | None = None         # index of the case shown
    outcomes: tuple[Outcome, ...] = field(default=(), repr=False, compare=False)

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def raise_if_failed(self) -> None:
        if not self.passed:
            raise ExerciseFailed(str(self))


# ----------------------------------------------------------------------------- running and comparing

def _call(fn: Callable, args: tuple) -> Outcome:
    try:
        return Outcome(value=fn(*copy.deepcopy(args)))   # a copy: an attempt that edits its input spoils nothing
    except Exception as exc:                             # the learner's bug, reported as a finding
        return Outcome(error=exc)


def _right(outcome: Outcome, case: Case) -> bool:
    return outcome.error is None and _same_value(outcome.value, case.expected)


def _is_bool(x: Any) -> bool:
    return isinstance(x, bool) or getattr(getattr(x, "dtype", None), "kind", "") == "b"


def _same_value(a: Any, b: Any) -> bool:
    """Equal, and a bool only equals a bool (1 or a match object is not True here)."""
    if _is_bool(a) or _is_bool(b):
        return _is_bool(a) and _is_bool(b) and bool(a) == bool(b)
    try:
        return bool(a == b)
    except Exception:
        return False


def _same(a: Outcome, b: Outcome) -> bool:
    if a.error is not None or b.error is not None:
        return a.error is not None and b.error is not None and type(a.error) is type(b.error)
    return _same_value(a.value, b.value)


def _show(value: Any) -> str:
    """A value as a learner reads it: readable instants, timedelta as Python spells it."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return f"{value:%a %Y-%m-%d %H:%M} (no time zone)"
        if value.utcoffset() == timedelta(0):
            return f"{value:%a %Y-%m-%d %H:%M} UTC"
        return value.isoformat()
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        if seconds and seconds % 3600 == 0:
            return f"timedelta(hours={seconds // 3600})"
        if seconds and seconds % 60 == 0:
            return f"timedelta(minutes={seconds // 60})"
        return repr(value)
    if isinstance(value, re.Match):
        return f"<re.Match {value.group(0)!r}>"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _show_error(exc: BaseException) -> str:
    message = str(exc).splitlines()[0] if str(exc).strip() else ""
    if len(message) > 100:
        message = message[:97] + "..."
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _fails(outcomes: Sequence[Outcome], cases: Sequence[Case]) -> set[int]:
    return {i for i, (o, c) in enumerate(zip(outcomes, cases)) if not _right(o, c)}


def _match(mistake: Mistake, outcomes: list[Outcome], fails: set[int], cases: Sequence[Case]) -> tuple[int, set[int]]:
    """(strength, the mistake's failing cases): 2 same outputs (or the signature holds), 1 explains most; 0 no."""
    if mistake.signature is not None:
        try:
            return (2, fails) if mistake.signature(outcomes) else (0, set())
        except Exception:
            return 0, set()
    theirs = [_call(mistake.wrong, c.args) for c in cases]
    their_fails = _fails(theirs, cases)
    if not their_fails:
        return 0, set()
    if all(_same(a, b) for a, b in zip(outcomes, theirs)):
        return 2, their_fails
    if their_fails <= fails and 2 * len(their_fails) >= len(fails) \
            and all(_same(outcomes[i], theirs[i]) for i in their_fails):
        return 1, their_fails
    return 0, set()


def _recognise(ex: Exercise, outcomes: list[Outcome], fails: set[int]) -> tuple[Mistake | None, set[int]]:
    best, best_key = None, (0, 0, 0)
    for index, mistake in enumerate(ex.mistakes):
        strength, theirs = _match(mistake, outcomes, fails, ex.cases)
        if not strength:
            continue
        key = (strength, len(theirs) if strength == 1 else 0, -index)
        if best is None or key > best_key:
            best, best_key = (mistake, theirs), key
    return best if best is not None else (None, set())


def _blank(outcomes: list[Outcome]) -> bool:
    return (all(o.error is None and o.value is None for o in outcomes)
            or any(isinstance(o.error, NotImplementedError) for o in outcomes))


def diagnose(ex: Exercise, fn: Callable) -> Verdict:
    """Run ``fn`` on every case of ``ex`` and say what a teacher would say."""
    n = len(ex.cases)
    if not callable(fn):
        return Verdict(ex.name, False, (
            f"✗ {ex.name}: expected your function, got {_show(fn)}.",
            f"  Hint: pass the function itself, without calling it: check_{ex.name}({ex.name}).",
        ), "not_callable")
    outcomes = [_call(fn, c.args) for c in ex.cases]
    fails = _fails(outcomes, ex.cases)
    if not fails:
        return Verdict(ex.name, True, (f"✓ {ex.name}: all {n} cases pass",), None, None, tuple(outcomes))
    if _blank(outcomes):
        return Verdict(ex.name, False, (
            f"✗ {ex.name}: not written yet — your function returns None "
            "(still `pass`, or `print` instead of `return`?).",
            f"  Where to start: {ex.start}",
        ), "blank", None, tuple(outcomes))
    mistake, theirs = _recognise(ex, outcomes, fails)
    if mistake is not None:
        candidates = [mistake.example] if mistake.example in fails else []
        shown = (candidates or sorted(theirs & fails) or sorted(fails))[0]
        hint, key = mistake.hint, mistake.key
    else:
        shown = min(fails)
        got = outcomes[shown]
        if got.error is not None:
            hint = f"the error is in your code: try these inputs in a cell of their own to see the line. " \
                f"This case: {ex.cases[shown].hint}"
        elif got.value is None:
            hint = f"a path through your function ends without `return` (so it returns None). {ex.cases[shown].hint}"
        else:
            hint = ex.cases[shown].hint
        key = "generic"
    case, got = ex.cases[shown], outcomes[shown]
    call = f"{ex.name}({ex.show_args(case.args) if ex.show_args else ', '.join(_show(a) for a in case.args)})"
    came_out = f"raised {_show_error(got.error)}" if got.error is not None else f"returned {_show(got.value)}"
    lines = (
        f"✗ {ex.name}: {n - len(fails)} of {n} cases pass. One that fails{ex.preface}:",
        f"  {call} {came_out}; this case expects {_show(case.expected)}.",
        f"  Hint: {hint}",
    )
    return Verdict(ex.name, False, lines, key, shown, tuple(outcomes))


def _check(ex: Exercise, fn: Callable) -> None:
    print(diagnose(ex, fn))


# ----------------------------------------------------------------------------- signatures shared by exercises

def _values(outcomes: list[Outcome]) -> list[Any]:
    return [o.value for o in outcomes if o.error is None and o.value is not None]


def _all_of_type(kind) -> Callable[[list[Outcome]], bool]:
    def signature(outcomes):
        values = _values(outcomes)
        return bool(values) and all(isinstance(v, kind) for v in values)
    return signature


def _always(value) -> Callable[[list[Outcome]], bool]:
    """The same answer, ``value``, for every case."""
    def signature(outcomes):
        return all(o.error is None and _same_value(o.value, value) for o in outcomes)
    return signature


def _constant(outcomes: list[Outcome]) -> bool:
    """One and the same answer for every case."""
    first = outcomes[0]
    return first.error is None and first.value is not None and all(_same(o, first) for o in outcomes)


def _naive(outcomes: list[Outcome]) -> bool:
    values = _values(outcomes)
    return bool(values) and all(isinstance(v, datetime) and v.tzinfo is None for v in values)


# ----------------------------------------------------------------------------- 01 triage: whole words

def _ww_case_sensitive(keyword, text):
    pattern = r"\b" + r"\s+".join(re.escape(w) for w in keyword.split()) + r"\b"
    return re.search(pattern, text) is not None


def _ww_no_escape(keyword, text):
    pattern = r"\b" + r"\s+".join(keyword.lower().split()) + r"\b"
    return re.search(pattern, text.lower()) is not None


def _ww_words(keyword, text):
    return keyword.lower() in re.findall(r"\w+", text.lower())


WHOLE_WORD = Exercise(
    name="whole_word",
    cases=(
        Case(("down", "the site is down"), True, "a plain match should be found"),
        Case(("down", "Site DOWN!!"), True,
             "capitals and punctuation around a word still leave it a whole word: lower-case, then search with \\b"),
        Case(("down", "where do I download the invoice?"), False,
             "'down' must not match inside 'download': match whole words (\\b on both sides)"),
        Case(("down", "shutdown of the old server"), False, "'down' must not match at the end of 'shutdown' either"),
        Case(("down", "down."), True, "punctuation next to a word still leaves it a whole word"),
        Case(("outage", "Outage in eu-west since 9:00"), True, "matching ignores case: lower-case both sides"),
        Case(("503", "getting 503s everywhere"), False, "'503' is not the whole word '503s'"),
        Case(("not loading", "the page is not loading at all"), True, "a keyword can be a phrase of several words"),
        Case(("not loading", "page is not\nloading since 9"), True,
             "e-mails wrap lines: a phrase still matches across a line break (any whitespace between its words)"),
        Case(("v2.4", "since the v244 update the app crashes"), False,
             "the keyword is text, not a pattern: re.escape it"),
        Case(("refund", ""), False, "empty text matches nothing"),
    ),
    mistakes=(
        Mistake("never_matches", 'it never finds the keyword, not even in "the site is down": write the pattern '
                'as a raw string, r"\\b" (a plain "\\b" is a backspace), and print it.',
                signature=_always(False), example=0),
        Mistake("always_matches", "it says True for every text, even an empty one: re.search gives a match or "
                "None, and None != False — test `is not None`.", signature=_always(True), example=10),
        Mistake("match_object", "re.search returns a match object or None, not a bool: "
                "write `re.search(...) is not None` (or bool(...)).",
                signature=lambda outs: any(isinstance(o.value, re.Match) for o in outs)),
        Mistake("substring", "`in` finds 'down' inside 'download': a keyword must be a whole word — "
                "re.search with \\b on both sides.",
                wrong=lambda keyword, text: keyword.lower() in text.lower(), example=2),
        Mistake("split_punctuation", "split() leaves punctuation stuck to the word, so 'down.' is not 'down': "
                "search the text with re.search and \\b instead of splitting it.",
                wrong=lambda keyword, text: keyword in text.lower().split(), example=4),
        Mistake("phrase_as_word", "a keyword can be a phrase: 'not loading' is two words, never one item of a word "
                "list — search the text for the words in a row (re.search, \\s+ between them).",
                wrong=_ww_words, example=7),
        Mistake("case_sensitive", "'Outage' is not 'outage' to a regex: lower-case both sides (or re.IGNORECASE).",
                wrong=_ww_case_sensitive, example=5),
        Mistake("boundary_start_only", "'down' matched the start of 'download': put \\b at the end of the pattern "
                "too.", wrong=lambda keyword, text: re.search(r"\b" + re.escape(keyword), text.lower()) is not None,
                example=2),
        Mistake("boundary_end_only", "'down' matched the end of 'shutdown': put \\b at the start of the pattern "
                "too.", wrong=lambda keyword, text: re.search(re.escape(keyword) + r"\b", text.lower()) is not None,
                example=3),
        Mistake("line_break", "e-mails wrap lines: a phrase must match with a line break between its words — "
                "join the escaped words with \\s+ (or first collapse whitespace: ' '.join(text.split())).",
                wrong=lambda keyword, text: re.search(rf"\b{re.escape(keyword)}\b", text.lower()) is not None,
                example=8),
        Mistake("no_escape", "in a regex '.' means any character, so 'v2.4' matched 'v244': re.escape(keyword) "
                "before building the pattern.", wrong=_ww_no_escape, example=9),
    ),
    start='lower-case both sides, then re.search(r"\\b" + re.escape(keyword) + r"\\b", text): '
          "\\b marks where a word starts or ends.",
)


def diagnose_whole_word(fn: Callable[[str, str], bool]) -> Verdict:
    return diagnose(WHOLE_WORD, fn)


def check_whole_word(fn: Callable[[str, str], bool]) -> None:
    """``fn(keyword, text) -> bool``: does the keyword occur as a whole word, any case? Prints the verdict."""
    _check(WHOLE_WORD, fn)


# ----------------------------------------------------------------------------- 02 the gate

def _gate_inverted(outcomes):          # clearly confident goes to a human and clearly unsure goes to auto
    return outcomes[0].value == "human" and outcomes[1].value == "auto"


GATE_ROUTE = Exercise(
    name="gate_route",
    cases=(
        Case((0.90, 0.60, 2), "auto", "confident and above the threshold: route it automatically"),
        Case((0.41, 0.60, 1), "human", "below the threshold: a human looks"),
        Case((0.60, 0.60, 1), "auto", "exactly at the threshold counts as confident enough (use >=)"),
        Case((0.95, 0.60, 0), "human",
             "no rule matched means no evidence at all: always a human, whatever the number says"),
        Case((0.30, 0.0, 1), "auto", "threshold 0 sends everything with evidence to auto"),
        Case((0.99, 1.0, 3), "human", "threshold 1.0 means only certainty is automatic; 0.99 is not certain"),
        Case((0.20, 0.60, 0), "human", "no rule matched and not confident either: a human looks"),
    ),
    mistakes=(
        Mistake("returns_bool", 'return the route itself, the text "auto" or "human", not True/False.',
                signature=_all_of_type(bool)),
        Mistake("constant", "your function sends every ticket the same way: look at rules_matched first, then "
                "compare confidence with threshold.", signature=_constant),
        Mistake("ignores_threshold", "use the threshold you are given, not a number of your own: with "
                "threshold 0 every ticket with evidence is automatic, with 1.0 only certainty is.",
                signature=lambda outs: [o.value for o in outs[:2]] == ["auto", "human"]
                and outs[4].value == "human" and outs[5].value == "auto", example=4),
        Mistake("inverted", "the comparison points the wrong way: a confidence at or ABOVE the threshold is "
                "automatic, below it goes to a human.", signature=_gate_inverted, example=0),
        Mistake("strict", "exactly at the threshold counts as confident enough: use >=, not >.",
                wrong=lambda c, t, n: "auto" if n > 0 and c > t else "human", example=2),
        Mistake("ignores_rules", "no rule matched means no evidence at all: check rules_matched == 0 first and "
                "send it to a human, whatever the confidence says.",
                wrong=lambda c, t, n: "auto" if c >= t else "human", example=3),
        Mistake("or_instead_of_and", "auto needs both: a matched rule AND confidence >= threshold (and, not or).",
                wrong=lambda c, t, n: "auto" if n > 0 or c >= t else "human", example=1),
        Mistake("needs_two_rules", "one matched rule is already evidence: only rules_matched == 0 forces a human.",
                wrong=lambda c, t, n: "auto" if n > 1 and c >= t else "human", example=4),
        Mistake("percent_scale", "confidence and threshold are both fractions from 0 to 1: compare them directly, "
                "with no × 100 on either side.",
                wrong=lambda c, t, n: "auto" if n > 0 and c * 100 >= t else "human", example=1),
        Mistake("never_auto", "nothing went to auto, not even a clearly confident ticket: compare "
                "confidence >= threshold directly (both are fractions from 0 to 1, no × 100).",
                wrong=lambda c, t, n: "auto" if n > 0 and c >= t * 100 else "human", example=0),
    ),
    start="check the evidence first (rules_matched == 0 always goes to a human), then compare confidence with "
          "threshold.",
)


def diagnose_gate_route(fn: Callable[[float, float, int], str]) -> Verdict:
    return diagnose(GATE_ROUTE, fn)


def check_gate_route(fn: Callable[[float, float, int], str]) -> None:
    """``fn(confidence, threshold, rules_matched) -> "auto" | "human"``. Prints the verdict."""
    _check(GATE_ROUTE, fn)


# ----------------------------------------------------------------------------- 03 the SLA clock

def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def _scaled_target(cases: Sequence[Case]) -> Callable[[list[Outcome]], bool]:
    """The answer lies a constant multiple (not 1) of the target after created_at: a unit mix-up."""
    def signature(outcomes):
        ratios = set()
        for o, c in zip(outcomes, cases):
            created, target = c.args
            if o.error is not None or not isinstance(o.value, datetime) or o.value.tzinfo is None:
                return False
            ratios.add(round((o.value - created) / target, 6))
        return len(ratios) == 1 and ratios != {1.0}
    return signature


def _much_too_late(cases: Sequence[Case]) -> Callable[[list[Outcome]], bool]:
    """Every answer an hour or more after the right one, some by days: the target counted in the wrong unit."""
    def signature(outcomes):
        late = [o.value - c.expected if o.error is None and isinstance(o.value, datetime)
                and o.value.tzinfo is not None else None for o, c in zip(outcomes, cases)]
        return None not in late and min(late) >= timedelta(hours=1) and max(late) >= timedelta(days=2)
    return signature


def _due_replace_hour(created_at, target):
    hours, rest = divmod(target, timedelta(hours=1))
    return created_at.replace(hour=created_at.hour + hours, minute=created_at.minute + rest // timedelta(minutes=1))


_DUE_CASES = (
    Case((_utc("2026-03-02T09:00"), timedelta(minutes=15)), _utc("2026-03-02T09:15"), "24x7: due = created + target"),
    Case((_utc("2026-03-02T23:30"), timedelta(hours=1)), _utc("2026-03-03T00:30"), "the clock runs through midnight"),
    Case((_utc("2026-03-06T22:00"), timedelta(hours=4)), _utc("2026-03-07T02:00"), "and through the weekend"),
)

DUE_24X7 = Exercise(
    name="due_24x7",
    cases=_DUE_CASES,
    mistakes=(
        Mistake("text", "return the datetime itself, not its text (no .isoformat() or strftime).",
                signature=_all_of_type(str)),
        Mistake("naive", "your answer has no time zone: keep created_at's tzinfo (created_at + target keeps it; "
                "do not rebuild the datetime or call .replace(tzinfo=None)).", signature=_naive),
        Mistake("subtract", "the due time comes after created_at: add the target, do not subtract it.",
                wrong=lambda created_at, target: created_at - target),
        Mistake("unit", "the due time is the right direction but the wrong distance: target is already a "
                "timedelta — add it as it is, with no conversion to hours, minutes or days.",
                signature=_scaled_target(_DUE_CASES)),
        Mistake("replace_fields", "adding to the hour field breaks at midnight: add the timedelta itself "
                "(created_at + target), it carries into the next day.", wrong=_due_replace_hour, example=1),
        Mistake("whole_hours", "the minutes went missing: you kept only whole hours of the target — add the "
                "timedelta itself.",
                wrong=lambda created_at, target: created_at + timedelta(hours=target // timedelta(hours=1)),
                example=0),
    ),
    start="a datetime plus a timedelta is a datetime — that is all the 24x7 clock needs.",
)


def diagnose_due_24x7(fn: Callable[[datetime, timedelta], datetime]) -> Verdict:
    return diagnose(DUE_24X7, fn)


def check_due_24x7(fn: Callable[[datetime, timedelta], datetime]) -> None:
    """``fn(created_at, target) -> due_at`` on a 24x7 calendar. Prints the verdict."""
    _check(DUE_24X7, fn)


def _bh_pandas(created_at, target, **hours):
    import pandas as pd
    hour = pd.offsets.CustomBusinessHour(**hours) if hours else pd.offsets.BusinessHour()
    start = hour.rollforward(pd.Timestamp(created_at))
    return (start + hour * round(target / timedelta(hours=1))).to_pydatetime()


def _bh_from_creation(created_at, target):
    """Counts business time in a loop, but starts the clock at creation even before 08:00."""
    t, left = created_at, target
    while left > timedelta(0):
        if t.weekday() >= 5 or t.hour >= 18:
            t = (t + timedelta(days=1)).replace(hour=8, minute=0)
            continue
        step = min(left, t.replace(hour=18, minute=0) - t)
        t, left = t + step, left - step
    return t


def _bh_from_midnight(created_at, target):
    """Closes at 18:00 and skips weekends, but counts the night from midnight: 08:00 forgotten."""
    t, left = created_at, target // timedelta(minutes=1)
    while left > 0:
        t += timedelta(minutes=1)
        if t.weekday() < 5 and t.hour < 18:
            left -= 1
    return t


_BH_CASES = (
    Case((_utc("2026-03-02T09:00"), timedelta(hours=4)), _utc("2026-03-02T13:00"), "inside hours: plain addition"),
    Case((_utc("2026-03-02T16:00"), timedelta(hours=4)), _utc("2026-03-03T10:00"),
         "2 h today (16:00–18:00), the other 2 h from 08:00 the next morning"),
    Case((_utc("2026-03-02T06:30"), timedelta(hours=1)), _utc("2026-03-02T09:00"),
         "created before opening: the clock starts at 08:00"),
    Case((_utc("2026-03-06T17:30"), timedelta(hours=4)), _utc("2026-03-09T11:30"),
         "Friday 17:30 + 4 business hours skips the weekend: 30 min on Friday, 3.5 h on Monday"),
    Case((_utc("2026-03-07T12:00"), timedelta(hours=1)), _utc("2026-03-09T09:00"),
         "created on Saturday: the clock starts Monday 08:00"),
)

DUE_BUSINESS_HOURS = Exercise(
    name="due_business_hours",
    cases=_BH_CASES,
    mistakes=(
        Mistake("text", "return the datetime itself, not its text (no .isoformat() or strftime).",
                signature=_all_of_type(str)),
        Mistake("naive", "your answer has no time zone: keep created_at's tzinfo (pd.Timestamp(created_at) keeps "
                "it; do not tz_localize(None) or build a new datetime without tzinfo).", signature=_naive),
        Mistake("unit", "your due times are far too late: multiply the business hour by the number of HOURS, "
                "round(target / timedelta(hours=1)), not seconds, minutes or days.",
                signature=_much_too_late(_BH_CASES)),
        Mistake("clock_never_stops", "you added the target as if the desk never closed: only Mon–Fri 08:00–18:00 "
                "counts (pd.offsets.CustomBusinessHour; see the hint above the exercise).",
                wrong=lambda created_at, target: created_at + target, example=1),
        Mistake("default_hours", "pandas' BusinessHour() is 09:00–17:00 by default: this desk is open "
                'CustomBusinessHour(start="08:00", end="18:00").',
                wrong=lambda created_at, target: _bh_pandas(created_at, target), example=2),
        Mistake("weekend_open", "Saturday and Sunday are closed: keep the weekmask to Mon–Fri "
                '(weekmask="Mon Tue Wed Thu Fri").',
                wrong=lambda created_at, target: _bh_pandas(created_at, target, start="08:00", end="18:00",
                                                            weekmask="Mon Tue Wed Thu Fri Sat Sun"), example=3),
        Mistake("night_counts", "the desk opens at 08:00: the hours from midnight to 08:00 do not count, only "
                "08:00–18:00 on weekdays.", wrong=_bh_from_midnight, example=2),
        Mistake("before_opening", "a ticket created before 08:00 waits for the desk to open: move the start "
                "to the next open instant first (hour.rollforward, or 08:00 that day).",
                wrong=_bh_from_creation, example=2),
    ),
    start='pandas knows this calendar: pd.offsets.CustomBusinessHour(start="08:00", end="18:00") '
          "(the hint above the exercise shows how to add hours with it).",
)


def diagnose_due_business_hours(fn: Callable[[datetime, timedelta], datetime]) -> Verdict:
    return diagnose(DUE_BUSINESS_HOURS, fn)


def check_due_business_hours(fn: Callable[[datetime, timedelta], datetime]) -> None:
    """``fn(created_at, target) -> due_at`` counting only Mon–Fri 08:00–18:00 UTC. Prints the verdict."""
    _check(DUE_BUSINESS_HOURS, fn)


# ----------------------------------------------------------------------------- 04 escalation

_PATH = ["L1", "L2", "L3", "IC"]


def _tier_spelling(outcomes):
    values = [o.value for o in outcomes]
    return all(isinstance(v, str) for v in values) and values != [c.expected for c in NEXT_TIER.cases] \
        and [v.strip().upper() for v in values] == [c.expected for c in NEXT_TIER.cases]


def _tier_constant(outcomes):
    values = [o.value for o in outcomes]
    return all(o.error is None for o in outcomes) and values[0] is not None and all(v == values[0] for v in values)


def _tier_off_end(outcomes):
    """Right up to L3, then something other than IC (an error, None, or past the path) for IC itself."""
    return all(_right(o, c) for o, c in zip(outcomes[:3], NEXT_TIER.cases[:3])) \
        and outcomes[3].value not in ("IC", "L1")


NEXT_TIER = Exercise(
    name="next_tier",
    cases=(
        Case(("L1",), "L2", "L1 hands up to L2"),
        Case(("L2",), "L3", "L2 hands up to L3"),
        Case(("L3",), "IC", "from L3 the incident commander takes over"),
        Case(("IC",), "IC",
             "there is nobody above the incident commander: stay at IC (never fall off the path)"),
    ),
    mistakes=(
        Mistake("index_not_name", "return the tier's name, not its position in the path.",
                signature=_all_of_type(int)),
        Mistake("spelling", "spell the tiers exactly as the path does: L1, L2, L3, IC (capitals, no spaces).",
                signature=_tier_spelling),
        Mistake("wraps_around", "after IC the path does not start again at L1: IC is the last stop and stays IC.",
                wrong=lambda tier: _PATH[(_PATH.index(tier) + 1) % len(_PATH)], example=3),
        Mistake("off_the_end", "IC is the last stop: next_tier('IC') stays 'IC' — do not step past the end of "
                "the path (min(i + 1, len(path) - 1), or a check for IC first).",
                signature=_tier_off_end, example=3),
        Mistake("same_tier", "the ticket came back to the tier that missed it: return the tier ABOVE it, one "
                "step along the path.", wrong=lambda tier: tier, example=0),
        Mistake("goes_down", "that is the tier below: the path goes up, L1 → L2 → L3 → IC.",
                signature=lambda outs: outs[1].value == "L1" and outs[2].value == "L2", example=1),
        Mistake("skips_a_tier", "one step at a time: a missed ticket moves up one tier, not two.",
                wrong=lambda tier: _PATH[min(_PATH.index(tier) + 2, len(_PATH) - 1)], example=0),
        Mistake("constant", "your function gives the same answer whatever the tier: find `tier` in the path "
                "and return the one after it.", signature=_tier_constant),
    ),
    start="put the escalation path in a list, find where `tier` is, and return the one after it — "
          "but never step past the last.",
)


def diagnose_next_tier(fn: Callable[[str], str]) -> Verdict:
    return diagnose(NEXT_TIER, fn)


def check_next_tier(fn: Callable[[str], str]) -> None:
    """``fn(tier) -> the tier above it``: L1 -> L2 -> L3 -> IC, and IC stays IC. Prints the verdict."""
    _check(NEXT_TIER, fn)


# ----------------------------------------------------------------------------- 05 correlation

_TOPOLOGY = {"web": ["orders"], "orders": ["pg-main"], "pg-main": [], "search": ["es-cluster"]}


def _alert(service: str, ts: int) -> dict:
    return {"service": service, "ts": ts}


def _close(a, b, window_s):
    return abs(a["ts"] - b["ts"]) <= window_s


def _services_link(a, b, topology):
    sa, sb = a["service"], b["service"]
    return sa == sb or sb in topology.get(sa, ()) or sa in topology.get(sb, ())


def _linked_transitive(a, b, topology, window_s):
    def reaches(x, y):
        seen, todo = set(), [x]
        while todo:
            s = todo.pop()
            if s == y:
                return True
            if s not in seen:
                seen.add(s)
                todo.extend(topology.get(s, ()))
        return False
    return _close(a, b, window_s) and (reaches(a["service"], b["service"]) or reaches(b["service"], a["service"]))


def _linked_no_abs(outcomes):
    """Wrong only where the alerts are too far apart, and only when one of them comes first: a signed gap."""
    wrong = _fails(outcomes, LINKED.cases)
    return bool(wrong) and (wrong <= {4, 9} or wrong <= {10})


def _linked_key_error(outcomes):
    return any(isinstance(o.error, KeyError) for o in outcomes)


def _show_linked(args):
    a, b, _, window_s = args
    return f"{a!r}, {b!r}, topology, {window_s}"


LINKED = Exercise(
    name="linked",
    cases=(
        Case((_alert("orders", 20), _alert("pg-main", 0), _TOPOLOGY, 300), True,
             "orders depends on pg-main and they are 20 s apart"),
        Case((_alert("pg-main", 0), _alert("orders", 20), _TOPOLOGY, 300), True,
             "the link works in both directions"),
        Case((_alert("pg-main", 0), _alert("pg-main", 299), _TOPOLOGY, 300), True,
             "the same service within the window is linked"),
        Case((_alert("pg-main", 0), _alert("pg-main", 300), _TOPOLOGY, 300), True,
             "a gap equal to the window still links (<=)"),
        Case((_alert("pg-main", 0), _alert("orders", 301), _TOPOLOGY, 300), False,
             "301 s apart is outside a 300 s window"),
        Case((_alert("web", 0), _alert("pg-main", 10), _TOPOLOGY, 300), False,
             "web depends on orders, not directly on pg-main: only direct dependencies link"),
        Case((_alert("search", 0), _alert("pg-main", 5), _TOPOLOGY, 300), False,
             "unrelated parts of the topology never link"),
        Case((_alert("mystery", 0), _alert("pg-main", 5), _TOPOLOGY, 300), False,
             "a service missing from the topology depends on nothing: it links only to itself"),
        Case((_alert("mystery", 0), _alert("mystery", 5), _TOPOLOGY, 300), True,
             "a service missing from the topology still links to itself"),
        Case((_alert("pg-main", 0), _alert("pg-main", 86400), _TOPOLOGY, 300), False,
             "a day apart is far outside a 300 s window, even on the same service"),
        Case((_alert("orders", 400), _alert("pg-main", 0), _TOPOLOGY, 300), False,
             "400 s apart is outside a 300 s window, whichever alert came first"),
    ),
    mistakes=(
        Mistake("constant", "your function gives the same answer for every pair of alerts: check the time gap "
                "first, then whether the services are the same or directly depend on each other.",
                signature=_constant),
        Mistake("key_error", "a service missing from the topology depends on nothing: use "
                "topology.get(service, ()) instead of topology[service].", signature=_linked_key_error, example=7),
        Mistake("no_abs", "the gap must not depend on which alert came first: compare "
                "abs(a['ts'] - b['ts']) <= window_s.", signature=_linked_no_abs),
        Mistake("window_minutes", "ts and window_s are both seconds: compare abs(a['ts'] - b['ts']) <= window_s "
                "with no conversion to minutes.",
                wrong=lambda a, b, topology, w: abs(a["ts"] - b["ts"]) <= w * 60 and _services_link(a, b, topology),
                example=4),
        Mistake("ignores_time", "services alone do not make a link: the alerts must also fire at most window_s "
                "seconds apart — check abs(a['ts'] - b['ts']) <= window_s.",
                wrong=lambda a, b, topology, w: _services_link(a, b, topology), example=9),
        Mistake("strict", "a gap equal to the window still links: use <=, not <.",
                wrong=lambda a, b, topology, w: abs(a["ts"] - b["ts"]) < w and _services_link(a, b, topology),
                example=3),
        Mistake("one_direction", "the link works both ways: also check whether a's service is in the "
                "dependencies of b's service.",
                wrong=lambda a, b, topology, w: _close(a, b, w) and (
                    a["service"] == b["service"] or b["service"] in topology.get(a["service"], ())), example=1),
        Mistake("same_service", "two alerts from the same service are linked too: test "
                "a['service'] == b['service'] first.",
                wrong=lambda a, b, topology, w: _close(a, b, w) and (
                    b["service"] in topology.get(a["service"], ()) or a["service"] in topology.get(b["service"], ())),
                example=2),
        Mistake("transitive", "only DIRECT dependencies link: do not follow the topology further than one step.",
                wrong=_linked_transitive, example=5),
        Mistake("time_only", "close in time is not enough: the services must be the same or one must directly "
                "depend on the other.", wrong=lambda a, b, topology, w: _close(a, b, w), example=6),
    ),
    start="first the time: abs(a['ts'] - b['ts']) <= window_s; then the services: the same, or one listed in "
          "the other's topology.get(service, ()).",
    preface=" (topology: web → orders → pg-main, search → es-cluster)",
    show_args=_show_linked,
)


def diagnose_linked(fn: Callable[[dict, dict, dict, int], bool]) -> Verdict:
    return diagnose(LINKED, fn)


def check_linked(fn: Callable[[dict, dict, dict, int], bool]) -> None:
    """``fn(a, b, topology, window_s) -> bool``: are two alerts links of one incident? Prints the verdict.

    Alerts are dicts with ``service`` and ``ts`` (seconds); the topology maps a
    service to the services it depends on.
    """
    _check(LINKED, fn)


EXERCISES: dict[str, Exercise] = {ex.name: ex for ex in
                                  (WHOLE_WORD, GATE_ROUTE, DUE_24X7, DUE_BUSINESS_HOURS, NEXT_TIER, LINKED)}
