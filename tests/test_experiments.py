"""Every shipped experiment runs end to end and writes the documented outputs.

Evidence given: each YAML in ``configs/experiment`` composes and validates (an
experiment may define its own area, as ``mmc`` does, so ``area=test`` only picks the
group it starts from), and
``python -m sim experiment=<name>`` on the small test area (one warm-up year, one observed
year, two replicates) finishes well within a minute and writes ``summary.json`` with the
headline metrics, each as ``{mean, ci95: [lo, hi], n}`` over replicates; compare-mode
experiments also write ``comparison.csv`` and PNG plots, with a summary per team model.
"""

from __future__ import annotations

import csv
import json
import resource
from pathlib import Path

import pytest
from conftest import run_cli

from sim.config import CONFIG_DIR, compose, validate

EXPERIMENTS = sorted(p.stem for p in (CONFIG_DIR / "experiment").glob("*.yaml"))
#: Experiments whose command is a script in experiments/ with its own smoke test
#: (tests/test_expert_experiments.py, tests/test_sensitivity.py); here they are only
#: composed and validated.
OWN_SMOKE_TEST = {
    "prioritise_workforce",
    "vacancy_shock",
    "information_sharing",
    "skills",
    "morris",
}
SMALL = ["area=test", "years=1", "warmup_years=1", "replicates=2", "progress=false"]
STAGES = (
    "onset_to_identification",
    "identification_to_assessment",
    "assessment_to_tac_meeting",
    "tac_meeting_to_support",
    "onset_to_support",
)
SCALARS = (
    "early_identification_rate",
    "referrals_per_10k",
    "re_referral_rate",
    "escalation_rate",
    "unmet_demand_hours",
)
BY_PROFESSION = ("utilisation", "caseload_per_fte")
PNG = b"\x89PNG\r\n\x1a\n"


def test_experiments_exist() -> None:
    """At least one experiment is shipped (the main job, compare_team_models)."""
    assert "compare_team_models" in EXPERIMENTS, EXPERIMENTS


def _check_stat(stat: object, where: str, n: int) -> None:
    """``stat`` is ``{mean, ci95: [lo, hi], n}`` with lo <= mean <= hi when present."""
    assert isinstance(stat, dict) and set(stat) == {"mean", "ci95", "n"}, f"{where}: {stat}"
    assert isinstance(stat["ci95"], list) and len(stat["ci95"]) == 2, f"{where}: {stat}"
    assert 0 <= stat["n"] <= n, f"{where}: n = {stat['n']} with {n} replicates"
    m, (lo, hi) = stat["mean"], stat["ci95"]
    if stat["n"] >= 2:
        assert None not in (m, lo, hi), f"{where}: {stat}"
        assert lo - 1e-9 <= m <= hi + 1e-9, f"{where}: mean {m} outside CI [{lo}, {hi}]"
    elif stat["n"] == 0:
        assert m is None, f"{where}: {stat}"


def _check_metrics(metrics: dict, where: str, n: int) -> None:
    """The headline metrics of one scenario, each with its replicate statistics."""
    for key in SCALARS:
        assert key in metrics, f"{where}: {key} missing"
        _check_stat(metrics[key], f"{where}.{key}", n)
    got = metrics["early_identification_rate"]["n"]
    assert got == n, f"{where}: early_identification_rate computed in {got} of {n} replicates"
    assert set(STAGES) <= set(metrics["delay_days"]), f"{where}: stages {metrics['delay_days']}"
    for stage in STAGES:
        for q in ("median", "p90"):
            _check_stat(metrics["delay_days"][stage][q], f"{where}.delay_days.{stage}.{q}", n)
    for key in BY_PROFESSION:
        assert isinstance(metrics[key], dict) and metrics[key], f"{where}: {key} empty"
        for prof, stat in metrics[key].items():
            _check_stat(stat, f"{where}.{key}.{prof}", n)
        assert "family_support" in metrics[key], f"{where}: {key} has no family_support"


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_composes_and_validates(name: str) -> None:
    """The experiment composes with the small-area overrides and passes validation; the
    command line overrides the experiment's own settings."""
    cfg = validate(compose([f"experiment={name}", *SMALL]))
    assert cfg.replicates == 2 and cfg.years == 1 and cfg.warmup_years == 1, (
        f"experiment={name}: the command line did not override replicates/years"
    )
    assert cfg.mode in ("single", "compare")
    shipped = validate(compose([f"experiment={name}"]))
    assert shipped.experiment_name, f"experiment={name} has no experiment_name"


