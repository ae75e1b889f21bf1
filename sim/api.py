"""Helpers for analysis notebooks: grids of scenarios, tidy tables, priced levers, figures.

The notebooks in ``notebooks/`` call these functions so that they hold no model logic:
configurations are composed and validated by :mod:`sim.config`, runs go through
:func:`sim.runner.run_comparison` (every scenario of a grid gets the same replicate seeds,
so scenarios on the same area are paired by common random numbers), and metrics are the
headline metrics of ``docs/metrics.md``, named by their flat names (for example
``delay_days.onset_to_support.median``). Tables are computed from one tidy table of the
results (:func:`replicate_table`, the table :func:`sim.results.load` gives for a run or
sweep folder) by the statistics of :mod:`sim.summary` (means with 95% t-intervals,
paired differences).

Figures are returned as :class:`matplotlib.figure.Figure` objects (nothing is written to
disk) and use the Okabe-Ito colours of :mod:`sim.plots`.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim import metrics as registry
from sim.config import compose, validate
from sim.params import Config
from sim.results import replicate_rows
from sim.runner import ScenarioResult, run_comparison
from sim.summary import STAGES, flatten, level_table
from sim.summary import paired_table as summary_paired_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "DAYS_PER_YEAR",
    "HEADLINE_METRICS",
    "METRIC_LABELS",
    "MORRIS_COMMAND",
    "MORRIS_INDICES",
    "configure",
    "delay_grid_plot",
    "establishment_fte",
    "grid_plot",
    "latest_morris_results",
    "lever_overrides",
    "lever_plot",
    "lever_professions",
    "lever_table",
    "LeverStudy",
    "metric_table",
    "metric_values",
    "morris_plot",
    "paired_plot",
    "paired_table",
    "post_cost_per_year",
    "replicate_table",
    "run_grid",
    "run_morris",
    "run_workforce_levers",
    "utilisation_grid_plot",
    "utilisation_table",
]

DAYS_PER_YEAR = 365.25

#: Headline metrics the notebooks show, by flat name (definitions in docs/metrics.md).
HEADLINE_METRICS: tuple[str, ...] = (
    "early_identification_rate",
    *(f"delay_days.{name}.median" for name, _, _ in STAGES),
    "referrals_per_10k",
    "unmet_demand_hours",
    "staff_cost",
)

#: Plain-English labels with the unit of the values in :func:`metric_table` (as written,
#: not scaled), for tables and axes; from the registry (``sim.metrics``).
METRIC_LABELS: dict[str, str] = {
    m: registry.axis_label(m, scaled=False)
    for m in ("early_identification_rate", "identification_rate", *HEADLINE_METRICS)
}


def _metric_label(metric: str, scale: float = 1.0) -> str:
    """Axis label of a metric whose values are multiplied by ``scale``.

    The registry's label with the displayed unit when ``scale`` is the registry's display
    scale, with the written unit when it is 1, without a unit otherwise; an unregistered
    name is returned as it is.
    """
    if not registry.is_registered(metric):
        return metric
    if scale == registry.scale(metric):
        return registry.axis_label(metric)
    return registry.axis_label(metric, scaled=False) if scale == 1.0 else registry.label(metric)


def configure(*overrides: str) -> Config:
    """Compose ``configs/config.yaml`` with Hydra overrides and validate it.

    Later overrides of the same key win, as on the command line.

    Parameters
    ----------
    *overrides : str
        Hydra overrides, e.g. ``"area=shropshire"``, ``"team_model=virtual"``,
        ``"replicates=5"``.

    Returns
    -------
    sim.params.Config
        The validated configuration.

    Raises
    ------
    sim.config.ConfigError
        With one plain sentence if any setting is invalid.
    """
    return validate(compose(_last_wins(overrides)))


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def _last_wins(overrides: Sequence[str]) -> list[str]:
    """Keep the last override of each key (Hydra rejects a group chosen twice)."""
    out: dict[str, str] = {}
    for o in overrides:
        out.pop(_key(o), None)
        out[_key(o)] = o
    return list(out.values())


# --------------------------------------------------------------------------- grids


def run_grid(
    scenarios: Mapping[Hashable, Sequence[str]], common: Sequence[str] = (), progress: bool = True
) -> dict[Hashable, ScenarioResult]:
    """Run several scenarios with the same replicate seeds (common random numbers).

    Parameters
    ----------
    scenarios : mapping
        Scenario key (any hashable, e.g. ``("stockport", "virtual")``) to the overrides
        that define it.
    common : sequence of str
        Overrides every scenario shares, applied first: seed, replicates, years,
        warm-up, workers, down-scaling. They must not differ between scenarios in
        ``seed`` or ``replicates``.
    progress : bool
        Show a progress bar.

    Returns
    -------
    dict
        Scenario key to :class:`sim.runner.ScenarioResult`, in the order given.
    """
    cfgs = {
        key: configure(*common, *ov, f"progress={str(progress).lower()}")
        for key, ov in scenarios.items()
    }
    return run_comparison(cfgs, progress=progress)


def metric_values(result: ScenarioResult, metric: str) -> list[float]:
    """The value of one flat metric in each replicate (NaN where it is missing)."""
    values = [flatten(s).get(metric) for s in result.summaries]
    return [math.nan if v is None else float(v) for v in values]


def _key_columns(key: Hashable, names: Sequence[str]) -> dict[str, Any]:
    parts = key if isinstance(key, tuple) else (key,)
    if len(parts) != len(names):
        raise ValueError(f"scenario key {key!r} does not match the names {list(names)}")
    return dict(zip(names, parts, strict=True))


def replicate_table(
    results: Mapping[Hashable, ScenarioResult], names: Sequence[str] = ("scenario",)
) -> pd.DataFrame:
    """One row per scenario and replicate: the tidy table of :mod:`sim.results`.

    The columns are the parts of the scenario key (named by ``names``), ``replicate``
    and every metric under its flat name, as :func:`sim.results.load` gives for a run or
    sweep folder; the tables below are computed from it.

    Parameters
    ----------
    results : mapping
        Scenario key to result, as returned by :func:`run_grid`.
    names : sequence of str
        Column names for the parts of the scenario keys (a tuple key gives one column
        per part).
    """
    rows: list[dict[str, Any]] = []
    for key, result in results.items():
        rows += replicate_rows(result.summaries, _key_columns(key, names))
    return pd.DataFrame(rows)


def _with_metrics(table: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """``table`` with a column (all NaN) for each metric no scenario has."""
    missing = {m: math.nan for m in metrics if m not in table.columns}
    return table.assign(**missing) if missing else table


def metric_table(
    results: Mapping[Hashable, ScenarioResult],
    metrics: Sequence[str],
    names: Sequence[str] = ("scenario",),
) -> pd.DataFrame:
    """Mean and 95% confidence interval over replicates of each metric in each scenario.

    Parameters
    ----------
    results : mapping
        Scenario key to result, as returned by :func:`run_grid`.
    metrics : sequence of str
        Flat metric names (``docs/metrics.md``).
    names : sequence of str
        Column names for the parts of the scenario keys (a tuple key gives one column
        per part).

    Returns
    -------
    pandas.DataFrame
        One row per scenario and metric: the key columns, ``metric``, ``mean``,
        ``ci_low``, ``ci_high`` (a two-sided 95% t-interval; NaN with one replicate) and
        ``n`` (replicates with a value). Units are the metric's.
    """
    if not results:
        return pd.DataFrame()
    table = _with_metrics(replicate_table(results, names), metrics)
    return level_table(table, list(names), metrics, sort=False)


def paired_table(
    results: Mapping[Hashable, ScenarioResult],
    baselines: Mapping[Hashable, Hashable],
    metrics: Sequence[str],
    names: Sequence[str] = ("scenario",),
) -> pd.DataFrame:
    """Paired differences (scenario − its baseline), replicate by replicate.

    Replicate *r* of every scenario in a grid runs from the same seed, so the difference
    is formed within each replicate and summarised by its mean and 95% t-interval; this
    is much narrower than comparing two separate intervals.

    Parameters
    ----------
    results : mapping
        Scenario key to result, from :func:`run_grid`.
    baselines : mapping
        Scenario key to the key of the scenario it is compared with. Scenarios that are
        their own baseline get a difference of exactly 0.
    metrics : sequence of str
        Flat metric names.
    names : sequence of str
        Column names for the parts of the scenario keys.

    Returns
    -------
    pandas.DataFrame
        One row per scenario and metric: key columns, ``metric``, ``baseline_mean``,
        ``diff`` (mean paired difference), ``ci_low``, ``ci_high`` and ``n``.

    Raises
    ------
    KeyError
        If a scenario or baseline is not in ``results``.
    """
    for key in (*baselines, *baselines.values()):
        if key not in results:
            raise KeyError(key)
    if not baselines:
        return pd.DataFrame()
    table = _with_metrics(replicate_table(results, names), metrics)
    pairs = {
        tuple(_key_columns(key, names).values()): tuple(_key_columns(base, names).values())
        for key, base in baselines.items()
    }
    diffs = summary_paired_table(table, list(names), pairs, metrics, pair_on=("replicate",))
    return diffs.drop(columns="mean")


def utilisation_table(
    results: Mapping[Hashable, ScenarioResult], names: Sequence[str] = ("scenario",)
) -> pd.DataFrame:
    """Utilisation of each profession's multi-agency hours, with 95% CIs over replicates.

    Returns the rows of :func:`metric_table` for every ``utilisation.<profession>``
    metric that has a value, with an extra ``profession`` column. Professions whose
    multi-agency hours are never used (utilisation 0 in every scenario) are left out.
    """
    replicates = replicate_table(results, names)
    metrics = sorted(c for c in replicates.columns if c.startswith("utilisation."))
    table = level_table(replicates, list(names), metrics, sort=False)
    table["profession"] = table["metric"].str.removeprefix("utilisation.")
    used = table.groupby("profession")["mean"].max()
    return table[table["profession"].isin(used[used > 0].index)].reset_index(drop=True)


# --------------------------------------------------------------------------- workforce levers


def establishment_fte(cfg: Config, profession: str) -> float:
    """Full-time equivalent posts of ``profession`` in the area's establishment.

    ``professions.<p>.per_10k`` × ``area.workforce_scale`` ×
    ``area.establishment_scale.<p>`` × children / 10,000 (specialist posts included).
    """
    pc = cfg.professions[profession]
    scale = cfg.area.workforce_scale * cfg.area.establishment_scale.get(profession, 1.0)
    return pc.per_10k * scale * cfg.area.children / 10_000


def post_cost_per_year(cfg: Config, profession: str) -> float:
    """Employer cost of one full-time post for a year, in pounds.

    ``professions.<p>.hours_per_week`` × ``professions.<p>.hourly_cost`` × 365.25 / 7:
    every contracted hour is paid, whatever the post-holder spends it on.
    """
    pc = cfg.professions[profession]
    return pc.hours_per_week * pc.hourly_cost * DAYS_PER_YEAR / 7


def lever_professions(cfg: Config) -> list[str]:
    """Professions with posts in the establishment (``per_10k`` > 0), in config order."""
    return [p for p, pc in cfg.professions.items() if pc.per_10k > 0]


def lever_overrides(cfg: Config, profession: str, budget: float) -> tuple[list[str], float]:
    """Overrides that spend ``budget`` pounds a year on extra posts of one profession.

    Parameters
    ----------
    cfg : Config
        The configuration the extra posts are added to.
    profession : str
        A profession with posts in the establishment.
    budget : float
        Pounds a year.

    Returns
    -------
    overrides : list of str
        One ``+area.establishment_scale.<profession>=<multiplier>`` override.
    extra_fte : float
        Full-time equivalent posts the budget buys (spread over localities like the
        existing posts, and split between early help and specialist posts in the
        profession's ``specialist_share``).
    """
    base = establishment_fte(cfg, profession)
    if base <= 0:
        raise ValueError(
            f"profession {profession!r} has no posts in the establishment, "
            "so its establishment cannot be scaled"
        )
    extra = budget / post_cost_per_year(cfg, profession)
    multiplier = cfg.area.establishment_scale.get(profession, 1.0) * (1 + extra / base)
    return [f"+area.establishment_scale.{profession}={multiplier:.9g}"], extra


@dataclass
class LeverStudy:
    """Results of :func:`run_workforce_levers`.

    Attributes
    ----------
    results : scenario key ``(team_model, profession)`` to result; profession
        ``"baseline"`` is the establishment as configured.
    extra_fte : ``(team_model, profession)`` to the extra posts bought.
    budget : pounds a year spent on each profession's extra posts.
    post_cost : profession to the cost of one full-time post a year, in pounds.
    """

    results: dict[Hashable, ScenarioResult]
    extra_fte: dict[tuple[str, str], float]
    budget: float
    post_cost: dict[str, float] = field(default_factory=dict)


def run_workforce_levers(
    team_models: Sequence[str],
    professions: Sequence[str],
    budget: float,
    common: Sequence[str] = (),
    progress: bool = True,
) -> LeverStudy:
    """Under each team model, add ``budget`` pounds a year of posts of each profession.

    Every scenario (each team model's baseline and each lever) runs with the same
    replicate seeds, so each lever is compared with its team model's baseline replicate
    by replicate.

    Parameters
    ----------
    team_models : sequence of str
        Team models (``co_located``, ``virtual``, ``tac_only``).
    professions : sequence of str
        Professions to add posts to, one at a time.
    budget : float
        Pounds a year spent on extra posts in each lever scenario (the same for every
        profession, so effects compare per pound).
    common : sequence of str
        Overrides every scenario shares (area, seed, replicates, years, ...).
    progress : bool
        Show a progress bar.
    """
    scenarios: dict[Hashable, list[str]] = {}
    extra: dict[tuple[str, str], float] = {}
    costs: dict[str, float] = {}
    for tm in team_models:
        cfg = configure(*common, f"team_model={tm}")
        scenarios[(tm, "baseline")] = [f"team_model={tm}"]
        for prof in professions:
            ov, fte = lever_overrides(cfg, prof, budget)
            scenarios[(tm, prof)] = [f"team_model={tm}", *ov]
            extra[(tm, prof)] = fte
            costs[prof] = post_cost_per_year(cfg, prof)
    results = run_grid(scenarios, common, progress)
    return LeverStudy(results, extra, budget, costs)


def lever_table(
    study: LeverStudy, metrics: Sequence[str], per_pounds: float = 100_000.0
) -> pd.DataFrame:
    """Effect of each lever against its team model's baseline, per post and per pound.

    Parameters
    ----------
    study : LeverStudy
        From :func:`run_workforce_levers`.
    metrics : sequence of str
        Flat metric names.
    per_pounds : float
        Effects are also expressed per this many pounds a year (default £100,000).

    Returns
    -------
    pandas.DataFrame
        One row per team model, profession and metric: ``extra_fte``, ``post_cost``
        (£ a year), ``budget`` (£ a year), ``baseline_mean``, ``diff`` (lever −
        baseline, paired by replicate) with ``ci_low``, ``ci_high``, ``n``; ``per_post``
        (``diff`` / ``extra_fte``) and ``per_budget`` (``diff`` × ``per_pounds`` /
        ``budget``) with their intervals ``per_budget_low``, ``per_budget_high``.
        These are finite differences over the whole budget, not derivatives.
    """
    keys = typing.cast(list[tuple[str, str]], list(study.results))
    baselines: dict[Hashable, Hashable] = {
        key: (key[0], "baseline") for key in keys if key[1] != "baseline"
    }
    table = paired_table(study.results, baselines, metrics, ("team_model", "profession"))
    table.insert(
        2,
        "extra_fte",
        [
            study.extra_fte[(t, p)]
            for t, p in zip(table["team_model"], table["profession"], strict=True)
        ],
    )
    table.insert(3, "post_cost", table["profession"].map(study.post_cost))
    table.insert(4, "budget", study.budget)
    table["per_post"] = table["diff"] / table["extra_fte"]
    factor = per_pounds / study.budget
    table["per_budget"] = table["diff"] * factor
    table["per_budget_low"] = table["ci_low"] * factor
    table["per_budget_high"] = table["ci_high"] * factor
    return table


# --------------------------------------------------------------------------- figures


def _plt() -> Any:
    import matplotlib.pyplot as plt

    return plt


def _done(fig: Figure) -> Figure:
    """Close ``fig`` in pyplot and return it: a notebook then shows it once, as the
    cell's result, whatever the backend."""
    _plt().close(fig)
    return fig


def _label(name: str) -> str:
    from sim.plots import LABELS

    return LABELS.get(name, name.replace("_", " "))


def _colour(name: str, i: int = 0) -> str:
    from sim.plots import colour

    return colour(name, i)


def _yerr(df: pd.DataFrame, mean: str = "mean", scale: float = 1.0) -> np.ndarray:
    m = df[mean].to_numpy(float) * scale
    lo = df["ci_low"].to_numpy(float) * scale
    hi = df["ci_high"].to_numpy(float) * scale
    return np.nan_to_num(np.vstack([m - lo, hi - m]))


def grid_plot(
    table: pd.DataFrame,
    metric: str,
    own: Mapping[str, str] | None = None,
    scale: float = 1.0,
    ylabel: str | None = None,
    title: str | None = None,
) -> Figure:
    """Bars of one metric: a panel per area, a bar per team model, 95% CI whiskers.

    Parameters
    ----------
    table : DataFrame
        From :func:`metric_table` with ``names=("area", "team_model")``.
    metric : str
        Flat metric name.
    own : mapping, optional
        Area to its historical team model; that bar is outlined in black.
    scale : float
        Multiplies values (100 for a share shown in per cent).
    """
    plt = _plt()
    sub = table[table["metric"] == metric]
    areas = list(dict.fromkeys(sub["area"]))
    fig, axes = plt.subplots(
        1, len(areas), figsize=(3.6 * len(areas), 3.8), sharey=True, squeeze=False
    )
    for ax, area in zip(axes[0], areas, strict=True):
        rows = sub[sub["area"] == area]
        models = list(rows["team_model"])
        bars = ax.bar(
            [_label(m).replace(" ", "\n", 1) for m in models],
            rows["mean"].to_numpy(float) * scale,
            yerr=_yerr(rows, scale=scale),
            capsize=5,
            color=[_colour(m, i) for i, m in enumerate(models)],
        )
        if own and area in own:
            for bar, m in zip(bars, models, strict=True):
                if m == own[area]:
                    bar.set_edgecolor("black")
                    bar.set_linewidth(2)
        ax.set_title(area.replace("_", " ").title() + "-style area", fontsize=10)
        ax.tick_params(axis="x", labelsize=8)
    axes[0][0].set_ylabel(ylabel or _metric_label(metric, scale))
    fig.suptitle(
        title
        or _metric_label(metric, scale)
        + "\n(mean over replicates; whiskers 95% CI; outline: the area's own model)",
        fontsize=10,
    )
    fig.tight_layout()
    return _done(fig)


def delay_grid_plot(table: pd.DataFrame, stages: Sequence[str] | None = None) -> Figure:
    """Median delay of each stage: a panel per area, grouped bars by team model, 95% CIs.

    ``table`` is a :func:`metric_table` with ``names=("area", "team_model")`` holding the
    ``delay_days.<stage>.median`` metrics.
    """
    from sim.plots import STAGE_LABELS

    plt = _plt()
    stages = list(stages or [s for s, _, _ in STAGES])
    areas = list(dict.fromkeys(table["area"]))
    models = list(dict.fromkeys(table["team_model"]))
    fig, axes = plt.subplots(
        len(areas), 1, figsize=(10, 3.0 * len(areas)), sharex=True, squeeze=False
    )
    x = np.arange(len(stages))
    width = 0.8 / max(len(models), 1)
    for ax, area in zip(axes[:, 0], areas, strict=True):
        for i, m in enumerate(models):
            rows = (
                table[(table["area"] == area) & (table["team_model"] == m)]
                .set_index("metric")
                .reindex([f"delay_days.{s}.median" for s in stages])
            )
            ax.bar(
                x + (i - (len(models) - 1) / 2) * width,
                rows["mean"].to_numpy(float),
                width,
                yerr=_yerr(rows),
                capsize=3,
                color=_colour(m, i),
                label=_label(m),
            )
        ax.set_ylabel(registry.axis_label("delay_days.<stage>.median"))
        ax.set_title(area.replace("_", " ").title() + "-style area", fontsize=10)
    axes[-1, 0].set_xticks(x, [STAGE_LABELS.get(s, s) for s in stages], fontsize=8)
    axes[0, 0].legend(frameon=False, fontsize=8, ncol=len(models))
    fig.suptitle("How long each stage takes (median days; whiskers 95% CI)", fontsize=10)
    fig.tight_layout()
    return _done(fig)


def paired_plot(
    diffs: pd.DataFrame,
    metrics: Sequence[str],
    scale: Mapping[str, float] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Forest plot of paired differences against each area's own model, with 95% CIs.

    ``diffs`` is a :func:`paired_table` with ``names=("area", "team_model")``; rows where
    the team model is the area's own (difference 0) are left out. One panel per metric.
    """
    plt = _plt()
    scale = dict(scale or {})
    labels = dict(labels or {})
    d = diffs[diffs["n"] > 0]
    d = d[~((d["diff"] == 0) & (d["ci_low"].isna() | (d["ci_low"] == d["ci_high"])))]
    keys = list(dict.fromkeys(zip(d["area"], d["team_model"], strict=True)))
    fig, axes = plt.subplots(
        1,
        len(metrics),
        figsize=(4.2 * len(metrics), 0.45 * len(keys) + 1.6),
        sharey=True,
        squeeze=False,
    )
    y = np.arange(len(keys))[::-1]
    for ax, metric in zip(axes[0], metrics, strict=True):
        k = scale.get(metric, 1.0)
        rows = d[d["metric"] == metric].set_index(["area", "team_model"]).reindex(keys)
        for yi, (key, row) in zip(y, rows.iterrows(), strict=True):
            m = row["diff"] * k
            err = np.nan_to_num([[m - row["ci_low"] * k], [row["ci_high"] * k - m]])
            ax.errorbar(m, yi, xerr=err, fmt="o", color=_colour(key[1]), capsize=4)
        ax.axvline(0, color="grey", linewidth=0.8)
        ax.set_title(labels.get(metric, _metric_label(metric, k)), fontsize=9)
        ax.set_xlabel("Difference from the area's own model")
    axes[0][0].set_yticks(
        y, [f"{a.replace('_', ' ').title()}: {_label(t)}" for a, t in keys], fontsize=8
    )
    fig.suptitle(
        "Paired differences, other model − area's own model "
        "(common random numbers; whiskers 95% CI)",
        fontsize=10,
    )
    fig.tight_layout()
    return _done(fig)


def lever_plot(table: pd.DataFrame, metric: str, xlabel: str, scale: float = 1.0) -> Figure:
    """Horizontal bars: effect of each profession's extra posts per budget, by team model.

    ``table`` is a :func:`lever_table`; bars show ``per_budget`` × ``scale`` with 95% CI
    whiskers, one panel per team model, professions sorted by their mean effect.
    """
    plt = _plt()
    sub = table[table["metric"] == metric]
    models = list(dict.fromkeys(sub["team_model"]))
    order = sub.groupby("profession")["per_budget"].mean().sort_values().index.tolist()
    fig, axes = plt.subplots(
        1,
        len(models),
        figsize=(3.8 * len(models), 0.32 * len(order) + 1.8),
        sharey=True,
        sharex=True,
        squeeze=False,
    )
    y = np.arange(len(order))
    for i, (ax, m) in enumerate(zip(axes[0], models, strict=True)):
        rows = sub[sub["team_model"] == m].set_index("profession").reindex(order)
        mean = rows["per_budget"].to_numpy(float) * scale
        err = np.nan_to_num(
            np.vstack(
                [
                    mean - rows["per_budget_low"].to_numpy(float) * scale,
                    rows["per_budget_high"].to_numpy(float) * scale - mean,
                ]
            )
        )
        ax.barh(y, mean, xerr=err, capsize=3, color=_colour(m, i))
        ax.axvline(0, color="grey", linewidth=0.8)
        ax.set_title(_label(m), fontsize=10)
        ax.set_xlabel(xlabel, fontsize=8)
    axes[0][0].set_yticks(y, [p.replace("_", " ") for p in order], fontsize=8)
    fig.tight_layout()
    return _done(fig)


def utilisation_grid_plot(table: pd.DataFrame) -> Figure:
    """Heat map of utilisation: a panel per area, professions × team models, in per cent.

    ``table`` is a :func:`utilisation_table` with ``names=("area", "team_model")``. Each
    cell shows the mean over replicates of work hours / multi-agency hours available, and
    the half-width of its 95% confidence interval.
    """
    plt = _plt()
    k = registry.scale("utilisation.<profession>")
    areas = list(dict.fromkeys(table["area"]))
    models = list(dict.fromkeys(table["team_model"]))
    profs = sorted(dict.fromkeys(table["profession"]))
    fig, axes = plt.subplots(
        1,
        len(areas),
        figsize=(3.4 * len(areas) + 1.2, 0.36 * len(profs) + 1.8),
        sharey=True,
        squeeze=False,
    )
    im = None
    for ax, area in zip(axes[0], areas, strict=True):
        sub = table[table["area"] == area]
        mean = sub.pivot(index="profession", columns="team_model", values="mean")
        half = sub.assign(h=(sub["ci_high"] - sub["ci_low"]) / 2).pivot(
            index="profession", columns="team_model", values="h"
        )
        mean, half = (
            mean.reindex(index=profs, columns=models),
            half.reindex(index=profs, columns=models),
        )
        values = mean.to_numpy(float) * k
        im = ax.imshow(values, cmap="cividis", vmin=0, vmax=100, aspect="auto")
        for (r, c), v in np.ndenumerate(values):
            if not np.isnan(v):
                h = half.iat[r, c] * k
                text = f"{v:.0f}" + ("" if np.isnan(h) else f"±{h:.0f}")
                ax.text(
                    c,
                    r,
                    text,
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if v < 60 else "black",
                )
        ax.set_xticks(
            range(len(models)), [_label(m).replace(" ", "\n", 1) for m in models], fontsize=8
        )
        ax.set_title(area.replace("_", " ").title() + "-style area", fontsize=10)
    axes[0][0].set_yticks(range(len(profs)), [p.replace("_", " ") for p in profs], fontsize=8)
    fig.colorbar(im, ax=list(axes[0]), label=registry.axis_label("utilisation.<profession>"))
    fig.suptitle("Utilisation by profession (mean ± 95% CI half-width, per cent)", fontsize=10)
    return _done(fig)


# --------------------------------------------------------------------------- sensitivity

#: The Morris screening command (``python experiments/morris.py``).
MORRIS_COMMAND = Path(__file__).resolve().parent.parent / "experiments" / "morris.py"
#: File of Morris indices the command writes in its output folder.
MORRIS_INDICES = "morris_indices.csv"


def latest_morris_results(root: Path | str | None = None) -> Path | None:
    """The newest ``morris_indices.csv`` under ``root`` (default ``outputs/morris``).

    Returns None when there is none. Folders are compared by the file's modification
    time, so a screening re-run into an older folder counts as the newest.
    """
    root = Path(root) if root is not None else MORRIS_COMMAND.parent.parent / "outputs" / "morris"
    found = sorted(root.glob(f"**/{MORRIS_INDICES}"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def run_morris(out: Path | str, *args: str) -> Path:
    """Run the Morris screening command in this process and return its indices file.

    Parameters
    ----------
    out : path
        Folder the command writes ``morris_indices.csv``, ``morris_runs.csv`` and
        ``morris_mu_star_sigma.png`` to.
    *args : str
        The command's own options (``trajectories=N``, ``levels=4``,
        ``team_models=a,b``, ``morris_seed=1``) and Hydra overrides of the base scenario
        (``configs/experiment/morris.yaml``), exactly as on the command line.

    Raises
    ------
    RuntimeError
        If the command reports bad input (its message is printed to stderr).
    """
    import importlib.util

    spec = importlib.util.spec_from_file_location("sim_experiments_morris", MORRIS_COMMAND)
    if spec is None or spec.loader is None:  # pragma: no cover - file missing
        raise RuntimeError(f"the Morris command {MORRIS_COMMAND} cannot be loaded")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    status = module.main([f"out={out}", *args])
    if status != 0:
        raise RuntimeError(
            f"the Morris command stopped with status {status}; see the message above"
        )
    return Path(out) / MORRIS_INDICES


def morris_plot(indices: pd.DataFrame, labels: Mapping[str, str] | None = None) -> Figure:
    """mu* of every factor: a panel per output, bars grouped by team model.

    ``indices`` has the columns of ``morris_indices.csv`` (team_model, output, unit,
    factor, mu_star, mu_star_conf, ...). Whiskers are SALib's bootstrap 95% interval of
    mu* (``mu_star_conf``); factors are sorted by their largest mu* in each panel.
    """
    plt = _plt()
    labels = dict(labels or {})
    outputs = list(dict.fromkeys(indices["output"]))
    models = list(dict.fromkeys(indices["team_model"]))
    factors = list(dict.fromkeys(indices["factor"]))
    fig, axes = plt.subplots(
        1, len(outputs), figsize=(4.6 * len(outputs), 0.42 * len(factors) + 1.8), squeeze=False
    )
    height = 0.8 / max(len(models), 1)
    for ax, out in zip(axes[0], outputs, strict=True):
        sub = indices[indices["output"] == out]
        order = sub.groupby("factor")["mu_star"].max().sort_values().index.tolist()
        y = np.arange(len(order))
        for i, m in enumerate(models):
            rows = sub[sub["team_model"] == m].set_index("factor").reindex(order)
            ax.barh(
                y + (i - (len(models) - 1) / 2) * height,
                rows["mu_star"].to_numpy(float),
                height,
                xerr=np.nan_to_num(rows["mu_star_conf"].to_numpy(float)),
                capsize=2,
                color=_colour(m, i),
                label=_label(m),
            )
        ax.set_yticks(y, [f.replace("_", " ") for f in order], fontsize=8)
        unit = sub["unit"].iloc[0] if "unit" in sub and len(sub) else ""
        ax.set_xlabel(f"mu* ({unit})", fontsize=8)
        ax.set_title(labels.get(out, out.replace("_", " ")), fontsize=10)
    axes[0][0].legend(frameon=False, fontsize=8, loc="lower right")
    fig.suptitle(
        "Morris screening: mean absolute elementary effect of each factor "
        "(whiskers: bootstrap 95% CI)",
        fontsize=10,
    )
    fig.tight_layout()
    return _done(fig)
