"""Per-share fee schedules by liquidity flag (maker-taker, inverted, flat).

Amounts are integer micro-dollars (1e-6 USD) per share. A positive amount is a charge to the participant; a negative
amount is a rebate paid to it. On a maker-taker venue the taker pays and the maker is paid; on an inverted
(taker-maker) venue the taker is paid and the maker pays.

Payment for order flow (PFOF) is kept apart from fees: it is what a wholesaler pays the *broker* (the router's firm)
per share of marketable flow it fills, never a charge, and it accrues to the broker, not to the customer whose order
it was. :meth:`FeeSchedule.split` separates the three amounts of a fill so that reports can show them side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from venues.types import FEE_SCALE, Liquidity


class FeeModel(Enum):
    """Shape of a venue's pricing."""

    MAKER_TAKER = "maker-taker"
    INVERTED = "inverted"
    FLAT = "flat"


class FeeSplit(NamedTuple):
    """A fill's money flows, each a non-negative total in micro-dollars (see :meth:`FeeSchedule.split`)."""

    fee_micros: int
    """Fee charged to the participant."""
    rebate_micros: int
    """Rebate paid to the participant."""
    pfof_micros: int
    """Payment for order flow paid to the participant's broker."""


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """Per-share fee by liquidity flag, in micro-dollars per share (positive: charge, negative: rebate).

    ``pfof_micros`` is the payment for order flow per share a wholesaler pays the broker for marketable (removing)
    flow it fills; 0 for exchanges and dark pools. It must not be negative.
    """

    take_fee_micros: int
    make_fee_micros: int
    pfof_micros: int = 0

    def __post_init__(self) -> None:
        if self.pfof_micros < 0:
            raise ValueError(f"pfof_micros must be >= 0, got {self.pfof_micros}")

    @property
    def model(self) -> FeeModel:
        """Which pricing shape the two rates describe."""
        if self.take_fee_micros > 0 and self.make_fee_micros < 0:
            return FeeModel.MAKER_TAKER
        if self.take_fee_micros < 0 and self.make_fee_micros > 0:
            return FeeModel.INVERTED
        return FeeModel.FLAT

    @classmethod
    def from_usd(cls, *, take_usd: float, make_usd: float, pfof_usd: float = 0.0) -> FeeSchedule:
        """Build from USD-per-share rates; they must be whole micro-dollars (and ``pfof_usd >= 0``)."""
        take = round(take_usd * FEE_SCALE)
        make = round(make_usd * FEE_SCALE)
        pfof = round(pfof_usd * FEE_SCALE)
        rates = (("take_usd", take_usd, take), ("make_usd", make_usd, make), ("pfof_usd", pfof_usd, pfof))
        for name, usd, micros in rates:
            if abs(usd * FEE_SCALE - micros) > 1e-6:
                raise ValueError(f"{name}={usd!r} is finer than one micro-dollar per share")
        if pfof < 0:
            raise ValueError(f"pfof_usd={pfof_usd!r} must not be negative")
        return cls(take_fee_micros=take, make_fee_micros=make, pfof_micros=pfof)

    def fee_micros(self, liquidity: Liquidity, qty: int) -> int:
        """Total fee in micro-dollars for ``qty`` shares with the given liquidity flag (negative: rebate)."""
        rate = self.take_fee_micros if liquidity is Liquidity.REMOVED else self.make_fee_micros
        return rate * qty

    def split(self, liquidity: Liquidity, qty: int) -> FeeSplit:
        """A fill of ``qty`` shares as (fee charged, rebate paid, PFOF paid to the broker), all ``>= 0``, micro-dollars.

        The fee or rebate follows the liquidity flag's rate (a positive rate is a fee, a negative one a rebate). PFOF
        is paid only on removing (marketable) flow. The participant's net cost is ``fee - rebate``; the broker
        receives ``pfof`` on top.
        """
        rate = self.take_fee_micros if liquidity is Liquidity.REMOVED else self.make_fee_micros
        amount = rate * qty
        pfof = self.pfof_micros * qty if liquidity is Liquidity.REMOVED else 0
        return FeeSplit(amount if amount > 0 else 0, -amount if amount < 0 else 0, pfof)

    @property
    def pfof_usd(self) -> float:
        """Payment for order flow in USD per share."""
        return self.pfof_micros / FEE_SCALE

    @property
    def take_usd(self) -> float:
        """Taker rate in USD per share."""
        return self.take_fee_micros / FEE_SCALE

    @property
    def make_usd(self) -> float:
        """Maker rate in USD per share."""
        return self.make_fee_micros / FEE_SCALE
