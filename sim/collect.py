"""Collect a sweep's results into one table: ``python -m sim.collect <sweep folder>``.

The table (``sweep.parquet`` in the sweep folder) has one row per job and replicate:

- ``job``: the job's number in the sweep (its sub-folder's name);
- ``replicate``: the replicate's index within the job (0, 1, ...); replicate ``r`` of
  every job with the same ``seed`` starts from the same spawned seed (common random
  numbers);
- ``seed``: the job's seed; ``team_model``: the team model (in a ``mode=compare`` job,
  one row per team model and replicate);
- one column per overridden setting, named by its key (``team_model``,
  ``assessment.child_index``, ``area.establishment_scale`` ...), holding the value the job
  used (a mapping or list as compact JSON);
- one column per headline metric of :func:`sim.summary.replicate_summary`, nested names
  joined with dots (``early_identification_rate``, ``delay_days.onset_to_support.median``,
  ``utilisation.social_worker``, ``staff_cost`` ...); units are in ``docs/metrics.md``.

Only jobs with a completion marker contribute rows, so the table can be built while a
sweep runs or after it was interrupted; jobs that failed are listed with their overrides
and error, and jobs not yet complete are counted.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim import metrics as registry
from sim.results import atomic_write_parquet
from sim.results import read_json as _load
from sim.summary import flatten as _flatten
from sim.sweep import FAILURE, MARKER, normalise_overrides, sweep_jobs_from_folder

__all__ = ["CollectResult", "collect", "main", "report", "write_table"]

#: Name of the sweep's table in the sweep folder.
TABLE = "sweep.parquet"


@dataclass
class CollectResult:
    """What a sweep folder holds.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per complete job and replicate (see the module docstring).
    complete : list of int
        Numbers of the jobs with a completion marker.
    failures : list of dict
        One record per failed job: ``job``, ``overrides``, ``error`` (and, in the job's
        ``failed.json``, its resolved configuration and traceback).
    expected : int or None
        Jobs in the sweep, when Hydra's ``multirun.yaml`` is there to say.
    pending : list of list of str
        Overrides of the expected jobs with neither a marker nor a failure record (not
        started, running, or killed).
    """

    table: pd.DataFrame
    complete: list[int] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    expected: int | None = None
    pending: list[list[str]] = field(default_factory=list)


def _job_rows(job: int, params: dict[str, Any], summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of one complete job: one per replicate (per team model in compare mode)."""
    base = {"job": job, "seed": summary.get("seed")}
    if "replicates_by_team_model" in summary:
        runs = [(tm, reps) for tm, reps in summary["replicates_by_team_model"].items()]
    else:
        runs = [(summary.get("team_model"), summary.get("replicates", []))]
    rows = []
    for team_model, reps in runs:
        for r, metrics in enumerate(reps):
            row = {**base, "replicate": r, "team_model": team_model, **params}
            if "team_model" in params and team_model is not None:
                row["team_model"] = team_model
            row.update(_flatten(metrics))
            rows.append(row)
    return rows


def _tidy(table: pd.DataFrame) -> pd.DataFrame:
    """Columns of one type each (Parquet needs it), rows in job and replicate order."""
    for col in table.columns:
        if table[col].dtype == object:
            kinds = {type(v) for v in table[col] if v is not None and v == v}
            if len(kinds) > 1 and not kinds <= {int, float}:
                table[col] = table[col].map(lambda v: None if v is None else str(v))
            elif kinds <= {int, float} and kinds:
                table[col] = pd.to_numeric(table[col])
    sort = [c for c in ("job", "team_model", "replicate") if c in table.columns]
    return table.sort_values(sort, kind="stable").reset_index(drop=True) if sort else table


def collect(sweep_dir: Path | str) -> CollectResult:
    """Build the sweep table from whatever jobs of ``sweep_dir`` are complete.

    Parameters
    ----------
    sweep_dir : path
        A sweep folder (``hydra.sweep.dir``): job folders ``0``, ``1``, ... below it.

    Returns
    -------
    CollectResult

    Raises
    ------
    FileNotFoundError
        If ``sweep_dir`` is not a folder.
    """
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise FileNotFoundError(f"{sweep_dir} is not a folder")
    rows: list[dict[str, Any]] = []
    complete: list[int] = []
    failures: list[dict[str, Any]] = []
    seen: set[tuple[str, ...]] = set()
    job_dirs = sorted(
        (p for p in sweep_dir.iterdir() if p.is_dir() and p.name.isdigit()),
        key=lambda p: int(p.name),
    )
    for job_dir in job_dirs:
        marker = _load(job_dir / MARKER)
        summary = _load(job_dir / "summary.json") if marker else None
        if marker and summary is not None:
            job = int(marker.get("job", job_dir.name))
            complete.append(job)
            seen.add(tuple(marker.get("overrides", [])))
            rows.extend(_job_rows(job, marker.get("params", {}), summary))
            continue
        failure = _load(job_dir / FAILURE)
        if failure:
            seen.add(tuple(failure.get("overrides", [])))
            failures.append(
                {
                    "job": int(failure.get("job", job_dir.name)),
                    "overrides": failure.get("overrides", []),
                    "error": failure.get("error", "unknown error"),
                    "record": str(job_dir / FAILURE),
                }
            )
    jobs = sweep_jobs_from_folder(sweep_dir)
    pending = (
        [] if jobs is None else [job for job in jobs if tuple(normalise_overrides(job)) not in seen]
    )
    table = (
        _tidy(pd.DataFrame(rows))
        if rows
        else pd.DataFrame(columns=["job", "replicate", "seed", "team_model"])
    )
    return CollectResult(table, complete, failures, None if jobs is None else len(jobs), pending)


def write_table(sweep_dir: Path | str, table: pd.DataFrame) -> Path:
    """Write ``sweep.parquet`` into ``sweep_dir`` atomically and return its path."""
    path = Path(sweep_dir) / TABLE
    atomic_write_parquet(path, table)
    return path


def report(result: CollectResult, sweep_dir: Path | str) -> str:
    """A short plain-text account of a sweep folder: counts, then each failure."""
    total = result.expected
    done = len(result.complete)
    of = f" of {total}" if total is not None else ""
    lines = [
        f"{sweep_dir}: {done}{of} jobs complete ({len(result.table)} rows), "
        f"{len(result.failures)} failed, {len(result.pending)} not complete."
    ]
    for f in result.failures:
        lines.append(
            f"  job {f['job']} failed ({' '.join(f['overrides']) or 'defaults'}): "
            f"{f['error']} [details: {f['record']}]"
        )
    return "\n".join(lines)


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
