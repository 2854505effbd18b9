"""cont-kukanov: the cost, the single-venue closed form, brute force on small cases, and the router's placement.

The single-venue closed form (our derivation; it has the form of the paper's single-exchange proposition).
With one venue, write Y = (xi - Q)+ for the shares that can fill our limit order, G for its distribution function
(G(u) = P(Y <= u) = F(Q + u) for u >= 0, F that of the outflow xi). When lambda_u > h + f, placing fewer than S
shares in all never pays, and when lambda_o > h + r (plus theta >= 0), placing more than S never pays, so the optimum
has M = S - L. Along that line, with u = L:

    E v = (h + f)(S - u) - (h + r) E[min(u, Y)] + theta (S + E[(u - Y)+]) + lambda_u E[(u - Y)+],

whose right derivative in u is

    -(h + f) - (h + r) P(Y > u) + (lambda_u + theta) P(Y <= u) = -(2h + f + r) + (h + r + lambda_u + theta) G(u).

It is increasing in u (convexity), so the optimum is the smallest u where it turns non-negative:

    L* = F^{-1}( (2h + f + r) / (h + r + lambda_u + theta) ) - Q,   clipped to [0, S];   M* = S - L*,

with F^{-1}(p) = min{x : F(x) >= p}. All market (L* = 0) when F(Q) already reaches the ratio (the queue is too long
to get through); all limit (L* = S) when F(Q + S) is still below it (waiting is cheap).
"""

from __future__ import annotations

import itertools
from collections import deque

import numpy as np
import pytest

from adapters.reference import ContKukanovRouter
from adapters.reference.cont_kukanov import expected_cost, optimal_allocation
from adapters.testing import FakeContext, cancelled, fill, lit, parent, px
from venues.types import Liquidity, Side, TimeInForce

IOC, DAY = TimeInForce.IOC, TimeInForce.DAY

# Outflows 100, 110, ..., 290 shares, equally likely; one venue with Q = 100 ahead of us.
OUTFLOWS = [[100 + 10 * j] for j in range(20)]
ONE_VENUE = dict(outflow_samples=OUTFLOWS, half_spread=0.005, take_fee=0.003, rebates=[0.002], over_penalty=0.02)


def test_expected_cost_by_hand():
    """S = 10, M = 4, L = 6, Q = 5, outflows 5, 8, 20 (so Y = 0, 3, 15); h 0.01, f 0.003, r 0.002,
    lambda_u 0.05, lambda_o 0.04, theta 0.001.

    xi = 5:  filled 0, A = 4, short 6: 0.013 x 4 - 0 + 0.001 x (4 + 6 + 6) + 0.05 x 6 = 0.052 + 0.016 + 0.3 = 0.368
    xi = 8:  filled 3, A = 7, short 3: 0.052 - 0.012 x 3 + 0.001 x (10 + 3) + 0.05 x 3 = 0.179
    xi = 20: filled 6, A = 10:          0.052 - 0.012 x 6 + 0.001 x 10 = -0.010
    mean (0.368 + 0.179 - 0.010) / 3 = 0.179
    """
    got = expected_cost(10, 4, limit_qtys=[6], queues=[5], outflow_samples=[[5], [8], [20]], half_spread=0.01,
                        take_fee=0.003, rebates=[0.002], under_penalty=0.05, over_penalty=0.04, impact=0.001)
    assert got == pytest.approx(0.179)


def test_single_venue_matches_the_closed_form_split():
    """S = 200, Q = 100, h = 0.005, f = 0.003, r = 0.002, lambda_u = 0.019, theta = 0.

    Ratio (2h + f + r) / (h + r + lambda_u) = 0.015 / 0.026 = 0.5769. F(200) = 11/20 = 0.55 < 0.5769 <= F(210) =
    12/20 = 0.60, so F^{-1}(0.5769) = 210 and L* = 210 - 100 = 110, M* = 200 - 110 = 90. (The derivative changes
    sign there: -0.015 + 0.026 x 0.55 = -0.0007 below 110, -0.015 + 0.026 x 0.60 = +0.0006 above.)
    """
    assert optimal_allocation(200, [100], under_penalty=0.019, **ONE_VENUE) == (90, [110])


def test_impact_enters_the_closed_form_like_the_under_penalty():
    """theta adds to lambda_u in the ratio's denominator: lambda_u 0.016 with theta 0.003 gives 0.015 / 0.026 again,
    hence the same (90, [110]); with theta 0.003 on top of lambda_u 0.019 the ratio is 0.015 / 0.029 = 0.517, so
    F(200) = 0.55 >= 0.517 already: L* = 200 - 100 = 100, M* = 100."""
    assert optimal_allocation(200, [100], under_penalty=0.016, impact=0.003, **ONE_VENUE) == (90, [110])
    assert optimal_allocation(200, [100], under_penalty=0.019, impact=0.003, **ONE_VENUE) == (100, [100])


