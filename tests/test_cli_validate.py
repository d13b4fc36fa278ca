"""`desk validate` prints a one-line summary for every fixture input."""
import subprocess
import sys

import pytest

from desklib import cli
from desklib.data import fixtures_dir

INPUTS = ["tickets.jsonl", "alerts.jsonl", "alerts_webhook.json", "topology.json"]


@pytest.mark.parametrize("name", INPUTS)
def test_validate_every_fixture(capsys, name):
    assert cli.main(["validate", str(fixtures_dir() / name)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith(f"{name}: ")


def test_validate_summaries_say_what_is_there(capsys):
    cli.main(["validate", str(fixtures_dir() / "alerts.jsonl")])
    jsonl = capsys.readouterr().out
    cli.main(["validate", str(fixtures_dir() / "alerts_webhook.json")])
    webhook = capsys.readouterr().out
    assert "40 alerts" in jsonl and jsonl.rstrip().endswith("; 40 firing, 0 resolved")
    # the webhook form of the same storm: same count, services and span; the capture holds
    # each alert's resolved message too, so there every alert has ended
    assert jsonl.split(":", 1)[1].rsplit(";", 1)[0] == webhook.split(":", 1)[1].rsplit(";", 1)[0]
    assert webhook.rstrip().endswith("; 0 firing, 40 resolved")


def test_validate_console_script_and_module_agree():
    path = str(fixtures_dir() / "tickets.jsonl")
    a = subprocess.run([sys.executable, "-m", "desklib", "validate", path], capture_output=True, text=True, timeout=60)
    assert a.returncode == 0 and "48 tickets" in a.stdout
