"""A router shipped outside the project, for the plug-in loading tests (file spec and entry point)."""

from __future__ import annotations

from adapters.contract import ParentOrder, Router
from venues.types import TimeInForce


class ExternalRouter(Router):
    """Sends each parent whole as an IOC at its limit (market parents: a market IOC) to one configured venue."""

    name = "external-test"
    description = "Test plug-in: whole parent as one IOC to one venue."

    class Params(Router.Params):
        venue: str = "NSDQ"

    def on_parent(self, parent: ParentOrder) -> None:
        self.ctx.send(parent_id=parent.parent_id, venue=self.params.venue, side=parent.side, qty=parent.qty,
                      price=parent.limit_price, tif=TimeInForce.IOC)


class HangingRouter(Router):
    """Never returns from its third parent (a vendor's infinite loop)."""

    name = "hanging-test"
    description = "Test plug-in: loops forever on the third parent."

    def __init__(self, params=None) -> None:
        super().__init__(params)
        self.seen = 0

    def on_parent(self, parent: ParentOrder) -> None:
        self.seen += 1
        while self.seen >= 3:
            pass


class ExitingRouter(Router):
    """Kills its own process on the first parent (a crash no exception handler sees)."""

    name = "exiting-test"
    description = "Test plug-in: os._exit on the first parent."

    def on_parent(self, parent: ParentOrder) -> None:
        import os

        os._exit(3)


NotARouter = 42
