"""Compliance figures (harness.analytics.compliance): trade-throughs against the NBBO just before, ISO shares,
locked/crossed time and SIP staleness, each on a hand-built market with the working in comments."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from harness.analytics.compliance import compliance

TICK = 0.01


def _nbbo(rows):
    return pd.DataFrame(rows, columns=["symbol", "ts_ns", "bid", "ask"])


def _trades(rows):
    return pd.DataFrame(rows, columns=["symbol", "venue", "ts_ns", "price", "qty", "aggressor", "aggressor_order_id",
                                       "iso"])


def test_an_order_trades_through_when_its_best_print_is_outside_the_nbbo_just_before():
    """Four buys against an NBBO ask of 10.01 (set at t=0):

    order 1 on A: 100 at 10.01 (at the NBBO: not through);
    order 2 on A: 100 at 10.01 then 100 at 10.02 (walks A's own book: not through; 100 of 200 shares outside);
    order 3 on B: 100 at 10.02, non-ISO (through); order 4 on B: 100 at 10.03, ISO (through, the legal kind).
    Orders: 2 of 4 through, 1 of them ISO, 1 non-ISO: non_iso_through_share 1/4. Volume: 300 of 500 outside.
    """
    nbbo = _nbbo([("S", 0, 10.00, 10.01)])
    trades = _trades([
        ("S", "A", 10, 10.01, 100, "buy", 1, False),
        ("S", "A", 20, 10.01, 100, "buy", 2, False), ("S", "A", 20, 10.02, 100, "buy", 2, False),
        ("S", "B", 30, 10.02, 100, "buy", 3, False),
        ("S", "B", 40, 10.03, 100, "buy", 4, True),
    ])
    out = compliance(trades=trades, nbbo=nbbo, ticks={"S": TICK}, window=(0, 100)).set_index("venue")
    assert out.loc["ALL", "aggressive_orders"] == 4
    assert out.loc["ALL", "through_order_share"] == pytest.approx(0.5)
    assert out.loc["ALL", "through_iso_share"] == pytest.approx(0.5)
    assert out.loc["ALL", "non_iso_through_share"] == pytest.approx(0.25)
    assert out.loc["ALL", "through_volume_share"] == pytest.approx(300 / 500)
    assert out.loc["A", "through_order_share"] == 0 and math.isnan(out.loc["A", "through_iso_share"])
    assert out.loc["B", "non_iso_through_share"] == pytest.approx(0.5)


def test_the_reference_is_the_nbbo_of_the_instant_before_not_the_one_the_print_made():
    """A sell at 9.99 at t=50 when the NBBO bid moved from 10.00 to 9.99 at t=50 (the print's own update): the
    reference is the bid as of t=49, 10.00, so the sell is through; a sell at 9.99 at t=60 is not."""
    nbbo = _nbbo([("S", 0, 10.00, 10.01), ("S", 50, 9.99, 10.01)])
    trades = _trades([("S", "A", 50, 9.99, 100, "sell", 1, False), ("S", "A", 60, 9.99, 100, "sell", 2, False)])
    out = compliance(trades=trades, nbbo=nbbo, ticks={"S": TICK}, window=(0, 100)).set_index("venue")
    assert out.loc["ALL", "non_iso_through_share"] == pytest.approx(0.5)


def test_locked_crossed_and_sip_stale_time_shares():
    """Window [0, 100): two-sided 0-40 (spread 1 tick), locked 40-50, crossed 50-60, normal 60-100.

    Locked 10/100, crossed 10/100. NBBO changes at 0, 40, 50, 60; with a SIP lag of 15 ns the SIP view differs
    from the direct one in [0,15), [40,50), [50,60), [60,75): 15 + 10 + 10 + 15 = 50 ns of 100.
    """
    nbbo = _nbbo([("S", 0, 10.00, 10.01), ("S", 40, 10.01, 10.01), ("S", 50, 10.02, 10.01),
                  ("S", 60, 10.00, 10.01)])
    out = compliance(trades=_trades([]), nbbo=nbbo, ticks={"S": TICK}, window=(0, 100), sip_lag_ns=15)
    row = out.set_index("venue").loc["ALL"]
    assert row["locked_time_share"] == pytest.approx(0.1)
    assert row["crossed_time_share"] == pytest.approx(0.1)
    assert row["sip_stale_time_share"] == pytest.approx(0.5)
    assert row["aggressive_orders"] == 0 and np.isnan(row["through_order_share"])
    assert np.isnan(row["sip_stale_send_share"])  # no child orders given


def test_sip_staleness_at_the_router_s_sends():
    """NBBO changes at 0, 40 and 60, lag 15: sends at 10 and 45 follow a change by less than 15 ns (stale); sends at
    30, 55 (exactly 15 after the change at 40) and 80 do not. Stale: 2 of 5."""
    nbbo = _nbbo([("S", 0, 10.00, 10.01), ("S", 40, 10.00, 10.02), ("S", 60, 10.00, 10.01)])
    sends = pd.DataFrame({"symbol": ["S"] * 5, "sent_ts_ns": [10, 30, 45, 55, 80]})
    out = compliance(trades=_trades([]), nbbo=nbbo, ticks={"S": TICK}, window=(0, 100), sip_lag_ns=15,
                     child_orders=sends)
    assert out.set_index("venue").loc["ALL", "sip_stale_send_share"] == pytest.approx(2 / 5)


def test_the_sip_lag_is_the_median_extra_age_of_the_sip_path():
    """Defaults: every market-data link 150 us constant, SIP processing 20 us. Per venue the SIP path is 150 (venue to
    SIP) + 20 + 150 (SIP to router) = 320 us against the router's direct 150 us: 170 us. With the router 40 us from
    venue A the lags are A 280, B 170, C 170: median 170 us."""
    from harness.scenario.latency import LatencySection, sip_extra_lag_ns

    assert sip_extra_lag_ns(LatencySection(), ["A", "B", "C"]) == 170_000
    link = {"participant": "router", "venue": "A", "direction": "market_data",
            "model": {"model": "constant", "ns": 40_000}}
    near = LatencySection.model_validate({"links": [link]})
    assert sip_extra_lag_ns(near, ["A", "B", "C"]) == 170_000
    assert sip_extra_lag_ns(near, ["A"]) == 280_000
    assert sip_extra_lag_ns(near, []) == 0
