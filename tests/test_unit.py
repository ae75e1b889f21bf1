"""Unit tests of the building blocks, each checked against values worked out by hand or
by an independent implementation (scipy, numpy).

Evidence given: random streams are reproducible and independent (the basis of common
random numbers); the event calendar runs events in time order, first scheduled first for
ties, and stops strictly before the end of a week; meeting cycles, confidence intervals,
working-day counts, paired differences and the flatten/unflatten round trip give known
answers; an atomic write leaves the whole file or the old one; unknown team models are
refused; the population has exactly the configured number of children and onset risk
rises with family risk.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_cfg
from scipy import stats

from sim.params import TeamModelConfig
from sim.population import Population
from sim.results import atomic_path, atomic_write_json
from sim.rng import STREAMS, replicate_seeds, spawn_streams
from sim.scheduling import EventQueue
from sim.summary import (
    flatten,
    level_table,
    mean_ci,
    paired_difference,
    paired_table,
    unflatten,
    working_days,
)
from sim.team_models import REGISTRY, make_team_model
from sim.team_models.base import next_meeting

# ---------------------------------------------------------------------------- rng


def test_spawn_streams_has_every_named_stream() -> None:
    """``spawn_streams`` returns one numpy Generator per name in ``STREAMS``."""
    streams = spawn_streams(5)
    assert list(streams) == list(STREAMS), f"stream names {list(streams)} != {list(STREAMS)}"
    assert all(isinstance(g, np.random.Generator) for g in streams.values())


def test_spawn_streams_reproducible() -> None:
    """The same seed gives the same numbers on every stream; another seed does not."""
    a, b, c = spawn_streams(123), spawn_streams(123), spawn_streams(124)
    for name in STREAMS:
        xa, xb, xc = a[name].random(8), b[name].random(8), c[name].random(8)
        assert np.array_equal(xa, xb), f"stream {name}: seed 123 gave {xa} then {xb}"
        assert not np.array_equal(xa, xc), f"stream {name}: seeds 123 and 124 agree"


def test_spawn_streams_accepts_seed_sequence() -> None:
    """A SeedSequence and the integer it was made from give the same streams."""
    a = spawn_streams(np.random.SeedSequence(99))
    b = spawn_streams(99)
    for name in STREAMS:
        assert np.array_equal(a[name].random(4), b[name].random(4)), name


def test_streams_are_independent() -> None:
    """Streams differ from each other, and drawing heavily from one stream does not
    change what another gives (what makes common random numbers work)."""
    fresh = spawn_streams(7)
    first = {name: fresh[name].random(1000) for name in STREAMS}
    for i, x in enumerate(STREAMS):
        for y in STREAMS[i + 1 :]:
            r = float(np.corrcoef(first[x], first[y])[0, 1])
            assert abs(r) < 0.15, f"streams {x} and {y} correlate: r = {r:.3f}"
            assert not np.array_equal(first[x], first[y]), f"streams {x} and {y} are equal"
    busy = spawn_streams(7)
    busy["pathway"].random(100_000)
    busy["workforce"].normal(size=5_000)
    for name in STREAMS:
        got = busy[name].random(1000) if name not in ("pathway", "workforce") else None
        if got is not None:
            assert np.array_equal(got, first[name]), (
                f"drawing from pathway/workforce changed stream {name}"
            )


def test_replicate_seeds_reproducible_and_distinct() -> None:
    """``replicate_seeds`` gives the same sequences for the same seed, different ones for
    each replicate and for another seed."""
    a, b, c = replicate_seeds(2008, 5), replicate_seeds(2008, 5), replicate_seeds(2009, 5)
    states_a = [tuple(s.generate_state(4)) for s in a]
    states_b = [tuple(s.generate_state(4)) for s in b]
    states_c = [tuple(s.generate_state(4)) for s in c]
    assert states_a == states_b, "replicate_seeds(2008, 5) differs between two calls"
    assert len(set(states_a)) == 5, f"replicate seeds repeat: {states_a}"
    assert not set(states_a) & set(states_c), "seeds 2008 and 2009 share a replicate seed"
    # The first replicates do not depend on how many replicates are asked for.
    assert [tuple(s.generate_state(4)) for s in replicate_seeds(2008, 3)] == states_a[:3]


# ---------------------------------------------------------------------------- events


def _drain(q: EventQueue, start: float = 0.0, weeks: int = 10) -> list[tuple]:
    """Every event of ``weeks`` weeks from ``start``, taken a week at a time the way the
    model does (``until`` each week's end)."""
    out = []
    for w in range(1, weeks + 1):
        out.extend(q.until(start + 7.0 * w))
    return out


def test_event_queue_orders_by_time_then_fifo() -> None:
    """Events come out by time; ties come out in the order they were scheduled (not by
    kind or payload), across week boundaries too."""
    q = EventQueue()
    q.schedule(12.0, 1, "e")
    q.schedule(1.0, 2, "a")
    q.schedule(3.0, 3, "c1")
    q.schedule(3.0, 0, "c2")  # same time, lower kind: still after c1 (FIFO, not kind)
    q.schedule(2.0, 4, "b")
    q.schedule(3.0, 9, "c3")
    q.schedule(7.0, 5, "d1")  # exactly on a week boundary
    q.schedule(7.0, 5, "d2")
    q.schedule(40.0, 6, "f")
    assert len(q) == 9
    out = _drain(q)
    assert [p for _, _, p in out] == ["a", "b", "c1", "c2", "c3", "d1", "d2", "e", "f"], out
    assert [t for t, _, _ in out] == [1.0, 2.0, 3.0, 3.0, 3.0, 7.0, 7.0, 12.0, 40.0]
    assert out[2][1] == 3 and out[3][1] == 0, "kind must travel with its event"
    assert len(q) == 0


def test_event_queue_schedule_while_draining() -> None:
    """Events scheduled while a week is being run (as handlers do) are taken in time order
    with the rest: at once if due this week, in their own week otherwise; an event
    scheduled for the current time runs after those already due at that time."""
    q = EventQueue()
    q.schedule(2.0, 0, "x")
    q.schedule(5.0, 0, "y")
    seen = []
    for w in range(1, 4):
        for ev in q.until(7.0 * w):
            seen.append(ev[2])
            if ev[2] == "x":
                q.schedule(2.0, 0, "x-now")  # same time: after x, before y
                q.schedule(4.0, 0, "x-later")
                q.schedule(9.0, 0, "x-next-week")
                q.schedule(6.5, 0, "x-end")
    assert seen == ["x", "x-now", "x-later", "y", "x-end", "x-next-week"], seen


def test_event_queue_until_is_exclusive() -> None:
    """``until(end)`` yields events strictly before ``end`` and leaves the rest."""
    q = EventQueue()
    for t in (6.999, 7.0, 7.5, 0.0):
        q.schedule(t, 0, t)
    got = [ev[0] for ev in q.until(7.0)]
    assert got == [0.0, 6.999], f"until(7.0) yielded {got}"
    assert len(q) == 2
    assert list(q.until(7.0)) == [], "an event at exactly the bound must stay queued"
    assert [ev[0] for ev in q.until(14.0)] == [7.0, 7.5]
    assert len(q) == 0


def test_event_queue_payloads_need_not_be_comparable() -> None:
    """Events at the same time with payloads that cannot be compared (dicts) still
    queue, because the sequence number breaks the tie."""
    q = EventQueue()
    q.schedule(1.0, 0, {"x": 1})
    q.schedule(1.0, 0, {"x": 2})
    assert [ev[2] for ev in q.until(7.0)] == [{"x": 1}, {"x": 2}]


def test_event_queue_matches_a_sorted_list() -> None:
    """Many random events (some tied), taken week by week, come out exactly in
    (time, order scheduled) order, as a plain sort would give."""
    rng = np.random.default_rng(5)
    times = np.round(rng.uniform(0.0, 69.9, 2000), 1)  # rounding makes ties
    q = EventQueue()
    for i, t in enumerate(times.tolist()):
        q.schedule(t, i % 8, i)
    out = _drain(q, weeks=10)
    expected = sorted(range(len(times)), key=lambda i: (times[i], i))
    assert [p for _, _, p in out] == expected


# ---------------------------------------------------------------------------- meetings


@pytest.mark.parametrize(
    ("day", "interval", "expected"),
    [
        (0.0, 7.0, 0.0),  # a meeting day itself
        (7.0, 7.0, 7.0),
        (6.5, 7.0, 7.0),
        (7.2, 7.0, 14.0),
        (27.9, 28.0, 28.0),
        (28.0, 14.0, 28.0),
        (-3.0, 7.0, 0.0),
        (-10.0, 7.0, -7.0),
        (3.3, 0.0, 3.3),  # no cycle: at once
        (3.3, -1.0, 3.3),
    ],
)
def test_next_meeting_known_values(day: float, interval: float, expected: float) -> None:
    """``next_meeting`` gives the first meeting on or after ``day`` of a cycle from 0."""
    got = next_meeting(day, interval)
    assert got == pytest.approx(expected, abs=1e-12), (
        f"next_meeting(day={day}, interval={interval}) = {got}, expected {expected}"
    )


def test_next_meeting_properties() -> None:
    """For many days: the meeting is on or after the day, less than one interval later,
    and on the cycle; float noise just above a meeting day does not skip a meeting."""
    rng = np.random.default_rng(0)
    for interval in (1.0, 7.0, 14.0, 28.0):
        for day in rng.uniform(-100, 400, 200):
            m = next_meeting(float(day), interval)
            assert day - 1e-9 <= m < day + interval, (day, interval, m)
            assert abs(m / interval - round(m / interval)) < 1e-9, (day, interval, m)
        # 3 * (7/3) is 7.000000000000001 in floats: still the meeting on day 7.
        assert next_meeting(3 * (interval / 3), interval) == pytest.approx(interval)


# ---------------------------------------------------------------------------- summary


@pytest.mark.parametrize(
    "values",
    [
        [1.0, 2.0, 3.0, 4.0],
        [0.25, 0.3],
        [10.0, 12.5, 9.0, 11.0, 30.0, 7.5],
        [5.0, 5.0, 5.0],
    ],
)
def test_mean_ci_matches_scipy(values: list[float]) -> None:
    """The mean and 95% t-interval equal scipy's ``t.interval`` with the sample SEM."""
    got = mean_ci(values)
    x = np.asarray(values)
    assert got["n"] == len(values)
    assert got["mean"] == pytest.approx(x.mean())
    if x.std() == 0:
        assert got["ci95"] == [pytest.approx(x.mean()), pytest.approx(x.mean())]
        return
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert got["ci95"][0] == pytest.approx(lo, rel=1e-12), f"{values}: {got} vs {lo}"
    assert got["ci95"][1] == pytest.approx(hi, rel=1e-12), f"{values}: {got} vs {hi}"


def test_mean_ci_known_value_and_level() -> None:
    """[1, 2, 3]: mean 2, half-width t(0.975, 2) * 1 / sqrt(3) = 2.4841; a 99% interval
    is wider."""
    got = mean_ci([1.0, 2.0, 3.0])
    assert got["ci95"] == [
        pytest.approx(2 - 2.484138, abs=1e-5),
        pytest.approx(2 + 2.484138, abs=1e-5),
    ]
    wide = mean_ci([1.0, 2.0, 3.0], level=0.99)
    assert wide["ci95"][0] < got["ci95"][0] and wide["ci95"][1] > got["ci95"][1]


def test_mean_ci_drops_missing_values() -> None:
    """NaN and None are left out; one value gives no interval; none gives no mean."""
    assert mean_ci([1.0, math.nan, None, 3.0]) == mean_ci([1.0, 3.0])
    assert mean_ci([4.0]) == {"mean": 4.0, "ci95": [None, None], "n": 1}
    assert mean_ci([]) == {"mean": None, "ci95": [None, None], "n": 0}
    assert mean_ci([math.nan]) == {"mean": None, "ci95": [None, None], "n": 0}


def test_paired_difference_is_the_interval_of_the_differences() -> None:
    """The paired difference of [3, 5, 4] and [1, 2, 2] is the mean and interval of
    [2, 3, 2]; a pair with a missing side is left out; unequal lengths are refused."""
    assert paired_difference([3.0, 5.0, 4.0], [1.0, 2.0, 2.0]) == mean_ci([2.0, 3.0, 2.0])
    assert paired_difference([3.0, 5.0, math.nan], [1.0, 2.0, 2.0]) == mean_ci([2.0, 3.0])
    with pytest.raises(ValueError, match="differ in number"):
        paired_difference([1.0, 2.0], [1.0])


def test_paired_table_pairs_rows_on_seed_and_replicate() -> None:
    """Rows pair on seed and replicate whatever their order; a scenario against itself
    differs by exactly 0; levels are :func:`mean_ci` of each group's rows."""
    table = pd.DataFrame(
        {
            "scenario": ["a", "a", "a", "b", "b", "b"],
            "seed": [1, 1, 1, 1, 1, 1],
            "replicate": [0, 1, 2, 2, 1, 0],
            "x": [10.0, 20.0, 30.0, 33.0, 21.0, 12.0],
        }
    )
    out = paired_table(table, ["scenario"], {("b",): ("a",), ("a",): ("a",)}, ["x", "absent"])
    assert list(out["scenario"]) == ["b", "a"] and set(out["metric"]) == {"x"}
    b, a = out.iloc[0], out.iloc[1]
    want = mean_ci([2.0, 1.0, 3.0])
    assert b["diff"] == want["mean"] and [b["ci_low"], b["ci_high"]] == want["ci95"]
    assert b["n"] == 3 and b["mean"] == 22.0 and b["baseline_mean"] == 20.0
    assert a["diff"] == 0.0 and a["ci_low"] == 0.0 and a["ci_high"] == 0.0
    levels = level_table(table, ["scenario"], ["x"])
    assert list(levels["scenario"]) == ["a", "b"]
    assert levels.iloc[1]["ci_low"] == mean_ci([33.0, 21.0, 12.0])["ci95"][0]


def test_flatten_unflatten_round_trip() -> None:
    """``unflatten(flatten(d)) == d`` for nested metrics; keys are dot-joined paths."""
    d = {
        "early_identification_rate": 0.4,
        "delay_days": {
            "onset_to_support": {"median": 100.0, "p90": 300.0, "n": 12.0},
            "tac_meeting_to_support": {"median": 7.0, "p90": 7.0, "n": 3.0},
        },
        "utilisation": {"family_support": 0.8, "pastoral": None},
        "episodes": 10.0,
    }
    flat = flatten(d)
    assert flat["delay_days.onset_to_support.p90"] == 300.0
    assert flat["utilisation.pastoral"] is None
    assert all(not isinstance(v, dict) for v in flat.values())
    assert len(flat) == 10
    assert unflatten(flat) == d
    assert flatten(unflatten(flat)) == flat


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, 5, 5),  # Monday to Saturday: Mon..Fri
        (0, 7, 5),  # a whole week
        (5, 7, 0),  # Saturday and Sunday
        (4, 5, 1),  # Friday
        (6, 7, 0),  # Sunday
        (0, 14, 10),
        (2, 9, 5),  # Wednesday to next Wednesday
        (0, 0, 0),
        (-7, 0, 5),  # the week before day 0 is a working week too
        (0.9, 5.5, 5),  # fractional days count from the day they fall in
        (3, 3.9, 0),
    ],
)
def test_working_days_known_values(start: float, end: float, expected: int) -> None:
    """``working_days`` counts Mondays to Fridays in [start, end), day 0 a Monday."""
    got = working_days(np.array([start]), np.array([end]))
    assert got.tolist() == [expected], (
        f"working_days({start}, {end}) = {got.tolist()}, expected {expected}"
    )


