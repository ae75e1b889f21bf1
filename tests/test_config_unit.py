"""Unit tests of ``sim.config``: the shipped presets are valid and the checks are sound."""

from __future__ import annotations

import dataclasses
import enum
import itertools
import typing
from pathlib import Path
from typing import Any

import hydra
import pytest
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

from sim import config as sc
from sim.config import CONFIG_DIR, ConfigError, compose, precheck_argv, validate
from sim.params import Config, Era, Mode, PoolScope, Range, Service, param, team_model_names
from sim.team_models import REGISTRY


def _options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


AREAS = _options("area")
TEAM_MODELS = _options("team_model")
EXPERIMENTS = _options("experiment")


def test_presets_found() -> None:
    """The config folder is found relative to the package and holds every group."""
    assert (CONFIG_DIR / "config.yaml").is_file()
    assert AREAS and TEAM_MODELS and EXPERIMENTS


@pytest.mark.parametrize(("area", "team_model"), list(itertools.product(AREAS, TEAM_MODELS)))
def test_every_area_and_team_model_validates(area: str, team_model: str) -> None:
    """Every shipped area preset with every team model composes and passes validation,
    and each preset's ``name`` matches its file (the code looks team models up by name)."""
    cfg = validate(compose([f"area={area}", f"team_model={team_model}"]))
    assert isinstance(cfg, Config)
    assert cfg.area.name == area
    assert cfg.team_model.name == team_model


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_validates(experiment: str) -> None:
    """Every shipped experiment composes and passes validation."""
    cfg = validate(compose([f"experiment={experiment}"]))
    assert isinstance(cfg, Config)
    assert cfg.experiment_name == experiment


def test_defaults_validate() -> None:
    """The defaults (no overrides) compose without the hydra node and validate."""
    raw = compose()
    assert "hydra" not in raw
    cfg = validate(raw)
    assert isinstance(cfg, Config)
    precheck_argv([])


def _record_validated(monkeypatch: pytest.MonkeyPatch) -> list[Config]:
    """Make ``sim.config.validate`` record every configuration it passes.

    Returns
    -------
    list of sim.params.Config
        Filled, in order, as :func:`precheck_argv` validates its jobs.
    """
    seen: list[Config] = []
    real = sc.validate

    def recording(cfg: DictConfig) -> Config:
        out = real(cfg)
        seen.append(out)
        return out

    monkeypatch.setattr(sc, "validate", recording)
    return seen


def test_valid_sweep_passes_precheck(monkeypatch: pytest.MonkeyPatch) -> None:
    """A valid multirun sweep over seeds and team models passes the pre-check, and every
    one of its four jobs was composed and validated, in Hydra's order, on the way."""
    seen = _record_validated(monkeypatch)
    precheck_argv(["-m", "seed=1,2", "team_model=co_located,virtual"])
    assert [(c.seed, c.team_model.name) for c in seen] == [
        (1, "co_located"),
        (1, "virtual"),
        (2, "co_located"),
        (2, "virtual"),
    ]


def test_sweep_with_one_bad_value_fails() -> None:
    """One bad value in a sweep stops the whole sweep, naming the key and the value."""
    with pytest.raises(ConfigError) as info:
        precheck_argv(["-m", "replicates=1,-1"])
    msg = str(info.value)
    assert "replicates" in msg and "-1" in msg and "\n" not in msg


