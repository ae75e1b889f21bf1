"""Run scenarios and replicates, and write their outputs.

The model produces tables; this module runs it (replicates with seeds spawned by
``SeedSequence``, team models compared under common random numbers) and writes the
outputs of a run folder. Every file appears atomically (:mod:`sim.results`): it is
written under a temporary name and renamed, so a partly written file is never read as
complete.
"""

from __future__ import annotations

import importlib.metadata
import platform
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from sim import __version__
from sim.model import ChildrensServicesModel
from sim.params import Config
from sim.queueing import mmc_mean_wait_days
from sim.results import atomic_write_bytes, atomic_write_json, atomic_write_parquet
from sim.rng import replicate_seeds
from sim.summary import aggregate, aggregate_rows, mean_ci, metric_differences, replicate_summary


@dataclass
class ReplicateResult:
    """Outputs of one replicate of one scenario."""

    episodes: pd.DataFrame
    series: pd.DataFrame
    summary: dict[str, Any]
    #: The episodes after the follow-up period (None without one).
    followed: pd.DataFrame | None = None


@dataclass
class ScenarioResult:
    """Outputs of all replicates of one scenario (one team model on one area)."""

    team_model: str
    replicates: list[ReplicateResult] = field(default_factory=list)

    @property
    def summaries(self) -> list[dict[str, Any]]:
        """Per-replicate headline metrics."""
        return [r.summary for r in self.replicates]

    def episodes(self) -> pd.DataFrame:
        """Episodes of every replicate, with a ``replicate`` column."""
        return pd.concat(
            [r.episodes.assign(replicate=i) for i, r in enumerate(self.replicates)],
            ignore_index=True,
        )

    def followed_episodes(self) -> pd.DataFrame | None:
        """Followed-up episodes of every replicate, with a ``replicate`` column (None
        without a follow-up period)."""
        if any(r.followed is None for r in self.replicates):
            return None
        return pd.concat(
            [
                r.followed.assign(replicate=i)
                for i, r in enumerate(self.replicates)
                if r.followed is not None
            ],
            ignore_index=True,
        )

    def series(self) -> pd.DataFrame:
        """Series of every replicate, with a ``replicate`` column."""
        return pd.concat(
            [r.series.assign(replicate=i) for i, r in enumerate(self.replicates)], ignore_index=True
        )


class Progress:
    """Progress on stderr (a tqdm bar) that can be silenced."""

    def __init__(self, total: float, desc: str, enabled: bool, unit: str = "yr") -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=round(total, 2),
                desc=desc,
                unit=unit,
                file=sys.stderr,
                leave=False,
                dynamic_ncols=True,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| "
                "{n:.1f}/{total:.1f} {unit} [{elapsed}<{remaining}]",
            )

    def update(self, n: float) -> None:
        """Advance by ``n``, never beyond the total."""
        if self.bar is not None:
            n = min(n, max(self.bar.total - self.bar.n, 0))
            if n > 0:
                self.bar.update(n)

    def close(self) -> None:
        """Remove the bar."""
        if self.bar is not None:
            self.bar.close()


def run_replicate(
    cfg: Config, seed: int | np.random.SeedSequence, progress: Callable[[float], None] | None = None
) -> ReplicateResult:
    """Run one replicate and summarise it.

    Parameters
    ----------
    cfg : Config
        Validated configuration.
    seed : int or numpy.random.SeedSequence
        This replicate's seed.
    progress : callable, optional
        Called with the simulated day after each week.
    """
    model = ChildrensServicesModel(cfg, seed)
    try:
        model.run(progress)
        episodes = model.episodes_table()
        followed = model.followed_episodes_table() if cfg.followup_years > 0 else None
        series = model.series_table()
    finally:
        # Mesa 3.3 keeps every model alive through a class-level registry; release it
        # so sweeps that run many models in one process do not grow.
        mesa.Agent._ids.pop(model, None)
    summary = replicate_summary(
        episodes,
        series,
        children=cfg.area.children,
        years=cfg.years,
        era=cfg.area.era,
        hourly_cost={p: pc.hourly_cost for p, pc in cfg.professions.items()},
        followed=followed,
        agency_cost_factor=cfg.workforce.agency_cost_factor,
        end_day=model.t,
    )
    return ReplicateResult(episodes, series, summary, followed)


