"""The common market of a run: each seed simulated once more with no router flow.

Each router's earlier orders move its own market, so at a parent's arrival the NBBO can differ between routers.
Paired comparisons take every parent's order class, size bucket and arrival benchmark from one market that no router
touched: the same scenario and seed with the same background streams (:mod:`harness.sim.streams` names every
background draw, so the background is identical as long as no router acts) and no parent order routed. The
simulation hosts :class:`NoRouter`, an internal router that is never listed by ``sorbench routers``, and is given an
empty parent-order flow. Its NBBO history is written to ``common/nbbo.parquet`` (:data:`COMMON_NBBO_FILE`), with
``router`` = ``"(no router)"`` (:data:`COMMON_ROUTER`); :mod:`harness.analytics.common_market` reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.contract import ParentOrder, Router
from adapters.registry import RouterRegistry

# The same values as harness.analytics.common_market's (a test holds them equal): spelt here so that a simulation
# worker does not import the analytics package.
COMMON_ROUTER = "(no router)"
"""The common market's ``router`` label (and the name of the router that hosts its simulation)."""
COMMON_NBBO_FILE = "common/nbbo.parquet"
"""The common market's NBBO history in a run folder."""


class NoRouter(Router):
    """A router that does nothing: the host of the common market's simulation (no parent is ever routed)."""

    name = COMMON_ROUTER
    description = "Internal: the common market (no router flow); not a routing policy."

    def on_parent(self, parent: ParentOrder) -> None:
        """Ignore the parent: nothing is sent."""


def common_registry() -> RouterRegistry:
    """A registry holding only :class:`NoRouter` (the common market's simulations use it, nothing else does)."""
    registry = RouterRegistry()
    registry.register(NoRouter, origin="internal")
    return registry


def common_manifest(results: Sequence[Any]) -> dict[str, Any]:
    """The manifest's ``common_market`` entry: the file, the router label and each seed's status and counts."""
    return {
        "file": COMMON_NBBO_FILE,
        "router": COMMON_ROUTER,
        "runs": [
            {"seed": res.seed, "status": res.status, "error": res.error or None,
             "messages": res.stats.get("messages"), "kernel_events": res.stats.get("kernel_events")}
            for res in results
        ],
    }
