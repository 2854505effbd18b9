"""When a market maker re-quotes besides its Poisson clock: on other venues' quote changes and trades it sees.

Event-driven re-quotes
    A maker on venue W watches the other protected venues trading its symbol through its own direct feeds (links
    ``participant = "market_maker"``, ``direction = "market_data"``, one per (maker, venue)):

    * **Quote changes** (``react_to_quotes``): when venue V's best bid or ask *price* changes (size-only changes do
      not count), the maker sees it one market-data latency from V later and re-quotes then (its messages reach W one
      order-entry latency after that), if the change matters to it: V's new quote locks or crosses its own, or its
      last re-quote was pulled back one tick from another venue's quote (so it returns to its price once that
      quote moves). Its prices follow its usual rule; what changes is that its lock/cross check now sees V's new
      quote, so a lock that latency let through is resolved by the maker backing off. At most one such re-quote is
      pending per maker, and two are at least ``react_min_interval_us`` apart (changes seen in between are merged
      into the next one): the bounds on the events this adds.
    * **Trades** (``react_to_trades``): when a trade on venue V (not W) prints at a price at or through the maker's
      quote on the side being hit (a buy at or above its ask, a sell at or below its bid), the maker sees it one
      market-data latency from V later, and its cancel of that quote reaches W one order-entry latency after that,
      if the quote is still there at that price. The side then stays out for ``fade_hold_ms`` (no re-quote places
      it) and comes back at the first re-quote after that (one is scheduled at the hold's end). So liquidity on
      several venues vanishes together after a trade elsewhere, and returns a moment later.
"""

from __future__ import annotations

from typing import Any

from harness.sim.background.shared import _BUY
from venues.types import Fill

_NS_PER_US = 1_000
_NS_PER_MS = 1_000_000


class MakerReactions:
    """A market maker's event-driven re-quotes and fades (module docstring); the maker owns its prices."""

    __slots__ = ("maker", "min_gap_ns", "hold_ns", "pending", "last_ns", "hold_until", "fading")

    def __init__(self, maker: Any, spec: Any) -> None:
        """Subscribe ``maker``'s reactions to its symbol's quote changes and trades, as ``spec`` enables them.

        ``maker`` is the :class:`~harness.sim.background.market_maker.MarketMaker` it schedules (typed ``Any``: the
        maker imports this module).
        """
        self.maker = maker
        self.min_gap_ns = round(spec.react_min_interval_us * _NS_PER_US)
        self.hold_ns = round(spec.fade_hold_ms * _NS_PER_MS)
        self.pending = False
        self.last_ns = -self.min_gap_ns
        self.hold_until = [0, 0]
        """Per side (0 bid, 1 ask): the time before which no re-quote places it."""
        self.fading = [0, 0]
        """Per side: the order whose cancel is on its way (0: none), so a sweep's many prints send one cancel."""
        market = maker.market
        if spec.react_to_quotes:
            market.watch_tops(maker.symbol, self.on_top)
        if spec.react_to_trades:
            market.watch_lit_trades(maker.symbol, self.on_trade)

    def held(self, now: int) -> int:
        """Bit 1: the bid is held out now; bit 2: the ask."""
        hold = self.hold_until
        return (1 if now < hold[0] else 0) | (2 if now < hold[1] else 0)

    def on_top(self, venue_idx: int) -> None:
        """Venue ``venue_idx``'s best price changed (called by the market, synchronously)."""
        maker = self.maker
        if self.pending or venue_idx == maker.venue_idx:
            return
        link = maker.feeds.get(venue_idx)
        if link is None:
            return
        if not maker.pulled:  # does the change it will see lock or cross its quote?
            bid, _, ask, _ = maker.market._tops[venue_idx][maker.symbol]
            own_bid = maker.book.order_price(maker.bid_id)
            own_ask = maker.book.order_price(maker.ask_id)
            if not (
                (bid is not None and own_ask is not None and bid >= own_ask)
                or (ask is not None and own_bid is not None and ask <= own_bid)
            ):
                return
        self.pending = True
        t = maker.kernel.env._now + link.delay() + maker.entry.delay()
        earliest = self.last_ns + self.min_gap_ns
        maker.kernel.at(t if t > earliest else earliest, self._react, None)

    def _react(self, _: object) -> None:
        self.pending = False
        self.last_ns = self.maker.kernel.env._now
        self.maker._requote(False)

    def on_trade(self, venue_idx: int, fill: Fill) -> None:
        """A trade printed on lit venue ``venue_idx`` (called by the market, synchronously)."""
        maker = self.maker
        if venue_idx == maker.venue_idx:
            return
        link = maker.feeds.get(venue_idx)
        if link is None:
            return
        buy = fill.taker_side is _BUY
        order_id = maker.ask_id if buy else maker.bid_id
        side = 1 if buy else 0
        if not order_id or self.fading[side] == order_id:
            return
        order = maker.book._orders.get(order_id)  # (book.order_price, inline: called for every print)
        if order is None:
            return
        price = order.price
        if price > fill.price if buy else price < fill.price:
            return  # its quote is not at or through the traded price: no reason to pull it
        self.fading[side] = order_id
        t = maker.kernel.env._now + link.delay() + maker.entry.delay()
        maker.kernel.at(t, self._fade, (order_id, price, side))

    def _fade(self, arg: tuple[int, int, int]) -> None:
        order_id, price, side = arg
        self.fading[side] = 0
        maker = self.maker
        if maker.book.order_price(order_id) == price:
            maker.market.cancel(maker.venue_idx, maker.symbol, order_id, maker.owner)
        now = maker.kernel.env._now
        if self.hold_ns:
            self.hold_until[side] = now + self.hold_ns
            maker.kernel.at(now + self.hold_ns, self._release, None)

    def _release(self, _: object) -> None:
        """A hold ended: re-quote, putting the side back."""
        self.maker._requote(False)
