"""The best-execution committee's review: pass / review / fail per router and rule, and an exception report.

A policy sets the action thresholds; every finding lists the orders behind it, and the exception report lists
individual orders with unusual latency, poor fills or unexpected venues.

The policy is a strict TOML file (``scenarios/policy/review-thresholds.toml`` is the documented default; the same
values are built in, so the project runs without it). Rules:

* figure rules: a figure (PI, E/Q, fill rate, time to first fill, ...) over an order class, against a benchmark:
  the best conflict-free reference router on the same orders, or a fixed value. Worse than the benchmark by more
  than ``review_margin`` -> review; by more than ``fail_margin`` *and* the bootstrap interval of the difference
  excludes zero -> fail.
* paying-venue rules: the share of routed shares sent to venues that pay for the flow, above a limit while the
  price improvement there is not better than elsewhere -> review / fail.

Exceptions: orders with unusual latency (time to first fill above the pooled percentile of every router's orders
of the same class), poor prices (PI below minus a number of ticks), poor fills (marketable orders mostly unfilled)
or unexpected venues (a venue carrying a tiny share of the router's executions for that order class, or one the
scenario does not list). Definitions: docs/analytics.md, *Review policy*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from harness.analytics.classify import OrderClass
from harness.analytics.conflict import (
    ConflictParams,
    customer_net_pi_cph,
    paid_routed_shares,
    pays_for,
    venue_pays,
)
from harness.analytics.context import RunContext
from harness.analytics.orders import ORDER_KEYS
from harness.analytics.paired import _stream, bootstrap_sums
from harness.errors import UserError
from harness.paths import INSTALLED_SCENARIOS, REPO_SCENARIOS
from harness.scenario.schema import _FieldError, _format_validation_error, read_toml

FloatArray = npt.NDArray[np.float64]
CPH = 10_000.0
ALL = "all"
POLICY_RELATIVE = Path("policy") / "review-thresholds.toml"
"""The default policy, relative to ``scenarios/`` in the repository (``harness/_scenarios/`` when installed)."""

FigureName = Literal["pi_per_share", "effective_spread", "eq_ratio", "fill_rate", "orders_filled_frac",
                     "shortfall_per_share", "time_to_first_fill_ms", "markout_1s"]
ClassName = Literal["all", "market", "marketable_limit", "nml_beyond_midpoint", "nml_at_or_inside_quote",
                    "nml_near_quote", "nml_away", "ioc", "unknown"]
HIGHER_IS_BETTER: dict[str, bool] = {
    "pi_per_share": True, "effective_spread": False, "eq_ratio": False, "fill_rate": True,
    "orders_filled_frac": True, "shortfall_per_share": False, "time_to_first_fill_ms": False, "markout_1s": True,
}
MARKETABLE = (OrderClass.MARKET.value, OrderClass.MARKETABLE_LIMIT.value)

REVIEW_COLUMNS = [
    "router", "rule", "figure", "order_classes", "symbol", "benchmark", "value", "benchmark_value", "diff", "ci_low",
    "ci_high", "review_threshold", "fail_threshold", "status", "orders", "seeds", "detail",
]
REVIEW_ORDER_COLUMNS = ["router", "rule", "symbol", "status", "seed", "parent_id", "order_class", "value",
                        "benchmark_value", "worse"]
EXCEPTION_COLUMNS = ["router", "seed", "parent_id", "symbol", "side", "order_class", "rule", "value", "threshold",
                     "venue", "detail"]


# ------------------------------------------------------------------------------------------------------ policy
def _classes(*names: ClassName) -> list[ClassName]:
    return list(names)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False, validate_default=True)


class FigureRule(_Strict):
    """A figure over some order classes against a benchmark, with the margins that trigger review and fail."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*$")
    description: str = ""
    figure: FigureName
    order_classes: list[ClassName] = Field(default_factory=lambda: _classes("all"), min_length=1)
    benchmark: Literal["reference"] | float = "reference"
    fallback: float | None = Field(None, description="Benchmark value when no reference router is in the run.")
    relative: bool = Field(False, description="Margins are fractions of the benchmark value, not figure units.")
    review_margin: float = Field(0.0, ge=0)
    fail_margin: float = Field(0.0, ge=0)
    by_symbol: bool = False

    @field_validator("benchmark", mode="before")
    @classmethod
    def _benchmark(cls, v: object) -> object:
        if v == "reference" or (isinstance(v, int | float) and not isinstance(v, bool)):
            return float(v) if isinstance(v, int) else v
        raise ValueError('must be "reference" or a number')

    @model_validator(mode="after")
    def _margins(self) -> FigureRule:
        if self.fail_margin < self.review_margin:
            raise _FieldError("fail_margin", f"{self.fail_margin} is below review_margin {self.review_margin}")
        return self


