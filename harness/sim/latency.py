"""Latency models and links.

A :class:`Link` is one direction of one (participant, venue) connection. It draws each message's latency from its
model, in batches, from its own random stream, and it delivers in order: a message never overtakes one sent earlier
on the same link (sequenced TCP sessions and multicast feeds behave so). For market-data *views* the link gives the
time as of which the subscriber sees the venue now (``now - latency``), never going backwards.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from itertools import chain, repeat
from typing import Any

import numpy as np

_BATCH = 512


class LatencyModel(ABC):
    """A distribution of one-way delays in integer nanoseconds."""

    def __init__(self, *, jitter_ns: int = 0) -> None:
        if jitter_ns < 0:
            raise ValueError("jitter_ns must be >= 0")
        self.jitter_ns = jitter_ns

    @abstractmethod
    def _base(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws before jitter, as float or int arrays."""

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` delays in ns (int64, >= 0)."""
        x = np.rint(self._base(rng, n)).astype(np.int64)
        if self.jitter_ns:
            x += rng.integers(0, self.jitter_ns, size=n, endpoint=True)
        return np.maximum(x, 0)

    @property
    def constant_ns(self) -> int | None:
        """The delay when it is always the same, else ``None``."""
        return None


class ConstantLatency(LatencyModel):
    """Always ``ns``."""

    def __init__(self, ns: int, *, jitter_ns: int = 0) -> None:
        super().__init__(jitter_ns=jitter_ns)
        if ns < 0:
            raise ValueError("ns must be >= 0")
        self.ns = ns

    def _base(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.ns, dtype=np.int64)

    @property
    def constant_ns(self) -> int | None:
        """``ns`` when there is no jitter."""
        return None if self.jitter_ns else self.ns


class TruncatedNormalLatency(LatencyModel):
    """Normal(mean, sd) truncated below at ``min_ns``: draws below the bound are redrawn."""

    def __init__(self, mean_ns: float, sd_ns: float, *, min_ns: int = 0, jitter_ns: int = 0) -> None:
        super().__init__(jitter_ns=jitter_ns)
        if sd_ns < 0:
            raise ValueError("sd_ns must be >= 0")
        self.mean_ns, self.sd_ns, self.min_ns = mean_ns, sd_ns, min_ns

    def _base(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = rng.normal(self.mean_ns, self.sd_ns, size=n)
        bad = out < self.min_ns
        while bad.any():  # rejection sampling; the schema keeps the bound within 6 sd of the mean
            out[bad] = rng.normal(self.mean_ns, self.sd_ns, size=int(bad.sum()))
            bad = out < self.min_ns
        return out


class LognormalLatency(LatencyModel):
    """``min_ns + median_ns * exp(sigma * Z)``."""

    def __init__(self, median_ns: float, sigma: float, *, min_ns: int = 0, jitter_ns: int = 0) -> None:
        super().__init__(jitter_ns=jitter_ns)
        if median_ns <= 0 or sigma < 0:
            raise ValueError("median_ns must be > 0 and sigma >= 0")
        self.median_ns, self.sigma, self.min_ns = median_ns, sigma, min_ns

    def _base(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.min_ns + self.median_ns * np.exp(self.sigma * rng.standard_normal(n))


class EmpiricalLatency(LatencyModel):
    """Uniform draws from measured samples."""

    def __init__(self, samples_ns: Sequence[int], *, jitter_ns: int = 0) -> None:
        super().__init__(jitter_ns=jitter_ns)
        if len(samples_ns) == 0 or min(samples_ns) < 0:
            raise ValueError("samples_ns must be non-empty and >= 0")
        self.samples = np.asarray(samples_ns, dtype=np.int64)

    def _base(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.samples[rng.integers(0, len(self.samples), size=n)]


def model_from_spec(spec: Any) -> LatencyModel:
    """Build a model from a scenario latency table (see :mod:`harness.scenario.schema`)."""
    kind = spec.model
    jitter = spec.jitter_ns
    if kind == "constant":
        return ConstantLatency(spec.ns, jitter_ns=jitter)
    if kind == "normal":
        return TruncatedNormalLatency(spec.mean_ns, spec.sd_ns, min_ns=spec.min_ns, jitter_ns=jitter)
    if kind == "lognormal":
        return LognormalLatency(spec.median_ns, spec.sigma, min_ns=spec.min_ns, jitter_ns=jitter)
    if kind == "empirical":
        return EmpiricalLatency(spec.samples_ns, jitter_ns=jitter)
    raise ValueError(f"unknown latency model {kind!r}")


class Link:
    """One direction of one connection: per-message delays, in-order delivery, monotone views.

    :attr:`delay` is a C-level callable (no Python frame per message): ``itertools.repeat(...).__next__`` for a
    constant delay, else the next element of the link's draws, taken in batches of ``_BATCH`` from its stream at the
    moment the previous batch is used up.
    """

    __slots__ = ("model", "_rng", "_const", "_last_delivery", "_last_view", "offset_ns", "delay")

    def __init__(self, model: LatencyModel, rng: np.random.Generator | None, *, offset_ns: int = 0) -> None:
        """``offset_ns`` is a fixed delay added to every draw (a venue's speed bump)."""
        if offset_ns < 0:
            raise ValueError(f"offset_ns must be >= 0, got {offset_ns}")
        self.model = model
        self._rng = rng
        self.offset_ns = offset_ns
        const = model.constant_ns
        self._const = None if const is None else const + offset_ns
        if self._const is None and rng is None:
            raise ValueError("a random latency model needs a random stream")
        self.delay: Callable[[], int] = (
            repeat(self._const).__next__ if self._const is not None else chain.from_iterable(self._batches()).__next__
        )
        """The next message's latency in ns."""
        self._last_delivery = 0
        self._last_view = 0

    def _batches(self) -> Iterator[list[int]]:
        """The link's draws, one batch at a time, drawn when the consumer reaches it."""
        while True:
            draws = self.model.sample(self._rng, _BATCH)  # type: ignore[arg-type]
            yield (draws + self.offset_ns if self.offset_ns else draws).tolist()

    def deliver_at(self, send_ns: int) -> int:
        """Arrival time of a message sent at ``send_ns``, never before an earlier message on this link."""
        t = send_ns + self.delay()
        if t < self._last_delivery:
            t = self._last_delivery
        self._last_delivery = t
        return t

    def view_time(self, now_ns: int) -> int:
        """The venue time whose state a subscriber sees at ``now_ns`` (monotone in ``now_ns``)."""
        t = now_ns - self.delay()
        if t < self._last_view:
            t = self._last_view
        self._last_view = t
        return t
