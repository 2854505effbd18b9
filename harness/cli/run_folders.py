"""Commands on run folders: ``verify`` (unchanged and reproducible?), ``report`` (rebuilt) and ``query`` (SQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from harness.cli.console import fail, out_console, write_output
from harness.errors import UserError


def verify(
    run_folder: Annotated[Path, typer.Argument(help="A run folder written by sorbench run.")],
    rerun: Annotated[bool, typer.Option(help="Re-run from the manifest and compare every result file's hash.")] = True,
    jobs: Annotated[int, typer.Option(help="Parallel worker processes for the re-run.")] = 1,
    router: Annotated[list[str] | None, typer.Option(
        "--router", "-r", help="A plug-in to trust for the re-run, MODULE:CLASS or FILE.py:CLASS (repeatable); "
        "used only if its source's sha256 is the one the manifest records.")] = None,
    key: Annotated[Path | None, typer.Option(
        "--key", help="An ed25519 public key (PEM, sorbench keygen's K.pub): the folder's signature.json must be a "
        "valid signature by it of the folder as it is.")] = None,
) -> None:
    """Check a run folder: files unchanged since the run, and the same results when run again (exit 1 if not).

    The re-run never executes code from the folder: it uses the built-in routers and the plug-ins named with
    ``--router``; a run with any other router is checked for integrity only, and verify says so.
    """
    from harness.workflows.verify import verify_run

    try:
        if jobs < 1:
            raise UserError(f"--jobs: {jobs} must be at least 1")
        report = verify_run(run_folder, rerun=rerun, jobs=jobs, plugins=router or (), key=key)
    except UserError as err:
        fail(str(err))
        return
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


def query(
    sql: Annotated[str, typer.Argument(help="SQL (DuckDB) over the views fills, child_orders, tca_orders, runs, ...")],
    results: Annotated[Path, typer.Option(help="Results folder (or one run folder).")] = Path("results"),
    csv: Annotated[Path | None, typer.Option(help="Write the result to this CSV file instead of printing it.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to print (all are written with --csv).")] = 50,
) -> None:
    """Query every run under a results folder with SQL (see docs/querying.md)."""
    from harness.io.query import query as run_query

    try:
        frame = run_query(results, sql)
    except UserError as err:
        fail(str(err))
        return
    if csv is not None:
        write_output(csv, frame.to_csv(index=False, lineterminator="\n"), option="--csv")
        out_console.print(f"{len(frame)} row(s) written to {csv}")
        return
    table = Table(show_header=True)
    for col in frame.columns:
        table.add_column(str(col), no_wrap=True)
    for row in frame.head(limit).itertuples(index=False):
        table.add_row(*(escape(str(v)) for v in row))
    out_console.print(table)
    if len(frame) > limit:
        out_console.print(f"({len(frame)} rows; first {limit} shown)")
