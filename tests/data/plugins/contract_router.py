"""A plug-in that uses every member of the router contract, for the in-process / router-process comparison.

Per parent: reads the NBBO and every venue's direct quote, rests a limit child one tick away from the touch, sets a
timer whose token is a tuple, replaces the child on the timer, cancels it on a second timer, then takes the rest with
an IOC; it also asks to cancel a child that does not exist and catches the ValueError, and checks ``ctx.fills``
against the fills it was sent. Where it runs must change nothing it does.
"""

from __future__ import annotations

from adapters.contract import ChildFill, ParentOrder, Router
from venues.types import Side, TimeInForce
from venues.venue import VenueKind


class ContractRouter(Router):
    """Exercises the whole contract deterministically."""

    name = "contract-test"
    description = "Test plug-in: every context member and callback."

    def on_start(self, ctx) -> None:
        super().on_start(ctx)
        self.lit = [v.name for v in ctx.venues.values() if v.kind is VenueKind.LIT]
        self.resting: dict[int, int] = {}
        self.seen: list[ChildFill] = []
        self.errors = 0

    def on_parent(self, parent: ParentOrder) -> None:
        ctx = self.ctx
        nbbo = ctx.nbbo(parent.symbol)
        tick = ctx.symbols[parent.symbol].tick
        sizes = [ctx.quote(v, parent.symbol).bid_size for v in self.lit if parent.symbol in ctx.venues[v].symbols]
        venue = self.lit[len(sizes) % len(self.lit)]
        touch = nbbo.bid if parent.side is Side.BUY else nbbo.ask
        if touch is None:
            return
        price = touch - tick if parent.side is Side.BUY else touch + tick
        child = ctx.send(
            parent_id=parent.parent_id,
            venue=venue,
            side=parent.side,
            qty=max(1, parent.qty // 2),
            price=price,
            tif=TimeInForce.DAY,
            display_qty=0 if parent.qty > 300 else None,
        )
        self.resting[child] = parent.parent_id
        ctx.set_timer(2_000_000, ("replace", child, price, parent))
        try:
            ctx.cancel(10**12)
        except ValueError:
            self.errors += 1

    def on_timer(self, token) -> None:
        kind, child, price, parent = token
        if kind == "replace":
            step = self.ctx.symbols[parent.symbol].tick
            self.ctx.replace(
                child, qty=max(1, parent.qty // 3), price=price + (step if parent.side is Side.BUY else -step)
            )
            self.ctx.set_timer(3_000_000, ("cancel", child, price, parent))
        else:
            self.ctx.cancel(child)
            filled = sum(f.qty for f in self.ctx.fills(parent.parent_id))
            mine = sum(f.qty for f in self.seen if f.parent_id == parent.parent_id)
            if filled != mine:
                raise RuntimeError(f"ctx.fills says {filled}, on_fill said {mine}")
            rest = parent.qty - filled - 1
            if rest > 0:
                self.ctx.send(
                    parent_id=parent.parent_id,
                    venue=self.lit[0],
                    side=parent.side,
                    qty=rest,
                    price=parent.limit_price,
                    tif=TimeInForce.IOC,
                )

    def on_fill(self, fill: ChildFill) -> None:
        self.seen.append(fill)

    def on_end(self) -> None:
        if self.errors == 0:
            raise RuntimeError("the cancel of an unknown child was not refused")