def test_working_days_vectorised_and_additive() -> None:
    """Over many intervals: vectorised, and split intervals add up; a whole week always
    has 5 working days."""
    rng = np.random.default_rng(1)
    a = rng.integers(-50, 400, 300).astype(float)
    b = a + rng.integers(0, 100, 300)
    c = b + rng.integers(0, 100, 300)
    total = working_days(a, c)
    assert np.array_equal(total, working_days(a, b) + working_days(b, c))
    assert np.array_equal(working_days(a, a + 7), np.full(300, 5.0))


# ---------------------------------------------------------------------------- results


def test_atomic_write_gives_the_whole_file_or_leaves_the_old_one(tmp_path: Path) -> None:
    """A file written atomically holds all its bytes (strict JSON, keys sorted); a write
    that stops part-way leaves the previous file and no temporary file."""
    target = tmp_path / "summary.json"
    atomic_write_json(target, {"b": 1, "a": math.nan})
    assert target.read_text() == '{\n  "a": null,\n  "b": 1\n}\n'
    with pytest.raises(RuntimeError, match="stopped"), atomic_path(target) as tmp:
        tmp.write_text("partial")
        raise RuntimeError("stopped")
    assert target.read_text() == '{\n  "a": null,\n  "b": 1\n}\n'
    assert list(tmp_path.iterdir()) == [target]


