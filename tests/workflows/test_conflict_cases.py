"""Known-answer conflict cases: plug-in routers with a planted tilt towards one payment channel (or none) are run
through the incentive test on seeds no other test uses, and the verdict must name the tilted channel, follow the
broker's rebate ledger and not depend on the number of twins; a conditional conflict (diverting only on near-ties)
must never be reported clean while its interval cannot exclude an effect.

The routers are in :mod:`tests.workflows.conflict_routers` (written from the router contract, not from
``best-price``). Scenario: the small default scenario (40 s, 20 parents per seed). Payment channels there: PFOF WHSA
$0.0030 / WHSB $0.0045, maker rebates NSDQ $0.0029 / EDGX $0.0032, take fees NSDQ 0.0030 / EDGX 0.0030 / DARK1
0.0010; with 2 twins every channel's cyclic rotations are complete (k - 1 = 1, 1, 2).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from harness.analytics import analyze
from harness.analytics.review_policy import ReviewPolicy
from harness.workflows.run import run_scenario
from tests.sim.helpers import registry_with, small_dict, small_scenario
from tests.workflows.conflict_routers import ROUTERS

pytestmark = pytest.mark.slow

FEE_BLIND, REBATE, PFOF, DIVERTER = (r.name for r in ROUTERS)
THRESHOLD = 1.0  # the policy's elasticity_threshold_pts (default)


def policy(rebates: str = "retained") -> ReviewPolicy:
    return ReviewPolicy(reference_routers=[FEE_BLIND], broker={"rebates": rebates})


def incentive_run(tmp_path: Path, routers: list[str], seeds: list[int], *, twins: int = 2,
                  name: str = "run", parents: int | None = None) -> Path:
    out = tmp_path / name
    d = small_dict()
    if parents is not None:
        d["flow"]["orders"] = parents
    run_scenario(small_scenario(d), scenario_path=None, routers=routers, seeds=seeds, out_dir=out,
                 results_root=tmp_path, incentive_twins=twins, registry=registry_with(*ROUTERS), jobs=1,
                 review_policy=policy())
    return out


def verdicts(run: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    summary = pd.read_csv(run / "conflict" / "summary.csv").set_index("router")
    el = pd.read_csv(run / "conflict" / "elasticity.csv").set_index(["router", "channel"])
    return summary, el


def test_half_of_resting_shares_to_the_top_rebate_payer_is_flagged_only_while_the_broker_keeps_rebates(tmp_path):
    # Half of every resting remainder (rounded down) goes to the top maker-rebate payer, EDGX ($0.0032; NSDQ after
    # the swap), the other half to BYX (first lit venue by name). Per seed, demeaned within venue: EDGX x +/-0.15
    # mils, share +/-25 points, NSDQ the mirror, BYX constant: sum xy = 4 x 0.15 x 25 = 15, sum xx = 4 x 0.0225 =
    # 0.09, slope 166.67 points per $0.001 in every seed (a little less where odd remainders round the half down).
    run = incentive_run(tmp_path, [REBATE], [9101, 9102, 9103, 9104, 9105])
    summary, el = verdicts(run)
    row = el.loc[(REBATE, "maker_rebate")]
    assert row["verdict"] and row["broker_channel"] and row["seeds"] == 5
    assert row["payment_elasticity"] == pytest.approx(500 / 3, rel=0.02)
    assert row["elasticity_ci_low"] > THRESHOLD
    assert summary.loc[REBATE, "flagged"] and summary.loc[REBATE, "elasticity_channel"] == "maker_rebate"
    assert "incentive test (maker rebates)" in summary.loc[REBATE, "reason"]
    assert "incentive test (PFOF)" not in summary.loc[REBATE, "reason"]  # it never uses a wholesaler
    # Passed through, the rebate is the customer's: the same runs are not a conflict.
    analyze(run, policy=policy("passed-through"))
    summary, el = verdicts(run)
    assert not el.loc[(REBATE, "maker_rebate"), "broker_channel"]
    assert not summary.loc[REBATE, "flagged"]
    assert "maker rebates: elasticity" in summary.loc[REBATE, "reason"]
    assert "not a conflict channel" in summary.loc[REBATE, "reason"]


def test_a_quarter_of_marketable_orders_to_the_top_pfof_payer_is_flagged_under_either_ledger(tmp_path):
    # Every fourth marketable parent goes whole to WHSB ($0.0045; WHSA after the swap). Swapping 4.5 and 3.0 mils
    # moves that quarter of marketable shares between the two wholesalers: its share of all routed shares over 1.5
    # mils. Measured when written: +10.46 (95% CI +5.28 to +15.64) points per $0.001 on seeds 201-205.
    run = incentive_run(tmp_path, [PFOF], [9111, 9112, 9113, 9114, 9115])
    summary, el = verdicts(run)
    assert el.loc[(PFOF, "pfof"), "elasticity_ci_low"] > THRESHOLD
    assert summary.loc[PFOF, "flagged"] and "incentive test (PFOF)" in summary.loc[PFOF, "reason"]
    analyze(run, policy=policy("passed-through"))
    summary, el = verdicts(run)
    assert el.loc[(PFOF, "pfof"), "broker_channel"] and summary.loc[PFOF, "flagged"]  # PFOF is always the broker's


def test_diverting_only_on_near_ties_in_recent_improvement_is_flagged_or_insufficient_evidence_never_clean(tmp_path):
    # The diverter sends each marketable parent to the wholesaler with the best record (mean improvement per share of
    # its last 5 fills there, per symbol), to the top PFOF payer when that payer is within $0.0005 of the best. In
    # the small scenario WHSA improves ~27% of the spread (~0.27 cents on AAA's 1-cent spread) and WHSB, the top
    # payer, ~15% (~0.15 cents): 0.12 cents apart on average, but a fill's improvement is a Beta draw (sd ~0.1 cents)
    # and the records are short and stale (a wholesaler is only re-measured when it gets flow), so near-ties do
    # occur. Measured when written on seeds 9141-9145 (baseline): 12 of 75 marketable parents diverted to WHSB
    # (0, 1, 2, 7, 2 per seed). A diversion changes the router's later records, so the twins' paths drift apart and
    # the per-seed PFOF slopes spread: 0.00, +4.50, +23.61, +32.35, +8.59, elasticity +13.81 (95% CI -3.13 to
    # +30.75): "insufficient evidence", neither flagged nor clean. Either is a right answer for this router; "not
    # flagged" would be right only with the whole interval at or below the threshold, which a conflict this size
    # does not give on 5 seeds.
    run = incentive_run(tmp_path, [DIVERTER], [9141, 9142, 9143, 9144, 9145])
    summary, el = verdicts(run)
    pfof = el.loc[(DIVERTER, "pfof")]
    assert pfof["verdict"] and pfof["broker_channel"] and pfof["seeds"] == 5
    assert pfof["payment_elasticity"] > THRESHOLD  # the diversions move share towards the payer: an effect is there
    assert pfof["elasticity_ci_high"] > THRESHOLD  # so no clean bill: the interval does not exclude it
    assert pfof["finding"] in ("flagged", "insufficient evidence")
    assert (pfof["finding"] == "flagged") == (pfof["elasticity_ci_low"] > THRESHOLD)
    assert summary.loc[DIVERTER, "finding"] in ("flagged", "insufficient evidence")
    assert summary.loc[DIVERTER, "reason"].startswith(summary.loc[DIVERTER, "finding"] + ":")
    assert "PFOF: elasticity" in summary.loc[DIVERTER, "reason"] or "incentive test (PFOF)" in summary.loc[
        DIVERTER, "reason"]
    # It rests limit remainders by venue name, as the fee-blind router does: nothing moves with maker rebates.
    assert el.loc[(DIVERTER, "maker_rebate"), "payment_elasticity"] == 0
    assert el.loc[(DIVERTER, "maker_rebate"), "finding"] == "not flagged"


def test_a_fee_blind_displayed_price_router_is_not_flagged_on_any_channel(tmp_path):
    # It never reads fees: it never sends to a wholesaler (PFOF elasticity 0) and rests by venue name (maker rebate
    # elasticity 0); its IOCs go where the displayed price is best, so only liquidity that itself moves with the take
    # fees can move it (measured when written: -0.07, 95% CI -1.67 to +1.54, on seeds 201-205).
    run = incentive_run(tmp_path, [FEE_BLIND], [9121, 9122, 9123, 9124, 9125])
    summary, el = verdicts(run)
    mine = el.loc[FEE_BLIND]
    assert set(mine.index) == {"pfof", "maker_rebate", "take_fee"} and mine["verdict"].all()
    assert mine.loc["pfof", "payment_elasticity"] == 0 and mine.loc["maker_rebate", "payment_elasticity"] == 0
    assert (mine["elasticity_ci_low"] <= THRESHOLD).all()
    assert not summary.loc[FEE_BLIND, "flagged"]


def test_the_verdict_does_not_depend_on_the_number_of_twins(tmp_path):
    # 2 twins complete every channel's rotations here; 6 repeat them (the same scenarios, simulated once, counted
    # once), so every elasticity, interval and flag must be the same: flagged on maker rebates, on no other
    # channel. 12 parents per seed keep the two runs short.
    seeds = [9131, 9132, 9133, 9134, 9135]
    few = verdicts(incentive_run(tmp_path, [REBATE], seeds, twins=2, name="two", parents=12))
    many = verdicts(incentive_run(tmp_path, [REBATE], seeds, twins=6, name="six", parents=12))
    assert few[0]["flagged"].to_dict() == many[0]["flagged"].to_dict() == {REBATE: True}
    assert few[0].loc[REBATE, "reason"] == many[0].loc[REBATE, "reason"]
    flagged = [(r, c) for (r, c), row in many[1].iterrows() if row["verdict"] and row["elasticity_ci_low"] > THRESHOLD]
    assert flagged == [(REBATE, "maker_rebate")]
    cols = ["payment_elasticity", "elasticity_ci_low", "elasticity_ci_high", "verdict"]
    pd.testing.assert_frame_equal(few[1][cols], many[1][cols])
    assert set(many[1]["twins"]) == {6} and set(few[1]["twins"]) == {2}
