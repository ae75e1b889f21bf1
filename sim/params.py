"""Every model parameter, with its allowed range, unit and source or "assumption".

This module is the one source of defaults and of the rules a value must follow. Hydra
composes ``configs/`` on top of the :class:`Config` schema registered here, so a YAML
preset only states what differs from these defaults. Published figures are cited by their
key in ``docs/sources.md`` (for example ``[DfE workforce 2024]``), which gives the
publisher, title, year and table of each; the sections of ``docs/odd.md`` named below
describe what each group of parameters does.

Each parameter is declared with :func:`param`, which keeps its rule with it as field
metadata: the allowed range of a number (of each element of a list or each value of a
mapping), the length of a fixed-length list, the keys a mapping may have, its unit and
its source. :mod:`sim.config` reads these with :func:`dataclasses.fields` and checks every
value against them; it knows no parameter by name.

Time units: rates are per year unless the name says otherwise; delays are in days;
practitioner time is in hours.
"""

from __future__ import annotations

import enum
import math
import typing
from collections.abc import Callable, Sequence
from dataclasses import MISSING, dataclass, field
from typing import Any, Optional

from sim.team_models import REGISTRY

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

#: Oldest age in whole years of a child (children leave at 18).
MAX_AGE: int = 17


class _Choice:
    """Mixin of the choice enums: a value written as a number is looked up by its text.

    YAML and Hydra read ``area.era=2008`` as the integer 2008, which OmegaConf looks up
    by value (``Era(2008)``); this makes that the member whose value is ``"2008"``.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return typing.cast(Any, cls)(str(value))
        return None


# The choices are StrEnums, so a member equals its value (``cfg.mode == "compare"``) and
# is written as it (JSON, YAML, tables). OmegaConf reads an enum setting by member name,
# so every member is named as its value: ``mode=compare`` and ``area.era=2008`` work as
# they did when these settings were text, and a value outside the enum is refused.


class Mode(_Choice, enum.StrEnum):
    """What a run does: run the chosen team model, or each of ``compare.team_models``."""

    single = "single"
    compare = "compare"


#: Process-standard era: "2008" (initial assessment within 7 working days, core within
#: 35, [HM Government 2006]) or "modern" (one assessment within 45 working days, [HM
#: Government 2013]). "2008" is not a Python name, hence the functional form.
Era = enum.StrEnum(
    "Era", [("2008", "2008"), ("modern", "modern")], module=__name__, qualname="Era", type=_Choice
)


class PoolScope(_Choice, enum.StrEnum):
    """Capacity scope of a team model: tied to the locality, or pooled in the authority."""

    locality = "locality"
    authority = "authority"


class Service(_Choice, enum.StrEnum):
    """A profession's home service."""

    universal = "universal"
    early_help = "early_help"
    social_care = "social_care"
    camhs = "camhs"


@dataclass(frozen=True)
class Range:
    """Allowed interval of a number; each end is included unless marked open.

    ``None`` for an end means no bound on that side; ``whole`` asks for a whole number.
    """

    lo: Optional[float] = None
    hi: Optional[float] = None
    lo_open: bool = False
    hi_open: bool = False
    whole: bool = False

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a finite number (not a boolean) inside the interval."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if not math.isfinite(value):
            return False
        if self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo):
            return False
        if self.hi is not None and (value >= self.hi if self.hi_open else value > self.hi):
            return False
        return True


def team_model_names() -> list[str]:
    """The team models' names, in the order of ``sim.team_models.REGISTRY``, the one list
    of team models (the team models import this module only for type hints)."""
    return list(REGISTRY)


