"""``censored-dark``: greedy dark-pool allocation on Kaplan-Meier estimates (Ganchev, Kearns, Nevmyvaka & Vaughan).

The method
----------
Source: Ganchev, K., Kearns, M., Nevmyvaka, Y. and Vaughan, J. W. (2010), "Censored exploration and the dark pool
problem", *Communications of the ACM* 53(5), 99-107 (first at UAI 2009). Each pool ``i`` has, at each period, a random
quantity ``D_i`` it can execute for us; sending it ``v_i`` shares executes ``min(D_i, v_i)``. What we see is
*censored*: a partial fill ``r < v`` reveals ``D_i = r`` exactly, but a complete fill ``r = v`` only tells us
``D_i >= v``.

* Per pool, the tail ``T(s) = P(D >= s)`` is estimated by the Kaplan-Meier product-limit estimator over those
  censored observations: ``T(s) = prod_{u < s} (1 - d_u / n_u)``, where ``d_u`` counts exact observations equal to
  ``u`` and ``n_u`` the observations known to be ``>= u`` (exact ones ``>= u`` and censored ones whose bound is
  ``>= u``). Where no observation reaches (``n_u = 0``) the product stops changing, so the estimate stays flat
  beyond the largest censored bound, and a pool with no observations has ``T = 1``: optimistic where there is no
  data, which drives exploration (a simplified form of the paper's optimistic tail modification).
* Since ``E[min(D, v)] = sum_{s=1..v} T(s)``, the expected execution of an allocation is maximised by giving shares
  one at a time to the pool with the largest *marginal* tail probability ``T_i(v_i + 1)``: the paper's greedy
  allocation. We allocate in units of ``unit_shares`` (the marginal value of a unit is the sum of ``T`` over its
  shares; ``unit_shares = 1`` is the paper's rule); ties go to the pool first by venue name (the dark phase sorts the
  pools by name).

The router
----------
For each parent, the dark phase (:mod:`adapters.reference.dark`) allocates its whole quantity across the dark pools
trading the symbol by the greedy rule on the current estimates (per symbol and pool), sends midpoint orders, and when
each has been answered adds the observation ``(shares sent, shares filled)`` to that pool's estimator (a refused
order counts as a fill of 0); the remainder goes lit as ``best-price`` routes it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from adapters.contract import RouterContext
from adapters.reference.dark import DarkChild, DarkPhaseRouter, DarkState
from venues.venue import VenueInfo


class KaplanMeierTail:
    """Kaplan-Meier estimate of ``P(D >= s)`` from censored observations of a pool's liquidity ``D``."""

    def __init__(self) -> None:
        self.exact: Counter[int] = Counter()
        """Exact observations ``D = value`` (partial fills), by value."""
        self.censored: Counter[int] = Counter()
        """Censored observations ``D >= bound`` (complete fills), by bound."""

    @property
    def n_observations(self) -> int:
        """Observations so far."""
        return sum(self.exact.values()) + sum(self.censored.values())

    def observe(self, allocated: int, filled: int) -> None:
        """Record that ``allocated`` shares were sent and ``filled`` executed (nothing is learnt from 0 sent)."""
        if allocated <= 0:
            return
        if filled >= allocated:
            self.censored[allocated] += 1
        else:
            self.exact[max(filled, 0)] += 1

    def tails(self, upto: int) -> NDArray[np.float64]:
        """``[T(0), T(1), ..., T(upto)]`` with ``T(s) = P(D >= s)`` (so ``T(0) = 1``)."""
        size = upto + 2  # values above ``upto`` are lumped at upto + 1: they only count in the risk sets
        d = np.zeros(size)
        at_risk_from = np.zeros(size)
        for value, count in self.exact.items():
            d[min(value, upto + 1)] += count
            at_risk_from[min(value, upto + 1)] += count
        for bound, count in self.censored.items():
            at_risk_from[min(bound, upto + 1)] += count
        n = np.cumsum(at_risk_from[::-1])[::-1]  # n_u = observations known to be >= u
        hazard = np.divide(d, n, out=np.zeros(size), where=n > 0)
        tail = np.ones(upto + 1)
        tail[1:] = np.cumprod(1.0 - hazard[:upto])
        return tail

    def tail(self, s: int) -> float:
        """``T(s) = P(D >= s)``."""
        return 1.0 if s <= 0 else float(self.tails(s)[s])


def greedy_allocation(qty: int, estimators: Sequence[KaplanMeierTail], *, unit: int = 1) -> list[int]:
    """Allocate ``qty`` shares across pools one unit at a time to the largest marginal expected execution.

    Parameters
    ----------
    qty : int
        Shares to allocate (all of them are).
    estimators : sequence of KaplanMeierTail
        One per pool.
    unit : int
        Shares per step (the last step may be smaller); 1 is the paper's share-by-share rule.

    Returns
    -------
    list[int]
        Shares per pool, summing to ``qty`` (``[]`` for no pools).
    """
    if not estimators or qty <= 0:
        return [0] * len(estimators)
    unit = max(unit, 1)
    tails = [e.tails(qty) for e in estimators]
    alloc = [0] * len(estimators)
    left = qty
    while left > 0:
        step = min(unit, left)
        gains = [float(t[a + 1 : a + step + 1].sum()) for t, a in zip(tails, alloc, strict=True)]
        best = max(range(len(gains)), key=lambda i: (gains[i], -i))
        alloc[best] += step
        left -= step
    return alloc


class CensoredDarkRouter(DarkPhaseRouter):
    """Dark pools allocated greedily on Kaplan-Meier tail estimates (Ganchev et al. 2010), remainder lit."""

    name = "censored-dark"
    description = "Ganchev et al. (2010): greedy dark-pool allocation on Kaplan-Meier liquidity tails; remainder lit."

    class Params(DarkPhaseRouter.Params):
        """Parameters of ``censored-dark``."""

        unit_shares: int = Field(100, ge=1, description="Shares allocated per greedy step.")

    def on_start(self, ctx: RouterContext) -> None:
        """Reset the estimators (one per symbol and pool)."""
        super().on_start(ctx)
        self.estimators: dict[tuple[str, str], KaplanMeierTail] = {}

    def estimator(self, symbol: str, pool: str) -> KaplanMeierTail:
        """The estimator of ``pool``'s liquidity in ``symbol``."""
        return self.estimators.setdefault((symbol, pool), KaplanMeierTail())

    def _dark_allocation(self, state: DarkState, pools: list[VenueInfo]) -> list[int]:
        symbol = state.parent.symbol
        return greedy_allocation(
            state.leaves, [self.estimator(symbol, p.name) for p in pools], unit=self.params.unit_shares
        )

    def _dark_done(self, state: DarkState, children: list[DarkChild], *, pools: list[VenueInfo]) -> None:
        for child in children:
            self.estimator(state.parent.symbol, child.venue).observe(child.qty, child.filled)
