"""Plots for people who would rather look than read.

Plotting reads the tables a run wrote; the model never plots. Colours are the
Okabe-Ito palette, which colour-blind readers can tell apart; every axis has a unit.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.summary import STAGES, WORK_ACTIVITIES  # noqa: E402

#: Okabe-Ito colours, assigned to team models in a fixed order.
PALETTE = {"co_located": "#0072B2", "virtual": "#E69F00", "tac_only": "#009E73"}
EXTRA = ["#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
LABELS = {"co_located": "Co-located teams", "virtual": "Virtual teams",
          "tac_only": "TAC processes only"}
STAGE_LABELS = {
    "onset_to_identification": "Need emerges\n→ identified",
    "identification_to_assessment": "Identified\n→ CAF complete",
    "assessment_to_tac_meeting": "CAF complete\n→ TAC meeting",
    "tac_meeting_to_support": "TAC meeting\n→ support starts",
    "onset_to_support": "End to end:\nneed → support",
    "request_to_allocation": "Support requested\n→ members allocated",
}


def colour(name: str, i: int = 0) -> str:
    """Colour of a team model."""
    return PALETTE.get(name, EXTRA[i % len(EXTRA)])


def _save(fig: plt.Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=120, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    os.replace(tmp, path)


def _rows(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    return table[table["metric"] == metric].set_index("team_model")


def _err(rows: pd.DataFrame, scale: float = 1.0) -> np.ndarray:
    mean = rows["mean"].astype(float).to_numpy() * scale
    lo = rows["ci_low"].astype(float).to_numpy() * scale
    hi = rows["ci_high"].astype(float).to_numpy() * scale
    return np.nan_to_num(np.vstack([mean - lo, hi - mean]))


def early_identification_plot(table: pd.DataFrame, path: Path) -> None:
    """Bar chart: share of needs identified before escalating, by team model, with CIs."""
    rows = _rows(table, "early_identification_rate")
    models = list(rows.index)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.bar([LABELS.get(m, m) for m in models], rows["mean"].astype(float) * 100,
           yerr=_err(rows, 100), capsize=6, color=[colour(m, i) for i, m in enumerate(models)])
    ax.set_ylabel("Needs identified before escalating (%)")
    ax.set_ylim(0, 100)
    ax.set_title("Early identification by team model\n(bars: 95% confidence intervals)")
    _save(fig, path)


def delay_plot(table: pd.DataFrame, path: Path) -> None:
    """Grouped bars: median delay of each stage by team model, with CIs."""
    models = list(dict.fromkeys(table["team_model"]))
    stages = [s[0] for s in STAGES]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / max(len(models), 1)
    x = np.arange(len(stages))
    for i, m in enumerate(models):
        sub = table[table["team_model"] == m].set_index("metric")
        keys = [f"delay_days.{s}.median" for s in stages]
        rows = sub.reindex(keys)
        ax.bar(x + (i - (len(models) - 1) / 2) * width, rows["mean"].astype(float),
               width, yerr=_err(rows), capsize=3, color=colour(m, i),
               label=LABELS.get(m, m))
    ax.set_xticks(x, [STAGE_LABELS[s] for s in stages], fontsize=8)
    ax.set_ylabel("Median delay (days)")
    ax.set_title("How long each stage takes, by team model (medians; 95% CIs)")
    ax.legend(frameon=False)
    _save(fig, path)


def utilisation_plot(series: pd.DataFrame, path: Path) -> None:
    """Heatmap: share of each profession's multi-agency hours in use, by team model."""
    work = [f"hours_{a}" for a in WORK_ACTIVITIES]
    s = series.assign(work=series[work].sum(axis=1))
    g = s.groupby(["profession", "team_model"])[["work", "ma_capacity_hours"]].sum()
    util = (g["work"] / g["ma_capacity_hours"].where(g["ma_capacity_hours"] > 0)).unstack()
    util = util.dropna(how="all")
    models = [m for m in dict.fromkeys(series["team_model"]) if m in util.columns]
    util = util[models]
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(models), 0.4 * len(util) + 1.5))
    im = ax.imshow(util.to_numpy(dtype=float) * 100, cmap="cividis", vmin=0, vmax=100,
                   aspect="auto")
    ax.set_xticks(range(len(models)), [LABELS.get(m, m) for m in models])
    ax.set_yticks(range(len(util)), [p.replace("_", " ") for p in util.index])
    for (r, c), v in np.ndenumerate(util.to_numpy(dtype=float)):
        if not np.isnan(v):
            ax.text(c, r, f"{v * 100:.0f}%", ha="center", va="center",
                    color="white" if v < 0.6 else "black", fontsize=8)
    fig.colorbar(im, ax=ax, label="Multi-agency hours in use (% of available)")
    ax.set_title("Workforce utilisation by profession")
    _save(fig, path)


def comparison_plots(outdir: Path, table: pd.DataFrame, series: pd.DataFrame,
                     baseline: str) -> list[Path]:
    """Write the main job's plots; returns their paths."""
    paths = [outdir / "early_identification.png", outdir / "delays.png",
             outdir / "utilisation.png"]
    early_identification_plot(table, paths[0])
    delay_plot(table, paths[1])
    utilisation_plot(series, paths[2])
    return paths