# ---------------------------------------------------------------------------- team models


def test_make_team_model_rejects_unknown_name() -> None:
    """An unknown team model name is refused with a message naming it and the choices."""
    with pytest.raises(ValueError) as info:
        make_team_model(TeamModelConfig(name="hub_and_spoke"))
    msg = str(info.value)
    assert "hub_and_spoke" in msg and all(name in msg for name in REGISTRY), msg


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_make_team_model_builds_each(name: str) -> None:
    """Each registered name builds the class of that name."""
    tm = make_team_model(TeamModelConfig(name=name))
    assert tm.name == name and isinstance(tm, REGISTRY[name])


# ---------------------------------------------------------------------------- population


@pytest.mark.parametrize(
    ("children", "mean_size"), [(1, 1.8), (7, 1.8), (5000, 1.8), (2000, 1.0), (3001, 3.5)]
)
def test_population_family_sizes_sum_to_children(children: int, mean_size: float) -> None:
    """Every child is in exactly one family, every family has a child, and the family
    sizes add up to ``area.children``; their mean is near ``mean_children_per_family``."""
    cfg = make_cfg(
        f"area.children={children}",
        f"area.mean_children_per_family={mean_size}",
        "area.localities=1",
    )
    pop = Population(cfg, np.random.default_rng(3), -365.0)
    sizes = np.bincount(pop.family, minlength=pop.n_families)
    assert len(pop.family) == pop.n_children == children
    assert sizes.sum() == children, f"family sizes sum to {sizes.sum()}, not {children}"
    assert (sizes >= 1).all(), f"{(sizes == 0).sum()} families have no child"
    if children >= 2000:
        assert sizes.mean() == pytest.approx(mean_size, rel=0.1), (
            f"area.mean_children_per_family = {mean_size} but mean size {sizes.mean():.2f}"
        )


