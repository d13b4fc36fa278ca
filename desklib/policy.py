"""Reading policy files: every value checked, every mistake answered in one line.

Learners are invited to edit the policies in ``fixtures/`` (keyword rules, the gate,
SLA targets and tiers, runbook keys, the topology), so a broken policy is an everyday
input. Every loader reads its file through a :class:`PolicyFile` and asks for each
value by what it must be: a table, a list of tables, a number in a range, text, a
list of text, a duration, a clock time. A wrong value raises :class:`PolicyError`
(an :class:`~desklib.records.InputError`) naming the file, the key and what was
expected::

    triage_rules.toml: [[rules]] #3 'degradation': weight: expected a number in (0, 1000], got 1e+308
    triage_rules.toml:28: TOML syntax: Expected '=' after a key in a key/value pair (column 6)
    sla_policy.toml: [tiers.L1]: start: expected a time like "08:00", got 8
    runbooks.toml: default: expected text, got 5

A key the loader does not know is refused too (``wieght = 2`` would otherwise leave the
weight at its default without a word).
"""
from __future__ import annotations

import math
import re
import tomllib
from datetime import time, timedelta
from pathlib import Path
from typing import Any, Iterable, Mapping

from .records import InputError

__all__ = ["PolicyError", "PolicyFile", "policy_path", "check_topology", "describe"]

_MISSING = object()


class PolicyError(InputError):
    """A policy file that cannot be used, with the file, the key and what was expected."""


