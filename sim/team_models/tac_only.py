"""Team Around the Child processes only (Stockport-style; [DCSF 2008] para 4.13, case 3).

No permanent teams. The practitioner who assessed the child convenes the TAC, spending
the coordination hours in their own diary; requests that need resources go to a
regular panel. Members give their targeted time, found case by case, from a pool that
spans the whole authority. The central team (the structure posts) helps with a share of
first TAC meetings (``central_coordination_share``), runs the advice line and follows up
missed reviews, each with its own hours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.team_models.base import Pick, TeamModel

if TYPE_CHECKING:  # pragma: no cover
    from sim.episodes import Episode


class TacOnly(TeamModel):
    """Common processes; the assessor convenes; authority-wide pool; central team."""

    name = "tac_only"
    label = "TAC processes only"
    colour = "#009E73"

    def team_posts(self, locality: int) -> list[int]:
        """The central team serves the whole authority."""
        return self.structure_pids

    def receiver(self, episode: Episode, pick: Pick) -> int:
        """The central team coordinates a share of requests (help with the first TAC
        meeting, decided by the episode's own variate) and those with no assessor
        (self-referrals); the assessor convenes the rest."""
        central = episode.u_central < self.params.central_coordination_share
        if episode.assessor >= 0 and not central:
            return episode.assessor
        return self.covered(self.structure_pids, pick)
