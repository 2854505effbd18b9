"""The review's rule evaluation: figure rules against a benchmark, and paying-venue rules.

* figure rules: a figure (PI, E/Q, fill rate, time to first fill, ...) over an order class, against a benchmark:
  the benchmark router the policy names (``benchmark_router``) on the same orders, or a fixed value. Worse than
  the benchmark by more than ``review_margin`` -> review; by more than ``fail_margin`` *and* the seed-level interval
  of the difference excludes zero -> fail (``figure_review``). The interval is Student's t over the per-seed
  differences (each seed's figure minus the benchmark's on that seed's orders,
  :func:`harness.analytics.inference.seed_interval`); with fewer than :data:`~harness.analytics.inference.MIN_SEEDS`
  seeds there is no interval, so no fail: at most review.
* paying-venue rules: the share of routed shares sent to venues that pay for the flow, above a limit while the
  price improvement there is not better than elsewhere -> review / fail (``paying_venue_review``).

Each gives the review rows (router x rule x symbol) and the orders behind every non-pass; the policy is
:mod:`harness.analytics.review_policy`. Definitions: docs/analytics.md, *Review policy*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from harness.analytics.context import RunContext
from harness.analytics.incentive import customer_net_pi_cph
from harness.analytics.inference import seed_interval, too_few_seeds
from harness.analytics.orders import ORDER_KEYS
from harness.analytics.paying_venues import paid_routed_shares, pays_for, venue_pays
from harness.analytics.review_policy import ALL, FigureRule, PayingVenueRule, ReviewPolicy

FloatArray = npt.NDArray[np.float64]
CPH = 10_000.0
HIGHER_IS_BETTER: dict[str, bool] = {
    "pi_per_share": True, "effective_spread": False, "eq_ratio": False, "fill_rate": True,
    "orders_filled_frac": True, "shortfall_per_share": False, "time_to_first_fill_ms": False, "markout_1s": True,
}


def figure_parts(orders: pd.DataFrame, figure: str) -> tuple[FloatArray, FloatArray]:
    """Per order, the numerator and denominator of a figure's aggregate (denominator 0 where the order lacks it).

    Every aggregate is sum(num) / sum(den), as in the summary table: PI, effective spread and markout weighted by
    filled shares; E/Q = sum(ES x filled) / sum(QS x filled); fill rate = filled / shares; orders filled = share of
    orders with a fill; shortfall weighted by order shares; time to first fill a plain mean over filled orders.
    """
    filled = orders["filled_qty"].to_numpy(np.float64)
    qty = orders["qty"].to_numpy(np.float64)

    def weighted(values: FloatArray, weight: FloatArray) -> tuple[FloatArray, FloatArray]:
        ok = np.isfinite(values) & (weight > 0)
        return np.where(ok, values * weight, 0.0), np.where(ok, weight, 0.0)

    if figure in ("pi_per_share", "effective_spread", "markout_1s"):
        return weighted(orders[figure].to_numpy(np.float64), filled)
    if figure == "eq_ratio":
        es, qs = orders["effective_spread"].to_numpy(np.float64), orders["quoted_spread"].to_numpy(np.float64)
        ok = np.isfinite(es) & np.isfinite(qs) & (filled > 0)
        return np.where(ok, es * filled, 0.0), np.where(ok, qs * filled, 0.0)
    if figure == "fill_rate":
        return filled, qty
    if figure == "orders_filled_frac":
        return (filled > 0).astype(np.float64), np.ones(len(orders))
    if figure == "shortfall_per_share":
        return weighted(orders["shortfall_per_share"].to_numpy(np.float64), qty)
    if figure == "time_to_first_fill_ms":
        return weighted(orders["time_to_first_fill_ms"].to_numpy(np.float64), np.ones(len(orders)))
    raise ValueError(f"unknown figure {figure!r}")


def _scope(orders: pd.DataFrame, classes: Sequence[str]) -> npt.NDArray[np.bool_]:
    """The orders of ``classes``.

    Selected by ``scope_class`` where a frame has it (paired frames: the common market's class), else by the router's
    own ``order_class``.
    """
    if ALL in classes:
        return np.ones(len(orders), dtype=bool)
    column = "scope_class" if "scope_class" in orders.columns else "order_class"
    return orders[column].isin(list(classes)).to_numpy(dtype=bool, copy=True)


def _paired_with(mine: pd.DataFrame, ref_orders: pd.DataFrame) -> pd.DataFrame:
    """A router's orders beside the reference router's on the same (seed, parent_id), sorted.

    ``scope_class`` is the class the rule's order classes select on: the common market's (``common_order_class``,
    the same for both routers' rows of a parent) where the run has one, else the router's own.
    """
    paired = mine.merge(ref_orders.drop(columns=["router"]), on=["seed", "parent_id"], suffixes=("", "_ref"))
    paired = paired.sort_values(["seed", "parent_id"], kind="stable").reset_index(drop=True)
    common = "common_order_class" in paired.columns and paired["common_order_class"].notna().all()
    paired["scope_class"] = paired["common_order_class" if common else "order_class"]
    return paired


def _div(num: FloatArray | float, den: FloatArray | float) -> FloatArray:
    n, d = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(d != 0, n / np.where(d != 0, d, 1.0), np.nan)


@dataclass
class _Cell:
    """One review row under construction: a router x rule x symbol, with its orders and num/den columns."""

    router: str
    rule: FigureRule
    symbol: str
    rows: npt.NDArray[np.int64]  # positions in the frame the columns were built on
    columns: FloatArray  # (n, 2) own num/den, or (n, 4) own num/den + reference num/den
    benchmark_name: str
    fixed: float | None = None
    in_class: int = 0  # the router's orders of the rule's classes (and symbol), with the figure or not


def _status(rule: FigureRule, value: float, bench: float, lo: float, hi: float,
            few: str = "") -> tuple[str, float, float, str]:
    """The status (pass, review or fail), the thresholds in figure units and a short reason.

    ``few`` is the too-few-seeds text when the seeds allow no interval (then ``lo``/``hi`` are NaN and nothing fails).
    """
    if not np.isfinite(value) or not np.isfinite(bench):
        return "review", float("nan"), float("nan"), "figure or benchmark undefined on these orders"
    scale = abs(bench) if rule.relative else 1.0
    review_thr, fail_thr = rule.review_margin * scale, rule.fail_margin * scale
    higher = HIGHER_IS_BETTER[rule.figure]
    worse = (bench - value) if higher else (value - bench)
    worse_side_excluded = (hi < 0) if higher else (lo > 0)
    if worse > fail_thr and worse_side_excluded:
        detail = f"worse than the benchmark by {worse:.4g} (> {fail_thr:.6g}), interval excludes 0"
        return "fail", review_thr, fail_thr, detail
    if worse > review_thr:
        extra = (f" ({few})" if few else " (interval includes 0)") if worse > fail_thr else ""
        return "review", review_thr, fail_thr, f"worse than the benchmark by {worse:.4g} (> {review_thr:.6g}){extra}"
    return "pass", review_thr, fail_thr, "within the review margin"


def _reference(orders: pd.DataFrame, policy: ReviewPolicy, *, excluding: str | None = None) -> str | None:
    """The review's benchmark router, as the policy names it (None when none of its routers is in the run).

    The policy's ``benchmark_router`` when it is in the run (and not ``excluding``), else the first of its
    ``reference_routers`` in the run, in the policy's order. The policy names the benchmark: it is never picked
    from the run's results (the best performer of a list would let a router that receives payment for order flow
    set the bar merely by doing well on the figure).
    """
    routers = set(orders["router"].unique())
    candidates = dict.fromkeys([policy.benchmark_router, *policy.reference_routers])
    present = [r for r in candidates if r in routers and r != excluding]
    return present[0] if present else None


def _symbol_groups(frame: pd.DataFrame, rule: FigureRule) -> list[tuple[str, npt.NDArray[np.bool_]]]:
    groups = [(ALL, np.ones(len(frame), dtype=bool))]
    if rule.by_symbol:
        sym = frame["symbol"].to_numpy()
        groups += [(s, sym == s) for s in sorted(np.unique(sym))]
    return groups


def figure_review(orders: pd.DataFrame, policy: ReviewPolicy) -> tuple[list[dict[str, object]], list[pd.DataFrame]]:
    """Every router's review rows under the policy's figure rules, and the orders behind each non-pass.

    Rules against the reference router compare the same orders (paired on seed and parent id); the reference
    router itself passes as the benchmark; those rules select orders by the common market's class, so both routers'
    orders of a parent are in or out together (``_paired_with``); rules against a fixed value use the router's own
    class, as its own Rule 605 figures would. Every cell's interval is over seeds (``_evaluate``).
    """
    ref = _reference(orders, policy)
    rows: list[dict[str, object]] = []
    behind: list[pd.DataFrame] = []
    cols = [*ORDER_KEYS, "symbol", "order_class", "qty", "filled_qty", "pi_per_share", "effective_spread",
            "quoted_spread", "fill_rate", "shortfall_per_share", "time_to_first_fill_ms", "markout_1s",
            *(["common_order_class"] if "common_order_class" in orders.columns else [])]
    ref_orders = orders.loc[orders["router"] == ref, cols] if ref else None
    for router in sorted(orders["router"].unique()):
        mine = orders.loc[orders["router"] == router, cols].reset_index(drop=True)
        paired = None
        if ref_orders is not None and router != ref:
            paired = _paired_with(mine, ref_orders)
        cells: dict[str, list[_Cell]] = {"paired": [], "own": []}
        for rule in policy.rules:
            use_ref = rule.benchmark == "reference" and ref is not None
            if rule.benchmark == "reference" and router == ref:
                num, den = figure_parts(mine, rule.figure)
                has = _scope(mine, rule.order_classes) & (den > 0)
                for sym, in_sym in _symbol_groups(mine, rule):
                    mask = has & in_sym
                    own = float(_div(num[mask].sum(), den[mask].sum()))
                    rows.append(_row(router, rule, sym, router, status="pass", value=own, benchmark_value=own,
                                     orders=int(mask.sum()), seeds=int(mine.loc[mask, "seed"].nunique()),
                                     detail="benchmark router"))
                continue
            frame = paired if use_ref and paired is not None else mine
            num, den = figure_parts(frame, rule.figure)
            in_class = _scope(frame, rule.order_classes)
            scope = in_class.copy()
            if use_ref:
                ref_frame = frame[[c for c in frame.columns if c.endswith("_ref")]].rename(
                    columns=lambda c: c[:-4]).assign(order_class=frame["order_class"])
                rnum, rden = figure_parts(ref_frame, rule.figure)
                scope &= (den > 0) & (rden > 0)
                block = np.column_stack([num, den, rnum, rden])
            else:
                scope &= den > 0
                block = np.column_stack([num, den])
            fixed: float | None = None
            if use_ref:
                bench_name = str(ref)
            elif isinstance(rule.benchmark, float):
                fixed, bench_name = rule.benchmark, f"{rule.benchmark:g}"
            else:
                fixed = rule.fallback
                bench_name = f"{fixed:g} (fallback: no reference router)" if fixed is not None else ""
            if not use_ref and fixed is None:
                rows.append(_row(router, rule, ALL, "", status="review", orders=int(scope.sum()),
                                 detail="no reference router in the run and no fallback benchmark"))
                continue
            for sym, in_sym in _symbol_groups(frame, rule):
                sel = np.flatnonzero(scope & in_sym)
                if not len(sel) and sym != ALL:
                    continue
                cells["paired" if use_ref else "own"].append(_Cell(router, rule, sym, sel, block[sel], bench_name,
                                                                   fixed, int((in_class & in_sym).sum())))
        for kind, frame in (("paired", paired), ("own", mine)):
            if not cells[kind] or frame is None:
                continue
            new_rows, new_behind = _evaluate(cells[kind], frame, policy)
            rows += new_rows
            behind += new_behind
    return rows, behind


def _seed_diffs(cell: _Cell, seeds: npt.NDArray[np.int64]) -> FloatArray:
    """Per seed of the cell's orders: the figure minus the benchmark (the reference's on those orders, or fixed)."""
    sums = pd.DataFrame(cell.columns).groupby(seeds, sort=True).sum().to_numpy(np.float64)
    own = _div(sums[:, 0], sums[:, 1])
    bench = _div(sums[:, 2], sums[:, 3]) if sums.shape[1] == 4 else np.full(len(sums), np.nan if cell.fixed is None
                                                                              else float(cell.fixed))
    return np.asarray(own - bench, dtype=np.float64)


def _evaluate(cells: list[_Cell], frame: pd.DataFrame,
              policy: ReviewPolicy) -> tuple[list[dict[str, object]], list[pd.DataFrame]]:
    """Each cell's seed-level interval of the difference from its benchmark, then its status."""
    seed_of = frame["seed"].to_numpy()
    rows, behind = [], []
    for c in cells:
        k = c.columns.shape[1]
        tot = c.columns.sum(axis=0)
        value = float(_div(tot[0], tot[1]))
        bench = float(_div(tot[2], tot[3])) if k == 4 else float(c.fixed) if c.fixed is not None else float("nan")
        ci = seed_interval(_seed_diffs(c, seed_of[c.rows]), level=policy.ci_level) if len(c.rows) else None
        lo, hi = (ci.low, ci.high) if ci is not None else (float("nan"), float("nan"))
        few = too_few_seeds(ci.seeds) if ci is not None and not ci.verdict else ""
        status, review_thr, fail_thr, detail = _status(c.rule, value, bench, lo, hi, few)
        if not len(c.rows):
            status, detail = (("pass", "no orders of these classes") if not c.in_class else
                              ("review", f"figure undefined on the {c.in_class} orders of these classes"))
        sub = frame.iloc[c.rows]
        rows.append(_row(c.router, c.rule, c.symbol, c.benchmark_name, status=status, value=value,
                         benchmark_value=bench, ci=(lo, hi), thresholds=(review_thr, fail_thr), orders=len(c.rows),
                         seeds=int(sub["seed"].nunique()), detail=detail))
        if status != "pass" and len(c.rows):
            own = _div(c.columns[:, 0], c.columns[:, 1])
            other = _div(c.columns[:, 2], c.columns[:, 3]) if k == 4 else np.full(len(c.rows), bench)
            higher = HIGHER_IS_BETTER[c.rule.figure]
            behind.append(pd.DataFrame({
                "router": c.router, "rule": c.rule.id, "symbol": c.symbol, "status": status,
                "seed": sub["seed"].to_numpy(), "parent_id": sub["parent_id"].to_numpy(),
                "order_class": sub["order_class"].to_numpy(), "value": own, "benchmark_value": other,
                "worse": (own < other) if higher else (own > other),
            }))
    return rows, behind


