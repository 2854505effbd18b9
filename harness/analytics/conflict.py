"""Conflict-of-interest evidence: whether a router's venue choice follows what venues pay, not what customers get.

Four kinds of evidence, strongest first (definitions: docs/analytics.md, *Conflict-of-interest evidence*):

1. Incentive sensitivity: ``payment_elasticity`` regresses, per payment channel (PFOF, maker rebates, take fees),
   each venue's share of the router's routed shares on the payment the venue offers on that channel, across payment
   twins of the same scenario that permute that channel (the incentive test), with venue fixed effects per seed, in
   share points per $0.001 per share, with a seed-level t interval over the per-seed slopes.
2. Quality-adjusted venue choice: ``venue_choice_table`` regresses venue share on payment controlling for the
   execution quality at the venue (PI, fill rate, 1 s markout), OLS with HC1 standard errors.
3. Broker economics against customer outcome: net payments to the broker, the customer's net price improvement and
   the regret against the best conflict-free reference router on the same orders (``regret_table``).
4. Concentration: the share of routed shares sent to venues that pay for the liquidity the router used there
   (``paid_routed_shares``).

``conflict_summary`` puts them side by side per router and flags a router only on evidence that survives its
interval; a router not flagged is shown clean ("not flagged") only when every conflict channel's interval excludes an
effect above the threshold, and "insufficient evidence" otherwise. The broker policy's rebate ledger
(``ConflictParams.rebates``) decides which channels are the broker's money: with rebates retained, PFOF, maker
rebates and take fees; passed through, PFOF only. ``leakage_table`` adds information-leakage figures: quote fade,
other venues' quotes moving after the router's fills, and the fast traders' profit in the router's run.

Where each part lives: concentration in :mod:`harness.analytics.paying_venues`, the incentive test, broker economics
and regret in :mod:`harness.analytics.incentive`, the venue-choice regression in :mod:`harness.analytics.venue_choice`
and leakage in :mod:`harness.analytics.leakage`; this module holds the flag rule's parameters, the per-router summary
and ``compute_conflict``, which builds every table of a run's ``conflict/`` folder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.analytics.context import RunContext
from harness.analytics.incentive import (
    CHANNEL_LABELS,
    RETAINED,
    broker_net_payment_cph,
    check_ledger,
    customer_net_pi_cph,
    payment_elasticity,
    regret_table,
)
from harness.analytics.inference import MIN_SEEDS, too_few_seeds
from harness.analytics.leakage import leakage_table
from harness.analytics.paying_venues import paying_venue_share, venue_pays
from harness.analytics.venue_choice import venue_choice_table

__all__ = [  # the last four live in the evidence modules; harness.analytics and older callers import them from here
    "CHANNEL_FINDINGS",
    "FINDINGS",
    "NO_INCENTIVE_TEST",
    "SUMMARY_COLUMNS",
    "ConflictParams",
    "ConflictTables",
    "channel_finding",
    "compute_conflict",
    "conflict_summary",
    "leakage_table",
    "payment_elasticity",
    "regret_table",
    "venue_choice_table",
]

SUMMARY_COLUMNS = [
    "router", "paying_venue_share", "payment_elasticity", "elasticity_ci_low", "elasticity_ci_high",
    "elasticity_channel", "broker_net_payment_cph", "customer_net_pi_cph", "reference_router", "regret_cph",
    "regret_ci_low", "regret_ci_high", "regret_orders", "flagged", "finding", "reason",
]
NO_INCENTIVE_TEST = "no incentive test"

FLAGGED = "flagged"
INSUFFICIENT = "insufficient evidence"
NOT_FLAGGED = "not flagged"
FINDINGS = (FLAGGED, INSUFFICIENT, NOT_FLAGGED)
"""A router's conflict finding, strongest first. *Flagged*: some evidence survives its interval. *Insufficient
evidence*: not flagged, but on some conflict channel the evidence cannot exclude an effect (the elasticity interval's
upper end is above the threshold, there are too few seeds for a verdict, or the elasticity is not estimable while the
router used paying venues), so the run does not show the router clean. *Not flagged*: every conflict channel's
interval lies at or below the threshold."""
CHANNEL_FINDINGS = (FLAGGED, INSUFFICIENT, NOT_FLAGGED, "not a conflict channel", "too few seeds", "not estimable")


@dataclass(frozen=True)
class ConflictParams:
    """The flag rule's parameters (the review policy's ``[conflict]`` table sets them).

    ``reference_routers`` are the conflict-free benchmarks (the best of those present, by customer net PI, is used);
    ``paying_share_limit`` is the share of routed shares to paying venues above which worse customer outcomes count
    as evidence; ``elasticity_threshold_pts`` the elasticity (share points per $0.001) the interval must clear;
    ``rebates`` the broker's rebate ledger (``"retained"`` or ``"passed-through"``).
    """

    reference_routers: tuple[str, ...] = ("best-price",)
    paying_share_limit: float = 0.5
    elasticity_threshold_pts: float = 1.0
    ci_level: float = 0.95
    rebates: str = RETAINED

    def __post_init__(self) -> None:
        """Check the rebate ledger."""
        check_ledger(self.rebates)


@dataclass(frozen=True)
class ConflictTables:
    """The conflict folder's tables."""

    summary: pd.DataFrame
    venue_choice: pd.DataFrame
    leakage: pd.DataFrame
    elasticity: pd.DataFrame
    regret: pd.DataFrame
    notes: tuple[str, ...] = ()


