"""The README's examples run: every `desk ...` line of its code blocks that works on files in
fixtures/ is run (through cli.main, from the repository's root) and must succeed, and the
sample `--json` documents it shows must agree with what the commands really print.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
from pathlib import Path

import pytest

from desklib import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```", README, re.M | re.S)


#: Commands that talk to a server: tests/test_capture.py runs them against one (the lines here
#: are only parsed, by test_network_commands_parse).
NETWORK = ("capture", "replay")


def _commands() -> list[list[str]]:
    found = []
    for lang, body in BLOCKS:
        if lang not in ("sh", "bash", ""):
            continue
        for line in body.splitlines():
            if not line.startswith("desk "):
                continue
            argv = shlex.split(line, comments=True)[1:]
            if argv[0] in NETWORK:
                continue
            if any(arg.startswith("fixtures/") for arg in argv):
                found.append(argv)
    return found


COMMANDS = _commands()


def desk(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(argv)
    finally:
        os.chdir(cwd)
    return code, out.getvalue(), err.getvalue()


def test_the_readme_has_examples_for_every_source():
    joined = [" ".join(argv) for argv in COMMANDS]
    for needle in ("--from zendesk", "--from jira", "--from servicenow", "--map", "alertmanager_capture.jsonl",
                   "grafana_webhook.json", "alertmanager_api_v2.json", "--service-label"):
        assert any(needle in c for c in joined), needle


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(a)[:80] for a in COMMANDS])
def test_readme_command_runs(argv):
    code, out, err = desk(argv)
    assert code == 0, err
    assert out.strip() and "Traceback" not in err
    if "--json" in argv:
        doc = json.loads(out)
        assert doc["input"]["read"] == doc["input"]["used"] + doc["input"]["set_aside"] + doc["input"]["merged"]


def _samples() -> list[dict]:
    return [json.loads(body) for lang, body in BLOCKS if lang == "json"]


def _agrees(sample, real, where="") -> None:
    """``sample`` is ``real`` as the README shows it: the same keys, the same values, where
    ``"..."`` stands for any value, a list shows the first items of the real one, and an
    object of one key whose value is ``"..."`` shows one of the real object's keys."""
    if sample == "...":
        return
    if isinstance(sample, dict):
        assert isinstance(real, dict), where
        if len(sample) == 1 and list(sample.values()) == ["..."]:
            assert set(sample) <= set(real), where
            return
        assert list(sample) == list(real), f"{where}: keys {list(sample)} != {list(real)}"
        for key in sample:
            _agrees(sample[key], real[key], f"{where}.{key}")
    elif isinstance(sample, list):
        assert isinstance(real, list) and len(real) >= len([s for s in sample if s != "..."]), where
        for i, item in enumerate(sample):
            if item == "...":
                break
            _agrees(item, real[i], f"{where}[{i}]")
    else:
        assert sample == real, f"{where}: README shows {sample!r}, the desk prints {real!r}"


def test_the_json_samples_are_what_the_desk_prints():
    samples = _samples()
    triage = next(s for s in samples if "tickets" in s)
    correlate = next(s for s in samples if "incidents" in s)
    code, out, err = desk(["triage", "fixtures/tickets.jsonl", "--json"])
    assert code == 0
    real = json.loads(out)
    real["tickets"] = real["tickets"][:len(triage["tickets"])]
    _agrees(triage, real, "triage")
    code, out, err = desk(["correlate", "fixtures/alerts.jsonl", "--topology", "fixtures/topology.json", "--json"])
    assert code == 0
    _agrees(correlate, json.loads(out), "correlate")


def test_the_sample_checker_can_fail():
    with pytest.raises(AssertionError):
        _agrees({"a": 1, "b": [1, "..."]}, {"a": 1, "b": [2, 3]})
    with pytest.raises(AssertionError):
        _agrees({"a": 1}, {"a": 1, "b": 2})
    _agrees({"a": 1, "b": [1, "..."], "c": {"x": "..."}}, {"a": 1, "b": [1, 3], "c": {"x": 0, "y": 1}})


def test_network_commands_parse():
    lines = [shlex.split(line, comments=True)[1:] for lang, body in BLOCKS if lang in ("sh", "bash", "")
             for line in body.splitlines() if line.startswith("desk ")]
    network = [argv for argv in lines if argv[0] in NETWORK]
    assert {argv[0] for argv in network} == set(NETWORK)
    for argv in network:
        args = cli.build_parser().parse_args(argv)
        assert args.func.__name__ == f"_cmd_{argv[0]}"
