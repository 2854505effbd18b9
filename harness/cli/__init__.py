"""The ``sorbench`` command line: one typer app, its commands grouped by what they work on."""

from harness.cli.app import app, main

__all__ = ["app", "main"]
