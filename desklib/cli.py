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


# ----------------------------------------------------------------------------- triage, run

def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"threshold must be a number in [0, 1], got '{text}'") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"threshold must be a number in [0, 1], got '{text}'")
    return value


def _policy_error(exc: Exception) -> InputError:
    return InputError(f"policy: {exc}")


def _cmd_triage(args) -> int:
    from .gate import default_threshold
    from .records import load_tickets
    from .support_desk import triage_and_route, triage_json
    tickets = load_tickets(Path(args.tickets))
    try:
        threshold = default_threshold() if args.threshold is None else args.threshold
        outcomes = triage_and_route(tickets, threshold=threshold)
    except (ValueError, OSError) as exc:
        raise _policy_error(exc) from None
    if args.json:
        print(json.dumps(triage_json(outcomes, threshold), ensure_ascii=False))
        return 0
    print(f"{'id':<8} {'severity':<8} {'conf':>5}  {'route':<6} {'tier':<4}  reason / rules matched")
    for o in outcomes:
        why = o.reason if o.route == "human" else ", ".join(o.matched)
        print(f"{o.id:<8} {o.severity:<8} {o.confidence:>5.2f}  {o.route:<6} {o.tier or '-':<4}  {why}")
    auto = sum(o.route == "auto" for o in outcomes)
    print(f"\n{len(outcomes)} tickets at threshold {threshold:.2f}: {auto} auto, {len(outcomes) - auto} to a human")
    return 0


def _cmd_run(args) -> int:
    from .data import DAY_END, fixture
    from .records import load_tickets
    from .support_desk import day_report, run_day
    tickets = load_tickets(fixture("tickets.jsonl"))
    day = run_day(tickets, DAY_END, threshold=args.threshold)
    print(day_report(day, tickets))

    from .aiops import DEFAULT_WINDOW_S, correlate
    from .records import load_alerts, load_topology
    alerts = load_alerts(fixture("alerts.jsonl"))
    correlation = correlate(alerts, load_topology(fixture("topology.json")), DEFAULT_WINDOW_S)
    print(f"\nAlert storm ({len(alerts)} alerts, window {correlation.window_s} s, time + topology):")
    print("\n".join("  " + line for line in _incident_table(correlation)))
    print(f"\nNoise reduction: {correlation.noise_reduction:.3f} "
          f"({len(alerts)} alerts -> {len(correlation.incidents)} incidents; page on the root causes: "
          f"{', '.join(inc.root_cause for inc in correlation.incidents)})")
    return 0


def _window(text: str) -> int:
    from .aiops import parse_window
    try:
        return parse_window(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _incident_table(correlation) -> list[str]:
    lines = [f"{'incident':<8} {'root cause':<16} {'alerts':>6} {'dups':>4}  {'first':<8} {'last':<8} "
             f"{'severity':<8} {'runbook':<24} services"]
    for inc in correlation.incidents:
        lines.append(f"{inc.id:<8} {inc.root_cause:<16} {len(inc.alert_ids):>6} {inc.duplicates:>4}  "
                     f"{inc.start:%H:%M:%S} {inc.end:%H:%M:%S} {inc.severity:<8} {inc.runbook or '-':<24} "
                     f"{', '.join(inc.services)}")
    return lines


def _cmd_correlate(args) -> int:
    from .aiops import correlate, evaluate, to_json
    from .records import load_alert_truth, load_alerts, load_topology
    alerts = load_alerts(Path(args.alerts), service_label=args.service_label)
    topology = load_topology(Path(args.topology)) if args.topology else None
    correlation = correlate(alerts, topology, args.window)
    evaluation = None
    if args.truth:
        truth = load_alert_truth(Path(args.truth))
        try:
            evaluation = evaluate(correlation, truth)
        except ValueError as exc:
            raise InputError(f"{Path(args.truth).name}: {exc}") from None
    if args.json:
        print(json.dumps(to_json(correlation, evaluation), ensure_ascii=False))
        return 0
    link = "time + topology" if topology is not None else "time only (no --topology given)"
    print(f"window {correlation.window_s} s, {link}")
    print("\n".join(_incident_table(correlation)))
    n, k = len(correlation.alerts), len(correlation.incidents)
    print(f"\n{n} alerts -> {k} incidents: noise reduction {correlation.noise_reduction:.3f}")
    if evaluation is not None:
        print(f"against the truth ({evaluation['true_incidents']} incidents): precision {evaluation['precision']:.3f}, "
              f"recall {evaluation['recall']:.3f}, F1 {evaluation['f1']:.3f}, "
              f"root-cause accuracy {evaluation['root_cause_accuracy']:.3f}")
    return 0


def _cmd_check(args) -> int:
    from .challenge import check_priority_queue, find_challenge_file, format_results
    try:
        path = Path(args.file) if args.file else find_challenge_file()
        results = check_priority_queue(path)
    except FileNotFoundError as exc:
        raise InputError(f"{exc} (run from the project folder, or pass --file)") from None
    print(format_results(results))
    return 0 if all(r.passed for r in results) else 1


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

    p = sub.add_parser("triage", help="triage, gate and route tickets (.jsonl or .csv)")
    p.add_argument("tickets")
    p.add_argument("--threshold", type=_threshold, default=None,
                   help="confidence gate in [0, 1] (default: [gate] threshold in fixtures/triage_rules.toml)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_triage)

    p = sub.add_parser("run", help="run the lesson's day on the fixtures and print a short report")
    p.add_argument("--threshold", type=_threshold, default=None, help="confidence gate in [0, 1]")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("correlate", help="collapse an alert storm into incidents (JSONL, CSV or Alertmanager webhook)")
    p.add_argument("alerts")
    p.add_argument("--topology", help="service topology JSON (without it, time alone decides)")
    p.add_argument("--window", type=_window, default="5m",
                   help="correlation window: 300, 300s, 5m, 1h (default: 5m)")
    p.add_argument("--truth", help="truth CSV (id,incident,root_cause) to add an evaluation")
    p.add_argument("--service-label", default="service", help="webhook label naming the service (default: service)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_correlate)

    p = sub.add_parser("check", help="check the optional challenge (exit 0 when every case passes)")
    p.add_argument("exercise", choices=("priority_queue",))
    p.add_argument("--file", help="the file to check (default: priority_queue.py found from here: ./, starters/, ../starters/)")
    p.set_defaults(func=_cmd_check)
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
