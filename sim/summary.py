"""Headline metrics of a run, and their confidence intervals over replicates.

Every metric is registered in :mod:`sim.metrics` (name, definition, unit, label) and
defined at length in ``docs/metrics.md``; this module computes them. Functions here take the
tables a model produces (``episodes``, ``series``) and return plain dictionaries of
floats, so summaries serialise to JSON byte-identically for the same inputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.costs import staff_costs
from sim.params import ACTIVITIES
from sim.waits import time_to_support

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
    agency_cost_factor: float = 1.0,
    end_day: float | None = None,
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
    agency_cost_factor : agency cover's hourly cost over a permanent post's.
    end_day : the day the tables stand at (the end of the run; by default the end of
        the observation period): waits still open then are censored there.
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
    # Every identified child counts: censored at the end, closure as a competing event.
    end = years * DAYS_PER_YEAR if end_day is None else end_day
    out["time_to_support"] = time_to_support(dep, end, years * DAYS_PER_YEAR)
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
    supported = float(ep["support_start_day"].notna().sum()) / years
    out["children_supported_per_year"] = supported
    out.update(staff_costs(series, hourly_cost, agency_cost_factor, years, supported))
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


def half_width(sd: float, n: int, level: float = 0.95) -> float:
    """Half-width of the Student t interval of a mean of ``n`` values with standard
    deviation ``sd``: ``t(level, n - 1) * sd / sqrt(n)``."""
    return float(stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n))


def ci_half_width(values: list[float] | np.ndarray, level: float = 0.95) -> float:
    """Half-width of the Student t interval of the mean of ``values`` (infinite with
    fewer than two values)."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < 2:
        return math.inf
    return half_width(x.std(ddof=1), n, level)


def mean_ci(values: Sequence[float | None] | np.ndarray, level: float = 0.95) -> dict[str, Any]:
    """Mean and ``level`` t-interval over replicates (no interval with one value).

    The one computation of a mean with its confidence interval: summaries, comparisons,
    sweep tables, the report, the notebooks' tables and the experiments' effects call it.
    Missing values (None, NaN) are left out.
    """
    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    n = len(x)
    if n == 0:
        return {"mean": None, "ci95": [None, None], "n": 0}
    m = float(x.mean())
    if n < 2:
        return {"mean": m, "ci95": [None, None], "n": n}
    half = ci_half_width(x, level)
    return {"mean": m, "ci95": [m - half, m + half], "n": n}


def paired_difference(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, level: float = 0.95
) -> dict[str, Any]:
    """Mean and ``level`` t-interval of ``a - b``, pair by pair.

    The one computation of a paired difference: ``a[i]`` and ``b[i]`` are the same
    replicate of two scenarios run with the same seed (common random numbers), so the
    interval of their differences is much narrower than comparing two intervals. Pairs
    with a missing value on either side are left out.

    Raises
    ------
    ValueError
        If ``a`` and ``b`` differ in length.
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired values differ in number: {len(x)} and {len(y)}")
    return mean_ci(x - y, level)


def aggregate(replicates: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and 95% CI of every metric over replicates, nested like the metrics."""
    flat = [flatten(r) for r in replicates]
    keys = sorted({k for f in flat for k in f})
    agg = {k: mean_ci([f.get(k, math.nan) for f in flat]) for k in keys}
    return unflatten(agg)


def metric_differences(
    a: list[dict[str, Any]], b: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """:func:`paired_difference` of every flat metric of replicate summaries ``a`` and
    ``b`` (replicate by replicate; metrics of the first replicate of both)."""
    fa, fb = [flatten(r) for r in a], [flatten(r) for r in b]
    keys = sorted(set(fa[0]) & set(fb[0])) if fa and fb else []
    if len(fa) != len(fb):
        raise ValueError(f"paired replicates differ in number: {len(fa)} and {len(fb)}")
    return {
        k: paired_difference([x.get(k, math.nan) for x in fa], [y.get(k, math.nan) for y in fb])
        for k in keys
    }


# ------------------------------------------------------------------ tables of statistics
def ci_columns(stat: Mapping[str, Any]) -> dict[str, Any]:
    """A :func:`mean_ci` result as table cells: ``mean``, ``ci_low``, ``ci_high`` (NaN
    where there is none) and ``n``."""
    lo, hi = (list(stat.get("ci95") or []) + [None, None])[:2]
    return {"mean": _nan(stat["mean"]), "ci_low": _nan(lo), "ci_high": _nan(hi), "n": stat.get("n")}


def _nan(x: Any) -> float:
    return math.nan if x is None else float(x)


def _numbers(values: Any) -> np.ndarray:
    """A table column as floats, anything that is not a number as NaN."""
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)


