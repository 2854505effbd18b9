"""random (the null router): each child to a uniformly random venue trading the symbol, reproducible per seed."""

from __future__ import annotations

import random

import numpy as np

from adapters.reference import RandomVenueRouter
from adapters.testing import FakeContext, dark, ioc_remainder, lit, parent, px, wholesaler
from venues.types import Side, TimeInForce

IOC, DAY = TimeInForce.IOC, TimeInForce.DAY


def venues():
    return [
        lit("A", take_usd=0.003, make_usd=-0.002),
        lit("D", take_usd=0.003, make_usd=-0.002, symbols=("OTHER",)),
        dark("DK1"),
        lit("B", take_usd=0.003, make_usd=-0.002),
        wholesaler("W1", pfof_usd=0.001),
        dark("DK2", symbols=("OTHER",)),
    ]


TRADING = ["A", "DK1", "B", "W1"]  # the venues trading XYZ, in scenario order


def run(seed: int, n: int = 30, **params) -> list[str]:
    ctx = FakeContext(venues())
    router = RandomVenueRouter(RandomVenueRouter.Params(seed=seed, **params))
    router.on_start(ctx)
    for pid in range(1, n + 1):
        router.on_parent(parent(pid, Side.BUY, 100))
    return [s.venue for s in ctx.sent]


def test_same_seed_same_choices_and_each_draw_is_uniform_over_the_venues_trading_the_symbol():
    """Seed 5 twice gives the same 30 venues, and they are exactly the draws rng.integers(4) of
    numpy.random.default_rng(5) mapped onto A, DK1, B, W1; seed 6 gives a different sequence."""
    first = run(5)
    assert first == run(5)
    rng = np.random.default_rng(5)
    assert first == [TRADING[int(rng.integers(4))] for _ in range(30)]
    assert run(6) != first


def test_only_venues_trading_the_symbol_and_all_of_them():
    """Over 400 parents: D and DK2 (not trading XYZ) never, each of the four others between 60 and 140 times
    (expected 100 each; the binomial standard deviation is about 8.7)."""
    used = run(11, n=400)
    counts = {v: used.count(v) for v in TRADING}
    assert set(used) <= set(TRADING)
    assert all(60 <= c <= 140 for c in counts.values()), counts


def test_the_router_leaves_global_random_state_alone():
    """Neither numpy's legacy global generator nor the random module is touched."""
    np_state = np.random.get_state()[1].copy()
    py_state = random.getstate()
    run(3)
    assert (np.random.get_state()[1] == np_state).all() and random.getstate() == py_state


def test_unfilled_children_are_followed_by_fresh_draws_then_a_limit_remainder_rests_on_a_lit_venue():
    """max_children=3, buy 500 limit 10.00: three IOCs at 10.00 for the open quantity (each after the previous one
    comes back unfilled), then one DAY order at 10.00 on a lit venue (A or B), then nothing more."""
    ctx = FakeContext(venues())
    router = RandomVenueRouter(RandomVenueRouter.Params(seed=1, max_children=3))
    router.on_start(ctx)
    router.on_parent(parent(1, Side.BUY, 500, limit_usd=10.00))
    for _ in range(5):
        last = ctx.sent[-1]
        if last.tif is IOC:
            router.on_cancelled(ioc_remainder(last, last.qty))
    assert [(s.qty, s.price, s.tif) for s in ctx.sent] == [(500, px(10.00), IOC)] * 3 + [(500, px(10.00), DAY)]
    assert ctx.sent[-1].venue in {"A", "B"}
    assert ctx.quote_reads == 0 and ctx.nbbo_reads == 0  # no market data at all
