"""Analytic results the model is verified against. The model never imports this module.

Erlang C gives the exact mean wait of an M/M/c queue: Poisson arrivals at rate
``lam``, ``c`` servers, exponential service at rate ``mu`` per server.
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


def mmc_overrides(servers: int, utilisation: float, customers: int, replicates: int,
                  seed: int = 1, arrivals_per_day: float = 20.0,
                  children_per_arrival: float = 10_000.0,
                  warmup_relaxations: float = 3.0) -> list[str]:
    """Hydra overrides for ``experiment=mmc`` sized by the number of customers.

    An M/M/c queue's mean wait in service times depends only on ``c`` and the
    utilisation, so the service time is chosen to give ``arrivals_per_day`` customers a
    day, whatever ``c`` and the utilisation (the Erlang C value is compared in days
    for that service time).

    The model draws at most one onset per child per week from a weekly probability, and
    a child with an open need has no new onset, so arrivals are Poisson only when
    ``7 lam / children`` is small: the arrival rate falls short by about half of it. With
    ``children_per_arrival`` = 10,000 children per daily arrival the shortfall is 0.035%
    (0.35% of the mean wait at utilisation 0.9 with one server, where the wait's
    elasticity to the arrival rate is ``1 / (1 - rho)`` = 10).

    Parameters
    ----------
    servers, utilisation : the queue.
    customers : customers observed in total over all replicates.
    replicates : independent replications (each with its own warm-up).
    seed : root seed.
    arrivals_per_day : arrival rate ``lam`` per day.
    children_per_arrival : children in the area per daily arrival.
    warmup_relaxations : warm-up length in relaxation times
        (:func:`mmc_relaxation_days`), at least a week.
    """
    s = utilisation * servers / arrivals_per_day
    children = int(math.ceil(children_per_arrival * arrivals_per_day))
    years = customers / replicates / arrivals_per_day / 365.25
    warmup = max(warmup_relaxations * mmc_relaxation_days(servers, utilisation, s), 7.0)
    return ["experiment=mmc", f"mmc.servers={servers}", f"mmc.utilisation={utilisation}",
            f"mmc.mean_service_days={s!r}", f"area.children={children}",
            f"years={years!r}", f"warmup_years={warmup / 365.25!r}",
            f"replicates={replicates}", f"seed={seed}", "progress=false"]
