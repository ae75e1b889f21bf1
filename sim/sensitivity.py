"""Morris elementary-effects screening of the model's inputs.

SALib designs the runs (``SALib.sample.morris.sample``) and analyses them
(``SALib.analyze.morris.analyze``); each design point becomes a configuration composed by
Hydra (:func:`sim.config.compose`) and checked by :func:`sim.config.validate`. The model
never sees SALib. ``experiments/morris.py`` is the command that runs the screening.

Factors are declared in :data:`MORRIS_FACTORS`: a factor either sets a setting to a value
in its range (kind ``"value"``) or multiplies the base configuration's value of the
setting (kind ``"scale"``: every element of a list is multiplied). Outputs are declared
in :data:`MORRIS_OUTPUTS`, each a headline metric of ``summary.json`` whose label and
unit are the registry's (:mod:`sim.metrics`).

Units. With the SALib default (unscaled effects), an elementary effect is the change in
an output when one factor moves by Δ = p / (2 (p - 1)) of its range (p levels; 2/3 of the
range for p = 4), so mu* and sigma are in the output's own unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import metrics as registry
from sim.params import Config

__all__ = [
    "MORRIS_FACTORS",
    "MORRIS_OUTPUTS",
    "Factor",
    "Output",
    "analyse",
    "design",
    "factor_overrides",
    "output_values",
    "plot_mu_star_sigma",
    "salib_problem",
]


@dataclass(frozen=True)
class Factor:
    """One input screened by Morris.

    Attributes
    ----------
    name : name in the results.
    path : dotted key of the setting in :class:`sim.params.Config`.
    kind : ``"value"`` (the setting takes a value in [low, high]) or ``"scale"`` (the base
        value is multiplied by a number in [low, high]).
    low, high : range.
    unit : unit of the range.
    """

    name: str
    path: str
    kind: str
    low: float
    high: float
    unit: str


@dataclass(frozen=True)
class Output:
    """One output: a metric of a replicate summary.

    Attributes
    ----------
    name : name in the results (``morris_indices.csv``'s ``output`` column).
    metric : the metric's flat name in ``summary.json``, registered in :mod:`sim.metrics`.
    """

    name: str
    metric: str

    @property
    def keys(self) -> tuple[str, ...]:
        """The path of keys of the metric in a replicate summary."""
        return tuple(self.metric.split("."))

    @property
    def label(self) -> str:
        """The metric's display label (``sim.metrics``)."""
        return registry.label(self.metric)

    @property
    def unit(self) -> str:
        """The metric's unit, which is also the unit of its elementary effects."""
        return registry.unit(self.metric)


#: Inputs screened: demand, workforce level, and the mechanisms by which the team models
#: differ (team_model.*, docs/odd.md section 7.7.1). Ranges cover the three team models'
#: shipped values and published ranges where there are any (docs/sources.md).
MORRIS_FACTORS: tuple[Factor, ...] = (
    Factor("onset_scale", "need.onset_rate_by_age", "scale", 0.7, 1.3, "x preset"),
    Factor("workforce_scale", "area.workforce_scale", "value", 0.7, 1.3, "x establishment"),
    Factor("case_mean_scale", "social_care.case_mean_days", "scale", 0.5, 1.5, "x preset"),
    Factor(
        "allocation_interval_days",
        "team_model.allocation_interval_days",
        "value",
        0.0,
        28.0,
        "days",
    ),
    Factor(
        "convening_days_per_member",
        "team_model.convening_days_per_member",
        "value",
        0.5,
        3.0,
        "days",
    ),
    Factor(
        "coordination_hours_per_case",
        "team_model.coordination_hours_per_case",
        "value",
        1.0,
        4.0,
        "hours",
    ),
    Factor("core_time_share", "team_model.core_time_share", "value", 0.3, 1.0, "share"),
    Factor(
        "advice_multiplier", "team_model.advice_multiplier", "value", 1.0, 1.3, "x identification"
    ),
)

#: Outputs analysed, with the unit of their elementary effects.
MORRIS_OUTPUTS: tuple[Output, ...] = (
    Output("early_identification_rate", "early_identification_rate"),
    Output("onset_to_support_median", "delay_days.onset_to_support.median"),
    Output("social_worker_utilisation", "utilisation.social_worker"),
)


def salib_problem(factors: Sequence[Factor] = MORRIS_FACTORS) -> dict[str, Any]:
    """The SALib problem dictionary of ``factors``."""
    return {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [[f.low, f.high] for f in factors],
    }


def design(
    factors: Sequence[Factor], trajectories: int, levels: int = 4, seed: int = 1
) -> np.ndarray:
    """Morris design: ``trajectories * (len(factors) + 1)`` rows, one column per factor."""
    from SALib.sample import morris as morris_sample

    return morris_sample.sample(salib_problem(factors), trajectories, num_levels=levels, seed=seed)


def _get(cfg: Config, path: str) -> Any:
    node: Any = cfg
    for part in path.split("."):
        node = getattr(node, part)
    return node


def _text(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_text(x) for x in v) + "]"
    return repr(float(v))


def factor_overrides(factors: Sequence[Factor], row: Sequence[float], base: Config) -> list[str]:
    """Hydra overrides setting each factor to its value in a design row.

    Parameters
    ----------
    factors : the factors, in the design's column order.
    row : one row of :func:`design`.
    base : the validated base configuration (for ``"scale"`` factors).
    """
    out = []
    for f, x in zip(factors, row, strict=True):
        if f.kind == "scale":
            b = _get(base, f.path)
            value = [float(v) * float(x) for v in b] if isinstance(b, list) else float(b) * x
        else:
            value = float(x)
        out.append(f"{f.path}={_text(value)}")
    return out


def output_values(
    summary: dict[str, Any], outputs: Sequence[Output] = MORRIS_OUTPUTS
) -> dict[str, float]:
    """The outputs of one replicate summary (NaN when absent)."""
    out = {}
    for o in outputs:
        node: Any = summary
        for k in o.keys:
            node = node.get(k, np.nan) if isinstance(node, dict) else np.nan
        out[o.name] = float(node) if node is not None else np.nan
    return out


def analyse(
    factors: Sequence[Factor], X: np.ndarray, Y: np.ndarray, levels: int = 4, seed: int = 1
) -> pd.DataFrame:
    """Morris indices (SALib) of one output: factor, mu, mu_star, sigma, mu_star_conf.

    Runs whose output is missing (NaN) are replaced by the output's mean so that the
    design stays whole; the number of such runs is returned in ``missing``.
    """
    from SALib.analyze import morris as morris_analyze

    y = np.asarray(Y, dtype=float).copy()
    missing = int(np.isnan(y).sum())
    if missing:
        y[np.isnan(y)] = np.nanmean(y) if missing < len(y) else 0.0
    res = morris_analyze.analyze(
        salib_problem(factors), np.asarray(X), y, num_levels=levels, seed=seed
    )
    return pd.DataFrame(
        {
            "factor": list(res["names"]),
            "mu": res["mu"],
            "mu_star": res["mu_star"],
            "sigma": res["sigma"],
            "mu_star_conf": res["mu_star_conf"],
            "missing": missing,
        }
    )


def plot_mu_star_sigma(
    results: pd.DataFrame, path: Path, outputs: Sequence[Output] = MORRIS_OUTPUTS
) -> Path:
    """mu* against sigma, one panel per output, one colour per team model (Okabe-Ito).

    Parameters
    ----------
    results : columns team_model, output, factor, mu_star, sigma.
    path : PNG file to write.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.plots import PALETTE

    fig, axes = plt.subplots(1, len(outputs), figsize=(5.2 * len(outputs), 4.6))
    axes = np.atleast_1d(axes)
    markers = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">"]
    for ax, o in zip(axes, outputs, strict=True):
        sub = results[results["output"] == o.name]
        for i, (tm, g) in enumerate(sub.groupby("team_model", sort=False)):
            ax.scatter(
                g["mu_star"],
                g["sigma"],
                s=36,
                color=PALETTE.get(tm, "#000000"),
                marker=markers[i % len(markers)],
                label=tm.replace("_", " "),
                edgecolor="black",
                linewidth=0.4,
            )
        # Label each factor once per panel, at its largest mu* over team models.
        for factor, g in sub.groupby("factor"):
            top = g.loc[g["mu_star"].idxmax()]
            if np.isfinite(top["mu_star"]) and np.isfinite(top["sigma"]):
                ax.annotate(
                    factor,
                    (top["mu_star"], top["sigma"]),
                    fontsize=7,
                    xytext=(3, 3),
                    textcoords="offset points",
                )
        lim = np.nanmax([sub["mu_star"].max(), sub["sigma"].max(), 1e-12]) * 1.1
        ax.plot([0, lim], [0, lim], color="#999999", linewidth=0.8, linestyle="--")
        ax.set_xlim(0, lim)
        ax.set_ylim(0, lim)
        ax.set_title(o.label)
        ax.set_xlabel(f"mu* ({o.unit})")
        ax.set_ylabel(f"sigma ({o.unit})")
        ax.legend(title="team model", fontsize=8, loc="upper left")
    fig.suptitle(
        "Morris screening: mean absolute elementary effect (mu*) against its "
        "spread (sigma); dashed line sigma = mu*",
        fontsize=10,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
