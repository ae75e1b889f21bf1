"""Sweeps: one Hydra job per point of a parameter grid, resumable and fault-tolerant.

``python -m sim -m <overrides>`` runs one Hydra job per combination of the swept values;
each job runs ``replicates`` replicates itself (seeds spawned by ``SeedSequence``), so a
sweep point and a single run with the same settings give the same results. This module
holds what a job does around the run, and what the sweep does around its jobs:

- **Completion marker.** A job's folder holds ``done.json`` only once every other file of
  the job is in place; it is written last, under a temporary name and renamed. A job whose
  folder already holds a marker for the same overrides is skipped, so running a sweep
  again into the same folder (``hydra.sweep.dir=<folder>``) runs only what is missing.
- **Failures.** A job that raises writes ``failed.json`` (its overrides, its resolved
  configuration and the error) and returns normally, so the other jobs carry on.
- **The sweep's end.** :class:`SweepCallback` (a Hydra callback named in
  ``configs/config.yaml``) shows a progress bar of jobs done while the sweep runs, and
  when it ends writes ``sweep.parquet`` (:func:`collect`, the table of
  :func:`sim.results.sweep_table`) and reports failures. ``python -m sim.collect`` does
  the same for a sweep that is running or was interrupted.

Settings that change neither the results nor their bytes (``progress``, ``workers``,
``cluster``) are left out when a job's overrides are compared with a marker's, so a sweep
started on a laptop can be finished on a cluster.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import traceback
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim.results import (
    FAILURE,
    MARKER,
    TABLE,
    atomic_write_json,
    atomic_write_parquet,
    read_json,
    sweep_jobs,
    sweep_table,
)

__all__ = [
    "FAILURE",
    "MARKER",
    "CollectResult",
    "SweepCallback",
    "collect",
    "expected_jobs",
    "is_complete",
    "job_params",
    "normalise_overrides",
    "report",
    "run_job",
    "write_table",
]

#: Overrides that change neither results nor output bytes (where and how fast jobs run).
IGNORED_KEYS = frozenset({"progress", "workers", "cluster"})


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def normalise_overrides(overrides: Sequence[str]) -> list[str]:
    """A job's overrides without those that do not change results, in the given order."""
    return [str(o) for o in overrides if _key(str(o)) not in IGNORED_KEYS]


def _plain(value: Any) -> Any:
    """A value for a table cell: scalars as they are, containers as compact JSON."""
    if isinstance(value, (DictConfig,)) or OmegaConf.is_config(value):
        value = OmegaConf.to_container(value, resolve=True)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return value


def job_params(raw: DictConfig, overrides: Sequence[str]) -> dict[str, Any]:
    """The value of every overridden setting in a job, keyed by the override's key.

    Parameters
    ----------
    raw : omegaconf.DictConfig
        The job's composed configuration.
    overrides : sequence of str
        The job's overrides (``key=value``); a config group (``team_model=virtual``) gives
        the option chosen.

    Returns
    -------
    dict
        ``{key: value}``; numbers and booleans keep their type, a mapping or list is
        compact JSON text.
    """
    out: dict[str, Any] = {}
    for o in normalise_overrides(overrides):
        key = _key(o)
        if "/" in key or key.startswith("hydra"):
            continue
        text = o.split("=", 1)[1] if "=" in o else ""
        node = OmegaConf.select(raw, key, default=None, throw_on_missing=False)
        if node is None or (OmegaConf.is_config(node) and _is_group(key)):
            out[key] = text  # the option chosen from a config group
        else:
            out[key] = _plain(node)
    return out


def _is_group(key: str) -> bool:
    from sim.config import CONFIG_DIR

    return (CONFIG_DIR / key).is_dir()


def is_complete(outdir: Path, overrides: Sequence[str]) -> bool:
    """Whether ``outdir`` holds a completion marker for these overrides."""
    marker = read_json(Path(outdir) / MARKER)
    return (
        marker is not None
        and bool(marker)
        and (marker.get("overrides") == normalise_overrides(overrides))
    )


