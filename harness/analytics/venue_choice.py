"""Quality-adjusted venue choice: OLS of a router's venue share on venue payment, controlling for execution quality.

``venue_choice_table`` puts one observation per seed x venue (and, with the incentive test, per payment twin) and
regresses the router's share of routed shares there on the venue's payment (mils) and its PI, fill rate and 1 s
markout (``venue_quality``), with HC1-robust standard errors. Definitions: docs/analytics.md,
*Conflict-of-interest evidence*.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from harness.analytics.context import RunContext
from harness.analytics.incentive import MILS

FloatArray = npt.NDArray[np.float64]
CPH = 10_000.0
VENUE_CHOICE_TERMS = ("intercept", "payment_mils", "pi_cph", "fill_rate_pct", "markout_1s_cph")
VENUE_CHOICE_COLUMNS = ["router", "term", "coef", "se", "t", "ci_low", "ci_high", "n", "r2", "note"]


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
        d = _twin_observations(mine_twins, quality) if mine_twins is not None and len(mine_twins) else None
        if d is not None and len(d):
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
    """One router's seed x twin x venue observations: its share in the twin, the twin's payment, baseline quality.

    With payment channels, the PFOF channel's twins (PFOF always accrues to the broker, and its shares are all the
    routed shares, as in the observations without twins); a folder without channels uses all its twins.
    """
    if "channel" in shares.columns:
        shares = shares[shares["channel"] == "pfof"]
    d = shares[["seed", "twin", "venue", "routed_shares", "payment_usd"]].copy()
    total = d.groupby(["seed", "twin"])["routed_shares"].transform("sum").astype(np.float64).replace(0, np.nan)
    d["share_pts"] = 100.0 * d["routed_shares"].astype(np.float64) / total
    d["payment_mils"] = d["payment_usd"].astype(np.float64) * MILS
    return d.merge(quality, on=["seed", "venue"], how="left").sort_values(["seed", "twin", "venue"], kind="stable")

