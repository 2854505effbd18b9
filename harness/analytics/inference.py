"""Seed-level inference: the seed is the independent unit, so intervals are over per-seed values.

Each seed is its own market (its own background streams and parent flow); orders within one seed share that market and
are not independent. A comparison therefore reduces each seed to one value (for example the mean paired difference
over that seed's orders) and infers over the seeds:

* the interval is Student's t on the per-seed values, ``mean +- t(1 - alpha/2, n - 1) * sd / sqrt(n)``;
* with fewer than :data:`MIN_SEEDS` seeds no interval is given a confidence level and no verdict rests on it
  (:func:`too_few_seeds` gives the text shown instead);
* :func:`min_detectable_difference` and :func:`seeds_needed` give the power analysis of a two-sided t test at the
  seeds at hand (a normal approximation of the noncentral t, with the t quantile for the test itself).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

MIN_SEEDS = 5
"""Seeds below which no interval is called 95% and no verdict is drawn (metrics spec: "fewer than about 5 seeds")."""

LEVEL = 0.95
POWER = 0.8


@dataclass(frozen=True)
class SeedInterval:
    """The mean of per-seed values with its t interval; ``verdict`` is False below :data:`MIN_SEEDS` seeds."""

    mean: float
    low: float
    high: float
    sd: float
    """Standard deviation of the per-seed values (ddof 1); NaN with fewer than 2 seeds."""
    seeds: int
    level: float
    verdict: bool
    """Whether the seeds are enough for a verdict; when False, ``low``/``high`` are NaN."""

    @property
    def zero_excluded(self) -> bool:
        """True when a verdict is possible and the interval lies strictly on one side of zero."""
        return self.verdict and (self.low > 0 or self.high < 0)


def seed_interval(values: npt.ArrayLike, *, level: float = LEVEL, min_seeds: int = MIN_SEEDS) -> SeedInterval:
    """Mean and Student-t interval of per-seed values (NaN values are dropped first).

    Working for a known answer: values 1, 2, 3, 4, 5 -> mean 3, sd sqrt(2.5) = 1.5811, se = 0.70711,
    t(0.975, 4) = 2.7764, half-width 1.9633 -> [1.0367, 4.9633].
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    n = len(v)
    mean = float(v.mean()) if n else math.nan
    sd = float(v.std(ddof=1)) if n > 1 else math.nan
    if n < max(min_seeds, 2):
        return SeedInterval(mean, math.nan, math.nan, sd, n, level, verdict=False)
    if sd == 0.0:
        return SeedInterval(mean, mean, mean, sd, n, level, verdict=True)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return SeedInterval(mean, mean - half, mean + half, sd, n, level, verdict=True)


def too_few_seeds(seeds: int, *, need: int = MIN_SEEDS) -> str:
    """The text shown in place of a verdict."""
    return f"too few seeds for a verdict ({seeds}; need {need})"


def min_detectable_difference(sd: float, seeds: int, *, level: float = LEVEL, power: float = POWER) -> float:
    """Smallest true mean difference a two-sided t test on ``seeds`` per-seed values detects with ``power``.

    ``(t(1 - alpha/2, n - 1) + z(power)) * sd / sqrt(n)``. Working: sd 1, n 16 -> (2.1314 + 0.8416) / 4 = 0.7433.
    """
    if seeds < 2 or not math.isfinite(sd):
        return math.nan
    t_crit = float(stats.t.ppf(0.5 + level / 2, seeds - 1))
    return (t_crit + float(stats.norm.ppf(power))) * sd / math.sqrt(seeds)


def seeds_needed(sd: float, difference: float, *, level: float = LEVEL, power: float = POWER,
                 max_seeds: int = 1_000_000) -> int:
    """Fewest seeds whose :func:`min_detectable_difference` is at most ``difference`` (0 if it cannot be computed).

    The detectable difference falls with every added seed, so the answer is found by doubling, then bisection.
    """
    if not (math.isfinite(sd) and math.isfinite(difference)) or difference <= 0:
        return 0
    if sd == 0:
        return 2

    def enough(n: int) -> bool:
        return min_detectable_difference(sd, n, level=level, power=power) <= difference

    hi = 2
    while not enough(hi):
        if hi >= max_seeds:
            return 0
        hi *= 2
    lo = max(2, hi // 2)
    while lo < hi:
        mid = (lo + hi) // 2
        if enough(mid):
            hi = mid
        else:
            lo = mid + 1
    return hi
