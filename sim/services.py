"""Specialist services: children's social care and CAMHS (docs/odd.md section 7.10).

Each is a capacity-limited service with its own posts, a threshold, a first-in-first-out
queue for allocation, an assessment and a period of case-holding. A post can hold up to
``max_caseload_per_fte`` cases per FTE; a vacant post takes no new cases but keeps the
ones it has (unallocated work). A referral whose child leaves the area while it waits
leaves the queue at once.

:class:`QueueMeter` measures the time-average length of a queue (the early help TAC
queues as well as these), for the weekly series.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from sim.episodes import CLOSED, GONE
from sim.params import SpecialistConfig
from sim.pathway import events as ev
from sim.scheduling import EventQueue
from sim.workforce import VACANT, Workforce

if TYPE_CHECKING:  # pragma: no cover
    from sim.episodes import Episode

SCREENED, ASSESSED, CASE_CLOSED = 0, 1, 2


class QueueMeter:
    """Time-average lengths of ``n`` queues over each week, exact to the day.

    Each change of a queue's length is recorded with its day; the area under the
    length curve over the week ``[t0, t1)`` is the length at ``t0`` times the week plus,
    for each change, ``delta * (t1 - day)``. That sum does not depend on the order in
    which changes are recorded (the model handles a week's departures from the area
    before the week's other events), only on their days.

    Parameters
    ----------
    t0 : float
        First day of the first week, in days.
    n : int
        Number of queues.
    week_days : float
        Length of a week in days.
    """

    def __init__(self, t0: float, n: int = 1, week_days: float = 7.0) -> None:
        self.week_days = week_days
        self.t1 = t0 + week_days
        # Python lists: changes come one at a time, and list items update faster than
        # array elements.
        self.length = [0.0] * n  # entries waiting now, by queue
        self._at_start = np.zeros(n)
        self._area_to_end = [0.0] * n

    def change(self, day: float, delta: int, queue: int = 0) -> None:
        """Queue ``queue`` gains (``delta`` > 0) or loses entries on ``day``."""
        self.length[queue] += delta
        self._area_to_end[queue] += delta * (self.t1 - day)

    def close_week(self) -> np.ndarray:
        """Mean length of each queue over the week just ended (entries); starts the next
        week."""
        mean = (self._at_start * self.week_days + np.array(self._area_to_end)) / self.week_days
        self._at_start = np.array(self.length)
        self._area_to_end = [0.0] * len(self.length)
        self.t1 += self.week_days
        return mean


class SpecialistService:
    """A specialist service with posts ``pids`` in the area's workforce.

    Parameters
    ----------
    name : ``social_care`` or ``camhs``; names the episode milestones it sets.
    params : SpecialistConfig
    pids : array of post indices belonging to the service.
    workforce : Workforce
        The area's posts; the service books its cases to ``workforce.cases``.
    events : EventQueue
        The model's calendar.
    rng : numpy.random.Generator
        The ``specialist`` stream.
    start_day : float
        First day of the run.

    When the service finishes with an episode it calls :attr:`on_finished` with itself,
    the episode and the day (set by the model: the pathway decides what follows).
    """

    def __init__(
        self,
        name: str,
        params: SpecialistConfig,
        pids: np.ndarray,
        workforce: Workforce,
        events: EventQueue,
        rng: np.random.Generator,
        start_day: float,
    ) -> None:
        self.name = name
        self.params = params
        self.pids = pids
        self.workforce = workforce
        self.events = events
        self.rng = rng
        self.on_finished: Callable[[SpecialistService, Episode, float], None] = _ignore
        self.queue: deque[Episode] = deque()
        self._queued: set[int] = set()  # ids of the episodes in the queue
        self.meter = QueueMeter(start_day)
        self.holder: dict[int, int] = {}  # episode id -> post holding the case
        self.open_by_child: dict[int, Episode] = {}  # child -> its case, until finished
        self.referrals = 0
        self._full = False  # no post had room at the last allocation attempt
        self.refresh()

    def refresh(self) -> None:
        """Recompute the posts' caseload limits; called whenever posts change hands."""
        wf = self.workforce
        cap = self.params.max_caseload_per_fte * wf.fte[self.pids]
        self._capacity = np.where(wf.status[self.pids] == VACANT, 0.0, cap)
        self._full = False

    def capacity(self) -> np.ndarray:
        """Cases each post may hold now (as of the last :meth:`refresh`)."""
        return self._capacity

    def refer(self, ep: Episode, day: float) -> None:
        """Receive a referral; screen it and queue it for allocation."""
        p = self.params
        rng = self.rng
        self.referrals += 1
        self.open_by_child[ep.child] = ep
        if self.name == "social_care":
            ep.t_sc_referral = day
        else:
            ep.t_camhs_referral = day
        if rng.random() < p.rejection_share:
            self._finish(ep, day, "rejected")
            return
        self.events.schedule(day + p.screening_days, ev.SPECIALIST, (self, SCREENED, ep))

    def handle(self, stage: int, ep: Episode, day: float) -> None:
        """Advance a case: screened -> allocated/assessed -> held -> closed."""
        p = self.params
        rng = self.rng
        if ep.phase == GONE:
            return
        if stage == SCREENED:
            self.queue.append(ep)
            self._queued.add(ep.id)
            self.meter.change(day, 1)
            self.allocate(day)
        elif stage == ASSESSED:
            if self.name == "social_care":
                ep.t_sc_assess_end = day
            if rng.random() < p.no_further_action_share:
                self._release(ep)
                self._finish(ep, day, "no_further_action")
            else:
                dur = rng.exponential(p.case_mean_days)
                self.events.schedule(day + dur, ev.SPECIALIST, (self, CASE_CLOSED, ep))
        elif stage == CASE_CLOSED:
            self._release(ep)
            self._finish(ep, day, "case_closed")
        self.allocate(day)

    def allocate(self, day: float) -> None:
        """Allocate queued cases, first come first served, to the post with most room."""
        if not self.queue or self._full or len(self.pids) == 0:
            return
        wf = self.workforce
        rng = self.rng
        while self.queue:
            room = self.capacity() - wf.cases[self.pids]
            best = int(room.argmax())
            if room[best] < 1.0 - 1e-9:
                # Room appears only when a case is released or posts change hands.
                self._full = True
                return
            ep = self.queue.popleft()
            self._queued.discard(ep.id)
            self.meter.change(day, -1)
            if ep.phase == GONE:
                continue  # not expected: a case leaves the queue when its child leaves
            pid = int(self.pids[best])
            wf.cases[pid] += 1
            self.holder[ep.id] = pid
            if self.name == "social_care":
                ep.t_sc_assess_start = day
            else:
                ep.t_camhs_start = day
            dur = rng.exponential(self.params.assessment_mean_days)
            self.events.schedule(day + dur, ev.SPECIALIST, (self, ASSESSED, ep))

    def _release(self, ep: Episode) -> None:
        pid = self.holder.pop(ep.id, None)
        if pid is not None:
            self.workforce.cases[pid] -= 1
            self._full = False

    def _unqueue(self, ep: Episode, day: float) -> None:
        """Take ``ep`` out of the allocation queue on ``day``, if it is waiting there."""
        if ep.id in self._queued:
            self._queued.discard(ep.id)
            self.queue.remove(ep)
            self.meter.change(day, -1)

    def withdraw(self, ep: Episode, day: float) -> None:
        """Remove a case whose child left the area on ``day``: from the queue if it is
        waiting, otherwise from the caseload of the post holding it."""
        self._unqueue(ep, day)
        self._release(ep)
        self.open_by_child.pop(ep.child, None)

    def child_left(self, child: int, day: float, reason: str) -> None:
        """The child left the area: end its case here, if it has one, with ``reason``.

        The case may belong to an episode already closed to early help (CAMHS keeps
        cases that early help has finished with).
        """
        ep = self.open_by_child.pop(child, None)
        if ep is None:
            return
        self._unqueue(ep, day)
        self._release(ep)
        if self.name == "social_care":
            ep.sc_outcome, ep.t_sc_close = reason, day
        else:
            ep.camhs_outcome, ep.t_camhs_end = reason, day
        if ep.phase == CLOSED:
            ep.phase = GONE  # its pending events lapse

    def _finish(self, ep: Episode, day: float, outcome: str) -> None:
        if self.open_by_child.get(ep.child) is ep:
            del self.open_by_child[ep.child]
        if self.name == "social_care":
            ep.sc_outcome = outcome
            ep.t_sc_close = day
        else:
            ep.camhs_outcome = outcome
            ep.t_camhs_end = day
        self.on_finished(self, ep, day)

    def queue_length(self) -> int:
        """Cases waiting for allocation (screened, not allocated, child still here)."""
        return len(self.queue)


def on_event(day: float, payload: tuple) -> None:
    """Calendar handler of :data:`~sim.pathway.events.SPECIALIST` events: ``payload`` is
    ``(service, stage, episode)``."""
    svc, stage, ep = payload
    svc.handle(stage, ep, day)


def _ignore(service: SpecialistService, ep: Episode, day: float) -> None:
    """The default :attr:`SpecialistService.on_finished`: nothing follows."""
