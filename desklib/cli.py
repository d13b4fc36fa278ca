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


def _desk_policies(threshold: float | None, rules_path: str | None = None):
    """The keyword rules (``--rules``, e.g. a ``desk fit-rules`` output, or the fixtures'),
    the SLA policy and the gate's threshold (``--threshold``, else the rules file's ``[gate]``)."""
    from .gate import default_threshold
    from .routing import load_policy
    from .triage import load_rules
    name = Path(rules_path).name if rules_path else "triage_rules.toml"
    rules = _policy(name, load_rules, rules_path)
    policy = _policy("sla_policy.toml", load_policy)
    if threshold is None:
        threshold = _policy(name, default_threshold, rules_path)
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

def _checked(text: str, convert, ok, expected: str):
    """``convert(text)`` if it converts and ``ok`` accepts it (NaN never does); else argparse's
    one-line usage error: ``"<expected>, got '<text>'"``."""
    try:
        value = convert(text)
    except ValueError:
        value = None
    if value is None or not ok(value):
        raise argparse.ArgumentTypeError(f"{expected}, got '{text}'")
    return value


def _threshold(text: str) -> float:
    return _checked(text, float, lambda v: 0.0 <= v <= 1.0, "threshold must be a number in [0, 1]")


def _rules_option(p) -> None:
    p.add_argument("--rules", metavar="FILE",
                   help="keyword rules to triage with, e.g. what desk fit-rules -o wrote "
                        "(default: fixtures/triage_rules.toml)")


def _cmd_triage(args) -> int:
    from .support_desk import triage_and_route, triage_json
    rules, policy, threshold = _desk_policies(args.threshold, args.rules)
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
    from .aiops import DEFAULT_WINDOW_S, correlate, to_json
    from .data import DAY_END
    from .records import load_topology
    from .support_desk import day_report, run_day, run_json
    rules, policy, threshold = _desk_policies(args.threshold, args.rules)
    runbooks = _runbooks()
    topology = _policy("topology.json", load_topology, _fixture("topology.json"))
    as_json = getattr(args, "json", False)
    args = argparse.Namespace(rejects=None, service_label=None, accounts=args.accounts)
    tickets, ticket_report = _read("tickets", str(_fixture("tickets.jsonl")), args, notes_on_stderr=not as_json)
    alerts, alert_report = _read("alerts", str(_fixture("alerts.jsonl")), args, notes_on_stderr=not as_json)
    day = run_day(tickets, DAY_END, rules, policy, threshold)
    correlation = correlate(alerts, topology, DEFAULT_WINDOW_S, runbooks=runbooks)
    if as_json:
        storm = _with_input(to_json(correlation), alert_report)
        _emit_json(_with_input({**run_json(day), "storm": storm}, ticket_report))
        return 0
    _emit(day_report(day, tickets, review=True))
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
    try:
        correlation = correlate(alerts, topology, args.window, runbooks=runbooks,
                                hops=DEFAULT_HOPS if args.hops is None else args.hops)
    except ValueError as exc:         # a --hops too large for the topology: said in one line
        raise InputError(f"{Path(args.topology).name if args.topology else 'correlate'}: {exc}") from None
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


# ----------------------------------------------------------------------------- fit-rules

def _folds(text: str) -> int:
    return _checked(text, int, lambda v: v >= 2, "--folds must be a whole number >= 2")


def _fit_rules_notes(tickets, truth: dict, tickets_name: str, truth_name: str) -> list[str]:
    """Tickets without a true severity (counted, not used) and truth rows without a ticket."""
    notes = []
    have = {t.id for t in tickets}
    unlabelled = [t.id for t in tickets if t.id not in truth]
    if unlabelled:
        shown = ", ".join(unlabelled[:5]) + (", ..." if len(unlabelled) > 5 else "")
        notes.append(f"{tickets_name}: {len(unlabelled)} of {len(tickets)} tickets have no true severity "
                     f"in {truth_name}, not used for fitting ({shown})")
    orphans = sorted(tid for tid in truth if tid not in have)
    if orphans:
        shown = ", ".join(orphans[:5]) + (", ..." if len(orphans) > 5 else "")
        notes.append(f"{truth_name}: {len(orphans)} ids have no ticket in {tickets_name}, ignored ({shown})")
    return notes


