"""How far each statistical check in the test suite sits from the edge of its tolerance.

A check against a target is evidence only if it would pass at other seeds too. For each
check this command computes the tested statistic at the test's own seed and at five
other seeds, and reports the margin (distance from the test seed's value to the nearest
edge of what the test allows) beside the spread (standard deviation over the other
seeds). The project's rule: the margin is at least twice the spread
(docs/validation.md, section 6, records the figures).

    python experiments/statistical_margins.py calibration      # the three presets' checks
    python experiments/statistical_margins.py monotonicity     # more posts, shorter waits
    python experiments/statistical_margins.py mmc              # the M/M/c reduction
    python experiments/statistical_margins.py ciw              # the model beside ciw
    python experiments/statistical_margins.py calibration --seeds 7,8,9,10,11 --out margins/

Each writes ``<check>_margins.csv`` in ``--out`` (default: the working folder) and prints
one line per statistic. Little's law has its margins in docs/validation.md, section 3,
measured with the functions its test uses.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config import ConfigError, compose, validate
from sim.params import DOMAINS
from sim.runner import run_replicate
from sim.team_models import REGISTRY

#: Seeds the margins are measured on, besides each test's own (the calibration check
#: uses the configuration's seed, 20080; the M/M/c tests seed 1; the ciw test seed 3;
#: the monotonicity test seeds 1-3, so its margins and ciw's are measured on 4-8).
OTHER_SEEDS = {
    "calibration": (2, 3, 4, 5, 6),
    "mmc": (2, 3, 4, 5, 6),
    "monotonicity": (4, 5, 6, 7, 8),
    "ciw": (4, 5, 6, 7, 8),
}


def margin_row(
    check: str, statistic: str, at_test: float, others: Iterable[float], low: float, high: float
) -> dict:
    """One row: the statistic at the test seed, the allowed interval, the margin to its
    nearest edge, and the spread (sd) of the statistic over the other seeds."""
    others = np.asarray(list(others), dtype=float)
    spread = float(others.std(ddof=1)) if len(others) > 1 else float("nan")
    margin = float(min(at_test - low, high - at_test))
    return {
        "check": check,
        "statistic": statistic,
        "test_seed_value": at_test,
        "low": low,
        "high": high,
        "margin": margin,
        "other_seeds": " ".join(f"{x:.4g}" for x in others),
        "spread": spread,
        "margin_over_spread": margin / spread if spread > 0 else float("inf"),
        "ok": bool(margin >= 2 * spread),
    }


# --------------------------------------------------------------------- calibration
def calibration_margins(seeds: tuple[int, ...]) -> list[dict]:
    """Each preset's calibration check (tests/test_calibration.py) at its own seed and
    at ``seeds``: the replicate mean of every target against its tolerance band."""
    from sim.calibrate import check, load_spec

    rows = []
    for area in ("shropshire", "west_sussex", "stockport"):
        spec = load_spec(area)
        own, _ = check(spec, None, user=["workers=2"])
        other = [check(spec, None, user=["workers=2", f"seed={s}"])[0] for s in seeds]
        for i, t in own.iterrows():
            rows.append(
                margin_row(
                    f"calibration {area}",
                    t["metric"],
                    t["simulated"],
                    [o.loc[i, "simulated"] for o in other],
                    t["low"],
                    t["high"],
                )
            )
            _print(rows[-1])
    return rows


# --------------------------------------------------------------------- monotonicity
#: The monotonicity test's setting (tests/test_functional.py): every outcome domain needs
#: family support only, on the test area.
ONLY_FAMILY_SUPPORT = tuple(f"domain_professions.{d}=[family_support]" for d in DOMAINS)
BASE = ("area=test", "years=2", "warmup_years=1", "progress=false")


def family_support_wait(episodes: pd.DataFrame) -> float:
    """Mean request-to-allocation wait (days) of allocated episodes needing family
    support, as tests/test_functional.py measures it."""
    fs = episodes["professions"].str.split("|").apply(lambda p: "family_support" in p)
    e = episodes[fs & episodes["request_day"].notna() & episodes["allocation_day"].notna()]
    return float((e["allocation_day"] - e["request_day"]).mean())


def monotonicity_margins(seeds: tuple[int, ...]) -> list[dict]:
    """Doubling family support posts, per team model: the paired change in the family
    support wait (the test allows at most +1 day) and in the mean queue (at most +0.5),
    at each of the test's seeds 1-3 and at ``seeds``."""
    rows = []
    for tm in REGISTRY:

        def change(seed: int, tm: str = tm) -> tuple[float, float]:
            out = []
            for scale in (1.0, 2.0):
                cfg = validate(
                    compose(
                        [
                            *BASE,
                            f"team_model={tm}",
                            *ONLY_FAMILY_SUPPORT,
                            f"+area.establishment_scale.family_support={scale}",
                        ]
                    )
                )
                r = run_replicate(cfg, seed)
                s = r.series
                queue = float(s.loc[s["profession"] == "family_support", "queue_early_help"].mean())
                out.append((family_support_wait(r.episodes), queue))
            (a, qa), (b, qb) = out
            return b - a, qb - qa

        test = [change(s) for s in (1, 2, 3)]
        other = [change(s) for s in seeds]
        for i, (statistic, limit) in enumerate((("wait change, days", 1.0), ("queue change", 0.5))):
            worst = max(t[i] for t in test)
            rows.append(
                margin_row(
                    f"monotonicity {tm}",
                    f"{statistic} (worst of seeds 1-3)",
                    worst,
                    [o[i] for o in other],
                    -np.inf,
                    limit,
                )
            )
            _print(rows[-1])
    return rows


