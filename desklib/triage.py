"""Triage: give each ticket a severity and a confidence, and say why.

In production this step is an LLM call that reads the ticket and answers "SEV2,
confidence 0.8". Here it is a list of keyword rules kept in
``fixtures/triage_rules.toml``, so every run is offline, instant and identical,
and every decision can be explained word by word.

How a ticket is scored
----------------------
1. **Words.** Subject and body are read together and cut into lower-case words:
   letters and digits only, apostrophes dropped (``"Can't"`` -> ``cant``), every
   other character a separator. A keyword or phrase in the rules is cut the same
   way, so matching is case-insensitive and *whole-word*: ``down`` fires on
   "site is DOWN!" but never on "download" or "downgrade".
   A keyword with other punctuation (``c++``, ``a.*b``, ``[x]``, ``.net``) is
   *literal*: it matches exactly that text, case aside, never a regex and never
   its letters alone (``c++`` does not fire on "plan c"). Literal keywords are
   found first, and each one found counts as one word.
2. **Keywords.** Reading left to right, at each word the longest keyword that
   starts there wins ("500 errors" beats "errors"), and its words are used up.
   A rule's ``unless`` phrases take part in the same race but count for nothing:
   with ``unless = ["drop down"]`` in the outage rule, "the drop down is empty"
   finds "drop down" (longer than "down"), which uses up its words and adds no
   evidence; "the site is down" still fires. Context cancels a keyword as data.
3. **Scores.** Every *distinct* keyword found adds its rule's ``weight`` to its
   rule's severity. Shouting "DOWN DOWN DOWN" counts once.
4. **Severity.** The severity with the highest score wins; a tie goes to the more
   severe one (over-triage is cheaper than under-triage). No keyword at all gives
   ``fallback_severity`` (SEV3 in the shipped policy).
5. **Confidence**, in [0, 1]::

       confidence = base + (1 - base) * share * strength
       share      = winning score / sum of all scores      does the evidence agree?
       strength   = winning score / (winning score + half_saturation)
                                                          how much evidence is there?

   With the shipped policy (``base`` 0.2, ``half_saturation`` 0.4):

   ====================================  =====  ========  ==========
   evidence                              share  strength  confidence
   ====================================  =====  ========  ==========
   none ("asdf qwer")                      -       -        0.20
   "down" vs "how do i" (conflict)        0.5     0.71      0.49
   "down" alone                           1.0     0.71      0.77
   "down" + "503" (agreeing)              1.0     0.83      0.87
   ====================================  =====  ========  ==========

   So: no evidence < conflicting evidence < the same evidence alone < more
   agreeing evidence. That ordering is what the confidence gate (gate.py) relies on.

How it is fast (``benchmarks/bench_triage.py`` measures it): C code passes over a
ticket's text a few times; Python takes a few steps per keyword *found*, never per word.

* The text is normalised once to its words with a space on each side
  (``b" site down 503 "``). Plain ASCII text goes through a byte table, no regex;
  other text is lower-cased, one small regex turns its non-ASCII punctuation into
  spaces, and the same table does the rest.
* :func:`load_rules` compiles *all* keywords into one regular expression shaped
  like a trie, so one scan finds every keyword between spaces, in reading order,
  longest first. A regex per rule would scan the text a dozen times.
* Literal keywords (none in the shipped policy, which keeps the path above) are
  found first by a second regex over the lower-cased text; each find becomes a token
  ``b"\\xff3"`` (a byte UTF-8 never holds) in the normalised text, which the trie knows.
* Each find is one dictionary lookup of its precomputed explanation, severity and
  weight. Severity and confidence depend only on the four scores, and tickets
  share few distinct scores, so each distinct one is worked out once and
  remembered (``round`` is slow).

* Results are made by filling the frozen record's slots directly (its ``__init__``
  costs a tenth of the whole), and :func:`triage_all` pauses Python's cycle collector:
  with pandas, matplotlib and the widgets loaded (200,000 objects alive) its
  collections otherwise take about a tenth of the time.

Tempting but not faster: intersecting the set of the ticket's words with the
keywords. Making and hashing one object per word costs nearly as much as the
whole scan, and phrases would then still need the words' positions.

The evaluation helpers at the bottom (accuracy, confusion matrix, a majority
baseline, a reliability table and the expected calibration error) compare
triage results with ``fixtures/tickets_truth.csv``. They return pandas objects;
pandas is imported inside them so that importing this module stays fast.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from ._gc import paused

__all__ = [
    "SEVERITIES", "Rule", "RuleSet", "Triage",
    "words", "load_rules", "triage", "triage_all", "to_frame",
    "evaluate", "confusion_matrix", "majority_baseline",
    "reliability_table", "expected_calibration_error",
]

#: The four severities, most severe first.
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
_RANK = {sev: i for i, sev in enumerate(SEVERITIES)}


# ----------------------------------------------------------------------------- words

# ASCII fast path: one byte table lower-cases A-Z, keeps a-z and 0-9 and turns every
# other byte into a space; apostrophes are deleted (bytes.translate's second argument).
_ASCII_TABLE = bytes((c + 32 if 65 <= c <= 90 else c) if chr(c).isalnum() else 32
                     for c in range(128)) + bytes(128)
# Any other text, after lower-casing: every non-ASCII character that is not a letter or
# digit ("—", "«", a no-break space) becomes a space, then a byte table like the one above
# does the ASCII bytes and keeps the UTF-8 bytes of the letters and digits as they are.
_NON_ASCII_SEPARATOR = re.compile(r"[^\x00-\x7f\w]")
_UTF8_TABLE = _ASCII_TABLE[:128] + bytes(range(128, 256))


def words(text: str) -> list[str]:
    """Cut text into lower-case words of letters and digits; apostrophes are dropped.

    >>> words("Can't log in -- site DOWN (503)!")
    ['cant', 'log', 'in', 'site', 'down', '503']
    >>> words("Plattform nicht erreichbar, Fehler 503")
    ['plattform', 'nicht', 'erreichbar', 'fehler', '503']
    """
    return _normalise(text).decode("utf-8").split()


def _normalise(text: str) -> bytes:
    """The words of ``text`` as UTF-8, each with a space before and after.

    ``" can t"`` never appears: apostrophes are gone, so the result looks like
    ``b" cant log in   site down  503 "``. Searching it for ``b" down "`` is a
    whole-word search.
    """
    if text.isascii():   # the common case: a byte table, several times faster than a regex
        return b" " + text.encode("ascii").translate(_ASCII_TABLE, b"'") + b" "
    text = _NON_ASCII_SEPARATOR.sub(" ", text.lower().replace("'", "").replace("\u2019", ""))
    return b" " + text.encode("utf-8").translate(_UTF8_TABLE) + b" "


# ----------------------------------------------------------------------------- rules

@dataclass(frozen=True)
class Rule:
    """One keyword rule from the policy file."""
    name: str
    severity: str
    weight: float
    keywords: tuple[str, ...]
    #: Phrases in which this rule's keywords count for nothing ("drop down" for "down").
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    """The policy, compiled by :func:`load_rules`.

    ``pattern`` finds every keyword in a normalised text in one scan, and
    ``evidence`` says what each find means: ``b"cant log in"`` ->
    ``("access_one: 'can't log in'", 2, 1.0)`` (explanation, position of the
    severity in :data:`SEVERITIES`, weight). ``cancels`` holds the normalised
    cancelling phrases (the rules' ``unless``): the pattern finds them like keywords,
    longest first, and a find of one counts for nothing.
    """
    rules: tuple[Rule, ...]
    fallback_severity: str = "SEV3"
    base: float = 0.2
    half_saturation: float = 1.0
    pattern: re.Pattern | None = field(default=None, repr=False, compare=False)
    evidence: Mapping[bytes, tuple[str, int, float]] = field(default_factory=dict, repr=False,
                                                             compare=False)
    literal: re.Pattern | None = field(default=None, repr=False, compare=False)
    literal_tokens: Mapping[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    cancels: frozenset = field(default_factory=frozenset, repr=False, compare=False)


def _trie_pattern(keys: Iterable[bytes]) -> re.Pattern:
    """One regex matching any key between spaces, longest key first.

    The keys are stored as a trie, so shared beginnings are tested once:
    ``time``, ``timeout``, ``timeouts`` become ``time(?:out(?:s)?)?``. Greedy
    optional parts make the longest key win; ``(?= )`` makes it end on a word
    boundary. A space inside a phrase matches one or more spaces.

    Most of the scan's time goes into the first level: a word that is no keyword
    is tried against every first letter, whatever their order.
    """
    trie: dict = {}
    for key in keys:
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = {}                          # a key ends here

    def regex(node: dict) -> bytes:
        children = sorted(b for b in node if b is not None)
        alternatives = [(rb" +" if byte == 32 else re.escape(bytes([byte]))) + regex(node[byte])
                        for byte in children]
        if not alternatives:
            return b""
        body = alternatives[0] if len(alternatives) == 1 else b"(?:" + b"|".join(alternatives) + b")"
        return b"(?:" + body + b")?" if None in node else body

    return re.compile(b" (" + regex(trie) + b")(?= )")


#: A *plain* keyword: words of letters and digits (an apostrophe inside a word, as in
#: "can't"), separated by spaces or hyphens. Plain keywords match whole words, with case
#: and punctuation ignored ("can't log in" fires on "Cant log-in").
_PLAIN_KEYWORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*(?:(?: +|-)[^\W_]+(?:['\u2019][^\W_]+)*)*")
#: Upper bounds that keep every score, and so every confidence, a finite number.
MAX_WEIGHT = 1000.0
MAX_HALF_SATURATION = 1000.0


def _literal_pattern(literals: Iterable[str]) -> re.Pattern:
    """One regex for the literal keywords (lower-case text, longest first).

    A literal keyword is matched character for character ("c++" never matches "plan c",
    "a.*b" only "a.*b"); a space in it matches any run of white space. Where it begins or
    ends with a letter or digit it must not touch another one: "c++" does not fire inside
    "abc++".
    """
    parts = []
    for kw in sorted(literals, key=lambda k: (-len(k), k)):
        body = r"\s+".join(re.escape(w) for w in kw.split())
        head = r"(?<![^\W_])" if kw[0].isalnum() else ""
        tail = r"(?![^\W_])" if kw[-1].isalnum() else ""
        parts.append(head + body + tail)
    return re.compile("|".join(parts))


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Read and compile the keyword policy (default ``fixtures/triage_rules.toml``).

    Raises :class:`desklib.policy.PolicyError` (an ``InputError``, so a ``ValueError``)
    naming the file, the rule and the key when the policy is malformed, e.g. an unknown
    severity, a weight that is not in (0, 1000], an empty keyword list, or one keyword in
    two rules.
    """
    from .policy import PolicyFile
    r, policy = PolicyFile.toml(path, "triage_rules.toml")
    scoring = r.table(policy, "scoring", "", required=False)
    fallback = r.text(scoring, "fallback_severity", "[scoring]", default="SEV3", choices=SEVERITIES)
    base = r.number(scoring, "base", "[scoring]", 0.0, 1.0, default=0.2)
    half = r.number(scoring, "half_saturation", "[scoring]", 0.0, MAX_HALF_SATURATION,
                    default=1.0, low_open=True)
    r.known(scoring, ("fallback_severity", "base", "half_saturation"), "[scoring]")

    rules: list[Rule] = []
    evidence: dict[bytes, tuple[str, int, float]] = {}    # normalised keyword -> its meaning
    origin: dict[bytes, str] = {}                          # normalised keyword -> where it was written
    literal: dict[str, bytes] = {}                         # literal keyword (lower case) -> its token
    names: dict[str, int] = {}                             # rule name -> its number
    owner: dict[bytes, str] = {}                           # normalised plain keyword -> its rule's name
    unless: dict[str, tuple[str, list]] = {}               # where a rule is -> (its name, its unless phrases)
    for n, raw in enumerate(r.list_of_tables(policy, "rules"), start=1):
        rname = raw.get("name") if isinstance(raw.get("name"), str) and raw["name"].strip() else f"#{n}"
        where = f"[[rules]] #{n}" + (f" '{rname}'" if rname != f"#{n}" else "")
        r.text(raw, "name", where, default=rname)
        if rname in names:
            raise r.fail(where, f"name: {rname!r} is already the name of rule #{names[rname]}")
        names[rname] = n
        if "description" in raw:
            r.text(raw, "description", where, empty=True)
        sev = r.text(raw, "severity", where, choices=SEVERITIES)
        weight = r.number(raw, "weight", where, 0.0, MAX_WEIGHT, default=1.0, low_open=True)
        keywords = r.list_of_text(raw, "keywords", where)
        unless[where] = (rname, r.list_of_text(raw, "unless", where, default=[], nonempty=False))
        r.known(raw, ("name", "severity", "weight", "keywords", "unless", "description"), where)
        for i, kw in enumerate(keywords):
            text = " ".join(kw.lower().split())
            if _PLAIN_KEYWORD.fullmatch(text):
                key = b" ".join(_normalise(kw).split())
                shown = "(case and punctuation between words are ignored)"
            else:                                          # kept literally, punctuation and all
                key = literal.setdefault(text, b"\xff%d" % len(literal))
                shown = "(case is ignored)"
            if key in origin:
                raise r.fail(where, f"keywords[{i}]: {kw!r} is the same as {origin[key]} {shown}")
            origin[key] = f"{kw!r} in rule '{rname}'"
            evidence[key] = (f"{rname}: '{kw}'", _RANK[sev], weight)
            if not key.startswith(b"\xff"):
                owner[key] = rname
        rules.append(Rule(rname, sev, weight, tuple(keywords)))
    cancels = _cancels(r, unless, origin, owner)
    rules = [Rule(rule.name, rule.severity, rule.weight, rule.keywords,
                  tuple(phrase for phrase, _ in cancels.get(rule.name, ()))) for rule in rules]
    r.known(policy, ("scoring", "rules", "gate"), "")
    keys = frozenset(key for found in cancels.values() for _, key in found)
    return RuleSet(tuple(rules), fallback, base, half, _trie_pattern([*evidence, *keys]), evidence,
                   _literal_pattern(literal) if literal else None, literal, keys)


def _cancels(r, unless: dict, origin: dict, owner: dict) -> dict[str, list[tuple[str, bytes]]]:
    """Each rule's ``unless`` phrases, checked: rule name -> [(phrase, normalised phrase)].

    A cancelling phrase is words like a plain keyword; it must hold one of its own rule's
    keywords as whole words ("drop down" holds "down"), no keyword of another rule (it would
    cancel that one too: its words are used up), and be neither a keyword nor written twice.
    """
    out: dict[str, list[tuple[str, bytes]]] = {}
    seen: dict[bytes, str] = {}
    for where, (rname, phrases) in unless.items():
        for i, phrase in enumerate(phrases):
            if not _PLAIN_KEYWORD.fullmatch(" ".join(phrase.lower().split())):
                raise r.fail(where, f"unless[{i}]: expected words separated by spaces or hyphens "
                                    f"(a cancelling phrase is matched word by word), got {phrase!r}")
            key = b" ".join(_normalise(phrase).split())
            if key in origin:
                raise r.fail(where, f"unless[{i}]: {phrase!r} is the keyword {origin[key]}; "
                                    "a phrase either counts or cancels, not both")
            if key in seen:
                raise r.fail(where, f"unless[{i}]: {phrase!r} is the same as {seen[key]} "
                                    "(case and punctuation between words are ignored)")
            inside = [k for k in owner if b" " + k + b" " in b" " + key + b" "]
            own = [k for k in inside if owner[k] == rname]
            other = [k for k in inside if owner[k] != rname]
            if other:
                raise r.fail(where, f"unless[{i}]: {phrase!r} also holds {origin[other[0]]}, "
                                    "which it would cancel too (write it in that rule, or pick a phrase without it)")
            if not own:
                raise r.fail(where, f"unless[{i}]: {phrase!r} holds none of this rule's keywords as whole "
                                    "words (a cancelling phrase holds the keyword it cancels: \"drop down\" for \"down\")")
            seen[key] = f"{phrase!r} in rule '{rname}'"
            out.setdefault(rname, []).append((phrase, key))
    return out


def _tokens(text: str, rules: RuleSet) -> bytes:
    """Like :func:`_normalise`, but each literal keyword found in ``text`` (searched first,
    left to right, longest first) becomes one token of its own, ``b"\\xff3"``: a byte
    UTF-8 text never holds, so no ticket can spell it. The words around it are cut as usual.
    """
    low = text.lower()
    out, pos = [], 0
    tokens = rules.literal_tokens
    for m in rules.literal.finditer(low):
        out.append(_normalise(low[pos:m.start()]))
        out.append(b" " + tokens[" ".join(m.group().split())] + b" ")
        pos = m.end()
    out.append(_normalise(low[pos:]))
    return b"".join(out)


# ----------------------------------------------------------------------------- triage

@dataclass(frozen=True, slots=True)
class Triage:
    """The result for one ticket.

    ``matched`` explains it, in reading order: ``("outage: 'down'", "outage: '503'")``.
    ``scores`` is the evidence per severity, e.g. ``{"SEV1": 2.0, "SEV2": 0.0, ...}``.
    """
    id: str
    severity: str
    confidence: float
    matched: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict, hash=False)