def test_closed_form_corners_all_market_and_all_limit():
    """Q = 1000 is never reached (outflows <= 290, F(Q) = 1 >= any ratio): all market, (200, [0]).
    lambda_u = 0.009 (just above h + f = 0.008): ratio 0.015 / 0.016 = 0.9375 > F(Q + S) = F(200) = 0.55 with
    S = 100: all limit, (0, [100])."""
    assert optimal_allocation(200, [1000], under_penalty=0.019, **ONE_VENUE) == (200, [0])
    assert optimal_allocation(100, [100], under_penalty=0.009, **ONE_VENUE) == (0, [100])


def test_two_venues_with_known_outflows_fill_the_better_rebate_first():
    """One outflow scenario, Q = 0 at both: venue 1 can fill 4 shares, venue 2 ten. S = 10, h = 0.005, f = 0.003,
    rebates 0.003 and 0.001: a limit share earns 0.008 at venue 1, 0.006 at venue 2; a market share costs 0.008.
    Best: L1 = 4 (all it can fill; more would never fill and is not shown), L2 = 6, M = 0, cost
    -(0.008 x 4 + 0.006 x 6) = -0.068."""
    kw = dict(outflow_samples=[[4, 10]], half_spread=0.005, take_fee=0.003, rebates=[0.003, 0.001],
              under_penalty=0.05, over_penalty=0.05)
    assert optimal_allocation(10, [0, 0], **kw) == (0, [4, 6])
    assert expected_cost(10, 0, limit_qtys=[4, 6], queues=[0, 0], **kw) == pytest.approx(-0.068)


def small_cases(n: int):
    rng = np.random.default_rng(2024)
    for _ in range(n):
        k = int(rng.integers(1, 4))
        yield dict(
            order_size=int(rng.integers(3, 10)),
            queues=rng.integers(0, 6, size=k).tolist(),
            outflow_samples=rng.integers(0, 20, size=(int(rng.integers(2, 7)), k)).tolist(),
            half_spread=0.005, take_fee=0.003, rebates=rng.uniform(-0.003, 0.003, k).tolist(),
            under_penalty=float(rng.uniform(0.009, 0.05)), over_penalty=float(rng.uniform(0.0, 0.05)),
            impact=float(rng.uniform(0.0, 0.003)),
        )


@pytest.mark.parametrize("case", list(small_cases(12)), ids=lambda c: f"S{c['order_size']}K{len(c['queues'])}")
def test_small_discrete_cases_against_a_brute_force_grid(case):
    """Every integer placement 0..S per coordinate is costed; the solver's is within 1% of the range between the
    best and the worst placement of the grid's best (the solver is a stochastic approximation with an integer
    finishing step, not an exact method)."""
    s = case.pop("order_size")
    q = case.pop("queues")
    k = len(q)
    grid = itertools.product(range(s + 1), repeat=k + 1)
    costs = [expected_cost(s, x[0], limit_qtys=list(x[1:]), queues=q, **case) for x in grid]
    m, limits = optimal_allocation(s, q, **case)
    got = expected_cost(s, m, limit_qtys=limits, queues=q, **case)
    assert 0 <= m <= s and all(0 <= v <= s for v in limits)
    assert got <= min(costs) + 0.01 * (max(costs) - min(costs))


def test_same_seed_same_answer():
    """Deterministic given the seed; the inputs are not modified."""
    samples = np.random.default_rng(0).exponential(300, size=(100, 3))
    kw = dict(outflow_samples=samples, half_spread=0.005, take_fee=0.003, rebates=[0.002, -0.001, 0.003],
              under_penalty=0.02, over_penalty=0.02)
    before = samples.copy()
    first = optimal_allocation(900, [200, 50, 400], seed=3, **kw)
    assert first == optimal_allocation(900, [200, 50, 400], seed=3, **kw)
    assert (samples == before).all()


def test_bad_shapes_are_refused_with_a_message():
    """Outflow columns must match the queues."""
    with pytest.raises(ValueError, match="outflow_samples must be"):
        optimal_allocation(10, [1, 2], outflow_samples=[[1, 2, 3]], half_spread=0.005, take_fee=0.003,
                           rebates=[0, 0], under_penalty=0.02, over_penalty=0.02)


