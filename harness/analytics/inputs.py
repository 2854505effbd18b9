"""Reading and checking the analytics' input tables: a run folder's Parquet files, or a vendor's CSV/Parquet files.

Every problem is reported as one line naming the file, the row (data rows count from 1; a CSV's line number, which
counts the header, is given too), the column and the bad value, as a ``UserError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from adapters.contract import MAX_ORDER_QTY, MAX_PRICE
from harness.analytics.classify import Liquidity, OrderType, Side, Tif
from harness.analytics.common_market import COMMON_NBBO_FILE
from harness.analytics.orders import ORDER_KEYS
from harness.errors import UserError
from venues.types import PRICE_SCALE

MAX_PRICE_USD = MAX_PRICE / PRICE_SCALE

DEFAULT_ROUTER = "vendor"
DEFAULT_SEED = 0

Kind = Literal["int", "float", "str"]


@dataclass(frozen=True)
class Column:
    """One input column: its type, whether the file must have it, may leave it empty, and its allowed values."""

    name: str
    kind: Kind
    required: bool = True
    nullable: bool = False
    choices: tuple[str, ...] = ()
    positive: bool = False
    non_negative: bool = False
    maximum: float | None = None
    """The largest value allowed (quantities and prices: the contract's limits, adapters.contract)."""


def _parent_columns(*, run_folder: bool) -> tuple[Column, ...]:
    return (
        Column("router", "str", required=False),
        Column("seed", "int", required=run_folder),
        Column("parent_id", "int"),
        Column("client_order_id", "str", required=False),
        Column("symbol", "str"),
        Column("side", "str", choices=tuple(Side)),
        Column("order_type", "str", choices=tuple(OrderType)),
        Column("tif", "str", required=False, nullable=True, choices=tuple(Tif)),
        Column("qty", "int", positive=True, maximum=MAX_ORDER_QTY),
        Column("limit_price", "float", required=False, nullable=True, positive=True, maximum=MAX_PRICE_USD),
        Column("arrival_ts_ns", "int"),
    )


def _fill_columns(*, run_folder: bool) -> tuple[Column, ...]:
    return (
        Column("router", "str", required=run_folder),
        Column("seed", "int", required=run_folder),
        Column("parent_id", "int"),
        Column("child_id", "int", required=False, nullable=True),
        Column("venue", "str"),
        Column("symbol", "str", required=False),
        Column("side", "str", required=False, choices=tuple(Side)),
        Column("exec_ts_ns", "int"),
        Column("qty", "int", positive=True, maximum=MAX_ORDER_QTY),
        Column("price", "float", positive=True, maximum=MAX_PRICE_USD),
        Column("liquidity", "str", required=False, nullable=True, choices=tuple(Liquidity)),
        Column("fee_usd", "float", required=False, nullable=True),
        Column("rebate_usd", "float", required=False, nullable=True, non_negative=True),
        Column("pfof_usd", "float", required=False, nullable=True, non_negative=True),
    )


def _quote_columns(*, run_folder: bool) -> tuple[Column, ...]:
    return (
        Column("router", "str", required=run_folder),
        Column("seed", "int", required=run_folder),
        Column("symbol", "str"),
        Column("ts_ns", "int"),
        Column("bid", "float", nullable=True, positive=True),
        Column("bid_size", "int", required=False, nullable=True, non_negative=True),
        Column("ask", "float", nullable=True, positive=True),
        Column("ask_size", "int", required=False, nullable=True, non_negative=True),
    )


CHILD_COLUMNS = (
    Column("router", "str"),
    Column("seed", "int"),
    Column("parent_id", "int"),
    Column("venue", "str"),
    Column("tif", "str", nullable=True),
    Column("qty", "int", non_negative=True),
)
VENUE_COLUMNS = (Column("venue", "str"), Column("kind", "str", required=False, nullable=True))


@dataclass(frozen=True)
class Source:
    """Where a table came from, for error messages."""

    label: str
    csv: bool = False

    def where(self, i: int, column: str) -> str:
        """``file: row N (line N+1), column 'c'`` for the 0-based row ``i``."""
        line = f" (line {i + 2})" if self.csv else ""
        return f"{self.label}: row {i + 1}{line}, column {column!r}"


@dataclass(frozen=True)
class TcaInputs:
    """Checked input tables.

    Parents (one row per router x seed x parent), fills (with fee, rebate and PFOF columns), the NBBO history, and
    the child orders and venue list when available. ``common_nbbo`` is the common market's NBBO history (each seed
    simulated with no router flow, ``common/nbbo.parquet``) of a run folder that has one; None for vendor files,
    FIX logs and older run folders (see :mod:`harness.analytics.common_market`).
    """

    parents: pd.DataFrame
    fills: pd.DataFrame
    nbbo: pd.DataFrame
    children: pd.DataFrame | None = None
    venues: pd.DataFrame | None = None
    common_nbbo: pd.DataFrame | None = None
    date: str | None = None
    """The New York day of a vendor's data when its timestamps gave one (ISO or epoch), for the output's times."""
    clock_zone: str = "America/New_York"
    """The clock the ns columns count in from midnight of ``date`` (a FIX log's: UTC)."""


def _bad(source: Source, i: int, column: str, problem: str) -> UserError:
    return UserError(f"{source.where(i, column)}: {problem}")


def _show(value: object) -> str:
    """A cell as the user wrote it: text quoted, numbers plain."""
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _text(raw: pd.Series) -> pd.Series:
    """Cells as stripped text (pandas ``string``; missing stays missing)."""
    return raw.astype("string").str.strip()


def _is_text(raw: pd.Series) -> bool:
    return raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype)


