"""Shared fixtures: small configurations, cached small runs, and a subprocess helper.

Every configuration starts from :data:`BASE` (the 5,000-child ``test`` area, one year of
warm-up and two observed years, progress bars off); later overrides of the same key
replace earlier ones, so a test states only what it changes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.config import compose, validate
from sim.params import Config
from sim.runner import ReplicateResult, run_replicate
from sim.team_models import REGISTRY

REPO = Path(__file__).resolve().parent.parent

#: Overrides every test configuration starts from.
BASE: tuple[str, ...] = ("area=test", "years=2", "warmup_years=1", "progress=false")

#: The team models, from the one list of them (``sim.team_models.REGISTRY``).
TEAM_MODELS: tuple[str, ...] = tuple(REGISTRY)

#: Seeds used by tests that make statistical claims.
SEEDS: tuple[int, ...] = (1, 2, 3, 4)


def _key(override: str) -> str:
    """The key an override sets (``+a.b=1`` and ``a.b=2`` both set ``a.b``)."""
    return override.split("=", 1)[0].lstrip("+~")


def merge_overrides(*overrides: str) -> list[str]:
    """:data:`BASE` followed by ``overrides``, a later override of a key replacing the
    earlier one (Hydra itself rejects a config group chosen twice)."""
    out: dict[str, str] = {}
    for o in (*BASE, *overrides):
        out.pop(_key(o), None)
        out[_key(o)] = o
    return list(out.values())


def make_cfg(*overrides: str) -> Config:
    """A validated configuration: :data:`BASE` plus ``overrides``."""
    return validate(compose(merge_overrides(*overrides)))


def run(seed: int, *overrides: str) -> ReplicateResult:
    """One replicate of :func:`make_cfg` ``(*overrides)`` with ``seed``."""
    return run_replicate(make_cfg(*overrides), seed)


_RUN_CACHE: dict[tuple, ReplicateResult] = {}


def cached_run(seed: int, *overrides: str) -> ReplicateResult:
    """Like :func:`run`, but each (seed, overrides) is run once per test session.

    Callers must not modify the returned tables.
    """
    key = (seed, tuple(merge_overrides(*overrides)))
    if key not in _RUN_CACHE:
        _RUN_CACHE[key] = run(seed, *overrides)
    return _RUN_CACHE[key]


@pytest.fixture(scope="session")
def small_run() -> ReplicateResult:
    """One default replicate (tac_only, test area, seed 1), shared by read-only tests."""
    return cached_run(1)


@pytest.fixture(scope="session")
def runs_by_team_model() -> dict[str, ReplicateResult]:
    """One replicate of each team model with its shipped settings, same seed (1)."""
    return {tm: cached_run(1, f"team_model={tm}") for tm in TEAM_MODELS}


def sim_env() -> dict[str, str]:
    """Environment for ``python -m sim`` subprocesses: the repository on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.pop("HYDRA_FULL_ERROR", None)
    env["MPLBACKEND"] = "Agg"
    return env


def run_cli(args: list[str], cwd: Path, timeout: float = 120.0) -> subprocess.CompletedProcess:
    """Run ``python -m sim <args>`` in ``cwd`` and return the completed process."""
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        cwd=cwd,
        env=sim_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
