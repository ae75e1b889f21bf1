"""Statistical verification against queueing theory, and the run-length methods.

Evidence given:

- the full model, reduced to an M/M/c queue (``experiment=mmc``), has the Erlang C mean
  wait for a practitioner for c in {1, 5, 20} x utilisation in {0.5, 0.8, 0.9} and at
  seeded random other points (c <= 20, utilisation <= 0.9): within 5%, or Erlang C inside
  the simulated 99.9% interval over replicates, and the grid's combined chi-square below
  its 99.9% point;
- the same queue simulated in ciw gives the same mean wait (the 99.9% Welch interval of
  the difference of the two simulators' replicate means contains 0);
- Little's law holds for every queue the model reports (TAC member allocation, social
  care, CAMHS) over a long run on three seeds: exactly in its sample-path form, and in its
  asymptotic form within the run's own 95% interval;
- MSER-5 finds a known warm-up, and the replicate criterion meets its own target.

Each check keeps a margin to its limit of at least twice the spread of its statistic
between seeds (docs/validation.md, section 6). Run lengths are stated in customers
(requests for a practitioner) over all replicates, sized by the asymptotic variance of
the mean wait (docs/validation.md): more for high utilisation, where waits are
long-range correlated.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, TEAM_MODELS, make_cfg, run
from scipy import stats

from sim.config import compose, validate
from sim.model import ChildrensServicesModel
from sim.queueing import erlang_c_mean_wait, erlang_c_probability
from sim.runner import ScenarioResult, run_replicate, write_scenario
from sim.summary import ci_half_width, flatten
from sim.validation import (
    AGREEMENT_LEVEL,
    LITTLE_FROM,
    LITTLE_OVERRIDES,
    LITTLE_QUEUES,
    MMC_CIW_CUSTOMERS,
    MMC_GRID,
    MMC_RANDOM_CUSTOMERS,
    MMC_RANDOM_POINTS,
    MMC_REPLICATES,
    agreement_limit,
    combined_chi2,
    little_check,
    little_queue_spells,
    mmc_grid_customers,
    mmc_overrides,
    run_mmc_points,
    standardised_gap,
)
from sim.warmup import mser, replicates_needed

GRID = MMC_GRID
RANDOM_POINTS = MMC_RANDOM_POINTS


def _run_points(points: list[tuple[int, float]], customers) -> dict:
    """Run every point's replicates in one pool of 2 workers (seed 1)."""
    return run_mmc_points(points, customers, seed=1, workers=2)


def _check_mmc(c: int, rho: float, cfg, summary: dict, res: ScenarioResult) -> None:
    sim = summary["mean_wait_days"]
    theory = summary["erlang_c_mean_wait_days"]
    lo, hi = sim["ci95"]
    rel = abs(sim["mean"] - theory) / theory
    t = standardised_gap(sim["mean"], sim["ci95"], MMC_REPLICATES, theory)
    limit = agreement_limit(MMC_REPLICATES - 1)
    assert rel <= 0.05 or abs(t) <= limit, (
        f"M/M/{c} at utilisation {rho}: simulated mean wait {sim['mean']:.5f} days "
        f"(95% CI {lo:.5f}-{hi:.5f}, {summary['customers']:.0f} customers) vs Erlang C "
        f"{theory:.5f} ({100 * rel:.1f}% apart, t = {t:.2f}, allowed |t| <= {limit:.2f})"
    )
    # The arrivals are the Poisson process the reduction claims: their count over the
    # observation period is within 4 standard deviations of lam x T. The model runs in
    # whole weeks, so T is the simulated horizon (the last week's end), not years x 365.25.
    lam = rho * c / cfg.mmc.mean_service_days
    horizon = sum(float(r.series["day"].max()) + 7.0 for r in res.replicates)
    expected = lam * horizon
    arrivals = sum(len(r.episodes) for r in res.replicates)
    assert abs(arrivals - expected) <= 4 * math.sqrt(expected), (
        f"M/M/{c} at utilisation {rho}: {arrivals} arrivals, expected {expected:.0f}"
    )


@pytest.fixture(scope="module")
def grid_results() -> dict:
    """The nine grid points (6 replicates each), run once for the module."""
    return _run_points(GRID, mmc_grid_customers)


