"""Paired router comparisons with a two-stage bootstrap, and a ranking that trusts only the intervals.

Routers replay identical parent orders, so router A and router B are compared order by order: for each figure the
difference A - B on every (seed, parent_id) both routers have the figure for, averaged with equal weight per order.
E/Q is the exception: a ratio of averages, so its "difference" is E/Q of A minus E/Q of B over the orders both
routers filled, each E/Q being sum(ES * filled) / sum(QS * filled) with the router's own fills.

The confidence interval is a percentile interval from a two-stage bootstrap: each replicate draws the seeds with
replacement and, independently for every seed drawn, that seed's paired orders with replacement; the statistic is
recomputed on the pooled draw. Seeds are the independent units (each is its own market), orders within a seed are
not independent of each other, so resampling only orders would understate the uncertainty.

Each router pair has its own random stream, derived from ``seed`` and the pair's names: adding a router does not
change any other pair's interval.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Figure:
    """A headline figure compared between routers: the per-order column and which direction is better."""

    name: str
    column: str
    higher_is_better: bool


PAIRED_FIGURES = (
    Figure("pi_per_share", "pi_per_share", higher_is_better=True),
    Figure("effective_spread", "effective_spread", higher_is_better=False),
    Figure("eq_ratio", "effective_spread", higher_is_better=False),
    Figure("fill_rate", "fill_rate", higher_is_better=True),
    Figure("shortfall_per_share", "shortfall_per_share", higher_is_better=False),
    Figure("time_to_first_fill_ms", "time_to_first_fill_ms", higher_is_better=False),
    Figure("markout_1s", "markout_1s", higher_is_better=True),
    Figure("net_fees_per_share", "net_fees_per_share", higher_is_better=False),
)
RATIO_FIGURE = "eq_ratio"

PAIRED_COLUMNS = [
    "figure", "router_a", "router_b", "higher_is_better", "seeds", "n", "value_a", "value_b", "mean_diff", "ci_low",
    "ci_high", "zero_excluded", "better",
]
RANKING_COLUMNS = ["figure", "router", "rank", "value", "wins", "losses", "ties", "higher_is_better"]


def _stream(seed: int, a: str, b: str) -> np.random.Generator:
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


def _mean_columns(diff: FloatArray) -> tuple[FloatArray, Callable[[FloatArray], FloatArray]]:
    ok = ~np.isnan(diff)
    cols = np.column_stack([np.where(ok, diff, 0.0), ok.astype(np.float64)])

    def stat(sums: FloatArray) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return sums[..., 0] / sums[..., 1]

    return cols, stat


def _ratio_columns(pair: pd.DataFrame) -> tuple[FloatArray, Callable[[FloatArray], FloatArray]]:
    parts = []
    ok = np.ones(len(pair), dtype=bool)
    for side in ("a", "b"):
        es, qs = pair[f"effective_spread_{side}"].to_numpy(np.float64), pair[f"quoted_spread_{side}"].to_numpy(
            np.float64)
        w = pair[f"filled_qty_{side}"].to_numpy(np.float64)
        ok &= ~np.isnan(es) & ~np.isnan(qs) & (w > 0)
        parts += [es * w, qs * w]
    cols = np.column_stack([np.where(ok, p, 0.0) for p in parts] + [ok.astype(np.float64)])

    def stat(sums: FloatArray) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return sums[..., 0] / sums[..., 1] - sums[..., 2] / sums[..., 3]

    return cols, stat


def _value(frame: pd.DataFrame, figure: Figure) -> float:
    """A router's own figure on a set of orders: the order-weighted mean, or E/Q as a ratio of averages."""
    if figure.name == RATIO_FIGURE:
        ok = frame["effective_spread"].notna() & frame["quoted_spread"].notna() & (frame["filled_qty"] > 0)
        es = (frame["effective_spread"] * frame["filled_qty"])[ok].sum()
        qs = (frame["quoted_spread"] * frame["filled_qty"])[ok].sum()
        return float(es / qs) if qs else float("nan")
    return float(frame[figure.column].mean())


def _interval(replicates: FloatArray, ci_level: float) -> tuple[float, float]:
    """Percentile interval; replicates that drew no order with the figure (NaN) are skipped."""
    reps = replicates[~np.isnan(replicates)]
    if not len(reps):
        return float("nan"), float("nan")
    tail = (1 - ci_level) / 2
    return float(np.quantile(reps, tail)), float(np.quantile(reps, 1 - tail))