def run_job(
    raw: DictConfig,
    outdir: Path,
    overrides: Sequence[str],
    job_num: int,
    work: Callable[[dict[str, Any]], None],
) -> str:
    """Run one job of a sweep: skip it when complete, record it when it fails.

    Parameters
    ----------
    raw : omegaconf.DictConfig
        The job's composed configuration (recorded with a failure).
    outdir : pathlib.Path
        The job's folder.
    overrides : sequence of str
        The job's overrides.
    job_num : int
        The job's number in the sweep.
    work : callable
        Runs the job and writes its outputs; called with the job's metadata (number,
        overrides, host, pid, start time) to put into ``run.json``.

    Returns
    -------
    str
        ``"skipped"``, ``"complete"`` or ``"failed"``.
    """
    outdir = Path(outdir)
    ov = normalise_overrides(overrides)
    if is_complete(outdir, ov):
        return "skipped"
    outdir.mkdir(parents=True, exist_ok=True)
    for name in (MARKER, FAILURE):  # a marker of other overrides, or an old failure
        (outdir / name).unlink(missing_ok=True)
    params = job_params(raw, ov)
    meta = {
        "job": job_num,
        "overrides": ov,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "output_dir": str(outdir.resolve()),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    try:
        work(meta)
    except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the sweep
        message = " ".join(str(exc).split()) or type(exc).__name__
        try:
            config = OmegaConf.to_container(raw, resolve=True)
        except Exception:  # noqa: BLE001 - the record must be written whatever happens
            config = OmegaConf.to_container(raw, resolve=False)
        atomic_write_json(
            outdir / FAILURE,
            {
                "job": job_num,
                "overrides": ov,
                "params": params,
                "config": config,
                "error": f"{type(exc).__name__}: {message}",
                "traceback": traceback.format_exc(),
                **{k: meta[k] for k in ("host", "pid")},
            },
        )
        print(
            f"error: job {job_num} ({' '.join(ov) or 'defaults'}) failed: "
            f"{type(exc).__name__}: {message}",
            file=sys.stderr,
        )
        return "failed"
    atomic_write_json(
        outdir / MARKER, {"job": job_num, "overrides": ov, "params": params, "status": "complete"}
    )
    return "complete"


# ------------------------------------------------------------------- the sweep's jobs


def expected_jobs(
    task_overrides: Sequence[str], sweeper_params: dict[str, str] | None = None
) -> list[list[str]]:
    """Every job's overrides, in job-number order, as Hydra's basic sweeper makes them.

    Parameters
    ----------
    task_overrides : sequence of str
        The sweep's command-line overrides (``hydra.overrides.task``).
    sweeper_params : dict, optional
        Sweep parameters set in configuration (``hydra.sweeper.params``); command-line
        overrides of the same key replace them.
    """
    from sim.config import sweep_jobs

    return sweep_jobs(task_overrides, sweeper_params)


def _task_and_params(cfg: Any) -> tuple[list[str], dict[str, str] | None]:
    """A multirun configuration's task overrides and its sweeper's ``params`` block."""
    overrides = OmegaConf.to_container(cfg.hydra.overrides.task, resolve=False)
    task = [str(o) for o in typing.cast(list, overrides)]
    params = OmegaConf.select(cfg, "hydra.sweeper.params", default=None)
    if not params:
        return task, None
    block = typing.cast(dict, OmegaConf.to_container(params, resolve=False))
    return task, {str(k): str(v) for k, v in block.items()}


def sweep_jobs_from_folder(sweep_dir: Path) -> list[list[str]] | None:
    """The jobs of the sweep in ``sweep_dir`` (from Hydra's ``multirun.yaml``), if known."""
    path = Path(sweep_dir) / "multirun.yaml"
    if not path.is_file():
        return None
    try:
        cfg = OmegaConf.load(path)
        return expected_jobs(*_task_and_params(cfg))
    except Exception:  # noqa: BLE001 - an unreadable file only loses the job count
        return None


# ------------------------------------------------------------------- the sweep's folder


@dataclass
class CollectResult:
    """What a sweep folder holds.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per complete job, team model and replicate (the tidy table of
        :mod:`sim.results`).
    complete : list of int
        Numbers of the jobs with a completion marker.
    failures : list of dict
        One record per failed job: ``job``, ``overrides``, ``error`` (and, in the job's
        ``failed.json``, its resolved configuration and traceback).
    expected : int or None
        Jobs in the sweep, when Hydra's ``multirun.yaml`` is there to say.
    pending : list of list of str
        Overrides of the expected jobs with neither a marker nor a failure record (not
        started, running, or killed).
    """

    table: pd.DataFrame
    complete: list[int] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    expected: int | None = None
    pending: list[list[str]] = field(default_factory=list)


def collect(sweep_dir: Path | str) -> CollectResult:
    """Build the sweep table from whatever jobs of ``sweep_dir`` are complete.

    Parameters
    ----------
    sweep_dir : path
        A sweep folder (``hydra.sweep.dir``): job folders ``0``, ``1``, ... below it.

    Returns
    -------
    CollectResult

    Raises
    ------
    FileNotFoundError
        If ``sweep_dir`` is not a folder.
    """
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise FileNotFoundError(f"{sweep_dir} is not a folder")
    jobs = sweep_jobs(sweep_dir)
    seen: set[tuple[str, ...]] = set()
    failures: list[dict[str, Any]] = []
    for job in jobs:
        if job.complete and job.marker is not None:
            seen.add(tuple(job.marker.get("overrides", [])))
        elif job.failure:
            seen.add(tuple(job.failure.get("overrides", [])))
            failures.append(
                {
                    "job": job.number,
                    "overrides": job.failure.get("overrides", []),
                    "error": job.failure.get("error", "unknown error"),
                    "record": str(job.folder / FAILURE),
                }
            )
    expected = sweep_jobs_from_folder(sweep_dir)
    pending = (
        []
        if expected is None
        else [job for job in expected if tuple(normalise_overrides(job)) not in seen]
    )
    return CollectResult(
        sweep_table(jobs),
        [job.number for job in jobs if job.complete],
        failures,
        None if expected is None else len(expected),
        pending,
    )


def write_table(sweep_dir: Path | str, table: pd.DataFrame) -> Path:
    """Write ``sweep.parquet`` into ``sweep_dir`` atomically and return its path."""
    path = Path(sweep_dir) / TABLE
    atomic_write_parquet(path, table)
    return path


def report(result: CollectResult, sweep_dir: Path | str) -> str:
    """A short plain-text account of a sweep folder: counts, then each failure."""
    total = result.expected
    done = len(result.complete)
    of = f" of {total}" if total is not None else ""
    lines = [
        f"{sweep_dir}: {done}{of} jobs complete ({len(result.table)} rows), "
        f"{len(result.failures)} failed, {len(result.pending)} not complete."
    ]
    for f in result.failures:
        lines.append(
            f"  job {f['job']} failed ({' '.join(f['overrides']) or 'defaults'}): "
            f"{f['error']} [details: {f['record']}]"
        )
    return "\n".join(lines)


class _JobsBar:
    """A progress bar of jobs done, fed by polling the sweep folder's markers."""

    def __init__(self, sweep_dir: Path, total: int, interval: float = 0.5) -> None:
        from tqdm import tqdm

        self.sweep_dir = Path(sweep_dir)
        self.start = time.time()
        self.interval = interval
        self.bar = tqdm(
            total=total,
            desc="sweep",
            unit="job",
            file=sys.stderr,
            position=0,
            dynamic_ncols=True,
            leave=True,
        )
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._poll, name="sweep-progress", daemon=True)
        self.thread.start()

    def _count(self) -> int:
        n = 0
        if not self.sweep_dir.is_dir():
            return 0
        for job in self.sweep_dir.iterdir():
            if (job / MARKER).is_file():
                n += 1
            else:
                failure = job / FAILURE
                try:
                    if failure.stat().st_mtime >= self.start - 1:
                        n += 1
                except OSError:
                    pass
        return n

    def _poll(self) -> None:
        while not self.stop_event.wait(self.interval):
            self._refresh()

    def _refresh(self) -> None:
        n = min(self._count(), int(self.bar.total))
        if n != self.bar.n:
            self.bar.n = n
            self.bar.refresh()

    def close(self) -> None:
        """Stop polling, show the final count and close the bar."""
        self.stop_event.set()
        self.thread.join(timeout=5)
        self.bar.n = min(self._count(), int(self.bar.total))
        self.bar.close()


