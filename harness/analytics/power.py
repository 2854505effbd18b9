"""Power of the paired comparisons: per figure and router pair, what the seeds at hand can detect.

From the "all" row of each pair in :func:`harness.analytics.paired.paired_table` (strata weighted by their share of
paired parents, one value per seed): the number of seeds, the standard deviation of the per-seed paired differences,
the minimum detectable difference of a two-sided 5% t test at 80% power for those seeds, and, for a given difference
in the figure's unit, the seeds needed to detect it (:mod:`harness.analytics.inference`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from harness.analytics.inference import LEVEL, POWER, min_detectable_difference, seeds_needed
from harness.analytics.paired import ALL, PAIRED_FIGURES, STRATA, Figure, paired_table

POWER_COLUMNS = ["figure", "router_a", "router_b", "stratum", "unit", "seeds", "orders", "sd_seed", "mean_diff",
                 "min_detectable_diff", "difference", "seeds_needed"]


def figure_named(name: str) -> Figure:
    """The paired figure called ``name`` (``ValueError`` naming the known ones if there is none)."""
    for f in PAIRED_FIGURES:
        if f.name == name:
            return f
    raise ValueError(f"unknown figure {name!r} (one of {', '.join(f.name for f in PAIRED_FIGURES)})")


def power_table(orders: pd.DataFrame, *, figures: Sequence[Figure] = PAIRED_FIGURES,
                difference: float | None = None, level: float = LEVEL, power: float = POWER) -> pd.DataFrame:
    """Per figure and router pair (stratum "all"): seeds, per-seed sd, minimum detectable difference, seeds needed.

    ``min_detectable_diff`` is the smallest true mean paired difference (the figure's unit) the seeds at hand detect
    with ``power`` at ``level``; ``seeds_needed`` the fewest seeds that detect ``difference`` (empty without one; 0
    when the sd is undefined, e.g. a single seed).
    """
    table = paired_table(orders, level=level, figures=figures)
    rows = table[table[list(STRATA)].eq(ALL).all(axis=1)]
    out = []
    for r in rows.itertuples(index=False):
        sd, seeds = float(r.sd_seed), int(r.seeds)
        out.append({
            "figure": r.figure, "router_a": r.router_a, "router_b": r.router_b, "stratum": ALL, "unit": r.unit,
            "seeds": seeds, "orders": int(r.n), "sd_seed": sd, "mean_diff": float(r.mean_diff),
            "min_detectable_diff": min_detectable_difference(sd, seeds, level=level, power=power),
            "difference": difference if difference is not None else math.nan,
            "seeds_needed": (seeds_needed(sd, difference, level=level, power=power) if difference is not None
                             else None),
        })
    frame = pd.DataFrame(out, columns=POWER_COLUMNS)
    frame["seeds_needed"] = frame["seeds_needed"].astype("Int64")
    return frame
