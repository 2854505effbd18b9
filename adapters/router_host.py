"""The router's side of a router process: load one router, answer the simulator's callbacks over a pipe.

The simulator (:mod:`harness.sim.router_process`) starts ``python -c "...router_host.main(...)"`` fresh for every
(router, seed) run. This process imports only :mod:`adapters` and :mod:`venues` (never the simulation), applies its
memory and CPU limits to itself (and a zero file-size limit: it cannot write into files; its stdout and stderr
are a pipe the simulator forwards to its own stderr) before it loads the router's code, then builds the router from
the ``hello`` message and serves callbacks until ``bye``. What the router sees is what :class:`RemoteContext` gives
it: the contract's members, answered by the simulator (``nbbo``, ``quote``, ``send``, ``cancel``, ``replace``,
``set_timer``) or kept here (``now_ns`` of the callback, the static ``venues`` and ``symbols``, its own ``fills``).
Timer tokens stay in this process (the simulator sees a number).
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Mapping
from dataclasses import asdict
from types import MappingProxyType
from typing import Any

from adapters.confine import die_with_parent, limit_self
from adapters.contract import ChildFill, Router, child_order_args
from adapters.protocol import (
    PROTOCOL_VERSION,
    Channel,
    ChannelClosed,
    decode_event,
    decode_quote,
    decode_symbol,
    decode_venue,
    event_callbacks,
)
from venues.types import Quote, Side, TimeInForce
from venues.venue import SymbolInfo, VenueInfo

_ERRORS: dict[str, type[Exception]] = {"ValueError": ValueError, "TypeError": TypeError, "KeyError": KeyError}


def failure_text(exc: BaseException, memory_bytes: int) -> str:
    """The reason a callback failed, in the words the in-process containment uses."""
    if isinstance(exc, SystemExit):
        return f"the router called sys.exit({exc.code!r}) (contained)"
    if isinstance(exc, KeyboardInterrupt):
        kind = type(exc).__name__ if type(exc) is KeyboardInterrupt else f"{type(exc).__name__} (a KeyboardInterrupt)"
        return f"the router raised {kind} though no Ctrl-C was pressed: {exc}"
    if isinstance(exc, MemoryError) and memory_bytes > 0:
        return f"MemoryError: {exc} (the router process's memory limit is {memory_bytes} bytes, --router-memory)"
    return f"{type(exc).__name__}: {exc}"


class RemoteContext:
    """The :class:`adapters.contract.RouterContext` of a router in its own process."""

    __slots__ = ("_ch", "_seq", "_now", "_venues", "_symbols", "_fills", "_by_parent", "_tokens", "_next_token")

    def __init__(self, ch: Channel, venues: Mapping[str, VenueInfo], symbols: Mapping[str, SymbolInfo]) -> None:
        self._ch = ch
        self._seq = 0
        self._now = 0
        self._venues = venues
        self._symbols = symbols
        self._fills: list[ChildFill] = []
        self._by_parent: dict[int, list[ChildFill]] = {}
        self._tokens: dict[int, object] = {}
        self._next_token = 0

    def _ask(self, msg: dict[str, Any]) -> Any:
        msg["seq"] = self._seq
        self._ch.send(msg)
        answer = self._ch.recv()
        if answer["t"] == "err":
            raise _ERRORS.get(answer.get("type", ""), RuntimeError)(answer.get("message", ""))
        return answer.get("value")

    @property
    def now_ns(self) -> int:
        """Current simulated time, ns since midnight (the time of the callback)."""
        return self._now

    @property
    def venues(self) -> Mapping[str, VenueInfo]:
        """Static data of every venue."""
        return self._venues

    @property
    def symbols(self) -> Mapping[str, SymbolInfo]:
        """Static data of every symbol."""
        return self._symbols

    def nbbo(self, symbol: str) -> Quote:
        """The NBBO as the SIP shows it to this router now (asked of the simulator)."""
        return decode_quote(self._ask({"t": "nbbo", "symbol": str(symbol)}))

    def quote(self, venue: str, symbol: str) -> Quote:
        """A venue's top of book as its direct feed shows it now (asked of the simulator)."""
        return decode_quote(self._ask({"t": "quote", "venue": str(venue), "symbol": str(symbol)}))

    def send(
        self,
        *,
        parent_id: int,
        venue: str,
        side: Side,
        qty: int,
        price: int | None,
        tif: TimeInForce = TimeInForce.DAY,
        post_only: bool = False,
        iso: bool = False,
        midpoint_peg: bool = False,
        display_qty: int | None = None,
        min_qty: int = 0,
    ) -> int:
        """Send a child order; returns its child id (the simulator assigns it)."""
        args = child_order_args(
            parent_id=parent_id, venue=venue, side=side, qty=qty, price=price, tif=tif, post_only=post_only, iso=iso,
            midpoint_peg=midpoint_peg, display_qty=display_qty, min_qty=min_qty,
        )
        if not isinstance(parent_id, int) or isinstance(parent_id, bool):
            raise ValueError(f"unknown parent order {parent_id!r}")
        if not isinstance(venue, str):
            raise ValueError(f"unknown venue {venue!r}")
        child_id: int = self._ask({"t": "send", **asdict(args), "side": args.side.value, "tif": args.tif.value})
        return child_id

    def fills(self, parent_id: int | None = None) -> list[ChildFill]:
        """The router's own fills received so far (of one parent, or all), in arrival order."""
        if parent_id is None:
            return list(self._fills)
        return list(self._by_parent.get(parent_id, ()))

    def cancel(self, child_id: int) -> None:
        """Ask the venue to cancel a child order's open quantity."""
        self._ask({"t": "cancel", "child_id": _child_id(child_id)})

    def replace(self, child_id: int, *, qty: int, price: int) -> None:
        """Ask the venue to change a child order's open quantity and price."""
        self._ask({"t": "replace", "child_id": _child_id(child_id), "qty": int(qty), "price": int(price)})

    def set_timer(self, delay_ns: int, token: object = None) -> None:
        """Call ``on_timer(token)`` after ``delay_ns`` (the token stays in this process)."""
        if delay_ns < 0:
            raise ValueError(f"timer delay must be >= 0, got {delay_ns}")
        self._next_token += 1
        self._tokens[self._next_token] = token
        self._ask({"t": "timer", "delay_ns": int(delay_ns), "token": self._next_token})

    # ------------------------------------------------------------------ serving callbacks
    def callback(self, router: Router, msg: dict[str, Any]) -> None:
        """Run one ``cb`` message's callback on ``router``."""
        self._seq = msg["seq"]
        self._now = msg["now_ns"]
        name = msg["cb"]
        if name == "on_start":
            router.on_start(self)
        elif name == "on_end":
            router.on_end()
        elif name == "on_timer":
            router.on_timer(self._tokens.pop(msg["arg"]["token"], None))
        elif name in event_callbacks():
            event = decode_event(name, msg["arg"])
            if name == "on_fill":
                self._fills.append(event)
                self._by_parent.setdefault(event.parent_id, []).append(event)
            getattr(router, name)(event)
        else:
            raise ValueError(f"unknown callback {name!r}")