def test_population_onset_probability_rises_with_family_risk() -> None:
    """Within an age band, a child's weekly onset probability is a non-decreasing function
    of the family's risk (relative risks times frailty), and families with more risk
    factors have a higher mean probability."""
    cfg = make_cfg()
    pop = Population(cfg, np.random.default_rng(11), -365.0)
    age = pop.age_years(-365.0)
    risk = pop.fam_risk[pop.family]
    count = pop.fam_risk_count[pop.family]
    for lo, hi in ((0, 5), (5, 11), (11, 18)):
        band = (age >= lo) & (age < hi)
        order = np.argsort(risk[band], kind="stable")
        p = pop.p_week[band][order]
        assert (np.diff(p) >= -1e-15).all(), (
            f"ages {lo}-{hi}: onset probability falls as family risk rises"
        )
        means = [
            p_mean
            for k in range(4)
            if (sel := band & (count == k)).sum() >= 30
            for p_mean in [pop.p_week[sel].mean()]
        ]
        assert means == sorted(means), (
            f"ages {lo}-{hi}: mean onset probability by risk factor count {means}"
        )
    # The exact value for one child: 1 - exp(-rate * rr * frailty * 7 / 365.25).
    c = int(np.argmax(risk))
    band = int(np.searchsorted([5.0, 11.0], age[c], side="right"))
    expected = -math.expm1(-cfg.need.onset_rate_by_age[band] * risk[c] * 7 / 365.25)
    assert pop.p_week[c] == pytest.approx(expected, rel=1e-12)


