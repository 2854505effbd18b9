"""``--help`` of every command is plain text: no RST literals (double backticks) or roles (``:mod:``) shown
literally (issue 18, item 6)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from harness.cli.app import app

COMMANDS = [c.name for c in app.registered_commands]


def test_every_command_is_listed():
    assert {"run", "compare", "verify", "validate", "routers", "tca", "query", "schema"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_no_rst_markup(command):
    res = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "``" not in res.output and ":mod:" not in res.output and ":func:" not in res.output
    assert "Usage:" in res.output
