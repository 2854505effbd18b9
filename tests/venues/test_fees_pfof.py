"""Payment for order flow in the fee schedule and the split of a fill into fee, rebate and PFOF."""

from __future__ import annotations

import pytest

from venues.fees import FeeSchedule, FeeSplit
from venues.types import Liquidity

ADDED, REMOVED = Liquidity.ADDED, Liquidity.REMOVED


def test_pfof_defaults_to_zero_and_from_usd_takes_it_in_whole_micro_dollars() -> None:
    assert FeeSchedule(3000, -2900).pfof_micros == 0
    fees = FeeSchedule.from_usd(take_usd=0.0, make_usd=0.0, pfof_usd=0.0035)
    assert (fees.pfof_micros, fees.pfof_usd) == (3500, pytest.approx(0.0035))


@pytest.mark.parametrize("pfof_usd", [-0.001, 0.0000005])
def test_negative_or_sub_micro_pfof_is_refused(pfof_usd: float) -> None:
    with pytest.raises(ValueError, match="pfof_usd"):
        FeeSchedule.from_usd(take_usd=0.0, make_usd=0.0, pfof_usd=pfof_usd)
    with pytest.raises(ValueError, match="pfof_micros"):
        FeeSchedule(0, 0, -1)


def test_split_puts_a_positive_rate_in_fee_a_negative_one_in_rebate_and_pfof_only_on_removing_flow() -> None:
    maker_taker = FeeSchedule.from_usd(take_usd=0.0030, make_usd=-0.0029)
    assert maker_taker.split(REMOVED, 100) == FeeSplit(300_000, 0, 0)  # 100 x $0.0030 charged
    assert maker_taker.split(ADDED, 100) == FeeSplit(0, 290_000, 0)  # 100 x $0.0029 paid
    inverted = FeeSchedule.from_usd(take_usd=-0.0002, make_usd=0.0003)
    assert inverted.split(REMOVED, 10) == FeeSplit(0, 2_000, 0)
    wholesaler = FeeSchedule.from_usd(take_usd=0.0, make_usd=0.0, pfof_usd=0.004)
    assert wholesaler.split(REMOVED, 250) == FeeSplit(0, 0, 1_000_000)  # 250 x $0.004 = $1.00
    assert wholesaler.split(ADDED, 250) == FeeSplit(0, 0, 0)


def test_existing_fee_amounts_are_unchanged_by_pfof() -> None:
    fees = FeeSchedule.from_usd(take_usd=0.001, make_usd=0.0, pfof_usd=0.003)
    assert fees.fee_micros(REMOVED, 10) == 10_000