def _cmd_fit_rules(args) -> int:
    from .fitrules import fit_rules, render
    from .gate import load_gate_policy
    from .records import load_ticket_truth
    from .triage import load_rules
    base_name = Path(args.rules).name if args.rules else "triage_rules.toml"
    rules = _policy(base_name, load_rules, args.rules)
    gate = _policy(base_name, load_gate_policy, args.rules)
    for other in (args.tickets, args.truth):
        if args.output and other != STDIN and Path(args.output).resolve() == Path(other).resolve():
            raise InputError(f"{args.output}: -o would overwrite an input file; name another file")
    tickets, report = _read("tickets", args.tickets, args, notes_on_stderr=not args.json)
    truth = load_ticket_truth(Path(args.truth))
    truth_name = Path(args.truth).name
    labelled = sum(t.id in truth for t in tickets)
    if not labelled:
        raise InputError(f"{truth_name}: no ticket of {report.file} has a true severity here "
                         f"({len(truth)} ids, none matching)")
    if args.folds > labelled:
        raise InputError(f"--folds {args.folds}: needs at least {args.folds} labelled tickets, got {labelled}")
    notes = _fit_rules_notes(tickets, truth, report.file, truth_name)
    found = fit_rules(tickets, truth, rules, folds=args.folds, threshold=gate.threshold)
    if args.output:
        text = render(rules, found, {"threshold": gate.threshold, "cost_wrong": gate.cost_wrong,
                                     "cost_human": gate.cost_human}, [report.file, truth_name])
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{args.output}: cannot write the fitted rules ({exc.strerror or exc})") from None
    if args.json:
        doc = {**found.to_json(rules), "output": args.output}
        report.notes.extend(notes)
        _emit_json(_with_input(doc, report))
        return 0
    args.accounts[-1:-1] = notes            # after the reader's notes, before its accounting line
    fmt = lambda x: "-" if x is None else f"{x:.3f}"          # noqa: E731
    _emit(f"{found.labelled} labelled tickets of {found.n}, {found.folds}-fold cross-validation "
          f"(gate at {gate.threshold:.2f})")
    _emit(f"{'':<14} {'accuracy':>8} {'ECE':>6} {'AUROC':>6} {'coverage':>8} {'auto':>6} {'auto prec':>9}")
    for name, m in (("base rules", found.shipped), ("fitted rules", found.fitted)):
        _emit(f"{name:<14} {fmt(m['accuracy']):>8} {fmt(m['ece']):>6} {fmt(m['auroc']):>6} "
              f"{fmt(m['coverage']):>8} {fmt(m['auto']):>6} {fmt(m['auto_precision']):>9}")
    p = found.params
    _emit("\nweights: " + ", ".join(f"{r.name} {r.weight:g}" + (f" -> {w:g}" if w != r.weight else "")
                                    for r, w in zip(rules.rules, p.weights)))
    _emit(f"scoring: base {rules.base:g} -> {p.base:g}, half_saturation {rules.half_saturation:g} -> "
          f"{p.half_saturation:g}, fallback_severity {rules.fallback_severity} -> {p.fallback_severity}")
    _emit(f"\ncandidate keywords (not enabled; {len(found.candidates)} found):")
    for c in found.candidates:
        _emit(f"  {c.severity}  {c.right:>5}/{c.count:<5} {c.precision:.2f}  {c.phrase}")
    _emit(f"\nwrote {args.output}" if args.output else "\n(pass -o rules.toml to write the fitted rules file)")
    return 0


# ----------------------------------------------------------------------------- capture, replay

def _positive_int(text: str) -> int:
    return _checked(text, int, lambda v: v >= 1, "expected a whole number of 1 or more")


def _speed(text: str) -> float:
    return _checked(text, float, lambda v: 0 < v < float("inf"),
                    "speed must be a number more than 0 (60: an hour in a minute)")


def _live(line: str) -> None:
    """A progress line, shown at once even when standard output is a pipe."""
    _emit(line)
    sys.stdout.flush()


