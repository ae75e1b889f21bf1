"""Verification of the model against analytic results. The model never imports this
module.

The M/M/c set-up is checked against Erlang C (:mod:`sim.queueing`). Little's law
``L = lam W`` is checked on the queues the model reports, in its exact sample-path form
and in its asymptotic form (:func:`little_check`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sim.params import DOMAINS
from sim.queueing import mmc_relaxation_days

#: Confidence level of the agreement checks against theory and between simulators. A
#: check that compares two noisy estimates fails at its own level by chance: at 95% one
#: check in twenty would fail at a random seed, so a suite of a dozen would fail at most
#: seeds. At 99.9% a check keeps a margin of about two between-seed standard deviations
#: to its limit (docs/validation.md, section 6); its power is stated by the width of its
#: interval, which the run lengths are sized for.
AGREEMENT_LEVEL = 0.999


def standardised_gap(mean: float, ci95: tuple[float, float], n: int, target: float) -> float:
    """``(mean - target) / se`` with ``se`` recovered from a t-based 95% interval of a mean
    over ``n`` replicates: a t statistic with ``n - 1`` degrees of freedom."""
    se = (ci95[1] - ci95[0]) / 2 / float(stats.t.ppf(0.975, n - 1))
    return (mean - target) / se if se > 0 else (0.0 if mean == target else math.inf)


def agreement_limit(dof: float, level: float = AGREEMENT_LEVEL) -> float:
    """Largest ``|t|`` an agreement check allows: the two-sided ``level`` t quantile."""
    return float(stats.t.ppf(0.5 + level / 2, dof))


def combined_chi2(t_values: list[float], dof: float) -> float:
    """Sum of squares of the t statistics mapped to standard normal scores.

    Each ``t`` (``dof`` degrees of freedom) is sent through its own distribution function
    and the standard normal quantile, so the sum is chi-square with ``len(t_values)``
    degrees of freedom when every point agrees with theory: one statistic for a grid.
    """
    z = stats.norm.ppf(stats.t.cdf(np.asarray(t_values, dtype=float), dof))
    return float(np.sum(np.square(np.clip(z, -40.0, 40.0))))


def mmc_overrides(
    servers: int,
    utilisation: float,
    customers: int,
    replicates: int,
    seed: int = 1,
    arrivals_per_day: float = 20.0,
    children_per_arrival: float = 10_000.0,
    warmup_relaxations: float = 3.0,
) -> list[str]:
    """Hydra overrides for ``experiment=mmc`` sized by the number of customers.

    An M/M/c queue's mean wait in service times depends only on ``c`` and the
    utilisation, so the service time is chosen to give ``arrivals_per_day`` customers a
    day, whatever ``c`` and the utilisation (the Erlang C value is compared in days
    for that service time).

    The model draws at most one onset per child per week from a weekly probability, and
    a child with an open need has no new onset, so arrivals are Poisson only when
    ``7 lam / children`` is small: the arrival rate falls short by about half of it. With
    ``children_per_arrival`` = 10,000 children per daily arrival the shortfall is 0.035%
    (0.35% of the mean wait at utilisation 0.9 with one server, where the wait's
    elasticity to the arrival rate is ``1 / (1 - rho)`` = 10).

    Parameters
    ----------
    servers, utilisation : the queue.
    customers : customers observed in total over all replicates.
    replicates : independent replications (each with its own warm-up).
    seed : root seed.
    arrivals_per_day : arrival rate ``lam`` per day.
    children_per_arrival : children in the area per daily arrival.
    warmup_relaxations : warm-up length in relaxation times
        (:func:`mmc_relaxation_days`), at least a week.
    """
    s = utilisation * servers / arrivals_per_day
    children = int(math.ceil(children_per_arrival * arrivals_per_day))
    years = customers / replicates / arrivals_per_day / 365.25
    warmup = max(warmup_relaxations * mmc_relaxation_days(servers, utilisation, s), 7.0)
    return [
        "experiment=mmc",
        f"mmc.servers={servers}",
        f"mmc.utilisation={utilisation}",
        f"mmc.mean_service_days={s!r}",
        f"area.children={children}",
        f"years={years!r}",
        f"warmup_years={warmup / 365.25!r}",
        f"replicates={replicates}",
        f"seed={seed}",
        "progress=false",
    ]


@dataclass(frozen=True)
class LittleCheck:
    """Little's law for one queue over an observation window of ``T`` days.

    Attributes
    ----------
    L : time-average number waiting over the window (from the model's series).
    lam : requests that joined the queue inside the window, per day.
    W : their mean wait in days, cut at the end of the window.
    boundary : request-days spent waiting inside the window by requests that joined
        before it, per day of the window.
    area : total request-days spent waiting inside the window by every request (from the
        episodes' milestones), per day of the window.
    half_width : 95% confidence half-width of ``L`` by batch means over the window.
    waited : requests that joined inside the window and waited a positive time.
    """

    L: float
    lam: float
    W: float
    boundary: float
    area: float
    half_width: float
    waited: int

    @property
    def gap(self) -> float:
        """``L - lam W``: what the asymptotic form leaves out (``boundary`` exactly)."""
        return self.L - self.lam * self.W


def batch_means_half_width(x: np.ndarray, batches: int = 10) -> float:
    """95% confidence half-width of the mean of the series ``x`` by batch means.

    ``x`` is cut into ``batches`` contiguous batches of equal length (a remainder at the
    start is dropped); the half-width is the t quantile with ``batches - 1`` degrees of
    freedom times the standard error of the batch means.
    """
    n = len(x) // batches
    if n < 1:
        raise ValueError(f"{len(x)} observations cannot make {batches} batches")
    means = np.asarray(x[len(x) - n * batches :], dtype=float).reshape(batches, n).mean(axis=1)
    return float(stats.t.ppf(0.975, batches - 1) * means.std(ddof=1) / math.sqrt(batches))


def little_check(
    days: np.ndarray,
    length_mean: np.ndarray,
    entry: np.ndarray,
    leave: np.ndarray,
    step_days: float = 7.0,
    batches: int = 10,
) -> LittleCheck:
    """Both sides of Little's law for one queue, over the window the series covers.

    Parameters
    ----------
    days : start day of each period of the series (periods of ``step_days``).
    length_mean : the queue's time-average length in each period.
    entry, leave : day each request joined and left the queue (``leave`` NaN: still
        waiting at the end of the run). Requests outside the window are allowed.
    step_days : length of a period, days.
    batches : batches for the confidence half-width of ``L``.

    Notes
    -----
    Over a window ``[t0, t1)`` of length ``T`` the sample-path identity is exact:
    ``L T`` is the area under the queue-length curve, which is the time every request
    spent waiting inside the window, so ``L = lam W + boundary`` (waits still running at
    ``t1`` are cut there). As ``T`` grows the boundary term vanishes and ``L = lam W``;
    the asymptotic form is judged against the sampling error of ``L`` itself.
    """
    t0, t1 = float(np.min(days)), float(np.max(days)) + step_days
    T = t1 - t0
    L = float(np.mean(length_mean))
    leave = np.where(np.isnan(leave), t1, np.minimum(leave, t1))
    joined = (entry >= t0) & (entry < t1)
    lam = float(joined.sum()) / T
    W = float((leave[joined] - entry[joined]).mean()) if joined.any() else 0.0
    inside = np.clip(leave, t0, t1) - np.clip(entry, t0, t1)
    boundary = float(inside[entry < t0].sum()) / T
    order = np.argsort(days)
    return LittleCheck(
        L=L,
        lam=lam,
        W=W,
        boundary=boundary,
        area=float(inside.sum()) / T,
        half_width=batch_means_half_width(np.asarray(length_mean)[order], batches),
        waited=int((leave[joined] - entry[joined] > 0).sum()),
    )


#: A long run of the test area in which every queue the model reports is in use and
#: stationary after its start-up (the reasoning is in docs/validation.md, section 3).
#:
#: - TAC member allocation: family support is the only profession a TAC needs, so each
#:   request queues at most once, and with no coordination hours, panel or allocation
#:   meeting it enters the queue on its request day.
#: - Social care and CAMHS: an allocation queue is in use at utilisation 0.8 only when the
#:   service has few case slots, so the offered load has to be small: social care cases
#:   are shortened to 55 days on 3 slots per FTE; CAMHS takes every referral (no
#:   threshold) and holds cases 190 days on 4.4 slots per FTE.
#:
#: No warm-up, so that every episode (and so every queue entry) is in the episodes table.
LITTLE_OVERRIDES: tuple[str, ...] = (
    "area=test",
    "years=12",
    "warmup_years=0",
    "progress=false",
    "team_model=tac_only",
    "team_model.coordination_hours_per_case=0",
    "team_model.panel_share=0",
    "+area.establishment_scale.family_support=1.6",
    "social_care.max_caseload_per_fte=3",
    "social_care.case_mean_days=55",
    "camhs.max_caseload_per_fte=4.4",
    "camhs.rejection_share=0",
    "camhs.case_mean_days=190",
    "need.domain_probability.be_healthy=0.9",
    *(f"domain_professions.{d}=[family_support]" for d in DOMAINS),
)
#: Start of the window for Little's law, days: the queues have reached their steady
#: state (social care and CAMHS cases last about 2 and 7 months; TAC waits a few weeks).
LITTLE_FROM = 2 * 365.25
#: The queues checked, with the series' profession and time-average column of each.
LITTLE_QUEUES: dict[str, tuple[str, str]] = {
    "tac_allocation": ("family_support", "queue_early_help_mean"),
    "social_care": ("social_worker", "queue_specialist_mean"),
    "camhs": ("camhs_worker", "queue_specialist_mean"),
}


def little_queue_spells(
    episodes, screening_days: float, queue: str
) -> tuple[np.ndarray, np.ndarray]:
    """The day each request joined and left one of :data:`LITTLE_QUEUES`.

    TAC allocation: from the request to allocation, or to closure for a request closed
    while waiting. Social care and CAMHS: from the end of screening (``screening_days``
    after the referral; rejected referrals never queue) to allocation (the start of
    assessment), or to the child leaving the area. A child who left during screening
    never queued; nor did one who left later in the week its screening ended, since the
    model applies a week's departures before the week's other events.
    """
    if queue == "tac_allocation":
        e = episodes[episodes["request_day"].notna()]
        leave = e["allocation_day"].fillna(e["closure_day"]).to_numpy(dtype=float)
        return e["request_day"].to_numpy(dtype=float), leave
    sc = queue == "social_care"
    prefix = "sc" if sc else "camhs"
    start = "sc_assessment_start_day" if sc else "camhs_start_day"
    close = "sc_close_day" if sc else "camhs_end_day"
    e = episodes[
        episodes[f"{prefix}_referral_day"].notna() & (episodes[f"{prefix}_outcome"] != "rejected")
    ]
    entry = (e[f"{prefix}_referral_day"] + screening_days).to_numpy(dtype=float)
    leave = e[start].fillna(e[close]).to_numpy(dtype=float)
    left = e[start].isna().to_numpy() & ~np.isnan(leave)
    queued = ~((leave < entry) | (left & (np.floor(leave / 7) == np.floor(entry / 7))))
    return entry[queued], leave[queued]


#: Replicates of each M/M/c point (each with its own warm-up of 3 relaxation times).
MMC_REPLICATES = 6
#: Customers observed over all replicates, by utilisation (docs/validation.md, section 1).
MMC_CUSTOMERS = {0.5: 8_000, 0.8: 16_000, 0.9: 26_000}
#: Points that need more: at c = 20, utilisation 0.5 only 0.37% of customers wait (Erlang
#: C), so 8,000 customers give about 30 waits over the replicates, too few for a t
#: interval of the mean wait; 100,000 give about 370 (docs/validation.md, section 1).
MMC_CUSTOMERS_AT = {(20, 0.5): 100_000}
#: The verification grid: servers x utilisation.
MMC_GRID = [(c, rho) for c in (1, 5, 20) for rho in (0.5, 0.8, 0.9)]
#: Other points, drawn once from a seeded generator (c <= 20, utilisation 0.3-0.9).
_draw = random.Random(2026)
MMC_RANDOM_POINTS = [(_draw.randint(1, 20), round(_draw.uniform(0.3, 0.9), 3)) for _ in range(3)]
#: Customers observed at each random point, over all its replicates.
MMC_RANDOM_CUSTOMERS = 6_000
#: Customers each simulator observes in the comparison with ciw (M/M/5, utilisation 0.8,
#: 6 replicates). The asymptotic relative variance there is K = 238 (docs/validation.md,
#: section 1), so each mean has a relative standard error of about sqrt(238 / 240,000) =
#: 3%; with 60,000 (6%) the width of one simulator's interval exceeded half of Erlang C's
#: value at one seed in six (section 6).
MMC_CIW_CUSTOMERS = 240_000


def mmc_grid_customers(point: tuple[int, float]) -> int:
    """Customers observed at one grid point, over all its replicates."""
    return MMC_CUSTOMERS_AT.get(point, MMC_CUSTOMERS[point[1]])


def run_mmc_points(
    points: list[tuple[int, float]],
    customers: Callable[[tuple[int, float]], int],
    seed: int = 1,
    workers: int = 2,
) -> dict:
    """Run the M/M/c reduction at each point, all replicates in one pool of processes.

    Parameters
    ----------
    points : list of (servers, utilisation).
    customers : function of a point giving the customers to observe there.
    seed : root seed of every point.
    workers : processes.

    Returns
    -------
    dict
        For each point: (configuration, its mmc summary, the scenario result).
    """
    from sim.config import compose, validate
    from sim.rng import replicate_seeds
    from sim.runner import ScenarioResult, mmc_summary, run_many

    cfgs = {
        p: validate(compose(mmc_overrides(p[0], p[1], customers(p), MMC_REPLICATES, seed=seed)))
        for p in points
    }
    jobs = [(cfg, ss) for cfg in cfgs.values() for ss in replicate_seeds(cfg.seed, cfg.replicates)]
    done = run_many(jobs, workers=workers)
    out = {}
    for i, (p, cfg) in enumerate(cfgs.items()):
        res = ScenarioResult("tac_only", done[i * MMC_REPLICATES : (i + 1) * MMC_REPLICATES])
        out[p] = (cfg, mmc_summary(cfg, res), res)
    return out
