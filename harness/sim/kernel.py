"""The simulation kernel: a simpy Environment on integer nanoseconds, with cheap one-shot calls.

Most things in the market are "at time t, call f(x)" (a message arriving, a quote expiring, a participant waking).
Running each as a simpy process would cost a generator and several events per message; instead :meth:`Kernel.at`
pushes a single already-triggered event onto simpy's queue whose one callback makes the call. Ties at the same
nanosecond are broken by simpy's own insertion counter, owned by the environment, so the order is deterministic.

:meth:`Kernel.run` is simpy's ``Environment.run(until)`` with the step loop inlined: it pops the same queue in the same
order (time, priority, insertion counter) and processes any simpy event exactly as ``Environment.step`` does, but a
:class:`_Call` is dispatched directly, without a method call per event. The environment stays a plain simpy
environment: ``env.peek()`` and ``env.step()`` (the real-time pacer uses them) see the same queue.

Far calls wait in a timer wheel. Most scheduled calls are limit-order expiries seconds ahead; kept on the heap they
would make it tens of thousands deep (every push and pop pays its depth). A call due in a later bucket of
``2**_BUCKET_SHIFT`` ns (~67 ms) than now is appended, as its final queue entry (time, priority, insertion counter,
event), to that bucket's list; the bucket's first call also puts one *flush* entry on the heap at the bucket's start,
with a priority ahead of every call at that time, which moves the bucket's entries onto the heap. So every entry
reaches the heap before it can be due, carrying the counter it was given when scheduled: the order of processing is
exactly the order of a single heap.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any, cast

import simpy
from simpy.events import NORMAL


def _dispatch(event: _Call) -> None:
    event.fn(event.arg)


_CALLBACKS = (_dispatch,)
_BUCKET_SHIFT = 26
"""Timer-wheel bucket width, as a power of two of nanoseconds (2**26 ns = 67.1 ms)."""
_FLUSH = -1
_GC_GEN0 = 100_000
"""Allocations between young-generation collections while the loop runs (CPython's default is 700).

A simulation allocates several short-lived objects per message and creates almost no reference cycles, so the
default collector mostly rescans live objects; collecting 140 times less often saves ~5-9% of the loop's time here.
The setting is restored when :meth:`Kernel.run` returns; it does not change what is simulated.
"""
"""Queue priority of a bucket's flush entry: ahead of simpy's URGENT (0) and NORMAL (1) at the same time."""


class _Call:
    """A born-triggered event for simpy's queue that calls ``fn(arg)`` when processed.

    ``Environment.step`` reads exactly two attributes of an event it pops: ``callbacks`` (iterated, then set to
    ``None``) and ``_ok``. A slotted object with a shared callbacks tuple is several times cheaper to create than a
    :class:`simpy.Event` (which carries a ``__dict__`` and a fresh list) and is processed identically.
    """

    __slots__ = ("callbacks", "fn", "arg")
    _ok = True

    def __init__(self, fn: Callable[[Any], None], arg: Any) -> None:
        self.callbacks: tuple[Callable[[Any], None], ...] | None = _CALLBACKS
        self.fn = fn
        self.arg = arg


class Kernel:
    """Owns the simpy environment and counts the events it schedules.

    Parameters
    ----------
    start_ns : int
        Initial simulated time, ns since midnight.
    """

    __slots__ = ("env", "scheduled", "_schedule", "queue", "eid", "_buckets")

    def __init__(self, start_ns: int) -> None:
        # Typed as Any: simpy types time as int | float, and here it is always int nanoseconds.
        self.env: Any = simpy.Environment(initial_time=start_ns)
        self.scheduled = 0
        self._schedule: Callable[..., None] = self.env.schedule
        self.queue: list[tuple[int, int, int, Any]] = cast(list[tuple[int, int, int, Any]], self.env._queue)
        """simpy's event queue: ``(time, priority, insertion counter, event)`` entries, a binary heap."""
        self.eid: Callable[[], int] = self.env._eid.__next__
        """simpy's insertion counter (ties at one time and priority break by it)."""
        self._buckets: dict[int, list[tuple[int, int, int, Any]]] = {}

    @property
    def now(self) -> int:
        """Current time, ns since midnight."""
        return self.env.now  # type: ignore[no-any-return]

    def at(self, t_ns: int, fn: Callable[[Any], None], arg: Any = None) -> None:
        """Call ``fn(arg)`` at time ``t_ns`` (not before now)."""
        env = self.env
        delay = t_ns - env._now
        if delay < 0:
            raise ValueError(f"cannot schedule at {t_ns} ns, before now ({env._now} ns)")
        self.scheduled += 1
        self.push(t_ns, _Call(fn, arg))

    def push(self, t_ns: int, event: Any) -> None:
        """Queue a born-triggered ``event`` (a :class:`_Call`) for ``t_ns`` >= now, unchecked and uncounted.

        The hot path of participants that check the time and count the event themselves (:meth:`at` does both).
        """
        b = t_ns >> _BUCKET_SHIFT
        if b > self.env._now >> _BUCKET_SHIFT:  # a later bucket than now's: into the timer wheel
            bucket = self._buckets.get(b)
            if bucket is None:
                bucket = self._buckets[b] = []
                heappush(self.queue, (b << _BUCKET_SHIFT, _FLUSH, self.eid(), _Call(self._flush, b)))
            bucket.append((t_ns, NORMAL, self.eid(), event))
        else:
            heappush(self.queue, (t_ns, NORMAL, self.eid(), event))

    def _flush(self, b: int) -> None:
        """Bucket ``b`` starts now: its calls join the heap (with the counters they were scheduled with)."""
        queue = self.queue
        for entry in self._buckets.pop(b):
            heappush(queue, entry)

    def run(self, until_ns: int) -> None:
        """Process events strictly before ``until_ns``; the clock then reads ``until_ns`` (as simpy's ``run``)."""
        env = self.env
        if until_ns <= env._now:
            raise ValueError(f"until ({until_ns} ns) must be after now ({env._now} ns)")
        threshold = gc.get_threshold()
        gc.set_threshold(max(threshold[0], _GC_GEN0), *threshold[1:])
        try:
            self._loop(until_ns)
        finally:
            gc.set_threshold(*threshold)
        env._now = until_ns

    def _loop(self, until_ns: int) -> None:
        """:meth:`run`'s loop."""
        env = self.env
        queue = self.queue
        pop = heappop
        call = _Call
        while queue and queue[0][0] < until_ns:
            env._now, _, _, event = pop(queue)
            if event.__class__ is call:  # (its callbacks stay set: a participant may re-queue the same object)
                event.fn(event.arg)
                continue
            callbacks, event.callbacks = event.callbacks, None  # any other simpy event: Environment.step's body
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc
