"""The incentive test and the broker's economics against the customer's outcome.

``payment_elasticity`` regresses each venue's share of a router's routed shares on the payment the venue offers
across payment twins of the same scenario (venue x seed fixed effects, interval from resampling seeds);
``broker_net_payment_cph`` and ``customer_net_pi_cph`` give what the broker nets and what the customer gets per
router, and ``regret_table`` the price improvement forgone against the best conflict-free reference router on the
same orders. Definitions: docs/analytics.md, *Conflict-of-interest evidence*.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from harness.analytics.paired import _stream, bootstrap_sums

FloatArray = npt.NDArray[np.float64]
CPH = 10_000.0
MILS = 1_000.0
"""USD per share to mils ($0.001 per share), the unit of payments in the regressions."""

ELASTICITY_COLUMNS = ["router", "payment_elasticity", "elasticity_ci_low", "elasticity_ci_high", "seeds", "twins",
                      "observations", "note"]
REGRET_COLUMNS = ["router", "reference_router", "regret_cph", "regret_ci_low", "regret_ci_high", "regret_orders",
                  "regret_seeds"]


def _interval(reps: FloatArray, ci_level: float) -> tuple[float, float]:
    reps = reps[np.isfinite(reps)]
    if not len(reps):
        return float("nan"), float("nan")
    tail = (1 - ci_level) / 2
    return float(np.quantile(reps, tail)), float(np.quantile(reps, 1 - tail))


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

