"""Recommend a warm-up (MSER-5) and a number of replicates (CI half-width criterion).

    python experiments/choose_run_length.py area=stockport team_model=tac_only \
        --pilot-replicates 5 --pilot-years 8 --precision 0.05

Runs ``--pilot-replicates`` replicates of the configuration given by the Hydra overrides
with no warm-up and ``--pilot-years`` observed years, then

1. applies MSER-5 (sim/warmup.py) to each replicate's weekly series of the headline
   output (``--series``, default the open needs, i.e. the weekly count of children with an
   open need episode) and recommends the largest truncation over replicates, in years;
2. takes the headline summary metric (``--metric``, default ``delay_days.onset_to_support.
   mean``) from pilot runs with that warm-up and recommends the fewest replicates whose 95%
   interval half-width is within ``--precision`` of the mean.
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
from sim.runner import run_many  # noqa: E402
from sim.summary import flatten  # noqa: E402
from sim.warmup import ci_half_width, mser, replicates_needed  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Command line: Hydra overrides plus the options above."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("overrides", nargs="*")
    ap.add_argument("--pilot-replicates", type=int, default=5)
    ap.add_argument("--pilot-years", type=float, default=8.0)
    ap.add_argument("--precision", type=float, default=0.05)
    ap.add_argument("--series", default="open_needs")
    ap.add_argument("--metric", default="delay_days.onset_to_support.mean")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    try:
        base = ["progress=false", *args.overrides]
        pilot = validate(compose([*base, "warmup_years=0", f"years={args.pilot_years}"]))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seeds = replicate_seeds(pilot.seed, args.pilot_replicates)
    runs = run_many([(pilot, ss) for ss in seeds], args.workers)
    cuts = []
    for r in runs:
        s = r.series
        x = s[s["profession"] == s["profession"].iloc[0]][args.series].to_numpy()
        res = mser(x)
        cuts.append(res.truncation)
        print(f"MSER-5 on {args.series}: truncate {res.truncation} weeks "
              f"({'reliable' if res.reliable else 'UNRELIABLE: lengthen the pilot'})")
    warmup_years = max(cuts) * 7 / 365.25
    print(f"recommended warm-up: {warmup_years:.2f} years (largest over replicates)")
    # Replicates: the headline metric from runs with that warm-up and the default length.
    cfg = validate(compose([*base, f"warmup_years={math.ceil(warmup_years * 4) / 4}"]))
    runs = run_many([(cfg, ss) for ss in replicate_seeds(cfg.seed, args.pilot_replicates)],
                    args.workers)
    values = np.array([flatten(r.summary)[args.metric] for r in runs], dtype=float)
    n = replicates_needed(values, precision=args.precision)
    print(f"{args.metric}: mean {values.mean():.3f}, 95% half-width "
          f"{ci_half_width(values):.3f} with {len(values)} replicates of {cfg.years} years")
    print(f"recommended replicates for a half-width within {100 * args.precision:.0f}% of "
          f"the mean: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
