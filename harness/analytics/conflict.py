"""Conflict-of-interest evidence: whether a router's venue choice follows what venues pay, not what customers get.

Four kinds of evidence, strongest first (definitions: docs/analytics.md, *Conflict-of-interest evidence*):

1. Incentive sensitivity: ``payment_elasticity`` regresses each venue's share of the router's routed shares on the
   payment the venue offers, across payment twins of the same scenario (the incentive test), with venue x seed fixed
   effects, in share points per $0.001 per share, with an interval from resampling seeds.
2. Quality-adjusted venue choice: ``venue_choice_table`` regresses venue share on payment controlling for the
   execution quality at the venue (PI, fill rate, 1 s markout), OLS with HC1 standard errors.
3. Broker economics against customer outcome: net payments to the broker, the customer's net price improvement and
   the regret against the best conflict-free reference router on the same orders (``regret_table``).
4. Concentration: the share of routed shares sent to venues that pay for the liquidity the router used there
   (``paid_routed_shares``).

``conflict_summary`` puts them side by side per router and flags a router only on evidence that survives its
interval. ``leakage_table`` adds information-leakage figures: quote fade, other venues' quotes moving after the
router's fills, and the fast traders' profit in the router's run.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from harness.analytics.classify import Liquidity, Tif, micros, side_sign
from harness.analytics.context import RunContext
from harness.analytics.nbbo import NbboIndex, run_end_ts
from harness.analytics.orders import MS
from harness.analytics.paired import _stream, bootstrap_sums

FloatArray = npt.NDArray[np.float64]
CPH = 10_000.0
MILS = 1_000.0
"""USD per share to mils ($0.001 per share), the unit of payments in the regressions."""

SUMMARY_COLUMNS = [
    "router", "paying_venue_share", "payment_elasticity", "elasticity_ci_low", "elasticity_ci_high",
    "broker_net_payment_cph", "customer_net_pi_cph", "reference_router", "regret_cph", "regret_ci_low",
    "regret_ci_high", "regret_orders", "flagged", "reason",
]
ELASTICITY_COLUMNS = ["router", "payment_elasticity", "elasticity_ci_low", "elasticity_ci_high", "seeds", "twins",
                      "observations", "note"]
REGRET_COLUMNS = ["router", "reference_router", "regret_cph", "regret_ci_low", "regret_ci_high", "regret_orders",
                  "regret_seeds"]
VENUE_CHOICE_TERMS = ("intercept", "payment_mils", "pi_cph", "fill_rate_pct", "markout_1s_cph")
VENUE_CHOICE_COLUMNS = ["router", "term", "coef", "se", "t", "ci_low", "ci_high", "n", "r2", "note"]
LEAKAGE_COLUMNS = [
    "router", "targeting_children", "targeted_shares", "faded_shares", "quote_fade", "other_venue_move_100ms_cph",
    "other_venue_move_1s_cph", "fast_trader_fills", "fast_trader_shares", "fast_trader_profit_usd",
    "fast_trader_profit_cph", "note",
]
OTHER_VENUE_HORIZONS_NS = {"100ms": 100 * MS, "1s": 1_000 * MS}
FAST_TRADER_HORIZON_NS = 1_000 * MS
NO_INCENTIVE_TEST = "no incentive test"


@dataclass(frozen=True)
class ConflictParams:
    """The flag rule's parameters (the review policy's ``[conflict]`` table sets them).

    ``reference_routers`` are the conflict-free benchmarks (the best of those present, by customer net PI, is used);
    ``paying_share_limit`` is the share of routed shares to paying venues above which worse customer outcomes count
    as evidence; ``elasticity_threshold_pts`` the elasticity (share points per $0.001) the interval must clear.
    """

    reference_routers: tuple[str, ...] = ("best-price",)
    paying_share_limit: float = 0.5
    elasticity_threshold_pts: float = 1.0
    ci_level: float = 0.95
    n_boot: int = 2000
    seed: int = 0


@dataclass(frozen=True)
class ConflictTables:
    """The conflict folder's tables."""

    summary: pd.DataFrame
    venue_choice: pd.DataFrame
    leakage: pd.DataFrame
    elasticity: pd.DataFrame
    regret: pd.DataFrame
    notes: tuple[str, ...] = ()


def _interval(reps: FloatArray, ci_level: float) -> tuple[float, float]:
    reps = reps[np.isfinite(reps)]
    if not len(reps):
        return float("nan"), float("nan")
    tail = (1 - ci_level) / 2
    return float(np.quantile(reps, tail)), float(np.quantile(reps, 1 - tail))


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else float("nan")


