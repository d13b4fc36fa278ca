"""The exercise checkers: one line on a right answer; on a wrong one a short verdict whose hint names the mistake.

The attempts below are written the way learners write them, independently of
the wrong implementations in desklib/checks.py's catalogue: each must be told
about its actual mistake.
"""
import re
import string
from datetime import datetime, timedelta

import pandas as pd
import pytest

from desklib import checks
from desklib.checks import EXERCISES, ExerciseFailed

# ----------------------------------------------------------------------------- right answers


def whole_word(keyword, text):
    text = " ".join(text.lower().split())
    return re.search(rf"\b{re.escape(keyword.lower())}\b", text) is not None


def gate_route(confidence, threshold, rules_matched):
    return "auto" if rules_matched and confidence >= threshold else "human"


def due_24x7(created_at, target):
    return created_at + target


def due_business_hours(created_at, target):
    hour = pd.offsets.CustomBusinessHour(start="08:00", end="18:00")
    t = hour.rollforward(pd.Timestamp(created_at))
    hours, rest = divmod(target, timedelta(hours=1))
    if hours:
        t = t + hour * hours
    closing = t.normalize() + pd.Timedelta(hours=18)
    if t + rest > closing:                       # the minutes spill into the next opening
        t = hour.rollforward(closing + pd.Timedelta(seconds=1)) + (t + rest - closing)
    else:
        t = t + rest
    return t.to_pydatetime()


def next_tier(tier):
    path = ["L1", "L2", "L3", "IC"]
    return path[min(path.index(tier) + 1, len(path) - 1)]


def linked(a, b, topology, window_s):
    if abs(a["ts"] - b["ts"]) > window_s:
        return False
    sa, sb = a["service"], b["service"]
    return sa == sb or sb in topology.get(sa, []) or sa in topology.get(sb, [])


RIGHT = [
    (checks.check_whole_word, checks.diagnose_whole_word, whole_word),
    (checks.check_gate_route, checks.diagnose_gate_route, gate_route),
    (checks.check_due_24x7, checks.diagnose_due_24x7, due_24x7),
    (checks.check_due_business_hours, checks.diagnose_due_business_hours, due_business_hours),
    (checks.check_next_tier, checks.diagnose_next_tier, next_tier),
    (checks.check_linked, checks.diagnose_linked, linked),
]
IDS = [c.__name__ for c, _, _ in RIGHT]

# ----------------------------------------------------------------------------- wrong attempts, as learners write them


def ww_substring(keyword, text):
    return text.lower().find(keyword.lower()) != -1


def ww_split(keyword, text):                    # the example: lower-cased, split, "!!" stuck to the word
    words = text.lower().split()
    return keyword in words


def ww_split_no_lower(keyword, text):
    return keyword in text.split()


def ww_words_stripped(keyword, text):
    words = [w.strip(string.punctuation) for w in text.lower().split()]
    return keyword.lower() in words


def ww_case(keyword, text):
    return bool(re.search(rf"\b{re.escape(keyword)}\b", text))


def ww_start_only(keyword, text):
    return re.search(r"\b" + keyword, text, re.I) is not None


def ww_end_only(keyword, text):
    return re.search(keyword + r"\b", text.lower()) is not None


def ww_one_space(keyword, text):
    return re.search(r"\b" + re.escape(keyword) + r"\b", text, re.IGNORECASE) is not None


def ww_no_escape(keyword, text):
    return re.search(r"\b" + r"\s+".join(keyword.split()) + r"\b", text, flags=re.I) is not None


def ww_match(keyword, text):
    return re.search(rf"\b{re.escape(keyword)}\b", text.lower())


def ww_backspace(keyword, text):
    return re.search("\b" + keyword + "\b", text.lower()) is not None


def ww_not_false(keyword, text):
    return re.search(r"\b" + re.escape(keyword) + r"\b", text, re.I) != False  # noqa: E712


