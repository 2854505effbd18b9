"""The ``sorbench`` command line."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harness.errors import UserError
from harness.paths import INSTALLED_SCENARIOS, REPO_SCENARIOS

app = typer.Typer(
    name="sorbench",
    help="Simulate a fragmented US equity market and benchmark smart order routers on identical order flows.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_err = Console(stderr=True, highlight=False)
_out = Console(highlight=False, width=120)

def default_scenario_path() -> Path:
    """``scenarios/default.toml`` in the working directory if present, else the one shipped with sorbench."""
    local = Path("scenarios/default.toml")
    if local.is_file():
        return local
    for candidate in (REPO_SCENARIOS / "default.toml", INSTALLED_SCENARIOS / "default.toml"):
        if candidate.is_file():
            return candidate
    raise UserError("no scenario given and no scenarios/default.toml found")


def _fail(message: str) -> None:
    # escape: the message quotes the user's values and paths, which must not be read as rich markup ("[/]", "[b]")
    _err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(2)


@app.command()
def run(
    scenario: Annotated[
        Path | None, typer.Argument(help="Scenario TOML file (default: scenarios/default.toml).")
    ] = None,
    router: Annotated[
        list[str] | None, typer.Option("--router", "-r", help="Router to run (repeatable; default: the scenario's).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Run this one seed (default: the scenario's).")] = None,
    seeds: Annotated[int | None, typer.Option(help="Run N seeds, from the scenario's seed upward.")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: results/<scenario>-<utc time>).")] = None,
    jobs: Annotated[int, typer.Option(help="Parallel worker processes.")] = 1,
    orders: Annotated[Path | None, typer.Option(help="Parent orders from this CSV/Parquet file.")] = None,
    router_config: Annotated[
        Path | None,
        typer.Option(help="TOML file of router parameters, one [<router name>] table each (overrides the scenario)."),
    ] = None,
    callback_timeout: Annotated[
        float, typer.Option(help="Wall-clock limit of one router callback, seconds (0: none).")
    ] = 30.0,
    decision_latency: Annotated[
        str, typer.Option(help="Router computation charged as latency: none, measured, or fixed nanoseconds.")
    ] = "none",
    incentive_test: Annotated[
        bool, typer.Option(help="Also rerun every router on twins with venues' payments permuted/scaled (conflict).")
    ] = False,
    incentive_twins: Annotated[int, typer.Option(help="Number of payment twins for --incentive-test.")] = 3,
    policy: Annotated[
        Path | None, typer.Option(help="Review-policy TOML (default: scenarios/policy/review-thresholds.toml).")
    ] = None,
    broker: Annotated[str | None, typer.Option(help="Broker-dealer named in the Rule 605/606 files.")] = None,
    period: Annotated[
        str | None, typer.Option(help="Month the Rule 605/606 files report, YYYY-MM (default: the session date).")
    ] = None,
    realtime: Annotated[
        bool, typer.Option(help="Pace the simulation against the wall clock (needed by an external router: fix).")
    ] = False,
    time_factor: Annotated[
        float, typer.Option(help="With --realtime: simulated seconds per wall second (1: real time).")
    ] = 1.0,
    window: Annotated[
        str | None, typer.Option(help="With --realtime: session window HH:MM:SS-HH:MM:SS (replaces the scenario's).")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
    suite: Annotated[
        Path | None, typer.Option(help="Run every scenario of a suite TOML file into one bundle with one report.")
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(help="A run folder to compare this run with (sorbench compare BASELINE NEW); default seeds: its."),
    ] = None,
) -> None:
    """Run routers x seeds on a scenario and write a run folder.

    ``--router`` takes a registered name (built-in or from an installed package's ``sorbench.routers`` entry point),
    ``package.module:Class`` or ``path/to/file.py:Class``. ``--suite FILE`` runs a suite of scenarios instead
    (docs/workflows.md). ``--baseline RUN`` compares the new run with RUN once it is written.
    """
    if suite is not None:
        given = [name for name, value in (
            ("SCENARIO", scenario), ("--router", router), ("--seed", seed), ("--seeds", seeds), ("--orders", orders),
            ("--router-config", router_config), ("--incentive-test", incentive_test), ("--realtime", realtime),
            ("--window", window), ("--baseline", baseline)) if value]
        try:
            if given:
                raise UserError(f"--suite and {', '.join(given)} are exclusive (the suite file sets them per run)")
            _run_suite(suite, out=out, jobs=jobs, quiet=quiet, callback_timeout=callback_timeout,
                       decision_latency=decision_latency, policy=policy, broker=broker, period=period)
        except UserError as err:
            _fail(str(err))
        return
    try:
        if baseline is not None and seed is None and seeds is None:
            from harness.workflows.verify import read_manifest

            baseline_seeds: list[int] | None = [int(s) for s in read_manifest(baseline)["seeds"]]
        else:
            baseline_seeds = None
        from adapters.loader import full_registry, is_spec
        from adapters.registry import RegistryError
        from harness.scenario.schema import load_scenario
        from harness.sim.flow import load_parents
        from harness.sim.router_node import RouterLimits
        from harness.workflows.run import run_scenario

        try:
            registry = full_registry()
            specs = {r: registry.add_spec(r) for r in (router or []) if is_spec(r)}
        except RegistryError as err:
            raise UserError(f"--router: {err}") from None
        limits = _router_limits(callback_timeout, decision_latency, RouterLimits)
        review, regulatory = _analysis_options(policy, broker, period)
        path = scenario if scenario is not None else default_scenario_path()
        sc, resolved = load_scenario(path, registry=registry)
        if router_config is not None:
            sc = _apply_router_config(sc, router_config)
        if seed is not None and seeds is not None:
            raise UserError("--seed and --seeds are exclusive")
        if seed is not None and not 0 <= seed < 2**63:
            raise UserError(f"--seed: {seed} is out of range")
        if seeds is not None and seeds < 1:
            raise UserError(f"--seeds: {seeds} must be at least 1")
        if jobs < 1:
            raise UserError(f"--jobs: {jobs} must be at least 1")
        seed_list = [seed] if seed is not None else list(range(sc.session.seed, sc.session.seed + (seeds or 1)))
        if baseline_seeds is not None:
            seed_list = baseline_seeds
        routers = [specs.get(r, r) for r in router] if router else list(sc.routers)
        for i, name in enumerate(routers):
            if name not in registry:
                raise UserError(f"--router: unknown router {name!r} (known: {', '.join(registry.names())})")
            if routers.index(name) != i:
                raise UserError(f"--router: {name!r} given twice")
        # The resolved scenario runs exactly these routers, with their parameters (file and --router-config).
        sc = sc.model_copy(update={
            "routers": routers, "router_params": {k: v for k, v in sc.router_params.items() if k in routers},
        })
        sc, paced = _realtime_options(sc, registry, routers, realtime, time_factor, window, incentive_test)
        orders_file = orders
        if orders_file is None and sc.flow.file is not None:
            orders_file = (resolved.parent / sc.flow.file)
        parents = load_parents(orders_file, sc) if orders_file is not None else None

        if incentive_test and not 1 <= incentive_twins <= 20:
            raise UserError(f"--incentive-twins: {incentive_twins} must be between 1 and 20")
        twins = incentive_twins if incentive_test else 0
        total = len(routers) * len(seed_list) * (1 + twins)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=_err, disable=quiet, transient=True,
        )
        with progress:
            task = progress.add_task(f"{sc.name}: {len(routers)} router(s) x {len(seed_list)} seed(s)", total=total)
            outcome = run_scenario(
                sc, scenario_path=resolved, routers=routers, seeds=seed_list, out_dir=out,
                results_root=Path("results"), jobs=jobs, parents=parents, orders_file=orders_file,
                registry=registry, on_done=lambda _res: progress.advance(task), command=sys.argv, limits=limits,
                incentive_twins=twins,
                review_policy=review, regulatory=regulatory, realtime=paced,
            )
    except UserError as err:
        _fail(str(err))
        return
    _print_summary(outcome)
    if baseline is not None:
        try:
            _compare_and_print(baseline, outcome.out_dir, out=None, routers=None, n_boot=2000, boot_seed=0)
        except UserError as err:
            _fail(f"--baseline: {err} (the run itself is complete: {outcome.out_dir})")


def _run_suite(path: Path, *, out: Path | None, jobs: int, quiet: bool, callback_timeout: float,
               decision_latency: str, policy: Path | None, broker: str | None, period: str | None) -> None:
    """``sorbench run --suite``: check the suite, run its scenarios into one bundle and print its summary."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from harness.sim.router_node import RouterLimits
    from harness.workflows.suite import load_suite, run_suite

    if jobs < 1:
        raise UserError(f"--jobs: {jobs} must be at least 1")
    limits = _router_limits(callback_timeout, decision_latency, RouterLimits)
    review, regulatory = _analysis_options(policy, broker, period)
    plan = load_suite(path)
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=_err, disable=quiet, transient=True,
    )
    with progress:
        task = progress.add_task(f"suite {plan.suite.name}", total=plan.simulations)
        outcome = run_suite(
            plan, out_dir=out, results_root=Path("results"), jobs=jobs, command=sys.argv, limits=limits,
            review_policy=review, regulatory=regulatory, on_done=lambda _res: progress.advance(task),
            on_entry=lambda entry: progress.update(task, description=f"suite {plan.suite.name}: {entry.label}"),
        )
    table = Table(title=f"Suite {plan.suite.name}: review verdict per router and scenario", title_justify="left")
    table.add_column("router", no_wrap=True)
    labels = [r["label"] for r in outcome.runs]
    for label in labels:
        table.add_column(label, no_wrap=True)
    summary = outcome.summary
    for router in dict.fromkeys(summary["router"]):
        cells = []
        for label in labels:
            row = summary[(summary["label"] == label) & (summary["router"] == router)]
            if not len(row):
                cells.append("-")
            elif row["status"].iloc[0] == "failed":
                cells.append("[red]run failed[/]")
            else:
                verdict = row["review"].iloc[0]
                text = "no review" if not isinstance(verdict, str) else verdict
                text += " + conflict flag" if row["conflict_flagged"].iloc[0] in (True,) else ""
                color = {"pass": "green", "review": "yellow", "fail": "red"}.get(str(verdict), "default")
                cells.append(f"[{color}]{escape(text)}[/]")
        table.add_row(escape(str(router)), *cells)
    _out.print(table)
    for rec in outcome.runs:
        if rec["status"] != "ok":
            _out.print(f"[red]FAILED[/] {escape(rec['label'])}: {escape(str(rec['error']))}")
    _out.print(f"bundle: {outcome.out_dir} (suite.html, suite.json, suite_summary.csv)")


