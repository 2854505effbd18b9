"""The simulation kernel: a simpy Environment on integer nanoseconds, with cheap one-shot calls.

Everything in the market is "at time t, call f(x)" (a message arriving, a quote expiring, a participant waking).
Running each as a simpy process would cost a generator and several events per message; instead :meth:`Kernel.at`
puts one entry ``(time, priority, insertion counter, fn, arg)`` on simpy's queue, and processing it is the call
``fn(arg)``. Ties at the same nanosecond are broken by simpy's own insertion counter, owned by the environment, so
the order is deterministic.

:meth:`Kernel.run` is simpy's ``Environment.run(until)`` with the step loop inlined: it pops the same heap in the
same order (time, priority, insertion counter) and makes each call directly. The queue holds only these calls (no
simpy events: nothing in the simulator runs simpy processes), so simpy's own ``step`` cannot process it;
:meth:`Kernel.step` does, one entry at a time (the real-time pacer uses it with ``env.peek()``).

Far calls wait in a timer wheel. Most scheduled calls are limit-order expiries seconds ahead; kept on the heap they
would make it tens of thousands deep (every push and pop pays its depth). A call due in a later bucket of
``2**_BUCKET_SHIFT`` ns (~67 ms) than now is appended, as its final queue entry, to that bucket's list; the bucket's
first call also puts one *flush* entry on the heap at the bucket's start, with a priority ahead of every call at
that time, which moves the bucket's entries onto the heap. So every entry reaches the heap before it can be due,
carrying the counter it was given when scheduled: the order of processing is exactly the order of a single heap.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any, cast

import simpy
from simpy.events import NORMAL

_BUCKET_SHIFT = 26
"""Timer-wheel bucket width, as a power of two of nanoseconds (2**26 ns = 67.1 ms)."""
_FLUSH = -1
"""Queue priority of a bucket's flush entry: ahead of simpy's URGENT (0) and NORMAL (1) at the same time."""
_GC_GEN0 = 100_000
"""Allocations between young-generation collections while the loop runs (CPython's default is 700).

A simulation allocates several short-lived objects per message and creates almost no reference cycles, so the
default collector mostly rescans live objects; collecting 140 times less often saves ~5-9% of the loop's time here.
The setting is restored when :meth:`Kernel.run` returns; it does not change what is simulated.
"""
_Entry = tuple[int, int, int, Callable[[Any], None], Any]
"""A queue entry: (time, priority, insertion counter, fn, arg)."""


class Kernel:
    """Owns the simpy environment and counts the events it schedules.

    Parameters
    ----------
    start_ns : int
        Initial simulated time, ns since midnight.
    """

    __slots__ = ("env", "scheduled", "queue", "eid", "_buckets")

    def __init__(self, start_ns: int) -> None:
        # Typed as Any: simpy types time as int | float, and here it is always int nanoseconds.
        self.env: Any = simpy.Environment(initial_time=start_ns)
        self.scheduled = 0
        """Calls scheduled (by :meth:`at` and :meth:`push`; the wheel's own flush entries are not counted)."""
        self.queue: list[_Entry] = cast(list[_Entry], self.env._queue)
        """simpy's event queue, a binary heap of ``(time, priority, insertion counter, fn, arg)`` entries."""
        self.eid: Callable[[], int] = self.env._eid.__next__
        """simpy's insertion counter (ties at one time and priority break by it)."""
        self._buckets: dict[int, list[_Entry]] = {}

    @property
    def now(self) -> int:
        """Current time, ns since midnight."""
        return self.env.now  # type: ignore[no-any-return]

    def at(self, t_ns: int, fn: Callable[[Any], None], arg: Any = None) -> None:
        """Call ``fn(arg)`` at time ``t_ns`` (not before now)."""
        now = self.env._now
        if t_ns < now:
            raise ValueError(f"cannot schedule at {t_ns} ns, before now ({now} ns)")
        self.push(t_ns, fn, arg)

    def push(self, t_ns: int, fn: Callable[[Any], None], arg: Any) -> None:
        """:meth:`at` without the check of the time: the hot path of participants that know ``t_ns`` >= now."""
        self.scheduled += 1
        b = t_ns >> _BUCKET_SHIFT
        if b > self.env._now >> _BUCKET_SHIFT:  # a later bucket than now's: into the timer wheel
            bucket = self._buckets.get(b)
            if bucket is None:
                bucket = self._buckets[b] = []
                heappush(self.queue, (b << _BUCKET_SHIFT, _FLUSH, self.eid(), self._flush, b))
            bucket.append((t_ns, NORMAL, self.eid(), fn, arg))
        else:
            heappush(self.queue, (t_ns, NORMAL, self.eid(), fn, arg))

    def _flush(self, b: int) -> None:
        """Bucket ``b`` starts now: its calls join the heap (with the counters they were scheduled with)."""
        queue = self.queue
        for entry in self._buckets.pop(b):
            heappush(queue, entry)

    def step(self) -> None:
        """Process the next entry (the queue must not be empty): what :meth:`run` does for each."""
        self.env._now, _, _, fn, arg = heappop(self.queue)
        fn(arg)

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
        while queue and queue[0][0] < until_ns:
            env._now, _, _, fn, arg = pop(queue)
            fn(arg)
