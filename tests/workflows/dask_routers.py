"""Routers for the Dask executor's tests; importable on the cluster's workers (they are spawned from the test run).

* ``test-dies-once``: best-price, except that the first time it starts (no file at ``marker``) it creates the file and
  kills its process: a worker lost mid-task, which the cluster must retry.
* ``test-raises``: best-price, except that it raises on its third parent order: a router-level failure.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from adapters.contract import ParentOrder, RouterContext
from adapters.reference.best_price import BestPriceRouter


class DiesOnceRouter(BestPriceRouter):
    """Kills its process the first time it starts (see the module docstring)."""

    name = "test-dies-once"
    description = "Test router: best-price that kills its worker process once (a lost worker)."

    class Params(BestPriceRouter.Params):
        """best-price's parameters and where the once-only marker file is."""

        marker: str = ""

    def on_start(self, ctx: RouterContext) -> None:
        """Die the first time (creating the marker), then behave as best-price."""
        marker = Path(self.params.marker)
        if not marker.exists():
            marker.write_text("died once\n", encoding="utf-8")
            os.kill(os.getpid(), signal.SIGKILL)  # os._exit would be contained as a router failure
        super().on_start(ctx)


class RaisesRouter(BestPriceRouter):
    """Raises on its third parent order (see the module docstring)."""

    name = "test-raises"
    description = "Test router: best-price that fails on its third parent order."

    def on_start(self, ctx: RouterContext) -> None:
        """Count parents from zero."""
        self.parents_seen = 0
        super().on_start(ctx)

    def on_parent(self, parent: ParentOrder) -> None:
        """Raise on the third parent, else route as best-price."""
        self.parents_seen += 1
        if self.parents_seen == 3:
            raise RuntimeError("this router refuses its third parent order")
        super().on_parent(parent)
