"""QuickFIX plumbing: engines, the application callbacks, the inbox they feed, message building and parsing.

QuickFIX (the ``quickfix-ssl`` wheel, imported as ``quickfix``) owns the FIX session layer: logon, heartbeats and
test requests, sequence numbers, resend requests and gap fills, session-level rejects (35=3) of messages its FIX 4.4
data dictionary finds malformed, and business message rejects (35=j) of message types nobody handles. It calls the
application from its own threads; :class:`Inbox` is the only thing those threads touch: they put decoded messages on
it and the simulation thread takes them off (see :mod:`harness.sim.realtime`).

Engines are stopped with ``stop(True)`` while their application, settings, store factory and log factory are still
referenced (:class:`FixEngine` holds them until after the stop): QuickFIX's Python binding can crash the process if a
factory is collected before its engine stops.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import sys
import sysconfig
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from adapters.fix.frontdoor import OVERSIZE_MARK

SOH = "\x01"
BEGIN_STRING = "FIX.4.4"


class FixUnavailable(RuntimeError):
    """QuickFIX or its FIX 4.4 data dictionary is not installed."""


def import_quickfix() -> Any:
    """The ``quickfix`` module (from the ``quickfix-ssl`` wheel), or :class:`FixUnavailable` saying how to get it."""
    try:
        import quickfix
    except ImportError as exc:
        raise FixUnavailable(
            f"the fix router needs QuickFIX's Python binding: pip install 'sorbench[fix]' ({exc})"
        ) from None
    return quickfix


def data_dictionary_path() -> Path:
    """QuickFIX's FIX 4.4 data dictionary: the copy the wheel installs under ``<prefix>/share/quickfix``."""
    candidates = [
        Path(sys.prefix) / "share" / "quickfix" / "FIX44.xml",
        Path(sysconfig.get_path("data")) / "share" / "quickfix" / "FIX44.xml",
        Path(sys.base_prefix) / "share" / "quickfix" / "FIX44.xml",
        Path("/usr/share/quickfix/FIX44.xml"),
        Path("/usr/local/share/quickfix/FIX44.xml"),
    ]
    env = os.environ.get("SORBENCH_FIX44_XML")
    if env:
        candidates.insert(0, Path(env))
    for p in candidates:
        if p.is_file():
            return p
    raise FixUnavailable("QuickFIX's FIX44.xml data dictionary was not found (install quickfix-ssl, or set "
                         "SORBENCH_FIX44_XML to its path)")


class Inbox:
    """Thread-safe hand-over from QuickFIX's threads to the simulation thread (implements ``ExternalInput``)."""

    def __init__(self) -> None:
        self._items: collections.deque[tuple[Any, ...]] = collections.deque()
        self._event = threading.Event()

    def put(self, item: tuple[Any, ...]) -> None:
        """Add an item (any thread) and wake whoever waits."""
        self._items.append(item)
        self._event.set()

    def wait(self, timeout_s: float) -> bool:
        """Block up to ``timeout_s`` for input; ``True`` if some arrived since the last call."""
        if self._event.wait(timeout_s):
            self._event.clear()
            return True
        return False

    def drain(self) -> list[tuple[Any, ...]]:
        """Everything waiting, oldest first."""
        out = []
        items = self._items
        while items:
            out.append(items.popleft())
        return out


def parse(raw: str) -> list[tuple[int, str]]:
    """A FIX message string as ``(tag, value)`` pairs in wire order (repeating groups stay in order)."""
    pairs = []
    for part in raw.split(SOH):
        tag, sep, value = part.partition("=")
        if sep and tag.isdigit():
            pairs.append((int(tag), value))
    return pairs


def first(pairs: Iterable[tuple[int, str]]) -> dict[int, str]:
    """The first value of each tag."""
    out: dict[int, str] = {}
    for tag, value in pairs:
        out.setdefault(tag, value)
    return out


