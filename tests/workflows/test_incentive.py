"""The incentive test: payment twins of a scenario, and the venue-share table the conflict analytics read."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from harness.workflows.incentive import payment_twins, venue_payment_usd
from harness.workflows.run import run_scenario
from tests.sim.helpers import small_scenario


def test_twins_change_only_payments_rotated_then_scaled():
    """Default venues: PFOF WHSA $0.0030, WHSB $0.0045; maker rebates NSDQ $0.0029, EDGX $0.0032 (BYX charges makers).

    Twin 1 rotates each kind by one venue: WHSA 0.0045, WHSB 0.0030, NSDQ rebate 0.0032, EDGX 0.0029. Twin 2 halves
    them all (WHSA 0.0015, NSDQ rebate 0.00145 -> make_usd -0.00145), twin 3 multiplies by 1.5 (WHSB 0.00675).
    Everything else in each twin is the scenario itself.
    """
    sc = small_scenario()
    twins = payment_twins(sc, 3)
    assert [label for label, _ in twins] == ["payments rotated by 1", "payments x 0.5", "payments x 1.5"]
    fees = {label: {v.name: (v.fees.pfof_usd, v.fees.make_usd) for v in t.venues} for label, t in twins}
    assert fees["payments rotated by 1"]["WHSA"] == (0.0045, 0.0) and fees["payments rotated by 1"]["WHSB"][0] == 0.003
    assert fees["payments rotated by 1"]["NSDQ"][1] == -0.0032 and fees["payments rotated by 1"]["EDGX"][1] == -0.0029
    assert fees["payments x 0.5"]["WHSA"][0] == 0.0015 and fees["payments x 0.5"]["NSDQ"][1] == -0.00145
    assert fees["payments x 1.5"]["WHSB"][0] == 0.00675
    assert fees["payments x 1.5"]["BYX"] == (0.0, 0.0003)  # a maker fee is not a payment: unchanged
    for _, twin in twins:
        base = sc.model_dump(mode="json")
        other = twin.model_dump(mode="json")
        for v_base, v_twin in zip(base["venues"], other["venues"], strict=True):
            v_base["fees"].pop("pfof_usd"), v_twin["fees"].pop("pfof_usd")
            v_base["fees"].pop("make_usd"), v_twin["fees"].pop("make_usd")
        assert other == base
    assert venue_payment_usd(twins[0][1].venues[0]) == 0.0032  # NSDQ after rotation: its maker rebate


def test_run_with_incentive_twins_writes_venue_shares_per_router_twin_seed_and_venue(tmp_path):
    """2 routers x 2 seeds x (baseline + 2 twins) x 6 venues = 48 rows; payments are the twin's. single-venue
    ignores payments, so its routed shares per venue are identical in every twin."""
    sc = small_scenario()
    out = tmp_path / "run"
    run_scenario(sc, scenario_path=None, routers=["best-price", "single-venue"], seeds=[1, 2], out_dir=out,
                 results_root=tmp_path, incentive_twins=2)
    t = pq.read_table(out / "incentive" / "venue_shares.parquet").to_pandas()
    assert len(t) == 2 * 2 * 3 * 6
    sv = t[t.router == "single-venue"].pivot_table(index=["seed", "venue"], columns="twin", values="routed_shares")
    assert (sv.nunique(axis=1) == 1).all() and sv[0].sum() > 0
    twins = json.loads((out / "incentive" / "twins.json").read_text(encoding="utf-8"))
    assert [d["label"] for d in twins] == ["baseline", "payments rotated by 1", "payments x 0.5"]
    pay = t[(t.twin == 1) & (t.venue == "WHSA")].payment_usd.unique().tolist()
    assert pay == [0.0045]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["incentive_twins"] == 2 and "incentive/venue_shares.parquet" in manifest["files"]
    assert manifest["analysis"] == "ok" and "tca/orders.parquet" in manifest["files"]
