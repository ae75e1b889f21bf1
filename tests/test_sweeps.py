"""Sweeps: one table per sweep, parallel equals serial, failures recorded, resume exact.

Evidence given:

- a four-job sweep (two seeds x two team models, two replicates per job, run inside the
  job) ends with ``sweep.parquet``: one row per job x replicate, every swept setting and
  the headline metrics as columns, and every job folder holds a completion marker and no
  temporary file;
- the same sweep run with the parallel launcher (``hydra/launcher=joblib``) gives
  byte-identical ``summary.json`` files and the same table (summaries hold no times,
  paths or process ids: those go to ``run.json``);
- a job that raises records ``failed.json`` (overrides, configuration, error) and the
  others carry on; ``sim.collect`` lists the failure and counts unfinished jobs;
- (slow) a sweep killed with SIGKILL part-way, started again into the same folder (with a
  job made to fail on the way, and then repaired), ends with exactly the summaries and
  the table of the uninterrupted sweep, and re-runs only jobs without a marker;
- two sweeps started at the same moment get different folders.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli, sim_env

from sim.collect import collect
from sim.collect import main as collect_main
from sim.sweep import FAILURE, MARKER, expected_jobs, run_job

#: A small sweep: four jobs, two replicates each, on a 1,000-child area.
SWEEP = [
    "area=test",
    "area.children=1000",
    "years=1",
    "warmup_years=1",
    "replicates=2",
    "progress=false",
    "seed=1,2",
    "team_model=co_located,tac_only",
]
JOBS = 4

_REFERENCE: dict[str, Path] = {}


def reference_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sweep :data:`SWEEP` run serially (basic launcher), once per test session."""
    if "serial" not in _REFERENCE:
        root = tmp_path_factory.mktemp("serial")
        out = root / "sweep"
        proc = run_cli(["-m", *SWEEP, f"hydra.sweep.dir={out}"], cwd=root, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        _REFERENCE["serial"] = out
    return _REFERENCE["serial"]


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of the serial reference sweep."""
    return reference_sweep(tmp_path_factory)


def summaries(sweep_dir: Path) -> dict[str, bytes]:
    """``summary.json`` bytes of every job, by job folder name."""
    return {p.parent.name: p.read_bytes() for p in sorted(sweep_dir.glob("*/summary.json"))}


def test_sweep_table(serial: Path) -> None:
    """One row per job x replicate; swept settings and headline metrics are columns."""
    table = pd.read_parquet(serial / "sweep.parquet")
    assert len(table) == JOBS * 2, table[["job", "replicate"]]
    assert sorted(table["job"].unique()) == list(range(JOBS))
    for col in (
        "seed",
        "team_model",
        "replicate",
        "area.children",
        "early_identification_rate",
        "delay_days.onset_to_support.median",
        "staff_cost",
        "utilisation.social_worker",
        "referrals_per_10k",
    ):
        assert col in table.columns, f"{col} missing from {list(table.columns)}"
    assert set(table["team_model"]) == {"co_located", "tac_only"}
    assert set(table["seed"]) == {1, 2}
    assert table["early_identification_rate"].between(0, 1).all()
    # Every job complete, its marker last; no temporary file left anywhere.
    for job in range(JOBS):
        marker = json.loads((serial / str(job) / MARKER).read_text())
        assert marker["job"] == job and marker["status"] == "complete", marker
        newest = max(p.stat().st_mtime_ns for p in (serial / str(job)).iterdir())
        assert (serial / str(job) / MARKER).stat().st_mtime_ns == newest
    assert not [p for p in serial.rglob("*.tmp*")], list(serial.rglob("*.tmp*"))
    # Summaries carry no paths, times or pids; run.json does.
    for name, data in summaries(serial).items():
        text = data.decode()
        assert str(serial) not in text and "pid" not in text, name
        run = json.loads((serial / name / "run.json").read_text())
        assert {"host", "pid", "started", "output_dir", "overrides"} <= set(run["job"])
        assert run["environment"]["packages"]["numpy"] == np.__version__, name
    # Replicate r of each seed is paired across team models (common random numbers).
    first = table[(table["seed"] == 1) & (table["replicate"] == 0)]
    assert len(first) == 2


def test_collect_cli_matches_sweep_table(serial: Path, tmp_path: Path) -> None:
    """``python -m sim.collect`` rebuilds the same table; it says all jobs are complete."""
    out = tmp_path / "again.parquet"
    assert collect_main([str(serial), "--out", str(out)]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(serial / "sweep.parquet"))
    result = collect(serial)
    assert result.expected == JOBS and not result.pending and not result.failures


def test_parallel_equals_serial(serial: Path, tmp_path: Path) -> None:
    """The joblib launcher gives byte-identical per-job summaries and the same table."""
    out = tmp_path / "parallel"
    proc = run_cli(
        [
            "-m",
            *SWEEP,
            f"hydra.sweep.dir={out}",
            "hydra/launcher=joblib",
            "hydra.launcher.n_jobs=2",
        ],
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert summaries(out) == summaries(serial)
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "sweep.parquet"), pd.read_parquet(serial / "sweep.parquet")
    )


def test_failed_job_is_recorded_and_reported(tmp_path: Path) -> None:
    """A job that raises writes failed.json (overrides, config, error) and no marker;
    collect lists it; a later successful run clears it, and a complete job is skipped."""
    from omegaconf import OmegaConf

    raw = OmegaConf.create({"seed": 3, "area": {"children": 10}})
    job = tmp_path / "0"

    def boom(meta: dict) -> None:
        raise RuntimeError("the model ran out of practitioners")

    assert run_job(raw, job, ["seed=3", "progress=false"], 0, boom) == "failed"
    record = json.loads((job / FAILURE).read_text())
    assert record["overrides"] == ["seed=3"]
    assert record["params"] == {"seed": 3}
    assert record["config"] == {"seed": 3, "area": {"children": 10}}
    assert "RuntimeError: the model ran out of practitioners" == record["error"]
    assert not (job / MARKER).exists()
    result = collect(tmp_path)
    assert [f["job"] for f in result.failures] == [0] and result.table.empty

    calls = []
    ok = lambda meta: calls.append(meta)  # noqa: E731 - a stand-in for a run
    assert run_job(raw, job, ["seed=3"], 0, ok) == "complete"
    assert not (job / FAILURE).exists() and (job / MARKER).exists()
    assert run_job(raw, job, ["seed=3", "progress=true"], 0, ok) == "skipped"
    assert run_job(raw, job, ["seed=4"], 0, ok) == "complete"  # other overrides: rerun
    assert len(calls) == 2


def test_expected_jobs_follow_hydra_order() -> None:
    """The job list (for progress and for collect) is Hydra's basic sweeper's order."""
    jobs = expected_jobs(["seed=1,2", "team_model=a,b"], {"years": "1,2"})
    assert len(jobs) == 8
    assert jobs[0] == ["years=1", "seed=1", "team_model=a"]
    assert jobs[1] == ["years=1", "seed=1", "team_model=b"]
    assert expected_jobs(["seed=1,2"], {"seed": "5,6,7"}) == [["seed=1"], ["seed=2"]]


def test_sweep_folders_never_shared(tmp_path: Path) -> None:
    """The default sweep folder names the experiment, microseconds and the process id."""
    from hydra import compose as hcompose
    from hydra import initialize_config_dir
    from omegaconf import OmegaConf

    from sim.config import CONFIG_DIR, register_schema
    from sim.sweep import register_resolvers

    register_schema()
    register_resolvers()
    with initialize_config_dir(version_base="1.3", config_dir=str(CONFIG_DIR)):
        cfg = hcompose(
            "config", overrides=["experiment=compare_team_models"], return_hydra_config=True
        )
    pattern = OmegaConf.to_container(cfg.hydra.sweep, resolve=False)["dir"]
    assert "${experiment_name}" in pattern and "%f" in pattern and "${pid:}" in pattern


@pytest.mark.slow
def test_killed_sweep_resumes_exactly(serial: Path, tmp_path: Path) -> None:
    """SIGKILL part-way, then run again into the same folder (one job failing, then
    repaired): the final summaries and table equal the uninterrupted sweep's."""
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "sim", "-m", *SWEEP, f"hydra.sweep.dir={out}"]
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        env=sim_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 180
        while not list(out.glob(f"*/{MARKER}")):
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.time() < deadline, "no job finished within 180 s"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    partial = collect(out)
    assert 1 <= len(partial.complete) < JOBS, partial.complete
    assert len(partial.pending) == JOBS - len(partial.complete)
    # Make the last job fail on the way: a folder where its episodes file must go.
    last = out / str(JOBS - 1)
    (last / "episodes.parquet").mkdir(parents=True)
    again = run_cli(["-m", *SWEEP, f"hydra.sweep.dir={out}"], cwd=tmp_path, timeout=300)
    assert again.returncode == 1, again.stderr[-3000:]
    assert f"job {JOBS - 1} failed" in again.stdout, again.stdout
    skipped = again.stdout.count("skipped")
    assert skipped == len(partial.complete), again.stdout
    record = json.loads((last / FAILURE).read_text())
    assert "IsADirectoryError" in record["error"] and record["config"]["seed"] == 2
    (last / "episodes.parquet").rmdir()
    final = run_cli(["-m", *SWEEP, f"hydra.sweep.dir={out}"], cwd=tmp_path, timeout=300)
    assert final.returncode == 0, final.stderr[-3000:]
    assert final.stdout.count("skipped") == JOBS - 1, final.stdout
    assert summaries(out) == summaries(serial)
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "sweep.parquet"), pd.read_parquet(serial / "sweep.parquet")
    )
