"""Commands that sign run folders: ``keygen`` (an ed25519 key pair) and ``sign`` (a folder's ``signature.json``).

``sorbench verify RUN --key K.pub`` checks a signature (:mod:`harness.cli.run_folders`); the format is
:mod:`harness.workflows.signing`'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from harness.cli.console import fail, out_console
from harness.errors import UserError


def keygen(
    out: Annotated[Path, typer.Option("--out", help="The private key file to write (the public key goes to OUT.pub).")],
) -> None:
    """Create an ed25519 key pair for signing run folders: OUT (private, mode 0600) and OUT.pub (public)."""
    from harness.workflows.signing import fingerprint, load_public_key
    from harness.workflows.signing import keygen as make_keys

    try:
        private, public = make_keys(out)
        fp = fingerprint(load_public_key(public))
    except UserError as err:
        fail(str(err))
        return
    out_console.print(f"private key: {escape(str(private))} (keep it; mode 0600)")
    out_console.print(f"public key:  {escape(str(public))} ({fp})")


def sign(
    run_folder: Annotated[Path, typer.Argument(help="A run folder written by sorbench run.")],
    key: Annotated[Path, typer.Option("--key", help="The ed25519 private key (PEM) to sign with (sorbench keygen).")],
) -> None:
    """Sign an intact run folder (its manifest's hash, which covers every file's): writes RUN/signature.json."""
    from harness.workflows.signing import sign as sign_folder

    try:
        dest = sign_folder(run_folder, key)
    except UserError as err:
        fail(str(err))
        return
    out_console.print(f"{escape(str(run_folder))}: signed ({escape(str(dest))})")
