"""What every command shares: the two consoles (results to stdout, errors and progress to stderr) and their helpers."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from rich.progress import Progress

err_console = Console(stderr=True, highlight=False)
"""Errors and progress bars."""
out_console = Console(highlight=False, width=120)
"""Tables and results."""
error_lines: list[str] = []
"""Every line ``fail`` printed in this process, for ``--json`` (:mod:`harness.cli.json_output`)."""


def fail(message: str) -> None:
    """Print ``error: message`` on stderr and exit with status 2 (a user's mistake, never a traceback)."""
    error_lines.append(message)
    # escape: the message quotes the user's values and paths, which must not be read as rich markup ("[/]", "[b]")
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(2)


def write_output(path: Path, text: str | bytes, *, option: str) -> None:
    """Write a command's output file whole (a temporary file beside it, renamed into place) or fail with one line."""
    if path.is_dir():
        fail(f"{option}: {path} is a directory")
    if not path.parent.is_dir():
        fail(f"{option}: {path}: the folder {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        if isinstance(text, bytes):
            tmp.write_bytes(text)
        else:
            tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        fail(f"{option}: {path}: cannot write: {err.strerror or err}")


def fmt(v: object, spec: str) -> str:
    """``v`` formatted with ``spec``; ``-`` for NaN."""
    if isinstance(v, float) and math.isnan(v):
        return "-"
    return format(v, spec)


def progress_bar(*, quiet: bool) -> Progress:
    """The progress bar of a run or suite on stderr (disabled by ``--quiet``; gone when done).

    Its text names the phase under way (simulating, writing tables, analysing, writing report, hashing files) and a
    clock runs beside it (refreshed by rich's own thread), so the bar never sits still at N/N while the analytics and
    the report are built.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, disable=quiet, transient=True,
    )
