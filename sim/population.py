"""Children and families as arrays: demography and need onset (docs/odd.md 7.1-7.2).

Most children, most of the time, have no open need and nothing happens to them that the
services can see. Their state lives in numpy arrays and is advanced a week at a time in
bulk; a child becomes a Mesa agent (:class:`sim.agents.ChildAgent`) only while the
services know about an open need episode.
"""

from __future__ import annotations

import math

import numpy as np

from sim.params import Config

DAYS_PER_YEAR = 365.25
ADULT_DAYS = 18 * DAYS_PER_YEAR
#: Whole years of age a child can be: 0 to 17.
N_AGES = 18
#: Age bands of the onset hazard: [0, 5), [5, 11), [11, 18) years.
AGE_BAND_EDGES = np.array([5.0, 11.0])


class Population:
    """Every child and family in the area.

    Parameters
    ----------
    cfg : Config
        The run's configuration.
    rng : numpy.random.Generator
        The ``population`` stream: who lives where, with which risk factors.
    start_day : float
        Simulation day at which the population is created (negative: warm-up).
    """

    def __init__(self, cfg: Config, rng: np.random.Generator, start_day: float) -> None:
        self.cfg = cfg
        area = cfg.area
        n = int(area.children)
        # Family sizes 1 + Poisson(mean - 1) until every child has a family (assumption).
        sizes: list[int] = []
        total = 0
        lam = max(area.mean_children_per_family - 1.0, 0.0)
        while total < n:
            batch = 1 + rng.poisson(lam, size=max(16, (n - total)))
            cum = np.cumsum(batch)
            k = int(np.searchsorted(cum, n - total))
            take = batch[: k + 1].tolist()
            sizes.extend(take)
            total += int(sum(take))
        sizes[-1] -= total - n
        nf = len(sizes)
        self.n_children = n
        self.n_families = nf
        self.family = np.repeat(np.arange(nf, dtype=np.int64), sizes)
        self.fam_locality = np.zeros(nf, dtype=np.int64)
        self.fam_deprived = np.zeros(nf, dtype=bool)
        self.fam_risk = np.ones(nf)
        self.fam_engagement = np.ones(nf)
        self.fam_risk_count = np.zeros(nf, dtype=np.int64)
        self._new_families(np.arange(nf), rng)
        self.birth = start_day - rng.uniform(0.0, ADULT_DAYS, size=n)
        # --- deterministic-testing hook (tests/test_deterministic.py) ----------------
        testing = cfg.testing
        if testing.fixed_age_years is not None:
            self.birth[:] = start_day - testing.fixed_age_years * DAYS_PER_YEAR
        if testing.fixed_onset_day is not None:
            self._fixed_onset_day = float(testing.fixed_onset_day)
            self.onsets = self._onsets_with_fixed_day  # type: ignore[method-assign]
        # --- end of hook --------------------------------------------------------------
        self.locality = self.fam_locality[self.family]
        # Day the child joined the area (born, or moved in); exposure to onset starts then.
        self.arrived = np.full(n, -np.inf)
        self.open_episode = np.full(n, -1, dtype=np.int64)
        self.last_close = np.full(n, -np.inf)
        self.last_identified = np.full(n, -np.inf)
        self.had_caf = np.zeros(n, dtype=bool)
        self.had_support = np.zeros(n, dtype=bool)
        self.episodes_started = np.zeros(n, dtype=np.int64)
        # Cached weekly onset probability; refreshed only when a child's hazard changes
        # (age band, family, relapse window), at ``next_change``.
        self.relapse_until = np.full(n, -np.inf)
        self.p_week = np.zeros(n)
        self.next_change = np.full(n, np.inf)
        self.refresh(np.arange(n), start_day)

    # ------------------------------------------------------------------ families
    def _new_families(self, fams: np.ndarray, rng: np.random.Generator) -> None:
        """Draw locality, risk factors, frailty and engagement for families ``fams``."""
        cfg, need, sup = self.cfg, self.cfg.need, self.cfg.support
        k = len(fams)
        self.fam_locality[fams] = rng.integers(0, cfg.area.localities, size=k)
        dep = rng.random(k) < cfg.area.deprivation_share
        mh = rng.random(k) < need.prevalence_parental_mental_health
        sub = rng.random(k) < need.prevalence_substance_misuse
        da = rng.random(k) < need.prevalence_domestic_abuse
        var = need.family_frailty_variance
        frailty = rng.gamma(1.0 / var, var, size=k) if var > 0 else np.ones(k)
        risk = (
            np.where(dep, need.rr_deprivation, 1.0)
            * np.where(mh, need.rr_parental_mental_health, 1.0)
            * np.where(sub, need.rr_substance_misuse, 1.0)
            * np.where(da, need.rr_domestic_abuse, 1.0)
        )
        count = dep.astype(np.int64) + mh + sub + da
        # Engagement: Beta with the configured mean, lower for families with more risk
        # factors (the hardest to engage are the highest-risk, [Community Care 2003] in
        # docs/sources.md; the size of the reduction is an assumption).
        mean = np.clip(sup.engagement_mean - sup.engagement_risk_penalty * count, 0.01, 0.99)
        conc = 4.0  # Beta concentration (assumption)
        engagement = rng.beta(mean * conc, (1.0 - mean) * conc)
        if sup.engagement_mean >= 1.0 and sup.engagement_risk_penalty == 0.0:
            engagement[:] = 1.0  # every family engages (verification experiments)
        self.fam_engagement[fams] = engagement
        self.fam_deprived[fams] = dep
        self.fam_risk[fams] = risk * frailty
        self.fam_risk_count[fams] = count

    # ------------------------------------------------------------------ demography
    def age_years(self, t: float, idx: np.ndarray | int | None = None) -> np.ndarray:
        """Age in years at day ``t`` of all children, or of ``idx``."""
        birth = self.birth if idx is None else self.birth[idx]
        return (t - birth) / DAYS_PER_YEAR

    def leavers(
        self, t: float, dt: float, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Who leaves during ``[t, t + dt)``.

        Returns
        -------
        aged_out : children turning 18.
        aged_out_day : the day each turns 18.
        moved : children of families moving away.
        moved_fams : the families moving away, and (as the 4th item) the day they move.
        """
        end = t + dt
        turn18 = self.birth + ADULT_DAYS
        aged_out = np.nonzero(turn18 < end)[0]
        if not self.cfg.demography.ageing:
            aged_out = aged_out[:0]
            self.birth += dt  # nobody grows older
        p_move = -np.expm1(-self.cfg.demography.move_rate * dt / DAYS_PER_YEAR)
        u = rng.random(self.n_families)
        moved_fams = np.nonzero(u < p_move)[0]
        move_day = t + rng.random(len(moved_fams)) * dt
        return aged_out, np.maximum(turn18[aged_out], t), moved_fams, move_day

    def replace(
        self,
        aged_out: np.ndarray,
        aged_out_day: np.ndarray,
        moved_fams: np.ndarray,
        move_day: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Replace leavers: newborns for 18-year-olds, new families for movers.

        A newborn joins a family drawn at random; a family moving in takes the slots of
        the family that moved out, with children of new random ages. Returns the children
        of moved families (their slots now hold new children).
        """
        n_new = len(aged_out)
        if n_new:
            self.birth[aged_out] = aged_out_day
            self.arrived[aged_out] = aged_out_day
            fam = rng.integers(0, self.n_families, size=n_new)
            self.family[aged_out] = fam
            self.locality[aged_out] = self.fam_locality[fam]
            self._reset_children(aged_out)
        moved_children = np.empty(0, dtype=np.int64)
        if len(moved_fams):
            self._new_families(moved_fams, rng)
            mask = np.zeros(self.n_families, dtype=bool)
            mask[moved_fams] = True
            moved_children = np.nonzero(mask[self.family])[0]
            day_by_fam = np.zeros(self.n_families)
            day_by_fam[moved_fams] = move_day
            days = day_by_fam[self.family[moved_children]]
            self.birth[moved_children] = days - rng.uniform(
                0.0, ADULT_DAYS, size=len(moved_children)
            )
            self.arrived[moved_children] = days
            self.locality[moved_children] = self.fam_locality[self.family[moved_children]]
            self._reset_children(moved_children)
        return moved_children

    def refresh(self, idx: np.ndarray, t: float) -> None:
        """Recompute the weekly onset probability of children ``idx`` as at day ``t``."""
        need = self.cfg.need
        age = (t - self.birth[idx]) / DAYS_PER_YEAR
        band = np.searchsorted(AGE_BAND_EDGES, age, side="right")
        rate = np.asarray(need.onset_rate_by_age)[band] * self.fam_risk[self.family[idx]]
        relapse = self.relapse_until[idx] > t
        rate = np.where(relapse, rate * need.relapse_multiplier, rate)
        self.p_week[idx] = -np.expm1(-rate * 7.0 / DAYS_PER_YEAR)
        edges = np.append(AGE_BAND_EDGES, np.inf)[band] * DAYS_PER_YEAR
        band_change = self.birth[idx] + edges
        self.next_change[idx] = np.minimum(
            band_change, np.where(relapse, self.relapse_until[idx], np.inf)
        )

    def episode_closed(self, child: int, day: float) -> None:
        """A child's episode closed on ``day``: the relapse window opens.

        Scalar version of :meth:`refresh` for one child (called once per closure).
        """
        need = self.cfg.need
        until = day + need.relapse_window_days
        self.last_close[child] = day
        self.relapse_until[child] = until
        birth = float(self.birth[child])  # Python floats: same values, faster arithmetic
        age = (day - birth) / DAYS_PER_YEAR
        band = 0 if age < AGE_BAND_EDGES[0] else (1 if age < AGE_BAND_EDGES[1] else 2)
        rate = (
            need.onset_rate_by_age[band]
            * float(self.fam_risk[self.family[child]])
            * need.relapse_multiplier
        )
        self.p_week[child] = -math.expm1(-rate * 7.0 / DAYS_PER_YEAR)
        edge = float(AGE_BAND_EDGES[band]) * DAYS_PER_YEAR if band < 2 else math.inf
        self.next_change[child] = min(birth + edge, until)

    def _reset_children(self, idx: np.ndarray) -> None:
        self.open_episode[idx] = -1
        self.last_close[idx] = -np.inf
        self.last_identified[idx] = -np.inf
        self.had_caf[idx] = False
        self.had_support[idx] = False
        self.episodes_started[idx] = 0
        self.relapse_until[idx] = -np.inf

    def children_of(self, fams: np.ndarray) -> np.ndarray:
        """Indices of the children of families ``fams``."""
        mask = np.zeros(self.n_families, dtype=bool)
        mask[fams] = True
        return np.nonzero(mask[self.family])[0]

    # ------------------------------------------------------------------ need onset
    def onsets(
        self, t: float, dt: float, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Children whose new need episode begins in ``[t, t + dt)``, and the day of onset.

        The hazard depends on age band, the family's risk factors and frailty (siblings'
        needs correlate through the family) and a relapse multiplier shortly after an
        earlier episode closed. A uniform number is drawn for every child every week, so
        the draws line up across team models (common random numbers).
        """
        due = np.nonzero(self.next_change < t + dt)[0]
        if len(due):
            self.refresh(due, t)
        p = self.p_week if dt == 7.0 else -np.expm1(np.log1p(-self.p_week) * dt / 7.0)
        u = rng.random(self.n_children)
        hit = np.nonzero((u < p) & (self.open_episode < 0))[0]
        # Given u < p, u / p is uniform on [0, 1) and independent of the event: it places
        # the onset within the week without a second draw.
        start = np.full(len(hit), t)
        p_hit = p[hit]
        born = self.arrived[hit] > t
        if born.any():
            # A child born (or moved in) during the week is exposed only from that day:
            # the chance shrinks with the exposure and the onset falls after it.
            b = self.arrived[hit[born]]
            p_hit[born] *= (t + dt - b) / dt
            start[born] = b
            keep = u[hit] < p_hit
            hit, start, p_hit = hit[keep], start[keep], p_hit[keep]
        return hit, start + (u[hit] / p_hit) * (t + dt - start)

    # --- deterministic-testing hook (tests/test_deterministic.py) ----------------------
    def _onsets_with_fixed_day(
        self, t: float, dt: float, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`onsets`, plus a first need for every child on ``testing.fixed_onset_day``.

        Used instead of :meth:`onsets` only when ``testing.fixed_onset_day`` is set. The
        hazard's draws are made as usual, so the random streams are not disturbed.
        """
        hit, days = Population.onsets(self, t, dt, rng)
        day = self._fixed_onset_day
        if not t <= day < t + dt:
            return hit, days
        extra = np.nonzero((self.open_episode < 0) & (self.episodes_started == 0))[0]
        extra = np.setdiff1d(extra, hit)
        return (np.concatenate([hit, extra]), np.concatenate([days, np.full(len(extra), day)]))
