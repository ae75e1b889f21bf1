"""Reading and writing results: the files of run and sweep folders, and one tidy table.

**Writing.** Every file of an output folder appears atomically: it is written under a
temporary name beside its place (``.<name>.tmp``), flushed to disk and renamed, so a
partly written file is never read as complete. :func:`atomic_write_bytes`,
:func:`atomic_write_text`, :func:`atomic_write_json` and :func:`atomic_write_parquet`
write the usual kinds; :func:`atomic_path` lends the temporary name to any other writer
(a figure's ``savefig``).

**Reading.** :func:`load` reads any folder the project writes:

- a run folder of ``python -m sim``: ``summary.json`` (one team model, or a comparison
  of several in ``mode=compare``), ``episodes.parquet``, ``series.parquet``,
  ``run.json``;
- a sweep folder of ``python -m sim -m``: its table ``sweep.parquet`` (written when the
  sweep ends, or by ``python -m sim.collect``) or, when there is none, its job folders
  ``0``, ``1``, ... as they are (:func:`sweep_table`: the table the sweep's end would
  have written).

Whatever the folder, :attr:`RunData.replicates` is one tidy table with one row per job,
team model and replicate:

- ``job``: the job's number in the sweep (its sub-folder's name; 0 for a run folder);
- ``seed``: the job's seed; ``replicate``: the replicate's index within the job (0, 1,
  ...); replicate ``r`` of every job with the same ``seed`` starts from the same spawned
  seed (common random numbers); ``team_model``: the team model (in a ``mode=compare`` job,
  one row per team model and replicate);
- one column per overridden setting of a sweep job, named by its key (``team_model``,
  ``assessment.child_index``, ``area.establishment_scale`` ...), holding the value the job
  used (a mapping or list as compact JSON). These are the ``params`` each job's completion
  marker ``done.json`` records (:func:`sim.sweep.job_params`, from the job's composed
  configuration and overrides), so a sweep's parameters are known whether or not its
  table was written;
- one column per headline metric of :func:`sim.summary.replicate_summary`, nested names
  joined with dots (``early_identification_rate``, ``delay_days.onset_to_support.median``,
  ``utilisation.social_worker``, ``staff_cost`` ...); names, units and definitions are in
  :mod:`sim.metrics` and ``docs/metrics.md``.

Only jobs with a completion marker contribute rows, so a sweep's table can be built while
it runs or after it was interrupted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim import metrics as registry
from sim.summary import aggregate_rows, clean, flatten, level_table
from sim.team_models import REGISTRY

__all__ = [
    "FAILURE",
    "MARKER",
    "TABLE",
    "Job",
    "ResultsError",
    "RunData",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_parquet",
    "atomic_write_text",
    "job_rows",
    "load",
    "read_json",
    "replicate_rows",
    "sweep_jobs",
    "sweep_table",
]

#: A run's headline metrics: mean, 95% CI and every replicate's values.
SUMMARY = "summary.json"
#: A run's resolved configuration, seeds, versions (and a sweep job's host, pid, time).
RUN = "run.json"
#: Completion marker of a sweep job, written last.
MARKER = "done.json"
#: Failure record of a sweep job.
FAILURE = "failed.json"
#: A sweep's table, in the sweep folder.
TABLE = "sweep.parquet"
#: Hydra's record of a sweep, in the sweep folder.
MULTIRUN = "multirun.yaml"


class ResultsError(ValueError):
    """A folder that is not a run or sweep folder, or whose files cannot be read;
    ``str()`` is one plain sentence."""


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


# ------------------------------------------------------------------ reading files
def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or None if it is missing, unreadable or not an object."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _json_object(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; :class:`ResultsError` if it cannot be read."""
    try:
        with open(path, encoding="utf-8") as fh:
            obj = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path} could not be read as JSON ({exc}).") from None
    if not isinstance(obj, dict):
        raise ResultsError(f"{path} is not a JSON object, so it is not a run summary.")
    return obj


def _parquet(path: Path) -> pd.DataFrame | None:
    """The table in ``path`` (None if there is none); :class:`ResultsError` if it cannot
    be read."""
    if not path.is_file():
        return None
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise ResultsError(f"{path} could not be read as Parquet ({exc}).") from None


