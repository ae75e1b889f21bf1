"""The children's services model: a Mesa model stepping a week at a time.

Each step (one week) runs, in order (docs/odd.md section 3):

1. demography: children turning 18 and families moving away leave; newborns and
   families moving in take their places;
2. need onset for the week, drawn in bulk;
3. every event due in the week, in time order: identification, consent, CAF completion,
   requests, allocation, TAC meetings, support, reviews, escalation, resolution,
   disengagement, specialist services;
4. the week's time accounting: support is delivered from what diaries left, shortfalls
   are unmet demand, and the ``series`` row is recorded;
5. workforce dynamics: leavers, appointments, agency cover, training; a change of post
   holder costs continuity on the cases it leads.

The model never writes files and never plots: :meth:`episodes_table` and
:meth:`series_table` hand tables to :mod:`sim.runner`.
"""

from __future__ import annotations

import contextlib
import gc
import math
import struct
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.agents import ChildAgent, FamilyAgent, Practitioner
from sim.episodes import EPISODE_COLUMNS, Episode, empty_episodes_table
from sim.params import ACTIVITIES, DOMAINS, Config
from sim.population import DAYS_PER_YEAR, Population
from sim.rng import keyed_uniforms, keyed_uniforms_one, spawn_streams
from sim.scheduling import EventQueue
from sim.services import QueueMeter, SpecialistService
from sim.team_models import make_team_model
from sim.workforce import ACT, VACANT, PostSpec, Workforce

INF = math.inf
#: Separates the keys of step-down episodes from those of new onsets.
STEP_DOWN_TAG = 0x5D5D5D5D
RE_REFERRAL_DAYS = 365.0
# Diary task kinds.
T_HOURS, T_CAF, T_COORD, T_MEETING = 0, 1, 2, 3
N_AGES = 18


