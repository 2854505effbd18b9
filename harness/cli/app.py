"""The ``sorbench`` typer app: every command registered here, in the order ``sorbench --help`` lists them.

The commands live by what they work on: :mod:`harness.cli.run` (and :mod:`harness.cli.suite`), scenarios and routers
(:mod:`harness.cli.scenarios`), run folders (:mod:`harness.cli.run_folders`;
signing them, :mod:`harness.cli.signing`), the market itself
(:mod:`harness.cli.market`) and execution-quality analysis (:mod:`harness.cli.analysis`).
"""

from __future__ import annotations

import typer

from harness.cli.analysis import compare, tca
from harness.cli.market import bench, lobster_stats_cmd
from harness.cli.power import power
from harness.cli.probe import probe
from harness.cli.run import run
from harness.cli.run_folders import query, report_cmd, verify
from harness.cli.scenarios import routers, schema, validate
from harness.cli.signing import keygen, sign

app = typer.Typer(
    name="sorbench",
    help="Simulate a fragmented US equity market and benchmark smart order routers on identical order flows.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    """``--version``: sorbench's version, and the git commit of a checkout."""
    if value:
        from harness.paths import REPO_ROOT
        from harness.workflows.provenance import git_commit, sorbench_version

        commit = git_commit(REPO_ROOT) if (REPO_ROOT / ".git").exists() else None
        typer.echo(f"sorbench {sorbench_version()}" + (f" (git {commit})" if commit else ""))
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print sorbench's version (and git commit) and exit.")) -> None:
    """Simulate a fragmented US equity market and benchmark smart order routers on identical order flows."""
app.command()(run)
app.command()(routers)
app.command()(validate)
app.command()(verify)
app.command()(sign)
app.command()(keygen)
app.command("report")(report_cmd)
app.command()(query)
app.command()(schema)
app.command()(bench)
app.command("lobster-stats")(lobster_stats_cmd)
app.command()(tca)
app.command()(compare)
app.command()(power)
app.command()(probe)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