def gr_strict(confidence, threshold, rules_matched):
    if confidence > threshold and rules_matched > 0:
        return "auto"
    else:
        return "human"


def gr_no_rules(confidence, threshold, rules_matched):
    return "auto" if confidence >= threshold else "human"


def gr_bool(confidence, threshold, rules_matched):
    return confidence >= threshold and rules_matched > 0


def gr_inverted(confidence, threshold, rules_matched):
    if rules_matched == 0:
        return "human"
    if threshold >= confidence:
        return "auto"
    return "human"


def gr_percent(confidence, threshold, rules_matched):
    if rules_matched and confidence * 100 >= threshold:
        return "auto"
    return "human"


def gr_or(confidence, threshold, rules_matched):
    if rules_matched > 0 or confidence >= threshold:
        return "auto"
    return "human"


def gr_two_rules(confidence, threshold, rules_matched):
    return "auto" if rules_matched >= 2 and confidence >= threshold else "human"


def gr_threshold_percent(confidence, threshold, rules_matched):
    return "human" if rules_matched == 0 or confidence < threshold * 100 else "auto"


def gr_fixed(confidence, threshold, rules_matched):
    if rules_matched == 0:
        return "human"
    return "auto" if confidence >= 0.67 else "human"


def gr_placeholder(confidence, threshold, rules_matched):
    return "human"


def d_naive(created_at, target):
    due = created_at + target
    return datetime(due.year, due.month, due.day, due.hour, due.minute)


def d_fromtimestamp(created_at, target):
    return datetime.fromtimestamp(created_at.timestamp() + target.total_seconds())


def d_hours_as_days(created_at, target):
    hours = target.total_seconds() / 3600
    return created_at + timedelta(days=hours)


def d_minutes_as_hours(created_at, target):
    return created_at + timedelta(hours=target.total_seconds() / 60)


