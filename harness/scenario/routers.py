"""Resolving the routers named by a scenario: class from the registry, validated parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from adapters.contract import Router
from adapters.inspection import ParamsRejected, is_stub, validate_params
from adapters.registry import RegistryError, RouterRegistry
from harness.errors import UserError
from venues.fees import FeeSchedule
from venues.venue import VenueInfo, VenueKind


def venue_infos(scenario: Any) -> dict[str, VenueInfo]:
    """Public static data of the scenario's venues, by name, in file order."""
    return {
        v.name: VenueInfo(
            name=v.name,
            kind=VenueKind(v.kind),
            fees=FeeSchedule.from_usd(take_usd=v.fees.take_usd, make_usd=v.fees.make_usd, pfof_usd=v.fees.pfof_usd),
            protected=v.is_protected,
            symbols=tuple(scenario.venue_symbols(v)),
            speed_bump_ns=round(v.speed_bump_us * 1000),
            min_qty=v.min_qty,
        )
        for v in scenario.venues
    }


def apply_router_config(scenario: Any, path: Path, registry: RouterRegistry) -> Any:
    """The scenario with its ``[router_params]`` tables replaced by those of a router-config TOML file.

    Each table must name a registered router (a misspelt ``[best-prise]`` is an error, not silently ignored) and hold
    valid parameters for it; errors name the config file, the table and the field.
    """
    from harness.scenario.reading import FileErrors, read_toml

    data = read_toml(path, what="router config file")
    lines = router_config_errors(scenario, data, path=path, registry=registry)
    if lines:
        raise FileErrors(lines)
    return scenario.model_copy(update={"router_params": {**scenario.router_params, **data}})


def router_config_errors(scenario: Any, data: dict[str, Any], *, path: Path, registry: RouterRegistry) -> list[str]:
    """Every mistake in a router-config file's tables (``data``) for ``scenario``, one line each."""
    from harness.scenario.reading import FileErrors

    lines: list[str] = []
    for name, table in data.items():
        shown = name if name.isprintable() else repr(name)  # one line whatever the table's name holds
        if not isinstance(table, dict):
            lines.append(f"{path}: {shown}: expected a table of parameters for router {name!r} "
                         f"(got {repr(table)[:60]})")
        elif name not in registry:
            lines.append(f"{path}: [{shown}]: unknown router (known: {', '.join(registry.names())})")
        else:
            updated = scenario.model_copy(update={"router_params": {**scenario.router_params, name: table}})
            try:
                resolve_router_params(updated, registry, name, source=str(path), prefix="")
            except FileErrors as err:
                lines += err.lines
            except UserError as err:
                lines.append(str(err))
    return lines


def resolve_router_params(scenario: Any, registry: RouterRegistry, name: str, *, source: str,
                          prefix: str = "router_params.") -> BaseModel:
    """Validate ``[router_params.<name>]`` against the router's ``Params``; errors name the file and field.

    ``prefix`` starts the field's name in errors (``""`` for a router-config file, whose tables are the routers').
    A plug-in's parameters are validated by its own code in a contained process (:mod:`adapters.inspection`).
    """
    cls = registry.get(name)
    raw = scenario.router_params.get(name, {})
    if is_stub(cls):
        return _plugin_params(cls, raw, scenario, registry, name=name, source=source, prefix=prefix)
    try:
        params = cls.Params.model_validate(raw)
    except ValidationError as err:
        raise _params_errors(err.errors(), name=name, source=source, prefix=prefix) from None
    check = getattr(cls, "check_params", None)
    if check is not None:
        try:
            check(params, venues=venue_infos(scenario))
        except ValueError as err:
            raise UserError(f"{source}: {prefix}{name}: {err}") from None
    return params


def _params_errors(errors: Any, *, name: str, source: str, prefix: str) -> Exception:
    """One line per invalid field (pydantic's errors; a plug-in's have ``input`` as its repr already)."""
    from harness.scenario.reading import FileErrors

    lines = []
    for e in errors:
        loc = ".".join(str(p) for p in e.get("loc", ()))
        msg = "unknown key" if e.get("type") == "extra_forbidden" else e.get("msg")
        shown = e.get("input") if "input_repr" in e else repr(e.get("input"))
        got = f" (got {shown})" if e.get("type") not in {"extra_forbidden", "missing"} else ""
        lines.append(f"{source}: {prefix}{name}.{loc}: {msg}{got}")
    return FileErrors(lines)


def _plugin_params(cls: Any, raw: Any, scenario: Any, registry: Any, *, name: str, source: str,
                   prefix: str) -> BaseModel:
    from adapters.protocol import encode_venue

    limits = getattr(registry, "limits", None)
    venues = [encode_venue(v) for v in venue_infos(scenario).values()]
    try:
        data = validate_params(cls.plugin, raw, venues=venues, limits=limits)
    except ParamsRejected as err:
        if err.check is not None:
            raise UserError(f"{source}: {prefix}{name}: {err.check}") from None
        raise _params_errors([{**e, "input_repr": True} for e in err.errors], name=name, source=source,
                             prefix=prefix) from None
    except RegistryError as err:
        raise UserError(f"{source}: {prefix}{name}: {err}") from None
    return cls.Params.model_validate(data)


def make_router(registry: RouterRegistry, name: str, params: BaseModel) -> Router:
    """Instantiate a registered router with validated parameters in this process.

    A plug-in is imported here only when it must run in this process (``--router-process never``, which is for
    trusted code, or a router that takes part only in real time).
    """
    cls = registry.get(name)
    if is_stub(cls):
        real = cls.load()  # type: ignore[attr-defined]
        return real(real.Params.model_validate(params.model_dump(mode="json")))  # type: ignore[no-any-return]
    return cls(params)
