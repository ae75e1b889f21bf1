"""Collect a sweep's results into one table: ``python -m sim.collect <sweep folder>``.

The table (``sweep.parquet`` in the sweep folder) is the tidy table of
:mod:`sim.results`: one row per job, team model and replicate, with the columns ``job``,
``seed``, ``replicate``, ``team_model``, one per overridden setting (named by its key,
holding the value the job used) and one per headline metric (flat names such as
``delay_days.onset_to_support.median``; units in ``docs/metrics.md``).

Only jobs with a completion marker contribute rows, so the table can be built while a
sweep runs or after it was interrupted; jobs that failed are listed with their overrides
and error, and jobs not yet complete are counted. A sweep's end does the same
(:class:`sim.sweep.SweepCallback`); both call :func:`sim.sweep.collect`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.results import TABLE, atomic_write_parquet
from sim.sweep import CollectResult, collect, report, write_table

__all__ = ["TABLE", "CollectResult", "collect", "main", "report", "write_table"]


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.collect <sweep folder> [--out FILE]``; returns the exit status.

    Writes the table (default ``<sweep folder>/sweep.parquet``) and prints a report.
    Exit status 0 when no job failed, 1 when some did, 2 on bad input.
    """
    parser = argparse.ArgumentParser(
        prog="python -m sim.collect",
        description="Collect a (possibly partial or running) sweep into one table.",
    )
    parser.add_argument("sweep_dir", help="the sweep folder (hydra.sweep.dir)")
    parser.add_argument(
        "--out",
        default=None,
        help="where to write the table (default: sweep.parquet in the sweep folder)",
    )
    args = parser.parse_args(argv)
    sweep_dir = Path(args.sweep_dir)
    if not sweep_dir.is_dir():
        print(f"error: {sweep_dir} is not a sweep folder: no such folder.", file=sys.stderr)
        return 2
    result = collect(sweep_dir)
    if not result.complete and not result.failures and result.expected is None:
        print(
            f"error: {sweep_dir} is not a sweep folder: it has no multirun.yaml and no "
            "job results.",
            file=sys.stderr,
        )
        return 2
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_parquet(out, result.table)
    else:
        out = write_table(sweep_dir, result.table)
    print(report(result, sweep_dir))
    print(f"Sweep table: {out}")
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
