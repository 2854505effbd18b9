"""``dark-allocator``: split across dark pools by the stochastic learning procedure of Laruelle, Lehalle & Pagès.

The procedure
-------------
Source: Laruelle, S., Lehalle, C.-A. and Pagès, G. (2011), "Optimal split of orders across liquidity pools: a stochastic
algorithm approach", *SIAM Journal on Financial Mathematics* 2, 1042-1076. An order of ``V`` shares is split across
``N`` pools in proportions ``r = (r_1, ..., r_N)`` on the simplex; pool ``i`` executes ``min(D_i, r_i V)``, where the
liquidity ``D_i`` it has for us is random and never observed directly. The expected executed quantity
``sum_i E[min(D_i, r_i V)]`` is concave in ``r``; at the optimum the marginal execution probabilities
``P(D_i > r_i V)`` of the pools in use are equal. The paper's optimisation procedure (a stochastic Lagrangian,
Robbins-Monro algorithm) moves ``r`` after every execution by

    r_i <- r_i + gamma_n V (eps_i - (1/N) sum_j eps_j),    eps_i = theta_i 1{D_i > r_i V},

so that pools that executed the whole of their share gain weight at the expense of those that did not, and the
increments sum to zero; ``theta_i`` (default 1) weighs pool ``i`` (e.g. a fee discount). The indicator is
observable: a pool filled our whole share exactly when it had at least that much. Our choices: the factor ``V`` is
measured in units of ``size_scale`` shares (it sets the speed, with ``gamma_1``); steps ``gamma_n = gamma_1 /
n^step_decay`` (``step_decay`` in (1/2, 1] meets the Robbins-Monro conditions; 0 gives a constant step that keeps
tracking a changing market during the day); a pool given no shares (its share rounded to 0) counts as having
executed them all (``D_i >= 0`` always holds), which lets a starved pool win weight back; after each step ``r`` is
projected (Euclidean) back onto the simplex, which only matters when a step would make a weight negative.

The router
----------
For each parent, the dark phase (:mod:`adapters.reference.dark`) splits its quantity across the dark pools trading
the symbol by the current weights of that symbol's learner (largest-remainder rounding), sends midpoint orders, and
when every one has been answered updates the learner with what each pool executed; the remainder goes lit as
``best-price`` routes it. The weights are learnt during the run (per symbol), starting from an even split.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import Field

from adapters.contract import RouterContext
from adapters.reference.common import split_by_weights
from adapters.reference.dark import DarkChild, DarkPhaseRouter, DarkState
from venues.venue import VenueInfo


def project_to_simplex(v: ArrayLike) -> NDArray[np.float64]:
    """The Euclidean projection of ``v`` on the probability simplex ``{w >= 0, sum(w) = 1}``.

    The sort-based algorithm of Held, Wolfe & Crowder (1974) (see Duchi et al. 2008): find the threshold ``tau`` with
    ``sum(max(v - tau, 0)) = 1``.
    """
    x = np.asarray(v, dtype=float).reshape(-1)
    if x.size == 0:
        return x
    u = np.sort(x)[::-1]
    cumulative = np.cumsum(u) - 1.0
    ks = np.arange(1, x.size + 1)
    rho = int(np.nonzero(u - cumulative / ks > 0)[0][-1])
    tau = cumulative[rho] / (rho + 1)
    return np.maximum(x - tau, 0.0)


class PoolAllocator:
    """The Laruelle-Lehalle-Pagès learning procedure for the split of an order across ``n_pools`` pools.

    Parameters
    ----------
    n_pools : int
        Number of pools (>= 1).
    gamma_1 : float
        First step size.
    step_decay : float
        ``gamma_n = gamma_1 / n ** step_decay``; 0: constant step.
    size_scale : float
        Shares per unit of ``V`` in the update.
    discounts : sequence of float, optional
        ``theta_i`` per pool (default: all 1).
    """

    def __init__(
        self,
        n_pools: int,
        *,
        gamma_1: float = 0.1,
        step_decay: float = 0.7,
        size_scale: float = 1_000.0,
        discounts: Sequence[float] | None = None,
    ) -> None:
        if n_pools < 1:
            raise ValueError(f"n_pools must be >= 1, got {n_pools}")
        if size_scale <= 0:
            raise ValueError(f"size_scale must be > 0, got {size_scale}")
        self.weights: NDArray[np.float64] = np.full(n_pools, 1.0 / n_pools)
        self.gamma_1 = gamma_1
        self.step_decay = step_decay
        self.size_scale = size_scale
        self.discounts = np.ones(n_pools) if discounts is None else np.asarray(discounts, dtype=float)
        if self.discounts.shape != (n_pools,):
            raise ValueError(f"discounts must have {n_pools} entries, got {self.discounts.size}")
        self.updates = 0

    def allocate(self, qty: int) -> list[int]:
        """Whole shares per pool for an order of ``qty``: ``qty * weights``, rounded by largest remainder."""
        return split_by_weights(qty, self.weights.tolist())

    def update(self, qty: int, *, allocated: Sequence[int], filled: Sequence[int]) -> None:
        """One step of the procedure after an order of ``qty`` shares was split as ``allocated`` and got ``filled``.

        A pool "executed its share" when ``filled >= allocated`` (always true for a share of 0).
        """
        if len(allocated) != self.weights.size or len(filled) != self.weights.size:
            raise ValueError(f"allocated and filled must have {self.weights.size} entries")
        self.updates += 1
        gamma = self.gamma_1 / self.updates**self.step_decay
        executed_all = np.array([f >= a for a, f in zip(allocated, filled, strict=True)], dtype=float)
        eps = self.discounts * executed_all
        step = gamma * (qty / self.size_scale) * (eps - eps.mean())
        self.weights = project_to_simplex(self.weights + step)


class DarkAllocatorRouter(DarkPhaseRouter):
    """Dark pools split by a learnt allocation (Laruelle, Lehalle & Pagès 2011), remainder lit."""

    name = "dark-allocator"
    description = "Laruelle-Lehalle-Pages (2011): dark-pool split learnt by a stochastic algorithm; remainder lit."

    class Params(DarkPhaseRouter.Params):
        """Parameters of ``dark-allocator``."""

        gamma_1: float = Field(0.1, gt=0, description="First learning step.")
        step_decay: float = Field(0.7, ge=0, le=1, description="Steps gamma_1 / n**step_decay (0: constant).")
        size_scale: float = Field(1_000.0, gt=0, description="Shares per unit of order size in the update.")

    def on_start(self, ctx: RouterContext) -> None:
        """Reset the learners (one per symbol and set of pools)."""
        super().on_start(ctx)
        self.learners: dict[tuple[str, tuple[str, ...]], PoolAllocator] = {}

    def learner(self, symbol: str, pools: list[VenueInfo]) -> PoolAllocator:
        """The learner for ``symbol`` over ``pools`` (created with an even split on first use)."""
        key = (symbol, tuple(p.name for p in pools))
        found = self.learners.get(key)
        if found is None:
            found = self.learners[key] = PoolAllocator(
                len(pools), gamma_1=self.params.gamma_1, step_decay=self.params.step_decay,
                size_scale=self.params.size_scale,
            )
        return found

    def _dark_allocation(self, state: DarkState, pools: list[VenueInfo]) -> list[int]:
        return self.learner(state.parent.symbol, pools).allocate(state.leaves)

    def _dark_done(self, state: DarkState, children: list[DarkChild], *, pools: list[VenueInfo]) -> None:
        if not pools or not children:
            return
        sent = {p.name: 0 for p in pools}
        got = {p.name: 0 for p in pools}
        for child in children:
            sent[child.venue] += child.qty
            got[child.venue] += child.filled
        total = sum(sent.values())
        self.learner(state.parent.symbol, pools).update(
            total, allocated=[sent[p.name] for p in pools], filled=[got[p.name] for p in pools]
        )
