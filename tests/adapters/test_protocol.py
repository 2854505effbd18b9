"""The router-process protocol's framing (adapters.protocol): only well-formed JSON objects of bounded size pass.

Each case is a frame a hostile router process could write; each must be a ProtocolError, never an exception of
another kind, a hang or a huge allocation.
"""

from __future__ import annotations

import os
import time

import pytest

from adapters.contract import ChildFill, ParentOrder
from adapters.protocol import (
    MAX_FRAME_BYTES,
    Channel,
    ChannelClosed,
    ChannelTimeout,
    ProtocolError,
    decode,
    decode_event,
    encode,
    encode_event,
)
from venues.types import Liquidity, OrdType, Side


def _pipe_channel() -> tuple[Channel, int, int]:
    r, w = os.pipe()
    return Channel(r, os.open(os.devnull, os.O_WRONLY), nonblocking=True), r, w


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (b"\xff\xfe", "not a JSON message"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"t": 3}', "must be a JSON object with a string 't'"),
        (b'{"t": "send", "qty": NaN}', "non-finite number NaN"),
        (b'{"t": "send", "qty": Infinity}', "non-finite number Infinity"),
        (b'{"t": "x", "v": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "not a JSON message"),
        (b'{"t": "x", "qty": ' + b"9" * 5000 + b"}", "not a JSON message"),
    ],
)
def test_malformed_bodies_are_protocol_errors(body, text):
    with pytest.raises(ProtocolError, match=None) as err:
        decode(body)
    assert text in str(err.value)


def test_an_oversize_frame_header_is_refused_before_reading_its_body():
    ch, _r, w = _pipe_channel()
    os.write(w, (MAX_FRAME_BYTES + 1).to_bytes(4, "big"))
    with pytest.raises(ProtocolError, match="exceeds the 1048576-byte limit"):
        ch.recv(time.monotonic() + 1)


def test_a_silent_peer_times_out_and_a_closed_one_is_closed():
    ch, _r, w = _pipe_channel()
    os.write(w, encode({"t": "done"})[:3])  # a partial header, then nothing
    with pytest.raises(ChannelTimeout):
        ch.recv(time.monotonic() + 0.05)
    os.close(w)
    with pytest.raises(ChannelClosed):
        ch.recv(time.monotonic() + 1)


def test_frames_round_trip_and_contract_types_survive_as_plain_data():
    ch, _r, w = _pipe_channel()
    os.write(w, encode({"t": "ret", "value": 2**70}) + encode({"t": "done", "seq": 1}))
    assert ch.recv(time.monotonic() + 1) == {"t": "ret", "value": 2**70}
    assert ch.recv(time.monotonic() + 1) == {"t": "done", "seq": 1}
    parent = ParentOrder(7, "AAA", Side.SELL, OrdType.LIMIT, 300, 1_000_100, 34_200_000_000_000)
    assert decode_event("on_parent", encode_event(parent)) == parent
    fill = ChildFill(1, 7, "NSDQ", "AAA", Side.SELL, 100, 1_000_100, Liquidity.REMOVED, 0.3, 200, 5, 6, 0.0001)
    data = decode(encode({"t": "cb", "arg": encode_event(fill)})[4:])["arg"]
    assert decode_event("on_fill", data) == fill and data["side"] == -1 and data["liquidity"] == "removed"
