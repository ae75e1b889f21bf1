"""Co-located teams (Shropshire-style; [DCSF 2008] para 4.11, case study 1).

One permanent multi-agency team per locality. A share of each TAC profession's posts
are core members who work for the team full time; the rest form the virtual ring, who
give spare time and join a TAC after a delay. Each team has a coordinator post that
receives requests and spends the coordination hours (while it is vacant another team's
coordinator covers, :meth:`TeamModel.covered`); the team allocates at its own meeting.
Capacity is tied to the locality.
"""

from __future__ import annotations

import numpy as np

from sim.episodes import Episode
from sim.team_models.base import Pick, TeamModel
from sim.workforce import PostSpec, Workforce


class CoLocated(TeamModel):
    """Permanent co-located locality teams with a coordinator and a virtual ring."""

    name = "co_located"
    label = "Co-located teams"
    colour = "#0072B2"

    def structure_posts(self, localities: int, children: int) -> list[PostSpec]:
        """One full-time coordinator per locality team."""
        return [PostSpec("coordinator", loc, 1.0) for loc in range(localities)]

    def organise(self, wf: Workforce, tac_posts: np.ndarray) -> None:
        """Core members and virtual ring per locality; coordinators work for the team."""
        self._split_core(wf, tac_posts, pool_of_locality=self.params.pool_scope == "locality")
        coord = np.asarray(self.structure_pids, dtype=np.int64)
        wf.ma_share[coord] = 1.0
        wf.core[coord] = True
        self._coordinator = {int(wf.locality[c]): int(c) for c in coord}

    def receiver(self, episode: Episode, pick: Pick) -> int:
        """The locality team's coordinator (covered by another team's while vacant)."""
        return self.covered(self._coordinator[episode.locality], pick)
