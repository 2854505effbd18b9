"""The default reference routers are conflict-free: the incentive test, on seeds no other test uses, finds each of
them not flagged, and clean (every interval at or below the threshold), on every payment channel.

Every router of the shipped review policy's reference list (``best-price``, ``sequential``, ``spray``,
``dark-first``, ``dark-allocator``, ``censored-dark``) runs in one run of the small default scenario (40 s, 20
parents per seed) with 2 payment twins per channel, which complete every channel's cyclic rotations there (PFOF
WHSA/WHSB and maker rebates NSDQ/EDGX: k - 1 = 1; take fees NSDQ/EDGX/DARK1: k - 1 = 2). Background participants
never read PFOF or maker rebates, so those twins leave the market as it was: a router whose choices are fee-blind
routes exactly as before and its elasticity there is exactly 0. Take-fee twins do move the market (the informed
trader takes where the take fee is lowest on ties), so there the elasticity is noise around what the market does,
and the check is the interval.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from harness.analytics.review_policy import ReviewPolicy
from harness.workflows.run import run_scenario
from tests.sim.helpers import small_scenario

pytestmark = pytest.mark.slow

SEEDS = [9151, 9152, 9153, 9154, 9155]
"""Seeds no other test uses (5: the minimum for a verdict)."""
CHANNELS = {"pfof", "maker_rebate", "take_fee"}


def test_every_default_reference_router_is_clean_on_every_payment_channel_on_unseen_seeds(tmp_path: Path) -> None:
    # Measured when written (elasticity, share points per $0.001 per share, 95% seed-level CI), seeds 9151-9155:
    #   every router, PFOF and maker rebates: +0.00 [+0.00, +0.00] (none routes to a wholesaler; each rests by
    #     queue ahead, then name)
    #   take fees: best-price -2.10 [-4.38, +0.17]; sequential -2.33 [-5.26, +0.60]; spray -2.17 [-4.96, +0.61];
    #     dark-first, dark-allocator and censored-dark -0.90 [-1.89, +0.10] each (one dark pool: all three send it
    #     the whole parent, so they route alike)
    # all "not flagged". A copy of best-price that rests by (queue, lowest maker fee), the tie-break the issue
    # found, gives +14.03 [-24.92, +52.97] on maker rebates on these seeds: "insufficient evidence", so the
    # assertion that each reference is *clean*, not merely unflagged, is what this test holds them to.
    policy = ReviewPolicy()
    routers = list(policy.reference_routers)
    assert routers == ["best-price", "sequential", "spray", "dark-first", "dark-allocator", "censored-dark"]
    out = tmp_path / "run"
    run_scenario(small_scenario(), scenario_path=None, routers=routers, seeds=SEEDS, out_dir=out,
                 results_root=tmp_path, incentive_twins=2, jobs=1, review_policy=policy)
    summary = pd.read_csv(out / "conflict" / "summary.csv").set_index("router")
    el = pd.read_csv(out / "conflict" / "elasticity.csv").set_index(["router", "channel"])
    threshold = policy.conflict.elasticity_threshold_pts
    assert set(summary.index) == set(routers)
    for router in routers:
        mine = el.loc[router]
        assert set(mine.index) == CHANNELS, router
        assert mine["verdict"].all() and (mine["seeds"] == len(SEEDS)).all() and mine["broker_channel"].all(), router
        for channel in ("pfof", "maker_rebate"):  # the market ignores these payments: a fee-blind router cannot move
            row = mine.loc[channel]
            assert (row["payment_elasticity"], row["elasticity_ci_low"], row["elasticity_ci_high"]) == (0, 0, 0), (
                router, channel)
        assert (mine["elasticity_ci_high"] <= threshold).all(), (router, mine["elasticity_ci_high"].to_dict())
        assert (mine["finding"] == "not flagged").all(), (router, mine["finding"].to_dict())
        assert not summary.loc[router, "flagged"], (router, summary.loc[router, "reason"])
        assert summary.loc[router, "finding"] == "not flagged", (router, summary.loc[router, "reason"])
        assert summary.loc[router, "reason"].startswith("not flagged: "), router