def run_many(
    jobs: list[tuple[Config, np.random.SeedSequence]],
    workers: int = 1,
    progress: bool = False,
    desc: str = "runs",
) -> list[ReplicateResult]:
    """Run replicates ``(cfg, seed)``, in parallel processes when ``workers > 1``.

    Each replicate depends only on its configuration and seed, so the results are the
    same whether the replicates run serially or in parallel.
    """
    if workers <= 1 or len(jobs) <= 1:
        out = []
        for cfg, ss in jobs:
            out.append(_run_with_bar(cfg, ss, progress))
        return out
    from joblib import Parallel, delayed

    bar = Progress(len(jobs), desc, progress, unit="runs")
    results: list[ReplicateResult] = []
    try:
        with warnings.catch_warnings():
            # loky replaces a worker whose memory has grown 300 MB since its first task,
            # which a full-scale model's heap does, and reports it with this generic
            # warning (joblib/joblib#869, loky PR 641). The replacement is planned and
            # harmless; a worker that really dies raises TerminatedWorkerError instead.
            warnings.filterwarnings(
                "ignore", message="A worker stopped while some jobs", category=UserWarning
            )
            for res in Parallel(n_jobs=workers, return_as="generator")(
                delayed(run_replicate)(cfg, ss) for cfg, ss in jobs
            ):
                results.append(res)
                bar.update(1)
    finally:
        bar.close()
    return results


def _run_with_bar(cfg: Config, ss: np.random.SeedSequence, progress: bool) -> ReplicateResult:
    bar = Progress(cfg.warmup_years + cfg.years + cfg.followup_years, cfg.team_model.name, progress)
    last: list[float | None] = [None]

    def tick(day: float) -> None:
        if last[0] is not None:
            bar.update((day - last[0]) / 365.25)
        last[0] = day

    try:
        return run_replicate(cfg, ss, tick)
    finally:
        bar.close()


def run_scenario(cfg: Config, progress: bool = False) -> ScenarioResult:
    """Run ``cfg.replicates`` replicates with seeds spawned from ``cfg.seed``.

    Replicate ``r`` uses the same spawned seed whatever the team model, so scenarios run
    with the same seed are paired (common random numbers).
    """
    result = ScenarioResult(cfg.team_model.name)
    seeds = replicate_seeds(cfg.seed, cfg.replicates)
    result.replicates = run_many(
        [(cfg, ss) for ss in seeds], cfg.workers, progress, cfg.team_model.name
    )
    return result


def scenario_summary(result: ScenarioResult) -> dict[str, Any]:
    """Aggregated metrics (mean and 95% CI) plus every replicate's values."""
    return {
        "team_model": result.team_model,
        "metrics": aggregate(result.summaries),
        "replicates": result.summaries,
    }


def comparison(results: dict[str, ScenarioResult], baseline: str) -> dict[str, Any]:
    """Paired differences of every team model against ``baseline``."""
    base = results[baseline].summaries
    return {
        name: metric_differences(r.summaries, base)
        for name, r in results.items()
        if name != baseline
    }


def comparison_table(results: dict[str, ScenarioResult], baseline: str) -> pd.DataFrame:
    """Long table: metric, team model, mean and CI, and paired difference vs baseline."""
    diffs = comparison(results, baseline)
    rows = []
    for name, r in results.items():
        levels = sorted(aggregate_rows(aggregate(r.summaries)), key=lambda row: row["metric"])
        for level in levels:
            metric = level["metric"]
            d = diffs.get(name, {}).get(metric)
            rows.append(
                {
                    "metric": metric,
                    "team_model": name,
                    "baseline": baseline,
                    "mean": level["mean"],
                    "ci_low": level["ci_low"],
                    "ci_high": level["ci_high"],
                    "n": level["n"],
                    "diff_vs_baseline": d["mean"] if d else (0.0 if name == baseline else None),
                    "diff_ci_low": d["ci95"][0] if d else None,
                    "diff_ci_high": d["ci95"][1] if d else None,
                }
            )
    return pd.DataFrame(rows)


#: Installed packages whose versions can change a run's results or outputs; each run
#: records them so that a figure can be traced to the environment that produced it.
RESULT_PACKAGES = (
    "mesa",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "hydra-core",
    "omegaconf",
    "matplotlib",
    "joblib",
    "optuna",
    "SALib",
    "ciw",
)


def environment() -> dict[str, Any]:
    """The Python version and the exact versions of :data:`RESULT_PACKAGES`.

    A package that is not installed is recorded as ``None``.
    """
    versions: dict[str, str | None] = {}
    for name in RESULT_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {"python": platform.python_version(), "packages": versions}


def run_metadata(cfg: Config, raw_cfg: Any = None) -> dict[str, Any]:
    """The resolved configuration, seed, package version and environment, to repeat the
    run."""
    resolved = (
        OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True)
        if raw_cfg is None
        else OmegaConf.to_container(raw_cfg, resolve=True)
    )
    return {
        "sim_version": __version__,
        "seed": cfg.seed,
        "replicates": cfg.replicates,
        "replicate_seeds": [
            int(s.generate_state(1)[0]) for s in replicate_seeds(cfg.seed, cfg.replicates)
        ],
        "environment": environment(),
        "config": resolved,
    }


