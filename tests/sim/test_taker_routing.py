"""Background takers route like a simple Reg NMS router (harness.sim.background.routing.TakerRouter): orders that
fit the NBBO's displayed size go to the NBBO venues without ISO; larger ones sweep every better quote with ISOs;
weights follow displayed size, the venue's calibration weight and its take fee.

The market is built by hand: three protected lit venues A, B, C trading XYZ, one-cent tick (100 price units).
"""

from __future__ import annotations

import math

from harness.sim.background.routing import TakerRouter
from harness.sim.kernel import Kernel
from harness.sim.market import Market
from venues.fees import FeeSchedule
from venues.types import Side
from venues.venue import LitVenue, VenueInfo, VenueKind

SYM = "XYZ"
TICK = 100
A, B, C = 0, 1, 2
P = 500_000  # $50.00


def _router(*, weights=(1.0, 1.0, 1.0), fees_usd=(0.003, 0.003, -0.0002), sweep_ticks=2) -> TakerRouter:
    fees = FeeSchedule(take_fee_micros=3_000, make_fee_micros=-2_000)
    venues = [
        LitVenue(VenueInfo(name=n, kind=VenueKind.LIT, fees=fees, protected=True, symbols=(SYM,)), ticks={SYM: TICK})
        for n in "ABC"
    ]
    market = Market(Kernel(0), venues, [SYM])
    return TakerRouter(market=market, symbol=SYM, lit_venues=[A, B, C], taker_weights=list(weights),
                       take_fees_usd=list(fees_usd), fee_scale_usd=0.003, sweep_limit_ticks=sweep_ticks, tick=TICK)


def _asks(*quotes):
    """Views with only an ask side: ``(ask, size)`` per venue A, B, C (None: no quote)."""
    return [(None, 0, q[0], q[1]) if q else (None, 0, None, 0) for q in quotes]


def test_an_order_within_the_nbbo_size_goes_to_the_nbbo_venues_without_iso():
    """NBBO ask 50.01 on A (100) and B (200), C worse at 50.02. 250 shares: both NBBO venues at 50.01, no ISO."""
    r = _router()
    views = _asks((P + TICK, 100), (P + TICK, 200), (P + 2 * TICK, 500))
    kids = r.plan(Side.BUY, 250, 0.0, views=views)
    assert sorted(k[0] for k in kids) == [A, B]
    assert sum(k[1] for k in kids) == 250
    assert all(k[2] == P + TICK and not k[3] for k in kids)


def test_the_first_venue_is_drawn_by_weight_times_size_and_fee():
    """At the NBBO: A 100 shares (fee $0.003: weight 100 e^-1 = 36.8), C 100 shares (rebate $0.0002: 100 e^0.067 =
    106.9). The first venue is A for u < 36.8 / 143.7 = 0.256, else C; a 100-share order goes to that one alone."""
    r = _router()
    views = _asks((P + TICK, 100), None, (P + TICK, 100))
    cut = 100 * math.exp(-1) / (100 * math.exp(-1) + 100 * math.exp(0.0002 / 0.003))
    assert [k[0] for k in r.plan(Side.BUY, 100, cut - 0.01, views=views)] == [A]
    assert [k[0] for k in r.plan(Side.BUY, 100, cut + 0.01, views=views)] == [C]


def test_a_larger_order_sweeps_every_better_quote_with_isos():
    """Sell 500 into bids A 49.99x100, B 49.98x200, C 49.97x300: ISOs take A and B whole and 200 of C at 49.97.
    The first venue (A, the only one at the NBBO) is sent last, after the better-or-equal quotes elsewhere."""
    r = _router()
    views = [(P - TICK, 100, None, 0), (P - 2 * TICK, 200, None, 0), (P - 3 * TICK, 300, None, 0)]
    kids = r.plan(Side.SELL, 500, 0.5, views=views)
    assert all(k[3] for k in kids)
    assert {k[0]: (k[1], k[2]) for k in kids} == {A: (100, P - TICK), B: (200, P - 2 * TICK), C: (200, P - 3 * TICK)}
    assert kids[-1][0] == A


def test_a_sweep_beyond_the_displayed_quotes_walks_the_first_venue_to_the_sweep_limit():
    """Buy 1000 with asks A 50.01x100, B 50.02x100, C 50.04x100 and a 2-tick sweep limit (50.03): C is beyond it and
    not swept; B is taken whole; A's child takes the remaining 900 up to 50.03 on A's own book."""
    r = _router()
    views = _asks((P + TICK, 100), (P + 2 * TICK, 100), (P + 4 * TICK, 100))
    kids = {k[0]: k[1:] for k in r.plan(Side.BUY, 1000, 0.0, views=views)}
    assert kids == {B: (100, P + 2 * TICK, True), A: (900, P + 3 * TICK, True)}


def test_a_limit_at_the_nbbo_never_sweeps_and_no_quote_sends_nothing():
    """An informed trader's IOC at the NBBO price takes only the NBBO size, without ISO; an empty side: no orders."""
    r = _router()
    views = _asks((P + TICK, 100), (P + 2 * TICK, 100), None)
    assert r.plan(Side.BUY, 400, 0.3, views=views, limit=P + TICK) == [(A, 100, P + TICK, False)]
    assert r.plan(Side.BUY, 400, 0.3, views=_asks(None, None, None)) == []
