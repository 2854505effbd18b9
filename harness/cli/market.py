"""Commands on the simulated market itself: ``bench`` (its speed) and ``lobster-stats`` (real samples beside it)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from harness.cli.console import err_console, fail, out_console
from harness.errors import UserError


def bench(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    seconds: Annotated[float, typer.Option(help="Simulated seconds of the benchmark scenario.")] = 120.0,
    profile: Annotated[
        bool, typer.Option("--profile", help="Then simulate again under cProfile and print the top 25 by own time.")
    ] = False,
) -> None:
    """Measure simulator speed on a fixed benchmark scenario (one process)."""
    from harness.workflows.bench import run_bench

    if not 1 <= seconds <= 23_400:
        fail(f"--seconds: {seconds} must be between 1 and 23400")
    result = run_bench(simulated_seconds=seconds, profile=profile)
    if as_json:
        sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
        return
    out_console.print(f"book messages       {result['messages']:>12,}  in {result['seconds']:.3f} s")
    out_console.print(f"messages/s          {result['messages_per_second']:>12,.0f}")
    out_console.print(f"kernel events/s     {result['kernel_events_per_second']:>12,.0f}")
    out_console.print(f"bare simpy events/s {result['bare_simpy_events_per_second']:>12,.0f}")
    out_console.print(f"ratio to bare simpy {result['ratio_to_bare_simpy']:>12.3f}  (kernel events)")
    out_console.print(f"                    {result['messages_ratio_to_bare_simpy']:>12.3f}  (book messages)")
    if profile:
        _print_profile(result["profile"])


def _print_profile(rows: list[dict[str, Any]]) -> None:
    """The profile's top rows: own time, its share of the profiled run, cumulative time, calls, function."""
    table = Table(
        title="Profile of a second run under cProfile (its overhead inflates every time), by own time",
        title_justify="left",
    )
    for col in ("own s", "share", "cum s", "calls"):
        table.add_column(col, justify="right")
    table.add_column("function", overflow="fold")
    for r in rows:
        table.add_row(
            f"{r['tottime_s']:.3f}", f"{r['share']:.1%}", f"{r['cumtime_s']:.3f}", f"{r['calls']:,}", r["function"]
        )
    out_console.print(table)


def lobster_stats_cmd(
    messages: Annotated[
        list[Path], typer.Argument(help="LOBSTER message file(s); the orderbook file beside each is used.")
    ],
    tick: Annotated[float, typer.Option(help="Tick size, USD.")] = 0.01,
    start: Annotated[str | None, typer.Option(help="Window start HH:MM:SS (default: from the file name).")] = None,
    end: Annotated[str | None, typer.Option(help="Window end HH:MM:SS (default: from the file name).")] = None,
    run_folder: Annotated[
        Path | None, typer.Option("--run", help="A run folder: show its market_stats.csv (ALL rows) beside.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the LOBSTER statistics to this CSV file.")] = None,
) -> None:
    """Market statistics of LOBSTER samples, computed as a run's market_stats.csv (side by side with --run)."""
    import pandas as pd

    from harness.analytics.market_stats import side_by_side

    try:
        window = _lobster_window(tick, start, end)
        tables = _lobster_tables(messages, tick=tick, window=window)
        if run_folder is not None:
            csv = run_folder / "market_stats.csv"
            if not csv.is_file():
                raise UserError(f"{csv}: no such file (is {run_folder} a run folder?)")
            tables["run"] = pd.read_csv(csv)
    except UserError as err:
        fail(str(err))
        return
    if out is not None:
        pd.concat([t for k, t in tables.items() if k != "run"], ignore_index=True).to_csv(
            out, index=False, float_format="%.6g", lineterminator="\n"
        )
    _print_market_stats(side_by_side(tables))


def _lobster_window(tick: float, start: str | None, end: str | None) -> tuple[int, int] | None:
    """``--start``/``--end`` as ns after midnight (None: from the file names), after checking ``--tick``."""
    from harness.scenario.clock import parse_clock

    if not tick > 0:
        raise UserError(f"--tick: {tick} must be positive")
    if (start is None) != (end is None):
        raise UserError("--start and --end must be given together")
    window = None
    if start is not None and end is not None:
        try:
            window = (parse_clock(start), parse_clock(end))
        except ValueError as exc:
            raise UserError(f"--start/--end: {exc}") from None
        if window[1] <= window[0]:
            raise UserError(f"--end: {end} must be after --start {start}")
    return window


def _lobster_tables(messages: list[Path], *, tick: float, window: tuple[int, int] | None) -> dict[str, Any]:
    """The statistics of the samples, one table per trading day (``LOBSTER <date>``); one-line errors."""
    import pandas as pd

    from harness.io.lobster import orderbook_path_for, parse_file_name
    from harness.workflows.lobster_stats import lobster_stats

    samples: dict[str, list[pd.DataFrame]] = {}
    notes: list[str] = []
    for path in messages:
        if not path.is_file():
            raise UserError(f"{path}: no such file")
        try:
            book = orderbook_path_for(path)
            if not book.is_file():
                raise UserError(f"{book}: orderbook file not found (expected beside {path.name})")
            info = parse_file_name(path)
            label = f"LOBSTER {info.date}" if info is not None else "LOBSTER"
            samples.setdefault(label, []).append(lobster_stats(path, book, tick, window=window, notes=notes))
        except (ValueError, pd.errors.ParserError) as exc:
            msg = str(exc)
            raise UserError(msg if str(path) in msg else f"{path}: {msg}") from None
    for note in notes:
        err_console.print(f"warning: {note}", markup=False, highlight=False, soft_wrap=True)
    return {label: pd.concat(frames, ignore_index=True) for label, frames in samples.items()}


def _print_market_stats(wide: Any) -> None:
    """The statistics side by side, one column per source."""
    table = Table(title="Market statistics (ALL rows; LOBSTER level-1 figures: see harness/io/lobster.py for biases)",
                  caption="mean_depth_shares: bid + ask shares at the top of book (both sides together)",
                  caption_justify="left",
                  title_justify="left")
    table.add_column("statistic", no_wrap=True)
    for col in wide.columns:
        table.add_column(col, justify="right")
    for stat, values in wide.iterrows():
        table.add_row(str(stat), *("-" if math.isnan(v) else f"{v:,.4g}" for v in values))
    out_console.print(table)
