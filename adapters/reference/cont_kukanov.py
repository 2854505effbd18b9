"""``cont-kukanov``: the optimal market/limit split across venues of Cont & Kukanov (2017).

The model
---------
Source: Cont, R. and Kukanov, A. (2017), "Optimal order placement in limit order markets", *Quantitative Finance* 17(1),
21-39 (arXiv:1210.1625). A trader must buy (or sell) ``S`` shares within a short horizon. She sends a market order of
``M`` shares now, at the half-spread ``h`` plus the take fee ``f``, and limit orders of ``L_k`` shares at the near
side of each venue ``k``, behind a queue of ``Q_k`` shares. During the horizon a random quantity ``xi_k`` leaves the
front of venue ``k``'s queue (trades and cancels ahead of her), so her limit order there fills
``min(L_k, (xi_k - Q_k)+)`` and earns the half-spread plus the maker rebate ``r_k``. With the executed total

    A(X, xi) = M + sum_k min(L_k, (xi_k - Q_k)+),

the cost of the placement ``X = (M, L_1, ..., L_K)`` is

    v(X, xi) = (h + f) M - sum_k (h + r_k) min(L_k, (xi_k - Q_k)+)
               + theta (M + sum_k L_k + (S - A)+)
               + lambda_u (S - A)+ + lambda_o (A - S)+,

where ``lambda_u`` prices a shortfall (it is bought at the end with a market order and adverse price moves),
``lambda_o`` an overshoot and ``theta`` the market impact of all the orders shown. The optimal placement minimises
``E[v(X, xi)]``, a convex problem. (Only the filled part of a limit order earns the spread and rebate; writing the
rebate term on ``L_k`` itself, as a shorthand sometimes does, would reward unfilled orders.)

The solver follows the paper's stochastic approximation: projected stochastic subgradient steps (a Robbins-Monro
scheme) ``X_n = P(X_{n-1} - gamma_n g(X_{n-1}, xi^n))`` on outflow samples ``xi^n`` drawn from the given ones, with
steps ``gamma_n = D / (G sqrt(n))`` (``D = S sqrt(K)`` the size of the feasible box, ``G`` a bound on the gradient)
and the average of the iterates as the answer (Polyak-Juditsky averaging). The gradient of ``v`` in ``X`` is

    dv/dM   = h + f + theta - (lambda_u + theta) 1{A < S} + lambda_o 1{A > S}
    dv/dL_k = theta + 1{xi_k > Q_k + L_k} (-(h + r_k) - (lambda_u + theta) 1{A < S} + lambda_o 1{A > S}),

and the iterates are projected on the box ``0 <= M, L_k <= S``. Shares are whole, so the averaged iterate is rounded
and then improved by a small integer pattern search on the sample-average cost (single-coordinate moves and
transfers between two coordinates, at steps 64, 32, ..., 1): a finishing step of ours, not the paper's, which makes
the answer the exact or nearly the exact sample-average optimum in small cases (the tests check it against a
brute-force grid).

The router
----------
For each market or marketable limit parent: the queues ``Q_k`` are the displayed sizes at the best near-side price
on each lit venue (0 where the venue's near side is worse: our order would start a new level there), ``h`` is half
the lit spread over the direct feeds, ``f`` the take fee of the best-priced offer, ``r_k`` each venue's maker
rebate. Outflow samples per venue are drawn (with the router's own seeded generator) from the router's own
observations of past placements there (``Q_k`` plus what its limit order got over the horizon: exact for a partial
fill, a lower bound for a complete one, an upper bound when nothing filled) once it has ``min_observations`` of them,
and until then from an exponential prior with mean ``prior_outflow_shares``; venues are sampled independently. The
market part goes IOC to the best-priced offer at its displayed price; the limit parts rest post-only at the near
side for ``horizon_ns`` and are then cancelled; the remainder is routed as ``best-price`` routes it. The placement
never exceeds the parent's open quantity: when the model would accept an overshoot, the limit parts are scaled down
in proportion (a broker may not overfill a customer order). Non-marketable limit parents, and parents when a side
of the lit market is empty or locked, are routed as ``best-price`` routes them.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import Field

from adapters.contract import ChildFill, ChildReject, ParentOrder, RouterContext
from adapters.reference.best_price import BestPriceRouter, ParentState
from adapters.reference.common import near, sign, split_by_weights, trading, within_limit
from venues.types import FEE_SCALE, PRICE_SCALE, TimeInForce
from venues.venue import VenueKind

_HORIZON = "ck-horizon"
_PATTERN_STEPS = (64, 32, 16, 8, 4, 2, 1)


@dataclass(frozen=True)
class PlacementProblem:
    """One instance of the Cont-Kukanov placement problem, validated; money amounts in one unit per share.

    Build it with :meth:`build`; :meth:`costs` evaluates ``v(X, xi)`` over the outflow samples.
    """

    order_size: int
    queues: NDArray[np.float64]
    """``Q_k``, shape (K,)."""
    outflows: NDArray[np.float64]
    """Samples of ``xi``, shape (n, K)."""
    half_spread: float
    take_fee: float
    rebates: NDArray[np.float64]
    """``r_k``, shape (K,); positive: paid to the trader."""
    under_penalty: float
    over_penalty: float
    impact: float

    @classmethod
    def build(
        cls,
        order_size: int,
        queues: ArrayLike,
        *,
        outflow_samples: ArrayLike,
        half_spread: float,
        take_fee: float,
        rebates: ArrayLike,
        under_penalty: float,
        over_penalty: float,
        impact: float = 0.0,
    ) -> PlacementProblem:
        """Validate and convert the inputs (see :func:`optimal_allocation`); raises ``ValueError`` on bad shapes."""
        q = np.asarray(queues, dtype=float).reshape(-1)
        r = np.asarray(rebates, dtype=float).reshape(-1)
        xi = np.asarray(outflow_samples, dtype=float)
        if xi.ndim == 1:
            xi = xi.reshape(-1, 1) if q.size == 1 else xi.reshape(1, -1)
        if order_size < 0:
            raise ValueError(f"order_size must be >= 0, got {order_size}")
        if r.size != q.size:
            raise ValueError(f"rebates has {r.size} entries for {q.size} queues")
        if xi.ndim != 2 or xi.shape[1] != q.size or xi.shape[0] == 0:
            raise ValueError(f"outflow_samples must be (n_samples >= 1, {q.size}), got shape {xi.shape}")
        if (q < 0).any() or (xi < 0).any():
            raise ValueError("queues and outflow samples must be >= 0")
        return cls(order_size, q, xi, half_spread, take_fee, r, under_penalty, over_penalty, impact)

    def costs(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """``v(X, xi)`` for every outflow sample, ``x = [M, L_1, ..., L_K]``."""
        h, s = self.half_spread, self.order_size
        m, limits = x[0], x[1:]
        filled = np.minimum(limits, np.maximum(self.outflows - self.queues, 0.0))
        executed = m + filled.sum(axis=1)
        short = np.maximum(s - executed, 0.0)
        over = np.maximum(executed - s, 0.0)
        return (
            (h + self.take_fee) * m
            - filled @ (h + self.rebates)
            + self.impact * (m + limits.sum() + short)
            + self.under_penalty * short
            + self.over_penalty * over
        )

    def mean_cost(self, x: NDArray[np.float64]) -> float:
        """The sample average of :meth:`costs`."""
        return float(self.costs(x).mean())


def expected_cost(
    order_size: int,
    market_qty: float,
    *,
    limit_qtys: Sequence[float],
    queues: ArrayLike,
    outflow_samples: ArrayLike,
    half_spread: float,
    take_fee: float,
    rebates: ArrayLike,
    under_penalty: float,
    over_penalty: float,
    impact: float = 0.0,
) -> float:
    """The sample average of the Cont-Kukanov cost ``v(X, xi)`` of a placement (see the module docstring).

    Parameters
    ----------
    order_size : int
        ``S``, shares to execute.
    market_qty, limit_qtys
        ``M`` and ``L_1, ..., L_K``.
    queues : array_like, shape (K,)
        ``Q_k``, shares ahead at each venue.
    outflow_samples : array_like, shape (n, K)
        Joint samples of the outflows ``xi_k`` over the horizon, shares.
    half_spread, take_fee, rebates, under_penalty, over_penalty, impact
        ``h``, ``f``, ``r_k`` (positive: a rebate), ``lambda_u``, ``lambda_o``, ``theta``, all in the same money
        unit per share (e.g. USD).

    Returns
    -------
    float
        The average cost over the samples, in that money unit.
    """
    problem = PlacementProblem.build(
        order_size, queues, outflow_samples=outflow_samples, half_spread=half_spread, take_fee=take_fee,
        rebates=rebates, under_penalty=under_penalty, over_penalty=over_penalty, impact=impact,
    )
    x = np.array([market_qty, *limit_qtys], dtype=float)
    if x.size != problem.queues.size + 1:
        raise ValueError(f"{x.size - 1} limit quantities for {problem.queues.size} queues")
    return problem.mean_cost(x)


def optimal_allocation(
    order_size: int,
    queues: ArrayLike,
    *,
    outflow_samples: ArrayLike,
    half_spread: float,
    take_fee: float,
    rebates: ArrayLike,
    under_penalty: float,
    over_penalty: float,
    impact: float = 0.0,
    seed: int = 0,
    n_iter: int = 2_000,
) -> tuple[int, list[int]]:
    """Cont & Kukanov's optimal split of ``order_size`` shares into a market order and limit orders per venue.

    Parameters
    ----------
    order_size : int
        ``S``, shares to execute (>= 0).
    queues : array_like, shape (K,)
        ``Q_k``, shares queued ahead at each venue's near side.
    outflow_samples : array_like, shape (n, K)
        Samples of the outflows ``xi_k`` (shares leaving the front of each queue over the horizon); one row per
        sample, drawn with replacement by the solver.
    half_spread, take_fee : float
        ``h`` and ``f``, money per share.
    rebates : array_like, shape (K,)
        ``r_k``, the maker rebate per share at each venue (positive: paid to the trader; a maker fee is negative).
    under_penalty, over_penalty : float
        ``lambda_u`` and ``lambda_o``, money per share short of or beyond ``S`` at the horizon.
    impact : float
        ``theta``, money per share of orders shown (0: no impact term).
    seed : int
        Seed of the solver's own generator (the result is deterministic given it).
    n_iter : int
        Stochastic-approximation steps.

    Returns
    -------
    tuple[int, list[int]]
        ``(M, [L_1, ..., L_K])``, whole shares, each between 0 and ``S``.

    Raises
    ------
    ValueError
        On inconsistent shapes or negative sizes.
    """
    problem = PlacementProblem.build(
        order_size, queues, outflow_samples=outflow_samples, half_spread=half_spread, take_fee=take_fee,
        rebates=rebates, under_penalty=under_penalty, over_penalty=over_penalty, impact=impact,
    )
    k = problem.queues.size
    if order_size == 0:
        return 0, [0] * k
    if k == 0:
        return order_size, []
    averaged = _stochastic_approximation(problem, seed=seed, n_iter=n_iter)
    return _pattern_search(problem, np.clip(np.rint(averaged), 0, order_size))


def _stochastic_approximation(problem: PlacementProblem, *, seed: int, n_iter: int) -> NDArray[np.float64]:
    """Projected stochastic subgradient steps on sampled outflows; returns the average iterate ``[M, L_1, ...]``."""
    h, f, theta = problem.half_spread, problem.take_fee, problem.impact
    lam_u, lam_o = problem.under_penalty, problem.over_penalty
    qs, rs, xis = problem.queues.tolist(), problem.rebates.tolist(), problem.outflows.tolist()
    k = len(qs)
    s = float(problem.order_size)
    rows = np.random.default_rng(seed).integers(len(xis), size=n_iter)

    # Step gamma_n = D / (G sqrt(n)): D = S sqrt(K) is the size of the box, G bounds the subgradient's norm.
    g_market = abs(h + f) + theta + lam_u + lam_o
    g_limits = [abs(h + rk) + theta + lam_u + lam_o for rk in rs]
    g_norm = math.sqrt(g_market**2 + sum(g * g for g in g_limits))
    gamma_1 = math.sqrt(k) * s / g_norm if g_norm > 0 else 0.0

    m = s / (k + 1)  # start from an even split between the market order and each venue
    limits = [s / (k + 1)] * k
    sum_m = 0.0
    sum_l = [0.0] * k
    # Plain floats and lists: K is small and this loop runs n_iter times per parent order.
    for n, row in enumerate(rows.tolist(), start=1):
        gamma = gamma_1 / math.sqrt(n)
        sample = xis[row]
        executed = m
        beyond = []
        for j in range(k):
            free = sample[j] - qs[j]
            if free > limits[j]:
                executed += limits[j]
                beyond.append(True)
            else:
                executed += free if free > 0.0 else 0.0
                beyond.append(False)
        under = lam_u + theta if executed < s else 0.0
        over = lam_o if executed > s else 0.0
        m = min(max(m - gamma * (h + f + theta - under + over), 0.0), s)
        for j in range(k):
            grad = theta + ((-(h + rs[j]) - under + over) if beyond[j] else 0.0)
            limits[j] = min(max(limits[j] - gamma * grad, 0.0), s)
        sum_m += m
        for j in range(k):
            sum_l[j] += limits[j]
    return np.array([sum_m / n_iter, *(v / n_iter for v in sum_l)])


def _moves(n: int) -> list[tuple[int, ...]]:
    """Search directions on the integer lattice for ``n`` coordinates.

    Every vector of -1/0/+1 for up to 4 coordinates; beyond, single steps, transfers between two coordinates and a
    market-order step against two limit steps (and the reverse).
    """
    if n <= 4:
        return [v for v in itertools.product((-1, 0, 1), repeat=n) if any(v)]
    out: list[tuple[int, ...]] = []
    unit = [tuple(int(i == j) for j in range(n)) for i in range(n)]
    for i in range(n):
        out += [unit[i], tuple(-c for c in unit[i])]
        out += [tuple(a - b for a, b in zip(unit[i], unit[j], strict=True)) for j in range(n) if j != i]
    for j in range(1, n):
        for k in range(j + 1, n):
            v = tuple(1 if c == 0 else -1 if c in (j, k) else 0 for c in range(n))
            out += [v, tuple(-c for c in v)]
    return out


def _pattern_search(problem: PlacementProblem, start: NDArray[np.float64]) -> tuple[int, list[int]]:
    """Integer finishing step: take lattice moves that lower the sample-average cost (ties: fewer shares shown)."""
    size = problem.order_size
    x = start.copy()
    best = problem.mean_cost(x)
    directions = np.array(_moves(x.size), dtype=float)
    for step in (u for u in _PATTERN_STEPS if u <= max(size, 1)):
        for _ in range(200):
            improved = False
            for d in directions:
                y = x + step * d
                if (y < 0).any() or (y > size).any():
                    continue
                c = problem.mean_cost(y)
                if c < best - 1e-12 or (c <= best + 1e-12 and y.sum() < x.sum()):
                    x, best, improved = y, min(c, best), True
            if not improved:
                break
    return int(x[0]), [int(v) for v in x[1:]]


# --------------------------------------------------------------------------------------------------------- router
@dataclass(slots=True)
class _Placement:
    venue: str
    queue: int
    qty: int
    filled: int = 0
    refused: bool = False
    """The venue refused the order (e.g. post-only would cross): it says nothing about the queue's outflow."""


