"""Builders for small hand-made run tables: rows read like the tables themselves."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

MS = 1_000_000


def parents(rows: Iterable[tuple[Any, ...]], *, seed: int = 1, symbol: str = "XYZ") -> pd.DataFrame:
    """Rows (parent_id, side, order_type, qty, limit_price or None, arrival_ms)."""
    return pd.DataFrame(
        [{"seed": seed, "parent_id": pid, "symbol": symbol, "side": side, "order_type": otype, "qty": qty,
          "limit_price": limit, "arrival_ts_ns": int(arrival_ms * MS)}
         for pid, side, otype, qty, limit, arrival_ms in rows],
        columns=["seed", "parent_id", "symbol", "side", "order_type", "qty", "limit_price", "arrival_ts_ns"],
    ).astype({"limit_price": "float64"})


def nbbo(rows: Iterable[tuple[float, float, float]], *, router: str = "R", seed: int = 1,
         symbol: str = "XYZ") -> pd.DataFrame:
    """Rows (ts_ms, bid, ask); sizes 100."""
    return pd.DataFrame(
        [{"router": router, "seed": seed, "symbol": symbol, "ts_ns": int(ts * MS), "bid": bid, "bid_size": 100,
          "ask": ask, "ask_size": 100} for ts, bid, ask in rows],
        columns=["router", "seed", "symbol", "ts_ns", "bid", "bid_size", "ask", "ask_size"],
    )


def fills(rows: Iterable[tuple[Any, ...]], *, router: str = "R", seed: int = 1, symbol: str = "XYZ",
          sides: dict[int, str] | None = None) -> pd.DataFrame:
    """Rows (parent_id, child_id, venue, exec_ms, qty, price, liquidity, fee_usd signed)."""
    sides = sides or {}
    return pd.DataFrame(
        [{"router": router, "seed": seed, "parent_id": pid, "child_id": cid, "venue": venue, "symbol": symbol,
          "side": sides.get(pid, "buy"), "exec_ts_ns": int(ms * MS), "qty": qty, "price": price, "liquidity": liq,
          "fee_usd": fee} for pid, cid, venue, ms, qty, price, liq, fee in rows],
        columns=["router", "seed", "parent_id", "child_id", "venue", "symbol", "side", "exec_ts_ns", "qty", "price",
                 "liquidity", "fee_usd"],
    )


def children(rows: Iterable[tuple[Any, ...]], *, router: str = "R", seed: int = 1,
             symbol: str = "XYZ") -> pd.DataFrame:
    """Rows (child_id, parent_id, venue, tif, qty, filled_qty)."""
    return pd.DataFrame(
        [{"router": router, "seed": seed, "child_id": cid, "parent_id": pid, "venue": venue, "symbol": symbol,
          "side": "buy", "order_type": "limit", "tif": tif, "post_only": False, "qty": qty, "limit_price": 10.0,
          "sent_ts_ns": 0, "venue_ts_ns": 0, "filled_qty": filled, "cancelled_qty": qty - filled,
          "status": "done", "reject_reason": None} for cid, pid, venue, tif, qty, filled in rows])


def write_run(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Write ``{name: frame}`` as ``folder/name.parquet``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True)
