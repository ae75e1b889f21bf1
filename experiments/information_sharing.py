"""Information sharing: what do a shared child index and willingness to share buy?

Expert Group question 3. Runs ``configs/experiment/information_sharing.yaml`` (each team
model x child index on/off x reluctance to share 0 or 0.5, common random numbers) and
writes to ``<sweep folder>/analysis/``:

- ``effects.csv``: for each team model, scenario and headline metric, the mean, the
  baseline mean (index on, no reluctance) and the paired effect with its 95% CI;
- ``effects.png``: the effects by scenario and team model.

Without the index, reluctance has nothing to act on, so ``no index`` rows with either
reluctance should agree (a check on the mechanism).

Usage::

    python experiments/information_sharing.py [overrides]
    python experiments/information_sharing.py --analyse <sweep folder>
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from sim.expert import experiment_main, paired_effects, plot_effects
from sim.results import atomic_write_bytes

BASELINE = "index, reluctance 0"


def scenario(row: pd.Series) -> str:
    """A label such as ``index, reluctance 0.5`` or ``no index, reluctance 0``."""
    index = "index" if bool(row["assessment.child_index"]) else "no index"
    return f"{index}, reluctance {float(row['assessment.sharing_reluctance']):g}"


def analyse(table: pd.DataFrame, outdir: Path) -> list[Path]:
    """Write the effects table and the plot; return their paths."""
    table = table.assign(scenario=table.apply(scenario, axis=1))
    effects = paired_effects(table, "scenario", BASELINE)
    effects = effects[effects["scenario"] != BASELINE]
    paths = [outdir / "effects.csv", outdir / "effects.png"]
    atomic_write_bytes(paths[0], effects.to_csv(index=False).encode())
    plot_effects(
        effects,
        paths[1],
        "Effect of information sharing (difference from a shared index used fully, 95% CI)",
    )
    return paths


if __name__ == "__main__":
    sys.exit(experiment_main("information_sharing", analyse))
