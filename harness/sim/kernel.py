"""The simulation kernel: a simpy Environment on integer nanoseconds, with cheap one-shot calls.

Most things in the market are "at time t, call f(x)" (a message arriving, a quote expiring, a participant waking).
Running each as a simpy process would cost a generator and several events per message; instead :meth:`Kernel.at`
schedules a single already-triggered event on simpy's queue whose one callback makes the call. Ties at the same
nanosecond are broken by simpy's own insertion counter, owned by the environment, so the order is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import NORMAL


def _dispatch(event: _Call) -> None:
    event.fn(event.arg)


_CALLBACKS = (_dispatch,)


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

    __slots__ = ("env", "scheduled", "_schedule")

    def __init__(self, start_ns: int) -> None:
        # Typed as Any: simpy types time as int | float, and here it is always int nanoseconds.
        self.env: Any = simpy.Environment(initial_time=start_ns)
        self.scheduled = 0
        self._schedule: Callable[..., None] = self.env.schedule

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
        self._schedule(_Call(fn, arg), NORMAL, delay)

    def run(self, until_ns: int) -> None:
        """Process events strictly before ``until_ns``."""
        self.env.run(until=until_ns)