def _child_id(child_id: Any) -> int:
    if not isinstance(child_id, int) or isinstance(child_id, bool):
        raise ValueError(f"unknown child order {child_id!r}")
    return child_id


def _build(hello: dict[str, Any]) -> Router:
    from adapters.importing import load_class

    sys.path[:] = [p for p in hello["sys_path"] if isinstance(p, str)]
    cls = load_class(hello["spec"])
    if cls.name != hello["name"]:
        raise RuntimeError(f"{hello['spec']} is router {cls.name!r}, not {hello['name']!r}")
    return cls(cls.Params.model_validate(hello["params"]))


def main(read_fd: int, write_fd: int, memory_bytes: int, cpu_seconds: int) -> None:
    """Serve one router over the pipe ``read_fd`` / ``write_fd`` until ``bye`` or the end of the pipe."""
    die_with_parent()
    limit_self(memory_bytes, cpu_seconds)  # and no writing into files: its output goes to the simulator's pipe
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the simulator's to handle; it ends this process
    ch = Channel(read_fd, write_fd)
    hello = ch.recv()
    if hello.get("t") != "hello" or hello.get("v") != PROTOCOL_VERSION:
        ch.send({"t": "failed", "where": "hello", "message": f"expected hello v{PROTOCOL_VERSION}", "traceback": ""})
        return
    try:
        router = _build(hello)
    except BaseException as exc:  # whatever building the router did, the simulator hears of it
        ch.send(
            {
                "t": "failed",
                "where": "__init__",
                "message": failure_text(exc, memory_bytes)[:4000],
                "traceback": traceback.format_exc()[-20000:],
            }
        )
        return
    venues = MappingProxyType({v["name"]: decode_venue(v) for v in hello["venues"]})
    symbols = MappingProxyType({s["name"]: decode_symbol(s) for s in hello["symbols"]})
    ctx = RemoteContext(ch, venues, symbols)
    ch.send({"t": "ready", "v": PROTOCOL_VERSION, "name": router.name})
    del hello
    _serve(ch, ctx, router, memory_bytes)


def _serve(ch: Channel, ctx: RemoteContext, router: Router, memory_bytes: int) -> None:
    while True:
        try:
            msg = ch.recv()
        except ChannelClosed:
            return
        if msg["t"] == "bye":
            return
        try:
            ctx.callback(router, msg)
        except ChannelClosed:
            return
        except BaseException as exc:  # a callback's failure is reported, not fatal to the protocol
            ch.send(
                {
                    "t": "failed",
                    "seq": msg.get("seq"),
                    "message": failure_text(exc, memory_bytes)[:4000],
                    "traceback": traceback.format_exc()[-20000:],
                }
            )
            continue
        ch.send({"t": "done", "seq": msg["seq"]})


if __name__ == "__main__":  # pragma: no cover - started by harness.sim.router_process
    main(*(int(a) for a in sys.argv[1:5]))
    os._exit(0)