def triage(ticket, rules: RuleSet) -> Triage:
    """Severity, confidence and explanation for one ticket.

    ``ticket`` is a :class:`desklib.records.Ticket` (subject and body both count)
    or, for quick experiments, a plain string (its id is then ``""``).
    """
    if rules.literal is not None:                        # some keywords keep their punctuation
        tid, raw = ("", ticket) if isinstance(ticket, str) else (ticket.id, f"{ticket.subject}\n{ticket.body}")
        text = _tokens(raw, rules)
    elif isinstance(ticket, str):
        tid, text = "", _normalise(ticket)
    else:
        tid, text = ticket.id, f" {ticket.subject}\n{ticket.body} "
        if text.isascii():                              # _normalise, inlined for the hot loop;
            text = text.encode("ascii").translate(_ASCII_TABLE, b"'")   # the spaces are there
        else:
            text = _normalise(text)
    found = rules.pattern.findall(text)
    if not found:                                       # no evidence at all
        return _make(tid, rules.fallback_severity, round(rules.base, 2), (), dict.fromkeys(SEVERITIES, 0.0))
    evidence = rules.evidence
    totals = [0.0] * len(SEVERITIES)                    # the scores, SEV1 first
    matched = []
    seen = []
    for key in found:
        meaning = evidence.get(key)
        if meaning is None:                             # "nothing,  loads" -> "nothing loads"
            key = b" ".join(key.split())
            meaning = evidence.get(key)
            if meaning is None:                         # a cancelling phrase ("drop down"):
                continue                                # its words are used up, it counts for nothing
        if key in seen:                                 # each distinct keyword counts once
            continue
        seen.append(key)
        explanation, rank, weight = meaning
        totals[rank] += weight
        matched.append(explanation)
    if not matched:                                     # only cancelled keywords: no evidence
        return _make(tid, rules.fallback_severity, round(rules.base, 2), (), dict.fromkeys(SEVERITIES, 0.0))
    severity, confidence = _verdict(tuple(totals), rules.base, rules.half_saturation)
    return _make(tid, severity, confidence, tuple(matched), dict(zip(SEVERITIES, totals)))


