"""What every background participant shares: side and time-in-force constants, ns per second, the draw batch size.

``_BATCH`` is how many events' random numbers a participant draws from its stream at a time; every stream's sequence
of draws (and so every run's output) depends on it.
"""

from __future__ import annotations

from venues.types import Side, TimeInForce

_BUY = Side.BUY
_SELL = Side.SELL
_IOC = TimeInForce.IOC
_NS = 1_000_000_000
_BATCH = 256
