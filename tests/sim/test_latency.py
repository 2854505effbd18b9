"""Latency models draw what they document; links deliver in order and give monotone views."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from harness.scenario.latency import ConstantLatencySpec, EmpiricalLatencySpec, LognormalLatencySpec, NormalLatencySpec
from harness.sim.latency import (
    ConstantLatency,
    EmpiricalLatency,
    LatencyModel,
    Link,
    LognormalLatency,
    TruncatedNormalLatency,
    model_from_spec,
)

N = 20_000


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _phi(x: float) -> float:
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _Phi(x: float) -> float:  # noqa: N802 - the usual name of the normal CDF
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


# ------------------------------------------------------------------------------------------------------------ models
def test_constant_draws_are_exactly_the_constant():
    """ConstantLatency(ns) always draws ns, as int64, and reports itself constant."""
    m = ConstantLatency(1_234)
    x = m.sample(rng(), 1_000)
    assert x.dtype == np.int64
    assert (x == 1_234).all()
    assert m.constant_ns == 1_234


def test_truncated_normal_never_below_min_and_mean_matches_the_truncated_distribution():
    """Normal(1000, 400) truncated at 600 (redrawn, not clipped): mean 1115.0, within 5 standard errors.

    Working: alpha = (600 - 1000) / 400 = -1; lambda = phi(-1) / (1 - Phi(-1)) = 0.24197 / 0.84134 = 0.28760.
    Mean = 1000 + 400 * 0.28760 = 1115.04. Variance = 400^2 * (1 + alpha * lambda - lambda^2) = 160000 * 0.62969,
    sd = 317.4, so the standard error of the mean of 20k draws is 317.4 / sqrt(20000) = 2.24 ns (rounding each draw
    to an integer moves the mean by far less than that). Clipping instead of redrawing would give a mean of ~1042.
    """
    mean, sd, lo = 1_000.0, 400.0, 600
    x = TruncatedNormalLatency(mean, sd, min_ns=lo).sample(rng(1), N)
    assert x.min() >= lo
    alpha = (lo - mean) / sd
    lam = _phi(alpha) / (1 - _Phi(alpha))
    expected = mean + sd * lam
    se = sd * math.sqrt(1 + alpha * lam - lam * lam) / math.sqrt(N)
    assert expected == pytest.approx(1_115.04, abs=0.05)
    assert abs(x.mean() - expected) < 5 * se


def test_truncated_normal_far_from_its_bound_keeps_its_mean():
    """Normal(150 us, 20 us) truncated at 0: mean 150 us within 5 standard errors (20000 / sqrt(20000) = 141 ns)."""
    x = TruncatedNormalLatency(150_000, 20_000).sample(rng(2), N)
    assert x.min() >= 0
    assert abs(x.mean() - 150_000) < 5 * 20_000 / math.sqrt(N)


def test_lognormal_median_is_min_plus_median():
    """min_ns + median_ns * exp(sigma Z): median of the draws 50 us + 150 us = 200 us, within 5 standard errors.

    Working: the density of median_ns * exp(sigma Z) at its median m is f = 1 / (m sigma sqrt(2 pi)) =
    1 / (150000 * 0.25 * 2.5066) = 1.064e-5 per ns; the standard error of a sample median is 1 / (2 f sqrt(n)) =
    1 / (2 * 1.064e-5 * 141.4) = 332 ns.
    """
    median, sigma, lo = 150_000, 0.25, 50_000
    x = LognormalLatency(median, sigma, min_ns=lo).sample(rng(3), N)
    assert x.min() >= lo
    f = 1 / (median * sigma * math.sqrt(2 * math.pi))
    se = 1 / (2 * f * math.sqrt(N))
    assert abs(np.median(x) - (lo + median)) < 5 * se
    # The tail is to the right: the mean exceeds the median by median * (exp(sigma^2 / 2) - 1) = 4.8 us.
    assert x.mean() > np.median(x)


def test_empirical_draws_only_from_the_samples_and_uses_all_of_them():
    """Every draw is one of the samples; with 20k draws each of 5 samples appears (uniformly, ~4000 times each)."""
    samples = [100, 250, 250_000, 7, 31_337]
    x = EmpiricalLatency(samples).sample(rng(4), N)
    assert set(x.tolist()) == set(samples)
    counts = np.array([(x == s).sum() for s in samples])
    # Binomial(20000, 1/5): sd = sqrt(20000 * 0.2 * 0.8) = 56.6; 6 sd = 340.
    assert (np.abs(counts - N / 5) < 340).all()


@pytest.mark.parametrize(
    "model",
    [
        ConstantLatency(1_000, jitter_ns=50),
        EmpiricalLatency([1_000], jitter_ns=50),
    ],
    ids=["constant", "empirical"],
)
def test_jitter_adds_between_zero_and_jitter_ns_inclusive(model: LatencyModel):
    """A 1000 ns model with jitter 50 draws in [1000, 1050], reaching both ends (uniform on 51 integers)."""
    x = model.sample(rng(5), N)
    extra = x - 1_000
    assert extra.min() == 0
    assert extra.max() == 50
    assert len(set(extra.tolist())) == 51
    assert model.constant_ns is None  # jitter makes any model random


def test_jitter_on_a_random_model_shifts_its_mean_by_half_the_jitter():
    """Truncated normal (mean 10 us, sd 1 us) + jitter 2000: mean 11 us (10000 + 2000/2) within 5 standard errors.

    Working: variance = 1000^2 + (2001^2 - 1) / 12 = 1e6 + 333667, sd = 1155 ns, standard error 8.2 ns.
    """
    x = TruncatedNormalLatency(10_000, 1_000, jitter_ns=2_000).sample(rng(6), N)
    se = math.sqrt(1_000**2 + (2_001**2 - 1) / 12) / math.sqrt(N)
    assert abs(x.mean() - 11_000) < 5 * se


@pytest.mark.parametrize(
    "make",
    [
        lambda: ConstantLatency(-1),
        lambda: ConstantLatency(1, jitter_ns=-1),
        lambda: TruncatedNormalLatency(10, -1),
        lambda: LognormalLatency(0, 0.2),
        lambda: LognormalLatency(10, -0.1),
        lambda: EmpiricalLatency([]),
        lambda: EmpiricalLatency([5, -1]),
    ],
)
def test_invalid_model_parameters_are_refused(make):
    """Negative delays, jitter, sd or sigma, a non-positive median and empty or negative samples are errors."""
    with pytest.raises(ValueError):
        make()


def test_model_from_spec_builds_each_scenario_model():
    """Each scenario latency table becomes the matching model with its parameters."""
    c = model_from_spec(ConstantLatencySpec(model="constant", ns=5, jitter_ns=2))
    assert isinstance(c, ConstantLatency) and (c.ns, c.jitter_ns) == (5, 2)
    n = model_from_spec(NormalLatencySpec(model="normal", mean_ns=100, sd_ns=10, min_ns=80))
    assert isinstance(n, TruncatedNormalLatency) and (n.mean_ns, n.sd_ns, n.min_ns) == (100, 10, 80)
    ln = model_from_spec(LognormalLatencySpec(model="lognormal", median_ns=100, sigma=0.5, min_ns=3))
    assert isinstance(ln, LognormalLatency) and (ln.median_ns, ln.sigma, ln.min_ns) == (100, 0.5, 3)
    e = model_from_spec(EmpiricalLatencySpec(model="empirical", samples_ns=[3, 4]))
    assert isinstance(e, EmpiricalLatency) and e.samples.tolist() == [3, 4]


# ------------------------------------------------------------------------------------------------------------- links
def _raw_delays(model: LatencyModel, seed: int, n: int) -> list[int]:
    """What a Link with ``default_rng(seed)`` draws, batch by batch (a Link samples 512 at a time)."""
    g = rng(seed)
    out: list[int] = []
    while len(out) < n:
        out += model.sample(g, 512).tolist()
    return out[:n]


def test_deliver_at_is_in_order_even_when_latencies_would_reorder_messages():
    """Arrival = max(send + delay, previous arrival): messages never overtake, though raw delays would reorder them."""
    model = LognormalLatency(50_000, 2.0)  # very high variance: many later messages would arrive first
    link = Link(model, rng(7))
    sends = [i * 1_000 for i in range(3_000)]
    arrivals = [link.deliver_at(t) for t in sends]
    raw = [t + d for t, d in zip(sends, _raw_delays(model, 7, len(sends)), strict=True)]
    would_overtake = sum(raw[i] < max(raw[:i]) for i in range(1, 300))
    assert would_overtake > 10  # the model really would reorder messages
    assert all(b >= a for a, b in itertools.pairwise(arrivals))
    assert arrivals == list(np.maximum.accumulate(raw))
    assert all(a >= t for a, t in zip(arrivals, sends, strict=True))


def test_view_time_is_monotone_and_never_in_the_future():
    """view_time(now) = max(now - delay, previous view): it never goes backwards and never exceeds now."""
    model = LognormalLatency(50_000, 2.0)
    link = Link(model, rng(8))
    nows = [1_000_000_000 + i * 1_000 for i in range(3_000)]
    views = [link.view_time(t) for t in nows]
    raw = [t - d for t, d in zip(nows, _raw_delays(model, 8, len(nows)), strict=True)]
    assert any(raw[i] < raw[i - 1] for i in range(1, len(raw)))  # unclamped views would go backwards
    assert views == list(np.maximum.accumulate(raw))
    assert all(v <= t for v, t in zip(views, nows, strict=True))


def test_constant_link_needs_no_stream_and_adds_exactly_its_delay():
    """A constant link works without a stream: arrival = send + ns, view = now - ns."""
    link = Link(ConstantLatency(300), None)
    assert [link.deliver_at(t) for t in (0, 10, 10, 500)] == [300, 310, 310, 800]
    assert [link.view_time(t) for t in (1_000, 2_000)] == [700, 1_700]


def test_a_random_link_needs_a_stream():
    """A random model without a stream is refused when the link is built."""
    with pytest.raises(ValueError, match="stream"):
        Link(LognormalLatency(100, 0.5), None)


def test_link_draws_are_reproducible_from_its_stream():
    """Two links with equal streams give the same delays; another seed gives others."""
    model = TruncatedNormalLatency(100_000, 30_000)
    a, b, c = Link(model, rng(9)), Link(model, rng(9)), Link(model, rng(10))
    da = [a.delay() for _ in range(1_500)]
    assert da == [b.delay() for _ in range(1_500)]
    assert da != [c.delay() for _ in range(1_500)]
