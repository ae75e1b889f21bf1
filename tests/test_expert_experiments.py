"""The Expert Group's four experiments run end to end at tiny scale.

Evidence given: each ``python experiments/<name>.py`` command (a Hydra experiment config
plus its analysis) runs its sweep on a 1,000-child area (one warm-up year, one observed
year, two replicates, one team model, the baseline and one other scenario) and writes
its effects table (``effects.csv``: scenario, metric, paired effect with a 95% CI) and
PNG plots to ``<sweep folder>/analysis/``. The full grids are checked to compose and
validate (``test_experiment_grids_validate``) without running them.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, TEAM_MODELS, sim_env
from omegaconf import DictConfig

from sim import config as sc
from sim.config import precheck_argv
from sim.params import Config

TINY = [
    "area=test",
    "area.children=1000",
    "years=1",
    "warmup_years=1",
    "replicates=2",
    "workers=1",
    "progress=false",
    "team_model=tac_only",
]
#: Each experiment, its reduced sweep (baseline and one other scenario), its outputs.
CASES = {
    "prioritise_workforce": (
        ["area.establishment_scale={},{social_worker:1.1}"],
        ["effects.csv", "added_cost.csv", "effects.png"],
    ),
    "vacancy_shock": ([], ["effects.csv", "effects.png", "vacancies.png"]),
    "information_sharing": (
        ["assessment.child_index=true", "assessment.sharing_reluctance=0,0.5"],
        ["effects.csv", "effects.png"],
    ),
    "skills": (["workforce.training_rate=0.1,0.5"], ["effects.csv", "effects.png"]),
}
PNG = b"\x89PNG\r\n\x1a\n"


#: Professions ``prioritise_workforce`` gives 10% more FTE, one at a time.
SCALED_PROFESSIONS = (
    "teacher",
    "pastoral",
    "early_years",
    "health_visitor",
    "school_nurse",
    "gp",
    "police",
    "social_worker",
    "family_support",
    "ed_psych",
    "camhs_worker",
    "ewo",
    "youth_worker",
    "substance_misuse",
)


def _grid_point(name: str, cfg: Config) -> tuple:
    """The point of the experiment's grid that a job's configuration stands for."""
    if name == "prioritise_workforce":
        scaled = {p: s for p, s in cfg.area.establishment_scale.items() if s != 1.0}
        return (cfg.team_model.name, tuple(sorted(scaled.items())))
    if name == "vacancy_shock":
        return (cfg.team_model.name, tuple(cfg.workforce.vacancy_schedule_rates))
    if name == "information_sharing":
        a = cfg.assessment
        return (cfg.team_model.name, a.child_index, a.sharing_reluctance)
    return (cfg.team_model.name, cfg.workforce.training_rate)


#: Each experiment's full grid, as points of :func:`_grid_point`: every team model with
#: the baseline the analysis compares against and each other scenario.
GRIDS = {
    "prioritise_workforce": [
        (tm, scaled)
        for tm in TEAM_MODELS
        for scaled in [(), *(((p, 1.1),) for p in SCALED_PROFESSIONS)]
    ],
    "vacancy_shock": [
        (tm, rates)
        for tm in TEAM_MODELS
        for rates in [(0.1, 0.1, 0.1, 0.1), (0.1, 0.35, 0.35, 0.1)]
    ],
    "information_sharing": [
        (tm, index, reluctance)
        for tm in TEAM_MODELS
        for index in (True, False)
        for reluctance in (0.0, 0.5)
    ],
    "skills": [(tm, rate) for tm in TEAM_MODELS for rate in (0.0, 0.1, 0.25, 0.5)],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_experiment_grids_validate(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pre-check of ``python -m sim -m experiment=<name>`` composes and validates
    every job of the experiment's full grid (the sweep set in its config, 45, 6, 12 or 12
    jobs), each exactly once, with the experiment's own name and area preset, and passes."""
    seen: list[Config] = []
    real = sc.validate

    def recording(cfg: DictConfig) -> Config:
        out = real(cfg)
        seen.append(out)
        return out

    monkeypatch.setattr(sc, "validate", recording)
    precheck_argv(["-m", f"experiment={name}"])
    assert sorted(_grid_point(name, c) for c in seen) == sorted(GRIDS[name])
    assert {(c.experiment_name, c.area.name) for c in seen} == {(name, "stockport")}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_expert_experiment_smoke(name: str, tmp_path: Path) -> None:
    """One command runs the sweep and writes the effects table and plots."""
    extra, outputs = CASES[name]
    out = tmp_path / "sweep"
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "experiments" / f"{name}.py"),
            *TINY,
            *extra,
            f"hydra.sweep.dir={out}",
        ],
        cwd=tmp_path,
        env=sim_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    for fname in outputs:
        path = out / "analysis" / fname
        assert path.is_file(), f"{name}: {fname} missing"
        if fname.endswith(".png"):
            assert path.read_bytes()[:8] == PNG
    with open(out / "analysis" / "effects.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, f"{name}: effects.csv is empty"
    assert {
        "team_model",
        "scenario",
        "metric",
        "effect",
        "effect_ci_low",
        "effect_ci_high",
        "n",
    } <= set(rows[0])
    metrics = {r["metric"] for r in rows}
    assert {
        "early_identification_rate",
        "delay_days.onset_to_support.median",
        "staff_cost",
    } <= metrics, metrics
    assert all(r["n"] == "2" for r in rows), rows[:3]
