"""What the desk answers to a broken policy file: one line naming the file, the key and
what was expected; never a traceback, never a silently wrong policy.

Learners are invited to edit ``fixtures/*.toml``, so each case below is one plausible
edit of a shipped policy file, grouped by file and by kind. Each goes through the API's
loader (``load_rules``, ``load_gate_policy``, ``load_policy``, ``load_runbooks``,
``check_topology``); the triage-rule and SLA-policy edits also go through
``desk triage`` with ``DESKLIB_FIXTURES`` pointing at an edited copy of ``fixtures/``.
"""
from __future__ import annotations

import math
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from desklib import aiops, cli
from desklib.gate import load_gate_policy
from desklib.policy import PolicyError, check_topology
from desklib.records import Alert, InputError
from desklib.routing import load_policy
from desklib.triage import MAX_WEIGHT, load_rules, triage

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
RULES, SLA = "triage_rules.toml", "sla_policy.toml"


def edited(tmp_path: Path, name: str, old: str | None | list, new: str | None = None) -> Path:
    """A copy of fixtures/ with ``name`` edited: ``old`` replaced once by ``new``, several
    such edits given as a list of ``(old, new)`` pairs, or the whole file replaced by
    ``new`` when ``old`` is None."""
    folder = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, folder)
    path = folder / name
    if old is None:
        path.write_text(new, encoding="utf-8")
        return path
    text = path.read_text(encoding="utf-8")
    for a, b in (old if isinstance(old, list) else [(old, new)]):
        assert a in text, f"the edit {a!r} no longer applies to {name}"
        text = text.replace(a, b, 1)
    path.write_text(text, encoding="utf-8")
    return path


def one_rule(keywords: str, head: str = "") -> str:
    """A small whole policy: ``head``, a gate, and the rule 'outage' with ``keywords``."""
    return (f'{head}[gate]\nthreshold = 0.5\n[[rules]]\nname = "outage"\nseverity = "SEV1"\n'
            f'keywords = {keywords}\n')


def refused(load, path: Path, *parts: str) -> str:
    """``load(path)`` raises one PolicyError line starting with the file's name and holding ``parts``."""
    with pytest.raises(PolicyError) as info:
        load(path)
    message = str(info.value)
    assert isinstance(info.value, InputError) and isinstance(info.value, ValueError)
    assert "\n" not in message and message.startswith(path.name), message
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    return message


def first_refusal(path: Path) -> str:
    """The message of the first loader ``desk triage`` calls that refuses the edited folder
    (it reads the rules, then the SLA policy, then the gate)."""
    folder = path.parent
    for load, name in ((load_rules, RULES), (load_policy, SLA), (load_gate_policy, RULES)):
        try:
            load(folder / name)
        except PolicyError as exc:
            return str(exc)
    raise AssertionError("no loader refused the edit")


def desk_triage_refuses(path: Path, capsys, monkeypatch) -> None:
    """``desk triage`` on the edited fixtures: exit 2, and stderr is that one line."""
    expected = first_refusal(path)
    monkeypatch.setenv("DESKLIB_FIXTURES", str(path.parent))
    code = cli.main(["triage", str(FIXTURES / "tickets.jsonl")])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("desk: ") and err.endswith(expected + "\n") and err.count("\n") == 1, err


# ----------------------------------------------------------------------------- triage_rules.toml

OUTAGE_WEIGHT = 'severity = "SEV1"\nweight = 1.0'

