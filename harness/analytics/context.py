"""What the regulatory, conflict and review analytics need beyond the TCA inputs: the run's manifest and extra tables.

A run folder's ``manifest.json`` holds the resolved scenario: the venues' kinds and fee schedules (take fee, maker
fee or rebate, payment for order flow), the symbols' S&P 500 flags and ticks, and the session date. The optional
tables are the full child orders (prices and timestamps, for quote fade), the per-venue quote history
(``quotes.parquet``), the fast traders' fills and the incentive test's venue shares
(``incentive/venue_shares.parquet``).

Everything here is optional: vendor data has no manifest, so venue payments are unknown (treated as zero where a
figure needs them, and said so in ``notes``), symbols are not in the S&P 500 and ticks are $0.01 ($0.0001 below $1).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from harness.analytics.classify import Side
from harness.analytics.inputs import Column, _read, check_table
from harness.errors import UserError
from harness.scenario.reading import _format_validation_error

DEFAULT_TICK_USD = 0.01
SUB_DOLLAR_TICK_USD = 0.0001


@dataclass(frozen=True)
class VenueTerms:
    """A venue's kind and fee schedule, USD per share: fees > 0 are charges, < 0 rebates; PFOF is paid to the broker."""

    name: str
    kind: str = "lit"
    take_usd: float = 0.0
    make_usd: float = 0.0
    pfof_usd: float = 0.0
    protection: str = "reject"

    @property
    def maker_rebate_usd(self) -> float:
        """The rebate per share for adding liquidity (0 when the venue charges makers)."""
        return max(0.0, -self.make_usd)

    @property
    def taker_rebate_usd(self) -> float:
        """The rebate per share for removing liquidity (inverted venues; 0 otherwise)."""
        return max(0.0, -self.take_usd)

    @property
    def payment_usd(self) -> float:
        """What the venue pays the broker per share for the flow it wants: PFOF plus the maker rebate.

        The same definition as the incentive test's ``payment_usd`` (``harness.workflows.incentive.venue_payment_usd``).
        """
        return self.pfof_usd + self.maker_rebate_usd


@dataclass(frozen=True)
class RunContext:
    """The manifest's venue terms, symbols and date, and the optional extra tables of a run folder."""

    venues: dict[str, VenueTerms] = field(default_factory=dict)
    sp500: dict[str, bool] = field(default_factory=dict)
    tick_usd: dict[str, float] = field(default_factory=dict)
    session_date: dt.date | None = None
    children: pd.DataFrame | None = None
    quotes: pd.DataFrame | None = None
    fast_trader_fills: pd.DataFrame | None = None
    incentive: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()

    @property
    def terms_known(self) -> bool:
        """Whether the venues' fee schedules are known (from the manifest)."""
        return bool(self.venues)

    def tick(self, symbol: str) -> float:
        """The symbol's tick in USD (from the manifest; $0.01 when unknown)."""
        return self.tick_usd.get(symbol, DEFAULT_TICK_USD)


class _Lenient(BaseModel):
    # The manifest carries much more than the analytics read: unknown keys are ignored, known ones are type-checked.
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Fees(_Lenient):
    take_usd: float = 0.0
    make_usd: float = 0.0
    pfof_usd: float = 0.0


class _Venue(_Lenient):
    name: str
    kind: str = "lit"
    fees: _Fees | None = None
    protection: str | None = None


class _Symbol(_Lenient):
    name: str
    sp500: bool = False
    tick_usd: float | None = None
    price_usd: float | None = None


class _Session(_Lenient):
    date: dt.date | None = None


class _Scenario(_Lenient):
    venues: list[_Venue] | None = None
    symbols: list[_Symbol] | None = None
    session: _Session | None = None


class _Manifest(_Lenient):
    scenario: _Scenario | None = None


CHILD_DETAIL_COLUMNS = (
    Column("router", "str"),
    Column("seed", "int"),
    Column("child_id", "int", required=False),
    Column("parent_id", "int"),
    Column("venue", "str"),
    Column("symbol", "str", required=False),
    Column("side", "str", required=False, choices=tuple(Side)),
    Column("tif", "str", required=False, nullable=True),
    Column("qty", "int", non_negative=True),
    Column("limit_price", "float", required=False, nullable=True),
    Column("sent_ts_ns", "int", required=False),
    Column("venue_ts_ns", "int", required=False, nullable=True),  # null: still in flight at the end
    Column("filled_qty", "int", required=False, non_negative=True),
    Column("reject_reason", "str", required=False, nullable=True),
)
FLAG_COLUMNS = ("post_only", "iso", "midpoint_peg")
QUOTE_COLUMNS = (
    Column("router", "str"),
    Column("seed", "int"),
    Column("venue", "str"),
    Column("symbol", "str"),
    Column("ts_ns", "int"),
    Column("bid", "float", nullable=True),
    Column("bid_size", "int", required=False, nullable=True, non_negative=True),
    Column("ask", "float", nullable=True),
    Column("ask_size", "int", required=False, nullable=True, non_negative=True),
)
FAST_FILL_COLUMNS = (
    Column("router", "str"),
    Column("seed", "int"),
    Column("ts_ns", "int"),
    Column("venue", "str"),
    Column("symbol", "str"),
    Column("side", "str", choices=tuple(Side)),
    Column("qty", "int", positive=True),
    Column("price", "float", positive=True),
)
INCENTIVE_COLUMNS = (
    Column("router", "str"),
    Column("channel", "str", required=False),  # absent in folders written before channels: one mixed channel
    Column("twin", "int"),
    Column("rotation", "int", required=False),
    Column("seed", "int"),
    Column("venue", "str"),
    Column("routed_shares", "int", non_negative=True),
    Column("payment_usd", "float"),
)
INCENTIVE_FILE = Path("incentive") / "venue_shares.parquet"


