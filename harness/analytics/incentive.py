"""The incentive test and the broker's economics against the customer's outcome.

``payment_elasticity`` regresses, per router, payment channel and seed, each venue's share of the router's routed
shares on the payment the venue offers on that channel across the channel's payment twins (venue fixed effects), and
puts a seed-level t interval over the per-seed slopes (:func:`harness.analytics.inference.seed_interval`);
``broker_net_payment_cph`` and ``customer_net_pi_cph`` give what the broker nets and what the customer gets per
router, and ``regret_table`` the price improvement forgone against the best conflict-free reference router on the
same orders. Who receives exchange rebates and pays access fees is the broker policy's ``rebates`` ledger
(:data:`REBATE_LEDGERS`). Definitions: docs/analytics.md, *Conflict-of-interest evidence*.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from harness.analytics.inference import seed_interval, too_few_seeds

FloatArray = npt.NDArray[np.float64]
CPH = 10_000.0
MILS = 1_000.0
"""USD per share to mils ($0.001 per share), the unit of payments in the regressions."""

RETAINED = "retained"
PASSED_THROUGH = "passed-through"
REBATE_LEDGERS = (RETAINED, PASSED_THROUGH)
"""The broker policy's rebate ledger: exchange rebates kept by the broker (who then pays the access fees) or passed
through to the customer (who then pays them). PFOF always accrues to the broker."""
CHANNEL_LABELS = {"pfof": "PFOF", "maker_rebate": "maker rebates", "take_fee": "take fees",
                  "payment": "PFOF + maker rebates"}
LEGACY_CHANNEL = "payment"
"""The channel of an incentive table written before channels existed (PFOF and maker rebates mixed)."""

ELASTICITY_COLUMNS = ["router", "channel", "payment_elasticity", "elasticity_ci_low", "elasticity_ci_high", "seeds",
                      "twins", "observations", "broker_channel", "verdict", "note"]
REGRET_COLUMNS = ["router", "reference_router", "regret_cph", "regret_ci_low", "regret_ci_high", "regret_orders",
                  "regret_seeds"]


def check_ledger(rebates: str) -> str:
    """``rebates`` if it is one of :data:`REBATE_LEDGERS` (``ValueError`` otherwise)."""
    if rebates not in REBATE_LEDGERS:
        raise ValueError(f"rebates must be one of {', '.join(REBATE_LEDGERS)}, not {rebates!r}")
    return rebates


def broker_channels(rebates: str) -> tuple[str, ...]:
    """The payment channels that are the broker's money, hence conflict channels, under the rebate ledger."""
    check_ledger(rebates)
    return ("pfof", "maker_rebate", "take_fee", LEGACY_CHANNEL) if rebates == RETAINED else ("pfof",)


# -------------------------------------------------------------------------------------------- incentive test
def seed_slopes(d: pd.DataFrame) -> pd.Series:
    """Per seed: the within-venue slope of venue share (points, 0-100) on payment (mils) over a channel's settings.

    ``d`` is one router's and one channel's rows (twin, seed, venue, routed_shares, payment_usd and optionally
    rotation). Twins with the same rotation are the same scenario and are averaged first, so every distinct
    payment setting (the baseline and each distinct rotation) counts once and repeating rotations changes nothing.
    Within each seed and venue both variables are demeaned; the slope is sum(x y) / sum(x x) (NaN where payments
    did not vary), rounded to 1e-9.
    """
    d = d.copy()
    setting = d["rotation"] if "rotation" in d.columns else d["twin"]
    total = d.groupby(["twin", "seed"])["routed_shares"].transform("sum").astype(np.float64)
    d["y"] = np.where(total > 0, 100.0 * d["routed_shares"].astype(np.float64) / total.where(total > 0, 1.0),
                      np.nan)
    d["x"] = d["payment_usd"].astype(np.float64) * MILS
    d["setting"] = setting
    cells = d.dropna(subset=["y"]).groupby(["seed", "venue", "setting"], sort=True)[["x", "y"]].mean().reset_index()
    by = [cells["seed"], cells["venue"]]
    xd = cells["x"] - cells.groupby(by)["x"].transform("mean")
    yd = cells["y"] - cells.groupby(by)["y"].transform("mean")
    sums = pd.DataFrame({"seed": cells["seed"], "xy": xd * yd, "xx": xd * xd}).groupby("seed")[["xy", "xx"]].sum()
    # rounded to 1e-9 points per mil: strips float noise such as -1e-15 for a router that never moved
    return (np.round(sums["xy"] / sums["xx"].where(sums["xx"] > 1e-18), 9) + 0.0).astype(np.float64)


