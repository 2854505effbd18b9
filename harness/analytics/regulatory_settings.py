"""The manifest's regulatory settings: a :class:`~harness.analytics.regulatory.RegulatoryConfig` as JSON and back.

A run records who its Rule 605/606 reports are for (broker, customer, period, ...) in ``manifest.json`` so that
``sorbench verify`` and ``sorbench report`` analyse the folder again the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from harness.analytics.regulatory import RegulatoryConfig


def regulatory_manifest(config: Any) -> dict[str, Any]:
    """The manifest's record of a :class:`~harness.analytics.regulatory.RegulatoryConfig` (JSON types)."""
    return {
        "broker": config.broker, "customer": config.customer,
        "designated_participant": config.designated_participant, "entity_codes": dict(config.entity_codes),
        "period": config.period.isoformat() if config.period else None, "timestamp": config.timestamp,
    }


def regulatory_from_manifest(record: dict[str, Any] | None) -> Any:
    """The :class:`~harness.analytics.regulatory.RegulatoryConfig` a manifest recorded (defaults when absent)."""
    if not record:
        return RegulatoryConfig()
    period = dt.date.fromisoformat(record["period"]) if record.get("period") else None
    return RegulatoryConfig(
        broker=record["broker"], customer=record["customer"],
        designated_participant=record["designated_participant"], entity_codes=dict(record.get("entity_codes") or {}),
        period=period, timestamp=record.get("timestamp"),
    )
