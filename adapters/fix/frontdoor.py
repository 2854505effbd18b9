"""The gateway's front door: a listening socket on the configured address (loopback by default) in front of QuickFIX.

QuickFIX 1.15.1 (the ``quickfix-ssl`` wheel) has no ``SocketAcceptHost``: its acceptor listens on every interface.
So the gateway's QuickFIX acceptor listens on an internal port and only knows sessions whose vendor CompID carries a
per-run secret suffix (``BESTSOR`` is ``BESTSOR~3f9a...`` inside). The front door listens where the configuration
says (``127.0.0.1`` unless ``allow_remote``), and relays each connection to the internal port, rewriting the vendor's
SenderCompID (49) on the way in and TargetCompID (56) on the way out, with BodyLength (9) and CheckSum (10)
recomputed. Someone reaching the internal port directly cannot name a session QuickFIX knows: it refuses the logon.

Frames that do not parse as FIX, or whose checksum is wrong, are relayed unchanged: QuickFIX's session layer judges
them (and refuses or drops them) exactly as it would without the front door.

A message whose BodyLength is over :data:`MAX_MESSAGE_BYTES` (64 KiB; sorbench's messages are a few hundred bytes) is
never buffered or relayed: the front door reads past it and hands QuickFIX, in its place, a short BusinessMessageReject
(35=j) with the same header (sequence number, CompIDs, SendingTime) whose Text starts with :data:`OVERSIZE_MARK`. The
gateway answers it with a BusinessMessageReject to the vendor naming the message's sequence number, type and size
(:func:`adapters.fix.session.make_application`), so the session's sequence numbers stay in step and the run goes on.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading

_SOH = b"\x01"
_FRAME_START = re.compile(rb"8=FIX[^\x01]*\x019=(\d+)\x01")
MAX_MESSAGE_BYTES = 64 * 1024
"""The largest BodyLength relayed; a longer message is replaced by a reject notice (see the module docstring)."""
OVERSIZE_MARK = "sorbench front door: "
"""How the notice's Text (58) starts."""
_HEAD_BYTES = 4096  # the part of an oversize message its header is read from
_HEADER_TAGS = frozenset({b"49", b"56", b"34", b"52", b"43", b"97", b"122", b"50", b"57", b"115", b"128", b"142",
                          b"143"})


def _checksum(data: bytes) -> bytes:
    return b"%03d" % (sum(data) % 256)


def rewrite_comp_id(frame: bytes, tag: int, old: bytes, new: bytes) -> bytes:
    """``frame`` with ``<tag>=old`` replaced by ``<tag>=new`` and BodyLength/CheckSum recomputed.

    A frame that is not well-formed FIX (bad BodyLength or CheckSum) or lacks the field is returned unchanged.
    """
    m = _FRAME_START.match(frame)
    if m is None or not frame.endswith(_SOH):
        return frame
    body_start = m.end()
    trailer = frame.rfind(b"\x0110=", body_start - 1)
    if trailer < 0 or trailer + 1 - body_start != int(m.group(1)):
        return frame
    if frame[trailer + 4: -1] != _checksum(frame[: trailer + 1]):
        return frame
    body = frame[body_start: trailer + 1]
    needle = b"\x01%d=%s\x01" % (tag, old)
    i = (b"\x01" + body).find(needle)
    if i < 0:
        return frame
    body = body[:i] + b"%d=%s\x01" % (tag, new) + body[i + len(needle) - 1:]
    head = frame[: m.start(1)] + b"%d\x01" % len(body)
    out = head + body
    return out + b"10=" + _checksum(out) + _SOH


def oversize_notice(head: bytes, body_length: int) -> bytes | None:
    """The BusinessMessageReject notice standing in for an oversize message whose first bytes are ``head``.

    None when the head lacks MsgType, MsgSeqNum, SenderCompID, TargetCompID or SendingTime (the message is dropped;
    QuickFIX sees a sequence gap and asks for a resend).
    """
    m = _FRAME_START.match(head)
    if m is None:
        return None
    fields = [f.partition(b"=") for f in head[m.end():].split(_SOH)[:-1]]  # the last piece may be cut off
    kept = {tag: value for tag, _eq, value in fields if tag in _HEADER_TAGS or tag == b"35"}
    if not all(t in kept for t in (b"35", b"34", b"49", b"56", b"52")) or not kept[b"34"].isdigit():
        return None
    text = f"{OVERSIZE_MARK}message of {body_length} bytes is over the {MAX_MESSAGE_BYTES}-byte limit; not processed"
    body = b"35=j\x01" + b"".join(b"%s=%s\x01" % (t, v) for t, v in kept.items() if t != b"35")
    body += b"45=%s\x01372=%s\x01380=0\x0158=%s\x01" % (kept[b"34"], kept[b"35"][:8], text.encode())
    out = head[: m.start(1)] + b"%d\x01" % len(body) + body
    return out + b"10=" + _checksum(out) + _SOH


