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


def test_far_calls_in_the_timer_wheel_keep_time_and_insertion_order():
    """Calls seconds ahead (timer-wheel buckets), near ones and ones scheduled during the run interleave exactly as
    on one heap: by time, then by the order they were scheduled, across bucket boundaries."""
    from harness.sim.kernel import _BUCKET_SHIFT

    width = 1 << _BUCKET_SHIFT
    k = Kernel(0)
    seen: list[tuple[int, str]] = []

    def note(tag: str) -> None:
        seen.append((k.now, tag))

    def spawn(tag: str) -> None:  # from inside the run: one call in the current bucket, one far, one at a boundary
        note(tag)
        k.at(k.now + 1, note, tag + "+1")
        k.at(3 * width, note, tag + "@3w")
        k.at(5 * width + 7, note, tag + "@5w+7")

    k.at(5 * width + 7, note, "a")  # far: bucket 5
    k.at(3 * width, note, "b")  # exactly a bucket's start
    k.at(10, spawn, "s")
    k.at(3 * width, note, "c")  # a tie with "b" and with the spawned "s@3w" (scheduled later, during the run)
    k.at(2 * width - 1, spawn, "t")  # last ns of bucket 1: spawns into bucket 2 (its +1) and later ones
    k.run(6 * width)
    assert seen == [
        (10, "s"),
        (11, "s+1"),
        (2 * width - 1, "t"),
        (2 * width, "t+1"),
        (3 * width, "b"),
        (3 * width, "c"),
        (3 * width, "s@3w"),
        (3 * width, "t@3w"),
        (5 * width + 7, "a"),
        (5 * width + 7, "s@5w+7"),
        (5 * width + 7, "t@5w+7"),
    ]
    assert k.scheduled == 5 + 2 * 3  # at() calls only: the wheel's own flush entries are not counted


def test_a_run_ending_inside_a_bucket_leaves_its_later_calls_for_the_next_run():
    """run(until) stops strictly before until even with calls waiting in a bucket; the next run processes them."""
    from harness.sim.kernel import _BUCKET_SHIFT

    width = 1 << _BUCKET_SHIFT
    k = Kernel(0)
    seen: list[int] = []
    for t in (4 * width + 5, 4 * width + 1, 9 * width):
        k.at(t, seen.append, t)
    k.run(4 * width + 2)
    assert seen == [4 * width + 1] and k.now == 4 * width + 2
    k.run(10 * width)
    assert seen == [4 * width + 1, 4 * width + 5, 9 * width]
