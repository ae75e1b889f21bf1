"""Practitioners' diaries: one-off tasks, worked first in, first out.

Identification, CAF, coordination and meeting attendance are one-off tasks. Each goes
into the diary of the post that does it (the :class:`sim.agents.Practitioner` agent owns
its diary) and is worked at the post's diary rate for the week: the multi-agency hours
that the week's commitments to open cases leave (:meth:`sim.workforce.Workforce.start_week`).
A task not finished when the week ends carries on at the next week's rate. When a task
is done the pathway is told, through ``on_done``, so that the episode can move on.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from sim.pathway import events as ev
from sim.scheduling import EventQueue
from sim.workforce import ACT, Workforce

if TYPE_CHECKING:  # pragma: no cover
    from sim.agents import Practitioner
    from sim.episodes import Episode

INF = math.inf


class Task(IntEnum):
    """Kind of a diary task: what finishing it moves on."""

    #: Hours with no effect on an episode when done (a duplicate CAF).
    HOURS = 0
    #: The CAF: done, the assessment is complete.
    CAF = 1
    #: Coordinating a request: done, the request goes for an allocation decision.
    COORDINATION = 2
    #: Attending the TAC meeting: when every attendee has, it meets.
    MEETING = 3


# Module-level names for the members (see sim.pathway.events).
HOURS, CAF, COORDINATION, MEETING = Task

#: A diary task: ``[hours left, kind, episode, activity index]``.
Entry = list


class Diaries:
    """Every post's diary, and the figures the pathway reads across them.

    Parameters
    ----------
    practitioners : list of Practitioner
        The posts' agents, by post index; each holds its diary.
    workforce : Workforce
        Hours worked are booked to ``workforce.used``; diary rates come from
        ``workforce.diary_rate``.
    events : EventQueue
        The model's calendar.
    localities : int
        Localities of the area.
    on_done : callable
        ``on_done(kind, episode, day)``, called when a task is finished.
    week_end : float
        End of the first week.
    """

    def __init__(
        self,
        practitioners: list[Practitioner],
        workforce: Workforce,
        events: EventQueue,
        localities: int,
        on_done: Callable[[Task, Episode | None, float], None],
        week_end: float,
    ) -> None:
        wf = workforce
        n = wf.n
        self.practitioners = practitioners
        self.workforce = wf
        self.events = events
        self.on_done = on_done
        #: Posts of each ``(locality, profession)`` that take identification and CAF
        #: work: the establishment's non-specialist posts.
        self.assessors: dict[tuple[int, int], np.ndarray] = {}
        for loc in range(localities):
            for prof in range(len(wf.professions)):
                ids = np.nonzero((wf.locality == loc) & (wf.prof == prof) & ~wf.specialist)[0]
                ids = ids[ids < wf.n_main]
                if len(ids):
                    self.assessors[(loc, prof)] = ids
        #: Tasks waiting, by post (an array: read in bulk to choose the freest post).
        self.length = np.zeros(n)
        #: Hours of tasks waiting, by post.
        self.hours = [0.0] * n
        #: This week's diary hours per day by post, as Python floats (read one at a time).
        self.rate: list[float] = workforce.diary_rate.tolist()
        self.week_end = week_end
        self._busy: set[int] = set()

    # ------------------------------------------------------------------ the week
    def start_week(self, week_end: float) -> None:
        """Take the new week's diary rates (after :meth:`Workforce.start_week`)."""
        self.rate = self.workforce.diary_rate.tolist()
        self.week_end = week_end

    def restart(self, day: float) -> None:
        """New week, new diary rates: reschedule the head task of every busy diary."""
        for pr in self._busy_diaries():
            self._schedule(pr, day)

    def book_week(self, day: float) -> None:
        """Book every busy diary's progress up to ``day``, the end of the week."""
        for pr in self._busy_diaries():
            self._work(pr, day)

    def _busy_diaries(self) -> list[Practitioner]:
        return [self.practitioners[pid] for pid in sorted(self._busy)]

    # ------------------------------------------------------------------ tasks
    def add(
        self,
        pid: int,
        day: float,
        hours: float,
        kind: Task,
        ep: Episode | None,
        activity: str,
    ) -> None:
        """Put a one-off task in a post's diary; it is worked first in, first out."""
        if hours <= 0:
            self.on_done(kind, ep, day)
            return
        pr = self.practitioners[pid]
        idle = not pr.diary
        pr.diary.append([hours, kind, ep, ACT[activity]])
        self.length[pid] += 1
        self.hours[pid] += hours
        if idle:
            self._busy.add(pid)
            pr.diary_mark = day
            self._schedule(pr, day)

    def _schedule(self, pr: Practitioner, day: float) -> None:
        pr.diary_version += 1
        done = pr.head_done(day, self.rate[pr.pid])
        # A task not finished by the end of the week is rescheduled then at the new
        # week's rate (restart), so an event after that would never count.
        if done < self.week_end:
            self.events.schedule(done, ev.TASK, (pr, pr.diary_version))

    def _work(self, pr: Practitioner, day: float) -> None:
        """Book the diary's progress up to ``day`` against its head task."""
        done, activity = pr.work_diary(day, self.rate[pr.pid])
        if activity >= 0:
            self.hours[pr.pid] -= done
            self.workforce.used[pr.pid, activity] += done

    def on_task(self, day: float, payload: tuple) -> None:
        """Event handler: the head task of a diary is finished (unless superseded)."""
        pr, version = payload
        if version != pr.diary_version:
            return
        self._work(pr, day)
        left, kind, ep, act = pr.diary.popleft()
        self.length[pr.pid] -= 1
        self.hours[pr.pid] = max(self.hours[pr.pid] - left, 0.0)
        self.workforce.used[pr.pid, act] += left  # rounding left by the rate
        if not pr.diary:
            self._busy.discard(pr.pid)
        self._schedule(pr, day)
        self.on_done(kind, ep, day)

    def hand_over(
        self,
        pid: int,
        day: float,
        receiver: Callable[[Episode], int],
        is_waiting: Callable[[Episode], bool],
    ) -> None:
        """The post ``pid`` fell vacant: coordination tasks of requests still waiting
        (``is_waiting(episode)``) go to ``receiver(episode)``, one at a time so that
        each sees the diaries as they fill, with the hours left on each. A task the
        receiver gives back to ``pid`` stays in its diary until the post is filled."""
        pr = self.practitioners[pid]
        moved: set[int] = set()
        for task in [
            t for t in pr.diary if t[1] == COORDINATION and t[2] is not None and is_waiting(t[2])
        ]:
            target = receiver(task[2])
            if target >= 0 and target != pid:
                moved.add(id(task))
                self.add(target, day, task[0], COORDINATION, task[2], "coordination")
        if not moved:
            return
        pr.diary = deque(task for task in pr.diary if id(task) not in moved)
        self.length[pid] = len(pr.diary)
        self.hours[pid] = sum(task[0] for task in pr.diary)
        if not pr.diary:
            self._busy.discard(pid)
        pr.diary_version += 1  # cancels the event of its old head task

    # ------------------------------------------------------------------ choosing a post
    def freest(self, locality: int, prof: int, exclude: int | None = None) -> int:
        """A filled post of ``prof`` in ``locality`` with the fewest tasks waiting, other
        than ``exclude``; -1 if there is none."""
        ids = self.assessors.get((locality, prof))
        if ids is None:
            return -1
        backlog = self.length[ids] + self.workforce.vacant_inf[ids]
        if exclude is not None:
            backlog[ids == exclude] = INF
        best = backlog.argmin()
        if backlog[best] == INF:
            return -1
        return int(ids[best])

    def soonest_done(self, ids: Sequence[int], hours: float) -> int:
        """Of the posts ``ids``, the one that would finish ``hours`` of new work soonest
        at this week's diary rate (the first such on a tie); -1 if every one is vacant
        or off sick (no diary rate)."""
        rate, backlog = self.rate, self.hours
        best, best_t = -1, INF
        for pid in ids:
            r = rate[pid]
            if r > 0:
                t = (backlog[pid] + hours) / r
                if t < best_t:
                    best, best_t = pid, t
        return int(best)
