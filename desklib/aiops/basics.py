"""The vocabulary every stage shares: the window, the kinds of link, severities, the
topology check and the sentences the reasons are written in.

Both paths (the from-scratch stages ``s1_normalize.py`` ... ``s5_explain.py`` and the
columnar ``engine.py``) speak it, so a reason reads the same whichever path wrote it.
"""
from __future__ import annotations

import re
from datetime import timedelta

#: Two alerts further apart than this (seconds) are never linked. See "Choosing the window".
DEFAULT_WINDOW_S = 300
#: The windows :func:`window_sweep` tries when none are given.
DEFAULT_SWEEP = (30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 3600)
#: Worst first: an incident's severity is its worst alert's.
SEVERITIES = ("critical", "warning", "info")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}

# How an alert is linked to an earlier one. The order is the order of preference when an
# alert could join through several links: a dependency explains a symptom best. The last
# two go through services that did not alert (``hops`` > 1): UP from the alert on the
# dependant side to an earlier one upstream, DOWN from the upstream side to an earlier
# alert downstream.
DEPENDS_ON, SAME_SERVICE, DEPENDED_ON, TIME_ONLY, THROUGH_UP, THROUGH_DOWN = range(6)

#: How many dependency edges a link may span through services that did not alert; 1 is
#: the direct rule. See "Silent services" in ``__init__.py``.
DEFAULT_HOPS = 2
#: At most this many paths through services between, over a whole topology: the paths grow
#: about exponentially with ``hops`` (every branch of every route), so a large ``hops`` on a
#: large topology is refused in one line instead of filling the memory.
MAX_SILENT_PATHS = 200_000

_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_window(value: str | int) -> int:
    """A window as seconds: ``"300"``, ``"300s"``, ``"5m"``, ``"1h"``, ``"1m30s"`` or an int.

    >>> parse_window("5m"), parse_window("300s"), parse_window("1h"), parse_window(90)
    (300, 300, 3600, 90)
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"window {value}: must be 0 or more seconds")
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit():
            return int(text)
        match = _DURATION.fullmatch(text)
        if text and match and any(match.groups()):
            hours, minutes, seconds = (int(g or 0) for g in match.groups())
            return hours * 3600 + minutes * 60 + seconds
    raise ValueError(f"window {value!r}: expected seconds or a duration such as "
                     "'300', '300s', '5m', '1h' or '1m30s'")


def parse_hops(value) -> int:
    """``hops`` as a whole number from 1 (``"2"`` or 2)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise ValueError(f"hops {value!r}: expected a whole number of dependency edges, 1 or more")


def checked_topology(topology):
    """``topology`` as checked plain data (:func:`desklib.policy.check_topology`), or None."""
    if topology is None:
        return None
    from ..policy import check_topology
    return check_topology(topology, "topology")


def seconds(ticks: int, per_s: int = 1_000_000) -> str:
    """A gap of ``ticks`` (``per_s`` of them a second) as seconds: ``"240"`` or ``"0.5"``."""
    whole, rest = divmod(ticks, per_s)
    if not rest:
        return str(whole)
    digits = len(str(per_s)) - 1
    return f"{whole}.{rest:0{digits}d}".rstrip("0")


def gap(later, earlier) -> str:
    """The time between two datetimes as seconds, exactly (:func:`seconds`)."""
    return seconds((later - earlier) // timedelta(microseconds=1))


# ----------------------------------------------------------------------------- reasons

FIRST = "first alert of the incident"


def duplicate_reason(original_id: str) -> str:
    return f"duplicate of {original_id}"


def opened_reason(later_id: str, gap_s: str) -> str:
    return f"opened a chain of its own; {later_id} linked it to the incident {gap_s} s later"


def link_reason(kind: int, here: str, there: str, other_id: str, gap_s: str, via: tuple = ()) -> str:
    """Why an alert on ``here`` joined through alert ``other_id`` on ``there`` (``via``: the
    silent services in between, from the dependant side)."""
    if kind in (THROUGH_UP, THROUGH_DOWN):
        low, high = (here, there) if kind == THROUGH_UP else (there, here)
        path = " → ".join([low, *(f"{m} (no alerts)" for m in via), high])
        return f"{path}; {gap_s} s after {other_id}"
    if kind == DEPENDS_ON:
        return f"{here} depends on {there}; {gap_s} s after {other_id}"
    if kind == SAME_SERVICE:
        return f"same service as {other_id}; {gap_s} s after"
    if kind == DEPENDED_ON:
        return f"{there} depends on {here}; {gap_s} s after {other_id}"
    return f"{gap_s} s after {other_id} (time window only)"