def payment_elasticity(shares_df: pd.DataFrame | None, *, ci_level: float = 0.95,
                       rebates: str = RETAINED) -> pd.DataFrame:
    """Per router and payment channel: the elasticity of venue share to payment, with a seed-level interval.

    ``shares_df`` has router, channel (absent: one legacy channel), twin (0 = the unchanged scenario), rotation
    (optional), seed, venue, routed_shares (the shares the channel pays for) and payment_usd (the venue's payment
    on the channel in that twin). Per seed the slope is :func:`seed_slopes` (share points per $0.001 per share);
    the elasticity is their mean over seeds with :func:`~harness.analytics.inference.seed_interval`'s t interval.
    Below ``MIN_SEEDS`` seeds there is no interval and ``verdict`` is False, said in ``note``. ``broker_channel``
    says whether the channel is the broker's money under the ``rebates`` ledger (only those can flag a router).
    """
    if shares_df is None or shares_df.empty:
        return pd.DataFrame(columns=ELASTICITY_COLUMNS)
    conflict = broker_channels(rebates)
    df = shares_df if "channel" in shares_df.columns else shares_df.assign(channel=LEGACY_CHANNEL)
    rows = []
    for (router, channel), d in df.groupby(["router", "channel"], sort=True):
        slopes = seed_slopes(d)
        iv = seed_interval(slopes.to_numpy(np.float64), level=ci_level)
        notes = []
        if not slopes.notna().any():
            notes.append("payments did not vary across twins")
        elif not iv.verdict:
            notes.append(too_few_seeds(iv.seeds))
        if channel not in conflict:
            notes.append(f"rebates {rebates}: {CHANNEL_LABELS.get(str(channel), channel)} are the customer's, "
                         "not a conflict channel")
        rows.append({"router": router, "channel": channel, "payment_elasticity": iv.mean,
                     "elasticity_ci_low": iv.low, "elasticity_ci_high": iv.high, "seeds": iv.seeds,
                     "twins": int((d["twin"].unique() != 0).sum()), "observations": len(d),
                     "broker_channel": channel in conflict, "verdict": iv.verdict, "note": "; ".join(notes)})
    return pd.DataFrame(rows, columns=ELASTICITY_COLUMNS)


# ----------------------------------------------------------------------------------- economics and outcomes
def broker_net_payment_cph(fills: pd.DataFrame, *, rebates: str = RETAINED) -> pd.Series:
    """Per router: the broker's net payments per executed share, cents per 100 shares (> 0 the broker is paid).

    With rebates retained: (PFOF + rebates - fees); passed through: PFOF only (the rebates and fees are the
    customer's, in its net price).
    """
    if fills.empty:
        return pd.Series(dtype=np.float64)
    amount = fills["pfof_usd"]
    if check_ledger(rebates) == RETAINED:
        amount = amount + fills["rebate_usd"] - fills["fee_usd"]
    net = amount.groupby(fills["router"]).sum()
    return net / fills["qty"].groupby(fills["router"]).sum() * CPH


def customer_net_pi_cph(orders: pd.DataFrame) -> pd.Series:
    """Per router: share-weighted price improvement (improvement less executions outside the quote), cph."""
    ok = orders["pi_per_share"].notna() & (orders["filled_qty"] > 0)
    o = orders[ok]
    num = (o["pi_per_share"] * o["filled_qty"]).groupby(o["router"]).sum()
    den = o["filled_qty"].groupby(o["router"]).sum()
    return (num / den * CPH).reindex(sorted(orders["router"].unique()))


def regret_table(orders: pd.DataFrame, references: Sequence[str] = ("best-price",), *,
                 ci_level: float = 0.95) -> pd.DataFrame:
    """Per router: customers' price improvement forgone against the best conflict-free reference router, cph.

    The reference is the router of ``references`` present in ``orders`` with the highest customer net PI (ties:
    the first listed). Per order both routers filled (same seed and parent_id): regret = (PI of the reference - PI
    of the router) x 10,000, cph; > 0 the router's customers did worse. Each seed gives the mean over its orders
    (equal weight per order, as the paired comparisons do); ``regret_cph`` is the mean of the per-seed means and the
    interval their seed-level t interval (:func:`~harness.analytics.inference.seed_interval`): NaN below
    ``MIN_SEEDS`` seeds, when no verdict may rest on it.
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
        diff = (pair["pi_per_share_ref"] - pair["pi_per_share"]) * CPH
        diff = diff[np.isfinite(diff.to_numpy(np.float64))]
        per_seed = diff.groupby(pair.loc[diff.index, "seed"], sort=True).mean().to_numpy(np.float64)
        iv = seed_interval(per_seed, level=ci_level)
        lo, hi = (iv.low, iv.high) if router != ref else ((0.0, 0.0) if len(per_seed) else (np.nan, np.nan))
        rows.append({"router": router, "reference_router": ref, "regret_cph": iv.mean, "regret_ci_low": lo,
                     "regret_ci_high": hi, "regret_orders": len(diff), "regret_seeds": len(per_seed)})
    return pd.DataFrame(rows, columns=REGRET_COLUMNS)
