"""Need episodes: one record per episode, with every milestone day (docs/odd.md section 2).

An episode runs from the onset of a need to its closure. Its *natural* course is a set
of competing clocks, each consuming an exponential budget drawn at onset, so the same
seed gives an episode the same underlying course whatever the team model does (common
random numbers):

- identification: hazard from universal settings, self-referral and the front door;
- escalation: Weibull in "effective unmet time" at the current tier (the hazard grows
  with time unmet; the clock runs slower while supported);
- resolution: hazard depending on tier and on whether the child is supported;
- disengagement: the family's hazard of withdrawing while in the pathway.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

import pandas as pd

from sim.population import DAYS_PER_YEAR, N_AGES


class Phase(StrEnum):
    """Where an episode is in the pathway."""

    #: The need has begun; no service knows of it yet.
    HIDDEN = "hidden"
    #: Identified: consent is being sought, then the CAF is under way.
    ASSESSING = "assessing"
    #: Consent refused or the CAF rationed: unmet until the need escalates.
    DECLINED = "declined"
    #: The CAF asked for multi-agency support: the request is being coordinated.
    REQUESTED = "requested"
    #: Members are being allocated and the TAC convened.
    TAC = "tac"
    #: Supported by a TAC, with reviews.
    SUPPORT = "support"
    #: Stepped up: held by children's social care.
    SPECIALIST = "specialist"
    #: Closed to early help and social care.
    CLOSED = "closed"
    #: The child has left the area; pending events lapse.
    GONE = "gone"


# Module-level names for the members: reading a member off an Enum class costs about
# 0.2 microseconds in Python 3.11, and phases are read at almost every event.
HIDDEN, ASSESSING, DECLINED, REQUESTED, TAC, SUPPORT, SPECIALIST, CLOSED, GONE = Phase
#: Phases in which an episode is no longer open to early help.
ENDED = (CLOSED, SPECIALIST, GONE)

#: Columns of the ``episodes`` output, in order (documented in docs/metrics.md).
EPISODE_COLUMNS: tuple[str, ...] = (
    "episode_id",
    "child",
    "family",
    "locality",
    "team_model",
    "age_at_onset",
    "onset_tier",
    "max_tier",
    "domains",
    "family_risk_factors",
    "engagement",
    "re_referral",
    "step_down",
    "onset_day",
    "tier3_day",
    "tier4_day",
    "identification_day",
    "identification_tier",
    "identification_route",
    "identifier_profession",
    "consent_day",
    "consent_given",
    "assessment_start_day",
    "assessment_end_day",
    "assessor_profession",
    "caf_hours",
    "caf_from_index",
    "duplicate_cafs",
    "request_day",
    "allocation_day",
    "tac_meeting_day",
    "support_start_day",
    "professions",
    "lead_profession",
    "lead_changes",
    "reviews",
    "missed_reviews",
    "resolved_day",
    "closure_day",
    "closure_reason",
    "sc_referral_day",
    "sc_assessment_start_day",
    "sc_assessment_end_day",
    "sc_outcome",
    "sc_close_day",
    "camhs_referral_day",
    "camhs_start_day",
    "camhs_end_day",
    "camhs_outcome",
)

NAN = math.nan
#: Variates an episode draws at onset: six exponential budgets (identification, second
#: identification, two escalations, resolution, disengagement) and five uniforms
#: (consent, single agency, panel, Tier 3 referral, central coordination).
N_EXPONENTIAL, N_UNIFORM = 6, 5
N_VARIATES = N_EXPONENTIAL + N_UNIFORM
#: Of the uniforms, those added after the first four (drawn after the domain columns).
N_LATER = 1


def empty_episodes_table() -> pd.DataFrame:
    """A table of no episodes whose columns have the types a filled one has, so that
    boolean masks and day arithmetic work on it unchanged."""
    typical = Episode(0, 0, 0, 0, 0.0, 2, ("healthy",), 0, 1.0, 0.0, [1.0] * N_VARIATES)
    typical.consent = False
    row = pd.DataFrame.from_records([typical.row("")], columns=list(EPISODE_COLUMNS))
    return row.iloc[:0].reset_index(drop=True)


class Episode:
    """One need episode of one child. Days are simulation days (0 = end of warm-up)."""

    __slots__ = (
        # identity
        "id",
        "child",
        "family",
        "locality",
        "age",
        "onset_tier",
        "tier",
        "max_tier",
        "domains",
        "risk_factors",
        "engagement",
        "re_referral",
        "step_down",
        "pool",
        # per-episode random variates (drawn at onset)
        "e_id2",
        "e_esc",
        "u_consent",
        "u_single",
        "u_panel",
        "u_t3ref",
        "u_central",
        # clocks
        "t_clock",
        "id_rate",
        "id_left",
        "esc_speed",
        "esc_tau",
        "esc_target",
        "res_rate",
        "res_left",
        "dis_rate",
        "dis_left",
        "version",
        # pathway state
        "phase",
        "supported",
        "resolved",
        "assessor",
        "lead",
        "members",
        "waiting",
        "pending",
        "t_convene",
        "agent",
        "review_no",
        "queued",
        # milestones
        "onset",
        "t_tier3",
        "t_tier4",
        "t_identified",
        "identified_tier",
        "route",
        "identifier_prof",
        "t_consent",
        "consent",
        "t_assess_start",
        "t_assess_end",
        "assessor_prof",
        "caf_hours",
        "caf_from_index",
        "duplicate_cafs",
        "t_request",
        "t_allocated",
        "t_tac",
        "t_support",
        "professions",
        "lead_prof",
        "lead_changes",
        "reviews",
        "missed_reviews",
        "t_resolved",
        "t_close",
        "reason",
        "t_sc_referral",
        "t_sc_assess_start",
        "t_sc_assess_end",
        "sc_outcome",
        "t_sc_close",
        "t_camhs_referral",
        "t_camhs_start",
        "t_camhs_end",
        "camhs_outcome",
    )

    def __init__(
        self,
        eid: int,
        child: int,
        family: int,
        locality: int,
        age: float,
        tier: int,
        domains: tuple[str, ...],
        risk_factors: int,
        engagement: float,
        onset: float,
        variates: Any,
    ) -> None:
        self.id = eid
        self.child = child
        self.family = family
        self.locality = locality
        self.age = age
        self.onset_tier = tier
        self.tier = tier
        self.max_tier = tier
        self.domains = domains
        self.risk_factors = risk_factors
        self.engagement = engagement
        self.re_referral = False
        self.step_down = False
        self.pool = 0
        (
            e_id,
            self.e_id2,
            e_esc1,
            e_esc2,
            e_res,
            e_dis,
            self.u_consent,
            self.u_single,
            self.u_panel,
            self.u_t3ref,
            self.u_central,
        ) = variates
        self.e_esc = (e_esc1, e_esc2)
        self.t_clock = onset
        self.id_rate = 0.0
        self.id_left = e_id
        self.esc_speed = 0.0
        self.esc_tau = 0.0
        self.esc_target = math.inf
        self.res_rate = 0.0
        self.res_left = e_res
        self.dis_rate = 0.0
        self.dis_left = e_dis
        self.version = 0
        self.phase: Phase = HIDDEN
        self.supported = False
        self.resolved = False
        self.assessor = -1
        self.lead = -1
        #: (post, hours a week, whether the post counts this case) of each member.
        self.members: list[tuple[int, float, bool]] = []
        self.waiting = 0
        self.queued: list[int] = []  # professions whose TAC queue holds this request
        self.pending = 0
        self.t_convene = NAN
        self.agent: Any = None
        self.review_no = 0
        self.onset = onset
        self.t_tier3 = onset if tier >= 3 else NAN
        self.t_tier4 = onset if tier >= 4 else NAN
        self.t_identified = NAN
        self.identified_tier = 0
        self.route = ""
        self.identifier_prof = ""
        self.t_consent = NAN
        self.consent = False
        self.t_assess_start = NAN
        self.t_assess_end = NAN
        self.assessor_prof = ""
        self.caf_hours = 0.0
        self.caf_from_index = False
        self.duplicate_cafs = 0
        self.t_request = NAN
        self.t_allocated = NAN
        self.t_tac = NAN
        self.t_support = NAN
        self.professions: list[str] = []
        self.lead_prof = ""
        self.lead_changes = 0
        self.reviews = 0
        self.missed_reviews = 0
        self.t_resolved = NAN
        self.t_close = NAN
        self.reason = ""
        self.t_sc_referral = NAN
        self.t_sc_assess_start = NAN
        self.t_sc_assess_end = NAN
        self.sc_outcome = ""
        self.t_sc_close = NAN
        self.t_camhs_referral = NAN
        self.t_camhs_start = NAN
        self.t_camhs_end = NAN
        self.camhs_outcome = ""

    def age_index(self, day: float) -> int:
        """Whole years of age on ``day`` (at most 17, for tables by age)."""
        return min(int(self.age + (day - self.onset) / DAYS_PER_YEAR), N_AGES - 1)

    @property
    def closed(self) -> bool:
        """Whether the episode is closed to early help (it may still be in social care)."""
        return self.phase in (CLOSED, SPECIALIST)

    def row(self, team_model: str) -> tuple:
        """The episode as a row of :data:`EPISODE_COLUMNS`."""
        return (
            self.id,
            self.child,
            self.family,
            self.locality,
            team_model,
            self.age,
            self.onset_tier,
            self.max_tier,
            "|".join(self.domains),
            self.risk_factors,
            self.engagement,
            self.re_referral,
            self.step_down,
            self.onset,
            self.t_tier3,
            self.t_tier4,
            self.t_identified,
            self.identified_tier,
            self.route,
            self.identifier_prof,
            self.t_consent,
            self.consent,
            self.t_assess_start,
            self.t_assess_end,
            self.assessor_prof,
            self.caf_hours,
            self.caf_from_index,
            self.duplicate_cafs,
            self.t_request,
            self.t_allocated,
            self.t_tac,
            self.t_support,
            "|".join(self.professions),
            self.lead_prof,
            self.lead_changes,
            self.reviews,
            self.missed_reviews,
            self.t_resolved,
            self.t_close,
            self.reason,
            self.t_sc_referral,
            self.t_sc_assess_start,
            self.t_sc_assess_end,
            self.sc_outcome,
            self.t_sc_close,
            self.t_camhs_referral,
            self.t_camhs_start,
            self.t_camhs_end,
            self.camhs_outcome,
        )
