"""A fee-blind displayed-price reference router's choices do not move when two venues' maker rebates swap.

Issue 14 measured best-price's resting share at a venue moving 46.5% -> 21.2% when NSDQ's and EDGX's maker rebates
($0.0029 and $0.0032 per share, $0.0003 apart) were swapped: it rested by (visible queue, lowest maker fee) and every
limit behind the touch tied on queue. Maker fees change nothing else in the simulated market (no background
participant reads them), so a router that never reads a fee must send exactly the same child orders in both worlds.
The old rule, kept here as a subclass, shows that the test can fail.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from adapters.reference import BestPriceRouter
from adapters.reference.best_price import QueueAhead
from harness.sim.engine import simulate
from tests.sim.helpers import registry_with, small_dict, small_scenario
from venues.venue import VenueInfo


class _RebateTieBreak(BestPriceRouter):
    """best-price before issue 14: behind the touch every queue tied, and the lowest maker fee won."""

    name = "best-price-rebate-tie"
    tie_break = None

    def _post_key(self, state: Any, venue: VenueInfo, *, ahead: QueueAhead) -> tuple[Any, ...]:
        queue = 1 << 62 if ahead.levels_ticks > 0 else ahead.visible_shares
        return (queue, venue.fees.make_fee_micros, venue.name)


def _children(router: str, *, swap: bool) -> pd.DataFrame:
    d = small_dict()
    d["flow"]["orders"] = 60
    d["flow"]["mix"] = {"market": 0.2, "marketable_limit": 0.2, "nonmarketable_limit": 0.6}
    if swap:
        fees = {v["name"]: v["fees"] for v in d["venues"]}
        fees["NSDQ"]["make_usd"], fees["EDGX"]["make_usd"] = fees["EDGX"]["make_usd"], fees["NSDQ"]["make_usd"]
    reg = registry_with(_RebateTieBreak)
    res = simulate(small_scenario(d), router, reg.get(router).Params(), 1, registry=reg)
    assert res.status == "ok", res.error
    columns = ["parent_id", "venue", "qty", "limit_price", "tif", "sent_ts_ns", "filled_qty"]
    return pd.DataFrame(res.child_orders)[columns]


def test_best_price_sends_the_same_children_when_two_venues_maker_rebates_swap():
    base, swapped = _children("best-price", swap=False), _children("best-price", swap=True)
    resting = base[base["tif"].astype(str).str.lower() == "day"]
    assert len(resting) >= 5  # the scenario does make it rest orders
    pd.testing.assert_frame_equal(base, swapped)


def test_the_old_rebate_tie_break_moves_its_resting_orders_when_the_rebates_swap():
    base, swapped = _children("best-price-rebate-tie", swap=False), _children("best-price-rebate-tie", swap=True)

    def resting_at(frame: pd.DataFrame, venue: str) -> int:
        day = frame[frame["tif"].astype(str).str.lower() == "day"]
        return int(day.loc[day["venue"] == venue, "qty"].sum())

    # EDGX pays the larger rebate in the base world and NSDQ in the swapped one: the resting shares follow it.
    assert resting_at(base, "EDGX") > resting_at(swapped, "EDGX")
    assert resting_at(swapped, "NSDQ") > resting_at(base, "NSDQ")
