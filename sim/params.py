"""Every model parameter, with its unit and its source or "assumption".

This module is the one source of defaults. Hydra composes ``configs/`` on top of the
:class:`Config` schema registered here, so a YAML preset only states what differs from
these defaults. Published figures are cited by their key in ``docs/sources.md`` (for example
``[DfE workforce 2024]``), which gives the publisher, title, year and table of each; the
sections of ``docs/odd.md`` named below describe what each group of parameters does.

Time units: rates are per year unless the name says otherwise; delays are in days;
practitioner time is in hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

#: The five Every Child Matters outcome domains ([DCSF 2008] para 1.4 and Annex B).
DOMAINS: tuple[str, ...] = (
    "be_healthy",
    "stay_safe",
    "enjoy_and_achieve",
    "positive_contribution",
    "economic_wellbeing",
)

#: Activities that practitioner hours are booked against in the ``series`` output.
ACTIVITIES: tuple[str, ...] = (
    "home_duties",
    "identification",
    "assessment",
    "meetings",
    "coordination",
    "support",
    "travel",
    "casework",
)

#: Closure reasons of a need episode.
CLOSURE_REASONS: tuple[str, ...] = (
    "needs_met",
    "disengaged",
    "moved_away",
    "stepped_up",
    "aged_out",
)


@dataclass
class ProfessionConfig:
    """One profession's establishment and role in identification and support.

    Attributes
    ----------
    per_10k : posts (FTE) per 10,000 children in the area's establishment.
    hours_per_week : contracted hours of one full-time post.
    service : home service: universal, early_help, social_care or camhs.
    specialist_share : share of posts in the statutory specialist service (social care
        case-holding social workers, specialist CAMHS); the rest work in early help.
    identifies_ages : [min, max] age in years of the children this profession sees in a
        universal setting; empty when it has no universal contact.
    identification_rate : identifications a year of one Tier 2 need by this setting, at
        full staffing and identification skill 1.
    initial_skill : mean identification skill (0 to 1) of a post-holder at the start.
    caf_assessor : whether post-holders complete CAF assessments themselves.
    assessor : profession that completes the CAF when this one identifies but does not
        assess.
    lead_capable : whether post-holders may act as lead professional.
    tac_member : whether the profession joins Teams Around the Child.
    targeted_share : share of a post's hours its home service spends on targeted work with
        children with additional needs; what a non-core TAC member can offer is this
        share; team models decide which posts give it (sim/team_models/base.py).
    hourly_cost : employer cost of one hour, in pounds.
    """

    per_10k: float = 0.0
    #: Largest ``per_10k`` allowed (sim/config.py refuses more): one full-time post per
    #: child. Assumption: the largest default establishment, teachers, is 300 per 10,000
    #: children, so only a slip reaches this, and posts (and the time and memory they
    #: cost) grow with the establishment.
    MAX_PER_10K = 10_000.0
    hours_per_week: float = 37.0
    service: str = "early_help"
    specialist_share: float = 0.0
    identifies_ages: list[int] = field(default_factory=list)
    identification_rate: float = 0.0
    initial_skill: float = 0.5
    caf_assessor: bool = False
    assessor: str = ""
    lead_capable: bool = False
    tac_member: bool = True
    targeted_share: float = 0.2
    hourly_cost: float = 30.0


def _prof(**kw: Any) -> ProfessionConfig:
    return ProfessionConfig(**kw)


def default_professions() -> dict[str, ProfessionConfig]:
    """Default professions (docs/odd.md, sections 2 and 7.13). Establishment figures are
    assumptions unless a source is named; calibration adjusts them per area."""
    return {
        # Universal staff: they identify; teachers hand assessment to pastoral staff.
        "teacher": _prof(
            per_10k=300.0,
            service="universal",
            identifies_ages=[5, 17],
            identification_rate=1.2,
            initial_skill=0.4,
            assessor="pastoral",
            tac_member=False,
            hourly_cost=35.0,
        ),
        "pastoral": _prof(
            per_10k=40.0,
            targeted_share=0.3,
            service="universal",
            identifies_ages=[5, 17],
            identification_rate=0.8,
            initial_skill=0.6,
            caf_assessor=True,
            lead_capable=True,
            hourly_cost=25.0,
        ),
        "early_years": _prof(
            per_10k=60.0,
            targeted_share=0.1,
            service="universal",
            identifies_ages=[1, 4],
            identification_rate=1.0,
            initial_skill=0.5,
            caf_assessor=True,
            lead_capable=True,
            hourly_cost=18.0,
        ),
        "health_visitor": _prof(
            per_10k=7.0,
            targeted_share=0.35,
            service="universal",
            identifies_ages=[0, 4],
            identification_rate=1.5,
            initial_skill=0.6,
            caf_assessor=True,
            lead_capable=True,
            hourly_cost=32.0,
        ),
        "school_nurse": _prof(
            per_10k=4.0,
            targeted_share=0.4,
            service="universal",
            identifies_ages=[5, 17],
            identification_rate=0.3,
            initial_skill=0.6,
            caf_assessor=True,
            lead_capable=True,
            hourly_cost=32.0,
        ),
        "gp": _prof(
            per_10k=5.0,
            service="universal",
            identifies_ages=[0, 17],
            identification_rate=0.3,
            initial_skill=0.4,
            assessor="health_visitor",
            tac_member=False,
            hourly_cost=70.0,
        ),
        "police": _prof(
            per_10k=2.0,
            service="universal",
            identifies_ages=[10, 17],
            identification_rate=0.1,
            initial_skill=0.5,
            assessor="family_support",
            tac_member=False,
            hourly_cost=30.0,
        ),
        # Social workers: specialist_share are case-holding staff in children's social care.
        "social_worker": _prof(
            per_10k=20.0,
            targeted_share=0.8,
            service="social_care",
            specialist_share=0.8,
            caf_assessor=True,
            lead_capable=True,
            hourly_cost=35.0,
        ),
        "family_support": _prof(
            per_10k=8.0,
            targeted_share=0.8,
            service="early_help",
            caf_assessor=True,
            lead_capable=True,
            hourly_cost=22.0,
        ),
        "ed_psych": _prof(per_10k=1.5, targeted_share=0.5, service="early_help", hourly_cost=40.0),
        # Primary mental health workers in early help; specialist_share are CAMHS clinicians.
        "camhs_worker": _prof(
            per_10k=8.0,
            targeted_share=0.6,
            service="camhs",
            specialist_share=0.75,
            lead_capable=True,
            hourly_cost=38.0,
        ),
        "ewo": _prof(
            per_10k=1.5,
            targeted_share=0.6,
            service="early_help",
            caf_assessor=True,
            lead_capable=True,
            hourly_cost=26.0,
        ),
        "youth_worker": _prof(
            per_10k=5.0,
            targeted_share=0.4,
            service="early_help",
            identifies_ages=[11, 17],
            identification_rate=0.4,
            initial_skill=0.5,
            caf_assessor=True,
            lead_capable=True,
            hourly_cost=22.0,
        ),
        "substance_misuse": _prof(
            per_10k=0.7, targeted_share=0.6, service="early_help", hourly_cost=28.0
        ),
        # Coordinators, managers and central team staff: posts come from the team
        # model's structure, not from the establishment.
        "coordinator": _prof(per_10k=1.0, service="early_help", tac_member=False, hourly_cost=30.0),
    }


def default_domain_professions() -> dict[str, list[str]]:
    """Which professions a TAC needs for each outcome domain.

    Entries are ``profession`` or ``profession:min_age-max_age``; of these the first
    that matches the child's age is the domain's member. Entries ending ``@3`` (or ``@4``)
    add a further member when the need is at Tier 3 (or 4) or above: complex needs
    bring in specialist practitioners. Compositions follow [DCSF 2008] case studies 1 and
    2 (assumption as to which profession serves which domain).
    """
    return {
        "be_healthy": [
            "health_visitor:0-4",
            "school_nurse:5-10",
            "camhs_worker:11-17",
            "camhs_worker:5-10@3",
        ],
        "stay_safe": ["social_worker", "family_support"],
        "enjoy_and_achieve": ["early_years:0-4", "pastoral:5-17", "ed_psych:3-17@3", "ewo:11-17@3"],
        "positive_contribution": [
            "family_support:0-10",
            "youth_worker:11-17",
            "substance_misuse:11-17@3",
        ],
        "economic_wellbeing": ["family_support"],
    }


@dataclass
class AreaConfig:
    """An area preset: population, localities, deprivation and workforce."""

    name: str = "test"
    #: Children under 18 simulated (one simulated child per real child).
    children: int = 5000
    #: Largest ``children`` allowed (sim/config.py refuses more). Assumption: the largest
    #: English authority has well under 400,000 children and England about 12 million;
    #: 2,000,000 leaves room for any area, and stops a slip such as 100000000 (eight times
    #: England's children), which would run until killed.
    MAX_CHILDREN = 2_000_000
    #: Localities (co-located teams in Shropshire: 5; ISDAs in West Sussex: 8; [DCSF 2008]).
    localities: int = 2
    #: Largest ``localities`` allowed. Assumption: even one locality per electoral ward of
    #: the largest authority (Birmingham: 69 wards) is far below 1,000, and every locality
    #: adds structure posts to the team models.
    MAX_LOCALITIES = 1000
    #: Share of families in deprived circumstances (assumption; area-specific).
    deprivation_share: float = 0.2
    #: Mean children per family with children (assumption: about 1.8 in England).
    mean_children_per_family: float = 1.8
    #: Process-standard era: "2008" (initial assessment within 7 working days, core within
    #: 35, [HM Government 2006]) or "modern" (one assessment within 45 working days,
    #: [HM Government 2013]).
    era: str = "modern"
    #: Vacancy rate at the start, the same for every post (10.9% of council social
    #: workers in January 2009, [SW workforce 2009]; applying it to other professions is
    #: an assumption).
    initial_vacancy_rate: float = 0.109
    #: Multiplies every profession's establishment (workforce level lever; 1 = preset).
    workforce_scale: float = 1.0
    #: Per-profession multipliers of the establishment, for sweeps of one profession.
    establishment_scale: dict[str, float] = field(default_factory=dict)
    #: Largest ``workforce_scale`` and ``establishment_scale`` entry allowed. Assumption:
    #: workforce questions move establishments by tens of percent (the sensitivity
    #: analysis spans 0.7-1.3), tests use 50 to remove capacity limits, and the hand-worked
    #: one-child scenario needs 1,250 for its tiny area to hold one family support post;
    #: 10,000 times the preset is beyond any use, and time and memory grow with the posts.
    MAX_SCALE = 10_000.0


@dataclass
class TeamModelConfig:
    """Mechanism parameters of a team model. Each team model's YAML sets its own values;
    the code in ``sim/team_models`` decides what each one means for that model."""

    name: str = "tac_only"
    #: Days between the meetings at which allocation decisions are made (0 = at once).
    allocation_interval_days: float = 0.0
    #: Share of requests that must wait for a multi-agency panel's decision.
    panel_share: float = 0.0
    #: Days between panel meetings.
    panel_interval_days: float = 28.0
    #: Days to contact and schedule each TAC member (coordination latency).
    convening_days_per_member: float = 1.0
    #: Coordinator or convenor hours per request.
    coordination_hours_per_case: float = 2.0
    #: Extra hours of travel for each attendee of each meeting.
    travel_hours_per_meeting: float = 0.5
    #: Multiplier on universal staff's identification rate from access to advice.
    advice_multiplier: float = 1.0
    #: Share of each TAC profession's early-help posts that are core team members.
    core_share: float = 0.0
    #: Share of a core member's hours given to the team (absolute).
    core_time_share: float = 1.0
    #: Professions whose early-help posts can be core members (universal staff never
    #: are); the first ``core_share`` of each one's posts in a pool are core.
    core_professions: list[str] = field(default_factory=list)
    #: Days before a non-core member joins a TAC after allocation.
    member_join_delay_days: float = 0.0
    #: Probability that a scheduled review is missed.
    missed_review_probability: float = 0.1
    #: Days until a missed review is followed up (0 = not followed up before the next).
    review_followup_days: float = 0.0
    #: Capacity scope: "locality" (tied to the locality) or "authority" (pooled).
    pool_scope: str = "authority"
    #: Weekly variability (coefficient of variation) of home-service demand on members
    #: who keep home duties; their multi-agency hours shrink when home demand rises.
    home_demand_cv: float = 0.0
    #: Whether posts that receive requests cover for each other: while a coordinator,
    #: manager or central-team post is vacant or off sick, the requests it would receive
    #: go to the structure post that would finish them soonest, and requests waiting in
    #: a post's diary when it falls vacant go to whoever now receives them (assumption:
    #: a team manager or a neighbouring team covers; without cover a locality's
    #: coordination stops for the whole recruitment lag, docs/validation.md section 5).
    cover_vacant_posts: bool = True
    #: Share of requests whose coordination the structure posts take on even when an
    #: assessor could convene (Stockport's central team helps with first TAC meetings).
    central_coordination_share: float = 0.0
    #: Structure-post hours of advice for each need identified by universal staff (the
    #: cost of the access to advice that ``advice_multiplier`` rewards).
    advice_hours_per_identification: float = 0.0
    #: Structure-post hours to follow up one missed review (with ``review_followup_days``).
    review_followup_hours: float = 0.0
    #: Whether the child index records earlier support from a TAC, not only a CAF.
    index_records_support: bool = False


@dataclass
class NeedConfig:
    """Need episodes: onset, escalation, resolution (docs/odd.md sections 7.2-7.3)."""

    #: Onset hazard per child-year by age band [0-4, 5-10, 11-17] (assumption; the
    #: calibration target is open additional needs near the 17-20% SEN prevalence,
    #: [DCSF SEN 2008], [DfE SEN 2024]).
    onset_rate_by_age: list[float] = field(default_factory=lambda: [0.045, 0.06, 0.065])
    #: Relative risks of onset for family risk factors (assumption).
    rr_deprivation: float = 1.8
    rr_parental_mental_health: float = 1.5
    rr_substance_misuse: float = 1.8
    rr_domestic_abuse: float = 2.0
    #: Prevalence of the family risk factors (assumption).
    prevalence_parental_mental_health: float = 0.15
    prevalence_substance_misuse: float = 0.05
    prevalence_domestic_abuse: float = 0.08
    #: Variance of the family's gamma frailty: siblings' needs correlate (assumption).
    family_frailty_variance: float = 0.5
    #: Onset hazard multiplier within a year of a previous closure (assumption).
    relapse_multiplier: float = 3.0
    relapse_window_days: float = 365.0
    #: Share of onsets already at Tier 3 and Tier 4 (assumption).
    initial_tier3_share: float = 0.20
    initial_tier4_share: float = 0.05
    #: Probability that each outcome domain is touched (at least one always is).
    domain_probability: dict[str, float] = field(
        default_factory=lambda: {
            "be_healthy": 0.35,
            "stay_safe": 0.3,
            "enjoy_and_achieve": 0.5,
            "positive_contribution": 0.2,
            "economic_wellbeing": 0.2,
        }
    )
    #: Weibull scale (years of unmet need) and shape of escalation from Tier 2 and Tier 3;
    #: shape > 1 makes the hazard grow with time unmet (assumption).
    escalation_scale_years: list[float] = field(default_factory=lambda: [4.0, 3.0])
    escalation_shape: float = 1.5
    #: Escalation clock speed while supported, relative to unmet (assumption).
    escalation_supported_factor: float = 0.3
    #: Spontaneous resolution rate per year at Tier 2, 3, 4 (assumption).
    resolution_rate: list[float] = field(default_factory=lambda: [0.3, 0.15, 0.05])
    #: Resolution rate per year while supported at Tier 2, 3 (assumption).
    supported_resolution_rate: list[float] = field(default_factory=lambda: [1.5, 0.9])
    #: Testing hook (tests/test_deterministic.py): every child's first need episode
    #: begins on this simulation day, besides any onsets drawn from the hazard (set
    #: ``onset_rate_by_age`` to zeros for a scenario with no randomness). None: off.
    fixed_onset_day: Optional[float] = None


@dataclass
class IdentificationConfig:
    """Identification (docs/odd.md section 7.4)."""

    #: Identification multiplier by tier (2, 3, 4): severe needs are easier to see.
    tier_multiplier: list[float] = field(default_factory=lambda: [1.0, 2.0, 4.0])
    #: Families asking for help themselves, per year, times engagement (assumption).
    self_referral_rate: float = 0.15
    #: Direct referrals to the social care front door per year (police, hospitals) at
    #: Tier 3 and Tier 4 (assumption).
    front_door_rate: list[float] = field(default_factory=lambda: [1.5, 4.0])
    #: Probability that a Tier 3 need identified in a universal setting goes to the front
    #: door rather than to a CAF (assumption).
    tier3_referral_probability: float = 0.5
    #: Hours an identification costs the practitioner (assumption).
    identification_hours: float = 0.5
    #: Identify every need at onset (used by verification experiments).
    immediate: bool = False


@dataclass
class AssessmentConfig:
    """Common Assessment Framework (docs/odd.md section 7.5)."""

    #: Whether a CAF precedes multi-agency support.
    required: bool = True
    #: Assessor hours for a new CAF (assumption; CAF completed within 15 days of request
    #: in local tracking procedures, [Local CAF guidance]).
    caf_hours: float = 6.0
    #: Assessor hours when an earlier CAF is visible on the child index (assumption).
    caf_update_hours: float = 2.0
    #: A shared child index (ContactPoint / local index) is in use ([DCSF 2008] para 4.36,
    #: case study 1).
    child_index: bool = True
    #: Without the index: for each further domain, the probability that another
    #: practitioner unaware of this CAF starts a duplicate (assumption).
    duplicate_probability: float = 0.3
    #: Reluctance to share information: probability that an earlier CAF on the index is
    #: not shared with the assessor (assumption).
    sharing_reluctance: float = 0.0
    #: Assessments are rationed: a practitioner with more than this many hours of one-off
    #: work waiting does not start a new CAF (CAF was rationed by resources and agency
    #: priorities, [Gilligan & Manby 2008]; the threshold is an assumption).
    rationing_backlog_hours: float = 15.0
    #: Probability that the assessor meets the need alone, with no multi-agency request.
    single_agency_probability: float = 0.25
    #: Days from identification to consent being sought (assumption).
    consent_days: float = 3.0


@dataclass
class SupportConfig:
    """Team Around the Child support (docs/odd.md section 7.9)."""

    #: Hours a week each TAC member gives a supported child (assumption).
    member_hours_per_week: float = 1.5
    #: Extra hours a week for the lead professional's coordination (assumption).
    lead_hours_per_week: float = 1.0
    #: Hours of one TAC meeting or review for each attendee (assumption).
    meeting_hours: float = 1.5
    #: Days from TAC meeting to the start of support (assumption; first TAF meeting
    #: within about 3 weeks in local guidance, [Local CAF guidance]).
    support_start_days: float = 7.0
    #: Days between reviews (every 4-12 weeks in local guidance, [Local CAF guidance]).
    review_interval_days: float = 56.0
    #: Close as soon as the need resolves instead of at the next review.
    close_on_resolution: bool = False
    #: Family disengagement rate per year while in the pathway, times (1 - engagement).
    disengagement_rate: float = 0.6
    #: Probability that a family disengages when its lead professional changes.
    disengage_on_lead_change: float = 0.1
    #: Overtime allowed above multi-agency hours, as a share (assumption).
    overtime_share: float = 0.1
    #: Mean family engagement propensity (Beta mean), and its reduction per risk factor:
    #: high-risk families are hardest to engage ([Community Care 2003]; the size of the
    #: reduction is an assumption).
    engagement_mean: float = 0.8
    engagement_risk_penalty: float = 0.1


@dataclass
class SpecialistConfig:
    """A capacity-limited specialist service (docs/odd.md section 7.10)."""

    #: Maximum cases per FTE (assumption; average caseload per case-holding social worker
    #: was 15.4-17.8 in 2017-2024, [DfE workforce 2024]).
    max_caseload_per_fte: float = 20.0
    #: Days to screen a referral before allocation for assessment (assumption).
    screening_days: float = 1.0
    #: Mean days of an assessment once allocated (assumption).
    assessment_mean_days: float = 25.0
    #: Share of assessments ending in no further action (27.8% in 2016-17, [DfE CIN 2017]).
    no_further_action_share: float = 0.278
    #: Share of referrals rejected at the threshold (CAMHS: 26% in 2018-19, [EPI 2020]).
    rejection_share: float = 0.0
    #: Mean days a case is held after assessment (assumption).
    case_mean_days: float = 240.0
    #: Probability of step-down to early help at closure (assumption).
    step_down_probability: float = 0.4
    #: Hours a week per held case (assumption).
    hours_per_case_week: float = 1.8


@dataclass
class WorkforceConfig:
    """Workforce dynamics (docs/odd.md section 7.12)."""

    #: Annual turnover of permanent staff (social workers: 15-16% in 2016-2023, DfE
    #: workforce census, [DfE workforce 2024]; used for every profession as an assumption).
    turnover_rate: float = 0.15
    #: Turnover multiplier per unit of sustained overload above full load (assumption).
    overload_turnover_factor: float = 2.0
    #: Weeks over which load is averaged for overload (assumption).
    overload_window_weeks: float = 13.0
    #: Mean days a vacant post stays vacant before a permanent appointment (assumption).
    recruitment_lag_days: float = 150.0
    #: Probability that a vacancy is covered by agency staff, and the days that takes.
    agency_cover_probability: float = 0.5
    agency_lag_days: float = 21.0
    #: Annual turnover of agency staff (assumption).
    agency_turnover_rate: float = 0.5
    #: Share of working time lost to sickness absence (about 3%, [DfE workforce 2024]).
    sickness_rate: float = 0.03
    #: Share of universal staff trained each year, and the skill gain (assumption).
    training_rate: float = 0.1
    training_gain: float = 0.15
    #: Identification skill of a new starter, relative to the profession's initial skill.
    new_starter_skill_factor: float = 0.8
    # --- Scheduled vacancy rate (experiment vacancy_shock; empty lists = no schedule).
    #: Professions whose establishment posts follow the schedule.
    vacancy_schedule_professions: list[str] = field(default_factory=list)
    #: Schedule points: years after the warm-up, and the share of those posts vacant
    #: (no permanent or agency holder) at each, linear in between. Within the schedule's
    #: span, holders leave or are appointed each week to keep to it; outside it, turnover
    #: and recruitment alone set vacancies. (Social worker vacancies of 10.9% in 2009
    #: [SW workforce 2009], and 35% in Barnet before a recruitment drive, [DCSF 2008]
    #: chapter 2.)
    vacancy_schedule_years: list[float] = field(default_factory=list)
    vacancy_schedule_rates: list[float] = field(default_factory=list)
    #: Hourly cost of agency cover over a permanent post holder's (assumption: agency
    #: staff cost the authority more than employees, for the agency's margin).
    agency_cost_factor: float = 1.5


@dataclass
class DemographyConfig:
    """Demography (docs/odd.md section 7.1)."""

    #: Families moving out of the area per year (assumption); moving families are replaced
    #: by families moving in, keeping the population at its preset size.
    move_rate: float = 0.05
    #: Children age (and leave at 18). Switched off only by verification experiments,
    #: where the population must stay the same.
    ageing: bool = True
    #: Testing hook (tests/test_deterministic.py): every child's age in years at the start
    #: of the run (the start of the warm-up), instead of a drawn age. None: drawn.
    fixed_age_years: Optional[float] = None


@dataclass
class CompareConfig:
    """Comparison of team models under common random numbers."""

    team_models: list[str] = field(default_factory=lambda: ["co_located", "virtual", "tac_only"])
    baseline: str = "tac_only"


@dataclass
class MMCConfig:
    """Verification against an M/M/c queue (docs/validation.md)."""

    enabled: bool = False
    servers: int = 1
    #: Largest ``servers`` allowed. Assumption: the check is of a queue with a handful of
    #: servers (the experiment uses 5); every server is a post of the model.
    MAX_SERVERS = 1000
    utilisation: float = 0.8
    mean_service_days: float = 30.0


@dataclass
class Config:
    """The whole configuration of a run. Hydra's groups fill ``area`` and ``team_model``."""

    area: AreaConfig = field(default_factory=AreaConfig)
    team_model: TeamModelConfig = field(default_factory=TeamModelConfig)
    #: Name of the experiment (output folders are grouped by it).
    experiment_name: str = "single"
    #: "single" runs the chosen team model; "compare" runs each of compare.team_models.
    mode: str = "single"
    seed: int = 20080
    replicates: int = 1
    #: Largest ``replicates`` allowed. Assumption: 3-5 replicates give the main metrics a
    #: 5% half-width and 15 the narrowest intervals in use (docs/validation.md, section
    #: 5); 1,000 is far beyond any precision the model's assumptions support, and each
    #: replicate costs a whole run.
    MAX_REPLICATES = 1000
    #: Simulated years observed after the warm-up.
    years: float = 5.0
    #: Years simulated and discarded before observation (docs/odd.md, initialisation).
    warmup_years: float = 3.0
    #: Years simulated after the observation window only to follow the window's needs to
    #: their later milestones, so that waits are not cut short at its end (delay metrics
    #: only; every other metric is the window's). 0 = stop when the window closes.
    followup_years: float = 0.0
    #: Largest ``years``, ``warmup_years`` and ``followup_years`` allowed, each.
    #: Assumption: the main job observes 3 years after an 8-year warm-up (the longest
    #: warm-up found is 7.7 years, docs/validation.md, section 5) and policy questions look
    #: a decade ahead; a century is generous, and stops a slip such as years=1e9, which
    #: would run until killed.
    MAX_YEARS = 100.0
    #: Show progress bars on stderr.
    progress: bool = True
    #: Workers for replicates and comparisons (1 = serial).
    workers: int = 1
    #: Largest ``workers`` allowed. More workers than CPUs is allowed (they share the
    #: CPUs), but each worker is a process holding a whole model. Assumption: the largest
    #: two-socket servers have under 1,024 logical CPUs, so 10,000 is a slip.
    MAX_WORKERS = 1024
    need: NeedConfig = field(default_factory=NeedConfig)
    identification: IdentificationConfig = field(default_factory=IdentificationConfig)
    assessment: AssessmentConfig = field(default_factory=AssessmentConfig)
    support: SupportConfig = field(default_factory=SupportConfig)
    social_care: SpecialistConfig = field(default_factory=SpecialistConfig)
    camhs: SpecialistConfig = field(
        default_factory=lambda: SpecialistConfig(
            max_caseload_per_fte=25.0,
            assessment_mean_days=40.0,
            no_further_action_share=0.1,
            rejection_share=0.26,
            case_mean_days=180.0,
            step_down_probability=0.5,
            hours_per_case_week=1.2,
        )
    )
    workforce: WorkforceConfig = field(default_factory=WorkforceConfig)
    demography: DemographyConfig = field(default_factory=DemographyConfig)
    professions: dict[str, ProfessionConfig] = field(default_factory=default_professions)
    domain_professions: dict[str, list[str]] = field(default_factory=default_domain_professions)
    compare: CompareConfig = field(default_factory=CompareConfig)
    mmc: MMCConfig = field(default_factory=MMCConfig)
    #: Free-form note stored with the outputs.
    note: Optional[str] = None
