"""The router-process protocol: how the simulator and a router in a child process talk over a pipe.

Every message is one *frame*: a 4-byte big-endian length, then that many bytes of UTF-8 JSON holding one object
whose ``"t"`` names its type. Only plain data crosses the pipe (objects, arrays, strings, integers, finite floats,
booleans, null); nothing is pickled, so a router process can send nothing but data. A frame over
:data:`MAX_FRAME_BYTES`, bytes that are not UTF-8 JSON, NaN or infinity, nesting too deep to parse, or an integer of
more than 4,300 digits are :class:`ProtocolError`.

Simulator -> router: ``hello`` (once), ``cb`` (one callback), ``ret`` / ``err`` (the answer to a request), ``bye``.
Router -> simulator: ``ready`` or ``failed`` (to ``hello``); during a callback any number of requests (``nbbo``,
``quote``, ``send``, ``cancel``, ``replace``, ``timer``), each answered before the next, then ``done`` or
``failed``. The fields of each are in ``docs/routers.md`` ("The router process").

This module holds the framing and the encoding of the contract's types; :mod:`adapters.router_host` is the router's
side, :mod:`harness.sim.router_process` the simulator's.
"""

from __future__ import annotations

import json
import os
import select
import time
from dataclasses import fields
from typing import Any

from adapters.contract import ChildAck, ChildCancelled, ChildFill, ChildReject, ParentOrder
from venues.fees import FeeSchedule
from venues.types import CancelReason, Liquidity, OrdType, Quote, RejectReason, Side
from venues.venue import SymbolInfo, VenueInfo, VenueKind

PROTOCOL_VERSION = 1
"""Sent in ``hello`` and ``ready``; a router process that answers another version is refused."""
MAX_FRAME_BYTES = 1 << 20
"""The largest frame either side accepts (1 MiB); a longer one is a protocol error."""

_HEADER = 4


class ProtocolError(Exception):
    """A frame that is not a well-formed protocol message."""


class ChannelClosed(Exception):
    """The other side closed its end of the pipe (its process ended)."""


class ChannelTimeout(Exception):
    """No complete frame arrived (or could be written) before the deadline."""


def _refuse_constant(name: str) -> Any:
    raise ProtocolError(f"non-finite number {name} in a message")


def decode(body: bytes) -> dict[str, Any]:
    """One message from a frame's body; :class:`ProtocolError` if it is not a JSON object with a string ``t``."""
    try:
        obj = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except ProtocolError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # ValueError: bad JSON, or an int over 4300 digits
        raise ProtocolError(f"not a JSON message ({type(exc).__name__}: {str(exc)[:120]})") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("t"), str):
        raise ProtocolError(f"a message must be a JSON object with a string 't' (got {str(obj)[:80]})")
    return obj


