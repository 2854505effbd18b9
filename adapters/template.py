"""A template router: copy this file to start a new one.

It is a working (deliberately trivial) router: every parent goes, as one child order, to one lit venue. What to keep
when you copy it:

* ``name`` (how scenarios and ``--router`` refer to it) and a one-line ``description``.
* ``Params``: a pydantic model; ``extra="forbid"`` and ``strict=True`` make a misspelt or mistyped key in
  ``[router_params.<name>]`` an error naming the field, instead of a silently ignored setting.
* ``check_params`` (optional): checks the parameters against the scenario's venues when the scenario is loaded, so a
  bad venue name fails before the run starts, not at the first order.
* ``on_parent`` is the one required callback; the registry refuses a router without it.
* Every other callback is optional (the base class's do nothing). Override the ones your policy needs:

  ==================  ========================================================================================
  ``on_start(ctx)``   once, before any order: keep ``ctx`` (call ``super().on_start(ctx)``), set up state
  ``on_ack``          a venue accepted a child order
  ``on_fill``         a child executed (``qty``, ``price``, ``liquidity``, ``fee_usd``, ``pfof_usd``, ``leaves_qty``)
  ``on_cancelled``    a child's open quantity left the book (requested cancel, IOC or market remainder)
  ``on_reject``       a venue refused a child, a cancel or a replace (``reason`` is a ``RejectReason``)
  ``on_timer(token)`` a timer set with ``ctx.set_timer(delay_ns, token)`` fired
  ``on_end``          the simulated window ended
  ==================  ========================================================================================

Plug it in as docs/routers.md (*Plugging a router in*) says; nothing registers it by hand: name the class on the
command line (``sorbench run --router path/to/my_router.py:MyRouter`` or ``--router my_pkg.my_router:MyRouter``), or
declare it in your package's ``[project.entry-points."sorbench.routers"]`` and use its ``name``. The template itself
is not a built-in router (``--router adapters/template.py:TemplateRouter`` runs it). Prices are integers in price
units (1 unit = $0.0001); fees are in ``VenueInfo.fees`` (``take_usd``, ``make_usd``, ``pfof_usd`` per share).
Unit-test it with :class:`adapters.testing.FakeContext` or the ``fake_context`` pytest fixture. See docs/routers.md
for the context's members and ``adapters/reference/`` for complete policies.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from adapters.contract import ChildReject, ParentOrder, Router, RouterContext
from venues.types import TimeInForce
from venues.venue import VenueInfo, VenueKind


class TemplateRouter(Router):
    """Every parent, as one child order, to one lit venue (a template to copy)."""

    name = "template"
    description = "Template: every parent as one child to one lit venue (copy adapters/template.py to start)."

    class Params(BaseModel):
        """Parameters of ``template`` (an example of each common kind of field)."""

        model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
        venue: str | None = Field(None, description="Lit venue to use; default: the first lit one trading the symbol.")
        ioc: bool = Field(False, description="Send IOC instead of DAY (a limit order's remainder is then cancelled).")

    @classmethod
    def check_params(cls, params: BaseModel, *, venues: Mapping[str, VenueInfo]) -> None:
        """Optional: refuse a venue that is not in the scenario or not lit (raise ``ValueError`` with a message)."""
        name = getattr(params, "venue", None)
        if name is not None and (name not in venues or venues[name].kind is not VenueKind.LIT):
            raise ValueError(f"venue {name!r} is not a lit venue of the scenario (venues: {', '.join(venues)})")

    def on_start(self, ctx: RouterContext) -> None:
        """Optional: keep the context (``super()``) and set up state."""
        super().on_start(ctx)
        self.rejects = 0

    def on_parent(self, parent: ParentOrder) -> None:
        """Required: route a new parent order."""
        venue = self._venue(parent.symbol)
        if venue is None or parent.qty <= 0:
            return  # nowhere to send it: a real router might retry later with ctx.set_timer
        self.ctx.send(
            parent_id=parent.parent_id, venue=venue, side=parent.side, qty=parent.qty, price=parent.limit_price,
            tif=TimeInForce.IOC if self.params.ioc else TimeInForce.DAY,
        )

    def on_reject(self, reject: ChildReject) -> None:
        """Optional: count refused orders (a real router would re-route them)."""
        self.rejects += 1

    def _venue(self, symbol: str) -> str | None:
        if self.params.venue is not None:
            info = self.ctx.venues.get(self.params.venue)
            return info.name if info is not None and symbol in info.symbols else None
        return next(
            (v.name for v in self.ctx.venues.values() if v.kind is VenueKind.LIT and symbol in v.symbols), None
        )