# ------------------------------------------------------------------------------------------------- concentration
def venue_pays(context: RunContext, fills: pd.DataFrame) -> dict[tuple[str, str], bool]:
    """Whether each venue pays the broker for liquidity taken (``removed``) and for liquidity posted (``added``).

    From the manifest's schedules: PFOF > 0 pays for both; a maker rebate pays for added, a taker rebate (inverted
    venue) for removed liquidity. Without schedules, read from the fills of every router: a venue pays for a role
    when any fill of that role there carried a rebate or PFOF.
    """
    pays: dict[tuple[str, str], bool] = {}
    if context.terms_known:
        for name, t in context.venues.items():
            pays[(name, Liquidity.ADDED.value)] = t.pfof_usd > 0 or t.maker_rebate_usd > 0
            pays[(name, Liquidity.REMOVED.value)] = t.pfof_usd > 0 or t.taker_rebate_usd > 0
        return pays
    if fills.empty:
        return pays
    paid = (fills["pfof_usd"] + fills["rebate_usd"]) > 0
    liquidity = fills["liquidity"] if "liquidity" in fills.columns else pd.Series("", index=fills.index)
    pfof = fills.loc[fills["pfof_usd"] > 0, "venue"].unique()
    for (venue, role), any_paid in paid.groupby([fills["venue"], liquidity]).any().items():
        pays[(venue, role)] = bool(any_paid)
    for venue in pfof:
        for role in (Liquidity.ADDED.value, Liquidity.REMOVED.value):
            pays[(venue, role)] = True
    return pays


def child_role(children: pd.DataFrame) -> pd.Series:
    """The liquidity a child order's unexecuted shares offered: ``removed`` for IOC/FOK, ``added`` for the rest.

    An IOC/FOK remainder sought to take liquidity and was cancelled; a day order's remainder rests on the book.
    """
    tif = children["tif"].fillna(Tif.DAY.value) if "tif" in children.columns else pd.Series(Tif.DAY.value,
                                                                                            index=children.index)
    immediate = tif.isin([Tif.IOC.value, Tif.FOK.value])
    return pd.Series(np.where(immediate, Liquidity.REMOVED.value, Liquidity.ADDED.value), index=children.index)


def pays_for(pays: dict[tuple[str, str], bool], venues: pd.Series, roles: pd.Series) -> npt.NDArray[np.bool_]:
    """Per row: whether the venue pays for the liquidity role (``venue_pays``); unknown venues and roles do not."""
    return np.array([pays.get((v, r), False) for v, r in zip(venues, roles, strict=True)], dtype=bool)


def paid_routed_shares(children: pd.DataFrame, fills: pd.DataFrame, pays: dict[tuple[str, str], bool]) -> FloatArray:
    """Per child order: how many of its routed shares went to a venue that pays for the liquidity they used.

    Executed shares count by their fill's liquidity flag (a fill without one by the child's role); the unexecuted
    remainder by ``child_role``. Without child ids on both tables every share counts by the child's role.
    """
    role = child_role(children)
    rest = pays_for(pays, children["venue"], role)
    qty = children["qty"].to_numpy(np.float64)
    if "child_id" not in children.columns or "child_id" not in fills.columns or fills.empty:
        return qty * rest
    keys = ["router", "seed", "child_id"]
    c = children[[*keys, "venue"]].assign(_role=role, _row=np.arange(len(children)))
    f = fills[[*keys, "qty", *(["liquidity"] if "liquidity" in fills.columns else [])]].merge(c, on=keys)
    liquidity = f["liquidity"] if "liquidity" in f.columns else pd.Series(np.nan, index=f.index, dtype=object)
    f_role = liquidity.where(liquidity.isin([Liquidity.ADDED.value, Liquidity.REMOVED.value]), f["_role"])
    q = f["qty"].to_numpy(np.float64)
    rows = f["_row"].to_numpy(np.int64)
    filled = np.bincount(rows, weights=q, minlength=len(children))
    filled_paid = np.bincount(rows, weights=q * pays_for(pays, f["venue"], f_role), minlength=len(children))
    return filled_paid + np.clip(qty - filled, 0, None) * rest


def paying_venue_share(children: pd.DataFrame | None, fills: pd.DataFrame,
                       pays: dict[tuple[str, str], bool]) -> pd.Series:
    """Per router: routed shares to venues that pay for the liquidity used (``paid_routed_shares``) / routed shares.

    Without child orders (vendor data), executed shares stand in for routed shares, each fill counted by its own
    liquidity flag.
    """
    if children is not None and len(children):
        paid = pd.Series(paid_routed_shares(children, fills, pays), index=children.index)
        q = children["qty"].astype(np.float64)
        return paid.groupby(children["router"]).sum() / q.groupby(children["router"]).sum()
    if fills.empty:
        return pd.Series(dtype=np.float64)
    liquidity = fills["liquidity"] if "liquidity" in fills.columns else pd.Series("", index=fills.index)
    q = fills["qty"].astype(np.float64)
    paid = q * pays_for(pays, fills["venue"], liquidity)
    return paid.groupby(fills["router"]).sum() / q.groupby(fills["router"]).sum()