@lru_cache(maxsize=4096)
def _verdict(totals: tuple[float, ...], base: float, half_saturation: float) -> tuple[str, float]:
    """Severity and rounded confidence for the scores ``totals`` (SEV1 first).

    Remembered, because tickets share few distinct scores and ``round`` is slow.
    """
    best = 0
    for rank in range(1, len(totals)):                  # clearly higher only: a tie -> more severe
        if totals[rank] > totals[best] + 1e-9:          # (1e-9 absorbs float noise like 0.1 + 0.2)
            best = rank
    top = totals[best]
    share = top / sum(totals)
    strength = top / (top + half_saturation)
    confidence = base + (1 - base) * share * strength
    return SEVERITIES[best], round(confidence, 2)


_SET_FIELDS = tuple(getattr(Triage, name).__set__ for name in ("id", "severity", "confidence", "matched", "scores"))


def _make(tid: str, severity: str, confidence: float, matched: tuple, scores: dict) -> Triage:
    """``Triage(...)`` without the frozen dataclass's ``__init__`` (five ``object.__setattr__``
    calls, a tenth of triage's time): the same object, its slots filled directly."""
    result = object.__new__(Triage)
    set_id, set_severity, set_confidence, set_matched, set_scores = _SET_FIELDS
    set_id(result, tid)
    set_severity(result, severity)
    set_confidence(result, confidence)
    set_matched(result, matched)
    set_scores(result, scores)
    return result


