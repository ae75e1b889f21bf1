"""Morris screening of the model's inputs, for each team model.

``python experiments/morris.py [trajectories=N] [levels=4] [team_models=a,b] [factors=a,b]
[out=DIR] [morris_seed=1] [other Hydra overrides]``

SALib designs the runs (a Morris sample of ``trajectories`` trajectories over the factors
declared in :mod:`sim.sensitivity`); each run's configuration is composed by Hydra from
``configs/experiment/morris.yaml``, the command line's overrides, the team model and the
design point, and validated. Every run uses the configuration's seed, so all design
points and team models share their random numbers. SALib then analyses, for each team
model, the early identification rate, the median days from onset to support and social
worker utilisation.

Writes to ``out`` (default ``outputs/morris/<timestamp>``):

``morris_indices.csv``
    team_model, output, unit, factor, mu, mu_star, sigma, mu_star_conf, missing;
``morris_runs.csv``
    the design (one column per factor) and the outputs of every run;
``morris_mu_star_sigma.png``
    mu* against sigma, one panel per output, Okabe-Ito colours by team model.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sim.calibrate import int_option  # noqa: E402
from sim.config import ConfigError, compose, validate  # noqa: E402
from sim.runner import run_replicate  # noqa: E402
from sim.sensitivity import (  # noqa: E402
    MORRIS_FACTORS,
    MORRIS_OUTPUTS,
    analyse,
    design,
    factor_overrides,
    output_values,
    plot_mu_star_sigma,
)
from sim.team_models import REGISTRY  # noqa: E402

OWN_OPTIONS = ("trajectories", "levels", "team_models", "factors", "out", "morris_seed")
TEAM_MODELS = tuple(REGISTRY)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the screening; return the exit status (2 on bad input)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    own = {
        a.split("=", 1)[0]: a.split("=", 1)[1]
        for a in argv
        if "=" in a and a.split("=", 1)[0] in OWN_OPTIONS
    }
    user = [a for a in argv if not ("=" in a and a.split("=", 1)[0] in OWN_OPTIONS)]
    try:
        trajectories = int_option(own, "trajectories", 10, 2)
        levels = int_option(own, "levels", 4, 2)
        seed = int_option(own, "morris_seed", 1, 0)
        models = [
            m for m in own.get("team_models", ",".join(TEAM_MODELS)).strip("[]").split(",") if m
        ]
        known = {f.name: f for f in MORRIS_FACTORS}
        names = [n for n in own.get("factors", ",".join(known)).strip("[]").split(",") if n]
        unknown = [n for n in names if n not in known]
        if unknown or len(names) < 2:
            raise ConfigError(
                f"factors = {own.get('factors')} is not allowed: it must name "
                f"at least two of {', '.join(known)}"
            )
        factors = [known[n] for n in names]
        bad_models = [m for m in models if m not in TEAM_MODELS]
        if bad_models or not models:
            raise ConfigError(
                f"team_models = {own.get('team_models')} is not allowed: choose "
                f"from {', '.join(TEAM_MODELS)}"
            )
        if any(a.split("=", 1)[0].lstrip("+~") == "team_model" for a in user):
            raise ConfigError(
                "team_model is not allowed here: use team_models=a,b to choose "
                "the team models screened"
            )
        base = ["experiment=morris", "progress=false", *user]
        bases = {m: validate(compose([*base, f"team_model={m}"])) for m in models}
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    progress = validate(compose(["experiment=morris", *user])).progress
    X = design(factors, trajectories, levels, seed)
    out = Path(own.get("out") or REPO / "outputs" / "morris" / time.strftime("%Y-%m-%d_%H-%M-%S"))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(
            total=len(models) * len(X),
            desc="morris runs",
            unit="run",
            file=sys.stderr,
            dynamic_ncols=True,
        )
    runs, indices = [], []
    for m in models:
        rows = []
        for i, x in enumerate(X):
            cfg = validate(
                compose([*base, f"team_model={m}", *factor_overrides(factors, x, bases[m])])
            )
            summary = run_replicate(cfg, cfg.seed).summary
            rows.append(
                {
                    "team_model": m,
                    "run": i,
                    **{f.name: float(v) for f, v in zip(factors, x, strict=True)},
                    **output_values(summary),
                }
            )
            if bar is not None:
                bar.update(1)
        table = pd.DataFrame(rows)
        runs.append(table)
        for o in MORRIS_OUTPUTS:
            res = analyse(factors, X, table[o.name].to_numpy(), levels, seed)
            indices.append(res.assign(team_model=m, output=o.name, unit=o.unit))
    if bar is not None:
        bar.close()
    out.mkdir(parents=True, exist_ok=True)
    result = pd.concat(indices, ignore_index=True)[
        [
            "team_model",
            "output",
            "unit",
            "factor",
            "mu",
            "mu_star",
            "sigma",
            "mu_star_conf",
            "missing",
        ]
    ]
    result.to_csv(out / "morris_indices.csv", index=False)
    pd.concat(runs, ignore_index=True).to_csv(out / "morris_runs.csv", index=False)
    plot_mu_star_sigma(result, out / "morris_mu_star_sigma.png")
    top = result.sort_values("mu_star", ascending=False).groupby(["output", "team_model"]).head(2)
    print(top.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"Morris results ({len(models) * len(X)} runs) written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