def _parse_int(raw: pd.Series, source: Source, col: Column) -> pd.Series:
    """Whole numbers, exactly (int64 timestamps do not pass through floats); ``Int64`` with gaps."""
    present = raw.notna().to_numpy(dtype=bool)
    if pd.api.types.is_bool_dtype(raw.dtype):
        raise _bad(source, 0, col.name, f"{_show(raw.iloc[0])} is not a whole number")
    if pd.api.types.is_integer_dtype(raw.dtype):
        return raw.astype("Int64")
    if pd.api.types.is_float_dtype(raw.dtype):
        v = raw.to_numpy(np.float64, na_value=np.nan)
        bad = present & ~(np.isfinite(v) & (np.floor(v) == v) & (np.abs(v) < 2**63))
        if bad.any():
            i = _first(bad)
            raise _bad(source, i, col.name, f"{_show(raw.iloc[i])} is not a whole number")
        return raw.astype("Int64")
    text = _text(raw)
    digits = text.str.fullmatch(r"[+-]?\d+").fillna(False).to_numpy(dtype=bool)
    long = digits & (text.str.len().fillna(0).to_numpy() > 18)
    for k in np.flatnonzero(long):  # only these can be beyond int64 (Python's int reads them exactly)
        if len(text.iloc[k]) > 40 or not -(2**63) <= int(text.iloc[k]) < 2**63:
            raise _bad(source, int(k), col.name, f"{_show(raw.iloc[k])} is beyond the 64-bit integer range")
    other = present & ~digits  # e.g. "100.0" from a spreadsheet: a float that must be whole and exact
    as_float = pd.to_numeric(text.where(other), errors="coerce").to_numpy(np.float64, na_value=np.nan)
    whole = np.isfinite(as_float) & (np.floor(as_float) == as_float) & (np.abs(as_float) < 2**53)
    bad = other & ~whole
    if bad.any():
        i = _first(bad)
        raise _bad(source, i, col.name, f"{_show(raw.iloc[i])} is not a whole number")
    out = pd.Series(pd.NA, index=raw.index, dtype="Int64")
    out[digits] = text[digits].str.replace(r"^\+", "", regex=True).astype("Int64")
    out[other] = pd.Series(as_float[other], index=raw.index[other]).astype("Int64")
    return out


def _parse_float(raw: pd.Series, source: Source, col: Column) -> pd.Series:
    present = raw.notna().to_numpy(dtype=bool)
    if pd.api.types.is_bool_dtype(raw.dtype):
        num = pd.Series(np.nan, index=raw.index)
    elif pd.api.types.is_numeric_dtype(raw.dtype):
        num = raw
    else:
        num = pd.to_numeric(_text(raw), errors="coerce")
    v = num.to_numpy(np.float64, na_value=np.nan)
    bad = present & ~np.isfinite(v)
    if bad.any():
        i = _first(bad)
        raise _bad(source, i, col.name, f"{_show(raw.iloc[i])} is not a number")
    return pd.Series(v, index=raw.index)


