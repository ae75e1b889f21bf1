"""Consent, the CAF and the request for multi-agency support (docs/odd.md section 7.5).

An identified need first waits for the family's consent; a refusal leaves it unmet
until it escalates. With consent a practitioner completes a CAF: the identifier if its
profession assesses, a colleague of the same profession if that post fell vacant, the
profession's named assessor, and otherwise a family support worker. A post whose diary
already holds more than ``rationing_backlog_hours`` takes no new CAF (rationing). With
a child index a CAF done before is visible and only updated; without one, other
services start duplicate CAFs.

A completed CAF triggers a CAMHS referral (*be healthy*, Tier 3 or more, aged 5 or
more: assumption), then either the assessor meets the need alone and leads, or a
request for multi-agency support goes to the post the team model chooses
(:meth:`sim.team_models.base.TeamModel.receiver`), which spends the coordination hours.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from sim.diary import CAF, COORDINATION, HOURS, Diaries
from sim.episodes import ASSESSING, DECLINED, REQUESTED, TAC, Episode
from sim.params import Config
from sim.pathway import events as ev
from sim.pathway.allocation import Allocation
from sim.pathway.support import Support
from sim.population import Population
from sim.scheduling import EventQueue
from sim.services import SpecialistService
from sim.team_models.base import Pick, TeamModel
from sim.workforce import VACANT, Workforce

#: The assessor of last resort (assumption): self-referrals, step-downs and returns
#: from the front door have no identifying profession.
DEFAULT_ASSESSOR = "family_support"


class Assessment:
    """Consent and CAF, up to the request for support.

    Parameters
    ----------
    cfg : Config
    population, workforce : the area's children and posts.
    diaries : Diaries
        Where the CAF and coordination tasks go.
    events : EventQueue
        The model's calendar.
    rng : numpy.random.Generator
        The ``pathway`` stream.
    team_model : TeamModel
        Who receives a request.
    camhs : SpecialistService
    allocation : Allocation
        Commits the assessor when it meets the need alone.
    support : Support
        Sets the lead professional.
    soonest_done : callable
        Given candidate posts, the one that would finish a request's coordination
        soonest (the team models' ``pick``).
    reclock : callable of ``(episode, day)``.
    """

    def __init__(
        self,
        cfg: Config,
        population: Population,
        workforce: Workforce,
        diaries: Diaries,
        events: EventQueue,
        rng: np.random.Generator,
        team_model: TeamModel,
        camhs: SpecialistService,
        allocation: Allocation,
        support: Support,
        soonest_done: Pick,
        reclock: Callable[[Episode, float], None],
    ) -> None:
        self.cfg = cfg.assessment
        self.support_cfg = cfg.support
        self.profession_cfg = cfg.professions
        self.population = population
        self.workforce = workforce
        self.diaries = diaries
        self.events = events
        self.rng = rng
        self.team_model = team_model
        self.camhs = camhs
        self.allocation = allocation
        self.support = support
        self.reclock = reclock
        self.professions = list(cfg.professions)
        self._pidx = {p: i for i, p in enumerate(self.professions)}
        self.soonest_done = soonest_done
        self.index_records_support = team_model.index_records_support

    def _assessor_for(self, ep: Episode) -> int:
        diaries = self.diaries
        if ep.assessor >= 0:
            prof = self.professions[self.workforce.prof[ep.assessor]]
            pc = self.profession_cfg[prof]
            if pc.caf_assessor:
                if self.workforce.status[ep.assessor] != VACANT:
                    return ep.assessor
                # The identifier's post fell vacant: a colleague of the same profession.
                return diaries.freest(ep.locality, self._pidx[prof])
            if pc.assessor:
                return diaries.freest(ep.locality, self._pidx[pc.assessor])
        return diaries.freest(ep.locality, self._pidx[DEFAULT_ASSESSOR])

    def on_consent(self, day: float, ep: Episode) -> None:
        """Calendar handler: the family answers the request for consent."""
        if ep.phase != ASSESSING:
            return
        acfg = self.cfg
        pop = self.population
        # The first request uses the episode's own variate (common random numbers); a
        # request after an earlier refusal is a fresh decision.
        u = ep.u_consent if math.isnan(ep.t_consent) else self.rng.random()
        ep.t_consent = day
        if u >= ep.engagement:
            ep.consent = False
            ep.phase = DECLINED
            ep.id_left = 0.0
            self.reclock(ep, day)
            return
        ep.consent = True
        if not acfg.required:
            ep.t_assess_start = ep.t_assess_end = day
            self._assessed(ep, day)
            return
        pid = self._assessor_for(ep)
        ep.assessor = pid
        if (acfg.required and pid < 0) or (
            pid >= 0 and self.diaries.hours[pid] > acfg.rationing_backlog_hours
        ):
            # Rationed: no time for a new CAF; the need stays unmet until it escalates.
            ep.phase = DECLINED
            ep.route = ep.route + "+rationed"
            ep.id_left = 0.0
            self.reclock(ep, day)
            return
        ep.t_assess_start = day
        rng = self.rng
        # The index shows an earlier CAF; where the team model's index records support
        # too (Shropshire's local child index), earlier support from a TAC.
        known = bool(pop.had_caf[ep.child]) or (
            self.index_records_support and bool(pop.had_support[ep.child])
        )
        visible = acfg.child_index and known and rng.random() >= acfg.sharing_reluctance
        ep.caf_from_index = visible
        ep.caf_hours = acfg.caf_update_hours if visible else acfg.caf_hours
        ep.assessor_prof = self.professions[self.workforce.prof[pid]]
        self.diaries.add(pid, day, ep.caf_hours, CAF, ep, "assessment")
        if not acfg.child_index:
            # Without a shared index other services do not see this CAF: some start
            # their own.
            for _ in range(len(ep.domains) - 1):
                if rng.random() < acfg.duplicate_probability:
                    other = self.diaries.freest(ep.locality, self.workforce.prof[pid], pid)
                    if other >= 0:
                        ep.duplicate_cafs += 1
                        self.diaries.add(other, day, acfg.caf_hours, HOURS, None, "assessment")

    def caf_done(self, ep: Episode, day: float) -> None:
        """The assessor finished the CAF."""
        if ep.phase == ASSESSING:
            ep.t_assess_end = day
            self._assessed(ep, day)

    def _assessed(self, ep: Episode, day: float) -> None:
        if ep.phase != ASSESSING:
            return
        self.population.had_caf[ep.child] = True
        scfg = self.support_cfg
        if (
            "be_healthy" in ep.domains
            and ep.tier >= 3
            and ep.age >= 5
            and math.isnan(ep.t_camhs_referral)
        ):
            self.camhs.refer(ep, day)
        if ep.assessor >= 0 and ep.u_single < self.cfg.single_agency_probability:
            # The assessor meets the need alone and leads.
            ep.phase = TAC
            hours = scfg.member_hours_per_week + scfg.lead_hours_per_week
            self.allocation.commit(ep, ep.assessor, hours)
            self.support.set_lead(ep, ep.assessor)
            ep.professions = [self.professions[self.workforce.prof[ep.assessor]]]
            self.events.schedule(day + scfg.support_start_days, ev.SUPPORT, ep)
            self.reclock(ep, day)
            return
        ep.phase = REQUESTED
        ep.t_request = day
        receiver = self.team_model.receiver(ep, self.soonest_done)
        if receiver < 0:
            # Nobody to coordinate (an area without structure posts, where the request
            # has no assessor to convene): it goes to the allocation decision as it is.
            self.allocation.request_ready(ep, day)
            return
        self.diaries.add(
            receiver, day, self.team_model.coordination_hours, COORDINATION, ep, "coordination"
        )
