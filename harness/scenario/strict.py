"""The strict base of every scenario table, the pattern of names, and the error a cross-field check raises."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

_NAME_RE = r"^[A-Za-z][A-Za-z0-9_.\-]{0,31}$"


class _FieldError(ValueError):
    """A cross-field check failed at a known location (relative to the model whose validator raised it)."""

    def __init__(self, loc: str, msg: str) -> None:
        super().__init__(f"{loc}: {msg}")
        self.loc = loc
        self.msg = msg


class _Strict(BaseModel):
    # strict: TOML has real types, so "150000" or true where a number belongs is a mistake, not something to coerce;
    # no inf/nan: no quantity here can be infinite, and nan slips past every range check.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False, validate_default=True)
