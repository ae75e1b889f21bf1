"""Calibration of an area preset to its published targets.

``python -m sim.calibrate area=<name> [trials=N] [apply=true] [other Hydra overrides]``

The declared free parameters, their bounds and the reasons each is free, the targets of
every preset with their sources and tolerances, and the down-scaled runs used to fit and
to check are in ``configs/calibration/calibration.yaml``. Optuna's seeded TPE sampler
proposes values of the free parameters; each trial's configuration is composed by Hydra
(:func:`sim.config.compose` with the preset, its team model, the fit's overrides, the
command line and the trial's values) and checked by :func:`sim.config.validate`. A trial's
loss is the sum over targets of the squared distance from the target in units of its
tolerance half-width, averaged over replicates run with common seeds.

The best values are then checked on replicates the fit never saw (the preset's own seed)
and written to an output folder:

``fit_report.md`` / ``fit_report.csv``
    each target with its source, the simulated mean and 95% CI over replicates, the
    tolerance and pass/fail;
``patterns.csv``
    figures not used in the fit (assessment timeliness and duration, re-referrals, agency
    share, the episode-based referral rate of ``summary.json``);
``fitted_<area>.yaml``
    the fitted values as a block for the preset file;
``trials.csv``
    every trial's values, metrics and loss.

With ``apply=true`` the block between the markers ``# >>> calibrated`` and
``# <<< calibrated`` of ``configs/area/<area>.yaml`` is replaced by the fitted block.

Metrics (all per replicate, over the observation period)
--------------------------------------------------------
Every metric below and in :data:`PATTERN_METRICS` is registered in :mod:`sim.metrics`
with its definition and unit (and defined in ``docs/metrics.md``).

referrals_per_10k_received_in_period
    referrals received by children's social care during the observation period, per
    10,000 children a year (the DfE definition: every referral received in the year,
    whenever the need began). ``summary.json``'s ``referrals_per_10k`` counts only the
    referrals of episodes that began in the observation period, and so is lower; it is
    reported beside the fit as ``referrals_per_10k_onset_in_period``.
caseload_per_social_worker
    cases held by case-holding social workers per filled FTE (``summary.json``).
sw_vacancy_rate
    FTE of social worker posts without a permanent holder (vacant or covered by agency
    staff) over all social worker FTE: the DfE census counts a post covered by an agency
    worker as a vacancy.
sw_turnover_rate
    social worker leavers a year over the mean establishment (``summary.json``'s
    ``turnover_rate.social_worker``; agency leavers are included).
prevalence_open_needs
    mean share of children with an open need episode (``summary.json``).
"""

from __future__ import annotations

import math
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim import metrics as registry
from sim.config import CONFIG_DIR, ConfigError, compose, validate
from sim.params import Config
from sim.results import atomic_write_text
from sim.rng import replicate_seeds
from sim.summary import mean_ci, replicate_summary, working_days

__all__ = [
    "CALIBRATION_FILE",
    "FIT_METRICS",
    "PATTERN_METRICS",
    "CalibrationSpec",
    "FreeParameter",
    "Target",
    "apply_to_preset",
    "calibration_metrics",
    "check",
    "fit",
    "fitted_block",
    "load_spec",
    "main",
    "parameter_overrides",
    "target_loss",
]

#: The declared free parameters, targets and run settings.
CALIBRATION_FILE: Path = CONFIG_DIR / "calibration" / "calibration.yaml"
#: Metrics a target may name.
FIT_METRICS: tuple[str, ...] = (
    "referrals_per_10k_received_in_period",
    "caseload_per_social_worker",
    "sw_vacancy_rate",
    "sw_turnover_rate",
    "prevalence_open_needs",
)
#: Figures reported beside the fit but not used in it.
PATTERN_METRICS: tuple[str, ...] = (
    "sc_assessment_timeliness",
    "sc_assessment_working_days_p10",
    "sc_assessment_working_days_p25",
    "sc_assessment_working_days_median",
    "sc_assessment_working_days_p75",
    "sc_assessment_working_days_p90",
    "re_referral_rate",
    "sw_agency_share",
    "referrals_per_10k_onset_in_period",
)
#: Markers of the calibrated block in a preset file.
BEGIN_MARK = "# >>> calibrated"
END_MARK = "# <<< calibrated"
#: Options of ``python -m sim.calibrate`` that are not Hydra overrides.
OWN_OPTIONS = ("trials", "fit_replicates", "check_replicates", "sampler_seed", "out", "apply")


