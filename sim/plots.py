"""Plots for people who would rather look than read.

Plotting reads the tables a run wrote; the model never plots. Colours are the
Okabe-Ito palette, which colour-blind readers can tell apart; every axis has a unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim import metrics as registry  # noqa: E402
from sim.results import atomic_path  # noqa: E402
from sim.summary import STAGES, WORK_ACTIVITIES, mean_ci  # noqa: E402
from sim.team_models import REGISTRY  # noqa: E402

#: Each team model's colour and plain name, from its class (``sim.team_models``).
PALETTE = {name: cls.colour for name, cls in REGISTRY.items()}
EXTRA = ["#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
LABELS = {name: cls.label for name, cls in REGISTRY.items()}
#: Tick labels of the pathway stages: the registry's stage labels (``sim.metrics``) on
#: two lines.
STAGE_LABELS = {s: text.replace(" → ", "\n→ ") for s, text in registry.STAGE_LABELS.items()}


#: The registered family of utilisation metrics (``sim.metrics``).
UTILISATION = "utilisation.<profession>"
#: Utilisation from which a profession is saturated: with 95% or more of its
#: multi-agency hours in use its queue grows without limit, and the report warns.
SATURATED = 0.95


def _utilisation_heatmap(grid: pd.DataFrame, labels: list[str]) -> plt.Figure:
    """Heatmap of utilisation shares (profession rows x team model columns, 0-1); cells
    at :data:`SATURATED` or more are outlined."""
    from matplotlib.patches import Rectangle

    values = grid.to_numpy(dtype=float)
    k = registry.scale(UTILISATION)
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(labels), 0.4 * len(grid) + 1.5))
    im = ax.imshow(values * k, cmap="cividis", vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(grid)), [p.replace("_", " ") for p in grid.index])
    full = False
    for (r, c), v in np.ndenumerate(values):
        if not np.isnan(v):
            # A share just under the threshold is not rounded up to it.
            text = f"{v * k:.1f}%" if SATURATED - 0.005 <= v < SATURATED else f"{v * k:.0f}%"
            ax.text(
                c,
                r,
                text,
                ha="center",
                va="center",
                color="white" if v < 0.6 else "black",
                fontsize=8,
                fontweight="bold" if v >= SATURATED else "normal",
            )
            if v >= SATURATED:
                full = True
                ax.add_patch(
                    Rectangle(
                        (c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="#D55E00", linewidth=2.5
                    )
                )
    fig.colorbar(im, ax=ax, label=registry.axis_label(UTILISATION))
    ax.set_title(
        "Workforce utilisation by profession"
        + (f"\n(outlined: {SATURATED * k:.0f}% or more, saturated)" if full else "")
    )
    return fig


def colour(name: str, i: int = 0) -> str:
    """Colour of a team model."""
    return PALETTE.get(name, EXTRA[i % len(EXTRA)])


def save_figure(fig: plt.Figure, path: Path, dpi: int = 120) -> None:
    """Write ``fig`` to ``path`` atomically (format from the suffix, no timestamps, so
    equal figures give equal bytes) and close it; creates the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(
                tmp,
                format=path.suffix.lstrip(".") or None,
                dpi=dpi,
                bbox_inches="tight",
                metadata={"Software": None},
            )
    finally:
        plt.close(fig)


