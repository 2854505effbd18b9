"""Hostile and careless plug-in routers for the containment and validation tests (kept outside every package).

Each does one thing a vendor's router must not be able to turn into a silent or lost run.
"""

from __future__ import annotations

import os
import sys
import threading

from adapters.contract import ParentOrder, Router
from venues.types import TimeInForce


class SilentRouter(Router):
    """Never sends anything (a vendor whose FIX endpoint is down): no router has a fill."""

    name = "silent-test"
    description = "Test plug-in: sends nothing."

    def on_parent(self, parent: ParentOrder) -> None:
        return None


class SysExitRouter(Router):
    """Calls ``sys.exit()`` on its first parent."""

    name = "sysexit-test"
    description = "Test plug-in: sys.exit() on the first parent."

    def on_parent(self, parent: ParentOrder) -> None:
        sys.exit()


class InterruptRouter(Router):
    """Raises a KeyboardInterrupt subclass on its first parent (no Ctrl-C was pressed)."""

    name = "interrupt-test"
    description = "Test plug-in: raises a KeyboardInterrupt subclass."

    class Sneaky(KeyboardInterrupt):
        """A KeyboardInterrupt no user caused."""

    def on_parent(self, parent: ParentOrder) -> None:
        raise self.Sneaky("not a user")


class OsExitRouter(Router):
    """Calls ``os._exit(0)`` on its first parent (``os._exit(3)`` with ``Params.code``)."""

    name = "osexit-test"
    description = "Test plug-in: os._exit on the first parent."

    class Params(Router.Params):
        code: int = 0

    def on_parent(self, parent: ParentOrder) -> None:
        os._exit(self.params.code)


class ThreadExitRouter(Router):
    """Calls ``os._exit(0)`` from a thread of its own on its first parent."""

    name = "threadexit-test"
    description = "Test plug-in: os._exit(0) from a thread."

    def on_parent(self, parent: ParentOrder) -> None:
        t = threading.Thread(target=os._exit, args=(0,))
        t.start()
        t.join()


class OverfillRouter(Router):
    """Sends every parent whole, twice, in 1-share-smaller halves that each fit the open quantity (overfills)."""

    name = "overfill-test"
    description = "Test plug-in: sends each parent twice."

    def on_parent(self, parent: ParentOrder) -> None:
        for _ in range(2):
            self.ctx.send(parent_id=parent.parent_id, venue="NSDQ", side=parent.side, qty=parent.qty, price=None,
                          tif=TimeInForce.IOC)


class HugeQtyRouter(Router):
    """Sends one child of 2**63 shares (``Params.qty``) and one at ``Params.price`` (both beyond any sane order)."""

    name = "hugeqty-test"
    description = "Test plug-in: impossible quantities and prices."

    class Params(Router.Params):
        qty: int = 2**63
        price: int | None = None

    def on_parent(self, parent: ParentOrder) -> None:
        self.ctx.send(parent_id=parent.parent_id, venue="NSDQ", side=parent.side, qty=self.params.qty,
                      price=self.params.price, tif=TimeInForce.IOC)