# -------------------------------------------------------------------------------------------- incentive test
def payment_elasticity(shares_df: pd.DataFrame | None, n_boot: int = 2000, seed: int = 0, *,
                       ci_level: float = 0.95) -> pd.DataFrame:
    """Per router: the slope of venue share on venue payment across the incentive test's twins, with an interval.

    ``shares_df`` has router, twin (0 = the unchanged scenario), seed, venue, routed_shares and payment_usd (the net
    payment per share the broker gets at that venue in that twin). A venue's share is its routed shares over the
    router's routed shares in that twin and seed, in share points (0-100); payments are in mils ($0.001 per share).
    With venue x seed fixed effects (both variables demeaned within each venue and seed), the slope is
    sum(x y) / sum(x x) over all rows: only changes across twins of the same venue and seed count, so a venue that
    is simply better and also pays more does not move the estimate. Units: share points per $0.001 per share.

    The interval resamples seeds with replacement (``n_boot`` replicates; each seed's sums are its contribution) and
    takes percentiles; it needs at least two seeds (NaN otherwise, said in ``note``). Without a table every router
    is NaN with note "no incentive test".
    """
    if shares_df is None or shares_df.empty:
        return pd.DataFrame(columns=ELASTICITY_COLUMNS)
    rows = []
    for router, d in shares_df.groupby("router", sort=True):
        d = d.copy()
        total = d.groupby(["twin", "seed"])["routed_shares"].transform("sum").astype(np.float64)
        d = d[total > 0]
        total = total[total > 0]
        y = 100.0 * d["routed_shares"].astype(np.float64) / total
        x = d["payment_usd"].astype(np.float64) * MILS
        cell = [d["seed"], d["venue"]]
        xd = (x - x.groupby(cell).transform("mean")).to_numpy(np.float64)
        yd = (y - y.groupby(cell).transform("mean")).to_numpy(np.float64)
        seed_codes, seeds = pd.factorize(d["seed"], sort=True)
        per_seed = np.zeros((len(seeds), 2))
        np.add.at(per_seed, seed_codes, np.column_stack([xd * yd, xd * xd]))
        sxy, sxx = per_seed.sum(axis=0)
        note = ""
        beta = lo = hi = float("nan")
        if sxx <= 1e-18:
            note = "payments did not vary across twins"
        else:
            beta = float(sxy / sxx)
            if len(seeds) < 2:
                note = "one seed: no interval"
            else:
                sums = bootstrap_sums(per_seed, np.arange(len(seeds), dtype=np.int64), n_boot=n_boot,
                                      rng=_stream(seed, str(router), "payment_elasticity"))
                with np.errstate(invalid="ignore", divide="ignore"):
                    reps = np.where(sums[:, 1] > 1e-18, sums[:, 0] / sums[:, 1], np.nan)
                lo, hi = _interval(reps, ci_level)
        rows.append({"router": router, "payment_elasticity": beta, "elasticity_ci_low": lo, "elasticity_ci_high": hi,
                     "seeds": len(seeds), "twins": int(d["twin"].nunique()), "observations": len(d), "note": note})
    return pd.DataFrame(rows, columns=ELASTICITY_COLUMNS)


# ----------------------------------------------------------------------------------- economics and outcomes
def broker_net_payment_cph(fills: pd.DataFrame) -> pd.Series:
    """Per router: (PFOF + rebates - fees) / executed shares, cents per 100 shares (> 0 the broker is paid)."""
    if fills.empty:
        return pd.Series(dtype=np.float64)
    net = (fills["pfof_usd"] + fills["rebate_usd"] - fills["fee_usd"]).groupby(fills["router"]).sum()
    return net / fills["qty"].groupby(fills["router"]).sum() * CPH


def customer_net_pi_cph(orders: pd.DataFrame) -> pd.Series:
    """Per router: share-weighted price improvement (improvement less executions outside the quote), cph."""
    ok = orders["pi_per_share"].notna() & (orders["filled_qty"] > 0)
    o = orders[ok]
    num = (o["pi_per_share"] * o["filled_qty"]).groupby(o["router"]).sum()
    den = o["filled_qty"].groupby(o["router"]).sum()
    return (num / den * CPH).reindex(sorted(orders["router"].unique()))


