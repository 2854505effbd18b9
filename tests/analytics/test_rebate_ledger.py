"""One rebate ledger: the broker policy's ``[broker] rebates`` decides who gets exchange rebates and pays access fees,
and the broker's figures count them exactly when the customer's do not."""

from __future__ import annotations

import pandas as pd
import pytest

from harness.analytics.conflict import ConflictParams
from harness.analytics.context import RunContext, VenueTerms
from harness.analytics.incentive import broker_channels, broker_net_payment_cph
from harness.analytics.paying_venues import venue_pays
from harness.analytics.review_policy import ReviewPolicy, default_policy_path, load_policy
from harness.errors import UserError


def test_the_policy_file_ships_rebates_retained_and_rejects_anything_else(tmp_path):
    assert load_policy(default_policy_path()).broker.rebates == "retained" == ReviewPolicy().broker.rebates
    assert ReviewPolicy().conflict_params().rebates == "retained"
    passed = tmp_path / "passed.toml"
    passed.write_text('version = 1\n[broker]\nrebates = "passed-through"\n', encoding="utf-8")
    pol = load_policy(passed)
    assert pol.broker.rebates == "passed-through"
    assert pol.conflict_params().rebates == "passed-through"
    assert pol.model_dump(mode="json")["broker"] == {"rebates": "passed-through"}  # what the manifest records
    bad = tmp_path / "bad.toml"
    bad.write_text('version = 1\n[broker]\nrebates = "both"\n', encoding="utf-8")
    with pytest.raises(UserError, match=r"broker\.rebates"):
        load_policy(bad)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('version = 1\n[broker]\nrebate = "retained"\n', encoding="utf-8")
    with pytest.raises(UserError, match=r"broker\.rebate"):
        load_policy(unknown)
    with pytest.raises(ValueError, match="rebates must be"):
        ConflictParams(rebates="both")


def test_broker_figures_count_rebates_and_fees_only_when_the_broker_keeps_them():
    # Router r: 100 shares at a maker-taker venue adding liquidity (rebate $0.20), 100 taking (fee $0.30) and 100 at
    # a wholesaler (PFOF $0.30). Retained: (0.30 + 0.20 - 0.30) / 300 x 10,000 = 6.67 cph; passed through: PFOF only,
    # 0.30 / 300 x 10,000 = 10 cph.
    fills = pd.DataFrame({"router": "r", "venue": ["LIT", "LIT", "WH"], "qty": 100, "liquidity": ["added", "removed",
                                                                                                 "removed"],
                          "pfof_usd": [0.0, 0.0, 0.30], "rebate_usd": [0.20, 0.0, 0.0], "fee_usd": [0.0, 0.30, 0.0]})
    assert broker_net_payment_cph(fills)["r"] == pytest.approx(20 / 3)
    assert broker_net_payment_cph(fills, rebates="passed-through")["r"] == pytest.approx(10.0)
    context = RunContext(venues={"LIT": VenueTerms("LIT", take_usd=0.003, make_usd=-0.002),
                                 "INV": VenueTerms("INV", take_usd=-0.0002, make_usd=0.0003),
                                 "WH": VenueTerms("WH", kind="wholesaler", pfof_usd=0.003)})
    kept, passed = venue_pays(context, fills), venue_pays(context, fills, rebates="passed-through")
    assert kept[("LIT", "added")] and kept[("INV", "removed")] and not kept[("LIT", "removed")]
    assert not passed[("LIT", "added")] and not passed[("INV", "removed")]
    assert passed[("WH", "added")] and passed[("WH", "removed")]  # PFOF is always the broker's
    # without schedules, read from the fills: a rebate counts only while retained
    assert venue_pays(RunContext(), fills)[("LIT", "added")]
    assert not venue_pays(RunContext(), fills, rebates="passed-through")[("LIT", "added")]
    assert broker_channels("retained") == ("pfof", "maker_rebate", "take_fee", "payment")
    assert broker_channels("passed-through") == ("pfof",)