@dataclass(frozen=True)
class FreeParameter:
    """One declared free parameter.

    Attributes
    ----------
    name : name in reports and in Optuna.
    path : dotted key of the setting in :class:`sim.params.Config`.
    kind : ``"value"`` (the setting is fitted) or ``"scale"`` (a multiplier of the schema
        default of a list setting is fitted).
    low, high : bounds of the fitted number.
    why : why the parameter is free.
    """

    name: str
    path: str
    kind: str
    low: float
    high: float
    why: str

    def current(self, cfg: Config) -> float | None:
        """The fitted number that ``cfg`` already has (for a scale, its ratio to the
        schema default), or None when it lies outside the bounds."""
        node = _at_path(cfg, self.path)
        if self.kind == "scale":
            base = _schema_default(self.path)
            x = float(node[0]) / float(base[0]) if float(base[0]) else math.nan
        else:
            x = float(node)
        return x if self.low <= x <= self.high else None

    def setting(self, x: float) -> Any:
        """The value the setting takes when the fitted number is ``x``."""
        if self.kind == "scale":
            base = _schema_default(self.path)
            return [_round(float(b) * x) for b in base]
        return _round(x)


@dataclass(frozen=True)
class Target:
    """One calibration target: ``metric`` should lie in [``low``, ``high``]."""

    name: str
    metric: str
    value: float
    low: float
    high: float
    unit: str
    source: str

    @property
    def half_width(self) -> float:
        """Half the width of the tolerance band, the loss's unit of distance."""
        return (self.high - self.low) / 2.0

    def passes(self, x: float | None) -> bool:
        """Whether ``x`` lies in the tolerance band."""
        return x is not None and not math.isnan(x) and self.low <= x <= self.high


@dataclass(frozen=True)
class CalibrationSpec:
    """Everything the calibration of one area needs."""

    area: str
    team_model: str
    parameters: tuple[FreeParameter, ...]
    targets: tuple[Target, ...]
    fit_overrides: tuple[str, ...]
    fit_replicates: int
    trials: int
    seed_offset: int
    sampler_seed: int
    check_overrides: tuple[str, ...]
    check_replicates: int


def _round(x: float) -> float:
    """Round to 4 significant figures, so the YAML a fit writes stays readable."""
    return float(f"{x:.4g}")


def _at_path(node: Any, path: str) -> Any:
    """The setting at dotted ``path`` of a configuration object."""
    for part in path.split("."):
        node = getattr(node, part)
    return node


def _schema_default(path: str) -> Any:
    return _at_path(Config(), path)


