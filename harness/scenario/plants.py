"""The ``[[plants]]`` of a scenario: liquidity placed at fixed prices and kept there (controlled experiments).

A plant is a resting order that a scenario places at the start of its window and re-places, whole, ``refresh_ms``
after it was last filled, so every parent order of the flow meets the same book. ``sorbench probe``
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

    @model_validator(mode="after")
    def _priced(self) -> PlantSpec:
        if (self.display == "midpoint") != (self.price_usd is None):
            raise _FieldError("price_usd", "a midpoint plant has no price; a displayed or hidden one needs one")
        return self
