"""Exact alert time: integer microseconds, the window compared exactly, every year 1..9999.

A gap equal to the window links (as before: ``gap <= window``); a microsecond more does
not. Seconds are no longer cut to whole ones, so 300.999 s apart is *not* within 300 s.
"""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from desklib import aiops
from desklib.records import Alert

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
NO_RUNBOOKS = aiops.Runbooks()


def alert(aid, ts, service="db", name="Down", **labels) -> Alert:
    return Alert(id=aid, ts=ts, service=service, name=name, severity="critical", labels=labels)


def incidents(alerts, window=300, topology=None):
    return [set(inc.alert_ids) for inc in aiops.correlate(alerts, topology, window, runbooks=NO_RUNBOOKS).incidents]


@pytest.mark.parametrize("gap, linked", [
    (timedelta(seconds=300), True),                          # exactly the window: linked
    (timedelta(seconds=300) - US, True),
    (timedelta(seconds=300) + US, False),                    # a microsecond more: not
    (timedelta(seconds=300, milliseconds=999), False),       # was linked when seconds were cut
    (timedelta(seconds=300, milliseconds=1), False),
])
def test_the_window_is_compared_to_the_microsecond(gap, linked):
    pair = [alert("x", T0, instance="1"), alert("y", T0 + gap, instance="2")]
    assert (len(incidents(pair)) == 1) is linked
    assert (len(aiops.group(pair, None, 300)) == 1) is linked


def test_repeats_are_compared_to_the_microsecond_too():
    same = [alert("x", T0), alert("y", T0 + timedelta(seconds=300) + US)]
    assert aiops.dedup(same, 300) == {}
    assert aiops.dedup([alert("x", T0), alert("y", T0 + timedelta(seconds=300))], 300) == {"y": "x"}


def test_a_gap_that_is_not_whole_seconds_is_explained_exactly():
    why = aiops.correlate([alert("x", T0, i="1"), alert("y", T0 + timedelta(seconds=12, microseconds=500_000), i="2")],
                          None, 300, runbooks=NO_RUNBOOKS).incidents[0].why
    assert why["y"] == "12.5 s after x (time window only)"


@pytest.mark.parametrize("when", [datetime(1, 1, 1, tzinfo=UTC), datetime(2300, 6, 1, tzinfo=UTC),
                                  datetime(9999, 12, 31, 23, 0, tzinfo=UTC)])
def test_alerts_a_microsecond_apart_keep_their_order_in_any_year(when):
    # ids in the opposite order of time: a float epoch would tie them and sort by id
    later, earlier = alert("a", when + US, i="1"), alert("b", when, i="2")
    assert [a.id for a in aiops.normalize([later, earlier])] == ["b", "a"]
    result = aiops.correlate([later, earlier], None, 0, runbooks=NO_RUNBOOKS)
    assert [inc.alert_ids for inc in result.incidents] == [("b",), ("a",)]


def test_years_1_to_9999_order_and_stay_apart():
    first, last = datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    storm = [alert("z", last), alert("y", last - US), alert("x", first + US), alert("w", first)]
    assert [a.id for a in aiops.normalize(storm)] == ["w", "x", "y", "z"]
    assert incidents(storm) == [{"w", "x"}, {"y", "z"}]


@st.composite
def microsecond_storms(draw):
    n = draw(st.integers(0, 14))
    base = draw(st.sampled_from([T0, datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)]))
    offsets = st.integers(0, 3_000_000) | st.sampled_from([0, 1_000_000, 2_000_000, 1_999_999, 1_000_001])
    return [alert(f"x{i:02d}", base + US * draw(offsets), draw(st.sampled_from(["db", "web"])),
                  i=draw(st.sampled_from("01"))) for i in range(n)]


@settings(max_examples=150, deadline=None)
@given(microsecond_storms(), st.sampled_from([0, 1, 2]))
def test_grouping_matches_the_pairwise_definition_to_the_microsecond(storm, window):
    parent = {a.id: a.id for a in storm}

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x
    for a, b in itertools.combinations(storm, 2):
        if abs(a.ts - b.ts) <= timedelta(seconds=window):
            parent[find(a.id)] = find(b.id)
    want = {}
    for a in storm:
        want.setdefault(find(a.id), set()).add(a.id)
    got = {frozenset(a.id for a in g) for g in aiops.group(storm, None, window)}
    assert got == {frozenset(g) for g in want.values()}
