"""Which venues pay the broker, and how much of a router's routed flow goes to them (concentration evidence).

A venue pays the broker for a liquidity role (``added`` or ``removed``) through PFOF or, when the broker retains
exchange rebates, a maker rebate or a taker rebate (``venue_pays``); ``paid_routed_shares`` counts each child
order's shares sent to a venue that pays for the liquidity they used, and ``paying_venue_share`` sums that per
router. The conflict summary and the review's paying-venue rules
use them. Definitions: docs/analytics.md, *Conflict-of-interest evidence*.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from harness.analytics.classify import Liquidity, Tif
from harness.analytics.context import RunContext

FloatArray = npt.NDArray[np.float64]


def venue_pays(context: RunContext, fills: pd.DataFrame, *, rebates: str = "retained") -> dict[tuple[str, str], bool]:
    """Whether each venue pays the broker for liquidity taken (``removed``) and for liquidity posted (``added``).

    From the manifest's schedules: PFOF > 0 pays for both; with rebates retained by the broker (the broker policy's
    ``rebates``), a maker rebate pays for added, a taker rebate (inverted venue) for removed liquidity; passed
    through to the customer, rebates are not payments to the broker. Without schedules, read from the fills of
    every router: a venue pays for a role when any fill of that role there carried PFOF (or a retained rebate).
    """
    keep = rebates == "retained"
    pays: dict[tuple[str, str], bool] = {}
    if context.terms_known:
        for name, t in context.venues.items():
            pays[(name, Liquidity.ADDED.value)] = t.pfof_usd > 0 or (keep and t.maker_rebate_usd > 0)
            pays[(name, Liquidity.REMOVED.value)] = t.pfof_usd > 0 or (keep and t.taker_rebate_usd > 0)
        return pays
    if fills.empty:
        return pays
    paid = (fills["pfof_usd"] + (fills["rebate_usd"] if keep else 0.0)) > 0
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

