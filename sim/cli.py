"""The Hydra application behind ``python -m sim``.

``mode=single`` runs one team model on one area with ``replicates`` replicates;
``mode=compare`` (the ``compare_team_models`` experiment) runs each team model in
``compare.team_models`` with the same replicate seeds (common random numbers) and writes
a comparison table and plots.

With ``-m`` (multirun) every combination of the swept values is one job, run by the
launcher chosen with ``hydra/launcher=...`` (``basic``, ``joblib``, ``submitit_local``,
``submitit_slurm`` with a ``cluster=...`` preset); see :mod:`sim.sweep` for what a job
does around its run (skip when complete, record a failure) and ``docs/sweeps.md``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from sim.config import (
    CONFIG_DIR,
    ConfigError,
    compose,
    estimate_notice,
    register_resolvers,
    register_schema,
    validate,
)
from sim.params import Config
from sim.report import write_report
from sim.runner import run_comparison, run_scenario, write_comparison, write_scenario
from sim.sweep import run_job

log = logging.getLogger("sim")

# ${pid:} names sweep folders; jobs started by other launchers import this module when
# they unpickle the task function, so the resolver exists wherever the folder is resolved.
register_resolvers()


def _team_model_overrides(team_model: str) -> list[str]:
    """The command-line overrides of this run, with the team model replaced."""
    task = list(HydraConfig.get().overrides.task)
    kept = [o for o in task if not o.lstrip("+~").startswith("team_model=")]
    return kept + [f"team_model={team_model}"]


def app(raw: DictConfig) -> None:
    """Run what the configuration asks for and write it to Hydra's output folder."""
    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    try:
        cfg = validate(raw)
    except ConfigError as exc:  # also checked before Hydra starts; kept for the API
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    hc = HydraConfig.get()
    outdir = Path(hc.runtime.output_dir)
    if hc.mode != RunMode.MULTIRUN:
        _run(cfg, outdir, cfg.progress)
        return
    # Bars of simulated years only when the job runs in the sweep's own process (the
    # basic launcher); parallel launchers' workers would write over each other.
    in_process = str(hc.launcher.get("_target_", "")).endswith("BasicLauncher")
    num = int(hc.job.num)
    status = run_job(
        raw,
        outdir,
        list(hc.overrides.task),
        num,
        lambda job: _run(cfg, outdir, cfg.progress and in_process, job),
    )
    if status == "skipped":
        print(f"job {num}: already complete in {outdir}, skipped")


def _run(cfg: Config, outdir: Path, progress: bool, job: dict | None = None) -> None:
    """Run one scenario or comparison and write its outputs to ``outdir``.

    A sweep job shows its own time and memory estimate when it shows progress bars (a
    single run's was shown by ``python -m sim`` before Hydra started).
    """
    if job is not None and progress:
        notice = estimate_notice(cfg)
        if notice is not None:
            print(f"job {job['job']}: {notice}", file=sys.stderr, flush=True)
    if cfg.mode == "compare":
        cfgs = {
            name: validate(compose(_team_model_overrides(name))) for name in cfg.compare.team_models
        }
        results = run_comparison(cfgs, progress=progress)
        summary = write_comparison(outdir, cfg, cfgs, results, job)
    else:
        result = run_scenario(cfg, progress=progress)
        summary = write_scenario(outdir, cfg, result, job)
    if job is None:  # a sweep gets one report of its own: python -m sim.report <sweep>
        write_report(outdir)
    if cfg.mode == "compare":
        _report_comparison(summary, outdir)
    else:
        _report(summary, outdir)


def _fmt(stat: dict, scale: float = 1.0, unit: str = "") -> str:
    m = stat.get("mean")
    if m is None:
        return "n/a"
    lo, hi = stat.get("ci95", [None, None])
    if lo is None:
        return f"{m * scale:.1f}{unit}"
    return f"{m * scale:.1f}{unit} (95% CI {lo * scale:.1f} to {hi * scale:.1f})"


def _report(summary: dict, outdir: Path) -> None:
    print(
        f"{summary['team_model']} on {summary['area']}: "
        f"early identification {_fmt(summary['early_identification_rate'], 100, '%')}; "
        f"onset to support median "
        f"{_fmt(summary['delay_days']['onset_to_support']['median'], 1, ' days')}; "
        f"referrals to social care "
        f"{_fmt(summary['referrals_per_10k'], 1, ' per 10,000 a year')}."
    )
    print(f"Report: {outdir / 'report.html'}")
    print(f"Outputs: {outdir}")


def _report_comparison(summary: dict, outdir: Path) -> None:
    for name, s in summary["team_models"].items():
        print(
            f"{name:>11}: early identification "
            f"{_fmt(s['early_identification_rate'], 100, '%')}; onset to support median "
            f"{_fmt(s['delay_days']['onset_to_support']['median'], 1, ' days')}"
        )
    print(f"Report: {outdir / 'report.html'}")
    print(f"Comparison table, plots and outputs: {outdir}")


def hydra_entry() -> None:
    """Entry point wrapped by Hydra."""
    register_schema()
    register_resolvers()
    hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")(app)()
