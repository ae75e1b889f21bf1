"""What the Expert Group's experiment scripts in ``experiments/`` share.

Each script (``prioritise_workforce``, ``vacancy_shock``, ``information_sharing``,
``skills``) runs its sweep (``configs/experiment/<name>.yaml``) with
:func:`experiment_main`, then analyses the sweep's table: :func:`paired_effects` gives
each scenario's effect against the experiment's baseline on the :data:`HEADLINE`
metrics, replicate by replicate under common random numbers, and :func:`plot_effects`
draws them. Outputs go to ``<sweep folder>/analysis/`` (``docs/sweeps.md``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from sim import metrics as registry
from sim.summary import paired_table
from sim.sweep import collect

__all__ = ["HEADLINE", "HEADLINE_METRICS", "experiment_main", "paired_effects", "plot_effects"]

#: Headline metrics the Expert Group's experiments report: column, label, unit of a
#: displayed difference, display scale (all from the registry, ``sim.metrics``).
HEADLINE: tuple[tuple[str, str, str, float], ...] = tuple(
    (m, registry.label(m), registry.difference_unit(m), registry.scale(m))
    for m in (
        "early_identification_rate",
        "delay_days.onset_to_support.median",
        "staff_cost",
        "referrals_per_10k",
        "unmet_demand_hours",
    )
)


#: The names of the :data:`HEADLINE` metrics.
HEADLINE_METRICS: tuple[str, ...] = tuple(row[0] for row in HEADLINE)


def paired_effects(
    table: pd.DataFrame,
    scenario: str,
    baseline: str,
    by: str = "team_model",
    metrics: tuple[str, ...] = HEADLINE_METRICS,
) -> pd.DataFrame:
    """Each scenario's effect against the baseline, replicate by replicate.

    Rows of the same ``by`` value, ``seed`` and ``replicate`` share their random numbers
    (common random numbers), so the effect of a scenario is the mean of paired
    differences, with a 95% t-interval (:func:`sim.summary.paired_table`).

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep table (:func:`sim.sweep.collect`) with a column ``scenario`` naming each
        row's scenario.
    scenario : str
        Column naming the scenario of each row.
    baseline : str
        The scenario effects are measured against.
    by : str
        Column the comparison is made within (the team model).
    metrics : tuple of str
        Metric columns.

    Returns
    -------
    pandas.DataFrame
        Columns ``by``, ``scenario``, ``metric``, ``mean`` (the scenario's mean),
        ``baseline_mean``, ``effect``, ``effect_ci_low``, ``effect_ci_high``, ``n``.
    """
    if scenario not in table.columns or by not in table.columns:
        raise ValueError(f"the sweep table has no {scenario} or {by} column")
    groups = [key for key, _ in table.groupby([by, scenario], sort=True)]
    baselines = {(group, name): (group, baseline) for group, name in groups}
    effects = paired_table(table, [by, scenario], baselines, metrics, ("seed", "replicate"))
    return effects.rename(
        columns={
            scenario: "scenario",
            "diff": "effect",
            "ci_low": "effect_ci_low",
            "ci_high": "effect_ci_high",
        }
    )


def plot_effects(
    effects: pd.DataFrame,
    path: Path,
    title: str,
    order: list[str] | None = None,
    by: str = "team_model",
) -> Path:
    """Bar chart of each scenario's effect (with 95% CI) by team model, one panel per
    headline metric; Okabe-Ito colours, units on the axes. Written atomically."""
    import matplotlib.pyplot as plt
    import numpy as np

    from sim.plots import LABELS, PALETTE, colour, save_figure

    metrics = [m for m in HEADLINE if m[0] in set(effects["metric"])]
    scenarios = order or sorted(effects["scenario"].unique())
    groups = sorted(
        effects[by].unique(), key=lambda g: list(PALETTE).index(g) if g in PALETTE else 99
    )
    fig, axes = plt.subplots(
        len(metrics),
        1,
        figsize=(max(6, 0.9 * len(scenarios) + 2), 2.6 * len(metrics)),
        squeeze=False,
    )
    width = 0.8 / max(len(groups), 1)
    x = np.arange(len(scenarios))
    for ax, (metric, label, unit, scale) in zip(axes[:, 0], metrics, strict=True):
        for i, g in enumerate(groups):
            part = effects[(effects[by] == g) & (effects["metric"] == metric)]
            part = part.set_index("scenario").reindex(scenarios)
            mean = part["effect"].astype(float).to_numpy() * scale
            lo = part["effect_ci_low"].astype(float).to_numpy() * scale
            hi = part["effect_ci_high"].astype(float).to_numpy() * scale
            err = np.vstack([np.nan_to_num(mean - lo), np.nan_to_num(hi - mean)])
            ax.bar(
                x + (i - (len(groups) - 1) / 2) * width,
                np.nan_to_num(mean),
                width,
                yerr=err,
                capsize=2,
                color=colour(str(g), i),
                label=LABELS.get(str(g), str(g)),
            )
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_ylabel(f"change\n({unit})")
        ax.set_title(label, fontsize=10)
        ax.set_xticks(x)
        ax.set_xticklabels(scenarios, rotation=30, ha="right", fontsize=8)
    axes[0, 0].legend(fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    save_figure(fig, path)
    return path


def experiment_main(
    name: str,
    analyse: Callable[[pd.DataFrame, Path], Iterable[Path]],
    argv: list[str] | None = None,
) -> int:
    """Command line of an Expert Group experiment script in ``experiments/``.

    ``python experiments/<name>.py [overrides]`` runs ``python -m sim -m
    experiment=<name> [overrides]`` into a new sweep folder (or the one given with
    ``hydra.sweep.dir=...``, to resume), then ``analyse(table, outdir)`` writes its table
    and plots to ``<sweep folder>/analysis/``. ``--analyse <sweep folder>`` analyses an
    existing sweep only. Returns the exit status (1 if some jobs failed, 2 on bad input).
    """
    import os
    import subprocess
    import time

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--analyse"]:
        if len(argv) != 2:
            print("error: --analyse takes one sweep folder.", file=sys.stderr)
            return 2
        sweep_dir, status = Path(argv[1]), 0
    else:
        given = [a.split("=", 1)[1] for a in argv if a.startswith("hydra.sweep.dir=")]
        if given:
            sweep_dir = Path(given[0])
        else:
            stamp = time.strftime("%Y-%m-%d_%H-%M-%S") + f"-{time.time_ns() // 1000 % 10**6:06d}"
            sweep_dir = Path("multirun") / name / f"{stamp}-{os.getpid()}"
            argv.append(f"hydra.sweep.dir={sweep_dir}")
        cmd = [sys.executable, "-m", "sim", "-m", f"experiment={name}", *argv]
        status = subprocess.run(cmd).returncode
        if status not in (0, 1):
            return status
    result = collect(sweep_dir)
    if result.table.empty:
        print(f"error: {sweep_dir} has no complete job to analyse.", file=sys.stderr)
        return 1
    outdir = sweep_dir / "analysis"
    outdir.mkdir(parents=True, exist_ok=True)
    for path in analyse(result.table, outdir):
        print(f"Wrote {path}")
    return 1 if result.failures else status