def describe(value: Any) -> str:
    """A short, one-line picture of a value for an error message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table" if value else "an empty table"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def policy_path(path: str | Path | None, default_name: str) -> Path:
    """``path``, or the fixture ``default_name``; a missing file is a :class:`PolicyError`."""
    if path is None:
        from .data import fixtures_dir
        try:
            folder = fixtures_dir()
        except Exception as exc:          # pragma: no cover - a broken environment
            raise PolicyError(f"{default_name}: cannot find the fixtures folder ({exc})") from None
        path = Path(folder) / default_name
        if not path.is_file():
            raise PolicyError(f"{default_name}: not found in {folder} "
                              "(set DESKLIB_FIXTURES to a folder holding the policy files)")
        return path
    path = Path(path)
    if not path.is_file():
        raise PolicyError(f"{path.name or path}: no such policy file ({path})")
    return path


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


class PolicyFile:
    """One policy file being read: knows its name, so every error can say where.

    ``where`` arguments name the place in the file the way a learner reads it:
    ``"[scoring]"``, ``"[[rules]] #3 'outage'"``, ``"[tiers.L1]"``.
    """

    def __init__(self, name: str):
        self.name = name

    # -- reading -----------------------------------------------------------------

    @classmethod
    def toml(cls, path: str | Path | None, default_name: str) -> tuple["PolicyFile", dict]:
        """Read a TOML policy: ``(reader, document)``, or a one-line :class:`PolicyError`."""
        path = policy_path(path, default_name)
        reader = cls(path.name)
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PolicyError(f"{path.name}: not UTF-8 text (byte {exc.start})") from None
        except OSError as exc:
            raise PolicyError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
        try:
            return reader, tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            found = _TOML_WHERE.search(message)
            if found:
                line, column = found.groups()
                raise PolicyError(f"{path.name}:{line}: TOML syntax: "
                                  f"{message[:found.start()]} (column {column})") from None
            raise PolicyError(f"{path.name}: TOML syntax: {message}") from None
        except RecursionError:
            raise PolicyError(f"{path.name}: TOML syntax: nested too deeply") from None

    # -- errors ------------------------------------------------------------------

    def fail(self, where: str, problem: str) -> PolicyError:
        where = f" {where}:" if where else ""
        return PolicyError(f"{self.name}:{where} {problem}")

    def expected(self, where: str, key: str | None, what: str, got: Any) -> PolicyError:
        spot = f"{where} {key}" if key and where else (key or where)
        return self.fail(spot, f"expected {what}, got {describe(got)}")

    # -- shapes ------------------------------------------------------------------

    def known(self, table: Mapping, keys: Iterable[str], where: str) -> None:
        """Refuse keys the loader does not read (a misspelling would otherwise go unseen)."""
        keys = tuple(keys)
        unknown = sorted(k for k in table if k not in keys)
        if unknown:
            raise self.fail(where or "top level", f"unknown key {unknown[0]!r} "
                            f"(expected one of: {', '.join(keys)})")

    def table(self, parent: Mapping, key: str, where: str, required: bool = True) -> dict:
        """``parent[key]`` as a table (``{}`` when optional and absent)."""
        value = parent.get(key, _MISSING)
        if value is _MISSING:
            if required:
                raise self.fail(where, f"missing table [{key}]")
            return {}
        if not isinstance(value, dict):
            raise self.expected(where, f"[{key}]" if not where else key, "a table", value)
        return value

    def list_of_tables(self, parent: Mapping, key: str, where: str = "") -> list[dict]:
        """``parent[key]`` as a non-empty array of tables (``[[key]]`` in TOML)."""
        value = parent.get(key, _MISSING)
        if value is _MISSING:
            raise self.fail(where, f"no [[{key}]] found")
        if isinstance(value, dict):
            raise self.fail(where, f"[{key}] is one table; write each entry as [[{key}]]")
        if not isinstance(value, list) or not value:
            raise self.expected(where, key, f"a list of [[{key}]] tables", value)
        for n, item in enumerate(value, start=1):
            if not isinstance(item, dict):
                raise self.expected(where, f"{key} #{n}", "a table", item)
        return value

    def number(self, table: Mapping, key: str, where: str, low: float, high: float, *,
               default: Any = _MISSING, low_open: bool = False, integer: bool = False) -> float:
        """A finite number in ``[low, high]`` (``(low, high]`` if ``low_open``)."""
        value = table.get(key, default)
        opening = "(" if low_open else "["
        what = f"{'a whole number' if integer else 'a number'} in {opening}{_num(low)}, {_num(high)}]"
        if value is _MISSING:
            raise self.fail(where, f"{key}: missing (expected {what})")
        ok = (not isinstance(value, bool) and isinstance(value, (int, float))
              and (not integer or isinstance(value, int)))
        if ok:
            try:
                ok = math.isfinite(value) and (low < value if low_open else low <= value) and value <= high
            except OverflowError:      # an int too large for a float
                ok = False
        if not ok:
            raise self.fail(where, f"{key}: expected {what}, got {describe(value)}")
        return value if integer else float(value)

    def text(self, table: Mapping, key: str, where: str, *, default: Any = _MISSING,
             choices: Iterable[str] | None = None, empty: bool = False) -> str:
        """Text (not empty unless ``empty``), one of ``choices`` if given."""
        value = table.get(key, default)
        choices = tuple(choices) if choices is not None else None
        what = f"one of {', '.join(choices)}" if choices else "text"
        if value is _MISSING:
            raise self.fail(where, f"{key}: missing (expected {what})")
        if not isinstance(value, str) or (choices and value not in choices):
            raise self.fail(where, f"{key}: expected {what}, got {describe(value)}")
        if not empty and not value.strip():
            raise self.fail(where, f"{key}: expected {what}, got empty text")
        return value

    def list_of_text(self, table: Mapping, key: str, where: str, *, default: Any = _MISSING,
                     nonempty: bool = True, choices: Iterable[str] | None = None) -> list[str]:
        """A list of non-empty text items (at least one unless ``nonempty=False``)."""
        value = table.get(key, default)
        choices = tuple(choices) if choices is not None else None
        what = "a list of text" + (f" from {', '.join(choices)}" if choices else "")
        if value is _MISSING:
            raise self.fail(where, f"{key}: missing (expected {what})")
        if not isinstance(value, list):
            raise self.fail(where, f"{key}: expected {what}, got {describe(value)}")
        if nonempty and not value:
            raise self.fail(where, f"{key}: expected {what}, got an empty list")
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip() or (choices and item not in choices):
                raise self.fail(where, f"{key}[{i}]: expected {'one of ' + ', '.join(choices) if choices else 'non-empty text'}, "
                                       f"got {describe(item)}")
        return value

    def list_of_numbers(self, table: Mapping, key: str, where: str, low: float, high: float, *,
                        default: Any = _MISSING, open_: bool = True) -> list[float]:
        """A list of finite numbers strictly between ``low`` and ``high`` (``open_``)."""
        value = table.get(key, default)
        what = f"a list of numbers between {_num(low)} and {_num(high)}"
        if value is _MISSING:
            raise self.fail(where, f"{key}: missing (expected {what})")
        if not isinstance(value, list):
            raise self.fail(where, f"{key}: expected {what}, got {describe(value)}")
        out = []
        for i, item in enumerate(value):
            ok = not isinstance(item, bool) and isinstance(item, (int, float))
            if ok:
                try:
                    ok = math.isfinite(item) and ((low < item < high) if open_ else (low <= item <= high))
                except OverflowError:
                    ok = False
            if not ok:
                raise self.fail(where, f"{key}[{i}]: expected a number between {_num(low)} and "
                                       f"{_num(high)}, got {describe(item)}")
            out.append(float(item))
        return out

    def duration(self, table: Mapping, key: str, where: str, *, maximum: timedelta = timedelta(days=3650)
                 ) -> timedelta:
        """A positive duration written as text pandas reads: ``"15min"``, ``"4h"``, ``"1h30min"``."""
        raw = table.get(key, _MISSING)
        what = 'a duration like "4h" or "15min"'
        if raw is _MISSING:
            raise self.fail(where, f"{key}: missing (expected {what})")
        if not isinstance(raw, str) or not raw.strip():
            raise self.fail(where, f"{key}: expected {what}, got {describe(raw)}")
        import pandas as pd  # only needed to parse "15min"-style text
        try:
            value = pd.Timedelta(raw)
            if value is pd.NaT:
                raise ValueError("not a time")
            value = value.to_pytimedelta()
        except (ValueError, OverflowError, TypeError) as exc:
            raise self.fail(where, f"{key}: cannot read duration {raw!r} ({exc})") from None
        if value <= timedelta(0):
            raise self.fail(where, f"{key}: a target must be positive, got {raw!r}")
        if value > maximum:
            raise self.fail(where, f"{key}: expected at most {maximum.days} days, got {raw!r}")
        return value

    def clock_time(self, table: Mapping, key: str, where: str) -> time:
        """A wall-clock time ``"HH:MM"``."""
        raw = table.get(key, _MISSING)
        if raw is _MISSING:
            raise self.fail(where, f'{key}: missing (expected a time like "08:00")')
        if isinstance(raw, str) and re.fullmatch(r"\d\d:\d\d", raw):
            try:
                return time.fromisoformat(raw)
            except ValueError:
                pass
        raise self.fail(where, f'{key}: expected a time like "08:00", got {describe(raw)}')


def _num(x: float) -> str:
    if x == math.inf:
        return "inf"
    return f"{x:g}"


def check_topology(obj: Any, name: str = "topology") -> dict[str, tuple[str, ...]]:
    """A topology ``{service: [services it depends on]}``, checked, as sorted tuples.

    Refuses what would otherwise be read wrongly: ``{"web": "orders"}`` (text is not a
    list: it would be read letter by letter), non-text names, empty names. A service
    depending on itself is dropped (that is no dependency). Raises :class:`PolicyError`
    naming ``name`` (the file) and the service.
    """
    if not isinstance(obj, Mapping):
        raise PolicyError(f"{name}: expected an object of service -> [services it depends on], "
                          f"got {describe(obj) if not isinstance(obj, (list, tuple)) else 'a list'}")
    out: dict[str, tuple[str, ...]] = {}
    for service, deps in obj.items():
        if not isinstance(service, str) or not service.strip():
            raise PolicyError(f"{name}: service {describe(service)}: expected a non-empty service name")
        if isinstance(deps, (str, bytes)) or not isinstance(deps, (list, tuple)):
            hint = f' (write ["{deps}"] for one service)' if isinstance(deps, str) else ""
            raise PolicyError(f"{name}: service '{service}': expected a list of services it depends on, "
                              f"got {describe(deps)}{hint}")
        for i, dep in enumerate(deps):
            if not isinstance(dep, str) or not dep.strip():
                raise PolicyError(f"{name}: service '{service}': [{i}]: expected a service name (text), "
                                  f"got {describe(dep)}")
        out[service] = tuple(sorted(set(d for d in deps if d != service)))
    return {s: out[s] for s in sorted(out)}
