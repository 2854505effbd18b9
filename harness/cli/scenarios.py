"""Commands on what a run is made of: ``routers`` (the available ones), ``validate`` and ``schema``.

``validate`` and ``schema`` know every kind of input file: scenario, suite, review policy, router config
(:mod:`harness.workflows.validate`).
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from harness.cli.console import err_console, fail, out_console, write_output
from harness.cli.json_output import JsonOption, json_output
from harness.errors import EXIT_USER_ERROR, UserError


def routers(as_json: JsonOption = False) -> None:
    """List the available routers: built-in and from installed packages (entry point group sorbench.routers)."""
    from adapters.loader import full_registry
    from adapters.registry import RegistryError

    with json_output(as_json, "routers") as result:
        try:
            registry = full_registry()
        except RegistryError as err:
            fail(str(err))
            return
        listed = [{"name": name, "origin": registry.origin(name), "description": registry.get(name).description}
                  for name in registry.names()]
        result["routers"] = listed
        if as_json:
            return
        table = Table(show_header=True)
        table.add_column("name")
        table.add_column("origin")
        table.add_column("description")
        for r in listed:
            table.add_row(r["name"], r["origin"], r["description"])
        out_console.print(table)


KindOption = Annotated[
    str | None, typer.Option(help="scenario, suite, policy or router-config (default: told from the file's keys).")
]


def validate(
    file: Annotated[Path, typer.Argument(help="A scenario, suite, review-policy or router-config TOML file.")],
    kind: KindOption = None,
    scenario: Annotated[Path | None, typer.Option(
        help="For a router config: the scenario whose venues it is checked against (default: scenarios/default.toml)."
    )] = None,
    as_json: JsonOption = False,
) -> None:
    """Check a scenario, suite, policy or router-config file; every mistake is a line naming the field (exit 2).

    The kind is told from the file's top-level keys unless --kind names it.
    """
    from harness.workflows.validate import check_kind, validate_file

    with json_output(as_json, "validate") as result:
        try:
            check_kind(kind)
            against = scenario
            if against is None and kind in (None, "router-config"):
                from harness.cli.run import default_scenario_path

                with contextlib.suppress(UserError):  # only a router config needs it; it says so without one
                    against = default_scenario_path()
        except UserError as err:
            fail(str(err))
            return
        checked = validate_file(file, kind=kind, scenario=against)
        result.update(file=str(file), kind=checked.kind, valid=checked.ok, **checked.facts)
        if not checked.ok:
            for line in checked.errors:
                err_console.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True)
            result["errors"] = checked.errors
            raise typer.Exit(EXIT_USER_ERROR)
        out_console.print(f"{escape(str(file))}: ok ({escape(checked.detail)})")


def schema(
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
    kind: Annotated[str, typer.Option(help="scenario, suite, policy or router-config.")] = "scenario",
) -> None:
    """Print the JSON Schema of scenario files, or of suite, policy or router-config files (for editors)."""
    from harness.workflows.validate import check_kind, json_schema

    try:
        check_kind(kind)
        text = json.dumps(json_schema(kind), indent=2) + "\n"
    except UserError as err:
        fail(str(err))
        return
    if out is None:
        sys.stdout.write(text)
    else:
        write_output(out, text, option="--out")
