"""The background market: a latent efficient price per symbol, market makers, and zero-intelligence liquidity flow.

Every parameter is in the scenario's ``[background]`` table (:mod:`harness.scenario.background`; see
docs/market-model.md). One module per participant, each describing its model:

* :mod:`~harness.sim.background.efficient_price`: the latent efficient price (exogenous walk and flow impact) and
  the intraday activity curve
* :mod:`~harness.sim.background.market_maker`: market makers quoting around the efficient price
* :mod:`~harness.sim.background.maker_reactions`: their event-driven re-quotes and fades (other venues' quote
  changes and trades, seen through delayed feeds)
* :mod:`~harness.sim.background.liquidity_flow`: zero-intelligence limit, cancel and market flow
* :mod:`~harness.sim.background.informed_trader`: informed traders taking stale quotes
* :mod:`~harness.sim.background.fast_trader`: latency arbitrageurs racing trades and locked or crossed quotes
* :mod:`~harness.sim.background.routing`: how takers route (NBBO venues first, ISO sweeps, wholesalers)
* :mod:`~harness.sim.background.dark_liquidity`: institutions and toxic flow in dark pools
* :mod:`~harness.sim.background.shared`: constants they share (sides, the draw batch size)

Common random numbers
    Every event draws the same fixed set of numbers from its component's stream whatever the book looks like, so the
    streams stay aligned across routers: two routers face the same arrivals, sides, sizes and lifetimes, differing
    only where their own orders changed the books.
"""

from __future__ import annotations

from harness.sim.background.dark_liquidity import DarkLiquidity
from harness.sim.background.efficient_price import ActivityCurve, EfficientPrice, Impact
from harness.sim.background.fast_trader import FastTrader
from harness.sim.background.informed_trader import InformedTrader
from harness.sim.background.liquidity_flow import LiquidityFlow
from harness.sim.background.market_maker import MarketMaker
from harness.sim.background.routing import TakerRouter

__all__ = [
    "ActivityCurve",
    "DarkLiquidity",
    "EfficientPrice",
    "FastTrader",
    "Impact",
    "InformedTrader",
    "LiquidityFlow",
    "MarketMaker",
    "TakerRouter",
]
