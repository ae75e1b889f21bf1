"""The interface every team model implements, and the parts they share.

A team model decides four things (docs/odd.md sections 7.6-7.7.1; [DCSF 2008] paras
4.11-4.13 in docs/sources.md):

1. **structure**: which posts form teams or pools, whose time they give and how much
   (:meth:`TeamModel.organise`, :meth:`TeamModel.structure_posts`);
2. **who receives a request** for multi-agency support and spends the coordination
   hours (:meth:`TeamModel.receiver`), and who covers a vacant post that receives
   requests (:meth:`TeamModel.covered`);
3. **when allocation happens** (:meth:`TeamModel.decision_day`);
4. **other effects**: access to advice for identification, and follow-up of missed
   reviews (:attr:`TeamModel.advice_multiplier`, :meth:`TeamModel.review_outcome`).

The pathway (:mod:`sim.pathway`) reads its team model only through these methods and
properties, so the three models differ by mechanism and parameters and never by a
hard-coded outcome.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.params import TeamModelConfig
from sim.workforce import PostSpec, Workforce

if TYPE_CHECKING:  # pragma: no cover
    from sim.episodes import Episode

#: Given candidate posts, the one that would finish a request's coordination soonest,
#: or -1 if every one is vacant or off sick (the model's ``soonest_done``).
Pick = Callable[[Sequence[int]], int]


def next_meeting(day: float, interval: float) -> float:
    """The first meeting on or after ``day`` of a cycle every ``interval`` days from 0."""
    if interval <= 0:
        return day
    return math.ceil(day / interval - 1e-12) * interval


class TeamModel(ABC):
    """One way of organising multi-agency work.

    Parameters
    ----------
    params : TeamModelConfig
        This team model's mechanism parameters.
    """

    #: The name a configuration selects (``team_model=<name>``).
    name: str = ""
    #: Its plain name in reports, plots and the dashboard.
    label: str = ""
    #: Its colour in plots (Okabe-Ito, readable with colour-blindness).
    colour: str = "#000000"

    def __init__(self, params: TeamModelConfig) -> None:
        self.params = params
        self.structure_pids: list[int] = []

    # -- structure -----------------------------------------------------------------
    def structure_posts(self, localities: int, children: int) -> list[PostSpec]:
        """Posts the team structure adds (coordinators, managers, a central team)."""
        return []

    @abstractmethod
    def organise(self, wf: Workforce, tac_posts: np.ndarray) -> None:
        """Set ``pool``, ``core``, ``ma_share`` and ``join_delay`` of the posts.

        ``tac_posts`` marks the non-specialist posts of professions that join TACs.
        """

    def _split_core(self, wf: Workforce, tac_posts: np.ndarray, pool_of_locality: bool) -> None:
        """Shared structure: in each pool and profession, the first ``core_share`` of
        posts are core members giving ``core_time_share`` of their hours (at least their
        profession's targeted share); the rest give their targeted share times
        ``member_time_share`` and join after ``member_join_delay_days``."""
        p = self.params
        wf.pool[tac_posts] = wf.locality[tac_posts] if pool_of_locality else 0
        for key in {
            (int(a), int(b)) for a, b in zip(wf.pool[tac_posts], wf.prof[tac_posts], strict=True)
        }:
            # Universal staff (teachers' pastoral colleagues, health visitors, school
            # nurses, early years) stay in their settings: only targeted services'
            # posts can be core members ([DCSF 2008] case studies 1 and 2).
            ids = np.nonzero(tac_posts & ~wf.universal & (wf.pool == key[0]) & (wf.prof == key[1]))[
                0
            ]
            k = int(round(p.core_share * len(ids)))
            wf.core[ids[:k]] = True
        targeted = wf.targeted[tac_posts]
        wf.ma_share[tac_posts] = np.where(
            wf.core[tac_posts],
            np.maximum(p.core_time_share, targeted),
            np.minimum(targeted * p.member_time_share, 1.0),
        )
        wf.join_delay[tac_posts] = np.where(wf.core[tac_posts], 0.0, p.member_join_delay_days)

    def spare_time_share(self, targeted: np.ndarray) -> np.ndarray:
        """Share of their hours that universal posts outside every TAC give to
        identification and CAF work: their profession's targeted share times
        ``member_time_share``, at most all of it."""
        return np.minimum(targeted * self.params.member_time_share, 1.0)

    @property
    def home_demand_cv(self) -> float:
        """Coefficient of variation of posts' weekly home-service demand."""
        return self.params.home_demand_cv

    def pool_of(self, episode: Episode) -> int:
        """The capacity pool an episode draws members from."""
        return episode.locality if self.params.pool_scope == "locality" else 0

    # -- requests ------------------------------------------------------------------
    @abstractmethod
    def receiver(self, episode: Episode, pick: Pick) -> int:
        """The post that receives the request and spends the coordination hours.

        ``pick`` chooses among candidate posts the one that would finish the request's
        coordination soonest.
        """

    @property
    def coordination_hours(self) -> float:
        """Hours the receiving post spends coordinating one request."""
        return self.params.coordination_hours_per_case

    @property
    def covers_vacant_posts(self) -> bool:
        """Whether requests waiting in a post that falls vacant are handed over."""
        return self.params.cover_vacant_posts

    def covered(self, pid: int, pick: Pick) -> int:
        """``pid`` if it is filled and at work; otherwise, with ``cover_vacant_posts``,
        the structure post (coordinator, manager, central team) that would finish the
        request soonest. With no cover, or every structure post vacant or off sick,
        ``pid`` itself: the request waits in its diary until the post is filled."""
        if not self.params.cover_vacant_posts or pick((pid,)) >= 0:
            return pid
        cover = pick(self.structure_pids)
        return cover if cover >= 0 else pid

    def decision_day(self, day: float, episode: Episode) -> float:
        """Day the allocation decision is made for a request ready on ``day``.

        Requests that need resources (a share ``panel_share``, decided by the episode's
        own variate, so the same requests go to panel under every model) wait for the
        panel's cycle; the rest for the team's own allocation meeting.
        """
        p = self.params
        if episode.u_panel < p.panel_share:
            return next_meeting(day, p.panel_interval_days)
        return next_meeting(day, p.allocation_interval_days)

    # -- meetings ------------------------------------------------------------------
    def convening_days(self, attendees: int) -> float:
        """Days needed to find a date for a TAC meeting of ``attendees`` practitioners."""
        return self.params.convening_days_per_member * attendees

    @property
    def travel_hours(self) -> float:
        """Hours each attendee spends travelling to one meeting."""
        return self.params.travel_hours_per_meeting

    # -- other effects -------------------------------------------------------------
    @property
    def advice_multiplier(self) -> float:
        """Multiplier on universal staff's identification from access to advice."""
        return self.params.advice_multiplier

    def review_outcome(self, day: float, u: float) -> tuple[bool, float]:
        """Whether a review due on ``day`` is held, and when the next one is due."""
        p = self.params
        if u < p.missed_review_probability:
            if p.review_followup_days > 0:
                return False, day + p.review_followup_days
            return False, math.nan
        return True, math.nan
