"""Virtual teams (West Sussex-style; [DCSF 2008] para 4.12, case study 2).

Named practitioners in each service-delivery area form a virtual team while staying in
their home service: they give a share of their time and home-service demand comes
first. Aligned services contribute spare time and join after a delay. Requests go to
the virtual team, where the named member who would finish the coordination soonest
takes them to the team's meeting, or, for requests that need resources, to a
multi-agency panel of managers: each area has a part-time integrated service delivery
manager who receives those ([DCSF 2008] para 4.12; docs/odd.md section 7.7.1; while the
post is vacant another area's manager covers).
"""

from __future__ import annotations

import numpy as np

from sim.episodes import Episode
from sim.team_models.base import Pick, TeamModel
from sim.workforce import PostSpec, Workforce

#: Share of an area manager's post given to coordinating requests (assumption).
MANAGER_FTE = 0.5


class Virtual(TeamModel):
    """Virtual teams of named members in their home services, per area."""

    name = "virtual"
    label = "Virtual teams"
    colour = "#E69F00"

    def structure_posts(self, localities: int, children: int) -> list[PostSpec]:
        """A half-time integrated service delivery manager per area."""
        return [PostSpec("coordinator", loc, MANAGER_FTE) for loc in range(localities)]

    def organise(self, wf: Workforce, tac_posts: np.ndarray) -> None:
        """Named members (core) give ``core_time_share``; the rest ``member_time_share``."""
        self._split_core(wf, tac_posts, pool_of_locality=self.params.pool_scope == "locality")
        mgr = np.asarray(self.structure_pids, dtype=np.int64)
        wf.ma_share[mgr] = 1.0
        self._manager = {int(wf.locality[m]): int(m) for m in mgr}
        named = tac_posts & wf.core
        self._named = {
            loc: np.nonzero(named & (wf.locality == loc))[0].tolist() for loc in self._manager
        }

    def receiver(self, episode: Episode, pick: Pick) -> int:
        """A request that needs resources goes to the area's manager for the panel; the
        rest to the area's named member who would finish it soonest (the manager if
        every named post is vacant or off sick). The panel share is decided by the
        episode's own variate, as in :meth:`decision_day`."""
        if episode.u_panel >= self.params.panel_share:
            member = pick(self._named[episode.locality])
            if member >= 0:
                return member
        return self.covered(self._manager[episode.locality], pick)