def regret_table(orders: pd.DataFrame, references: Sequence[str] = ("best-price",), *, n_boot: int = 2000,
                 seed: int = 0, ci_level: float = 0.95) -> pd.DataFrame:
    """Per router: customers' price improvement forgone against the best conflict-free reference router, cph.

    The reference is the router of ``references`` present in ``orders`` with the highest customer net PI (ties:
    the first listed). Per order both routers filled (same seed and parent_id): regret = (PI of the reference - PI
    of the router) x 10,000, cph; > 0 the router's customers did worse. The mean gives each order equal weight, as
    the paired comparisons do; the interval is their two-stage bootstrap (seeds, then orders within seeds).
    """
    routers = sorted(orders["router"].unique())
    present = [r for r in references if r in routers]
    if not present:
        return pd.DataFrame({"router": routers, "reference_router": "", "regret_cph": np.nan, "regret_ci_low": np.nan,
                             "regret_ci_high": np.nan, "regret_orders": 0, "regret_seeds": 0},
                            columns=REGRET_COLUMNS)
    pi = customer_net_pi_cph(orders)
    ref = max(present, key=lambda r: (np.nan_to_num(pi.get(r, np.nan), nan=-np.inf), -present.index(r)))
    cols = ["seed", "parent_id", "pi_per_share"]
    base = orders.loc[orders["router"] == ref, cols]
    rows = []
    for router in routers:
        pair = orders.loc[orders["router"] == router, cols].merge(base, on=["seed", "parent_id"],
                                                                  suffixes=("", "_ref"))
        pair = pair.sort_values(["seed", "parent_id"], kind="stable")
        diff = ((pair["pi_per_share_ref"] - pair["pi_per_share"]) * CPH).to_numpy(np.float64)
        ok = np.isfinite(diff)
        diff, seeds = diff[ok], pair["seed"].to_numpy()[ok]
        mean = float(diff.mean()) if len(diff) else float("nan")
        lo = hi = float("nan")
        if router == ref:
            lo = hi = 0.0 if len(diff) else float("nan")
        elif len(diff):
            sums = bootstrap_sums(np.column_stack([diff, np.ones(len(diff))]), pd.factorize(seeds)[0].astype(np.int64),
                                  n_boot=n_boot, rng=_stream(seed, router, f"regret:{ref}"))
            lo, hi = _interval(sums[:, 0] / sums[:, 1], ci_level)
        rows.append({"router": router, "reference_router": ref, "regret_cph": mean, "regret_ci_low": lo,
                     "regret_ci_high": hi, "regret_orders": len(diff), "regret_seeds": len(np.unique(seeds))})
    return pd.DataFrame(rows, columns=REGRET_COLUMNS)


# ------------------------------------------------------------------------------------------- venue choice
def _ols_hc1(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray, float]:
    """OLS coefficients, HC1 (White, n / (n - k)) standard errors and R^2."""
    n, k = x.shape
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    xtx_inv = np.linalg.inv(x.T @ x)
    meat = (x * resid[:, None] ** 2).T @ x
    cov = xtx_inv @ meat @ xtx_inv * (n / (n - k))
    tss = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - float((resid**2).sum()) / tss if tss > 0 else float("nan")
    return np.asarray(beta, dtype=np.float64), np.sqrt(np.clip(np.diag(cov), 0, None)), r2


def venue_quality(fills: pd.DataFrame, children: pd.DataFrame | None) -> pd.DataFrame:
    """Per seed x venue, over every router's orders there: PI and 1 s markout (share-weighted, cph) and fill rate (%).

    Pooling all routers measures what the venue offers in that seed's flow, including at venues a given router
    avoided: the quality it passed up.
    """
    f = fills.assign(_pi=fills["pi"] * fills["qty"], _mo=fills["markout_1s"] * fills["qty"],
                     _mo_w=fills["qty"].where(fills["markout_1s"].notna(), 0))
    g = f.groupby(["seed", "venue"])
    q = pd.DataFrame({"pi_cph": g["_pi"].sum() / g["qty"].sum() * CPH,
                      "markout_1s_cph": g["_mo"].sum() / g["_mo_w"].sum().replace(0, np.nan) * CPH,
                      "executed": g["qty"].sum()})
    if children is not None and len(children):
        routed = children.groupby(["seed", "venue"])["qty"].sum().rename("routed")
        q = q.join(routed, how="outer")
        q["fill_rate_pct"] = 100.0 * q["executed"].fillna(0) / q["routed"].replace(0, np.nan)
    else:
        q["fill_rate_pct"] = np.nan
    return q.reset_index()


def venue_payment_mils(context: RunContext, fills: pd.DataFrame) -> dict[str, float]:
    """Each venue's payment to the broker in mils: PFOF + maker rebate from the schedule; else observed on fills."""
    if context.terms_known:
        return {name: t.payment_usd * MILS for name, t in context.venues.items()}
    if fills.empty:
        return {}
    g = fills.groupby("venue")
    return ((g["pfof_usd"].sum() + g["rebate_usd"].sum()) / g["qty"].sum() * MILS).to_dict()