def load_spec(area: str, path: Path = CALIBRATION_FILE) -> CalibrationSpec:
    """Read the calibration of ``area`` from ``configs/calibration/calibration.yaml``.

    Parameters
    ----------
    area : str
        An area preset listed under ``areas`` in the file.
    path : Path
        The calibration file.

    Raises
    ------
    ConfigError
        When the area has no calibration, or a free parameter or target is malformed.
    """
    raw = yaml.safe_load(Path(path).read_text())
    areas = raw.get("areas", {})
    if area not in areas:
        raise ConfigError(
            f"area = {area} is not allowed for calibration: it must be one of "
            f"{', '.join(sorted(areas))} (the areas with targets in {path})"
        )
    params = []
    for p in raw["free_parameters"]:
        if p["kind"] not in ("value", "scale") or not p["low"] < p["high"]:
            raise ConfigError(
                f"free parameter {p['name']} is not allowed: kind must be value "
                "or scale and low must be below high"
            )
        params.append(
            FreeParameter(
                p["name"],
                p["path"],
                p["kind"],
                float(p["low"]),
                float(p["high"]),
                " ".join(str(p["why"]).split()),
            )
        )
    by_metric: dict[str, Target] = {}
    for t in [*raw.get("common_targets", []), *areas[area].get("targets", [])]:
        if t["metric"] not in FIT_METRICS or not t["low"] <= t["value"] <= t["high"]:
            raise ConfigError(
                f"target {t['name']} is not allowed: metric must be one of "
                f"{', '.join(FIT_METRICS)} and low <= value <= high"
            )
        by_metric[t["metric"]] = Target(
            t["name"],
            t["metric"],
            float(t["value"]),
            float(t["low"]),
            float(t["high"]),
            str(t["unit"]),
            " ".join(str(t["source"]).split()),
        )
    fit_, chk = raw["fit"], raw["check"]
    return CalibrationSpec(
        area=area,
        team_model=str(areas[area]["team_model"]),
        parameters=tuple(params),
        targets=tuple(by_metric[m] for m in FIT_METRICS if m in by_metric),
        fit_overrides=tuple(fit_["overrides"]),
        fit_replicates=int(fit_["replicates"]),
        trials=int(fit_["trials"]),
        seed_offset=int(fit_["seed_offset"]),
        sampler_seed=int(fit_["sampler_seed"]),
        check_overrides=tuple(chk["overrides"]),
        check_replicates=int(chk["replicates"]),
    )


# ------------------------------------------------------------------- configurations
def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def merge_overrides(*groups: Sequence[str]) -> list[str]:
    """Concatenate override lists; a later override of a key replaces an earlier one."""
    out: dict[str, str] = {}
    for group in groups:
        for o in group:
            out.pop(_key(o), None)
            out[_key(o)] = o
    return list(out.values())