def _analysis_options(policy: Path | None, broker: str | None, period: str | None) -> tuple[Any, Any]:
    """The review policy and the regulatory files' settings from ``--policy``, ``--broker`` and ``--period``."""
    import datetime as dt

    from harness.analytics.regulatory import RegulatoryConfig
    from harness.analytics.review import load_policy

    review = load_policy(policy)
    config = RegulatoryConfig()
    if broker is not None:
        if not broker.strip() or len(broker) > 200:
            raise UserError(f"--broker: {broker!r} must be 1 to 200 characters")
        config = RegulatoryConfig(broker=broker.strip())
    if period is not None:
        try:
            month = dt.date.fromisoformat(f"{period}-01")
        except ValueError:
            raise UserError(f"--period: {period!r} is not a month YYYY-MM") from None
        config = RegulatoryConfig(broker=config.broker, period=month)
    return review, config


def _realtime_options(
    sc: Any, registry: Any, routers: list[str], realtime: bool, time_factor: float, window: str | None,
    incentive_test: bool,
) -> tuple[Any, Any]:
    """The scenario (with ``--window`` applied) and the real-time settings (None: virtual time); one-line errors."""
    from harness.sim.realtime import RealtimeSettings, apply_window, parse_window, requires_realtime

    external = [r for r in routers if requires_realtime(registry.get(r))]
    if not realtime:
        if external:
            raise UserError(f"--router {external[0]}: an external router takes part only in real time: add --realtime "
                            "(see docs/fix.md)")
        if window is not None or time_factor != 1.0:
            raise UserError("--window and --time-factor need --realtime")
        return sc, None
    if not (math.isfinite(time_factor) and 0 < time_factor <= 1000):
        raise UserError(f"--time-factor: {time_factor} must be > 0 and <= 1000")
    if incentive_test and external:
        raise UserError(f"--incentive-test: router {external[0]!r} cannot be rerun on payment twins (it is external)")
    span = parse_window(window) if window is not None else None
    return apply_window(sc, span), RealtimeSettings(time_factor=time_factor, window=span)


