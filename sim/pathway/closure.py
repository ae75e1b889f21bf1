"""Closure, step-up to social care, and children leaving the area (docs/odd.md 7.10-7.11).

An episode closes to early help when its needs are met, the family disengages, or it
steps up to children's social care; closing releases its commitments. A child is no
longer known to services when its last involvement ends: its agents are removed and the
day is recorded (for re-referrals). When social care finishes with a case, some step
down to early help as a new episode. Each week children turning 18 and families moving
away leave, with whatever they had open, and newborns and families moving in take their
places.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from sim.agents import FamilyAgent
from sim.episodes import CLOSED, ENDED, GONE, SPECIALIST, Episode
from sim.pathway.allocation import Allocation
from sim.population import Population
from sim.services import SpecialistService


class Closure:
    """The end of episodes, and of children's time in the area.

    Parameters
    ----------
    population : Population
    episodes : list of Episode
        Every episode of the run, by id.
    allocation : Allocation
        Releases a closed episode's commitments.
    social_care, camhs : SpecialistService
    families : dict
        The family agents of children known to services, shared with identification.
    demography_rng : numpy.random.Generator
        The ``demography`` stream.
    specialist_rng : numpy.random.Generator
        The ``specialist`` stream (whether a case steps down).
    step_down : callable of ``(old episode, day)``
        Opens the step-down episode.
    """

    def __init__(
        self,
        population: Population,
        episodes: list[Episode],
        allocation: Allocation,
        social_care: SpecialistService,
        camhs: SpecialistService,
        families: dict[int, FamilyAgent],
        demography_rng: np.random.Generator,
        specialist_rng: np.random.Generator,
        step_down: Callable[[Episode, float], None],
    ) -> None:
        self.population = population
        self.episodes = episodes
        self.allocation = allocation
        self.social_care = social_care
        self.camhs = camhs
        self.families = families
        self.demography_rng = demography_rng
        self.specialist_rng = specialist_rng
        self.step_down = step_down

    # ------------------------------------------------------------------ episodes
    def close(self, ep: Episode, day: float, reason: str, keep_child: bool = False) -> None:
        """Close the episode to early help; release its commitments."""
        if ep.phase in ENDED:
            return
        ep.t_close = day
        ep.reason = reason
        ep.phase = CLOSED
        ep.supported = False
        ep.version += 1  # cancels its natural events
        self.allocation.release(ep, day)
        if not keep_child:
            self.retire(ep, day)

    def retire(self, ep: Episode, day: float) -> None:
        """The child is no longer known to services for this episode."""
        pop = self.population
        c = ep.child
        if pop.open_episode[c] == ep.id:
            pop.open_episode[c] = -1
            pop.episode_closed(c, day)
            if not math.isnan(ep.t_identified):
                pop.last_identified[c] = day
        if ep.phase == SPECIALIST:
            ep.phase = CLOSED
        agent = ep.agent
        if agent is not None:
            fam = agent.family_agent
            fam.children.discard(agent)
            agent.remove()
            ep.agent = None
            if not fam.children:
                fam.remove()
                self.families.pop(ep.family, None)

    def refer_social_care(self, ep: Episode, day: float) -> None:
        """Step up: close to early help and refer to children's social care."""
        if not math.isnan(ep.t_sc_referral) and ep.phase == SPECIALIST:
            return
        self.close(ep, day, "stepped_up", keep_child=True)
        ep.phase = SPECIALIST
        self.social_care.refer(ep, day)

    def specialist_finished(self, svc: SpecialistService, ep: Episode, day: float) -> None:
        """A specialist service has finished with an episode (CAMHS runs alongside the
        pathway: its end changes nothing here)."""
        if svc is self.camhs or ep.phase != SPECIALIST:
            return
        self.retire(ep, day)
        if self.specialist_rng.random() < svc.params.step_down_probability:
            self.step_down(ep, day)

    # ------------------------------------------------------------------ demography
    def demography(self, t: float, dt: float) -> None:
        """Children turning 18 and families moving away in ``[t, t + dt)`` leave, with
        whatever they have open; newborns and families moving in take their places."""
        pop = self.population
        rng = self.demography_rng
        aged, aged_day, fams, move_day = pop.leavers(t, dt, rng)
        for c, d in zip(aged.tolist(), aged_day.tolist(), strict=True):
            self.child_leaves(c, d, "aged_out")
        if len(fams):
            day_of = dict(zip(fams.tolist(), move_day.tolist(), strict=True))
            camhs = self.camhs.open_by_child
            for c in pop.children_of(fams).tolist():
                if pop.open_episode[c] >= 0 or c in camhs:
                    self.child_leaves(c, day_of[int(pop.family[c])], "moved_away")
        moved = pop.replace(aged, aged_day, fams, move_day, rng)
        if len(aged) or len(moved):
            pop.refresh(np.concatenate([aged, moved]), t)

    def child_leaves(self, child: int, day: float, reason: str) -> None:
        """The child leaves the area on ``day``: end its episode and its cases."""
        eid = self.population.open_episode[child]
        self.camhs.child_left(child, day, reason)
        if eid < 0:
            return
        ep = self.episodes[eid]
        if ep.phase == SPECIALIST:
            self.social_care.withdraw(ep, day)
            if not math.isnan(ep.t_sc_referral) and math.isnan(ep.t_sc_close):
                ep.sc_outcome = reason
                ep.t_sc_close = day
            self.retire(ep, day)
        else:
            self.close(ep, day, reason)
        ep.phase = GONE
