"""``sorbench probe``: the due-diligence probes of :mod:`harness.workflows.probe`, and their findings on the console."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from harness.cli.console import err_console, fail, out_console, progress_bar
from harness.cli.options import ExecutorOption, executor_choice
from harness.errors import EXIT_PARTIAL, UserError

MAX_PROBE_SEEDS = 100
MAX_PROBE_ORDERS = 10_000


def probe(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario TOML whose venues, fees and latencies are probed "
                                                    "(default: the built-in default scenario).")] = None,
    router: Annotated[list[str] | None, typer.Option("--router", "-r", help="Router to probe (repeatable; built-in "
                                                     "name or module:Class / file.py:Class; default: the "
                                                     "scenario's routers).")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: results/probe-<scenario>-<time>).")] = None,
    seeds: Annotated[int, typer.Option(help="Seeds per twin (5 or more for seed-level intervals).")] = 5,
    orders: Annotated[int, typer.Option(help="Parent orders per twin and seed.")] = 20,
    parent_qty: Annotated[int, typer.Option(help="Shares of each parent order.")] = 300,
    symbol: Annotated[str | None, typer.Option(help="Symbol probed (default: the scenario's first).")] = None,
    probe_name: Annotated[list[str] | None, typer.Option("--probe", help="Probe to run (repeatable; default: all of "
                                                         "coverage, price-vs-fee, price-vs-size, hidden, speed, "
                                                         "sip, failover, stale-quotes, halt, locked, odd-lots, block, "
                                                         "payments, rebates, toxicity).")] = None,
    window: Annotated[float, typer.Option("--window-s", help="Seconds of each twin's window after its 1-s warm-up "
                                          "(keep it short for a fix router: each twin runs in real time).")] = 30.0,
    router_config: Annotated[Path | None, typer.Option(help="Router parameters TOML ([<router name>] tables), "
                                                       "e.g. the fix router's session (docs/fix.md).")] = None,
    suite: Annotated[Path | None, typer.Option(help="A suite file (scenarios/suites/due-diligence.toml): probe each "
                                               "of its scenarios with its routers and seeds, into OUT/<label>/.")
                     ] = None,
    reference: Annotated[str, typer.Option(help="Reference router probed beside the others, its response shown "
                                           "beside theirs ('none': no reference).")] = "best-price",
    claims: Annotated[Path | None, typer.Option(help="A vendor's claims (TOML, docs/probes.md): each is marked "
                                                "confirmed, contradicted or not testable here.")] = None,
    jobs: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    executor: ExecutorOption = "local",
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Controlled experiments that reveal each router's routing logic: probe/fingerprint.csv and one line per finding.

    Every probe is a family of twins of a controlled market (the scenario's venues, fees and latencies; the
    background switched off; standing orders at fixed prices) that change one thing: where the best offer rests
    (coverage), the take-fee gap against a one-tick better price (price-vs-fee), a small better quote against a
    larger worse one (price-vs-size), a hidden offer (hidden), a slower link (speed), a late SIP (sip), a venue going
    down (failover), a frozen feed on a withdrawn offer (stale-quotes), a trading halt (halt), a locked NBBO (locked),
    odd lots (odd-lots),
    blocks 50 times the displayed offer (block), rotated PFOF (payments), rotated maker rebates (rebates), a toxic
    dark pool in the scenario's own market (toxicity).
    See docs/probes.md.
    """
    try:
        _probe(scenario, router, out=out, seeds=seeds, orders=orders, parent_qty=parent_qty, symbol=symbol,
               jobs=jobs, quiet=quiet, probes=probe_name, claims=claims, reference=reference, suite=suite,
               window=window, router_config=router_config, executor=executor)
    except UserError as err:
        fail(str(err))


@dataclass(frozen=True)
class _Options:
    """The checked options every probed scenario shares."""

    settings: Any
    probes: tuple[str, ...]
    claims: Any
    claims_file: Path | None
    reference: str | None
    jobs: int
    quiet: bool
    executor: Any = None
    """The opened executor (:class:`~harness.workflows.tasks.TaskExecutor`; None: this machine)."""


def _probe(scenario: Path | None, router: list[str] | None, *, out: Path | None, seeds: int, orders: int,
           parent_qty: int, symbol: str | None, jobs: int, quiet: bool, probes: list[str] | None,
           claims: Path | None, reference: str, suite: Path | None = None, window: float = 30.0,
           router_config: Path | None = None, executor: str = "local") -> None:
    from harness.analytics.claims import load_claims
    from harness.workflows.executor import open_executor
    from harness.workflows.probe import PROBES, ProbeSettings

    if not 1 <= seeds <= MAX_PROBE_SEEDS:
        raise UserError(f"--seeds: {seeds} must be between 1 and {MAX_PROBE_SEEDS}")
    if not 1 <= orders <= MAX_PROBE_ORDERS:
        raise UserError(f"--orders: {orders} must be between 1 and {MAX_PROBE_ORDERS:,}")
    if not 1 <= parent_qty <= 1_000_000:
        raise UserError(f"--parent-qty: {parent_qty} must be between 1 and 1,000,000 shares")
    if jobs < 1:
        raise UserError(f"--jobs: {jobs} must be at least 1")
    choice = executor_choice(executor)
    if not 1.0 <= window <= 3600.0:
        raise UserError(f"--window-s: {window} must be between 1 and 3,600 seconds")
    if suite is not None and (scenario is not None or router or router_config):
        raise UserError("--suite: give either a suite or a scenario (and --router, --router-config), not both")
    for name in probes or ():
        if name not in PROBES:
            raise UserError(f"--probe: unknown probe {name!r} (known: {', '.join(PROBES)})")
    opts = _Options(ProbeSettings(symbol=symbol, orders=orders, parent_qty=parent_qty, window_s=window),
                    tuple(probes) if probes else PROBES, load_claims(claims) if claims is not None else None,
                    claims, None if reference == "none" else reference, jobs, quiet)
    with open_executor(choice, jobs=jobs) as pool:  # one cluster for every scenario probed
        failed = _probe_targets(scenario, router, suite=suite, out=out, seeds=seeds, router_config=router_config,
                                opts=replace(opts, executor=pool))
    if failed:
        err_console.print(f"[red]partial probe[/]: {failed} simulation(s) failed; exit status {EXIT_PARTIAL}")
        raise typer.Exit(EXIT_PARTIAL)


