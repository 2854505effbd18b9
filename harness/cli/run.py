"""``sorbench run``: every router x seed of a scenario into one run folder, and the summary it prints.

``--suite`` hands over to :mod:`harness.cli.suite`; ``--baseline`` compares the new run as ``sorbench compare`` does.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from harness.analytics.inference import MIN_SEEDS, too_few_seeds
from harness.cli.analysis import compare_and_print
from harness.cli.console import err_console, fail, fmt, out_console, progress_bar
from harness.cli.json_output import JsonOption, current, json_command, records
from harness.cli.options import (
    BrokerOption,
    ExecutorOption,
    PeriodOption,
    PolicyOption,
    RouterCpuOption,
    RouterMemoryOption,
    RouterProcessOption,
    analysis_options,
    apply_router_config,
    executor_choice,
    realtime_options,
    router_limits,
)
from harness.cli.suite import run_suite_command
from harness.errors import EXIT_PARTIAL, UserError
from harness.paths import INSTALLED_SCENARIOS, REPO_SCENARIOS

ScenarioArgument = Annotated[
    Path | None, typer.Argument(help="Scenario TOML file (default: scenarios/default.toml).")
]
RouterOption = Annotated[
    list[str] | None, typer.Option("--router", "-r", help="Router to run (repeatable; default: the scenario's).")
]
SeedOption = Annotated[int | None, typer.Option(help="Run this one seed (default: the scenario's).")]
SeedsOption = Annotated[int | None, typer.Option(help="Run N seeds, from the scenario's seed upward.")]
OutOption = Annotated[Path | None, typer.Option(help="Output folder (default: results/<scenario>-<utc time>).")]
JobsOption = Annotated[int, typer.Option(help="Parallel worker processes.")]
OrdersOption = Annotated[Path | None, typer.Option(help="Parent orders from this CSV/Parquet file.")]
SymbolMapOption = Annotated[Path | None, typer.Option(
    help="With --orders: TOML/CSV map from the file's tickers to the scenario's symbols (docs/data-formats.md).")]
RouterConfigOption = Annotated[
    Path | None,
    typer.Option(help="TOML file of router parameters, one [<router name>] table each (overrides the scenario)."),
]
CallbackTimeoutOption = Annotated[
    float, typer.Option(help="Wall-clock limit of one router callback, seconds (0: none).")
]
DecisionLatencyOption = Annotated[
    str, typer.Option(help="Router computation charged as latency: none, measured, or fixed nanoseconds.")
]
IncentiveTestOption = Annotated[
    bool, typer.Option(help="Also rerun every router on twins with venues' payments permuted, per channel (conflict).")
]
IncentiveTwinsOption = Annotated[int, typer.Option(
    help="Payment permutations per channel (PFOF, maker rebates, take fees) for --incentive-test, 1-20.")]
RealtimeOption = Annotated[
    bool, typer.Option(help="Pace the simulation against the wall clock (needed by an external router: fix).")
]
TimeFactorOption = Annotated[
    float, typer.Option(help="With --realtime: simulated seconds per wall second (1: real time).")
]
WindowOption = Annotated[
    str | None, typer.Option(help="With --realtime: session window HH:MM:SS-HH:MM:SS (replaces the scenario's).")
]
QuietOption = Annotated[bool, typer.Option(help="No progress bar.")]
SuiteOption = Annotated[
    Path | None, typer.Option(help="Run every scenario of a suite TOML file into one bundle with one report.")
]
NoReportOption = Annotated[bool, typer.Option("--no-report", help="Write no report.html / report.pdf (the "
                                                                   "analytics still run; sorbench report adds it).")]
NoPdfOption = Annotated[bool, typer.Option("--no-pdf", help="Write report.html but no report.pdf.")]
BaselineOption = Annotated[
    Path | None,
    typer.Option(help="A run folder to compare this run with (sorbench compare BASELINE NEW); default seeds: its."),
]


MAX_SEEDS = 10_000
"""The most seeds one run takes (each is a full simulation per router; inference needs 5 to a few hundred)."""


def default_scenario_path() -> Path:
    """``scenarios/default.toml`` in the working directory if present, else the one shipped with sorbench."""
    local = Path("scenarios/default.toml")
    if local.is_file():
        return local
    for candidate in (REPO_SCENARIOS / "default.toml", INSTALLED_SCENARIOS / "default.toml"):
        if candidate.is_file():
            return candidate
    raise UserError("no scenario given and no scenarios/default.toml found")


@json_command("run")
def run(
    scenario: ScenarioArgument = None,
    router: RouterOption = None,
    seed: SeedOption = None,
    seeds: SeedsOption = None,
    out: OutOption = None,
    jobs: JobsOption = 1,
    executor: ExecutorOption = "local",
    orders: OrdersOption = None,
    router_config: RouterConfigOption = None,
    callback_timeout: CallbackTimeoutOption = 30.0,
    decision_latency: DecisionLatencyOption = "none",
    router_process: RouterProcessOption = "plugins",
    router_memory: RouterMemoryOption = "1GiB",
    router_cpu: RouterCpuOption = 600,
    incentive_test: IncentiveTestOption = False,
    incentive_twins: IncentiveTwinsOption = 3,
    policy: PolicyOption = None,
    broker: BrokerOption = None,
    period: PeriodOption = None,
    realtime: RealtimeOption = False,
    time_factor: TimeFactorOption = 1.0,
    window: WindowOption = None,
    quiet: QuietOption = False,
    suite: SuiteOption = None,
    baseline: BaselineOption = None,
    no_report: NoReportOption = False,
    no_pdf: NoPdfOption = False,
    symbol_map: SymbolMapOption = None,
    as_json: JsonOption = False,
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
            run_suite_command(suite, out=out, jobs=jobs, executor=executor, quiet=quiet,
                              callback_timeout=callback_timeout,
                              decision_latency=decision_latency, policy=policy, broker=broker, period=period,
                              isolation=(router_process, router_memory, router_cpu))
        except UserError as err:
            fail(str(err))
        return
    try:
        plan = _plan_run(
            scenario, router=router, seed=seed, seeds=seeds, jobs=jobs, orders=orders, router_config=router_config,
            callback_timeout=callback_timeout, decision_latency=decision_latency, incentive_test=incentive_test,
            incentive_twins=incentive_twins, policy=policy, broker=broker, period=period, realtime=realtime,
            time_factor=time_factor, window=window, baseline=baseline, symbol_map=symbol_map,
            isolation=(router_process, router_memory, router_cpu), executor=executor,
        )
        outcome = _simulate(plan, out=out, jobs=jobs, quiet=quiet, report=not no_report, pdf=not no_pdf)
    except UserError as err:
        fail(str(err))
        return
    print_summary(outcome)
    current().update(run_json(outcome))
    if baseline is not None:
        try:
            current()["compare"] = compare_and_print(baseline, outcome.out_dir, out=None, routers=None)
        except UserError as err:
            fail(f"--baseline: {err} (the run itself is written: {outcome.out_dir})")
    if outcome.partial:
        err_console.print(f"[red]partial run[/]: {len(outcome.failures)} failure(s); exit status {EXIT_PARTIAL}")
        raise typer.Exit(EXIT_PARTIAL)


@dataclass(frozen=True)
class RunPlan:
    """What ``sorbench run`` simulates, checked: the resolved scenario, its routers and seeds, and the settings."""

    scenario: Any
    scenario_path: Path
    routers: list[str]
    seeds: list[int]
    registry: Any
    limits: Any
    review: Any
    regulatory: Any
    realtime: Any
    parents: Any
    orders_file: Path | None
    twins: int
    symbol_map: dict[str, str] | None = None
    executor: Any = None
    """The checked ``--executor`` (:class:`~harness.workflows.executor.ExecutorChoice`; None: local)."""


def _plan_run(
    scenario: Path | None, *, router: list[str] | None, seed: int | None, seeds: int | None, jobs: int,
    orders: Path | None, router_config: Path | None, callback_timeout: float, decision_latency: str,
    incentive_test: bool, incentive_twins: int, policy: Path | None, broker: str | None, period: str | None,
    realtime: bool, time_factor: float, window: str | None, baseline: Path | None, symbol_map: Path | None = None,
    isolation: tuple[str, str, int] = ("plugins", "1GiB", 600), executor: str = "local",
) -> RunPlan:
    """The run's plan from its options; ``UserError`` (one line) on the first bad one, in the order they are checked."""
    if baseline is not None and seed is None and seeds is None:
        from harness.workflows.verify import read_manifest

        baseline_seeds: list[int] | None = [int(s) for s in read_manifest(baseline)["seeds"]]
    else:
        baseline_seeds = None
    from harness.io.order_fields import read_symbol_map
    from harness.io.orders import load_parents
    from harness.scenario.schema import load_scenario
    from harness.sim.router_node import RouterLimits

    limits = router_limits(callback_timeout, decision_latency, cls=RouterLimits, isolation=isolation)
    registry, specs = _registry_with_specs(router, limits)
    review, regulatory = analysis_options(policy, broker, period=period)
    path = scenario if scenario is not None else default_scenario_path()
    sc, resolved = load_scenario(path, registry=registry)
    if router_config is not None:
        sc = apply_router_config(sc, router_config, registry)
    if seed is not None and seeds is not None:
        raise UserError("--seed and --seeds are exclusive")
    if seed is not None and not 0 <= seed < 2**63:
        raise UserError(f"--seed: {seed} is out of range")
    if seeds is not None and not 1 <= seeds <= MAX_SEEDS:
        raise UserError(f"--seeds: {seeds} must be between 1 and {MAX_SEEDS:,}")
    if jobs < 1:
        raise UserError(f"--jobs: {jobs} must be at least 1")
    choice = executor_choice(executor, realtime=realtime)
    seed_list = [seed] if seed is not None else list(range(sc.session.seed, sc.session.seed + (seeds or 1)))
    if seed_list[-1] >= 2**63:
        raise UserError(f"--seeds: {seeds} seeds from {sc.session.seed} go past the largest seed, 2^63 - 1")
    if baseline_seeds is not None:
        seed_list = baseline_seeds
    sc, routers = _with_routers(sc, router, specs=specs, registry=registry)
    sc, paced = realtime_options(sc, registry, routers=routers, realtime=realtime, time_factor=time_factor,
                                 window=window, incentive_test=incentive_test)
    orders_file = orders
    if orders_file is None and sc.flow.file is not None:
        orders_file = (resolved.parent / sc.flow.file)
    if symbol_map is not None and orders_file is None:
        raise UserError("--symbol-map applies to --orders (or the scenario's flow.file) only")
    mapping = read_symbol_map(symbol_map) if symbol_map is not None else None
    parents = load_parents(orders_file, sc, symbol_map=mapping) if orders_file is not None else None

    if incentive_test and not 1 <= incentive_twins <= 20:
        raise UserError(f"--incentive-twins: {incentive_twins} must be between 1 and 20")
    twins = incentive_twins if incentive_test else 0
    return RunPlan(scenario=sc, scenario_path=resolved, routers=routers, seeds=seed_list, registry=registry,
                   limits=limits, review=review, regulatory=regulatory, realtime=paced, parents=parents,
                   orders_file=orders_file, twins=twins, symbol_map=mapping,
                   executor=choice)


