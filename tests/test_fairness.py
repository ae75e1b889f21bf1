"""One workforce, three organisations: the team models get the same posts and hours.

A team model may organise the workforce differently; it may not give an area more or
fewer posts, contracted hours, or hours offered to multi-agency work, and it may not
change who identifies children except through a named mechanism (core members
seconded to a co-located team leave their universal settings, [DCSF 2008] para 4.11).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, TEAM_MODELS, make_cfg

from sim.model import ChildrensServicesModel

PRESETS = sorted(p.stem for p in (REPO / "configs" / "area").glob("*.yaml"))
#: Children in each preset's area for these tests: the establishment scales with the
#: population, so a smaller area is the same comparison, built faster.
CHILDREN = 20_000


def _hours_by_profession(area: str, team_model: str) -> pd.DataFrame:
    """Posts, FTE, contracted hours and multi-agency hours offered (filled and well:
    ``hours x ma_share``) by profession, for one preset under one team model."""
    m = ChildrensServicesModel(
        make_cfg(f"area={area}", f"area.children={CHILDREN}", f"team_model={team_model}"), 5
    )
    wf = m.workforce
    frame = pd.DataFrame(
        {
            "profession": np.array(wf.professions)[wf.prof],
            "locality": wf.locality,
            "fte": wf.fte,
            "hours": wf.hours,
            "offered": wf.nominal_ma_hours(),
        }
    )
    return frame


@pytest.mark.parametrize("area", PRESETS)
def test_same_posts_and_hours_under_every_team_model(area: str) -> None:
    """For every area preset the three team models have the same posts (profession,
    locality and FTE, in the same order), the same contracted hours and the same
    multi-agency hours offered, by profession."""
    frames = {tm: _hours_by_profession(area, tm) for tm in TEAM_MODELS}
    base = frames[TEAM_MODELS[0]]
    offered0 = base.groupby("profession")["offered"].sum()
    assert (offered0 > 0).sum() >= 10, offered0
    for tm, frame in frames.items():
        pd.testing.assert_frame_equal(
            frame[["profession", "locality", "fte", "hours"]],
            base[["profession", "locality", "fte", "hours"]],
            obj=f"{area}: posts under {tm}",
        )
        offered = frame.groupby("profession")["offered"].sum()
        gap = (offered - offered0).abs() / offered0.clip(lower=1.0)
        assert gap.max() < 1e-9, f"{area}: {tm} offers different hours: {gap[gap >= 1e-9]}"


def test_team_models_organise_the_hours_differently() -> None:
    """The same hours, organised: co-located core members give more of their time and
    their colleagues less; under TAC processes only every post gives its targeted share."""
    shares = {}
    for tm in TEAM_MODELS:
        m = ChildrensServicesModel(make_cfg(f"team_model={tm}"), 5)
        wf = m.workforce
        fs = np.nonzero(np.array(wf.professions)[wf.prof] == "family_support")[0]
        shares[tm] = (wf.ma_share[fs], wf.core[fs])
    ma, core = shares["co_located"]
    assert core.any() and (~core).any()
    assert ma[core].min() > ma[~core].max()
    ma, core = shares["tac_only"]
    assert not core.any() and np.ptp(ma) == 0.0


def _identification_table(team_model: str) -> np.ndarray:
    m = ChildrensServicesModel(
        make_cfg(f"team_model={team_model}", "team_model.advice_multiplier=1"), 5
    )
    return np.array(m.identification._sum)


def test_named_members_of_virtual_teams_go_on_identifying() -> None:
    """Named members of a virtual team stay in their home settings, so with the same
    access to advice the identification hazards equal those of TAC processes only;
    co-located core members are seconded, so the ages their profession sees (youth
    workers: 11 to 17) are identified less."""
    virtual, tac_only, co_located = (
        _identification_table(tm) for tm in ("virtual", "tac_only", "co_located")
    )
    np.testing.assert_array_equal(virtual, tac_only)
    assert (co_located[:, 11:] < tac_only[:, 11:]).all()
    np.testing.assert_array_equal(co_located[:, :11], tac_only[:, :11])


def test_presets_found() -> None:
    """The presets checked above are the shipped ones."""
    assert {"shropshire", "stockport", "west_sussex"} <= set(PRESETS), PRESETS
    assert all((Path(REPO) / "configs" / "area" / f"{p}.yaml").exists() for p in PRESETS)
