"""Virtual teams (West Sussex-style; [DCSF 2008] para 4.12, case study 2).

Named practitioners from education welfare, educational psychology, social care and
family support in each service-delivery area form a virtual team while staying employed
by their home service: they give a share of their time, home-service demand first, and
go on identifying children in their settings. Aligned services (primary mental health
workers, community health) contribute their targeted time and join after a delay.
Requests go to the area's named member who would finish the coordination soonest, who
takes them to the team's meeting, or, for requests that need resources, to the area's
integrated service delivery manager (its structure posts) for a multi-agency panel of
managers ([DCSF 2008] para 4.12; docs/odd.md section 7.7.1; while the manager is away
another area's covers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.team_models.base import Pick, TeamModel

if TYPE_CHECKING:  # pragma: no cover
    from sim.episodes import Episode
    from sim.workforce import Workforce


class Virtual(TeamModel):
    """Virtual teams of named members in their home services, per area."""

    name = "virtual"
    label = "Virtual teams"
    colour = "#E69F00"
    #: Named members remain "employed by their home service" ([DCSF 2008] para 4.12).
    core_leave_settings = False

    def organise(self, wf: Workforce, tac_posts: np.ndarray, structure: np.ndarray) -> None:
        """Named members (core) by area, for receiving requests."""
        super().organise(wf, tac_posts, structure)
        named = tac_posts & wf.core
        self._named = {
            loc: np.nonzero(named & (wf.locality == loc))[0].tolist()
            for loc in range(int(wf.locality.max(initial=0)) + 1)
        }

    def receiver(self, episode: Episode, pick: Pick) -> int:
        """A request that needs resources goes to the area's manager for the panel; the
        rest to the area's named member who would finish it soonest (the manager if
        every named post is vacant or off sick). The panel share is decided by the
        episode's own variate, as in :meth:`decision_day`."""
        if episode.u_panel >= self.params.panel_share:
            member = pick(self._named.get(episode.locality, []))
            if member >= 0:
                return member
        return self.covered(self.team_posts(episode.locality), pick)
