"""Synthetic support tickets with a known true severity, from a seed.

The fixture day has 48 tickets: enough to read, too few to fit or certify anything.
:func:`generate` writes tickets of any number the way customers write them, together with
the truth ``{ticket id: "SEV1".."SEV4"}``, so ``desk fit-rules`` and the gate's tuning can be
tried on thousands of labelled tickets.

How a ticket is written
-----------------------
1. Its **true severity** is drawn from ``mix`` (default: 10 % SEV1, 20 % SEV2, 40 % SEV3,
   30 % SEV4), then one **situation** of that severity (an outage, a data exposure, slowness,
   many locked out, a double charge, one user's login, a wrong answer, a bug, a how-to, a
   feature request, an invoice), then a subject and a sentence or two for it, each picked
   from a few ways people say it. Some say it in words no keyword rule knows
   ("production is unusable", "none of the reports open").
2. **Noise**: greetings, sign-offs, "urgent!!" (on any severity: customers shout about
   invoices too), an e-mail footer with a privacy policy, a "sent from my phone".
3. **Misleading context**: words that look like evidence for another severity ("I was
   locked out yesterday but that's fixed", "the drop down is empty", "a memory leak in our
   own app", "how do I ..." inside an outage report), as real tickets have.

The same ``n`` and ``seed`` always give the same tickets (ids ``g00001`` ...), whatever the
machine: the only randomness is :class:`random.Random` seeded with ``seed``.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Mapping

from .records import Ticket

__all__ = ["generate", "SITUATIONS", "MIX"]

#: The default share of each true severity.
MIX: Mapping[str, float] = {"SEV1": 0.10, "SEV2": 0.20, "SEV3": 0.40, "SEV4": 0.30}

_PRODUCT = ["dashboard", "API", "reports page", "web app", "mobile app", "admin console", "chat widget",
            "ticket inbox", "exports", "webhooks", "search", "knowledge base"]

#: severity -> situation -> (subjects, bodies); "{p}" is a product area. About half of the
#: ways of saying a thing hold no keyword of the shipped rules, as in real tickets.
SITUATIONS: Mapping[str, Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "SEV1": {
        "outage": (("{p} down", "SITE DOWN", "outage?", "everything is broken", "production unusable",
                    "urgent: nothing works", "all customers affected", "emergency", "{p} gone"),
                   ("the {p} is down for all of us", "every page returns 502 since 09:10",
                    "nothing loads, just a blank page", "service unavailable for every customer",
                    "production is completely unusable, none of our agents can work",
                    "the whole platform is unreachable from all our offices", "we get 503 on every request",
                    "all requests to the {p} fail with bad gateway", "none of the pages open for anyone",
                    "our customers cannot reach the {p} at all", "the {p} shows a white screen for everybody",
                    "no agent has been able to work for an hour", "the {p} stopped responding for all customers",
                    "the {p} is not working for anyone", "every customer gets an error page")),
        "exposure": (("seeing another company's data", "security issue", "data exposure", "wrong tenant data",
                      "suspicious access", "urgent: account takeover"),
                     ("when I open the {p} I see invoices of another company",
                      "our api key was pushed to a public repo, please revoke it",
                      "a user from a different organisation can read our tickets",
                      "this is not our data, there are names of someone else's customers",
                      "we think our admin account was hacked last night",
                      "a stranger logged in to our admin account from abroad",
                      "customer records of other firms show up in our search results")),
    },
    "SEV2": {
        "slow": (("{p} very slow", "slowness", "performance problem", "timeouts on {p}", "{p} sluggish",
                  "everything takes ages"),
                 ("the {p} has been very slow for all users since this morning",
                  "requests keep timing out for the whole team", "latency is terrible, pages take a minute",
                  "exports fail intermittently for every regional manager",
                  "everything takes ages to load for all of our staff today",
                  "the {p} takes forty seconds per click for the whole office",
                  "half of our requests never come back", "the {p} works but painfully for everybody",
                  "we get errors and everything is slow for all users")),
        "access_many": (("nobody can log in", "team locked out", "login broken for everyone", "access problem"),
                        ("nobody can log in since the update", "the whole team is locked out of the {p}",
                         "none of us can log in, SSO loops back to the start",
                         "all users are locked out after the password policy change",
                         "our forty agents get access denied since this morning")),
        "billing": (("charged twice", "double charge", "billing error", "payment problem"),
                    ("we were charged twice this month", "the card was billed twice for one invoice",
                     "there is a duplicate charge on our account", "we were overcharged by 400 euros",
                     "the amount taken from our card is double the price on the page")),
    },
    "SEV3": {
        "login_one": (("can't log in", "password reset", "login problem", "locked out", "access for one user"),
                      ("I can't log in to the {p}, the others can", "the password reset mail never arrives",
                       "I am locked out after too many attempts", "2fa code is rejected for my account only",
                       "my colleague Ana gets access denied, the rest of us are fine")),
        "wrong_answer": (("wrong answer from the bot", "bot is incorrect", "bad answer", "the bot said"),
                         ("the bot gave a customer a wrong answer about shipping times",
                          "the assistant made up a discount code", "the answer was wrong about our opening hours",
                          "the assistant told a customer we ship to Mars")),
        "bug": (("bug in {p}", "{p} not working", "error when saving", "crash", "{p} problem", "odd behaviour"),
                ("the export button does not work for me", "I get an error when I save a macro",
                 "the {p} crashes when I upload a large file", "a glitch: the counter shows negative numbers",
                 "the filter in the {p} is broken since yesterday", "the tags I add disappear after a reload",
                 "the date picker jumps to 1970", "attachments over 5 MB vanish from my replies",
                 "the sort order of my queue resets every time",
                 "question: the save button is not working on my laptop")),
    },
    "SEV4": {
        "howto": (("question", "how to export?", "help with settings", "quick question", "settings"),
                  ("how do i export all tickets to csv?", "is there a way to merge two customers?",
                   "where can i change my notification settings?", "can i add a second admin?",
                   "how can we connect the {p} to our CRM?", "we would like to learn the shortcuts",
                   "which report shows the first response times?",
                   "what does the error code E42 in the manual mean?")),
        "feature": (("feature request", "suggestion", "idea for the {p}", "wish"),
                    ("it would be nice to have dark mode", "please add an export to PDF",
                     "any plans for a Slack integration?", "could you add keyboard shortcuts to the {p}?",
                     "a calendar view of our queue would help us")),
        "account": (("invoice", "billing address", "plan change", "close account", "paperwork"),
                    ("please send the invoice for March again", "we need to change our billing address",
                     "we want to switch plans to annual", "please close my account at the end of the month",
                     "can you add our VAT number to the receipts?", "our finance team needs a signed contract copy")),
    },
}

_GREETINGS = ("", "", "Hi,", "Hello team,", "Dear support,", "Hey,", "Good morning,")
_CLOSINGS = ("", "", "Thanks!", "Thank you", "Best regards, Sam", "Cheers", "please help", "thx")
_SHOUTING = ("urgent!!", "ASAP please", "this is critical for us", "PLEASE", "we are losing money")
_FOOTERS = ("-- Sent from my phone", "Privacy policy and terms of use: see our website",
            "This e-mail may contain confidential information.")

#: Context that looks like evidence for something else, by true severity.
_MISLEADING: Mapping[str, tuple[str, ...]] = {
    "SEV1": ("how do i tell our customers?", "I was locked out yesterday but that is fixed",
             "is there a status page?", "it was slow earlier and now it is down"),
    "SEV2": ("the error says try again later", "it is not a bug on our side",
             "how do i check the status?", "I can log in, the others cannot"),
    "SEV3": ("the drop down is empty", "maybe a memory leak in the browser?", "we had to track down the cause",
             "it is slow only for me", "the screen timeout is not the problem", "no outage, just me"),
    "SEV4": ("no rush, nothing is down", "not a bug, just a question", "we upgraded last week",
             "the drop down menu has no export option", "is the session timeout configurable?"),
}


def _situation(rng: random.Random, severity: str) -> tuple[str, str]:
    names = sorted(SITUATIONS[severity])
    subjects, bodies = SITUATIONS[severity][rng.choice(names)]
    product = rng.choice(_PRODUCT)
    body = [rng.choice(bodies)]
    if rng.random() < 0.35:
        body.append(rng.choice(bodies))
    return rng.choice(subjects).format(p=product), ". ".join(b.format(p=product) for b in body)


def generate(n: int, seed: int = 0, *, mix: Mapping[str, float] | None = None, noise: float = 0.5,
             misleading: float = 0.3, start: datetime | None = None) -> tuple[list[Ticket], dict[str, str]]:
    """``n`` tickets and their truth ``{id: severity}``, the same for the same arguments.

    ``noise`` is the chance of each kind of noise (a greeting, a closing, shouting, a footer);
    ``misleading`` the chance of a sentence that points at another severity. Tickets are one
    to eleven minutes apart from ``start`` (default 2026-03-02 00:00 UTC).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a whole number >= 0, got {n!r}")
    mix = dict(MIX if mix is None else mix)
    if set(mix) - set(SITUATIONS) or not mix or any(not (w >= 0) for w in mix.values()) or sum(mix.values()) <= 0:
        raise ValueError(f"mix must give each of SEV1..SEV4 a weight >= 0, got {mix!r}")
    for name, p in (("noise", noise), ("misleading", misleading)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {p!r}")
    rng = random.Random(seed)
    severities = sorted(mix)
    weights = [mix[s] for s in severities]
    when = start or datetime(2026, 3, 2, tzinfo=timezone.utc)
    tickets, truth = [], {}
    for i in range(1, n + 1):
        severity = rng.choices(severities, weights)[0]
        subject, body = _situation(rng, severity)
        parts = [rng.choice(_GREETINGS) if rng.random() < noise else "", body]
        if rng.random() < misleading:
            parts.insert(rng.randint(1, 2), rng.choice(_MISLEADING[severity]))
        if rng.random() < noise * 0.3:
            parts.append(rng.choice(_SHOUTING))
        parts.append(rng.choice(_CLOSINGS) if rng.random() < noise else "")
        if rng.random() < noise * 0.3:
            parts.append(rng.choice(_FOOTERS))
        when = when + timedelta(minutes=rng.randint(1, 11))
        tid = f"g{i:05d}"
        tickets.append(Ticket(id=tid, created_at=when, subject=subject,
                              body="\n".join(p for p in parts if p), channel=rng.choice(("email", "web", "chat"))))
        truth[tid] = severity
    return tickets, truth
