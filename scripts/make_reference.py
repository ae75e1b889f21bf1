"""Write (or check) the regression test's reference outputs in ``tests/reference/``.

Run this only when a change is meant to alter the model's results, and commit its outputs
in a commit of their own whose message says why the results changed. Any other change
must leave the references as they are: ``tests/test_regression.py`` fails when a run's
outputs differ from them.

For each team model in ``tests/reference/config.json`` the script runs the configuration
given there (its ``overrides`` plus ``team_model=<name>``) through the code a run of
``python -m sim`` uses (:func:`sim.config.compose`, :func:`sim.config.validate`,
:func:`sim.runner.run_scenario` and :func:`sim.runner.write_scenario`) and writes to
``tests/reference/<team_model>/``:

- ``summary.json``, byte for byte as the run writes it;
- ``digests.json``, for every table the run writes (``episodes``, ``episodes_followed``,
  ``series``): its row count, its columns in order (name and kind of value) and SHA-256
  digests of its content, one per column and one for the whole table. The digests are of
  the values, not of the Parquet bytes, which can change with the pyarrow version when
  the data do not.

Usage::

    python scripts/make_reference.py           # regenerate every team model's references
    python scripts/make_reference.py --check   # compare instead; exit 1 if any differ
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import logging
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import compose, validate
from sim.params import Config
from sim.runner import run_scenario, write_scenario

#: The repository's root folder.
REPO: Path = Path(__file__).resolve().parent.parent

#: Where the references live: ``config.json`` and one folder per team model.
REFERENCE_DIR: Path = REPO / "tests" / "reference"

#: The configuration every reference is made with (overrides and team models).
CONFIG_FILE: Path = REFERENCE_DIR / "config.json"

#: The files written for each team model.
FILES: tuple[str, ...] = ("summary.json", "digests.json")

#: What to do when the references differ from a run.
REGENERATE_HINT: str = (
    "If the change is meant to alter the model's results, regenerate the references with "
    "`python scripts/make_reference.py` and commit them in a commit of their own saying "
    "why the results changed; otherwise the change has altered the model's behaviour."
)


def load_config() -> dict[str, list[str]]:
    """The reference configuration: ``overrides`` and ``team_models``.

    Returns
    -------
    dict
        ``{"overrides": [...], "team_models": [...]}`` as read from :data:`CONFIG_FILE`.
    """
    return json.loads(CONFIG_FILE.read_text())


def team_models() -> list[str]:
    """The team models that have references, in the order of :data:`CONFIG_FILE`."""
    return list(load_config()["team_models"])


def overrides(team_model: str) -> list[str]:
    """The command-line overrides of the reference run of ``team_model``.

    Parameters
    ----------
    team_model : str
        A team model in ``configs/team_model``.

    Returns
    -------
    list of str
        The overrides of :data:`CONFIG_FILE` followed by ``team_model=<team_model>``;
        ``python -m sim`` with these arguments makes the same run.
    """
    return [*load_config()["overrides"], f"team_model={team_model}"]


def scenario_config(team_model: str) -> Config:
    """The validated configuration of the reference run of ``team_model``."""
    return validate(compose(overrides(team_model)))


# --------------------------------------------------------------------------- digests


def _kind(column: pd.Series) -> str:
    """The kind of value in ``column``: ``bool``, ``int``, ``float`` or ``string``.

    Kinds rather than pandas dtypes, so that the digests do not change when a pandas or
    pyarrow version reads the same data into another dtype (``object`` or ``str``).
    """
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_string_dtype(column):
        return "string"
    raise TypeError(
        f"column {column.name!r} has dtype {dtype}, which the reference "
        "digests do not cover (bool, int, float and string only)"
    )


def _value(value: Any, kind: str) -> Any:
    """``value`` as a plain JSON value of ``kind`` (missing values as ``None``).

    Floats keep their exact value (``repr`` round-trips); infinities become the strings
    ``"inf"`` and ``"-inf"``.
    """
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        value = float(value)
        return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if not isinstance(value, str):
        raise TypeError(f"string column holds {value!r} ({type(value).__name__})")
    return value


def _sha256(obj: Any) -> str:
    """SHA-256 of the compact, strict JSON text of ``obj``."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def table_digest(df: pd.DataFrame) -> dict[str, Any]:
    """Row count, columns and content digests of one table.

    Parameters
    ----------
    df : pandas.DataFrame
        The table (its index is ignored).

    Returns
    -------
    dict
        ``rows``; ``columns``, in order, each ``{"name", "kind", "sha256"}`` with the digest
        of the column's name, kind and values; and ``sha256``, the digest of the row
        count and every column's name, kind and digest.
    """
    columns = []
    for name in df.columns:
        kind = _kind(df[name])
        values = [_value(v, kind) for v in df[name].tolist()]
        columns.append(
            {"name": str(name), "kind": kind, "sha256": _sha256([str(name), kind, values])}
        )
    return {
        "rows": len(df),
        "columns": columns,
        "sha256": _sha256([len(df), [[c["name"], c["kind"], c["sha256"]] for c in columns]]),
    }