TRIAGE_RULE_EDITS = {
    # the file as a whole
    "toml syntax error": (None, '[scoring]\nbase = 0.2\nthis is not toml\n', ["triage_rules.toml:3:", "TOML syntax"]),
    "unclosed table header": ("[scoring]", "[scoring", ["triage_rules.toml:", "TOML syntax"]),
    "empty file": (None, "", ["no [[rules]] found"]),
    "unknown top-level table": ("[scoring]", "[scorng]", ["unknown key 'scorng'"]),
    # [scoring]
    "scoring = 5": (None, one_rule('["down"]', "scoring = 5\n"), ["scoring", "expected a table, got 5"]),
    "base above 1": ("base = 0.2", "base = 1.5", ["[scoring]", "base", "[0, 1]", "1.5"]),
    "base as text": ("base = 0.2", 'base = "low"', ["[scoring]", "base", "'low'"]),
    "base nan": ("base = 0.2", "base = nan", ["[scoring]", "base", "nan"]),
    "half_saturation zero": ("half_saturation = 0.4", "half_saturation = 0", ["half_saturation", "(0, 1000]"]),
    "half_saturation huge": ("half_saturation = 0.4", "half_saturation = 1e308", ["half_saturation", "1e+308"]),
    "half_saturation inf": ("half_saturation = 0.4", "half_saturation = inf", ["half_saturation", "inf"]),
    "fallback severity unknown": ('fallback_severity = "SEV3"', 'fallback_severity = "SEV9"',
                                  ["fallback_severity", "SEV1, SEV2, SEV3, SEV4", "'SEV9'"]),
    "misspelled scoring key": ("base = 0.2", "bsae = 0.2", ["[scoring]", "unknown key 'bsae'"]),
    # [[rules]]: shape
    "[rules] instead of [[rules]]": (None, '[rules]\nname = "a"\nseverity = "SEV1"\nkeywords = ["down"]\n',
                                     ["[rules] is one table", "[[rules]]"]),
    "rules = 5": (None, "rules = 5\n", ["rules", "list of [[rules]] tables", "got 5"]),
    "rules = []": (None, "rules = []\n", ["rules", "got an empty list"]),
    "rules of numbers": (None, "rules = [1, 2]\n", ["rules #1", "expected a table, got 1"]),
    "misspelled rule key": (OUTAGE_WEIGHT, 'severity = "SEV1"\nwieght = 1.0',
                            ["[[rules]] #1 'outage'", "unknown key 'wieght'"]),
    "two rules of one name": ('name = "security"', 'name = "outage"', ["[[rules]] #2 'outage'", "already the name of rule #1"]),
    "name as a number": ('name = "outage"', "name = 5", ["[[rules]] #1", "name", "got 5"]),
    # [[rules]]: severity and weight
    "severity P1": ('severity = "SEV1"', 'severity = "P1"', ["[[rules]] #1 'outage'", "severity", "'P1'"]),
    "severity missing": ('severity = "SEV1"\n', "", ["[[rules]] #1 'outage'", "severity: missing"]),
    "weight 1e308 (confidence would be NaN)": (OUTAGE_WEIGHT, 'severity = "SEV1"\nweight = 1e308',
                                               ["[[rules]] #1 'outage': weight: expected a number in (0, 1000], got 1e+308"]),
    "weight zero": (OUTAGE_WEIGHT, 'severity = "SEV1"\nweight = 0', ["'outage'", "weight", "got 0"]),
    "weight negative": (OUTAGE_WEIGHT, 'severity = "SEV1"\nweight = -1.0', ["'outage'", "weight", "-1.0"]),
    "weight nan": (OUTAGE_WEIGHT, 'severity = "SEV1"\nweight = nan', ["'outage'", "weight", "nan"]),
    "weight inf": (OUTAGE_WEIGHT, 'severity = "SEV1"\nweight = inf', ["'outage'", "weight", "inf"]),
    "weight as text": (OUTAGE_WEIGHT, 'severity = "SEV1"\nweight = "heavy"', ["'outage'", "weight", "'heavy'"]),
    "weight true": (OUTAGE_WEIGHT, 'severity = "SEV1"\nweight = true', ["'outage'", "weight", "got true"]),
    "weight a huge integer": (OUTAGE_WEIGHT, 'severity = "SEV1"\nweight = 99999999999999999999',
                              ["'outage'", "weight"]),
    # [[rules]]: keywords
    "keywords empty": (None, one_rule("[]"), ["'outage'", "keywords", "empty list"]),
    "keywords missing": ('keywords = ["down"', 'other = ["down"', ["'outage'", "keywords: missing"]),
    "keywords as text": (None, one_rule('"down"'), ["'outage'", "keywords", "'down'"]),
    "keyword a number": ('keywords = ["down"', 'keywords = [5', ["'outage'", "keywords[0]", "got 5"]),
    "keyword empty": ('keywords = ["down"', 'keywords = [""', ["'outage'", "keywords[0]", "non-empty text"]),
    "keyword blank": ('keywords = ["down"', 'keywords = ["   "', ["'outage'", "keywords[0]"]),
    "keyword in two rules": ('"slow", "very slow"', '"slow", "DOWN"',
                             ["[[rules]] #3 'degradation'", "'DOWN' is the same as 'down' in rule 'outage'"]),
    "punctuation variant in two rules": ('"locked out", "password reset"', '"locked out", "Won\'t-load"',
                                         ["'access_one'", "the same as \"won't load\" in rule 'outage'"]),
    "literal keyword twice": ('keywords = ["down"', 'keywords = ["c++", "C++"', ["'outage'", "keywords[1]", "the same as"]),
    # [[rules]]: unless (context that cancels a keyword)
    "unless without its keyword": ('unless = ["memory leak"', 'unless = ["memory loss"',
                                   ["[[rules]] #2 'security'", "unless[0]", "'memory loss' holds none of this rule's keywords"]),
    "unless holding another rule's keyword": ('unless = ["screen timeout"', 'unless = ["slow down"',
                                              ["[[rules]] #3 'degradation'", "unless[0]", "also holds 'down' in rule 'outage'"]),
    "unless equal to a keyword": ('unless = ["drop down"', 'unless = ["Outage"',
                                  ["[[rules]] #1 'outage'", "unless[0]", "is the keyword 'outage'"]),
    "unless as text": ('unless = ["screen timeout", "session timeout", "idle timeout"]', 'unless = "screen timeout"',
                       ["[[rules]] #3 'degradation'", "unless", "expected a list of text, got 'screen timeout'"]),
    "unless twice": ('"track down", "write down"', '"track down", "Track-Down"',
                     ["[[rules]] #1 'outage'", "unless[5]", "'Track-Down' is the same as 'track down'"]),
    # [gate]
    # a key written below [[rules]] belongs to the rule above it, and is named there
    "gate = 5 below the last rule": ("[gate]", "gate = 5\n[gate2]", ["[[rules]] #11 'account_admin': unknown key 'gate'"]),
}


