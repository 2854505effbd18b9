"""``sorbench probe``: the due-diligence probes of :mod:`harness.workflows.probe`, and their findings on the console."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from harness.cli.console import err_console, fail, out_console, progress_bar
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
                                                         "sip, failover, stale-quotes, halt, odd-lots, block, "
                                                         "payments, toxicity).")] = None,
    reference: Annotated[str, typer.Option(help="Reference router probed beside the others, its response shown "
                                           "beside theirs ('none': no reference).")] = "best-price",
    claims: Annotated[Path | None, typer.Option(help="A vendor's claims (TOML, docs/probes.md): each is marked "
                                                "confirmed, contradicted or not testable here.")] = None,
    jobs: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Controlled experiments that reveal each router's routing logic: probe/fingerprint.csv and one line per finding.

    Every probe is a family of twins of a controlled market (the scenario's venues, fees and latencies; the
    background switched off; standing orders at fixed prices) that change one thing: where the best offer rests
    (coverage), the take-fee gap against a one-tick better price (price-vs-fee), a small better quote against a
    larger worse one (price-vs-size), a hidden offer (hidden), a slower link (speed), a late SIP (sip), a venue going
    down (failover), a frozen feed on a withdrawn offer (stale-quotes), a trading halt (halt), odd lots (odd-lots),
    blocks 50 times the displayed offer (block), rotated PFOF (payments), a toxic dark pool in the scenario's own
    market (toxicity).
    See docs/probes.md.
    """
    try:
        _probe(scenario, router, out=out, seeds=seeds, orders=orders, parent_qty=parent_qty, symbol=symbol,
               jobs=jobs, quiet=quiet, probes=probe_name, claims=claims, reference=reference)
    except UserError as err:
        fail(str(err))


def _probe(scenario: Path | None, router: list[str] | None, *, out: Path | None, seeds: int, orders: int,
           parent_qty: int, symbol: str | None, jobs: int, quiet: bool, probes: list[str] | None,
           claims: Path | None, reference: str) -> None:
    from harness.analytics.claims import load_claims
    from harness.cli.run import _registry_with_specs, _with_routers, default_scenario_path
    from harness.scenario.schema import load_scenario
    from harness.workflows.probe import (
        PROBES,
        ProbeSettings,
        check_new_folder,
        probe_twins,
        run_probes,
        write_probe_folder,
    )

    if not 1 <= seeds <= MAX_PROBE_SEEDS:
        raise UserError(f"--seeds: {seeds} must be between 1 and {MAX_PROBE_SEEDS}")
    if not 1 <= orders <= MAX_PROBE_ORDERS:
        raise UserError(f"--orders: {orders} must be between 1 and {MAX_PROBE_ORDERS:,}")
    if not 1 <= parent_qty <= 1_000_000:
        raise UserError(f"--parent-qty: {parent_qty} must be between 1 and 1,000,000 shares")
    if jobs < 1:
        raise UserError(f"--jobs: {jobs} must be at least 1")
    for name in probes or ():
        if name not in PROBES:
            raise UserError(f"--probe: unknown probe {name!r} (known: {', '.join(PROBES)})")
    claimed = load_claims(claims) if claims is not None else None
    registry, specs = _registry_with_specs(router)
    sc, _ = load_scenario(scenario if scenario is not None else default_scenario_path(), registry=registry)
    sc, routers = _with_routers(sc, router, specs=specs, registry=registry)
    ref = None if reference == "none" else reference
    if ref is not None and ref not in registry:
        raise UserError(f"--reference: unknown router {ref!r} (known: {', '.join(registry.names())})")
    if ref is not None and ref not in routers:
        routers = [*routers, ref]
    settings = ProbeSettings(symbol=symbol, orders=orders, parent_qty=parent_qty)
    try:
        twins = probe_twins(sc, settings, tuple(probes) if probes else PROBES)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    seed_list = list(range(sc.session.seed, sc.session.seed + seeds))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = out if out is not None else Path("results") / f"probe-{sc.name}-{stamp}"
    check_new_folder(out_dir)
    progress = progress_bar(quiet=quiet)
    with progress:
        task = progress.add_task(f"probe {sc.name}: {len(twins)} twins x {len(routers)} router(s) x {seeds} seed(s)",
                                 total=len(twins) * len(routers) * seeds)
        twins, rows = run_probes(sc, routers, seeds=seed_list, registry=registry, settings=settings, jobs=jobs,
                                 on_done=lambda _res: progress.advance(task), twins=twins)
    fp, checked = write_probe_folder(out_dir, scenario=sc, routers=routers, seeds=seed_list, settings=settings,
                                     twins=twins, rows=rows, claims=claimed, claims_file=claims, reference=ref)
    print_findings(fp)
    if checked is not None:
        print_claims(checked)
    out_console.print(f"probe folder: {out_dir} (probe/probe.html, fingerprint.csv, responses.csv, twins.json"
                      f"{', claims.csv' if checked is not None else ''})")
    failed = [r for r, s in zip(rows["router"], rows["status"], strict=True) if s != "ok"]
    if failed:
        err_console.print(f"[red]partial probe[/]: {len(failed)} simulation(s) failed ({', '.join(sorted(set(failed)))}"
                          f"); exit status {EXIT_PARTIAL}")
        raise typer.Exit(EXIT_PARTIAL)


def print_findings(fp: Any) -> None:
    """One line per router and probe: its finding in words."""
    table = Table(title="Routing logic: one finding per router and probe", title_justify="left")
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


def compare_probes_and_print(run_a: Path, run_b: Path, *, out: Path) -> None:
    """``sorbench compare`` on two probe folders: the behaviours that changed (``UserError`` on bad input)."""
    from harness.workflows.probe import compare_probe_folders

    changes = compare_probe_folders(run_a, run_b, out)
    changed = changes[changes["changed"]]
    out_console.print(f"routing logic, A -> B: {len(changed)} of {len(changes)} probe twin(s) changed", soft_wrap=True)
    table = Table(title="Behaviours that changed", title_justify="left")
    for col in ("router", "probe", "twin", "A", "B", "finding in B"):
        table.add_column(col, overflow="fold")
    for r in changed.itertuples(index=False):
        table.add_row(escape(str(r.router)), escape(str(r.probe)), escape(str(r.param)), _share(r.mean_a),
                      _share(r.mean_b), escape(str(r.finding_b) if isinstance(r.finding_b, str) else "(not in B)"))
    if len(changed):
        out_console.print(table)
    out_console.print(f"compare: {out} (probe_changes.csv)")


def _share(v: Any) -> str:
    return "-" if v != v else f"{float(v):.0%}"