@pytest.mark.parametrize("name", [e for e in EXPERIMENTS if e not in OWN_SMOKE_TEST])
def test_experiment_runs_end_to_end(name: str, tmp_path: Path) -> None:
    """``python -m sim experiment=<name> area=test years=1 warmup_years=1 replicates=2``
    exits 0 within a minute of CPU time and writes summary.json with every headline metric (at the
    top level in single mode, under ``team_models.<name>`` in compare mode), and in
    compare mode comparison.csv (a row per metric and team model, the baseline's own
    difference 0) and non-empty PNG plots."""
    out = tmp_path / "out"
    # CPU time of the command, not wall time: on a shared machine the wall time of the
    # same run varied from about 15 s to over 60 s with other work running beside it.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = run_cli([f"experiment={name}", *SMALL, f"hydra.run.dir={out}"], tmp_path)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert proc.returncode == 0, f"experiment={name} failed:\n{proc.stderr[-3000:]}"
    assert cpu < 60, f"experiment={name} took {cpu:.0f} s of CPU time on the test area"
    assert "Traceback" not in proc.stderr
    cfg = validate(compose([f"experiment={name}", *SMALL]))
    summary = json.loads((out / "summary.json").read_text())
    assert (out / "episodes.parquet").is_file() and (out / "series.parquet").is_file()
    assert (out / "run.json").is_file()
    if cfg.mode == "single":
        _check_metrics(summary, "summary", 2)
        if cfg.mmc.enabled:
            mmc = summary["mmc"]
            _check_stat(mmc["mean_wait_days"], "mmc.mean_wait_days", 2)
            assert mmc["erlang_c_mean_wait_days"] > 0 and mmc["customers"] > 0, mmc
        return
    models = list(cfg.compare.team_models)
    assert set(summary["team_models"]) == set(models), summary["team_models"].keys()
    for tm in models:
        _check_metrics(summary["team_models"][tm], f"team_models.{tm}", 2)
    assert summary["baseline"] == cfg.compare.baseline
    assert set(summary["paired_difference_vs_baseline"]) == set(models) - {cfg.compare.baseline}
    with open(out / "comparison.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, "comparison.csv is empty"
    assert {
        "metric",
        "team_model",
        "baseline",
        "mean",
        "ci_low",
        "ci_high",
        "n",
        "diff_vs_baseline",
        "diff_ci_low",
        "diff_ci_high",
    } <= set(rows[0])
    assert {r["team_model"] for r in rows} == set(models)
    metrics = {r["metric"] for r in rows}
    for key in (*SCALARS, "delay_days.onset_to_support.median"):
        assert key in metrics, f"comparison.csv has no row for {key}"
    base = [r for r in rows if r["team_model"] == cfg.compare.baseline]
    assert all(float(r["diff_vs_baseline"]) == 0.0 for r in base if r["diff_vs_baseline"])
    plots = sorted((out / "plots").glob("*.png"))
    assert plots, "no plots written"
    for p in plots:
        data = p.read_bytes()
        assert data.startswith(PNG) and len(data) > 1000, f"{p.name} is not a PNG plot"


def test_drivers_names_what_decides_each_difference(tmp_path: Path) -> None:
    """``experiments/drivers.py`` moves each team-model parameter the presets set
    differently to both ends of its range in one team model, and names the one that
    moves each difference against the baseline most, with the difference at each end."""
    import importlib.util

    from conftest import REPO

    spec = importlib.util.spec_from_file_location("drivers", REPO / "experiments" / "drivers.py")
    assert spec is not None and spec.loader is not None
    drivers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(drivers)
    differing = drivers.differing_parameters()
    assert "core_time_share" in differing and "panel_interval_days" not in differing
    code = drivers.main(
        [
            f"out={tmp_path}",
            "params=core_time_share,advice_multiplier",
            "area=test",
            "area.children=2000",
            "years=1",
            "warmup_years=0.5",
            "followup_years=0",
            "replicates=2",
        ]
    )
    assert code == 0
    result = json.loads((tmp_path / "drivers.json").read_text())
    for tm in ("co_located", "virtual"):
        for metric in drivers.METRICS:
            rows = result["models"][tm][metric]["parameters"]
            assert [r["parameter"] for r in rows] and len(rows) == 2
            assert rows[0]["spread"] >= rows[1]["spread"]
    text = (tmp_path / "drivers.md").read_text()
    assert text.count("depends mainly on team_model.") == 2 * len(drivers.METRICS)
    assert drivers.main(["params=not_a_parameter"]) == 2