def _cmd_capture(args) -> int:
    import signal
    import threading
    import time
    from . import capture
    host, port = capture.parse_listen(args.listen)
    token = capture.read_token(args.token_file) if args.token_file else None
    cap = capture.Capture(Path(args.output), args.max_payloads)
    handler = capture.make_handler(cap, token, args.max_bytes,
                                   say=lambda line: _live(f"{time.strftime('%H:%M:%S')} {line}"),
                                   warn=lambda line: _err(f"capture: {line}"))
    try:
        server = capture.make_server(host, port, handler)
    except InputError:
        cap.close()
        raise
    host, port = server.server_address[:2]
    if not capture.is_loopback(host) and token is None:
        _err("capture: warning: listening beyond loopback without --token-file; anyone who can reach "
             f"{host}:{port} can add to {args.output}")
    shown = f"[{host}]" if ":" in host else host
    _live(f"desk capture: listening on http://{shown}:{port}/ (POST webhooks; GET {capture.HEALTH_PATH}), "
          f"appending to {args.output}")
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    try:
        why = capture.serve(server, stop, args.duration, cap.full)
    finally:
        for sig, handler_before in previous.items():
            signal.signal(sig, handler_before)
        cap.close()
    why = {"stopped": "stopped (Ctrl-C or SIGTERM)", "duration": f"--duration {args.duration} s over",
           "max-payloads": f"--max-payloads {args.max_payloads} reached"}[why]
    refused = ", ".join(f"{n} × {status}" for status, n in sorted(cap.refused.items(), key=str)) or "none"
    _live(f"desk capture: {why}: {cap.payloads} payloads, {cap.alerts} alerts appended to {args.output} "
          f"in {time.monotonic() - started:.1f} s; refused: {refused}")
    return 0


def _cmd_replay(args) -> int:
    import time
    from dataclasses import replace
    from datetime import datetime, timezone
    from . import replay
    from .alertmap import load_policy, parse_service_labels
    from .capture import read_token
    kind = replay.target_kind(args.to)
    token = read_token(args.token_file) if args.token_file else None
    alerts, report = _read("alerts", args.file, args)
    now = datetime.now(timezone.utc)               # the command reads the clock; replay.plan is given it
    policy = _policy("alert_policy.toml", load_policy)
    if args.service_label:
        policy = replace(policy, service_labels=parse_service_labels(args.service_label))
    sends = replay.plan(alerts, now, None if args.at_once else args.speed, kind, policy)
    what = "Alertmanager API v2" if kind == "alertmanager" else "webhook payloads"
    _live(f"desk replay: {len(alerts)} alerts from {report.file} to {args.to} as {what}: {len(sends)} posts "
          f"over {(sends[-1].at - now).total_seconds():.1f} s, times shifted so the storm ends then")
    started, sent = time.monotonic(), 0
    for send in sends:
        pause = (send.at - now).total_seconds() - (time.monotonic() - started)
        if pause > 0:
            time.sleep(pause)
        replay.post(args.to, replay.body(send, kind), token)
        sent += len(send.alerts)
        _live(f"+{time.monotonic() - started:6.1f} s  sent {len(send.alerts)} alert{'s' if len(send.alerts) != 1 else ''} "
              f"({len(send.alerts) - send.resolved} firing, {send.resolved} resolved); {sent} sent")
    _live(f"desk replay: done, {sent} alerts in {len(sends)} posts")
    return 0


def _add_capture_commands(sub) -> None:
    """``desk capture`` and ``desk replay`` (desklib.capture, desklib.replay)."""
    from .capture import MAX_BYTES
    p = sub.add_parser("capture", help="receive Alertmanager/Grafana webhooks and append each to a JSONL file")
    p.add_argument("--listen", default="127.0.0.1:9099", metavar="HOST:PORT",
                   help="where to listen (default: 127.0.0.1:9099, loopback only; port 0 picks a free one)")
    p.add_argument("-o", "--output", required=True, metavar="FILE.jsonl",
                   help="the capture: one webhook payload per line, appended (desk correlate reads it)")
    p.add_argument("--token-file", metavar="FILE",
                   help="accept only requests with 'Authorization: Bearer <the token in FILE>'")
    p.add_argument("--max-bytes", type=_positive_int, default=MAX_BYTES, metavar="N",
                   help=f"refuse bodies over N bytes with 413 (default: {MAX_BYTES})")
    p.add_argument("--duration", type=_window, default=None, metavar="TIME",
                   help="stop after this long: 300, 30m, 8h (default: until Ctrl-C or SIGTERM)")
    p.add_argument("--max-payloads", type=_positive_int, default=None, metavar="N",
                   help="stop after N payloads")
    p.set_defaults(func=_cmd_capture)

    p = sub.add_parser("replay", help="send a recorded storm to an Alertmanager or to desk capture, sped up")
    p.add_argument("file", help="alerts file (.jsonl, .json, .csv, a webhook capture, an API v2 list)")
    p.add_argument("--to", required=True, metavar="URL",
                   help="http://host:9093/api/v2/alerts (an Alertmanager), any other URL gets webhook "
                        "payloads (desk capture)")
    p.add_argument("--speed", type=_speed, default=60.0,
                   help="how much faster than it happened (default: 60, an hour in a minute)")
    p.add_argument("--at-once", action="store_true", help="send the whole storm in one post, each alert as it ended")
    p.add_argument("--token-file", metavar="FILE", help="send 'Authorization: Bearer <the token in FILE>'")
    _service_label_option(p)
    p.set_defaults(func=_cmd_replay, rejects=None)


