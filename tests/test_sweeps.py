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
- three sweeps started at the same moment (two of them in the same second) each write
  their jobs to a folder of their own, named by their process id.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
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


#: ``python -m sim <argv[3:]>`` held at a start line: the slow imports are done first,
#: then the process creates the file ``argv[1]`` and waits for the file ``argv[2]``, so
#: processes released together start their sweeps within a fraction of a second.
AT_START_LINE = """
import runpy, sys, time
from pathlib import Path
import sim.cli  # the slow imports, before the start line
Path(sys.argv[1]).touch()
while not Path(sys.argv[2]).exists():
    time.sleep(0.002)
sys.argv = ["sim", *sys.argv[3:]]
runpy.run_module("sim", run_name="__main__", alter_sys=True)
"""
#: A tiny sweep (a 500-child area, a quarter-year warm-up and run, one replicate).
TINY_SWEEP = [
    "area=test",
    "area.children=500",
    "years=0.25",
    "warmup_years=0.25",
    "replicates=1",
    "progress=false",
]


def test_sweep_folders_never_shared(tmp_path: Path) -> None:
    """Three sweeps of the same experiment started at the same moment from the same
    folder, at least two of them in the same second, each write to a folder of their own,
    ``multirun/single/<date>_<time>-<microseconds>-<pid>``, named by the process that ran
    the sweep; each folder holds that sweep's two jobs, complete, and nothing of the
    others'. (Three, so that two share a second whenever they start within a second.)"""
    seeds = [(1, 2), (3, 4), (5, 6)]
    go = tmp_path / "go"
    ready = [tmp_path / f"ready{i}" for i in range(len(seeds))]
    logs = [tmp_path / f"sweep{i}.log" for i in range(len(seeds))]
    procs: list[subprocess.Popen] = []
    try:
        for flag, log, (a, b) in zip(ready, logs, seeds, strict=True):
            with log.open("wb") as out:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-c", AT_START_LINE, str(flag), str(go)]
                        + ["-m", *TINY_SWEEP, f"seed={a},{b}"],
                        cwd=tmp_path,
                        env=sim_env(),
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        deadline = time.monotonic() + 120
        while not all(flag.exists() for flag in ready):
            assert all(p.poll() is None for p in procs), [log.read_text() for log in logs]
            assert time.monotonic() < deadline, "the sweeps did not start within 120 s"
            time.sleep(0.01)
        go.touch()
        for p in procs:
            p.wait(timeout=180)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, log in zip(procs, logs, strict=True):
        assert p.returncode == 0, log.read_text()[-3000:]
    root = tmp_path / "multirun" / "single"
    folders = sorted(f.name for f in root.iterdir())
    assert len(folders) == len(seeds), f"{len(seeds)} sweeps wrote to {folders}"
    by_pid = {}
    for name in folders:
        stamp, _, pid = name.rpartition("-")
        assert pid.isdigit(), name
        by_pid[int(pid)] = (name, datetime.strptime(stamp, "%Y-%m-%d_%H-%M-%S-%f"))
    assert set(by_pid) == {p.pid for p in procs}, (folders, [p.pid for p in procs])
    seconds = {started.replace(microsecond=0) for _, started in by_pid.values()}
    assert len(seconds) < len(seeds), f"no two sweeps started in the same second: {folders}"
    for p, own in zip(procs, seeds, strict=True):
        folder = root / by_pid[p.pid][0]
        assert sorted(f.name for f in folder.iterdir() if f.is_dir()) == ["0", "1"], folder
        table = pd.read_parquet(folder / "sweep.parquet")
        assert sorted(table["seed"]) == list(own), (folder, table)
        for job, seed in enumerate(own):
            run = json.loads((folder / str(job) / "run.json").read_text())
            assert run["job"]["pid"] == p.pid, (folder, job, run["job"])
            assert run["job"]["output_dir"] == str(folder / str(job)), run["job"]
            assert run["config"]["seed"] == seed, (folder, job)
            marker = json.loads((folder / str(job) / MARKER).read_text())
            assert marker["status"] == "complete" and marker["params"]["seed"] == seed


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
