"""The ``desk`` command line (also ``python -m desklib``).

Errors are one line on stderr and exit status 2; never a traceback. Every command
that reads records says on stderr what it read (``48 read, 46 used, 2 set aside in
rejects.jsonl, 0 merged``); ``--rejects FILE`` sets bad records aside instead of
refusing the file. This module imports neither matplotlib nor ipywidgets nor
Jupyter, and pandas only where a subcommand needs a table, so the command starts fast.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

from . import __version__
from .records import STDIN, InputError, LoadReport, isoz

EXIT_INPUT = 2


class _OutputError(Exception):
    """Standard output could not be written (a full disk, a closed file)."""


def _emit(text: str = "") -> None:
    """One piece of the command's output on standard output."""
    try:
        sys.stdout.write(text + "\n")
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _OutputError(exc) from None


def _emit_json(doc: dict) -> None:
    """A ``--json`` document: strict JSON (no NaN), ASCII-escaped when stdout cannot take UTF-8."""
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    try:
        text = json.dumps(doc, ensure_ascii=not encoding.startswith("utf"), allow_nan=False)
    except ValueError as exc:
        raise InputError(f"cannot write JSON: {exc} (a policy number out of range?)") from None
    _emit(text)


def _err(text: str) -> None:
    print(f"desk: {text}", file=sys.stderr)


# ----------------------------------------------------------------------------- records in, accounted for

def _read(kind: str, path: str, args, *, notes_on_stderr: bool = True):
    """Tickets or alerts from ``path`` (``-``: standard input), strict unless ``--rejects``.

    Writes the set-aside records to ``--rejects`` at once; the notes (unless they go into a
    ``--json`` document) and one accounting line go to stderr when the command succeeds,
    so a refusal stays one line.
    """
    from .records import read_alerts, read_tickets
    rejects = getattr(args, "rejects", None)
    on_error = "collect" if rejects else "raise"
    if rejects and path != STDIN and Path(rejects).resolve() == Path(path).resolve():
        raise InputError(f"{rejects}: --rejects would overwrite the input file; name another file")
    if kind == "tickets":
        records, report = read_tickets(path, on_error, source=getattr(args, "source", None),
                                       columns=getattr(args, "map", None), tz=getattr(args, "tz", None))
    else:
        records, report = read_alerts(path, getattr(args, "service_label", None), on_error)
    if rejects:
        _write_rejects(Path(rejects), report)
    accounts = getattr(args, "accounts", None)
    if accounts is None:
        accounts = args.accounts = []
    if notes_on_stderr:
        accounts.extend(report.notes)
    accounts.append(f"{report.file}: {report.line(rejects)}")
    if not records:
        raise InputError(f"{report.file}: no {kind} left to work on (all {report.set_aside} set aside in {rejects})")
    return records, report


def _write_rejects(path: Path, report: LoadReport) -> None:
    """The set-aside records as JSON lines: ``{"file", "line", "reason", "record"}``."""
    lines = []
    for entry in report.rejects:
        try:
            lines.append(json.dumps(entry, allow_nan=False))
        except (ValueError, RecursionError):   # cannot happen for what the readers accept; said, if it does
            lines.append(json.dumps({**entry, "record": "(a record nested too deeply to write back)"}))
    try:
        with path.open("w", encoding="utf-8") as fh:
            fh.write("".join(line + "\n" for line in lines))
    except OSError as exc:
        raise InputError(f"{path}: cannot write the rejects file ({exc.strerror or exc})") from None


def _with_input(doc: dict, report: LoadReport) -> dict:
    """Every ``--json`` document says what was read: ``"input"`` and ``"notes"``."""
    return {**doc, "input": report.counts(), "notes": list(report.notes)}


# ----------------------------------------------------------------------------- policies

def _policy(filename: str, load, *args):
    """Load one policy; any problem with it is one line naming the file (same for every command)."""
    try:
        return load(*args)
    except InputError:
        raise
    except (ValueError, OSError) as exc:   # tomllib.TOMLDecodeError is a ValueError
        text = str(exc) or type(exc).__name__
        raise InputError(text if text.startswith(filename) else f"{filename}: {text}") from None


def _fixture(name: str) -> Path:
    from .data import fixture
    try:
        return fixture(name)
    except OSError as exc:
        raise InputError(str(exc)) from None


def _desk_policies(threshold: float | None):
    """The keyword rules, the SLA policy and the gate's threshold, each checked."""
    from .gate import default_threshold
    from .routing import load_policy
    from .triage import load_rules
    rules = _policy("triage_rules.toml", load_rules)
    policy = _policy("sla_policy.toml", load_policy)
    if threshold is None:
        threshold = _policy("triage_rules.toml", default_threshold)
    return rules, policy, threshold