def triage_all(tickets: Iterable, rules: RuleSet) -> list[Triage]:
    """:func:`triage` for every ticket, in the order given (with Python's cycle collector
    paused: the results hold no cycles, and in a notebook a collection rescans everything
    pandas and matplotlib keep alive)."""
    with paused():
        return [triage(t, rules) for t in tickets]


def to_frame(triaged: Iterable[Triage]):
    """Triage results -> DataFrame: id, severity, confidence, matched, one score column per severity."""
    import pandas as pd
    rows = [{"id": t.id, "severity": t.severity, "confidence": t.confidence,
             "matched": "; ".join(t.matched),
             **{f"score_{s}": t.scores.get(s, 0.0) for s in SEVERITIES}} for t in triaged]
    columns = ["id", "severity", "confidence", "matched", *(f"score_{s}" for s in SEVERITIES)]
    return pd.DataFrame(rows, columns=columns)


# ----------------------------------------------------------------------------- evaluation

def _pairs(triaged: Iterable[Triage], truth: Mapping[str, str]) -> list[tuple[Triage, str]]:
    """(result, true severity) for every result; every id must have a true label."""
    pairs = []
    for t in triaged:
        if t.id not in truth:
            raise ValueError(f"ticket '{t.id}' has no true severity in the truth table")
        if truth[t.id] not in SEVERITIES:
            raise ValueError(f"ticket '{t.id}': true severity {truth[t.id]!r} is not one of {SEVERITIES}")
        pairs.append((t, truth[t.id]))
    if not pairs:
        raise ValueError("nothing to evaluate: no triage results")
    return pairs


