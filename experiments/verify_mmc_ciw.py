"""The model's M/M/c reduction side by side with the same queue simulated in ciw.

    python experiments/verify_mmc_ciw.py mmc.servers=5 mmc.utilisation=0.8 \
        mmc.mean_service_days=2 replicates=5 years=20 seed=1

Runs ``python -m sim experiment=mmc`` with the given overrides (through Hydra's compose
API, the same configuration the command line builds), then the same M/M/c queue in ciw
(Palmer et al. 2019) with the same number of replicates, warm-up and observation
horizon. Prints both mean waits with their 95% intervals over replicates, the Erlang C
value, and both throughputs (customers simulated per second of wall time), and writes
``mmc_vs_ciw.json`` and ``mmc_vs_ciw.csv`` to ``--out`` (default: the current folder).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sim.config import ConfigError, compose, validate  # noqa: E402
from sim.population import DAYS_PER_YEAR  # noqa: E402
from sim.queueing import mmc_mean_wait_days  # noqa: E402
from sim.rng import replicate_seeds  # noqa: E402
from sim.runner import mmc_summary, run_scenario  # noqa: E402
from sim.summary import mean_ci  # noqa: E402


def ciw_replicate(
    servers: int, lam: float, mu: float, warmup_days: float, horizon_days: float, seed: int
) -> tuple[float, int]:
    """Mean wait (days) of customers arriving in ``[warmup, warmup + horizon)`` and served,
    and the number of customers simulated in all, for one ciw run of an M/M/c queue."""
    import ciw

    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=mu)],
        number_of_servers=[servers],
    )
    q = ciw.Simulation(network)
    q.simulate_until_max_time(warmup_days + horizon_days)
    recs = q.get_all_records()
    waits = [
        r.waiting_time for r in recs if warmup_days <= r.arrival_date < warmup_days + horizon_days
    ]
    # Customers still waiting at the end have no record (as in the model, where a
    # request not yet allocated has no allocation day).
    return (float(np.mean(waits)) if waits else float("nan")), len(recs)


def compare(overrides: list[str]) -> dict[str, Any]:
    """Run the model's mmc experiment and ciw with the same settings; return both."""
    cfg = validate(compose(["experiment=mmc", "progress=false", *overrides]))
    c, rho, s = cfg.mmc.servers, cfg.mmc.utilisation, cfg.mmc.mean_service_days
    mu = 1.0 / s
    lam = rho * c * mu
    t0 = time.perf_counter()
    result = run_scenario(cfg)
    t_model = time.perf_counter() - t0
    model = mmc_summary(cfg, result)
    # The model's warm-up is a whole number of weeks (sim.model: day 0 starts a week).
    warmup_days = float(np.ceil(cfg.warmup_years * DAYS_PER_YEAR / 7.0) * 7.0)
    horizon_days = cfg.years * DAYS_PER_YEAR
    seeds = [int(ss.generate_state(1)[0]) for ss in replicate_seeds(cfg.seed, cfg.replicates)]
    t0 = time.perf_counter()
    runs = [ciw_replicate(c, lam, mu, warmup_days, horizon_days, sd) for sd in seeds]
    t_ciw = time.perf_counter() - t0
    ciw_customers = sum(n for _, n in runs)
    # The model simulates its warm-up customers too: count them for the throughput.
    model_customers = sum(len(r.episodes) for r in result.replicates)
    return {
        "servers": c,
        "utilisation": rho,
        "mean_service_days": s,
        "replicates": cfg.replicates,
        "years": cfg.years,
        "warmup_days": warmup_days,
        "erlang_c_mean_wait_days": mmc_mean_wait_days(c, rho, s),
        "model": {
            "mean_wait_days": model["mean_wait_days"],
            "customers_observed": model["customers"],
            "seconds": t_model,
            "customers_per_second": model_customers * (1 + warmup_days / horizon_days) / t_model,
        },
        "ciw": {
            "mean_wait_days": mean_ci([w for w, _ in runs]),
            "customers_simulated": ciw_customers,
            "seconds": t_ciw,
            "customers_per_second": ciw_customers / t_ciw,
        },
    }


