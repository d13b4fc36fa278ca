"""How fast is triage? Synthesise a big realistic queue and time it on one core.

    python benchmarks/bench_triage.py            # 200,000 tickets
    python benchmarks/bench_triage.py --n 50000

Each synthetic ticket has a subject of about 8 words and a body of 40-80 words
drawn (seeded, so every run is the same) from everyday support vocabulary, with
0-3 real keywords from the policy mixed in, some shouted, some followed by
punctuation. About 5% of tickets contain non-ASCII words (names, other
languages), which take the slower Unicode path in ``triage.words``.

Reported: the best of 3 timed runs (``time.perf_counter``) of ``triage_all`` and
of ``gate``, as tickets per second, then where triage's time goes (normalising
the text, the one regex scan, the rest). The target is >= 100,000 tickets/s for
triage. Timings depend on the machine, so a reference timing of a plain Python
loop is printed too: compare machines by it.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desklib.gate import gate, default_threshold   # noqa: E402
from desklib.records import Ticket                  # noqa: E402
from desklib.triage import _normalise, load_rules, triage_all   # noqa: E402

VOCABULARY = """
the a an to and of in is it for on my we our you your with this that not have but be are
was at from when i they app page account team customer ticket tickets report reports export
users data since today yesterday morning afternoon please help thanks thank hello hi after
before again still now just very really also using new old time click button settings email
plan seats agent agents queue dashboard widget filter view list search tag tags field form
browser chrome firefox mobile phone laptop office week month number total update updated
change changed open opened close closed reply replied status priority order orders payment
card company manager admin colleague someone somebody anyone nothing everything something
works worked working seems looks shows showing tried trying see seen get got getting keep
""".split()
NON_ASCII = ["müller", "café", "josé", "größe", "naïve", "señor", "überall", "déjà"]
PUNCTUATION = ["", "", "", ",", ".", "!", "!!!", "?", ":"]
CREATED = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def synthesise(n: int, rules, seed: int = 42) -> list[Ticket]:
    """n tickets of realistic length, the same every run."""
    rng = random.Random(seed)
    keywords = [k for rule in rules.rules for k in rule.keywords]
    tickets = []
    for i in range(n):
        subject = [rng.choice(VOCABULARY) for _ in range(rng.randint(5, 11))]
        body = [rng.choice(VOCABULARY) for _ in range(rng.randint(40, 80))]
        for _ in range(rng.randint(0, 3)):
            word = rng.choice(keywords)
            if rng.random() < 0.15:
                word = word.upper()
            where = subject if rng.random() < 0.3 else body
            where[rng.randrange(len(where))] = word + rng.choice(PUNCTUATION)
        if rng.random() < 0.05:
            body[rng.randrange(len(body))] = rng.choice(NON_ASCII)
        tickets.append(Ticket(id=f"s{i:06d}", created_at=CREATED,
                              subject=" ".join(subject).capitalize(),
                              body=" ".join(body).capitalize() + "."))
    return tickets


def best_of(runs: int, fn, *args) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="number of tickets (default 200000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs; the best counts (default 3)")
    args = parser.parse_args(argv)

    rules = load_rules()
    threshold = default_threshold()
    tickets = synthesise(args.n, rules)
    chars = sum(len(t.subject) + len(t.body) for t in tickets) / len(tickets)
    print(f"{len(tickets):,} synthetic tickets, {chars:.0f} characters on average")

    t_triage, triaged = best_of(args.runs, triage_all, tickets, rules)
    t_gate, decisions = best_of(args.runs, gate, triaged, threshold)
    auto = sum(d.route == "auto" for d in decisions)

    n = len(tickets)
    print(f"triage_all : {t_triage:6.3f} s  {n / t_triage:>11,.0f} tickets/s  (target >= 100,000)")
    print(f"gate       : {t_gate:6.3f} s  {n / t_gate:>11,.0f} tickets/s")
    print(f"both       : {t_triage + t_gate:6.3f} s  {n / (t_triage + t_gate):>11,.0f} tickets/s")
    print(f"routed auto at threshold {threshold:.2f}: {auto:,} of {n:,}")

    texts = [f"{t.subject}\n{t.body}" for t in tickets]
    t_norm, normalised = best_of(args.runs, lambda xs: [_normalise(x) for x in xs], texts)
    t_scan, _ = best_of(args.runs, lambda xs: [rules.pattern.findall(x) for x in xs], normalised)
    print("where triage's time goes, per ticket:")
    print(f"  normalise text    {t_norm / n * 1e6:5.2f} us")
    print(f"  regex scan        {t_scan / n * 1e6:5.2f} us")
    print(f"  everything else   {(t_triage - t_norm - t_scan) / n * 1e6:5.2f} us")
    t_ref, _ = best_of(5, lambda: [sum(range(1000)) for _ in range(1000)])
    print(f"machine reference: sum(range(1000)) takes {t_ref / 1000 * 1e6:.1f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