# ------------------------------------------------------------------------------------------------------- router
def started(**params):
    ctx = FakeContext([
        lit("A", take_usd=0.0030, make_usd=-0.0029),
        lit("B", take_usd=-0.0002, make_usd=0.0003),
        lit("C", take_usd=0.0030, make_usd=-0.0032),
    ])
    ctx.set_book("A", bid=(10.00, 200), ask=(10.01, 300))
    ctx.set_book("B", bid=(10.00, 100), ask=(10.01, 100))
    ctx.set_book("C", bid=(9.99, 500), ask=(10.02, 100))
    router = ContKukanovRouter(ContKukanovRouter.Params(**params))
    router.on_start(ctx)
    return router, ctx


def test_router_when_limit_orders_surely_fill_rests_everything_at_the_best_rebate():
    """Prior outflow mean 1e9 shares: every limit order fills, so no market order and the whole 500 rest at the
    best bid 10.00 where a filled share earns most: C (rebate 0.0032; its own bid is 9.99, so we would be first).
    Post-only DAY, and a timer of horizon_ns."""
    router, ctx = started(prior_outflow_shares=1e9, horizon_ns=5_000)
    router.on_parent(parent(1, Side.BUY, 500))
    assert [(s.venue, s.qty, s.price, s.tif, s.post_only) for s in ctx.sent] == [("C", 500, px(10.00), DAY, True)]
    assert ctx.timers == [(5_000, ("ck-horizon", 1))]


def test_router_when_limit_orders_never_fill_takes_everything_at_the_best_offer():
    """Prior outflow mean 1e-6 shares: nothing would fill passively, and lambda_u 0.02 > h + f, so all 500 go as one
    IOC to the best offer by best-price's fee-blind ranking: A and B both offer 10.01 and A shows more (300 against
    100), so A (before issue 14, B's taker rebate made it the "best net" offer). No limit part, no timer."""
    router, ctx = started(prior_outflow_shares=1e-6)
    router.on_parent(parent(1, Side.BUY, 500))
    assert [(s.venue, s.qty, s.price, s.tif) for s in ctx.sent] == [("A", 500, px(10.01), IOC)]
    assert ctx.timers == []


def test_router_cancels_at_the_horizon_records_outflows_and_routes_the_rest_lit():
    """As in the first router test, C rests 500 @ 10.00 with 0 shares ahead (C bids 9.99). 120 fill; at the horizon
    the rest is cancelled; once the 380 are confirmed cancelled, C's outflow observation is 0 + 120 = 120 and the
    380 go lit as best-price: both offer 10.01, the larger displayed size first: A 300, then B 80 of its 100."""
    router, ctx = started(prior_outflow_shares=1e9)
    router.on_parent(parent(1, Side.BUY, 500))
    (rest,) = ctx.sent
    router.on_fill(fill(rest, 120, leaves=380, liquidity=Liquidity.ADDED))
    router.on_timer(ctx.timers[0][1])
    assert ctx.cancels == [rest.child_id] and len(ctx.sent) == 1
    router.on_cancelled(cancelled(rest, 380))
    assert list(router.observed["C"]) == [120.0]
    assert [(s.venue, s.qty, s.price, s.tif) for s in ctx.sent[1:]] == [("A", 300, px(10.01), IOC),
                                                                         ("B", 80, px(10.01), IOC)]


def test_router_placement_never_exceeds_the_parent_and_uses_observations_once_it_has_enough():
    """With a moderate prior the split is spread over several children, summing to at most the 500 shares; after
    min_observations=1 observation of venue A, samples for A are drawn from the observations only."""
    router, ctx = started(prior_outflow_shares=300.0, min_observations=1)
    router.on_parent(parent(1, Side.BUY, 500))
    assert 0 < sum(s.qty for s in ctx.sent) <= 500
    router.observed["A"] = deque([777.0])
    samples = router.outflow_samples(["A", "B"])
    assert (samples[:, 0] == 777.0).all() and samples.shape == (200, 2)
    assert len(set(samples[:, 1].tolist())) > 100  # B still from the (continuous) prior


def test_router_routes_a_non_marketable_limit_as_best_price():
    """Buy limit 9.98 (ask 10.01): nothing to take, so it posts at 9.98 as best-price does (queues at 9.98: A and B
    bid 10.00, better: endless; C bids 9.99, better too: all endless; lowest maker fee: C)."""
    router, ctx = started()
    router.on_parent(parent(1, Side.BUY, 300, limit_usd=9.98))
    assert [(s.venue, s.qty, s.price, s.tif) for s in ctx.sent] == [("C", 300, px(9.98), DAY)]
