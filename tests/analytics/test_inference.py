"""Seed-level inference: t intervals over per-seed values, the minimum-seed rule, and the power analysis."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.analytics.inference import (
    MIN_SEEDS,
    min_detectable_difference,
    seed_interval,
    seeds_needed,
    too_few_seeds,
)


def test_known_interval() -> None:
    # values 1..5: mean 3, sd sqrt(10/4) = 1.58114, se = 0.70711, t(0.975, 4) = 2.77645 -> half-width 1.96324
    iv = seed_interval([1, 2, 3, 4, 5])
    assert iv.mean == 3 and iv.seeds == 5 and iv.verdict
    assert iv.low == pytest.approx(1.03676, abs=1e-5) and iv.high == pytest.approx(4.96324, abs=1e-5)
    assert iv.zero_excluded


def test_nan_values_are_dropped() -> None:
    assert seed_interval([1, 2, math.nan, 3, 4, 5]).seeds == 5


def test_below_the_minimum_no_interval_and_no_verdict() -> None:
    iv = seed_interval([10.0, 11.0, 12.0, 13.0])  # far from zero, but 4 seeds
    assert not iv.verdict and math.isnan(iv.low) and math.isnan(iv.high) and not iv.zero_excluded
    assert iv.mean == 11.5
    assert too_few_seeds(4) == f"too few seeds for a verdict (4; need {MIN_SEEDS})"


def test_identical_values_give_a_point_interval() -> None:
    iv = seed_interval([0.5] * 6)
    assert iv.low == iv.high == 0.5 and iv.zero_excluded


@pytest.mark.parametrize("n", [5, 8, 20])
def test_coverage_is_near_the_stated_level(n: int) -> None:
    # A/A by simulation: per-seed values drawn around a true mean of 0 (normal, as per-seed means of many orders are);
    # the 95% t interval must exclude zero about 5% of the time. 4,000 sets give a standard error of
    # sqrt(0.05 * 0.95 / 4000) = 0.0034 on the rate.
    rng = np.random.default_rng(20261203 + n)
    rejections = sum(seed_interval(rng.normal(0, 1, n)).zero_excluded for _ in range(4000))
    assert 0.035 <= rejections / 4000 <= 0.065


def test_known_effect_is_found_with_its_sign_and_size() -> None:
    # a true difference of +500 with per-seed sd 200 over 10 seeds: se 63, so the interval is about 500 +- 143 and the
    # estimate is within 150 (2.4 se) of 500 about 98% of the time
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(200):
        iv = seed_interval(rng.normal(500, 200, 10))
        hits += iv.zero_excluded and iv.low > 0 and abs(iv.mean - 500) <= 150
    assert hits >= 190


def test_power_analysis_known_answers() -> None:
    # sd 1, 16 seeds: (t(0.975, 15) + z(0.8)) / sqrt(16) = (2.13145 + 0.84162) / 4 = 0.74327
    assert min_detectable_difference(1.0, 16) == pytest.approx(0.74327, abs=1e-5)
    assert seeds_needed(1.0, 0.7433) == 16 and seeds_needed(1.0, 0.7432) == 17
    assert math.isnan(min_detectable_difference(1.0, 1)) and seeds_needed(math.nan, 1.0) == 0


def test_interval_width_shrinks_like_one_over_root_seeds() -> None:
    # the half-width is t * sd / sqrt(n): from 8 to 32 seeds it falls by t(7)/t(31) * 2 = 2.3646 / 2.0395 * 2 = 2.319
    rng = np.random.default_rng(3)
    w8 = np.median([np.subtract(*reversed([(iv := seed_interval(rng.normal(0, 1, 8))).low, iv.high]))
                    for _ in range(2000)])
    w32 = np.median([np.subtract(*reversed([(iv := seed_interval(rng.normal(0, 1, 32))).low, iv.high]))
                     for _ in range(2000)])
    assert w8 / w32 == pytest.approx(2.319, rel=0.08)
