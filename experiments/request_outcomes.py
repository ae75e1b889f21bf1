"""What became of the requests for multi-agency support made in the observation window.

    python experiments/request_outcomes.py experiment=compare_team_models \
        --team-models co_located,virtual,tac_only --replicates 6

The delay metrics (docs/metrics.md) average over needs that reached both milestones
before the window closed. This command shows how many did: for each team model and
replicate it splits the window's requests (episodes with a ``request_day``) into those
allocated, those closed before allocation (by closure reason) and those still waiting
when the window closed, beside the measured waits and the vacancy rate of the posts
that receive requests (``coordinator``). Where few requests are allocated, the measured
waits describe the few, not the many still waiting. With ``followup_years=`` the
requests are followed to the end of the follow-up instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sim.config import ConfigError, compose, validate  # noqa: E402
from sim.rng import replicate_seeds  # noqa: E402
from sim.runner import run_many  # noqa: E402
from sim.summary import flatten  # noqa: E402


def request_outcomes(episodes: pd.DataFrame) -> dict[str, int]:
    """Counts of the window's requests by what had become of them at its end.

    ``allocated + closed_<reason>... + waiting == requests``.
    """
    req = episodes[episodes["request_day"].notna()]
    out = {"requests": len(req), "allocated": int(req["allocation_day"].notna().sum())}
    unalloc = req[req["allocation_day"].isna()]
    reasons = unalloc["closure_reason"]
    for reason, n in reasons[reasons != ""].value_counts().sort_index().items():
        out[f"closed_{reason}"] = int(n)
    out["waiting"] = int((reasons == "").sum())
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: Hydra overrides plus the options above."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("overrides", nargs="*")
    ap.add_argument(
        "--team-models",
        default=None,
        help="comma-separated team models (default: the configured one)",
    )
    ap.add_argument(
        "--replicates",
        type=int,
        default=None,
        help="replicates per team model (default: the configuration's)",
    )
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    base = ["progress=false", *args.overrides]
    team_models = args.team_models.split(",") if args.team_models else [None]
    try:
        cfgs = [
            validate(compose([*base, *([f"team_model={tm}"] if tm else [])])) for tm in team_models
        ]
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    n = args.replicates or cfgs[0].replicates
    if n < 1:
        print("error: --replicates must be at least 1.", file=sys.stderr)
        return 2
    seeds = replicate_seeds(cfgs[0].seed, n)
    runs = run_many([(c, ss) for c in cfgs for ss in seeds], args.workers)
    rows = []
    for i, r in enumerate(runs):
        f = flatten(r.summary)
        s = r.series
        coord = s[s["profession"] == "coordinator"]
        rows.append(
            {
                "team_model": cfgs[i // n].team_model.name,
                "replicate": i % n,
                "onset_to_support_mean": f["delay_days.onset_to_support.mean"],
                "request_to_allocation_mean": f["delay_days.request_to_allocation.mean"],
                **request_outcomes(r.followed if r.followed is not None else r.episodes),
                "coordinator_vacancy": (
                    coord["vacant_fte"].sum() / coord["fte"].sum()
                    if len(coord) and coord["fte"].sum() > 0
                    else float("nan")
                ),
            }
        )
    table = pd.DataFrame(rows)
    closed = sorted(c for c in table.columns if c.startswith("closed_"))
    table[closed] = table[closed].fillna(0).astype(int)
    table["allocated_share"] = table["allocated"] / table["requests"]
    table = table[
        [
            "team_model",
            "replicate",
            "onset_to_support_mean",
            "request_to_allocation_mean",
            "requests",
            "allocated",
            *closed,
            "waiting",
            "allocated_share",
            "coordinator_vacancy",
        ]
    ]
    with pd.option_context(
        "display.width", 200, "display.max_columns", 30, "display.float_format", "{:,.3g}".format
    ):
        print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