class PayingVenueRule(_Strict):
    """Share of routed shares to paying venues above a limit while the price improvement there is not better."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*$")
    description: str = ""
    order_classes: list[ClassName] = Field(default_factory=lambda: _classes("all"), min_length=1)
    review_share: float = Field(ge=0, le=1)
    fail_share: float = Field(ge=0, le=1)
    quality_margin_cph: float = Field(0.0, ge=0, description="PI at paying venues must beat elsewhere by more.")

    @model_validator(mode="after")
    def _shares(self) -> PayingVenueRule:
        if self.fail_share < self.review_share:
            raise _FieldError("fail_share", f"{self.fail_share} is below review_share {self.review_share}")
        return self


class ConflictSection(_Strict):
    """The conflict flag's thresholds (see ``harness.analytics.conflict``)."""

    paying_share_limit: float = Field(0.5, ge=0, le=1)
    elasticity_threshold_pts: float = Field(1.0, ge=0)


class ExceptionSection(_Strict):
    """The exception report's rules."""

    latency_percentile: float = Field(99.0, gt=0, le=100)
    latency_classes: list[ClassName] = Field(default_factory=lambda: _classes("market", "marketable_limit", "ioc"))
    pi_ticks_below: float = Field(1.0, ge=0)
    marketable_min_fill_rate: float = Field(0.5, ge=0, le=1)
    min_venue_share: float = Field(0.01, ge=0, le=1)


def _default_rules() -> list[FigureRule]:
    return [
        FigureRule(id="pi-marketable", figure="pi_per_share", order_classes=["market", "marketable_limit"],
                   fallback=0.0, review_margin=0.0005, fail_margin=0.002, by_symbol=True,
                   description="Price improvement per share on market and marketable limit orders."),
        FigureRule(id="eq-marketable", figure="eq_ratio", order_classes=["market", "marketable_limit"],
                   fallback=1.0, review_margin=0.05, fail_margin=0.2,
                   description="Effective over quoted spread on market and marketable limit orders."),
        FigureRule(id="speed-marketable", figure="time_to_first_fill_ms", order_classes=["market", "marketable_limit"],
                   relative=True, review_margin=0.5, fail_margin=1.0,
                   description="Time to first fill of marketable orders: 50% slower -> review, twice as slow -> fail."),
        FigureRule(id="fill-marketable", figure="fill_rate", order_classes=["market", "marketable_limit"],
                   fallback=1.0, review_margin=0.02, fail_margin=0.1,
                   description="Share of marketable orders' shares executed."),
        FigureRule(id="fill-limit", figure="fill_rate",
                   order_classes=["nml_beyond_midpoint", "nml_at_or_inside_quote", "nml_near_quote"],
                   review_margin=0.05, fail_margin=0.15,
                   description="Share of non-marketable limit orders' shares executed (away orders excluded)."),
        FigureRule(id="shortfall-all", figure="shortfall_per_share", review_margin=0.001, fail_margin=0.005,
                   description="Implementation shortfall per share over every order."),
    ]


def _default_paying_rules() -> list[PayingVenueRule]:
    return [PayingVenueRule(id="paying-venues-marketable", order_classes=["market", "marketable_limit"],
                            review_share=0.5, fail_share=0.8, quality_margin_cph=0.0,
                            description="Marketable flow to venues that pay for it, while its price improvement there "
                            "is not better than the reference router's on the same orders.")]


CONFLICT_FREE_REFERENCES = (
    "best-price", "sequential", "spray", "dark-first", "post-then-take", "wholesaler", "cont-kukanov",
    "dark-allocator", "censored-dark",
)
"""The reference routers that route on price, fees and fill quality only (not rebate-max, random, single-venue)."""


