"""The simulator's side of a router process: a router that runs in a child process, contained by the OS.

A plug-in router (any router not built into sorbench; every router with ``--router-process always``) runs in a
process of its own, started fresh for each (router, seed) simulation (:mod:`adapters.router_host`). The simulator
keeps all state; :class:`RemoteRouter` stands in for the router in the :class:`~harness.sim.router_node.RouterNode`:
each callback becomes a ``cb`` message, and the router's requests during it (quotes, orders, cancels, timers) are
answered by the node exactly as an in-process router's calls are, so that results are identical either way. The
decision time charged with ``--decision-latency measured`` is measured here, on the simulator's clock.

Containment by the operating system: the router process has an address-space limit and a CPU-time limit
(``resource.setrlimit``, set by the process on itself before any router code is loaded); a callback that runs past
its wall-clock limit gets its process killed (``SIGKILL``) by this side; a process that exits, is killed, breaks
the protocol (a malformed or oversize frame, an unknown message, a message out of turn) or floods requests fails
its (router, seed) run with the reason, and nothing it did can reach another run. Each process is its own session
(``start_new_session``), so the terminal's Ctrl-C reaches only the simulator, which then ends it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from adapters.contract import Router
from adapters.inspection import ProcessLimits, is_stub
from adapters.protocol import (
    PROTOCOL_VERSION,
    Channel,
    ChannelClosed,
    ChannelTimeout,
    ProtocolError,
    encode_event,
    encode_quote,
    encode_symbol,
    encode_venue,
)
from harness.sim.router_node import RouterFailure, RouterLimits
from venues.types import Side, TimeInForce
from venues.venue import SymbolInfo, VenueInfo

_ROOT = str(Path(__file__).resolve().parents[2])
"""The folder holding the ``adapters`` and ``venues`` packages the router process imports."""
_STARTUP_S = 60.0
"""How long a router process may take to start and build its router when no callback limit is set."""


def class_spec(cls: type[Router]) -> str:
    """How a router process loads ``cls``: a plug-in's registered spec, else ``module:Qualname``.

    ``file.py:Qualname`` for a class loaded from a file in this process.
    """
    if is_stub(cls):
        return str(cls.plugin.spec)  # type: ignore[attr-defined]
    module = sys.modules.get(cls.__module__)
    path = getattr(module, "__file__", None)
    if "<locals>" in cls.__qualname__:
        raise ValueError(
            f"router class {cls.__qualname__} is defined inside a function and cannot be loaded by "
            "a router process (define it at module level)"
        )
    if cls.__module__.startswith("sorbench_plugin_") and path:
        return f"{path}:{cls.__qualname__}"
    return f"{cls.__module__}:{cls.__qualname__}"


def inspection_limits(limits: RouterLimits) -> ProcessLimits:
    """The containment of the processes that inspect plug-ins (:mod:`adapters.inspection`) under ``limits``.

    The memory and CPU limits of a router process; the wall-clock limit of its start (the callback limit, but at
    least a minute: a plug-in's imports may be slow to load).
    """
    return ProcessLimits(wall_s=max(limits.callback_timeout_s or 0.0, _STARTUP_S),
                         memory_bytes=limits.router_memory_bytes or 0, cpu_s=limits.router_cpu_s or 0)


def runs_out_of_process(registry: Any, name: str, limits: RouterLimits) -> bool:
    """Whether router ``name`` runs in a process of its own under ``limits.router_process``.

    Built into sorbench: registered as ``built-in`` (or ``internal``) from sorbench's own packages. Routers that
    take part only in real time (the FIX gateway) stay in this process, and so, under ``plugins``, does a class
    defined inside a function (registered by code in this process, such as a test).
    """
    cls = registry.get(name)
    if getattr(cls, "requires_realtime", False) or limits.router_process == "never":
        return False
    if limits.router_process == "always" or is_stub(cls):
        return True
    built_in = registry.origin(name) in ("built-in", "internal") and cls.__module__.split(".")[0] in _OWN_PACKAGES
    # A class defined inside a function cannot be loaded by another process; only code already running in this
    # process can register one (a plug-in from a file, a module or an entry point is always at module level).
    return not built_in and "<locals>" not in cls.__qualname__


_OWN_PACKAGES = ("adapters", "harness", "venues")


def _forward(fd: int) -> None:
    """Copy a router process's output to this process's stderr until it ends (then close ``fd``)."""
    try:
        while chunk := os.read(fd, 65536):
            with contextlib.suppress(OSError):
                os.write(2, chunk)
    except OSError:
        pass
    finally:
        os.close(fd)


def _signal_name(n: int) -> str:
    try:
        return signal.Signals(n).name
    except ValueError:
        return f"signal {n}"


class RemoteRouter:
    """Stands in for a router that runs in its own process (see the module docstring).

    Build it with :meth:`start`; the node calls its callbacks like a router's; :meth:`close` ends the process.
    """

    enforces_own_timeout = True
    """The node does not arm SIGALRM around its callbacks: this side's deadlines stop a slow router."""

    def __init__(self, name: str, proc: subprocess.Popen[bytes], ch: Channel, limits: RouterLimits) -> None:
        self.name = name
        self._proc = proc
        self._ch = ch
        self._limits = limits
        self._ctx: Any = None
        self._seq = 0
        self._closed = False
        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "nbbo": self._nbbo,
            "quote": self._quote,
            "send": self._send,
            "cancel": self._cancel,
            "replace": self._replace,
            "timer": self._timer,
        }

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def start(
        cls,
        router_cls: type[Router],
        params: Any,
        *,
        limits: RouterLimits,
        venues: Mapping[str, VenueInfo],
        symbols: Mapping[str, SymbolInfo],
    ) -> RemoteRouter:
        """Start a router process and build the router in it; :class:`RouterFailure` (``__init__``) if it fails."""
        name = router_cls.name
        try:
            spec = class_spec(router_cls)
        except ValueError as exc:
            raise RouterFailure(name, "__init__", "", str(exc)) from None
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        code = (
            f"import sys; sys.path.insert(0, {_ROOT!r}); from adapters.router_host import main; "
            f"main({to_child_r}, {from_child_w}, {limits.router_memory_bytes or 0}, {limits.router_cpu_s or 0})"
        )
        env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        out_r, out_w = os.pipe()  # its stdout and stderr: it may write into no file, so not into a redirected one
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", code],
                stdin=subprocess.DEVNULL,
                stdout=out_w,
                stderr=out_w,
                pass_fds=(to_child_r, from_child_w),
                close_fds=True,
                start_new_session=True,
                env=env,
            )
        except OSError as exc:
            os.close(to_child_w)
            os.close(from_child_r)
            os.close(out_r)
            raise RouterFailure(name, "__init__", "", f"its router process could not be started: {exc}") from None
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
            os.close(out_w)
        threading.Thread(target=_forward, args=(out_r,), name=f"router-output-{proc.pid}", daemon=True).start()
        self = cls(name, proc, Channel(from_child_r, to_child_w, nonblocking=True), limits)
        hello = {
            "t": "hello",
            "v": PROTOCOL_VERSION,
            "spec": spec,
            "name": name,
            "params": params.model_dump(mode="json"),
            "sys_path": [p for p in sys.path if isinstance(p, str)],
            "venues": [encode_venue(v) for v in venues.values()],
            "symbols": [encode_symbol(s) for s in symbols.values()],
        }
        timeout = limits.callback_timeout_s
        deadline = time.monotonic() + max(timeout or 0.0, _STARTUP_S)
        try:
            self._ch.send(hello, deadline)
            answer = self._ch.recv(deadline)
        except (ChannelClosed, ChannelTimeout, ProtocolError) as exc:
            raise self._dead("__init__", exc) from None
        if answer.get("t") == "failed":
            self.close()
            raise RouterFailure(name, "__init__", str(answer.get("traceback", ""))[:20000], _line(answer))
        if answer.get("t") != "ready" or answer.get("v") != PROTOCOL_VERSION or answer.get("name") != name:
            raise self._violation("__init__", f"expected ready v{PROTOCOL_VERSION} for {name!r}, got {answer!r:.200}")
        return self

    def close(self) -> None:
        """End the router process (``bye``, then ``SIGKILL`` if it has not ended within a second) and reap it."""
        if self._closed:
            return
        self._closed = True
        if self._proc.returncode is None:
            with contextlib.suppress(ChannelClosed, ChannelTimeout, ProtocolError):
                self._ch.send({"t": "bye"}, time.monotonic() + 0.5)
            self._reap(1.0)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)  # anything the router process left behind in its session
        for fd in (self._ch.read_fd, self._ch.write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _kill(self) -> None:
        if self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signal.SIGKILL)  # its own session: whatever it started goes too
            self._reap(None)

    def _reap(self, timeout_s: float | None) -> tuple[int, float]:
        """Wait for the process (killing it after ``timeout_s``); its exit code (-N: signal N) and CPU seconds."""
        if self._proc.returncode is not None:
            return self._proc.returncode, 0.0
        end = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            pid, status, usage = os.wait4(self._proc.pid, os.WNOHANG if end is not None else 0)
            if pid:
                break
            if end is not None and time.monotonic() > end:
                os.killpg(self._proc.pid, signal.SIGKILL)
                end = None
            else:
                time.sleep(0.005)
        code = os.waitstatus_to_exitcode(status)
        self._proc.returncode = code  # reaped here (Popen would otherwise wait again)
        return code, usage.ru_utime + usage.ru_stime

    # ------------------------------------------------------------------ failures
    def _violation(self, where: str, what: str) -> RouterFailure:
        self._kill()
        self.close()
        return self._stopped(where, f"the router process broke the protocol: {what[:300]} (its process was killed)")

    def _dead(self, where: str, exc: Exception) -> RouterFailure:
        """The failure of a callback whose process stopped answering, timed out or sent something unreadable."""
        if isinstance(exc, ProtocolError):
            return self._violation(where, str(exc))
        if isinstance(exc, ChannelTimeout):
            self._kill()
            self.close()
            limit = self._limits.callback_timeout_s
            return self._stopped(
                where, f"callback ran longer than the {limit or _STARTUP_S:g} s limit and its process was killed"
            )
        code, used_s = self._reap(2.0)
        self.close()
        cpu = self._limits.router_cpu_s
        if code in (-signal.SIGXCPU, -signal.SIGKILL) and cpu and used_s >= cpu - 0.5:
            why = f"the router process exceeded its CPU limit of {cpu} s (--router-cpu)"
        elif code < 0:
            why = f"the router process was killed by {_signal_name(-code)}"
        else:
            why = f"the router process exited with status {code}"
        detail = "" if str(exc) == "end of file" else f" (its pipe: {exc})"
        return self._stopped(where, why + detail)

    def _stopped(self, where: str, message: str) -> RouterFailure:
        """A failure with no Python traceback (the process was killed or ended): the failure file says where."""
        tb = f"No Python traceback: the router process of {self.name!r} was stopped in {where}.\n{message}\n"
        return RouterFailure(self.name, where, tb, message)

    # ------------------------------------------------------------------ callbacks (called by the node)
    def on_start(self, ctx: Any) -> None:
        """Keep the node's context (the requests are answered through it) and start the router."""
        self._ctx = ctx
        self._call("on_start", {})

    def on_parent(self, parent: Any) -> None:
        """Forward a parent order."""
        self._call("on_parent", encode_event(parent))

    def on_ack(self, ack: Any) -> None:
        """Forward an ack."""
        self._call("on_ack", encode_event(ack))

    def on_fill(self, fill: Any) -> None:
        """Forward a fill."""
        self._call("on_fill", encode_event(fill))

    def on_reject(self, reject: Any) -> None:
        """Forward a reject."""
        self._call("on_reject", encode_event(reject))

    def on_cancelled(self, cancelled: Any) -> None:
        """Forward a cancel."""
        self._call("on_cancelled", encode_event(cancelled))

    def on_timer(self, token: Any) -> None:
        """Forward a timer (its token is the router process's number for it)."""
        self._call("on_timer", {"token": token})

    def on_end(self) -> None:
        """Tell the router the window ended."""
        self._call("on_end", {})

    def _call(self, where: str, arg: dict[str, Any]) -> None:
        """One callback: send it, answer the router's requests until it is done; :class:`RouterFailure` otherwise."""
        self._seq += 1
        seq = self._seq
        timeout = self._limits.callback_timeout_s
        deadline = None if timeout is None else time.monotonic() + timeout
        limit = self._limits.router_requests_per_callback
        served = 0
        try:
            self._ch.send({"t": "cb", "seq": seq, "cb": where, "now_ns": self._ctx.now_ns, "arg": arg}, deadline)
            while True:
                msg = self._ch.recv(deadline)
                kind = msg["t"]
                if msg.get("seq") != seq:
                    raise ProtocolError(f"{kind!r} message for callback {msg.get('seq')!r} during callback {seq}")
                if kind == "done":
                    return
                if kind == "failed":
                    raise RouterFailure(self.name, where, str(msg.get("traceback", ""))[:20000], _line(msg))
                handler = self._handlers.get(kind)
                if handler is None:
                    raise ProtocolError(f"unknown message type {kind[:40]!r}")
                served += 1
                if limit and served > limit:
                    self._kill()
                    raise self._stopped(
                        where, f"the router sent more than {limit} requests in one callback (its process was killed)"
                    )
                self._answer(handler, msg, deadline)
        except (ChannelClosed, ChannelTimeout, ProtocolError) as exc:
            raise self._dead(where, exc) from None

    def _answer(self, handler: Callable[[dict[str, Any]], Any], msg: dict[str, Any], deadline: float | None) -> None:
        try:
            value = handler(msg)
        except ProtocolError:
            raise
        except Exception as exc:  # what the node's call raised goes back to the router, as in process
            self._ch.send({"t": "err", "type": type(exc).__name__, "message": str(exc)[:2000]}, deadline)
            return
        self._ch.send({"t": "ret", "value": value}, deadline)

    # ------------------------------------------------------------------ requests (checked, then the node's calls)
    def _nbbo(self, m: dict[str, Any]) -> Any:
        return encode_quote(self._ctx.nbbo(_str(m, "symbol")))

    def _quote(self, m: dict[str, Any]) -> Any:
        return encode_quote(self._ctx.quote(_str(m, "venue"), _str(m, "symbol")))

    def _send(self, m: dict[str, Any]) -> Any:
        side, tif = _int(m, "side"), _str(m, "tif")
        if side not in (1, -1) or tif not in ("day", "ioc", "fok"):
            raise ProtocolError(f"send with side {side!r} and tif {tif!r}")
        return self._ctx.send(
            parent_id=_int(m, "parent_id"),
            venue=_str(m, "venue"),
            side=Side(side),
            qty=_int(m, "qty"),
            price=_int(m, "price", none=True),
            tif=TimeInForce(tif),
            post_only=_bool(m, "post_only"),
            iso=_bool(m, "iso"),
            midpoint_peg=_bool(m, "midpoint_peg"),
            display_qty=_int(m, "display_qty", none=True),
            min_qty=_int(m, "min_qty"),
        )

    def _cancel(self, m: dict[str, Any]) -> None:
        self._ctx.cancel(_int(m, "child_id"))

    def _replace(self, m: dict[str, Any]) -> None:
        self._ctx.replace(_int(m, "child_id"), qty=_int(m, "qty"), price=_int(m, "price"))

    def _timer(self, m: dict[str, Any]) -> None:
        self._ctx.set_timer(_int(m, "delay_ns"), _int(m, "token"))


