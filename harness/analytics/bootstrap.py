"""The two-stage (seeds, then orders within each seed) bootstrap of column sums, and per-pair random streams.

Paired comparisons and the review no longer use it: their intervals are seed-level t intervals
(:mod:`harness.analytics.inference`), because this bootstrap was not shown to be calibrated (with 2-3 seeds its
percentile interval is close to the min-max of the seeds). It stays for the conflict evidence's regret interval until
that moves to seed-level inference too.
"""

from __future__ import annotations

import zlib

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def pair_stream(seed: int, a: str, b: str) -> np.random.Generator:
    """A random stream derived from ``seed`` and two names (adding a router does not change another pair's draws)."""
    return np.random.default_rng([seed, zlib.crc32(f"{a}\x00{b}".encode())])


def bootstrap_sums(values: FloatArray, groups: npt.NDArray[np.int64], *, n_boot: int,
                   rng: np.random.Generator, max_cells: int = 2_000_000) -> FloatArray:
    """Column sums of ``values`` (rows x columns) for ``n_boot`` two-stage bootstrap replicates.

    ``groups`` holds each row's seed as a code 0..G-1. Replicate r draws G seeds with replacement; for each draw of
    seed g it draws that seed's n_g rows with replacement, and adds their sums. Memory stays below about
    ``max_cells`` counts at a time. Returns an array (n_boot, columns).
    """
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    out = np.zeros((n_boot, values.shape[1]))
    if n_groups == 0:
        return out
    picks = rng.integers(0, n_groups, size=(n_boot, n_groups))
    copies = np.bincount((picks + np.arange(n_boot)[:, None] * n_groups).ravel(),
                         minlength=n_boot * n_groups).reshape(n_boot, n_groups)
    for g in range(n_groups):
        v = values[groups == g]
        n_g = len(v)
        reps = np.repeat(np.arange(n_boot), copies[:, g])
        step = max(1, max_cells // max(n_g, 1))
        for start in range(0, len(reps), step):
            batch = reps[start:start + step]
            idx = rng.integers(0, n_g, size=(len(batch), n_g))
            counts = np.bincount((idx + np.arange(len(batch))[:, None] * n_g).ravel(),
                                 minlength=len(batch) * n_g).reshape(len(batch), n_g)
            np.add.at(out, batch, counts @ v)
    return out
