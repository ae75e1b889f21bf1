"""The TAC meeting, the lead professional, support and reviews (docs/odd.md 7.8-7.9).

When every member is allocated, a lead professional is chosen (the assessor if it can
lead, else the first member who can, else the first member) and the TAC is convened:
every attendee has a meeting in their diary, and the meeting cannot happen before the
team model's convening time nor before the latest member can join. Support starts
``support_start_days`` after the meeting and is reviewed every
``review_interval_days``; the team model decides whether a review is held or missed
and when a missed one is followed up. A need resolved while supported closes at the
next review held. Continuity is lost when a lead professional's post changes hands,
and some families disengage then.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from sim.agents import Practitioner
from sim.diary import HOURS, MEETING, Diaries
from sim.episodes import SUPPORT, TAC, Episode
from sim.params import Config
from sim.pathway import events as ev
from sim.pathway import not_wired
from sim.pathway.allocation import Allocation
from sim.scheduling import EventQueue
from sim.team_models.base import Pick, TeamModel
from sim.workforce import ACT, Workforce


class Support:
    """TAC meetings, lead professionals, support and reviews.

    Parameters
    ----------
    cfg : Config
    workforce : Workforce
    practitioners : list of Practitioner
        The posts' agents (they keep the cases they lead).
    diaries : Diaries
        Where meeting attendance goes.
    allocation : Allocation
        Commits the lead professional's hours.
    events : EventQueue
        The model's calendar.
    rng : numpy.random.Generator
        The ``pathway`` stream.
    team_model : TeamModel
        Convening, travel and reviews.
    soonest_done : callable
        Of some posts, the one that would finish new work soonest.
    reclock : callable of ``(episode, day)``.
    had_support : array of bool, by child
        Set when a child's support starts (the population's ``had_support``).

    The model sets ``close(episode, day, reason)``.
    """

    def __init__(
        self,
        cfg: Config,
        workforce: Workforce,
        practitioners: list[Practitioner],
        diaries: Diaries,
        allocation: Allocation,
        events: EventQueue,
        rng: np.random.Generator,
        team_model: TeamModel,
        soonest_done: Pick,
        reclock: Callable[[Episode, float], None],
        had_support: np.ndarray,
    ) -> None:
        self.cfg = cfg.support
        self.soonest_done = soonest_done
        self.workforce = workforce
        self.practitioners = practitioners
        self.diaries = diaries
        self.allocation = allocation
        self.events = events
        self.rng = rng
        self.team_model = team_model
        self.reclock = reclock
        self.close: Callable[[Episode, float, str], None] = not_wired
        #: Children who have had support from a TAC (a child index may record it).
        self.had_support = had_support
        self.professions = list(cfg.professions)

    def assembled(self, ep: Episode, day: float) -> None:
        """Every member is allocated: choose the lead and convene the TAC meeting."""
        scfg, wf = self.cfg, self.workforce
        ep.t_allocated = day
        lead = ep.assessor if (ep.assessor >= 0 and wf.lead_capable[ep.assessor]) else -1
        if lead < 0:
            for pid, _, _ in ep.members:
                if wf.lead_capable[pid]:
                    lead = pid
                    break
        if lead < 0 and ep.members:
            lead = ep.members[0][0]
        if lead >= 0:
            lead_hours = scfg.lead_hours_per_week
            if any(m[0] == lead for m in ep.members):
                wf.committed[lead] += lead_hours  # one case, more hours
                ep.members.append((lead, lead_hours, False))
            else:
                self.allocation.commit(ep, lead, lead_hours)
            self.set_lead(ep, lead)
        attendees = sorted(
            {m[0] for m in ep.members} | ({ep.assessor} if ep.assessor >= 0 else set())
        )
        join = max((wf.join_delay[m[0]] for m in ep.members), default=0.0)
        ep.t_convene = day + max(self.team_model.convening_days(len(attendees)), join)
        ep.pending = len(attendees)
        travel = self.team_model.travel_hours
        for pid in attendees:
            wf.used[pid, ACT["travel"]] += travel
            self.diaries.add(pid, day, scfg.meeting_hours, MEETING, ep, "meetings")
        if not attendees:
            self.events.schedule(max(day, ep.t_convene), ev.TAC, ep)

    def set_lead(self, ep: Episode, pid: int) -> None:
        """Post ``pid`` becomes the episode's lead professional."""
        ep.lead = pid
        ep.lead_prof = self.professions[self.workforce.prof[pid]]
        self.practitioners[pid].leads.add(ep)

    def meeting_done(self, ep: Episode, day: float) -> None:
        """One attendee is ready for the meeting; the last one lets it be held."""
        if ep.phase == TAC:
            ep.pending -= 1
            if ep.pending == 0:
                self.events.schedule(max(day, ep.t_convene), ev.TAC, ep)

    def on_tac(self, day: float, ep: Episode) -> None:
        """Calendar handler: the TAC meets."""
        if ep.phase != TAC:
            return
        ep.t_tac = day
        self.events.schedule(day + self.cfg.support_start_days, ev.SUPPORT, ep)

    def on_support_start(self, day: float, ep: Episode) -> None:
        """Calendar handler: support starts; the first review is booked."""
        if ep.phase != TAC:
            return
        ep.phase = SUPPORT
        ep.supported = True
        ep.t_support = day
        self.had_support[ep.child] = True
        self.reclock(ep, day)
        ep.review_no += 1
        self.events.schedule(day + self.cfg.review_interval_days, ev.REVIEW, (ep, ep.review_no))

    def on_review(self, day: float, payload: tuple) -> None:
        """Calendar handler: a review falls due (unless superseded)."""
        ep, number = payload
        if ep.phase != SUPPORT or number != ep.review_no:
            return
        held, next_day = self.team_model.review_outcome(day, self.rng.random())
        if not held:
            ep.missed_reviews += 1
            if math.isnan(next_day):
                next_day = day + self.cfg.review_interval_days
            elif self.team_model.review_followup_hours > 0:
                # Following up the missed review takes the team's (or central team's) time.
                adviser = self.team_model.adviser(ep.locality, self.soonest_done)
                if adviser >= 0:
                    self.diaries.add(
                        adviser,
                        day,
                        self.team_model.review_followup_hours,
                        HOURS,
                        None,
                        "coordination",
                    )
        else:
            ep.reviews += 1
            meeting = self.cfg.meeting_hours
            travel = self.team_model.travel_hours
            used = self.workforce.used
            for pid in sorted({m[0] for m in ep.members}):
                used[pid, ACT["meetings"]] += meeting
                used[pid, ACT["travel"]] += travel
            if ep.resolved:
                self.close(ep, day, "needs_met")
                return
            next_day = day + self.cfg.review_interval_days
        ep.review_no += 1
        self.events.schedule(next_day, ev.REVIEW, (ep, ep.review_no))

    def leads_changed(self, changed: np.ndarray, day: float) -> None:
        """Continuity is lost on the cases led from posts that changed hands; with
        probability ``disengage_on_lead_change`` the family disengages."""
        p = self.cfg.disengage_on_lead_change
        for pid in changed.tolist():
            for ep in sorted(self.practitioners[pid].leads, key=lambda e: e.id):
                ep.lead_changes += 1
                if self.rng.random() < p:
                    self.close(ep, day, "disengaged")
