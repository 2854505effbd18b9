"""The ``sorbench`` typer app: every command registered here, in the order ``sorbench --help`` lists them.

The commands live by what they work on: :mod:`harness.cli.run` (and :mod:`harness.cli.suite`), scenarios and routers
(:mod:`harness.cli.scenarios`), run folders (:mod:`harness.cli.run_folders`;
signing them, :mod:`harness.cli.signing`), the market itself
(:mod:`harness.cli.market`) and execution-quality analysis (:mod:`harness.cli.analysis`).
"""

from __future__ import annotations

import inspect
import re
import sys

import typer

from harness.cli.analysis import compare, tca
from harness.cli.json_output import usage_error, wants_json
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

def _plain(doc: str | None) -> str:
    """A command's docstring as help text, RST literals and roles (``:mod:`x```) as plain text, a line per paragraph."""
    text = inspect.cleandoc(doc or "")
    text = re.sub(r"``(.+?)``", r"\1", text, flags=re.DOTALL)
    text = re.sub(r":[a-z]+:`([^`]+)`", r"\1", text)
    return "\n\n".join(" ".join(para.split()) for para in text.split("\n\n"))  # rich rewraps each paragraph


for _name, _command in (
    ("run", run), ("routers", routers), ("validate", validate), ("verify", verify), ("sign", sign),
    ("keygen", keygen), ("report", report_cmd), ("query", query), ("schema", schema), ("bench", bench),
    ("lobster-stats", lobster_stats_cmd), ("tca", tca), ("compare", compare), ("power", power), ("probe", probe),
):
    app.command(_name, help=_plain(_command.__doc__))(_command)


def main() -> None:
    """Console-script entry point; with ``--json``, usage errors (unknown option, bad value) are JSON too."""
    if not wants_json(sys.argv[1:]):
        app()
        return
    try:
        code = app(standalone_mode=False)
    except typer.exceptions.TyperException as exc:  # click's usage errors (ClickException) in standalone_mode=False
        if not hasattr(exc, "show"):
            raise
        sys.exit(usage_error(exc))
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
