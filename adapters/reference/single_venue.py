"""``single-venue``: everything to one venue, as is (the naive baseline).

Policy
------
Each parent order goes, unchanged, to one configured venue as a single child order: a market order as a market
order (it sweeps that venue's book as deep as it must; anything left is cancelled by the venue), a limit order as a
DAY limit order at the parent's limit (its marketable part trades on arrival, the rest rests). No re-routing, no
use of market data. It shows what fragmentation costs a router that ignores it.

Source: the naive baseline of any routing study (a broker that sends everything to its primary or preferred
exchange).
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from adapters.contract import ParentOrder, Router, RouterContext
from venues.types import TimeInForce
from venues.venue import VenueInfo, VenueKind


class SingleVenueRouter(Router):
    """Send every parent order, unchanged, to one venue."""

    name = "single-venue"
    description = "Naive baseline: every parent order, unchanged, to one configured venue (default: the first lit)."

    class Params(BaseModel):
        """Parameters of ``single-venue``."""

        model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
        venue: str | None = Field(None, description="Venue name; default: the scenario's first lit venue.")

    @classmethod
    def check_params(cls, params: BaseModel, *, venues: Mapping[str, VenueInfo]) -> None:
        """The configured venue must exist and be lit."""
        name = getattr(params, "venue", None)
        if name is not None:
            if name not in venues:
                raise ValueError(f"venue {name!r} is not in the scenario (venues: {', '.join(venues)})")
            if venues[name].kind is not VenueKind.LIT:
                raise ValueError(f"venue {name!r} is not a lit venue")

    def on_start(self, ctx: RouterContext) -> None:
        """Resolve the target venue."""
        super().on_start(ctx)
        name = self.params.venue
        if name is None:
            name = next(v.name for v in ctx.venues.values() if v.kind is VenueKind.LIT)
        self._venue = name

    def on_parent(self, parent: ParentOrder) -> None:
        """Forward the parent as one child order."""
        self.ctx.send(
            parent_id=parent.parent_id, venue=self._venue, side=parent.side, qty=parent.qty,
            price=parent.limit_price, tif=TimeInForce.DAY,
        )
