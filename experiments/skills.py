"""Skills: what does training universal staff to identify needs buy, per team model?

Expert Group question 4. Runs ``configs/experiment/skills.yaml`` (each team model x the
share of universal staff trained each year: 0, 10% today, 25%, 50%; common random
numbers) and writes to ``<sweep folder>/analysis/``:

- ``effects.csv``: for each team model, training rate and headline metric, the mean, the
  mean at today's 10%, and the paired effect with its 95% CI;
- ``effects.png``: the effects by training rate and team model.

Usage::

    python experiments/skills.py [overrides]
    python experiments/skills.py --analyse <sweep folder>
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from sim.expert import experiment_main, paired_effects, plot_effects
from sim.results import atomic_write_bytes

BASELINE_RATE = 0.1


def scenario(rate: float) -> str:
    """A label such as ``25% trained a year``."""
    return f"{float(rate):.0%} trained a year"


def analyse(table: pd.DataFrame, outdir: Path) -> list[Path]:
    """Write the effects table and the plot; return their paths."""
    table = table.assign(scenario=table["workforce.training_rate"].map(scenario))
    baseline = scenario(BASELINE_RATE)
    if baseline not in set(table["scenario"]):  # a sweep without today's rate
        baseline = scenario(min(table["workforce.training_rate"]))
    effects = paired_effects(table, "scenario", baseline)
    effects = effects[effects["scenario"] != baseline]
    order = [
        scenario(r)
        for r in sorted(table["workforce.training_rate"].unique())
        if scenario(r) != baseline
    ]
    paths = [outdir / "effects.csv", outdir / "effects.png"]
    atomic_write_bytes(paths[0], effects.to_csv(index=False).encode())
    plot_effects(
        effects,
        paths[1],
        f"Effect of identification training (difference from {baseline}, 95% CI)",
        order=order,
    )
    return paths


if __name__ == "__main__":
    sys.exit(experiment_main("skills", analyse))
