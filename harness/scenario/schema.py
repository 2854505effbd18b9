"""Scenario files: a strict, typed schema (pydantic) for TOML scenario files, and loading with one-line errors.

Every table rejects unknown keys; every value is range-checked; cross-field rules (times inside the session, unique
names, known venues in router parameters and latency links, fees within the access-fee cap, prices on the tick grid)
are checked here so that a simulation never starts on a bad scenario. A resolved scenario has a stable hash: the
sha256 of its canonical JSON (sorted keys, no whitespace).

This module holds the whole file (:class:`Scenario`) and its loading; it composes the tables defined beside it:
:mod:`~harness.scenario.market_structure` (session, symbols, venues and their fees), :mod:`~harness.scenario.latency`
(latency models and links), :mod:`~harness.scenario.background` (the background participants),
:mod:`~harness.scenario.flow` (the parent-order flow) and :mod:`~harness.scenario.events` (market events), on the
shared pieces in :mod:`~harness.scenario.strict` (base model, cross-field error), :mod:`~harness.scenario.clock`
(times of day) and :mod:`~harness.scenario.reading` (TOML reading, one-line validation errors). Every name that was
importable from here before the split still is.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from harness.errors import UserError
from harness.scenario.background import (
    BackgroundSpec,
    FastTraderSpec,
    InformedSpec,
    IntradaySpec,
    LiquidityFlowSpec,
    MarketMakerSpec,
    TakerRoutingSpec,
)
from harness.scenario.clock import NS_PER_SECOND, SESSION_CLOSE, SESSION_OPEN, format_clock, parse_clock
from harness.scenario.events import MarketEventSpec
from harness.scenario.flow import FlowSpec, OrderMix
from harness.scenario.latency import (
    ConstantLatencySpec,
    Direction,
    EmpiricalLatencySpec,
    LatencyDefaults,
    LatencySection,
    LatencySpec,
    LinkSpec,
    LognormalLatencySpec,
    NormalLatencySpec,
    Participant,
)
from harness.scenario.market_structure import (
    DarkPoolSpec,
    FeesSpec,
    SessionSpec,
    SymbolSpec,
    VenueSpec,
    WholesalerSpec,
)
from harness.scenario.plants import PlantSpec
from harness.scenario.reading import read_toml, validation_errors
from harness.scenario.strict import _NAME_RE, _FieldError, _Strict
from venues.types import PRICE_SCALE

__all__ = [
    "NS_PER_SECOND",
    "SESSION_CLOSE",
    "SESSION_OPEN",
    "BackgroundSpec",
    "ConstantLatencySpec",
    "DarkPoolSpec",
    "Direction",
    "EmpiricalLatencySpec",
    "FastTraderSpec",
    "FeesSpec",
    "FlowSpec",
    "InformedSpec",
    "IntradaySpec",
    "LatencyDefaults",
    "LatencySection",
    "LatencySpec",
    "LinkSpec",
    "LiquidityFlowSpec",
    "LognormalLatencySpec",
    "MarketEventSpec",
    "MarketMakerSpec",
    "NormalLatencySpec",
    "OrderMix",
    "Participant",
    "Scenario",
    "SessionSpec",
    "SymbolSpec",
    "TakerRoutingSpec",
    "VenueSpec",
    "WholesalerSpec",
    "check_routers",
    "format_clock",
    "json_schema",
    "load_scenario",
    "parse_clock",
    "read_toml",
    "scenario_from_dict",
]


class Scenario(_Strict):
    """A whole scenario file."""

    name: str = Field(pattern=_NAME_RE)
    description: str = ""
    session: SessionSpec = SessionSpec()
    access_fee_cap_usd: float = Field(0.0030, ge=0, le=0.01, description="Reg NMS access-fee cap per share.")
    symbols: list[SymbolSpec] = Field(min_length=1)
    venues: list[VenueSpec] = Field(min_length=1)
    latency: LatencySection = LatencySection()
    background: BackgroundSpec = BackgroundSpec()
    flow: FlowSpec = FlowSpec()
    events: list[MarketEventSpec] = []  # noqa: RUF012 (pydantic fields: each instance gets its own copy)
    plants: list[PlantSpec] = []  # noqa: RUF012
    routers: list[str] = Field(default_factory=lambda: ["best-price", "single-venue"], min_length=1)
    router_params: dict[str, dict[str, Any]] = {}  # noqa: RUF012

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        _unique([s.name for s in self.symbols], "symbols", "symbol", key=".name")
        _unique([v.name for v in self.venues], "venues", "venue", key=".name")
        _unique(self.routers, "routers", "router")
        symbol_names = {s.name for s in self.symbols}
        venue_names = {v.name for v in self.venues}
        for i, v in enumerate(self.venues):
            if v.fees.take_usd > self.access_fee_cap_usd + 1e-12:
                raise _FieldError(
                    f"venues[{i}].fees.take_usd",
                    f"{v.fees.take_usd} is above the access-fee cap {self.access_fee_cap_usd}",
                )
            for j, sym in enumerate(v.symbols or []):
                if sym not in symbol_names:
                    raise _FieldError(f"venues[{i}].symbols[{j}]", f"unknown symbol {sym!r}")
        for sym in symbol_names:
            if not any(v.symbols is None or sym in v.symbols for v in self.venues):
                raise _FieldError("symbols", f"symbol {sym!r} trades on no venue")
            if not any(v.is_protected and (v.symbols is None or sym in v.symbols) for v in self.venues):
                raise _FieldError("symbols", f"symbol {sym!r} has no protected lit venue (no NBBO to trade around)")
        for i, link in enumerate(self.latency.links):
            if link.venue != "SIP" and link.venue not in venue_names:
                raise _FieldError(f"latency.links[{i}].venue", f"unknown venue {link.venue!r}")
            if link.participant == "sip" and (link.direction != "market_data" or link.venue == "SIP"):
                raise _FieldError(
                    f"latency.links[{i}]", "a 'sip' link is a venue's market_data feed to the SIP"
                )
            if link.venue == "SIP" and link.direction != "market_data":
                raise _FieldError(f"latency.links[{i}].direction", "the SIP only sends market_data")
        seen = set()
        for i, link in enumerate(self.latency.links):
            key = (link.participant, link.venue, link.direction)
            if key in seen:
                raise _FieldError(f"latency.links[{i}]", f"duplicate link {key}")
            seen.add(key)
        if self.flow.symbol_weights is not None:
            for sym, w in self.flow.symbol_weights.items():
                if sym not in symbol_names:
                    raise _FieldError(f"flow.symbol_weights.{sym}", f"unknown symbol {sym!r}")
                if not (w >= 0 and math.isfinite(w)):
                    raise _FieldError(f"flow.symbol_weights.{sym}", f"weight {w!r} must be >= 0")
            if sum(self.flow.symbol_weights.values()) <= 0:
                raise _FieldError("flow.symbol_weights", "all weights are zero")
        start, end = self.session.start_ns, self.session.end_ns
        if self.flow.warmup_s * NS_PER_SECOND >= end - start:
            raise _FieldError("flow.warmup_s", f"{self.flow.warmup_s} s leaves no time for parent orders")
        for i, ev in enumerate(self.events):
            if ev.venue is not None and ev.venue not in venue_names:
                raise _FieldError(f"events[{i}].venue", f"unknown venue {ev.venue!r}")
            if ev.symbol is not None and ev.symbol not in symbol_names:
                raise _FieldError(f"events[{i}].symbol", f"unknown symbol {ev.symbol!r}")
        _check_plants(self)
        for name in self.router_params:
            if name not in self.routers:
                raise _FieldError(f"router_params.{name}", f"parameters for router {name!r}, which is not in routers")
        return self

    @property
    def venue_names(self) -> list[str]:
        """Venue names in file order."""
        return [v.name for v in self.venues]

    def venue_symbols(self, venue: VenueSpec) -> list[str]:
        """Symbols that trade on ``venue``, in the scenario's symbol order."""
        return [s.name for s in self.symbols if venue.symbols is None or s.name in venue.symbols]

    def canonical_json(self) -> str:
        """Canonical JSON of the resolved scenario (all defaults filled in)."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    def sha256(self) -> str:
        """Stable hash of the resolved scenario."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