class ReviewPolicy(_Strict):
    """The committee's review policy; every field has the documented default."""

    version: Literal[1] = 1
    reference_routers: list[str] = Field(default_factory=lambda: list(CONFLICT_FREE_REFERENCES), min_length=1)
    ci_level: float = Field(0.95, ge=0.5, lt=1)
    conflict: ConflictSection = Field(default_factory=ConflictSection)
    exceptions: ExceptionSection = Field(default_factory=ExceptionSection)
    rules: list[FigureRule] = Field(default_factory=_default_rules)
    paying_venue_rules: list[PayingVenueRule] = Field(default_factory=_default_paying_rules)

    @model_validator(mode="after")
    def _unique_ids(self) -> ReviewPolicy:
        seen: set[str] = set()
        every: list[FigureRule | PayingVenueRule] = [*self.rules, *self.paying_venue_rules]
        for i, rule in enumerate(every):
            if rule.id in seen:
                where = f"rules[{i}]" if i < len(self.rules) else f"paying_venue_rules[{i - len(self.rules)}]"
                raise _FieldError(f"{where}.id", f"duplicate rule id {rule.id!r}")
            seen.add(rule.id)
        return self

    def conflict_params(self, *, n_boot: int, seed: int) -> ConflictParams:
        """The conflict flag's parameters under this policy."""
        return ConflictParams(reference_routers=tuple(self.reference_routers),
                              paying_share_limit=self.conflict.paying_share_limit,
                              elasticity_threshold_pts=self.conflict.elasticity_threshold_pts,
                              ci_level=self.ci_level, n_boot=n_boot, seed=seed)


def default_policy_path() -> Path | None:
    """The shipped default policy file: the repository's ``scenarios/`` or the installed package's copy."""
    for candidate in (REPO_SCENARIOS / POLICY_RELATIVE, INSTALLED_SCENARIOS / POLICY_RELATIVE):
        if candidate.is_file():
            return candidate
    return None


def load_policy(path: Path | str | None = None) -> ReviewPolicy:
    """Read and validate a policy file; ``None`` loads the default file, or the built-in defaults without it.

    A mistake is a ``UserError`` of one line naming the file, the field and the value.
    """
    p = Path(path) if path is not None else default_policy_path()
    if p is None:
        return ReviewPolicy()
    data = read_toml(p, what="policy file")
    try:
        return ReviewPolicy.model_validate(data)
    except ValidationError as err:
        raise UserError(_format_validation_error(str(p), err)) from None


# ---------------------------------------------------------------------------------------------- figure parts
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
    if ALL in classes:
        return np.ones(len(orders), dtype=bool)
    return orders["order_class"].isin(list(classes)).to_numpy(dtype=bool, copy=True)


def _div(num: FloatArray | float, den: FloatArray | float) -> FloatArray:
    n, d = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(d != 0, n / np.where(d != 0, d, 1.0), np.nan)


def _interval(reps: FloatArray, level: float) -> tuple[float, float]:
    reps = reps[np.isfinite(reps)]
    if not len(reps):
        return float("nan"), float("nan")
    tail = (1 - level) / 2
    return float(np.quantile(reps, tail)), float(np.quantile(reps, 1 - tail))


@dataclass
class _Cell:
    """One review row under construction: a router x rule x symbol, with its orders and bootstrap columns."""

    router: str
    rule: FigureRule
    symbol: str
    rows: npt.NDArray[np.int64]  # positions in the frame the columns were built on
    columns: FloatArray  # (n, 2) own num/den, or (n, 4) own num/den + reference num/den
    benchmark_name: str
    fixed: float | None = None
    in_class: int = 0  # the router's orders of the rule's classes (and symbol), with the figure or not


def _status(rule: FigureRule, value: float, bench: float, lo: float, hi: float) -> tuple[str, float, float, str]:
    """The status (pass, review or fail), the thresholds in figure units and a short reason."""
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
        extra = " (interval includes 0)" if worse > fail_thr else ""
        return "review", review_thr, fail_thr, f"worse than the benchmark by {worse:.4g} (> {review_thr:.6g}){extra}"
    return "pass", review_thr, fail_thr, "within the review margin"


def _reference(orders: pd.DataFrame, policy: ReviewPolicy, *, excluding: str | None = None) -> str | None:
    """The best reference router present (other than ``excluding``), by customer net PI (ties: first listed)."""
    routers = set(orders["router"].unique())
    present = [r for r in policy.reference_routers if r in routers and r != excluding]
    if not present:
        return None
    pi = customer_net_pi_cph(orders)
    return max(present, key=lambda r: (np.nan_to_num(pi.get(r, np.nan), nan=-np.inf), -present.index(r)))


def _symbol_groups(frame: pd.DataFrame, rule: FigureRule) -> list[tuple[str, npt.NDArray[np.bool_]]]:
    groups = [(ALL, np.ones(len(frame), dtype=bool))]
    if rule.by_symbol:
        sym = frame["symbol"].to_numpy()
        groups += [(s, sym == s) for s in sorted(np.unique(sym))]
    return groups


