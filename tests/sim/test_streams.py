"""Named random streams: a stream's draws depend only on the run seed and its own name."""

from __future__ import annotations

import numpy as np
import pytest

from harness.sim.streams import stream


def draws(seed: int, *name: str, n: int = 64) -> np.ndarray:
    return stream(seed, *name).random(n)


def test_same_name_and_seed_give_identical_draws():
    """The same (seed, name) gives the same numbers, every time."""
    assert np.array_equal(draws(7, "flow", "AAA", "NSDQ"), draws(7, "flow", "AAA", "NSDQ"))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((7, "flow", "AAA", "NSDQ"), (7, "flow", "AAA", "EDGX")),  # another venue
        ((7, "flow", "AAA", "NSDQ"), (7, "flow", "BBB", "NSDQ")),  # another symbol
        ((7, "flow", "AAA", "NSDQ"), (8, "flow", "AAA", "NSDQ")),  # another seed
        ((7, "flow", "AAA"), (7, "flow", "AAA", "NSDQ")),  # a prefix is a different name
        ((7, "ab", "c"), (7, "a", "bc")),  # parts are not concatenated
    ],
)
def test_different_name_or_seed_gives_different_draws(a, b):
    """Changing the seed or any part of the name changes the stream."""
    assert not np.array_equal(draws(*a), draws(*b))


def test_a_stream_does_not_depend_on_streams_created_before_it():
    """Creating and using other streams first (as adding a venue does) leaves a stream's draws unchanged."""
    alone = draws(3, "flow", "AAA", "NSDQ", n=1_000)
    for venue in ("EDGX", "BYX", "NEW"):
        stream(3, "flow", "AAA", venue).random(10_000)
    stream(3, "market_maker", "AAA", "NEW").normal(size=100)
    np.random.default_rng(0).random(5)
    after = draws(3, "flow", "AAA", "NSDQ", n=1_000)
    assert np.array_equal(alone, after)


def test_streams_do_not_touch_numpy_global_state():
    """Creating and drawing from streams does not consume the legacy global generator."""
    np.random.seed(123)
    expected = np.random.random(5)
    np.random.seed(123)
    stream(1, "x").random(100)
    assert np.array_equal(np.random.random(5), expected)


def test_a_stream_needs_a_name():
    """stream(seed) with no name parts is an error, not the run's root stream."""
    with pytest.raises(ValueError, match="name"):
        stream(1)