def _parse_str(raw: pd.Series, source: Source, col: Column) -> pd.Series:
    text = _text(raw)
    if col.choices:
        text = text.str.lower()
        bad = (text.notna() & ~text.isin(col.choices)).to_numpy(dtype=bool)
        if bad.any():
            i = _first(bad)
            raise _bad(source, i, col.name, f"{_show(raw.iloc[i])} is not one of {', '.join(col.choices)}")
    return text.astype("str")


def check_table(frame: pd.DataFrame, columns: Sequence[Column], source: Source) -> pd.DataFrame:
    """The frame's known columns parsed to their types and checked; unknown columns are dropped.

    Integers become ``int64`` (``Int64`` in nullable columns), floats ``float64`` (NaN for empty), strings
    ``str`` (stripped; choice columns lower-cased). A cell of only blanks is empty.
    """
    frame = frame.reset_index(drop=True)
    out: dict[str, pd.Series] = {}
    for col in columns:
        if col.name not in frame.columns:
            if col.required:
                raise UserError(f"{source.label}: missing column {col.name!r}")
            continue
        raw = frame[col.name]
        empty = raw.isna().to_numpy(dtype=bool)
        if _is_text(raw):
            empty = empty | _text(raw).eq("").fillna(False).to_numpy(dtype=bool)
            raw = raw.astype(object).where(~empty, None)
        if not col.nullable and empty.any():
            raise _bad(source, _first(empty), col.name, "is empty")
        if col.kind == "int":
            val = _parse_int(raw, source, col)
            val = val if col.nullable else val.astype(np.int64)
        elif col.kind == "float":
            val = _parse_float(raw, source, col)
        else:
            val = _parse_str(raw, source, col)
        if col.kind != "str" and (col.positive or col.non_negative):
            v = val.to_numpy(np.float64, na_value=np.nan)
            bad = (v <= 0) if col.positive else (v < 0)
            if bad.any():
                i = _first(bad)
                raise _bad(source, i, col.name, f"{_show(raw.iloc[i])} must be {'> 0' if col.positive else '>= 0'}")
        if col.maximum is not None:
            over = val.to_numpy(np.float64, na_value=np.nan) > col.maximum
            if over.any():
                i = _first(over)
                raise _bad(source, i, col.name, f"{_show(raw.iloc[i])} is more than the largest allowed, "
                                                f"{col.maximum:,.0f}")
        out[col.name] = val
    return pd.DataFrame(out, index=frame.index)


def normalize_fills(fills: pd.DataFrame) -> pd.DataFrame:
    """Fills with ``fee_usd`` (charged, >= 0), ``rebate_usd`` (received, >= 0) and ``pfof_usd`` (>= 0), all totals.

    Without ``rebate_usd`` and ``pfof_usd`` columns, ``fee_usd`` is read as the simulator's signed fee (a negative
    amount is a rebate) and PFOF is 0. Empty amounts are 0.
    """
    f = fills.copy()
    fee = f["fee_usd"].astype(np.float64).fillna(0.0) if "fee_usd" in f.columns else pd.Series(0.0, index=f.index)
    if "rebate_usd" in f.columns or "pfof_usd" in f.columns:
        f["fee_usd"] = fee
        for col in ("rebate_usd", "pfof_usd"):
            f[col] = f[col].astype(np.float64).fillna(0.0) if col in f.columns else 0.0
    else:
        f["fee_usd"] = fee.clip(lower=0.0)
        f["rebate_usd"] = (-fee).clip(lower=0.0)
        f["pfof_usd"] = 0.0
    return f


def _check_fee_signs(fills: pd.DataFrame, source: Source) -> None:
    if "rebate_usd" in fills.columns or "pfof_usd" in fills.columns:
        fee = fills.get("fee_usd")
        if fee is not None:
            bad = (fee.to_numpy(np.float64) < 0)
            if bad.any():
                i = _first(bad)
                raise _bad(source, i, "fee_usd",
                           f"{_show(fee.iloc[i])} must be >= 0 when rebate_usd/pfof_usd are given")