def _yaml_value(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ",".join(_yaml_value(x) for x in v) + "]"
    return repr(v) if isinstance(v, float) else str(v)


def parameter_overrides(spec: CalibrationSpec, values: dict[str, float]) -> list[str]:
    """Hydra overrides setting each free parameter to its fitted number in ``values``."""
    return [f"{p.path}={_yaml_value(p.setting(values[p.name]))}" for p in spec.parameters]


def base_overrides(spec: CalibrationSpec, run: Sequence[str], user: Sequence[str]) -> list[str]:
    """The preset, its team model, a run's overrides (fit or check), then the user's."""
    return merge_overrides([f"area={spec.area}", f"team_model={spec.team_model}"], run, user)


def build_config(overrides: Sequence[str]) -> Config:
    """Compose ``overrides`` with Hydra and validate the result."""
    return validate(compose(list(overrides)))


# ------------------------------------------------------------------- metrics
def calibration_metrics(cfg: Config, seed: int | np.random.SeedSequence) -> dict[str, float]:
    """Run one replicate and return the calibration metrics and the unfitted patterns.

    Parameters
    ----------
    cfg : Config
        Validated configuration.
    seed : int or numpy.random.SeedSequence
        The replicate's seed.

    Returns
    -------
    dict
        Every name in :data:`FIT_METRICS` and :data:`PATTERN_METRICS` (module docstring).
    """
    import mesa

    from sim.model import ChildrensServicesModel

    model = ChildrensServicesModel(cfg, seed)
    at_start: dict[str, int] = {}

    def mark(day: float) -> None:
        # The first call at or after day 0 is the start of the observation period.
        if day >= 0 and "referrals" not in at_start:
            at_start["referrals"] = model.social_care.referrals

    try:
        mark(model.t)
        model.run(mark)
        episodes, series = model.episodes_table(), model.series_table()
        referrals = model.social_care.referrals - at_start.get("referrals", 0)
    finally:
        mesa.Agent._ids.pop(model, None)
    s = replicate_summary(
        episodes,
        series,
        children=cfg.area.children,
        years=cfg.years,
        era=cfg.area.era,
        hourly_cost={},
    )
    sw = series[series["profession"] == "social_worker"]
    fte = float(sw["fte"].sum())
    out = {
        "referrals_per_10k_received_in_period": referrals / cfg.area.children * 10_000 / cfg.years,
        "caseload_per_social_worker": s["caseload_per_social_worker"],
        "sw_vacancy_rate": float((sw["vacant_fte"] + sw["agency_fte"]).sum() / fte)
        if fte > 0
        else math.nan,
        "sw_turnover_rate": s["turnover_rate"].get("social_worker", math.nan),
        "prevalence_open_needs": s["prevalence_open_needs"],
        "sc_assessment_timeliness": s["sc_assessment_timeliness"],
        "re_referral_rate": s["re_referral_rate"],
        "sw_agency_share": float(sw["agency_fte"].sum() / fte) if fte > 0 else math.nan,
        "referrals_per_10k_onset_in_period": s["referrals_per_10k"],
    }
    assessed = episodes[episodes["sc_assessment_end_day"].notna()]
    wd = working_days(
        assessed["sc_referral_day"].to_numpy(), assessed["sc_assessment_end_day"].to_numpy()
    )
    for name, q in (("p10", 0.1), ("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9)):
        out[f"sc_assessment_working_days_{name}"] = (
            float(np.quantile(wd, q)) if len(wd) else math.nan
        )
    return {k: float(v) for k, v in out.items()}


def target_loss(metrics: dict[str, float], targets: Sequence[Target]) -> float:
    """Sum over targets of ((simulated - target) / tolerance half-width) squared.

    A missing (NaN) metric costs as much as being 10 half-widths away.
    """
    loss = 0.0
    for t in targets:
        x = metrics.get(t.metric, math.nan)
        loss += 100.0 if math.isnan(x) else ((x - t.value) / t.half_width) ** 2
    return loss


def run_replicates(cfg: Config, seeds: Sequence[np.random.SeedSequence]) -> list[dict[str, float]]:
    """:func:`calibration_metrics` for each seed, in ``cfg.workers`` processes.

    Each replicate depends only on the configuration and its seed, so the results are the
    same serially and in parallel.
    """
    if cfg.workers <= 1 or len(seeds) <= 1:
        return [calibration_metrics(cfg, ss) for ss in seeds]
    from joblib import Parallel, delayed

    return list(
        Parallel(n_jobs=min(cfg.workers, len(seeds)))(
            delayed(calibration_metrics)(cfg, ss) for ss in seeds
        )
    )


# ------------------------------------------------------------------- fit and check
def _bar(total: int, desc: str, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="trial", file=sys.stderr, dynamic_ncols=True)


def fit(
    spec: CalibrationSpec,
    user: Sequence[str] = (),
    trials: int | None = None,
    replicates: int | None = None,
    sampler_seed: int | None = None,
    progress: bool = True,
) -> tuple[Any, pd.DataFrame]:
    """Fit the free parameters with Optuna's seeded TPE sampler.

    Parameters
    ----------
    spec : CalibrationSpec
        What to fit and to which targets.
    user : sequence of str
        Hydra overrides from the command line (they replace the fit's run settings).
    trials, replicates, sampler_seed : int, optional
        Override the calibration file's settings.
    progress : bool
        Show a progress bar with the best loss on stderr.

    Returns
    -------
    (optuna.Study, pandas.DataFrame)
        The study and one row per trial: the fitted numbers, the mean metrics and the loss.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trials = spec.trials if trials is None else trials
    replicates = spec.fit_replicates if replicates is None else replicates
    seed = spec.sampler_seed if sampler_seed is None else sampler_seed
    base = base_overrides(spec, spec.fit_overrides, user)
    base_cfg = build_config(base)  # bad input stops here, before any trial
    seeds = replicate_seeds(base_cfg.seed + spec.seed_offset, replicates)
    sampler = optuna.samplers.TPESampler(
        seed=seed, multivariate=True, n_startup_trials=min(10, max(trials // 4, 1))
    )
    study = optuna.create_study(direction="minimize", sampler=sampler)
    # The first trial is the preset as it stands (a refit starts from the committed
    # values, so it can only find a lower loss on the fit's replicates).
    start = {p.name: p.current(base_cfg) for p in spec.parameters}
    if all(v is not None for v in start.values()):
        study.enqueue_trial(start)
    rows: list[dict[str, Any]] = []
    bar = _bar(trials, f"calibrating {spec.area}", progress)

    def objective(trial: Any) -> float:
        values = {p.name: trial.suggest_float(p.name, p.low, p.high) for p in spec.parameters}
        cfg = build_config([*base, *parameter_overrides(spec, values)])
        reps = run_replicates(cfg, seeds)
        mean = (
            {m: float(np.nanmean([r[m] for r in reps])) if reps else math.nan for m in reps[0]}
            if reps
            else {}
        )
        loss = float(np.mean([target_loss(r, spec.targets) for r in reps]))
        rows.append({"trial": trial.number, **values, **mean, "loss": loss})
        return loss

    def callback(study: Any, trial: Any) -> None:
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{trial.value:.2f}", best=f"{study.best_value:.2f}")

    try:
        study.optimize(objective, n_trials=trials, callbacks=[callback])
    finally:
        if bar is not None:
            bar.close()
    return study, pd.DataFrame(rows)


def check(
    spec: CalibrationSpec,
    values: dict[str, float] | None,
    user: Sequence[str] = (),
    replicates: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the check replicates and compare each target with its tolerance.

    Parameters
    ----------
    spec : CalibrationSpec
    values : dict or None
        Fitted numbers of the free parameters; ``None`` checks the preset as it is on disk.
    user : sequence of str
        Hydra overrides from the command line.
    replicates : int, optional
        Replicates (default: the calibration file's ``check.replicates``), with seeds
        spawned from the configuration's ``seed``.

    Returns
    -------
    (report, patterns)
        ``report``: one row per target (target, metric, unit, source, value, low, high,
        simulated mean, ci_low, ci_high, n, pass). ``patterns``: one row per unfitted
        figure (metric, mean, ci_low, ci_high, n).
    """
    replicates = spec.check_replicates if replicates is None else replicates
    overrides = base_overrides(spec, spec.check_overrides, user)
    if values is not None:
        overrides += parameter_overrides(spec, values)
    cfg = build_config(overrides)
    reps = run_replicates(cfg, replicate_seeds(cfg.seed, replicates))
    rows = []
    for t in spec.targets:
        st = mean_ci([r[t.metric] for r in reps])
        rows.append(
            {
                "target": t.name,
                "metric": t.metric,
                "unit": t.unit,
                "source": t.source,
                "value": t.value,
                "low": t.low,
                "high": t.high,
                "simulated": st["mean"],
                "ci_low": st["ci95"][0],
                "ci_high": st["ci95"][1],
                "n": st["n"],
                "pass": t.passes(st["mean"]),
            }
        )
    pats = []
    for m in PATTERN_METRICS:
        st = mean_ci([r[m] for r in reps])
        pats.append(
            {
                "metric": m,
                "mean": st["mean"],
                "ci_low": st["ci95"][0],
                "ci_high": st["ci95"][1],
                "n": st["n"],
            }
        )
    return pd.DataFrame(rows), pd.DataFrame(pats)


# ------------------------------------------------------------------- outputs
def fitted_block(spec: CalibrationSpec, values: dict[str, float], command: str) -> str:
    """The fitted values as YAML for a preset written in the ``_global_`` package."""
    lines = [
        BEGIN_MARK,
        f"# Fitted by: {command}",
        "# Free parameters and targets: configs/calibration/calibration.yaml;"
        " fit report: docs/calibration.md.",
    ]
    tree: dict[str, dict[str, Any]] = {}
    for p in spec.parameters:
        head, _, leaf = p.path.rpartition(".")
        tree.setdefault(head, {})[leaf] = (p.setting(values[p.name]), p)
    for head, leaves in tree.items():
        lines.append(f"{head}:")
        for leaf, (setting, p) in leaves.items():
            note = f"  # {p.name} = {_round(values[p.name])}" if p.kind == "scale" else ""
            lines.append(f"  {leaf}: {_yaml_value(setting).replace(',', ', ')}{note}")
    lines.append(END_MARK)
    return "\n".join(lines) + "\n"


def apply_to_preset(area: str, block: str, config_dir: Path = CONFIG_DIR) -> Path:
    """Replace the calibrated block of ``configs/area/<area>.yaml`` (or append one).

    The preset must be in the ``_global_`` package, so that it can set keys outside
    ``area``.
    """
    path = Path(config_dir) / "area" / f"{area}.yaml"
    text = path.read_text()
    if "# @package _global_" not in text:
        raise ConfigError(
            f"configs/area/{area}.yaml cannot take fitted values: it must start "
            "with '# @package _global_' and put its own keys under area:"
        )
    pattern = re.compile(re.escape(BEGIN_MARK) + r".*?" + re.escape(END_MARK) + r"\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n" + block
    atomic_write_text(path, text)
    return path


def _fmt(x: Any, metric: str) -> str:
    """``x`` as the fit report shows it: in per cent for a share (display scale 100 in
    :mod:`sim.metrics`), else with one decimal."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    x = float(x)
    if registry.scale(metric) == 100.0:
        return f"{registry.scale(metric) * x:.1f}%"
    return f"{x:.1f}"


def report_markdown(
    spec: CalibrationSpec,
    report: pd.DataFrame,
    patterns: pd.DataFrame,
    values: dict[str, float] | None,
    command: str,
    check_cfg: str,
) -> str:
    """The fit report as Markdown."""
    out = [
        f"# Calibration of the {spec.area} preset ({spec.team_model})",
        "",
        f"Command: `{command}`",
        "",
        f"Check run: {check_cfg}",
        "",
        "| Target | Source | Simulated (95% CI) | Target (tolerance) | Pass |",
        "|---|---|---|---|---|",
    ]
    for r in report.itertuples():
        ci = (
            f" ({_fmt(r.ci_low, r.metric)} to {_fmt(r.ci_high, r.metric)})"
            if r.ci_low is not None and not pd.isna(r.ci_low)
            else ""
        )
        out.append(
            f"| {r.target} ({r.unit}) | {r.source} | {_fmt(r.simulated, r.metric)}{ci}"
            f" | {_fmt(r.value, r.metric)} ({_fmt(r.low, r.metric)} to "
            f"{_fmt(r.high, r.metric)}) | {'pass' if r.pass_ else 'FAIL'} |"
        )
    out += ["", "Not used in the fit:", "", "| Figure | Simulated (95% CI) |", "|---|---|"]
    for r in patterns.itertuples():
        ci = (
            f" ({_fmt(r.ci_low, r.metric)} to {_fmt(r.ci_high, r.metric)})"
            if r.ci_low is not None and not pd.isna(r.ci_low)
            else ""
        )
        out.append(f"| {r.metric} | {_fmt(r.mean, r.metric)}{ci} |")
    if values is not None:
        out += [
            "",
            "Fitted free parameters:",
            "",
            "| Parameter | Setting | Fitted | Bounds |",
            "|---|---|---|---|",
        ]
        for p in spec.parameters:
            out.append(
                f"| {p.name} | `{p.path}` | {_round(values[p.name])} | {p.low:g} to {p.high:g} |"
            )
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------- command line
def _parse(argv: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    own: dict[str, str] = {}
    hydra_args: list[str] = []
    for a in argv:
        key = a.split("=", 1)[0]
        if key in OWN_OPTIONS and "=" in a:
            own[key] = a.split("=", 1)[1]
        else:
            hydra_args.append(a)
    return own, hydra_args


def int_option(own: dict[str, str], key: str, default: int | None, lo: int) -> int | None:
    """Whole-number command option ``key`` from ``own`` (its default when absent); one
    sentence of :class:`ConfigError` when it is not a whole number of at least ``lo``."""
    if key not in own:
        return default
    try:
        v = int(own[key])
    except ValueError:
        v = lo - 1
    if v < lo:
        raise ConfigError(
            f"{key} = {own[key]} is not allowed: it must be a whole number of at least {lo}"
        )
    return v


def main(argv: Sequence[str] | None = None, echo: Callable[[str], None] = print) -> int:
    """Run ``python -m sim.calibrate`` with ``argv`` (default ``sys.argv[1:]``).

    Returns the exit status: 0 on success (whether or not every target passes), 2 on bad
    input.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        own, hydra_args = _parse(argv)
        areas = [a for a in hydra_args if a.startswith("area=")]
        if not areas:
            raise ConfigError(
                "area is missing: give the preset to calibrate, e.g. "
                "python -m sim.calibrate area=shropshire"
            )
        area = areas[-1].split("=", 1)[1]
        user = [a for a in hydra_args if not a.startswith("area=")]
        if any(_key(a) == "team_model" for a in user):
            raise ConfigError(
                "team_model is not allowed here: each preset is calibrated "
                "under its own team model (configs/calibration/calibration.yaml)"
            )
        spec = load_spec(area)
        trials = int_option(own, "trials", spec.trials, 1)
        fit_reps = int_option(own, "fit_replicates", spec.fit_replicates, 1)
        check_reps = int_option(own, "check_replicates", spec.check_replicates, 2)
        sampler_seed = int_option(own, "sampler_seed", spec.sampler_seed, 0)
        apply = own.get("apply", "false").lower()
        if apply not in ("true", "false"):
            raise ConfigError(f"apply = {own['apply']} is not allowed: it must be true or false")
        check_cfg = build_config(base_overrides(spec, spec.check_overrides, user))
        fit_cfg = build_config(base_overrides(spec, spec.fit_overrides, user))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    out = Path(own.get("out") or Path("outputs") / "calibration" / f"{area}_{stamp}")
    command = "python -m sim.calibrate " + " ".join(argv)
    study, trials_table = fit(spec, user, trials, fit_reps, sampler_seed, progress=fit_cfg.progress)
    values = {k: float(v) for k, v in study.best_params.items()}
    report, patterns = check(spec, values, user, check_reps)
    out.mkdir(parents=True, exist_ok=True)
    block = fitted_block(spec, values, command)
    desc = (
        f"{check_cfg.area.children} children, {check_cfg.warmup_years:g} warm-up and "
        f"{check_cfg.years:g} observed years, {check_reps} replicates from seed "
        f"{check_cfg.seed}; fit: {trials} trials of {fit_reps} replicate(s) from seed "
        f"{fit_cfg.seed + spec.seed_offset}, best loss {study.best_value:.3f}"
    )
    (out / "fit_report.md").write_text(
        report_markdown(
            spec, report.rename(columns={"pass": "pass_"}), patterns, values, command, desc
        )
    )
    report.to_csv(out / "fit_report.csv", index=False)
    patterns.to_csv(out / "patterns.csv", index=False)
    trials_table.to_csv(out / "trials.csv", index=False)
    (out / f"fitted_{area}.yaml").write_text(block)
    echo(
        report_markdown(
            spec, report.rename(columns={"pass": "pass_"}), patterns, values, command, desc
        )
    )
    if apply == "true":
        try:
            echo(f"fitted values written to {apply_to_preset(area, block)}")
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    echo(f"fit report, trials and fitted values written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
