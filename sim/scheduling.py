"""A small event calendar in continuous time (days).

Mesa 4 reshapes event scheduling, so the model schedules through this one module.
Events are ``(time, sequence, kind, payload)`` tuples, taken in order of time and then of
the order they were scheduled, so simultaneous events run deterministically.

The calendar keeps only the events of the current period (a week) in a binary heap;
later events wait in one list per period and join the heap when their period starts.
Most events of a long run are scheduled far ahead and many are superseded before they
fall due, so this keeps the heap small without changing the order events are taken in.
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

    __slots__ = ("_heap", "_buckets", "_horizon", "_width", "_seq")

    def __init__(self, start: float = 0.0, width: float = 7.0) -> None:
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
        heap = self._heap
        if math.isinf(end):
            for bucket in self._buckets.values():
                heap.extend(bucket)
            self._buckets.clear()
            heapq.heapify(heap)
            self._horizon = end
            return
        while self._horizon < end:
            bucket = self._buckets.pop(math.floor(self._horizon / self._width), None)
            if bucket:
                heap.extend(bucket)
                heapq.heapify(heap)
            self._horizon += self._width

    def until(self, end: float) -> Iterator[tuple[float, int, Any]]:
        """Remove and yield, in order, every event strictly before ``end``, including
        those scheduled while the loop runs."""
        if self._horizon < end:
            self._advance(end)
        heap = self._heap
        pop = heapq.heappop
        while heap and heap[0][0] < end:
            time, _, kind, payload = pop(heap)
            yield time, kind, payload

    def __len__(self) -> int:
        return len(self._heap) + sum(len(b) for b in self._buckets.values())
