"""Mesa agents: children and families known to services, and practitioners' posts.

Children and families are materialised as agents only while the services know about an
open need (from identification to the end of specialist involvement); the rest of the
population lives in :class:`sim.population.Population` arrays. Every post is a
:class:`Practitioner` agent for the whole run.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:  # pragma: no cover
    from sim.episodes import Episode
    from sim.workforce import Workforce


class FamilyAgent(mesa.Agent):
    """A family with at least one child known to services.

    Attributes
    ----------
    family : index into the population's family arrays.
    engagement : propensity to consent and stay engaged (0 to 1).
    children : the child agents of this family currently known to services.
    """

    def __init__(
        self, model: mesa.Model, family: int, engagement: float, locality: int, risk_factors: int
    ) -> None:
        super().__init__(model)
        self.family = family
        self.engagement = engagement
        self.locality = locality
        self.risk_factors = risk_factors
        self.children: set[ChildAgent] = set()


class ChildAgent(mesa.Agent):
    """A child with an open need episode known to services.

    Attributes
    ----------
    child : index into the population's child arrays.
    episode : the open need episode.
    family_agent : the child's family.
    """

    def __init__(
        self, model: mesa.Model, child: int, episode: Episode, family_agent: FamilyAgent
    ) -> None:
        super().__init__(model)
        self.child = child
        self.episode = episode
        self.family_agent = family_agent
        family_agent.children.add(self)


class Practitioner(mesa.Agent):
    """One post in the workforce, whoever holds it.

    The arrays in :class:`sim.workforce.Workforce` hold the state the weekly dynamics
    update (status, skill, hours); this agent holds what the pathway needs per post:
    its diary of one-off tasks, which it works (:meth:`work_diary`), and the cases it
    leads. :class:`sim.diary.Diaries` schedules the diaries on the calendar.

    Attributes
    ----------
    pid : index into the workforce arrays.
    diary : first-in-first-out queue of ``[hours_left, task_kind, episode, activity]``
        items, worked by :class:`sim.diary.Diaries`.
    diary_mark : day up to which the diary's progress is booked.
    diary_version : incremented whenever the head task's finishing event is superseded.
    leads : episodes for which this post is the lead professional.
    """

    def __init__(self, model: mesa.Model, pid: int, workforce: Workforce) -> None:
        super().__init__(model)
        self.pid = pid
        self.workforce = workforce
        self.diary: deque[list] = deque()
        self.diary_mark = 0.0  # time up to which diary progress is booked
        self.diary_version = 0
        self.leads: set[Episode] = set()

    def work_diary(self, day: float, rate: float) -> tuple[float, int]:
        """Work the head task of the diary from the last booking up to ``day`` at
        ``rate`` hours a day; return the hours done and the task's activity index (-1
        when nothing was worked)."""
        dt = day - self.diary_mark
        done, activity = 0.0, -1
        if dt > 0 and self.diary:
            head = self.diary[0]
            done = min(rate * dt, head[0])
            head[0] -= done
            activity = head[3]
        self.diary_mark = day
        return done, activity

    def head_done(self, day: float, rate: float) -> float:
        """Day the head task would be finished, working from ``day`` at ``rate`` hours a
        day (infinity with an empty diary or no time for it)."""
        if self.diary and rate > 0:
            return day + self.diary[0][0] / rate
        return math.inf

    @property
    def profession(self) -> str:
        """Profession name."""
        wf = self.workforce
        return wf.professions[wf.prof[self.pid]]

    @property
    def locality(self) -> int:
        """Locality the post serves."""
        return int(self.workforce.locality[self.pid])

    @property
    def status(self) -> str:
        """``permanent``, ``agency`` or ``vacant``."""
        return ("permanent", "agency", "vacant")[int(self.workforce.status[self.pid])]

    @property
    def caseload(self) -> int:
        """Open cases held by, or with a commitment from, this post."""
        return int(self.workforce.cases[self.pid])

    @property
    def skill(self) -> float:
        """Identification skill of the current holder (0 to 1)."""
        return float(self.workforce.skill[self.pid])
