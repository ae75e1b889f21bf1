"""The interface every team model implements, and the parts they share.

A team model decides four things (docs/odd.md sections 7.6-7.7.1; [DCSF 2008] paras
4.11-4.13 in docs/sources.md):

1. **structure**: which posts form teams or pools, and who gives the hours each
   profession offers (:meth:`TeamModel.organise`); the posts and their hours are the same
   under every team model, including the structure posts (coordinators, managers, a
   central team) of the ``coordinator`` establishment;
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

if TYPE_CHECKING:  # pragma: no cover
    from sim.episodes import Episode
    from sim.params import TeamModelConfig
    from sim.workforce import Workforce

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

    #: Whether core members leave their universal settings for the team (seconded or
    #: employed by it), so that they no longer see children there.
    core_leave_settings: bool = False

    def __init__(self, params: TeamModelConfig) -> None:
        self.params = params
        #: The area's structure posts (profession ``coordinator``): coordinators,
        #: managers or a central team, the same posts under every team model.
        self.structure_pids: list[int] = []
        self._by_locality: dict[int, list[int]] = {}

    # -- structure -----------------------------------------------------------------
    def organise(self, wf: Workforce, tac_posts: np.ndarray, structure: np.ndarray) -> None:
        """Set ``pool``, ``core``, ``ma_share`` and ``join_delay`` of the posts.

        ``tac_posts`` marks the non-specialist posts of professions that join TACs;
        ``structure`` the indices of the structure posts, which work for the team
        structure full time under every team model.
        """
        self.structure_pids = [int(x) for x in structure]
        wf.ma_share[structure] = 1.0
        self._by_locality = {}
        for pid in self.structure_pids:
            self._by_locality.setdefault(int(wf.locality[pid]), []).append(pid)
        self._split_core(wf, tac_posts, pool_of_locality=self.params.pool_scope == "locality")

    def team_posts(self, locality: int) -> list[int]:
        """The structure posts serving ``locality``: its own (a locality team's
        coordinator and manager, an area's manager), or all of them where the locality
        has none."""
        return self._by_locality.get(locality, self.structure_pids)

    def _split_core(self, wf: Workforce, tac_posts: np.ndarray, pool_of_locality: bool) -> None:
        """Organise each (pool, profession)'s multi-agency hours, keeping their total.

        Every TAC post offers its profession's targeted share of its hours. Where the team
        model has core members, the first ``core_share`` of the posts of each
        ``core_professions`` profession in a pool (never universal staff) are core: they
        give ``core_time_share`` of their hours (at least the targeted share) and join at
        once; the profession's other posts share what is left of its targeted hours, and
        join after ``member_join_delay_days``. A profession whose targeted hours cannot
        give every core post ``core_time_share`` gives its core posts all of them. So the
        hours each profession offers are the same under every team model; only who gives
        them differs.
        """
        p = self.params
        wf.pool[tac_posts] = wf.locality[tac_posts] if pool_of_locality else 0
        offered = np.minimum(wf.targeted, 1.0)
        share = np.where(tac_posts, offered, wf.ma_share)
        names = np.array(wf.professions)
        can_be_core = tac_posts & ~wf.universal & np.isin(names[wf.prof], p.core_professions)
        keys = {
            (int(a), int(b)) for a, b in zip(wf.pool[tac_posts], wf.prof[tac_posts], strict=True)
        }
        for pool, prof in sorted(keys):
            ids = np.nonzero(tac_posts & (wf.pool == pool) & (wf.prof == prof))[0]
            eligible = ids[can_be_core[ids]]
            k = int(round(p.core_share * len(eligible)))
            if k == 0:
                continue
            core, ring = eligible[:k], np.setdiff1d(ids, eligible[:k])
            total = float((wf.hours[ids] * offered[ids]).sum())
            core_share = np.maximum(p.core_time_share, offered[core])
            core_hours = float((wf.hours[core] * core_share).sum())
            if core_hours > total:
                core_share = core_share * (total / core_hours)
                core_hours = total
            ring_hours = float(wf.hours[ring].sum())
            share[core] = core_share
            share[ring] = (total - core_hours) / ring_hours if ring_hours > 0 else 0.0
            wf.core[core] = True
        wf.ma_share[tac_posts] = share[tac_posts]
        wf.join_delay[tac_posts] = np.where(wf.core[tac_posts], 0.0, p.member_join_delay_days)

    @staticmethod
    def spare_time_share(targeted: np.ndarray) -> np.ndarray:
        """Share of their hours that universal posts outside every TAC give to
        identification and CAF work: their profession's targeted share, the same under
        every team model."""
        return np.minimum(targeted, 1.0)

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

    def covered(self, pids: Sequence[int], pick: Pick) -> int:
        """Of the posts ``pids``, the one at work that would finish the request soonest;
        if none is at work, with ``cover_vacant_posts``, the structure post that would
        (a colleague covers). With no cover, or every structure post vacant or off sick,
        the first of ``pids``: the request waits in its diary until the post is filled.
        -1 when there are no such posts at all (an area without structure posts)."""
        if not pids:
            pids = self.structure_pids
            if not pids:
                return -1
        pid = pick(pids)
        if pid >= 0:
            return pid
        if self.params.cover_vacant_posts:
            cover = pick(self.structure_pids)
            if cover >= 0:
                return cover
        return pids[0]

    def adviser(self, locality: int, pick: Pick) -> int:
        """The structure post that gives advice to practitioners in ``locality`` and
        follows up missed reviews there (it spends ``advice_hours_per_identification``
        and ``review_followup_hours``); -1 if there is no structure post."""
        if not self.structure_pids:
            return -1
        return self.covered(self.team_posts(locality), pick)

    @property
    def advice_hours(self) -> float:
        """Structure-post hours of advice for each need identified by universal staff."""
        return self.params.advice_hours_per_identification

    @property
    def index_records_support(self) -> bool:
        """Whether the child index records earlier support from a TAC, not only a CAF."""
        return self.params.index_records_support

    @property
    def review_followup_hours(self) -> float:
        """Structure-post hours to follow up one missed review."""
        return self.params.review_followup_hours

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