def _router_limits(timeout_s: float, decision: str, cls: Any) -> Any:
    """``RouterLimits`` from the CLI options (one-line errors)."""
    if not (timeout_s >= 0 and math.isfinite(timeout_s)):
        raise UserError(f"--callback-timeout: {timeout_s} must be a number of seconds >= 0")
    value: str | int = decision
    if decision not in ("none", "measured"):
        try:
            value = int(decision)
        except ValueError:
            raise UserError(f"--decision-latency: {decision!r} is not none, measured or a number of ns") from None
        if value < 0:
            raise UserError(f"--decision-latency: {decision!r} must be >= 0 ns")
    return cls(callback_timeout_s=timeout_s or None, decision_latency=value)


def _apply_router_config(sc: Any, path: Path) -> Any:
    """The scenario with ``[router_params]`` tables replaced by those of a router-config TOML file."""
    from harness.scenario.schema import read_toml

    data = read_toml(path, what="router config file")
    for name, table in data.items():
        if not isinstance(table, dict):
            raise UserError(f"{path}: {name}: expected a table of parameters for router {name!r} (got {table!r})")
    merged = {**sc.router_params, **data}
    return sc.model_copy(update={"router_params": merged})


def _fmt(v: object, spec: str) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "-"
    return format(v, spec)


