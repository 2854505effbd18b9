"""The venue gateway refuses out-of-range input with FIX rejects; the vendor's run goes on.

A 10^20-share or 400-digit OrderQty, a 400-digit Price and a child larger than its parent's open quantity each get
an ExecutionReport 150=8 (OrdRejReason 13 or 99, a short Text); the run stays ``ok`` and the child-order table only
holds int64 numbers. A message over the front door's 64 KiB limit (here 2 MiB, sent in one piece or trickled) gets a
BusinessMessageReject (35=j) naming its sequence number and type, and the session goes on in sequence.
"""

from __future__ import annotations

import pytest

pytest.importorskip("quickfix", reason="QuickFIX's Python binding (pip install 'sorbench[fix]') is not installed")

from adapters.fix.gateway import parse_price, parse_qty
from tests.adapters.fix.helpers import fix_scenario, order, params, parent, start_run
from tests.adapters.fix.test_gateway_sessions import _logged_on, _parent_arrived, ports  # noqa: F401 (fixture)


def test_huge_and_malformed_numbers_are_not_numbers_the_gateway_accepts():
    assert parse_qty("100000000000000000000") is None and parse_qty("9" * 400) is None
    assert parse_qty("nan") is None and parse_qty("inf") is None and parse_qty("100000000") == 100_000_000
    assert parse_price("9" * 400) is None and parse_price("1e305") is None and parse_price("nan") is None
    assert parse_price("50.00005") is None  # between two $0.0001 units: refused, never rounded onto the grid
    assert parse_price("1000000") == 10_000_000_000 and parse_price("1000000.0001") is None


def test_out_of_range_orders_get_business_rejects_and_the_run_completes(ports):  # noqa: F811
    vendor_port, gateway_port, vendor = ports
    fut = start_run(fix_scenario(seconds=5), params(vendor_port=vendor_port, gateway_port=gateway_port),
                    [parent(1, qty=98, limit_usd=50.5, at_s=0.1)])
    client = _logged_on(gateway_port)
    assert _parent_arrived(vendor)
    cases = {"e20": dict(qty="100000000000000000000"), "d400": dict(qty="9" * 400),
             "p400": dict(price="9" * 400), "over": dict(qty="100")}  # 100 shares of a 98-share parent
    for cl, kw in cases.items():
        client.send("D", order(cl, **kw))
    for cl in cases:
        r = client.wait_for(lambda m, cl=cl: m.get(35) == "8" and m.get(11) == cl, 5)
        assert r is not None and r[150] == "8", (cl, r)
        assert r.get(103) in ("13", "99"), (cl, r)
        assert len(r.get(58, "")) < 200
    result = fut.result(timeout=30)
    client.close()
    assert result.status == "ok", result.error
    ch = result.child_orders
    assert all(0 <= q < 2**63 for q in ch["qty"])
    assert "exceeds_parent" in ch["reject_reason"]


def test_an_oversize_message_gets_a_business_reject_and_the_session_goes_on(ports):  # noqa: F811
    vendor_port, gateway_port, vendor = ports
    fut = start_run(fix_scenario(seconds=5), params(vendor_port=vendor_port, gateway_port=gateway_port),
                    [parent(1, qty=1000, limit_usd=50.5, at_s=0.1)])
    client = _logged_on(gateway_port)
    assert _parent_arrived(vendor)
    big_seq = client.seq
    client.send("D", order("big", extra=[(58, "x" * (2 << 20))]))  # a 2 MiB NewOrderSingle
    r = client.wait_for(lambda m: m.get(35) == "j" and m.get(45) == str(big_seq), 10)
    assert r is not None and r.get(372) == "D" and "over the 65536-byte limit" in r.get(58, ""), r
    client.send("D", order("after"))  # the next message is in sequence and handled
    r = client.wait_for(lambda m: m.get(35) == "8" and m.get(11) == "after", 5)
    assert r is not None, client.received[-3:]
    assert client.wait_for(lambda m: m.get(35) in ("2", "5"), 0.5) is None  # no resend request, no logout
    result = fut.result(timeout=30)
    client.close()
    assert result.status == "ok", result.error
    events = result.extra_tables["fix/session_events.parquet"]
    assert "oversize_rejected" in set(events["event"])
