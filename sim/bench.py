"""Benchmark: full-scale speed against a plain Mesa loop, scaling and memory.

``python -m sim.bench`` runs, in one process on one core:

1. a plain Mesa loop: one agent per child, each stepping weekly and doing trivial work
   (one random draw), for ``--baseline-weeks`` weeks, scaled to the horizon;
2. the model on a West Sussex-style area (one simulated child per real child) for
   ``--years`` observed years after its warm-up, once per team model;
3. the model at N/2 and N children (scaling);
4. five models one after another (memory growth);

then prints a table and, last, the figures as one JSON line. Times are the process's CPU
time (``time.process_time``): the model and the loop are single-threaded, so this is the
time on one core, and it is not inflated when other work shares the machine. Wall-clock
times are printed beside them. Time ratios are measured side by side in one process.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import resource
import sys
import time

import mesa
import numpy as np

from sim.config import compose, validate
from sim.model import ChildrensServicesModel
from sim.team_models import REGISTRY


class _TrivialAgent(mesa.Agent):
    def step(self) -> None:
        self.x = self.random.random()


class PlainMesaLoop(mesa.Model):
    """The comparison: every child an agent, stepping weekly with trivial work."""

    def __init__(self, n: int, seed: int = 0) -> None:
        super().__init__(rng=seed)
        for _ in range(n):
            _TrivialAgent(self)

    def step(self) -> None:
        """One week: every agent steps in random order."""
        self.agents.shuffle_do("step")


def time_plain_loop(n: int, weeks: int) -> tuple[float, float]:
    """CPU seconds to build ``n`` agents and to step them ``weeks`` times."""
    t0 = time.process_time()
    m = PlainMesaLoop(n)
    t1 = time.process_time()
    for _ in range(weeks):
        m.step()
    t2 = time.process_time()
    mesa.Agent._ids.pop(m, None)
    del m
    gc.collect()
    return t1 - t0, t2 - t1


def time_model(overrides: list[str], seed: int = 1) -> tuple[float, int]:
    """CPU seconds for one full run (set-up included) and the episodes it produced."""
    cfg = validate(compose(overrides))
    t0 = time.process_time()
    w0 = time.perf_counter()
    model = ChildrensServicesModel(cfg, seed)
    model.run()
    elapsed = time.process_time() - t0
    print(
        f"  {' '.join(o for o in overrides if o != 'progress=false')}: "
        f"{elapsed:.1f} s CPU, {time.perf_counter() - w0:.1f} s wall",
        file=sys.stderr,
        flush=True,
    )
    n = len(model.episodes)
    mesa.Agent._ids.pop(model, None)
    del model
    gc.collect()
    return elapsed, n


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb() -> float:
    """Current resident memory, in MB (Linux)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * resource.getpagesize() / 1024.0**2


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark and print its table and JSON line."""
    ap = argparse.ArgumentParser(prog="python -m sim.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--area", default="west_sussex")
    ap.add_argument("--children", type=int, default=None, help="override the area's size")
    ap.add_argument("--years", type=float, default=10.0, help="observed years")
    ap.add_argument("--warmup-years", type=float, default=None)
    ap.add_argument(
        "--baseline-weeks",
        type=int,
        default=52,
        help="weeks of the plain loop actually run (scaled to the horizon)",
    )
    ap.add_argument("--team-models", default=",".join(REGISTRY))
    ap.add_argument(
        "--scaling-years", type=float, default=3.0, help="observed years of the scaling runs"
    )
    ap.add_argument(
        "--scaling-repeats",
        type=int,
        default=2,
        help="runs at each size, interleaved; the fastest counts",
    )
    ap.add_argument("--skip-scaling", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args(argv)

    base = [f"area={args.area}", f"years={args.years}", "progress=false"]
    if args.children:
        base.append(f"area.children={args.children}")
    if args.warmup_years is not None:
        base.append(f"warmup_years={args.warmup_years}")
    cfg = validate(compose(base))
    n = cfg.area.children
    horizon_weeks = (cfg.years + cfg.warmup_years) * 365.25 / 7
    out: dict = {
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
        "children": n,
        "years": cfg.years,
        "warmup_years": cfg.warmup_years,
    }

    build, step = time_plain_loop(n, args.baseline_weeks)
    plain = build + step * horizon_weeks / args.baseline_weeks
    out["plain_mesa_loop_s"] = plain
    rows = [("plain Mesa loop (scaled)", plain, None)]
    for tm in args.team_models.split(","):
        secs, eps = time_model(base + [f"team_model={tm}"])
        out[f"model_{tm}_s"] = secs
        out[f"ratio_{tm}"] = plain / secs
        rows.append((f"model, {tm} ({eps} episodes)", secs, plain / secs))
    if not args.skip_scaling:
        half = max(n // 2, 1000)
        short = [o for o in base if not o.startswith("years=")] + [f"years={args.scaling_years}"]
        times: dict[int, list[float]] = {half: [], 2 * half: []}
        for _ in range(args.scaling_repeats):
            for size in times:
                times[size].append(time_model(short + [f"area.children={size}"])[0])
        t_half, t_full = min(times[half]), min(times[2 * half])
        out["scaling_time_ratio_2n_over_n"] = t_full / t_half
        rows.append((f"model at {half} children, {args.scaling_years:g} years", t_half, None))
        rows.append((f"model at {2 * half} children, {args.scaling_years:g} years", t_full, None))
    if not args.skip_memory:
        small = base + ["area.children=20000", "years=2"]
        time_model(small)
        before = current_rss_mb()
        for _ in range(5):
            time_model(small)
        after = current_rss_mb()
        out["memory_growth_5_models"] = (after - before) / before
    out["peak_rss_mb"] = peak_rss_mb()

    print(f"{'run':<48}{'CPU s':>10}{'ratio':>8}")
    for name, secs, ratio in rows:
        print(f"{name:<48}{secs:>10.1f}{'' if ratio is None else f'{ratio:>8.2f}'}")
    if "scaling_time_ratio_2n_over_n" in out:
        print(f"time at 2N / time at N: {out['scaling_time_ratio_2n_over_n']:.2f}")
    if "memory_growth_5_models" in out:
        print(
            f"memory growth over five sequential models: {100 * out['memory_growth_5_models']:.1f}%"
        )
    print(f"peak resident memory: {out['peak_rss_mb']:.0f} MB")
    print(json.dumps(out, sort_keys=True))
    sys.stdout.flush()
    return out


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