# ----------------------------------------------------------------------------- tune

def _unit_open(text: str) -> float:
    """A number strictly between 0 and 1 (a precision target, a risk δ)."""
    return _checked(text, float, lambda v: 0.0 < v < 1.0, "expected a number strictly between 0 and 1")


def _cost(text: str) -> float:
    return _checked(text, float, lambda v: 0.0 <= v < float("inf"), "expected a finite number >= 0 (agent-minutes)")


def _seed(text: str) -> int:
    return _checked(text, int, lambda v: v >= 0, "expected a whole number >= 0")


def _pct(x) -> str:
    return "-" if x is None else f"{x:.1%}"


def _tune_lines(doc: dict) -> list[str]:
    """``desk tune``'s readable report."""
    chow, target, cal = doc["chow"], doc["precision_target"], doc["calibration"]
    lines = [f"{doc['n']} predictions, {doc['labelled']} labelled"]
    lines.append(f"Chow's rule (a wrong route costs {chow['cost_wrong']:g}, a human look {chow['cost_human']:g}): "
                 f"threshold {chow['threshold']:.2f} -> coverage {_pct(chow['coverage'])}, "
                 f"precision {_pct(chow['precision'])} on the labelled ones")
    want = f"precision >= {target['target']:g} with probability >= {1 - target['delta']:g}"
    if target["threshold"] is not None:
        lines.append(f"Certified: threshold {target['threshold']:.2f} gives {want} "
                     f"(coverage {_pct(target['coverage'])}, precision {_pct(target['precision'])}, "
                     f"lower bound {target['precision_lower_bound']:.3f})")
    else:
        needed = target.get("labelled_needed")
        more = (f"; roughly {needed:,} labelled tickets would be needed ({target['labelled_needed_why']})"
                if needed else f"; {target['labelled_needed_why']}")
        lines.append(f"Not certified ({want}): {target['reason']}{more}")
    lo, hi = cal["ece_interval"]
    lines.append(f"Calibration: ECE ({cal['bin_count']} bins) {cal['ece']:.3f}, bootstrap 95% interval "
                 f"[{lo:.3f}, {hi:.3f}] (on small sets the plug-in ECE reads high)")
    recal = doc.get("recalibration")
    if recal:
        rt = recal["precision_target"]
        got = (f"certifies {rt['threshold']:.3f} (raw confidence >= {rt['raw_threshold']:.2f}), "
               f"lower bound {rt['precision_lower_bound']:.3f}" if rt["threshold"] is not None
               else f"certifies nothing: {rt['reason']}")
        lines.append(f"Recalibrated (isotonic, fitted on {recal['fitted_on']}, checked on {recal['held_out']}): "
                     f"ECE {recal['before']['ece']:.3f} -> {recal['after']['ece']:.3f} on the held-out half; {got}")
    lines.append(f"\n{'threshold':>9} {'auto':>6} {'human':>6} {'coverage':>8} {'precision':>9} {'lower bound*':>12}")
    for row in doc["sweep"]:
        bound = "-" if row["precision_lower_bound"] is None else f"{row['precision_lower_bound']:.3f}"
        lines.append(f"{row['threshold']:>9.2f} {row['auto']:>6} {row['human']:>6} {_pct(row['coverage']):>8} "
                     f"{_pct(row['precision']):>9} {bound:>12}")
    lines.append(f"* each threshold's own bound at {1 - target['delta']:g}; picking a row from this table is not "
                 "covered by it (the certified threshold above is)")
    return lines