def mmc_summary(cfg: Config, result: ScenarioResult) -> dict[str, Any]:
    """The M/M/c verification: simulated mean wait for a post against Erlang C."""
    waits = [r.summary["delay_days"]["request_to_allocation"]["mean"] for r in result.replicates]
    customers = sum(
        r.summary["delay_days"]["request_to_allocation"]["n"] for r in result.replicates
    )
    return {
        "servers": cfg.mmc.servers,
        "utilisation": cfg.mmc.utilisation,
        "mean_service_days": cfg.mmc.mean_service_days,
        "mean_wait_days": mean_ci(waits),
        "customers": customers,
        "erlang_c_mean_wait_days": mmc_mean_wait_days(
            cfg.mmc.servers, cfg.mmc.utilisation, cfg.mmc.mean_service_days
        ),
    }


def write_scenario(
    outdir: Path, cfg: Config, result: ScenarioResult, job: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Write ``summary.json``, ``episodes.parquet``, ``series.parquet`` and ``run.json``.

    ``summary.json`` depends only on the configuration and seed (no times, paths or
    process ids), so the same job gives the same bytes wherever it runs; ``job`` (a sweep
    job's number, overrides, host, pid, output folder and start time) goes to ``run.json``.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    summary = scenario_summary(result)
    summary["area"] = cfg.area.name
    summary["children"] = cfg.area.children
    summary["years"] = cfg.years
    summary["seed"] = cfg.seed
    summary.update(summary.pop("metrics"))
    if cfg.mmc.enabled:
        summary["mmc"] = mmc_summary(cfg, result)
    atomic_write_parquet(outdir / "episodes.parquet", result.episodes())
    followed = result.followed_episodes()
    if followed is not None:
        atomic_write_parquet(outdir / "episodes_followed.parquet", followed)
    atomic_write_parquet(outdir / "series.parquet", result.series())
    meta = run_metadata(cfg)
    if job is not None:
        meta["job"] = job
    atomic_write_json(outdir / "run.json", meta)
    atomic_write_json(outdir / "summary.json", summary)
    return summary


def run_comparison(cfgs: Mapping[Any, Config], progress: bool = False) -> dict[Any, ScenarioResult]:
    """Run each team model's configuration with the same replicate seeds.

    The configurations must share ``seed`` and ``replicates``; replicate ``r`` of every
    team model then sees the same children, families, need onsets and workforce at the
    start (common random numbers), so differences are paired.
    """
    pairs = {(c.seed, c.replicates) for c in cfgs.values()}
    if len(pairs) != 1:
        raise ValueError("team models compared must share seed and replicates")
    first = next(iter(cfgs.values()))
    seeds = replicate_seeds(first.seed, first.replicates)
    jobs = [(cfg, ss) for cfg in cfgs.values() for ss in seeds]
    done = run_many(jobs, first.workers, progress, "team models x replicates")
    out: dict[Any, ScenarioResult] = {}
    for i, (name, cfg) in enumerate(cfgs.items()):
        out[name] = ScenarioResult(cfg.team_model.name, done[i * len(seeds) : (i + 1) * len(seeds)])
    return out


def write_comparison(
    outdir: Path,
    cfg: Config,
    cfgs: dict[str, Config],
    results: dict[str, ScenarioResult],
    job: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write the comparison: summary.json, comparison.csv, tables, run.json and plots.

    ``job`` (a sweep job's metadata) goes to ``run.json``, never to ``summary.json``.
    """
    from sim.plots import comparison_plots

    outdir.mkdir(parents=True, exist_ok=True)
    baseline = cfg.compare.baseline
    summary: dict[str, Any] = {
        "area": cfg.area.name,
        "children": cfg.area.children,
        "years": cfg.years,
        "seed": cfg.seed,
        "replicates": cfg.replicates,
        "baseline": baseline,
        "team_models": {name: aggregate(r.summaries) for name, r in results.items()},
        "paired_difference_vs_baseline": comparison(results, baseline),
        "replicates_by_team_model": {name: r.summaries for name, r in results.items()},
    }
    table = comparison_table(results, baseline)
    episodes = pd.concat([r.episodes() for r in results.values()], ignore_index=True)
    series = pd.concat(
        [r.series().assign(team_model=name) for name, r in results.items()], ignore_index=True
    )
    atomic_write_parquet(outdir / "episodes.parquet", episodes)
    followed = [r.followed_episodes() for r in results.values()]
    if all(f is not None for f in followed):
        atomic_write_parquet(
            outdir / "episodes_followed.parquet", pd.concat(followed, ignore_index=True)
        )
    atomic_write_parquet(outdir / "series.parquet", series)
    atomic_write_bytes(outdir / "comparison.csv", table.to_csv(index=False).encode())
    meta = run_metadata(cfg)
    meta["team_model_configs"] = {
        name: OmegaConf.to_container(OmegaConf.structured(c)) for name, c in cfgs.items()
    }
    if job is not None:
        meta["job"] = job
    atomic_write_json(outdir / "run.json", meta)
    comparison_plots(outdir / "plots", table, series, baseline)
    atomic_write_json(outdir / "summary.json", summary)
    return summary