def test_population_onsets_start_when_a_child_joins_mid_week() -> None:
    """A child who joins the area mid-week (born or moved in on day b) has no onset
    before b, and its chance of an onset that week shrinks with the exposed share of the
    week: with p = 1 for every child, onsets are certain for those present all week and
    occur for about (t + 7 - b) / 7 of those who join on day b."""
    cfg = make_cfg("area.children=20000")
    pop = Population(cfg, np.random.default_rng(5), -365.0)
    pop.next_change[:] = np.inf  # keep the probabilities set below
    pop.p_week[:] = 1.0
    joiners = np.arange(0, 20000, 2)
    pop.arrived[joiners] = 5.25  # joined three quarters of the way through
    hit, days = pop.onsets(0.0, 7.0, np.random.default_rng(6))
    joined = np.isin(hit, joiners)
    assert (days[joined] >= 5.25).all() and (days < 7.0).all()
    assert np.isin(np.setdiff1d(np.arange(20000), joiners), hit).all()
    share = joined.sum() / len(joiners)
    assert share == pytest.approx(0.25, abs=0.02), f"{share:.3f} of joiners had an onset"


@pytest.mark.parametrize("team_model", sorted(REGISTRY))
def test_run_leaves_no_cyclic_garbage(team_model: str) -> None:
    """``run()`` pauses the cyclic garbage collector, which is safe only while the model
    makes no reference cycles that become garbage: a run (children leaving, episodes
    closing, agents removed) must leave nothing for the collector to find. ``run()``
    must also switch the collector back on when it was on, with no object left frozen."""
    import gc

    from sim.model import ChildrensServicesModel

    cfg = make_cfg(f"team_model={team_model}", "area.children=4000", "years=1", "warmup_years=1")
    model = ChildrensServicesModel(cfg, 5)
    gc.collect()
    gc.disable()
    try:
        model.run()
        assert not gc.isenabled(), "run() switched on a collector that was off"
        found = gc.collect()
    finally:
        gc.enable()
    assert len(model.episodes) > 500, "the run did too little to tell"
    assert found == 0, f"{found} objects in reference cycles were left for the collector"
    again = ChildrensServicesModel(make_cfg("area.children=500", "years=0.1", "warmup_years=0"), 1)
    again.run()
    assert gc.isenabled(), "run() left the garbage collector switched off"
    assert gc.get_freeze_count() == 0, "run() left objects out of the collector's sight"


