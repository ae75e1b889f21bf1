"""Repeatability: the same configuration and seed give the same outputs, byte for byte.

Evidence given: two ``python -m sim`` runs of one command line, in separate processes
with different Python hash seeds, write byte-identical ``summary.json``,
``episodes.parquet``, ``series.parquet`` and ``run.json``; another seed gives other
results; every replicate of a scenario gets its own seed (spawned from the scenario
seed), the replicates of a longer scenario start with those of a shorter one, and a
replicate can be re-run on its own from its spawned seed; running replicates in
parallel worker processes gives the same results as running them one after another.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import cached_run, make_cfg, sim_env

from sim.rng import replicate_seeds
from sim.runner import run_replicate, run_scenario
from sim.summary import flatten

ARGS = ["area=test", "years=1", "warmup_years=1", "progress=false"]
FILES = ("summary.json", "episodes.parquet", "series.parquet", "run.json")


def _run_twice(tmp_path: Path, args: list[str]) -> tuple[Path, Path]:
    """Run ``python -m sim args`` twice in parallel (hash seeds 1 and 2) into a and b."""
    import subprocess
    import sys

    procs = []
    for name, hash_seed in (("a", "1"), ("b", "2")):
        env = sim_env()
        env["PYTHONHASHSEED"] = hash_seed
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "sim", *args, f"hydra.run.dir={tmp_path / name}"],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, f"python -m sim {' '.join(args)} failed:\n{err[-3000:]}"
    return tmp_path / "a", tmp_path / "b"


def test_cli_same_seed_byte_identical(tmp_path: Path) -> None:
    """``python -m sim area=test years=1 warmup_years=1`` run twice (different
    PYTHONHASHSEED) writes byte-identical summary.json, episodes.parquet,
    series.parquet and run.json, and the run is not empty."""
    a, b = _run_twice(tmp_path, ARGS)
    for name in FILES:
        fa, fb = a / name, b / name
        assert fa.is_file() and fb.is_file(), f"{name} missing"
        assert fa.read_bytes() == fb.read_bytes(), f"{name} differs between two runs"
    episodes = pd.read_parquet(a / "episodes.parquet")
    assert len(episodes) > 100
    summary = json.loads((a / "summary.json").read_text())
    assert summary["seed"] == make_cfg().seed


def test_run_record_names_its_environment(tmp_path: Path) -> None:
    """``run.json`` records the Python version and the exact installed version of every
    package that affects results (at least mesa, numpy, scipy, pandas, pyarrow and
    hydra-core), read from the environment that ran it."""
    import importlib.metadata
    import platform

    a, _ = _run_twice(tmp_path, ARGS)
    env = json.loads((a / "run.json").read_text())["environment"]
    assert env["python"] == platform.python_version()
    for name in ("mesa", "numpy", "scipy", "pandas", "pyarrow", "hydra-core"):
        assert env["packages"][name] == importlib.metadata.version(name), name


def test_different_seeds_differ() -> None:
    """Seeds 1 and 2 give different episodes, series and headline metrics."""
    r1, r2 = cached_run(1), cached_run(2)
    assert not r1.episodes.equals(r2.episodes)
    assert not r1.series.equals(r2.series)
    f1, f2 = flatten(r1.summary), flatten(r2.summary)
    differ = [k for k in f1 if f1[k] != f2.get(k) and f1[k] == f1[k]]
    assert len(differ) > len(f1) // 3, f"seeds 1 and 2 agree on most metrics: {differ}"
    assert r1.summary["early_identification_rate"] != r2.summary["early_identification_rate"]


def test_same_seed_in_process_identical() -> None:
    """Running the same configuration and seed twice in one process gives equal tables
    and summaries (no state leaks from one model to the next)."""
    cfg = make_cfg("years=1")
    a, b = run_replicate(cfg, 5), run_replicate(cfg, 5)
    pd.testing.assert_frame_equal(a.episodes, b.episodes)
    pd.testing.assert_frame_equal(a.series, b.series)
    assert json.dumps(a.summary, sort_keys=True, default=str) == json.dumps(
        b.summary, sort_keys=True, default=str
    )


def test_each_replicate_has_its_own_seed() -> None:
    """``run_scenario`` with 3 replicates: the replicates differ from each other, each
    equals a single run with its spawned seed ``replicate_seeds(seed, 3)[r]``, and the
    first two equal those of a 2-replicate scenario with the same seed."""
    cfg3 = make_cfg("years=1", "replicates=3", "seed=77")
    cfg2 = make_cfg("years=1", "replicates=2", "seed=77")
    s3, s2 = run_scenario(cfg3), run_scenario(cfg2)
    eps = [r.episodes for r in s3.replicates]
    assert len(eps) == 3
    for i in range(3):
        for j in range(i + 1, 3):
            assert not eps[i].equals(eps[j]), f"replicates {i} and {j} are identical"
    seeds = replicate_seeds(77, 3)
    alone = run_replicate(cfg3, seeds[2])
    pd.testing.assert_frame_equal(alone.episodes, eps[2])
    for r in range(2):
        pd.testing.assert_frame_equal(s2.replicates[r].episodes, eps[r])
    states = {tuple(s.generate_state(2)) for s in seeds}
    assert len(states) == 3


def test_parallel_replicates_equal_serial() -> None:
    """Replicates run in 2 worker processes (``workers=2``) equal the same replicates run
    serially, in the same order."""
    serial = run_scenario(make_cfg("years=1", "warmup_years=0.5", "replicates=2", "workers=1"))
    parallel = run_scenario(make_cfg("years=1", "warmup_years=0.5", "replicates=2", "workers=2"))
    for r, (a, b) in enumerate(zip(serial.replicates, parallel.replicates, strict=True)):
        pd.testing.assert_frame_equal(a.episodes, b.episodes, obj=f"replicate {r} episodes")
        fa, fb = flatten(a.summary), flatten(b.summary)
        assert all(fa[k] == fb[k] or (fa[k] != fa[k] and fb[k] != fb[k]) for k in fa), (
            f"replicate {r}: summaries differ between workers=1 and workers=2"
        )
    assert not np.array_equal(
        serial.replicates[0].episodes["onset_day"].to_numpy()[:5],
        serial.replicates[1].episodes["onset_day"].to_numpy()[:5],
    )
