"""The ``[[plants]]`` of a scenario: liquidity placed at fixed prices and kept there (controlled experiments).

A plant is a resting order that a scenario places at the start of its window (or ``start_ms`` later) and re-places,
whole, ``refresh_ms`` after it was last filled, so every parent order of the flow meets the same book. With
``life_ms`` it is cancelled that long after each placing; with ``every_ms`` it is placed afresh at that period (an
offer that comes and goes: a refresh after a fill never outlives the placing's life). ``sorbench probe``
(:mod:`harness.workflows.probe`) builds its experiments from plants in a market whose other participants are switched
off; a plant in an ordinary scenario simply adds that standing liquidity to the background market.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from harness.scenario.strict import _FieldError, _Strict


class PlantSpec(_Strict):
    """One standing order: ``qty`` shares on ``side`` of ``symbol`` at ``venue``.

    ``display``: ``displayed`` (a plain limit order at ``price_usd``), ``hidden`` (a non-displayed limit order at
    ``price_usd``: it trades but is never quoted), or ``midpoint`` (no price: a dark pool's midpoint order, or a
    midpoint-pegged order on a lit venue that supports pegs).
    """

    venue: str
    symbol: str
    side: Literal["buy", "sell"]
    qty: int = Field(gt=0, le=100_000_000, description="Shares.")
    price_usd: float | None = Field(None, gt=0, le=1_000_000, description="Limit price, USD (none for midpoint).")
    display: Literal["displayed", "hidden", "midpoint"] = "displayed"
    refresh_ms: float = Field(50.0, gt=0, le=3_600_000, description="Re-placed whole this long after a fill, ms.")
    start_ms: float = Field(0.0, ge=0, le=86_400_000, description="First placed this long after the window starts.")
    life_ms: float | None = Field(None, gt=0, le=86_400_000, description="Cancelled this long after each placing.")
    every_ms: float | None = Field(None, gt=0, le=86_400_000, description="Placed afresh this often (a cycle).")

    @model_validator(mode="after")
    def _priced(self) -> PlantSpec:
        if (self.display == "midpoint") != (self.price_usd is None):
            raise _FieldError("price_usd", "a midpoint plant has no price; a displayed or hidden one needs one")
        if self.every_ms is not None and (self.life_ms is None or self.life_ms >= self.every_ms):
            raise _FieldError("life_ms", "a cycling plant (every_ms) needs a life_ms shorter than its cycle")
        return self
