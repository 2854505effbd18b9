"""Per-share fee schedules by liquidity flag (maker-taker, inverted, flat).

Amounts are integer micro-dollars (1e-6 USD) per share. A positive amount is a charge to the participant; a negative
amount is a rebate paid to it. On a maker-taker venue the taker pays and the maker is paid; on an inverted
(taker-maker) venue the taker is paid and the maker pays.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from venues.types import FEE_SCALE, Liquidity


class FeeModel(Enum):
    """Shape of a venue's pricing."""

    MAKER_TAKER = "maker-taker"
    INVERTED = "inverted"
    FLAT = "flat"


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """Per-share fee by liquidity flag, in micro-dollars per share (positive: charge, negative: rebate)."""

    take_fee_micros: int
    make_fee_micros: int

    @property
    def model(self) -> FeeModel:
        """Which pricing shape the two rates describe."""
        if self.take_fee_micros > 0 and self.make_fee_micros < 0:
            return FeeModel.MAKER_TAKER
        if self.take_fee_micros < 0 and self.make_fee_micros > 0:
            return FeeModel.INVERTED
        return FeeModel.FLAT

    @classmethod
    def from_usd(cls, *, take_usd: float, make_usd: float) -> FeeSchedule:
        """Build from USD-per-share rates; they must be whole micro-dollars."""
        take = round(take_usd * FEE_SCALE)
        make = round(make_usd * FEE_SCALE)
        for name, usd, micros in (("take_usd", take_usd, take), ("make_usd", make_usd, make)):
            if abs(usd * FEE_SCALE - micros) > 1e-6:
                raise ValueError(f"{name}={usd!r} is finer than one micro-dollar per share")
        return cls(take_fee_micros=take, make_fee_micros=make)

    def fee_micros(self, liquidity: Liquidity, qty: int) -> int:
        """Total fee in micro-dollars for ``qty`` shares with the given liquidity flag (negative: rebate)."""
        rate = self.take_fee_micros if liquidity is Liquidity.REMOVED else self.make_fee_micros
        return rate * qty

    @property
    def take_usd(self) -> float:
        """Taker rate in USD per share."""
        return self.take_fee_micros / FEE_SCALE

    @property
    def make_usd(self) -> float:
        """Maker rate in USD per share."""
        return self.make_fee_micros / FEE_SCALE