# ----------------------------------------------------------------------- fast checks
def test_erlang_c_known_values() -> None:
    """Erlang C against closed forms: M/M/1 waits rho/(mu - lam) with probability rho;
    M/M/2 waits with probability 2 rho^2 / (1 + rho)."""
    for rho in (0.1, 0.5, 0.9):
        assert erlang_c_probability(1, rho) == pytest.approx(rho)
        assert erlang_c_mean_wait(1, rho, 1.0) == pytest.approx(rho / (1 - rho))
        assert erlang_c_probability(2, 2 * rho) == pytest.approx(2 * rho**2 / (1 + rho))
    assert erlang_c_mean_wait(3, 3.0, 1.0) == math.inf


def test_mser5_finds_a_known_transient() -> None:
    """MSER-5 truncates an exponentially decaying start (time constant 20 weeks) after
    the transient has decayed below the noise, and not in the stationary part."""
    rng = np.random.default_rng(3)
    t = np.arange(1000)
    x = 10.0 * np.exp(-t / 20.0) + rng.normal(0.0, 1.0, len(t))
    res = mser(x)
    assert res.reliable
    assert 40 <= res.truncation <= 200, f"truncation {res.truncation} weeks"
    flat = mser(rng.normal(0.0, 1.0, 1000))
    assert flat.truncation <= 100, f"stationary series truncated at {flat.truncation}"


def test_replicates_needed_meets_its_target() -> None:
    """The recommended number of replicates gives a half-width within the target for a
    normal output with known spread (checked on fresh draws of that size)."""
    rng = np.random.default_rng(4)
    pilot = rng.normal(100.0, 10.0, 10)
    n = replicates_needed(pilot, precision=0.02)
    # About (1.96 x 10 / 2)^2 = 96 by the normal approximation; a little more with t.
    assert 96 <= n <= 110, f"{n} replicates for a 2% half-width with sd 10% of the mean"
    widths = [ci_half_width(rng.normal(100.0, 10.0, n)) for _ in range(200)]
    assert np.median(widths) <= 2.0 * 1.1


def test_choose_run_length_covers_every_team_model_and_metric(capsys) -> None:
    """``experiments/choose_run_length.py`` on a 300-child area: one line per team model
    and metric, and a final recommendation that is the largest of them (so every
    reported estimate meets the target); a metric that is not in the summary stops
    before any pilot with exit status 2."""
    sys.path.insert(0, str(REPO / "experiments"))
    try:
        import choose_run_length
    finally:
        sys.path.pop(0)
    args = [
        "experiment=compare_team_models",
        "area=test",
        "area.children=300",
        "years=0.5",
        "--team-models",
        "co_located,tac_only",
        "--pilot-replicates",
        "3",
        "--warmup-years",
        "0.25",
        "--workers",
        "1",
        "--precision",
        "0.01",
        "--metric",
        "early_identification_rate",
        "--metric",
        "delay_days.onset_to_support.median",
    ]
    assert choose_run_length.main(args) == 0
    out = capsys.readouterr().out.splitlines()
    lines = [ln for ln in out if "replicates for 1%" in ln]
    assert [ln.split(":")[:2] for ln in lines] == [
        [tm, f" {m}"]
        for tm in ("co_located", "tac_only")
        for m in ("early_identification_rate", "delay_days.onset_to_support.median")
    ], out
    each = [int(ln.split("; ")[-1].split()[0]) for ln in lines]
    final = int(out[-1].split(": ")[1].split()[0])
    assert final == max(each) and min(each) >= 2, out
    assert choose_run_length.main(["area=test", "--metric", "no_such_metric"]) == 2
    assert "no_such_metric is not a summary metric" in capsys.readouterr().err


# ----------------------------------------------------------------------- M/M/c
@pytest.mark.slow
@pytest.mark.parametrize("point", GRID, ids=[f"c{c}-rho{r}" for c, r in GRID])
def test_mmc_grid_matches_erlang_c(grid_results: dict, point: tuple[int, float]) -> None:
    """Each grid point: within 5% of Erlang C or Erlang C inside the simulated 99.9%
    interval (:data:`sim.validation.AGREEMENT_LEVEL`), and as many arrivals as a Poisson
    process of rate lam."""
    _check_mmc(*point, *grid_results[point])


