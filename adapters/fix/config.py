"""The ``fix`` router's parameters: the ``[fix]`` table of a ``--router-config`` file (see docs/fix.md).

Example::

    [fix.vendor]                 # the vendor SOR's client-facing FIX endpoint; sorbench logs on to it
    host = "127.0.0.1"
    port = 9878
    sender_comp_id = "SORBENCH"  # sorbench's CompID on the parent-order session
    target_comp_id = "BESTSOR"   # the vendor's

    [fix.gateway]                # the simulated venues; the vendor logs on to them
    port = 9880
    client_comp_ids = ["BESTSOR"]
"""

from __future__ import annotations

import ipaddress
import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_COMP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


def _comp_id(v: str) -> str:
    if not _COMP_ID.match(v):
        raise ValueError(f"{v!r} is not a CompID (1-32 letters, digits, '_', '.', '-')")
    return v


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class VendorEndpoint(_Strict):
    """Where the vendor SOR takes parent orders (sorbench is the FIX initiator of this session)."""

    host: str = Field("127.0.0.1", description="Host of the vendor's client-facing FIX acceptor.")
    port: int = Field(9878, ge=1, le=65535)
    sender_comp_id: str = Field("SORBENCH", description="sorbench's SenderCompID on the parent-order session.")
    target_comp_id: str = Field("VENDOR", description="The vendor's CompID (TargetCompID of that session).")
    heartbeat_s: int = Field(5, ge=1, le=300, description="HeartBtInt sorbench asks for at logon.")

    @field_validator("sender_comp_id", "target_comp_id")
    @classmethod
    def _ids(cls, v: str) -> str:
        return _comp_id(v)


class GatewaySpec(_Strict):
    """The venue gateways: one FIX 4.4 acceptor port, one session per venue (TargetCompID = the venue's name)."""

    host: str = Field("127.0.0.1", description="Address the gateway listens on (loopback unless allow_remote).")
    port: int = Field(9880, ge=1, le=65535)
    client_comp_ids: list[str] = Field(default_factory=lambda: ["VENDOR"], min_length=1, max_length=16,
                                       description="CompIDs the vendor may log on with; any other is refused.")
    routing_comp_id: str = Field("SORBENCH-GW", description="CompID of the session that routes on ExDestination (100).")
    allow_remote: bool = Field(False, description="Allow a non-loopback listening address.")

    @field_validator("client_comp_ids")
    @classmethod
    def _clients(cls, v: list[str]) -> list[str]:
        for c in v:
            _comp_id(c)
        if len(set(v)) != len(v):
            raise ValueError("duplicate CompID")
        return v

    @field_validator("routing_comp_id")
    @classmethod
    def _routing(cls, v: str) -> str:
        return _comp_id(v)

    @model_validator(mode="after")
    def _loopback(self) -> GatewaySpec:
        try:
            loopback = ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            loopback = self.host == "localhost"
        if not loopback and not self.allow_remote:
            raise ValueError(f"host {self.host!r} is not a loopback address (set allow_remote = true to allow it)")
        return self


class FixParams(_Strict):
    """Parameters of the ``fix`` router (an external SOR over FIX)."""

    vendor: VendorEndpoint = Field(default_factory=VendorEndpoint)
    gateway: GatewaySpec = Field(default_factory=GatewaySpec)
    connect_timeout_s: float = Field(10.0, gt=0, le=300,
                                     description="Wall seconds to wait at start for the parent session's logon.")
    gateway_logon_timeout_s: float = Field(10.0, ge=0, le=300,
                                           description="Wall seconds to wait at start for a first gateway logon.")
    parent_ack_timeout_s: float = Field(5.0, gt=0, le=300,
                                        description="Wall seconds the vendor has to answer a parent order.")
    md_interval_us: int = Field(1000, ge=50, le=1_000_000,
                                description="Simulated microseconds between market-data incremental checks.")
    end_grace_s: float = Field(2.0, ge=0, le=60,
                               description="Wall seconds to wait for the vendor's answers to end-of-window cancels.")
    unknown_venue_orders_allowed: int = Field(0, ge=0, le=1_000_000,
                                              description="Orders for unknown venues tolerated before the run fails.")
    log_dir: str | None = Field(None, description="Keep the raw FIX logs here too (they always go in the run folder).")

    @model_validator(mode="after")
    def _distinct(self) -> FixParams:
        if self.gateway.routing_comp_id in self.gateway.client_comp_ids:
            raise ValueError("gateway.routing_comp_id must differ from gateway.client_comp_ids")
        if self.vendor.host in ("127.0.0.1", "localhost") and self.vendor.port == self.gateway.port:
            raise ValueError("vendor.port and gateway.port must differ")
        return self