def _runbooks():
    from .aiops import load_runbooks
    return _policy("runbooks.toml", load_runbooks)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and still exit status 2)."""

    def error(self, message: str):  # noqa: D102 - argparse hook
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message} (try --help)\n")


# ----------------------------------------------------------------------------- validate

def _guess_kind(path: str) -> str:
    """tickets | alerts | topology, from the file's first record (``-``: standard input)."""
    from .records import _json, _source  # the same decoding rules as the loaders
    name, text, fmt = _source(path)
    if fmt == "csv":
        header = text.splitlines()[0].lower()
        cols = {c.strip().strip('"') for c in header.replace(";", ",").replace("\t", ",").split(",")}
        if "created_at" in cols:
            return "tickets"
        if "ts" in cols:
            return "alerts"
        raise InputError(f"{name}:1: header: neither a tickets header (created_at) nor an alerts header (ts); "
                         "pass --kind")
    def first_object():   # JSON lines: the first line that is a JSON object
        for line in (ln for ln in text.split("\n") if ln.strip()):
            try:
                value = _json(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
        return None

    def refuse(exc: ValueError) -> InputError:
        where = getattr(exc, "lineno", None)
        return InputError(f"{name}:{where}: {exc}" if where else f"{name}: {exc}")

    first = first_object() if fmt == "jsonl" else None
    if first is None:
        try:
            first = _json(text)
        except ValueError as exc:
            first = first_object() if fmt == "json" else None   # a .json file of JSON lines
            if first is None:
                raise refuse(exc) from None
    if isinstance(first, list):
        first = first[0] if first and isinstance(first[0], dict) else {"alerts": None}
    if isinstance(first, dict):
        if "alerts" in first or "version" in first or "ts" in first or "startsAt" in first:
            return "alerts"
        if "created_at" in first:
            return "tickets"
        if fmt == "json" and path != STDIN:
            return "topology"
    raise InputError(f"{name}: cannot tell tickets, alerts or topology apart; pass --kind")


def _span(times) -> str:
    lo, hi = min(times), max(times)
    minutes = int((hi - lo).total_seconds() // 60)
    return f"{isoz(lo)} .. {isoz(hi)} ({minutes // 60}h{minutes % 60:02d}m)"


def summarize(path: str | Path, kind: str | None = None, service_label: str | None = None,
              args=None) -> str:
    """What a valid file holds: one line, then what the reader mapped, defaulted or ignored
    (one ``  note:`` line each); raises InputError for an invalid file."""
    from .records import load_topology
    path = str(path)
    args = args or argparse.Namespace(rejects=None, service_label=service_label)
    if kind is None and (getattr(args, "source", None) or getattr(args, "map", None) or getattr(args, "tz", None)):
        kind = "tickets"              # --from / --map only make sense for tickets
    kind = kind or _guess_kind(path)
    if kind == "tickets":
        tickets, report = _read("tickets", path, args, notes_on_stderr=False)
        status = Counter(t.status for t in tickets)
        parts = ", ".join(f"{s} {status[s]}" for s in sorted(status))
        line = f"{report.file}: {len(tickets)} tickets, {_span([t.created_at for t in tickets])}; status: {parts}"
        return "\n".join([line, *_note_lines(report)])
    if kind == "alerts":
        alerts, report = _read("alerts", path, args, notes_on_stderr=False)
        sev = Counter(a.severity for a in alerts)
        parts = ", ".join(f"{s} {sev[s]}" for s in ("critical", "warning", "info") if sev[s])
        services = len({a.service for a in alerts})
        resolved = sum(a.status == "resolved" for a in alerts)
        line = (f"{report.file}: {len(alerts)} alerts from {services} services, {_span([a.ts for a in alerts])}; "
                f"{parts}; {len(alerts) - resolved} firing, {resolved} resolved")
        return "\n".join([line, *_note_lines(report)])
    if kind == "topology":
        if path == STDIN:
            raise InputError("a topology is read from a file, not standard input")
        path = Path(path)
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


def _note_lines(report: LoadReport) -> list[str]:
    """The reader's notes, as ``desk validate`` shows them under its summary."""
    prefix = f"{report.file}: "
    return [f"  note: {n[len(prefix):] if n.startswith(prefix) else n}" for n in report.notes]


def _cmd_validate(args) -> int:
    _emit(summarize(args.file, args.kind, args.service_label, args))
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


def _cmd_triage(args) -> int:
    from .support_desk import triage_and_route, triage_json
    rules, policy, threshold = _desk_policies(args.threshold)
    tickets, report = _read("tickets", args.tickets, args, notes_on_stderr=not args.json)
    outcomes = triage_and_route(tickets, rules, policy, threshold)
    if args.json:
        _emit_json(_with_input(triage_json(outcomes, threshold), report))
        return 0
    _emit(f"{'id':<8} {'severity':<8} {'conf':>5}  {'route':<6} {'tier':<4}  reason / rules matched")
    for o in outcomes:
        why = o.reason if o.route == "human" else ", ".join(o.matched)
        _emit(f"{o.id:<8} {o.severity:<8} {o.confidence:>5.2f}  {o.route:<6} {o.tier or '-':<4}  {why}")
    auto = sum(o.route == "auto" for o in outcomes)
    _emit(f"\n{len(outcomes)} tickets at threshold {threshold:.2f}: {auto} auto, {len(outcomes) - auto} to a human")
    return 0


def _cmd_run(args) -> int:
    from .aiops import DEFAULT_WINDOW_S, correlate
    from .data import DAY_END
    from .records import load_topology
    from .support_desk import day_report, run_day
    rules, policy, threshold = _desk_policies(args.threshold)
    runbooks = _runbooks()
    topology = _policy("topology.json", load_topology, _fixture("topology.json"))
    args = argparse.Namespace(rejects=None, service_label=None, accounts=args.accounts)
    tickets, _ = _read("tickets", str(_fixture("tickets.jsonl")), args)
    alerts, _ = _read("alerts", str(_fixture("alerts.jsonl")), args)
    day = run_day(tickets, DAY_END, rules, policy, threshold)
    _emit(day_report(day, tickets))

    correlation = correlate(alerts, topology, DEFAULT_WINDOW_S, runbooks=runbooks)
    _emit(f"\nAlert storm ({len(alerts)} alerts, window {correlation.window_s} s, time + topology):")
    _emit("\n".join("  " + line for line in _incident_table(correlation)))
    _emit(f"\nNoise reduction: {correlation.noise_reduction:.3f} "
          f"({len(alerts)} alerts -> {len(correlation.incidents)} incidents; page on the root causes: "
          f"{', '.join(inc.root_cause for inc in correlation.incidents)})")
    return 0


def _window(text: str) -> int:
    from .aiops import parse_window
    try:
        return parse_window(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _hops(text: str) -> int:
    from .aiops import parse_hops
    try:
        return parse_hops(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _state(inc) -> str:
    """``firing``, ``resolved 02:11:00`` or ``resolved`` (end unknown)."""
    if inc.firing:
        return "firing"
    return f"resolved {inc.ended_at:%H:%M:%S}" if inc.ended_at is not None else "resolved"


def _incident_table(correlation, state: bool = False) -> list[str]:
    """The incidents as a text table; ``state`` adds whether each still fires."""
    head = f"{'state':<17} " if state else ""
    lines = [f"{'incident':<8} {'root cause':<16} {'alerts':>6} {'dups':>4}  {'first':<8} {'last':<8} "
             f"{'severity':<8} {head}{'runbook':<24} services"]
    for inc in correlation.incidents:
        shown = f"{_state(inc):<17} " if state else ""
        lines.append(f"{inc.id:<8} {inc.root_cause:<16} {len(inc.alert_ids):>6} {inc.duplicates:>4}  "
                     f"{inc.start:%H:%M:%S} {inc.end:%H:%M:%S} {inc.severity:<8} {shown}{inc.runbook or '-':<24} "
                     f"{', '.join(inc.services)}")
    return lines


def _cmd_correlate(args) -> int:
    from .aiops import correlate, evaluate, to_json
    from .records import load_alert_truth, load_topology
    runbooks = _runbooks()
    alerts, report = _read("alerts", args.alerts, args, notes_on_stderr=not args.json)
    topology = load_topology(Path(args.topology)) if args.topology else None
    from .aiops import DEFAULT_HOPS
    correlation = correlate(alerts, topology, args.window, runbooks=runbooks,
                            hops=DEFAULT_HOPS if args.hops is None else args.hops)
    evaluation = None
    if args.truth:
        truth = load_alert_truth(Path(args.truth))
        try:
            evaluation = evaluate(correlation, truth)
        except ValueError as exc:
            raise InputError(f"{Path(args.truth).name}: {exc}") from None
    if args.json:
        _emit_json(_with_input(to_json(correlation, evaluation), report))
        return 0
    link = (f"time + topology, hops {correlation.hops}" if topology is not None
            else "time only (no --topology given)")
    _emit(f"window {correlation.window_s} s, {link}")
    _emit("\n".join(_incident_table(correlation, state=True)))
    n, k = len(correlation.alerts), len(correlation.incidents)
    still = sum(inc.firing for inc in correlation.incidents)
    _emit(f"\n{n} alerts -> {k} incidents: noise reduction {correlation.noise_reduction:.3f}; "
          f"{still} still firing, {k - still} resolved")
    for note in report.notes:     # alerts the file does not hold: said where the result is read
        if "truncatedAlerts" in note:
            _emit(f"warning: {note}")
    if evaluation is not None:
        _emit(f"against the truth ({evaluation['true_incidents']} incidents): precision {evaluation['precision']:.3f}, "
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
    _emit(format_results(results))
    return 0 if all(r.passed for r in results) else 1


# ----------------------------------------------------------------------------- entry point

def _rejects_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rejects", metavar="FILE",
                   help="set bad records aside in FILE (JSON lines, with the reason) and go on; "
                        "default: refuse the whole file at the first bad record")


def _source_options(p: argparse.ArgumentParser) -> None:
    """--from, --map, --tz: tickets exported by other tools (see desklib.sources)."""
    from .sources import load_presets
    try:
        names = sorted(n for n in load_presets() if n != "desk")
    except InputError:           # a broken sources.toml is said when --from is used, not at --help
        names = None
    p.add_argument("--from", dest="source", choices=names, metavar="SOURCE" if names is None else None,
                   help="read another tool's export with its preset from fixtures/sources.toml")
    p.add_argument("--map", action="append", metavar="FIELD=COLUMN",
                   help="which column holds a desk field, e.g. --map id='Ticket #' (repeatable)")
    p.add_argument("--tz", metavar="ZONE",
                   help="time zone of times written without a UTC offset, e.g. Europe/Berlin")


def _service_label_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--service-label", metavar="LABELS", default=None,
                   help="webhook label(s) naming the service, the first one an alert has wins "
                        "(default: [service] labels in fixtures/alert_policy.toml: service,job,app,namespace)")


def _tolerant_streams() -> None:
    """Text the terminal's encoding cannot show is escaped, never a crash."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):
            pass


def _drop_stdout() -> None:
    """After a failed write, send what is left to /dev/null so exiting does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="desk", description="The support desk and AIOps lesson, from the command line.")
    parser.add_argument("--version", action="version", version=f"desk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("validate", help="check a tickets, alerts or topology file and summarise it")
    p.add_argument("file", help="the file to check (- reads standard input)")
    _rejects_option(p)
    p.add_argument("--kind", choices=("tickets", "alerts", "topology"), help="default: guessed from the file")
    _source_options(p)
    _service_label_option(p)
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("triage", help="triage, gate and route tickets (.jsonl or .csv)")
    p.add_argument("tickets", help="tickets file (.jsonl, .json or .csv; - reads standard input)")
    _rejects_option(p)
    _source_options(p)
    p.add_argument("--threshold", type=_threshold, default=None,
                   help="confidence gate in [0, 1] (default: [gate] threshold in fixtures/triage_rules.toml)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_triage)

    p = sub.add_parser("run", help="run the lesson's day on the fixtures and print a short report")
    p.add_argument("--threshold", type=_threshold, default=None, help="confidence gate in [0, 1]")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("correlate", help="collapse an alert storm into incidents (JSONL, CSV or Alertmanager webhook)")
    p.add_argument("alerts", help="alerts file (.jsonl, .json, .csv or webhook JSON; - reads standard input)")
    _rejects_option(p)
    p.add_argument("--topology", help="service topology JSON (without it, time alone decides)")
    p.add_argument("--window", type=_window, default="5m",
                   help="correlation window: 300, 300s, 5m, 1h (default: 5m)")
    p.add_argument("--hops", type=_hops, default=None,
                   help="dependency edges a link may span through services with no alerts (1: direct "
                        "dependencies only; default: 2)")
    p.add_argument("--truth", help="truth CSV (id,incident,root_cause) to add an evaluation")
    _service_label_option(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_correlate)

    p = sub.add_parser("check", help="check the optional challenge (exit 0 when every case passes)")
    p.add_argument("exercise", choices=("priority_queue",))
    p.add_argument("--file", help="the file to check (default: priority_queue.py found from here: ./, starters/, ../starters/)")
    p.set_defaults(func=_cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    _tolerant_streams()
    parser = build_parser()
    args = parser.parse_args(argv)
    args.accounts = []   # what each command read: said on stderr once it has succeeded
    try:
        status = args.func(args)
        for line in args.accounts:
            _err(line)
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _OutputError(exc) from None
        return status
    except InputError as exc:
        _err(str(exc))
        return EXIT_INPUT
    except _OutputError as exc:   # a full disk, a closed file: one line, not a traceback
        _drop_stdout()
        error = exc.args[0]
        _err(f"cannot write the output: {error.strerror or error}")
        return EXIT_INPUT
    except BrokenPipeError:   # `desk ... | head`
        _drop_stdout()
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