# ------------------------------------------------------------------ the tidy table
def replicate_rows(
    summaries: Sequence[Mapping[str, Any]],
    head: Mapping[str, Any],
    tail: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One row per replicate summary: ``head``, ``replicate``, ``tail``, then every metric
    under its flat name (:func:`sim.summary.flatten`)."""
    return [
        {**head, "replicate": r, **(tail or {}), **flatten(dict(s))}
        for r, s in enumerate(summaries)
    ]


def job_rows(job: int, params: Mapping[str, Any], summary: Mapping[str, Any]) -> list[dict]:
    """Rows of one job (or run folder) from its ``summary.json``: one per replicate, and
    per team model in compare mode; ``params`` are the job's parameters."""
    if "replicates_by_team_model" in summary:
        runs = list(summary["replicates_by_team_model"].items())
    else:
        runs = [(summary.get("team_model"), summary.get("replicates", []))]
    rows = []
    for team_model, reps in runs:
        tail = {"team_model": team_model, **params}
        if "team_model" in params and team_model is not None:
            tail["team_model"] = team_model
        rows += replicate_rows(reps, {"job": job, "seed": summary.get("seed")}, tail)
    return rows


def _tidy(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as a table whose columns have one type each (Parquet needs it), in job, team
    model and replicate order."""
    if not rows:
        return pd.DataFrame(columns=["job", "replicate", "seed", "team_model"])
    table = pd.DataFrame(rows)
    for col in table.columns:
        if table[col].dtype == object:
            kinds = {type(v) for v in table[col] if v is not None and v == v}
            if len(kinds) > 1 and not kinds <= {int, float}:
                table[col] = table[col].map(lambda v: None if v is None else str(v))
            elif kinds <= {int, float} and kinds:
                table[col] = pd.to_numeric(table[col])
    sort = [c for c in ("job", "team_model", "replicate") if c in table.columns]
    return table.sort_values(sort, kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Job:
    """What one job folder of a sweep holds.

    Attributes
    ----------
    folder : pathlib.Path
        The job's folder (its name is its number).
    number : int
        The job's number in the sweep (as its marker or failure record says).
    marker : dict or None
        Its completion marker ``done.json``: ``job``, ``overrides``, ``params``, ``status``.
    summary : dict or None
        Its ``summary.json`` (read only with a marker).
    failure : dict or None
        Its failure record ``failed.json`` (read only when it is not complete).
    """

    folder: Path
    number: int
    marker: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None

    @property
    def complete(self) -> bool:
        """Whether the job has a completion marker and its summary."""
        return bool(self.marker) and self.summary is not None

    @property
    def params(self) -> dict[str, Any]:
        """The job's parameters: the value of each setting its overrides set."""
        return dict((self.marker or {}).get("params", {}))


def sweep_jobs(sweep_dir: Path | str) -> list[Job]:
    """The job folders ``0``, ``1``, ... of a sweep folder, in job-number order."""
    folders = sorted(
        (p for p in Path(sweep_dir).iterdir() if p.is_dir() and p.name.isdigit()),
        key=lambda p: int(p.name),
    )
    jobs = []
    for folder in folders:
        marker = read_json(folder / MARKER)
        summary = read_json(folder / SUMMARY) if marker else None
        if marker and summary is not None:
            jobs.append(Job(folder, int(marker.get("job", folder.name)), marker, summary))
            continue
        failure = read_json(folder / FAILURE)
        number = int((failure or {}).get("job", folder.name))
        jobs.append(Job(folder, number, marker, None, failure or None))
    return jobs


def sweep_table(jobs: Sequence[Job]) -> pd.DataFrame:
    """The tidy table of a sweep's complete jobs (what ``sweep.parquet`` holds)."""
    rows: list[dict[str, Any]] = []
    for job in jobs:
        if job.complete and job.summary is not None:
            rows += job_rows(job.number, job.params, job.summary)
    return _tidy(rows)


# ------------------------------------------------------------------ loading a folder
#: First components of the flat names of the metrics in summary.json (``sim.metrics``).
METRIC_ROOTS = registry.roots(registry.SUMMARY)
#: Sweep-table columns that describe a job or replicate rather than a parameter.
BOOKKEEPING = {
    "job",
    "job_num",
    "job_id",
    "job_dir",
    "job_folder",
    "replicate",
    "replicate_seed",
    "seed",
    "path",
    "dir",
    "folder",
    "run_dir",
    "status",
    "sim_version",
    "overrides",
    "started",
    "finished",
    "elapsed",
    "elapsed_seconds",
    "duration",
    "run_seconds",
    "hostname",
    "complete",
    "error",
    "timestamp",
}


@dataclass
class RunData:
    """What a run or sweep folder holds, as the report and the analyses read it.

    Attributes
    ----------
    kind : str
        ``"single"``, ``"compare"`` or ``"sweep"``.
    folder : pathlib.Path
        The folder read.
    table : pandas.DataFrame
        Long table of metric levels: ``metric``, ``team_model``, ``mean``, ``ci_low``,
        ``ci_high``, ``n`` (and ``area`` in sweeps).
    summary : dict
        ``summary.json`` (empty for sweeps).
    meta : dict
        ``run.json`` (for sweeps: the first job's, if any).
    baseline : str or None
        Baseline team model of a comparison.
    diffs : dict
        Paired differences by team model, then flat metric name: ``{mean, ci95, n}``.
    episodes, series : pandas.DataFrame or None
        The run's tables (``series`` with a ``team_model`` column).
    replicates : pandas.DataFrame
        The tidy table: one row per job, team model and replicate (module docstring);
        in sweeps also ``team_model`` and ``area`` as text (``"all"`` and ``""`` when the
        table has none).
    params : list of str
        Swept parameters: columns of ``replicates`` that vary across a sweep's rows
        (empty for run folders).
    """

    kind: str
    folder: Path
    table: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    baseline: str | None = None
    diffs: dict[str, dict[str, Any]] = field(default_factory=dict)
    episodes: pd.DataFrame | None = None
    series: pd.DataFrame | None = None
    replicates: pd.DataFrame = field(default_factory=pd.DataFrame)
    params: list[str] = field(default_factory=list)

    @property
    def team_models(self) -> list[str]:
        """Team models in the table, in their order of appearance."""
        return list(dict.fromkeys(self.table["team_model"]))

    @property
    def sweep(self) -> pd.DataFrame | None:
        """The tidy table of a sweep (None for a run folder)."""
        return self.replicates if self.kind == "sweep" else None

    def __post_init__(self) -> None:
        # Team models in the order the run asked for them (compare.team_models), else
        # co-located, virtual, TAC-only; summary.json sorts its keys alphabetically.
        order = list((self.meta.get("config", {}).get("compare", {}) or {}).get("team_models", []))
        order += [m for m in REGISTRY if m not in order]
        seen = list(dict.fromkeys(self.table["team_model"]))
        order = [m for m in order if m in seen] + [m for m in seen if m not in order]
        rank = {m: i for i, m in enumerate(order)}
        self.table = self.table.sort_values(
            "team_model", key=lambda c: c.map(rank), kind="stable"
        ).reset_index(drop=True)
        for name in ("series", "episodes"):
            df = getattr(self, name)
            if df is not None and "team_model" in df.columns:
                setattr(
                    self,
                    name,
                    df.sort_values(
                        "team_model", key=lambda c: c.map(rank).fillna(len(rank)), kind="stable"
                    ).reset_index(drop=True),
                )


def load(folder: Path | str) -> RunData:
    """Read a run or sweep folder.

    Parameters
    ----------
    folder : path
        A folder written by ``python -m sim`` (``mode=single`` or ``mode=compare``) or a
        sweep folder of ``python -m sim -m`` (with ``sweep.parquet``, or only its job
        folders).

    Returns
    -------
    RunData

    Raises
    ------
    ResultsError
        If the folder does not exist or holds no run or sweep outputs.
    """
    folder = Path(folder)
    if not folder.exists():
        raise ResultsError(f"{folder} does not exist.")
    if not folder.is_dir():
        raise ResultsError(f"{folder} is a file, not a run or sweep folder.")
    if (folder / TABLE).is_file():
        return _load_sweep(folder, _parquet(folder / TABLE))
    if (folder / SUMMARY).is_file():
        summary = _json_object(folder / SUMMARY)
        if "team_models" in summary:
            return _load_compare(folder, summary)
        if "team_model" in summary:
            return _load_single(folder, summary)
        raise ResultsError(
            f"{folder / SUMMARY} has neither 'team_model' nor "
            "'team_models', so it was not written by python -m sim."
        )
    # A sweep whose table has not been written (still running, killed, or never
    # collected): the table its end would have written, from the job folders.
    jobs = sweep_jobs(folder)
    if (folder / MULTIRUN).is_file() or any(j.marker or j.failure for j in jobs):
        return _load_sweep(folder, sweep_table(jobs))
    raise ResultsError(
        f"{folder} is not a run or sweep folder: it has no summary.json (written by "
        "python -m sim), no sweep.parquet (written when a sweep finishes) and no "
        "multirun.yaml with job folders (written by python -m sim -m)."
    )


def _meta(folder: Path) -> dict[str, Any]:
    return _json_object(folder / RUN) if (folder / RUN).is_file() else {}


def _load_single(folder: Path, summary: dict[str, Any]) -> RunData:
    tm = str(summary["team_model"])
    skip = {"team_model", "area", "children", "years", "seed", "replicates", "mmc"}
    rows = aggregate_rows({k: v for k, v in summary.items() if k not in skip})
    table = pd.DataFrame([{"metric": r["metric"], "team_model": tm, **r} for r in rows])
    if table.empty:
        raise ResultsError(f"{folder / SUMMARY} holds no metrics.")
    series = _parquet(folder / "series.parquet")
    if series is not None and "team_model" not in series.columns:
        series = series.assign(team_model=tm)
    return RunData(
        "single",
        folder,
        table,
        summary,
        _meta(folder),
        episodes=_parquet(folder / "episodes.parquet"),
        series=series,
        replicates=_tidy(job_rows(0, {}, summary)),
    )


def _load_compare(folder: Path, summary: dict[str, Any]) -> RunData:
    rows = [
        {"metric": r["metric"], "team_model": tm, **r}
        for tm, agg in summary["team_models"].items()
        for r in aggregate_rows(agg)
    ]
    table = pd.DataFrame(rows)
    if table.empty:
        raise ResultsError(f"{folder / SUMMARY} holds no metrics.")
    return RunData(
        "compare",
        folder,
        table,
        summary,
        _meta(folder),
        baseline=summary.get("baseline"),
        diffs=summary.get("paired_difference_vs_baseline", {}),
        episodes=_parquet(folder / "episodes.parquet"),
        series=_parquet(folder / "series.parquet"),
        replicates=_tidy(job_rows(0, {}, summary)),
    )


def _metric_column(col: str) -> str | None:
    """The flat metric name of a sweep-table column, or None if it is not a metric."""
    name = col
    for prefix in ("metrics.", "metric.", "summary."):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    root = name.split(".", 1)[0]
    return name if root in METRIC_ROOTS else None


def _first_column(df: pd.DataFrame, names: Sequence[str]) -> str | None:
    return next((n for n in names if n in df.columns), None)


def _load_sweep(folder: Path, df: pd.DataFrame | None) -> RunData:
    if df is None or df.empty:
        raise ResultsError(f"{folder} is a sweep folder with no results yet.")
    renames = {c: name for c in df.columns if (name := _metric_column(c))}
    metric_cols = list(dict.fromkeys(renames.values()))
    df = df.rename(columns=renames)
    df = df.loc[:, ~df.columns.duplicated()]
    tm_col = _first_column(df, ("team_model", "team_model.name"))
    area_col = _first_column(df, ("area", "area.name"))
    df = df.assign(
        team_model=df[tm_col].astype(str) if tm_col else "all",
        area=df[area_col].astype(str) if area_col else "",
    )
    if not metric_cols:
        raise ResultsError(
            f"{folder}: the sweep table has no metric columns (such as early_identification_rate)."
        )
    skip = set(metric_cols) | BOOKKEEPING | {"team_model", "team_model.name", "area", "area.name"}
    params = [
        c
        for c in df.columns
        if c not in skip
        and not c.endswith("_seed")
        and not c.startswith("hydra")
        and df[c].astype(str).nunique() > 1
    ]
    table = level_table(df, ["area", "team_model"], metric_cols, sort=False)
    meta: dict[str, Any] = {}
    for run_json in sorted(folder.glob(f"*/{RUN}"))[:1]:
        meta = _json_object(run_json)
    return RunData("sweep", folder, table, {}, meta, replicates=df, params=params)