# --------------------------------------------------------------------- M/M/c
def mmc_margins(seeds: tuple[int, ...]) -> list[dict]:
    """The M/M/c reduction against Erlang C (tests/test_validation.py): each grid and
    random point's t statistic (allowed within the 99.9% t limit) and the grid's combined
    chi-square (allowed below its 99.9% point), at seed 1 and at ``seeds``."""
    from scipy import stats

    from sim import validation as v

    points = [*v.MMC_GRID, *v.MMC_RANDOM_POINTS]

    def customers(p: tuple[int, float]) -> int:
        return v.mmc_grid_customers(p) if p in v.MMC_GRID else v.MMC_RANDOM_CUSTOMERS

    def t_values(seed: int) -> dict:
        out = v.run_mmc_points(points, customers, seed=seed, workers=2)
        ts = {}
        for p, (_, summary, _) in out.items():
            w = summary["mean_wait_days"]
            ts[p] = v.standardised_gap(
                w["mean"], w["ci95"], v.MMC_REPLICATES, summary["erlang_c_mean_wait_days"]
            )
        print(
            f"  seed {seed}: t by point { ({p: round(t, 2) for p, t in ts.items()}) }", flush=True
        )
        return ts

    own = t_values(1)
    other = [t_values(s) for s in seeds]
    limit = v.agreement_limit(v.MMC_REPLICATES - 1)
    rows = []
    for p in points:
        rows.append(
            margin_row(
                f"mmc c={p[0]} rho={p[1]}",
                "t against Erlang C",
                own[p],
                [o[p] for o in other],
                -limit,
                limit,
            )
        )
        _print(rows[-1])

    def chi2(ts: dict) -> float:
        return v.combined_chi2([ts[p] for p in v.MMC_GRID], v.MMC_REPLICATES - 1)

    rows.append(
        margin_row(
            "mmc grid",
            "combined chi-square",
            chi2(own),
            [chi2(o) for o in other],
            -np.inf,
            float(stats.chi2.ppf(v.AGREEMENT_LEVEL, len(v.MMC_GRID))),
        )
    )
    _print(rows[-1])
    return rows


# --------------------------------------------------------------------- ciw
def ciw_margins(seeds: tuple[int, ...]) -> list[dict]:
    """The model against ciw at M/M/5, utilisation 0.8 (tests/test_validation.py, seed
    3): Welch's t of the difference (allowed within the 99.9% limit) and each
    simulator's 95% interval width over Erlang C (allowed at most 0.5)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        import verify_mmc_ciw
    finally:
        sys.path.pop(0)
    from sim import validation as v

    def measure(seed: int) -> dict[str, float]:
        overrides = [
            o
            for o in v.mmc_overrides(5, 0.8, v.MMC_CIW_CUSTOMERS, 6, seed=seed)
            if not o.startswith(("experiment=", "progress="))
        ]
        out = verify_mmc_ciw.compare(overrides)
        t, df = verify_mmc_ciw.welch_t(out)
        res = {"t": t, "limit": v.agreement_limit(df)}
        for name in ("model", "ciw"):
            lo, hi = out[name]["mean_wait_days"]["ci95"]
            res[name] = (hi - lo) / out["erlang_c_mean_wait_days"]
        print(f"  seed {seed}: {res}", flush=True)
        return res

    own = measure(3)
    other = [measure(s) for s in seeds]
    rows = [
        margin_row(
            "ciw",
            "Welch t of model - ciw",
            own["t"],
            [o["t"] for o in other],
            -own["limit"],
            own["limit"],
        )
    ]
    for name in ("model", "ciw"):
        rows.append(
            margin_row(
                "ciw",
                f"{name} 95% interval width / Erlang C",
                own[name],
                [o[name] for o in other],
                -np.inf,
                0.5,
            )
        )
    for r in rows:
        _print(r)
    return rows


def _print(row: dict) -> None:
    print(
        f"{row['check']}: {row['statistic']} = {row['test_seed_value']:.4g} "
        f"(allowed {row['low']:.4g} to {row['high']:.4g}); margin {row['margin']:.4g}, "
        f"spread {row['spread']:.3g} over seeds [{row['other_seeds']}]"
        f" -> {'ok' if row['ok'] else 'MARGIN UNDER TWICE THE SPREAD'}",
        flush=True,
    )


CHECKS: dict[str, Callable[[tuple[int, ...]], list[dict]]] = {
    "calibration": calibration_margins,
    "monotonicity": monotonicity_margins,
    "mmc": mmc_margins,
    "ciw": ciw_margins,
}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("check", help=f"one of {', '.join(CHECKS)}")
    ap.add_argument(
        "--seeds",
        default=None,
        help="other seeds, comma-separated (default: 2-6; 4-8 for monotonicity and ciw)",
    )
    ap.add_argument("--out", default=".", help="folder for <check>_margins.csv")
    args = ap.parse_args(argv)
    if args.check not in CHECKS:
        print(
            f"error: check = {args.check!r} is not known: it must be one of {', '.join(CHECKS)}.",
            file=sys.stderr,
        )
        return 2
    try:
        seeds = (
            OTHER_SEEDS[args.check]
            if args.seeds is None
            else tuple(int(s) for s in args.seeds.split(","))
        )
    except ValueError:
        print(
            f"error: --seeds = {args.seeds!r} is not allowed: it must be whole numbers "
            "separated by commas.",
            file=sys.stderr,
        )
        return 2
    try:
        rows = CHECKS[args.check](seeds)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out / f"{args.check}_margins.csv", index=False)
    bad = [r for r in rows if not r["ok"]]
    print(
        f"{len(rows) - len(bad)} of {len(rows)} statistics keep a margin of at least twice "
        f"the spread; written to {out / (args.check + '_margins.csv')}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
