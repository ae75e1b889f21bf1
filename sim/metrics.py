"""The registry of output metrics: each metric's name, definition, unit and display label.

Every metric a run or a calibration writes is registered here once, under the name it
has in ``summary.json``, ``comparison.csv``, sweep tables (nested names joined with dots)
or the calibration's reports. The registry describes; it does not compute: the values
come from :func:`sim.summary.replicate_summary`, :func:`sim.runner.mmc_summary` and
:func:`sim.calibrate.calibration_metrics`. Reports, plots, the dashboard, the notebook
helpers, the sweep analyses, the Morris screening and the calibration take their labels,
units and display scales from here, so that one name always means one quantity and is
shown the same way everywhere. ``docs/metrics.md`` defines every metric at length, with
the same unit (``tests/test_metrics.py`` checks both directions).

Families of metrics are registered once by a template name with a placeholder, exactly
as ``docs/metrics.md`` writes them: ``delay_days.<stage>.median`` (one of :data:`STAGES`),
``utilisation.<profession>`` (any profession), ``closure_share.<reason>`` (one of
:data:`sim.params.CLOSURE_REASONS`). A concrete name such as
``delay_days.onset_to_support.median`` resolves to its template; its label names the
stage, profession or reason.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from sim.params import CLOSURE_REASONS

__all__ = [
    "CALIBRATION",
    "PLACEHOLDERS",
    "PROFESSION_LABELS",
    "REASON_LABELS",
    "REGISTRY",
    "STAGES",
    "STAGE_LABELS",
    "SUMMARY",
    "Metric",
    "axis_label",
    "definition",
    "difference_unit",
    "display_unit",
    "get",
    "is_registered",
    "label",
    "names",
    "part_label",
    "parts",
    "roots",
    "scale",
    "unit",
]

#: Where a metric is written: ``summary.json`` (and ``comparison.csv``, sweep tables).
SUMMARY = "summary"
#: Where a metric is written: the calibration's ``fit_report.csv``, ``patterns.csv`` and
#: ``trials.csv`` (:func:`sim.calibrate.calibration_metrics`).
CALIBRATION = "calibration"


@dataclass(frozen=True)
class Metric:
    """One output metric (or one family of them, by a template name).

    Attributes
    ----------
    name : str
        The key in ``summary.json`` (nested keys joined with dots) or in the
        calibration's reports; a family has a placeholder, e.g. ``utilisation.<profession>``.
    definition : str
        What the number is, in one sentence (``docs/metrics.md`` gives the full rule).
    unit : str
        Unit of the value as written, the same words as in ``docs/metrics.md``.
    label : str
        Short name for plots and tables, without the unit; a family's label names the
        family, and :func:`label` adds the stage, profession or reason.
    scale : float
        Factor from the written value to the value displayed (100 for a share shown as %).
    display_unit : str
        Unit of the displayed value (empty: the same as ``unit``).
    outputs : tuple of str
        Where the metric is written: :data:`SUMMARY`, :data:`CALIBRATION` or both.
    same_as : str
        For a metric written under a second name: the registered name of the same
        quantity (empty otherwise).
    """

    name: str
    definition: str
    unit: str
    label: str
    scale: float = 1.0
    display_unit: str = ""
    outputs: tuple[str, ...] = (SUMMARY,)
    same_as: str = ""

    @property
    def shown_unit(self) -> str:
        """Unit of the displayed value (``display_unit``, else ``unit``)."""
        return self.display_unit or self.unit


# ------------------------------------------------------------------ parts of names
#: Stages of ``delay_days`` (the stage names of :data:`sim.summary.STAGES`, in order)
#: and their labels: from milestone → to milestone.
STAGE_LABELS: dict[str, str] = {
    "onset_to_identification": "Need emerges → identified",
    "identification_to_assessment": "Identified → CAF complete",
    "assessment_to_tac_meeting": "CAF complete → TAC meeting",
    "tac_meeting_to_support": "TAC meeting → support starts",
    "onset_to_support": "Need emerges → support starts",
    "request_to_allocation": "Support requested → members allocated",
}
#: The stage names, in pathway order.
STAGES: tuple[str, ...] = tuple(STAGE_LABELS)
#: Plain names of professions (``sim.params.default_professions``).
PROFESSION_LABELS: dict[str, str] = {
    "teacher": "Teachers",
    "pastoral": "School pastoral staff",
    "early_years": "Early years practitioners",
    "health_visitor": "Health visitors",
    "school_nurse": "School nurses",
    "gp": "GPs",
    "police": "Police",
    "social_worker": "Social workers",
    "family_support": "Family support workers",
    "ed_psych": "Educational psychologists",
    "camhs_worker": "CAMHS practitioners",
    "ewo": "Education welfare officers",
    "youth_worker": "Youth workers",
    "substance_misuse": "Substance misuse workers",
    "coordinator": "Coordinators",
}
#: Plain names of closure reasons (:data:`sim.params.CLOSURE_REASONS`).
REASON_LABELS: dict[str, str] = {
    "needs_met": "Needs met",
    "disengaged": "Family disengaged",
    "moved_away": "Moved away",
    "stepped_up": "Stepped up to social care",
    "aged_out": "Aged out",
}
#: Values a placeholder may take (None: any lower-case name, e.g. a profession).
PLACEHOLDERS: dict[str, tuple[str, ...] | None] = {
    "stage": STAGES,
    "profession": None,
    "reason": CLOSURE_REASONS,
}
_PART_LABELS: dict[str, dict[str, str]] = {
    "stage": STAGE_LABELS,
    "profession": PROFESSION_LABELS,
    "reason": REASON_LABELS,
}


# ------------------------------------------------------------------ the registry
def _delay(stat: str, what: str, label_: str, unit_: str = "days") -> Metric:
    return Metric(
        f"delay_days.<stage>.{stat}",
        f"{what} over the episodes that reached both of the stage's milestones before the "
        "run (or its follow-up) ended (completers only: episodes still waiting or closed "
        "first are left out; time_to_support counts them): needs that emerged in the "
        "observation period for the stages that start at onset, every episode for the "
        "others.",
        unit_,
        f"{label_} (completers only)",
    )


_COHORT = (
    "fresh needs identified in the observation period and not referred straight to "
    "social care, as they stand at the end of the run"
)


def _within(days: int) -> Metric:
    return Metric(
        f"time_to_support.supported_within_{days}d",
        f"Share of the {_COHORT} whose support started within {days} days of "
        "identification (Aalen-Johansen cumulative incidence: closure before support is "
        "a competing event, a need still waiting at the end is censored).",
        "share of identified needs",
        f"Supported within {days} days of identification",
        100.0,
        "%",
    )


_PERIOD_SUMS = "summed over all observed weeks"
_SC_ASSESSED = (
    "working days from a referral to children's social care to the end of its "
    "assessment, over the assessed referrals of the observation period's episodes"
)

_METRICS: tuple[Metric, ...] = (
    # ---------------------------------------------------------- summary.json
    Metric(
        "early_identification_rate",
        "Share of the needs that emerged at Tier 2 in the observation period (step-downs "
        "excluded) that were identified before they reached Tier 3; needs still open or "
        "resolved unidentified count as not identified early.",
        "share of Tier 2 needs",
        "Needs identified before escalating",
        100.0,
        "%",
    ),
    Metric(
        "identification_rate",
        "Share of the needs that emerged in the observation period (step-downs excluded, "
        "every onset tier) that were identified.",
        "share of needs",
        "Needs identified at all",
        100.0,
        "%",
    ),
    _delay(
        "mean", "Mean of the days from the stage's first milestone to its second,", "Mean delay"
    ),
    _delay(
        "median",
        "Median of the days from the stage's first milestone to its second,",
        "Median delay",
    ),
    _delay(
        "p90",
        "90th percentile (linear interpolation) of the days from the stage's first "
        "milestone to its second,",
        "90th percentile delay",
    ),
    _delay(
        "n",
        "Number of episodes whose delay in the stage was measured,",
        "Delays measured",
        "episodes",
    ),
    Metric(
        "utilisation.<profession>",
        "Hours the profession worked on multi-agency and specialist tasks over its "
        f"multi-agency hours available, {_PERIOD_SUMS}; null when it had none.",
        "share of multi-agency hours",
        "Multi-agency hours in use",
        100.0,
        "% of available",
    ),
    Metric(
        "caseload_per_fte.<profession>",
        f"Open case commitments of the profession over its filled FTE, {_PERIOD_SUMS} "
        "(time-averaged cases per filled FTE).",
        "cases per FTE",
        "Cases per filled FTE",
    ),
    Metric(
        "vacancy_rate.<profession>",
        f"Vacant FTE of the profession over all its FTE, {_PERIOD_SUMS}.",
        "share of FTE",
        "Vacant FTE",
        100.0,
        "% of FTE",
    ),
    Metric(
        "turnover_rate.<profession>",
        "Posts of the profession whose holder left (permanent or agency staff) a year, "
        "over the profession's mean FTE.",
        "leavers per FTE a year",
        "Turnover",
        100.0,
        "% of FTE a year",
    ),
    Metric(
        "caseload_per_social_worker",
        f"Cases held by case-holding social care posts over their filled FTE, {_PERIOD_SUMS}.",
        "cases per filled FTE",
        "Cases per case-holding social worker",
        outputs=(SUMMARY, CALIBRATION),
    ),
    Metric(
        "referrals_per_10k",
        "Episodes that began in the observation period (step-downs included) and were "
        "referred to children's social care, per 10,000 children a year: a cohort count, "
        "in which referrals of needs that began in the warm-up are not counted.",
        "referrals per 10,000 children a year",
        "Referrals to social care",
    ),
    Metric(
        "sc_assessment_timeliness",
        "Share of the social care assessments of the observation period's episodes that "
        "ended within the era's target of working days from referral (45 modern, 35 in 2008).",
        "share of assessed referrals",
        "Social care assessments within the target",
        100.0,
        "%",
        outputs=(SUMMARY, CALIBRATION),
    ),
    Metric(
        "sc_assessment_working_days_median",
        f"Median of the {_SC_ASSESSED}.",
        "working days",
        "Social care assessment, median",
        outputs=(SUMMARY, CALIBRATION),
    ),
    Metric(
        "camhs_referrals_per_10k",
        "Episodes that began in the observation period and were referred to CAMHS "
        "(rejected referrals included), per 10,000 children a year.",
        "referrals per 10,000 children a year",
        "Referrals to CAMHS",
    ),
    Metric(
        "re_referral_rate",
        "Share of the identified episodes of the observation period that were "
        "re-referrals (identified within 365 days of the child's previous involvement "
        "with services ending).",
        "share of identified episodes",
        "Re-referrals",
        100.0,
        "%",
        outputs=(SUMMARY, CALIBRATION),
    ),
    Metric(
        "escalation_rate",
        "Share of the needs that emerged below Tier 4 in the observation period "
        "(step-downs excluded) whose tier rose while they were outside social care.",
        "share of needs",
        "Needs that escalated to a higher tier",
        100.0,
        "%",
    ),
    Metric(
        "closure_share.<reason>",
        "Share of the observation period's closed episodes that closed for this reason "
        "(only reasons that occurred are written).",
        "share of closed episodes",
        "Closures",
        100.0,
        "%",
    ),
    Metric(
        "unmet_demand_hours",
        "Hours of committed support and casework not delivered, plus one-off hours booked "
        "beyond the week's multi-agency capacity, over all professions, a year.",
        "hours a year",
        "Unmet demand",
        1e-3,
        "thousand hours a year",
    ),
    _within(30),
    _within(90),
    _within(180),
    Metric(
        "time_to_support.median_days",
        f"Median days from identification to support of the {_COHORT} (Kaplan-Meier, "
        "closure before support censored: the median wait of a need not closed first); "
        "null when under half are supported by the end.",
        "days",
        "Median wait, identification → support (survival curve)",
    ),
    Metric(
        "time_to_support.n",
        f"Number of {_COHORT}.",
        "episodes",
        "Identified needs followed to support",
    ),
    Metric(
        "time_to_support.share_supported",
        f"Share of the {_COHORT} whose support started by the end of the run.",
        "share of identified needs",
        "Supported by the end",
        100.0,
        "%",
    ),
    Metric(
        "time_to_support.share_closed_first",
        f"Share of the {_COHORT} closed (needs met, disengaged, stepped up, left) before "
        "any support started.",
        "share of identified needs",
        "Closed before support",
        100.0,
        "%",
    ),
    Metric(
        "time_to_support.share_still_waiting",
        f"Share of the {_COHORT} neither supported nor closed by the end of the run.",
        "share of identified needs",
        "Still waiting at the end",
        100.0,
        "%",
    ),
    Metric(
        "children_supported_per_year",
        "Episodes of the observation period whose TAC support started by the time it "
        "closed, a year.",
        "children a year",
        "Children supported",
    ),
    Metric(
        "staff_cost",
        "Cost a year of the multi-agency share of every post (its hours times its share "
        "offered to multi-agency work, whether used or not; structure and specialist "
        "posts whole): permanent holders at their profession's hourly cost, agency cover "
        "at workforce.agency_cost_factor times it, vacant posts not costed.",
        "£ a year",
        "Staff cost (whole posts)",
        1e-3,
        "£ thousand a year",
    ),
    Metric(
        "agency_cost",
        "The part of staff_cost paid for agency cover, a year.",
        "£ a year",
        "Agency cover cost",
        1e-3,
        "£ thousand a year",
    ),
    Metric(
        "vacancy_saving",
        "Cost a year the vacant posts' multi-agency share would have had at their "
        "profession's hourly cost (not in staff_cost).",
        "£ a year",
        "Saving on vacant posts",
        1e-3,
        "£ thousand a year",
    ),
    Metric(
        "worked_hours_cost",
        "Cost a year of only the hours worked on multi-agency and specialist tasks, at "
        "each profession's hourly cost (home duties excluded).",
        "£ a year",
        "Cost of hours worked",
        1e-3,
        "£ thousand a year",
    ),
    Metric(
        "cost_per_child_supported",
        "staff_cost over children_supported_per_year.",
        "£ per child supported",
        "Staff cost per child supported",
        1e-3,
        "£ thousand per child supported",
    ),
    Metric(
        "prevalence_open_needs",
        "Mean over the observed weeks of the share of children with an open episode "
        "(hidden, in early help or in social care).",
        "share of children",
        "Children with an open need",
        100.0,
        "%",
        outputs=(SUMMARY, CALIBRATION),
    ),
    Metric(
        "episodes",
        "Number of episodes that began in the observation period, step-downs included "
        "(not per year).",
        "episodes",
        "Episodes",
    ),
    # ---------------------------------------------------------- summary.json, mmc block
    Metric(
        "mmc.servers",
        "Servers (c) of the M/M/c verification, as configured (mmc.servers).",
        "servers",
        "M/M/c servers",
    ),
    Metric(
        "mmc.utilisation",
        "Server utilisation (rho) of the M/M/c verification, as configured (mmc.utilisation).",
        "share of server time",
        "M/M/c configured utilisation",
        100.0,
        "%",
    ),
    Metric(
        "mmc.mean_service_days",
        "Mean service time (1/mu) of the M/M/c verification, as configured "
        "(mmc.mean_service_days).",
        "days",
        "M/M/c mean service time",
    ),
    Metric(
        "mmc.mean_wait_days",
        "Mean and 95% interval over replicates of each replicate's "
        "delay_days.request_to_allocation.mean.",
        "days",
        "Simulated mean wait for a server",
    ),
    Metric(
        "mmc.customers",
        "Requests whose wait for a server was measured, summed over replicates.",
        "requests",
        "Requests measured",
    ),
    Metric(
        "mmc.erlang_c_mean_wait_days",
        "Exact M/M/c mean wait in queue (Erlang C) for the configured servers, "
        "utilisation and mean service time.",
        "days",
        "Erlang C mean wait",
    ),
    # ---------------------------------------------------------- calibration reports
    Metric(
        "referrals_per_10k_received_in_period",
        "Every referral children's social care received during the observation period, "
        "whenever the need began (the DfE Children in Need definition), per 10,000 "
        "children a year.",
        "referrals per 10,000 children a year",
        "Referrals received by social care in the period",
        outputs=(CALIBRATION,),
    ),
    Metric(
        "referrals_per_10k_onset_in_period",
        "summary.json's referrals_per_10k under the calibration's name: referrals of the "
        "episodes that began in the observation period, per 10,000 children a year.",
        "referrals per 10,000 children a year",
        "Referrals of needs that began in the period",
        outputs=(CALIBRATION,),
        same_as="referrals_per_10k",
    ),
    Metric(
        "sw_vacancy_rate",
        "Social worker FTE without a permanent holder (vacant or covered by agency "
        f"staff) over all social worker FTE, {_PERIOD_SUMS} (the DfE census definition).",
        "share of FTE",
        "Social worker posts without a permanent holder",
        100.0,
        "% of FTE",
        outputs=(CALIBRATION,),
    ),
    Metric(
        "sw_turnover_rate",
        "summary.json's turnover_rate.social_worker under the calibration's name: social "
        "worker leavers a year (agency staff included) over the mean social worker FTE.",
        "leavers per FTE a year",
        "Social worker turnover",
        100.0,
        "% of FTE a year",
        outputs=(CALIBRATION,),
        same_as="turnover_rate.social_worker",
    ),
    Metric(
        "sw_agency_share",
        f"Social worker FTE held by agency staff over all social worker FTE, {_PERIOD_SUMS}.",
        "share of FTE",
        "Social worker FTE held by agency staff",
        100.0,
        "% of FTE",
        outputs=(CALIBRATION,),
    ),
    *(
        Metric(
            f"sc_assessment_working_days_{q}",
            f"{text} of the {_SC_ASSESSED}.",
            "working days",
            f"Social care assessment, {short}",
            outputs=(CALIBRATION,),
        )
        for q, text, short in (
            ("p10", "10th percentile (linear interpolation)", "10th percentile"),
            ("p25", "25th percentile (linear interpolation)", "25th percentile"),
            ("p75", "75th percentile (linear interpolation)", "75th percentile"),
            ("p90", "90th percentile (linear interpolation)", "90th percentile"),
        )
    ),
)

#: Every registered metric by its name (a family by its template name).
REGISTRY: dict[str, Metric] = {m.name: m for m in _METRICS}
if len(REGISTRY) != len(_METRICS):  # pragma: no cover - a programming error
    raise RuntimeError("sim/metrics.py registers a metric name twice")

_PLACEHOLDER = re.compile(r"<(\w+)>")


def _pattern(template: str) -> re.Pattern[str]:
    """A regular expression that matches the concrete names of a template name."""
    out, pos = [], 0
    for m in _PLACEHOLDER.finditer(template):
        values = PLACEHOLDERS[m.group(1)]
        alt = "|".join(re.escape(v) for v in values) if values else r"[a-z][a-z0-9_]*"
        out += [re.escape(template[pos : m.start()]), f"(?P<{m.group(1)}>{alt})"]
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out) + r"\Z")


_TEMPLATES: tuple[tuple[re.Pattern[str], Metric], ...] = tuple(
    (_pattern(m.name), m) for m in _METRICS if _PLACEHOLDER.search(m.name)
)


# ------------------------------------------------------------------ look-ups
def _resolve(name: str) -> tuple[Metric, dict[str, str]]:
    if name in REGISTRY:
        return REGISTRY[name], {}
    found = [(m, p.match(name)) for p, m in _TEMPLATES]
    hits = [(m, match.groupdict()) for m, match in found if match]
    if len(hits) != 1:
        raise KeyError(
            f"{name} is not a registered metric: register it in sim/metrics.py and define "
            "it in docs/metrics.md"
        )
    return hits[0]


def get(name: str) -> Metric:
    """The registered metric of ``name`` (a family's template for a concrete name).

    Parameters
    ----------
    name : str
        A flat metric name, e.g. ``early_identification_rate``,
        ``delay_days.onset_to_support.median`` or ``utilisation.<profession>``.

    Returns
    -------
    Metric

    Raises
    ------
    KeyError
        If the name is not registered.
    """
    return _resolve(name)[0]


def is_registered(name: str) -> bool:
    """Whether ``name`` is a registered metric or a concrete member of a family.

    Parameters
    ----------
    name : str
        A flat metric name.

    Returns
    -------
    bool
    """
    try:
        _resolve(name)
    except KeyError:
        return False
    return True


def parts(name: str) -> dict[str, str]:
    """The placeholders a concrete name fills, e.g. ``{"stage": "onset_to_support"}``.

    Parameters
    ----------
    name : str
        A flat metric name (empty for a metric without placeholders or a template).

    Returns
    -------
    dict of str to str
    """
    return dict(_resolve(name)[1])


def _inline(text: str) -> str:
    """``text`` as it reads after a colon: first letter lower case unless an acronym."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def part_label(placeholder: str, value: str) -> str:
    """Plain name of a stage, profession or closure reason.

    Parameters
    ----------
    placeholder : str
        ``stage``, ``profession`` or ``reason``.
    value : str
        Its value in a metric name, e.g. ``social_worker``.

    Returns
    -------
    str
        The registered label, else the value with spaces for underscores.
    """
    return _PART_LABELS.get(placeholder, {}).get(value) or value.replace("_", " ").capitalize()


def label(name: str) -> str:
    """Short display name of a metric, without its unit.

    A concrete member of a family adds its stage, profession or reason to the family's
    label: ``delay_days.onset_to_support.median`` reads "Median delay (completers only):
    need emerges → support starts".

    Parameters
    ----------
    name : str
        A registered flat metric name or template name.

    Returns
    -------
    str
    """
    metric, filled = _resolve(name)
    if not filled:
        return metric.label
    return f"{metric.label}: " + ", ".join(_inline(part_label(k, v)) for k, v in filled.items())


def unit(name: str) -> str:
    """Unit of the metric's value as written (as in ``docs/metrics.md``).

    Parameters
    ----------
    name : str
        A registered flat metric name or template name.

    Returns
    -------
    str
    """
    return get(name).unit


def definition(name: str) -> str:
    """The metric's definition in one sentence.

    Parameters
    ----------
    name : str
        A registered flat metric name or template name.

    Returns
    -------
    str
    """
    return get(name).definition


def scale(name: str) -> float:
    """Factor from the written value to the displayed one (100 for a share shown as %).

    Parameters
    ----------
    name : str
        A registered flat metric name or template name.

    Returns
    -------
    float
    """
    return get(name).scale


def display_unit(name: str) -> str:
    """Unit of the displayed value (the value times :func:`scale`).

    Parameters
    ----------
    name : str
        A registered flat metric name or template name.

    Returns
    -------
    str
    """
    return get(name).shown_unit


def difference_unit(name: str) -> str:
    """Unit of a displayed difference: percentage points for a share shown in per cent.

    Parameters
    ----------
    name : str
        A registered flat metric name or template name.

    Returns
    -------
    str
    """
    shown = display_unit(name)
    return "percentage points" if shown.startswith("%") else shown


def axis_label(name: str, scaled: bool = True, width: int | None = None) -> str:
    """Label with unit for an axis or a table heading, e.g. "Staff cost (£ thousand a year)".

    Parameters
    ----------
    name : str
        A registered flat metric name or template name.
    scaled : bool
        Give the unit of the displayed value (the value times :func:`scale`); False gives
        the unit of the value as written.
    width : int, optional
        Wrap the label onto lines of at most this many characters.

    Returns
    -------
    str
    """
    text = f"{label(name)} ({display_unit(name) if scaled else unit(name)})"
    return textwrap.fill(text, width, break_long_words=False) if width else text


def names(output: str | None = None) -> tuple[str, ...]:
    """Registered names (templates for families), in registry order.

    Parameters
    ----------
    output : str, optional
        Only the metrics written to :data:`SUMMARY` or :data:`CALIBRATION`.

    Returns
    -------
    tuple of str
    """
    return tuple(m.name for m in _METRICS if output is None or output in m.outputs)


def roots(output: str | None = None) -> tuple[str, ...]:
    """First components of the registered names (``delay_days``, ``mmc``, ...), in order.

    Parameters
    ----------
    output : str, optional
        Only the metrics written to :data:`SUMMARY` or :data:`CALIBRATION`.

    Returns
    -------
    tuple of str
    """
    return tuple(dict.fromkeys(n.split(".", 1)[0] for n in names(output)))