@pytest.mark.slow
def test_mmc_grid_agrees_with_erlang_c_as_a_whole(grid_results: dict) -> None:
    """The nine grid points together: their t statistics against Erlang C, as normal
    scores, sum in squares to a chi-square with 9 degrees of freedom when the model
    agrees with theory; the sum stays below its 99.9% point. One biased point shows here
    before it fails its own check."""
    ts = [
        standardised_gap(
            grid_results[p][1]["mean_wait_days"]["mean"],
            grid_results[p][1]["mean_wait_days"]["ci95"],
            MMC_REPLICATES,
            grid_results[p][1]["erlang_c_mean_wait_days"],
        )
        for p in GRID
    ]
    total = combined_chi2(ts, MMC_REPLICATES - 1)
    limit = float(stats.chi2.ppf(AGREEMENT_LEVEL, len(GRID)))
    assert total <= limit, (
        f"the M/M/c grid's combined chi-square is {total:.1f} (limit {limit:.1f}); t by "
        f"point: {dict(zip(GRID, (round(t, 2) for t in ts), strict=True))}"
    )


@pytest.mark.slow
def test_mmc_random_points_match_erlang_c() -> None:
    """Three further points drawn from a seeded generator: the same criterion."""
    results = _run_points(RANDOM_POINTS, lambda p: MMC_RANDOM_CUSTOMERS)
    for (c, rho), (cfg, summary, res) in results.items():
        _check_mmc(c, rho, cfg, summary, res)


CIW_CUSTOMERS = MMC_CIW_CUSTOMERS


@pytest.mark.slow
def test_model_and_ciw_agree(tmp_path: Path) -> None:
    """experiments/verify_mmc_ciw.py at M/M/5, utilisation 0.8, sized by
    :data:`CIW_CUSTOMERS`: the model's and ciw's mean waits agree (the Welch interval of
    their difference at the suite's agreement level, 99.9%, contains 0), and each 95%
    interval is no wider than a quarter of Erlang C's value on either side, so the check
    has power. Margins over seeds 4-8 are in docs/validation.md, section 6."""
    sys.path.insert(0, str(REPO / "experiments"))
    try:
        import verify_mmc_ciw as v
    finally:
        sys.path.pop(0)
    overrides = [
        o
        for o in mmc_overrides(5, 0.8, CIW_CUSTOMERS, 6, seed=3)
        if not o.startswith(("experiment=", "progress="))
    ]
    assert v.main([*overrides, "--out", str(tmp_path)]) == 0
    import json

    out = json.loads((tmp_path / "mmc_vs_ciw.json").read_text())
    for name in ("model", "ciw"):
        lo, hi = out[name]["mean_wait_days"]["ci95"]
        assert hi - lo <= 0.5 * out["erlang_c_mean_wait_days"], (name, lo, hi)
    t, df = v.welch_t(out)
    assert abs(t) <= agreement_limit(df), (
        f"model {out['model']['mean_wait_days']} vs ciw {out['ciw']['mean_wait_days']} "
        f"(Erlang C {out['erlang_c_mean_wait_days']:.4f}): Welch t = {t:.2f} on {df:.1f} df, "
        f"allowed |t| <= {agreement_limit(df):.2f}"
    )
    assert (tmp_path / "mmc_vs_ciw.csv").exists()


# ----------------------------------------------------------------------- Little's law
#: Seeds of the long Little's-law run (:data:`sim.validation.LITTLE_OVERRIDES`, about 4 s
#: each): the law is checked on each, not on one seed.
LITTLE_SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def little_runs():
    """One long replicate of :data:`sim.validation.LITTLE_OVERRIDES` per seed."""
    cfg = validate(compose(list(LITTLE_OVERRIDES)))
    return cfg, {seed: run_replicate(cfg, seed) for seed in LITTLE_SEEDS}


