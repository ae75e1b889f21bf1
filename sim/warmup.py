"""Run-length choices: warm-up by MSER-5, replicates by a confidence-interval criterion.

The model starts with no open needs and an establishment with no history, so its early
weeks are not typical of the steady state: they are discarded as warm-up. Two choices are
made from pilot runs of the model (``experiments/choose_run_length.py``):

- **Warm-up length** by MSER-5 (White, Cobb and Spratt 2000; Hoad, Robinson and Davies
  2010 recommend it among 42 methods): average the weekly series in batches of 5, and
  truncate where the standard error of the mean of what is left is smallest.
- **Replicates** by the confidence-interval method (Robinson 2014, *Simulation: The
  Practice of Model Development and Use*, ch. 9): the fewest replicates whose 95%
  interval half-width is within a chosen share of the mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.summary import half_width


@dataclass(frozen=True)
class MserResult:
    """Outcome of MSER-k on one series.

    Attributes
    ----------
    truncation : int
        Observations (not batches) to discard from the start.
    statistic : float
        The MSER statistic at the chosen truncation.
    batch_size : int
        Observations per batch (5 for MSER-5).
    reliable : bool
        False when the minimum lies in the second half of the series, where MSER is known
        to be unreliable (the series is too short or not stationary).
    """

    truncation: int
    statistic: float
    batch_size: int
    reliable: bool


def mser(series: np.ndarray, batch_size: int = 5) -> MserResult:
    """MSER-k truncation point of ``series`` (MSER-5 with the default ``batch_size``).

    For each truncation ``d`` (in batches) the statistic is
    ``sum((z[d:] - mean(z[d:]))**2) / (n - d)**2`` over the batch means ``z``; the chosen
    ``d`` minimises it over the first half of the batches, and the result is reported
    as unreliable if the overall minimum lies in the second half.

    Parameters
    ----------
    series : array of float
        Observations in time order (e.g. one value per week).
    batch_size : int
        Observations averaged into each batch.

    Returns
    -------
    MserResult
    """
    x = np.asarray(series, dtype=float)
    n_batches = len(x) // batch_size
    if n_batches < 4:
        raise ValueError(
            f"MSER-{batch_size} needs at least {4 * batch_size} observations, got {len(x)}"
        )
    z = x[: n_batches * batch_size].reshape(n_batches, batch_size).mean(axis=1)
    # Statistic for every truncation d = 0 .. n-2, from suffix sums.
    rev = z[::-1]
    cnt = np.arange(1, n_batches + 1, dtype=float)
    s1 = np.cumsum(rev)[::-1]
    s2 = np.cumsum(rev * rev)[::-1]
    m = cnt[::-1]
    sse = np.maximum(s2 - s1 * s1 / m, 0.0)
    stat = sse[:-1] / m[:-1] ** 2
    best_all = int(np.argmin(stat))
    half = max(n_batches // 2, 1)
    best = int(np.argmin(stat[:half]))
    return MserResult(
        truncation=best * batch_size,
        statistic=float(stat[best]),
        batch_size=batch_size,
        reliable=best_all < half,
    )


def replicates_needed(
    values: np.ndarray, precision: float = 0.05, level: float = 0.95, max_replicates: int = 1000
) -> int:
    """Fewest replicates whose ``level`` interval half-width is at most ``precision`` x
    the mean, estimated from pilot replicates ``values``.

    The pilot's standard deviation ``s`` is taken as known and ``n`` is the smallest with
    ``t(n-1) * s / sqrt(n) <= precision * |mean|`` (:func:`sim.summary.half_width`; the
    pilot's own interval is :func:`sim.summary.ci_half_width`) (Robinson 2014, ch. 9; a sequential
    check on the real runs should confirm it).

    Parameters
    ----------
    values : array of float
        The output of interest, one value per pilot replicate (at least 2).
    precision : float
        Target half-width relative to the mean (0.05: within 5%).
    level : float
        Confidence level.
    max_replicates : int
        Upper bound returned when the target is not met sooner.
    """
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        raise ValueError("at least 2 pilot replicates are needed")
    s, mean = float(x.std(ddof=1)), abs(float(x.mean()))
    target = precision * mean
    if s == 0.0:
        return 2
    for n in range(2, max_replicates + 1):
        if half_width(s, n, level) <= target:
            return n
    return max_replicates