def _flags(raw: pd.DataFrame, label: str) -> dict[str, np.ndarray]:
    """The child orders' boolean flags (False where the column is absent)."""
    out = {}
    for name in FLAG_COLUMNS:
        if name not in raw.columns:
            out[name] = np.zeros(len(raw), dtype=bool)
            continue
        col = raw[name]
        if pd.api.types.is_bool_dtype(col.dtype):
            out[name] = col.fillna(False).to_numpy(dtype=bool)
            continue
        text = col.astype("string").str.strip().str.lower()
        ok = text.isin(["true", "false", "1", "0"]) | text.isna()
        if not ok.all():
            i = int(np.flatnonzero(~ok.to_numpy(dtype=bool))[0])
            raise UserError(f"{label}: row {i + 1}, column {name!r}: {col.iloc[i]!r} is not true or false")
        out[name] = text.isin(["true", "1"]).to_numpy(dtype=bool)
    return out


def _optional_table(path: Path, columns: tuple[Column, ...], label: str) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    raw, source = _read(path, label=label)
    return check_table(raw, columns, source)


def parse_manifest(data: object, *, source: str = "manifest.json") -> tuple[dict[str, VenueTerms], dict[str, bool],
                                                                          dict[str, float], dt.date | None,
                                                                          list[str]]:
    """Venue terms, S&P 500 flags, ticks and session date from a manifest mapping, and notes on what is missing.

    ``source`` names the file in error messages; a malformed known field is a ``UserError`` naming it.
    """
    try:
        manifest = _Manifest.model_validate(data)
    except ValidationError as err:
        raise UserError(_format_validation_error(source, err)) from None
    notes: list[str] = []
    scenario = manifest.scenario or _Scenario()
    venues: dict[str, VenueTerms] = {}
    for v in scenario.venues or []:
        if v.fees is None:
            continue
        venues[v.name] = VenueTerms(name=v.name, kind=v.kind, take_usd=v.fees.take_usd, make_usd=v.fees.make_usd,
                                    pfof_usd=v.fees.pfof_usd, protection=v.protection or "reject")
    if not venues:
        notes.append("no venue fee schedules: venue payments are unknown, treated as zero where a figure needs them "
                     "(the fills' own fee, rebate and PFOF amounts are still used)")
    sp500 = {s.name: s.sp500 for s in scenario.symbols or []}
    ticks = {}
    for s in scenario.symbols or []:
        if s.tick_usd is not None:
            ticks[s.name] = s.tick_usd
        elif s.price_usd is not None:
            ticks[s.name] = DEFAULT_TICK_USD if s.price_usd >= 1.0 else SUB_DOLLAR_TICK_USD
    if not sp500:
        notes.append("no symbol list: every symbol is reported as not in the S&P 500")
    date = scenario.session.date if scenario.session else None
    if date is None:
        notes.append("no session date: the regulatory reports' period is taken from the configuration or today's date")
    return venues, sp500, ticks, date, notes


def load_run_context(folder: Path) -> RunContext:
    """The manifest's venue terms and symbols and the optional extra tables of a run folder (all may be absent)."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    label = str(manifest_path)
    data: object = {}
    if manifest_path.is_file():
        try:
            data = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UserError(f"{label}: not a readable JSON file ({exc})") from None
        if not isinstance(data, dict):
            raise UserError(f"{label}: expected a JSON object at the top level")
    venues, sp500, ticks, date, notes = parse_manifest(data, source=label)
    where = label if manifest_path.is_file() else f"{label} (absent)"
    notes = [f"{where}: {n}" for n in notes]

    children = None
    child_path = folder / "child_orders.parquet"
    if child_path.is_file():
        raw, source = _read(child_path)
        children = check_table(raw, CHILD_DETAIL_COLUMNS, source)
        for name, values in _flags(raw.reset_index(drop=True), source.label).items():
            children[name] = values
    return RunContext(
        venues=venues, sp500=sp500, tick_usd=ticks, session_date=date, children=children,
        quotes=_optional_table(folder / "quotes.parquet", QUOTE_COLUMNS, str(folder / "quotes.parquet")),
        fast_trader_fills=_optional_table(folder / "fast_trader_fills.parquet", FAST_FILL_COLUMNS,
                                          str(folder / "fast_trader_fills.parquet")),
        incentive=_optional_table(folder / INCENTIVE_FILE, INCENTIVE_COLUMNS, str(folder / INCENTIVE_FILE)),
        notes=tuple(notes),
    )