@dataclass(slots=True)
class _State(ParentState):
    placing: bool = False
    limits: dict[int, _Placement] = field(default_factory=dict)


class ContKukanovRouter(BestPriceRouter):
    """Per parent, the Cont-Kukanov market/limit split across lit venues (see the module docstring)."""

    name = "cont-kukanov"
    description = "Cont & Kukanov (2017): optimal market/limit split across venues from queue sizes and outflows."
    tie_break = None  # its objective credits the maker rebates and charges the take fee: not a conflict-free reference

    class Params(BestPriceRouter.Params):
        """Parameters of ``cont-kukanov`` (money amounts in USD per share)."""

        horizon_ns: int = Field(1_000_000_000, ge=1, description="How long the limit parts rest.")
        under_penalty_usd: float = Field(0.02, ge=0, description="lambda_u: cost per share left unfilled.")
        over_penalty_usd: float = Field(0.02, ge=0, description="lambda_o: cost per share beyond the order.")
        impact_usd: float = Field(0.0, ge=0, description="theta: impact per share of orders shown.")
        prior_outflow_shares: float = Field(
            500.0, gt=0, description="Mean of the exponential prior of a queue's outflow over the horizon."
        )
        min_observations: int = Field(
            10, ge=1, description="Own observations at a venue before they replace the prior."
        )
        window: int = Field(200, ge=1, description="Most recent own observations kept per venue.")
        n_samples: int = Field(200, ge=1, description="Outflow samples per allocation.")
        n_iter: int = Field(1_000, ge=1, description="Stochastic-approximation steps per allocation.")
        seed: int = Field(0, ge=0, description="Seed of the router's own generator.")

    def on_start(self, ctx: RouterContext) -> None:
        """Reset observations and the generator."""
        super().on_start(ctx)
        self.rng = np.random.default_rng(self.params.seed)
        self.observed: dict[str, deque[float]] = {}

    def _new_state(self, parent: ParentOrder) -> _State:
        return _State(parent, parent.qty)

    def outflow_samples(self, venues: list[str]) -> NDArray[np.float64]:
        """``n_samples`` x ``len(venues)`` outflow samples: own observations once there are enough, else the prior."""
        n = self.params.n_samples
        cols = []
        for venue in venues:
            obs = self.observed.get(venue)
            if obs is not None and len(obs) >= self.params.min_observations:
                cols.append(self.rng.choice(np.fromiter(obs, dtype=float), size=n))
            else:
                cols.append(self.rng.exponential(self.params.prior_outflow_shares, size=n))
        return np.column_stack(cols) if cols else np.zeros((n, 0))

    def _start(self, state: Any) -> None:
        parent = state.parent
        side = parent.side
        s = sign(side)
        lit = trading(self.ctx.venues, parent.symbol, kind=VenueKind.LIT)
        quotes = {v.name: self.ctx.quote(v.name, parent.symbol) for v in lit}
        nears = [p for p in (near(q, side)[0] for q in quotes.values()) if p is not None]
        offers = self._offers(state)
        if not nears or not offers:
            self._route(state)  # nothing to queue behind, or nothing to take within the limit: best-price
            return
        best_near = max(nears, key=lambda p: s * p)
        far = min((o.price for o in offers), key=lambda p: s * p)
        if not within_limit(best_near, limit=parent.limit_price, side=side) or s * (far - best_near) <= 0:
            self._route(state)
            return
        names = [v.name for v in lit]
        queue = [near(quotes[n], side)[1] if near(quotes[n], side)[0] == best_near else 0 for n in names]
        top = offers[0]
        market, limits = optimal_allocation(
            state.leaves, queue,
            outflow_samples=self.outflow_samples(names),
            half_spread=abs(far - best_near) / 2 / PRICE_SCALE,
            take_fee=top.take_fee_micros / FEE_SCALE,
            rebates=[-v.fees.make_fee_micros / FEE_SCALE for v in lit],
            under_penalty=self.params.under_penalty_usd,
            over_penalty=self.params.over_penalty_usd,
            impact=self.params.impact_usd,
            seed=int(self.rng.integers(2**31)),
            n_iter=self.params.n_iter,
        )
        market = min(market, state.leaves)
        budget = state.leaves - market
        if sum(limits) > budget:  # no overfill: scale the limit parts down to what is left
            limits = split_by_weights(budget, [qty / sum(limits) for qty in limits])
        self._send(state, venue=top.venue, qty=market, price=top.price, tif=TimeInForce.IOC)
        for name, q, qty in zip(names, queue, limits, strict=True):
            child = self._send(state, venue=name, qty=qty, price=best_near, tif=TimeInForce.DAY, post_only=True)
            if child is not None:
                state.limits[child] = _Placement(name, q, qty)
        if not state.outstanding:
            self._route(state)
            return
        state.placing = True
        if state.limits:
            self.ctx.set_timer(self.params.horizon_ns, (_HORIZON, parent.parent_id))

    def _filled(self, state: Any, fill: ChildFill) -> None:
        placement = state.limits.get(fill.child_id)
        if placement is not None:
            placement.filled += fill.qty

    def on_reject(self, reject: ChildReject) -> None:
        """A refused limit part teaches nothing about its queue; then as ``best-price``."""
        state = self._parents.get(reject.parent_id)
        if state is not None:
            placement = state.limits.get(reject.child_id)
            if placement is not None and reject.child_id in state.outstanding:
                placement.refused = True
        super().on_reject(reject)

    def on_timer(self, token: object) -> None:
        """At the horizon, cancel the limit parts still open; other tokens as ``best-price``."""
        if isinstance(token, tuple) and len(token) == 2 and token[0] == _HORIZON:
            state = self._parents.get(token[1])
            if state is not None and state.placing:
                for child in sorted(state.outstanding & state.limits.keys()):
                    self.ctx.cancel(child)
            return
        super().on_timer(token)

    def _round_done(self, state: Any) -> None:
        if state.placing:
            state.placing = False
            for p in state.limits.values():
                if p.refused:
                    continue
                obs = self.observed.setdefault(p.venue, deque(maxlen=self.params.window))
                obs.append(float(p.queue + p.filled))
        self._route(state)
