"""Optional challenge: the SLA-urgency queue.

A first-in-first-out desk answers tickets in the order they arrived. When it is
busy, a SEV1 that arrived behind ten how-to questions waits behind them and
misses its 15-minute first response. An SLA-urgency desk instead always works
the ticket with the **least time remaining** before its SLA is due:

    time remaining = SLA target - time already waited

Negative time remaining means the ticket is already late: it goes first.

Implement the two pieces below, using :mod:`heapq` (no sorting the whole list on
every pop). Then check your work:

    desk check priority_queue     # from the project folder, notebooks/ or starters/
    make check-challenge          # the same, from the project folder

The checker runs fixed cases, says which pass, and gives a hint for the first
that fails. Two of them follow the "Priority Queue Implementation Notes" of
Python's heapq documentation: equal time remaining comes out in push order, and
tickets are never compared with each other (they may be dicts).

A solution is ``solutions/priority_queue.py`` — peek only when you are done or stuck.
"""
from __future__ import annotations

import heapq  # noqa: F401  (you will need it)
import itertools  # noqa: F401  (a counter makes ties come out in insertion order)
from datetime import timedelta


class UrgencyQueue:
    """A priority queue of ticket ids keyed by time remaining (smallest first).

    Ties (equal time remaining) come out in the order they were pushed, and
    tickets are never compared with each other.
    """

    def __init__(self) -> None:
        # your code here
        pass

    def push(self, ticket_id: str, time_remaining: timedelta) -> None:
        """Add a ticket (usually its id) with the time it has left before its SLA is due."""
        # your code here
        pass

    def pop(self) -> str:
        """Remove and return the most urgent ticket id; IndexError when empty."""
        # your code here
        pass

    def __len__(self) -> int:
        # your code here
        return 0


def order_by_urgency(tickets: list[dict]) -> list[str]:
    """Ticket ids, most at risk first.

    Each ticket is a dict with ``id``, ``waited`` (timedelta: how long it has
    been in the queue) and ``target`` (timedelta: its SLA target). Use your
    :class:`UrgencyQueue`.

    >>> from datetime import timedelta as td
    >>> order_by_urgency([
    ...     {"id": "how-to", "waited": td(minutes=30), "target": td(hours=8)},
    ...     {"id": "outage", "waited": td(minutes=10), "target": td(minutes=15)},
    ... ])
    ['outage', 'how-to']
    """
    # your code here
    return []