def _check_orders(parents: pd.DataFrame, source: Source) -> None:
    dup = parents.duplicated(ORDER_KEYS, keep="first").to_numpy()
    if dup.any():
        i = _first(dup)
        raise _bad(source, i, "parent_id", f"order {parents['parent_id'].iloc[i]} appears twice")
    no_limit = ((parents["order_type"] == OrderType.LIMIT.value) & parents["limit_price"].isna()).to_numpy()
    if no_limit.any():
        raise _bad(source, _first(no_limit), "limit_price", "is empty for a limit order")


def _check_fills(fills: pd.DataFrame, parents: pd.DataFrame, source: Source, orders_label: str) -> None:
    keys = parents[[*ORDER_KEYS, "qty", "arrival_ts_ns", "symbol", "side"]].rename(
        columns={"qty": "_order_qty", "symbol": "_symbol", "side": "_side"})
    m = fills[[*ORDER_KEYS, "exec_ts_ns", "qty", *(c for c in ("symbol", "side") if c in fills.columns)]].merge(
        keys, on=ORDER_KEYS, how="left")
    missing = m["_order_qty"].isna().to_numpy()
    if missing.any():
        i = _first(missing)
        raise _bad(source, i, "parent_id", f"{fills['parent_id'].iloc[i]} is not an order in {orders_label}"
                   + (f" (router {fills['router'].iloc[i]!r}, seed {fills['seed'].iloc[i]})"
                      if parents["router"].nunique() > 1 or parents["seed"].nunique() > 1 else ""))
    for col in ("symbol", "side"):
        if col in m.columns:
            bad = (m[col] != m[f"_{col}"]).to_numpy()
            if bad.any():
                i = _first(bad)
                theirs = _show(m[f"_{col}"].iloc[i])
                raise _bad(source, i, col, f"{_show(m[col].iloc[i])} differs from the order's {theirs}")
    early = (m["exec_ts_ns"].to_numpy(np.int64) < m["arrival_ts_ns"].to_numpy(np.int64))
    if early.any():
        i = _first(early)
        raise _bad(source, i, "exec_ts_ns",
                   f"{m['exec_ts_ns'].iloc[i]} is before the order's arrival_ts_ns {m['arrival_ts_ns'].iloc[i]}")
    cum = m.groupby(ORDER_KEYS, sort=False)["qty"].cumsum().to_numpy(np.int64)
    over = cum > m["_order_qty"].to_numpy(np.int64)
    if over.any():
        i = _first(over)
        raise _bad(source, i, "qty", f"fills of order {m['parent_id'].iloc[i]} reach {cum[i]} shares, more than its "
                   f"{int(m['_order_qty'].iloc[i])}")