def d_replace(created_at, target):
    h = int(target.total_seconds() // 3600)
    m = int(target.total_seconds() % 3600 // 60)
    return created_at.replace(hour=created_at.hour + h, minute=created_at.minute + m)


def d_text(created_at, target):
    return (created_at + target).isoformat()


def d_minus(created_at, target):
    return created_at - target


def d_whole_hours(created_at, target):
    return created_at + timedelta(hours=target.seconds // 3600)


def bh_plain(created_at, target):
    return created_at + target


def bh_default(created_at, target):
    n = int(target.total_seconds() // 3600)
    return (pd.Timestamp(created_at) + pd.offsets.BusinessHour(n=n)).to_pydatetime()


def bh_no_weekend(created_at, target):
    due, left = created_at, target
    while left > timedelta(0):
        if due.hour < 8:
            due = due.replace(hour=8, minute=0)
        end = due.replace(hour=18, minute=0)
        if due >= end:
            due = (due + timedelta(days=1)).replace(hour=8, minute=0)
            continue
        step = min(left, end - due)
        due += step
        left -= step
    return due


def bh_from_creation(created_at, target):
    due, left = created_at, target
    while True:
        if due.weekday() >= 5:
            due = (due + timedelta(days=7 - due.weekday())).replace(hour=8, minute=0)
        close = due.replace(hour=18, minute=0)
        if due + left <= close:
            return due + left
        left -= max(close - due, timedelta(0))
        due = (due + timedelta(days=1)).replace(hour=8, minute=0)


def bh_midnight(created_at, target):
    t = created_at
    minutes = int(target.total_seconds() / 60)
    while minutes:
        t = t + timedelta(minutes=1)
        if t.weekday() <= 4 and t.hour < 18:
            minutes -= 1
    return t


def bh_naive(created_at, target):
    hour = pd.offsets.CustomBusinessHour(start="08:00", end="18:00")
    start = pd.Timestamp(created_at).tz_localize(None)
    return (hour.rollforward(start) + hour * int(target / timedelta(hours=1))).to_pydatetime()


def bh_seconds(created_at, target):
    hour = pd.offsets.CustomBusinessHour(start="08:00", end="18:00")
    return (hour.rollforward(pd.Timestamp(created_at)) + hour * int(target.total_seconds())).to_pydatetime()


def bh_days(created_at, target):
    day = pd.offsets.CustomBusinessDay()
    return (pd.Timestamp(created_at) + day * int(target / timedelta(hours=1))).to_pydatetime()


def bh_saturday(created_at, target):
    hour = pd.offsets.CustomBusinessHour(start="08:00", end="18:00", weekmask="Mon Tue Wed Thu Fri Sat Sun")
    return (pd.Timestamp(created_at) + hour * int(target.total_seconds() // 3600)).to_pydatetime()


PATH = ["L1", "L2", "L3", "IC"]


def nt_index_error(tier):
    return PATH[PATH.index(tier) + 1]


def nt_dict(tier):
    return {"L1": "L2", "L2": "L3", "L3": "IC"}[tier]


def nt_get(tier):
    return {"L1": "L2", "L2": "L3", "L3": "IC"}.get(tier)


def nt_wrap(tier):
    i = PATH.index(tier)
    return PATH[(i + 1) % len(PATH)]


def nt_same(tier):
    return tier


def nt_hard_coded(tier):
    return "L2"


def nt_lower(tier):
    tiers = ["l1", "l2", "l3", "ic"]
    i = tiers.index(tier.lower())
    return tiers[min(i + 1, 3)]


def nt_number(tier):
    return min(PATH.index(tier) + 1, 3)


def nt_down(tier):
    return PATH[PATH.index(tier) - 1]


def nt_skip(tier):
    return PATH[min(PATH.index(tier) + 2, 3)]


def ln_placeholder(a, b, topology, window_s):
    return False


def _deps(topology, service):
    return topology.get(service, [])


def ln_minutes(a, b, topology, window_s):
    gap_minutes = abs(a["ts"] - b["ts"]) / 60
    if gap_minutes > window_s:
        return False
    return a["service"] == b["service"] or b["service"] in _deps(topology, a["service"]) \
        or a["service"] in _deps(topology, b["service"])


def ln_strict(a, b, topology, window_s):
    if not abs(b["ts"] - a["ts"]) < window_s:
        return False
    return a["service"] == b["service"] or b["service"] in _deps(topology, a["service"]) \
        or a["service"] in _deps(topology, b["service"])


def ln_one_way(a, b, topology, window_s):
    close = abs(a["ts"] - b["ts"]) <= window_s
    return close and (a["service"] == b["service"] or b["service"] in topology.get(a["service"], []))


def ln_no_same(a, b, topology, window_s):
    close = abs(a["ts"] - b["ts"]) <= window_s
    return close and (b["service"] in _deps(topology, a["service"]) or a["service"] in _deps(topology, b["service"]))


def ln_no_abs(a, b, topology, window_s):
    if a["ts"] - b["ts"] > window_s:
        return False
    return a["service"] == b["service"] or b["service"] in _deps(topology, a["service"]) \
        or a["service"] in _deps(topology, b["service"])


def ln_brackets(a, b, topology, window_s):
    if abs(a["ts"] - b["ts"]) > window_s:
        return False
    return a["service"] == b["service"] or b["service"] in topology[a["service"]] \
        or a["service"] in topology[b["service"]]


def ln_transitive(a, b, topology, window_s):
    def depends(x, y):
        return any(d == y or depends(d, y) for d in topology.get(x, []))
    if abs(a["ts"] - b["ts"]) > window_s:
        return False
    return a["service"] == b["service"] or depends(a["service"], b["service"]) or depends(b["service"], a["service"])


def ln_time_only(a, b, topology, window_s):
    return abs(a["ts"] - b["ts"]) <= window_s


def ln_no_time(a, b, topology, window_s):
    sa, sb = a["service"], b["service"]
    return sa == sb or sb in topology.get(sa, []) or sa in topology.get(sb, [])


# (diagnose, learner's attempt, the mistake it must be told about, words its hint must contain)
LEARNERS = [
    (checks.diagnose_whole_word, ww_substring, "substring", "download"),
    (checks.diagnose_whole_word, ww_split, "split_punctuation", "punctuation"),
    (checks.diagnose_whole_word, ww_split_no_lower, "split_punctuation", "punctuation"),
    (checks.diagnose_whole_word, ww_words_stripped, "phrase_as_word", "phrase"),
    (checks.diagnose_whole_word, ww_case, "case_sensitive", "lower-case"),
    (checks.diagnose_whole_word, ww_start_only, "boundary_start_only", "at the end"),
    (checks.diagnose_whole_word, ww_end_only, "boundary_end_only", "at the start"),
    (checks.diagnose_whole_word, ww_one_space, "line_break", "line break"),
    (checks.diagnose_whole_word, ww_no_escape, "no_escape", "re.escape"),
    (checks.diagnose_whole_word, ww_match, "match_object", "is not None"),
    (checks.diagnose_whole_word, ww_backspace, "never_matches", "raw string"),
    (checks.diagnose_whole_word, ww_not_false, "always_matches", "is not None"),
    (checks.diagnose_gate_route, gr_strict, "strict", ">="),
    (checks.diagnose_gate_route, gr_no_rules, "ignores_rules", "rules_matched == 0"),
    (checks.diagnose_gate_route, gr_bool, "returns_bool", "not True/False"),
    (checks.diagnose_gate_route, gr_inverted, "inverted", "wrong way"),
    (checks.diagnose_gate_route, gr_percent, "percent_scale", "× 100"),
    (checks.diagnose_gate_route, gr_or, "or_instead_of_and", "and, not or"),
    (checks.diagnose_gate_route, gr_two_rules, "needs_two_rules", "one matched rule"),
    (checks.diagnose_gate_route, gr_threshold_percent, "never_auto", "0 to 1"),
    (checks.diagnose_gate_route, gr_fixed, "ignores_threshold", "threshold you are given"),
    (checks.diagnose_gate_route, gr_placeholder, "constant", "every ticket the same way"),
    (checks.diagnose_due_24x7, d_naive, "naive", "time zone"),
    (checks.diagnose_due_24x7, d_fromtimestamp, "naive", "time zone"),
    (checks.diagnose_due_24x7, d_hours_as_days, "unit", "no conversion"),
    (checks.diagnose_due_24x7, d_minutes_as_hours, "unit", "no conversion"),
    (checks.diagnose_due_24x7, d_replace, "replace_fields", "midnight"),
    (checks.diagnose_due_24x7, d_text, "text", "not its text"),
    (checks.diagnose_due_24x7, d_minus, "subtract", "add the target"),
    (checks.diagnose_due_24x7, d_whole_hours, "whole_hours", "minutes"),
    (checks.diagnose_due_business_hours, bh_plain, "clock_never_stops", "never closed"),
    (checks.diagnose_due_business_hours, bh_default, "default_hours", "09:00–17:00"),
    (checks.diagnose_due_business_hours, bh_no_weekend, "weekend_open", "Saturday and Sunday"),
    (checks.diagnose_due_business_hours, bh_saturday, "weekend_open", "Saturday and Sunday"),
    (checks.diagnose_due_business_hours, bh_from_creation, "before_opening", "before 08:00"),
    (checks.diagnose_due_business_hours, bh_midnight, "night_counts", "midnight"),
    (checks.diagnose_due_business_hours, bh_naive, "naive", "time zone"),
    (checks.diagnose_due_business_hours, bh_seconds, "unit", "HOURS"),
    (checks.diagnose_due_business_hours, bh_days, "unit", "HOURS"),
    (checks.diagnose_next_tier, nt_index_error, "off_the_end", "last stop"),
    (checks.diagnose_next_tier, nt_dict, "off_the_end", "last stop"),
    (checks.diagnose_next_tier, nt_get, "off_the_end", "last stop"),
    (checks.diagnose_next_tier, nt_wrap, "wraps_around", "start again"),
    (checks.diagnose_next_tier, nt_same, "same_tier", "ABOVE"),
    (checks.diagnose_next_tier, nt_hard_coded, "constant", "same answer"),
    (checks.diagnose_next_tier, nt_lower, "spelling", "exactly"),
    (checks.diagnose_next_tier, nt_number, "index_not_name", "name"),
    (checks.diagnose_next_tier, nt_down, "goes_down", "below"),
    (checks.diagnose_next_tier, nt_skip, "skips_a_tier", "one tier"),
    (checks.diagnose_linked, ln_minutes, "window_minutes", "both seconds"),
    (checks.diagnose_linked, ln_strict, "strict", "<="),
    (checks.diagnose_linked, ln_one_way, "one_direction", "both ways"),
    (checks.diagnose_linked, ln_no_same, "same_service", "same service"),
    (checks.diagnose_linked, ln_no_abs, "no_abs", "abs("),
    (checks.diagnose_linked, ln_brackets, "key_error", ".get("),
    (checks.diagnose_linked, ln_transitive, "transitive", "DIRECT"),
    (checks.diagnose_linked, ln_time_only, "time_only", "not enough"),
    (checks.diagnose_linked, ln_no_time, "ignores_time", "window_s"),
    (checks.diagnose_linked, ln_placeholder, "constant", "same answer"),
]


def _blank(*args):
    # your code here
    pass


def _not_implemented(*args):
    raise NotImplementedError


# ----------------------------------------------------------------------------- tests


@pytest.mark.parametrize("check,diagnose,solution", RIGHT, ids=IDS)
def test_a_right_answer_passes_in_one_line(capsys, check, diagnose, solution):
    assert check(solution) is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and re.fullmatch(r"✓ \w+: all \d+ cases pass\n", out)
    verdict = diagnose(solution)
    assert verdict.passed and verdict.mistake is None and str(verdict) == out.strip()


@pytest.mark.parametrize("check,diagnose,solution", RIGHT, ids=IDS)
@pytest.mark.parametrize("starter", [_blank, _not_implemented], ids=["pass", "NotImplementedError"])
def test_the_blank_starter_is_not_written_yet(capsys, check, diagnose, solution, starter):
    assert check(starter) is None                      # no exception: Run All carries on
    out = capsys.readouterr().out
    assert out.startswith("✗ ") and "not written yet" in out and "Where to start:" in out
    assert len(out.splitlines()) <= 4 and "Traceback" not in out
    assert diagnose(starter).mistake == "blank"


@pytest.mark.parametrize("diagnose,attempt,mistake,words", LEARNERS,
                         ids=[f"{a.__name__}-{m}" for _, a, m, _ in LEARNERS])
def test_a_learners_attempt_gets_the_hint_that_names_its_mistake(diagnose, attempt, mistake, words):
    verdict = diagnose(attempt)
    assert not verdict.passed
    assert verdict.mistake == mistake, str(verdict)
    hint = verdict.lines[-1]
    assert hint.startswith("  Hint: ") and words in hint, str(verdict)


def test_every_exercise_has_at_least_five_learner_attempts_with_distinct_mistakes():
    for name in EXERCISES:
        diagnose = getattr(checks, f"diagnose_{name}")
        mistakes = {m for d, _, m, _ in LEARNERS if d is diagnose}
        assert len(mistakes) >= 5, name
        assert mistakes <= {m.key for m in EXERCISES[name].mistakes}


def test_the_split_attempt_is_told_about_punctuation_not_case():
    """The hint that used to point the wrong way ("ignore case") for an attempt that already lower-cases."""
    out = str(checks.diagnose_whole_word(ww_split))
    assert "punctuation" in out and "case" not in out.split("Hint:")[1]


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_catalogue_is_consistent(name):
    """Every wrong implementation in the catalogue fails, is recognised as itself, and no right answer matches one."""
    ex = EXERCISES[name]
    assert len(ex.mistakes) >= 5
    assert len({m.key for m in ex.mistakes}) == len(ex.mistakes)
    for m in ex.mistakes:
        assert (m.wrong is None) != (m.signature is None), m.key
        if m.wrong is not None:
            verdict = checks.diagnose(ex, m.wrong)
            assert not verdict.passed and verdict.mistake == m.key, (m.key, str(verdict))


def _shown(verdict, ex):
    case = ex.cases[verdict.case]
    got = verdict.outcomes[verdict.case]
    return {checks._show(a) for a in case.args} | {checks._show(case.expected), checks._show(got.value)}


def _all_failures():
    for diagnose, attempt, _, _ in LEARNERS:
        yield diagnose, attempt
    for _, diagnose, _ in RIGHT:
        yield diagnose, _blank
        yield diagnose, lambda *args: 1 / 0


@pytest.mark.parametrize("diagnose,attempt", list(_all_failures()))
def test_a_failure_is_short_and_keeps_the_other_answers_to_itself(capsys, diagnose, attempt):
    verdict = diagnose(attempt)
    ex = EXERCISES[verdict.exercise]
    getattr(checks, f"check_{verdict.exercise}")(attempt)
    out = capsys.readouterr().out
    assert out == str(verdict) + "\n"
    assert out.startswith("✗ ") and len(out.splitlines()) <= 4
    assert "Traceback" not in out and 'File "' not in out
    shown = _shown(verdict, ex) if verdict.case is not None else set()
    for i, case in enumerate(ex.cases):
        answer = checks._show(case.expected)
        if i != verdict.case and answer not in shown:
            assert answer not in out, f"case {i}'s answer {answer} printed"


def test_a_crash_is_one_line_with_the_exception():
    verdict = checks.diagnose_next_tier(lambda tier: 1 / 0)
    assert not verdict.passed and verdict.lines[1].endswith("raised ZeroDivisionError: division by zero; "
                                                           "this case expects 'L2'.")
    assert len(verdict.lines) == 3 and verdict.lines[2].startswith("  Hint: the error is in your code")


def test_a_known_crash_gets_its_own_hint():
    verdict = checks.diagnose_next_tier(nt_index_error)
    assert "raised IndexError: list index out of range" in verdict.lines[1] and "next_tier('IC')" in verdict.lines[1]


def test_passing_the_result_instead_of_the_function(capsys):
    checks.check_whole_word(whole_word("down", "site down"))
    out = capsys.readouterr().out
    assert out.startswith("✗ whole_word: expected your function, got True") and "check_whole_word(whole_word)" in out


def test_an_attempt_that_changes_its_input_spoils_nothing():
    def greedy(a, b, topology, window_s):
        topology.clear()
        return False
    checks.diagnose_linked(greedy)
    assert checks.diagnose_linked(linked).passed


def test_a_missing_return_on_one_path_is_named():
    def forgot(confidence, threshold, rules_matched):
        if rules_matched == 0:
            "human"                                      # noqa: B018 (the learner's slip)
        else:
            return "auto" if confidence >= threshold else "human"
    verdict = checks.diagnose_gate_route(forgot)
    assert "returned None" in verdict.lines[1] and "without `return`" in verdict.lines[2]


def test_raise_if_failed_for_scripts():
    with pytest.raises(ExerciseFailed, match="not written yet"):
        checks.diagnose_next_tier(_blank).raise_if_failed()
    checks.diagnose_next_tier(next_tier).raise_if_failed()


def test_diagnosing_twice_gives_the_same_verdict():
    """Deterministic: the same attempt, the same lines."""
    for diagnose, attempt, _, _ in LEARNERS:
        assert diagnose(attempt).lines == diagnose(attempt).lines
