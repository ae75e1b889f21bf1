"""Recommend a warm-up (MSER-5) and a number of replicates (CI half-width criterion).

    python experiments/choose_run_length.py experiment=compare_team_models \
        --team-models co_located,virtual,tac_only \
        --metric delay_days.onset_to_support.median --metric early_identification_rate

Runs ``--pilot-replicates`` replicates of the configuration given by the Hydra overrides,
under each team model of ``--team-models`` (default: the configuration's own), then

1. unless ``--warmup-years`` is given, runs them with no warm-up and ``--pilot-years``
   observed years, applies MSER-5 (sim/warmup.py) to each replicate's weekly series of
   ``--series`` (default the open needs, the weekly count of children with an open need
   episode) and recommends the largest truncation over replicates and team models, in
   years;
2. runs them again with that warm-up and the configuration's own observed years, and for
   each team model and each ``--metric`` (default ``delay_days.onset_to_support.mean``;
   repeat the option for more) recommends the fewest replicates whose 95% interval
   half-width is within ``--precision`` of the mean. The recommendation is the largest
   over team models and metrics, so every reported estimate meets the target.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sim.config import ConfigError, compose, validate  # noqa: E402
from sim.rng import replicate_seeds  # noqa: E402
from sim.runner import run_many, run_replicate  # noqa: E402
from sim.summary import ci_half_width, flatten  # noqa: E402
from sim.warmup import mser, replicates_needed  # noqa: E402

DEFAULT_METRIC = "delay_days.onset_to_support.mean"


def _configs(base: list[str], team_models: list[str | None], extra: list[str]) -> list:
    """One validated configuration per team model (None: the configuration's own)."""
    return [
        validate(compose([*base, *([f"team_model={tm}"] if tm else []), *extra]))
        for tm in team_models
    ]


def main(argv: list[str] | None = None) -> int:
    """Command line: Hydra overrides plus the options above."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("overrides", nargs="*")
    ap.add_argument(
        "--team-models",
        default=None,
        help="comma-separated team models to pilot (default: the configured one)",
    )
    ap.add_argument("--pilot-replicates", type=int, default=5)
    ap.add_argument("--pilot-years", type=float, default=8.0)
    ap.add_argument(
        "--warmup-years",
        type=float,
        default=None,
        help="use this warm-up and skip the MSER-5 pilots",
    )
    ap.add_argument("--precision", type=float, default=0.05)
    ap.add_argument("--series", default="open_needs")
    ap.add_argument("--metric", action="append", default=None)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    metrics = args.metric or [DEFAULT_METRIC]
    team_models: list[str | None] = args.team_models.split(",") if args.team_models else [None]
    if args.pilot_replicates < 2:
        print("error: --pilot-replicates must be at least 2.", file=sys.stderr)
        return 2
    base = ["progress=false", *args.overrides]
    try:
        pilots = _configs(base, team_models, ["warmup_years=0", f"years={args.pilot_years}"])
        cfgs = _configs(base, team_models, [])
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    names = _metric_names(base)
    unknown = [m for m in metrics if m not in names]
    if unknown:
        print(
            f"error: --metric {unknown[0]} is not a summary metric; see docs/metrics.md "
            "for the flat names.",
            file=sys.stderr,
        )
        return 2
    seeds = replicate_seeds(cfgs[0].seed, args.pilot_replicates)

    if args.warmup_years is None:
        cuts = []
        runs = run_many([(p, ss) for p in pilots for ss in seeds], args.workers)
        for i, r in enumerate(runs):
            s = r.series
            x = s[s["profession"] == s["profession"].iloc[0]][args.series].to_numpy()
            res = mser(x)
            cuts.append(res.truncation)
            print(
                f"{pilots[i // len(seeds)].team_model.name}, replicate {i % len(seeds)}: "
                f"MSER-5 on {args.series} truncates {res.truncation} weeks "
                f"({'reliable' if res.reliable else 'UNRELIABLE: lengthen the pilot'})"
            )
        warmup_years = math.ceil(max(cuts) * 7 / 365.25 * 4) / 4
        print(
            f"recommended warm-up: {max(cuts) * 7 / 365.25:.2f} years (largest), "
            f"{warmup_years} rounded up to a quarter"
        )
    else:
        warmup_years = args.warmup_years

    cfgs = _configs(base, team_models, [f"warmup_years={warmup_years}"])
    runs = run_many([(c, ss) for c in cfgs for ss in seeds], args.workers)
    needed = []
    for k, c in enumerate(cfgs):
        flat = [flatten(r.summary) for r in runs[k * len(seeds) : (k + 1) * len(seeds)]]
        for m in metrics:
            values = np.array([f[m] for f in flat], dtype=float)
            n = replicates_needed(values, precision=args.precision)
            needed.append(n)
            print(
                f"{c.team_model.name}: {m}: mean {values.mean():.4g}, sd "
                f"{values.std(ddof=1):.3g}, 95% half-width {ci_half_width(values):.3g} "
                f"({100 * ci_half_width(values) / abs(values.mean()):.1f}%) with "
                f"{len(values)} replicates of {c.years} years; {n} replicates for "
                f"{100 * args.precision:.0f}%"
            )
    print(
        f"recommended replicates for every half-width within "
        f"{100 * args.precision:.0f}% of its mean: {max(needed)} "
        f"(warm-up {warmup_years} years)"
    )
    return 0


def _metric_names(base: list[str]) -> set[str]:
    """Flat summary metric names the pilots will report, from a few weeks of 200 children
    under the same overrides (well under a second)."""
    tiny = validate(compose([*base, "area.children=200", "warmup_years=0", "years=0.1"]))
    return set(flatten(run_replicate(tiny, 0).summary))


if __name__ == "__main__":
    sys.exit(main())
