"""``sorbench tca`` and ``sorbench compare``: execution-quality tables of runs, vendor files or FIX logs, and B - A."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from harness.cli.console import fail, fmt, out_console
from harness.cli.json_output import JsonOption, json_output, records
from harness.cli.options import BrokerOption, PeriodOption, PolicyOption, analysis_options
from harness.errors import UserError

OrdersFileOption = Annotated[
    Path | None, typer.Option(help="Orders CSV/Parquet: the parent_orders columns (router, seed optional).")
]
FillsFileOption = Annotated[
    Path | None, typer.Option(help="Fills CSV/Parquet: parent_id, venue, exec_ts_ns, qty, price (fees optional).")
]
QuotesFileOption = Annotated[
    Path | None, typer.Option(help="NBBO CSV/Parquet: symbol, ts_ns, bid, ask (router, seed optional).")
]
RunFolderOption = Annotated[
    Path | None, typer.Option("--run", help="Analyse a run folder instead of --orders/--fills/--quotes.")
]
TcaOutOption = Annotated[
    Path | None, typer.Option(help="Output folder (default: <run>/tca, or tca/ beside the orders file).")
]
TcaBootOption = Annotated[int | None, typer.Option(hidden=True, help="Deprecated, no effect.")]
BootSeedOption = Annotated[int | None, typer.Option(hidden=True, help="Deprecated, no effect.")]
NO_BOOTSTRAP = ("note: --n-boot and --boot-seed have no effect: every interval is a seed-level t interval "
                "(docs/analytics.md, Intervals)")


def _deprecated_boot(n_boot: int | None, boot_seed: int | None) -> None:
    """The former bootstrap's options are accepted for old scripts; say that they change nothing."""
    if n_boot is not None or boot_seed is not None:
        out_console.print(NO_BOOTSTRAP)
FixLogOption = Annotated[
    Path | None,
    typer.Option(help="A FIX tag=value log or drop copy: orders (35=D) and fills (35=8); --quotes optional."),
]
SymbolMapFileOption = Annotated[Path | None, typer.Option(
    help="With --orders/--fills/--quotes: TOML/CSV map from the firm's tickers to the quotes' symbols.")]
LenientOption = Annotated[
    bool, typer.Option(help="With --fix-log: skip malformed lines (counted and listed) instead of stopping.")
]


