"""Onset and natural history of needs (docs/odd.md sections 7.1-7.3).

Needs begin each week, drawn in bulk by :meth:`sim.population.Population.onsets`. Each
episode then runs four competing clocks, each consuming an exponential budget drawn at
onset (so the same need has the same underlying course under every team model):
identification, escalation (Weibull in unmet time at the current tier, slower while
supported), resolution, and disengagement while in the pathway. :meth:`reclock` sets
the clocks' rates for the episode's state and schedules the first of them to run out;
every stage calls it when an episode's state changes.

What follows an identification, an escalation to Tier 4, a resolution or a
disengagement belongs to later stages; the model sets those callbacks.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable

import numpy as np

from sim.episodes import (
    ASSESSING,
    DECLINED,
    ENDED,
    HIDDEN,
    N_EXPONENTIAL,
    N_LATER,
    N_UNIFORM,
    N_VARIATES,
    REQUESTED,
    SUPPORT,
    TAC,
    Episode,
)
from sim.params import DOMAINS, Config
from sim.pathway import events as ev
from sim.pathway import not_wired
from sim.population import DAYS_PER_YEAR, Population
from sim.rng import keyed_uniforms, keyed_uniforms_one
from sim.scheduling import EventQueue

INF = math.inf
#: Separates the keys of step-down episodes from those of new onsets.
STEP_DOWN_TAG = 0x5D5D5D5D
#: Phases in which the disengagement clock runs.
IN_PATHWAY = (ASSESSING, REQUESTED, TAC, SUPPORT)
# What ran out first, in a NATURAL event's payload.
IDENTIFIED, ESCALATED, RESOLVED, DISENGAGED = range(4)


class NaturalHistory:
    """New needs and their clocks.

    Parameters
    ----------
    cfg : Config
    population : Population
    events : EventQueue
        The model's calendar.
    onset_rng : numpy.random.Generator
        The ``onset`` stream.
    episode_key : int
        Key of the keyed uniforms that give each need its own variates.
    pool_of : callable
        The team model's ``pool_of(episode)``.

    Callbacks the model sets: ``identification_rate(ep, day)``, the hazard of
    identification; ``identified(ep, day)``, the identification clock ran out;
    ``identify(ep, day, route, profession)``; ``refer_social_care(ep, day)``;
    ``close(ep, day, reason)``.
    """

    def __init__(
        self,
        cfg: Config,
        population: Population,
        events: EventQueue,
        onset_rng: np.random.Generator,
        episode_key: int,
        pool_of: Callable[[Episode], int],
    ) -> None:
        self.need = cfg.need
        self.support = cfg.support
        self.immediate = cfg.testing.immediate_identification
        self.population = population
        self.events = events
        self.rng = onset_rng
        self.episode_key = episode_key
        self.pool_of = pool_of
        #: Every episode of the run, by id.
        self.episodes: list[Episode] = []
        self.identification_rate: Callable[[Episode, float], float] = not_wired
        self.identified: Callable[[Episode, float], None] = not_wired
        self.identify: Callable[[Episode, float, str, str], None] = not_wired
        self.refer_social_care: Callable[[Episode, float], None] = not_wired
        self.close: Callable[[Episode, float, str], None] = not_wired

    # ------------------------------------------------------------------ onset
    def onsets(self, t: float, dt: float) -> None:
        """Start the needs that begin in ``[t, t + dt)``, in order of onset."""
        pop = self.population
        children, days = pop.onsets(t, dt, self.rng)
        k = len(children)
        if not k:
            return
        need = self.need
        order = np.argsort(days, kind="stable")
        children, days = children[order], days[order]
        # Keyed on (child, week) so that each need's course is the same under every team
        # model (common random numbers), whatever else differs between the runs.
        # Columns: the exponential budgets, the first uniforms, the onset tier, one per
        # domain, then the uniforms added later (appended, so earlier columns keep their
        # values).
        n_first = N_UNIFORM - N_LATER
        u = keyed_uniforms(
            self.episode_key, children, np.full(k, math.floor(t)), N_VARIATES + 1 + len(DOMAINS)
        )
        exps = -np.log1p(-u[:, :N_EXPONENTIAL])
        unif = u[:, N_EXPONENTIAL:]
        u_tier = unif[:, n_first]
        tiers = np.where(
            u_tier < need.initial_tier4_share,
            4,
            np.where(u_tier < need.initial_tier4_share + need.initial_tier3_share, 3, 2),
        )
        pdom = np.array([need.domain_probability[d] for d in DOMAINS])
        udom = unif[:, n_first + 1 : n_first + 1 + len(DOMAINS)]
        hits = udom < pdom
        first = np.argmin(udom / np.maximum(pdom, 1e-12), axis=1)
        hits[np.arange(k), first] = True
        ages = (days - pop.birth[children]) / DAYS_PER_YEAR
        fams = pop.family[children]
        later = unif[:, n_first + 1 + len(DOMAINS) :]
        variates = np.concatenate([exps, unif[:, :n_first], later], axis=1).tolist()
        # Converted to Python values in bulk: indexing arrays one element at a time is
        # slow.
        columns = zip(
            children.tolist(),
            fams.tolist(),
            pop.locality[children].tolist(),
            ages.tolist(),
            tiers.tolist(),
            hits.tolist(),
            pop.fam_risk_count[fams].tolist(),
            pop.fam_engagement[fams].tolist(),
            days.tolist(),
            variates,
            strict=True,
        )
        episodes = self.episodes
        for c, f, loc, age, tier, hit, risk, engagement, day, var in columns:
            doms = tuple(d for d, h in zip(DOMAINS, hit, strict=True) if h)
            ep = Episode(len(episodes), c, f, loc, age, tier, doms, risk, engagement, day, var)
            self._open(ep)
            if ep.tier >= 4:
                self.identify(ep, ep.onset, "front_door", "")
            elif self.immediate:
                self.identify(ep, ep.onset, "immediate", "")
            else:
                self.reclock(ep, ep.onset)

    def step_down(self, old: Episode, day: float) -> None:
        """Step-down from social care: a new Tier 2 episode, known to early help."""
        pop = self.population
        c = old.child
        if pop.open_episode[c] >= 0:
            return
        day_bits = struct.unpack("<q", struct.pack("<d", day))[0]
        u = keyed_uniforms_one(self.episode_key, c, day_bits ^ STEP_DOWN_TAG, N_VARIATES)
        variates = (-np.log1p(-np.array(u[:N_EXPONENTIAL]))).tolist() + u[N_EXPONENTIAL:]
        age = float(pop.age_years(day, c))
        if age >= 18:
            return
        ep = Episode(
            len(self.episodes),
            c,
            old.family,
            old.locality,
            age,
            2,
            old.domains,
            old.risk_factors,
            old.engagement,
            day,
            variates,
        )
        ep.step_down = True
        self._open(ep)
        self.identify(ep, day, "step_down", "")

    def _open(self, ep: Episode) -> None:
        """Record a new episode as its child's open one."""
        pop = self.population
        self.episodes.append(ep)
        pop.open_episode[ep.child] = ep.id
        pop.episodes_started[ep.child] += 1
        ep.pool = self.pool_of(ep)
        ep.esc_target = self.escalation_target(ep)

    def escalation_target(self, ep: Episode) -> float:
        """Unmet time (days) at the episode's tier after which it escalates."""
        need = self.need
        if ep.tier >= 4:
            return INF
        scale = need.escalation_scale_years[ep.tier - 2] * DAYS_PER_YEAR
        return scale * ep.e_esc[ep.tier - 2] ** (1.0 / need.escalation_shape)

    # ------------------------------------------------------------------ clocks
    @staticmethod
    def _advance_clocks(ep: Episode, day: float) -> None:
        dt = day - ep.t_clock
        if dt > 0:
            ep.id_left -= ep.id_rate * dt
            ep.esc_tau += ep.esc_speed * dt
            ep.res_left -= ep.res_rate * dt
            ep.dis_left -= ep.dis_rate * dt
        ep.t_clock = day

    def reclock(self, ep: Episode, day: float) -> None:
        """Set the clocks' rates for the episode's state and schedule its next natural
        event (earlier ones are invalidated by the version number)."""
        self._advance_clocks(ep, day)
        need = self.need
        active = ep.phase not in ENDED
        ep.id_rate = self.identification_rate(ep, day) if ep.phase == HIDDEN else 0.0
        if not active or ep.resolved or ep.tier >= 4:
            ep.esc_speed = 0.0
        else:
            ep.esc_speed = need.escalation_supported_factor if ep.supported else 1.0
        if not active or ep.resolved:
            ep.res_rate = 0.0
        elif ep.supported:
            ep.res_rate = need.supported_resolution_rate[ep.tier - 2] / DAYS_PER_YEAR
        else:
            ep.res_rate = need.resolution_rate[ep.tier - 2] / DAYS_PER_YEAR
        in_pathway = ep.phase in IN_PATHWAY
        ep.dis_rate = (
            (self.support.disengagement_rate * (1.0 - ep.engagement) / DAYS_PER_YEAR)
            if active and in_pathway and not ep.resolved
            else 0.0
        )
        best, what = INF, -1
        if ep.id_rate > 0:
            best, what = ep.id_left / ep.id_rate, IDENTIFIED
        if ep.esc_speed > 0:
            w = (ep.esc_target - ep.esc_tau) / ep.esc_speed
            if w < best:
                best, what = w, ESCALATED
        if ep.res_rate > 0:
            w = ep.res_left / ep.res_rate
            if w < best:
                best, what = w, RESOLVED
        if ep.dis_rate > 0:
            w = ep.dis_left / ep.dis_rate
            if w < best:
                best, what = w, DISENGAGED
        ep.version += 1
        if what >= 0:
            self.events.schedule(day + max(best, 0.0), ev.NATURAL, (ep, ep.version, what))

    def on_natural(self, day: float, payload: tuple) -> None:
        """Calendar handler: a clock ran out (unless the episode was reclocked since)."""
        ep, version, what = payload
        if version != ep.version:
            return
        self._advance_clocks(ep, day)
        if what == IDENTIFIED:
            self.identified(ep, day)
        elif what == ESCALATED:
            self._escalate(ep, day)
        elif what == RESOLVED:
            self._resolve(ep, day)
        else:
            self.close(ep, day, "disengaged")

    def _escalate(self, ep: Episode, day: float) -> None:
        ep.tier += 1
        ep.max_tier = max(ep.max_tier, ep.tier)
        ep.esc_tau = 0.0
        if ep.tier == 3:
            ep.t_tier3 = day
            ep.esc_target = self.escalation_target(ep)
            if ep.phase == DECLINED:
                # Escalation makes the need visible again: a second identification budget.
                ep.phase = HIDDEN
                ep.id_left = ep.e_id2
            self.reclock(ep, day)
        else:
            ep.t_tier4 = day
            if ep.phase == HIDDEN or ep.phase == DECLINED:
                self.identify(ep, day, "front_door", "")
            else:
                self.refer_social_care(ep, day)

    def _resolve(self, ep: Episode, day: float) -> None:
        ep.t_resolved = day
        if ep.supported and not self.support.close_on_resolution:
            ep.resolved = True  # closed at the next review held
            self.reclock(ep, day)
        else:
            self.close(ep, day, "needs_met")
