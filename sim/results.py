"""Writing results: every file of an output folder appears atomically.

A file is written under a temporary name beside its place (``.<name>.tmp``), flushed to
disk and renamed, so a partly written file is never read as complete.
:func:`atomic_write_bytes`, :func:`atomic_write_text`, :func:`atomic_write_json` and
:func:`atomic_write_parquet` write the usual kinds; :func:`atomic_path` lends the
temporary name to any other writer (a figure's ``savefig``). :func:`read_json` reads a
JSON record back, or None.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from sim.summary import clean

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_parquet",
    "atomic_write_text",
    "read_json",
]


# ------------------------------------------------------------------ writing
@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed to ``path`` when the block
    ends without an error (after flushing it to disk), removed when it raises.

    Examples
    --------
    >>> with atomic_path(folder / "plot.png") as tmp:  # doctest: +SKIP
    ...     fig.savefig(tmp, format="png")
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    """Write strict JSON (NaN as null), keys sorted, so equal inputs give equal bytes."""
    text = json.dumps(clean(obj), indent=2, sort_keys=True, allow_nan=False)
    atomic_write_text(path, text + "\n")


def atomic_write_parquet(path: Path, df: pd.DataFrame) -> None:
    """Write a Parquet file (without the index) atomically."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)


# ------------------------------------------------------------------ reading
def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or None if it is missing, unreadable or not an object."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
