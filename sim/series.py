"""The weekly series: the workforce's week, by profession.

At the end of each week of the observation period one row per profession records the
posts, their filled, vacant and agency FTE, capacity and hours used by activity, the
commitments and the shortfall (unmet hours), cases, leavers, and the queues of early
help, social care and CAMHS (the current length and the week's time-average). Weeks of
the warm-up are worked through the same accounting but not recorded. The columns are
listed in docs/metrics.md.
"""

from __future__ import annotations

import numpy as np

from sim.params import ACTIVITIES
from sim.population import Population
from sim.services import QueueMeter, SpecialistService
from sim.workforce import AGENCY, PERMANENT, Workforce


class WeeklySeries:
    """Closes each week's time accounting and records its rows.

    Parameters
    ----------
    workforce : Workforce
    population : Population
    professions : list of str
    early_help_queues : QueueMeter
        Time-average lengths of the TAC queues, by profession.
    social_care, camhs : SpecialistService
    """

    def __init__(
        self,
        workforce: Workforce,
        population: Population,
        professions: list[str],
        early_help_queues: QueueMeter,
        social_care: SpecialistService,
        camhs: SpecialistService,
    ) -> None:
        self.workforce = workforce
        self.population = population
        self.professions = professions
        self.early_help_queues = early_help_queues
        self.social_care = social_care
        self.camhs = camhs
        pidx = {p: i for i, p in enumerate(professions)}
        self._sc_prof = pidx["social_worker"]
        self._camhs_prof = pidx["camhs_worker"]
        spec_hours = np.zeros(workforce.n)
        spec_hours[social_care.pids] = social_care.params.hours_per_case_week
        spec_hours[camhs.pids] = camhs.params.hours_per_case_week
        self._spec_hours = spec_hours
        #: One dict per profession and recorded week.
        self.rows: list[dict] = []

    def close_week(self, t0: float) -> None:
        """End the week that began on ``t0``: deliver support and close the queues'
        averages (every week), and record the rows (weeks from day 0 on)."""
        week = self.workforce.end_week(self._spec_hours)
        queue_mean = self.early_help_queues.close_week()
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
        offered = wf.nominal_ma_hours()
        rows = {
            "posts": np.bincount(prof, minlength=n_prof),
            "fte": by_prof(wf.fte),
            "filled_fte": by_prof(wf.fte * filled),
            "vacant_fte": by_prof(wf.fte * ~filled),
            "agency_fte": by_prof(wf.fte * (wf.status == AGENCY)),
            "capacity_hours": by_prof(week["capacity"]),
            "ma_capacity_hours": by_prof(wf.ma_capacity),
            # Hours a week posts offer to multi-agency work when filled and well, by who
            # holds them: the establishment's multi-agency share, for costing whole posts.
            "offered_permanent_hours": by_prof(offered * (wf.status == PERMANENT)),
            "offered_agency_hours": by_prof(offered * (wf.status == AGENCY)),
            "offered_vacant_hours": by_prof(offered * ~filled),
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
        rows["queue_early_help"] = np.array(self.early_help_queues.length)
        rows["queue_early_help_mean"] = queue_mean
        spec_q = np.zeros(n_prof)
        spec_q[self._sc_prof] = self.social_care.queue_length()
        spec_q[self._camhs_prof] = self.camhs.queue_length()
        rows["queue_specialist"] = spec_q
        spec_mean = np.zeros(n_prof)
        spec_mean[self._sc_prof] = sc_mean[0]
        spec_mean[self._camhs_prof] = camhs_mean[0]
        rows["queue_specialist_mean"] = spec_mean
        for i, name in enumerate(self.professions):
            row = {"day": t0, "profession": name}
            for k, v in rows.items():
                row[k] = float(v[i])
            self.rows.append(row)
