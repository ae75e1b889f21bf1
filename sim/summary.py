"""Headline metrics of a run, and their confidence intervals over replicates.

Every metric is registered in :mod:`sim.metrics` (name, definition, unit, label) and
defined at length in ``docs/metrics.md``; this module computes them. Functions here take the
tables a model produces (``episodes``, ``series``) and return plain dictionaries of
floats, so summaries serialise to JSON byte-identically for the same inputs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.params import ACTIVITIES

DAYS_PER_YEAR = 365.25
#: Stages of the pathway: (name, from milestone, to milestone).
STAGES: tuple[tuple[str, str, str], ...] = (
    ("onset_to_identification", "onset_day", "identification_day"),
    ("identification_to_assessment", "identification_day", "assessment_end_day"),
    ("assessment_to_tac_meeting", "assessment_end_day", "tac_meeting_day"),
    ("tac_meeting_to_support", "tac_meeting_day", "support_start_day"),
    ("onset_to_support", "onset_day", "support_start_day"),
    # The wait for TAC members: request for multi-agency support to the last member
    # allocated (queues for practitioners' time; the M/M/c verification's wait).
    ("request_to_allocation", "request_day", "allocation_day"),
)
#: Hours that count as multi-agency or specialist work when computing utilisation: every
#: activity of the series but home duties.
WORK_ACTIVITIES = tuple(a for a in ACTIVITIES if a != "home_duties")
#: Social care assessment timeliness targets in working days, by era: core assessment
#: within 35 working days in 2008 ([HM Government 2006]); one assessment within 45 today
#: ([HM Government 2013]). Sources: docs/sources.md.
TIMELINESS_TARGET_WORKING_DAYS = {"2008": 35, "modern": 45}


def _nan_to_none(x: float) -> float | None:
    return None if (x is None or (isinstance(x, float) and math.isnan(x))) else float(x)


def working_days(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Working days (Monday to Friday) between simulation days, taking day 0 as a Monday."""
    base = np.datetime64("2024-01-01")  # a Monday
    s = base + np.floor(start).astype("int64").astype("timedelta64[D]")
    e = base + np.floor(end).astype("int64").astype("timedelta64[D]")
    return np.busday_count(s, e).astype(float)


def early_identification_rate(episodes: pd.DataFrame) -> float:
    """Share of Tier 2 needs identified before they reached Tier 3.

    The one computation of ``early_identification_rate`` (``sim.metrics``,
    ``docs/metrics.md``): :func:`replicate_summary` applies it to a replicate's
    episodes, the dashboard (``sim.app``) to the episodes so far.

    Parameters
    ----------
    episodes : pandas.DataFrame
        Episodes with onset on or after day 0, with the ``episodes`` columns
        ``step_down``, ``onset_tier``, ``identification_day`` and ``tier3_day``.

    Returns
    -------
    float
        Among the episodes that are not step-downs and began at Tier 2, the share with
        ``identification_day`` not NaN and (``tier3_day`` NaN or ``identification_day``
        <= ``tier3_day``); episodes still open or resolved without being identified
        count as not identified early. NaN when there is no such episode.
    """
    fresh = episodes[~episodes["step_down"]]
    tier2 = fresh[fresh["onset_tier"] == 2]
    ident = tier2["identification_day"]
    early = ident.notna() & (tier2["tier3_day"].isna() | (ident <= tier2["tier3_day"]))
    return float(early.mean()) if len(tier2) else math.nan