@pytest.mark.parametrize("case", TRIAGE_RULE_EDITS, ids=list(TRIAGE_RULE_EDITS))
def test_a_broken_triage_rule_file_is_refused_in_one_line(tmp_path, capsys, monkeypatch, case):
    old, new, parts = TRIAGE_RULE_EDITS[case]
    path = edited(tmp_path, RULES, old, new)
    refused(load_rules, path, *parts)
    desk_triage_refuses(path, capsys, monkeypatch)


GATE_EDITS = {
    "threshold 1.5": ("threshold = 0.67", "threshold = 1.5", ["[gate]", "threshold", "[0, 1]", "1.5"]),
    "threshold negative": ("threshold = 0.67", "threshold = -0.1", ["[gate]", "threshold", "-0.1"]),
    "threshold as text": ("threshold = 0.67", 'threshold = "0.67"', ["[gate]", "threshold", "'0.67'"]),
    "threshold nan": ("threshold = 0.67", "threshold = nan", ["[gate]", "threshold", "nan"]),
    "threshold missing": ("threshold = 0.67", "treshold = 0.67", ["[gate]", "threshold: missing"]),
    "no [gate] table": ("[gate]", "[gateway]", ["missing table [gate]"]),
    "gate is a number": (None, "gate = 0.67\n" + one_rule('["down"]').split("[[rules]]")[1].join(["[[rules]]", ""]),
                         ["gate", "expected a table, got 0.67"]),
    "cost_wrong zero": ("cost_wrong = 15.0", "cost_wrong = 0", ["[gate]", "cost_wrong", "got 0"]),
    "cost_wrong inf": ("cost_wrong = 15.0", "cost_wrong = inf", ["[gate]", "cost_wrong", "inf"]),
    "cost_human negative": ("cost_human = 5.0", "cost_human = -5.0", ["[gate]", "cost_human", "-5.0"]),
    "cost_human as text": ("cost_human = 5.0", 'cost_human = "five"', ["[gate]", "cost_human", "'five'"]),
}


