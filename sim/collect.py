"""Collect a sweep's results into one table: ``python -m sim.collect <sweep folder>``.

The table (``sweep.parquet`` in the sweep folder) is the tidy table of
:mod:`sim.results`: one row per job, team model and replicate, with the columns ``job``,
``seed``, ``replicate``, ``team_model``, one per overridden setting (named by its key,
holding the value the job used) and one per headline metric (flat names such as
``delay_days.onset_to_support.median``; units in ``docs/metrics.md``).

Only jobs with a completion marker contribute rows, so the table can be built while a
sweep runs or after it was interrupted; jobs that failed are listed with their overrides
and error, and jobs not yet complete are counted. A sweep's end does the same
(:class:`sim.sweep.SweepCallback`); both call :func:`sim.sweep.collect`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from sim import metrics as registry
from sim.results import TABLE, atomic_write_parquet
from sim.sweep import CollectResult, collect, report, write_table

__all__ = ["TABLE", "CollectResult", "collect", "main", "report", "write_table"]


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.collect <sweep folder> [--out FILE]``; returns the exit status.

    Writes the table (default ``<sweep folder>/sweep.parquet``) and prints a report.
    Exit status 0 when no job failed, 1 when some did, 2 on bad input.
    """
    parser = argparse.ArgumentParser(
        prog="python -m sim.collect",
        description="Collect a (possibly partial or running) sweep into one table.",
    )
    parser.add_argument("sweep_dir", help="the sweep folder (hydra.sweep.dir)")
    parser.add_argument(
        "--out",
        default=None,
        help="where to write the table (default: sweep.parquet in the sweep folder)",
    )
    args = parser.parse_args(argv)
    sweep_dir = Path(args.sweep_dir)
    if not sweep_dir.is_dir():
        print(f"error: {sweep_dir} is not a sweep folder: no such folder.", file=sys.stderr)
        return 2
    result = collect(sweep_dir)
    if not result.complete and not result.failures and result.expected is None:
        print(
            f"error: {sweep_dir} is not a sweep folder: it has no multirun.yaml and no "
            "job results.",
            file=sys.stderr,
        )
        return 2
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_parquet(out, result.table)
    else:
        out = write_table(sweep_dir, result.table)
    print(report(result, sweep_dir))
    print(f"Sweep table: {out}")
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())


# ------------------------------------------------------------------ experiments
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
    differences, with a 95% t-interval.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep table (:func:`collect`) with a column ``scenario`` naming each row's
        scenario.
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
    from sim.summary import mean_ci

    if scenario not in table.columns or by not in table.columns:
        raise ValueError(f"the sweep table has no {scenario} or {by} column")
    keys = [by, "seed", "replicate"]
    base = table[table[scenario] == baseline].set_index(keys)
    rows = []
    for (group, name), part in table.groupby([by, scenario], sort=True):
        part = part.set_index(keys)
        for metric in metrics:
            if metric not in table.columns:
                continue
            joined = part[[metric]].join(base[[metric]], rsuffix="_base", how="inner")
            diff = (joined[metric] - joined[f"{metric}_base"]).to_numpy(dtype=float)
            stat = mean_ci(list(diff))
            rows.append(
                {
                    by: group,
                    "scenario": name,
                    "metric": metric,
                    "mean": float(part[metric].astype(float).mean()),
                    "baseline_mean": float(
                        base.loc[base.index.get_level_values(0) == group, metric]
                        .astype(float)
                        .mean()
                    ),
                    "effect": stat["mean"],
                    "effect_ci_low": stat["ci95"][0],
                    "effect_ci_high": stat["ci95"][1],
                    "n": stat["n"],
                }
            )
    return pd.DataFrame(rows)


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


def experiment_main(name: str, analyse: Any, argv: list[str] | None = None) -> int:
    """Command line of an Expert Group experiment script in ``experiments/``.

    ``python experiments/<name>.py [overrides]`` runs ``python -m sim -m
    experiment=<name> [overrides]`` into a new sweep folder (or the one given with
    ``hydra.sweep.dir=...``, to resume), then ``analyse(sweep_dir)`` writes its table and
    plots to ``<sweep folder>/analysis/``. ``--analyse <sweep folder>`` analyses an
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