def param(
    default: Any = MISSING,
    *,
    default_factory: Any = MISSING,
    lo: Optional[float] = None,
    hi: Optional[float] = None,
    lo_open: bool = False,
    hi_open: bool = False,
    whole: bool = False,
    unbounded: bool = False,
    length: Optional[int] = None,
    keys: Optional[Sequence[str]] = None,
    key_kind: str = "",
    choices: Optional[Callable[[], Sequence[str]]] = None,
    allowed: str = "",
    allowed_each: str = "",
    unit: str = "",
    source: str = "",
) -> Any:
    """A schema field carrying its rule, unit and source as metadata.

    Parameters
    ----------
    default, default_factory
        As for :func:`dataclasses.field` (a list or mapping needs ``default_factory``).
    lo, hi, lo_open, hi_open, whole
        The allowed :class:`Range` of the number; of each element of a list and each
        value of a mapping. Given for every number; ``unbounded=True`` says that a number
        has no bound on purpose.
    length
        The exact length of a fixed-length list.
    keys, key_kind
        The only keys a mapping may have, and what a key is ("a known profession").
    choices
        For a text (or each text of a list): a function giving the names allowed, where
        they are kept elsewhere (:func:`team_model_names`).
    allowed, allowed_each
        What is allowed, in words, where a hand-written check in :mod:`sim.config`
        enforces more than a range (``allowed_each``: for each value of a mapping).
    unit, source
        The unit, and the source (a ``docs/sources.md`` key) or "assumption".
    """
    meta: dict[str, Any] = {"unit": unit, "source": source}
    if lo is not None or hi is not None or unbounded:
        meta["range"] = Range(lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open, whole=whole)
    if length is not None:
        meta["length"] = length
    if keys is not None:
        meta["keys"] = tuple(keys)
        meta["key_kind"] = key_kind
    if choices is not None:
        meta["choices"] = choices
    if allowed:
        meta["allowed"] = allowed
    if allowed_each:
        meta["allowed_each"] = allowed_each
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


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

    #: Largest ``per_10k`` allowed (sim/config.py refuses more): one full-time post per
    #: child. Assumption: the largest default establishment, teachers, is 300 per 10,000
    #: children, so only a slip reaches this, and posts (and the time and memory they
    #: cost) grow with the establishment.
    MAX_PER_10K = 10_000.0
    per_10k: float = param(0.0, lo=0.0, hi=MAX_PER_10K, unit="FTE per 10,000 children")
    hours_per_week: float = param(37.0, lo=0.0, unit="hours a week")
    service: Service = param(Service.early_help, unit="home service")
    specialist_share: float = param(0.0, lo=0.0, hi=1.0, unit="share of posts")
    identifies_ages: list[int] = param(
        default_factory=list,
        lo=0,
        hi=MAX_AGE,
        whole=True,
        allowed=f"an empty list or [min, max] ages with 0 <= min <= max <= {MAX_AGE}",
        unit="years of age",
    )
    identification_rate: float = param(0.0, lo=0.0, unit="per year")
    initial_skill: float = param(0.5, lo=0.0, hi=1.0, unit="skill")
    caf_assessor: bool = False
    assessor: str = param(
        "", allowed="empty or the name of a profession whose caf_assessor is true"
    )
    lead_capable: bool = False
    tac_member: bool = True
    targeted_share: float = param(0.2, lo=0.0, hi=1.0, unit="share of hours")
    hourly_cost: float = param(30.0, lo=0.0, unit="pounds an hour")


def _prof(**kw: Any) -> ProfessionConfig:
    return ProfessionConfig(**kw)


