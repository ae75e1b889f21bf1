"""Code habits the project keeps, checked with the tools CI would run.

Evidence given: ``ruff check`` (lint, with the NumPy docstring convention) and ``ruff
format --check`` pass on every Python file of the package, tests, experiments and
scripts (lint covers the notebooks' code cells too), and ``mypy`` finds no type error in
``sim/`` (which ships ``py.typed``), each with the settings in ``pyproject.toml``.
"""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO

PATHS = ("sim", "tests", "experiments", "scripts")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def test_ruff_lint_passes() -> None:
    """``ruff check`` reports nothing, in the notebooks' code cells too."""
    r = _run("ruff", "check", *PATHS, "notebooks")
    assert r.returncode == 0, f"ruff check found problems:\n{r.stdout[-4000:]}{r.stderr}"


def test_ruff_format_leaves_every_file_as_it_is() -> None:
    """``ruff format --check`` would reformat nothing."""
    r = _run("ruff", "format", "--check", *PATHS)
    assert r.returncode == 0, (
        f"ruff format would change files (run `ruff format "
        f"{' '.join(PATHS)}`):\n{r.stdout[-4000:]}{r.stderr}"
    )


def test_mypy_finds_no_type_errors() -> None:
    """``mypy`` on ``sim/`` (configured in pyproject.toml) reports no error."""
    r = _run("mypy")
    assert r.returncode == 0, f"mypy found type errors:\n{r.stdout[-4000:]}{r.stderr}"
