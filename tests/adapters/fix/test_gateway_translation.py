"""The venue gateway's translation between FIX fields and the router contract, without sockets.

A recording context stands in for the simulation; the gateway's outgoing messages are captured as (session,
MsgType, fields). Each test states the FIX rule it checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from adapters.contract import ChildAck, ChildCancelled, ChildFill, ChildReject
from adapters.fix.gateway import VenueGateway, parse_price, parse_qty, price_text
from venues.types import CancelReason, Liquidity, Quote, RejectReason, Side, TimeInForce

NSDQ = "FIX.4.4:NSDQ->V"
ROUTING = "FIX.4.4:GW->V"


@dataclass
class _Venue:
    symbols: tuple[str, ...]


@dataclass
class RecordingContext:
    """The part of RouterContext the gateway uses, recording every order action."""

    now_ns: int = 34_200_000_000_000
    venues: dict[str, Any] = field(default_factory=lambda: {"NSDQ": _Venue(("AAA",)), "DARK1": _Venue(("AAA",))})
    symbols: dict[str, Any] = field(default_factory=lambda: {"AAA": None})
    sent: list[dict[str, Any]] = field(default_factory=list)
    cancels: list[int] = field(default_factory=list)
    replaces: list[tuple[int, int, int]] = field(default_factory=list)
    top: Quote = field(default_factory=lambda: Quote(ts_ns=0, bid=500_000, bid_size=300, ask=500_100, ask_size=200))

    def send(self, **kw: Any) -> int:
        self.sent.append(kw)
        return 100 + len(self.sent)

    def cancel(self, child_id: int) -> None:
        self.cancels.append(child_id)

    def replace(self, child_id: int, *, qty: int, price: int) -> None:
        self.replaces.append((child_id, qty, price))

    def quote(self, venue: str, symbol: str) -> Quote:
        return self.top


def _gateway(ctx: RecordingContext, *, allowed: int = 10) -> tuple[VenueGateway, list[tuple[str, str, dict[int, str]]]]:
    out: list[tuple[str, str, dict[int, str]]] = []

    def send(session: str, msg_type: str, fields: list[tuple[int, str]], groups: Any = ()) -> None:
        d = dict(fields)
        for _factory, entries in groups:
            d[-1] = entries  # type: ignore[assignment]
        out.append((session, msg_type, d))

    gw = VenueGateway(ctx=ctx, send=send, venue_of_session={NSDQ: "NSDQ", ROUTING: None},
                      find_parent=lambda link, sym, side: 7 if link in (None, "P7") else None,
                      unknown_venue_allowed=allowed)
    return gw, out


def _d(cl: str, **extra: str) -> list[tuple[int, str]]:
    base = {11: cl, 55: "AAA", 54: "1", 60: "20261120-14:30:00", 38: "300", 40: "2", 44: "50.01", 59: "0"}
    base.update({int(k[1:]): v for k, v in extra.items()})
    return list(base.items())


def test_prices_and_quantities_convert_exactly_between_fix_text_and_price_units():
    """$50.01 is 500,100 units of $0.0001 and back; quantities must be positive whole numbers."""
    assert parse_price("50.01") == 500_100 and price_text(500_100) == "50.01" and price_text(500_000) == "50"
    assert parse_qty("300") == 300 and parse_qty("300.0") == 300
    assert parse_qty("0") is None and parse_qty("1.5") is None and parse_qty("x") is None


def test_a_new_order_single_maps_every_supported_field_to_ctx_send():
    """OrdType P + ExecInst M is a midpoint peg; ExecInst 6 post-only, f ISO; MaxFloor the displayed size; MinQty the
    minimum; TimeInForce 3 IOC; the parent comes from ClOrdLinkID (583)."""
    ctx = RecordingContext()
    gw, _out = _gateway(ctx)
    gw.on_message(NSDQ, "D", _d("a", t40="P", t18="M 6 f", t111="100", t110="200", t59="3", t583="P7"))
    assert ctx.sent == [dict(parent_id=7, venue="NSDQ", side=Side.BUY, qty=300, price=500_100, tif=TimeInForce.IOC,
                             post_only=True, iso=True, midpoint_peg=True, display_qty=100, min_qty=200)]
    gw.on_message(NSDQ, "D", _d("b", t40="1", t54="2", t111="0"))
    assert ctx.sent[1]["price"] is None and ctx.sent[1]["side"] is Side.SELL and ctx.sent[1]["display_qty"] == 0


@pytest.mark.parametrize(("fields", "code"), [
    ({"t55": "ZZZ"}, "1"),  # unknown symbol
    ({"t38": "12.5"}, "13"),  # not whole shares
    ({"t59": "1"}, "11"),  # GTC is not offered
    ({"t40": "3"}, "11"),  # stop orders are not offered
    ({"t18": "G"}, "11"),  # unsupported ExecInst
    ({"t40": "P"}, "11"),  # a peg without ExecInst M
    ({"t54": "5"}, "99"),  # sell short is not offered
    ({"t583": "NOPE"}, "99"),  # no such parent
    ({"t100": "EDGX"}, "0"),  # ExDestination naming another venue than the session's
])
def test_orders_the_venues_cannot_take_are_rejected_with_an_execution_report_and_recorded(fields, code):
    """ExecutionReport ExecType 8 / OrdStatus 8 with OrdRejReason; nothing reaches the simulation."""
    ctx = RecordingContext()
    gw, out = _gateway(ctx)
    gw.on_message(NSDQ, "D", _d("r", **fields))
    assert ctx.sent == []
    (session, msg_type, f), = out
    assert (session, msg_type, f[150], f[39], f[103], f[11]) == (NSDQ, "8", "8", "8", code, "r")
    assert gw.rejects["cl_ord_id"] == ["r"] and gw.rejects["reason"] == [code]


def test_venue_responses_become_execution_reports_with_running_totals():
    """Ack -> New (150=0); a 100-share fill of 300 -> Trade with LastQty/LastPx, CumQty 100, LeavesQty 200, AvgPx and
    LastLiquidityInd 2 (removed); the IOC remainder -> Canceled with LeavesQty 0 and CumQty 100."""
    ctx = RecordingContext()
    gw, out = _gateway(ctx)
    gw.on_message(NSDQ, "D", _d("a", t59="3"))
    gw.on_ack(ChildAck(101, 7, "NSDQ", 1, 2))
    gw.on_fill(ChildFill(101, 7, "NSDQ", "AAA", Side.BUY, 100, 500_100, Liquidity.REMOVED, 0.3, 200, 1, 2))
    gw.on_cancelled(ChildCancelled(101, 7, "NSDQ", 200, CancelReason.IOC_REMAINDER, 1, 2))
    new, trade, cancelled = (f for _s, _t, f in out)
    assert (new[150], new[39], new[151], new[14], new[37]) == ("0", "0", "300", "0", "101")
    assert (trade[150], trade[39], trade[32], trade[31], trade[14], trade[151], trade[6], trade[851]) == (
        "F", "1", "100", "50.01", "100", "200", "50.01", "2")
    assert (cancelled[150], cancelled[39], cancelled[151], cancelled[14]) == ("4", "4", "0", "100")


def test_cancel_and_replace_requests_follow_the_fix_order_chain():
    """F for OrigClOrdID a -> ctx.cancel; its Canceled report carries ClOrdID c and OrigClOrdID a. G to OrderQty 500
    at 50.02 after nothing executed -> ctx.replace(open 500, 500,200) and Replaced (150=5); a venue refusal then
    answers OrderCancelReject (434=2) and restores the order; an unknown OrigClOrdID gets OrderCancelReject 102=1."""
    ctx = RecordingContext()
    gw, out = _gateway(ctx)
    gw.on_message(NSDQ, "D", _d("a"))
    gw.on_ack(ChildAck(101, 7, "NSDQ", 1, 2))
    gw.on_message(NSDQ, "G", [(41, "a"), (11, "b"), (55, "AAA"), (54, "1"), (38, "500"), (40, "2"), (44, "50.02")])
    assert ctx.replaces == [(101, 500, 500_200)]
    assert out[-1][2][150] == "5" and out[-1][2][11] == "b" and out[-1][2][41] == "a" and out[-1][2][38] == "500"
    gw.on_reject(ChildReject(101, 7, "NSDQ", RejectReason.INVALID_PRICE, 1, 2))
    assert out[-1][1] == "9" and out[-1][2][434] == "2" and gw.by_child[101].qty == 300
    gw.on_message(NSDQ, "F", [(41, "b"), (11, "c"), (55, "AAA"), (54, "1")])
    assert ctx.cancels == [101]
    gw.on_cancelled(ChildCancelled(101, 7, "NSDQ", 300, CancelReason.REQUESTED, 1, 2))
    assert (out[-1][2][150], out[-1][2][11], out[-1][2][41]) == ("4", "c", "b")
    gw.on_message(NSDQ, "F", [(41, "nope"), (11, "d"), (55, "AAA"), (54, "1")])
    assert out[-1][1] == "9" and out[-1][2][102] == "1" and out[-1][2][434] == "1"


def test_market_data_snapshot_then_incrementals_only_when_the_top_of_book_changes():
    """V subscribes: W with bid 50.00 x 300 and offer 50.01 x 200; no change -> no X; the bid moving to 50.005 x 100
    -> one X entry (279=1 change, 269=0); the offer emptying -> 279=2 delete; an unknown symbol -> Y 281=0."""
    ctx = RecordingContext()
    gw, out = _gateway(ctx)
    gw.on_message(NSDQ, "V", [(262, "m"), (263, "1"), (264, "1"), (267, "2"), (269, "0"), (269, "1"), (146, "1"),
                              (55, "AAA")])
    (_s, t, snap), = out
    assert t == "W" and snap[-1] == [[(269, "0"), (270, "50"), (271, "300"), (275, "NSDQ")],
                                     [(269, "1"), (270, "50.01"), (271, "200"), (275, "NSDQ")]]
    gw.poll_market_data()
    assert len(out) == 1
    ctx.top = Quote(ts_ns=1, bid=500_050, bid_size=100, ask=500_100, ask_size=200)
    gw.poll_market_data()
    assert out[-1][1] == "X" and out[-1][2][-1] == [[(279, "1"), (269, "0"), (55, "AAA"), (270, "50.005"),
                                                     (271, "100"), (275, "NSDQ")]]
    ctx.top = Quote(ts_ns=2, bid=500_050, bid_size=100, ask=None, ask_size=0)
    gw.poll_market_data()
    assert out[-1][2][-1] == [[(279, "2"), (269, "1"), (55, "AAA"), (275, "NSDQ")]]
    gw.on_message(NSDQ, "V", [(262, "n"), (263, "1"), (264, "1"), (146, "1"), (55, "ZZZ")])
    assert out[-1][1] == "Y" and out[-1][2][281] == "0"


def test_a_snapshot_of_an_empty_book_carries_no_md_entries_zero():
    """MarketDataSnapshotFullRefresh requires NoMDEntries (268): an empty book is 268=0, not a missing field."""
    ctx = RecordingContext(top=Quote(ts_ns=0, bid=None, bid_size=0, ask=None, ask_size=0))
    gw, out = _gateway(ctx)
    gw.on_message(NSDQ, "V", [(262, "e"), (263, "1"), (264, "1"), (267, "2"), (269, "0"), (269, "1"), (146, "1"),
                              (55, "AAA")])
    (_s, t, snap), = out
    assert t == "W" and snap[268] == "0" and -1 not in snap


@pytest.mark.parametrize("qty", ["100000000000000000000", "9" * 400, "nan", "inf", "-100"])
def test_an_order_qty_out_of_range_is_a_business_reject_quoting_it_briefly(qty):
    """OrdRejReason 13 (incorrect quantity); the Text quotes at most 32 characters of the value; nothing is sent."""
    ctx = RecordingContext()
    gw, out = _gateway(ctx)
    gw.on_message(NSDQ, "D", _d("q", t38=qty))
    assert ctx.sent == []
    (_s, _t, f), = out
    assert f[150] == "8" and f[103] == "13" and len(f[58]) < 120 and f[38] == "0"
