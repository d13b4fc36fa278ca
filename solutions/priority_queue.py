"""A solution to the optional challenge (see starters/priority_queue.py for the task)."""
from __future__ import annotations

import heapq
import itertools
from datetime import timedelta


class UrgencyQueue:
    """A priority queue of ticket ids keyed by time remaining (smallest first).

    Each heap entry is ``(time_remaining, counter, ticket_id)``: the counter
    breaks ties in insertion order, so tickets are never compared (the entry
    count of heapq's "Priority Queue Implementation Notes").
    """

    def __init__(self) -> None:
        self._heap: list[tuple[timedelta, int, str]] = []
        self._counter = itertools.count()

    def push(self, ticket_id: str, time_remaining: timedelta) -> None:
        heapq.heappush(self._heap, (time_remaining, next(self._counter), ticket_id))

    def pop(self) -> str:
        if not self._heap:
            raise IndexError("pop from an empty UrgencyQueue")
        return heapq.heappop(self._heap)[2]

    def __len__(self) -> int:
        return len(self._heap)


def order_by_urgency(tickets: list[dict]) -> list[str]:
    queue = UrgencyQueue()
    for t in tickets:
        queue.push(t["id"], t["target"] - t["waited"])
    return [queue.pop() for _ in range(len(queue))]