def _cmd_tune(args) -> int:
    from .predictions import read_predictions
    from .tune import tune
    rejects = args.rejects
    if rejects and args.predictions != STDIN and Path(rejects).resolve() == Path(args.predictions).resolve():
        raise InputError(f"{rejects}: --rejects would overwrite the input file; name another file")
    predictions, labels, report = read_predictions(args.predictions, args.truth,
                                                   "collect" if rejects else "raise")
    if rejects:
        _write_rejects(Path(rejects), report)
    if not predictions:
        raise InputError(f"{report.file}: no predictions left to work on (all {report.set_aside} set aside in {rejects})")
    if not labels and args.truth is not None:      # say which file let the labels down, not "give a truth file"
        from .records import _clip, load_ticket_truth
        given = sorted(load_ticket_truth(args.truth))
        example = (f": e.g. '{_clip(given[0], 30)}' in the truth, '{_clip(predictions[0].id, 30)}' in "
                   f"{report.file}" if given else "")
        raise InputError(f"{Path(args.truth).name}: no prediction of {report.file} has a label here "
                         f"({len(given)} id{'s' if len(given) != 1 else ''}, none matching{example})")
    if args.cost_wrong is None or args.cost_human is None:
        from .gate import load_gate_policy
        policy = _policy("triage_rules.toml", load_gate_policy)
        args.cost_wrong = policy.cost_wrong if args.cost_wrong is None else args.cost_wrong
        args.cost_human = policy.cost_human if args.cost_human is None else args.cost_human
    try:
        doc = tune(predictions, labels, args.target_precision, args.delta, args.cost_wrong, args.cost_human,
                   recalibration=args.recalibrate, seed=args.seed)
    except ValueError as exc:
        raise InputError(f"{report.file}: {exc}") from None
    notes = list(report.notes)
    notes.append("sweep: precision_lower_bound is each threshold's own Clopper-Pearson bound, not the "
                 "guarantee of a threshold chosen from the table; precision_target's threshold is")
    notes.append("calibration: the plug-in ECE is biased upward on small sets; the bootstrap interval "
                 "shows its spread, not that bias")
    if args.json:
        _emit_json({**doc, "input": report.counts(), "notes": notes})
    else:
        args.accounts.extend(report.notes)
        _emit("\n".join(_tune_lines(doc)))
    args.accounts.append(f"{report.file}: {report.line(rejects)}")
    return 0


def _tune_parser(sub) -> None:
    from .tune import DEFAULT_DELTA, DEFAULT_TARGET
    p = sub.add_parser("tune", help="choose the gate's threshold from labelled predictions, with a guarantee")
    p.add_argument("predictions", help="predictions file: id, severity, confidence[, true_severity] "
                                       "(.csv, .jsonl or .json; - reads standard input)")
    p.add_argument("--truth", help="truth CSV (id,severity); default: the file's true_severity column")
    p.add_argument("--target-precision", type=_unit_open, default=DEFAULT_TARGET, metavar="P",
                   help=f"precision to certify, in (0, 1) (default {DEFAULT_TARGET})")
    p.add_argument("--delta", type=_unit_open, default=DEFAULT_DELTA, metavar="D",
                   help=f"chance allowed that the certificate is wrong, in (0, 1) (default {DEFAULT_DELTA})")
    p.add_argument("--cost-wrong", type=_cost, default=None, metavar="W",
                   help="cost of a wrong automatic route (default: [gate] cost_wrong in triage_rules.toml)")
    p.add_argument("--cost-human", type=_cost, default=None, metavar="H",
                   help="cost of a human look (default: [gate] cost_human in triage_rules.toml)")
    p.add_argument("--recalibrate", action="store_true",
                   help="fit isotonic calibration on half the labels; check and certify on the other half")
    p.add_argument("--seed", type=_seed, default=0, help="seed of the bootstrap and of the split (default 0)")
    _rejects_option(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_tune)


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
                   help="confidence gate in [0, 1] (default: [gate] threshold in the rules file)")
    _rules_option(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_triage)

    p = sub.add_parser("run", help="run the lesson's day on the fixtures and print a short report")
    p.add_argument("--threshold", type=_threshold, default=None,
                   help="confidence gate in [0, 1] (default: [gate] threshold in the rules file)")
    _rules_option(p)
    p.add_argument("--json", action="store_true",
                   help="machine-readable output: desk triage's keys, the human queue in review order, "
                        "the escalations, and the storm as desk correlate gives it")
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

    p = sub.add_parser("fit-rules", help="fit the keyword rules' weights to labelled tickets, with cross-validation")
    p.add_argument("tickets", help="tickets file (.jsonl, .json or .csv; - reads standard input)")
    p.add_argument("truth", help="true severities: CSV id,severity (like fixtures/tickets_truth.csv)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the fitted rules file here")
    p.add_argument("--rules", metavar="BASE", help="the rules to fit (default: fixtures/triage_rules.toml)")
    p.add_argument("--folds", type=_folds, default=5, help="cross-validation folds (default: 5)")
    _rejects_option(p)
    _source_options(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_fit_rules)

    p = sub.add_parser("check", help="check the optional challenge (exit 0 when every case passes)")
    p.add_argument("exercise", choices=("priority_queue",))
    p.add_argument("--file", help="the file to check (default: priority_queue.py found from here: ./, starters/, ../starters/)")
    p.set_defaults(func=_cmd_check)

    _add_capture_commands(sub)
    _tune_parser(sub)
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