def _recall(pairs) -> dict[str, float]:
    per = {}
    for sev in SEVERITIES:
        of_sev = [t.severity == true for t, true in pairs if true == sev]
        per[sev] = sum(of_sev) / len(of_sev) if of_sev else float("nan")
    return per


def evaluate(triaged: Iterable[Triage], truth: Mapping[str, str]) -> dict:
    """How good is triage? ``{"n", "correct", "accuracy", "recall": {sev: ...}}``.

    Recall of SEV1 answers "of the real SEV1s, how many did we call SEV1?" — the
    number that matters most on a support desk. A severity absent from the truth
    has recall NaN.
    """
    pairs = _pairs(triaged, truth)
    correct = sum(t.severity == true for t, true in pairs)
    return {"n": len(pairs), "correct": correct, "accuracy": correct / len(pairs),
            "recall": _recall(pairs)}


def confusion_matrix(triaged: Iterable[Triage], truth: Mapping[str, str]):
    """Counts with true severity as rows and predicted severity as columns (all four each)."""
    import pandas as pd
    counts = Counter((true, t.severity) for t, true in _pairs(triaged, truth))
    table = pd.DataFrame([[counts[(r, c)] for c in SEVERITIES] for r in SEVERITIES],
                         index=pd.Index(SEVERITIES, name="true"),
                         columns=pd.Index(SEVERITIES, name="predicted"))
    return table