@pytest.mark.slow
@pytest.mark.parametrize("queue", list(LITTLE_QUEUES))
def test_littles_law(little_runs, queue: str) -> None:
    """Little's law for each queue the model reports (TAC member allocation, social care,
    CAMHS), on three seeds, over the window from year 2 to year 12.

    - Exact (to rounding): the area under the series' queue-length curve equals the time
      the episodes' milestones say requests waited inside the window, and
      ``L = lam W + boundary``, where the boundary term is the waiting inside the window
      of requests that joined before it.
    - Asymptotic: ``|L - lam W|`` lies within the 95% batch-means half-width of ``L``.
      Measured on seeds 1-6 (docs/validation.md, section 3): the gap is at most 4.1% of
      that half-width (0 wherever no request waited across the window's start), and its
      spread between seeds (sd) is under 2% of the smallest half-width.
    - The specialist queues run in the busy, stable case they are meant to test: cases
      held per case slot of filled posts in 0.5-0.95 (seeds 1-11: 0.73-0.85 for social
      care, 0.66-0.83 for CAMHS; between-seed sd 0.04; smallest margin at seeds 1-3
      0.12).
    """
    cfg, runs = little_runs
    profession, column = LITTLE_QUEUES[queue]
    screening = 0.0 if queue == "tac_allocation" else getattr(cfg, queue).screening_days
    waited = 0
    for seed, r in runs.items():
        s = r.series[(r.series["profession"] == profession) & (r.series["day"] >= LITTLE_FROM)]
        entry, leave = little_queue_spells(r.episodes, screening, queue)
        c = little_check(s["day"].to_numpy(), s[column].to_numpy(), entry, leave)
        waited += c.waited
        where = f"{queue} queue, seed {seed}"
        assert c.area == pytest.approx(c.L, rel=1e-9, abs=1e-12), (
            f"{where}: time-average queue length {c.L:.6f}, but the episodes' waits inside "
            f"the window average {c.area:.6f} requests"
        )
        assert c.L == pytest.approx(c.lam * c.W + c.boundary, rel=1e-9, abs=1e-12), (
            f"{where}: L = {c.L:.6f} but lam W + boundary = {c.lam:.5f} x {c.W:.4f} + "
            f"{c.boundary:.6f} = {c.lam * c.W + c.boundary:.6f}"
        )
        assert abs(c.gap) <= c.half_width, (
            f"{where}: L = {c.L:.4f} vs lam W = {c.lam * c.W:.4f}, {abs(c.gap):.4f} apart, "
            f"beyond the 95% half-width of L ({c.half_width:.4f})"
        )
        if queue != "tac_allocation":
            rho = float(
                s["specialist_cases"].mean()
                / (getattr(cfg, queue).max_caseload_per_fte * s["specialist_filled_fte"].mean())
            )
            assert 0.5 <= rho <= 0.95, f"{where}: utilisation {rho:.2f}, not the busy case"
    assert waited >= 150, f"{queue}: only {waited} requests waited over {len(runs)} seeds"


def test_leaving_child_leaves_specialist_queues() -> None:
    """A referral whose child leaves the area while it waits for allocation leaves the
    social care or CAMHS queue on the day the child leaves.

    The queue length and its time-average counter drop with it (no case slots: every
    screened referral waits)."""
    cfg = make_cfg(
        "years=1",
        "warmup_years=0",
        "social_care.max_caseload_per_fte=0",
        "camhs.max_caseload_per_fte=0",
        "need.domain_probability.be_healthy=0.9",
    )
    model = ChildrensServicesModel(cfg, 1)
    while (not model.social_care.queue or not model.camhs.queue) and model.t < 364:
        model.step()
    for svc in (model.social_care, model.camhs):
        assert svc.queue, f"{svc.name}: nobody queued in a year with no case slots"
        ep = svc.queue[-1]
        before = svc.queue_length()
        model.closure.child_leaves(ep.child, model.t + 1.0, "moved_away")
        assert all(e is not ep for e in svc.queue), f"{svc.name}: the referral stayed queued"
        assert svc.queue_length() == before - 1, (
            f"{svc.name}: queue length {before} -> {svc.queue_length()} after a child left"
        )
        assert svc.meter.length[0] == svc.queue_length()
        assert ep.id not in svc.holder
    # The run goes on with the remaining queue intact.
    for _ in range(4):
        model.step()
    for svc in (model.social_care, model.camhs):
        assert svc.meter.length[0] == svc.queue_length()
        assert all(e.phase != "gone" for e in svc.queue), f"{svc.name}: a departed child waits"


