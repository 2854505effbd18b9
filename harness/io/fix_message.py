"""One FIX tag=value message: a log line parsed into its fields, BodyLength and CheckSum checked, UTCTimestamps.

One message per line, fields separated by SOH (byte 0x01), ``|`` or ``^A`` (as printed logs show SOH); anything
before ``8=FIX`` on a line (a QuickFIX file-log timestamp, a session id) is ignored, as are blank lines and lines
starting with ``#``. BodyLength (9) and CheckSum (10) are checked whenever the message carries both, computed as if the
delimiter were SOH (a printed log keeps the lengths of the original message). Times are UTCTimestamps
``YYYYMMDD-HH:MM:SS[.fraction]``, as nanoseconds since midnight of their date. What a log's messages mean for the
analytics is :mod:`harness.io.fixlog`'s.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

SOH = b"\x01"
NS_PER_SECOND = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_SECOND

TAG_NAMES = {
    8: "BeginString", 9: "BodyLength", 10: "CheckSum", 11: "ClOrdID", 12: "Commission", 13: "CommType",
    17: "ExecID", 19: "ExecRefID", 20: "ExecTransType", 30: "LastMkt", 31: "LastPx", 32: "LastQty", 35: "MsgType",
    38: "OrderQty", 39: "OrdStatus", 40: "OrdType", 41: "OrigClOrdID", 43: "PossDupFlag", 44: "Price",
    52: "SendingTime", 54: "Side", 55: "Symbol", 59: "TimeInForce", 60: "TransactTime", 65: "SymbolSfx",
    97: "PossResend", 150: "ExecType", 851: "LastLiquidityInd",
}

_START = re.compile(rb"(?<![0-9])8=FIX")
_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?")


def tag_name(t: int) -> str:
    """``tag 38 (OrderQty)``: the tag as problems name it (its number alone when it has no name here)."""
    return f"tag {t} ({TAG_NAMES[t]})" if t in TAG_NAMES else f"tag {t}"


class FixProblem(ValueError):
    """A problem with one message; the log reader makes it ``file:line: problem``."""


@dataclass(frozen=True)
class FixMessage:
    """One parsed message: its line number, MsgType and fields (the first occurrence of each tag)."""

    line: int
    msg_type: str
    fields: dict[int, str]

    def get(self, tag: int) -> str | None:
        """The tag's value, or None when absent or empty."""
        v = self.fields.get(tag)
        return v if v else None

    def need(self, tag: int, what: str) -> str:
        """The tag's value; a problem naming the message kind when it is missing."""
        v = self.get(tag)
        if v is None:
            raise FixProblem(f"{what} is missing {tag_name(tag)}")
        return v


def parse_message(raw: bytes, *, line: int = 0) -> FixMessage | None:
    """One log line as a message; None for a blank or ``#`` comment line. Raises ``ValueError`` naming the problem."""
    text = raw.rstrip(b"\r\n")
    if not text.strip() or text.lstrip().startswith(b"#"):
        return None
    m = _START.search(text)
    if m is None:
        raise FixProblem("no FIX message on this line (expected 8=FIX...)")
    body = text[m.start():]
    delim = SOH if SOH in body else b"^A" if b"^A" in body else b"|"
    soh = body if delim == SOH else body.replace(delim, SOH)  # the message as sent: lengths and sums count SOH
    parts = soh.decode("utf-8", errors="replace").split("\x01")
    if parts and parts[-1].strip() == "":
        parts.pop()
    fields: dict[int, str] = {}
    last = 0
    for part in parts:
        tag_text, eq, value = part.partition("=")
        if not eq or not (tag_text.isascii() and tag_text.isdigit()) or int(tag_text) == 0:
            raise FixProblem(f"field {part!r} is not tag=value")
        last = int(tag_text)
        fields.setdefault(last, value)
    if 10 in fields and last != 10:
        raise FixProblem(f"{tag_name(10)} is not the last field")
    if 9 in fields and 10 in fields:
        _check_framing(soh, fields)
    msg_type = fields.get(35)
    if not msg_type:
        raise FixProblem(f"message is missing {tag_name(35)}")
    return FixMessage(line=line, msg_type=msg_type, fields=fields)


def _check_framing(soh: bytes, fields: dict[int, str]) -> None:
    """Check BodyLength and CheckSum of a message delimited by SOH.

    BodyLength counts the bytes after the BodyLength field up to the CheckSum field; CheckSum is the sum of the bytes
    before the CheckSum field, modulo 256.
    """
    declared_len = fields[9].strip()
    if not declared_len.isdigit():
        raise FixProblem(f"{tag_name(9)} is not a whole number: {fields[9]!r}")
    declared_sum = fields[10].strip()
    if not (len(declared_sum) == 3 and declared_sum.isdigit()):
        raise FixProblem(f"{tag_name(10)} is not three digits: {fields[10]!r}")
    checksum_at = soh.rfind(SOH + b"10=") + 1
    length_field = soh.find(SOH + b"9=") + 1
    body_at = soh.find(SOH, length_field) + 1
    actual_len = checksum_at - body_at
    if int(declared_len) != actual_len:
        raise FixProblem(f"{tag_name(9)} is {int(declared_len)} but the body is {actual_len} bytes")
    actual_sum = sum(soh[:checksum_at]) % 256
    if int(declared_sum) != actual_sum:
        raise FixProblem(f"{tag_name(10)} is {declared_sum} but the message sums to {actual_sum:03d}")


def parse_timestamp(text: str) -> tuple[dt.date, int]:
    """A UTCTimestamp ``YYYYMMDD-HH:MM:SS[.sss[sss[sss]]]``: its date and nanoseconds since that midnight."""
    m = _TIME.fullmatch(text.strip())
    if m is None:
        raise ValueError("is not a UTCTimestamp YYYYMMDD-HH:MM:SS[.fff]")
    try:
        day = dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise ValueError("is not a calendar date") from None
    hh, mm, ss = int(m[4]), int(m[5]), int(m[6])
    if hh > 23 or mm > 59 or ss > 59:
        raise ValueError("is not a time of day")
    return day, ((hh * 60 + mm) * 60 + ss) * NS_PER_SECOND + int((m[7] or "").ljust(9, "0"))


def format_timestamp(day: dt.date, ts_ns: int) -> str:
    """Nanoseconds since midnight of ``day`` as a UTCTimestamp with nanoseconds."""
    s, ns = divmod(int(ts_ns), NS_PER_SECOND)
    return f"{day:%Y%m%d}-{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.{ns:09d}"
