"""Parent-order flows generated from the scenario's seed.

``flow.orders`` parents arrive at uniformly random nanoseconds in ``[start + warmup_s, end)`` (a Poisson process
conditioned on its count), on symbols drawn by ``symbol_weights``, buy with probability ``buy_share``. The intended
type is drawn from ``mix``: market orders have no limit; a marketable limit sits 1..``limit_offset_ticks_max`` ticks
*through* the efficient price (above it for a buy); a non-marketable limit sits as many ticks *behind* it. Whether a
limit order is actually marketable is decided by the NBBO when it arrives, not here. Sizes are lognormal (median
``median_shares``, log-sd ``size_sigma``), rounded to whole round lots with probability ``round_lot_share``, at least
one share and at most ``max_shares``. Everything comes from the ``("parents",)`` stream and the efficient prices'
exogenous paths (``exogenous_at``: without the flow's impact), which do not depend on the router: every router
receives the identical flow.

A flow from a CSV/Parquet file is read and checked by :mod:`harness.io.orders` (``load_parents``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from adapters.contract import ParentOrder
from harness.sim.streams import stream
from venues.types import OrdType, Side

_NS = 1_000_000_000


def generate_parents(scenario: Any, seed: int, values: Mapping[str, Any]) -> list[ParentOrder]:
    """The seed's parent orders; ``values`` maps symbol to its :class:`~harness.sim.background.EfficientPrice`."""
    flow = scenario.flow
    n = flow.orders
    if n == 0:
        return []
    rng = stream(seed, "parents")
    start = scenario.session.start_ns + int(flow.warmup_s * _NS)
    end = scenario.session.end_ns
    times = np.sort(rng.integers(start, end, size=n))
    names = [s.name for s in scenario.symbols]
    weights = np.array([(flow.symbol_weights or {}).get(s, 1.0 if flow.symbol_weights is None else 0.0) for s in names])
    sym_idx = rng.choice(len(names), size=n, p=weights / weights.sum())
    buys = rng.random(n) < flow.buy_share
    mix = np.array([flow.mix.market, flow.mix.marketable_limit, flow.mix.nonmarketable_limit])
    kinds = rng.choice(3, size=n, p=mix / mix.sum())
    offsets = rng.integers(1, flow.limit_offset_ticks_max, size=n, endpoint=True)
    sizes = np.exp(math.log(flow.median_shares) + flow.size_sigma * rng.standard_normal(n))
    rounded = rng.random(n) < flow.round_lot_share
    specs = {s.name: s for s in scenario.symbols}
    parents = []
    for i in range(n):
        sym = names[int(sym_idx[i])]
        spec = specs[sym]
        tick, lot = spec.tick, spec.round_lot
        qty = float(sizes[i])
        qty_i = max(lot, round(qty / lot) * lot) if rounded[i] else max(1, round(qty))
        qty_i = int(min(qty_i, flow.max_shares))
        t = int(times[i])
        side = Side.BUY if buys[i] else Side.SELL
        kind = int(kinds[i])
        limit: int | None = None
        if kind == 0:
            order_type = OrdType.MARKET
        else:
            order_type = OrdType.LIMIT
            v = values[sym].exogenous_at(t)  # the exogenous path: identical for every router
            k = int(offsets[i])
            up = math.ceil(v / tick) + k  # k ticks above the value
            down = math.floor(v / tick) - k  # k ticks below it
            if kind == 1:  # marketable: through the value
                limit = (up if side is Side.BUY else down) * tick
            else:  # non-marketable: behind it
                limit = (down if side is Side.BUY else up) * tick
            limit = max(limit, tick)
        parents.append(
            ParentOrder(parent_id=i + 1, symbol=sym, side=side, order_type=order_type, qty=qty_i,
                        limit_price=limit, arrival_ts_ns=t)
        )
    return parents

