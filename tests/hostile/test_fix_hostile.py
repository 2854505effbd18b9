"""Hostile FIX input that never reaches a socket: the gateway's handling of any field values, and the front door's
framing of any byte stream (the sessions themselves are tested in tests/adapters/fix/, over sockets).

- The gateway, given NewOrderSingle / cancel / replace / market-data messages with hostile field values (400-digit
  numbers, 10^20, NaN, negative, sub-tick prices, control characters, 70 KB strings), never raises, never hands the
  simulation a quantity outside 1..10^8 or a price outside the $0.0001 grid up to $1,000,000, and answers every
  refused order with a reject whose Text is short.
- The front door, given any mix of well-formed frames, oversize messages and garbage cut into any pieces, passes every
  well-formed frame through unchanged and in order, replaces each oversize message by one short notice, and never
  holds more than the limit (plus one read) in memory.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("quickfix", reason="QuickFIX's Python binding (pip install 'sorbench[fix]') is not installed")

from adapters.contract import MAX_ORDER_QTY, MAX_PRICE
from adapters.fix.frontdoor import MAX_MESSAGE_BYTES, OVERSIZE_MARK, FrameSplitter
from tests.adapters.fix.test_gateway_translation import NSDQ, ROUTING, RecordingContext, _gateway
from tests.hostile.conftest import LONG

settings.load_profile("hostile")
hostile = st.one_of(
    st.sampled_from(["", "0", "-1", "9" * 400, "100000000000000000000", "1e20", "nan", "inf", "-inf", "50.00005",
                     "1000000.0001", "0.0001", "100000000", "100000001", "x" * 70_000, "\x00", "1" * 33, "50.01",
                     "300", "1", "2", "3", "4", "P", "D", "NSDQ", "NOPE", "AAA", "ZZZ"]),
    st.text(max_size=16).filter(lambda s: "\x01" not in s),
)
TAGS = [11, 41, 55, 54, 38, 40, 44, 59, 110, 111, 18, 100, 207, 262, 263, 264, 269, 60, 1]


@st.composite
def messages(draw: st.DrawFn) -> tuple[str, str, list[tuple[int, str]]]:
    session = draw(st.sampled_from([NSDQ, ROUTING]))
    msg_type = draw(st.sampled_from(["D", "F", "G", "V"]))
    base = {11: draw(st.sampled_from(["a", "b", "c"])), 55: "AAA", 54: "1", 60: "20261120-14:30:00", 38: "300",
            40: "2", 44: "50.01", 59: "0", 41: draw(st.sampled_from(["a", "b", "c"])), 262: "r", 263: "0",
            269: "0"}
    for tag in draw(st.lists(st.sampled_from(TAGS), max_size=4)):
        base[tag] = draw(hostile)
    return session, msg_type, list(base.items())


def check_gateway(batch: list[tuple[str, str, list[tuple[int, str]]]]) -> None:
    ctx = RecordingContext()
    gw, out = _gateway(ctx)
    for session, msg_type, pairs in batch:
        gw.on_message(session, msg_type, pairs)
    for kw in ctx.sent:
        assert type(kw["qty"]) is int and 1 <= kw["qty"] <= MAX_ORDER_QTY, kw
        price = kw.get("price")
        assert price is None or (type(price) is int and 1 <= price <= MAX_PRICE), kw
    for _cid, qty, price in ctx.replaces:
        assert 1 <= qty <= MAX_ORDER_QTY and 1 <= price <= MAX_PRICE
    for _session, _t, fields in out:
        assert len(fields.get(58, "")) < 300, fields.get(58, "")[:80]


@given(batch=st.lists(messages(), min_size=1, max_size=6))
def test_the_gateway_refuses_hostile_field_values_and_never_passes_them_on(batch):
    check_gateway(batch)


@pytest.mark.slow
@LONG
@given(batch=st.lists(messages(), min_size=1, max_size=12))
def test_the_gateway_refuses_hostile_field_values_and_never_passes_them_on_long(batch):
    check_gateway(batch)


def _frame(seq: int, extra: bytes = b"") -> bytes:
    body = b"35=D\x0134=%d\x0149=V\x0152=20261120-14:30:00.000\x0156=NSDQ\x01%s" % (seq, extra)
    head = b"8=FIX.4.4\x019=%d\x01" % len(body) + body
    return head + b"10=%03d\x01" % (sum(head) % 256)


@st.composite
def streams(draw: st.DrawFn) -> tuple[bytes, list[bytes], int, list[int]]:
    parts, good, oversize = [], [], 0
    for seq in range(1, draw(st.integers(min_value=1, max_value=8)) + 1):
        kind = draw(st.sampled_from(["good", "good", "big", "junk"]))
        if kind == "good":
            parts.append(_frame(seq, b"58=" + b"g" * draw(st.integers(0, 300)) + b"\x01"))
            good.append(parts[-1])
        elif kind == "big":
            parts.append(_frame(seq, b"58=" + b"b" * draw(st.integers(MAX_MESSAGE_BYTES, 3 * MAX_MESSAGE_BYTES))
                                + b"\x01"))
            oversize += 1
        else:
            parts.append(draw(st.binary(max_size=50)).replace(b"8=FIX", b"8=FIY"))
    cuts = draw(st.lists(st.integers(min_value=1, max_value=70_000), min_size=1, max_size=6))
    return b"".join(parts), good, oversize, cuts


def check_stream(stream: bytes, good: list[bytes], oversize: int, cuts: list[int]) -> None:
    splitter, out, i, k = FrameSplitter(), [], 0, 0
    while i < len(stream):
        n = cuts[k % len(cuts)]
        out += splitter.feed(stream[i: i + n])
        assert len(splitter._buf) <= MAX_MESSAGE_BYTES + 4096 + 70_000  # an oversize message is never kept
        i, k = i + n, k + 1
    frames = [f for f in out if f.startswith(b"8=FIX.4.4\x01")]
    notices = [f for f in frames if OVERSIZE_MARK.encode() in f]
    assert [f for f in frames if f not in notices] == good
    assert len(notices) == oversize and all(len(f) < 400 for f in notices)


@given(case=streams())
def test_the_front_door_passes_good_frames_and_replaces_oversize_ones_in_any_pieces(case):
    check_stream(*case)


@pytest.mark.slow
@LONG
@given(case=streams())
def test_the_front_door_passes_good_frames_and_replaces_oversize_ones_in_any_pieces_long(case):
    check_stream(*case)