try:
    from hydra.experimental.callback import Callback as _Callback
except ImportError:  # pragma: no cover - hydra-core >= 1.1 has it
    _Callback = object  # type: ignore[assignment,misc]


class SweepCallback(_Callback):  # type: ignore[misc]
    """Hydra callback: progress of a sweep, then its table and a report of failures.

    Named in ``configs/config.yaml`` under ``hydra.callbacks``; it acts only in multirun.
    """

    def __init__(self) -> None:
        self._bar: _JobsBar | None = None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Start the jobs-done progress bar (unless ``progress=false``)."""
        if not bool(OmegaConf.select(config, "progress", default=True)):
            return
        try:
            total = len(expected_jobs(*_task_and_params(config)))
            self._bar = _JobsBar(Path(str(config.hydra.sweep.dir)), total)
        except Exception:  # noqa: BLE001 - a progress bar must never stop a sweep
            self._bar = None

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Write ``sweep.parquet``, print a one-line report, exit 1 if a job failed."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        sweep_dir = Path(str(config.hydra.sweep.dir))
        result = collect(sweep_dir)
        path = write_table(sweep_dir, result.table)
        print(report(result, sweep_dir))
        print(f"Sweep table: {path}")
        if result.failures:
            sys.stdout.flush()
            sys.exit(1)