def _int(m: dict[str, Any], key: str, *, none: bool = False) -> Any:
    """An integer field (any size JSON allows: the node refuses impossible quantities as it does in process)."""
    v = m.get(key)
    if v is None and none and key in m:
        return None
    if type(v) is not int:
        raise ProtocolError(f"{m['t']}: {key} must be an integer, got {str(v)[:40]}")
    return v


def _line(msg: dict[str, Any]) -> str:
    """A router process's failure message as one printable line of at most 4,000 characters.

    It is shown on the console: no control characters, no line breaks that could pass for sorbench's own output.
    """
    text = str(msg.get("message", ""))[:4000]
    return "".join(ch if ch.isprintable() else " " for ch in text.replace("\n", " | "))


def _str(m: dict[str, Any], key: str) -> str:
    v = m.get(key)
    if type(v) is not str or len(v) > 256:
        raise ProtocolError(f"{m['t']}: {key} must be a string of at most 256 characters")
    return v


def _bool(m: dict[str, Any], key: str) -> bool:
    v = m.get(key)
    if type(v) is not bool:
        raise ProtocolError(f"{m['t']}: {key} must be true or false, got {str(v)[:40]}")
    return v


__all__ = ["RemoteRouter", "class_spec", "inspection_limits", "runs_out_of_process"]
