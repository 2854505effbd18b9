"""dark-allocator: the Laruelle-Lehalle-Pages learning step, its simplex projection, and the router around it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.reference import DarkAllocatorRouter
from adapters.reference.dark_allocator import PoolAllocator, project_to_simplex
from adapters.testing import FakeContext, dark, fill, ioc_remainder, lit, parent, px
from venues.types import Side, TimeInForce

IOC = TimeInForce.IOC


@pytest.mark.parametrize(
    ("v", "expected"),
    [
        # Already on the simplex: unchanged.
        ([0.5, 0.5], [0.5, 0.5]),
        # Sorted 1.2, 0.1; cumulative sums minus 1: 0.2, 0.3; u - c/k: 1.0 > 0, 0.1 - 0.15 < 0 -> tau = 0.2.
        ([1.2, 0.1], [1.0, 0.0]),
        # 0.6, 0.6, 0.1: c = -0.4, 0.2, 0.3; u - c/k = 1.0, 0.5, 0.0 (not > 0) -> rho = 2 entries, tau = 0.1.
        ([0.6, 0.6, 0.1], [0.5, 0.5, 0.0]),
        # Shifting every entry by the same amount projects to the same point: (0.3, 0.7) from (-0.7, -0.3).
        ([-0.7, -0.3], [0.3, 0.7]),
    ],
)
def test_projection_by_hand(v, expected):
    assert project_to_simplex(v) == pytest.approx(expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=8))
def test_projection_lands_on_the_simplex_and_is_the_nearest_point(v):
    """Non-negative, sums to 1, and satisfies the optimality condition: one threshold tau with w = v - tau where
    w > 0 and v <= tau where w = 0."""
    w = project_to_simplex(v)
    x = np.asarray(v)
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0)
    pos = w > 1e-12
    tau = float(np.mean(x[pos] - w[pos]))
    assert np.allclose(x[pos] - w[pos], tau, atol=1e-9)
    assert (x[~pos] <= tau + 1e-9).all()


def test_one_update_by_hand():
    """Two pools at 0.5/0.5, gamma_1 0.1, size_scale 1000, an order of 1000 split 500/500; pool 1 fills its 500,
    pool 2 only 200: eps = (1, 0), mean 0.5, step 0.1 x (1000/1000) x (+0.5, -0.5) -> (0.55, 0.45).
    Second update (n = 2, step_decay 0.5: gamma 0.1/sqrt(2)) where both pools fill everything: eps = (1, 1), no
    change. Third: pool 2 was given nothing (a share of 0 counts as executed) and pool 1 missed: eps = (0, 1),
    step 0.1/sqrt(3) x 0.5 = 0.02887 -> (0.52113, 0.47887)."""
    a = PoolAllocator(2, gamma_1=0.1, step_decay=0.5, size_scale=1_000)
    assert a.allocate(1_000) == [500, 500]
    a.update(1_000, allocated=[500, 500], filled=[500, 200])
    assert a.weights == pytest.approx([0.55, 0.45])
    assert a.allocate(1_000) == [550, 450]
    a.update(1_000, allocated=[550, 450], filled=[550, 450])
    assert a.weights == pytest.approx([0.55, 0.45])
    a.update(1_000, allocated=[1_000, 0], filled=[10, 0])
    assert a.weights == pytest.approx([0.55 - 0.1 / 3**0.5 * 0.5, 0.45 + 0.1 / 3**0.5 * 0.5])


def test_converges_toward_the_pool_with_more_liquidity():
    """Pool liquidity D1 ~ Exp(mean 100), D2 ~ Exp(mean 300) shares, orders of V = 200 (seed 0, 5000 orders).

    The optimum equalises P(D_i > r_i V): exp(-200 r1 / 100) = exp(-200 r2 / 300) gives r1 / 100 = r2 / 300, i.e.
    r = (0.25, 0.75). (Whole-share rounding of D and of the split biases it slightly.) Starting at (0.5, 0.5), the
    weights move to within 0.03 of it, and stay on the simplex at every step.
    """
    a = PoolAllocator(2, gamma_1=0.1, step_decay=0.7, size_scale=200)
    rng = np.random.default_rng(0)
    for _ in range(5_000):
        liquidity = rng.exponential([100, 300])
        split = a.allocate(200)
        a.update(200, allocated=split, filled=[min(int(d), s) for d, s in zip(liquidity, split, strict=True)])
        assert (a.weights >= 0).all() and a.weights.sum() == pytest.approx(1.0)
    assert a.weights == pytest.approx([0.25, 0.75], abs=0.03)


def test_a_dry_pool_is_starved():
    """Three pools, the third never has liquidity: its weight ends below 0.05 (seed 1, 3000 orders of 300)."""
    a = PoolAllocator(3, gamma_1=0.2, step_decay=0.7, size_scale=300)
    rng = np.random.default_rng(1)
    for _ in range(3_000):
        liquidity = [rng.exponential(200), rng.exponential(200), 0.0]
        split = a.allocate(300)
        a.update(300, allocated=split, filled=[min(int(d), s) for d, s in zip(liquidity, split, strict=True)])
    assert a.weights[2] < 0.05 and a.weights.sum() == pytest.approx(1.0)


def test_router_splits_by_the_learnt_weights_and_learns_from_each_parent():
    """Dark pools DK1, DK2 (XYZ) and DK9 (another symbol); lit A. Defaults: gamma_1 0.1, size_scale 1000.

    Parent 1, buy 1000 limit 10.05: even start, DK1 500 and DK2 500, IOC midpoint pegs capped at 10.05. DK1 fills
    all 500, DK2 fills 100 and returns 400: eps = (1, 0), weights (0.55, 0.45) as in the hand update above; the 400
    left go lit: A 400 @ 10.00. Parent 2, buy 1000: DK1 550, DK2 450.
    """
    ctx = FakeContext([lit("A", take_usd=0.003, make_usd=-0.002), dark("DK1"), dark("DK2"),
                       dark("DK9", symbols=("OTHER",))])
    ctx.set_book("A", bid=(9.99, 100), ask=(10.00, 5_000))
    router = DarkAllocatorRouter()
    router.on_start(ctx)
    router.on_parent(parent(1, Side.BUY, 1_000, limit_usd=10.05))
    assert [(s.venue, s.qty, s.price, s.tif, s.midpoint_peg) for s in ctx.sent] == [
        ("DK1", 500, px(10.05), IOC, True), ("DK2", 500, px(10.05), IOC, True),
    ]
    dk1, dk2 = ctx.sent
    router.on_fill(fill(dk1, 500, leaves=0, price=px(10.005)))
    router.on_fill(fill(dk2, 100, leaves=400, price=px(10.005)))
    router.on_cancelled(ioc_remainder(dk2, 400))
    assert [(s.venue, s.qty, s.price) for s in ctx.sent[2:]] == [("A", 400, px(10.00))]
    router.on_parent(parent(2, Side.BUY, 1_000))
    assert [(s.venue, s.qty) for s in ctx.sent[3:]] == [("DK1", 550), ("DK2", 450)]
