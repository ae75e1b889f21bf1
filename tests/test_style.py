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


def _imports_of(path, package_root) -> set[str]:
    """Modules of ``sim`` that a file imports when it runs: at module level and inside
    functions, but not under ``if TYPE_CHECKING:`` (type hints only)."""
    import ast

    found: set[str] = set()

    def visit(nodes: list) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(
                        sub
                        if (package_root / (sub.replace(".", "/") + ".py")).exists()
                        or (package_root / sub.replace(".", "/")).is_dir()
                        else node.module
                    )
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("sim"))
            for field in ("body", "orelse", "finalbody", "handlers"):
                child = getattr(node, field, None)
                if isinstance(child, list):
                    visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


def test_no_import_cycles() -> None:
    """No module of ``sim`` imports, directly or through others, a module that imports
    it back (imports for type hints only excepted): each part of the model can be read
    and tested without the parts that use it."""
    root = REPO
    modules = {}
    for f in sorted((REPO / "sim").rglob("*.py")):
        parts = f.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = f
    graph = {
        m: {d for d in _imports_of(f, root) if d in modules and d != m} for m, f in modules.items()
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def walk(m: str, stack: list[str]) -> None:
        state[m] = 1
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                cycles.append([*stack[stack.index(d) :], d] if d in stack else [m, d])
            elif d not in state:
                walk(d, [*stack, d])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            walk(m, [m])
    assert len(graph) > 30
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)
