"""The ``desk`` command line (also ``python -m desklib``).

Errors are one line on stderr and exit status 2; never a traceback. This module
imports neither matplotlib nor ipywidgets nor Jupyter, and pandas only where a
subcommand needs a table, so the command starts fast.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from . import __version__
from .records import InputError, isoz

EXIT_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and still exit status 2)."""

    def error(self, message: str):  # noqa: D102 - argparse hook
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message} (try --help)\n")


# ----------------------------------------------------------------------------- validate

def _guess_kind(path: Path) -> str:
    """tickets | alerts | topology, from the file's first record."""
    from .records import _read_text  # the same decoding rules as the loaders
    text = _read_text(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header = text.splitlines()[0].lower()
        cols = {c.strip().strip('"') for c in header.split(",")}
        if "created_at" in cols:
            return "tickets"
        if "ts" in cols:
            return "alerts"
        raise InputError(f"{path.name}:1: header: neither a tickets header (created_at) nor an alerts header (ts); "
                         "pass --kind")
    first_line = next((ln for ln in text.splitlines() if ln.strip()), "")
    try:
        first = json.loads(text if suffix == ".json" else first_line)
    except json.JSONDecodeError as exc:
        where = exc.lineno if suffix == ".json" else 1 + text.splitlines().index(first_line)
        raise InputError(f"{path.name}:{where}: invalid JSON ({exc.msg} at column {exc.colno})") from None
    if isinstance(first, list):
        return "alerts"
    if isinstance(first, dict):
        if "alerts" in first or "version" in first or "ts" in first:
            return "alerts"
        if "created_at" in first:
            return "tickets"
        if suffix == ".json":
            return "topology"
    raise InputError(f"{path.name}: cannot tell tickets, alerts or topology apart; pass --kind")


def _span(times) -> str:
    lo, hi = min(times), max(times)
    minutes = int((hi - lo).total_seconds() // 60)
    return f"{isoz(lo)} .. {isoz(hi)} ({minutes // 60}h{minutes % 60:02d}m)"


def summarize(path: Path, kind: str | None = None, service_label: str = "service") -> str:
    """One line describing a valid file; raises InputError for an invalid one."""
    from .records import load_alerts, load_tickets, load_topology
    kind = kind or _guess_kind(path)
    if kind == "tickets":
        tickets = load_tickets(path)
        status = Counter(t.status for t in tickets)
        parts = ", ".join(f"{s} {status[s]}" for s in sorted(status))
        return f"{path.name}: {len(tickets)} tickets, {_span([t.created_at for t in tickets])}; status: {parts}"
    if kind == "alerts":
        alerts = load_alerts(path, service_label=service_label)
        sev = Counter(a.severity for a in alerts)
        parts = ", ".join(f"{s} {sev[s]}" for s in ("critical", "warning", "info") if sev[s])
        services = len({a.service for a in alerts})
        return f"{path.name}: {len(alerts)} alerts from {services} services, {_span([a.ts for a in alerts])}; {parts}"
    if kind == "topology":
        import graphlib
        topo = load_topology(path)
        services = set(topo) | {d for deps in topo.values() for d in deps}
        edges = sum(len(deps) for deps in topo.values())
        try:
            tuple(graphlib.TopologicalSorter(topo).static_order())
            cycles = "no cycles"
        except graphlib.CycleError as exc:
            cycles = "cycle " + " -> ".join(exc.args[1])
        return f"{path.name}: {len(services)} services, {edges} dependencies, {cycles}"
    raise InputError(f"unknown kind '{kind}'")


def _cmd_validate(args) -> int:
    print(summarize(Path(args.file), args.kind, args.service_label))
    return 0


# ----------------------------------------------------------------------------- entry point

def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="desk", description="The support desk and AIOps lesson, from the command line.")
    parser.add_argument("--version", action="version", version=f"desk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("validate", help="check a tickets, alerts or topology file and summarise it")
    p.add_argument("file")
    p.add_argument("--kind", choices=("tickets", "alerts", "topology"), help="default: guessed from the file")
    p.add_argument("--service-label", default="service", help="webhook label naming the service (default: service)")
    p.set_defaults(func=_cmd_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"desk: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:   # `desk ... | head`
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
