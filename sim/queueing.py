"""Queueing theory: Erlang C for the M/M/c queue.

Erlang C gives the exact mean wait of an M/M/c queue: Poisson arrivals at rate ``lam``,
``c`` servers, exponential service at rate ``mu`` per server ([Erlang 1917] in
docs/sources.md). The M/M/c set-up of the model (``experiment=mmc``) reports it beside
the simulated wait, and :mod:`sim.validation` checks the two agree.
"""

from __future__ import annotations

import math


def erlang_c_probability(c: int, offered_load: float) -> float:
    """Probability that an arrival waits, for ``c`` servers and offered load ``a = lam/mu``.

    Computed with the numerically stable Erlang B recursion.
    """
    if offered_load >= c:
        return 1.0
    b = 1.0
    for k in range(1, c + 1):
        b = offered_load * b / (k + offered_load * b)
    rho = offered_load / c
    return b / (1.0 - rho + rho * b)


def erlang_c_mean_wait(c: int, lam: float, mu: float) -> float:
    """Mean time in queue (before service) of an M/M/c queue, in the units of 1/lam."""
    a = lam / mu
    if a >= c:
        return math.inf
    return erlang_c_probability(c, a) / (c * mu - lam)


def mmc_mean_wait_days(servers: int, utilisation: float, mean_service_days: float) -> float:
    """Erlang C mean wait in days for the model's ``mmc`` configuration."""
    mu = 1.0 / mean_service_days
    lam = utilisation * servers * mu
    return erlang_c_mean_wait(servers, lam, mu)


def mmc_relaxation_days(servers: int, utilisation: float, mean_service_days: float) -> float:
    """Relaxation time of an M/M/c queue in days, ``1 / (mu (sqrt(c) - sqrt(a))**2)``.

    The time scale on which the queue forgets its start (exact for c = 1, the usual
    heavy-traffic approximation for c > 1; Asmussen 2003, *Applied Probability and
    Queues*, ch. III). Used to size warm-ups of the M/M/c verification.
    """
    a = servers * utilisation
    return mean_service_days / (math.sqrt(servers) - math.sqrt(a)) ** 2