def column_ci(values: Any) -> dict[str, Any]:
    """:func:`mean_ci` of a table column (anything not a number left out) as table cells
    (:func:`ci_columns`)."""
    return ci_columns(mean_ci(_numbers(values)))


def aggregate_rows(agg: Mapping[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """Rows ``metric, mean, ci_low, ci_high, n`` of a nested :func:`aggregate` (as
    ``summary.json`` holds it), in its order."""
    rows: list[dict[str, Any]] = []
    for k, v in agg.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and "mean" in v and "ci95" in v:
            rows.append({"metric": key, **ci_columns(v)})
        elif isinstance(v, Mapping):
            rows.extend(aggregate_rows(v, key + "."))
    return rows


def _groups(table: pd.DataFrame, by: Sequence[str], sort: bool) -> list[tuple[tuple, pd.DataFrame]]:
    """``table`` split by the values of the columns ``by``, each key a tuple."""
    return [
        (key if isinstance(key, tuple) else (key,), part)
        for key, part in table.groupby(list(by), sort=sort, dropna=False)
    ]


def level_table(
    table: pd.DataFrame, by: Sequence[str], metrics: Sequence[str], sort: bool = True
) -> pd.DataFrame:
    """Mean and 95% t-interval (:func:`mean_ci`) of each metric over the rows of each group.

    Parameters
    ----------
    table : pandas.DataFrame
        A tidy table: one row per replicate (``sim.results``), metrics as columns.
    by : sequence of str
        Columns whose values make a group (a scenario).
    metrics : sequence of str
        Metric columns.
    sort : bool
        Groups in sorted order; else in their order of appearance.

    Returns
    -------
    pandas.DataFrame
        One row per group and metric: the ``by`` columns, ``metric``, ``mean``,
        ``ci_low``, ``ci_high`` (NaN without an interval) and ``n`` (rows with a value).
    """
    rows = []
    for key, part in _groups(table, by, sort):
        for m in metrics:
            values = part[m] if m in part.columns else []
            rows.append({**dict(zip(by, key, strict=True)), "metric": m, **column_ci(values)})
    return pd.DataFrame(rows)


def paired_table(
    table: pd.DataFrame,
    by: Sequence[str],
    baselines: Mapping[tuple, tuple],
    metrics: Sequence[str],
    pair_on: Sequence[str] = ("seed", "replicate"),
) -> pd.DataFrame:
    """Each scenario against its baseline: :func:`paired_difference` of every metric.

    Parameters
    ----------
    table : pandas.DataFrame
        A tidy table: one row per scenario and replicate, metrics as columns.
    by : sequence of str
        Columns whose values name a scenario.
    baselines : mapping
        A scenario (tuple of its ``by`` values) to its baseline's; rows come in this
        order. A scenario that is its own baseline has a difference of exactly 0.
    metrics : sequence of str
        Metric columns; those not in ``table`` are left out.
    pair_on : sequence of str
        Columns that pair a scenario's row with its baseline's: rows with the same values
        ran from the same seed (common random numbers).

    Returns
    -------
    pandas.DataFrame
        One row per scenario and metric: the ``by`` columns, ``metric``, ``mean`` (the
        scenario's), ``baseline_mean``, ``diff`` (mean paired difference), ``ci_low``,
        ``ci_high`` (its 95% t-interval) and ``n`` (pairs with both values).
    """
    groups = dict(_groups(table, by, sort=False))
    empty = table.iloc[0:0]
    keys = list(pair_on)
    rows = []
    for key, base_key in baselines.items():
        part = groups.get(tuple(key), empty).set_index(keys)
        base = groups.get(tuple(base_key), empty).set_index(keys)
        for m in metrics:
            if m not in table.columns:
                continue
            joined = part[[m]].merge(
                base[[m]], how="inner", left_index=True, right_index=True, suffixes=("", "_base")
            )
            stat = ci_columns(paired_difference(_numbers(joined[m]), _numbers(joined[f"{m}_base"])))
            rows.append(
                {
                    **dict(zip(by, key, strict=True)),
                    "metric": m,
                    "mean": column_ci(part[m])["mean"],
                    "baseline_mean": column_ci(base[m])["mean"],
                    "diff": stat["mean"],
                    "ci_low": stat["ci_low"],
                    "ci_high": stat["ci_high"],
                    "n": stat["n"],
                }
            )
    return pd.DataFrame(rows)


def clean(obj: Any) -> Any:
    """Replace NaN with None recursively, for strict JSON."""
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [clean(v) for v in obj]
    if isinstance(obj, float):
        return _nan_to_none(obj)
    return obj