def utc_now() -> str:
    """The wall clock as a FIX UTCTimestamp with milliseconds."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


def _settings_text(default: dict[str, str], sessions: Sequence[dict[str, str]]) -> str:
    lines = ["[DEFAULT]", *(f"{k}={v}" for k, v in default.items())]
    for s in sessions:
        lines += ["", "[SESSION]", *(f"{k}={v}" for k, v in s.items())]
    return "\n".join(lines) + "\n"


def common_settings(*, log_dir: Path, dictionary: Path) -> dict[str, str]:
    """Settings every sorbench engine shares: a whole-day session, FIX 4.4 validation set deliberately, file logs."""
    return {
        "BeginString": BEGIN_STRING,
        "StartTime": "00:00:00",
        "EndTime": "00:00:00",  # the same time: the session never ends within the run
        "UseDataDictionary": "Y",
        "DataDictionary": str(dictionary),
        "ValidateFieldsOutOfOrder": "N",  # tag order inside the body is not business-relevant; groups still checked
        "ValidateFieldsHaveValues": "Y",
        "ValidateUserDefinedFields": "Y",
        "AllowUnknownMsgFields": "N",
        "CheckLatency": "N",  # the vendor's clock is not ours to judge; heartbeats detect a dead peer
        "FileLogPath": str(log_dir),
        "SocketNodelay": "Y",
        "SocketReuseAddress": "Y",
        "PersistMessages": "Y",
    }


def acceptor_settings(
    *, port: int, local_ids: Sequence[str], remote_ids: Sequence[str], log_dir: Path, dictionary: Path
) -> str:
    """One acceptor port with a session for every (local CompID, remote CompID) pair; no other session logs on."""
    default = {**common_settings(log_dir=log_dir, dictionary=dictionary), "ConnectionType": "acceptor",
               "SocketAcceptPort": str(port)}
    sessions = [{"SenderCompID": a, "TargetCompID": b} for a in local_ids for b in remote_ids]
    return _settings_text(default, sessions)


def initiator_settings(
    *, host: str, port: int, sender: str, target: str, heartbeat_s: int, log_dir: Path, dictionary: Path
) -> str:
    """One initiator session that resets sequence numbers at logon and reconnects every second until stopped."""
    default = {**common_settings(log_dir=log_dir, dictionary=dictionary), "ConnectionType": "initiator",
               "SocketConnectHost": host, "SocketConnectPort": str(port), "HeartBtInt": str(heartbeat_s),
               "ReconnectInterval": "1", "ResetOnLogon": "Y"}
    return _settings_text(default, [{"SenderCompID": sender, "TargetCompID": target}])


def make_application(fix: Any, inbox: Inbox, *, kind: str, app_types: frozenset[str]) -> Any:
    """A ``quickfix.Application`` that puts everything it hears on ``inbox``.

    Items: ``("created" | "logon" | "logout", kind, session)``, ``("app", kind, session, msg_type, pairs)`` for the
    message types in ``app_types`` and ``("event", kind, session, what, text)`` for session-level rejects and
    logouts in either direction. Any other application message type is refused with a BusinessMessageReject (35=j,
    unsupported message type). A callback never lets a Python exception into QuickFIX: with this binding an
    exception raised in a callback (even QuickFIX's own ``UnsupportedMessageType``) terminates the process.
    """

    class _App(fix.Application):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.sessions: dict[str, Any] = {}

        def _guarded(self, fn: Callable[[], None]) -> None:
            try:
                fn()
            except Exception as exc:  # never into QuickFIX's threads; the simulation thread decides
                inbox.put(("event", kind, "", "callback_error", f"{type(exc).__name__}: {exc}"))

        def onCreate(self, session_id: Any) -> None:  # noqa: N802 (QuickFIX's names)
            key = session_id.toString()
            self.sessions[key] = session_id
            inbox.put(("created", kind, key))

        def onLogon(self, session_id: Any) -> None:  # noqa: N802
            inbox.put(("logon", kind, session_id.toString()))

        def onLogout(self, session_id: Any) -> None:  # noqa: N802
            inbox.put(("logout", kind, session_id.toString()))

        def toAdmin(self, message: Any, session_id: Any) -> None:  # noqa: N802
            def note() -> None:
                raw = message.toString()
                pairs = first(parse(raw))
                if pairs.get(35) in ("3", "5"):
                    what = "reject_sent" if pairs[35] == "3" else "logout_sent"
                    inbox.put(("event", kind, session_id.toString(), what, raw.replace(SOH, "|")))

            self._guarded(note)

        def fromAdmin(self, message: Any, session_id: Any) -> None:  # noqa: N802
            def note() -> None:
                raw = message.toString()
                pairs = first(parse(raw))
                if pairs.get(35) in ("3", "5"):
                    what = "reject_received" if pairs[35] == "3" else "logout_received"
                    inbox.put(("event", kind, session_id.toString(), what, raw.replace(SOH, "|")))

            self._guarded(note)

        def toApp(self, message: Any, session_id: Any) -> None:  # noqa: N802
            def note() -> None:
                raw = message.toString()
                if first(parse(raw)).get(35) == "j":
                    inbox.put(("event", kind, session_id.toString(), "business_reject_sent", raw.replace(SOH, "|")))

            self._guarded(note)

        def fromApp(self, message: Any, session_id: Any) -> None:  # noqa: N802
            def take() -> None:
                pairs = parse(message.toString())
                f = first(pairs)
                msg_type = f.get(35, "")
                if msg_type in app_types:
                    inbox.put(("app", kind, session_id.toString(), msg_type, pairs))
                    return
                if msg_type == "j" and f.get(58, "").startswith(OVERSIZE_MARK):  # the front door's notice
                    _reject_oversize(fix, inbox, kind=kind, session_id=session_id, fields=f)
                    return
                # BusinessMessageReject, unsupported message type. Sent here rather than by raising QuickFIX's
                # UnsupportedMessageType: an exception raised in a Python callback aborts the process.
                reject = build_message(fix, "j", [(45, f.get(34, "0")), (372, msg_type), (380, "3"),
                                                  (58, f"unsupported message type {msg_type!r}")])
                send(fix, session_id, reject)

            self._guarded(take)

    return _App()


def _reject_oversize(fix: Any, inbox: Inbox, *, kind: str, session_id: Any, fields: dict[int, str]) -> None:
    """Answer the front door's notice of an oversize message, and record an ``oversize_rejected`` event.

    The vendor gets a BusinessMessageReject (380=0, Other) naming the message's sequence number (45), type (372) and
    size (58).
    """
    text = fields[58].removeprefix(OVERSIZE_MARK)
    inbox.put(("event", kind, session_id.toString(), "oversize_rejected", text))
    send(fix, session_id, build_message(fix, "j", [(45, fields.get(45, "0")), (372, fields.get(372, "?")),
                                                   (380, "0"), (58, text)]))


class FixEngine:
    """One QuickFIX acceptor or initiator with everything it needs kept alive until :meth:`stop` returns."""

    def __init__(self, fix: Any, *, application: Any, settings_file: Path, acceptor: bool, log_dir: Path) -> None:
        self._fix = fix
        self.application = application
        self.settings = fix.SessionSettings(str(settings_file))
        self.store_factory = fix.MemoryStoreFactory()
        self.log_factory = fix.FileLogFactory(str(log_dir))
        cls = fix.SocketAcceptor if acceptor else fix.SocketInitiator
        self.engine: Any = cls(self.application, self.store_factory, self.settings, self.log_factory)
        self._started = False

    def start(self) -> None:
        """Start listening or connecting (QuickFIX's threads)."""
        self.engine.start()
        self._started = True

    def stop(self) -> None:
        """Log out every session, stop forcibly (``stop(True)``) and destroy the engine; idempotent, never raises.

        QuickFIX keeps a process-wide registry of sessions that only an engine's destruction clears: an engine left
        alive after its stop would keep its session IDs, and the next run's sessions of the same IDs would send
        into the dead ones. The engine is destroyed here, before the factories it uses (still held by ``self``).
        """
        if self.engine is None:
            return
        try:
            if self._started:
                self.engine.stop(True)
        except Exception:
            pass
        self._started = False
        self.engine = None

    def session_id(self, key: str) -> Any:
        """The QuickFIX SessionID of a session key (``"FIX.4.4:A->B"``)."""
        return self.application.sessions[key]


def build_message(
    fix: Any, msg_type: str, fields: Sequence[tuple[int, str]],
    groups: Sequence[tuple[Any, Sequence[Sequence[tuple[int, str]]]]] = (),
) -> Any:
    """A QuickFIX message of ``msg_type`` with body ``fields`` and repeating groups (group factory, entries)."""
    msg = fix.Message()
    msg.getHeader().setField(fix.BeginString(BEGIN_STRING))
    msg.getHeader().setField(fix.MsgType(msg_type))
    for tag, value in fields:
        msg.setField(fix.StringField(tag, value))
    for factory, entries in groups:
        for entry in entries:
            g = factory()
            for tag, value in entry:
                g.setField(fix.StringField(tag, value))
            msg.addGroup(g)
    return msg


def send(fix: Any, session_id: Any, message: Any) -> bool:
    """Send on a session; ``False`` (never an exception) if it is not logged on or gone."""
    try:
        return bool(fix.Session.sendToTarget(message, session_id))
    except Exception:
        return False


def write_settings(path: Path, text: str) -> Path:
    """Write a QuickFIX settings file (QuickFIX reads settings from a file)."""
    path.write_text(text, encoding="utf-8")
    return path


__all__ = [
    "BEGIN_STRING", "FixEngine", "FixUnavailable", "Inbox", "acceptor_settings", "build_message",
    "data_dictionary_path", "first", "import_quickfix", "initiator_settings", "make_application", "parse", "send",
    "utc_now", "write_settings",
]