def _registry_with_specs(router: list[str] | None, limits: Any = None) -> tuple[Any, dict[str, Any]]:
    """The router registry, with the ``--router`` values that name a class (``module:Class``, ``file.py:Class``).

    Plug-ins are inspected in child processes contained by the run's router-process limits (default: the defaults).
    """
    from adapters.loader import full_registry, is_spec
    from adapters.registry import RegistryError
    from harness.sim.router_node import RouterLimits
    from harness.sim.router_process import inspection_limits

    try:
        registry = full_registry(limits=inspection_limits(limits or RouterLimits()))
        specs = {r: registry.add_spec(r) for r in (router or []) if is_spec(r)}
    except RegistryError as err:
        raise UserError(f"--router: {err}") from None
    return registry, specs


def _with_routers(sc: Any, router: list[str] | None, *, specs: dict[str, Any], registry: Any) -> tuple[Any, list[str]]:
    """The scenario running exactly the chosen routers (``--router``, else the scenario's), and their names."""
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
    return sc, routers


def _simulate(plan: RunPlan, *, out: Path | None, jobs: int, quiet: bool, report: bool = True,
              pdf: bool = True) -> Any:
    """Run the plan into its run folder behind a progress bar; the run's outcome."""
    from harness.workflows.executor import open_executor
    from harness.workflows.run import run_scenario

    sc = plan.scenario
    total = len(plan.routers) * len(plan.seeds) * (1 + plan.twins)
    progress = progress_bar(quiet=quiet)
    with open_executor(plan.executor, jobs=jobs) as pool, progress:
        what = f"{sc.name}: {len(plan.routers)} router(s) x {len(plan.seeds)} seed(s)"
        task = progress.add_task(what, total=total)
        return run_scenario(
            sc, scenario_path=plan.scenario_path, routers=plan.routers, seeds=plan.seeds, out_dir=out,
            results_root=Path("results"), jobs=jobs, executor=pool, parents=plan.parents, orders_file=plan.orders_file,
            symbol_map=plan.symbol_map,
            registry=plan.registry, on_done=lambda _res: progress.advance(task), command=sys.argv, limits=plan.limits,
            incentive_twins=plan.twins,
            review_policy=plan.review, regulatory=plan.regulatory, realtime=plan.realtime, report=report, pdf=pdf,
            on_phase=lambda name: progress.update(task, description=f"{what}: {name}"),
        )


