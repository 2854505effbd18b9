"""Commands on what a run is made of: ``routers`` (the available ones), ``validate`` (a scenario) and ``schema``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from harness.cli.console import fail, out_console, write_output
from harness.errors import UserError


def routers() -> None:
    """List the available routers: built-in and from installed packages (entry point group sorbench.routers)."""
    from adapters.loader import full_registry
    from adapters.registry import RegistryError

    try:
        registry = full_registry()
    except RegistryError as err:
        fail(str(err))
        return
    table = Table(show_header=True)
    table.add_column("name")
    table.add_column("origin")
    table.add_column("description")
    for name in registry.names():
        table.add_row(name, registry.origin(name), registry.get(name).description)
    out_console.print(table)


def validate(scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")]) -> None:
    """Check a scenario file; exit status 2 with one line naming the field if it is wrong."""
    from adapters.loader import full_registry
    from adapters.registry import RegistryError
    from harness.io.orders import load_parents
    from harness.scenario.schema import load_scenario

    try:
        try:
            registry = full_registry()
        except RegistryError as err:
            raise UserError(str(err)) from None
        sc, resolved = load_scenario(scenario, registry=registry)
        if sc.flow.file is not None:
            load_parents(resolved.parent / sc.flow.file, sc)
    except UserError as err:
        fail(str(err))
        return
    out_console.print(f"{scenario}: ok (scenario {sc.name!r}, sha256 {sc.sha256()[:16]}...)")


def schema(out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None) -> None:
    """Print the JSON Schema of scenario files (for editors)."""
    from harness.scenario.schema import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        write_output(out, text, option="--out")
