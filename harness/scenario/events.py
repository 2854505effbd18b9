"""The ``[[events]]`` of a scenario: scheduled market disruptions (venue outages, stale quotes, halts)."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from harness.scenario.clock import _in_regular_session, parse_clock
from harness.scenario.strict import _FieldError, _Strict


class MarketEventSpec(_Strict):
    """A scheduled disruption between ``start`` and ``end`` (times of day inside the regular session).

    * ``venue_outage``: the venue rejects new orders and replaces (``venue_closed``); cancels still work and its
      resting orders and quotes stay where they were.
    * ``stale_quotes``: the venue keeps trading but its feeds (direct and to the SIP) stop updating: everyone
      sees the quotes it showed at ``start``.
    * ``halt``: trading in ``symbol`` is halted on every venue: new orders and replaces are rejected (``halted``),
      cancels work; trading resumes at ``end`` from the books as they were (no reopening auction is modelled).
    """

    kind: Literal["venue_outage", "stale_quotes", "halt"]
    start: str
    end: str
    venue: str | None = None
    symbol: str | None = None

    @field_validator("start", "end")
    @classmethod
    def _in_session(cls, v: str) -> str:
        return _in_regular_session(v)

    @model_validator(mode="after")
    def _shape(self) -> MarketEventSpec:
        if parse_clock(self.end) <= parse_clock(self.start):
            raise _FieldError("end", f"{self.end!r} is not after start {self.start!r}")
        if self.kind == "halt" and (self.symbol is None or self.venue is not None):
            raise _FieldError("symbol", "a halt names a symbol (and no venue)")
        if self.kind != "halt" and (self.venue is None or self.symbol is not None):
            raise _FieldError("venue", f"a {self.kind} names a venue (and no symbol)")
        return self