def _compare(pair: pd.DataFrame, a: str, b: str, *, figures: tuple[Figure, ...], n_boot: int,
             rng: np.random.Generator, ci_level: float) -> list[dict[str, object]]:
    """Rows of the paired table for one router pair; ``pair`` has each figure's column suffixed _a and _b."""
    built = []
    for fig in figures:
        if fig.name == RATIO_FIGURE:
            built.append((fig, *_ratio_columns(pair)))
        else:
            diff = pair[f"{fig.column}_a"].to_numpy(np.float64) - pair[f"{fig.column}_b"].to_numpy(np.float64)
            built.append((fig, *_mean_columns(diff)))
    sums = None
    if len(pair):
        # one set of draws for every figure of the pair, so that the figures' intervals are comparable
        values = np.column_stack([cols for _, cols, _ in built])
        sums = bootstrap_sums(values, pd.factorize(pair["seed"])[0].astype(np.int64), n_boot=n_boot, rng=rng)
    rows: list[dict[str, object]] = []
    start = 0
    for fig, cols, stat in built:
        width = cols.shape[1]
        used = pair[cols[:, -1] > 0]  # the last column flags the orders that have the figure
        low, high = _interval(stat(sums[:, start:start + width]), ci_level) if sums is not None and len(used) else (
            float("nan"), float("nan"))
        start += width
        excluded = bool(low > 0 or high < 0)
        better = (a if (low > 0) == fig.higher_is_better else b) if excluded else ""
        rows.append({
            "figure": fig.name, "router_a": a, "router_b": b, "higher_is_better": fig.higher_is_better,
            "seeds": int(used["seed"].nunique()), "n": len(used),
            "value_a": _value(_side(used, "a"), fig), "value_b": _value(_side(used, "b"), fig),
            "mean_diff": float(stat(cols.sum(axis=0))) if len(used) else float("nan"),
            "ci_low": low, "ci_high": high, "zero_excluded": excluded, "better": better,
        })
    return rows


def paired_table(orders: pd.DataFrame, *, n_boot: int = 2000, seed: int = 0, ci_level: float = 0.95,
                 figures: tuple[Figure, ...] = PAIRED_FIGURES) -> pd.DataFrame:
    """Mean paired difference (router_a - router_b) per figure and router pair, with bootstrap intervals.

    ``orders`` is the per-order table. Routers are paired in sorted order (a < b). ``value_a`` / ``value_b`` are the
    routers' own figures on the paired orders; ``zero_excluded`` says whether the interval lies on one side of zero
    and ``better`` then names the better router (by the figure's direction), else is empty.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not 0 < ci_level < 1:
        raise ValueError(f"ci_level must be between 0 and 1, got {ci_level}")
    cols = ["seed", "parent_id", *sorted({f.column for f in figures} | {"effective_spread", "quoted_spread",
                                                                         "filled_qty"})]
    rows = []
    for a, b in combinations(sorted(orders["router"].unique()), 2):
        pair = orders.loc[orders["router"] == a, cols].merge(
            orders.loc[orders["router"] == b, cols], on=["seed", "parent_id"], suffixes=("_a", "_b"),
        ).sort_values(["seed", "parent_id"], kind="stable").reset_index(drop=True)
        rows += _compare(pair, a, b, figures=figures, n_boot=n_boot, rng=_stream(seed, a, b), ci_level=ci_level)
    table = pd.DataFrame(rows, columns=PAIRED_COLUMNS)
    order = {f.name: i for i, f in enumerate(figures)}
    return table.sort_values(["figure", "router_a", "router_b"], key=lambda c: c.map(order) if c.name == "figure"
                             else c, kind="stable").reset_index(drop=True)


def _side(pair: pd.DataFrame, side: str) -> pd.DataFrame:
    suffix = f"_{side}"
    return pair[[c for c in pair.columns if c.endswith(suffix)]].rename(columns=lambda c: c[: -len(suffix)])


def ranking_table(paired: pd.DataFrame, orders: pd.DataFrame,
                  figures: tuple[Figure, ...] = PAIRED_FIGURES) -> pd.DataFrame:
    """Rank routers per figure from the paired intervals, never from point estimates alone.

    A router wins against another when their paired interval excludes zero in its favour, loses when it excludes
    zero against it, and ties otherwise. Its rank is 1 + the number of routers that beat it, so routers nobody
    separates share a rank. ``value`` is the router's own figure over all its orders, for reading only.
    """
    rows = []
    routers = sorted(orders["router"].unique())
    for fig in figures:
        sub = paired[paired["figure"] == fig.name]
        for r in routers:
            mine = sub[(sub["router_a"] == r) | (sub["router_b"] == r)]
            wins = int((mine["better"] == r).sum())
            losses = int(((mine["better"] != r) & (mine["better"] != "")).sum())
            rows.append({
                "figure": fig.name, "router": r, "rank": 1 + losses,
                "value": _value(orders[orders["router"] == r], fig),
                "wins": wins, "losses": losses, "ties": len(mine) - wins - losses,
                "higher_is_better": fig.higher_is_better,
            })
    table = pd.DataFrame(rows, columns=RANKING_COLUMNS)
    order = {f.name: i for i, f in enumerate(figures)}
    return table.sort_values(["figure", "rank", "router"], key=lambda c: c.map(order) if c.name == "figure" else c,
                             kind="stable").reset_index(drop=True)