def majority_baseline(truth: Mapping[str, str], triaged: Iterable[Triage] | None = None):
    """The score to beat: always answer the most common true severity.

    Returns a DataFrame with one row for the majority class (ties go to the more
    severe class) and, when ``triaged`` is given, one row for the keyword rules
    beside it; columns ``accuracy`` and ``recall_SEV1`` .. ``recall_SEV4``.
    """
    import pandas as pd
    labels = [sev for sev in truth.values()]
    if not labels:
        raise ValueError("the truth table is empty")
    counts = Counter(labels)
    majority = max(SEVERITIES, key=lambda s: (counts[s], -_RANK[s]))
    baseline = [Triage(tid, majority, 1.0) for tid in sorted(truth)]
    rows = {f"always {majority}": baseline}
    if triaged is not None:
        rows["keyword rules"] = list(triaged)
    records = []
    for name, results in rows.items():
        report = evaluate(results, truth)
        records.append({"model": name, "n": report["n"], "accuracy": report["accuracy"],
                        **{f"recall_{s}": r for s, r in report["recall"].items()}})
    return pd.DataFrame(records).set_index("model")


def _check_bins(bins: int) -> int:
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be a whole number >= 1, got {bins!r}")
    return bins


def reliability_table(triaged: Iterable[Triage], truth: Mapping[str, str], bins: int = 5):
    """Is a confidence of 0.8 right 80% of the time? One row per equal-width bin.

    Columns: ``bin`` (e.g. "[0.6, 0.8)"; the last bin includes 1.0), ``count``,
    ``mean_confidence``, ``accuracy`` and ``gap`` = accuracy - mean confidence
    (negative: over-confident). Empty bins stay in the table with count 0, so the
    counts always sum to the number of tickets.
    """
    import pandas as pd
    bins = _check_bins(bins)
    edges = [i / bins for i in range(bins + 1)]
    members: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for t, true in _pairs(triaged, truth):
        i = min(max(bisect_right(edges, t.confidence) - 1, 0), bins - 1)
        members[i].append((t.confidence, t.severity == true))
    rows = []
    for i, m in enumerate(members):
        closing = "]" if i == bins - 1 else ")"
        conf = sum(c for c, _ in m) / len(m) if m else float("nan")
        acc = sum(ok for _, ok in m) / len(m) if m else float("nan")
        rows.append({"bin": f"[{edges[i]:.2f}, {edges[i + 1]:.2f}{closing}", "count": len(m),
                     "mean_confidence": conf, "accuracy": acc, "gap": acc - conf})
    return pd.DataFrame(rows, columns=["bin", "count", "mean_confidence", "accuracy", "gap"])


def expected_calibration_error(triaged: Iterable[Triage], truth: Mapping[str, str],
                               bins: int = 5) -> float:
    """ECE = sum over bins of (share of tickets in the bin) * |accuracy - mean confidence|.

    0 means perfectly calibrated; the bin count changes the number, so always
    report it ("ECE (5 bins) = 0.08").
    """
    table = reliability_table(triaged, truth, bins)
    n = int(table["count"].sum())
    filled = table[table["count"] > 0]
    return float(sum(row.count / n * abs(row.gap) for row in filled.itertuples()))