@pytest.mark.parametrize("case", GATE_EDITS, ids=list(GATE_EDITS))
def test_a_broken_gate_is_refused_in_one_line(tmp_path, capsys, monkeypatch, case):
    old, new, parts = GATE_EDITS[case]
    path = edited(tmp_path, RULES, old, new)
    refused(load_gate_policy, path, *parts)
    desk_triage_refuses(path, capsys, monkeypatch)


# ----------------------------------------------------------------------------- sla_policy.toml

_SLA_TEXT = (FIXTURES / SLA).read_text(encoding="utf-8")
#: The whole [human_review] part of the shipped SLA policy (its table and the four per severity).
REVIEW_TABLES = _SLA_TEXT[_SLA_TEXT.index("[human_review]\n"):_SLA_TEXT.index("# ---", _SLA_TEXT.index("[human_review]\n"))]

SLA_EDITS = {
    # the file as a whole
    "toml syntax error": ('[escalation]\npath', '[escalation]\npath ==', ["sla_policy.toml:", "TOML syntax"]),
    "unknown top-level table": ("[warnings]", "[warning]", ["unknown key 'warning'"]),
    # [warnings]
    "levels = [[0.5]]": ("levels = [0.5, 0.75]", "levels = [[0.5]]", ["[warnings]", "levels[0]", "got a list"]),
    "levels above 1": ("levels = [0.5, 0.75]", "levels = [0.5, 1.5]", ["[warnings]", "levels[1]", "1.5"]),
    "levels as text": ("levels = [0.5, 0.75]", 'levels = "0.5"', ["[warnings]", "levels", "'0.5'"]),
    "levels decreasing": ("levels = [0.5, 0.75]", "levels = [0.75, 0.5]", ["[warnings]", "levels", "increasing"]),
    "levels with the same name": ("levels = [0.5, 0.75]", "levels = [0.5, 0.501]", ["[warnings]", "same warning_"]),
    "warnings = 5": ([("[warnings]\nlevels = [0.5, 0.75]", ""), ("[severity.SEV1]", "warnings = 5\n[severity.SEV1]")],
                     None, ["warnings", "expected a table, got 5"]),
    # [tiers]
    "a tier that is text": ('[tiers.L3]\ndescription = "product engineering: on call for outages and security"\n'
                            'calendar = "24x7"', '[tiers]\nL3 = "24x7"', ["[tiers]", "L3", "expected a table, got '24x7'"]),
    "hours as a number": ('start = "08:00"', "start = 8", ["[tiers.L1]", "start", 'a time like "08:00"', "got 8"]),
    "hours as text of another shape": ('start = "08:00"', 'start = "8am"', ["[tiers.L1]", "start", "'8am'"]),
    "hours past midnight": ('end = "18:00"', 'end = "25:00"', ["[tiers.L1]", "end", "'25:00'"]),
    "hours as a TOML time": ('start = "08:00"', "start = 08:00:00", ["[tiers.L1]", "start"]),
    "days as text": ('days = ["Mon", "Tue", "Wed", "Thu", "Fri"]', 'days = "Mon-Fri"', ["[tiers.L1]", "days", "'Mon-Fri'"]),
    "days empty": ('days = ["Mon", "Tue", "Wed", "Thu", "Fri"]', "days = []", ["[tiers.L1]", "days", "empty list"]),
    "a day written out": ('days = ["Mon", "Tue", "Wed", "Thu", "Fri"]', 'days = ["Monday"]', ["[tiers.L1]", "days[0]", "'Monday'"]),
    "a day twice": ('days = ["Mon", "Tue", "Wed", "Thu", "Fri"]', 'days = ["Mon", "Mon"]', ["[tiers.L1]", "listed twice"]),
    "timezone as a number": ('timezone = "UTC"', "timezone = 5", ["[tiers.L1]", "timezone", "got 5"]),
    "timezone unknown": ('timezone = "UTC"', 'timezone = "Mars/Olympus"', ["[tiers.L1]", "timezone", "unknown time zone"]),
    "holiday not a date": ("holidays = []", 'holidays = ["tomorrow"]', ["[tiers.L1]", "holidays[0]", "'tomorrow'"]),
    "holidays as text": ("holidays = []", 'holidays = "2026-04-03"', ["[tiers.L1]", "holidays", "'2026-04-03'"]),
    "calendar unknown": ('calendar = "business_hours"\ndays', 'calendar = "9to5"\ndays', ["[tiers.L1]", "calendar", "'9to5'"]),
    "a 24x7 tier with hours": ('[tiers.L2]\ndescription = "support engineers: on call for degradations"\ncalendar = "24x7"',
                               '[tiers.L2]\ncalendar = "24x7"\nstart = "08:00"', ["[tiers.L2]", "unknown key 'start'"]),
    "business day too short": ('end = "18:00"', 'end = "08:30"', ["[tiers.L1]", "business hours 08:00-08:30"]),
    # [severity.X]
    "a target as a number": ('first_response = "15min"', "first_response = 15", ["[severity.SEV1]", "first_response", "got 15"]),
    "a target of zero": ('first_response = "15min"', 'first_response = "0min"', ["[severity.SEV1]", "first_response", "positive"]),
    "a negative target": ('resolution = "4h"', 'resolution = "-4h"', ["[severity.SEV1]", "resolution", "positive"]),
    "a target that is no duration": ('first_response = "15min"', 'first_response = "soon"', ["[severity.SEV1]", "cannot read duration"]),
    "a target of centuries": ('resolution = "4h"', 'resolution = "100000h"', ["[severity.SEV1]", "resolution", "at most"]),
    "an unknown tier": ('tier = "L3"', 'tier = "L4"', ["[severity.SEV1]", "tier", "unknown tier 'L4'"]),
    "a severity triage never gives": ("[severity.SEV4]", "[severity.SEV5]", ["[severity]", "'SEV5'"]),
    "severity as a string": ('[severity.SEV1]\ndescription = "outage, security incident or data exposure"\n'
                             'tier = "L3"\nfirst_response = "15min"\nresolution = "4h"\n',
                             '[severity]\nSEV1 = "L3"\n', ["[severity]", "SEV1", "expected a table"]),
    # [escalation]
    "path as text": ('path = ["L1", "L2", "L3", "IC"]', 'path = "L1"', ["[escalation]", "path", "'L1'"]),
    "path missing a tier": ('path = ["L1", "L2", "L3", "IC"]', 'path = ["L2", "L3", "IC"]', ["[escalation]", "path", "['L1']"]),
    "path with a tier twice": ('path = ["L1", "L2", "L3", "IC"]', 'path = ["L1", "L2", "L2", "L3", "IC"]', ["[escalation]", "distinct"]),
    # [human_review]: the review clock of the human queue
    "no [human_review] table": (REVIEW_TABLES, "", ["sla_policy.toml: missing table [human_review]"]),
    "human_review = 5": ([(REVIEW_TABLES, ""), ("[severity.SEV1]", "human_review = 5\n[severity.SEV1]")],
                         None, ["human_review", "expected a table, got 5"]),
    "a misspelled [human_review]": ("[human_review]\n", "[human_reviews]\n", ["unknown key 'human_reviews'"]),
    "no_rule_matched unknown": ('no_rule_matched = "SEV2"', 'no_rule_matched = "urgent"',
                                ["[human_review]", "no_rule_matched", "SEV1, SEV2, SEV3, SEV4", "'urgent'"]),
    "no_rule_matched missing": ('no_rule_matched = "SEV2"\n', "", ["[human_review]", "no_rule_matched: missing"]),
    "misspelled human_review key": ('no_rule_matched = "SEV2"', 'no_rule_matched = "SEV2"\nunmatched = "SEV3"',
                                    ["[human_review]", "unknown key 'unmatched'"]),
    "a review target for SEV5": ("[human_review.SEV4]", "[human_review.SEV5]", ["[human_review]", "unknown key 'SEV5'"]),
    "no review target for SEV4": ('[human_review.SEV4]\ntarget = "4h"\ntier = "L1"\n', "",
                                  ["[human_review]", "no [human_review.SEV4]"]),
    "a review target of zero": ('target = "15min"', 'target = "0min"', ["[human_review.SEV1]", "target", "positive"]),
    "a review target as a number": ('target = "15min"', "target = 15", ["[human_review.SEV1]", "target", "got 15"]),
    "a review target that is no duration": ('target = "15min"', 'target = "asap"',
                                            ["[human_review.SEV1]", "target", "cannot read duration 'asap'"]),
    "a review target missing": ('target = "15min"      # a possible outage: read within 15 minutes, around the clock\n',
                                "", ["[human_review.SEV1]", "target: missing"]),
    "a review tier not on the path": ('target = "15min"      # a possible outage: read within 15 minutes, around the '
                                      'clock\ntier = "L3"', 'target = "15min"\ntier = "L9"',
                                      ["[human_review.SEV1]", "tier", "[escalation] path", "'L9'"]),
    "a review tier missing": ('target = "30min"\ntier = "L2"\n', 'target = "30min"\n',
                              ["[human_review.SEV2]", "tier: missing"]),
    "a misspelled review key": ('target = "30min"\ntier = "L2"', 'target = "30min"\ntire = "L2"',
                                ["[human_review.SEV2]", "unknown key 'tire'"]),
    "a review rule that is text": ([('[human_review.SEV2]\ntarget = "30min"\ntier = "L2"\n', ""),
                                    ('no_rule_matched = "SEV2"', 'no_rule_matched = "SEV2"\nSEV2 = "30min"')],
                                   None, ["[human_review] SEV2", "expected a table, got '30min'"]),
    # [simulation]
    "sigma negative": ("sigma = 0.5", "sigma = -1", ["[simulation]", "sigma", "-1"]),
    "a handling time of zero": ("SEV1 = 30", "SEV1 = 0", ["[simulation.handling_median_minutes]", "SEV1", "got 0"]),
}


