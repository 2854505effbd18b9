"""Reading TOML files and turning a pydantic validation error into one line naming the file, the field and the value.

Shared by every strict file the harness reads (scenarios, suites, review policies).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.errors import UserError
from harness.scenario.strict import _FieldError


def _loc_text(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in {"constant", "normal", "lognormal", "empirical"}:
            continue  # discriminated-union tag pydantic inserts into the path
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _error_line(source: str, error: Any) -> str:
    """One pydantic error as ``file: field: message (got value)``."""
    msg = error["msg"]
    ctx_err = (error.get("ctx") or {}).get("error")
    if isinstance(ctx_err, _FieldError):
        at = _loc_text(tuple(error["loc"])) if error["loc"] else ""
        loc = ctx_err.loc if not at else at + (ctx_err.loc if ctx_err.loc.startswith("[") else f".{ctx_err.loc}")
        return f"{source}: {loc}: {ctx_err.msg}"
    loc = _loc_text(tuple(error["loc"]))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if error["type"] == "extra_forbidden":
        msg = "unknown key"
    shown = error.get("input")
    if error["type"] in {"missing"}:
        return f"{source}: {loc}: required field is missing"
    if isinstance(shown, (dict, list)):
        return f"{source}: {loc}: {msg}"
    return f"{source}: {loc}: {msg} (got {shown!r})"


class FileErrors(UserError):
    """Every mistake found in one file, one line each (``lines``); as a message, the first and how many more.

    ``sorbench validate`` prints every line; other commands print the one-line message.
    """

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
        super().__init__(lines[0] + more)


def validation_errors(source: str, err: ValidationError) -> FileErrors:
    """A pydantic validation error as :class:`FileErrors`: every error, each naming the file, the field and value."""
    return FileErrors(list(dict.fromkeys(_error_line(source, e) for e in err.errors())))


def _format_validation_error(source: str, err: ValidationError) -> str:
    """The first error of ``err`` as one line, with how many more there are."""
    return str(validation_errors(source, err))


MAX_TOML_BYTES = 16 << 20
"""The largest TOML file read (16 MiB): a scenario, suite, policy or router configuration is a few kilobytes."""
MAX_TOML_DEPTH = 32
"""The deepest nesting of tables and arrays a TOML file may have (sorbench's own files need fewer than 6)."""


def read_toml(path: Path, *, what: str = "file") -> dict[str, Any]:
    """A TOML file's contents; one-line UserErrors for a missing or non-regular file, bad TOML or bad UTF-8.

    A UTF-8 byte order mark is skipped (editors on Windows write one). A directory, FIFO or device (``/dev/zero``)
    is refused without reading it, as are files over :data:`MAX_TOML_BYTES` and nesting deeper than
    :data:`MAX_TOML_DEPTH` (which would otherwise exhaust the parser's recursion).
    """
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:
        raise UserError(f"{path}: {what} not found") from None
    if stat.S_ISDIR(mode):
        raise UserError(f"{path}: is a directory, not a {what}")
    if not stat.S_ISREG(mode):
        raise UserError(f"{path}: not a regular file (a FIFO, socket or device), not a {what}")
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_TOML_BYTES + 1)
    except OSError as err:
        raise UserError(f"{path}: cannot read the {what}: {err.strerror or err}") from None
    if len(raw) > MAX_TOML_BYTES:
        raise UserError(f"{path}: larger than {MAX_TOML_BYTES >> 20} MiB, not a {what}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UserError(f"{path}: not UTF-8 text: {err.reason} at byte {err.start}") from None
    _check_depth(text, path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise UserError(f"{path}: not valid TOML: {err}") from None
    except RecursionError:
        raise UserError(f"{path}: not valid TOML: nested more than Python can parse") from None


def _check_depth(text: str, path: Path) -> None:
    """Refuse nesting of inline tables and arrays deeper than :data:`MAX_TOML_DEPTH` (brackets outside strings)."""
    depth = 0
    quote = ""
    line = 1
    for ch in text:
        if ch == "\n":
            line += 1
            if quote in ('"', "'"):
                quote = ""  # a basic or literal string ends at the line (multi-line strings are rare here)
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "#":
            quote = "\n"  # a comment runs to the end of the line
        elif ch in "[{":
            depth += 1
            if depth > MAX_TOML_DEPTH:
                raise UserError(f"{path}: line {line}: nested deeper than {MAX_TOML_DEPTH} levels")
        elif ch in "]}":
            depth = max(depth - 1, 0)