def test_hydra_flags_are_set_aside(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hydra's own flags and hydra overrides do not count as bad input, yet the task
    overrides beside them are still checked: the one job is validated with them, and a
    bad value among them is reported by its own key. ``--version`` checks nothing."""
    flags = ["--cfg", "job", "--resolve", "hydra.job.chdir=true", "hydra/launcher=basic"]
    seen = _record_validated(monkeypatch)
    precheck_argv([*flags, "seed=2"])
    assert [(c.seed, c.team_model.name) for c in seen] == [(2, "tac_only")]
    with pytest.raises(ConfigError, match=r"^seed = -1 is not allowed"):
        precheck_argv([*flags, "seed=-1"])
    seen.clear()
    precheck_argv(["--version", "seed=-1"])
    assert seen == []


def test_messages_are_one_sentence() -> None:
    """ConfigError is a ValueError whose text is collapsed to one line with a full stop."""
    err = ConfigError("a = 1 is not allowed:\n  it must be\tsomething.")
    assert isinstance(err, ValueError)
    assert str(err) == "a = 1 is not allowed: it must be something."


def test_sweep_jobs_match_compose() -> None:
    """The pre-check's fast job composer (one Hydra composition per set of group choices)
    gives exactly the configuration that ``compose`` gives for the same job, whether it
    applies the job's other overrides itself or leaves them to Hydra (a deletion)."""
    jobs = [
        ["team_model=virtual", "seed=3", "area.children=900"],
        ["experiment=compare_team_models", "replicates=2"],
        ["area=test", "+area.establishment_scale.teacher=2.0", "++note=pilot"],
        ["area=test", "+area.establishment_scale.teacher=2.0", "~seed"],
        ["mode=compare", "area.era=2008", "need.onset_rate_by_age=[0.1,0.1,0.1]"],
    ]
    expected = [OmegaConf.to_container(compose(job)) for job in jobs]
    with sc._hydra_session():
        got = [
            OmegaConf.to_container(cfg) for cfg in sc._compose_jobs(jobs, sc.CONFIG_NAME, [], [])
        ]
    assert got == expected


@pytest.mark.parametrize(
    "overrides",
    [
        ["seed=1,2", "team_model=co_located,virtual"],
        ["seed=1,2", "years=3", "seed=5,6,7", "area.children=range(100,400,100)"],
        ["area.establishment_scale={},{teacher:1.1}", "+note=a,b", "mode=single"],
        ["experiment=skills", "workforce.training_rate=choice(0.0,0.5)", "seed=1"],
    ],
)
def test_sweep_jobs_are_hydras(overrides: list[str]) -> None:
    """``sweep_jobs`` (built on Hydra's public override parser) gives the jobs, in the
    order, that Hydra's own basic sweeper makes of the same overrides."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    parsed = OverridesParser.create().parse_overrides(overrides)
    hydras = [list(job) for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]
    assert sc.sweep_jobs(overrides) == hydras


def test_large_sweep_is_covered() -> None:
    """Above the cap, the jobs checked still include every value of every swept key."""
    overrides = ["seed=range(0,5)", "replicates=1,2,3", "area=test"]
    jobs = sc.sweep_jobs(overrides, cap=6)
    assert len(jobs) == 5
    assert {j[0] for j in jobs} == {f"seed={i}" for i in range(5)}
    assert {j[1] for j in jobs} == {"replicates=1", "replicates=2", "replicates=3"}
    assert all(j[2] == "area=test" for j in jobs)
    assert len(sc.sweep_jobs(overrides, cap=15)) == 15


def test_interval_sweep_is_one_sentence() -> None:
    """A sweep that Hydra's basic sweeper cannot run (an interval) stops the pre-check
    with one sentence naming it, instead of a traceback once Hydra starts."""
    with pytest.raises(ConfigError, match=r"^support\.overtime_share = interval\(0,1\) .*list"):
        precheck_argv(["-m", "support.overtime_share=interval(0,1)"])


def test_compose_keeps_running_app_state(tmp_path: Path) -> None:
    """Called while Hydra is initialised elsewhere (as inside a ``@hydra.main`` app),
    ``compose`` works and leaves the other initialisation in place."""
    (tmp_path / "other.yaml").write_text("x: 1\n")
    with hydra.initialize_config_dir(version_base="1.3", config_dir=str(tmp_path)):
        before = GlobalHydra.instance().hydra
        cfg = compose(["area=test"])
        assert cfg.area.name == "test"
        assert GlobalHydra.instance().hydra is before
        assert hydra.compose("other").x == 1
    assert not GlobalHydra.instance().is_initialized()


def test_validate_catches_what_compose_lets_through() -> None:
    """Checks on the composed config itself: an added unknown key, a bad choice, a list of
    the wrong length and an unresolvable interpolation each give one sentence."""
    raw = compose()
    OmegaConf.set_struct(raw, False)
    raw.bogus = 5
    with pytest.raises(ConfigError, match=r"^bogus = 5 is not allowed"):
        validate(raw)
    for overrides, pattern in [
        (["team_model.pool_scope=region"], r"team_model\.pool_scope = region .*locality"),
        (["need.resolution_rate=[0.1,0.2]"], r"need\.resolution_rate = \[0\.1, 0\.2\]"),
        (["seed=${nowhere}"], r"seed = \$\{nowhere\} .*interpolation"),
        (["professions.teacher.assessor=gp"], r"professions\.teacher\.assessor = gp"),
    ]:
        with pytest.raises(ConfigError, match=pattern):
            validate(compose(overrides))


# ------------------------------------------------------------ rules live on the schema


def _schema_fields(cls: type = Config, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """Every leaf field of the schema: (dotted key, annotation, dataclasses.Field); the
    fields of a mapping's dataclass values (``professions.<name>``) under ``*``."""
    out = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        t, key = hints[f.name], f"{prefix}{f.name}"
        inner = typing.get_args(t)[1] if typing.get_origin(t) is dict else t
        if dataclasses.is_dataclass(inner):
            out += _schema_fields(inner, f"{key}.*." if inner is not t else f"{key}.")
        else:
            out.append((key, t, f))
    return out


def _numbers_in(t: Any) -> bool:
    """Whether values of annotation ``t`` are, or hold, numbers."""
    args = [a for a in typing.get_args(t) if a is not type(None)]
    if typing.get_origin(t) in (list, dict, typing.Union):
        return any(_numbers_in(a) for a in args)
    return t in (int, float)


LEAVES = _schema_fields()
NUMERIC = [(key, t, f) for key, t, f in LEAVES if _numbers_in(t)]


def test_schema_walk_finds_every_number() -> None:
    """The walk below sees the schema's groups, the professions' fields and the lists of
    numbers, so the checks that follow are not vacuous."""
    keys = {key for key, _, _ in NUMERIC}
    assert len(NUMERIC) > 90
    assert {"area.children", "professions.*.per_10k", "need.onset_rate_by_age"} <= keys
    assert {"area.establishment_scale", "testing.fixed_onset_day", "seed"} <= keys


def test_every_number_declares_its_range() -> None:
    """Every number of the schema (or every element of a list or mapping of numbers)
    carries an explicit range in its metadata (``param(..., lo=..., hi=...)``, or
    ``unbounded=True``), a whole-number range exactly when it is an int, and a unit or a
    source, so no rule is left to be guessed from the field's name."""
    problems = []
    for key, t, f in NUMERIC:
        rng = f.metadata.get("range")
        leaf = t
        while typing.get_args(leaf):
            leaf = [a for a in typing.get_args(leaf) if a is not type(None)][-1]
        if not isinstance(rng, Range):
            problems.append(f"{key} has no range in its metadata")
        elif rng.whole != (leaf is int):
            problems.append(f"{key}: whole={rng.whole} for {leaf.__name__}")
        if not (f.metadata.get("unit") or f.metadata.get("source")):
            problems.append(f"{key} has no unit or source")
    assert not problems, problems


def test_choices_are_enums() -> None:
    """Every setting with a fixed set of values is typed by an enum of sim.params, whose
    members are named as their values (OmegaConf reads an enum setting by name)."""
    enums = {key: t for key, t, _ in LEAVES if isinstance(t, type) and issubclass(t, enum.Enum)}
    assert enums == {
        "area.era": Era,
        "team_model.pool_scope": PoolScope,
        "mode": Mode,
        "professions.*.service": Service,
    }
    for e in enums.values():
        assert issubclass(e, enum.StrEnum)
        assert all(m.name == m.value for m in e), e


@dataclasses.dataclass
class _Probe:
    """Fields whose names suggest other rules than the ones they declare."""

    missed_share: float = param(5.0, lo=0.0)
    children: int = param(0, lo=0, whole=True)
    plain: float = param(0.5, lo=0.0, hi=1.0, hi_open=True)


def test_rule_comes_from_metadata_not_name() -> None:
    """The checker follows a field's declared rule whatever the field is called: a
    ``_share`` of 5 and no children pass when their fields allow them, and a value is
    refused by its field's range, in words taken from that range."""
    sc._check_values(_Probe(), _Probe, ["probe"])
    with pytest.raises(ConfigError) as info:
        sc._check_values(_Probe(plain=1.0), _Probe, ["probe"])
    assert str(info.value) == (
        "probe.plain = 1.0 is not allowed: it must be a number of at least 0 and less than 1."
    )


def test_message_states_the_declared_range() -> None:
    """What a message says is allowed for each number is its declared range in words."""
    problems = []
    for key, t, f in NUMERIC:
        rng = f.metadata["range"]
        allowed = sc._allowed([p if p != "*" else "teacher" for p in key.split(".")])
        if "allowed" in f.metadata:
            ok = allowed.startswith(f.metadata["allowed"])
        elif t in (int, float) or typing.get_origin(t) is typing.Union:
            ok = allowed.startswith(sc._phrase(rng))
        else:
            ok = sc._bare(rng) in allowed
        if not ok:
            problems.append(f"{key}: {allowed}")
    assert not problems, problems


@pytest.mark.parametrize(
    ("override", "values"),
    [
        ("mode=COMPARE", Mode),
        ("area.era=2009", Era),
        ("team_model.pool_scope=region", PoolScope),
        ("professions.gp.service=hospital", Service),
    ],
)
def test_bad_choice_is_one_sentence_listing_the_enum(override: str, values: type) -> None:
    """A value outside a choice's enum gives one sentence naming the key and the value and
    listing the enum's values, in order."""
    key, _, given = override.partition("=")
    with pytest.raises(ConfigError) as info:
        precheck_argv([override])
    listed = ", ".join(m.value for m in typing.cast(type[enum.Enum], values))
    assert str(info.value) == f"{key} = {given} is not allowed: it must be one of {listed}."


def test_choices_keep_their_written_values() -> None:
    """Values written as before still work: ``mode=compare``, ``area.era=2008`` (read as
    a number) or ``'2008'`` (text), in YAML or a plain mapping; each member equals its
    text, so code comparing with strings is unchanged."""
    cfg = validate(compose(["mode=compare", "area.era=2008", "team_model.pool_scope=locality"]))
    assert cfg.mode == "compare" and cfg.mode is Mode.compare
    assert cfg.area.era == "2008" and cfg.team_model.pool_scope == "locality"
    assert validate(compose(["area.era='2008'"])).area.era is Era["2008"]
    assert validate(OmegaConf.create("area:\n  era: 2008\n")).area.era is Era["2008"]
    assert validate({"mode": "single", "area": {"era": "modern"}}).area.era == "modern"
    assert cfg.professions["teacher"].service == "universal"


def test_team_models_come_from_the_registry() -> None:
    """The team models compared by default, and the names team_model.name may take, are
    those of sim.team_models.REGISTRY, the one list of them."""
    assert Config().compare.team_models == list(REGISTRY)
    assert sorted(team_model_names()) == sorted(REGISTRY) == TEAM_MODELS
    with pytest.raises(ConfigError, match=r"^team_model\.name = foo .* one of co_located, "):
        validate(compose(["team_model.name=foo"]))


def test_testing_hooks_are_apart_from_the_model() -> None:
    """The testing hooks live under ``testing.`` only; their old keys are unknown."""
    cfg = validate(compose(["testing.immediate_identification=true", "testing.fixed_onset_day=3"]))
    assert cfg.testing.immediate_identification and cfg.testing.fixed_onset_day == 3.0
    for old in ("identification.immediate", "need.fixed_onset_day", "demography.fixed_age_years"):
        group, _, name = old.partition(".")
        with pytest.raises(ConfigError, match=f"{group} has no setting called {name}"):
            precheck_argv([f"{old}=1"])