def test_keyed_uniforms_one_matches_the_array_version() -> None:
    """The single-row keyed uniforms (used for step-downs) are bit for bit the array
    version's, including negative and large keys and the extremes of 64 bits."""
    from sim.rng import keyed_uniforms, keyed_uniforms_one

    rng = np.random.default_rng(0)
    cases = [(0, 0, 0), (2**63 - 1, -1, -(2**63)), (12345, 2**62, 5)]
    cases += [
        (int(k), int(a), int(b))
        for k, a, b in zip(
            rng.integers(0, 2**63, 200),
            rng.integers(0, 10**6, 200),
            rng.integers(-(2**63), 2**63 - 1, 200),
            strict=True,
        )
    ]
    for key, a, b in cases:
        want = keyed_uniforms(key, np.array([a]), np.array([b], dtype=np.int64), 10)[0]
        assert keyed_uniforms_one(key, a, b, 10) == want.tolist(), (key, a, b)


def test_team_models_carry_their_own_label_and_colour() -> None:
    """Each registered team model names its plain label and plot colour once, on its
    class; the plots and the dashboard take theirs from the registry, so a new team
    model needs no list elsewhere."""
    from sim import app, plots
    from sim.team_models import REGISTRY

    labels = {name: cls.label for name, cls in REGISTRY.items()}
    colours = {name: cls.colour for name, cls in REGISTRY.items()}
    assert all(labels.values()) and len(set(labels.values())) == len(REGISTRY), labels
    assert len(set(colours.values())) == len(REGISTRY), colours
    assert plots.LABELS == labels and plots.PALETTE == colours
    assert app.TEAM_MODELS == tuple(REGISTRY)