@contextlib.contextmanager
def collector_paused():
    """Run a block with CPython's cyclic garbage collector switched off.

    A run allocates millions of small objects that live for months of simulated time
    (episodes, their member lists, scheduled events); the collector kept re-scanning
    them and took about a quarter of a run's time with its default settings. The model
    makes no reference cycles that become garbage (tests/test_unit.py checks a run leaves
    none), so reference counting frees everything the collector would, and results do
    not depend on when memory is reclaimed. The collector's previous state is restored
    afterwards.

    Switched back on, the collector would next scan every object the run left alive (all
    of them are in the youngest generation) in one pass, about 3% of a run. They are
    moved to the oldest generation instead (``gc.freeze`` then ``gc.unfreeze``), where
    objects that live through collections end up anyway; a full collection still
    examines them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _parse_domain_professions(
    cfg: Config, professions: list[str]
) -> list[list[list[tuple[int, int]]]]:
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


class ChildrensServicesModel(mesa.Model):
    """Integrated children's services in one area under one team model.

    Parameters
    ----------
    cfg : Config
        Validated configuration (see :mod:`sim.params`).
    seed : int or numpy.random.SeedSequence
        Seed of this run; every random process gets its own stream spawned from it.
    """

    K_NATURAL, K_CONSENT, K_TASK, K_ALLOCATE, K_TAC, K_SUPPORT, K_REVIEW, K_SPECIALIST = range(8)

    def __init__(self, cfg: Config, seed: int | np.random.SeedSequence = 0) -> None:
        self.streams = spawn_streams(seed)
        self.episode_key = int(self.streams["episode"].integers(0, 2**63))
        super().__init__(rng=self.streams["model"])
        self.cfg = cfg
        # Weeks are aligned so that day 0, the end of the warm-up, starts a week.
        self.t_start = -math.ceil(cfg.warmup_years * DAYS_PER_YEAR / 7.0) * 7.0
        self.t_end = cfg.years * DAYS_PER_YEAR  # end of the observation window
        self.t_stop = (cfg.years + cfg.followup_years) * DAYS_PER_YEAR  # end of the run
        # What the window saw, kept when it closes (run): its episodes and its weeks.
        self._window_episodes: pd.DataFrame | None = None
        self._window_weeks: int | None = None
        self._window_close = math.nan
        self.t = self.t_start
        self.events = EventQueue(self.t_start, 7.0)
        self._week_end = self.t_start + 7.0  # end of the week being run
        self.team_model = make_team_model(cfg.team_model)
        self.population = Population(cfg, self.streams["population"], self.t_start)
        self._build_workforce()
        self.episodes: list[Episode] = []
        self.families: dict[int, FamilyAgent] = {}
        self.queues: dict[tuple[int, int], deque] = {}
        # Time-average TAC queue lengths, by profession (series: queue_early_help_mean).
        self.queue_meter = QueueMeter(self.t_start, len(self.professions))
        self._busy: set[int] = set()
        self.series_rows: list[dict] = []
        self._dispatch: dict[int, Callable[[float, Any], None]] = {
            self.K_NATURAL: self._on_natural,
            self.K_CONSENT: self._on_consent,
            self.K_TASK: self._on_task,
            self.K_ALLOCATE: self._on_allocate,
            self.K_TAC: self._on_tac,
            self.K_SUPPORT: self._on_support_start,
            self.K_REVIEW: self._on_review,
            self.K_SPECIALIST: self._on_specialist,
        }
        self.workforce.start_week(self.t, self.streams["workforce"], cfg.team_model.home_demand_cv)
        # This week's diary hours per day by post, as Python floats (read one at a time).
        self._diary_rate = self.workforce.diary_rate.tolist()
        self._update_identification_table()

    # ================================================================== set-up
    def _build_workforce(self) -> None:
        cfg = self.cfg
        self.professions = list(cfg.professions)
        pop = self.population
        per_loc = np.bincount(pop.locality, minlength=cfg.area.localities)
        specs: list[PostSpec] = []
        for name, pc in cfg.professions.items():
            scale = cfg.area.workforce_scale * cfg.area.establishment_scale.get(name, 1.0)
            for loc in range(cfg.area.localities):
                # Rounded so that an establishment meant to be whole posts is whole.
                fte = round(pc.per_10k * scale * per_loc[loc] / 10_000, 9)
                spec_fte = fte * pc.specialist_share
                for total, specialist in ((spec_fte, True), (fte - spec_fte, False)):
                    whole = int(total)
                    part = total - whole
                    specs += [PostSpec(name, loc, 1.0, specialist) for _ in range(whole)]
                    if part > 1e-9:
                        specs.append(PostSpec(name, loc, part, specialist))
        n_main = len(specs)
        specs += self.team_model.structure_posts(cfg.area.localities, cfg.area.children)
        self.team_model.structure_pids = list(range(n_main, len(specs)))
        wf = Workforce(
            cfg,
            specs,
            self.professions,
            self.streams["workforce"],
            self.t_start,
            n_main=n_main,
            structure_rng=self.streams["structure"],
        )
        self.workforce = wf
        self.n_main_posts = n_main
        tac_prof = np.array([cfg.professions[p].tac_member for p in self.professions])
        self._tac_posts = tac_prof[wf.prof] & ~wf.specialist
        self._tac_posts[n_main:] = False
        self.team_model.organise(wf, self._tac_posts)
        # Universal posts without a TAC role still give spare time to identification
        # and assessment tasks.
        other = (wf.ma_share == 0) & ~wf.specialist
        wf.ma_share[other] = np.minimum(wf.targeted[other] * cfg.team_model.member_time_share, 1.0)
        wf.ma_share[wf.specialist] = 1.0
        self.practitioners = [Practitioner(self, pid) for pid in range(wf.n)]
        # Fixed after set-up: the hours a post may commit to TAC cases, and the weight
        # that puts core team members first.
        self._commit_cap = wf.hours * wf.ma_share
        self._core_bonus = 1e6 * wf.core
        self._diary_len = np.zeros(wf.n)
        self._diary_hours = [0.0] * wf.n  # hours of one-off tasks waiting, by post
        ident = np.array([cfg.professions[p].identification_rate > 0 for p in self.professions])
        self._trainable = ident[wf.prof] & ~wf.specialist
        self._trainable[n_main:] = False
        # Candidate posts for each (pool, profession), core members first.
        self._candidates: dict[tuple[int, int], np.ndarray] = {}
        for pool in np.unique(wf.pool[self._tac_posts]):
            for prof in np.unique(wf.prof[self._tac_posts]):
                ids = np.nonzero(self._tac_posts & (wf.pool == pool) & (wf.prof == prof))[0]
                if len(ids):
                    self._candidates[(int(pool), int(prof))] = ids
        # Assessors by (locality, profession) for choosing who completes a CAF.
        self._by_loc_prof: dict[tuple[int, int], np.ndarray] = {}
        for loc in range(cfg.area.localities):
            for prof in range(len(self.professions)):
                ids = np.nonzero((wf.locality == loc) & (wf.prof == prof) & ~wf.specialist)[0]
                ids = ids[ids < n_main]
                if len(ids):
                    self._by_loc_prof[(loc, prof)] = ids
        self._domain_prof = _parse_domain_professions(cfg, self.professions)
        self._pidx = {p: i for i, p in enumerate(self.professions)}
        spec_hours = np.zeros(wf.n)
        self.social_care = SpecialistService(
            self,
            "social_care",
            cfg.social_care,
            np.nonzero(wf.specialist & (wf.prof == self._pidx["social_worker"]))[0],
        )
        self.camhs = SpecialistService(
            self,
            "camhs",
            cfg.camhs,
            np.nonzero(wf.specialist & (wf.prof == self._pidx["camhs_worker"]))[0],
        )
        spec_hours[self.social_care.pids] = cfg.social_care.hours_per_case_week
        spec_hours[self.camhs.pids] = cfg.camhs.hours_per_case_week
        self._spec_hours = spec_hours
        self._ident_rate = (
            np.array([cfg.professions[p].identification_rate for p in self.professions])
            / DAYS_PER_YEAR
        )
        ages = np.zeros((N_AGES, len(self.professions)), dtype=bool)
        for i, p in enumerate(self.professions):
            span = cfg.professions[p].identifies_ages
            if span:
                ages[span[0] : span[1] + 1, i] = True
        self._ident_ages = ages
        est = np.zeros((cfg.area.localities, len(self.professions)))
        np.add.at(
            est,
            (wf.locality[:n_main], wf.prof[:n_main]),
            np.where(wf.specialist[:n_main], 0.0, wf.fte[:n_main]),
        )
        self._establishment = est
        self._refresh_vacancies()

    def _refresh_vacancies(self) -> None:
        """Posts change hands only in the weekly workforce step: recompute what depends
        on which posts are vacant."""
        self._vacant_inf = np.where(self.workforce.status == VACANT, INF, 0.0)
        # Smallest weekly hours a (pool, profession) had no room for. Room appears only
        # when a case there releases hours (_release) or posts change hands (here).
        self._no_room: dict[tuple[int, int], float] = {}
        self.social_care.refresh()
        self.camhs.refresh()

    def _update_identification_table(self) -> None:
        """Identification hazard per day by locality, age and profession, for a Tier 2
        need: rate x staffing (filled share of establishment) x mean holder skill x
        access to advice. Updated weekly."""
        wf = self.workforce
        n_main = self.n_main_posts
        # Core team members are seconded out of universal settings: they do not see
        # children there.
        filled = (wf.status[:n_main] != VACANT) & ~wf.specialist[:n_main] & ~wf.core[:n_main]
        shape = self._establishment.shape
        fte = np.zeros(shape)
        skill_fte = np.zeros(shape)
        idx = (wf.locality[:n_main][filled], wf.prof[:n_main][filled])
        np.add.at(fte, idx, wf.fte[:n_main][filled])
        np.add.at(skill_fte, idx, (wf.fte[:n_main] * wf.skill[:n_main])[filled])
        est = self._establishment
        staffing = np.divide(fte, est, out=np.zeros(shape), where=est > 0)
        skill = np.divide(skill_fte, fte, out=np.zeros(shape), where=fte > 0)
        per_prof = self._ident_rate * staffing * skill * self.team_model.advice_multiplier
        table = per_prof[:, None, :] * self._ident_ages[None, :, :]
        # Read one episode at a time: Python lists index faster than small arrays.
        self._ident_rows = table.tolist()  # [locality][age][profession]
        self._ident_sum = table.sum(axis=2).tolist()  # [locality][age]

    # ================================================================== stepping
    def step(self) -> None:
        """Advance one week."""
        cfg = self.cfg
        t0, t1 = self.t, self.t + 7.0
        self._week_end = t1
        self._demography(t0, 7.0)
        self._onsets(t0, 7.0)
        dispatch = self._dispatch
        for day, kind, payload in self.events.until(t1):
            self.t = day
            dispatch[kind](day, payload)
        self.t = t1
        self._close_week(t0, t1)
        changed, filled = self.workforce.turnover(
            t0, 7.0, self.streams["workforce"], self._trainable
        )
        self._refresh_vacancies()
        self._holders_changed(t1, changed, filled)
        self.workforce.start_week(t1, self.streams["workforce"], cfg.team_model.home_demand_cv)
        self._diary_rate = self.workforce.diary_rate.tolist()
        self._week_end = t1 + 7.0
        if cfg.team_model.cover_vacant_posts:
            for pid in changed.tolist():
                if self.workforce.status[pid] == VACANT:
                    self._hand_over_requests(pid, t1)
        self._restart_diaries(t1)
        self._update_identification_table()

    def run(self, progress=None) -> None:
        """Run from the start of the warm-up to the end of the observation period.

        Parameters
        ----------
        progress : callable, optional
            Called with the simulated day after each step.
        """
        with collector_paused():
            self._advance(self.t_end, progress)
            self._window_close = self.t
            self._window_episodes = self._episode_rows(self.t)
            self._window_weeks = len(self.series_rows)
            self._advance(self.t_stop, progress)

    def _advance(self, until: float, progress) -> None:
        while self.t < until - 1e-9:
            self.step()
            if progress is not None:
                progress(self.t)

    # ================================================================== demography
    def _demography(self, t: float, dt: float) -> None:
        pop = self.population
        rng = self.streams["demography"]
        aged, aged_day, fams, move_day = pop.leavers(t, dt, rng)
        for c, d in zip(aged.tolist(), aged_day.tolist(), strict=True):
            self._child_leaves(c, d, "aged_out")
        if len(fams):
            day_of = dict(zip(fams.tolist(), move_day.tolist(), strict=True))
            camhs = self.camhs.open_by_child
            for c in pop.children_of(fams).tolist():
                if pop.open_episode[c] >= 0 or c in camhs:
                    self._child_leaves(c, day_of[int(pop.family[c])], "moved_away")
        moved = pop.replace(aged, aged_day, fams, move_day, rng)
        if len(aged) or len(moved):
            pop.refresh(np.concatenate([aged, moved]), t)

    def _child_leaves(self, child: int, day: float, reason: str) -> None:
        eid = self.population.open_episode[child]
        self.camhs.child_left(child, day, reason)
        if eid < 0:
            return
        ep = self.episodes[eid]
        if ep.phase == "specialist":
            self.social_care.withdraw(ep, day)
            if not math.isnan(ep.t_sc_referral) and math.isnan(ep.t_sc_close):
                ep.sc_outcome = reason
                ep.t_sc_close = day
            self._retire(ep, day)
        else:
            self._close(ep, day, reason)
        ep.phase = "gone"

    # ================================================================== onset
    def _onsets(self, t: float, dt: float) -> None:
        pop = self.population
        rng = self.streams["onset"]
        children, days = pop.onsets(t, dt, rng)
        k = len(children)
        if not k:
            return
        need = self.cfg.need
        order = np.argsort(days, kind="stable")
        children, days = children[order], days[order]
        # Keyed on (child, week) so that each need's course is the same under every team
        # model (common random numbers), whatever else differs between the runs.
        u = keyed_uniforms(
            self.episode_key, children, np.full(k, math.floor(t)), 6 + 4 + 1 + len(DOMAINS)
        )
        exps = -np.log1p(-u[:, :6])
        unif = u[:, 6:]
        u_tier = unif[:, 4]
        tiers = np.where(
            u_tier < need.initial_tier4_share,
            4,
            np.where(u_tier < need.initial_tier4_share + need.initial_tier3_share, 3, 2),
        )
        pdom = np.array([need.domain_probability[d] for d in DOMAINS])
        udom = unif[:, 5:]
        hits = udom < pdom
        first = np.argmin(udom / np.maximum(pdom, 1e-12), axis=1)
        hits[np.arange(k), first] = True
        ages = (days - pop.birth[children]) / DAYS_PER_YEAR
        fams = pop.family[children]
        variates = np.concatenate([exps, unif[:, :4]], axis=1).tolist()
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
        for c, f, loc, age, tier, hit, risk, engagement, day, var in columns:
            doms = tuple(d for d, h in zip(DOMAINS, hit, strict=True) if h)
            ep = Episode(len(self.episodes), c, f, loc, age, tier, doms, risk, engagement, day, var)
            self._start_episode(ep)

    def _start_episode(self, ep: Episode) -> None:
        pop = self.population
        self.episodes.append(ep)
        pop.open_episode[ep.child] = ep.id
        pop.episodes_started[ep.child] += 1
        ep.pool = self.team_model.pool_of(ep)
        ep.esc_target = self._esc_target(ep)
        if ep.tier >= 4:
            self._identify(ep, ep.onset, "front_door", "")
        elif self.cfg.testing.immediate_identification:
            self._identify(ep, ep.onset, "immediate", "")
        else:
            self._reclock(ep, ep.onset)

    def _esc_target(self, ep: Episode) -> float:
        need = self.cfg.need
        if ep.tier >= 4:
            return INF
        scale = need.escalation_scale_years[ep.tier - 2] * DAYS_PER_YEAR
        return scale * ep.e_esc[ep.tier - 2] ** (1.0 / need.escalation_shape)

    # ================================================================== natural clocks
    def _advance_clocks(self, ep: Episode, day: float) -> None:
        dt = day - ep.t_clock
        if dt > 0:
            ep.id_left -= ep.id_rate * dt
            ep.esc_tau += ep.esc_speed * dt
            ep.res_left -= ep.res_rate * dt
            ep.dis_left -= ep.dis_rate * dt
        ep.t_clock = day

    def _identification_rate(self, ep: Episode, day: float) -> float:
        idc = self.cfg.identification
        age = min(int(ep.age + (day - ep.onset) / DAYS_PER_YEAR), N_AGES - 1)
        mult = idc.tier_multiplier[ep.tier - 2]
        rate = mult * self._ident_sum[ep.locality][age]
        rate += idc.self_referral_rate * ep.engagement / DAYS_PER_YEAR
        if ep.tier == 3:
            rate += idc.front_door_rate[0] / DAYS_PER_YEAR
        return rate

    def _reclock(self, ep: Episode, day: float) -> None:
        """Set the clocks' rates for the episode's state and schedule its next natural
        event (earlier ones are invalidated by the version number)."""
        self._advance_clocks(ep, day)
        need = self.cfg.need
        active = ep.phase not in ("closed", "specialist", "gone")
        ep.id_rate = self._identification_rate(ep, day) if ep.phase == "hidden" else 0.0
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
        in_pathway = ep.phase in ("assessing", "requested", "tac", "support")
        ep.dis_rate = (
            (self.cfg.support.disengagement_rate * (1.0 - ep.engagement) / DAYS_PER_YEAR)
            if active and in_pathway and not ep.resolved
            else 0.0
        )
        best, what = INF, -1
        if ep.id_rate > 0:
            best, what = ep.id_left / ep.id_rate, 0
        if ep.esc_speed > 0:
            w = (ep.esc_target - ep.esc_tau) / ep.esc_speed
            if w < best:
                best, what = w, 1
        if ep.res_rate > 0:
            w = ep.res_left / ep.res_rate
            if w < best:
                best, what = w, 2
        if ep.dis_rate > 0:
            w = ep.dis_left / ep.dis_rate
            if w < best:
                best, what = w, 3
        ep.version += 1
        if what >= 0:
            self.events.schedule(day + max(best, 0.0), self.K_NATURAL, (ep, ep.version, what))

    def _on_natural(self, day: float, payload: tuple) -> None:
        ep, version, what = payload
        if version != ep.version:
            return
        self._advance_clocks(ep, day)
        if what == 0:
            self._identify_from_clock(ep, day)
        elif what == 1:
            self._escalate(ep, day)
        elif what == 2:
            self._resolve(ep, day)
        else:
            self._close(ep, day, "disengaged")

    def _escalate(self, ep: Episode, day: float) -> None:
        ep.tier += 1
        ep.max_tier = max(ep.max_tier, ep.tier)
        ep.esc_tau = 0.0
        if ep.tier == 3:
            ep.t_tier3 = day
            ep.esc_target = self._esc_target(ep)
            if ep.phase == "declined":
                # Escalation makes the need visible again: a second identification budget.
                ep.phase = "hidden"
                ep.id_left = ep.e_id2
            self._reclock(ep, day)
        else:
            ep.t_tier4 = day
            if ep.phase == "hidden" or ep.phase == "declined":
                self._identify(ep, day, "front_door", "")
            else:
                self._refer_social_care(ep, day)

    def _resolve(self, ep: Episode, day: float) -> None:
        ep.t_resolved = day
        if ep.supported and not self.cfg.support.close_on_resolution:
            ep.resolved = True  # closed at the next review held
            self._reclock(ep, day)
        else:
            self._close(ep, day, "needs_met")

    # ================================================================== identification
    def _identify_from_clock(self, ep: Episode, day: float) -> None:
        idc = self.cfg.identification
        rng = self.streams["pathway"]
        age = min(int(ep.age + (day - ep.onset) / DAYS_PER_YEAR), N_AGES - 1)
        mult = idc.tier_multiplier[ep.tier - 2]
        parts = [mult * x for x in self._ident_rows[ep.locality][age]]
        parts.append(idc.self_referral_rate * ep.engagement / DAYS_PER_YEAR)
        parts.append(idc.front_door_rate[0] / DAYS_PER_YEAR if ep.tier == 3 else 0.0)
        total = sum(parts)
        u = rng.random() * total
        acc, pick = 0.0, len(parts) - 1
        for i, w in enumerate(parts):
            acc += w
            if u < acc:
                pick = i
                break
        n_prof = len(self.professions)
        if pick < n_prof:
            self._identify(ep, day, "universal", self.professions[pick])
        elif pick == n_prof:
            self._identify(ep, day, "self", "")
        else:
            self._identify(ep, day, "front_door", "")

    def _identify(self, ep: Episode, day: float, route: str, profession: str) -> None:
        pop = self.population
        first = math.isnan(ep.t_identified)
        if first:
            ep.t_identified = day
            ep.identified_tier = ep.tier
            ep.route = route
            ep.identifier_prof = profession
            # Re-referral: known to services again within 12 months of an earlier
            # episode's closure (the DfE re-referral window); step-downs excluded.
            ep.re_referral = (
                not ep.step_down and (day - pop.last_identified[ep.child]) <= RE_REFERRAL_DAYS
            )
            self._materialise(ep)
        if profession:
            pid = self._pick_post(ep.locality, self._pidx[profession], None)
            if pid >= 0:
                self.workforce.used[pid, ACT["identification"]] += (
                    self.cfg.identification.identification_hours
                )
                ep.assessor = pid
        to_front_door = (
            route == "front_door"
            or ep.tier >= 4
            or (ep.tier == 3 and ep.u_t3ref < self.cfg.identification.tier3_referral_probability)
        )
        if to_front_door:
            self._refer_social_care(ep, day)
            return
        ep.phase = "assessing"
        self._reclock(ep, day)
        self.events.schedule(day + self.cfg.assessment.consent_days, self.K_CONSENT, ep)

    def _materialise(self, ep: Episode) -> None:
        fam = self.families.get(ep.family)
        if fam is None:
            fam = FamilyAgent(self, ep.family)
            self.families[ep.family] = fam
        ep.agent = ChildAgent(self, ep.child, ep, fam)

    # ================================================================== assessment
    def _pick_post(self, locality: int, prof: int, exclude: int | None) -> int:
        """A filled post of ``prof`` in ``locality`` with the shortest diary, other than
        ``exclude`` (-1: none)."""
        ids = self._by_loc_prof.get((locality, prof))
        if ids is None:
            return -1
        backlog = self._diary_len[ids] + self._vacant_inf[ids]
        if exclude is not None:
            backlog[ids == exclude] = INF
        best = backlog.argmin()
        if backlog[best] == INF:
            return -1
        return int(ids[best])

    def _assessor_for(self, ep: Episode) -> int:
        cfg = self.cfg
        if ep.assessor >= 0:
            prof = self.professions[self.workforce.prof[ep.assessor]]
            pc = cfg.professions[prof]
            if pc.caf_assessor:
                if self.workforce.status[ep.assessor] != VACANT:
                    return ep.assessor
                # The identifier's post fell vacant: a colleague of the same profession.
                return self._pick_post(ep.locality, self._pidx[prof], None)
            if pc.assessor:
                return self._pick_post(ep.locality, self._pidx[pc.assessor], None)
        # Self-referrals, step-downs and front-door returns: a family support worker.
        return self._pick_post(ep.locality, self._pidx["family_support"], None)

    def _on_consent(self, day: float, ep: Episode) -> None:
        if ep.phase != "assessing":
            return
        cfg = self.cfg
        pop = self.population
        # The first request uses the episode's own variate (common random numbers); a
        # request after an earlier refusal is a fresh decision.
        u = ep.u_consent if math.isnan(ep.t_consent) else self.streams["pathway"].random()
        ep.t_consent = day
        if u >= ep.engagement:
            ep.consent = False
            ep.phase = "declined"
            ep.id_left = 0.0
            self._reclock(ep, day)
            return
        ep.consent = True
        if not cfg.assessment.required:
            ep.t_assess_start = ep.t_assess_end = day
            self._after_assessment(ep, day)
            return
        pid = self._assessor_for(ep)
        ep.assessor = pid
        if (cfg.assessment.required and pid < 0) or (
            pid >= 0 and self._diary_hours[pid] > cfg.assessment.rationing_backlog_hours
        ):
            # Rationed: no time for a new CAF; the need stays unmet until it escalates.
            ep.phase = "declined"
            ep.route = ep.route + "+rationed"
            ep.id_left = 0.0
            self._reclock(ep, day)
            return
        ep.t_assess_start = day
        rng = self.streams["pathway"]
        acfg = cfg.assessment
        visible = (
            acfg.child_index
            and bool(pop.had_caf[ep.child])
            and rng.random() >= acfg.sharing_reluctance
        )
        ep.caf_from_index = visible
        ep.caf_hours = acfg.caf_update_hours if visible else acfg.caf_hours
        ep.assessor_prof = self.professions[self.workforce.prof[pid]]
        self._add_task(pid, day, ep.caf_hours, T_CAF, ep, "assessment")
        if not acfg.child_index:
            # Without a shared index other services do not see this CAF: some start
            # their own.
            for _ in range(len(ep.domains) - 1):
                if rng.random() < acfg.duplicate_probability:
                    other = self._pick_post(ep.locality, self.workforce.prof[pid], pid)
                    if other >= 0:
                        ep.duplicate_cafs += 1
                        self._add_task(other, day, acfg.caf_hours, T_HOURS, None, "assessment")

    def _after_assessment(self, ep: Episode, day: float) -> None:
        if ep.phase != "assessing":
            return
        self.population.had_caf[ep.child] = True
        cfg = self.cfg
        if (
            "be_healthy" in ep.domains
            and ep.tier >= 3
            and ep.age >= 5
            and math.isnan(ep.t_camhs_referral)
        ):
            self.camhs.refer(ep, day)
        if ep.assessor >= 0 and ep.u_single < cfg.assessment.single_agency_probability:
            # The assessor meets the need alone and leads.
            ep.phase = "tac"
            hours = cfg.support.member_hours_per_week + cfg.support.lead_hours_per_week
            self._commit(ep, ep.assessor, hours)
            self._set_lead(ep, ep.assessor)
            ep.professions = [self.professions[self.workforce.prof[ep.assessor]]]
            self.events.schedule(day + cfg.support.support_start_days, self.K_SUPPORT, ep)
            self._reclock(ep, day)
            return
        ep.phase = "requested"
        ep.t_request = day
        receiver = self.team_model.receiver(ep, self.soonest_done)
        self._add_task(
            receiver, day, cfg.team_model.coordination_hours_per_case, T_COORD, ep, "coordination"
        )

    def soonest_done(self, ids: Sequence[int]) -> int:
        """Of the posts ``ids``, the one that would finish a new request's coordination
        hours soonest at this week's diary rate (the first such on a tie); -1 if every
        one is vacant or off sick (no diary rate)."""
        hours = self.cfg.team_model.coordination_hours_per_case
        rate, backlog = self._diary_rate, self._diary_hours
        best, best_t = -1, INF
        for pid in ids:
            r = rate[pid]
            if r > 0:
                t = (backlog[pid] + hours) / r
                if t < best_t:
                    best, best_t = pid, t
        return int(best)

    # ================================================================== allocation
    def _needed_professions(self, ep: Episode, day: float) -> list[int]:
        age = min(int(ep.age + (day - ep.onset) / DAYS_PER_YEAR), N_AGES - 1)
        row = self._domain_prof[age]
        out: list[int] = []
        for d, domain in enumerate(DOMAINS):
            if domain in ep.domains:
                for prof, min_tier in row[d]:
                    if ep.tier >= min_tier and prof not in out:
                        out.append(prof)
        return out

    def _on_allocate(self, day: float, ep: Episode) -> None:
        if ep.phase != "requested":
            return
        ep.phase = "tac"
        wf = self.workforce
        need = self._needed_professions(ep, day)
        assessor_prof = wf.prof[ep.assessor] if ep.assessor >= 0 else -1
        hours = self.cfg.support.member_hours_per_week
        ep.professions = [self.professions[p] for p in need]
        ep.waiting = 0
        for prof in need:
            if prof == assessor_prof:
                self._commit(ep, ep.assessor, hours)  # the assessor is the member
                continue
            if (ep.pool, prof) not in self._candidates:
                continue  # no post of this profession serves the pool
            if not self._try_allocate(ep, prof, hours):
                key = (ep.pool, prof)
                self.queues.setdefault(key, deque()).append((ep, prof, hours, day))
                self.queue_meter.change(day, 1, prof)
                ep.queued.append(prof)
                ep.waiting += 1
        self._reclock(ep, day)
        if ep.waiting == 0:
            self._assembled(ep, day)

    def _try_allocate(self, ep: Episode, prof: int, hours: float) -> bool:
        """Commit ``hours`` a week of a filled candidate post with room for them: a core
        team member first, then the one with most spare multi-agency hours."""
        key = (ep.pool, prof)
        if hours >= self._no_room.get(key, INF):
            return False
        ids = self._candidates[key]
        spare = self._commit_cap[ids] - self.workforce.committed[ids] - self._vacant_inf[ids]
        score = np.where(spare >= hours - 1e-9, spare + self._core_bonus[ids], -INF)
        best = score.argmax()
        if score[best] == -INF:
            self._no_room[key] = min(hours, self._no_room.get(key, INF))
            return False
        self._commit(ep, int(ids[best]), hours)
        return True

    def _commit(self, ep: Episode, pid: int, hours: float) -> None:
        wf = self.workforce
        wf.committed[pid] += hours
        wf.cases[pid] += 1
        ep.members.append((pid, hours, True))

    def _release(self, ep: Episode, day: float) -> None:
        wf = self.workforce
        keys = set()
        for pid, hours, counts in ep.members:
            wf.committed[pid] -= hours
            wf.cases[pid] -= counts
            if self._tac_posts[pid]:
                keys.add((int(wf.pool[pid]), int(wf.prof[pid])))
        ep.members = []
        if ep.lead >= 0:
            self.practitioners[ep.lead].leads.discard(ep)
        # Closed while waiting for members: its requests stop counting as waiting now;
        # the entries themselves are dropped when they reach the head of their queue
        # (removing them here would cost a scan of the queue at every closure).
        for prof in ep.queued:
            self.queue_meter.change(day, -1, prof)
        ep.queued = []
        ep.waiting = 0
        for key in keys:
            self._no_room.pop(key, None)
        for key in sorted(keys):
            self._serve_queue(key, day)

    def _serve_queue(self, key: tuple[int, int], day: float) -> None:
        q = self.queues.get(key)
        while q:
            ep, prof, hours, _ = q[0]
            if ep.phase != "tac" or ep.waiting == 0:
                q.popleft()  # its episode closed (or moved on) while it waited
                continue
            if not self._try_allocate(ep, prof, hours):
                return
            q.popleft()
            self.queue_meter.change(day, -1, prof)
            ep.queued.remove(prof)
            ep.waiting -= 1
            if ep.waiting == 0:
                self._assembled(ep, day)

    def _assembled(self, ep: Episode, day: float) -> None:
        """Every member is allocated: convene the TAC meeting."""
        cfg, wf = self.cfg, self.workforce
        ep.t_allocated = day
        lead = ep.assessor if (ep.assessor >= 0 and wf.lead_capable[ep.assessor]) else -1
        if lead < 0:
            for pid, _, _ in ep.members:
                if wf.lead_capable[pid]:
                    lead = pid
                    break
        if lead < 0 and ep.members:
            lead = ep.members[0][0]
        if lead >= 0:
            lead_hours = cfg.support.lead_hours_per_week
            if any(m[0] == lead for m in ep.members):
                wf.committed[lead] += lead_hours  # one case, more hours
                ep.members.append((lead, lead_hours, False))
            else:
                self._commit(ep, lead, lead_hours)
            self._set_lead(ep, lead)
        attendees = sorted(
            {m[0] for m in ep.members} | ({ep.assessor} if ep.assessor >= 0 else set())
        )
        join = max((wf.join_delay[m[0]] for m in ep.members), default=0.0)
        ep.t_convene = day + max(cfg.team_model.convening_days_per_member * len(attendees), join)
        ep.pending = len(attendees)
        travel = cfg.team_model.travel_hours_per_meeting
        for pid in attendees:
            self.workforce.used[pid, ACT["travel"]] += travel
            self._add_task(pid, day, cfg.support.meeting_hours, T_MEETING, ep, "meetings")
        if not attendees:
            self.events.schedule(max(day, ep.t_convene), self.K_TAC, ep)

    def _set_lead(self, ep: Episode, pid: int) -> None:
        ep.lead = pid
        ep.lead_prof = self.professions[self.workforce.prof[pid]]
        self.practitioners[pid].leads.add(ep)

    def _on_tac(self, day: float, ep: Episode) -> None:
        if ep.phase != "tac":
            return
        ep.t_tac = day
        self.events.schedule(day + self.cfg.support.support_start_days, self.K_SUPPORT, ep)

    def _on_support_start(self, day: float, ep: Episode) -> None:
        if ep.phase != "tac":
            return
        ep.phase = "support"
        ep.supported = True
        ep.t_support = day
        self._reclock(ep, day)
        ep.review_no += 1
        self.events.schedule(
            day + self.cfg.support.review_interval_days, self.K_REVIEW, (ep, ep.review_no)
        )

    def _on_review(self, day: float, payload: tuple) -> None:
        ep, number = payload
        if ep.phase != "support" or number != ep.review_no:
            return
        held, next_day = self.team_model.review_outcome(day, self.streams["pathway"].random())
        if not held:
            ep.missed_reviews += 1
            if math.isnan(next_day):
                next_day = day + self.cfg.support.review_interval_days
        else:
            ep.reviews += 1
            meeting = self.cfg.support.meeting_hours
            travel = self.cfg.team_model.travel_hours_per_meeting
            used = self.workforce.used
            for pid in sorted({m[0] for m in ep.members}):
                used[pid, ACT["meetings"]] += meeting
                used[pid, ACT["travel"]] += travel
            if ep.resolved:
                self._close(ep, day, "needs_met")
                return
            next_day = day + self.cfg.support.review_interval_days
        ep.review_no += 1
        self.events.schedule(next_day, self.K_REVIEW, (ep, ep.review_no))

    # ================================================================== diaries
    def _add_task(
        self, pid: int, day: float, hours: float, kind: int, ep: Episode | None, activity: str
    ) -> None:
        """Put a one-off task in a post's diary; it is worked first in, first out."""
        if hours <= 0:
            self._task_done(kind, ep, day)
            return
        pr = self.practitioners[pid]
        idle = not pr.diary
        pr.diary.append([hours, kind, ep, ACT[activity]])
        self._diary_len[pid] += 1
        self._diary_hours[pid] += hours
        if idle:
            self._busy.add(pid)
            pr.diary_mark = day
            self._schedule_diary(pr, day)

    def _schedule_diary(self, pr: Practitioner, day: float) -> None:
        pr.diary_version += 1
        rate = self._diary_rate[pr.pid]
        if pr.diary and rate > 0:
            done = day + pr.diary[0][0] / rate
            # A task not finished by the end of the week is rescheduled then at the new
            # week's rate (_restart_diaries), so an event after that would never count.
            if done < self._week_end:
                self.events.schedule(done, self.K_TASK, (pr, pr.diary_version))

    def _work_diary(self, pr: Practitioner, day: float) -> None:
        """Book the diary's progress up to ``day`` against its head task."""
        dt = day - pr.diary_mark
        if dt > 0 and pr.diary:
            rate = self._diary_rate[pr.pid]
            done = min(rate * dt, pr.diary[0][0])
            pr.diary[0][0] -= done
            self._diary_hours[pr.pid] -= done
            self.workforce.used[pr.pid, pr.diary[0][3]] += done
        pr.diary_mark = day

    def _on_task(self, day: float, payload: tuple) -> None:
        pr, version = payload
        if version != pr.diary_version:
            return
        self._work_diary(pr, day)
        left, kind, ep, act = pr.diary.popleft()
        self._diary_len[pr.pid] -= 1
        self._diary_hours[pr.pid] = max(self._diary_hours[pr.pid] - left, 0.0)
        self.workforce.used[pr.pid, act] += left  # rounding left by the rate
        if not pr.diary:
            self._busy.discard(pr.pid)
        self._schedule_diary(pr, day)
        self._task_done(kind, ep, day)

    def _restart_diaries(self, day: float) -> None:
        """New week, new diary rates: reschedule the head task of every busy diary."""
        for pr in self._busy_diaries():
            self._schedule_diary(pr, day)

    def _busy_diaries(self) -> list[Practitioner]:
        return [self.practitioners[pid] for pid in sorted(self._busy)]

    def _task_done(self, kind: int, ep: Episode | None, day: float) -> None:
        if ep is None or kind == T_HOURS:
            return
        if kind == T_CAF:
            if ep.phase == "assessing":
                ep.t_assess_end = day
                self._after_assessment(ep, day)
        elif kind == T_COORD:
            if ep.phase == "requested":
                when = self.team_model.decision_day(day, ep)
                self.events.schedule(when, self.K_ALLOCATE, ep)
        elif kind == T_MEETING:
            if ep.phase == "tac":
                ep.pending -= 1
                if ep.pending == 0:
                    self.events.schedule(max(day, ep.t_convene), self.K_TAC, ep)

    # ================================================================== specialists
    def _refer_social_care(self, ep: Episode, day: float) -> None:
        if ep.t_sc_referral == ep.t_sc_referral and ep.phase == "specialist":
            return
        self._close(ep, day, "stepped_up", keep_child=True)
        ep.phase = "specialist"
        self.social_care.refer(ep, day)

    def _on_specialist(self, day: float, payload: tuple) -> None:
        svc, stage, ep = payload
        svc.handle(stage, ep, day)

    def specialist_finished(self, svc: SpecialistService, ep: Episode, day: float) -> None:
        """A specialist service has finished with an episode."""
        if svc is self.camhs or ep.phase != "specialist":
            return
        self._retire(ep, day)
        if self.streams["specialist"].random() < svc.params.step_down_probability:
            self._step_down(ep, day)

    def _step_down(self, old: Episode, day: float) -> None:
        """Step-down from social care: a new Tier 2 episode known to early help."""
        pop = self.population
        c = old.child
        if pop.open_episode[c] >= 0:
            return
        day_bits = struct.unpack("<q", struct.pack("<d", day))[0]
        u = keyed_uniforms_one(self.episode_key, c, day_bits ^ STEP_DOWN_TAG, 10)
        variates = (-np.log1p(-np.array(u[:6]))).tolist() + u[6:]
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
        self.episodes.append(ep)
        pop.open_episode[c] = ep.id
        pop.episodes_started[c] += 1
        ep.pool = self.team_model.pool_of(ep)
        ep.esc_target = self._esc_target(ep)
        self._identify(ep, day, "step_down", "")

    # ================================================================== closure
    def _close(self, ep: Episode, day: float, reason: str, keep_child: bool = False) -> None:
        """Close the episode to early help; release its commitments."""
        if ep.phase in ("closed", "specialist", "gone"):
            return
        ep.t_close = day
        ep.reason = reason
        ep.phase = "closed"
        ep.supported = False
        ep.version += 1  # cancels its natural events
        self._release(ep, day)
        if not keep_child:
            self._retire(ep, day)

    def _retire(self, ep: Episode, day: float) -> None:
        """The child is no longer known to services for this episode."""
        pop = self.population
        c = ep.child
        if pop.open_episode[c] == ep.id:
            pop.open_episode[c] = -1
            pop.episode_closed(c, day)
            if ep.t_identified == ep.t_identified:
                pop.last_identified[c] = day
        if ep.phase == "specialist":
            ep.phase = "closed"
        agent = ep.agent
        if agent is not None:
            fam = agent.family_agent
            fam.children.discard(agent)
            agent.remove()
            ep.agent = None
            if not fam.children:
                fam.remove()
                self.families.pop(ep.family, None)

    # ================================================================== workforce
    def _holders_changed(self, day: float, changed: np.ndarray, filled: np.ndarray) -> None:
        """Continuity is lost when a lead professional's post changes hands; newly
        filled posts take cases waiting in queues."""
        wf = self.workforce
        rng = self.streams["pathway"]
        p = self.cfg.support.disengage_on_lead_change
        keys = set()
        for pid in changed.tolist():
            for ep in sorted(self.practitioners[pid].leads, key=lambda e: e.id):
                ep.lead_changes += 1
                if rng.random() < p:
                    self._close(ep, day, "disengaged")
        for pid in filled.tolist():
            if self._tac_posts[pid]:
                keys.add((int(wf.pool[pid]), int(wf.prof[pid])))
        for key in sorted(keys):
            self._serve_queue(key, day)
        self.social_care.allocate(day)
        self.camhs.allocate(day)

    def _hand_over_requests(self, pid: int, day: float) -> None:
        """The post ``pid`` fell vacant: requests waiting in its diary go to whoever now
        receives them (:meth:`TeamModel.receiver`), one at a time so that each sees the
        diaries as they fill, with the hours left on each. A request nobody covers stays
        in the vacant post's diary until the post is filled."""
        pr = self.practitioners[pid]
        moved: set[int] = set()
        for task in [
            t
            for t in pr.diary
            if t[1] == T_COORD and t[2] is not None and t[2].phase == "requested"
        ]:
            target = self.team_model.receiver(task[2], self.soonest_done)
            if target != pid:
                moved.add(id(task))
                self._add_task(target, day, task[0], T_COORD, task[2], "coordination")
        if not moved:
            return
        pr.diary = deque(task for task in pr.diary if id(task) not in moved)
        self._diary_len[pid] = len(pr.diary)
        self._diary_hours[pid] = sum(task[0] for task in pr.diary)
        if not pr.diary:
            self._busy.discard(pid)
        pr.diary_version += 1  # cancels the event of its old head task

    # ================================================================== observation
    def _close_week(self, t0: float, t1: float) -> None:
        for pr in self._busy_diaries():
            self._work_diary(pr, t1)
        week = self.workforce.end_week(self._spec_hours)
        queue_mean = self.queue_meter.close_week()
        sc_mean, camhs_mean = self.social_care.meter.close_week(), self.camhs.meter.close_week()
        if t0 < -1e-9:
            return
        wf = self.workforce
        n_prof = len(self.professions)
        prof = wf.prof

        def by_prof(values: np.ndarray) -> np.ndarray:
            return np.bincount(prof, weights=values, minlength=n_prof)

        used = week["used"]
        filled = wf.filled()
        rows = {
            "posts": np.bincount(prof, minlength=n_prof),
            "fte": by_prof(wf.fte),
            "filled_fte": by_prof(wf.fte * filled),
            "vacant_fte": by_prof(wf.fte * ~filled),
            "agency_fte": by_prof(wf.fte * (wf.status == 1)),
            "capacity_hours": by_prof(week["capacity"]),
            "ma_capacity_hours": by_prof(wf.ma_capacity),
            "committed_hours": by_prof(wf.committed),
            "unmet_hours": by_prof(week["unmet"]),
            "cases": by_prof(wf.cases.astype(float)),
            "specialist_fte": by_prof(wf.fte * wf.specialist),
            "specialist_filled_fte": by_prof(wf.fte * (filled & wf.specialist)),
            "specialist_cases": by_prof(np.where(wf.specialist, wf.cases, 0).astype(float)),
            "leavers": by_prof(wf.week_leavers.astype(float)),
            "open_needs": np.full(n_prof, float((self.population.open_episode >= 0).sum())),
            "children": np.full(n_prof, float(self.population.n_children)),
        }
        for a, name in enumerate(ACTIVITIES):
            rows[f"hours_{name}"] = by_prof(used[:, a])
        # Requests still waiting (entries of closed episodes are dropped lazily).
        rows["queue_early_help"] = np.array(self.queue_meter.length)
        rows["queue_early_help_mean"] = queue_mean
        spec_q = np.zeros(n_prof)
        spec_q[self._pidx["social_worker"]] = self.social_care.queue_length()
        spec_q[self._pidx["camhs_worker"]] = self.camhs.queue_length()
        rows["queue_specialist"] = spec_q
        spec_mean = np.zeros(n_prof)
        spec_mean[self._pidx["social_worker"]] = sc_mean[0]
        spec_mean[self._pidx["camhs_worker"]] = camhs_mean[0]
        rows["queue_specialist_mean"] = spec_mean
        for i, name in enumerate(self.professions):
            row = {"day": t0, "profession": name}
            for k, v in rows.items():
                row[k] = float(v[i])
            self.series_rows.append(row)

    def _episode_rows(self, before: float) -> pd.DataFrame:
        """Episodes with onset from day 0 to before ``before``, as they stand now."""
        name = self.team_model.name
        rows = [ep.row(name) for ep in self.episodes if 0 <= ep.onset < before]
        if not rows:
            return empty_episodes_table()
        return pd.DataFrame.from_records(rows, columns=list(EPISODE_COLUMNS))

    def episodes_table(self) -> pd.DataFrame:
        """One row per need episode with onset in the observation period, as it stood
        when the period closed (before any follow-up)."""
        if self._window_episodes is not None:
            return self._window_episodes
        return self._episode_rows(math.inf)

    def followed_episodes_table(self) -> pd.DataFrame:
        """The same episodes as :meth:`episodes_table`, as they stand at the end of the
        run: after ``followup_years`` of follow-up, milestones reached since the window
        closed are filled in. Without follow-up, the same table."""
        if self._window_episodes is None or self.t <= self._window_close:
            return self.episodes_table()
        return self._episode_rows(self._window_close)

    def series_table(self) -> pd.DataFrame:
        """Weekly workforce series by profession over the observation period."""
        return pd.DataFrame.from_records(self.series_rows[: self._window_weeks])
