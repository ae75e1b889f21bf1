"""The candidate post with most spare capacity, found without scanning every candidate.

Under Team Around the Child processes only, every post of a profession in the area is a
candidate for every TAC (up to about a thousand posts in a West Sussex-sized area), and
a specialist service allocates each case to whichever of its posts has most room, so
scoring every candidate at each attempt was a large part of a run. A :class:`MostSpare`
keeps the candidates in a heap ordered by spare capacity, largest first, then by their
position in the candidate list, which is the order ``numpy.argmax`` breaks ties in: the
post it returns is the one a full scan would choose.

Entries are not removed when a post's spare hours change; a new entry is pushed and
older ones are dropped when they reach the top (lazy deletion).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence


class MostSpare:
    """Candidate posts of one (pool, profession), ranked by spare hours.

    Parameters
    ----------
    ids : sequence of int
        The candidate posts, in the order that breaks ties (first wins).
    spare : list of float
        Spare hours by post id. The caller owns the list, updates it in place and calls
        :meth:`changed` after each change to a candidate's value.
    """

    __slots__ = ("_heap", "_pos", "_spare", "_limit")

    def __init__(self, ids: Sequence[int], spare: list[float]) -> None:
        self._pos = {int(pid): i for i, pid in enumerate(ids)}
        self._spare = spare
        self._limit = 4 * len(self._pos) + 64   # entries kept before a rebuild
        self._heap: list[tuple[float, int, int]] = []
        self.rebuild()

    def rebuild(self) -> None:
        """Rank again from the current values (needed only when values changed without
        a call to :meth:`changed`)."""
        spare = self._spare
        self._heap = [(-spare[pid], i, pid) for pid, i in self._pos.items()]
        heapq.heapify(self._heap)

    def changed(self, pid: int) -> None:
        """Post ``pid``'s spare hours have a new value."""
        heapq.heappush(self._heap, (-self._spare[pid], self._pos[pid], pid))
        if len(self._heap) > self._limit:
            self.rebuild()

    def best(self) -> int:
        """The post with most spare hours; ties go to the earliest in ``ids``."""
        heap, spare = self._heap, self._spare
        while -heap[0][0] != spare[heap[0][2]]:
            heapq.heappop(heap)   # an old value of a post that has a newer entry
        return heap[0][2]
