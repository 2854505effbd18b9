"""``sorbench run --suite``: every scenario of a suite into one bundle, and its verdict table."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from harness.cli.console import err_console, out_console, progress_bar
from harness.cli.json_output import current, records
from harness.cli.options import analysis_options, executor_choice, router_limits
from harness.errors import EXIT_PARTIAL, UserError

SUITE_FILES = ("suite.html", "suite.json", "suite_summary.csv")


def run_suite_command(path: Path, *, out: Path | None, jobs: int, quiet: bool, callback_timeout: float,
                      decision_latency: str, policy: Path | None, broker: str | None, period: str | None,
                      isolation: tuple[str, str, int] = ("plugins", "1GiB", 600), executor: str = "local") -> None:
    """``sorbench run --suite``: check the suite, run its scenarios into one bundle and print its summary."""
    from harness.sim.router_node import RouterLimits
    from harness.workflows.executor import open_executor
    from harness.workflows.suite import load_suite, run_suite

    if jobs < 1:
        raise UserError(f"--jobs: {jobs} must be at least 1")
    choice = executor_choice(executor)
    limits = router_limits(callback_timeout, decision_latency, cls=RouterLimits, isolation=isolation)
    review, regulatory = analysis_options(policy, broker, period=period)
    plan = load_suite(path)
    progress = progress_bar(quiet=quiet)
    running = {"entry": ""}

    def phase(name: str) -> None:
        where = f"{plan.suite.name}: {running['entry']}" if running["entry"] else plan.suite.name
        progress.update(task, description=f"suite {where}: {name}")

    def entry(e: Any) -> None:
        running["entry"] = e.label

    with open_executor(choice, jobs=jobs) as pool, progress:
        task = progress.add_task(f"suite {plan.suite.name}", total=plan.simulations)
        outcome = run_suite(
            plan, out_dir=out, results_root=Path("results"), jobs=jobs, executor=pool, command=sys.argv, limits=limits,
            review_policy=review, regulatory=regulatory, on_done=lambda _res: progress.advance(task),
            on_entry=entry, on_phase=phase,
        )
    print_suite_summary(plan, outcome)
    failures = [rec for rec in outcome.runs if rec["status"] != "ok" or rec.get("failures")]
    current().update(
        paths={"bundle": str(outcome.out_dir), **{n: str(outcome.out_dir / n) for n in SUITE_FILES}},
        partial=bool(failures), runs=outcome.runs, summary=records(outcome.summary),
        errors=[f"{rec['label']}: {line}" for rec in failures
                for line in ([str(rec["error"])] if rec["status"] != "ok" else []) + list(rec.get("failures") or ())])
    if failures:
        err_console.print(f"[red]partial suite[/]: {len(failures)} entr{'y' if len(failures) == 1 else 'ies'} "
                          f"failed or partial; exit status {EXIT_PARTIAL}")
        raise typer.Exit(EXIT_PARTIAL)


def print_suite_summary(plan: Any, outcome: Any) -> None:
    """The review verdict per router and scenario, the failed runs and where the bundle is."""
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
    out_console.print(table)
    for rec in outcome.runs:
        if rec["status"] != "ok":
            err_console.print(f"[red]FAILED[/] {escape(rec['label'])}: {escape(str(rec['error']))}", soft_wrap=True)
        for line in rec.get("failures") or ():
            err_console.print(f"[red]FAILED[/] {escape(rec['label'])}: {escape(line)}", soft_wrap=True)
    out_console.print(f"bundle: {outcome.out_dir} (suite.html, suite.json, suite_summary.csv)")