@pytest.mark.parametrize("case", SLA_EDITS, ids=list(SLA_EDITS))
def test_a_broken_sla_policy_is_refused_in_one_line(tmp_path, capsys, monkeypatch, case):
    old, new, parts = SLA_EDITS[case]
    path = edited(tmp_path, SLA, old, new)
    refused(load_policy, path, *parts)
    desk_triage_refuses(path, capsys, monkeypatch)


# ----------------------------------------------------------------------------- runbooks.toml

RUNBOOK_EDITS = {
    "default = 5": ('default = "rb-triage-unknown-incident"', "default = 5", ["default", "expected text, got 5"]),
    "default empty": ('default = "rb-triage-unknown-incident"', 'default = ""', ["default", "empty text"]),
    "[[alerts]] instead of [alerts]": ("[alerts]\n", "[[alerts]]\n", ["[alerts]", "[[alerts]] (an array of tables)"]),
    "alerts = 5": ([("\n[alerts]\n", "\n[old_alerts]\n"), ("\ndefault =", "\nalerts = 5\ndefault =")],
                   None, ["[alerts]", "got 5"]),
    "a runbook key that is a number": ('PostgresDown = "rb-postgres-failover"', "PostgresDown = 5",
                                       ["[alerts]", "PostgresDown", "got 5"]),
    "a runbook key that is a table": ('pg-main = "rb-postgres-triage"', 'pg-main = {key = "rb"}',
                                      ["[services]", "pg-main", "got a table"]),
    "misspelled table": ("\n[services]\n", "\n[service]\n", ["unknown key 'service'"]),
    "toml syntax error": ("\n[services]\n", "\n[services\n", ["runbooks.toml:25:", "TOML syntax"]),
}