# ------------------------------------------------------------------------------------------------ summary
def channel_finding(r: pd.Series | dict[str, object], threshold: float) -> str:
    """One elasticity row's finding (:data:`CHANNEL_FINDINGS`).

    Flagged when a verdict is possible and the interval's lower end is above ``threshold``; not flagged when its upper
    end is at or below it; insufficient evidence in between (the interval straddles the threshold, so an effect of
    that size is not excluded).
    """
    keys = ("payment_elasticity", "elasticity_ci_low", "elasticity_ci_high")
    e, lo, hi = (float(r[k]) for k in keys)  # type: ignore[arg-type]
    if not bool(r["broker_channel"]):
        return "not a conflict channel"
    if not np.isfinite(e):
        return "not estimable"
    if not bool(r["verdict"]):
        return "too few seeds"
    return FLAGGED if lo > threshold else NOT_FLAGGED if hi <= threshold else INSUFFICIENT


def _incentive_evidence(el: pd.DataFrame, params: ConflictParams) -> tuple[list[str], list[str], list[str]]:
    """The incentive test's evidence for one router's elasticity rows (one per channel).

    Returns what flags it, what leaves an effect open (insufficient evidence) and what was checked clean.
    """
    pct = round(params.ci_level * 100)
    thr = params.elasticity_threshold_pts
    found, checked, open_ = [], [], []
    for r in el.itertuples(index=False):
        label = CHANNEL_LABELS.get(str(r.channel), str(r.channel))
        finding = channel_finding(r._asdict(), thr)
        e, lo, hi = float(r.payment_elasticity), float(r.elasticity_ci_low), float(r.elasticity_ci_high)
        ci = (f"{pct}% CI {lo:+.2f} to {hi:+.2f}, {r.seeds} seeds" if np.isfinite(lo)
              else str(r.note or "no interval"))
        if not np.isfinite(e):
            checked.append(f"{label}: elasticity not estimable ({r.note or 'no data'})")
        elif not r.broker_channel:
            checked.append(f"{label}: elasticity {e:+.2f} ({ci}) not a conflict channel")
        elif finding == FLAGGED:
            found.append(f"incentive test ({label}): venue share moves {e:+.2f} points per $0.001/share of payment "
                         f"({ci}, above {thr:g})")
        elif finding == "too few seeds":
            open_.append(f"{label}: elasticity {e:+.2f}: {r.note}")
        elif finding == INSUFFICIENT:
            open_.append(f"{label}: elasticity {e:+.2f} points per $0.001 ({ci}) does not exclude an effect above "
                         f"{thr:g}")
        else:
            checked.append(f"{label}: elasticity {e:+.2f} points per $0.001 ({ci}) at or below {thr:g}")
    return found, open_, checked


