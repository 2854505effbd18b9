"""``sorbench validate`` and ``sorbench schema`` for every kind of file sorbench reads.

The kinds: a scenario, a suite (``run --suite``), a review policy (``--policy``, ``scenarios/policy/``) and a router
configuration (``--router-config``: one ``[<router>]`` table of parameters each). A file's kind is told from its
top-level keys unless given: ``[session]``, ``[[symbols]]`` or ``[[venues]]`` make a scenario, ``[[run]]`` a suite, any
of the policy's keys (``version``, ``benchmark_router``, ``rules``, ...) a policy, and only tables a router
configuration. Validation reports every mistake found at once, one line each naming the file, the field and the
value (pydantic checks every field; checks that need the whole file, such as duplicate names, run once the fields
are valid, and a suite's scenarios are checked one after the other, stopping at the first bad one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import UserError

KINDS = ("scenario", "suite", "policy", "router-config")
"""The kinds of file ``validate`` and ``schema`` know, as ``--kind`` takes them."""
_SCENARIO_KEYS = {"session", "symbols", "venues"}


@dataclass
class Checked:
    """What validating one file found: its kind, a one-line description when valid, else every error line."""

    path: Path
    kind: str
    errors: list[str] = field(default_factory=list)
    detail: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    """Figures of a valid file for ``--json``: a scenario's name and sha256, a suite's entries, routers' names."""

    @property
    def ok(self) -> bool:
        """No error."""
        return not self.errors


def check_kind(kind: str | None) -> str | None:
    """``--kind`` checked (None: detect it from the file)."""
    if kind is not None and kind not in KINDS:
        raise UserError(f"--kind: {kind!r} is not one of {', '.join(KINDS)}")
    return kind


def detect_kind(data: dict[str, Any], path: Path) -> str:
    """The kind of a file from its top-level keys; ``UserError`` when they fit none."""
    from harness.analytics.review_policy import ReviewPolicy

    keys = set(data)
    if keys & _SCENARIO_KEYS:
        return "scenario"
    if "run" in keys:
        return "suite"
    if keys & set(ReviewPolicy.model_fields):
        return "policy"
    if keys and all(isinstance(v, dict) for v in data.values()):
        return "router-config"
    raise UserError(
        f"{path}: cannot tell the kind of file: a scenario has [session], a suite [[run]], a policy "
        "benchmark_router or [[rules]], a router config only [<router>] tables (give --kind)"
    )


def validate_file(path: Path, *, kind: str | None = None, scenario: Path | None = None) -> Checked:
    """Validate ``path`` as ``kind`` (detected when None); router configs are checked against ``scenario``'s venues."""
    from harness.scenario.reading import FileErrors, read_toml

    try:
        data = read_toml(path, what=f"{kind or 'TOML'} file".replace("-", " "))
        kind = kind or detect_kind(data, path)
    except UserError as err:
        return Checked(path, kind or "unknown", errors=[str(err)])
    checked = Checked(path, kind)
    try:
        checked.detail, checked.facts = _CHECKS[kind](path, data, scenario)
    except FileErrors as err:
        checked.errors = list(err.lines)
    except UserError as err:
        checked.errors = [str(err)]
    return checked


def _router_config_schema(registry: Any) -> dict[str, Any]:
    """One property per router: its ``Params``' schema (a plug-in's as its inspecting process reported it)."""
    from pydantic.json_schema import models_json_schema

    from adapters.inspection import is_stub

    names = [n for n in registry.names() if not is_stub(registry.get(n))]
    refs, defs = models_json_schema([(registry.get(n).Params, "validation") for n in names])
    properties = {n: refs[(registry.get(n).Params, "validation")] for n in names}
    all_defs = dict(defs.get("$defs", {}))
    for n in registry.names():
        if n not in properties:  # a plug-in: its own $defs move to the top, renamed so that they cannot collide
            plugin = dict(registry.get(n).plugin.params_schema)
            own = {f"{n}__{k}": v for k, v in (plugin.pop("$defs", None) or {}).items()}
            all_defs.update(_renamed_refs(own, n))
            properties[n] = _renamed_refs(plugin, n)
    properties = {n: properties[n] for n in registry.names()}
    return {"type": "object", "additionalProperties": False, **({"$defs": all_defs} if all_defs else {}),
            "properties": properties}


