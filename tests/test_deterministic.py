"""A hand-worked scenario: one child, one family support worker, fixed delays.

Evidence given: with every random process that can be switched off switched off, the
pathway of a single child's need follows, to the minute, the delays worked out by hand
from the parameters and the code for each team model (consent delay, CAF hours at the
worker's diary rate, coordination hours at the receiver's diary rate, the allocation
meeting cycle, convening or join delay, support start delay, review cycle), and the
practitioner hours booked add up to the hand-worked totals.

The first test leaves the onset day within the first week and the child's age drawn,
and works the expected milestones out *from the observed onset day*, for seeds whose
child is young enough not to turn 18 within the year (checked as a precondition). The
second fixes both with the testing hooks ``testing.fixed_onset_day`` and
``testing.fixed_age_years``, so its docstring states every milestone day as a number.
Consent is certain: ``support.engagement_mean = 1`` with no risk penalty gives every
family engagement 1.

Set-up (area of 1 child, 1 locality, 0 warm-up years, 1 observed year):

- onset hazard 1000 a year in every age band, no family risk factors or frailty, every
  outcome domain touched, Tier 2, no escalation (Weibull scale 1e9 years), no resolution,
  no disengagement, no moves: exactly one episode, starting in the first week;
- ``testing.immediate_identification``: identified on the onset day; consent after
  ``assessment.consent_days``; the CAF (6 h) is done by the one family support worker;
- every domain needs family support only, so the TAC is the assessor alone (one
  attendee), who also leads; no single-agency path, no panel, no missed reviews;
- establishment_scale.family_support = 1250: exactly one full-time family support post
  (8 per 10,000 x 1250 x 1 child); no vacancies, sickness, turnover, training, or
  home-demand noise. Its weekly multi-agency capacity is ``37 x ma_share x 1.1`` hours
  (home duties ``37 x (1 - ma_share)`` leave room for it), worked at a constant rate over
  the week while nothing is committed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import TEAM_MODELS, make_cfg

from sim.model import ChildrensServicesModel
from sim.params import DOMAINS
from sim.population import DAYS_PER_YEAR
from sim.team_models.base import next_meeting

SCENARIO: tuple[str, ...] = (
    "area.children=1",
    "area.localities=1",
    "years=1",
    "warmup_years=0",
    "area.deprivation_share=0",
    "need.prevalence_parental_mental_health=0",
    "need.prevalence_substance_misuse=0",
    "need.prevalence_domestic_abuse=0",
    "need.family_frailty_variance=0",
    "need.onset_rate_by_age=[1000,1000,1000]",
    "need.initial_tier3_share=0",
    "need.initial_tier4_share=0",
    "need.escalation_scale_years=[1e9,1e9]",
    "need.resolution_rate=[0,0,0]",
    "need.supported_resolution_rate=[0,0]",
    "testing.immediate_identification=true",
    "support.disengagement_rate=0",
    "support.engagement_mean=1",
    "support.engagement_risk_penalty=0",
    "assessment.single_agency_probability=0",
    "team_model.panel_share=0",
    "team_model.home_demand_cv=0",
    "team_model.missed_review_probability=0",
    "area.initial_vacancy_rate=0",
    "workforce.sickness_rate=0",
    "workforce.turnover_rate=0",
    "workforce.agency_turnover_rate=0",
    "workforce.training_rate=0",
    "demography.move_rate=0",
    "+area.establishment_scale.family_support=1250",
    "+area.establishment_scale.coordinator=10000",
    "team_model.central_coordination_share=0",
    *(f"need.domain_probability.{d}=1" for d in DOMAINS),
    *(f"domain_professions.{d}=[family_support]" for d in DOMAINS),
)
SEEDS = (0, 1, 2, 3, 4)
OVERTIME = 1.1  # 1 + support.overtime_share (checked below)


def _hand_worked(cfg, onset: float) -> dict[str, float]:
    """Milestones and hours worked out by hand from the parameters (see module doc).

    ``ma_share`` of the family support post: the profession's one post offers its
    ``targeted_share`` under every team model (the profession's hours are the same under
    each). tac_only has no core members; virtual makes round(0.6 x 1) = 1 post core, which
    can give no more than the profession's targeted hours; co_located makes round(0.5 x
    1) = 0 posts core (banker's rounding), so the post is in the virtual ring and joins
    after ``member_join_delay_days``. The request goes to the assessor (tac_only, with
    no central coordination), the locality coordinator (co_located: the one full-time
    structure post) or the area's named member who would finish it soonest (virtual, no
    panel): the family support post itself, the only named post. Each works the
    coordination hours at its own diary rate.
    """
    tm, sup, fs = cfg.team_model, cfg.support, cfg.professions["family_support"]
    hours = fs.hours_per_week
    n_core = int(round(tm.core_share * 1)) if "family_support" in tm.core_professions else 0
    core = n_core >= 1
    ma = min(fs.targeted_share, 1.0)
    join = 0.0 if core else tm.member_join_delay_days
    cap = hours * ma * OVERTIME
    rate = cap / 7.0  # hours per day, nothing committed
    receiver_rate = {"tac_only": rate, "co_located": 1.0 * hours * OVERTIME / 7.0, "virtual": rate}[
        tm.name
    ]
    consent = onset + cfg.assessment.consent_days
    caf_end = consent + cfg.assessment.caf_hours / rate
    ready = caf_end + tm.coordination_hours_per_case / receiver_rate
    allocation = next_meeting(ready, tm.allocation_interval_days)
    meeting = sup.meeting_hours  # in the attendee's diary; travel is booked apart
    committed = sup.member_hours_per_week + sup.lead_hours_per_week
    # The meeting task is short: at the slower rate (after commitments) it still ends
    # before the convening (one attendee) or join delay does.
    wait = max(tm.convening_days_per_member * 1, join)
    assert meeting / ((cap - committed) / 7.0) < wait
    tac = allocation + wait
    support = tac + sup.support_start_days
    end = 7.0 * math.ceil(cfg.years * DAYS_PER_YEAR / 7.0)  # the last week's end
    reviews = sum(1 for k in range(1, 100) if support + k * sup.review_interval_days < end)
    weeks = int(round(end / 7.0))
    return {
        "identification_day": onset,
        "consent_day": consent,
        "assessment_start_day": consent,
        "assessment_end_day": caf_end,
        "request_day": caf_end,
        "allocation_day": allocation,
        "tac_meeting_day": tac,
        "support_start_day": support,
        "reviews": reviews,
        "hours_assessment": cfg.assessment.caf_hours,
        "hours_coordination": tm.coordination_hours_per_case,
        "hours_meetings": meeting * (1 + reviews),
        "hours_travel": tm.travel_hours_per_meeting * (1 + reviews),
        "hours_support": committed * (weeks - math.floor(allocation / 7.0)),
        "hours_home_duties": hours * (1.0 - ma) * weeks,
        "weeks": weeks,
    }


@pytest.mark.parametrize("team_model", TEAM_MODELS)
def test_single_child_pathway_matches_hand_worked_delays(team_model: str) -> None:
    """For each seed (0-4), the one episode's milestones equal the hand-worked values
    from its onset day (to 1e-9 days), its counts (reviews, lead, members) are as worked
    out, and the family support post's booked hours by activity add up to the hand-worked
    totals, with nothing unmet."""
    cfg = make_cfg(f"team_model={team_model}", *SCENARIO)
    assert 1 + cfg.support.overtime_share == pytest.approx(OVERTIME)
    for seed in SEEDS:
        m = ChildrensServicesModel(cfg, seed)
        m.run()
        assert len(m.episodes) == 1, f"seed {seed}: {len(m.episodes)} episodes, expected 1"
        ep = m.episodes_table().iloc[0]
        # Preconditions: the random parts of the scenario (see module docstring).
        assert 0.0 <= ep["onset_day"] < 7.0, f"seed {seed}: onset on day {ep['onset_day']}"
        assert ep["consent_given"] and ep["engagement"] == 1.0, (
            f"seed {seed}: engagement {ep['engagement']} with support.engagement_mean = 1"
        )
        assert ep["age_at_onset"] < 16.9, f"seed {seed}: the child turns 18 within the year"
        fs = np.nonzero(m.workforce.prof == m.professions.index("family_support"))[0]
        assert len(fs) == 1 and m.workforce.fte[fs[0]] == 1.0
        want = _hand_worked(cfg, float(ep["onset_day"]))
        for col in (
            "identification_day",
            "consent_day",
            "assessment_start_day",
            "assessment_end_day",
            "request_day",
            "allocation_day",
            "tac_meeting_day",
            "support_start_day",
        ):
            assert ep[col] == pytest.approx(want[col], abs=1e-9), (
                f"{team_model}, seed {seed}: {col} = {ep[col]:.6f}, hand-worked "
                f"{want[col]:.6f} (onset {ep['onset_day']:.6f})"
            )
        assert ep["reviews"] == want["reviews"] and ep["missed_reviews"] == 0
        assert ep["identification_route"] == "immediate"
        assert ep["assessor_profession"] == "family_support"
        assert ep["lead_profession"] == "family_support"
        assert ep["professions"] == "family_support"
        assert ep["closure_reason"] == "" and math.isnan(ep["closure_day"])
        assert ep["caf_hours"] == cfg.assessment.caf_hours
        # Hours booked by the family support post over the year.
        s = m.series_table()
        s_fs = s[s["profession"] == "family_support"]
        assert len(s_fs) == want["weeks"]
        for act in ("assessment", "meetings", "travel", "support", "home_duties"):
            got = float(s_fs[f"hours_{act}"].sum())
            assert got == pytest.approx(want[f"hours_{act}"], rel=1e-9, abs=1e-9), (
                f"{team_model}, seed {seed}: family_support hours_{act} = {got:.4f}, "
                f"hand-worked {want[f'hours_{act}']:.4f}"
            )
        coord = "coordinator" if team_model == "co_located" else "family_support"
        got = float(s.loc[s["profession"] == coord, "hours_coordination"].sum())
        assert got == pytest.approx(want["hours_coordination"]), (
            f"{team_model}: {coord} hours_coordination = {got}"
        )
        assert float(s["unmet_hours"].sum()) == 0.0
        assert float(s["hours_identification"].sum()) == 0.0


#: The scenario above with no randomness left: no onsets drawn from the hazard, one need
#: beginning on day 3 (``testing.fixed_onset_day``), a child aged exactly 10 on day 0
#: (``testing.fixed_age_years``; warm-up 0, so the run starts on day 0).
FIXED: tuple[str, ...] = (
    *SCENARIO,
    "need.onset_rate_by_age=[0,0,0]",
    "testing.fixed_onset_day=3",
    "testing.fixed_age_years=10",
)

#: Milestone days worked out by hand (see the test's docstring), by team model.
HAND_WORKED: dict[str, dict[str, float]] = {
    "tac_only": {
        "onset_day": 3.0,
        "identification_day": 3.0,
        "consent_day": 6.0,
        "assessment_start_day": 6.0,
        "assessment_end_day": 6.0 + 42 / 32.56,
        "request_day": 6.0 + 42 / 32.56,
        "allocation_day": 6.0 + 66.5 / 32.56,
        "tac_meeting_day": 9.0 + 66.5 / 32.56,
        "support_start_day": 16.0 + 66.5 / 32.56,
        "reviews": 6,
    },
    "virtual": {
        "onset_day": 3.0,
        "identification_day": 3.0,
        "consent_day": 6.0,
        "assessment_start_day": 6.0,
        "assessment_end_day": 6.0 + 42 / 32.56,
        "request_day": 6.0 + 42 / 32.56,
        "allocation_day": 14.0,
        "tac_meeting_day": 15.5,
        "support_start_day": 22.5,
        "reviews": 6,
    },
    "co_located": {
        "onset_day": 3.0,
        "identification_day": 3.0,
        "consent_day": 6.0,
        "assessment_start_day": 6.0,
        "assessment_end_day": 6.0 + 42 / 32.56,
        "request_day": 6.0 + 42 / 32.56,
        "allocation_day": 14.0,
        "tac_meeting_day": 28.0,
        "support_start_day": 35.0,
        "reviews": 5,
    },
}


@pytest.mark.parametrize("team_model", TEAM_MODELS)
def test_fixed_scenario_milestones_are_the_hand_worked_days(team_model: str) -> None:
    """One child aged 10, one need from day 3, no randomness: every milestone on the day
    worked out by hand, whatever the seed.

    Common to all three team models (shipped parameters): identified at once on day 3;
    consent sought ``assessment.consent_days`` = 3 days later, on day 6, and given
    (engagement 1); the CAF (6 hours) starts on day 6 in the one family support post's
    diary, which works ``37 h x ma_share x 1.1`` (overtime) a week at a constant rate.

    The post offers the profession's targeted share, ``ma_share`` = 0.8, under every team
    model (the same hours, organised differently).

    - tac_only: 32.56 h a week. CAF done on day
      6 + 6 x 7 / 32.56 = 7.289926 (the request). The same post convenes: 3.5 hours of
      coordination, done on day 6 + 9.5 x 7 / 32.56 = 8.042383; no allocation cycle, so
      allocated then (the assessor is the only member). One attendee, 3 days' convening:
      TAC meeting on day 11.042383; support 7 days later, on day 18.042383; reviews every
      56 days before day 371 (the end of the 53rd week): 74.04, ..., 354.04, so 6.
    - virtual: the post is a named core member, giving all of its profession's targeted
      hours, 0.8, so the CAF ends on day 7.289926 as above. The same post, the area's
      only named member, does 2 hours of coordination by day
      6 + 8 x 7 / 32.56 = 7.719902; the fortnightly meeting allocates on day 14; 1.5
      days' convening: TAC meeting on day 15.5, support on day 22.5; reviews on days
      78.5, ..., 358.5, so 6.
    - co_located: the post is in the virtual ring (round(0.5 x 1) = 0 core posts): CAF
      done on day 7.289926 as above. The full-time coordinator (40.7 h a week) does 1
      hour by day 7.461917; the weekly meeting allocates on day 14; the ring member joins 14 days
      later (longer than 0.5 days' convening): TAC meeting on day 28, support on day 35;
      reviews on days 91, ..., 315 (day 371 is not before the end), so 5.

    Each day is asserted to 1e-9 days (floating-point rounding of the same arithmetic).
    """
    want = HAND_WORKED[team_model]
    cfg = make_cfg(f"team_model={team_model}", *FIXED)
    for seed in (0, 1):
        m = ChildrensServicesModel(cfg, seed)
        m.run()
        assert len(m.episodes) == 1, f"seed {seed}: {len(m.episodes)} episodes, expected 1"
        ep = m.episodes_table().iloc[0]
        assert ep["age_at_onset"] == pytest.approx(10.0 + 3.0 / DAYS_PER_YEAR, abs=1e-12)
        for col, day in want.items():
            assert ep[col] == pytest.approx(day, abs=1e-9), (
                f"{team_model}, seed {seed}: {col} = {ep[col]!r}, hand-worked {day!r}"
            )
        assert ep["closure_reason"] == "" and ep["missed_reviews"] == 0
