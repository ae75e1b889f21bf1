"""Waits that count every child: time from identification to support, with censoring.

A median over the children who reached both milestones leaves out those still waiting
when the run ends and those whose case closed first, and the share of each differs
between team models. Here the wait is a time-to-event outcome:

- the cohort is every fresh need identified in the observation period and not referred
  straight to children's social care on the day it was identified (it went on to early
  help), as it stands at the end of the run (after any follow-up);
- the event of interest is the start of support; closure before support (needs met,
  disengagement, step-up to social care, the child leaving) is a competing event; a
  need still waiting at the end of the run is censored then.

The Aalen-Johansen estimator gives the cumulative incidence of support, the share
supported within 30, 90 and 180 days of identification, with closures counted as never
supported. The Kaplan-Meier median treats closure as censoring: the median wait of a
need that is not closed first. Both come from lifelines.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

#: Days after identification at which the share supported is reported.
HORIZONS_DAYS: tuple[int, ...] = (30, 90, 180)
# Event codes for lifelines.
CENSORED, SUPPORTED, CLOSED = 0, 1, 2


def support_outcomes(
    episodes: pd.DataFrame, end_day: float, identified_before: float
) -> tuple[np.ndarray, np.ndarray]:
    """Durations (days from identification) and event codes of the cohort.

    Parameters
    ----------
    episodes : the episodes table, as it stands at ``end_day``.
    end_day : the last day of the run (censoring).
    identified_before : the end of the observation period: the cohort's needs were
        identified before it.
    """
    ep = episodes
    ident = ep["identification_day"]
    cohort = ep[~ep["step_down"] & (ident < identified_before) & ~(ep["sc_referral_day"] == ident)]
    start = cohort["identification_day"].to_numpy(float)
    support = cohort["support_start_day"].to_numpy(float)
    closure = cohort["closure_day"].to_numpy(float)
    supported = ~np.isnan(support)
    closed = ~supported & ~np.isnan(closure)
    end = np.where(supported, support, np.where(closed, closure, end_day))
    events = np.where(supported, SUPPORTED, np.where(closed, CLOSED, CENSORED))
    return np.maximum(end - start, 0.0), events


def time_to_support(
    episodes: pd.DataFrame, end_day: float, identified_before: float
) -> dict[str, Any]:
    """Shares supported within :data:`HORIZONS_DAYS` and the median time to support.

    Returns ``supported_within_<d>d`` (share, Aalen-Johansen), ``median_days``
    (Kaplan-Meier, closure censored; NaN if under half are supported by the end),
    ``n``, and the shares of the cohort supported, closed first and still waiting.
    """
    durations, events = support_outcomes(episodes, end_day, identified_before)
    n = len(durations)
    out: dict[str, Any] = {f"supported_within_{d}d": math.nan for d in HORIZONS_DAYS}
    out.update(
        {
            "median_days": math.nan,
            "n": float(n),
            "share_supported": float((events == SUPPORTED).mean()) if n else math.nan,
            "share_closed_first": float((events == CLOSED).mean()) if n else math.nan,
            "share_still_waiting": float((events == CENSORED).mean()) if n else math.nan,
        }
    )
    if n == 0 or not (events == SUPPORTED).any():
        if n:
            out.update({f"supported_within_{d}d": 0.0 for d in HORIZONS_DAYS})
        return out
    from lifelines import AalenJohansenFitter, KaplanMeierFitter

    with warnings.catch_warnings():
        # Tied durations are broken by a small jitter (seeded, so results repeat); the
        # fitter warns that it does so.
        warnings.simplefilter("ignore")
        aj = AalenJohansenFitter(calculate_variance=False, seed=0)
        aj.fit(durations, events, event_of_interest=SUPPORTED)
    for d in HORIZONS_DAYS:
        out[f"supported_within_{d}d"] = float(aj.predict(float(d)))
    km = KaplanMeierFitter().fit(durations, events == SUPPORTED)
    median = float(km.median_survival_time_)
    out["median_days"] = median if math.isfinite(median) else math.nan
    return out