def _check_plants(scenario: Scenario) -> None:
    """Each plant names a venue trading its symbol, on that symbol's tick, of a kind the venue can hold."""
    ticks = {s.name: s.tick / PRICE_SCALE for s in scenario.symbols}
    venues = {v.name: v for v in scenario.venues}
    for i, p in enumerate(scenario.plants):
        v = venues.get(p.venue)
        if v is None:
            raise _FieldError(f"plants[{i}].venue", f"unknown venue {p.venue!r}")
        if p.symbol not in ticks or p.symbol not in scenario.venue_symbols(v):
            raise _FieldError(f"plants[{i}].symbol", f"{p.symbol!r} does not trade on {p.venue}")
        if v.kind == "wholesaler":
            raise _FieldError(f"plants[{i}].venue", f"{p.venue} is a wholesaler: nothing rests there")
        if v.kind == "dark" and p.display != "midpoint":
            raise _FieldError(f"plants[{i}].display", f"{p.venue} is a dark pool: only midpoint plants rest there")
        if p.price_usd is not None:
            units = p.price_usd / ticks[p.symbol]
            if abs(units - round(units)) > 1e-6:
                raise _FieldError(f"plants[{i}].price_usd", f"{p.price_usd} is not on the {ticks[p.symbol]} tick")


