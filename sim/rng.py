"""Independent random streams, one per random process, spawned from one seed.

Giving every process its own stream is what makes common random numbers work across
team models: the population, need onsets and workforce draw from streams that no team
model touches, so the same seed gives the same children and the same needs whatever the
team model does with them.
"""

from __future__ import annotations

import numpy as np

#: Named random processes. Appending is safe; reordering changes every result.
STREAMS: tuple[str, ...] = (
    "population",   # families, children, risk factors at the start
    "demography",   # moves, births
    "onset",        # need onsets: one draw per child per week, whatever happens
    "pathway",      # choices in identification, assessment and support
    "workforce",    # turnover, recruitment, sickness, training, home demand
    "specialist",   # social care and CAMHS outcomes and durations
    "model",        # Mesa's own generator (agent shuffles; unused by the pathway)
    "structure",    # the team model's own posts (coordinators, central team)
    "episode",      # each new episode's own variates (tier, domains, clock budgets)
)


def spawn_streams(seed: int | np.random.SeedSequence) -> dict[str, np.random.Generator]:
    """Return one independent generator per name in :data:`STREAMS`.

    Parameters
    ----------
    seed : int or numpy.random.SeedSequence
        The run's seed, or a replicate's spawned sequence.
    """
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    children = ss.spawn(len(STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(STREAMS, children)}


def replicate_seeds(seed: int, replicates: int) -> list[np.random.SeedSequence]:
    """Seeds for ``replicates`` independent replicates of one scenario.

    Replicate ``r`` gets the same seed sequence whatever the team model, so comparisons
    between team models are paired (common random numbers).
    """
    return np.random.SeedSequence(seed).spawn(replicates)