def tca(
    orders: OrdersFileOption = None,
    fills: FillsFileOption = None,
    quotes: QuotesFileOption = None,
    run_folder: RunFolderOption = None,
    out: TcaOutOption = None,
    n_boot: TcaBootOption = None,
    boot_seed: BootSeedOption = None,
    policy: PolicyOption = None,
    broker: BrokerOption = None,
    period: PeriodOption = None,
    fix_log: FixLogOption = None,
    lenient: LenientOption = False,
    symbol_map: SymbolMapFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Execution-quality tables (TCA): per order, summary, venue scorecard, paired router comparisons, ranking.

    Inputs: a run folder (``--run``), a vendor's ``--orders/--fills/--quotes``, or a FIX log (``--fix-log``, see
    docs/workflows.md).
    """
    with json_output(as_json, "tca") as info:
        _deprecated_boot(n_boot, boot_seed)
        try:
            result, notes = _tca_tables(
                orders=orders, fills=fills, quotes=quotes, run_folder=run_folder, out=out, policy=policy,
                broker=broker, period=period, fix_log=fix_log, lenient=lenient, symbol_map=symbol_map,
            )
        except UserError as err:
            fail(str(err))
            return
        info.update(_print_tca(result, notes))


def _tca_tables(
    *, orders: Path | None, fills: Path | None, quotes: Path | None, run_folder: Path | None, out: Path | None,
    policy: Path | None, broker: str | None, period: str | None,
    fix_log: Path | None, lenient: bool, symbol_map: Path | None = None,
) -> tuple[Any, list[str]]:
    """The TCA tables written from whichever inputs were given, and notes for the user (``UserError`` on bad ones)."""
    from harness.analytics import analyze
    from harness.workflows.vendor_tca import analyze_vendor_files

    review, regulatory = analysis_options(policy, broker, period=period)
    vendor = {"--orders": orders, "--fills": fills, "--quotes": quotes}
    notes: list[str] = []
    if lenient and fix_log is None:
        raise UserError("--lenient applies to --fix-log only")
    if symbol_map is not None and (fix_log is not None or run_folder is not None):
        raise UserError("--symbol-map applies to --orders/--fills/--quotes only")
    if fix_log is not None:
        from harness.workflows.fix_tca import analyze_fix_log

        given = [k for k, v in {"--run": run_folder, "--orders": orders, "--fills": fills}.items() if v is not None]
        if given:
            raise UserError(f"--fix-log and {', '.join(given)} are exclusive")
        fixed = analyze_fix_log(fix_log, quotes, out, policy=review, lenient=lenient)
        result, notes = fixed.tables, fixed.notes
    elif run_folder is not None:
        given = [k for k, v in vendor.items() if v is not None]
        if given:
            raise UserError(f"--run and {', '.join(given)} are exclusive")
        result = analyze(run_folder, out, policy=review, regulatory=regulatory)
    else:
        missing = [k for k, v in vendor.items() if v is None]
        if missing:
            raise UserError(f"{', '.join(missing)} required (or --run FOLDER, or --fix-log FILE)")
        orders_file, fills_file, quotes_file = (v for v in vendor.values() if v is not None)
        result = analyze_vendor_files(orders_file, fills_file, quotes_file, out, policy=review,
                                      symbol_map=symbol_map)
    return result, notes


def _print_tca(result: Any, notes: list[str]) -> dict[str, Any]:
    """The per-router table of the TCA, its notes and where its tables are; returns them for ``--json``."""
    from harness.analytics.aggregate import pooled_rows
    from harness.analytics.labels import BY_KEY

    cols = [BY_KEY[k] for k in ("fill_rate_all", "pi_all", "eq_all", "shortfall_all", "first_fill_median_all")]
    table = Table(title="Per-router execution quality (NBBO at arrival)", title_justify="left",
                  caption="Definitions: docs/analytics.md, Headline figures", caption_justify="left")
    pooled = pooled_rows(result.summary)
    width = max([len("router"), *(len(str(r)) for r in pooled["router"])])
    table.add_column("router", no_wrap=True, min_width=width)  # names whole; the labels wrap instead
    table.add_column("orders", justify="right", no_wrap=True)
    for c in cols:
        table.add_column(c.label, justify="right")
    _fill, pi, eq, shortfall, first = cols
    for row in pooled.itertuples(index=False):
        table.add_row(
            str(row.router), str(row.orders), fmt(row.fill_rate, ".1%"), fmt(pi.shown(row.pi_per_share), "+.2f"),
            fmt(eq.shown(row.eq_ratio), ".3f"), fmt(shortfall.shown(row.shortfall_per_share), "+.2f"),
            fmt(first.shown(row.first_fill_ms_median), ".2f"),
        )
    out_console.print(table)
    for note in notes:
        out_console.print(f"note: {escape(note)}")
    out_console.print(f"tca tables: {result.out_dir}")
    folder = Path(result.out_dir)
    return {"paths": {"tca": str(folder), **{p.name: str(p) for p in sorted(folder.glob("*.csv"))}},
            "summary": records(pooled), "notes": list(notes)}


def compare(
    run_a: Annotated[Path, typer.Argument(help="Run folder before the change (A).")],
    run_b: Annotated[Path, typer.Argument(help="Run folder after the change (B), on the same flows and seeds.")],
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: results/compare-<A>-vs-<B>; never replaced).")
    ] = None,
    router: Annotated[
        list[str] | None, typer.Option("--router", "-r", help="Compare only this router (repeatable).")
    ] = None,
    n_boot: TcaBootOption = None,
    boot_seed: BootSeedOption = None,
    as_json: JsonOption = False,
) -> None:
    """Before/after report of a configuration change: B - A per router and figure, paired on identical orders."""
    with json_output(as_json, "compare") as info:
        _deprecated_boot(n_boot, boot_seed)
        try:
            info.update(compare_and_print(run_a, run_b, out=out, routers=router))
        except UserError as err:
            fail(str(err))


def compare_and_print(run_a: Path, run_b: Path, *, out: Path | None, routers: list[str] | None) -> dict[str, Any]:
    """Compare two runs, write the compare folder and print its summary (``UserError`` on bad input).

    Returns what ``--json`` prints: the compare folder and its files, the verdict per router, the figures and the
    configuration change.
    """
    from harness.workflows.compare import compare_runs, default_out, write_compare
    from harness.workflows.probe import is_probe_folder

    target = out if out is not None else default_out(run_a, run_b)
    if target.exists():
        raise UserError(f"{target}: already exists (choose another --out)")
    if is_probe_folder(run_a) or is_probe_folder(run_b):  # the annual refresh: which routing behaviours changed
        from harness.cli.probe_compare import compare_probes_and_print

        changes = compare_probes_and_print(run_a, run_b, out=target)
        return {"paths": {"compare": str(target), "probe_changes": str(target / "probe_changes.csv")},
                "probe_changes": changes}
    result = compare_runs(run_a, run_b, routers=routers)
    folder = write_compare(result, target, command=sys.argv)
    style = {"better": "green", "worse": "red", "mixed": "yellow"}
    table = Table(title=f"B - A, paired ({len(result.seeds)} seed(s); {result.ci_level:.0%} t intervals over seeds)",
                  title_justify="left")
    for col in ("router", "figure", "A", "B", "B - A", "interval", "n", "direction"):
        table.add_column(col, justify="left" if col in ("router", "figure", "direction") else "right", no_wrap=True)
    for row in result.figures.itertuples(index=False):
        d = str(row.direction)
        table.add_row(
            str(row.router), str(row.figure), fmt(row.mean_a, ".3g"), fmt(row.mean_b, ".3g"),
            fmt(row.mean_diff, "+.3g"), f"[{fmt(row.ci_low, '+.3g')}, {fmt(row.ci_high, '+.3g')}]", str(row.n),
            f"[{style[d]}]{d}[/]" if d in style else d,
        )
    out_console.print(table)
    info = result.info()
    left_out = [f"{side} only: seeds {info[key]['seeds']}, routers {info[key]['routers']}"
                for side, key in (("A", "only_in_a"), ("B", "only_in_b")) if info[key]["seeds"] or info[key]["routers"]]
    out_console.print(f"compared seeds {result.seeds} and routers {', '.join(result.routers)}"
                      + (f" (left out: {'; '.join(left_out)})" if left_out else ""))
    for r, v in result.verdicts.items():
        out_console.print(f"{escape(r)}: [{style.get(v, 'default')}]{v}[/]")
    changes = result.config_diff
    out_console.print(f"configuration change: {len(changes)} key(s) differ" + (":" if len(changes) else ""))
    for d in changes.head(10).itertuples(index=False):
        out_console.print(f"  {escape(d.section)} {escape(d.path)}: {escape(d.value_a)} -> {escape(d.value_b)}")
    if len(changes) > 10:
        out_console.print(f"  ... ({len(changes) - 10} more in config_diff.csv)")
    for note in result.notes:
        out_console.print(f"note: {escape(note)}")
    out_console.print(f"compare: {folder}")
    return {"paths": {"compare": str(folder), **{p.name: str(p) for p in sorted(Path(folder).iterdir())}},
            "seeds": list(result.seeds), "routers": list(result.routers), "verdicts": dict(result.verdicts),
            "figures": records(result.figures), "config_diff": records(changes), "notes": list(result.notes)}
