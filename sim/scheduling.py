"""A small event calendar in continuous time (days).

Mesa 4 reshapes event scheduling, so the model schedules through this one module: a
binary heap of ``(time, sequence, kind, payload)`` tuples. The sequence number makes the
order of simultaneous events deterministic (first scheduled, first run).
"""

from __future__ import annotations

import heapq
from typing import Any


class EventQueue:
    """Future events ordered by time, then by the order they were scheduled."""

    __slots__ = ("_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, int, Any]] = []
        self._seq = 0

    def schedule(self, time: float, kind: int, payload: Any) -> None:
        """Schedule event ``kind`` with ``payload`` at ``time`` (days)."""
        self._seq += 1
        heapq.heappush(self._heap, (time, self._seq, kind, payload))

    def pop_until(self, end: float) -> tuple[float, int, Any] | None:
        """Remove and return the next event strictly before ``end``, or None."""
        heap = self._heap
        if heap and heap[0][0] < end:
            time, _, kind, payload = heapq.heappop(heap)
            return time, kind, payload
        return None

    def __len__(self) -> int:
        return len(self._heap)
