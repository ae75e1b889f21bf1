"""The three team models, each a module implementing :class:`TeamModel`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.team_models.base import TeamModel
from sim.team_models.co_located import CoLocated
from sim.team_models.tac_only import TacOnly
from sim.team_models.virtual import Virtual

if TYPE_CHECKING:  # pragma: no cover
    from sim.params import TeamModelConfig

REGISTRY: dict[str, type[TeamModel]] = {
    CoLocated.name: CoLocated,
    Virtual.name: Virtual,
    TacOnly.name: TacOnly,
}


def make_team_model(params: TeamModelConfig) -> TeamModel:
    """Build the team model named by ``params.name``."""
    try:
        cls = REGISTRY[params.name]
    except KeyError:
        raise ValueError(
            f"team_model.name = {params.name!r} is not a known team model; "
            f"choose one of {', '.join(sorted(REGISTRY))}."
        ) from None
    return cls(params)


__all__ = ["REGISTRY", "TeamModel", "make_team_model"]
