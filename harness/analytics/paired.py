"""Paired router comparisons, stratified and inferred over seeds, and a ranking that trusts only the intervals.

Routers replay identical parent orders, so router A and router B are compared order by order on every
(seed, parent_id) both have the figure for (time to first fill: both filled; PI, spreads, markouts: both have priced
fills; E/Q: both filled with a quoted spread; fill rate, shortfall and fees: every paired parent).

**Strata.** Parents are compared within a stratum: the order class, crossed with the symbol and the size bucket where
those columns are populated. The class and bucket come from the *common market* (``common_order_class``,
``common_size_bucket``: every router's row of a parent classified on the same quote), falling back to the router's own
``order_class`` / ``size_bucket`` where the common columns are absent (then router A's row decides).

**Estimator.** Per seed s and stratum k: d(s, k) is the mean over the seed's paired parents of (A - B); for E/Q it is
E/Q of A minus E/Q of B on those parents, each a ratio of averages sum(ES x filled) / sum(QS x filled). A row pools
strata (a class over its symbols and buckets; "all" over every stratum) with fixed weights w_k = the stratum's share of
the pair's paired parents over all seeds (the ``weight`` column): per seed D(s) = sum w_k d(s, k) / sum w_k over the
strata the seed has. The row's ``mean_diff`` is the mean of D(s) over seeds and its interval is Student's t over the
seeds (:func:`harness.analytics.inference.seed_interval`): the seed is the independent unit, orders within a seed share
its market. Below :data:`~harness.analytics.inference.MIN_SEEDS` seeds there is no interval and no verdict (``verdict``
says "too few seeds for a verdict (N; need 5)", ``ci_low``/``ci_high`` empty). Definitions: docs/analytics.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import numpy.typing as npt
import pandas as pd

from harness.analytics.inference import LEVEL, MIN_SEEDS, seed_interval, too_few_seeds

__all__ = ["PAIRED_FIGURES", "Figure", "paired_table", "ranking_table"]

ALL = "all"
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Figure:
    """A headline figure compared between routers: the per-order column, its direction, unit and population."""

    name: str
    column: str
    higher_is_better: bool
    unit: str = ""
    population: str = "paired parents both routers have the figure for"


PAIRED_FIGURES = (
    Figure("pi_per_share", "pi_per_share", True, "USD/share", "paired parents both routers filled"),
    Figure("effective_spread", "effective_spread", False, "USD/share", "paired parents both routers filled"),
    Figure("eq_ratio", "effective_spread", False, "ratio (E/Q of A - E/Q of B)",
           "paired parents both routers filled with a quoted spread"),
    Figure("fill_rate", "fill_rate", True, "fraction of shares", "every paired parent"),
    Figure("shortfall_per_share", "shortfall_per_share", False, "USD/share", "every paired parent"),
    Figure("time_to_first_fill_ms", "time_to_first_fill_ms", False, "ms", "paired parents both routers filled"),
    Figure("markout_1s", "markout_1s", True, "USD/share", "paired parents both routers filled"),
    Figure("net_fees_per_share", "net_fees_per_share", False, "USD/share", "paired parents both routers filled"),
)
RATIO_FIGURE = "eq_ratio"
STRATA = ("order_class", "symbol", "size_bucket")
"""The stratum columns of the paired and ranking tables (``all`` where a row pools over the column)."""

PAIRED_COLUMNS = [
    "figure", "router_a", "router_b", "higher_is_better", *STRATA, "population", "unit", "weight", "seeds", "n",
    "value_a", "value_b", "mean_diff", "sd_seed", "level", "ci_low", "ci_high", "zero_excluded", "better", "verdict",
]
RANKING_COLUMNS = ["figure", *STRATA, "router", "rank", "value", "wins", "losses", "ties", "higher_is_better",
                   "note"]


def stratum_columns(orders: pd.DataFrame) -> dict[str, str | None]:
    """Which column of ``orders`` gives each stratum (common-market columns first; None: not populated)."""
    out: dict[str, str | None] = {}
    for name, candidates in (("order_class", ("common_order_class", "order_class")), ("symbol", ("symbol",)),
                             ("size_bucket", ("common_size_bucket", "size_bucket"))):
        found = [c for c in candidates if c in orders.columns and orders[c].notna().any()]
        out[name] = found[0] if found else None
    return out


def pair_frame(a_orders: pd.DataFrame, b_orders: pd.DataFrame, figures: Sequence[Figure] = PAIRED_FIGURES,
               strata: dict[str, str | None] | None = None) -> pd.DataFrame:
    """The paired orders of two routers: figure columns suffixed ``_a`` / ``_b``, strata from A's rows."""
    strata = strata if strata is not None else stratum_columns(a_orders)
    cols = sorted({f.column for f in figures} | {"effective_spread", "quoted_spread", "filled_qty"})
    keep_a = ["seed", "parent_id", *cols]
    a = a_orders[keep_a].copy()
    for name, col in strata.items():
        a[f"_{name}"] = a_orders[col].astype(object).fillna("").astype(str).to_numpy() if col else ALL
    pair = a.rename(columns={c: f"{c}_a" for c in cols}).merge(
        b_orders[["seed", "parent_id", *cols]].rename(columns={c: f"{c}_b" for c in cols}), on=["seed", "parent_id"])
    pair = pair.rename(columns={f"_{name}": name for name in STRATA})
    return pair.sort_values(["seed", "parent_id"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class _Cells:
    """One figure of one pair reduced to seeds x strata: paired parents and A's and B's values (NaN: no parent)."""

    n: FloatArray
    a: FloatArray
    b: FloatArray
    keys: list[tuple[str, str, str]]
    """The stratum of each column."""


def _cells(pair: pd.DataFrame, fig: Figure, seed_code: IntArray, n_seeds: int, cell_code: IntArray,
           keys: list[tuple[str, str, str]]) -> _Cells:
    """Per seed and stratum: n, and the mean of A and of B (E/Q: each router's ratio of averages)."""
    size = n_seeds * len(keys)
    at = seed_code * len(keys) + cell_code

    def total(values: FloatArray, ok: npt.NDArray[np.bool_]) -> FloatArray:
        sums = np.bincount(at[ok], weights=values[ok], minlength=size)
        return np.asarray(sums, dtype=np.float64).reshape(n_seeds, len(keys))

    if fig.name == RATIO_FIGURE:
        parts = {}
        ok = np.ones(len(pair), dtype=bool)
        for side in ("a", "b"):
            es, qs = pair[f"effective_spread_{side}"].to_numpy(float), pair[f"quoted_spread_{side}"].to_numpy(float)
            w = pair[f"filled_qty_{side}"].to_numpy(float)
            ok &= np.isfinite(es) & np.isfinite(qs) & (w > 0)
            parts[side] = (es * w, qs * w)
        n = total(np.ones(len(pair)), ok)
        a, b = (_div(total(parts[x][0], ok), total(parts[x][1], ok)) for x in ("a", "b"))
    else:
        va, vb = pair[f"{fig.column}_a"].to_numpy(float), pair[f"{fig.column}_b"].to_numpy(float)
        ok = np.isfinite(va) & np.isfinite(vb)
        n = total(np.ones(len(pair)), ok)
        a, b = _div(total(va, ok), n), _div(total(vb, ok), n)
    n = np.where(np.isfinite(a) & np.isfinite(b), n, 0.0)
    return _Cells(n, np.where(n > 0, a, np.nan), np.where(n > 0, b, np.nan), keys)


def _div(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)


def _groups(keys: list[tuple[str, str, str]]) -> list[tuple[tuple[str, str, str], npt.NDArray[np.bool_]]]:
    """The rows of a pair: every stratum, every order class over its strata, and ``all`` (each key once)."""
    wanted = sorted(set(keys) | {(k[0], ALL, ALL) for k in keys} | {(ALL, ALL, ALL)})
    return [(key, np.array([all(w in (ALL, x) for w, x in zip(key, k, strict=True)) for k in keys], dtype=bool))
            for key in wanted]


def seed_values(cells: _Cells, weights: FloatArray, members: npt.NDArray[np.bool_]) -> dict[str, FloatArray]:
    """Per seed (with any parent of ``members``): n and the weighted means of A, B and A - B over its strata."""
    w = np.where((cells.n > 0) & members[None, :], weights[None, :], 0.0)
    den = w.sum(axis=1)
    has = den > 0

    def mean(x: FloatArray) -> FloatArray:
        return np.asarray((np.where(w > 0, x, 0.0) * w).sum(axis=1)[has] / den[has], dtype=np.float64)

    return {"a": mean(cells.a), "b": mean(cells.b), "d": mean(cells.a - cells.b),
            "n": (cells.n * members[None, :]).sum(axis=1)[has]}


def pair_rows(pair: pd.DataFrame, a: str, b: str, *, figures: Sequence[Figure] = PAIRED_FIGURES,
              level: float = LEVEL, min_seeds: int = MIN_SEEDS) -> list[dict[str, object]]:
    """Rows of the paired table for one router pair (``pair`` from :func:`pair_frame`)."""
    seed_code, seeds = pd.factorize(pair["seed"], sort=True)
    key_frame = pair[list(STRATA)].astype(str)
    cell_code, uniques = pd.factorize(pd.MultiIndex.from_frame(key_frame), sort=True)
    keys = [(str(k[0]), str(k[1]), str(k[2])) for k in uniques] if len(pair) else []
    rows: list[dict[str, object]] = []
    for fig in figures:
        cells = _cells(pair, fig, np.asarray(seed_code, np.int64), len(seeds), np.asarray(cell_code, np.int64), keys)
        per_cell = cells.n.sum(axis=0)
        weights = per_cell / per_cell.sum() if per_cell.sum() else per_cell
        for key, members in _groups(keys):
            per_seed = seed_values(cells, weights, members)
            rows.append(_row(fig, a, b, key, per_seed, weight=float(weights[members].sum()),
                             pooled=int((members & (per_cell > 0)).sum()) > 1, level=level, min_seeds=min_seeds))
    return rows


def _row(fig: Figure, a: str, b: str, key: tuple[str, ...], per_seed: dict[str, FloatArray], *, weight: float,
         pooled: bool, level: float, min_seeds: int) -> dict[str, object]:
    ci = seed_interval(per_seed["d"], level=level, min_seeds=min_seeds)
    better = (a if (ci.low > 0) == fig.higher_is_better else b) if ci.zero_excluded else ""
    if not ci.verdict:
        verdict = too_few_seeds(ci.seeds, need=min_seeds)
    elif better:
        verdict = f"{better} better ({level:.0%} interval excludes 0)"
    else:
        verdict = f"no difference shown ({level:.0%} interval includes 0)"
    population = f"{fig.population}; per-seed mean of per-order A - B" + (
        "; strata weighted by their share of paired parents (weight)" if pooled else "")
    if fig.name == RATIO_FIGURE:
        population = f"{fig.population}; per seed E/Q of A - E/Q of B (ratios of averages)" + (
            ", strata weighted by their share of paired parents (weight)" if pooled else "")
    return {
        "figure": fig.name, "router_a": a, "router_b": b, "higher_is_better": fig.higher_is_better,
        **dict(zip(STRATA, key, strict=True)), "population": population, "unit": fig.unit, "weight": weight,
        "seeds": ci.seeds, "n": int(per_seed["n"].sum()),
        "value_a": float(per_seed["a"].mean()) if len(per_seed["a"]) else float("nan"),
        "value_b": float(per_seed["b"].mean()) if len(per_seed["b"]) else float("nan"),
        "mean_diff": ci.mean, "sd_seed": ci.sd, "level": level if ci.verdict else float("nan"),
        "ci_low": ci.low, "ci_high": ci.high, "zero_excluded": ci.zero_excluded, "better": better,
        "verdict": verdict,
    }


def paired_table(orders: pd.DataFrame, *, level: float = LEVEL, figures: Sequence[Figure] = PAIRED_FIGURES,
                 min_seeds: int = MIN_SEEDS) -> pd.DataFrame:
    """Mean paired difference (router_a - router_b) per figure, router pair and stratum, with seed-level intervals.

    ``orders`` is the per-order table; routers are paired in sorted order (a < b). ``value_a`` / ``value_b`` are the
    routers' own figures on the paired orders (weighted and averaged over seeds like ``mean_diff``);
    ``zero_excluded`` says whether the interval lies on one side of zero and ``better`` then names the better router.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    strata = stratum_columns(orders)
    rows = []
    for a, b in combinations(sorted(orders["router"].unique()), 2):
        pair = pair_frame(orders[orders["router"] == a], orders[orders["router"] == b], figures, strata)
        rows += pair_rows(pair, a, b, figures=figures, level=level, min_seeds=min_seeds)
    table = pd.DataFrame(rows, columns=PAIRED_COLUMNS)
    return _sorted(table, figures, ["router_a", "router_b"])


def _sorted(table: pd.DataFrame, figures: Sequence[Figure], then: list[str]) -> pd.DataFrame:
    order = {f.name: i for i, f in enumerate(figures)}
    pooled = table[list(STRATA)].eq(ALL).sum(axis=1)
    return (table.assign(_f=table["figure"].map(order), _p=-pooled)
            .sort_values(["_f", "_p", *STRATA, *then], kind="stable")
            .drop(columns=["_f", "_p"]).reset_index(drop=True))


def _value(frame: pd.DataFrame, figure: Figure) -> float:
    """A router's own figure on a set of orders: the order-weighted mean, or E/Q as a ratio of averages."""
    if figure.name == RATIO_FIGURE:
        ok = frame["effective_spread"].notna() & frame["quoted_spread"].notna() & (frame["filled_qty"] > 0)
        es = (frame["effective_spread"] * frame["filled_qty"])[ok].sum()
        qs = (frame["quoted_spread"] * frame["filled_qty"])[ok].sum()
        return float(es / qs) if qs else float("nan")
    return float(frame[figure.column].mean())


def ranking_table(paired: pd.DataFrame, orders: pd.DataFrame,
                  figures: Sequence[Figure] = PAIRED_FIGURES) -> pd.DataFrame:
    """Rank routers per figure and stratum from the paired intervals, never from point estimates alone.

    A router wins against another when their paired interval excludes zero in its favour, loses when it excludes
    zero against it, and ties otherwise (also when there are too few seeds for a verdict: ``note`` says so). Its rank
    is 1 + the number of routers that beat it, so routers nobody separates share a rank. ``value`` is the router's
    own figure over its orders of the stratum (unweighted), for reading only.
    """
    strata = stratum_columns(orders)
    rows = []
    routers = sorted(orders["router"].unique())
    for fig in figures:
        sub = paired[paired["figure"] == fig.name]
        for key, group in sub.groupby(list(STRATA), sort=True):
            mine_orders = orders
            for name, value in zip(STRATA, key, strict=True):
                col = strata[name]
                if value != ALL and col is not None:
                    mine_orders = mine_orders[mine_orders[col].astype(str) == value]
            few = int((group["verdict"].astype(str).str.startswith("too few seeds")).sum())
            for r in routers:
                mine = group[(group["router_a"] == r) | (group["router_b"] == r)]
                wins = int((mine["better"] == r).sum())
                losses = int(((mine["better"] != r) & (mine["better"] != "") & mine["better"].notna()).sum())
                rows.append({
                    "figure": fig.name, **dict(zip(STRATA, key, strict=True)), "router": r, "rank": 1 + losses,
                    "value": _value(mine_orders[mine_orders["router"] == r], fig),
                    "wins": wins, "losses": losses, "ties": len(mine) - wins - losses,
                    "higher_is_better": fig.higher_is_better,
                    "note": f"{few} of {len(group)} pairs: too few seeds for a verdict" if few else "",
                })
    table = pd.DataFrame(rows, columns=RANKING_COLUMNS)
    return _sorted(table, figures, ["rank", "router"])
