"""``sorbench power``: what a run's seeds can detect, per figure and router pair (docs/analytics.md, Power)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from harness.cli.console import fail, fmt, out_console
from harness.errors import UserError

if TYPE_CHECKING:
    import pandas as pd


def _orders(run_folder: Path) -> pd.DataFrame:
    """The run's per-order TCA table: ``tca/orders.parquet``, else computed from the run folder's tables."""
    import pandas as pd

    from harness.analytics.inputs import load_run_folder
    from harness.analytics.orders import orders_tca

    stored = run_folder / "tca" / "orders.parquet"
    if stored.is_file():
        try:
            return pd.read_parquet(stored)
        except (OSError, ValueError) as err:
            raise UserError(f"{stored}: not a readable parquet file ({err})") from err
    inputs = load_run_folder(run_folder)
    return orders_tca(inputs.parents, inputs.fills, inputs.nbbo)


def power(
    run_folder: Annotated[Path, typer.Argument(help="A run folder written by sorbench run (or with tca/).")],
    figure: Annotated[str | None, typer.Option(help="Only this paired figure (e.g. time_to_first_fill_ms).")] = None,
    difference: Annotated[float | None, typer.Option(
        help="A true difference to detect, in the figure's unit: prints the seeds needed.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (one object per figure and pair).")] = False,
) -> None:
    """Per figure and router pair: seeds, per-seed sd, minimum detectable difference (80% power), seeds needed."""
    from harness.analytics.paired import PAIRED_FIGURES
    from harness.analytics.power import figure_named, power_table

    try:
        if difference is not None and not (math.isfinite(difference) and difference > 0):
            raise UserError(f"--difference: {difference} must be a positive number in the figure's unit")
        try:
            figures = (figure_named(figure),) if figure is not None else PAIRED_FIGURES
        except ValueError as err:
            raise UserError(f"--figure: {err}") from err
        if not run_folder.is_dir():
            raise UserError(f"{run_folder}: not a run folder (no such directory)")
        orders = _orders(run_folder)
        if orders.empty or orders["router"].nunique() < 2:
            raise UserError(f"{run_folder}: power needs at least two routers' orders to pair")
        table = power_table(orders, difference=difference, figures=figures)
    except UserError as err:
        fail(str(err))
        return
    if as_json:
        records = json.loads(table.to_json(orient="records"))
        typer.echo(json.dumps(records, indent=2))
        return
    title = "Power of the paired comparisons (stratum all; two-sided 95% t test over seeds, 80% power)"
    t = Table(title=title)
    for col in ("figure", "A", "B", "unit", "seeds", "orders", "sd per seed", "mean A - B", "min detectable",
                *(["seeds needed"] if difference is not None else [])):
        t.add_column(col, overflow="fold")
    for r in table.itertuples(index=False):
        t.add_row(escape(str(r.figure)), escape(str(r.router_a)), escape(str(r.router_b)), escape(str(r.unit)),
                  str(r.seeds), str(r.orders), fmt(r.sd_seed, ".4g"), fmt(r.mean_diff, ".4g"),
                  fmt(r.min_detectable_diff, ".4g"),
                  *([str(r.seeds_needed) if int(r.seeds_needed) else "n/a (sd undefined)"]
                    if difference is not None else []))
    out_console.print(t)
    if difference is not None:
        out_console.print(f"seeds needed: the fewest seeds whose minimum detectable difference is at most "
                          f"{difference:g}")
