"""The gateway's front door: listens on loopback, relays to the internal QuickFIX port renaming the vendor's CompID
(with BodyLength and CheckSum recomputed), and passes anything that is not well-formed FIX through untouched."""

from __future__ import annotations

import socket
import threading

import pytest

from adapters.fix.config import GatewaySpec
from adapters.fix.frontdoor import FrontDoor, rewrite_comp_id, split_frames


def _frame(body: str) -> bytes:
    head = f"8=FIX.4.4\x019={len(body)}\x01{body}".encode()
    return head + b"10=%03d\x01" % (sum(head) % 256)


def test_a_comp_id_rewrite_recomputes_body_length_and_checksum():
    """49=V becomes 49=V~x: the result is exactly the frame built with the new CompID."""
    before = _frame("35=0\x0134=2\x0149=V\x0152=20260101-00:00:00\x0156=NSDQ\x01")
    after = _frame("35=0\x0134=2\x0149=V~x\x0152=20260101-00:00:00\x0156=NSDQ\x01")
    assert rewrite_comp_id(before, 49, b"V", b"V~x") == after
    assert rewrite_comp_id(after, 49, b"V~x", b"V") == before


def test_malformed_frames_pass_through_unchanged():
    """A wrong checksum, a wrong BodyLength or a missing field: the frame is left for QuickFIX to judge."""
    good = _frame("35=0\x0134=2\x0149=V\x0156=NSDQ\x01")
    bad_sum = good[:-4] + b"000\x01" if not good.endswith(b"=000\x01") else good[:-4] + b"001\x01"
    assert rewrite_comp_id(bad_sum, 49, b"V", b"W") == bad_sum
    bad_len = good.replace(b"9=", b"9=1", 1)
    assert rewrite_comp_id(bad_len, 49, b"V", b"W") == bad_len
    assert rewrite_comp_id(good, 49, b"X", b"W") == good


def test_frames_are_split_by_body_length_and_garbage_is_passed_on():
    """Two frames and half of a third: two come out, the half waits; leading garbage comes out on its own."""
    a, b = _frame("35=0\x0134=1\x01"), _frame("35=0\x0134=2\x01")
    frames, rest = split_frames(b"junk" + a + b + b[:10])
    assert frames == [b"junk", a, b] and rest == b[:10]


def test_an_oversize_message_is_read_past_in_pieces_and_replaced_by_a_reject_notice():
    """A 1 MiB message trickled in 64 KiB pieces, then a heartbeat: out come the notice (35=j, same seq and
    CompIDs, RefMsgType D) and the heartbeat; nothing of the big message is kept."""
    from adapters.fix.frontdoor import OVERSIZE_MARK, FrameSplitter

    big = _frame("35=D\x0134=7\x0149=V\x0152=20261120-14:30:00.000\x0156=NSDQ\x0158=" + "y" * (1 << 20) + "\x01")
    hb = _frame("35=0\x0134=8\x0149=V\x0152=20261120-14:30:00.000\x0156=NSDQ\x01")
    splitter, out = FrameSplitter(), []
    stream = big + hb
    for i in range(0, len(stream), 65536):
        out += splitter.feed(stream[i: i + 65536])
    assert len(out) == 2 and out[1] == hb
    notice = dict(f.split("=", 1) for f in out[0].decode().split("\x01")[:-1])
    assert notice["35"] == "j" and notice["34"] == "7" and notice["45"] == "7" and notice["372"] == "D"
    assert notice["49"] == "V" and notice["58"].startswith(OVERSIZE_MARK) and len(out[0]) < 400
    assert rewrite_comp_id(out[0], 49, b"V", b"W") != out[0]  # well-formed: BodyLength and CheckSum hold


def test_the_front_door_listens_on_loopback_and_renames_in_both_directions():
    """A client's 49=V reaches the inside as 49=V~s; the inside's 56=V~s comes back as 56=V."""
    inner = socket.socket()
    inner.bind(("127.0.0.1", 0))
    inner.listen(1)
    seen: list[bytes] = []

    def serve() -> None:
        conn, _ = inner.accept()
        data = b""
        while not data.endswith(b"\x01") or b"10=" not in data:
            data += conn.recv(4096)
        seen.append(data)
        conn.sendall(_frame("35=0\x0134=1\x0149=NSDQ\x0156=V~s\x01"))
        conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    door = FrontDoor(host="127.0.0.1", port=0, internal_port=inner.getsockname()[1], renames={"V": "V~s"})
    try:
        assert door.address[0] == "127.0.0.1"
        with socket.create_connection(door.address, timeout=5) as c:
            c.sendall(_frame("35=0\x0134=1\x0149=V\x0156=NSDQ\x01"))
            reply = b""
            while b"10=" not in reply:
                reply += c.recv(4096)
        t.join(5)
        assert seen == [_frame("35=0\x0134=1\x0149=V~s\x0156=NSDQ\x01")]
        assert reply == _frame("35=0\x0134=1\x0149=NSDQ\x0156=V\x01")
    finally:
        door.close()
        inner.close()


def test_a_non_loopback_listening_address_needs_allow_remote():
    """host = 0.0.0.0 is refused unless allow_remote = true."""
    with pytest.raises(ValueError, match="not a loopback address"):
        GatewaySpec(host="0.0.0.0")
    assert GatewaySpec(host="0.0.0.0", allow_remote=True).host == "0.0.0.0"