@pytest.mark.parametrize("case", RUNBOOK_EDITS, ids=list(RUNBOOK_EDITS))
def test_a_broken_runbooks_file_is_refused_in_one_line(tmp_path, case):
    old, new, parts = RUNBOOK_EDITS[case]
    refused(aiops.load_runbooks, edited(tmp_path, "runbooks.toml", old, new), *parts)


def test_a_missing_policy_file_and_an_empty_fixtures_folder_are_refused(tmp_path, monkeypatch):
    for load, name in ((load_rules, RULES), (load_gate_policy, RULES), (load_policy, SLA),
                       (aiops.load_runbooks, "runbooks.toml")):
        refused(load, tmp_path / name, "no such policy file")
    monkeypatch.setenv("DESKLIB_FIXTURES", str(tmp_path))              # a folder without them
    for load, name in ((load_rules, RULES), (load_policy, SLA), (aiops.load_runbooks, "runbooks.toml")):
        with pytest.raises(PolicyError, match=rf"^{name}: not found in .*DESKLIB_FIXTURES"):
            load()
    storm = [Alert("a1", datetime(2026, 3, 2, tzinfo=timezone.utc), "db", "Down", "critical")]
    with pytest.raises(PolicyError, match="^runbooks.toml: not found"):
        aiops.correlate(storm)


