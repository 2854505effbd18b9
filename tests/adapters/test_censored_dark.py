"""censored-dark: the Kaplan-Meier tail estimate with censoring, the greedy allocation, and the router around them."""

from __future__ import annotations

import pytest

from adapters.reference import CensoredDarkRouter
from adapters.reference.censored_dark import KaplanMeierTail, greedy_allocation
from adapters.testing import FakeContext, dark, fill, ioc_remainder, lit, parent, px
from venues.types import Side


def pool_a() -> KaplanMeierTail:
    """Observations (sent, filled): (10, 3), (5, 5), (10, 7), (4, 0).

    As liquidity D: exact 3, censored D >= 5 (the whole 5 filled), exact 7, exact 0.
    T(s) = P(D >= s) = prod over u < s of (1 - d_u / n_u), n_u = observations known to be >= u:
      u = 0: d 1 (the 0), n 4                       -> T(1) = 3/4 = 0.75
      u = 1, 2: d 0                                 -> T(2) = T(3) = 0.75
      u = 3: d 1 (the 3), n 3 (3, >= 5, 7)          -> T(4) = 0.75 x 2/3 = 0.5
      u = 4, 5, 6: d 0 (n 2, 2, then 1: the censored 5 is not known to be >= 6)  -> T(5..7) = 0.5
      u = 7: d 1 (the 7), n 1                       -> T(8) = 0, and 0 beyond.
    """
    km = KaplanMeierTail()
    for sent, filled in [(10, 3), (5, 5), (10, 7), (4, 0)]:
        km.observe(sent, filled)
    return km


def pool_b() -> KaplanMeierTail:
    """Observations (2, 2): D >= 2 (censored); (6, 1): D = 1.
      u = 0: d 0, n 2 -> T(1) = 1;  u = 1: d 1, n 2 (1 and >= 2) -> T(2) = 0.5;
      u = 2: d 0, n 1 -> T(3) = 0.5; from u = 3 no observation reaches: flat, T(s) = 0.5 for s >= 2.
    """
    km = KaplanMeierTail()
    km.observe(2, 2)
    km.observe(6, 1)
    return km


def test_kaplan_meier_tail_with_censoring_by_hand():
    assert pool_a().tails(9).tolist() == pytest.approx([1, 0.75, 0.75, 0.75, 0.5, 0.5, 0.5, 0.5, 0, 0])
    assert pool_b().tails(5).tolist() == pytest.approx([1, 1, 0.5, 0.5, 0.5, 0.5])
    assert pool_a().tail(4) == pytest.approx(0.5) and pool_a().n_observations == 4


def test_no_observation_is_optimistic_and_nothing_is_learnt_from_zero_sent():
    km = KaplanMeierTail()
    km.observe(0, 0)
    assert km.n_observations == 0 and km.tails(3).tolist() == [1, 1, 1, 1]


def test_greedy_allocation_follows_the_largest_marginal_tail_probability():
    """4 shares over pools A and B (tails as above), one share at a time, to the larger T(next share):
    1st: A T(1) 0.75 < B T(1) 1 -> B;  2nd: A 0.75 > B T(2) 0.5 -> A;  3rd, 4th: A T(2), T(3) = 0.75 > 0.5 -> A.
    Result A 3, B 1: expected execution 0.75 x 3 + 1 = 3.25. A 5th share ties (A T(4) 0.5 = B T(2) 0.5) and goes to
    the pool listed first, A."""
    a, b = pool_a(), pool_b()
    assert greedy_allocation(4, [a, b]) == [3, 1]
    assert greedy_allocation(5, [a, b]) == [4, 1]


def test_greedy_in_units_and_an_untried_pool_gets_explored():
    """An untried pool (T = 1 everywhere) beats pool A for every share: all 6 shares to it.

    In units of 2 shares the value of a unit is the sum of T over its shares. Unit 1: A 0.75 + 0.75 = 1.5, B
    1 + 0.5 = 1.5, a tie, to A (listed first). Unit 2: A 0.75 + 0.5 = 1.25 < B 1.5 -> B. Unit 3: A 1.25 > B
    0.5 + 0.5 = 1.0 -> A. Result A 4, B 2.
    """
    assert greedy_allocation(6, [pool_a(), KaplanMeierTail()]) == [0, 6]
    assert greedy_allocation(6, [pool_a(), pool_b()], unit=2) == [4, 2]
    assert greedy_allocation(0, [pool_a()]) == [0] and greedy_allocation(5, []) == []


def test_router_explores_then_allocates_on_what_it_learnt():
    """Pools DK1, DK2; lit A; unit_shares 100.

    Parent 1, buy 300: both untried, every unit ties and goes to DK1: DK1 300. It fills 120 (D = 120, exact), 180 go
    lit: A 180 @ 10.00. Parent 2, buy 300: DK1's T(s) = 1 up to 120, 0 after; DK2 untried. Unit 1: DK1 100 vs DK2
    100, tie -> DK1; unit 2: DK1 sum T(101..200) = 20 < DK2 100 -> DK2; unit 3: DK1 20 < DK2 100 -> DK2.
    """
    ctx = FakeContext([lit("A", take_usd=0.003, make_usd=-0.002), dark("DK1"), dark("DK2")])
    ctx.set_book("A", bid=(9.99, 100), ask=(10.00, 5_000))
    router = CensoredDarkRouter()
    router.on_start(ctx)
    router.on_parent(parent(1, Side.BUY, 300))
    assert [(s.venue, s.qty, s.price, s.midpoint_peg) for s in ctx.sent] == [("DK1", 300, None, True)]
    router.on_fill(fill(ctx.sent[0], 120, leaves=180, price=px(10.005)))
    router.on_cancelled(ioc_remainder(ctx.sent[0], 180))
    assert [(s.venue, s.qty, s.price) for s in ctx.sent[1:]] == [("A", 180, px(10.00))]
    assert router.estimator("XYZ", "DK1").exact == {120: 1}
    router.on_parent(parent(2, Side.BUY, 300))
    assert [(s.venue, s.qty) for s in ctx.sent[2:]] == [("DK1", 100), ("DK2", 200)]
