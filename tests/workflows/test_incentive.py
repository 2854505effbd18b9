"""The incentive test: payment twins of a scenario, and the venue-share table the conflict analytics read."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq

from harness.workflows.incentive import CHANNELS, channel_payment_usd, payment_twins, venue_payment_usd
from harness.workflows.run import run_scenario
from tests.sim.helpers import small_scenario


def fees_of(twin) -> dict[str, tuple[float, float, float]]:
    return {v.name: (v.fees.take_usd, v.fees.make_usd, v.fees.pfof_usd) for v in twin.venues}


def test_twins_permute_one_channel_each_so_that_every_venue_holds_every_payment():
    """Default venues: PFOF WHSA $0.0030, WHSB $0.0045; maker rebates NSDQ $0.0029, EDGX $0.0032 (BYX charges
    makers: not permuted); take fees NSDQ 0.0030, EDGX 0.0030, DARK1 0.0010 (BYX's taker rebate: not permuted).

    Two venues (PFOF, maker rebates) have one non-trivial rotation: both twins swap them. Three (take fees) have two:
    rotation 1 gives NSDQ EDGX's 0.0030, EDGX DARK1's 0.0010, DARK1 NSDQ's 0.0030; rotation 2 NSDQ 0.0010, EDGX
    0.0030, DARK1 0.0030. With the baseline, each take-fee payer holds each payment (the multiset 3, 3, 1) once.
    Everything but the channel's own field is the scenario itself, except that the background keeps routing by the
    baseline's take fees (``background.routing.fee_view_usd``, the next test).
    """
    sc = small_scenario()
    twins = payment_twins(sc, 2)
    assert [(c, r) for c, _, r, _ in twins] == [("pfof", 1), ("pfof", 1), ("maker_rebate", 1), ("maker_rebate", 1),
                                                ("take_fee", 1), ("take_fee", 2)]
    base = fees_of(sc)
    pf, mk, tk1, tk2 = fees_of(twins[0][3]), fees_of(twins[2][3]), fees_of(twins[4][3]), fees_of(twins[5][3])
    assert (pf["WHSA"][2], pf["WHSB"][2]) == (0.0045, 0.003)
    assert (mk["NSDQ"][1], mk["EDGX"][1], mk["BYX"][1]) == (-0.0032, -0.0029, 0.0003)
    assert [tk1[v][0] for v in ("NSDQ", "EDGX", "DARK1", "BYX")] == [0.003, 0.001, 0.003, -0.0002]
    assert [tk2[v][0] for v in ("NSDQ", "EDGX", "DARK1")] == [0.001, 0.003, 0.003]
    for v in ("NSDQ", "EDGX", "DARK1"):
        assert sorted([base[v][0], tk1[v][0], tk2[v][0]]) == [0.001, 0.003, 0.003]
    field = {"pfof": "pfof_usd", "maker_rebate": "make_usd", "take_fee": "take_usd"}
    for channel, _, _, twin in twins:
        a, b = sc.model_dump(mode="json"), twin.model_dump(mode="json")
        for va, vb in zip(a["venues"], b["venues"], strict=True):
            va["fees"].pop(field[channel]), vb["fees"].pop(field[channel])
        assert b["background"]["routing"].pop("fee_view_usd") == [v.fees.take_usd for v in sc.venues]
        a["background"]["routing"].pop("fee_view_usd")
        assert a == b
    # Each channel's payment to the broker: PFOF, the maker rebate, minus the take fee (a taker rebate is positive)
    byx = next(v for v in sc.venues if v.name == "BYX")
    assert [channel_payment_usd(byx, c) for c in CHANNELS] == [0.0, 0.0, 0.0002]
    assert venue_payment_usd(twins[2][3].venues[0]) == 0.0032  # NSDQ after the rebate swap: its maker rebate


def test_run_with_incentive_twins_writes_venue_shares_per_router_channel_twin_seed_and_venue(tmp_path):
    """2 routers x 2 seeds x 6 venues x (3 channels' baselines + 2 twins per channel) = 24 x 9 = 216 rows; payments
    are the twin's on its channel. single-venue ignores payments, so its routed shares per venue are identical in
    every twin of a channel."""
    sc = small_scenario()
    out = tmp_path / "run"
    run_scenario(sc, scenario_path=None, routers=["best-price", "single-venue"], seeds=[1, 2], out_dir=out,
                 results_root=tmp_path, incentive_twins=2)
    t = pq.read_table(out / "incentive" / "venue_shares.parquet").to_pandas()
    assert len(t) == 2 * 2 * 6 * 9 and set(t.channel) == set(CHANNELS)
    for channel, d in t[t.router == "single-venue"].groupby("channel"):
        sv = d.pivot_table(index=["seed", "venue"], columns="twin", values="routed_shares")
        assert (sv.nunique(axis=1) == 1).all(), channel
    assert t[(t.router == "single-venue") & (t.channel == "pfof") & (t.twin == 0)].routed_shares.sum() > 0
    twins = json.loads((out / "incentive" / "twins.json").read_text(encoding="utf-8"))
    assert [d["label"] for d in twins] == ["baseline", "pfof rotated by 1", "pfof rotated by 1",
                                           "maker_rebate rotated by 1", "maker_rebate rotated by 1",
                                           "take_fee rotated by 1", "take_fee rotated by 2"]
    pay = t[(t.channel == "pfof") & (t.twin == 1) & (t.venue == "WHSA")].payment_usd.unique().tolist()
    assert pay == [0.0045]
    take = t[(t.channel == "take_fee") & (t.twin == 0) & (t.venue == "BYX")].payment_usd.unique().tolist()
    assert take == [0.0002]  # minus BYX's take fee of -$0.0002: a taker rebate
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["incentive_twins"] == 2 and "incentive/venue_shares.parquet" in manifest["files"]
    assert manifest["analysis"] == "ok" and "tca/orders.parquet" in manifest["files"]
    assert manifest["review_policy"]["broker"] == {"rebates": "retained"}
    el = pd.read_csv(out / "conflict" / "elasticity.csv")
    assert set(el.channel) == set(CHANNELS) and (el.note.str.contains("too few seeds for a verdict")).any()


def test_twins_leave_the_background_routing_by_the_unchanged_scenarios_take_fees():
    # The routed background prefers cheap venues (weight exp(-take / fee_scale)); if a take-fee twin moved it, a
    # fee-blind router that follows displayed liquidity would move with the fees too. Every twin therefore pins
    # background.routing.fee_view_usd to the baseline's take fees, and the engine routes the background by them.
    from harness.sim.engine_setup import background_take_fees

    sc = small_scenario()
    base = [v.fees.take_usd for v in sc.venues]
    assert sc.background.routing.fee_view_usd is None and background_take_fees(sc) == base
    twins = payment_twins(sc, 2)
    take = [t for t in twins if t[0] == "take_fee"]
    assert take and any([v.fees.take_usd for v in t[3].venues] != base for t in take)  # the router's fees move
    for _channel, _label, _rotation, twin in twins:
        assert twin.background.routing.fee_view_usd == base
        assert background_take_fees(twin) == base  # the background's do not
