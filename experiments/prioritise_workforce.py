"""Prioritising resources: which profession's extra 10% FTE buys the most, per team model?

Expert Group question 1. Runs ``configs/experiment/prioritise_workforce.yaml`` (each
team model x baseline and +10% FTE in one profession at a time, common random numbers)
and writes to ``<sweep folder>/analysis/``:

- ``effects.csv``: for each team model, profession and headline metric, the mean with the
  extra posts, the baseline mean, and the paired effect with its 95% CI;
- ``added_cost.csv``: the employer cost of the extra posts (FTE x contracted hours x
  hourly cost, £ a year) beside the effects on early identification and delay;
- ``effects.png``: the effects by profession and team model.

Usage::

    python experiments/prioritise_workforce.py [overrides]     # e.g. area=west_sussex
    python experiments/prioritise_workforce.py --analyse <sweep folder>
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from sim.expert import experiment_main, paired_effects, plot_effects
from sim.results import atomic_write_bytes

BASELINE = "baseline"
WEEKS_PER_YEAR = 52.18


def scenario(scale_json: str) -> str:
    """The profession given extra posts in a job (``baseline`` when none)."""
    scale = json.loads(scale_json) if isinstance(scale_json, str) else {}
    changed = sorted(k for k, v in scale.items() if abs(float(v) - 1.0) > 1e-12)
    return "+".join(changed) if changed else BASELINE


def added_cost(sweep_dir: Path, table: pd.DataFrame) -> pd.DataFrame:
    """Employer cost a year of the extra posts of each profession (from run.json)."""
    rows = []
    for job in sorted(table["job"].unique()):
        run = json.loads((sweep_dir / str(job) / "run.json").read_text())["config"]
        area = run["area"]
        for prof, s in area["establishment_scale"].items():
            if abs(float(s) - 1.0) < 1e-12:
                continue
            p = run["professions"][prof]
            fte = p["per_10k"] * area["children"] / 10_000 * area["workforce_scale"] * (s - 1)
            rows.append(
                {
                    "scenario": prof,
                    "added_fte": fte,
                    "added_cost_per_year": fte
                    * p["hours_per_week"]
                    * WEEKS_PER_YEAR
                    * p["hourly_cost"],
                }
            )
    return pd.DataFrame(rows).drop_duplicates("scenario")


def analyse(table: pd.DataFrame, outdir: Path) -> list[Path]:
    """Write the effects table, the cost table and the plot; return their paths."""
    table = table.assign(scenario=table["area.establishment_scale"].map(scenario))
    effects = paired_effects(table, "scenario", BASELINE)
    effects = effects[effects["scenario"] != BASELINE]
    paths = [outdir / "effects.csv", outdir / "added_cost.csv", outdir / "effects.png"]
    atomic_write_bytes(paths[0], effects.to_csv(index=False).encode())
    cost = added_cost(outdir.parent, table)
    wide = effects.pivot_table(
        index=["team_model", "scenario"], columns="metric", values="effect"
    ).reset_index()
    cost = wide.merge(cost, on="scenario", how="left")
    atomic_write_bytes(paths[1], cost.to_csv(index=False).encode())
    plot_effects(
        effects,
        paths[2],
        "Effect of 10% more FTE in one profession (difference from baseline, 95% CI)",
    )
    return paths


if __name__ == "__main__":
    sys.exit(experiment_main("prioritise_workforce", analyse))