def _unique(names: list[str], field: str, what: str, *, key: str = "") -> None:
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        if n in seen:
            raise _FieldError(f"{field}[{i}]{key}", f"duplicate {what} name {n!r} (also {field}[{seen[n]}]{key})")
        seen[n] = i


def scenario_from_dict(data: Mapping[str, Any], *, source: str = "<scenario>", registry: Any = None) -> Scenario:
    """Validate a scenario mapping; raises :class:`UserError` naming ``source``, the field and the value."""
    routers = data.get("routers")
    if registry is not None and isinstance(routers, list):
        # Name an unknown router before any error it causes elsewhere (e.g. its [router_params] table).
        for i, name in enumerate(routers):
            if isinstance(name, str) and name not in registry:
                known = ", ".join(sorted(registry))
                raise UserError(f"{source}: routers[{i}]: unknown router {name!r} (known: {known})")
    try:
        scenario = Scenario.model_validate(dict(data))
    except ValidationError as err:
        raise validation_errors(source, err) from None
    if registry is not None:
        check_routers(scenario, registry, source=source)
    return scenario


def check_routers(scenario: Scenario, registry: Any, *, source: str) -> None:
    """Routers must be registered and their parameters valid for this scenario."""
    from harness.scenario.routers import resolve_router_params  # local: avoids a cycle at import

    for i, name in enumerate(scenario.routers):
        if name not in registry:
            known = ", ".join(sorted(registry))
            raise UserError(f"{source}: routers[{i}]: unknown router {name!r} (known: {known})")
        resolve_router_params(scenario, registry, name, source=source)


def load_scenario(path: str | Path, *, registry: Any = None) -> tuple[Scenario, Path]:
    """Read and validate a TOML scenario file; returns it with its resolved path."""
    p = Path(path)
    data = read_toml(p, what="scenario file")
    return scenario_from_dict(data, source=str(p), registry=registry), p.resolve()


def json_schema() -> dict[str, Any]:
    """JSON Schema of scenario files, for editors."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "sorbench scenario"
    return schema