def _rows(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    return table[table["metric"] == metric].set_index("team_model")


def _err(rows: pd.DataFrame, scale: float = 1.0) -> np.ndarray:
    mean = rows["mean"].astype(float).to_numpy() * scale
    lo = rows["ci_low"].astype(float).to_numpy() * scale
    hi = rows["ci_high"].astype(float).to_numpy() * scale
    return np.nan_to_num(np.vstack([mean - lo, hi - mean]))


def early_identification_plot(table: pd.DataFrame, path: Path) -> None:
    """Bar chart: share of needs identified before escalating, by team model, with CIs."""
    save_figure(early_identification_figure(table), path)


def early_identification_figure(table: pd.DataFrame) -> plt.Figure:
    """Bar chart of the early identification rate by team model, with 95% CIs.

    Parameters
    ----------
    table : pandas.DataFrame
        Long table like ``comparison.csv`` (columns ``metric``, ``team_model``, ``mean``,
        ``ci_low``, ``ci_high``; shares 0-1). With an ``area`` column holding several
        areas, bars are grouped by area and coloured by team model.

    Returns
    -------
    matplotlib.figure.Figure
    """
    metric = "early_identification_rate"
    k = registry.scale(metric)
    if "area" in table.columns and table["area"].nunique() > 1:
        return _grouped_by_area(
            table,
            metric,
            k,
            registry.axis_label(metric),
            "Early identification by area and team model\n(bars: 95% confidence intervals)",
            ylim=(0, 100),
        )
    rows = _rows(table, metric)
    models = list(rows.index)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.bar(
        [LABELS.get(m, m) for m in models],
        rows["mean"].astype(float) * k,
        yerr=_err(rows, k),
        capsize=6,
        color=[colour(m, i) for i, m in enumerate(models)],
    )
    ax.set_ylabel(registry.axis_label(metric))
    ax.set_ylim(0, 100)
    ax.set_title("Early identification by team model\n(bars: 95% confidence intervals)")
    return fig


def delay_plot(table: pd.DataFrame, path: Path) -> None:
    """Grouped bars: median delay of each stage by team model, with CIs."""
    save_figure(delay_figure(table), path)


def delay_figure(table: pd.DataFrame) -> plt.Figure:
    """Grouped bars of the median delay of each pathway stage by team model (days).

    Parameters
    ----------
    table : pandas.DataFrame
        Long table like ``comparison.csv``, with ``delay_days.<stage>.median`` rows.

    Returns
    -------
    matplotlib.figure.Figure
    """
    models = list(dict.fromkeys(table["team_model"]))
    stages = [s[0] for s in STAGES]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / max(len(models), 1)
    x = np.arange(len(stages))
    for i, m in enumerate(models):
        sub = table[table["team_model"] == m].set_index("metric")
        keys = [f"delay_days.{s}.median" for s in stages]
        rows = sub.reindex(keys)
        ax.bar(
            x + (i - (len(models) - 1) / 2) * width,
            rows["mean"].astype(float),
            width,
            yerr=_err(rows),
            capsize=3,
            color=colour(m, i),
            label=LABELS.get(m, m),
        )
    ax.set_xticks(x, [STAGE_LABELS[s] for s in stages], fontsize=8)
    ax.set_ylabel(registry.axis_label("delay_days.<stage>.median"))
    ax.set_title("How long each stage takes, by team model (medians; 95% CIs)")
    ax.legend(frameon=False)
    return fig


def utilisation_plot(series: pd.DataFrame, path: Path) -> None:
    """Heatmap: share of each profession's multi-agency hours in use, by team model."""
    save_figure(utilisation_figure(series), path)


def utilisation_figure(series: pd.DataFrame) -> plt.Figure:
    """Heatmap of the share of each profession's multi-agency hours in use (%).

    Parameters
    ----------
    series : pandas.DataFrame
        Weekly series (``series.parquet``) with a ``team_model`` column.

    Returns
    -------
    matplotlib.figure.Figure
    """
    work = [f"hours_{a}" for a in WORK_ACTIVITIES]
    s = series.assign(work=series[work].sum(axis=1))
    g = s.groupby(["profession", "team_model"])[["work", "ma_capacity_hours"]].sum()
    util = (g["work"] / g["ma_capacity_hours"].where(g["ma_capacity_hours"] > 0)).unstack()
    util = util.dropna(how="all")
    models = [m for m in dict.fromkeys(series["team_model"]) if m in util.columns]
    util = util[models]
    return _utilisation_heatmap(util, [LABELS.get(m, m) for m in models])


def comparison_plots(
    outdir: Path, table: pd.DataFrame, series: pd.DataFrame, baseline: str
) -> list[Path]:
    """Write the main job's plots; returns their paths."""
    paths = [outdir / "early_identification.png", outdir / "delays.png", outdir / "utilisation.png"]
    early_identification_plot(table, paths[0])
    delay_plot(table, paths[1])
    utilisation_plot(series, paths[2])
    return paths


# ------------------------------------------------------------------ report figures
#: Colours for categories that are not team models (Okabe-Ito, black last).
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


#: Plain names of professions (kept with the metric labels in ``sim.metrics``).
PROFESSION_LABELS = registry.PROFESSION_LABELS


def label(name: str) -> str:
    """Plain-language name of a team model, area or profession."""
    if name in LABELS:
        return LABELS[name]
    if name in PROFESSION_LABELS:
        return PROFESSION_LABELS[name]
    return str(name).replace("_", " ").capitalize()


def png_bytes(fig: plt.Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (no timestamps, so equal figures give equal bytes)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _grouped_by_area(
    table: pd.DataFrame,
    metric: str,
    scale: float,
    ylabel: str,
    title: str,
    ylim: tuple[float, float] | None = None,
) -> plt.Figure:
    """Bars of ``metric`` grouped by area, one colour per team model, with 95% CIs."""
    rows = table[table["metric"] == metric]
    areas = list(dict.fromkeys(rows["area"]))
    models = list(dict.fromkeys(rows["team_model"]))
    fig, ax = plt.subplots(figsize=(max(6.5, 1.6 * len(areas) * max(len(models), 1) / 2), 4))
    width = 0.8 / max(len(models), 1)
    x = np.arange(len(areas))
    for i, m in enumerate(models):
        sub = rows[rows["team_model"] == m].set_index("area").reindex(areas)
        ax.bar(
            x + (i - (len(models) - 1) / 2) * width,
            sub["mean"].astype(float) * scale,
            width,
            yerr=_err(sub, scale),
            capsize=4,
            color=colour(m, i),
            label=label(m),
        )
    ax.set_xticks(x, [label(a) for a in areas])
    ax.set_xlabel("Area")
    ax.set_ylabel(ylabel)
    if ylim:
        ax.set_ylim(*ylim)
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    return fig


@dataclass(frozen=True)
class WaitCurve:
    """One team model's line in :func:`delay_distribution_figure`: the numbers it plots.

    Attributes
    ----------
    percent : numpy.ndarray
        Percentages of the children supported, 0 to 100.
    days : numpy.ndarray
        For each percentage, the mean over replicates of that percentile of the
        replicate's waits from need to support (days).
    median : float
        The line at 50%: the mean over replicates of each replicate's median wait, the
        same number as ``delay_days.onset_to_support.median`` in ``summary.json`` when
        the episodes are the ones it was computed from.
    ci_low, ci_high : float or None
        Its 95% t-interval over replicates (None with fewer than two).
    children : int
        Children whose wait was measured, all replicates together.
    replicates : int
        Replicates with at least one measured wait.
    """

    percent: np.ndarray
    days: np.ndarray
    median: float
    ci_low: float | None
    ci_high: float | None
    children: int
    replicates: int


def wait_curves(episodes: pd.DataFrame) -> dict[str, WaitCurve]:
    """The lines of :func:`delay_distribution_figure`, by team model.

    The waits are those of ``delay_days.onset_to_support`` (``sim.summary``): days from
    a need emerging to support starting, over the episodes that are not step-downs and
    whose support started (completers only). Each replicate's waits give its percentiles;
    the line is their mean over replicates at each percentage (a quantile average), so
    it crosses 50% at the mean of the replicates' medians: the key measures' number.

    Parameters
    ----------
    episodes : pandas.DataFrame
        ``episodes.parquet`` or ``episodes_followed.parquet`` (``onset_day``,
        ``support_start_day``, ``step_down``, ``team_model``, ``replicate``).

    Returns
    -------
    dict of str to WaitCurve
        Team models with at least one measured wait, in their order in ``episodes``.
    """
    fresh = episodes[~episodes["step_down"].astype(bool)]
    d = fresh.assign(delay=fresh["support_start_day"] - fresh["onset_day"]).dropna(subset=["delay"])
    if "replicate" not in d.columns:
        d = d.assign(replicate=0)
    p = np.linspace(0.0, 1.0, 201)
    out: dict[str, WaitCurve] = {}
    for m in dict.fromkeys(episodes["team_model"]):
        sub = d[d["team_model"] == m]
        waits = [g.to_numpy(dtype=float) for _, g in sub.groupby("replicate")["delay"]]
        waits = [w for w in waits if len(w)]
        if not waits:
            continue
        st = mean_ci([float(np.median(w)) for w in waits])
        lo, hi = st["ci95"]
        out[str(m)] = WaitCurve(
            p * 100,
            np.mean([np.quantile(w, p) for w in waits], axis=0),
            float(st["mean"]),
            lo,
            hi,
            int(sum(len(w) for w in waits)),
            len(waits),
        )
    return out


def _days(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.1f}"


def delay_distribution_figure(
    episodes: pd.DataFrame | None = None,
    horizon_days: float | None = None,
    curves: dict[str, WaitCurve] | None = None,
) -> plt.Figure:
    """Share of the children supported whose wait from need to support was at most each
    number of days, one line per team model (:func:`wait_curves`).

    Parameters
    ----------
    episodes : pandas.DataFrame, optional
        The episodes the key measures' waits were computed from:
        ``episodes_followed.parquet`` after a follow-up period, else
        ``episodes.parquet`` (needs ``onset_day``, ``support_start_day``, ``step_down``,
        ``team_model``; ``replicate`` when there are several).
    horizon_days : float, optional
        Right end of the axis; by default the largest 95th percentile of the lines.
    curves : dict of str to WaitCurve, optional
        The lines, as :func:`wait_curves` gives them, instead of ``episodes`` (so that a
        caller can state the numbers the figure draws).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if curves is None:
        if episodes is None:
            raise ValueError("delay_distribution_figure needs episodes or curves")
        curves = wait_curves(episodes)
    fig, ax = plt.subplots(figsize=(7.5, 4))
    styles = ["-", "--", ":", "-."]
    models = list(curves)
    for i, m in enumerate(models):
        c = curves.get(str(m))
        if c is None:
            continue
        ci = (
            ""
            if c.ci_low is None or c.ci_high is None
            else f", 95% CI {_days(max(c.ci_low, 0.0))} to {_days(c.ci_high)}"
        )
        ax.plot(
            c.days,
            c.percent,
            color=colour(m, i),
            linestyle=styles[i % len(styles)],
            linewidth=2,
            label=f"{label(m)}: median {_days(c.median)} days{ci} ({c.children:,} children)",
        )
        ax.plot([c.median], [50], "o", color=colour(m, i), markersize=5)
    if horizon_days is None and curves:
        horizon_days = max(float(np.interp(95, c.percent, c.days)) for c in curves.values())
    if horizon_days:
        ax.set_xlim(0, horizon_days)
    ax.set_ylim(0, 100)
    ax.axhline(50, color="#999999", linewidth=0.8, zorder=0)
    ax.set_xlabel("Days from the need emerging to support starting")
    ax.set_ylabel("Children supported within that\ntime (% of those supported)")
    ax.set_title(
        "Wait from need to support, children whose support started (completers only)\n"
        "(mean of the replicates; dots: the median)"
    )
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    return fig


#: The registered shares supported within a number of days of identification.
WITHIN = tuple(f"time_to_support.supported_within_{d}d" for d in (30, 90, 180))


def time_to_support_figure(table: pd.DataFrame) -> plt.Figure:
    """Grouped bars: the share of identified children supported within 30, 90 and 180
    days of identification, by team model, with 95% CIs (cut at 0 and 100%).

    Parameters
    ----------
    table : pandas.DataFrame
        Long table like ``comparison.csv`` with ``time_to_support.supported_within_<d>d``
        rows (shares 0-1).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    KeyError
        If the table has none of those rows (a run written before they existed).
    """
    if not table["metric"].isin(WITHIN).any():
        raise KeyError("time_to_support.supported_within_<d>d")
    models = list(dict.fromkeys(table["team_model"]))
    k = registry.scale(WITHIN[0])
    fig, ax = plt.subplots(figsize=(7.5, 4))
    width = 0.8 / max(len(models), 1)
    x = np.arange(len(WITHIN))
    for i, m in enumerate(models):
        rows = table[table["team_model"] == m].set_index("metric").reindex(list(WITHIN))
        err = _clipped_err(rows, k)
        mean = rows["mean"].astype(float).to_numpy() * k
        err[1] = np.minimum(err[1], np.nan_to_num(100 - mean))
        ax.bar(
            x + (i - (len(models) - 1) / 2) * width,
            mean,
            width,
            yerr=err,
            capsize=3,
            color=colour(m, i),
            label=label(m),
        )
    ax.set_xticks(x, [f"within {d} days" for d in (30, 90, 180)])
    ax.set_xlabel("Time since the need was identified")
    ax.set_ylabel("Identified children supported (%)")
    ax.set_ylim(0, 100)
    ax.set_title(
        "Children supported within 30, 90 and 180 days of identification\n"
        "(every identified child offered early help counts; 95% CIs)"
    )
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    return fig


def queues_figure(series: pd.DataFrame) -> plt.Figure:
    """Queues and caseloads week by week, one line per team model.

    Panels: children waiting for a TAC member; referrals waiting in social care and
    CAMHS; early-help cases per filled FTE; cases per filled social worker FTE. Lines are
    the mean over replicates; shading spans the lowest and highest replicate.

    Parameters
    ----------
    series : pandas.DataFrame
        ``series.parquet`` with a ``team_model`` column.

    Returns
    -------
    matplotlib.figure.Figure
    """
    s = series
    # Early help: professions that held multi-agency cases at some point (universal
    # staff such as teachers identify needs but hold no cases, and would dilute the
    # ratio); specialist services are shown in their own panel.
    holders = set(s.loc[s["cases"] > 0, "profession"])
    eh = s["profession"].isin(holders - {"social_worker", "camhs_worker"})
    cols = pd.DataFrame(
        {
            "team_model": s["team_model"],
            "day": s["day"],
            "replicate": s["replicate"] if "replicate" in s.columns else 0,
            "q_eh": s["queue_early_help"],
            "q_sp": s["queue_specialist"],
            "c_eh": s["cases"].where(eh, 0.0),
            "f_eh": s["filled_fte"].where(eh, 0.0),
            "c_sw": s["specialist_cases"],
            "f_sw": s["specialist_filled_fte"],
        }
    )
    week = cols.groupby(["team_model", "day", "replicate"], sort=True).sum()
    week["r_eh"] = week["c_eh"] / week["f_eh"].where(week["f_eh"] > 0)
    week["r_sw"] = week["c_sw"] / week["f_sw"].where(week["f_sw"] > 0)
    band = week.groupby(["team_model", "day"], sort=True)[["q_eh", "q_sp", "r_eh", "r_sw"]].agg(
        ["mean", "min", "max"]
    )
    panels = [
        ("Children waiting for a\nTAC member (children)", "q_eh"),
        ("Referrals waiting in social\ncare and CAMHS (referrals)", "q_sp"),
        ("Early-help cases per\nfilled post (cases per FTE)", "r_eh"),
        ("Cases per filled social\nworker post (cases per FTE)", "r_sw"),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), sharex=True)
    models = list(dict.fromkeys(s["team_model"]))
    for ax, (title, key) in zip(axes.flat, panels, strict=True):
        for i, m in enumerate(models):
            b = band.loc[m, key]
            weeks = b.index.to_numpy(dtype=float) / 7.0
            ax.plot(weeks, b["mean"], color=colour(m, i), label=label(m), linewidth=1.8)
            ax.fill_between(weeks, b["min"], b["max"], color=colour(m, i), alpha=0.15, linewidth=0)
        ax.set_ylabel(title, fontsize=9)
        ax.set_ylim(bottom=0)
        if ax.get_ylim()[1] < 1:
            ax.set_ylim(0, 1)
            ax.text(
                0.5,
                0.5,
                "None at any week of this run",
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=9,
                color="#555555",
            )
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("Weeks since observation began")
    axes[0, 0].legend(frameon=False, fontsize=8)
    fig.suptitle(
        "Queues and caseloads over time (line: mean of replicates; shading: range of replicates)",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def _clipped_err(rows: pd.DataFrame, scale: float) -> np.ndarray:
    """Error bars cut at zero, for quantities that cannot be negative."""
    err = _err(rows, scale)
    mean = rows["mean"].astype(float).to_numpy() * scale
    err[0] = np.minimum(err[0], np.nan_to_num(mean))
    return err


def _metric_bars(ax: plt.Axes, table: pd.DataFrame, metric: str) -> None:
    """Bars of one registered metric by team model, in its display unit, CIs cut at zero."""
    scale = registry.scale(metric)
    ylabel = registry.axis_label(metric, width=26)
    rows = _rows(table, metric)
    models = list(rows.index)
    ax.bar(
        range(len(models)),
        rows["mean"].astype(float) * scale,
        yerr=_clipped_err(rows, scale),
        capsize=5,
        color=[colour(m, i) for i, m in enumerate(models)],
    )
    ax.set_xticks(range(len(models)), [label(m).replace(" ", "\n", 1) for m in models], fontsize=8)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))


def escalation_figure(table: pd.DataFrame) -> plt.Figure:
    """Escalation and demand on specialist services by team model, with 95% CIs.

    Panels: needs that escalated (%), referrals to children's social care and referrals
    to CAMHS (per 10,000 children a year).

    Parameters
    ----------
    table : pandas.DataFrame
        Long table like ``comparison.csv``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.8))
    for ax, metric in zip(
        axes, ("escalation_rate", "referrals_per_10k", "camhs_referrals_per_10k"), strict=True
    ):
        _metric_bars(ax, table, metric)
    fig.suptitle(
        "Escalation to specialist services, by team model "
        "(error bars: 95% confidence intervals, cut at zero)",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def staff_cost_by_profession(
    series: pd.DataFrame, hourly_cost: dict[str, float], agency_cost_factor: float, years: float
) -> pd.DataFrame:
    """``staff_cost`` split by profession: team model rows, profession columns, £ a year.

    Whole posts, as :func:`sim.costs.staff_costs` counts them: the multi-agency share of
    every filled post's hours at its profession's hourly cost, agency cover at
    ``agency_cost_factor`` times it; the mean over replicates, so each row sums to the
    team model's ``staff_cost`` in ``summary.json``.

    Parameters
    ----------
    series : pandas.DataFrame
        ``series.parquet`` with ``team_model``, ``replicate``, ``profession``,
        ``offered_permanent_hours`` and ``offered_agency_hours``.
    hourly_cost : dict
        Pounds per hour by profession.
    agency_cost_factor : float
        Agency cover's hourly cost over a permanent post's.
    years : float
        Observed years of the run.

    Returns
    -------
    pandas.DataFrame
    """
    rate = series["profession"].map(hourly_cost).fillna(0.0)
    cost = (
        series["offered_permanent_hours"] + series["offered_agency_hours"] * agency_cost_factor
    ) * rate
    s = series.assign(cost=cost)
    if "replicate" not in s.columns:
        s = s.assign(replicate=0)
    reps = s.groupby("team_model")["replicate"].nunique()
    by = s.groupby(["team_model", "profession"])["cost"].sum().unstack(fill_value=0.0)
    return by.div(reps, axis=0) / years


def staff_cost_figure(
    table: pd.DataFrame,
    series: pd.DataFrame | None = None,
    hourly_cost: dict[str, float] | None = None,
    years: float | None = None,
    agency_cost_factor: float = 1.0,
) -> plt.Figure:
    """Staff cost a year (whole posts) by team model, and what it bought.

    Left: ``staff_cost`` with its 95% CI; with ``series``, ``hourly_cost`` and ``years``
    the bars are split by profession (:func:`staff_cost_by_profession`: the six
    costliest, the rest as "other professions"). A hatched block on top is
    ``vacancy_saving``: what the vacant posts would have cost, not part of the cost.
    Right (when the table has them): ``cost_per_child_supported`` with its 95% CI, each
    bar labelled with ``children_supported_per_year``.

    Parameters
    ----------
    table : pandas.DataFrame
        Long table like ``comparison.csv`` with ``staff_cost`` rows (pounds a year).
    series : pandas.DataFrame, optional
        ``series.parquet`` with ``team_model`` (and ``replicate``) columns.
    hourly_cost : dict, optional
        Pounds per hour by profession.
    years : float, optional
        Observed years of the run.
    agency_cost_factor : float
        Agency cover's hourly cost over a permanent post's (``workforce``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows = _rows(table, "staff_cost")
    models = list(rows.index)
    per_child = _rows(table, "cost_per_child_supported").reindex(models)
    supported = _rows(table, "children_supported_per_year").reindex(models)
    saving = _rows(table, "vacancy_saving").reindex(models)
    two = per_child["mean"].notna().any()
    fig, axes = plt.subplots(1, 2 if two else 1, figsize=(11.5 if two else 7.5, 4.2), squeeze=False)
    ax = axes[0, 0]
    x = np.arange(len(models))
    scale = registry.scale("staff_cost")
    mean = rows["mean"].astype(float).to_numpy() * scale
    split = (
        series is not None
        and bool(hourly_cost)
        and bool(years)
        and {"offered_permanent_hours", "offered_agency_hours"} <= set(series.columns)
    )
    if split and series is not None and hourly_cost and years:
        by = staff_cost_by_profession(series, hourly_cost, agency_cost_factor, years)
        by = by.reindex(models).fillna(0.0)
        top = list(by.sum().sort_values(ascending=False).index[:6])
        other = [c for c in by.columns if c not in top]
        parts = [(label(p), by[p]) for p in top]
        if other:
            parts.append(("Other professions", by[other].sum(axis=1)))
        bottom = np.zeros(len(models))
        for j, (name, vals) in enumerate(parts):
            v = vals.to_numpy(dtype=float) * scale
            ax.bar(
                x,
                v,
                0.6,
                bottom=bottom,
                color=OKABE_ITO[j % len(OKABE_ITO)],
                label=name,
                edgecolor="white",
                linewidth=0.5,
            )
            bottom += v
        color: str | list[str] = "none"
    else:
        color = [colour(m, i) for i, m in enumerate(models)]
    ax.bar(
        x,
        mean,
        0.6,
        yerr=_clipped_err(rows, scale),
        capsize=6,
        color=color,
        ecolor="black",
    )
    if saving["mean"].notna().any():
        ax.bar(
            x,
            saving["mean"].astype(float).fillna(0.0).to_numpy() * scale,
            0.6,
            bottom=mean,
            color="none",
            edgecolor="#555555",
            hatch="///",
            linewidth=0.8,
            label="Vacant posts\n(a saving, not\nin the cost)",
        )
    ax.set_xticks(x, [label(m).replace(" ", "\n", 1) for m in models], fontsize=8)
    ax.set_ylabel(registry.axis_label("staff_cost"))
    ax.set_title("Staff cost, whole posts\n(used or not; 95% CIs of the total)", fontsize=10)
    if split or saving["mean"].notna().any():
        ax.legend(
            frameon=False,
            fontsize=7,
            bbox_to_anchor=(1.02, 1),
            loc="upper left",
            title="Profession" if split else None,
            title_fontsize=7,
        )
    if two:
        ax2 = axes[0, 1]
        _metric_bars(ax2, table, "cost_per_child_supported")
        k2 = registry.scale("cost_per_child_supported")
        # Above the error bar, or the bar when it has none.
        tops = (per_child["ci_high"].astype(float).fillna(per_child["mean"]) * k2).to_numpy()
        for i, (top_, n) in enumerate(zip(tops, supported["mean"].astype(float), strict=True)):
            if np.isnan(top_) or np.isnan(n):
                continue
            ax2.annotate(
                f"{n:,.0f} children\nsupported a year",
                (i, top_),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
            )
        ax2.set_ylim(top=ax2.get_ylim()[1] * 1.25)
        ax2.set_title("What it bought: cost per child supported\n(95% CIs)", fontsize=10)
    fig.suptitle("Staff cost of multi-agency and specialist work, a year", fontsize=11)
    fig.tight_layout()
    return fig


def utilisation_by_metrics_figure(table: pd.DataFrame) -> plt.Figure:
    """Heatmap of utilisation by profession from ``utilisation.<profession>`` rows.

    The values are the table's: the mean over replicates of each replicate's
    utilisation, as ``summary.json`` holds it (the report's figure and its warning about
    saturated professions read the same numbers); in a sweep table pooled over jobs.

    Parameters
    ----------
    table : pandas.DataFrame
        Long table with ``metric``, ``team_model`` and ``mean`` columns (shares 0-1).

    Returns
    -------
    matplotlib.figure.Figure
    """
    u = table[table["metric"].str.startswith("utilisation.")]
    grid = u.assign(profession=u["metric"].str.split(".", n=1).str[1]).pivot_table(
        index="profession", columns="team_model", values="mean", aggfunc="mean"
    )
    models = [m for m in dict.fromkeys(u["team_model"]) if m in grid.columns]
    grid = grid[models].dropna(how="all")
    return _utilisation_heatmap(grid, [label(m) for m in models])


def sweep_effect_figure(
    stats: pd.DataFrame,
    param: str,
    metrics: list[tuple[str, str, float]],
    param_label: str | None = None,
) -> plt.Figure:
    """Each metric against one swept parameter, with 95% confidence bands.

    Parameters
    ----------
    stats : pandas.DataFrame
        One row per (group, value of ``param``) with columns ``value``, ``group`` (e.g.
        the team model, or ``"all"``) and, for each metric, ``<metric>.mean``,
        ``<metric>.ci_low`` and ``<metric>.ci_high``.
    param : str
        The swept parameter (configuration key).
    metrics : list of (metric, axis label with unit, scale)
        The metrics to draw, one panel each.
    param_label : str, optional
        Axis label of the parameter.

    Returns
    -------
    matplotlib.figure.Figure
    """
    n = len(metrics)
    cols = min(n, 2)
    rows_ = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows_, cols, figsize=(5 * cols, 3.4 * rows_), squeeze=False)
    numeric = pd.api.types.is_numeric_dtype(stats["value"])
    groups = list(dict.fromkeys(stats["group"]))
    cats = list(dict.fromkeys(stats["value"])) if not numeric else []
    for k, (metric, ylabel, scale) in enumerate(metrics):
        ax = axes.flat[k]
        for i, g in enumerate(groups):
            sub = (
                stats[stats["group"] == g].sort_values("value")
                if numeric
                else stats[stats["group"] == g]
            )
            mean = sub[f"{metric}.mean"].astype(float) * scale
            lo = sub[f"{metric}.ci_low"].astype(float) * scale
            hi = sub[f"{metric}.ci_high"].astype(float) * scale
            c = colour(g, i) if g != "all" else OKABE_ITO[0]
            name = label(g) if g != "all" else None
            lo = lo.clip(lower=0)  # every metric drawn here is non-negative
            style = ["-", "--", ":", "-."][i % 4]
            if numeric:
                xv = sub["value"].astype(float)
                ax.plot(
                    xv, mean, "o", linestyle=style, color=c, label=name, linewidth=1.8, markersize=4
                )
                ax.fill_between(
                    xv, lo.fillna(mean), hi.fillna(mean), color=c, alpha=0.12, linewidth=0
                )
                ax.plot(xv, lo, color=c, linestyle=style, linewidth=0.8, alpha=0.8)
                ax.plot(xv, hi, color=c, linestyle=style, linewidth=0.8, alpha=0.8)
            else:
                off = (i - (len(groups) - 1) / 2) * 0.15
                xv = np.array([cats.index(v) for v in sub["value"]]) + off
                ax.errorbar(
                    xv,
                    mean,
                    yerr=np.nan_to_num(np.vstack([mean - lo, hi - mean])),
                    fmt="o",
                    color=c,
                    label=name,
                    capsize=4,
                )
        if not numeric:
            ax.set_xticks(range(len(cats)), [label(str(v)) for v in cats], fontsize=8)
        ax.set_xlabel(param_label or param, fontsize=9)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    if len(groups) > 1 or groups[0] != "all":
        axes.flat[0].legend(frameon=False, fontsize=8)
    fig.suptitle(
        f"Effect of {param_label or param} (band or bars: 95% confidence interval)", fontsize=11
    )
    fig.tight_layout()
    return fig