def _json_bytes(obj: Any) -> bytes:
    """``obj`` as indented JSON with sorted keys and a final newline."""
    return (json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n").encode()


# --------------------------------------------------------------------------- running


def reference_outputs(team_model: str) -> dict[str, bytes]:
    """Run the reference configuration of ``team_model`` and return its reference files.

    The run is written to a temporary folder by :func:`sim.runner.write_scenario`, as a
    run of ``python -m sim`` is; the tables are read back from the Parquet files it wrote.

    Parameters
    ----------
    team_model : str
        A team model in ``configs/team_model``.

    Returns
    -------
    dict
        ``{"summary.json": bytes, "digests.json": bytes}``.
    """
    cfg = scenario_config(team_model)
    result = run_scenario(cfg, progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        outdir = Path(tmp)
        write_scenario(outdir, cfg, result)
        summary = (outdir / "summary.json").read_bytes()
        digests = {
            path.stem: table_digest(pd.read_parquet(path))
            for path in sorted(outdir.glob("*.parquet"))
        }
    return {"summary.json": summary, "digests.json": _json_bytes(digests)}


# --------------------------------------------------------------------------- comparing


def _summary_difference(expected: bytes, actual: bytes, limit: int = 12) -> str:
    """The first lines of a diff of two ``summary.json`` texts."""
    diff = list(
        difflib.unified_diff(
            expected.decode().splitlines(),
            actual.decode().splitlines(),
            "reference",
            "this run",
            n=0,
            lineterm="",
        )
    )
    shown = diff[:limit] + (
        [f"... ({len(diff) - limit} more diff lines)"] if len(diff) > limit else []
    )
    return "\n".join("    " + line for line in shown)


def _digest_differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """What differs between two ``digests.json`` contents, one phrase per table."""
    out = []
    for table in sorted(set(expected) | set(actual)):
        if table not in actual:
            out.append(f"table {table} is no longer written")
            continue
        if table not in expected:
            out.append(f"table {table} is new")
            continue
        e, a = expected[table], actual[table]
        if e == a:
            continue
        parts = []
        e_cols = [(c["name"], c["kind"]) for c in e["columns"]]
        a_cols = [(c["name"], c["kind"]) for c in a["columns"]]
        if e["rows"] != a["rows"]:
            parts.append(f"{a['rows']} rows instead of {e['rows']}")
        if e_cols != a_cols:
            parts.append(f"columns {a_cols} instead of {e_cols}")
        elif e["rows"] == a["rows"]:
            changed = [
                ec["name"]
                for ec, ac in zip(e["columns"], a["columns"], strict=True)
                if ec["sha256"] != ac["sha256"]
            ]
            if changed:
                shown = ", ".join(changed[:8])
                more = f" and {len(changed) - 8} more" if len(changed) > 8 else ""
                parts.append(f"content of column(s) {shown}{more} differs")
        out.append(f"table {table}: " + ("; ".join(parts) or "digest differs"))
    return out


def differences(
    team_model: str, outputs: dict[str, bytes], reference_dir: Path = REFERENCE_DIR
) -> list[str]:
    """Plain messages naming each reference file of ``team_model`` that ``outputs`` differ from.

    None when ``outputs`` are exactly the committed reference.

    Parameters
    ----------
    team_model : str
        The team model whose references are compared.
    outputs : dict
        As returned by :func:`reference_outputs`.
    reference_dir : pathlib.Path, optional
        The folder holding one reference folder per team model.

    Returns
    -------
    list of str
        One message per file that is missing or differs.
    """
    out = []
    for name in FILES:
        path = reference_dir / team_model / name
        label = f"{team_model}: {path.relative_to(REPO) if path.is_relative_to(REPO) else path}"
        if not path.is_file():
            out.append(f"{label} is missing")
            continue
        expected = path.read_bytes()
        actual = outputs[name]
        if name == "summary.json":
            if expected != actual:
                out.append(
                    f"{label} differs from this run's summary.json:\n"
                    + _summary_difference(expected, actual)
                )
        elif json.loads(expected) != json.loads(actual):
            out.append(
                f"{label} differs from this run's tables: "
                + "; ".join(_digest_differences(json.loads(expected), json.loads(actual)))
            )
    return out


def write_references(
    team_model: str, outputs: dict[str, bytes], reference_dir: Path = REFERENCE_DIR
) -> list[Path]:
    """Write ``outputs`` to ``reference_dir/<team_model>/`` and return the paths written."""
    folder = reference_dir / team_model
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in FILES:
        (folder / name).write_bytes(outputs[name])
        paths.append(folder / name)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Regenerate every team model's references, or compare them with ``--check``.

    Returns
    -------
    int
        0 when written, or when every reference matches; 1 when ``--check`` finds a
        difference.
    """
    parser = argparse.ArgumentParser(
        description="Regenerate the regression test's reference outputs (only when a "
        "change is meant to alter results; commit them in their own commit "
        "saying why)."
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare a fresh run with the references instead of writing; "
        "exit 1 naming each team model and file that differ",
    )
    args = parser.parse_args(argv)
    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    problems = []
    for team_model in team_models():
        outputs = reference_outputs(team_model)
        if args.check:
            found = differences(team_model, outputs)
            problems.extend(found)
            print(f"{team_model}: " + ("differs" if found else "matches the reference"))
        else:
            written = write_references(team_model, outputs)
            print(f"{team_model}: wrote " + ", ".join(str(p.relative_to(REPO)) for p in written))
    if problems:
        print("\nThe model's outputs differ from the committed reference:", file=sys.stderr)
        for problem in problems:
            print(f"- {problem}", file=sys.stderr)
        print(f"\n{REGENERATE_HINT}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