def _print_summary(outcome) -> None:
    table = Table(title="Per-router summary (all seeds pooled; NBBO at arrival)", title_justify="left",
                  caption="PI, E/Q, 1st fill: market and marketable-limit orders", caption_justify="left")
    for col, just in (
        ("router", "left"), ("status", "left"), ("orders", "right"), ("fill rate", "right"),
        ("PI $/sh", "right"), ("E/Q", "right"), ("1st fill ms", "right"), ("fees $", "right"),
        ("PFOF $", "right"),
    ):
        table.add_column(col, justify=just, no_wrap=True)  # type: ignore[arg-type]
    for row in outcome.summary.itertuples(index=False):
        table.add_row(
            row.router, row.status, str(row.orders), _fmt(row.fill_rate, ".1%"), _fmt(row.pi_per_share, "+.4f"),
            _fmt(row.eq_ratio, ".3f"), _fmt(row.mean_first_fill_ms, ".2f"), _fmt(row.fees_usd, ",.2f"),
            _fmt(row.pfof_usd, ",.2f"),
        )
    _out.print(table)
    for res in outcome.results:
        if res.status != "ok":
            _out.print(f"[red]FAILED[/] {res.router} seed {res.seed}: {res.error}")
    msgs = sum(r.stats.get("messages", 0) for r in outcome.results)
    wall = sum(r.stats.get("simulation_wall_seconds", 0.0) for r in outcome.results)
    _out.print(f"{msgs:,} book messages simulated in {wall:.1f} s of simulation time")
    conflict = outcome.out_dir / "conflict" / "summary.csv"
    if conflict.is_file():
        import pandas as pd

        flags = pd.read_csv(conflict)
        flagged = sorted(flags.loc[flags["flagged"].astype(bool), "router"].astype(str))
        _out.print(f"conflict of interest flagged: {', '.join(flagged) if flagged else 'none'} "
                   "(conflict/summary.csv gives the reasons)")
    _out.print(f"results: {outcome.out_dir}")
    if (outcome.out_dir / "report.html").is_file():
        _out.print(f"report: {outcome.out_dir / 'report.html'}")


