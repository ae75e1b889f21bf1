"""Staff cost: whole posts, not hours worked.

Every post offers its multi-agency share of its hours (``hours x ma_share``: its
profession's targeted share, all of it for structure and specialist posts) whether or
not that time is used, so that is what multi-agency working costs the authority: a
structure post costs its salary however busy it is. Filled posts are costed at their
profession's hourly cost, agency cover at ``agency_cost_factor`` times it, and the
saving on vacant posts is reported apart. Cost per child supported divides the annual
cost by the children whose support started in the period, so that a cheaper scenario
says what it bought.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def staff_costs(
    series: pd.DataFrame,
    hourly_cost: dict[str, float],
    agency_cost_factor: float,
    years: float,
    supported_per_year: float,
) -> dict[str, Any]:
    """Annual costs in pounds from the weekly series.

    Returns ``staff_cost`` (permanent at salary plus agency at the agency rate),
    ``agency_cost`` (the agency part), ``vacancy_saving`` (vacant posts at salary),
    ``worked_hours_cost`` (only the hours worked on multi-agency and specialist tasks,
    for comparison) and ``cost_per_child_supported``.
    """
    by = series.groupby("profession", sort=True)
    rate = pd.Series({p: hourly_cost.get(str(p), 0.0) for p in by.groups}, dtype=float)
    permanent = (by["offered_permanent_hours"].sum() * rate).sum()
    agency = (by["offered_agency_hours"].sum() * rate).sum() * agency_cost_factor
    vacant = (by["offered_vacant_hours"].sum() * rate).sum()
    work = [c for c in series.columns if c.startswith("hours_") and c != "hours_home_duties"]
    worked = (by[work].sum().sum(axis=1) * rate).sum()
    cost = (permanent + agency) / years
    return {
        "staff_cost": float(cost),
        "agency_cost": float(agency / years),
        "vacancy_saving": float(vacant / years),
        "worked_hours_cost": float(worked / years),
        "cost_per_child_supported": (
            float(cost / supported_per_year) if supported_per_year > 0 else math.nan
        ),
    }
