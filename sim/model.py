"""The children's services model: a Mesa model stepping a week at a time.

The model is the wiring. It builds the area (:mod:`sim.population`), its posts
(:mod:`sim.workforce`, organised by the team model of :mod:`sim.team_models`), the
practitioners' diaries (:mod:`sim.diary`), the specialist services (:mod:`sim.services`)
and the stages of the pathway (:mod:`sim.pathway`), and connects them. Each step (one
week) runs, in order (docs/odd.md section 3):

1. demography: children turning 18 and families moving away leave; newborns and
   families moving in take their places (:mod:`sim.pathway.closure`);
2. need onset for the week, drawn in bulk (:mod:`sim.pathway.needs`);
3. every event due in the week, in time order, each handed to the stage that owns its
   kind (:mod:`sim.pathway.events`);
4. the week's time accounting: support is delivered from what diaries left, shortfalls
   are unmet demand, and the weekly series is recorded (:mod:`sim.series`);
5. workforce dynamics: leavers, appointments, agency cover, training; a change of post
   holder costs continuity on the cases it leads.

The model never writes files and never plots: :meth:`episodes_table` and
:meth:`series_table` hand tables to :mod:`sim.runner`.
"""

from __future__ import annotations

import contextlib
import gc
import math
from collections.abc import Callable
from functools import partial
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim import services
from sim.agents import FamilyAgent, Practitioner
from sim.diary import CAF, COORDINATION, HOURS, MEETING, Diaries, Task
from sim.episodes import EPISODE_COLUMNS, REQUESTED, Episode, empty_episodes_table
from sim.params import Config
from sim.pathway.allocation import Allocation
from sim.pathway.assessment import Assessment
from sim.pathway.closure import Closure
from sim.pathway.events import Event
from sim.pathway.identification import Identification
from sim.pathway.needs import NaturalHistory
from sim.pathway.support import Support
from sim.population import DAYS_PER_YEAR, Population
from sim.rng import spawn_streams
from sim.scheduling import EventQueue
from sim.series import WeeklySeries
from sim.services import SpecialistService
from sim.team_models import make_team_model
from sim.workforce import STRUCTURE_PROFESSION, VACANT, Workforce, establishment_posts


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


