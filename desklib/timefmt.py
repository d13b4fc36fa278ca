"""Timestamps as exports write them, read into timezone-aware UTC.

Exports write time in many ways: Zendesk and Alertmanager ISO-8601 with an offset,
Jira ``30/Sep/21 5:20 PM`` and ServiceNow ``2021-09-30 17:20:00`` with none. A format
is written the way those products document it (Java's date patterns)::

    dd/MMM/yy h:mm a     ->  30/Sep/21 5:20 PM
    yyyy-MM-dd HH:mm:ss  ->  2021-09-30 17:20:00

and ``iso`` means ISO-8601. Month names are English whatever the machine's locale.

A time without an offset is wall-clock time somewhere: it needs a zone (an IANA name
such as ``Europe/Berlin``). In the hour a daylight-saving change skips or repeats, the
wall-clock time is read with ``fold=0`` (the offset in force before the change) and
:func:`to_utc` says so, so the caller can report it.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["resolve_tz", "compile_format", "parse_local", "parse_iso", "to_utc", "ZERO_TIME"]

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
ZERO_TIME = datetime(1, 1, 1, tzinfo=timezone.utc)   # Go's zero time: Alertmanager's "not set"

# Java pattern letter run -> (regex, group name). Longest runs first.
_TOKENS = [
    ("yyyy", r"(?P<year>\d{4})"), ("yy", r"(?P<yy>\d{2})"),
    ("MMMM", r"(?P<month_name>[A-Za-z]{3,9})"), ("MMM", r"(?P<month_abbr>[A-Za-z]{3})"),
    ("MM", r"(?P<month>\d{1,2})"), ("M", r"(?P<month>\d{1,2})"),
    ("dd", r"(?P<day>\d{1,2})"), ("d", r"(?P<day>\d{1,2})"),
    ("HH", r"(?P<hour>\d{1,2})"), ("H", r"(?P<hour>\d{1,2})"),
    ("hh", r"(?P<hour12>\d{1,2})"), ("h", r"(?P<hour12>\d{1,2})"),
    ("mm", r"(?P<minute>\d{2})"), ("ss", r"(?P<second>\d{2})"),
    ("SSS", r"(?P<millis>\d{3})"), ("a", r"(?P<ampm>[AaPp][Mm])"),
]
_LETTERS = re.compile(r"([A-Za-z])\1*")


@lru_cache(maxsize=64)
def compile_format(pattern: str) -> re.Pattern:
    """A Java-style date pattern -> an anchored regex; ValueError for letters it does not know."""
    out, pos = [], 0
    for m in _LETTERS.finditer(pattern):
        out.append(re.escape(pattern[pos:m.start()]).replace(r"\ ", r"\s+").replace(" ", r"\s+"))
        run = m.group(0)
        for token, regex in _TOKENS:
            if run == token:
                out.append(regex)
                break
        else:
            raise ValueError(f"unknown pattern letters '{run}' in date format '{pattern}' "
                             "(use yyyy yy MMM MM dd HH h mm ss SSS a)")
        pos = m.end()
    out.append(re.escape(pattern[pos:]))
    try:
        return re.compile(r"\s*" + "".join(out) + r"\s*\Z")
    except re.error:
        raise ValueError(f"date format '{pattern}' uses a field twice") from None


def parse_local(text: str, pattern: str) -> datetime | None:
    """Text in a Java-style pattern -> naive datetime, or None when it does not match."""
    m = compile_format(pattern).match(text)
    if not m:
        return None
    g = m.groupdict()
    if g.get("year"):
        year = int(g["year"])
    elif g.get("yy"):
        year = 2000 + int(g["yy"])            # two-digit years: this century, as Jira means them
    else:
        return None
    name = (g.get("month_abbr") or g.get("month_name") or "").lower()
    if name:
        if name in MONTHS:
            month = MONTHS.index(name) + 1
        elif name in _FULL:
            month = _FULL.index(name) + 1
        else:
            return None
    else:
        month = int(g["month"]) if g.get("month") else None
    if month is None or not g.get("day"):
        return None
    if g.get("hour12"):
        hour = int(g["hour12"])
        if not 1 <= hour <= 12 or not g.get("ampm"):
            return None
        hour = hour % 12 + (12 if g["ampm"].lower() == "pm" else 0)
    else:
        hour = int(g.get("hour") or 0)
    try:
        return datetime(year, month, int(g["day"]), hour, int(g.get("minute") or 0),
                        int(g.get("second") or 0), int(g.get("millis") or 0) * 1000)
    except ValueError:
        return None


_FULL = ("january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december")


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_iso(text: str) -> datetime | None:
    """ISO-8601 / RFC 3339 text -> datetime (aware if it has an offset, else naive), or None.

    Nanoseconds (Go writes them) are cut to microseconds; ``z`` is read as ``Z``.
    """
    t = text.strip()
    if t[-1:] == "z":
        t = t[:-1] + "Z"
    if "." in t:
        t = _FRACTION.sub(r"\1", t)
    try:
        return datetime.fromisoformat(t)
    except ValueError:
        return None


def resolve_tz(name: str | tzinfo | None) -> tzinfo | None:
    """An IANA zone name -> tzinfo; None stays None; ValueError with one line otherwise."""
    if name is None or isinstance(name, tzinfo):
        return name
    if not isinstance(name, str) or not name.strip():
        raise ValueError("--tz: expected an IANA time zone name such as Europe/Berlin or UTC")
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"--tz '{name}': unknown time zone (an IANA name such as Europe/Berlin, "
                         "America/New_York or UTC)") from None


def to_utc(naive: datetime, tz: tzinfo) -> tuple[datetime, str | None]:
    """Wall-clock time in ``tz`` -> (aware UTC, None) or (aware UTC, 'skipped'|'repeated').

    A time the clocks skip (spring forward) or pass twice (fall back) is read with
    ``fold=0``: the offset in force before the change. The second value names which.
    """
    local = naive.replace(tzinfo=tz, fold=0)
    utc = local.astimezone(timezone.utc)
    other = naive.replace(tzinfo=tz, fold=1)
    if local.utcoffset() == other.utcoffset():
        return utc, None
    back = utc.astimezone(tz).replace(tzinfo=None)
    return utc, ("skipped" if back != naive else "repeated")
