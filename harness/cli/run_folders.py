"""Commands on run folders: ``verify`` (unchanged and reproducible?), ``report`` (rebuilt) and ``query`` (SQL)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from harness.cli.console import err_console, fail, out_console, write_output
from harness.cli.json_output import JsonOption, json_output
from harness.cli.options import ExecutorOption, executor_choice
from harness.errors import UserError


def verify(
    run_folder: Annotated[Path, typer.Argument(help="A run folder written by sorbench run.")],
    rerun: Annotated[bool, typer.Option(help="Re-run from the manifest and compare every result file's hash.")] = True,
    jobs: Annotated[int, typer.Option(help="Parallel worker processes for the re-run.")] = 1,
    executor: ExecutorOption = "local",
    router: Annotated[list[str] | None, typer.Option(
        "--router", "-r", help="A plug-in to trust for the re-run, MODULE:CLASS or FILE.py:CLASS (repeatable); "
        "used only if its source's sha256 is the one the manifest records.")] = None,
    key: Annotated[Path | None, typer.Option(
        "--key", help="An ed25519 public key (PEM, sorbench keygen's K.pub): the folder's signature.json must be a "
        "valid signature by it of the folder as it is.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Check a run folder: files unchanged since the run, and the same results when run again (exit 1 if not).

    The re-run never executes code from the folder: it uses the built-in routers and the plug-ins named with
    ``--router``; a run with any other router is checked for integrity only, and verify says so.
    """
    with json_output(as_json, "verify") as result:
        _verify(run_folder, rerun=rerun, jobs=jobs, router=router, key=key, result=result, executor=executor)


def _verify(run_folder: Path, *, rerun: bool, jobs: int, router: list[str] | None, key: Path | None,
            result: dict[str, Any], executor: str = "local") -> None:
    """``verify``'s work and lines; ``result`` gets what ``--json`` prints."""
    from harness.workflows.executor import open_executor
    from harness.workflows.verify import verify_run

    try:
        if jobs < 1:
            raise UserError(f"--jobs: {jobs} must be at least 1")
        choice = executor_choice(executor)
        with open_executor(choice if rerun else None, jobs=jobs) as pool:  # no cluster for an integrity check
            report = verify_run(run_folder, rerun=rerun, jobs=jobs, plugins=router or (), key=key, executor=pool)
    except UserError as err:
        fail(str(err))
        return
    result.update(run_folder=str(run_folder), verified=report.ok, files_checked=len(report.integrity),
                  reproduced=report.reproduced, not_rerun=list(report.not_rerun), problems=list(report.problems),
                  notes=list(report.notes))
    for note in report.notes:
        out_console.print(f"note: {escape(note)}")
    checked = len(report.integrity)
    if report.ok:
        what = ("re-run gives identical files" if report.reproduced else
                "files unchanged; NOT re-run, see the notes" if report.not_rerun else "files unchanged")
        out_console.print(f"{run_folder}: verified ({checked} files; {what})")
        return
    for line in report.problems:
        out_console.print(f"[red]DIFFERS[/] {escape(line)}")
    out_console.print(f"{run_folder}: NOT verified ({len(report.problems)} problem(s))")
    raise typer.Exit(1)


def report_cmd(
    run_folder: Annotated[Path, typer.Argument(help="A run folder written by sorbench run.")],
    pdf: Annotated[bool, typer.Option(help="Also print report.pdf (headless Chromium, else a fallback).")] = True,
) -> None:
    """Rebuild a run folder's report.html and report.pdf from its files (docs/reports.md)."""
    from harness.report import rebuild_report

    try:
        files = rebuild_report(run_folder, pdf=pdf)
    except UserError as err:
        fail(str(err))
        return
    out_console.print(f"report: {files.html}")
    if files.pdf is not None:
        out_console.print(f"pdf:    {files.pdf} ({escape(files.pdf_renderer or '')})")


QUERY_FORMATS = ("table", "csv", "json", "parquet")


def query(
    sql: Annotated[str, typer.Argument(help="SQL (DuckDB) over the views fills, child_orders, tca_orders, runs, ...")],
    results: Annotated[Path, typer.Option(help="Results folder (or one run folder).")] = Path("results"),
    output_format: Annotated[str, typer.Option(
        "--format", help="table, csv, json (an array of row objects) or parquet.")] = "table",
    out: Annotated[Path, typer.Option(help="Write the result to this file; - is stdout.")] = Path("-"),
    csv: Annotated[Path | None, typer.Option(
        help="Deprecated: the same as --format csv --out FILE (- is stdout).")] = None,
    limit: Annotated[int, typer.Option(help="Rows of a table (csv, json and parquet get every row).")] = 50,
) -> None:
    """Query every run under a results folder with SQL (see docs/querying.md).

    Floats are printed with 12 significant digits; NULL is an empty CSV cell, JSON null and NULL in a table. A table
    on a terminal has box drawing; piped or written to a file it is plain text.
    """
    from harness.io.query import query_table

    try:
        if output_format not in QUERY_FORMATS:
            raise UserError(f"--format: {output_format!r} is not one of {', '.join(QUERY_FORMATS)}")
        if csv is not None:
            if output_format not in ("table", "csv") or out != Path("-"):
                raise UserError("--csv is the same as --format csv --out FILE: give one or the other")
            output_format, out = "csv", csv
        to_stdout = str(out) == "-"
        if output_format == "parquet" and to_stdout and sys.stdout.isatty():
            raise UserError("--format parquet: no binary Parquet on a terminal (give --out FILE or pipe it)")
        table = query_table(results, sql)
    except UserError as err:
        fail(str(err))
        return
    _write_query(table, output_format=output_format, out=out, limit=limit, option="--csv" if csv else "--out")
    if csv is not None:  # after the output, so that an error stays one line
        err_console.print("note: --csv is deprecated: use --format csv --out FILE")


def _write_query(table: Any, *, output_format: str, out: Path, limit: int, option: str) -> None:
    """Write the query's result to ``out`` (``-``: stdout) in ``output_format``."""
    from harness.io.query import to_csv, to_json, to_parquet, to_text

    to_stdout = str(out) == "-"
    if output_format == "table" and to_stdout and sys.stdout.isatty():
        _print_table(table, limit=limit)
    elif output_format == "parquet":
        data = to_parquet(table)
        if to_stdout:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            write_output(out, data, option=option)
    else:
        text = {"csv": to_csv, "json": to_json}.get(output_format, lambda t: to_text(t, limit=limit))(table)
        if to_stdout:
            sys.stdout.write(text)
        else:
            write_output(out, text, option=option)
    shown = min(limit, table.num_rows) if output_format == "table" else table.num_rows
    if not to_stdout:
        err_console.print(f"{shown} row(s) written to {out}")
    elif output_format == "table" and table.num_rows > limit:
        err_console.print(f"({table.num_rows} rows; first {limit} shown)")


def _print_table(table: Any, *, limit: int) -> None:
    """The result as a rich table on a terminal."""
    from harness.io.query import cell_text

    grid = Table(show_header=True)
    for col in table.column_names:
        grid.add_column(escape(str(col)), no_wrap=True)
    for row in table.slice(0, limit).to_pylist():
        grid.add_row(*(escape(cell_text(v, null="NULL")) for v in row.values()))
    out_console.print(grid)