class ChildrensServicesModel(mesa.Model):
    """Integrated children's services in one area under one team model.

    Parameters
    ----------
    cfg : Config
        Validated configuration (see :mod:`sim.params`).
    seed : int or numpy.random.SeedSequence
        Seed of this run; every random process gets its own stream spawned from it.

    Attributes
    ----------
    population, workforce, practitioners : the area's children, posts and their agents.
    team_model : the team model organising multi-agency work.
    diaries : the practitioners' diaries.
    social_care, camhs : the specialist services.
    needs, identification, assessment, allocation, support, closure : the stages of the
        pathway (:mod:`sim.pathway`).
    episodes : every need episode of the run, by id.
    """

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
        streams, events = self.streams, self.events
        self.team_model = tm = make_team_model(cfg.team_model)
        self.population = pop = Population(cfg, streams["population"], self.t_start)
        self.professions = list(cfg.professions)
        self._build_workforce()
        wf = self.workforce
        pidx = {p: i for i, p in enumerate(self.professions)}

        def service(name: str, params: Any, profession: str) -> SpecialistService:
            pids = np.nonzero(wf.specialist & (wf.prof == pidx[profession]))[0]
            return SpecialistService(
                name, params, pids, wf, events, streams["specialist"], self.t_start
            )

        self.social_care = service("social_care", cfg.social_care, "social_worker")
        self.camhs = service("camhs", cfg.camhs, "camhs_worker")
        self.diaries = Diaries(
            self.practitioners, wf, events, cfg.area.localities, self._task_done, self.t_start + 7.0
        )
        #: Given candidate posts, the one that would finish a request's coordination
        #: soonest (the team models' ``pick``).
        self.soonest_done = partial(self.diaries.soonest_done, hours=tm.coordination_hours)
        # The stages, each given what it needs; later stages hand episodes back to
        # earlier ones through the callbacks set below.
        self.needs = needs = NaturalHistory(
            cfg, pop, events, streams["onset"], self.episode_key, tm.pool_of
        )
        self.episodes: list[Episode] = needs.episodes
        self.allocation = Allocation(
            cfg, wf, self._tac_posts, self.practitioners, events, tm, needs.reclock, self.t_start
        )
        self.support = Support(
            cfg,
            wf,
            self.practitioners,
            self.diaries,
            self.allocation,
            events,
            streams["pathway"],
            tm,
            self.soonest_done,
            needs.reclock,
            pop.had_support,
        )
        self.families: dict[int, FamilyAgent] = {}
        self.closure = Closure(
            pop,
            self.episodes,
            self.allocation,
            self.social_care,
            self.camhs,
            self.families,
            streams["demography"],
            streams["specialist"],
            needs.step_down,
        )
        self.assessment = Assessment(
            cfg,
            pop,
            wf,
            self.diaries,
            events,
            streams["pathway"],
            tm,
            self.camhs,
            self.allocation,
            self.support,
            self.soonest_done,
            needs.reclock,
        )
        self.identification = Identification(
            cfg,
            self,
            pop,
            wf,
            self.diaries,
            events,
            streams["pathway"],
            tm,
            self.soonest_done,
            self.families,
            self.closure.refer_social_care,
            needs.reclock,
        )
        needs.identification_rate = self.identification.rate
        needs.identified = self.identification.from_clock
        needs.identify = self.identification.identify
        needs.refer_social_care = self.closure.refer_social_care
        needs.close = self.closure.close
        self.allocation.on_assembled = self.support.assembled
        self.support.close = self.closure.close
        self.social_care.on_finished = self.closure.specialist_finished
        self.camhs.on_finished = self.closure.specialist_finished
        handlers: dict[Event, Callable[[float, Any], None]] = {
            Event.NATURAL: needs.on_natural,
            Event.CONSENT: self.assessment.on_consent,
            Event.TASK: self.diaries.on_task,
            Event.ALLOCATE: self.allocation.on_allocate,
            Event.TAC: self.support.on_tac,
            Event.SUPPORT: self.support.on_support_start,
            Event.REVIEW: self.support.on_review,
            Event.SPECIALIST: services.on_event,
        }
        self._handlers = tuple(handlers[kind] for kind in Event)
        self.series = WeeklySeries(
            wf, pop, self.professions, self.allocation.meter, self.social_care, self.camhs
        )
        wf.start_week(self.t, streams["workforce"], tm.home_demand_cv)
        self.diaries.start_week(self.t_start + 7.0)

    # ================================================================== set-up
    def _build_workforce(self) -> None:
        """The establishment, structure posts included (the same under every team model),
        organised by the team model, with one :class:`Practitioner` agent per post."""
        cfg, tm = self.cfg, self.team_model
        per_loc = np.bincount(self.population.locality, minlength=cfg.area.localities)
        specs = establishment_posts(cfg, per_loc)
        n_main = sum(s.profession != STRUCTURE_PROFESSION for s in specs)
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
        tac_prof = np.array([cfg.professions[p].tac_member for p in self.professions])
        self._tac_posts = tac_prof[wf.prof] & ~wf.specialist
        self._tac_posts[n_main:] = False
        tm.organise(wf, self._tac_posts, np.arange(n_main, wf.n))
        # Posts without a TAC role still give their targeted time to identification and
        # assessment tasks.
        other = ~self._tac_posts & ~wf.specialist
        other[n_main:] = False
        wf.ma_share[other] = tm.spare_time_share(wf.targeted[other])
        wf.ma_share[wf.specialist] = 1.0
        self.practitioners = [Practitioner(self, pid, wf) for pid in range(wf.n)]

    def refresh_vacancies(self) -> None:
        """Posts change hands only in the weekly workforce step: recompute what depends
        on which posts are vacant."""
        self.workforce.mark_vacancies()
        self.allocation.refresh_vacancies()
        self.social_care.refresh()
        self.camhs.refresh()

    def _task_done(self, kind: Task, ep: Episode | None, day: float) -> None:
        """A diary task is finished: the stage that set it moves the episode on."""
        if ep is None or kind == HOURS:
            return
        if kind == CAF:
            self.assessment.caf_done(ep, day)
        elif kind == COORDINATION:
            self.allocation.request_ready(ep, day)
        elif kind == MEETING:
            self.support.meeting_done(ep, day)

    # ================================================================== stepping
    def step(self) -> None:
        """Advance one week."""
        streams, wf, tm = self.streams, self.workforce, self.team_model
        t0, t1 = self.t, self.t + 7.0
        self.closure.demography(t0, 7.0)
        self.needs.onsets(t0, 7.0)
        handlers = self._handlers
        for day, kind, payload in self.events.until(t1):
            self.t = day
            handlers[kind](day, payload)
        self.t = t1
        self.diaries.book_week(t1)
        self.series.close_week(t0)
        changed, filled = wf.turnover(t0, 7.0, streams["workforce"], self.identification.trainable)
        self.refresh_vacancies()
        # Continuity is lost where a lead professional's post changed hands; newly
        # filled posts take cases waiting in queues.
        self.support.leads_changed(changed, t1)
        self.allocation.posts_filled(filled, t1)
        self.social_care.allocate(t1)
        self.camhs.allocate(t1)
        wf.start_week(t1, streams["workforce"], tm.home_demand_cv)
        self.diaries.start_week(t1 + 7.0)
        if tm.covers_vacant_posts:
            for pid in changed.tolist():
                if wf.status[pid] == VACANT:
                    self.diaries.hand_over(pid, t1, self._receiver, _is_waiting)
        self.diaries.restart(t1)
        self.identification.update_table()

    def _receiver(self, ep: Episode) -> int:
        """The post that now receives the request ``ep`` (for hand-over)."""
        return self.team_model.receiver(ep, self.soonest_done)

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
            self._window_weeks = len(self.series.rows)
            self._advance(self.t_stop, progress)

    def _advance(self, until: float, progress) -> None:
        while self.t < until - 1e-9:
            self.step()
            if progress is not None:
                progress(self.t)

    # ================================================================== observation
    @property
    def series_rows(self) -> list[dict]:
        """Rows of the weekly series recorded so far (one per profession and week)."""
        return self.series.rows

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
        return pd.DataFrame.from_records(self.series.rows[: self._window_weeks])


def _is_waiting(ep: Episode) -> bool:
    """Whether a request is still waiting for its coordination."""
    return ep.phase == REQUESTED
