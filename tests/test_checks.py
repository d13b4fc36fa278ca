"""The exercise checkers: pass on a right answer, fail with a useful message on wrong ones."""
import re
from datetime import timedelta

import pandas as pd
import pytest

from desklib import checks
from desklib.checks import ExerciseFailed


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
    (checks.check_whole_word, whole_word),
    (checks.check_gate_route, gate_route),
    (checks.check_due_24x7, due_24x7),
    (checks.check_due_business_hours, due_business_hours),
    (checks.check_next_tier, next_tier),
    (checks.check_linked, linked),
]


@pytest.mark.parametrize("check,solution", RIGHT, ids=[c.__name__ for c, _ in RIGHT])
def test_right_answers_pass(capsys, check, solution):
    assert check(solution) > 0
    assert capsys.readouterr().out.startswith("✓ ")


@pytest.mark.parametrize("check", [c for c, _ in RIGHT], ids=[c.__name__ for c, _ in RIGHT])
def test_empty_starter_fails_with_a_hint(check):
    def starter(*args):
        pass  # your code here
    with pytest.raises(ExerciseFailed, match="forget `return`.*Hint"):
        check(starter)


WRONG = [
    (checks.check_whole_word, lambda k, t: k in t.lower(), "download"),
    (checks.check_whole_word, lambda k, t: k in t, "ignore case"),
    (checks.check_whole_word, lambda k, t: re.search(rf"\b{re.escape(k)}\b", t.lower()) is not None, "line break"),
    (checks.check_gate_route, lambda c, th, n: "auto" if c > th else "human", ">="),
    (checks.check_gate_route, lambda c, th, n: "auto" if c >= th else "human", "no rule matched"),
    (checks.check_due_business_hours, lambda c, t: c + t, "next morning"),
    (checks.check_next_tier, lambda t: {"L1": "L2", "L2": "L3", "L3": "IC"}[t], "IC"),
    (checks.check_linked, lambda a, b, topo, w: abs(a["ts"] - b["ts"]) <= w, "only direct dependencies"),
    (checks.check_linked, lambda a, b, topo, w: abs(a["ts"] - b["ts"]) <= w and (a["service"] == b["service"] or b["service"] in topo.get(a["service"], [])), "both directions"),
]


@pytest.mark.parametrize("check,wrong,hint", WRONG)
def test_wrong_answers_fail_with_the_right_hint(check, wrong, hint):
    with pytest.raises(ExerciseFailed, match=re.escape(hint)):
        check(wrong)


def test_a_crash_is_reported_not_raised():
    with pytest.raises(ExerciseFailed, match="raised ZeroDivisionError"):
        checks.check_next_tier(lambda t: 1 / 0)
