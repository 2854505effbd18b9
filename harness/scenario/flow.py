"""The ``[flow]`` table of a scenario: the parent orders replayed to every router, generated or read from a file."""

from __future__ import annotations

from pydantic import Field, model_validator

from harness.scenario.strict import _Strict


class OrderMix(_Strict):
    """Intended mix of parent order types (marketability is decided by the NBBO at arrival)."""

    market: float = Field(0.4, ge=0)
    marketable_limit: float = Field(0.3, ge=0)
    nonmarketable_limit: float = Field(0.3, ge=0)

    @model_validator(mode="after")
    def _some(self) -> OrderMix:
        if self.market + self.marketable_limit + self.nonmarketable_limit <= 0:
            raise ValueError("the order mix weights are all zero")
        return self


class FlowSpec(_Strict):
    """The parent-order flow replayed to every router: generated from the seed, or read from a file."""

    file: str | None = Field(None, description="CSV or Parquet of parent orders, relative to the scenario file.")
    orders: int = Field(200, ge=0, le=10_000_000)
    warmup_s: float = Field(20.0, ge=0, description="No parent arrives in the first warmup_s of the window.")
    buy_share: float = Field(0.5, ge=0, le=1)
    mix: OrderMix = OrderMix()
    median_shares: float = Field(300.0, gt=0, le=10_000_000)
    size_sigma: float = Field(1.0, ge=0, le=5)
    max_shares: int = Field(10_000, gt=0, le=100_000_000)
    round_lot_share: float = Field(0.7, ge=0, le=1, description="Share of parents rounded to whole round lots.")
    limit_offset_ticks_max: int = Field(3, ge=1, le=1000, description="Limits sit 1..max ticks from the touch.")
    symbol_weights: dict[str, float] | None = Field(None, description="Relative share of parents per symbol.")
