"""A small event calendar in continuous time (days).

Mesa 4 reshapes event scheduling, so the model schedules through this one module.
Events are ``(time, sequence, kind, payload)`` tuples, taken in order of time and then of
the order they were scheduled, so simultaneous events run deterministically.

Later events wait in one list per period (a week); when a period opens its list is
sorted once, and only the events scheduled during the period itself go through a binary
heap. Most events of a long run are scheduled in an earlier week, so most are taken
from the sorted list, and the order is the same as one heap over every event.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from typing import Any


class EventQueue:
    """Future events ordered by time, then by the order they were scheduled.

    Parameters
    ----------
    start : float
        Time from which events are taken; a multiple of ``width``.
    width : float
        Length of a period (days). ``until`` is called with period ends.
    """

    __slots__ = ("_heap", "_run", "_buckets", "_horizon", "_width", "_seq")

    def __init__(self, start: float = 0.0, width: float = 7.0) -> None:
        # Events of the periods already opened: those scheduled before their period
        # opened, sorted once when it opens (latest first, so the next is popped off the
        # end), and those scheduled after, in a heap. The next event is the earlier of
        # the two heads.
        self._run: list[tuple[float, int, int, Any]] = []
        self._heap: list[tuple[float, int, int, Any]] = []
        self._buckets: dict[int, list[tuple[float, int, int, Any]]] = {}
        self._width = width
        self._horizon = start
        self._seq = 0

    def schedule(self, time: float, kind: int, payload: Any) -> None:
        """Schedule event ``kind`` with ``payload`` at ``time`` (days)."""
        self._seq += 1
        item = (time, self._seq, kind, payload)
        if time < self._horizon:
            heapq.heappush(self._heap, item)
        else:
            key = math.floor(time / self._width)
            bucket = self._buckets.get(key)
            if bucket is None:
                self._buckets[key] = [item]
            else:
                bucket.append(item)

    def _advance(self, end: float) -> None:
        run = self._run
        if math.isinf(end):
            for bucket in self._buckets.values():
                run.extend(bucket)
            self._buckets.clear()
            self._horizon = end
        else:
            while self._horizon < end:
                bucket = self._buckets.pop(math.floor(self._horizon / self._width), [])
                if bucket:
                    run.extend(bucket)
                self._horizon += self._width
        # Sequence numbers are unique, so the order never depends on kind or payload.
        run.sort(reverse=True)

    def until(self, end: float) -> Iterator[tuple[float, int, Any]]:
        """Remove and yield, in order, every event strictly before ``end``, including
        those scheduled while the loop runs."""
        if self._horizon < end:
            self._advance(end)
        heap, run = self._heap, self._run
        pop = heapq.heappop
        while True:
            if heap and (not run or heap[0] < run[-1]):
                if heap[0][0] >= end:
                    return
                time, _, kind, payload = pop(heap)
            elif run:
                if run[-1][0] >= end:
                    return
                time, _, kind, payload = run.pop()
            else:
                return
            yield time, kind, payload

    def __len__(self) -> int:
        return len(self._heap) + len(self._run) + sum(len(b) for b in self._buckets.values())