def _figure_review(orders: pd.DataFrame, policy: ReviewPolicy, *, n_boot: int,
                   seed: int) -> tuple[list[dict[str, object]], list[pd.DataFrame]]:
    ref = _reference(orders, policy)
    rows: list[dict[str, object]] = []
    behind: list[pd.DataFrame] = []
    cols = [*ORDER_KEYS, "symbol", "order_class", "qty", "filled_qty", "pi_per_share", "effective_spread",
            "quoted_spread", "fill_rate", "shortfall_per_share", "time_to_first_fill_ms", "markout_1s"]
    ref_orders = orders.loc[orders["router"] == ref, cols] if ref else None
    for router in sorted(orders["router"].unique()):
        mine = orders.loc[orders["router"] == router, cols].reset_index(drop=True)
        paired = None
        if ref_orders is not None and router != ref:
            paired = mine.merge(ref_orders.drop(columns=["router"]), on=["seed", "parent_id"], suffixes=("", "_ref"))
            paired = paired.sort_values(["seed", "parent_id"], kind="stable").reset_index(drop=True)
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
            new_rows, new_behind = _evaluate(cells[kind], frame, policy, n_boot=n_boot,
                                             rng=_stream(seed, router, f"review:{kind}"))
            rows += new_rows
            behind += new_behind
    return rows, behind


def _evaluate(cells: list[_Cell], frame: pd.DataFrame, policy: ReviewPolicy, *, n_boot: int,
              rng: np.random.Generator) -> tuple[list[dict[str, object]], list[pd.DataFrame]]:
    """Bootstrap every cell of one router at once (one draw of seeds and orders), then decide each status."""
    n = len(frame)
    width = sum(c.columns.shape[1] for c in cells)
    values = np.zeros((n, width))
    start = 0
    for c in cells:
        values[c.rows, start:start + c.columns.shape[1]] = c.columns
        start += c.columns.shape[1]
    groups = pd.factorize(frame["seed"])[0].astype(np.int64)
    sums = bootstrap_sums(values, groups, n_boot=n_boot, rng=rng) if n else np.zeros((n_boot, width))
    rows, behind = [], []
    start = 0
    for c in cells:
        k = c.columns.shape[1]
        tot = c.columns.sum(axis=0)
        reps = sums[:, start:start + k]
        start += k
        value = float(_div(tot[0], tot[1]))
        if k == 4:
            bench = float(_div(tot[2], tot[3]))
            diffs = _div(reps[:, 0], reps[:, 1]) - _div(reps[:, 2], reps[:, 3])
        else:
            bench = float(c.fixed) if c.fixed is not None else float("nan")
            diffs = _div(reps[:, 0], reps[:, 1]) - bench
        lo, hi = _interval(diffs, policy.ci_level) if len(c.rows) else (float("nan"), float("nan"))
        status, review_thr, fail_thr, detail = _status(c.rule, value, bench, lo, hi)
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
def _paying_review(orders: pd.DataFrame, fills: pd.DataFrame, children: pd.DataFrame | None, context: RunContext,
                   policy: ReviewPolicy) -> tuple[list[dict[str, object]], list[pd.DataFrame]]:
    if not policy.paying_venue_rules:
        return [], []
    pays = venue_pays(context, fills)
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