def _probe_targets(scenario: Path | None, router: list[str] | None, *, suite: Path | None, out: Path | None,
                   seeds: int, router_config: Path | None, opts: _Options) -> int:
    """Probe the suite's scenarios or the one scenario; the number of failed simulations."""
    from harness.cli.run import _registry_with_specs, _with_routers, default_scenario_path
    from harness.scenario.schema import load_scenario
    from harness.workflows.probe import check_new_folder

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    if suite is not None:
        from harness.workflows.suite import load_suite

        plan = load_suite(suite)
        out_dir = out if out is not None else Path("results") / f"probe-{plan.suite.name}-{stamp}"
        check_new_folder(out_dir)
        failed = 0
        for entry in plan.runs:
            routers = _with_reference(entry.routers, opts.reference, plan.registry)
            failed += _probe_one(entry.scenario, routers, plan.registry, entry.seeds, out_dir / entry.label, opts)
    else:
        registry, specs = _registry_with_specs(router)
        sc, _ = load_scenario(scenario if scenario is not None else default_scenario_path(), registry=registry)
        if router_config is not None:
            from harness.cli.options import apply_router_config

            sc = apply_router_config(sc, router_config, registry)
        sc, routers = _with_routers(sc, router, specs=specs, registry=registry)
        routers = _with_reference(routers, opts.reference, registry)
        seed_list = list(range(sc.session.seed, sc.session.seed + seeds))
        out_dir = out if out is not None else Path("results") / f"probe-{sc.name}-{stamp}"
        check_new_folder(out_dir)
        failed = _probe_one(sc, routers, registry, seed_list, out_dir, opts)
    return failed


def _with_reference(routers: list[str], reference: str | None, registry: Any) -> list[str]:
    if reference is not None and reference not in registry:
        raise UserError(f"--reference: unknown router {reference!r} (known: {', '.join(registry.names())})")
    return routers if reference is None or reference in routers else [*routers, reference]


def _probe_one(sc: Any, routers: list[str], registry: Any, seed_list: list[int], out_dir: Path,
               opts: _Options) -> int:
    """Probe one scenario into ``out_dir`` and print its findings; the number of failed simulations."""
    from harness.workflows.probe import probe_twins, run_probes, write_probe_folder

    try:
        twins = probe_twins(sc, opts.settings, opts.probes)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    progress = progress_bar(quiet=opts.quiet)
    with progress:
        task = progress.add_task(f"probe {sc.name}: {len(twins)} twins x {len(routers)} router(s) x "
                                 f"{len(seed_list)} seed(s)", total=len(twins) * len(routers) * len(seed_list))
        twins, rows = run_probes(sc, routers, seeds=seed_list, registry=registry, settings=opts.settings,
                                 jobs=opts.jobs, on_done=lambda _res: progress.advance(task), twins=twins,
                                 executor=opts.executor)
    fp, checked = write_probe_folder(out_dir, scenario=sc, routers=routers, seeds=seed_list, settings=opts.settings,
                                     twins=twins, rows=rows, claims=opts.claims, claims_file=opts.claims_file,
                                     reference=opts.reference)
    print_findings(fp, title=f"Routing logic in {sc.name}: one finding per router and probe")
    if checked is not None:
        print_claims(checked)
    out_console.print(f"probe folder: {out_dir} (probe/probe.html, fingerprint.csv, responses.csv, twins.json"
                      f"{', claims.csv' if checked is not None else ''})")
    failed = [r for r, s in zip(rows["router"], rows["status"], strict=True) if s != "ok"]
    if failed:
        err_console.print(f"[red]FAILED[/] {len(failed)} simulation(s) in {escape(sc.name)}: "
                          f"{escape(', '.join(sorted(set(failed))))}", soft_wrap=True)
    return len(failed)


def print_findings(fp: Any, *, title: str = "Routing logic: one finding per router and probe") -> None:
    """One line per router and probe: its finding in words."""
    table = Table(title=title, title_justify="left")
    for col in ("router", "probe", "finding"):
        table.add_column(col, overflow="fold")
    for (router, probe_name), g in fp.groupby(["router", "probe"], sort=False):
        table.add_row(escape(str(router)), escape(str(probe_name)), escape(str(g["finding"].iloc[0])))
    out_console.print(table)


def print_claims(checked: Any) -> None:
    """One line per claim: confirmed, contradicted or not testable here, with the evidence."""
    table = Table(title="Vendor claims against the evidence", title_justify="left")
    for col in ("router", "claim", "claimed", "verdict", "evidence"):
        table.add_column(col, overflow="fold")
    color = {"confirmed": "green", "contradicted": "red"}
    for _, r in checked.iterrows():
        c = color.get(r["verdict"], "yellow")
        table.add_row(escape(str(r["router"])), escape(str(r["claim"])), escape(str(r["claimed"])),
                      f"[{c}]{escape(str(r['verdict']))}[/]", escape(str(r["evidence"])))
    out_console.print(table)
