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
    "population",  # families, children, risk factors at the start
    "demography",  # moves, births
    "onset",  # need onsets: one draw per child per week, whatever happens
    "pathway",  # choices in identification, assessment and support
    "workforce",  # turnover, recruitment, sickness, training, home demand
    "specialist",  # social care and CAMHS outcomes and durations
    "model",  # Mesa's own generator (agent shuffles; unused by the pathway)
    "structure",  # the team model's own posts (coordinators, central team)
    "episode",  # key of each new episode's own variates (see keyed_uniforms)
)

_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijective scramble of 64-bit integers (wraps silently)."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def keyed_uniforms(key: int, a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Uniform numbers on [0, 1) that depend only on ``(key, a[i], b[i], j)``.

    Returns an array of shape ``(len(a), n)``. An episode's own variates are keyed on its
    child and the start of its onset week, not drawn in turn from a stream, so the same
    need gets the same course under every team model even when the models see different
    numbers of episodes (common random numbers at the level of the episode).

    Parameters
    ----------
    key : the run's key (drawn once from the ``episode`` stream).
    a, b : integer arrays of equal length (for example child and onset-week start day).
    n : variates per row.
    """
    with np.errstate(over="ignore"):
        h = _mix(np.uint64(key) ^ _mix(np.asarray(a).astype(np.int64).view(np.uint64) * _GOLDEN))
        h = _mix(h ^ _mix(np.asarray(b).astype(np.int64).view(np.uint64) + _GOLDEN))
        j = np.arange(1, n + 1, dtype=np.uint64) * _GOLDEN
        h = _mix(h[:, None] + j[None, :])
    return (h >> np.uint64(11)).astype(np.float64) * 2.0**-53


_MASK = (1 << 64) - 1
_G, _A, _B = int(_GOLDEN), int(_M1), int(_M2)


def _mix_int(z: int) -> int:
    """:func:`_mix` of one 64-bit integer, in Python integers."""
    z = ((z ^ (z >> 30)) * _A) & _MASK
    z = ((z ^ (z >> 27)) * _B) & _MASK
    return z ^ (z >> 31)


def keyed_uniforms_one(key: int, a: int, b: int, n: int) -> list[float]:
    """``keyed_uniforms(key, [a], [b], n)[0]`` as a list, for a single row: the same
    numbers, computed without NumPy's per-call overhead (used once per step-down)."""
    h = _mix_int((key & _MASK) ^ _mix_int(((a & _MASK) * _G) & _MASK))
    h = _mix_int(h ^ _mix_int(((b & _MASK) + _G) & _MASK))
    return [(_mix_int((h + j * _G) & _MASK) >> 11) * 2.0**-53 for j in range(1, n + 1)]


def spawn_streams(seed: int | np.random.SeedSequence) -> dict[str, np.random.Generator]:
    """Return one independent generator per name in :data:`STREAMS`.

    Parameters
    ----------
    seed : int or numpy.random.SeedSequence
        The run's seed, or a replicate's spawned sequence.
    """
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    children = ss.spawn(len(STREAMS))
    return {
        name: np.random.default_rng(child) for name, child in zip(STREAMS, children, strict=True)
    }


def replicate_seeds(seed: int, replicates: int) -> list[np.random.SeedSequence]:
    """Seeds for ``replicates`` independent replicates of one scenario.

    Replicate ``r`` gets the same seed sequence whatever the team model, so comparisons
    between team models are paired (common random numbers).
    """
    return np.random.SeedSequence(seed).spawn(replicates)