@app.command()
def routers() -> None:
    """List the available routers: built-in and from installed packages (entry point group sorbench.routers)."""
    from adapters.loader import full_registry
    from adapters.registry import RegistryError

    try:
        registry = full_registry()
    except RegistryError as err:
        _fail(str(err))
        return
    table = Table(show_header=True)
    table.add_column("name")
    table.add_column("origin")
    table.add_column("description")
    for name in registry.names():
        table.add_row(name, registry.origin(name), registry.get(name).description)
    _out.print(table)


@app.command()
def validate(scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")]) -> None:
    """Check a scenario file; exit status 2 with one line naming the field if it is wrong."""
    from adapters.loader import full_registry
    from adapters.registry import RegistryError
    from harness.scenario.schema import load_scenario
    from harness.sim.flow import load_parents

    try:
        try:
            registry = full_registry()
        except RegistryError as err:
            raise UserError(str(err)) from None
        sc, resolved = load_scenario(scenario, registry=registry)
        if sc.flow.file is not None:
            load_parents(resolved.parent / sc.flow.file, sc)
    except UserError as err:
        _fail(str(err))
        return
    _out.print(f"{scenario}: ok (scenario {sc.name!r}, sha256 {sc.sha256()[:16]}...)")


@app.command()
def verify(
    run_folder: Annotated[Path, typer.Argument(help="A run folder written by sorbench run.")],
    rerun: Annotated[bool, typer.Option(help="Re-run from the manifest and compare every result file's hash.")] = True,
    jobs: Annotated[int, typer.Option(help="Parallel worker processes for the re-run.")] = 1,
) -> None:
    """Check a run folder: files unchanged since the run, and the same results when run again (exit 1 if not)."""
    from harness.workflows.verify import verify_run

    try:
        if jobs < 1:
            raise UserError(f"--jobs: {jobs} must be at least 1")
        report = verify_run(run_folder, rerun=rerun, jobs=jobs)
    except UserError as err:
        _fail(str(err))
        return
    for note in report.notes:
        _out.print(f"note: {escape(note)}")
    checked = len(report.integrity)
    if report.ok:
        what = "re-run gives identical files" if report.reproduced else "files unchanged"
        _out.print(f"{run_folder}: verified ({checked} files; {what})")
        return
    for line in report.problems:
        _out.print(f"[red]DIFFERS[/] {escape(line)}")
    _out.print(f"{run_folder}: NOT verified ({len(report.problems)} problem(s))")
    raise typer.Exit(1)


@app.command("report")
def report_cmd(
    run_folder: Annotated[Path, typer.Argument(help="A run folder written by sorbench run.")],
    pdf: Annotated[bool, typer.Option(help="Also print report.pdf (headless Chromium, else a fallback).")] = True,
) -> None:
    """Rebuild a run folder's report.html and report.pdf from its files (docs/reports.md)."""
    from harness.report import rebuild_report

    try:
        files = rebuild_report(run_folder, pdf=pdf)
    except UserError as err:
        _fail(str(err))
        return
    _out.print(f"report: {files.html}")
    if files.pdf is not None:
        _out.print(f"pdf:    {files.pdf} ({escape(files.pdf_renderer or '')})")


@app.command()
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
        _fail(str(err))
        return
    if csv is not None:
        frame.to_csv(csv, index=False, lineterminator="\n")
        _out.print(f"{len(frame)} row(s) written to {csv}")
        return
    table = Table(show_header=True)
    for col in frame.columns:
        table.add_column(str(col), no_wrap=True)
    for row in frame.head(limit).itertuples(index=False):
        table.add_row(*(escape(str(v)) for v in row))
    _out.print(table)
    if len(frame) > limit:
        _out.print(f"({len(frame)} rows; first {limit} shown)")


@app.command()
def schema(out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None) -> None:
    """Print the JSON Schema of scenario files (for editors)."""
    from harness.scenario.schema import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


@app.command()
def bench(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    seconds: Annotated[float, typer.Option(help="Simulated seconds of the benchmark scenario.")] = 120.0,
) -> None:
    """Measure simulator speed on a fixed benchmark scenario (one process)."""
    from harness.workflows.bench import run_bench

    if not 1 <= seconds <= 23_400:
        _fail(f"--seconds: {seconds} must be between 1 and 23400")
    result = run_bench(simulated_seconds=seconds)
    if as_json:
        sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
        return
    _out.print(f"book messages       {result['messages']:>12,}  in {result['seconds']:.3f} s")
    _out.print(f"messages/s          {result['messages_per_second']:>12,.0f}")
    _out.print(f"kernel events/s     {result['kernel_events_per_second']:>12,.0f}")
    _out.print(f"bare simpy events/s {result['bare_simpy_events_per_second']:>12,.0f}")
    _out.print(f"ratio to bare simpy {result['ratio_to_bare_simpy']:>12.3f}")


@app.command("lobster-stats")
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
    import math

    import pandas as pd

    from harness.analytics.market_stats import side_by_side
    from harness.io.lobster import lobster_stats, orderbook_path_for, parse_file_name
    from harness.scenario.schema import parse_clock

    try:
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
        samples: dict[str, list[pd.DataFrame]] = {}
        for path in messages:
            if not path.is_file():
                raise UserError(f"{path}: no such file")
            try:
                book = orderbook_path_for(path)
                if not book.is_file():
                    raise UserError(f"{book}: orderbook file not found (expected beside {path.name})")
                info = parse_file_name(path)
                label = f"LOBSTER {info.date}" if info is not None else "LOBSTER"
                samples.setdefault(label, []).append(lobster_stats(path, book, tick, window=window))
            except (ValueError, pd.errors.ParserError) as exc:
                msg = str(exc)
                raise UserError(msg if str(path) in msg else f"{path}: {msg}") from None
        tables = {label: pd.concat(frames, ignore_index=True) for label, frames in samples.items()}
        if run_folder is not None:
            csv = run_folder / "market_stats.csv"
            if not csv.is_file():
                raise UserError(f"{csv}: no such file (is {run_folder} a run folder?)")
            tables["run"] = pd.read_csv(csv)
    except UserError as err:
        _fail(str(err))
        return
    if out is not None:
        pd.concat([t for k, t in tables.items() if k != "run"], ignore_index=True).to_csv(
            out, index=False, float_format="%.6g", lineterminator="\n"
        )
    wide = side_by_side(tables)
    table = Table(title="Market statistics (ALL rows; LOBSTER level-1 figures: see harness/io/lobster.py for biases)",
                  title_justify="left")
    table.add_column("statistic", no_wrap=True)
    for col in wide.columns:
        table.add_column(col, justify="right")
    for stat, values in wide.iterrows():
        table.add_row(str(stat), *("-" if math.isnan(v) else f"{v:,.4g}" for v in values))
    _out.print(table)


@app.command()
def tca(
    orders: Annotated[
        Path | None, typer.Option(help="Orders CSV/Parquet: the parent_orders columns (router, seed optional).")
    ] = None,
    fills: Annotated[
        Path | None, typer.Option(help="Fills CSV/Parquet: parent_id, venue, exec_ts_ns, qty, price (fees optional).")
    ] = None,
    quotes: Annotated[
        Path | None, typer.Option(help="NBBO CSV/Parquet: symbol, ts_ns, bid, ask (router, seed optional).")
    ] = None,
    run_folder: Annotated[
        Path | None, typer.Option("--run", help="Analyse a run folder instead of --orders/--fills/--quotes.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: <run>/tca, or tca/ beside the orders file).")
    ] = None,
    n_boot: Annotated[int, typer.Option(help="Bootstrap replicates of the paired router comparisons.")] = 2000,
    boot_seed: Annotated[int, typer.Option(help="Seed of the bootstrap's random stream.")] = 0,
    policy: Annotated[
        Path | None, typer.Option(help="Review-policy TOML (default: scenarios/policy/review-thresholds.toml).")
    ] = None,
    broker: Annotated[str | None, typer.Option(help="Broker-dealer named in the Rule 605/606 files.")] = None,
    period: Annotated[
        str | None, typer.Option(help="Month the Rule 605/606 files report, YYYY-MM (default: the session date).")
    ] = None,
    fix_log: Annotated[
        Path | None,
        typer.Option(help="A FIX tag=value log or drop copy: orders (35=D) and fills (35=8); --quotes optional."),
    ] = None,
    lenient: Annotated[
        bool, typer.Option(help="With --fix-log: skip malformed lines (counted and listed) instead of stopping.")
    ] = False,
) -> None:
    """Execution-quality tables (TCA): per order, summary, venue scorecard, paired router comparisons, ranking.

    Inputs: a run folder (``--run``), a vendor's ``--orders/--fills/--quotes``, or a FIX log (``--fix-log``, see
    docs/workflows.md).
    """
    from harness.analytics import analyze, analyze_files
    from harness.analytics.aggregate import pooled_rows

    try:
        review, regulatory = _analysis_options(policy, broker, period)
        vendor = {"--orders": orders, "--fills": fills, "--quotes": quotes}
        notes: list[str] = []
        if lenient and fix_log is None:
            raise UserError("--lenient applies to --fix-log only")
        if fix_log is not None:
            from harness.io.fixlog import analyze_fix_log

            given = [k for k, v in {"--run": run_folder, "--orders": orders, "--fills": fills}.items() if v is not None]
            if given:
                raise UserError(f"--fix-log and {', '.join(given)} are exclusive")
            fixed = analyze_fix_log(fix_log, quotes, out, n_boot=n_boot, seed=boot_seed, policy=review,
                                    lenient=lenient)
            result, notes = fixed.tables, fixed.notes
        elif run_folder is not None:
            given = [k for k, v in vendor.items() if v is not None]
            if given:
                raise UserError(f"--run and {', '.join(given)} are exclusive")
            result = analyze(run_folder, out, n_boot=n_boot, seed=boot_seed, policy=review,
                             regulatory=regulatory)
        else:
            missing = [k for k, v in vendor.items() if v is None]
            if missing:
                raise UserError(f"{', '.join(missing)} required (or --run FOLDER, or --fix-log FILE)")
            orders_file, fills_file, quotes_file = (v for v in vendor.values() if v is not None)
            result = analyze_files(orders_file, fills_file, quotes_file, out, n_boot=n_boot, seed=boot_seed,
                                   policy=review)
    except UserError as err:
        _fail(str(err))
        return
    table = Table(title="Per-router execution quality (all orders; NBBO at arrival)", title_justify="left")
    for col in ("router", "orders", "fill rate", "PI $/sh", "E/Q", "shortfall $/sh", "1st fill ms (median)"):
        table.add_column(col, justify="left" if col == "router" else "right", no_wrap=True)
    for row in pooled_rows(result.summary).itertuples(index=False):
        table.add_row(
            str(row.router), str(row.orders), _fmt(row.fill_rate, ".1%"), _fmt(row.pi_per_share, "+.4f"),
            _fmt(row.eq_ratio, ".3f"), _fmt(row.shortfall_per_share, "+.4f"), _fmt(row.first_fill_ms_median, ".2f"),
        )
    _out.print(table)
    for note in notes:
        _out.print(f"note: {escape(note)}")
    _out.print(f"tca tables: {result.out_dir}")


@app.command()
def compare(
    run_a: Annotated[Path, typer.Argument(help="Run folder before the change (A).")],
    run_b: Annotated[Path, typer.Argument(help="Run folder after the change (B), on the same flows and seeds.")],
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: results/compare-<A>-vs-<B>; never replaced).")
    ] = None,
    router: Annotated[
        list[str] | None, typer.Option("--router", "-r", help="Compare only this router (repeatable).")
    ] = None,
    n_boot: Annotated[int, typer.Option(help="Bootstrap replicates of the paired differences.")] = 2000,
    boot_seed: Annotated[int, typer.Option(help="Seed of the bootstrap's random stream.")] = 0,
) -> None:
    """Before/after report of a configuration change: B - A per router and figure, paired on identical orders."""
    try:
        _compare_and_print(run_a, run_b, out=out, routers=router, n_boot=n_boot, boot_seed=boot_seed)
    except UserError as err:
        _fail(str(err))


