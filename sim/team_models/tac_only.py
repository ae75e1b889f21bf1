"""Team Around the Child processes only (Stockport-style; [DCSF 2008] para 4.13, case 3).

No permanent teams. The practitioner who assessed the child convenes the TAC, spending
the coordination hours in their own diary; requests that need resources go to a
regular panel. Members give spare home-service time found case by case, from a pool
that spans the whole authority. A small central team (structure posts) runs the advice
line and follows up missed reviews.
"""

from __future__ import annotations

import numpy as np

from sim.episodes import Episode
from sim.team_models.base import Pick, TeamModel
from sim.workforce import PostSpec, Workforce

#: Central team posts per 10,000 children (assumption: a project manager and support
#: staff for an authority of about 60,000 children).
CENTRAL_TEAM_PER_10K = 0.5


class TacOnly(TeamModel):
    """Common processes; the assessor convenes; authority-wide pool; central team."""

    name = "tac_only"
    label = "TAC processes only"
    colour = "#009E73"

    def structure_posts(self, localities: int, children: int) -> list[PostSpec]:
        """The central team."""
        fte = max(CENTRAL_TEAM_PER_10K * children / 10_000, 0.1)
        whole, part = int(fte), fte - int(fte)
        specs = [PostSpec("coordinator", 0, 1.0) for _ in range(whole)]
        if part > 1e-9:
            specs.append(PostSpec("coordinator", 0, part))
        return specs

    def organise(self, wf: Workforce, tac_posts: np.ndarray) -> None:
        """Every TAC post may be asked; the pool is the authority unless configured."""
        self._split_core(wf, tac_posts, pool_of_locality=self.params.pool_scope == "locality")
        wf.ma_share[np.asarray(self.structure_pids, dtype=np.int64)] = 1.0

    def receiver(self, episode: Episode, pick: Pick) -> int:
        """The assessor convenes the TAC (a central team post for self-referrals,
        covered by a colleague while vacant)."""
        if episode.assessor >= 0:
            return episode.assessor
        return self.covered(self.structure_pids[episode.id % len(self.structure_pids)], pick)
