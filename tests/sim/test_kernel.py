"""Kernel: one-shot calls in time order, ties in insertion order, no scheduling in the past, a count of events."""

from __future__ import annotations

import pytest

from harness.sim.kernel import Kernel


def test_calls_run_in_time_order_whatever_the_insertion_order():
    """Kernel.at calls happen in order of their times, not of the at() calls."""
    k = Kernel(1_000)
    seen: list[tuple[int, str]] = []
    for t, tag in ((1_500, "c"), (1_100, "a"), (1_300, "b"), (2_000, "d")):
        k.at(t, lambda tag, t=t: seen.append((k.now, tag)), tag)
    k.run(10_000)
    assert seen == [(1_100, "a"), (1_300, "b"), (1_500, "c"), (2_000, "d")]


def test_ties_at_the_same_nanosecond_run_in_insertion_order():
    """Calls scheduled for the same time run in the order they were scheduled (the environment's counter)."""
    k = Kernel(0)
    seen: list[int] = []
    for i in range(50):
        k.at(7, seen.append, i)
    k.at(3, seen.append, -1)
    k.run(100)
    assert seen == [-1, *range(50)]


def test_calls_scheduled_from_a_call_at_the_same_time_run_after_the_pending_ones():
    """A call scheduled for ``now`` from inside a call queues behind calls already scheduled for ``now``."""
    k = Kernel(0)
    seen: list[str] = []

    def first(_: object) -> None:
        seen.append("first")
        k.at(k.now, seen.append, "scheduled-from-first")

    k.at(5, first)
    k.at(5, seen.append, "second")
    k.run(10)
    assert seen == ["first", "second", "scheduled-from-first"]


def test_scheduling_in_the_past_raises_and_is_not_counted():
    """at() before now is an error naming both times; it schedules nothing."""
    k = Kernel(1_000)
    k.at(1_000, lambda _: None)  # exactly now is allowed
    with pytest.raises(ValueError, match=r"999.*1000"):
        k.at(999, lambda _: None)
    assert k.scheduled == 1


def test_scheduled_counts_every_call_including_ones_made_during_the_run():
    """``scheduled`` is the number of at() calls accepted, including those made by calls."""
    k = Kernel(0)

    def chain(n: int) -> None:
        if n:
            k.at(k.now + 10, chain, n - 1)

    k.at(0, chain, 4)  # 1 + 4 rescheduled calls
    k.at(3, lambda _: None)
    k.run(1_000)
    assert k.scheduled == 6


def test_run_processes_only_events_strictly_before_until():
    """run(until) stops before an event at ``until``; the clock ends at ``until``; a later run picks it up."""
    k = Kernel(0)
    seen: list[int] = []
    k.at(99, seen.append, 99)
    k.at(100, seen.append, 100)
    k.run(100)
    assert seen == [99]
    assert k.now == 100
    k.run(101)
    assert seen == [99, 100]


def test_the_argument_is_passed_through_and_defaults_to_none():
    """fn receives ``arg`` as given (``None`` when omitted)."""
    k = Kernel(0)
    got: list[object] = []
    k.at(1, got.append)
    k.at(2, got.append, ("x", 1))
    k.run(10)
    assert got == [None, ("x", 1)]