def default_professions() -> dict[str, ProfessionConfig]:
    """Default professions (docs/odd.md, sections 2 and 7.13). Establishment figures are
    assumptions unless a source is named; calibration adjusts them per area."""
    return {
        # Universal staff: they identify; teachers hand assessment to pastoral staff.
        "teacher": _prof(
            per_10k=300.0,
            service=Service.universal,
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
            service=Service.universal,
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
            service=Service.universal,
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
            service=Service.universal,
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
            service=Service.universal,
            identifies_ages=[5, 17],
            identification_rate=0.3,
            initial_skill=0.6,
            caf_assessor=True,
            lead_capable=True,
            hourly_cost=32.0,
        ),
        "gp": _prof(
            per_10k=5.0,
            service=Service.universal,
            identifies_ages=[0, 17],
            identification_rate=0.3,
            initial_skill=0.4,
            assessor="health_visitor",
            tac_member=False,
            hourly_cost=70.0,
        ),
        "police": _prof(
            per_10k=2.0,
            service=Service.universal,
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
            service=Service.social_care,
            specialist_share=0.8,
            caf_assessor=True,
            lead_capable=True,
            hourly_cost=35.0,
        ),
        "family_support": _prof(
            per_10k=8.0,
            targeted_share=0.8,
            service=Service.early_help,
            caf_assessor=True,
            lead_capable=True,
            hourly_cost=22.0,
        ),
        "ed_psych": _prof(
            per_10k=1.5, targeted_share=0.5, service=Service.early_help, hourly_cost=40.0
        ),
        # Primary mental health workers in early help; specialist_share are CAMHS clinicians.
        "camhs_worker": _prof(
            per_10k=8.0,
            targeted_share=0.6,
            service=Service.camhs,
            specialist_share=0.75,
            lead_capable=True,
            hourly_cost=38.0,
        ),
        "ewo": _prof(
            per_10k=1.5,
            targeted_share=0.6,
            service=Service.early_help,
            caf_assessor=True,
            lead_capable=True,
            hourly_cost=26.0,
        ),
        "youth_worker": _prof(
            per_10k=5.0,
            targeted_share=0.4,
            service=Service.early_help,
            identifies_ages=[11, 17],
            identification_rate=0.4,
            initial_skill=0.5,
            caf_assessor=True,
            lead_capable=True,
            hourly_cost=22.0,
        ),
        "substance_misuse": _prof(
            per_10k=0.7, targeted_share=0.6, service=Service.early_help, hourly_cost=28.0
        ),
        # Coordinators, managers and central team staff: posts come from the team
        # model's structure, not from the establishment.
        "coordinator": _prof(
            per_10k=1.0, service=Service.early_help, tac_member=False, hourly_cost=30.0
        ),
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


#: The professions of the schema: the only keys of ``professions`` and of
#: ``area.establishment_scale``.
PROFESSIONS: tuple[str, ...] = tuple(default_professions())


@dataclass
class AreaConfig:
    """An area preset: population, localities, deprivation and workforce."""

    name: str = "test"
    #: Largest ``children`` allowed (sim/config.py refuses more). Assumption: the largest
    #: English authority has well under 400,000 children and England about 12 million;
    #: 2,000,000 leaves room for any area, and stops a slip such as 100000000 (eight times
    #: England's children), which would run until killed.
    MAX_CHILDREN = 2_000_000
    #: Children under 18 simulated (one simulated child per real child).
    children: int = param(
        5000, lo=1, hi=MAX_CHILDREN, whole=True, unit="children under 18", source="preset"
    )
    #: Largest ``localities`` allowed. Assumption: even one locality per electoral ward of
    #: the largest authority (Birmingham: 69 wards) is far below 1,000, and every locality
    #: adds structure posts to the team models.
    MAX_LOCALITIES = 1000
    #: Localities (co-located teams in Shropshire: 5; ISDAs in West Sussex: 8).
    localities: int = param(
        2, lo=1, hi=MAX_LOCALITIES, whole=True, unit="localities", source="[DCSF 2008]"
    )
    #: Share of families in deprived circumstances (area-specific).
    deprivation_share: float = param(
        0.2, lo=0.0, hi=1.0, unit="share of families", source="assumption"
    )
    #: Mean children per family with children (about 1.8 in England); a family with
    #: children has at least one child.
    mean_children_per_family: float = param(
        1.8, lo=1.0, unit="children per family", source="assumption"
    )
    #: Process-standard era (:data:`Era`): "2008" or "modern"; it sets the social care
    #: assessment timeliness target in the summary.
    era: Era = param(
        Era.modern, unit="process-standard era", source="[HM Government 2006], [HM Government 2013]"
    )
    #: Vacancy rate at the start, the same for every post (10.9% of council social
    #: workers in January 2009; applying it to other professions is an assumption).
    initial_vacancy_rate: float = param(
        0.109, lo=0.0, hi=1.0, unit="share of posts", source="[SW workforce 2009]"
    )
    #: Largest ``workforce_scale`` and ``establishment_scale`` entry allowed. Assumption:
    #: workforce questions move establishments by tens of percent (the sensitivity
    #: analysis spans 0.7-1.3), tests use 50 to remove capacity limits, and the hand-worked
    #: one-child scenario needs 1,250 for its tiny area to hold one family support post;
    #: 10,000 times the preset is beyond any use, and time and memory grow with the posts.
    MAX_SCALE = 10_000.0
    #: Multiplies every profession's establishment (workforce level lever; 1 = preset).
    workforce_scale: float = param(1.0, lo=0.0, hi=MAX_SCALE, unit="multiplier")
    #: Per-profession multipliers of the establishment, for sweeps of one profession.
    establishment_scale: dict[str, float] = param(
        default_factory=dict,
        lo=0.0,
        hi=MAX_SCALE,
        keys=PROFESSIONS,
        key_kind="a known profession",
        allowed=f"a mapping from profession names to numbers from 0 to {MAX_SCALE:g}",
        unit="multiplier by profession",
    )


@dataclass
class TeamModelConfig:
    """Mechanism parameters of a team model. Each team model's YAML sets its own values;
    the code in ``sim/team_models`` decides what each one means for that model. Every
    value is an assumption (docs/odd.md section 7.7.1)."""

    #: The team model (a name in ``sim.team_models.REGISTRY``; ``team_model=<name>``
    #: chooses its preset in ``configs/team_model/``).
    name: str = param("tac_only", choices=team_model_names)
    #: Days between the meetings at which allocation decisions are made (0 = at once).
    allocation_interval_days: float = param(0.0, lo=0.0, unit="days", source="assumption")
    #: Share of requests that must wait for a multi-agency panel's decision.
    panel_share: float = param(0.0, lo=0.0, hi=1.0, unit="share of requests", source="assumption")
    #: Days between panel meetings.
    panel_interval_days: float = param(28.0, lo=0.0, unit="days", source="assumption")
    #: Days to contact and schedule each TAC member (coordination latency).
    convening_days_per_member: float = param(
        1.0, lo=0.0, unit="days per member", source="assumption"
    )
    #: Coordinator or convenor hours per request.
    coordination_hours_per_case: float = param(
        2.0, lo=0.0, unit="hours per request", source="assumption"
    )
    #: Extra hours of travel for each attendee of each meeting.
    travel_hours_per_meeting: float = param(
        0.5, lo=0.0, unit="hours per attendee per meeting", source="assumption"
    )
    #: Multiplier on universal staff's identification rate from access to advice.
    advice_multiplier: float = param(1.0, lo=0.0, unit="multiplier", source="assumption")
    #: Share of each TAC profession's early-help posts that are core team members.
    core_share: float = param(0.0, lo=0.0, hi=1.0, unit="share of posts", source="assumption")
    #: Share of a core member's hours given to the team (absolute).
    core_time_share: float = param(1.0, lo=0.0, hi=1.0, unit="share of hours", source="assumption")
    #: Professions whose early-help posts can be core members (universal staff never
    #: are); the first ``core_share`` of each one's posts in a pool are core.
    core_professions: list[str] = param(
        default_factory=list,
        allowed="a list of professions that join TACs (tac_member true)",
        source="[DCSF 2008] case studies 1 and 2",
    )
    #: Days before a non-core member joins a TAC after allocation.
    member_join_delay_days: float = param(0.0, lo=0.0, unit="days", source="assumption")
    #: Probability that a scheduled review is missed.
    missed_review_probability: float = param(
        0.1, lo=0.0, hi=1.0, unit="probability", source="assumption"
    )
    #: Days until a missed review is followed up (0 = not followed up before the next).
    review_followup_days: float = param(0.0, lo=0.0, unit="days", source="assumption")
    #: Capacity scope: "locality" (tied to the locality) or "authority" (pooled).
    pool_scope: PoolScope = param(PoolScope.authority, unit="capacity scope", source="[DCSF 2008]")
    #: Weekly variability (coefficient of variation) of home-service demand on members
    #: who keep home duties; their multi-agency hours shrink when home demand rises.
    home_demand_cv: float = param(0.0, lo=0.0, unit="coefficient of variation", source="assumption")
    #: Whether posts that receive requests cover for each other: while a coordinator,
    #: manager or central-team post is vacant or off sick, the requests it would receive
    #: go to the structure post that would finish them soonest, and requests waiting in
    #: a post's diary when it falls vacant go to whoever now receives them (assumption:
    #: a team manager or a neighbouring team covers; without cover a locality's
    #: coordination stops for the whole recruitment lag, docs/validation.md section 5).
    cover_vacant_posts: bool = True
    #: Share of requests whose coordination the structure posts take on even when an
    #: assessor could convene (Stockport's central team helps with first TAC meetings).
    central_coordination_share: float = param(
        0.0, lo=0.0, hi=1.0, unit="share of requests", source="assumption"
    )
    #: Structure-post hours of advice for each need identified by universal staff (the
    #: cost of the access to advice that ``advice_multiplier`` rewards).
    advice_hours_per_identification: float = param(
        0.0, lo=0.0, hi=100.0, unit="hours per identification", source="assumption"
    )
    #: Structure-post hours to follow up one missed review (with ``review_followup_days``).
    review_followup_hours: float = param(
        0.0, lo=0.0, hi=100.0, unit="hours per missed review", source="assumption"
    )
    #: Whether the child index records earlier support from a TAC, not only a CAF.
    index_records_support: bool = False


@dataclass
class NeedConfig:
    """Need episodes: onset, escalation, resolution (docs/odd.md sections 7.2-7.3)."""

    #: Onset hazard per child-year by age band [0-4, 5-10, 11-17] (assumption; the
    #: calibration target is open additional needs near the 17-20% SEN prevalence,
    #: [DCSF SEN 2008], [DfE SEN 2024]).
    onset_rate_by_age: list[float] = param(
        default_factory=lambda: [0.045, 0.06, 0.065],
        length=3,
        lo=0.0,
        unit="onsets per child-year, ages 0-4, 5-10, 11-17",
        source="assumption",
    )
    #: Relative risks of onset for family risk factors.
    rr_deprivation: float = param(1.8, lo=0.0, unit="relative risk", source="assumption")
    rr_parental_mental_health: float = param(1.5, lo=0.0, unit="relative risk", source="assumption")
    rr_substance_misuse: float = param(1.8, lo=0.0, unit="relative risk", source="assumption")
    rr_domestic_abuse: float = param(2.0, lo=0.0, unit="relative risk", source="assumption")
    #: Prevalence of the family risk factors.
    prevalence_parental_mental_health: float = param(
        0.15, lo=0.0, hi=1.0, unit="share of families", source="assumption"
    )
    prevalence_substance_misuse: float = param(
        0.05, lo=0.0, hi=1.0, unit="share of families", source="assumption"
    )
    prevalence_domestic_abuse: float = param(
        0.08, lo=0.0, hi=1.0, unit="share of families", source="assumption"
    )
    #: Variance of the family's gamma frailty: siblings' needs correlate.
    family_frailty_variance: float = param(
        0.5, lo=0.0, unit="variance of gamma frailty (mean 1)", source="assumption"
    )
    #: Onset hazard multiplier within a year of a previous closure.
    relapse_multiplier: float = param(
        3.0, lo=0.0, unit="multiplier on onset hazard", source="assumption"
    )
    relapse_window_days: float = param(
        365.0, lo=0.0, unit="days after a closure", source="assumption"
    )
    #: Share of onsets already at Tier 3 and Tier 4.
    initial_tier3_share: float = param(
        0.20, lo=0.0, hi=1.0, unit="share of onsets", source="assumption"
    )
    initial_tier4_share: float = param(
        0.05, lo=0.0, hi=1.0, unit="share of onsets", source="assumption"
    )
    #: Probability that each outcome domain is touched (at least one always is).
    domain_probability: dict[str, float] = param(
        default_factory=lambda: {
            "be_healthy": 0.35,
            "stay_safe": 0.3,
            "enjoy_and_achieve": 0.5,
            "positive_contribution": 0.2,
            "economic_wellbeing": 0.2,
        },
        lo=0.0,
        hi=1.0,
        keys=DOMAINS,
        key_kind="an outcome domain",
        allowed=f"a mapping from each outcome domain ({', '.join(DOMAINS)}) to a number "
        "from 0 to 1",
        unit="probability per domain",
        source="assumption",
    )
    #: Weibull scale (years of unmet need) and shape of escalation from Tier 2 and Tier 3;
    #: shape > 1 makes the hazard grow with time unmet.
    escalation_scale_years: list[float] = param(
        default_factory=lambda: [4.0, 3.0],
        length=2,
        lo=0.0,
        lo_open=True,
        unit="years of unmet need, from Tier 2, Tier 3",
        source="assumption",
    )
    #: A Weibull shape must be positive.
    escalation_shape: float = param(
        1.5, lo=0.0, lo_open=True, unit="Weibull shape", source="assumption"
    )
    #: Escalation clock speed while supported, relative to unmet.
    escalation_supported_factor: float = param(
        0.3, lo=0.0, hi=1.0, unit="relative clock speed", source="assumption"
    )
    #: Spontaneous resolution rate per year at Tier 2, 3, 4.
    resolution_rate: list[float] = param(
        default_factory=lambda: [0.3, 0.15, 0.05],
        length=3,
        lo=0.0,
        unit="per year, Tier 2, 3, 4",
        source="assumption",
    )
    #: Resolution rate per year while supported at Tier 2, 3.
    supported_resolution_rate: list[float] = param(
        default_factory=lambda: [1.5, 0.9],
        length=2,
        lo=0.0,
        unit="per year while supported, Tier 2, 3",
        source="assumption",
    )


@dataclass
class IdentificationConfig:
    """Identification (docs/odd.md section 7.4)."""

    #: Identification multiplier by tier (2, 3, 4): severe needs are easier to see.
    tier_multiplier: list[float] = param(
        default_factory=lambda: [1.0, 2.0, 4.0],
        length=3,
        lo=0.0,
        unit="multiplier, Tier 2, 3, 4",
        source="assumption",
    )
    #: Families asking for help themselves, per year, times engagement.
    self_referral_rate: float = param(
        0.15, lo=0.0, unit="per year, times engagement", source="assumption"
    )
    #: Direct referrals to the social care front door per year (police, hospitals) at
    #: Tier 3 and Tier 4.
    front_door_rate: list[float] = param(
        default_factory=lambda: [1.5, 4.0],
        length=2,
        lo=0.0,
        unit="per year, Tier 3, Tier 4",
        source="assumption",
    )
    #: Probability that a Tier 3 need identified in a universal setting goes to the front
    #: door rather than to a CAF.
    tier3_referral_probability: float = param(
        0.5, lo=0.0, hi=1.0, unit="probability", source="assumption"
    )
    #: Hours an identification costs the practitioner.
    identification_hours: float = param(
        0.5, lo=0.0, unit="hours per identification", source="assumption"
    )


@dataclass
class AssessmentConfig:
    """Common Assessment Framework (docs/odd.md section 7.5)."""

    #: Whether a CAF precedes multi-agency support.
    required: bool = True
    #: Assessor hours for a new CAF (assumption; CAF completed within 15 days of request
    #: in local tracking procedures, [Local CAF guidance]).
    caf_hours: float = param(6.0, lo=0.0, unit="hours", source="assumption")
    #: Assessor hours when an earlier CAF is visible on the child index.
    caf_update_hours: float = param(2.0, lo=0.0, unit="hours", source="assumption")
    #: A shared child index (ContactPoint / local index) is in use ([DCSF 2008] para 4.36,
    #: case study 1).
    child_index: bool = True
    #: Without the index: for each further domain, the probability that another
    #: practitioner unaware of this CAF starts a duplicate.
    duplicate_probability: float = param(
        0.3, lo=0.0, hi=1.0, unit="probability per further domain", source="assumption"
    )
    #: Reluctance to share information: probability that an earlier CAF on the index is
    #: not shared with the assessor.
    sharing_reluctance: float = param(0.0, lo=0.0, hi=1.0, unit="probability", source="assumption")
    #: Assessments are rationed: a practitioner with more than this many hours of one-off
    #: work waiting does not start a new CAF (CAF was rationed by resources and agency
    #: priorities, [Gilligan & Manby 2008]; the threshold is an assumption).
    rationing_backlog_hours: float = param(
        15.0, lo=0.0, unit="hours of diary work", source="assumption"
    )
    #: Probability that the assessor meets the need alone, with no multi-agency request.
    single_agency_probability: float = param(
        0.25, lo=0.0, hi=1.0, unit="probability", source="assumption"
    )
    #: Days from identification to consent being sought.
    consent_days: float = param(3.0, lo=0.0, unit="days", source="assumption")


@dataclass
class SupportConfig:
    """Team Around the Child support (docs/odd.md section 7.9)."""

    #: Hours a week each TAC member gives a supported child.
    member_hours_per_week: float = param(
        1.5, lo=0.0, unit="hours a week per member", source="assumption"
    )
    #: Extra hours a week for the lead professional's coordination.
    lead_hours_per_week: float = param(1.0, lo=0.0, unit="hours a week", source="assumption")
    #: Hours of one TAC meeting or review for each attendee.
    meeting_hours: float = param(
        1.5, lo=0.0, unit="hours per attendee per meeting", source="assumption"
    )
    #: Days from TAC meeting to the start of support (assumption; first TAF meeting
    #: within about 3 weeks in local guidance, [Local CAF guidance]).
    support_start_days: float = param(7.0, lo=0.0, unit="days", source="assumption")
    #: Days between reviews (every 4-12 weeks in local guidance); reviews must be apart.
    review_interval_days: float = param(
        56.0, lo=0.0, lo_open=True, unit="days", source="[Local CAF guidance]"
    )
    #: Close as soon as the need resolves instead of at the next review.
    close_on_resolution: bool = False
    #: Family disengagement rate per year while in the pathway, times (1 - engagement).
    disengagement_rate: float = param(
        0.6, lo=0.0, unit="per year, times (1 - engagement)", source="assumption"
    )
    #: Probability that a family disengages when its lead professional changes.
    disengage_on_lead_change: float = param(
        0.1, lo=0.0, hi=1.0, unit="probability", source="assumption"
    )
    #: Overtime allowed above multi-agency hours, as a share.
    overtime_share: float = param(0.1, lo=0.0, hi=1.0, unit="share of hours", source="assumption")
    #: Mean family engagement propensity (Beta mean), and its reduction per risk factor:
    #: high-risk families are hardest to engage ([Community Care 2003]; the size of the
    #: reduction is an assumption).
    engagement_mean: float = param(
        0.8, lo=0.0, hi=1.0, unit="Beta mean (concentration 4)", source="assumption"
    )
    engagement_risk_penalty: float = param(
        0.1, lo=0.0, hi=1.0, unit="reduction of the mean per risk factor", source="assumption"
    )


@dataclass
class SpecialistConfig:
    """A capacity-limited specialist service (docs/odd.md section 7.10)."""

    #: Maximum cases per FTE (assumption; average caseload per case-holding social worker
    #: was 15.4-17.8 in 2017-2024, [DfE workforce 2024]).
    max_caseload_per_fte: float = param(20.0, lo=0.0, unit="cases per FTE", source="assumption")
    #: Days to screen a referral before allocation for assessment.
    screening_days: float = param(1.0, lo=0.0, unit="days", source="assumption")
    #: Mean days of an assessment once allocated.
    assessment_mean_days: float = param(
        25.0, lo=0.0, unit="days (mean of exponential)", source="assumption"
    )
    #: Share of assessments ending in no further action (27.8% in 2016-17).
    no_further_action_share: float = param(
        0.278, lo=0.0, hi=1.0, unit="share of assessments", source="[DfE CIN 2017]"
    )
    #: Share of referrals rejected at the threshold (CAMHS: 26% in 2018-19, [EPI 2020]).
    rejection_share: float = param(
        0.0, lo=0.0, hi=1.0, unit="share of referrals", source="assumption"
    )
    #: Mean days a case is held after assessment.
    case_mean_days: float = param(
        240.0, lo=0.0, unit="days (mean of exponential)", source="assumption"
    )
    #: Probability of step-down to early help at closure.
    step_down_probability: float = param(
        0.4, lo=0.0, hi=1.0, unit="probability", source="assumption"
    )
    #: Hours a week per held case.
    hours_per_case_week: float = param(
        1.8, lo=0.0, unit="hours a week per case", source="assumption"
    )


@dataclass
class WorkforceConfig:
    """Workforce dynamics (docs/odd.md section 7.12)."""

    #: Annual turnover of permanent staff (social workers: 15-16% in 2016-2023, DfE
    #: workforce census; used for every profession as an assumption).
    turnover_rate: float = param(0.15, lo=0.0, unit="per year", source="[DfE workforce 2024]")
    #: Turnover multiplier per unit of sustained overload above full load.
    overload_turnover_factor: float = param(
        2.0, lo=0.0, unit="multiplier per unit of load above 1", source="assumption"
    )
    #: Weeks over which load is averaged for overload (at least one week).
    overload_window_weeks: float = param(13.0, lo=1.0, unit="weeks", source="assumption")
    #: Mean days a vacant post stays vacant before a permanent appointment.
    recruitment_lag_days: float = param(150.0, lo=0.0, unit="days (mean)", source="assumption")
    #: Probability that a vacancy is covered by agency staff, and the days that takes.
    agency_cover_probability: float = param(
        0.5, lo=0.0, hi=1.0, unit="probability", source="assumption"
    )
    agency_lag_days: float = param(21.0, lo=0.0, unit="days (mean)", source="assumption")
    #: Annual turnover of agency staff.
    agency_turnover_rate: float = param(0.5, lo=0.0, unit="per year", source="assumption")
    #: Share of working time lost to sickness absence (about 3%).
    sickness_rate: float = param(
        0.03, lo=0.0, hi=1.0, unit="share of weeks", source="[DfE workforce 2024]"
    )
    #: Share of universal staff trained each year, and the skill gain.
    training_rate: float = param(0.1, lo=0.0, hi=1.0, unit="per year", source="assumption")
    training_gain: float = param(0.15, lo=0.0, hi=1.0, unit="skill", source="assumption")
    #: Identification skill of a new starter, relative to the profession's initial skill.
    new_starter_skill_factor: float = param(
        0.8, lo=0.0, hi=1.0, unit="times initial_skill", source="assumption"
    )
    # --- Scheduled vacancy rate (experiment vacancy_shock; empty lists = no schedule).
    #: Professions whose establishment posts follow the schedule.
    vacancy_schedule_professions: list[str] = param(default_factory=list)
    #: Schedule points: years after the warm-up, and the share of those posts vacant
    #: (no permanent or agency holder) at each, linear in between. Within the schedule's
    #: span, holders leave or are appointed each week to keep to it; outside it, turnover
    #: and recruitment alone set vacancies. (Social worker vacancies of 10.9% in 2009
    #: [SW workforce 2009], and 35% in Barnet before a recruitment drive, [DCSF 2008]
    #: chapter 2.)
    vacancy_schedule_years: list[float] = param(
        default_factory=list, lo=0.0, unit="years after the warm-up"
    )
    vacancy_schedule_rates: list[float] = param(
        default_factory=list, lo=0.0, hi=1.0, unit="share of posts vacant"
    )
    #: Hourly cost of agency cover over a permanent post holder's (agency staff cost the
    #: authority more than employees, for the agency's margin).
    agency_cost_factor: float = param(
        1.5, lo=1.0, hi=10.0, unit="multiplier on hourly cost", source="assumption"
    )


@dataclass
class DemographyConfig:
    """Demography (docs/odd.md section 7.1)."""

    #: Families moving out of the area per year; moving families are replaced by
    #: families moving in, keeping the population at its preset size.
    move_rate: float = param(0.05, lo=0.0, unit="families per year", source="assumption")
    #: Children age (and leave at 18). Switched off only by verification experiments,
    #: where the population must stay the same.
    ageing: bool = True


@dataclass
class CompareConfig:
    """Comparison of team models under common random numbers."""

    #: Team models compared; by default every one in ``sim.team_models.REGISTRY``.
    team_models: list[str] = param(
        default_factory=team_model_names,
        choices=team_model_names,
        allowed="a non-empty list of different team models",
    )
    baseline: str = param(
        "tac_only", allowed="one of the team models listed in compare.team_models"
    )


@dataclass
class MMCConfig:
    """Verification against an M/M/c queue (docs/validation.md)."""

    enabled: bool = False
    #: Largest ``servers`` allowed. Assumption: the check is of a queue with a handful of
    #: servers (the experiment uses 5); every server is a post of the model.
    MAX_SERVERS = 1000
    servers: int = param(1, lo=1, hi=MAX_SERVERS, whole=True, unit="servers c")
    #: Utilisation of a stable queue: strictly between 0 and 1.
    utilisation: float = param(
        0.8, lo=0.0, hi=1.0, lo_open=True, hi_open=True, unit="rho = lambda / (c mu)"
    )
    #: Mean service time 1/mu, above 0.
    mean_service_days: float = param(30.0, lo=0.0, lo_open=True, unit="days")


@dataclass
class TestingConfig:
    """Hooks for tests and verification experiments, kept apart from model parameters.

    Each takes a random or modelled process out of a run so that its outcome can be
    worked out by hand (tests/test_deterministic.py) or checked against queueing theory
    (the ``mmc`` experiment); every one is off by default.
    """

    __test__ = False  # not a test class, though its name starts with "Test"

    #: Every child's first need episode begins on this simulation day, besides any onsets
    #: drawn from the hazard (set ``need.onset_rate_by_age`` to zeros for a scenario with
    #: no randomness); it must fall in the observation period. None: off.
    fixed_onset_day: Optional[float] = param(None, lo=0.0, unit="simulation day")
    #: Every child's age in years at the start of the run (the start of the warm-up),
    #: instead of a drawn age. None: drawn.
    fixed_age_years: Optional[float] = param(
        None, lo=0.0, hi=MAX_AGE + 1, hi_open=True, unit="years of age"
    )
    #: Identify every need at onset (route ``immediate``), skipping the identification
    #: hazard.
    immediate_identification: bool = False


@dataclass
class Config:
    """The whole configuration of a run. Hydra's groups fill ``area`` and ``team_model``."""

    area: AreaConfig = field(default_factory=AreaConfig)
    team_model: TeamModelConfig = field(default_factory=TeamModelConfig)
    #: Name of the experiment (output folders are grouped by it).
    experiment_name: str = param(
        "single",
        allowed="a non-empty name of letters, digits, '_', '-' or '.' (it names the output folder)",
    )
    #: "single" runs the chosen team model; "compare" runs each of compare.team_models.
    mode: Mode = Mode.single
    seed: int = param(20080, lo=0, whole=True, unit="integer")
    #: Largest ``replicates`` allowed. Assumption: 3-5 replicates give the main metrics a
    #: 5% half-width and 15 the narrowest intervals in use (docs/validation.md, section
    #: 5); 1,000 is far beyond any precision the model's assumptions support, and each
    #: replicate costs a whole run.
    MAX_REPLICATES = 1000
    replicates: int = param(1, lo=1, hi=MAX_REPLICATES, whole=True, unit="count")
    #: Largest ``years``, ``warmup_years`` and ``followup_years`` allowed, each.
    #: Assumption: the main job observes 3 years after an 8-year warm-up (the longest
    #: warm-up found is 7.7 years, docs/validation.md, section 5) and policy questions look
    #: a decade ahead; a century is generous, and stops a slip such as years=1e9, which
    #: would run until killed.
    MAX_YEARS = 100.0
    #: Simulated years observed after the warm-up.
    years: float = param(5.0, lo=0.0, lo_open=True, hi=MAX_YEARS, unit="years observed")
    #: Years simulated and discarded before observation (docs/odd.md, initialisation).
    warmup_years: float = param(
        3.0, lo=0.0, hi=MAX_YEARS, unit="years discarded", source="assumption"
    )
    #: Years simulated after the observation window only to follow the window's needs to
    #: their later milestones, so that waits are not cut short at its end (delay metrics
    #: only; every other metric is the window's). 0 = stop when the window closes.
    followup_years: float = param(0.0, lo=0.0, hi=MAX_YEARS, unit="years")
    #: Show progress bars on stderr.
    progress: bool = True
    #: Largest ``workers`` allowed. More workers than CPUs is allowed (they share the
    #: CPUs), but each worker is a process holding a whole model. Assumption: the largest
    #: two-socket servers have under 1,024 logical CPUs, so 10,000 is a slip.
    MAX_WORKERS = 1024
    #: Workers for replicates and comparisons (1 = serial).
    workers: int = param(1, lo=1, hi=MAX_WORKERS, whole=True, unit="worker processes")
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
    professions: dict[str, ProfessionConfig] = param(
        default_factory=default_professions,
        keys=PROFESSIONS,
        key_kind="a known profession",
        allowed=f"a mapping from known profession names ({', '.join(PROFESSIONS)}) to their "
        "settings",
    )
    domain_professions: dict[str, list[str]] = param(
        default_factory=default_domain_professions,
        keys=DOMAINS,
        key_kind="an outcome domain",
        allowed=f"a mapping from each outcome domain ({', '.join(DOMAINS)}) to a list of "
        "professions",
        allowed_each="a list of entries profession or profession:min-max naming known "
        f"professions, with ages from 0 to {MAX_AGE}",
    )
    compare: CompareConfig = field(default_factory=CompareConfig)
    mmc: MMCConfig = field(default_factory=MMCConfig)
    testing: TestingConfig = field(default_factory=TestingConfig)
    #: Free-form note stored with the outputs.
    note: Optional[str] = None
