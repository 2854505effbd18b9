"""Times of day in scenario files: the regular session, and ``HH:MM:SS[.fraction]`` to and from ns since midnight."""

from __future__ import annotations

import re
from typing import Any

SESSION_OPEN = "09:30:00"
SESSION_CLOSE = "16:00:00"
NS_PER_SECOND = 1_000_000_000
_TIME_RE = re.compile(r"^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$")


def parse_clock(text: str) -> int:
    """``HH:MM:SS[.fraction]`` to nanoseconds since midnight."""
    m = _TIME_RE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a time of day HH:MM:SS[.fff]")
    hh, mm, ss = int(m[1]), int(m[2]), int(m[3])
    if hh > 23 or mm > 59 or ss > 59:
        raise ValueError(f"{text!r} is not a time of day")
    frac = (m[4] or "").ljust(9, "0")
    return ((hh * 60 + mm) * 60 + ss) * NS_PER_SECOND + int(frac)


def format_clock(ts_ns: int) -> str:
    """Nanoseconds since midnight to ``HH:MM:SS.fffffffff``."""
    s, ns = divmod(ts_ns, NS_PER_SECOND)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.{ns:09d}"


def _in_regular_session(v: str) -> str:
    """``v`` if it is a time of day inside the regular session, else a ValueError naming it."""
    t = parse_clock(v)
    if not parse_clock(SESSION_OPEN) <= t <= parse_clock(SESSION_CLOSE):
        raise ValueError(f"{v!r} is outside the regular session {SESSION_OPEN}-{SESSION_CLOSE}")
    return v


SESSION_TIMEZONE = "America/New_York"
"""The session's time zone: ``ns since midnight`` in every table is wall-clock time of day in New York."""
NS_PER_DAY = 86_400 * NS_PER_SECOND


def session_timestamps(ts_ns: Any, date: str | None, *, zone: str = SESSION_TIMEZONE) -> Any:
    """``ts_ns`` (ns since midnight of the session ``date``) as a pyarrow ``timestamp[ns, tz=America/New_York]`` array.

    The time of day is wall-clock time in New York (a session never straddles a daylight-saving change, which
    happens at 02:00). ``date`` None (a vendor file with only times of day) gives an all-null column. Missing
    times stay missing. ``zone`` is the clock ``ts_ns`` counts in (``"UTC"`` for a FIX log's UTCTimestamps); the
    column is in New York time whatever it is.
    """
    import pandas as pd
    import pyarrow as pa

    kind = pa.timestamp("ns", tz=SESSION_TIMEZONE)
    ns = pd.Series(ts_ns, dtype="Int64")
    if date is None:
        return pa.nulls(len(ns), type=kind)
    wall = pd.Timestamp(date) + pd.to_timedelta(ns.fillna(0).astype("int64"), unit="ns")
    local = wall.dt.tz_localize(zone).dt.tz_convert(SESSION_TIMEZONE).where(ns.notna())
    return pa.array(local, type=kind)
