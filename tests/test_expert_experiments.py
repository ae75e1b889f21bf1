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
from conftest import REPO, sim_env

from sim.config import precheck_argv

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


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_experiment_grids_validate(name: str) -> None:
    """The experiment's full sweep composes and every job validates."""
    precheck_argv(["-m", f"experiment={name}"])


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
