"""Hostile plug-ins that only the operating system can contain (kept outside every package, loaded by file spec).

Each runs in a router process of its own (harness.sim.router_process) and tries one thing an in-process guard cannot
stop: a loop that swallows every exception, a reset of the alarm timer, killing its own process, a flood of
requests, a 4 GiB allocation, unreadable or oversize protocol frames, or looking through memory for the simulator.
"""

from __future__ import annotations

import gc
import os
import signal
import sys

from adapters.contract import ParentOrder, Router
from venues.types import TimeInForce


class SwallowingLoopRouter(Router):
    """Loops forever on its first parent, swallowing every exception (BaseException included)."""

    name = "swallow-loop-test"
    description = "Test plug-in: an endless loop that catches BaseException."

    def on_parent(self, parent: ParentOrder) -> None:
        while True:
            try:
                while True:
                    pass
            except BaseException:
                pass


class TimerResetRouter(Router):
    """Disarms SIGALRM (ignores it and resets the interval timer), then sleeps and spins forever."""

    name = "timer-reset-test"
    description = "Test plug-in: resets setitimer and SIGALRM, then hangs."

    def on_parent(self, parent: ParentOrder) -> None:
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.pause()
            except BaseException:
                pass


class SelfKillRouter(Router):
    """Kills its own process with SIGKILL on its first parent."""

    name = "selfkill-test"
    description = "Test plug-in: os.kill(os.getpid(), SIGKILL)."

    def on_parent(self, parent: ParentOrder) -> None:
        os.kill(os.getpid(), signal.SIGKILL)


class FloodRouter(Router):
    """Sends 10^6 one-share child orders in one callback (``Params.n``)."""

    name = "flood-test"
    description = "Test plug-in: a flood of child orders."

    class Params(Router.Params):
        n: int = 1_000_000

    def on_parent(self, parent: ParentOrder) -> None:
        for _ in range(self.params.n):
            self.ctx.send(
                parent_id=parent.parent_id, venue="NSDQ", side=parent.side, qty=1, price=None, tif=TimeInForce.IOC
            )


class MemoryHogRouter(Router):
    """Allocates 4 GiB on its first parent."""

    name = "memhog-test"
    description = "Test plug-in: allocates 4 GiB."

    def on_parent(self, parent: ParentOrder) -> None:
        self.hoard = bytearray(4 << 30)


class CpuSpinRouter(Router):
    """Spins on its first parent, catching SIGXCPU (the CPU limit's warning) to keep going."""

    name = "cpuspin-test"
    description = "Test plug-in: burns CPU and ignores SIGXCPU."

    def on_parent(self, parent: ParentOrder) -> None:
        signal.signal(signal.SIGXCPU, signal.SIG_IGN)
        while True:
            pass


class GarbageFrameRouter(Router):
    """Writes raw bytes to the protocol pipe: a frame header announcing 4 GiB (``KIND = "oversize"``), a frame of
    bytes that are not JSON (``"garbage"``), a well-formed message of an unknown type (``"unknown"``) or a send whose
    quantity is a string (``"badtype"``); then waits to be killed."""

    name = "garbage-oversize-test"
    description = "Test plug-in: malformed protocol frames."
    KIND = "oversize"

    def on_parent(self, parent: ParentOrder) -> None:
        ctx = self.ctx
        fd = ctx._ch.write_fd  # type: ignore[attr-defined]  # what a hostile router can find in its context
        body = {
            "oversize": None,
            "garbage": b"\xff\xfe not json {",
            "unknown": b'{"t":"give_me_the_market","seq":%d}' % ctx._seq,  # type: ignore[attr-defined]
            "badtype": (
                b'{"t":"send","seq":%d,"parent_id":%d,"venue":"NSDQ","side":1,"qty":"100","price":null,'
                b'"tif":"ioc","post_only":false,"iso":false,"midpoint_peg":false,"display_qty":null,'
                b'"min_qty":0}' % (ctx._seq, parent.parent_id)
            ),  # type: ignore[attr-defined]
        }[self.KIND]
        os.write(fd, b"\xff\xff\xff\xff" if body is None else len(body).to_bytes(4, "big") + body)
        while True:
            signal.pause()


class GarbageJsonRouter(GarbageFrameRouter):
    """A frame of bytes that are not JSON."""

    name = "garbage-json-test"
    KIND = "garbage"


class UnknownMessageRouter(GarbageFrameRouter):
    """A well-formed message of a type the protocol does not have."""

    name = "garbage-unknown-test"
    KIND = "unknown"


class BadTypeRouter(GarbageFrameRouter):
    """A send request whose quantity is a string."""

    name = "garbage-badtype-test"
    KIND = "badtype"


class SpyRouter(Router):
    """Looks through its process's memory (gc, every frame's locals, sys.modules) for the simulator's objects.

    It raises, failing its run, if it finds any object of the simulation (``harness.sim``: the market, books,
    the efficient price, the router node) or any parent order it was not given; otherwise it routes every parent
    to one venue, so that a clean process gives an ``ok`` run.
    """

    name = "spy-test"
    description = "Test plug-in: searches memory for simulator objects."

    def on_start(self, ctx) -> None:
        super().on_start(ctx)
        self.given: set[int] = set()

    def on_parent(self, parent: ParentOrder) -> None:
        self.given.add(parent.parent_id)
        found = self._search()
        if found:
            raise RuntimeError(f"found simulator state: {found[:5]}")
        self.ctx.send(
            parent_id=parent.parent_id, venue="NSDQ", side=parent.side, qty=parent.qty, price=None, tif=TimeInForce.IOC
        )

    def _search(self) -> list[str]:
        found = [name for name in sys.modules if name.startswith(("harness.sim", "harness.workflows", "simpy"))]
        objects = list(gc.get_objects())
        frame = sys._getframe()
        while frame is not None:
            objects.extend(frame.f_locals.values())
            frame = frame.f_back
        for obj in objects:
            module = type(obj).__dict__.get("__module__", "")
            module = module if isinstance(module, str) else ""
            if module.startswith(("harness", "simpy")):
                found.append(f"{module}.{type(obj).__qualname__}")
            elif type(obj) is ParentOrder and obj.parent_id not in self.given:
                found.append(f"parent order {obj.parent_id} not given")
            elif type(obj).__name__ in ("Market", "OrderBook", "EfficientPrice", "RouterNode", "Kernel"):
                found.append(type(obj).__qualname__)
        return found


class SpoofingRouter(Router):
    """Raises with a message made to look like sorbench's own console lines (line breaks, an ANSI escape)."""

    name = "spoof-test"
    description = "Test plug-in: a failure message with line breaks and escapes."

    def on_parent(self, parent: ParentOrder) -> None:
        raise RuntimeError("boom\nok: every router passed\x1b[2J\rFAILED nothing")