def venue_choice_table(fills: pd.DataFrame, children: pd.DataFrame | None, context: RunContext) -> pd.DataFrame:
    """Per router: OLS of venue share (points) on payment (mils) controlling for the venue's execution quality.

    One observation per seed x venue (every venue that any router used, or the manifest lists): the router's share
    of its routed shares there (0 when it sent none) against the venue's payment and its PI, fill rate and 1 s
    markout in that seed (``venue_quality``). With the incentive test, the payment twins add observations: one per
    seed x twin x venue, the router's share in that twin against the twin's payment, with the venue's quality in
    the baseline of that seed as the controls (the twins change payments only). Payments then vary within a venue,
    which is what identifies their effect apart from the venue's quality. Observations with an unknown control are
    dropped; a control that does not vary is dropped with a note. Standard errors are HC1-robust; the interval is
    coef +/- 1.96 SE.
    """
    routed_src = children if children is not None and len(children) else fills
    pay = venue_payment_mils(context, fills)
    quality = venue_quality(fills, children)
    venues = sorted(set(pay) | set(routed_src["venue"].unique()))
    seeds = sorted(routed_src["seed"].unique())
    grid = pd.MultiIndex.from_product([seeds, venues], names=["seed", "venue"]).to_frame(index=False)
    grid = grid.merge(quality, on=["seed", "venue"], how="left")
    grid["payment_mils"] = grid["venue"].map(pay).astype(np.float64).fillna(0.0)
    twins = context.incentive
    rows = []
    for router in sorted(routed_src["router"].unique()):
        notes = []
        mine_twins = twins[twins["router"] == router] if twins is not None else None
        if mine_twins is not None and len(mine_twins):
            d = _twin_observations(mine_twins, quality)
            notes.append(f"with the incentive test: {d['twin'].nunique()} payment settings x seeds x venues")
        else:
            mine = routed_src[routed_src["router"] == router].groupby(["seed", "venue"])["qty"].sum()
            d = grid.copy()
            routed = pd.Series(d.set_index(["seed", "venue"]).index.map(mine), index=d.index).fillna(0).astype(float)
            d["share_pts"] = 100.0 * routed / routed.groupby(d["seed"]).transform("sum").replace(0, np.nan)
        terms = list(VENUE_CHOICE_TERMS[1:])
        d = d.dropna(subset=["share_pts", *terms])
        for t in list(terms):
            if len(d) and d[t].std(ddof=0) == 0 and t != "payment_mils":
                terms.remove(t)
                notes.append(f"{t} constant: dropped")
        terms, aliased = _drop_aliased(d, terms)
        notes += [f"{t} collinear with the other terms: dropped" for t in aliased]
        x = np.column_stack([np.ones(len(d)), *(d[t].to_numpy(np.float64) for t in terms)])
        y = d["share_pts"].to_numpy(np.float64)
        n, k = x.shape
        note = "; ".join(notes)
        # Distinct design rows, not observations, bound what can be estimated: venues whose quality never changes
        # across seeds repeat the same row, and as many distinct rows as terms fit exactly (zero residuals and
        # standard errors), which is no evidence at all.
        distinct = len(np.unique(x, axis=0)) if n else 0
        if distinct <= k or np.linalg.matrix_rank(x) < k:
            coef = se = np.full(k, np.nan)
            r2 = float("nan")
            note = "; ".join([*notes, f"not identified ({n} observations, {distinct} distinct, {k} terms, "
                                      f"rank {np.linalg.matrix_rank(x)})"])
        else:
            coef, se, r2 = _ols_hc1(x, y)
        for i, term in enumerate(["intercept", *terms]):
            t_stat = coef[i] / se[i] if se[i] > 0 else np.nan
            rows.append({"router": router, "term": term, "coef": coef[i], "se": se[i], "t": t_stat,
                         "ci_low": coef[i] - 1.96 * se[i], "ci_high": coef[i] + 1.96 * se[i], "n": n, "r2": r2,
                         "note": note})
    return pd.DataFrame(rows, columns=VENUE_CHOICE_COLUMNS)


def _drop_aliased(d: pd.DataFrame, terms: list[str]) -> tuple[list[str], list[str]]:
    """Drop quality controls that add nothing to the design's rank (last first; payment is never dropped).

    Like R's ``lm`` reporting aliased coefficients: when, say, two venues' PI and markouts move together, one of
    them carries no separate information and the payment coefficient is estimated on the rest.
    """
    if not len(d):
        return terms, []

    def rank(ts: list[str]) -> int:
        x = np.column_stack([np.ones(len(d)), *(d[t].to_numpy(np.float64) for t in ts)])
        return int(np.linalg.matrix_rank(x))

    kept, dropped = list(terms), list[str]()
    for t in reversed(terms):
        if t == "payment_mils" or rank(kept) == len(kept) + 1:
            continue
        without = [u for u in kept if u != t]
        if rank(without) == rank(kept):
            kept, dropped = without, [t, *dropped]
    return kept, dropped


def _twin_observations(shares: pd.DataFrame, quality: pd.DataFrame) -> pd.DataFrame:
    """One router's seed x twin x venue observations: its share in the twin, the twin's payment, baseline quality."""
    d = shares[["seed", "twin", "venue", "routed_shares", "payment_usd"]].copy()
    total = d.groupby(["seed", "twin"])["routed_shares"].transform("sum").astype(np.float64).replace(0, np.nan)
    d["share_pts"] = 100.0 * d["routed_shares"].astype(np.float64) / total
    d["payment_mils"] = d["payment_usd"].astype(np.float64) * MILS
    return d.merge(quality, on=["seed", "venue"], how="left").sort_values(["seed", "twin", "venue"], kind="stable")


