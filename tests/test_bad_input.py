"""Bad input stops before any work, with one plain sentence (quality.md, "Reliability").

One test per kind of bad input. Each test checks every example twice:

- at the function level, :func:`sim.config.precheck_argv` raises :class:`ConfigError`
  whose text is one line naming the key and the value given;
- end to end, ``python -m sim <args>`` run in an empty folder exits non-zero, writes
  exactly that one line to stderr (no traceback) and leaves no ``outputs``/``multirun``
  folder behind.

The end-to-end half needs ``sim/__main__.py`` (which calls ``precheck_argv`` before Hydra
starts and prints ``error: <message>``). The subprocesses of one test run in parallel to
keep the suite fast.

The last tests check the time and memory estimate shown before a long run, without
running one: the estimating function itself, and ``python -m sim``'s ``main`` with Hydra
replaced.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import typing
from dataclasses import dataclass
from pathlib import Path

import pytest

import sim.cli
from sim.__main__ import main
from sim.config import (
    ESTIMATE_MIN_SECONDS,
    ConfigError,
    check_output_folder,
    estimate,
    estimate_notice,
    precheck_argv,
)
from sim.params import AreaConfig, Config, MMCConfig, ProfessionConfig

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Case:
    """One bad command line and the text its message must contain."""

    argv: tuple[str, ...]
    #: Substrings the message must contain: the key, the value given, and, where it
    #: helps, the two together as they appear in the sentence.
    expect: tuple[str, ...]


def _message(argv: tuple[str, ...]) -> str:
    """The function-level error message for ``argv`` (fails if nothing is raised)."""
    with pytest.raises(ConfigError) as info:
        precheck_argv(list(argv))
    return str(info.value)


def _check_message(msg: str, case: Case) -> None:
    assert msg.strip(), case
    assert "\n" not in msg, msg
    assert msg.endswith("."), msg
    assert "Traceback" not in msg, msg
    for text in case.expect:
        assert text in msg, f"{text!r} not in {msg!r}"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.pop("HYDRA_FULL_ERROR", None)
    return env


def _check_cases(cases: list[Case], tmp_path: Path) -> None:
    """Check each case at the function level, then end to end (in parallel)."""
    messages = []
    for case in cases:
        msg = _message(case.argv)
        _check_message(msg, case)
        messages.append(msg)

    runs = []
    for i, case in enumerate(cases):
        cwd = tmp_path / f"case{i}"
        cwd.mkdir()
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim", *case.argv],
            cwd=cwd,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        runs.append((case, cwd, proc))
    for (case, cwd, proc), msg in zip(runs, messages, strict=True):
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            pytest.fail(f"python -m sim {' '.join(case.argv)} did not stop within 120 s")
        lines = [line for line in err.splitlines()]
        assert proc.returncode != 0, (case, out, err)
        assert "Traceback" not in err, err
        assert len(lines) == 1 and lines[0].strip(), f"stderr is not one line: {err!r}"
        assert lines[0].endswith(msg), (lines[0], msg)
        for text in case.expect:
            assert text in lines[0], f"{text!r} not in {lines[0]!r}"
        leftovers = sorted(p.name for p in cwd.iterdir())
        assert not {"outputs", "multirun"} & set(leftovers), leftovers


def test_wrong_type(tmp_path: Path) -> None:
    """A value of the wrong type (text for a whole number) is rejected, naming key and
    value, before Hydra runs."""
    _check_cases(
        [
            Case(("seed=abc",), ("seed = abc", "whole number")),
            Case(("area.children=many",), ("area.children = many", "whole number")),
        ],
        tmp_path,
    )


def test_negative_count(tmp_path: Path) -> None:
    """A count below 1 (negative children, zero replicates) is rejected; the schema's type
    check alone would let both through. In a multirun sweep, one bad job stops the sweep
    before Hydra creates the sweep folder (which it does before composing any job)."""
    _check_cases(
        [
            Case(("area.children=-5",), ("area.children = -5", "whole number from 1 to")),
            Case(("replicates=0",), ("replicates = 0", "whole number from 1 to")),
            Case(("-m", "replicates=1,-1"), ("replicates = -1", "whole number from 1 to")),
            Case(("followup_years=-1",), ("followup_years = -1", "number from 0 to")),
        ],
        tmp_path,
    )


def test_probability_outside_unit_interval(tmp_path: Path) -> None:
    """Shares and probabilities above 1 or below 0 are rejected."""
    _check_cases(
        [
            Case(("support.overtime_share=1.5",), ("support.overtime_share = 1.5", "0 to 1")),
            Case(
                ("assessment.duplicate_probability=-0.1",),
                ("assessment.duplicate_probability = -0.1", "0 to 1"),
            ),
        ],
        tmp_path,
    )


def test_unknown_key(tmp_path: Path) -> None:
    """A key the schema does not have is rejected (Hydra's own error is multi-line)."""
    _check_cases(
        [
            Case(("foo=1",), ("foo = 1", "no setting called foo")),
        ],
        tmp_path,
    )


def test_unknown_key_with_plus(tmp_path: Path) -> None:
    """``+key=value`` for an unknown key, which Hydra lets through silently (a Hydra trap
    in engineering.md), is rejected at the top level and inside a group."""
    _check_cases(
        [
            Case(("+foo=1",), ("foo = 1", "no setting called foo")),
            Case(("+area.bogus=2",), ("area.bogus = 2", "no setting called bogus")),
        ],
        tmp_path,
    )


def test_unknown_group_option(tmp_path: Path) -> None:
    """An option file that does not exist is rejected, listing the options that do."""
    _check_cases(
        [
            Case(("team_model=foo",), ("team_model=foo", "co_located, tac_only, virtual")),
            Case(("area=atlantis",), ("area=atlantis", "stockport")),
        ],
        tmp_path,
    )


def test_unknown_choice(tmp_path: Path) -> None:
    """A value outside a choice's enum (letter case counts) is rejected, listing the
    values allowed."""
    _check_cases(
        [
            Case(("mode=COMPARE",), ("mode = COMPARE", "one of single, compare")),
            Case(("-m", "area.era=2008,2009"), ("area.era = 2009", "one of 2008, modern")),
        ],
        tmp_path,
    )


def test_inconsistent_combination(tmp_path: Path) -> None:
    """Settings that are each valid but contradict each other are rejected: a comparison
    baseline that is not compared, and Tier 3 plus Tier 4 onset shares above 1."""
    _check_cases(
        [
            Case(
                ("compare.baseline=nonexistent",),
                ("compare.baseline = nonexistent", "compare.team_models"),
            ),
            Case(
                ("need.initial_tier3_share=0.9", "need.initial_tier4_share=0.2"),
                ("need.initial_tier3_share", "need.initial_tier4_share", "0.9", "0.2", "at most 1"),
            ),
        ],
        tmp_path,
    )


def test_count_above_bound(tmp_path: Path) -> None:
    """Absurdly large counts, which would run until killed, are refused with the allowed
    range: eight times England's children, 100,000 replicates, 10,000 workers, and in a
    sweep one absurd job stops the whole sweep."""
    _check_cases(
        [
            Case(
                ("area=test", "area.children=100000000"),
                ("area.children = 100000000", f"whole number from 1 to {AreaConfig.MAX_CHILDREN}"),
            ),
            Case(
                ("area=test", "replicates=100000"),
                ("replicates = 100000", f"whole number from 1 to {Config.MAX_REPLICATES}"),
            ),
            Case(
                ("area=test", "workers=10000"),
                ("workers = 10000", f"whole number from 1 to {Config.MAX_WORKERS}"),
            ),
            Case(
                ("area=test", "area.localities=5000"),
                ("area.localities = 5000", f"from 1 to {AreaConfig.MAX_LOCALITIES}"),
            ),
            Case(
                ("area=test", "mmc.servers=5000"),
                ("mmc.servers = 5000", f"from 1 to {MMCConfig.MAX_SERVERS}"),
            ),
            Case(
                ("-m", "area=test", "replicates=2,100000"),
                ("replicates = 100000", f"from 1 to {Config.MAX_REPLICATES}"),
            ),
        ],
        tmp_path,
    )


def test_horizon_above_bound(tmp_path: Path) -> None:
    """A billion simulated years (or a thousand of warm-up or follow-up) is refused."""
    most = f"{Config.MAX_YEARS:g}"
    _check_cases(
        [
            Case(
                ("area=test", "years=1e9"),
                ("years = 1000000000.0", f"number greater than 0 and at most {most}"),
            ),
            Case(
                ("area=test", "warmup_years=1000"),
                ("warmup_years = 1000", f"number from 0 to {most}"),
            ),
            Case(
                ("area=test", "followup_years=1000"),
                ("followup_years = 1000", f"number from 0 to {most}"),
            ),
        ],
        tmp_path,
    )


def test_establishment_above_bound(tmp_path: Path) -> None:
    """Establishments scaled beyond any use (and so posts by the million) are refused."""
    scale = f"{AreaConfig.MAX_SCALE:g}"
    _check_cases(
        [
            Case(
                ("area=test", "area.workforce_scale=100000"),
                ("area.workforce_scale = 100000", f"number from 0 to {scale}"),
            ),
            Case(
                ("area=test", "+area.establishment_scale.teacher=100000"),
                ("area.establishment_scale.teacher = 100000", f"number from 0 to {scale}"),
            ),
            Case(
                ("area=test", "professions.teacher.per_10k=1e6"),
                (
                    "professions.teacher.per_10k = 1000000.0",
                    f"number from 0 to {ProfessionConfig.MAX_PER_10K:g}",
                ),
            ),
        ],
        tmp_path,
    )


@pytest.mark.parametrize(
    ("key", "bound"),
    [
        ("area.children", AreaConfig.MAX_CHILDREN),
        ("area.localities", AreaConfig.MAX_LOCALITIES),
        ("replicates", Config.MAX_REPLICATES),
        ("workers", Config.MAX_WORKERS),
        ("mmc.servers", MMCConfig.MAX_SERVERS),
        ("years", Config.MAX_YEARS),
        ("warmup_years", Config.MAX_YEARS),
        ("followup_years", Config.MAX_YEARS),
        ("area.workforce_scale", AreaConfig.MAX_SCALE),
        ("professions.teacher.per_10k", ProfessionConfig.MAX_PER_10K),
    ],
)
def test_bound_is_the_largest_value_allowed(key: str, bound: float) -> None:
    """Each bound of sim/params.py is itself allowed and the next value up is not, so the
    message's range is the one enforced. (The bound is only checked, never run.)"""
    children = ["area.children=2000000"] if key == "area.localities" else []
    value = f"{bound:g}" if isinstance(bound, float) else str(bound)
    precheck_argv(["area=test", *children, f"{key}={value}", "hydra.run.dir=."])
    above = f"{bound * 1.001:g}" if isinstance(bound, float) else str(bound + 1)
    with pytest.raises(ConfigError, match=f"^{re.escape(key)} = "):
        precheck_argv(["area=test", *children, f"{key}={above}"])


def test_readme_error_example_is_what_the_program_says() -> None:
    """The bad-input example in README.md ("Running scenarios") is the real message."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"\$ \.venv/bin/python -m sim (\S+)\nerror: (.*)\n", readme)
    assert m is not None, "README.md has no error example"
    assert _message((m.group(1),)) == m.group(2)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_output_folder_cannot_be_made(tmp_path: Path) -> None:
    """An output folder that cannot be made (under /proc, under a regular file) or
    written (/proc itself) is refused with one sentence naming it, before Hydra makes
    it (Hydra's own failure is a traceback); a sweep's folder likewise."""
    afile = tmp_path / "afile"
    afile.write_text("a regular file\n")
    _check_cases(
        [
            Case(
                ("area=test", "hydra.run.dir=/proc/nope/x"),
                (
                    "the output folder /proc/nope/x cannot be made:",
                    "no folder can be made in /proc",
                    "hydra.run.dir=DIR",
                ),
            ),
            Case(
                ("area=test", f"hydra.run.dir={afile}/x"),
                (f"the output folder {afile}/x cannot be made:", f"{afile} is not a folder"),
            ),
            Case(
                ("area=test", "hydra.run.dir=/proc"),
                ("the output folder /proc cannot be written:", "no file can be written in it"),
            ),
            Case(
                ("-m", "area=test", "seed=1,2", "hydra.sweep.dir=/proc/nope/x"),
                ("the output folder /proc/nope/x cannot be made:", "hydra.sweep.dir=DIR"),
            ),
            Case(
                ("-m", "area=test", "seed=1,2", f"hydra.sweep.dir={afile}/x"),
                (f"the output folder {afile}/x cannot be made:", f"{afile} is not a folder"),
            ),
        ],
        tmp_path,
    )
    assert afile.read_text() == "a regular file\n"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("case")) == ["afile"]


def test_output_folder_check_leaves_nothing_behind(tmp_path: Path) -> None:
    """A folder that can be made passes, and the check makes nothing (Hydra makes it)."""
    check_output_folder(tmp_path / "outputs" / "single" / "x")
    (tmp_path / "existing").mkdir()
    check_output_folder(tmp_path / "existing")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing"]
    assert not any((tmp_path / "existing").iterdir())


_LARGE = ("area=test", "area.children=2000000", "years=10", "replicates=3")


def test_estimate_scales_with_the_run() -> None:
    """The estimate grows with children, years, replicates and team models, and
    parallel workers shorten it (never below one replicate's time)."""
    small = estimate(precheck_argv(["area=test", "progress=false"]) or Config())
    assert small.seconds < ESTIMATE_MIN_SECONDS
    base = precheck_argv(["area=test", "area.children=100000", "hydra.run.dir=."])
    assert base is not None
    one = estimate(base, cpus=1)
    more = {
        "children": estimate(dataclasses.replace(base, area=AreaConfig(children=200_000)), 1),
        "years": estimate(dataclasses.replace(base, years=base.years * 3), 1),
        "replicates": estimate(dataclasses.replace(base, replicates=4), 1),
        "team models": estimate(dataclasses.replace(base, mode="compare"), 1),
    }
    for what, est in more.items():
        assert est.seconds > one.seconds and est.megabytes > one.megabytes, what
    serial = estimate(dataclasses.replace(base, replicates=4), cpus=4)
    parallel = estimate(dataclasses.replace(base, replicates=4, workers=4), cpus=4)
    assert parallel.seconds < serial.seconds
    assert parallel.seconds > one.seconds - 1e-9


def test_estimate_message() -> None:
    """A long run gets one line naming the run's size and saying it is rough; a short
    run, or progress=false, gets none."""
    cfg = precheck_argv([*_LARGE, "hydra.run.dir=."])
    assert cfg is not None
    line = estimate_notice(cfg)
    assert line is not None and "\n" not in line
    assert re.match(r"^estimate: about \d+(\.\d)? (s|min|hours|days) and \d+(\.\d)? (MB|GB) ", line)
    for text in ("1 team model x 3 replicates", "of 2,000,000 children over 13 years", "rough"):
        assert text in line, (text, line)
    assert estimate_notice(dataclasses.replace(cfg, progress=False)) is None
    assert estimate_notice(precheck_argv(["area=test", "hydra.run.dir=."]) or Config()) is None


def _no_hydra(calls: list[str]) -> typing.Callable[[], None]:
    def fake() -> None:
        calls.append("hydra")

    return fake


def test_python_m_sim_prints_the_estimate_before_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m sim`` (its ``main``) prints the estimate of a long run to stderr before
    it hands over to Hydra, which is replaced here so that nothing runs; with
    ``progress=false`` it prints nothing."""
    monkeypatch.chdir(tmp_path)
    calls: list[str] = []
    monkeypatch.setattr(sim.cli, "hydra_entry", _no_hydra(calls))
    monkeypatch.setattr(sys, "argv", ["sim", *_LARGE])
    main()
    err = capsys.readouterr().err
    assert calls == ["hydra"]
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("estimate: about "), err
    assert "2,000,000 children" in lines[0]
    monkeypatch.setattr(sys, "argv", ["sim", *_LARGE, "progress=false"])
    main()
    assert capsys.readouterr().err == ""
    assert calls == ["hydra", "hydra"]
    assert list(tmp_path.iterdir()) == []


def test_sweep_job_prints_its_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sweep job that shows progress bars prints its own estimate before it runs (the
    run itself is replaced here); without progress bars it prints none."""
    for name in ("run_scenario", "write_scenario", "write_report", "_report"):
        monkeypatch.setattr(sim.cli, name, lambda *a, **k: None)
    cfg = precheck_argv([*_LARGE, "hydra.run.dir=."])
    assert cfg is not None
    sim.cli._run(cfg, tmp_path, True, {"job": 7})
    err = capsys.readouterr().err
    assert err.startswith("job 7: estimate: about ") and err.count("\n") == 1, err
    sim.cli._run(cfg, tmp_path, False, {"job": 7})
    assert capsys.readouterr().err == ""


def test_team_model_needs_what_it_organises(tmp_path: Path) -> None:
    """A core profession must join TACs, and coordination needs structure posts."""
    _check_cases(
        [
            Case(
                ("area=test", "team_model.core_professions=[teacher]"),
                ("team_model.core_professions = [teacher]", "teacher is not a profession"),
            ),
            Case(
                ("area=test", "professions.coordinator.per_10k=0"),
                ("professions.coordinator.per_10k = 0.0", "needs structure posts"),
            ),
        ],
        tmp_path,
    )