def run_json(outcome: Any) -> dict[str, Any]:
    """What ``run --json`` prints: the run folder and its main files, the summary rows, each router's verdict line."""
    folder = outcome.out_dir
    names = ("manifest.json", "summary.csv", "report.html", "report.pdf", "tca", "conflict", "regulatory",
             "incentive", "fix", "failures")
    paths = {"run_folder": str(folder), **{n: str(folder / n) for n in names if (folder / n).exists()}}
    verdicts: list[dict[str, Any]] = []
    if (folder / "tca" / "review.csv").is_file():
        from harness.report.context import run_headlines
        from harness.report.data import load_run_data

        with contextlib.suppress(UserError):  # the console's note says why; the summary rows hold the figures
            verdicts = [{"router": h.router, "outcome": h.outcome, "benchmark": h.benchmark, "reasons": h.reasons}
                        for h in run_headlines(load_run_data(folder))]
    return {"paths": paths, "partial": outcome.partial, "errors": list(outcome.failures),
            "seeds": sorted({r.seed for r in outcome.results}), "summary": records(outcome.summary),
            "verdicts": verdicts, "stale_partial_folders": list(outcome.stale)}


def print_headlines(folder: Path) -> None:
    """The report's one line per router (outcome against the benchmark, reasons in words), when analysed."""
    if not (folder / "tca" / "review.csv").is_file():
        return
    from harness.report.context import run_headlines
    from harness.report.data import load_run_data

    try:
        lines = run_headlines(load_run_data(folder))
    except UserError as err:
        out_console.print(f"note: no verdict lines: {escape(str(err))}")
        return
    style = {"pass": "green", "review": "yellow", "fail": "red", "flagged": "red", "failed": "red"}
    for h in lines:
        colour = style.get(h.outcome, "white")
        name = h.router + (" (benchmark)" if h.benchmark else "")
        out_console.print(f"[{colour}]{h.outcome.upper()}[/] {escape(name)}: " + escape("; ".join(h.reasons) or "-"))