def _row(router: str, rule: FigureRule | PayingVenueRule, symbol: str, benchmark: str, *, status: str,
         value: float = float("nan"), benchmark_value: float = float("nan"),
         ci: tuple[float, float] = (float("nan"), float("nan")),
         thresholds: tuple[float, float] = (float("nan"), float("nan")), orders: int | None = None,
         seeds: int | None = None, detail: str = "", figure: str | None = None) -> dict[str, object]:
    return {
        "router": router, "rule": rule.id, "figure": figure or getattr(rule, "figure", ""),
        "order_classes": " ".join(rule.order_classes), "symbol": symbol, "benchmark": benchmark, "value": value,
        "benchmark_value": benchmark_value, "diff": value - benchmark_value, "ci_low": ci[0], "ci_high": ci[1],
        "review_threshold": thresholds[0], "fail_threshold": thresholds[1], "status": status,
        "orders": orders if orders is not None else 0, "seeds": seeds if seeds is not None else 0, "detail": detail,
    }


# ---------------------------------------------------------------------------------------------- paying venues
def paying_venue_review(orders: pd.DataFrame, fills: pd.DataFrame, children: pd.DataFrame | None, context: RunContext,
                        policy: ReviewPolicy) -> tuple[list[dict[str, object]], list[pd.DataFrame]]:
    """Every router's review rows under the policy's paying-venue rules, and the orders behind each non-pass.

    The share of routed shares to paying venues (``paid_routed_shares``; the fills stand in without child orders)
    against the rule's limits, with the PI there against the reference router's on the same orders (the reference
    router against the next-best one; without a reference, against the router's other venues).
    """
    if not policy.paying_venue_rules:
        return [], []
    pays = venue_pays(context, fills, rebates=policy.broker.rebates)
    ref = _reference(orders, policy)
    # The reference router is held against the next-best reference router (it cannot be its own benchmark).
    runner_up = _reference(orders, policy, excluding=ref) if ref else None
    keyed = orders[[*ORDER_KEYS, "order_class"]]
    routed = children if children is not None and len(children) else None
    f = fills.merge(keyed, on=ORDER_KEYS, how="inner")
    liquidity = f["liquidity"] if "liquidity" in f.columns else pd.Series("", index=f.index)
    f = f.assign(_paid=pays_for(pays, f["venue"], liquidity))
    if routed is not None:
        routed = routed.merge(keyed, on=ORDER_KEYS, how="inner")
        routed = routed.assign(_paid_qty=paid_routed_shares(routed, fills, pays))
    else:  # vendor data: the fills stand in for the routed shares
        routed = f.assign(_paid_qty=f["qty"].where(f["_paid"], 0))
    rows, behind = [], []
    for rule in policy.paying_venue_rules:
        r_scope, f_scope = routed[_scope(routed, rule.order_classes)], f[_scope(f, rule.order_classes)]
        for router in sorted(orders["router"].unique()):
            mine = r_scope[r_scope["router"] == router]
            total = float(mine["qty"].sum())
            share = float(mine["_paid_qty"].sum()) / total if total else float("nan")
            mf = f_scope[f_scope["router"] == router]
            pi_paid = _pi_cph(mf[mf["_paid"]])
            bench = runner_up if router == ref else ref
            if bench is not None:
                same = orders[orders["router"] == bench].merge(
                    mf.loc[mf["_paid"], ["seed", "parent_id"]].drop_duplicates(), on=["seed", "parent_id"])
                against, label = float(customer_net_pi_cph(same).get(bench, np.nan)), f"{bench} on the same orders"
            else:
                against, label = _pi_cph(mf[~mf["_paid"]]), "its other venues"
            known = bool(np.isfinite(pi_paid) and np.isfinite(against))
            better = known and pi_paid > against + rule.quality_margin_cph
            if not np.isfinite(share):
                status, detail = "pass", "no routed shares in scope"
            else:
                # fail needs evidence that the paid-for routing is not better; without a comparison, only review
                status = ("fail" if share > rule.fail_share and known and not better else
                          "review" if share > rule.review_share and not better else "pass")
                quality = (f"PI at paying venues {pi_paid:.2f} cph vs {against:.2f} cph at {label}"
                           if np.isfinite(pi_paid) and np.isfinite(against) else "quality comparison unavailable")
                detail = (f"{share:.1%} of routed shares to paying venues; {quality}; "
                          f"{'better' if better else 'not better'} by the margin {rule.quality_margin_cph:g} cph")
            ids = mine.loc[mine["_paid_qty"] > 0, ["seed", "parent_id"]].drop_duplicates()
            rows.append(_row(router, rule, ALL, "limit", status=status, value=share, benchmark_value=rule.review_share,
                             thresholds=(rule.review_share, rule.fail_share),
                             orders=len(mine[["seed", "parent_id"]].drop_duplicates()),
                             seeds=int(mine["seed"].nunique()), detail=detail, figure="paying_venue_share"))
            if status != "pass" and len(ids):
                o = orders[orders["router"] == router].merge(ids, on=["seed", "parent_id"])
                behind.append(pd.DataFrame({
                    "router": router, "rule": rule.id, "symbol": ALL, "status": status, "seed": o["seed"],
                    "parent_id": o["parent_id"], "order_class": o["order_class"],
                    "value": o["pi_per_share"] * CPH, "benchmark_value": against, "worse": True,
                }))
    return rows, behind


def _pi_cph(fills: pd.DataFrame) -> float:
    ok = fills["pi"].notna()
    q = fills.loc[ok, "qty"].sum()
    return float((fills.loc[ok, "pi"] * fills.loc[ok, "qty"]).sum() / q * CPH) if q else float("nan")

