"""The ``[latency]`` table of a scenario: latency models and the (participant, venue, direction) links."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from harness.scenario.strict import _FieldError, _Strict


class _LatencyBase(_Strict):
    jitter_ns: int = Field(0, ge=0, description="Uniform extra delay in [0, jitter_ns] added to each draw.")


class ConstantLatencySpec(_LatencyBase):
    """Always the same delay."""

    model: Literal["constant"]
    ns: int = Field(ge=0)


class NormalLatencySpec(_LatencyBase):
    """Normal distribution truncated below at ``min_ns`` (draws below it are redrawn)."""

    model: Literal["normal"]
    mean_ns: int = Field(ge=0)
    sd_ns: int = Field(ge=0)
    min_ns: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _reachable(self) -> NormalLatencySpec:
        if self.sd_ns == 0 and self.mean_ns < self.min_ns:
            raise _FieldError("min_ns", f"{self.min_ns} is above mean_ns {self.mean_ns} with sd_ns 0")
        if self.sd_ns > 0 and (self.min_ns - self.mean_ns) / self.sd_ns > 6:
            raise _FieldError("min_ns", f"{self.min_ns} is more than 6 sd above mean_ns {self.mean_ns}")
        return self


class LognormalLatencySpec(_LatencyBase):
    """Lognormal: ``median_ns * exp(sigma * Z)``, plus ``min_ns``."""

    model: Literal["lognormal"]
    median_ns: int = Field(gt=0)
    sigma: float = Field(ge=0, le=5)
    min_ns: int = Field(0, ge=0)


class EmpiricalLatencySpec(_LatencyBase):
    """Draws uniformly from measured samples (ns)."""

    model: Literal["empirical"]
    samples_ns: list[Annotated[int, Field(ge=0)]] = Field(min_length=1)


LatencySpec = Annotated[
    ConstantLatencySpec | NormalLatencySpec | LognormalLatencySpec | EmpiricalLatencySpec,
    Field(discriminator="model"),
]

Direction = Literal["order_entry", "response", "market_data"]
Participant = Literal["router", "market_maker", "sip", "informed", "fast_trader", "institution"]


class LatencyDefaults(_Strict):
    """Default link models per direction, used wherever no ``[[latency.links]]`` entry overrides them."""

    order_entry: LatencySpec = ConstantLatencySpec(model="constant", ns=150_000)
    response: LatencySpec = ConstantLatencySpec(model="constant", ns=150_000)
    market_data: LatencySpec = ConstantLatencySpec(model="constant", ns=150_000)


class LinkSpec(_Strict):
    """One (participant, venue, direction) link's model. ``venue = "SIP"`` is the SIP-to-participant feed."""

    participant: Participant
    venue: str
    direction: Direction
    model: LatencySpec


class LatencySection(_Strict):
    """Every link's latency. Links are per (participant, venue) and direction."""

    defaults: LatencyDefaults = LatencyDefaults()
    sip_processing: LatencySpec = ConstantLatencySpec(model="constant", ns=20_000)
    """Time the SIP takes to consolidate a quote update before publishing it."""
    links: list[LinkSpec] = []  # noqa: RUF012 (a pydantic field: each instance gets its own copy)


def typical_ns(spec: ConstantLatencySpec | NormalLatencySpec | LognormalLatencySpec | EmpiricalLatencySpec) -> float:
    """A model's median delay (ns; the normal's mean, ignoring truncation), plus half its jitter."""
    if isinstance(spec, ConstantLatencySpec):
        base: float = spec.ns
    elif isinstance(spec, NormalLatencySpec):
        base = max(spec.mean_ns, spec.min_ns)
    elif isinstance(spec, LognormalLatencySpec):
        base = spec.min_ns + spec.median_ns
    else:
        base = float(sorted(spec.samples_ns)[(len(spec.samples_ns) - 1) // 2])
    return base + spec.jitter_ns / 2


def sip_extra_lag_ns(latency: LatencySection, venues: list[str]) -> int:
    """How much older the router's SIP view is than its direct feeds: the median over ``venues`` (ns, >= 0).

    Per venue: the SIP's link from the venue, its processing and the SIP-to-router link, less the router's direct
    link from the venue (typical delays, :func:`typical_ns`; a speed bump is on both paths and cancels).
    """
    if not venues:
        return 0
    links: dict[tuple[str, str, str], Any] = {(ln.participant, ln.venue, ln.direction): ln.model
                                             for ln in latency.links}

    def link(participant: str, venue: str) -> float:
        return typical_ns(links.get((participant, venue, "market_data")) or latency.defaults.market_data)

    to_router = link("router", "SIP") + typical_ns(latency.sip_processing)
    lags = sorted(link("sip", v) + to_router - link("router", v) for v in venues)
    return max(0, round(lags[(len(lags) - 1) // 2]))