def _reason(r: dict[str, object], el: pd.DataFrame | None, ref_net: float,
            params: ConflictParams) -> tuple[bool, str, str]:
    """The flag, the finding (:data:`FINDINGS`) and the reason.

    The reason says which evidence survived its interval and which left an effect open, with the figures.
    """
    pct = round(params.ci_level * 100)
    found: list[str] = []
    open_: list[str] = []
    checked: list[str] = []
    if el is None:
        open_.append(str(r.get("elasticity_note") or NO_INCENTIVE_TEST))
    else:
        found, open_, checked = _incentive_evidence(el, params)
    reg, rlo, rhi = (float(r[k]) for k in ("regret_cph", "regret_ci_low", "regret_ci_high"))  # type: ignore[arg-type]
    share, net = float(r["paying_venue_share"]), float(r["broker_net_payment_cph"])  # type: ignore[arg-type]
    ref = r["reference_router"]
    if not ref:
        checked.append("no reference router in the run: no regret")
    elif ref == r["router"]:
        checked.append("is the reference router")
    elif (n_seeds := int(r.get("regret_seeds") or 0)) < MIN_SEEDS:  # type: ignore[call-overload]
        open_.append(f"regret {reg:.2f} cph vs {ref}: {too_few_seeds(n_seeds)}")
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
        return True, FLAGGED, f"{FLAGGED}: " + "; ".join(found)
    if open_:
        return False, INSUFFICIENT, f"{INSUFFICIENT}: " + "; ".join(open_ + checked)
    return False, NOT_FLAGGED, f"{NOT_FLAGGED}: " + "; ".join(checked)


def _lead_channel(el: pd.DataFrame | None) -> dict[str, object]:
    """The summary's elasticity: the broker channel whose interval lies highest.

    Without intervals, the one whose elasticity is largest; NaN without any.
    """
    empty = {"payment_elasticity": np.nan, "elasticity_ci_low": np.nan, "elasticity_ci_high": np.nan,
             "elasticity_channel": ""}
    if el is None:
        return empty
    mine = el[el["broker_channel"].astype(bool) & el["payment_elasticity"].notna()]
    if mine.empty:
        return empty
    key = mine["elasticity_ci_low"].where(mine["elasticity_ci_low"].notna(), mine["payment_elasticity"] - 1e9)
    row = mine.loc[key.idxmax()]
    return {"payment_elasticity": float(row["payment_elasticity"]),
            "elasticity_ci_low": float(row["elasticity_ci_low"]),
            "elasticity_ci_high": float(row["elasticity_ci_high"]), "elasticity_channel": str(row["channel"])}


def conflict_summary(orders: pd.DataFrame, fills: pd.DataFrame, children: pd.DataFrame | None, context: RunContext,
                     params: ConflictParams | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One row per router: concentration, incentive sensitivity, economics, regret, and the flag with its reason.

    A router is flagged only on evidence that survives its interval: (a) on some conflict channel of the rebate
    ledger, the incentive test's seed-level elasticity interval (a verdict needs ``MIN_SEEDS`` seeds) lies above
    ``elasticity_threshold_pts``; or (b) its regret interval against the reference lies above zero, *and* its
    paying-venue share is above ``paying_share_limit``, *and* the broker nets more per share than with the
    reference router. ``finding`` is :data:`FINDINGS`'s three-way result: an unflagged router whose evidence cannot
    exclude an effect (an interval straddling the threshold, too few seeds, no incentive test) is "insufficient
    evidence", never shown clean. The summary's elasticity is the conflict channel whose interval lies highest
    (``elasticity_channel``). Returns the summary, the elasticity table (a row per router and channel) and the
    regret table.
    """
    params = params or ConflictParams()
    routers = sorted(orders["router"].unique())
    elasticity = payment_elasticity(context.incentive, ci_level=params.ci_level, rebates=params.rebates)
    elasticity["finding"] = [channel_finding(r, params.elasticity_threshold_pts) for _, r in elasticity.iterrows()]
    regret = regret_table(orders, params.reference_routers, ci_level=params.ci_level)
    share = paying_venue_share(children, fills, venue_pays(context, fills, rebates=params.rebates))
    net = broker_net_payment_cph(fills, rebates=params.rebates)
    pi = customer_net_pi_cph(orders)
    rg = regret.set_index("router")
    rows = []
    for router in routers:
        el = elasticity[elasticity["router"] == router]
        el_or_none = el if len(el) else None
        r: dict[str, object] = {
            "router": router, "paying_venue_share": float(share.get(router, np.nan)), **_lead_channel(el_or_none),
            "elasticity_note": NO_INCENTIVE_TEST if context.incentive is None else "router not in the incentive test",
            "broker_net_payment_cph": float(net.get(router, np.nan)),
            "customer_net_pi_cph": float(pi.get(router, np.nan)),
            **{k: rg[k].get(router) for k in ("reference_router", "regret_cph", "regret_ci_low", "regret_ci_high",
                                               "regret_orders", "regret_seeds")},
        }
        ref = str(r["reference_router"] or "")
        ref_net = float(net.get(ref, np.nan)) if ref else float("nan")
        r["flagged"], r["finding"], r["reason"] = _reason(r, el_or_none, ref_net, params)
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