def print_summary(outcome: Any) -> None:
    """The run's per-router table, failures, simulation size, conflict flags and where its files are."""
    from harness.analytics.labels import BY_KEY

    print_headlines(outcome.out_dir)  # the verdict first: one line per router, before any table
    cols = [BY_KEY[k] for k in ("fill_rate_all", "pi_marketable", "eq_marketable", "first_fill_mean_marketable",
                                "fees_usd", "pfof_usd")]
    table = Table(title="Per-router summary (all seeds pooled; NBBO at arrival)", title_justify="left",
                  caption="Definitions: docs/analytics.md, Headline figures", caption_justify="left")
    width = max([len("router"), *(len(str(r)) for r in outcome.summary["router"])])
    table.add_column("router", no_wrap=True, min_width=width)  # names whole; the labels wrap instead
    table.add_column("status", no_wrap=True)
    table.add_column("orders", justify="right", no_wrap=True)
    for c in cols:
        table.add_column(c.label, justify="right")
    for row in outcome.summary.itertuples(index=False):
        _fill, pi, eq, first, fees, pfof = cols
        table.add_row(
            row.router, row.status, str(row.orders), fmt(row.fill_rate, ".1%"),
            fmt(pi.shown(row.pi_per_share), "+.2f"), fmt(eq.shown(row.eq_ratio), ".3f"),
            fmt(first.shown(row.mean_first_fill_ms), ".2f"), fmt(fees.shown(row.fees_usd), ",.2f"),
            fmt(pfof.shown(row.pfof_usd), ",.2f"),
        )
    out_console.print(table)
    for line in outcome.failures:  # every failed simulation, the analytics, the report
        err_console.print(f"[red]FAILED[/] {escape(line)}", soft_wrap=True)
    msgs = sum(r.stats.get("messages", 0) for r in outcome.results)
    wall = sum(r.stats.get("simulation_wall_seconds", 0.0) for r in outcome.results)
    out_console.print(f"{msgs:,} book messages simulated in {wall:.1f} s of simulation time")
    conflict = outcome.out_dir / "conflict" / "summary.csv"
    if conflict.is_file():
        import pandas as pd

        flags = pd.read_csv(conflict)
        flagged = sorted(flags.loc[flags["flagged"].astype(bool), "router"].astype(str))
        seeds = len({r.seed for r in outcome.results})
        open_ = (sorted(flags.loc[flags["finding"].astype(str) == "insufficient evidence", "router"].astype(str))
                 if "finding" in flags.columns else [])
        if flagged or seeds >= MIN_SEEDS:
            out_console.print(f"conflict of interest flagged: {', '.join(flagged) if flagged else 'none'}"
                              + (f"; insufficient evidence: {', '.join(open_)}" if open_ else "")
                              + " (conflict/summary.csv gives the reasons)")
        else:
            out_console.print(f"conflict of interest: {too_few_seeds(seeds)} (--seeds {MIN_SEEDS}; "
                              "conflict/summary.csv gives the figures)")
    if outcome.stale:
        out_console.print(f"note: {len(outcome.stale)} folder(s) beside it were left by runs killed while writing "
                          f"(delete them when no run on another machine is writing there): {', '.join(outcome.stale)}")
    out_console.print(f"results: {outcome.out_dir}")
    if (outcome.out_dir / "report.html").is_file():
        out_console.print(f"report: {outcome.out_dir / 'report.html'}")