def replicate_summary(
    episodes: pd.DataFrame,
    series: pd.DataFrame,
    *,
    children: int,
    years: float,
    era: str,
    hourly_cost: dict[str, float],
    followed: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Headline metrics of one replicate.

    Parameters
    ----------
    episodes, series : the model's output tables (observation period only).
    children : children in the area.
    years : length of the observation period in years.
    era : process-standard era, for the social care timeliness target.
    hourly_cost : pounds per hour by profession.
    followed : the same episodes after a follow-up period, if there was one; the delay
        metrics are then computed from it, so that waits are not cut short when the
        observation period closes.
    """
    ep = episodes
    out: dict[str, Any] = {}
    fresh = ep[~ep["step_down"]]
    out["early_identification_rate"] = early_identification_rate(ep)
    out["identification_rate"] = (
        float(fresh["identification_day"].notna().mean()) if len(fresh) else math.nan
    )
    delays: dict[str, dict[str, float]] = {}
    dep, dfresh = (ep, fresh) if followed is None else (followed, followed[~followed["step_down"]])
    for name, a, b in STAGES:
        d = (dep[b] - dep[a]).dropna()
        if name.startswith("onset"):
            d = (dfresh[b] - dfresh[a]).dropna()
        delays[name] = {
            "mean": float(d.mean()) if len(d) else math.nan,
            "median": float(d.median()) if len(d) else math.nan,
            "p90": float(d.quantile(0.9)) if len(d) else math.nan,
            "n": float(len(d)),
        }
    out["delay_days"] = delays
    # Workforce, by profession.
    work_cols = [f"hours_{a}" for a in WORK_ACTIVITIES]
    by = series.groupby("profession", sort=True)
    used = by[work_cols].sum().sum(axis=1)
    cap = by["ma_capacity_hours"].sum()
    util = (used / cap.where(cap > 0)).to_dict()
    weeks = by.size()
    filled = by["filled_fte"].sum()
    caseload = (by["cases"].sum() / filled.where(filled > 0)).to_dict()
    out["utilisation"] = {k: float(v) for k, v in util.items()}
    out["caseload_per_fte"] = {k: float(v) for k, v in caseload.items()}
    fte = by["fte"].sum()
    out["vacancy_rate"] = {
        k: float(v) for k, v in (by["vacant_fte"].sum() / fte.where(fte > 0)).to_dict().items()
    }
    mean_fte = fte / weeks
    out["turnover_rate"] = {
        k: float(v)
        for k, v in (by["leavers"].sum() / years / mean_fte.where(mean_fte > 0)).to_dict().items()
    }
    sw = series[series["profession"] == "social_worker"]
    out["caseload_per_social_worker"] = (
        float(sw["specialist_cases"].sum() / sw["specialist_filled_fte"].sum())
        if len(sw) and sw["specialist_filled_fte"].sum() > 0
        else math.nan
    )
    # Demand on specialist services.
    sc = ep[ep["sc_referral_day"].notna()]
    out["referrals_per_10k"] = float(len(sc) / children * 10_000 / years)
    assessed = sc[sc["sc_assessment_end_day"].notna()]
    if len(assessed):
        wd = working_days(
            assessed["sc_referral_day"].to_numpy(), assessed["sc_assessment_end_day"].to_numpy()
        )
        out["sc_assessment_timeliness"] = float((wd <= TIMELINESS_TARGET_WORKING_DAYS[era]).mean())
        out["sc_assessment_working_days_median"] = float(np.median(wd))
    else:
        out["sc_assessment_timeliness"] = math.nan
        out["sc_assessment_working_days_median"] = math.nan
    camhs = ep[ep["camhs_referral_day"].notna()]
    out["camhs_referrals_per_10k"] = float(len(camhs) / children * 10_000 / years)
    identified = ep[ep["identification_day"].notna()]
    out["re_referral_rate"] = (
        float(identified["re_referral"].mean()) if len(identified) else math.nan
    )
    esc = fresh[fresh["onset_tier"] < 4]
    out["escalation_rate"] = (
        float((esc["max_tier"] > esc["onset_tier"]).mean()) if len(esc) else math.nan
    )
    closed = ep[ep["closure_reason"] != ""]
    out["closure_share"] = {
        r: float((closed["closure_reason"] == r).mean())
        for r in sorted(closed["closure_reason"].unique())
    }
    out["unmet_demand_hours"] = float(series["unmet_hours"].sum() / years)
    cost = 0.0
    for prof, hours in used.items():
        cost += float(hours) * hourly_cost.get(str(prof), 0.0)
    out["staff_cost"] = cost / years
    out["prevalence_open_needs"] = (
        float((series["open_needs"] / series["children"]).mean()) if len(series) else math.nan
    )
    out["episodes"] = float(len(ep))
    return out


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``."""
    out: dict[str, float] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def unflatten(d: dict[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`flatten`."""
    out: dict[str, Any] = {}
    for key, v in d.items():
        parts = key.split(".")
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = v
    return out


def mean_ci(values: list[float] | np.ndarray, level: float = 0.95) -> dict[str, Any]:
    """Mean and ``level`` t-interval over replicates (no interval with one value)."""
    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    n = len(x)
    if n == 0:
        return {"mean": None, "ci95": [None, None], "n": 0}
    m = float(x.mean())
    if n < 2:
        return {"mean": m, "ci95": [None, None], "n": n}
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return {"mean": m, "ci95": [m - half, m + half], "n": n}


def aggregate(replicates: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and 95% CI of every metric over replicates, nested like the metrics."""
    flat = [flatten(r) for r in replicates]
    keys = sorted({k for f in flat for k in f})
    agg = {k: mean_ci([f.get(k, math.nan) for f in flat]) for k in keys}
    return unflatten(agg)


def paired_difference(
    a: list[dict[str, Any]], b: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Mean and 95% CI of ``a - b`` replicate by replicate (common random numbers)."""
    fa, fb = [flatten(r) for r in a], [flatten(r) for r in b]
    keys = sorted(set(fa[0]) & set(fb[0])) if fa and fb else []
    out = {}
    for k in keys:
        diffs = [x.get(k, math.nan) - y.get(k, math.nan) for x, y in zip(fa, fb, strict=True)]
        out[k] = mean_ci(diffs)
    return out


def clean(obj: Any) -> Any:
    """Replace NaN with None recursively, for strict JSON."""
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [clean(v) for v in obj]
    if isinstance(obj, float):
        return _nan_to_none(obj)
    return obj
