"""Tests of per-share fee schedules: construction from USD rates, model detection and fee amounts."""

from __future__ import annotations

import pytest

from venues.fees import FeeModel, FeeSchedule
from venues.types import Liquidity

ADDED, REMOVED = Liquidity.ADDED, Liquidity.REMOVED


def test_from_usd_converts_to_whole_micro_dollars() -> None:
    """USD-per-share rates become integer micro-dollars: $0.0030 is 3000, -$0.0029 is -2900."""
    fees = FeeSchedule.from_usd(take_usd=0.0030, make_usd=-0.0029)
    assert (fees.take_fee_micros, fees.make_fee_micros) == (3000, -2900)
    assert isinstance(fees.take_fee_micros, int)
    assert isinstance(fees.make_fee_micros, int)


def test_usd_properties_round_trip() -> None:
    """take_usd and make_usd give back the USD rates the schedule was built from."""
    fees = FeeSchedule.from_usd(take_usd=0.0030, make_usd=-0.0029)
    assert fees.take_usd == pytest.approx(0.0030, abs=1e-12)
    assert fees.make_usd == pytest.approx(-0.0029, abs=1e-12)


def test_one_micro_dollar_is_accepted() -> None:
    """The finest accepted rate is one micro-dollar per share."""
    fees = FeeSchedule.from_usd(take_usd=0.000001, make_usd=-0.000001)
    assert (fees.take_fee_micros, fees.make_fee_micros) == (1, -1)


@pytest.mark.parametrize(
    ("take_usd", "make_usd", "bad_field"),
    [
        (0.0000005, 0.0, "take_usd"),  # half a micro-dollar
        (0.00300001, -0.0029, "take_usd"),  # 3000.01 micro-dollars
        (0.0030, -0.00290004, "make_usd"),  # -2900.04 micro-dollars
        (0.0030, 0.0000001, "make_usd"),  # a tenth of a micro-dollar
    ],
)
def test_sub_micro_dollar_rates_are_rejected(take_usd: float, make_usd: float, bad_field: str) -> None:
    """A rate finer than one micro-dollar per share is an error naming the offending field."""
    with pytest.raises(ValueError, match=bad_field):
        FeeSchedule.from_usd(take_usd=take_usd, make_usd=make_usd)


@pytest.mark.parametrize(
    ("take_usd", "make_usd", "model"),
    [
        (0.0030, -0.0029, FeeModel.MAKER_TAKER),  # taker charged, maker paid a rebate
        (-0.0002, 0.0003, FeeModel.INVERTED),  # taker paid, maker charged
        (0.0010, 0.0010, FeeModel.FLAT),  # same charge either way
        (0.0, 0.0, FeeModel.FLAT),  # free
    ],
)
def test_model_is_detected_from_the_signs_of_the_rates(take_usd: float, make_usd: float, model: FeeModel) -> None:
    """Taker charge + maker rebate is maker-taker; taker rebate + maker charge is inverted; equal rates are flat."""
    assert FeeSchedule.from_usd(take_usd=take_usd, make_usd=make_usd).model is model


def test_maker_taker_fees_charge_the_taker_and_pay_the_maker() -> None:
    """On a maker-taker venue the taker's fee is positive (a charge) and the maker's negative (a rebate)."""
    fees = FeeSchedule.from_usd(take_usd=0.0030, make_usd=-0.0029)
    # Taker: 100 shares x 3000 micros = 300,000 micros = $0.30 charged.
    assert fees.fee_micros(REMOVED, 100) == 300_000
    # Maker: 100 shares x -2900 micros = -290,000 micros = $0.29 rebated.
    assert fees.fee_micros(ADDED, 100) == -290_000


def test_inverted_fees_pay_the_taker_and_charge_the_maker() -> None:
    """On an inverted venue the taker's fee is negative (a rebate) and the maker's positive (a charge)."""
    fees = FeeSchedule.from_usd(take_usd=-0.0002, make_usd=0.0003)
    # Taker: 250 shares x -200 micros = -50,000 micros = $0.05 rebated.
    assert fees.fee_micros(REMOVED, 250) == -50_000
    # Maker: 250 shares x 300 micros = 75,000 micros = $0.075 charged.
    assert fees.fee_micros(ADDED, 250) == 75_000


def test_fee_of_zero_shares_is_zero() -> None:
    """No shares, no fee, whatever the liquidity flag."""
    fees = FeeSchedule(take_fee_micros=3000, make_fee_micros=-2900)
    assert fees.fee_micros(REMOVED, 0) == 0
    assert fees.fee_micros(ADDED, 0) == 0
