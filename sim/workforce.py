"""The workforce: posts, their holders, their time, and workforce dynamics (docs/odd.md 7.12).

A *post* is the unit: it keeps its profession, home service, locality and the cases and
tasks booked to it, while the person in it changes (permanent, agency, or vacant).
Per-post state the weekly dynamics touch lives in numpy arrays so that turnover,
recruitment, sickness, training and time accounting run in bulk; each post also has a
Mesa agent (:class:`sim.agents.Practitioner`) that the pathway talks to.

Time. Each week a post has ``ma_capacity`` hours for multi-agency work: its contracted
hours plus allowed overtime, less home-service duties (which come first), zero when
vacant and reduced by sickness. One-off work (identification, CAF, coordination, meeting
attendance) goes through the post's *diary*, a first-in-first-out queue worked at a
weekly rate; ongoing support of open cases is a weekly commitment, delivered from what
the diary leaves and rationed when it does not fit. So hours used never exceed
contracted hours plus overtime, and the shortfall is reported as unmet demand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.params import ACTIVITIES, Config

DAYS_PER_YEAR = 365.25
PERMANENT, AGENCY, VACANT = 0, 1, 2
SERVICES = ("universal", "early_help", "social_care", "camhs")
ACT = {name: i for i, name in enumerate(ACTIVITIES)}
#: Smallest share of multi-agency capacity a filled post gives its diary each week, so
#: one-off tasks progress even when cases fill the week (assumption).
DIARY_FLOOR_SHARE = 0.1


@dataclass
class PostSpec:
    """A post to create: its profession, locality, FTE and whether it is specialist."""

    profession: str
    locality: int
    fte: float
    specialist: bool = False


#: The profession of the structure posts: coordinators, managers and central teams, which
#: each team model organises in its own way.
STRUCTURE_PROFESSION = "coordinator"


def establishment_posts(cfg: Config, children_by_locality: np.ndarray) -> list[PostSpec]:
    """The area's establishment: for each profession and locality, its FTE per 10,000
    children (``per_10k``, scaled by the area's workforce and establishment scales) as
    whole posts and one part-time post, the specialist share first. The structure posts
    (:data:`STRUCTURE_PROFESSION`) come last. Every team model gets the same posts."""
    specs: list[PostSpec] = []
    order = sorted(cfg.professions, key=lambda name: name == STRUCTURE_PROFESSION)
    for name in order:
        pc = cfg.professions[name]
        scale = cfg.area.workforce_scale * cfg.area.establishment_scale.get(name, 1.0)
        for loc in range(cfg.area.localities):
            # Rounded so that an establishment meant to be whole posts is whole.
            fte = round(pc.per_10k * scale * children_by_locality[loc] / 10_000, 9)
            spec_fte = fte * pc.specialist_share
            for total, specialist in ((spec_fte, True), (fte - spec_fte, False)):
                whole = int(total)
                part = total - whole
                specs += [PostSpec(name, loc, 1.0, specialist) for _ in range(whole)]
                if part > 1e-9:
                    specs.append(PostSpec(name, loc, part, specialist))
    return specs


class Workforce:
    """Every post in the area, as arrays.

    Parameters
    ----------
    cfg : Config
        The run's configuration.
    specs : list of PostSpec
        The posts to create.
    professions : list of str
        Profession names; ``prof`` arrays index into it.
    rng : numpy.random.Generator
        The ``workforce`` stream, for the establishment's posts.
    start_day : float
        Day the workforce is created.
    n_main : int, optional
        Posts of the establishment (the first ``n_main`` specs); the rest are the team
        model's structure posts.
    structure_rng : numpy.random.Generator, optional
        Stream for the structure posts, so that team models with different structures
        draw the same numbers for the establishment (common random numbers).
    """

    def __init__(
        self,
        cfg: Config,
        specs: list[PostSpec],
        professions: list[str],
        rng: np.random.Generator,
        start_day: float,
        n_main: int | None = None,
        structure_rng: np.random.Generator | None = None,
    ) -> None:
        self.cfg = cfg
        self.n_main = len(specs) if n_main is None else n_main
        self._rng_structure = structure_rng
        self.professions = professions
        pidx = {p: i for i, p in enumerate(professions)}
        n = len(specs)
        self.n = n
        self.prof = np.array([pidx[s.profession] for s in specs], dtype=np.int64)
        self.locality = np.array([s.locality for s in specs], dtype=np.int64)
        self.fte = np.array([s.fte for s in specs], dtype=float)
        self.specialist = np.array([s.specialist for s in specs], dtype=bool)
        pc = [cfg.professions[p] for p in professions]
        self.hours = np.array([pc[i].hours_per_week for i in self.prof]) * self.fte
        self.base_skill = np.array([pc[i].initial_skill for i in self.prof])
        self.lead_capable = np.array([pc[i].lead_capable for i in self.prof], dtype=bool)
        self.targeted = np.array([pc[i].targeted_share for i in self.prof])
        self.universal = np.array([pc[i].service == "universal" for i in self.prof], dtype=bool)
        # Team structure, set by the team model.
        self.pool = np.full(n, -1, dtype=np.int64)
        self.core = np.zeros(n, dtype=bool)
        self.ma_share = np.zeros(n)
        self.join_delay = np.zeros(n)
        # Holder state.
        wf = cfg.workforce
        self.status = np.full(n, PERMANENT, dtype=np.int64)
        self.fill_day = np.full(n, np.inf)
        self.agency_day = np.full(n, np.inf)
        draw = self._drawer(rng)
        vac = draw("random") < cfg.area.initial_vacancy_rate
        self.status[vac] = VACANT
        self.fill_day[vac] = start_day + draw("exponential", wf.recruitment_lag_days)[vac]
        cover = vac & (draw("random") < wf.agency_cover_probability)
        self.agency_day[cover] = start_day + draw("exponential", wf.agency_lag_days)[cover]
        self.skill = np.clip(self.base_skill * draw("uniform", 0.8, 1.2), 0.0, 1.0)
        self.tenure_start = start_day - draw("exponential", 5 * DAYS_PER_YEAR)
        self.holder_changes = np.zeros(n, dtype=np.int64)
        # Time.
        self.committed = np.zeros(n)  # hours a week promised to open cases
        self.cases = np.zeros(n, dtype=np.int64)
        self.sick = np.zeros(n, dtype=bool)
        self.home_demand = np.ones(n)
        self.ma_capacity = np.zeros(n)  # multi-agency hours this week
        self.diary_rate = np.zeros(n)  # diary hours per day this week
        self.load = np.zeros(n)  # smoothed load (1 = fully used)
        self.used = np.zeros((n, len(ACTIVITIES)))  # hours this week by activity
        self.unmet = np.zeros(n)  # hours of commitments not delivered this week
        self.week_leavers = np.zeros(n, dtype=bool)
        #: infinity for a vacant post, 0 otherwise: added to a score so that vacant posts
        #: are never chosen (updated by :meth:`mark_vacancies`).
        self.vacant_inf = np.zeros(n)
        self.mark_vacancies()

    def _drawer(self, rng: np.random.Generator):
        """``draw(method, *args)``: one value per post, the establishment's from ``rng``
        and the structure posts' from their own stream."""
        n_main, n_rest = self.n_main, self.n - self.n_main
        other = self._rng_structure or rng

        def draw(method: str, *args: float) -> np.ndarray:
            main = getattr(rng, method)(*args, size=n_main)
            if n_rest == 0:
                return main
            return np.concatenate([main, getattr(other, method)(*args, size=n_rest)])

        return draw

    # ------------------------------------------------------------------ capacity
    def mark_vacancies(self) -> None:
        """Update :attr:`vacant_inf` after posts change hands."""
        self.vacant_inf = np.where(self.status == VACANT, np.inf, 0.0)

    def filled(self) -> np.ndarray:
        """Posts with someone in them (permanent or agency)."""
        return self.status != VACANT

    def nominal_ma_hours(self) -> np.ndarray:
        """Multi-agency hours a week a post offers when filled and well (no overtime)."""
        return self.hours * self.ma_share

    def start_week(self, t: float, rng: np.random.Generator, home_demand_cv: float) -> None:
        """Draw sickness and home demand for the week and set capacities and diary rates."""
        n = self.n
        draw = self._drawer(rng)
        self.sick = draw("random") < self.cfg.workforce.sickness_rate
        if home_demand_cv > 0:
            k = 1.0 / home_demand_cv**2
            demand = draw("gamma", k, 1.0 / k)
        else:
            demand = np.ones(n)
        self.home_demand = demand
        ot = 1.0 + self.cfg.support.overtime_share
        home = np.minimum(self.hours * (1.0 - self.ma_share) * demand, self.hours * ot)
        cap = np.minimum(self.hours * self.ma_share * ot, self.hours * ot - home)
        cap = np.where(self.filled() & ~self.sick, cap, 0.0)
        self.ma_capacity = cap
        self.home_hours = np.where(self.filled() & ~self.sick, home, 0.0)
        spare = np.maximum(
            cap - np.where(self.specialist, 0.0, self.committed), DIARY_FLOOR_SHARE * cap
        )
        self.diary_rate = spare / 7.0

    def end_week(self, specialist_hours_per_case: np.ndarray) -> dict[str, np.ndarray]:
        """Deliver support from what the diary left, record the week, update load.

        Parameters
        ----------
        specialist_hours_per_case : array
            Weekly hours per held case for each post (0 for non-specialist posts).

        Returns the week's per-post figures for the series.
        """
        other = self.used.sum(axis=1)
        # Hours booked directly (identification, review meetings) beyond the week's
        # capacity are not worked: scale them down and count the excess as unmet.
        over = np.maximum(other - self.ma_capacity, 0.0)
        scale = np.divide(self.ma_capacity, other, out=np.ones(self.n), where=over > 0)
        self.used *= scale[:, None]
        other = other - over
        room = np.maximum(self.ma_capacity - other, 0.0)
        demand = np.where(self.specialist, self.cases * specialist_hours_per_case, self.committed)
        delivered = np.minimum(demand, room)
        act = ACT["casework"]
        self.used[:, act] = np.where(self.specialist, delivered, 0.0)
        self.used[:, ACT["support"]] = np.where(self.specialist, 0.0, delivered)
        self.used[:, ACT["home_duties"]] = self.home_hours
        self.unmet = demand - delivered + over
        nominal = self.hours * self.ma_share
        ratio = np.divide(demand + other, nominal, out=np.zeros(self.n), where=nominal > 0)
        alpha = 1.0 / max(self.cfg.workforce.overload_window_weeks, 1.0)
        self.load += alpha * (ratio - self.load)
        week = {
            "used": self.used.copy(),
            "unmet": self.unmet.copy(),
            "capacity": self.ma_capacity + self.home_hours,
        }
        self.used[:] = 0.0
        return week

    # ------------------------------------------------------------------ dynamics
    def turnover(
        self, t: float, dt: float, rng: np.random.Generator, trainable: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Leavers, appointments, agency cover and training over ``[t, t + dt)``.

        Returns the posts whose cases lose continuity this week, and the posts newly
        filled (they can take cases waiting in queues).
        """
        wf = self.cfg.workforce
        n = self.n
        end = t + dt
        draw = self._drawer(rng)
        u_leave, u_cover, u_train = draw("random"), draw("random"), draw("random")
        lag_perm = draw("exponential", wf.recruitment_lag_days)
        lag_agency = draw("exponential", wf.agency_lag_days)
        changed = np.zeros(n, dtype=bool)
        # Leaving: hazard rises with sustained overload.
        base = np.where(self.status == AGENCY, wf.agency_turnover_rate, wf.turnover_rate)
        over = np.maximum(self.load - 1.0, 0.0)
        hazard = base * (1.0 + wf.overload_turnover_factor * over)
        leave = self.filled() & (u_leave < -np.expm1(-hazard * dt / DAYS_PER_YEAR))
        was_perm = leave & (self.status == PERMANENT)
        self.status[leave] = VACANT
        self.fill_day[was_perm] = t + lag_perm[was_perm]
        cover = leave & (u_cover < wf.agency_cover_probability)
        self.agency_day[leave] = np.inf
        self.agency_day[cover] = t + lag_agency[cover]
        changed |= leave
        self.week_leavers = leave
        # Permanent appointments (replacing agency cover too), then agency cover.
        appoint = (self.fill_day < end) & (self.status != PERMANENT)
        was_agency = self.status == AGENCY
        self.status[appoint] = PERMANENT
        self.fill_day[appoint] = np.inf
        self.agency_day[appoint] = np.inf
        agency = (self.agency_day < end) & (self.status == VACANT)
        self.status[agency] = AGENCY
        self.agency_day[agency] = np.inf
        if wf.vacancy_schedule_professions:
            out, into = self.follow_vacancy_schedule(t, end, u_leave, lag_perm, appoint | agency)
            leave |= out
            changed |= out
            appoint |= into
        newcomer = appoint | agency
        self.skill[newcomer] = self.base_skill[newcomer] * wf.new_starter_skill_factor
        self.tenure_start[newcomer] = t
        self.load[newcomer] = 0.0
        # A lead professional's continuity is lost when the holder leaves, or when agency
        # cover hands over to a permanent appointment; a newcomer to a vacant post is
        # the same change, not a second one.
        changed |= appoint & was_agency
        self.holder_changes[changed] += 1
        # Training raises identification skill of universal staff.
        train = trainable & self.filled() & (u_train < wf.training_rate * dt / DAYS_PER_YEAR)
        self.skill[train] = np.minimum(self.skill[train] + wf.training_gain, 1.0)
        return np.nonzero(changed)[0], np.nonzero(newcomer)[0]

    # ------------------------------------------------------------ vacancy schedule
    def follow_vacancy_schedule(
        self, t: float, end: float, order: np.ndarray, lag: np.ndarray, arrived: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Keep the scheduled professions' posts at the scheduled vacancy rate.

        Used by the vacancy shock experiment (``workforce.vacancy_schedule_*``). Within
        the schedule's span, if fewer posts of a profession are vacant than the schedule
        says, holders leave (those with the lowest of this week's leaving draws
        ``order``, so no extra random numbers are used) and their posts get no agency
        cover; if more are vacant, the posts whose appointments were nearest are filled
        permanently (a recruitment drive). Outside the span nothing is done.

        Parameters
        ----------
        t, end : float
            Start and end day of the week.
        order : array
            This week's uniform leaving draws, one per post.
        lag : array
            This week's recruitment lags in days, one per post.
        arrived : array of bool
            Posts filled this week (they are not made to leave at once).

        Returns
        -------
        (left, appointed) : arrays of bool
            Posts whose holders were made to leave, and posts filled by appointment.
        """
        wf = self.cfg.workforce
        left = np.zeros(self.n, dtype=bool)
        appointed = np.zeros(self.n, dtype=bool)
        years = end / DAYS_PER_YEAR  # day 0 is the end of the warm-up
        points = wf.vacancy_schedule_years
        if not points or years < points[0] or years > points[-1]:
            return left, appointed
        target = float(np.interp(years, points, wf.vacancy_schedule_rates))
        main = np.arange(self.n) < self.n_main
        for name in wf.vacancy_schedule_professions:
            if name not in self.professions:
                continue
            posts = main & (self.prof == self.professions.index(name))
            want = int(round(target * posts.sum()))
            vacant = posts & (self.status == VACANT)
            gap = want - int(vacant.sum())
            if gap > 0:
                pool = np.nonzero(posts & (self.status != VACANT) & ~arrived)[0]
                go = pool[np.argsort(order[pool], kind="stable")[:gap]]
                left[go] = True
                self.status[go] = VACANT
                self.fill_day[go] = t + lag[go]
                self.agency_day[go] = np.inf
            elif gap < 0:
                pool = np.nonzero(vacant)[0]
                come = pool[np.argsort(self.fill_day[pool], kind="stable")[:-gap]]
                appointed[come] = True
                self.status[come] = PERMANENT
                self.fill_day[come] = np.inf
                self.agency_day[come] = np.inf
        return left, appointed