def _compare_and_print(run_a: Path, run_b: Path, *, out: Path | None, routers: list[str] | None, n_boot: int,
                       boot_seed: int) -> None:
    """Compare two runs, write the compare folder and print its summary (``UserError`` on bad input)."""
    from harness.workflows.compare import compare_runs, default_out, write_compare

    target = out if out is not None else default_out(run_a, run_b)
    if target.exists():
        raise UserError(f"{target}: already exists (choose another --out)")
    result = compare_runs(run_a, run_b, routers=routers, n_boot=n_boot, seed=boot_seed)
    folder = write_compare(result, target, command=sys.argv)
    style = {"better": "green", "worse": "red", "mixed": "yellow"}
    table = Table(title=f"B - A, paired ({len(result.seeds)} seed(s); {result.ci_level:.0%} bootstrap intervals)",
                  title_justify="left")
    for col in ("router", "figure", "A", "B", "B - A", "interval", "n", "direction"):
        table.add_column(col, justify="left" if col in ("router", "figure", "direction") else "right", no_wrap=True)
    for row in result.figures.itertuples(index=False):
        d = str(row.direction)
        table.add_row(
            str(row.router), str(row.figure), _fmt(row.mean_a, ".3g"), _fmt(row.mean_b, ".3g"),
            _fmt(row.mean_diff, "+.3g"), f"[{_fmt(row.ci_low, '+.3g')}, {_fmt(row.ci_high, '+.3g')}]", str(row.n),
            f"[{style[d]}]{d}[/]" if d in style else d,
        )
    _out.print(table)
    info = result.info()
    left_out = [f"{side} only: seeds {info[key]['seeds']}, routers {info[key]['routers']}"
                for side, key in (("A", "only_in_a"), ("B", "only_in_b")) if info[key]["seeds"] or info[key]["routers"]]
    _out.print(f"compared seeds {result.seeds} and routers {', '.join(result.routers)}"
               + (f" (left out: {'; '.join(left_out)})" if left_out else ""))
    for r, v in result.verdicts.items():
        _out.print(f"{escape(r)}: [{style.get(v, 'default')}]{v}[/]")
    changes = result.config_diff
    _out.print(f"configuration change: {len(changes)} key(s) differ" + (":" if len(changes) else ""))
    for d in changes.head(10).itertuples(index=False):
        _out.print(f"  {escape(d.section)} {escape(d.path)}: {escape(d.value_a)} -> {escape(d.value_b)}")
    if len(changes) > 10:
        _out.print(f"  ... ({len(changes) - 10} more in config_diff.csv)")
    for note in result.notes:
        _out.print(f"note: {escape(note)}")
    _out.print(f"compare: {folder}")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
