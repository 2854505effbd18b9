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


def _format_validation_error(source: str, err: ValidationError) -> str:
    first = err.errors()[0]
    msg = first["msg"]
    ctx_err = (first.get("ctx") or {}).get("error")
    if isinstance(ctx_err, _FieldError):
        at = _loc_text(tuple(first["loc"])) if first["loc"] else ""
        loc = ctx_err.loc if not at else at + (ctx_err.loc if ctx_err.loc.startswith("[") else f".{ctx_err.loc}")
        return f"{source}: {loc}: {ctx_err.msg}"
    loc = _loc_text(tuple(first["loc"]))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    shown = first.get("input")
    more = f" (and {len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    if first["type"] in {"missing"}:
        return f"{source}: {loc}: required field is missing{more}"
    if isinstance(shown, (dict, list)):
        return f"{source}: {loc}: {msg}{more}"
    return f"{source}: {loc}: {msg} (got {shown!r}){more}"


def read_toml(path: Path, *, what: str = "file") -> dict[str, Any]:
    """A TOML file's contents; one-line UserErrors for a missing file, bad TOML or bad UTF-8."""
    if not path.is_file():
        raise UserError(f"{path}: {what} not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise UserError(f"{path}: not valid TOML: {err}") from None
    except UnicodeDecodeError as err:
        raise UserError(f"{path}: not UTF-8 text: {err.reason} at byte {err.start}") from None
