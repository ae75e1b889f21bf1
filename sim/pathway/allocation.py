"""Allocation of TAC members, and the queues for them (docs/odd.md section 7.7).

A request that has been coordinated waits for the allocation decision on the day the
team model gives (:meth:`sim.team_models.base.TeamModel.decision_day`). Then each
profession the need calls for, by domain, age and tier (``domain_professions``), is
asked for a member from the episode's pool: a core team member first, then the post
with most spare multi-agency hours. A profession with no post that has room queues the
request, first come first served, until a case there releases hours or a post is
filled. When every member is allocated, the TAC can be convened (``on_assembled``).

Commitments are weekly hours a post has promised to open cases (``workforce.committed``,
``workforce.cases``); they are released when an episode closes.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import numpy as np

from sim.agents import Practitioner
from sim.episodes import REQUESTED, TAC, Episode
from sim.params import DOMAINS, Config
from sim.pathway import events as ev
from sim.pathway import not_wired
from sim.population import N_AGES
from sim.scheduling import EventQueue
from sim.services import QueueMeter
from sim.team_models.base import TeamModel
from sim.workforce import Workforce

INF = math.inf
#: A request waiting for a member: ``(episode, profession, hours a week, day queued)``.
QueueEntry = tuple[Episode, int, float, float]


def domain_professions(cfg: Config, professions: list[str]) -> list[list[list[tuple[int, int]]]]:
    """For each age 0-17 and domain, the professions a TAC needs as ``(profession,
    minimum tier)``: the first age-matching plain entry (tier 2), then every
    age-matching ``@tier`` entry."""
    pidx = {p: i for i, p in enumerate(professions)}
    table: list[list[list[tuple[int, int]]]] = [[[] for _ in DOMAINS] for _ in range(N_AGES)]
    for d, domain in enumerate(DOMAINS):
        for entry in cfg.domain_professions.get(domain, []):
            body, _, tier = entry.partition("@")
            name, _, ages = body.partition(":")
            lo, hi = (int(x) for x in ages.split("-")) if ages else (0, N_AGES - 1)
            min_tier = int(tier) if tier else 2
            for a in range(lo, hi + 1):
                cell = table[a][d]
                if min_tier > 2 or not any(t == 2 for _, t in cell):
                    cell.append((pidx[name], min_tier))
    return table


class Allocation:
    """Members for TACs from the posts of each (pool, profession).

    Parameters
    ----------
    cfg : Config
    workforce : Workforce
    tac_posts : array of bool
        The posts that can be TAC members (non-specialist posts of TAC professions).
    practitioners : list of Practitioner
        The posts' agents (they keep the cases they lead).
    events : EventQueue
        The model's calendar.
    team_model : TeamModel
        When allocation decisions are made.
    reclock : callable of ``(episode, day)``.

    The model sets ``on_assembled(episode, day)``: every member is allocated.
    """

    def __init__(
        self,
        cfg: Config,
        workforce: Workforce,
        tac_posts: np.ndarray,
        practitioners: list[Practitioner],
        events: EventQueue,
        team_model: TeamModel,
        reclock: Callable[[Episode, float], None],
        start_day: float,
    ) -> None:
        wf = workforce
        self.member_hours = cfg.support.member_hours_per_week
        self.workforce = wf
        self.tac_posts = tac_posts
        self.practitioners = practitioners
        self.events = events
        self.team_model = team_model
        self.reclock = reclock
        self.on_assembled: Callable[[Episode, float], None] = not_wired
        self.professions = list(cfg.professions)
        self._domain_prof = domain_professions(cfg, self.professions)
        #: Requests waiting for a member, by (pool, profession).
        self.queues: dict[tuple[int, int], deque[QueueEntry]] = {}
        #: Time-average queue lengths by profession (series: queue_early_help_mean).
        self.meter = QueueMeter(start_day, len(self.professions))
        # Fixed after set-up: the hours a post may commit to TAC cases, and the weight
        # that puts core team members first.
        self._commit_cap = wf.hours * wf.ma_share
        self._core_bonus = 1e6 * wf.core
        # Candidate posts for each (pool, profession), core members first.
        self._candidates: dict[tuple[int, int], np.ndarray] = {}
        for pool in np.unique(wf.pool[tac_posts]):
            for prof in np.unique(wf.prof[tac_posts]):
                ids = np.nonzero(tac_posts & (wf.pool == pool) & (wf.prof == prof))[0]
                if len(ids):
                    self._candidates[(int(pool), int(prof))] = ids
        # Smallest weekly hours a (pool, profession) had no room for. Room appears only
        # when a case there releases hours (release) or posts change hands.
        self._no_room: dict[tuple[int, int], float] = {}

    def refresh_vacancies(self) -> None:
        """Posts changed hands: every pool may have room again."""
        self._no_room = {}

    def request_ready(self, ep: Episode, day: float) -> None:
        """The request has been coordinated: schedule the allocation decision."""
        if ep.phase == REQUESTED:
            when = self.team_model.decision_day(day, ep)
            self.events.schedule(when, ev.ALLOCATE, ep)

    def _needed_professions(self, ep: Episode, day: float) -> list[int]:
        row = self._domain_prof[ep.age_index(day)]
        out: list[int] = []
        for d, domain in enumerate(DOMAINS):
            if domain in ep.domains:
                for prof, min_tier in row[d]:
                    if ep.tier >= min_tier and prof not in out:
                        out.append(prof)
        return out

    def on_allocate(self, day: float, ep: Episode) -> None:
        """Calendar handler: the allocation decision on a request."""
        if ep.phase != REQUESTED:
            return
        ep.phase = TAC
        wf = self.workforce
        need = self._needed_professions(ep, day)
        assessor_prof = wf.prof[ep.assessor] if ep.assessor >= 0 else -1
        hours = self.member_hours
        ep.professions = [self.professions[p] for p in need]
        ep.waiting = 0
        for prof in need:
            if prof == assessor_prof:
                self.commit(ep, ep.assessor, hours)  # the assessor is the member
                continue
            if (ep.pool, prof) not in self._candidates:
                continue  # no post of this profession serves the pool
            if not self._try_allocate(ep, prof, hours):
                key = (ep.pool, prof)
                self.queues.setdefault(key, deque()).append((ep, prof, hours, day))
                self.meter.change(day, 1, prof)
                ep.queued.append(prof)
                ep.waiting += 1
        self.reclock(ep, day)
        if ep.waiting == 0:
            self.on_assembled(ep, day)

    def _try_allocate(self, ep: Episode, prof: int, hours: float) -> bool:
        """Commit ``hours`` a week of a filled candidate post with room for them: a core
        team member first, then the one with most spare multi-agency hours."""
        key = (ep.pool, prof)
        if hours >= self._no_room.get(key, INF):
            return False
        ids = self._candidates[key]
        wf = self.workforce
        spare = self._commit_cap[ids] - wf.committed[ids] - wf.vacant_inf[ids]
        score = np.where(spare >= hours - 1e-9, spare + self._core_bonus[ids], -INF)
        best = score.argmax()
        if score[best] == -INF:
            self._no_room[key] = min(hours, self._no_room.get(key, INF))
            return False
        self.commit(ep, int(ids[best]), hours)
        return True

    def commit(self, ep: Episode, pid: int, hours: float) -> None:
        """Post ``pid`` takes the case, with ``hours`` a week."""
        wf = self.workforce
        wf.committed[pid] += hours
        wf.cases[pid] += 1
        ep.members.append((pid, hours, True))

    def release(self, ep: Episode, day: float) -> None:
        """The episode closed: release its commitments and requests, and let the
        queues it freed room in take their next requests."""
        wf = self.workforce
        keys = set()
        for pid, hours, counts in ep.members:
            wf.committed[pid] -= hours
            wf.cases[pid] -= counts
            if self.tac_posts[pid]:
                keys.add((int(wf.pool[pid]), int(wf.prof[pid])))
        ep.members = []
        if ep.lead >= 0:
            self.practitioners[ep.lead].leads.discard(ep)
        # Closed while waiting for members: its requests stop counting as waiting now;
        # the entries themselves are dropped when they reach the head of their queue
        # (removing them here would cost a scan of the queue at every closure).
        for prof in ep.queued:
            self.meter.change(day, -1, prof)
        ep.queued = []
        ep.waiting = 0
        for key in keys:
            self._no_room.pop(key, None)
        for key in sorted(keys):
            self._serve_queue(key, day)

    def posts_filled(self, filled: np.ndarray, day: float) -> None:
        """Newly filled posts take requests waiting in their queues."""
        wf = self.workforce
        keys = set()
        for pid in filled.tolist():
            if self.tac_posts[pid]:
                keys.add((int(wf.pool[pid]), int(wf.prof[pid])))
        for key in sorted(keys):
            self._serve_queue(key, day)

    def _serve_queue(self, key: tuple[int, int], day: float) -> None:
        q = self.queues.get(key)
        while q:
            ep, prof, hours, _ = q[0]
            if ep.phase != TAC or ep.waiting == 0:
                q.popleft()  # its episode closed (or moved on) while it waited
                continue
            if not self._try_allocate(ep, prof, hours):
                return
            q.popleft()
            self.meter.change(day, -1, prof)
            ep.queued.remove(prof)
            ep.waiting -= 1
            if ep.waiting == 0:
                self.on_assembled(ep, day)