def _read(path: Path, *, label: str | None = None) -> tuple[pd.DataFrame, Source]:
    """Read a CSV (every cell as text) or Parquet file."""
    source = Source(label or str(path), csv=path.suffix.lower() == ".csv")
    if not path.is_file():
        raise UserError(f"{source.label}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            raise UserError(f"{source.label}: unknown format {suffix!r} (expected .csv or .parquet)")
    except (ValueError, OSError, pa.ArrowException, pd.errors.ParserError) as exc:
        kind = "CSV" if suffix == ".csv" else "Parquet"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{source.label}: not a readable {kind} file ({first})") from None
    return frame, source


def expand_parents(parents: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per router x seed x parent: each seed's parents for every (router, seed) in ``runs``."""
    return runs[["router", "seed"]].drop_duplicates().merge(parents.drop(columns=["router"], errors="ignore"),
                                                            on="seed", how="inner")


def load_run_folder(folder: Path) -> TcaInputs:
    """The checked tables of a run folder written by ``sorbench run``.

    Parents are expanded to every (router, seed) run found in the NBBO, fill or child-order tables; a seed whose run
    failed for a router has no rows there and is left out for that router. The common market's NBBO
    (``common/nbbo.parquet``) is read and checked when the folder has it; it adds no runs.
    """
    if not folder.is_dir():
        raise UserError(f"{folder}: not a run folder (no such directory)")
    parents_raw, ps = _read(folder / "parent_orders.parquet")
    fills_raw, fs = _read(folder / "fills.parquet")
    nbbo_raw, ns = _read(folder / "nbbo.parquet")
    parents = check_table(parents_raw, _parent_columns(run_folder=True), ps)
    fills = check_table(fills_raw, _fill_columns(run_folder=True), fs)
    nbbo = check_table(nbbo_raw, _quote_columns(run_folder=True), ns)
    children = None
    if (folder / "child_orders.parquet").is_file():
        children_raw, cs = _read(folder / "child_orders.parquet")
        children = check_table(children_raw, CHILD_COLUMNS, cs)
    venues = None
    if (folder / "venues.parquet").is_file():
        venues_raw, vs = _read(folder / "venues.parquet")
        venues = check_table(venues_raw, VENUE_COLUMNS, vs)
    common = None
    if (folder / COMMON_NBBO_FILE).is_file():  # optional: run folders written before the common market have none
        common_raw, cms = _read(folder / COMMON_NBBO_FILE)
        common = check_table(common_raw, _quote_columns(run_folder=True), cms)
    runs = pd.concat([t[["router", "seed"]] for t in (nbbo, fills, children) if t is not None], ignore_index=True)
    expanded = expand_parents(parents, runs)
    _check_orders(expanded, ps)
    _check_fee_signs(fills, fs)
    _check_fills(fills, expanded, fs, ps.label)
    return TcaInputs(parents=expanded, fills=normalize_fills(fills), nbbo=nbbo, children=children, venues=venues,
                     common_nbbo=common)


def _default_run_keys(frame: pd.DataFrame, parents: pd.DataFrame, source: Source, orders_label: str) -> pd.DataFrame:
    for col, default in (("router", DEFAULT_ROUTER), ("seed", DEFAULT_SEED)):
        if col in frame.columns:
            continue
        values = parents[col].unique()
        if len(values) > 1:
            raise UserError(f"{source.label}: missing column {col!r} ({orders_label} has several {col}s)")
        frame[col] = values[0] if len(values) else default
    return frame


def load_vendor_files(orders: Path, fills: Path, quotes: Path) -> TcaInputs:
    """Checked tables from a vendor's own orders, fills and quotes (CSV or Parquet; columns in docs/analytics.md).

    Orders without ``router`` / ``seed`` are router "vendor", seed 0. Fills without them take the orders' (which
    must then have one router and one seed). Quotes without them are the market of every router / seed.
    """
    parents_raw, ps = _read(orders)
    fills_raw, fs = _read(fills)
    quotes_raw, qs = _read(quotes)
    return vendor_inputs(parents_raw, fills_raw, quotes_raw, sources=(ps, fs, qs))


def read_table(path: Path, *, label: str | None = None) -> tuple[pd.DataFrame, Source]:
    """A vendor's CSV (every cell as text) or Parquet file and its ``Source``; one-line ``UserError`` if unreadable."""
    return _read(path, label=label)


def vendor_inputs(parents_raw: pd.DataFrame, fills_raw: pd.DataFrame, quotes_raw: pd.DataFrame | None, *,
                  sources: tuple[Source, Source, Source]) -> TcaInputs:
    """Checked tables from a vendor's orders, fills and quotes already in memory (e.g. parsed from a FIX log).

    The checks and defaults of ``load_vendor_files``; ``quotes_raw`` None means no quotes: an empty NBBO history,
    so every NBBO-dependent figure is NaN.
    """
    ps, fs, qs = sources
    parents = check_table(parents_raw, _parent_columns(run_folder=False), ps)
    if "router" not in parents.columns:
        parents["router"] = DEFAULT_ROUTER
    if "seed" not in parents.columns:
        parents["seed"] = np.int64(DEFAULT_SEED)
    f = _default_run_keys(check_table(fills_raw, _fill_columns(run_folder=False), fs), parents, fs, ps.label)
    if quotes_raw is None:
        quotes_raw = pd.DataFrame({"symbol": pd.Series([], dtype=object), "ts_ns": pd.Series([], dtype=np.int64),
                                   "bid": pd.Series([], dtype=np.float64), "ask": pd.Series([], dtype=np.float64)})
    nbbo = check_table(quotes_raw, _quote_columns(run_folder=False), qs)
    _check_orders(parents, ps)
    _check_fee_signs(f, fs)
    _check_fills(f, parents, fs, ps.label)
    return TcaInputs(parents=parents, fills=normalize_fills(f), nbbo=nbbo)
