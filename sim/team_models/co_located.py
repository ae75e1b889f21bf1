"""Co-located teams (Shropshire-style; [DCSF 2008] para 4.11, case study 1).

One permanent multi-agency team per locality, with its manager and coordinator (the
locality's structure posts). A share of the posts of the core professions (social
workers, family support, youth inclusion, primary mental health, education welfare,
substance misuse) work for the team, seconded from their services: they leave their
universal settings. Educational psychologists, school nurses and health visitors are in
the virtual ring, which joins a TAC after a delay. The coordinator receives requests and
spends the coordination hours (while every post of the team is away another team's
covers, :meth:`TeamModel.covered`); the team allocates at its own meeting and advises
universal staff, who identify more. Capacity is tied to the locality.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.team_models.base import Pick, TeamModel

if TYPE_CHECKING:  # pragma: no cover
    from sim.episodes import Episode


class CoLocated(TeamModel):
    """Permanent co-located locality teams with a coordinator and a virtual ring."""

    name = "co_located"
    label = "Co-located teams"
    colour = "#0072B2"
    #: Practitioners are "employed by or seconded to the team" ([DCSF 2008] para 4.11).
    core_leave_settings = True

    def receiver(self, episode: Episode, pick: Pick) -> int:
        """The locality team's coordinator (covered by another team's while away)."""
        return self.covered(self.team_posts(episode.locality), pick)