@pytest.mark.parametrize("team_model", ["tac_only", "virtual"])
def test_tac_queue_count_matches_waiting_requests(team_model: str) -> None:
    """The weekly ``queue_early_help`` count (kept by the queue meter as requests join and
    leave) equals a direct count of the requests still waiting in the TAC queues, in a
    short-staffed run where queued episodes also close, escalate and leave the area."""
    cfg = make_cfg(
        f"team_model={team_model}",
        "area.children=4000",
        "years=1",
        "warmup_years=1",
        "area.workforce_scale=0.3",
    )
    model = ChildrensServicesModel(cfg, 3)
    most = 0.0
    while model.t < model.t_end - 1e-9:
        model.step()
        direct = np.zeros(len(model.professions))
        for (_, prof), q in model.allocation.queues.items():
            direct[prof] += sum(1 for ep, *_ in q if ep.phase == "tac" and ep.waiting)
        assert list(direct) == model.allocation.meter.length, f"day {model.t}"
        most = max(most, float(direct.sum()))
    assert most >= 10, f"at most {most} requests waited: the run is not short-staffed"


def test_request_outcomes_account_for_every_request() -> None:
    """``experiments/request_outcomes.py`` splits the window's requests into allocated,
    closed before allocation (by reason) and still waiting, and the parts add up to the
    requests, on a 1,000-child area under each team model; bad overrides exit 2."""
    sys.path.insert(0, str(REPO / "experiments"))
    try:
        import request_outcomes
    finally:
        sys.path.pop(0)
    for tm in TEAM_MODELS:
        cfg = make_cfg(f"team_model={tm}", "area.children=1000", "years=1")
        res = run_replicate(cfg, 3)
        counts = request_outcomes.request_outcomes(res.episodes)
        parts = sum(v for k, v in counts.items() if k != "requests")
        assert counts["requests"] > 0 and parts == counts["requests"], (tm, counts)
        req = res.episodes[res.episodes["request_day"].notna()]
        assert counts["allocated"] == req["allocation_day"].notna().sum(), (tm, counts)
    assert request_outcomes.main(["area.children=-5"]) == 2


def test_followup_fills_in_waits_and_leaves_the_window_alone(tmp_path: Path) -> None:
    """With ``followup_years=1`` the run goes on for a year after the window closes: the
    window's episode and series tables and every metric but the delays and waits are
    exactly those of the run without follow-up; the delays count more episodes (those that reached
    their milestones during the follow-up), never fewer, and the followed table holds
    the same episodes with at least as many milestones reached."""
    args = ("team_model=co_located", "area.children=2000", "years=1")
    plain = run(5, *args)
    followed = run(5, *args, "followup_years=1")
    pd.testing.assert_frame_equal(plain.episodes, followed.episodes)
    pd.testing.assert_frame_equal(plain.series, followed.series)
    assert plain.followed is None and followed.followed is not None
    assert list(followed.followed["episode_id"]) == list(plain.episodes["episode_id"])
    for col in ("support_start_day", "allocation_day", "identification_day"):
        assert followed.followed[col].notna().sum() >= plain.episodes[col].notna().sum()
    assert followed.followed["support_start_day"].max() > plain.episodes["support_start_day"].max()
    a, b = flatten(plain.summary), flatten(followed.summary)
    assert {
        k
        for k in a
        if not k.startswith(("delay_days.", "time_to_support."))
        and not (a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])))
    } == set()
    # The same cohort of identified needs, followed further: fewer still waiting.
    assert a["time_to_support.n"] == b["time_to_support.n"] > 0
    assert b["time_to_support.share_still_waiting"] < a["time_to_support.share_still_waiting"]
    grew = 0
    for name in ("onset_to_support", "request_to_allocation", "onset_to_identification"):
        assert b[f"delay_days.{name}.n"] >= a[f"delay_days.{name}.n"], name
        grew += b[f"delay_days.{name}.n"] > a[f"delay_days.{name}.n"]
    assert grew == 3, (a, b)
    # The run folder keeps both tables.
    cfg = make_cfg(*args, "followup_years=1")
    write_scenario(tmp_path, cfg, ScenarioResult(cfg.team_model.name, [followed]))
    out = pd.read_parquet(tmp_path / "episodes_followed.parquet")
    assert len(out) == len(followed.followed)
    assert (
        out["support_start_day"].notna().sum()
        == followed.followed["support_start_day"].notna().sum()
    )