def test_a_policy_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / RULES
    path.write_bytes(b"[scoring]\nbase = 0.2 # caf\xe9\n")
    refused(load_rules, path, "not UTF-8")


# ----------------------------------------------------------------------------- topology

TOPOLOGIES = {
    "a service mapped to text": ({"web": "orders"}, ["service 'web'", "expected a list", '["orders"]']),
    "a list, not an object": ([["web", "orders"]], ["expected an object"]),
    "a dependency that is a number": ({"web": [5]}, ["service 'web'", "[0]", "got 5"]),
    "an empty dependency": ({"web": [""]}, ["service 'web'", "[0]"]),
    "an empty service name": ({"": ["orders"]}, ["non-empty service name"]),
    "a dependency list that is null": ({"web": None}, ["service 'web'", "got None"]),
    "a service name that is a number": ({5: ["orders"]}, ["service 5"]),
}


@pytest.mark.parametrize("case", TOPOLOGIES, ids=list(TOPOLOGIES))
def test_a_broken_topology_is_refused_by_check_and_by_correlate(case):
    topology, parts = TOPOLOGIES[case]
    storm = [Alert("a1", datetime(2026, 3, 2, tzinfo=timezone.utc), "web", "Down", "critical")]
    for call in (lambda: check_topology(topology, "topology.json"),
                 lambda: aiops.correlate([], topology, runbooks=aiops.Runbooks()),
                 lambda: aiops.group(storm, topology), lambda: aiops.root_cause(storm, topology),
                 lambda: aiops.neighbours(topology), lambda: aiops.upstream_order(topology)):
        with pytest.raises(PolicyError) as info:
            call()
        assert "\n" not in str(info.value)
        for part in parts:
            assert part in str(info.value)


def test_a_checked_topology_is_what_load_topology_gives():
    from desklib.records import load_topology
    import json
    raw = json.loads((FIXTURES / "topology.json").read_text())
    assert check_topology(raw, "topology.json") == load_topology(FIXTURES / "topology.json")
    assert check_topology({"b": ("a", "a", "b"), "a": []}) == {"a": (), "b": ("a",)}


# ----------------------------------------------------------------------------- what is NOT refused

def test_the_shipped_policies_load(tmp_path):
    assert len(load_rules().rules) == 11 and load_gate_policy().threshold == 0.67
    assert load_policy().escalation_path == ("L1", "L2", "L3", "IC")
    assert aiops.load_runbooks().default == "rb-triage-unknown-incident"


def test_the_largest_weights_still_give_a_finite_confidence(tmp_path):
    """The guard behind the weight bound: every rule at MAX_WEIGHT, every keyword found."""
    rules = [f'[[rules]]\nname = "r{s}"\nseverity = "SEV{s}"\nweight = {MAX_WEIGHT}\n'
             f'keywords = [{", ".join(f"{chr(34)}k{s}x{i}{chr(34)}" for i in range(50))}]\n' for s in range(1, 5)]
    path = tmp_path / RULES
    path.write_text("[scoring]\nbase = 0.0\nhalf_saturation = 1e-300\n" + "".join(rules), encoding="utf-8")
    policy = load_rules(path)
    text = " ".join(f"k{s}x{i}" for s in range(1, 5) for i in range(50))
    for t in (text, "k1x0", "k1x0 k4x0", text + " k1x1"):
        result = triage(t, policy)
        assert math.isfinite(result.confidence) and 0.0 <= result.confidence <= 1.0
        assert all(math.isfinite(v) for v in result.scores.values())