def _renamed_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        return {k: (f"#/$defs/{prefix}__{v[len('#/$defs/'):]}" if k == "$ref" and isinstance(v, str)
                    and v.startswith("#/$defs/") else _renamed_refs(v, prefix)) for k, v in node.items()}
    if isinstance(node, list):
        return [_renamed_refs(v, prefix) for v in node]
    return node


def _registry() -> Any:
    from adapters.loader import full_registry
    from adapters.registry import RegistryError

    try:
        return full_registry()
    except RegistryError as err:
        raise UserError(str(err)) from None


def _scenario(path: Path, data: dict[str, Any], _scenario: Path | None) -> tuple[str, dict[str, Any]]:
    from harness.io.orders import load_parents
    from harness.scenario.schema import scenario_from_dict

    sc = scenario_from_dict(data, source=str(path), registry=_registry())
    if sc.flow.file is not None:
        load_parents(path.resolve().parent / sc.flow.file, sc)
    return (
        f"scenario {sc.name!r}, sha256 {sc.sha256()[:16]}...",
        {"name": sc.name, "sha256": sc.sha256(), "routers": list(sc.routers)},
    )


def _suite(path: Path, _data: dict[str, Any], _scenario: Path | None) -> tuple[str, dict[str, Any]]:
    from harness.workflows.suite import load_suite

    plan = load_suite(path)
    return (
        f"suite {plan.suite.name!r}, {len(plan.suite.run)} scenario(s), {plan.simulations} simulations",
        {"name": plan.suite.name, "runs": len(plan.suite.run), "simulations": plan.simulations},
    )


def _policy(path: Path, _data: dict[str, Any], _scenario: Path | None) -> tuple[str, dict[str, Any]]:
    from harness.analytics.review_policy import load_policy

    policy = load_policy(path)
    rules = [r.id for r in policy.rules] + [r.id for r in policy.paying_venue_rules]
    return (
        f"review policy, benchmark {policy.benchmark_router!r}, {len(rules)} rule(s)",
        {"benchmark_router": policy.benchmark_router, "rules": rules},
    )


def _router_config(path: Path, data: dict[str, Any], scenario: Path | None) -> tuple[str, dict[str, Any]]:
    from harness.scenario.reading import FileErrors
    from harness.scenario.routers import router_config_errors
    from harness.scenario.schema import load_scenario

    registry = _registry()
    if scenario is None:
        raise UserError(f"{path}: a router config is checked against a scenario's venues: give --scenario")
    sc, _ = load_scenario(scenario, registry=registry)
    lines = router_config_errors(sc, data, path=path, registry=registry)
    if lines:
        raise FileErrors(lines)
    return (
        f"router config for {', '.join(data) or 'no router'} (against {scenario}'s venues)",
        {"routers": list(data), "scenario": str(scenario)},
    )


_CHECKS = {"scenario": _scenario, "suite": _suite, "policy": _policy, "router-config": _router_config}


def json_schema(kind: str = "scenario") -> dict[str, Any]:
    """The JSON Schema of one kind of file, for editors."""
    from harness.analytics.review_policy import ReviewPolicy
    from harness.scenario.schema import json_schema as scenario_schema
    from harness.workflows.suite import Suite

    if kind == "scenario":
        return scenario_schema()
    if kind in ("suite", "policy"):
        schema = (Suite if kind == "suite" else ReviewPolicy).model_json_schema()
        title = "sorbench suite" if kind == "suite" else "sorbench review policy"
    else:
        schema = _router_config_schema(_registry())
        title = "sorbench router config"
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "title": title}