# ------------------------------------------------------------------------------------------------ exceptions
def exceptions_table(orders: pd.DataFrame, fills: pd.DataFrame, context: RunContext,
                     policy: ReviewPolicy | None = None) -> pd.DataFrame:
    """Individual orders with unusual latency, poor prices, poor fills or unexpected venues, and the rule for each.

    * ``slow_first_fill``: time to first fill above the ``latency_percentile`` (linear interpolation) of every
      router's orders of the same order class (classes in ``latency_classes``);
    * ``pi_below_ticks``: share-weighted PI per share below -``pi_ticks_below`` ticks of the symbol;
    * ``poor_fill``: a market or marketable limit order with fill rate below ``marketable_min_fill_rate``;
    * ``unexpected_venue``: a fill at a venue that carries less than ``min_venue_share`` of the router's executed
      shares in that order class, or at a venue the scenario does not list.
    """
    ex = (policy or ReviewPolicy()).exceptions
    found: list[pd.DataFrame] = []
    base = [*ORDER_KEYS, "symbol", "side", "order_class"]

    def add(frame: pd.DataFrame, rule: str, value: pd.Series, threshold: npt.ArrayLike, detail: str,
            venue: pd.Series | None = None) -> None:
        if len(frame):
            found.append(frame[base].assign(rule=rule, value=value.to_numpy(np.float64),
                                            threshold=np.broadcast_to(np.asarray(threshold, np.float64), len(frame)),
                                            venue=venue.to_numpy() if venue is not None else "", detail=detail))

    t = orders["time_to_first_fill_ms"]
    for cls in ex.latency_classes:
        in_cls = (orders["order_class"] == cls) if cls != ALL else pd.Series(True, index=orders.index)
        times = t[in_cls & t.notna()]
        if len(times):
            limit = float(np.percentile(times.to_numpy(np.float64), ex.latency_percentile))
            hit = orders[in_cls & (t > limit)]
            add(hit, "slow_first_fill", hit["time_to_first_fill_ms"], limit,
                f"time to first fill above the p{ex.latency_percentile:g} of all routers' {cls} orders "
                f"({limit:.3f} ms)")
    tick = orders["symbol"].map(context.tick).astype(np.float64)
    floor = -ex.pi_ticks_below * tick
    hit_mask = orders["pi_per_share"] < floor
    hit = orders[hit_mask]
    add(hit, "pi_below_ticks", hit["pi_per_share"], floor[hit_mask],
        f"price improvement per share below -{ex.pi_ticks_below:g} tick(s)")
    marketable = orders["order_class"].isin(MARKETABLE)
    hit = orders[marketable & (orders["fill_rate"] < ex.marketable_min_fill_rate)]
    add(hit, "poor_fill", hit["fill_rate"], ex.marketable_min_fill_rate,
        "market or marketable limit order mostly unfilled")
    if len(fills):
        f = fills.merge(orders[base], on=ORDER_KEYS, how="inner", suffixes=("_fill", ""))
        per = f.groupby(["router", "order_class", "venue"])["qty"].sum()
        share = per / per.groupby(level=["router", "order_class"]).transform("sum")
        f["venue_share"] = share.reindex(pd.MultiIndex.from_frame(f[["router", "order_class", "venue"]])).to_numpy()
        unlisted = ~f["venue"].isin(list(context.venues)) if context.terms_known else pd.Series(False, index=f.index)
        hit = f[(f["venue_share"] < ex.min_venue_share) | unlisted].drop_duplicates([*ORDER_KEYS, "venue"])
        add(hit, "unexpected_venue", hit["venue_share"], ex.min_venue_share,
            "venue carrying a small share of the router's executions for this order class (or not in the scenario)",
            venue=hit["venue"])
    if not found:
        return pd.DataFrame(columns=EXCEPTION_COLUMNS)
    table = pd.concat(found, ignore_index=True)[EXCEPTION_COLUMNS]
    return table.sort_values(["router", "seed", "parent_id", "rule", "venue"], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------------------------------------------ entry
@dataclass(frozen=True)
class ReviewTables:
    """``review.csv`` (router x rule), ``review_orders.csv`` (orders behind each non-pass) and ``exceptions.csv``."""

    review: pd.DataFrame
    review_orders: pd.DataFrame
    exceptions: pd.DataFrame


def review_tables(orders: pd.DataFrame, fills: pd.DataFrame, *, context: RunContext | None = None,
                  children: pd.DataFrame | None = None, policy: ReviewPolicy | None = None, n_boot: int = 2000,
                  seed: int = 0) -> ReviewTables:
    """The review of every router under ``policy`` (default: the built-in defaults) and the exception report.

    ``orders`` is the per-order TCA table, ``fills`` the fill metrics (with ``pi``); ``children`` the child orders
    (default: the context's). The bootstrap uses ``n_boot`` replicates and streams derived from ``seed``.
    """
    policy = policy or ReviewPolicy()
    context = context or RunContext()
    children = children if children is not None else context.children
    rows, behind = _figure_review(orders, policy, n_boot=n_boot, seed=seed)
    p_rows, p_behind = _paying_review(orders, fills, children, context, policy)
    review = pd.DataFrame([*rows, *p_rows], columns=REVIEW_COLUMNS)
    every: list[FigureRule | PayingVenueRule] = [*policy.rules, *policy.paying_venue_rules]
    order = {r.id: i for i, r in enumerate(every)}
    review = review.sort_values(["router", "rule", "symbol"], key=lambda c: c.map(order) if c.name == "rule" else (
        c.where(c != ALL, "") if c.name == "symbol" else c), kind="stable").reset_index(drop=True)
    frames = [b for b in (*behind, *p_behind) if len(b)]
    review_orders = (pd.concat(frames, ignore_index=True)[REVIEW_ORDER_COLUMNS] if frames
                     else pd.DataFrame(columns=REVIEW_ORDER_COLUMNS))
    return ReviewTables(review=review, review_orders=review_orders,
                        exceptions=exceptions_table(orders, fills, context, policy))

