"""Morris screening: SALib's design and analysis, the factors' overrides, and a smoke run.

Evidence given:

- statistical (known answer): on a function whose effects are known, y = 3 x0 + 0 x1 +
  x2^2 with every input on [0, 1], the analysis gives mu = 3 and sigma = 0 for x0,
  mu* = 0 for x1, and a non-zero sigma for the non-linear x2.
- unit: every declared factor's override composes (Hydra) and validates, a "value"
  factor sets its setting and a "scale" factor multiplies the base configuration's value.
- functional (smoke): ``python experiments/morris.py`` at tiny scale writes the indices
  (a row per team model, output and factor, mu* >= 0), the runs and a PNG plot.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config import compose, validate
from sim.sensitivity import (
    MORRIS_FACTORS,
    MORRIS_OUTPUTS,
    Factor,
    analyse,
    design,
    factor_overrides,
)

REPO = Path(__file__).resolve().parent.parent


def test_known_effects_are_recovered() -> None:
    """mu(x0) = 3 with sigma 0; mu*(x1) = 0; x2 (quadratic) has sigma > 0."""
    factors = [Factor(f"x{i}", "", "value", 0.0, 1.0, "") for i in range(3)]
    X = design(factors, trajectories=10, levels=4, seed=3)
    Y = 3 * X[:, 0] + 0 * X[:, 1] + X[:, 2] ** 2
    res = analyse(factors, X, Y, levels=4, seed=3).set_index("factor")
    assert res.loc["x0", "mu"] == pytest.approx(3.0) and res.loc["x0", "sigma"] < 1e-9
    assert res.loc["x1", "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert res.loc["x2", "sigma"] > 0.05 and res.loc["x2", "mu_star"] > 0


def test_factor_overrides_compose_and_set_values() -> None:
    """The design's upper corner composes and validates; values and scales land."""
    base = validate(compose(["experiment=morris"]))
    row = [f.high for f in MORRIS_FACTORS]
    cfg = validate(compose(["experiment=morris", *factor_overrides(MORRIS_FACTORS, row, base)]))
    for f in MORRIS_FACTORS:
        head, leaf = f.path.split(".")
        got = getattr(getattr(cfg, head), leaf)
        want = getattr(getattr(base, head), leaf)
        if f.kind == "scale":
            want = np.asarray(want, dtype=float) * f.high
        else:
            want = f.high
        assert np.allclose(got, want), (f.path, got, want)


def test_morris_smoke(tmp_path: Path) -> None:
    """Two trajectories of three factors, one team model, a tiny area: the three files
    are written and the indices cover every output and factor screened."""
    spec = importlib.util.spec_from_file_location("morris", REPO / "experiments" / "morris.py")
    assert spec is not None and spec.loader is not None
    morris = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(morris)
    out = tmp_path / "m"
    factors = ["onset_scale", "workforce_scale", "core_time_share"]
    code = morris.main(
        [
            "trajectories=2",
            "team_models=tac_only",
            "area=test",
            "factors=" + ",".join(factors),
            "area.children=300",
            "years=0.25",
            "warmup_years=0.25",
            "progress=false",
            f"out={out}",
        ]
    )
    assert code == 0
    idx = pd.read_csv(out / "morris_indices.csv")
    assert len(idx) == len(MORRIS_OUTPUTS) * len(factors)
    assert set(idx["factor"]) == set(factors)
    assert set(idx["output"]) == {o.name for o in MORRIS_OUTPUTS}
    assert (idx["mu_star"].dropna() >= 0).all()
    runs = pd.read_csv(out / "morris_runs.csv")
    assert len(runs) == 2 * (len(factors) + 1)
    png = (out / "morris_mu_star_sigma.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    assert morris.main(["trajectories=1"]) == 2
    assert morris.main(["factors=onset_scale,nonsense"]) == 2
