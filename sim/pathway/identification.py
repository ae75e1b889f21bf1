"""Identification: who spots a need, and when (docs/odd.md section 7.4).

A hidden need is identified at a rate that sums, over the universal professions that
see a child of its age in its locality, each profession's identification rate times
its staffing (filled share of the establishment), its holders' mean skill and the team
model's access to advice; plus self-referral (by the family's engagement) and, at Tier
3, the front door. The table of those rates is rebuilt each week, as posts change
hands and skills grow. When the clock runs out, the route is drawn in proportion to its
share of the rate.

An identified need is referred to children's social care (Tier 4, some Tier 3, or the
front door) or goes on to consent and assessment.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import mesa
import numpy as np

from sim.agents import ChildAgent, FamilyAgent
from sim.diary import HOURS, Diaries
from sim.episodes import ASSESSING, Episode
from sim.params import Config
from sim.pathway import events as ev
from sim.population import DAYS_PER_YEAR, N_AGES, Population
from sim.scheduling import EventQueue
from sim.team_models.base import Pick, TeamModel
from sim.workforce import ACT, VACANT, Workforce

#: Re-referral: known to services again within 12 months of an earlier episode's
#: closure (the DfE re-referral window; [DfE CIN 2019] in docs/sources.md).
RE_REFERRAL_DAYS = 365.0


class Identification:
    """Identification of hidden needs.

    Parameters
    ----------
    cfg : Config
    model : mesa.Model
        The model the child and family agents belong to.
    population, workforce : the area's children and posts.
    diaries : Diaries
        To choose the identifying post and book its hours.
    events : EventQueue
        The model's calendar.
    rng : numpy.random.Generator
        The ``pathway`` stream.
    team_model : TeamModel
        Access to advice (its effect on identification and its hours), and whether core
        members leave their universal settings.
    soonest_done : callable
        Of some posts, the one that would finish new work soonest (the adviser).
    families : dict
        The family agents of children known to services, shared with closure.
    refer_social_care, reclock : callables of ``(episode, day)``.
    """

    def __init__(
        self,
        cfg: Config,
        model: mesa.Model,
        population: Population,
        workforce: Workforce,
        diaries: Diaries,
        events: EventQueue,
        rng: np.random.Generator,
        team_model: TeamModel,
        soonest_done: Pick,
        families: dict[int, FamilyAgent],
        refer_social_care: Callable[[Episode, float], None],
        reclock: Callable[[Episode, float], None],
    ) -> None:
        self.cfg = cfg.identification
        self.consent_days = cfg.assessment.consent_days
        self.model = model
        self.population = population
        self.workforce = workforce
        self.diaries = diaries
        self.events = events
        self.rng = rng
        self.team_model = team_model
        self.soonest_done = soonest_done
        self.advice_multiplier = team_model.advice_multiplier
        self.advice_hours = team_model.advice_hours
        self.core_leave_settings = team_model.core_leave_settings
        self.families = families
        self.refer_social_care = refer_social_care
        self.reclock = reclock
        self.professions = list(cfg.professions)
        self._pidx = {p: i for i, p in enumerate(self.professions)}
        n_main = workforce.n_main
        wf = workforce
        self._rate = (
            np.array([cfg.professions[p].identification_rate for p in self.professions])
            / DAYS_PER_YEAR
        )
        ages = np.zeros((N_AGES, len(self.professions)), dtype=bool)
        for i, p in enumerate(self.professions):
            span = cfg.professions[p].identifies_ages
            if span:
                ages[span[0] : span[1] + 1, i] = True
        self._ages = ages
        est = np.zeros((cfg.area.localities, len(self.professions)))
        np.add.at(
            est,
            (wf.locality[:n_main], wf.prof[:n_main]),
            np.where(wf.specialist[:n_main], 0.0, wf.fte[:n_main]),
        )
        self._establishment = est
        ident = np.array([cfg.professions[p].identification_rate > 0 for p in self.professions])
        #: Posts whose holders' identification skill grows with training.
        self.trainable = ident[wf.prof] & ~wf.specialist
        self.trainable[n_main:] = False
        self.update_table()

    def update_table(self) -> None:
        """Identification hazard per day by locality, age and profession, for a Tier 2
        need: rate x staffing (filled share of establishment) x mean holder skill x
        access to advice. Updated weekly."""
        wf = self.workforce
        n_main = wf.n_main
        filled = (wf.status[:n_main] != VACANT) & ~wf.specialist[:n_main]
        if self.core_leave_settings:
            # Core members seconded to a team do not see children in universal settings.
            filled &= ~wf.core[:n_main]
        shape = self._establishment.shape
        fte = np.zeros(shape)
        skill_fte = np.zeros(shape)
        idx = (wf.locality[:n_main][filled], wf.prof[:n_main][filled])
        np.add.at(fte, idx, wf.fte[:n_main][filled])
        np.add.at(skill_fte, idx, (wf.fte[:n_main] * wf.skill[:n_main])[filled])
        est = self._establishment
        staffing = np.divide(fte, est, out=np.zeros(shape), where=est > 0)
        skill = np.divide(skill_fte, fte, out=np.zeros(shape), where=fte > 0)
        per_prof = self._rate * staffing * skill * self.advice_multiplier
        table = per_prof[:, None, :] * self._ages[None, :, :]
        # Read one episode at a time: Python lists index faster than small arrays.
        self._rows = table.tolist()  # [locality][age][profession]
        self._sum = table.sum(axis=2).tolist()  # [locality][age]

    def rate(self, ep: Episode, day: float) -> float:
        """Hazard per day that the hidden need ``ep`` is identified on ``day``."""
        idc = self.cfg
        mult = idc.tier_multiplier[ep.tier - 2]
        rate = mult * self._sum[ep.locality][ep.age_index(day)]
        rate += idc.self_referral_rate * ep.engagement / DAYS_PER_YEAR
        if ep.tier == 3:
            rate += idc.front_door_rate[0] / DAYS_PER_YEAR
        return rate

    def from_clock(self, ep: Episode, day: float) -> None:
        """The identification clock ran out: draw who identified the need."""
        idc = self.cfg
        mult = idc.tier_multiplier[ep.tier - 2]
        parts = [mult * x for x in self._rows[ep.locality][ep.age_index(day)]]
        parts.append(idc.self_referral_rate * ep.engagement / DAYS_PER_YEAR)
        parts.append(idc.front_door_rate[0] / DAYS_PER_YEAR if ep.tier == 3 else 0.0)
        total = sum(parts)
        u = self.rng.random() * total
        acc, pick = 0.0, len(parts) - 1
        for i, w in enumerate(parts):
            acc += w
            if u < acc:
                pick = i
                break
        n_prof = len(self.professions)
        if pick < n_prof:
            self.identify(ep, day, "universal", self.professions[pick])
        elif pick == n_prof:
            self.identify(ep, day, "self", "")
        else:
            self.identify(ep, day, "front_door", "")

    def identify(self, ep: Episode, day: float, route: str, profession: str) -> None:
        """The need becomes known to services by ``route`` (a universal ``profession``,
        ``self``, ``front_door``, ``step_down``, ``immediate``)."""
        pop = self.population
        first = math.isnan(ep.t_identified)
        if first:
            ep.t_identified = day
            ep.identified_tier = ep.tier
            ep.route = route
            ep.identifier_prof = profession
            # Step-downs are not re-referrals.
            ep.re_referral = (
                not ep.step_down and (day - pop.last_identified[ep.child]) <= RE_REFERRAL_DAYS
            )
            self._materialise(ep)
        if profession:
            pid = self.diaries.freest(ep.locality, self._pidx[profession])
            if pid >= 0:
                self.workforce.used[pid, ACT["identification"]] += self.cfg.identification_hours
                ep.assessor = pid
            if first and self.advice_hours > 0:
                # The identifier asks the team (or the central advice line) for advice.
                adviser = self.team_model.adviser(ep.locality, self.soonest_done)
                if adviser >= 0:
                    self.diaries.add(adviser, day, self.advice_hours, HOURS, None, "coordination")
        to_front_door = (
            route == "front_door"
            or ep.tier >= 4
            or (ep.tier == 3 and ep.u_t3ref < self.cfg.tier3_referral_probability)
        )
        if to_front_door:
            self.refer_social_care(ep, day)
            return
        ep.phase = ASSESSING
        self.reclock(ep, day)
        self.events.schedule(day + self.consent_days, ev.CONSENT, ep)

    def _materialise(self, ep: Episode) -> None:
        """The child, and its family, become agents while services know of them."""
        fam = self.families.get(ep.family)
        if fam is None:
            pop = self.population
            fam = FamilyAgent(
                self.model,
                ep.family,
                float(pop.fam_engagement[ep.family]),
                int(pop.fam_locality[ep.family]),
                int(pop.fam_risk_count[ep.family]),
            )
            self.families[ep.family] = fam
        ep.agent = ChildAgent(self.model, ep.child, ep, fam)
