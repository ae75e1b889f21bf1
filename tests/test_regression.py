"""Regression: the outputs for a fixed configuration and seed are the committed reference.

Evidence given: the model's outputs for a fixed configuration and seed are exactly the
committed reference outputs. Under each team model (co_located, virtual, tac_only), the
configuration in ``tests/reference/config.json`` (the 5,000-child ``test`` area, one year
of warm-up, two observed years, half a year of follow-up, two replicates from seed 1),
run through the code a run of ``python -m sim`` uses, writes a ``summary.json``
byte-identical to ``tests/reference/<team_model>/summary.json`` and tables
(``episodes``, ``episodes_followed``, ``series``) whose row counts, columns and content
digests equal those in ``tests/reference/<team_model>/digests.json``. So any change that
alters a result, a table or the summary's form shows here; a change meant to alter
results regenerates the references with ``python scripts/make_reference.py`` in a commit
of its own saying why. The comparison is not vacuous: a run with one parameter changed
differs from the reference, and the message names the team model and the file.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest
from conftest import REPO, TEAM_MODELS


def _load_make_reference() -> ModuleType:
    """``scripts/make_reference.py`` imported as a module (it is not in a package)."""
    path = REPO / "scripts" / "make_reference.py"
    spec = importlib.util.spec_from_file_location("make_reference", path)
    assert spec is not None and spec.loader is not None, f"{path} cannot be imported"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_reference = _load_make_reference()


def test_every_team_model_has_references() -> None:
    """The reference configuration covers the three shipped team models, all with references.

    Each has a committed ``summary.json`` and ``digests.json``.
    """
    assert sorted(make_reference.team_models()) == sorted(TEAM_MODELS)
    for team_model in TEAM_MODELS:
        for name in make_reference.FILES:
            path = make_reference.REFERENCE_DIR / team_model / name
            assert path.is_file(), f"{path.relative_to(REPO)} is missing"


@pytest.mark.parametrize("team_model", TEAM_MODELS)
def test_outputs_match_reference(team_model: str) -> None:
    """A fresh run under ``team_model`` gives exactly the committed reference outputs.

    The run of the reference configuration writes the committed ``summary.json`` byte for
    byte, and its tables have the committed row counts, columns and content digests.
    """
    problems = make_reference.differences(team_model, make_reference.reference_outputs(team_model))
    assert not problems, (
        "The model's outputs differ from the committed reference:\n"
        + "\n".join(problems)
        + "\n"
        + make_reference.REGENERATE_HINT
    )


def test_a_changed_parameter_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run with one parameter changed differs from the reference, and the message says where.

    With ``team_model.missed_review_probability=0.5`` both files differ, each message
    naming the team model and the file, and the tables' message naming the episodes table.
    """
    team_model = "tac_only"
    base = make_reference.overrides(team_model)
    monkeypatch.setattr(
        make_reference, "overrides", lambda tm: [*base, "team_model.missed_review_probability=0.5"]
    )
    problems = make_reference.differences(team_model, make_reference.reference_outputs(team_model))
    for name in make_reference.FILES:
        assert any(
            p.startswith(f"{team_model}: tests/reference/{team_model}/{name} differs")
            for p in problems
        ), (name, problems)
    assert any("table episodes:" in p for p in problems), problems
