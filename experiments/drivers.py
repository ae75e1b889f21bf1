"""What drives each difference between team models: one parameter at a time.

For every headline difference between a team model and the baseline (TAC processes
only), each team-model parameter that the shipped presets set differently is moved, in
that team model alone, to the low and the high end of its plausible range (the ranges
below, assumptions unless a source is given), the others kept as shipped. The paired
difference against the baseline is measured at each end under common random numbers.
A parameter whose two ends move the difference most decides it; where the difference
changes sign within a range, the comparison is not settled.

Writes ``drivers.json`` (every parameter, sorted by how far it moves each difference)
and ``drivers.md`` (one sentence per difference) to the output folder, and prints the
sentences.

Usage::

    python experiments/drivers.py [out=DIR] [overrides]

``overrides`` are Hydra overrides of the runs (default: the main job's Stockport-style
area at 20,000 children, 3 + 3 + 1 years, 3 replicates, 2 workers).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import yaml

from sim import metrics as registry
from sim.config import CONFIG_DIR, ConfigError, compose, validate
from sim.params import Config
from sim.results import atomic_write_bytes
from sim.runner import ScenarioResult, run_comparison
from sim.summary import flatten, paired_difference

BASELINE = "tac_only"
#: The differences explained.
METRICS: tuple[str, ...] = (
    "time_to_support.supported_within_90d",
    "early_identification_rate",
    "cost_per_child_supported",
)
#: Plausible range of each team-model parameter (assumption throughout: the shipped
#: values of the three presets lie inside each).
RANGES: dict[str, tuple[float, float]] = {
    "allocation_interval_days": (0.0, 28.0),
    "panel_share": (0.0, 0.6),
    "convening_days_per_member": (0.25, 4.0),
    "coordination_hours_per_case": (0.5, 5.0),
    "travel_hours_per_meeting": (0.0, 1.5),
    "advice_multiplier": (1.0, 1.3),
    "advice_hours_per_identification": (0.0, 1.0),
    "core_share": (0.2, 0.8),
    "core_time_share": (0.3, 1.0),
    "member_join_delay_days": (0.0, 21.0),
    "missed_review_probability": (0.02, 0.25),
    "review_followup_days": (0.0, 20.0),
    "review_followup_hours": (0.0, 2.0),
    "central_coordination_share": (0.0, 0.5),
}
DEFAULTS: tuple[str, ...] = (
    "area=stockport",
    "area.children=20000",
    "years=3",
    "warmup_years=3",
    "followup_years=1",
    "replicates=3",
    "workers=2",
    "progress=false",
)


def differing_parameters() -> list[str]:
    """Parameters of :data:`RANGES` whose shipped values differ between the presets."""
    presets = [
        yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((CONFIG_DIR / "team_model").glob("*.yaml"))
    ]
    return [k for k in RANGES if len({json.dumps(p.get(k)) for p in presets}) > 1]


def _cfg(overrides: list[str], team_model: str, *extra: str) -> Config:
    return validate(compose([*overrides, f"team_model={team_model}", *extra]))


def _values(result: ScenarioResult, metric: str) -> list[float]:
    return [float(flatten(s)[metric]) for s in result.summaries]


def drivers(overrides: list[str], params: list[str] | None = None) -> dict:
    """Run the design and return, by team model and metric, the shipped difference and
    each parameter's difference at the two ends of its range."""
    params = differing_parameters() if params is None else params
    models = [m for m in ("co_located", "virtual") if m != BASELINE]
    cfgs: dict[tuple, Config] = {("shipped", BASELINE): _cfg(overrides, BASELINE)}
    for tm in models:
        cfgs[("shipped", tm)] = _cfg(overrides, tm)
        for p in params:
            lo, hi = RANGES[p]
            for end, value in (("low", lo), ("high", hi)):
                cfgs[(p, end, tm)] = _cfg(overrides, tm, f"team_model.{p}={value:g}")
    results = run_comparison(cfgs, progress=True)
    base = results[("shipped", BASELINE)]
    out: dict = {"baseline": BASELINE, "overrides": overrides, "ranges": RANGES, "models": {}}
    for tm in models:
        per_metric = {}
        for metric in METRICS:
            b = _values(base, metric)
            shipped = paired_difference(_values(results[("shipped", tm)], metric), b)
            rows = []
            for p in params:
                at = {
                    end: paired_difference(_values(results[(p, end, tm)], metric), b)
                    for end in ("low", "high")
                }
                lo_d, hi_d = at["low"]["mean"], at["high"]["mean"]
                rows.append(
                    {
                        "parameter": p,
                        "range": list(RANGES[p]),
                        "difference_at_low": lo_d,
                        "difference_at_high": hi_d,
                        "ci95_at_low": at["low"]["ci95"],
                        "ci95_at_high": at["high"]["ci95"],
                        "spread": abs(hi_d - lo_d),
                        "sign_changes": (lo_d > 0) != (hi_d > 0),
                    }
                )
            rows.sort(key=lambda r: -r["spread"])
            per_metric[metric] = {"shipped": shipped, "parameters": rows}
        out["models"][tm] = per_metric
    return out


def _fmt(metric: str, value: float) -> str:
    scale = registry.scale(metric)
    unit = registry.difference_unit(metric)
    return f"{value * scale:+.3g} {unit}".strip()


def sentences(result: dict) -> list[str]:
    """One plain sentence per difference: what decides it, and whether it is settled."""
    out = []
    for tm, per_metric in result["models"].items():
        for metric, r in per_metric.items():
            rows = r["parameters"]
            if not rows:
                continue
            top = rows[0]
            lo, hi = top["range"]
            settled = not any(row["sign_changes"] for row in rows)
            out.append(
                f"{registry.label(metric)}, {tm} against {result['baseline']}: "
                f"{_fmt(metric, r['shipped']['mean'])} as shipped. This difference depends "
                f"mainly on team_model.{top['parameter']} (an assumption): across "
                f"{lo:g} to {hi:g} it ranges from {_fmt(metric, top['difference_at_low'])} "
                f"to {_fmt(metric, top['difference_at_high'])}."
                + (
                    ""
                    if settled
                    else " It changes sign within the plausible range of "
                    + ", ".join(row["parameter"] for row in rows if row["sign_changes"])
                    + ", so the comparison is not settled."
                )
            )
    return out


def main(argv: list[str]) -> int:
    """Command line: ``out=DIR``, ``params=a,b`` (a subset of :data:`RANGES`), overrides.
    Returns the exit status (2 on bad input)."""
    out = Path(f"outputs/drivers/{time.strftime('%Y-%m-%d_%H-%M-%S')}")
    overrides = list(DEFAULTS)
    params: list[str] | None = None
    for a in argv:
        if a.startswith("out="):
            out = Path(a.split("=", 1)[1])
        elif a.startswith("params="):
            params = [p for p in a.split("=", 1)[1].split(",") if p]
            unknown = [p for p in params if p not in RANGES]
            if unknown:
                print(
                    f"error: params={','.join(unknown)} is not allowed: choose from "
                    f"{', '.join(RANGES)}.",
                    file=sys.stderr,
                )
                return 2
        else:
            overrides.append(a)
    try:
        result = drivers(overrides, params)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    text = sentences(result)
    atomic_write_bytes(out / "drivers.json", json.dumps(result, indent=2, default=float).encode())
    atomic_write_bytes(out / "drivers.md", ("\n\n".join(text) + "\n").encode())
    for line in text:
        print(line)
    print(f"Wrote {out / 'drivers.json'} and {out / 'drivers.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
