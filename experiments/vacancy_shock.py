"""Vacancy shock: how does each team model weather social worker vacancies of 35%?

Expert Group question 2. Runs ``configs/experiment/vacancy_shock.yaml`` (each team
model, vacancies held at 10% or rising to 35% and recovering, common random numbers) and
writes to ``<sweep folder>/analysis/``:

- ``effects.csv``: for each team model and headline metric, the mean under the shock,
  the mean with steady vacancies, and the paired effect with its 95% CI;
- ``effects.png``: the effects by team model;
- ``vacancies.png``: the social worker vacancy rate week by week in both scenarios, to
  show the shock the model applied.

Usage::

    python experiments/vacancy_shock.py [overrides]
    python experiments/vacancy_shock.py --analyse <sweep folder>
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from sim.expert import experiment_main, paired_effects, plot_effects
from sim.results import atomic_write_bytes

BASELINE = "steady 10%"


def scenario(rates_json: str) -> str:
    """``steady 10%`` or ``shock to 35%`` from a job's scheduled vacancy rates."""
    rates = json.loads(rates_json)
    peak = max(rates)
    return BASELINE if peak <= min(rates) + 1e-12 else f"shock to {peak:.0%}"


def vacancy_plot(sweep_dir: Path, table: pd.DataFrame, path: Path) -> Path:
    """Weekly social worker vacancy rate (%) in each scenario (first job of each)."""
    import matplotlib.pyplot as plt

    from sim.plots import EXTRA, save_figure

    fig, ax = plt.subplots(figsize=(7, 3.2))
    firsts = table.drop_duplicates("scenario").sort_values("scenario")
    for i, (_, row) in enumerate(firsts.iterrows()):
        series = pd.read_parquet(sweep_dir / str(row["job"]) / "series.parquet")
        sw = series[(series["profession"] == "social_worker") & (series["replicate"] == 0)]
        by_day = sw.groupby("day")[["vacant_fte", "fte"]].sum()
        ax.plot(
            by_day.index / 365.25,
            100 * by_day["vacant_fte"] / by_day["fte"],
            color=EXTRA[i % len(EXTRA)],
            label=row["scenario"],
        )
    ax.set_xlabel("years after the warm-up")
    ax.set_ylabel("social worker posts vacant (%)")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
    return path


def analyse(table: pd.DataFrame, outdir: Path) -> list[Path]:
    """Write the effects table and the plots; return their paths."""
    table = table.assign(scenario=table["workforce.vacancy_schedule_rates"].map(scenario))
    effects = paired_effects(table, "scenario", BASELINE)
    effects = effects[effects["scenario"] != BASELINE]
    paths = [outdir / "effects.csv", outdir / "effects.png", outdir / "vacancies.png"]
    atomic_write_bytes(paths[0], effects.to_csv(index=False).encode())
    plot_effects(
        effects,
        paths[1],
        "Effect of the social worker vacancy shock (difference from steady 10%, 95% CI)",
    )
    vacancy_plot(outdir.parent, table, paths[2])
    return paths


if __name__ == "__main__":
    sys.exit(experiment_main("vacancy_shock", analyse))