# ----------------------------------------------------------------------------------------------- leakage
def _venue_index(quotes: pd.DataFrame, *, sizes: bool) -> NbboIndex:
    """An index over per-venue quotes keyed by (router, seed, symbol|venue); ``sizes`` looks up sizes, not prices."""
    q = quotes.assign(symbol=quotes["symbol"] + "|" + quotes["venue"])
    if sizes:
        q = q.assign(bid=q["bid_size"].astype(np.float64), ask=q["ask_size"].astype(np.float64))
    return NbboIndex(q[["router", "seed", "symbol", "ts_ns", "bid", "ask"]])


def quote_fade(children: pd.DataFrame, quotes: pd.DataFrame) -> pd.DataFrame:
    """Per router: of the displayed size child orders targeted when sent, the share gone when they arrived.

    A child order targets displayed size when, at its venue and at its send time, the far side of the venue's quote
    (the ask for a buy) is at or better than its limit: the size targeted is min(child shares, displayed size). On
    arrival (the venue's quote just before ``venue_ts_ns``) the size still available is the displayed size if the
    far side is at or better than the price targeted, else 0. Fade = (targeted - min(targeted, available)) summed,
    over targeted summed. Only the top of each venue's book is known, so size deeper than the best price is not
    seen. Midpoint-pegged and post-only children do not target displayed size and are left out.
    """
    need = {"limit_price", "sent_ts_ns", "venue_ts_ns", "side", "symbol"}
    if not need <= set(children.columns):
        return pd.DataFrame(columns=["router", "targeting_children", "targeted_shares", "faded_shares", "quote_fade"])
    c = children[children["limit_price"].notna() & children["venue_ts_ns"].notna()]  # in flight at the end: left out
    for flag in ("midpoint_peg", "post_only"):
        if flag in c.columns:
            c = c[~c[flag].astype(bool)]
    c = c.reset_index(drop=True)
    prices, sizes = _venue_index(quotes, sizes=False), _venue_index(quotes, sizes=True)
    key = c.assign(symbol=c["symbol"] + "|" + c["venue"])
    codes = prices.codes(key)
    buy = c["side"].to_numpy() == "buy"
    sent_t, arr_t = c["sent_ts_ns"].to_numpy(np.int64), c["venue_ts_ns"].astype(np.int64).to_numpy(np.int64)
    at_sent, size_sent = prices.at(codes, sent_t), sizes.at(codes, sent_t)
    at_arr, size_arr = prices.at(codes, arr_t, strict=True), sizes.at(codes, arr_t, strict=True)
    far_sent = micros(np.where(buy, at_sent.ask, at_sent.bid))
    far_arr = micros(np.where(buy, at_arr.ask, at_arr.bid))
    limit = micros(c["limit_price"].to_numpy(np.float64))
    s = np.where(buy, 1.0, -1.0)
    shown = np.nan_to_num(np.where(buy, size_sent.ask, size_sent.bid))
    targets = np.isfinite(far_sent) & (s * far_sent <= s * limit) & (shown > 0)
    targeted = np.where(targets, np.minimum(c["qty"].to_numpy(np.float64), shown), 0.0)
    still = np.isfinite(far_arr) & (s * far_arr <= s * far_sent)
    available = np.where(still, np.nan_to_num(np.where(buy, size_arr.ask, size_arr.bid)), 0.0)
    faded = targeted - np.minimum(targeted, available)
    out = pd.DataFrame({"router": c["router"], "targeting_children": targets.astype(np.int64),
                        "targeted_shares": targeted, "faded_shares": faded}).groupby("router").sum()
    out["quote_fade"] = out["faded_shares"] / out["targeted_shares"].replace(0, np.nan)
    return out.reset_index()


def other_venue_moves(fills: pd.DataFrame, quotes: pd.DataFrame) -> pd.DataFrame:
    """Per router: how the other venues' quotes moved after the router's fills, share-weighted, cph.

    For a fill at venue V at time t: m_other(t) is the midpoint of the best bid and best offer across the venues
    other than V (quotes just before t), and the move at h is s * (m_other(t + h) - m_other(t)), s = +1 for a buy.
    > 0: the other venues' prices moved against the router's customer after it traded (information leaking to
    those who reprice there). NaN where t + h is past the run's quote history.
    """
    venues = sorted(quotes["venue"].unique())
    prices = _venue_index(quotes, sizes=False)
    f = fills.reset_index(drop=True)
    s = side_sign(f["side"])
    t = f["exec_ts_ns"].to_numpy(np.int64)
    end = run_end_ts(quotes, f)
    codes = {v: prices.codes(f.assign(symbol=f["symbol"] + "|" + v)) for v in venues}
    own = {v: (f["venue"] == v).to_numpy() for v in venues}
    out = pd.DataFrame({"router": f["router"]})
    for name, h in OTHER_VENUE_HORIZONS_NS.items():
        mids = []
        for when, strict in ((t, True), (t + h, False)):
            bids, asks = [], []
            for v in venues:
                q = prices.at(codes[v], when, strict=strict)
                bids.append(np.where(own[v], np.nan, q.bid))
                asks.append(np.where(own[v], np.nan, q.ask))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # an instant with no other venue quoting: NaN
                mids.append((np.nanmax(np.vstack(bids), axis=0) + np.nanmin(np.vstack(asks), axis=0)) / 2)
        move = s * (mids[1] - mids[0]) * CPH
        move[(t + h) > end] = np.nan
        q = f["qty"].to_numpy(np.float64)
        out[f"_num_{name}"] = np.where(np.isfinite(move), move * q, 0.0)
        out[f"_den_{name}"] = np.where(np.isfinite(move), q, 0.0)
    g = out.groupby("router").sum()
    res = pd.DataFrame(index=g.index)
    for name in OTHER_VENUE_HORIZONS_NS:
        res[f"other_venue_move_{name}_cph"] = g[f"_num_{name}"] / g[f"_den_{name}"].replace(0, np.nan)
    return res.reset_index()