def intervals_overlap(out: dict[str, Any]) -> bool:
    """Whether the two mean waits agree within their 95% confidence intervals: the
    model's interval and ciw's overlap."""
    a, b = out["model"]["mean_wait_days"]["ci95"]
    c, d = out["ciw"]["mean_wait_days"]["ci95"]
    return a <= d and c <= b


def welch_t(out: dict[str, Any]) -> tuple[float, float]:
    """Welch's t statistic of the difference of the two simulators' mean waits, and its
    Welch-Satterthwaite degrees of freedom (each mean's standard error recovered from
    its Student t interval over replicates)."""
    from scipy import stats

    m, q = out["model"]["mean_wait_days"], out["ciw"]["mean_wait_days"]
    se = []
    for r in (m, q):
        half = (r["ci95"][1] - r["ci95"][0]) / 2
        se.append(half / stats.t.ppf(0.975, r["n"] - 1))
    v1, v2 = se[0] ** 2, se[1] ** 2
    df = (v1 + v2) ** 2 / (v1**2 / (m["n"] - 1) + v2**2 / (q["n"] - 1))
    return (m["mean"] - q["mean"]) / (v1 + v2) ** 0.5, df


def means_agree(out: dict[str, Any], level: float = 0.95) -> bool:
    """Whether the two mean waits agree: the Welch interval of their difference at
    ``level`` contains 0 (the test uses the suite's agreement level, 99.9%)."""
    from scipy import stats

    t, df = welch_t(out)
    return abs(t) <= stats.t.ppf(0.5 + level / 2, df)


def main(argv: list[str] | None = None) -> int:
    """Command line: Hydra overrides, plus ``--out`` for the output folder."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. mmc.servers=5")
    ap.add_argument("--out", type=Path, default=Path("."), help="folder for the outputs")
    args = ap.parse_args(argv)
    try:
        out = compare(args.overrides)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    m, q = out["model"], out["ciw"]
    print(
        f"M/M/{out['servers']}, utilisation {out['utilisation']}, mean service "
        f"{out['mean_service_days']} days; {out['replicates']} replicates of "
        f"{out['years']} years after {out['warmup_days']:.0f} days' warm-up"
    )
    print(f"Erlang C mean wait: {out['erlang_c_mean_wait_days']:.4f} days")
    for name, r in (("model", m), ("ciw", q)):
        w = r["mean_wait_days"]
        print(
            f"{name:>5}: mean wait {w['mean']:.4f} days (95% CI {w['ci95'][0]:.4f}-"
            f"{w['ci95'][1]:.4f}); {r['customers_per_second']:,.0f} customers/s"
        )
    print(
        "agree within their 95% confidence intervals (the intervals overlap): "
        + ("yes" if intervals_overlap(out) else "NO")
    )
    t, df = welch_t(out)
    print(
        f"Welch t of the difference: {t:.2f} ({df:.1f} df); its 95% interval contains 0: "
        + ("yes" if means_agree(out) else "no")
        + "; its 99.9% interval (the test's): "
        + ("yes" if means_agree(out, 0.999) else "NO")
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "mmc_vs_ciw.json").write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    rows = [
        {
            "simulator": name,
            "mean_wait_days": r["mean_wait_days"]["mean"],
            "ci_low": r["mean_wait_days"]["ci95"][0],
            "ci_high": r["mean_wait_days"]["ci95"][1],
            "customers_per_second": r["customers_per_second"],
            "erlang_c_mean_wait_days": out["erlang_c_mean_wait_days"],
        }
        for name, r in (("model", m), ("ciw", q))
    ]
    pd.DataFrame(rows).to_csv(args.out / "mmc_vs_ciw.csv", index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
