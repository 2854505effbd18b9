"""``--json``: one JSON object on stdout per command, every human line (tables, progress, notes) on stderr.

The object's keys (README.md, Scripting): ``command``, ``status`` (``ok``, ``failed``, ``error``, ``partial``,
``interrupted``), ``exit_code`` (the process's exit status: 0, 1, 2, 3 or 130, as without ``--json``), ``paths`` (what
the command wrote, by name), ``errors`` (every error line, as printed on stderr) and the command's own figures.
"""

from __future__ import annotations

import functools
import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, ParamSpec

import typer

from harness.cli import console

JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON object on stdout (status, exit_code, paths, errors, figures); the rest on stderr.",
    ),
]

P = ParamSpec("P")
STATUS = {0: "ok", 1: "failed", 2: "error", 3: "partial", 130: "interrupted"}
"""The ``status`` of each exit code (README, Exit statuses); any other code is ``error``."""


def clean(value: Any) -> Any:
    """``value`` made JSON-safe: NaN and infinities become null, paths and numpy scalars plain values."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return clean(item())
    return str(value)


def records(frame: Any) -> list[dict[str, Any]]:
    """A data frame's rows as JSON objects (NaN: null)."""
    return clean(frame.to_dict("records"))  # type: ignore[no-any-return]


def emit(obj: dict[str, Any]) -> None:
    """Write one JSON object and a newline on stdout."""
    sys.stdout.write(json.dumps(clean(obj), allow_nan=False) + "\n")
    sys.stdout.flush()


@contextmanager
def json_output(enabled: bool, command: str) -> Iterator[dict[str, Any]]:
    """Run a command's body in ``--json`` mode: its results console goes to stderr, and one object is printed at exit.

    The body fills the yielded dict (``paths``, figures, and ``errors`` beyond the lines ``fail`` prints); the exit
    status is the one the body exits with (``typer.Exit``), 130 on Ctrl-C. Without ``--json`` nothing changes.
    """
    global _current
    result: dict[str, Any] = {}
    if not enabled:
        yield result
        return
    first_error = len(console.error_lines)
    console.out_console.file = sys.stderr
    code = 0
    _current = result
    stdout = sys.stdout
    sys.stdout = sys.stderr  # a plug-in's print() must not break the one object on stdout
    try:
        yield result
    except typer.Exit as stop:
        code = stop.exit_code
        raise
    except KeyboardInterrupt:
        code = 130
        raise
    except BaseException as exc:
        code = 1
        result.setdefault("errors", []).append(f"internal error: {type(exc).__name__}: {exc}")
        raise
    finally:
        _current = None
        sys.stdout = stdout
        console.out_console.file = None  # type: ignore[assignment]  # back to sys.stdout
        errors = [*console.error_lines[first_error:], *result.pop("errors", [])]
        emit(
            {
                "command": command,
                "status": STATUS.get(code, "error"),
                "exit_code": code,
                "paths": result.pop("paths", {}),
                "errors": errors,
                **result,
            }
        )


_current: dict[str, Any] | None = None
"""The result the running ``--json`` command fills (None: not in ``--json`` mode)."""


def current() -> dict[str, Any]:
    """The running command's ``--json`` result to fill (a throwaway dict without ``--json``)."""
    return _current if _current is not None else {}


def json_command(command: str) -> Callable[[Callable[P, None]], Callable[P, None]]:
    """Decorate a command whose ``as_json`` parameter is ``--json``: its body runs in :func:`json_output`."""

    def decorate(fn: Callable[P, None]) -> Callable[P, None]:
        @functools.wraps(fn)  # typer reads the signature through __wrapped__
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
            with json_output(bool(kwargs.get("as_json")), command):
                fn(*args, **kwargs)

        return wrapper

    return decorate


def wants_json(argv: list[str]) -> bool:
    """Whether a command line asks for ``--json`` (before ``--``)."""
    args = argv[: argv.index("--")] if "--" in argv else argv
    return "--json" in args


def usage_error(exc: Any) -> int:
    """A command-line usage error (unknown option, bad value) in ``--json`` mode: shown on stderr and as JSON."""
    exc.show()
    emit(
        {
            "command": " ".join(sys.argv[1:2]) or None,
            "status": "error",
            "exit_code": exc.exit_code,
            "paths": {},
            "errors": [exc.format_message()],
        }
    )
    return int(exc.exit_code)