def fast_trader_profit(fast_fills: pd.DataFrame, nbbo: pd.DataFrame, fills: pd.DataFrame) -> pd.DataFrame:
    """Per router: the fast traders' profit in the router's run, their fills marked to the NBBO midpoint 1 s later.

    profit = sum of s * (m(t + 1 s) - p) * q over the fast traders' fills (s = +1 for their buys), USD; and per 100
    shares the router executed, cph. Fills whose mark is past the run's NBBO history are left out. In a scenario
    whose fast traders react only to the router's trades this is the profit the router's orders gave them.
    """
    index = NbboIndex(nbbo)
    ff = fast_fills.reset_index(drop=True)
    t = ff["ts_ns"].to_numpy(np.int64) + FAST_TRADER_HORIZON_NS
    mid = index.at(index.codes(ff), t).mid
    mid[t > run_end_ts(nbbo, ff)] = np.nan
    profit = side_sign(ff["side"]) * (mid - ff["price"].to_numpy(np.float64)) * ff["qty"].to_numpy(np.float64)
    ok = np.isfinite(profit)
    g = pd.DataFrame({"router": ff["router"][ok], "fast_trader_fills": 1, "fast_trader_shares": ff["qty"][ok],
                      "fast_trader_profit_usd": profit[ok]}).groupby("router").sum()
    executed = fills.groupby("router")["qty"].sum() if len(fills) else pd.Series(dtype=np.float64)
    g["fast_trader_profit_cph"] = g["fast_trader_profit_usd"] / executed.reindex(g.index).replace(0, np.nan) * CPH
    return g.reset_index()


def leakage_table(fills: pd.DataFrame, children: pd.DataFrame | None, context: RunContext,
                  nbbo: pd.DataFrame) -> pd.DataFrame:
    """Quote fade, other venues' quote moves and fast traders' profit per router (NaN, with a note, without inputs)."""
    routers = sorted(set(fills["router"].unique()) | (set(children["router"].unique()) if children is not None
                                                      else set()))
    table = pd.DataFrame({"router": routers})
    notes: list[str] = []
    if context.quotes is not None and children is not None:
        table = table.merge(quote_fade(children, context.quotes), on="router", how="left")
    else:
        notes.append("no per-venue quotes or child orders: no quote fade")
    if context.quotes is not None and len(fills):
        table = table.merge(other_venue_moves(fills, context.quotes), on="router", how="left")
    else:
        notes.append("no per-venue quotes: no other-venue moves")
    if context.fast_trader_fills is not None:
        table = table.merge(fast_trader_profit(context.fast_trader_fills, nbbo, fills), on="router", how="left")
        for col in ("fast_trader_fills", "fast_trader_shares", "fast_trader_profit_usd"):
            table[col] = table[col].fillna(0)
    else:
        notes.append("no fast_trader_fills.parquet: no fast-trader profit")
    for col in LEAKAGE_COLUMNS:
        if col not in table.columns:
            table[col] = np.nan
    table["note"] = "; ".join(notes)
    return table[LEAKAGE_COLUMNS]