def encode(msg: dict[str, Any]) -> bytes:
    """A message as a frame (length prefix and compact JSON)."""
    body = json.dumps(msg, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if len(body) > MAX_FRAME_BYTES:
        raise ProtocolError(f"message of {len(body)} bytes exceeds the {MAX_FRAME_BYTES}-byte frame limit")
    return len(body).to_bytes(_HEADER, "big") + body


class Channel:
    """Frames over a pair of pipe file descriptors, with optional deadlines (``time.monotonic()`` seconds).

    The simulator's side uses deadlines on non-blocking descriptors, so that a router process that stops reading or
    writing cannot block it; the router's side blocks.
    """

    def __init__(self, read_fd: int, write_fd: int, *, nonblocking: bool = False) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd
        self._buf = bytearray()
        self._nonblocking = nonblocking
        if nonblocking:
            os.set_blocking(read_fd, False)
            os.set_blocking(write_fd, False)

    def send(self, msg: dict[str, Any], deadline: float | None = None) -> None:
        """Write one message (all of it, or :class:`ChannelTimeout` / :class:`ChannelClosed`)."""
        data = memoryview(encode(msg))
        while data:
            try:
                n = os.write(self.write_fd, data)
            except BlockingIOError:  # the pipe is full: wait until the other side reads, or the deadline
                self._wait(self.write_fd, deadline, write=True)
                continue
            except (BrokenPipeError, OSError) as exc:
                raise ChannelClosed(str(exc)) from None
            data = data[n:]

    def recv(self, deadline: float | None = None) -> dict[str, Any]:
        """Read one message (:class:`ProtocolError`, :class:`ChannelTimeout` or :class:`ChannelClosed` otherwise)."""
        self._fill(_HEADER, deadline)
        size = int.from_bytes(self._buf[:_HEADER], "big")
        if size > MAX_FRAME_BYTES:
            raise ProtocolError(f"frame of {size} bytes exceeds the {MAX_FRAME_BYTES}-byte limit")
        self._fill(_HEADER + size, deadline)
        body = bytes(self._buf[_HEADER : _HEADER + size])
        del self._buf[: _HEADER + size]
        return decode(body)

    def _fill(self, n: int, deadline: float | None) -> None:
        while len(self._buf) < n:
            try:
                chunk = os.read(self.read_fd, max(65536, n - len(self._buf)))
            except BlockingIOError:  # nothing yet: wait for data, or the deadline
                self._wait(self.read_fd, deadline, write=False)
                continue
            except OSError as exc:
                raise ChannelClosed(str(exc)) from None
            if not chunk:
                raise ChannelClosed("end of file")
            self._buf += chunk

    @staticmethod
    def _wait(fd: int, deadline: float | None, *, write: bool) -> None:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        r, w, _ = select.select([] if write else [fd], [fd] if write else [], [], timeout)
        if not r and not w:
            raise ChannelTimeout("deadline passed")


# ---------------------------------------------------------------------------------------------- the contract's types
_EVENTS: dict[str, tuple[type, dict[str, Any]]] = {
    "on_parent": (ParentOrder, {"side": Side, "order_type": OrdType}),
    "on_ack": (ChildAck, {}),
    "on_fill": (ChildFill, {"side": Side, "liquidity": Liquidity}),
    "on_reject": (ChildReject, {"reason": RejectReason}),
    "on_cancelled": (ChildCancelled, {"reason": CancelReason}),
}
"""The callbacks whose argument is one of the contract's dataclasses, with the fields that are enums."""


def encode_event(obj: Any) -> dict[str, Any]:
    """A contract dataclass (parent order, ack, fill, reject, cancel) as plain data (enums by value)."""
    return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}


def _plain(v: Any) -> Any:
    return v.value if isinstance(v, (Side, OrdType, Liquidity, RejectReason, CancelReason)) else v


def decode_event(callback: str, data: dict[str, Any]) -> Any:
    """The dataclass a callback receives, from :func:`encode_event`'s data."""
    cls, enums = _EVENTS[callback]
    kwargs = {f.name: data[f.name] for f in fields(cls)}
    for name, enum in enums.items():
        kwargs[name] = enum(kwargs[name])
    return cls(**kwargs)


def event_callbacks() -> frozenset[str]:
    """The callbacks that carry a contract dataclass."""
    return frozenset(_EVENTS)


def encode_quote(q: Quote) -> dict[str, Any]:
    """A quote as plain data."""
    return {"ts_ns": q.ts_ns, "bid": q.bid, "bid_size": q.bid_size, "ask": q.ask, "ask_size": q.ask_size}


def decode_quote(d: dict[str, Any]) -> Quote:
    """A quote from :func:`encode_quote`'s data."""
    return Quote(ts_ns=d["ts_ns"], bid=d["bid"], bid_size=d["bid_size"], ask=d["ask"], ask_size=d["ask_size"])


def encode_venue(v: VenueInfo) -> dict[str, Any]:
    """A venue's static data as plain data."""
    return {
        "name": v.name,
        "kind": v.kind.value,
        "protected": v.protected,
        "symbols": list(v.symbols),
        "speed_bump_ns": v.speed_bump_ns,
        "min_qty": v.min_qty,
        "fees": {
            "take_fee_micros": v.fees.take_fee_micros,
            "make_fee_micros": v.fees.make_fee_micros,
            "pfof_micros": v.fees.pfof_micros,
        },
    }


def decode_venue(d: dict[str, Any]) -> VenueInfo:
    """A venue's static data from :func:`encode_venue`'s data."""
    return VenueInfo(
        name=d["name"],
        kind=VenueKind(d["kind"]),
        fees=FeeSchedule(**d["fees"]),
        protected=d["protected"],
        symbols=tuple(d["symbols"]),
        speed_bump_ns=d["speed_bump_ns"],
        min_qty=d["min_qty"],
    )


def encode_symbol(s: SymbolInfo) -> dict[str, Any]:
    """A symbol's static data as plain data."""
    return {"name": s.name, "tick": s.tick, "round_lot": s.round_lot, "sp500": s.sp500}


def decode_symbol(d: dict[str, Any]) -> SymbolInfo:
    """A symbol's static data from :func:`encode_symbol`'s data."""
    return SymbolInfo(name=d["name"], tick=d["tick"], round_lot=d["round_lot"], sp500=d["sp500"])