def split_frames(buf: bytes) -> tuple[list[bytes], bytes]:
    """Complete frames at the start of ``buf`` (by BodyLength) and the rest; unparsable bytes come out as a frame.

    An oversize message must be complete in ``buf`` here; :class:`FrameSplitter` reads past one as it arrives.
    """
    frames, rest, _skip = split_frames_limited(buf)
    return frames, rest


def split_frames_limited(buf: bytes) -> tuple[list[bytes], bytes, int]:
    """:func:`split_frames`, with an oversize message replaced by its notice: (frames, rest, bytes still to skip)."""
    frames = []
    while buf:
        m = _FRAME_START.search(buf)
        if m is None:
            if len(buf) > 4096:  # no FIX in sight: hand the garbage on as it is
                frames.append(buf)
                buf = b""
            break
        if m.start() > 0:
            frames.append(buf[: m.start()])
            buf = buf[m.start():]
            continue
        length = int(m.group(1))
        if length > MAX_MESSAGE_BYTES:
            if len(buf) < m.end() + min(length, _HEAD_BYTES):
                break  # wait for the header
            notice = oversize_notice(buf[: m.end() + _HEAD_BYTES], length)
            frames += [notice] if notice is not None else []
            total = m.end() + length + 7  # the trailer 10=NNN<SOH>
            if len(buf) < total:
                return frames, b"", total - len(buf)
            buf = buf[total:]
            continue
        end = m.end() + length
        stop = buf.find(_SOH, end + 1)
        if len(buf) < end + 7 or stop < 0:
            break
        frames.append(buf[: stop + 1])
        buf = buf[stop + 1:]
    return frames, buf, 0


class FrameSplitter:
    """Frames from a byte stream as it arrives, reading past oversize messages without keeping them."""

    def __init__(self) -> None:
        self._buf = b""
        self._skip = 0

    def feed(self, data: bytes) -> list[bytes]:
        """The frames ``data`` completes."""
        if self._skip:
            n = min(self._skip, len(data))
            self._skip -= n
            data = data[n:]
            if self._skip:
                return []
        frames, self._buf, self._skip = split_frames_limited(self._buf + data)
        return frames


class FrontDoor:
    """Relays connections from ``host:port`` to QuickFIX on ``127.0.0.1:internal_port``, renaming CompIDs.

    Parameters
    ----------
    host, port
        Where vendors connect.
    internal_port
        The QuickFIX acceptor's port.
    renames
        Public vendor CompID -> internal CompID.
    """

    def __init__(self, *, host: str, port: int, internal_port: int, renames: dict[str, str]) -> None:
        self._internal = internal_port
        self._in = {k.encode(): v.encode() for k, v in renames.items()}
        self._out = {v: k for k, v in self._in.items()}
        self._server = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind((host, port))
        self._server.listen(16)
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="fix-front-door", daemon=True)
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        """The listening address."""
        host, port = self._server.getsockname()[:2]
        return str(host), int(port)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _addr = self._server.accept()
            except OSError:
                return
            try:
                inner = socket.create_connection(("127.0.0.1", self._internal), timeout=5)
                inner.settimeout(None)
            except OSError:
                client.close()
                continue
            for s in (client, inner):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if self._closed:
                    client.close()
                    inner.close()
                    return
                self._sockets |= {client, inner}
            threading.Thread(target=self._pump, args=(client, inner, 49, self._in), daemon=True).start()
            threading.Thread(target=self._pump, args=(inner, client, 56, self._out), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, tag: int, renames: dict[bytes, bytes]) -> None:
        splitter = FrameSplitter()
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                frames = splitter.feed(data)
                out = []
                for frame in frames:
                    for old, new in renames.items():
                        changed = rewrite_comp_id(frame, tag, old, new)
                        if changed is not frame:
                            frame = changed
                            break
                    out.append(frame)
                if out:
                    dst.sendall(b"".join(out))
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Stop listening and close every relayed connection."""
        with self._lock:
            self._closed = True
            sockets = list(self._sockets)
            self._sockets.clear()
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in the thread
        with contextlib.suppress(OSError):
            self._server.close()
        self._thread.join(timeout=2)
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()


__all__ = ["MAX_MESSAGE_BYTES", "OVERSIZE_MARK", "FrameSplitter", "FrontDoor", "oversize_notice", "rewrite_comp_id",
           "split_frames"]