# ------------------------------------------------------------------------------------------------ summary
def _reason(r: dict[str, object], ref_net: float, params: ConflictParams, has_incentive: bool) -> tuple[bool, str]:
    """The flag and its reason: which evidence survived its interval, with the figures."""
    pct = round(params.ci_level * 100)
    found, checked = [], []
    e, lo, hi = (float(r[k]) for k in ("payment_elasticity", "elasticity_ci_low", "elasticity_ci_high"))  # type: ignore[arg-type]
    if not has_incentive:
        checked.append(NO_INCENTIVE_TEST)
    elif np.isfinite(lo) and lo > params.elasticity_threshold_pts:
        found.append(f"incentive test: venue share moves {e:+.2f} points per $0.001/share of payment ({pct}% CI "
                     f"{lo:+.2f} to {hi:+.2f}, above {params.elasticity_threshold_pts:g})")
    elif np.isfinite(e):
        ci = f"{pct}% CI {lo:+.2f} to {hi:+.2f}" if np.isfinite(lo) else str(r.get("elasticity_note") or "no CI")
        checked.append(f"elasticity {e:+.2f} points per $0.001 ({ci}) not above {params.elasticity_threshold_pts:g}")
    else:
        checked.append(f"elasticity not estimable ({r.get('elasticity_note') or 'no data'})")
    reg, rlo, rhi = (float(r[k]) for k in ("regret_cph", "regret_ci_low", "regret_ci_high"))  # type: ignore[arg-type]
    share, net = float(r["paying_venue_share"]), float(r["broker_net_payment_cph"])  # type: ignore[arg-type]
    ref = r["reference_router"]
    if not ref:
        checked.append("no reference router in the run: no regret")
    elif ref == r["router"]:
        checked.append("is the reference router")
    elif np.isfinite(rlo) and rlo > 0 and share > params.paying_share_limit and net > ref_net:
        found.append(f"outcome: customers forgo {reg:.2f} cph of price improvement against {ref} ({pct}% CI "
                     f"{rlo:.2f} to {rhi:.2f}, {r['regret_orders']} orders) while {share:.0%} of routed shares go to "
                     f"paying venues (limit {params.paying_share_limit:.0%}) and the broker nets {net:.2f} cph "
                     f"against {ref_net:.2f} cph for {ref}")
    else:
        checked.append(f"regret {reg:.2f} cph vs {ref} ({pct}% CI {rlo:.2f} to {rhi:.2f}), paying-venue share "
                       f"{share:.0%} (limit {params.paying_share_limit:.0%}), broker net {net:.2f} vs {ref_net:.2f} "
                       "cph: not all of worse outcome, concentration and higher payments")
    if found:
        return True, "flagged: " + "; ".join(found)
    return False, "not flagged: " + "; ".join(checked)


def conflict_summary(orders: pd.DataFrame, fills: pd.DataFrame, children: pd.DataFrame | None, context: RunContext,
                     params: ConflictParams | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One row per router: concentration, incentive sensitivity, economics, regret, and the flag with its reason.

    A router is flagged only on evidence that survives its interval: (a) the incentive test's elasticity interval
    lies above ``elasticity_threshold_pts``; or (b) its regret interval against the reference lies above zero,
    *and* its paying-venue share is above ``paying_share_limit``, *and* the broker nets more per share than with
    the reference router. Returns the summary, the elasticity table and the regret table.
    """
    params = params or ConflictParams()
    routers = sorted(orders["router"].unique())
    elasticity = payment_elasticity(context.incentive, params.n_boot, params.seed, ci_level=params.ci_level)
    regret = regret_table(orders, params.reference_routers, n_boot=params.n_boot, seed=params.seed,
                          ci_level=params.ci_level)
    share = paying_venue_share(children, fills, venue_pays(context, fills))
    net = broker_net_payment_cph(fills)
    pi = customer_net_pi_cph(orders)
    el = elasticity.set_index("router")
    rg = regret.set_index("router")
    rows = []
    for router in routers:
        r: dict[str, object] = {
            "router": router, "paying_venue_share": float(share.get(router, np.nan)),
            "payment_elasticity": el["payment_elasticity"].get(router, np.nan),
            "elasticity_ci_low": el["elasticity_ci_low"].get(router, np.nan),
            "elasticity_ci_high": el["elasticity_ci_high"].get(router, np.nan),
            "elasticity_note": el["note"].get(router, "") if router in el.index else (
                NO_INCENTIVE_TEST if context.incentive is None else "router not in the incentive test"),
            "broker_net_payment_cph": float(net.get(router, np.nan)),
            "customer_net_pi_cph": float(pi.get(router, np.nan)),
            **{k: rg[k].get(router) for k in ("reference_router", "regret_cph", "regret_ci_low", "regret_ci_high",
                                               "regret_orders")},
        }
        ref = str(r["reference_router"] or "")
        ref_net = float(net.get(ref, np.nan)) if ref else float("nan")
        r["flagged"], r["reason"] = _reason(r, ref_net, params, context.incentive is not None and router in el.index)
        rows.append(r)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS), elasticity, regret


def compute_conflict(orders: pd.DataFrame, fills: pd.DataFrame, nbbo: pd.DataFrame, *, context: RunContext,
                     children: pd.DataFrame | None = None, params: ConflictParams | None = None) -> ConflictTables:
    """Every conflict table of a run: the per-router summary, the venue-choice regression and the leakage figures.

    ``fills`` are the fill metrics of the TCA (with ``pi`` and ``markout_1s`` per fill); ``children`` defaults to
    the context's child orders.
    """
    children = children if children is not None else context.children
    summary, elasticity, regret = conflict_summary(orders, fills, children, context, params)
    notes = list(context.notes)
    if context.incentive is None:
        notes.append("no incentive/venue_shares.parquet: no incentive test (payment_elasticity NaN)")
    return ConflictTables(summary=summary, venue_choice=venue_choice_table(fills, children, context),
                          leakage=leakage_table(fills, children, context, nbbo), elasticity=elasticity,
                          regret=regret, notes=tuple(notes))
