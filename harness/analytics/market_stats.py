"""Market statistics from a run's tables (or from LOBSTER files, see :mod:`harness.io.lobster`): pure pandas/numpy.

The same functions serve the simulated market and real data, so the two can be put side by side. Every function takes
plain DataFrames and returns a new one; nothing here knows about simpy, venues' books or run folders.

Input tables
------------
quotes
    Top-of-book history, one row per state change: ``venue, symbol, ts_ns, bid, bid_size, ask, ask_size``. Prices
    are USD floats, NaN for an empty side (its size 0); ``ts_ns`` is when the state came into force, and a state
    stays in force until the next row of the same (venue, symbol). The run folder's ``quotes.parquet`` holds every
    venue's history in this schema (plus ``router`` and ``seed``). The consolidated NBBO is passed in the same
    schema with ``venue = "ALL"`` (``nbbo.parquet`` has no venue column: add it); it feeds the ``ALL`` rows.
trades
    The tape, one row per execution (one resting order filled by one incoming order): ``symbol, venue, ts_ns,
    price, qty, aggressor`` (``"buy"`` or ``"sell"``: the side of the incoming order), optionally
    ``router_involved`` (as ``trades.parquet``).
activity
    Message counters per (symbol, venue) over the window: ``messages`` (new + cancel + replace requests reaching the
    venue), ``new_orders``, ``cancels`` (full and partial), ``replaces``, ``passive_orders`` (limit orders that
    rested in the book) and ``passive_orders_filled`` (of those, how many got any fill before leaving the book).

Conventions
-----------
* The window ``[start_ns, end_ns)`` bounds everything: trades outside it are dropped, quote states are clipped to
  it (a state set before the start counts from the start), activity counters are taken to cover it.
* Quote figures are *time-weighted*: each state weighs the time it was in force inside the window. Only two-sided
  states count (both bid and ask present); locked or crossed states count with their (zero or negative) spread.
  The median spread is the lower time-weighted median (the smallest spread in force at least half of the two-sided
  time). Spreads in ticks are rounded to 1e-6 tick so float prices compare exactly with whole ticks.
* Per-minute rates divide by the window's length in minutes. Ratios with a zero denominator are NaN, as is any
  figure whose input is missing (no quotes for a venue, no activity row).
* An ``ALL`` row per symbol takes spread, depth and volatility from the ``ALL`` quotes (the NBBO), trade figures from
  the whole tape of the symbol and activity from the sum over its venues.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

ALL_VENUES = "ALL"
"""Venue name of the per-symbol consolidated row (the NBBO in ``quotes``; the whole tape; summed activity)."""

NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND

QUOTE_COLUMNS = ("venue", "symbol", "ts_ns", "bid", "bid_size", "ask", "ask_size")
"""Columns ``market_stats`` needs in ``quotes``."""
TRADE_COLUMNS = ("symbol", "venue", "ts_ns", "price", "qty", "aggressor")
"""Columns ``market_stats`` needs in ``trades`` (``router_involved`` is optional)."""
ACTIVITY_COLUMNS = (
    "symbol", "venue", "messages", "new_orders", "cancels", "replaces", "passive_orders", "passive_orders_filled",
)
"""Columns ``market_stats`` needs in ``activity``."""
STATS_COLUMNS = (
    "symbol", "venue", "mean_spread_ticks", "median_spread_ticks", "share_time_one_tick", "mean_depth_shares",
    "trades_per_min", "messages_per_min", "cancel_to_trade", "return_vol_1min", "volume_share", "passive_fill_prob",
    "mean_spread_bps",
)
"""Columns of the ``market_stats`` result, in order."""

DEFAULT_MARKOUT_HORIZONS_NS = (100_000_000, 1_000_000_000, 5_000_000_000)
"""100 ms, 1 s and 5 s."""

_SPREAD_DECIMALS = 6


# ---------------------------------------------------------------------------------------------------- validation
def _require(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {', '.join(missing)} (has: {', '.join(map(str, frame.columns))})")


def _check_window(window: tuple[int, int]) -> tuple[int, int]:
    start, end = int(window[0]), int(window[1])
    if end <= start:
        raise ValueError(f"window: end {end} must be after start {start}")
    return start, end


# ---------------------------------------------------------------------------------------------------- helpers
def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """Lower weighted median: the smallest value whose cumulative weight reaches half the total.

    Parameters
    ----------
    values, weights : numpy.ndarray
        Equal-length arrays; weights non-negative with a positive sum.

    Returns
    -------
    float
        NaN when there is no positive weight.
    """
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    total = weights.sum()
    if not values.size or total <= 0:
        return math.nan
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    # A tiny tolerance so that exactly half the weight counts as "reaching" half despite float sums.
    i = int(np.searchsorted(cum, 0.5 * total * (1 - 1e-12), side="left"))
    return float(values[order][min(i, len(values) - 1)])


def _state_weights(ts: np.ndarray, start: int, end: int) -> np.ndarray:
    """Time (ns) each state of a sorted history is in force inside ``[start, end)``."""
    t0 = np.clip(ts, start, end)
    t1 = np.append(t0[1:], end)
    return (t1 - t0).astype(float)


def _grid_mid_returns_bps(ts: np.ndarray, mid: np.ndarray, start: int, end: int) -> np.ndarray:
    """Log returns (bps) of the mid sampled as of each whole minute from ``start`` to ``end``; NaNs dropped."""
    n = (end - start) // NS_PER_MINUTE
    grid = start + np.arange(n + 1, dtype=np.int64) * NS_PER_MINUTE
    idx = np.searchsorted(ts, grid, side="right") - 1
    sampled = np.where(idx >= 0, mid[np.maximum(idx, 0)], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.diff(np.log(sampled)) * 1e4
    return r[np.isfinite(r)]


def _quote_figures(q: pd.DataFrame, tick: float, start: int, end: int) -> dict[str, float]:
    """Spread, depth and 1-minute volatility of one (venue, symbol) history."""
    nan = math.nan
    out = {
        "mean_spread_ticks": nan, "median_spread_ticks": nan, "share_time_one_tick": nan, "mean_depth_shares": nan,
        "return_vol_1min": nan, "mean_spread_bps": nan,
    }
    if q.empty:
        return out
    q = q.sort_values("ts_ns", kind="stable")
    ts = q["ts_ns"].to_numpy(dtype=np.int64)
    bid = q["bid"].to_numpy(dtype=float)
    ask = q["ask"].to_numpy(dtype=float)
    depth = q["bid_size"].to_numpy(dtype=float) + q["ask_size"].to_numpy(dtype=float)
    two_sided = np.isfinite(bid) & np.isfinite(ask)
    mid = np.where(two_sided, (bid + ask) / 2, np.nan)
    r = _grid_mid_returns_bps(ts, mid, start, end)
    if r.size >= 2:
        out["return_vol_1min"] = float(np.std(r, ddof=1))
    w = _state_weights(ts, start, end)
    valid = two_sided & (w > 0)
    if not valid.any():
        return out
    w = w[valid]
    spread_ticks = np.round((ask[valid] - bid[valid]) / tick, _SPREAD_DECIMALS)
    out["mean_spread_ticks"] = float(np.average(spread_ticks, weights=w))
    out["median_spread_ticks"] = weighted_median(spread_ticks, w)
    out["share_time_one_tick"] = float(w[spread_ticks == 1.0].sum() / w.sum())
    out["mean_depth_shares"] = float(np.average(depth[valid], weights=w))
    out["mean_spread_bps"] = float(np.average((ask[valid] - bid[valid]) / mid[valid] * 1e4, weights=w))
    return out


def _ratio(num: float, den: float) -> float:
    if den == 0 or not np.isfinite(den) or not np.isfinite(num):
        return math.nan
    return float(num) / float(den)


# ---------------------------------------------------------------------------------------------------- market stats
def market_stats(
    *,
    quotes: pd.DataFrame,
    trades: pd.DataFrame,
    activity: pd.DataFrame,
    ticks: Mapping[str, float],
    window: tuple[int, int],
) -> pd.DataFrame:
    """Per symbol and venue market statistics of one market over ``window`` (module docstring for the inputs).

    Parameters
    ----------
    quotes : pandas.DataFrame
        Top-of-book histories (``QUOTE_COLUMNS``), per venue and, with venue ``"ALL"``, the NBBO.
    trades : pandas.DataFrame
        The tape (``TRADE_COLUMNS``); no venue may be called ``"ALL"``.
    activity : pandas.DataFrame
        Message counters per (symbol, venue) (``ACTIVITY_COLUMNS``); no venue may be called ``"ALL"``.
    ticks : Mapping[str, float]
        Tick size in USD per symbol.
    window : tuple of int
        ``(start_ns, end_ns)``.

    Returns
    -------
    pandas.DataFrame
        One row per symbol and venue, then an ``ALL`` row per symbol; columns ``STATS_COLUMNS``:

        ``mean_spread_ticks``, ``median_spread_ticks``
            Time-weighted mean and lower median of ask - bid over two-sided states, in ticks.
        ``share_time_one_tick``
            Share of two-sided time with a spread of exactly one tick.
        ``mean_depth_shares``
            Time-weighted mean of bid_size + ask_size at the top over two-sided states.
        ``trades_per_min``, ``messages_per_min``
            Executions and messages per minute of the window.
        ``cancel_to_trade``
            (cancels + replaces) / executions (a replace cancels the old order; LOBSTER shows it as a delete).
        ``return_vol_1min``
            Standard deviation (ddof 1) of the 1-minute log returns of the midpoint, in bps, per minute (not
            annualised); the mid is sampled as of ``start + k`` minutes, k = 0..floor(length); samples with a side
            empty are dropped; NaN with fewer than two returns.
        ``volume_share``
            The venue's executed shares / all venues' executed shares in the symbol (1 in the ``ALL`` row).
        ``passive_fill_prob``
            passive_orders_filled / passive_orders: the probability that a limit order which rested gets a fill.
        ``mean_spread_bps``
            Time-weighted mean of (ask - bid) / mid, in bps (compares names of different price).
    """
    _check_stats_tables(quotes, trades, activity)
    start, end = _check_window(window)
    minutes = (end - start) / NS_PER_MINUTE

    tr = trades[(trades["ts_ns"] >= start) & (trades["ts_ns"] < end)]
    symbols = sorted(set(quotes["symbol"]) | set(tr["symbol"]) | set(activity["symbol"]))
    _check_ticks(symbols, ticks)

    quote_groups = {key: g for key, g in quotes.groupby(["symbol", "venue"], sort=False)}
    trade_counts = tr.groupby(["symbol", "venue"]).agg(n=("qty", "size"), volume=("qty", "sum"))
    sym_volumes = tr.groupby("symbol")["qty"].sum()
    act = activity.groupby(["symbol", "venue"])[list(ACTIVITY_COLUMNS[2:])].sum()

    rows: list[dict[str, Any]] = []
    for sym in symbols:
        tick = float(ticks[sym])
        venues = _symbol_venues(sym, quote_groups, tr, activity)
        sym_volume = float(sym_volumes.get(sym, 0.0))
        sym_act = act[act.index.get_level_values(0) == sym]
        for venue in [*venues, ALL_VENUES]:
            row: dict[str, Any] = {"symbol": sym, "venue": venue}
            row.update(_quote_figures(quote_groups.get((sym, venue), quotes.iloc[0:0]), tick, start, end))
            n_trades, volume, counts = _venue_counts(sym, venue, tr=tr, trade_counts=trade_counts,
                                                     sym_volume=sym_volume, sym_act=sym_act, act=act)
            _add_flow_figures(row, n_trades, volume=volume, sym_volume=sym_volume, counts=counts, minutes=minutes)
            rows.append(row)
    return pd.DataFrame(rows, columns=list(STATS_COLUMNS))


def _check_stats_tables(quotes: pd.DataFrame, trades: pd.DataFrame, activity: pd.DataFrame) -> None:
    """:func:`market_stats`' inputs have their columns, and no trade or activity row uses the reserved venue."""
    _require(quotes, QUOTE_COLUMNS, "quotes")
    _require(trades, TRADE_COLUMNS, "trades")
    _require(activity, ACTIVITY_COLUMNS, "activity")
    for frame, name in ((trades, "trades"), (activity, "activity")):
        if (frame["venue"] == ALL_VENUES).any():
            raise ValueError(f"{name}: venue {ALL_VENUES!r} is reserved for the consolidated row")


def _check_ticks(symbols: list[str], ticks: Mapping[str, float]) -> None:
    """Every symbol has a positive tick size."""
    for sym in symbols:
        if sym not in ticks:
            raise ValueError(f"ticks: no tick size for symbol {sym!r}")
        if not ticks[sym] > 0:
            raise ValueError(f"ticks: tick size of {sym!r} must be positive, got {ticks[sym]!r}")


def _symbol_venues(sym: str, quote_groups: Mapping[Any, pd.DataFrame], tr: pd.DataFrame,
                   activity: pd.DataFrame) -> list[str]:
    """The venues (not ``ALL``) with quotes, trades in the window or activity in ``sym``, sorted."""
    return sorted(
        {v for s, v in quote_groups if s == sym and v != ALL_VENUES}
        | set(tr.loc[tr["symbol"] == sym, "venue"])
        | set(activity.loc[activity["symbol"] == sym, "venue"])
    )


def _venue_counts(sym: str, venue: str, *, tr: pd.DataFrame, trade_counts: pd.DataFrame, sym_volume: float,
                  sym_act: pd.DataFrame, act: pd.DataFrame) -> tuple[int, float, pd.Series | None]:
    """Executions, executed shares and activity counters (None without an activity row) of one row."""
    if venue == ALL_VENUES:
        n_trades, volume = len(tr[tr["symbol"] == sym]), sym_volume
        counts = sym_act.sum() if len(sym_act) else None
    else:
        if (sym, venue) in trade_counts.index:
            n_trades = int(trade_counts.loc[(sym, venue), "n"])
            volume = float(trade_counts.loc[(sym, venue), "volume"])
        else:
            n_trades, volume = 0, 0.0
        counts = act.loc[(sym, venue)] if (sym, venue) in act.index else None
    return n_trades, volume, counts


def _add_flow_figures(row: dict[str, Any], n_trades: int, *, volume: float, sym_volume: float,
                      counts: pd.Series | None, minutes: float) -> None:
    """Set a row's trade and activity figures: trades and messages per minute, cancel-to-trade, shares, fill odds."""
    row["trades_per_min"] = n_trades / minutes
    row["volume_share"] = _ratio(volume, sym_volume)
    if counts is None:
        row["messages_per_min"] = row["cancel_to_trade"] = row["passive_fill_prob"] = math.nan
    else:
        row["messages_per_min"] = float(counts["messages"]) / minutes
        row["cancel_to_trade"] = _ratio(float(counts["cancels"] + counts["replaces"]), n_trades)
        row["passive_fill_prob"] = _ratio(float(counts["passive_orders_filled"]),
                                          float(counts["passive_orders"]))


def market_stats_by_run(
    *,
    quotes: pd.DataFrame,
    trades: pd.DataFrame,
    activity: pd.DataFrame,
    ticks: Mapping[str, float],
    window: tuple[int, int],
    keys: Sequence[str] = ("router", "seed"),
) -> pd.DataFrame:
    """:func:`market_stats` of every run in a run folder's tables, with the ``keys`` columns in front.

    Each (router, seed) simulation is its own market (the router's orders change it), so statistics are computed
    per run and never pooled. The runs are those found in any of the three tables, in sorted order.
    """
    for frame, name in ((quotes, "quotes"), (trades, "trades"), (activity, "activity")):
        _require(frame, list(keys), name)
    return each_run({"quotes": quotes, "trades": trades, "activity": activity}, keys,
                    lambda **t: market_stats(**t, ticks=ticks, window=window), columns=STATS_COLUMNS)


def each_run(tables: Mapping[str, pd.DataFrame], keys: Sequence[str], compute: Callable[..., pd.DataFrame], *,
             columns: Sequence[str], extra: Mapping[str, pd.DataFrame | None] | None = None) -> pd.DataFrame:
    """``compute(**tables)`` for every run found in ``tables``, with the ``keys`` columns in front, concatenated.

    Each table (and each of ``extra``, which does not add runs) is narrowed to the run's rows; the runs are sorted.
    Without any run, an empty frame of ``keys`` + ``columns``.
    """
    keys = list(keys)
    runs = sorted({tuple(k) for f in tables.values() for k in f[keys].drop_duplicates().itertuples(
        index=False, name=None)})

    def pick(frame: pd.DataFrame, run: tuple[Any, ...]) -> pd.DataFrame:
        mask = np.ones(len(frame), dtype=bool)
        for k, v in zip(keys, run, strict=True):
            mask &= (frame[k] == v).to_numpy()
        return frame[mask]

    parts = []
    for run in runs:
        narrowed = {n: pick(f, run) for n, f in tables.items()}
        narrowed |= {n: None if f is None else pick(f, run) for n, f in (extra or {}).items()}
        part = compute(**narrowed)
        for i, (k, v) in enumerate(zip(keys, run, strict=True)):
            part.insert(i, k, v)
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*keys, *columns])
    return pd.concat(parts, ignore_index=True)


def side_by_side(tables: Mapping[str, pd.DataFrame], *, venue: str | None = ALL_VENUES) -> pd.DataFrame:
    """Several ``market_stats`` tables as one: a row per statistic, a column per source row.

    Parameters
    ----------
    tables : Mapping[str, pandas.DataFrame]
        Label (e.g. ``"AMZN 2012-06-21"``, ``"run"``) to a ``market_stats`` or ``market_stats_by_run`` table.
    venue : str or None
        Keep only this venue's rows (default: the consolidated ``ALL`` rows); ``None`` keeps every row.

    Returns
    -------
    pandas.DataFrame
        Index: the statistics of ``STATS_COLUMNS``; columns named ``label [router seed] symbol [venue]``.
    """
    columns: dict[str, pd.Series] = {}
    stats = list(STATS_COLUMNS[2:])
    for label, frame in tables.items():
        _require(frame, STATS_COLUMNS, label)
        rows = frame if venue is None else frame[frame["venue"] == venue]
        for _, r in rows.iterrows():
            parts = [label]
            parts += [str(r[k]) for k in ("router", "seed") if k in rows.columns]
            parts.append(str(r["symbol"]))
            if venue is None:
                parts.append(str(r["venue"]))
            columns[" ".join(parts)] = pd.Series([r[k] for k in stats], index=stats, dtype=float)
    return pd.DataFrame(columns, index=stats)


def nbbo_as_quotes(nbbo: pd.DataFrame) -> pd.DataFrame:
    """The NBBO table (``nbbo.parquet``: symbol, ts_ns, bid, bid_size, ask, ask_size) as ``ALL`` quotes."""
    _require(nbbo, ("symbol", "ts_ns", "bid", "bid_size", "ask", "ask_size"), "nbbo")
    out = nbbo.copy()
    out["venue"] = ALL_VENUES
    return out


# ---------------------------------------------------------------------------------------------------- markouts
def _horizon_label(h_ns: int) -> str:
    if h_ns % NS_PER_SECOND == 0:
        return f"{h_ns // NS_PER_SECOND}s"
    if h_ns % 1_000_000 == 0:
        return f"{h_ns // 1_000_000}ms"
    if h_ns % 1_000 == 0:
        return f"{h_ns // 1_000}us"
    return f"{h_ns}ns"


def _aggressor_sign(executions: pd.DataFrame) -> np.ndarray:
    if "aggressor" in executions.columns:
        agg = executions["aggressor"].astype(str).to_numpy()
    elif "side" in executions.columns and "liquidity" in executions.columns:
        side = executions["side"].astype(str).to_numpy()
        removed = (executions["liquidity"].astype(str) == "removed").to_numpy()
        agg = np.where(removed, side, np.where(side == "buy", "sell", "buy"))
    else:
        raise ValueError("executions: need an aggressor column, or side and liquidity columns")
    bad = ~np.isin(agg, ["buy", "sell"])
    if bad.any():
        raise ValueError(f"executions: aggressor/side must be 'buy' or 'sell', got {agg[bad][0]!r}")
    return np.where(agg == "buy", 1.0, -1.0)


def markouts_by_venue(
    executions: pd.DataFrame,
    nbbo: pd.DataFrame,
    horizons_ns: Sequence[int] = DEFAULT_MARKOUT_HORIZONS_NS,
    *,
    by: Sequence[str] = ("venue",),
    end_ns: int | None = None,
    reference: str = "mid",
) -> pd.DataFrame:
    """Mean midpoint move against the passive side after each execution, per venue and horizon, in bps.

    For an execution at ``t`` with aggressor sign s (+1 buy, -1 sell), m0 the NBBO midpoint in force just before
    ``t`` (as of ``t - 1`` ns, so not yet moved by the trade itself) and m_h the midpoint in force at ``t + h``::

        adverse_h = s * (m_h - m0) / m0 * 1e4

    Positive means the price went the aggressor's way: the resting (passive) side lost that much against the mid.
    A toxic venue shows larger values. Each execution counts once, whatever its size.

    With ``reference="price"`` the move is measured from the execution price p instead of m0
    (``adverse_h = s * (m_h - p) / p * 1e4``, the aggressor's markout of metrics.md): this is the one that shows a
    dark pool crossing at a stale midpoint, where the NBBO had already moved before the trade.

    Parameters
    ----------
    executions : pandas.DataFrame
        The tape (``symbol, venue, ts_ns, aggressor``) or a fills table (``symbol, venue, exec_ts_ns, side,
        liquidity``: the aggressor is the fill's side when it removed liquidity, else the other side).
    nbbo : pandas.DataFrame
        NBBO history of the same market: ``symbol, ts_ns, bid, ask`` (USD, NaN for an empty side).
    horizons_ns : sequence of int
        Markout horizons, ns.
    by : sequence of str
        Grouping columns of ``executions`` (``("symbol", "venue")`` for per-symbol rows).
    end_ns : int, optional
        End of the data: an execution whose ``t + h`` is at or past it gets no markout at that horizon.
    reference : {"mid", "price"}
        Measure from the midpoint just before the execution (default) or from its price (needs a ``price`` column).

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``executions`` (rows with a defined m0) and ``adverse_<h>_bps`` per horizon (e.g.
        ``adverse_100ms_bps``); NaN where no execution had a defined markout.
    """
    ts_col = "ts_ns" if "ts_ns" in executions.columns else "exec_ts_ns"
    _check_markout_inputs(executions, nbbo, ts_col=ts_col, by=by, reference=reference)
    labels = [f"adverse_{_horizon_label(int(h))}_bps" for h in horizons_ns]
    ex = executions.reset_index(drop=True)
    sign = _aggressor_sign(ex)
    t = ex[ts_col].to_numpy(dtype=np.int64)
    m0 = np.full(len(ex), np.nan)
    moves = np.full((len(ex), len(labels)), np.nan)
    for sym, nb in nbbo.groupby("symbol", sort=False):
        rows = np.flatnonzero((ex["symbol"] == sym).to_numpy())
        if not rows.size:
            continue
        nb = nb.sort_values("ts_ns", kind="stable")
        nts = nb["ts_ns"].to_numpy(dtype=np.int64)
        mid = ((nb["bid"].to_numpy(dtype=float) + nb["ask"].to_numpy(dtype=float)) / 2)

        def mid_at(when: np.ndarray, nts: np.ndarray = nts, mid: np.ndarray = mid) -> np.ndarray:
            i = np.searchsorted(nts, when, side="right") - 1
            return np.where(i >= 0, mid[np.maximum(i, 0)], np.nan)

        m0[rows] = mid_at(t[rows] - 1)
        base = ex["price"].to_numpy(dtype=float)[rows] if reference == "price" else m0[rows]
        for j, h in enumerate(horizons_ns):
            when = t[rows] + int(h)
            mh = mid_at(when)
            if end_ns is not None:
                mh = np.where(when < end_ns, mh, np.nan)
            moves[rows, j] = sign[rows] * (mh - base) / base * 1e4
    return _mean_markouts(ex, by, m0=m0, moves=moves, labels=labels)


def _check_markout_inputs(executions: pd.DataFrame, nbbo: pd.DataFrame, *, ts_col: str, by: Sequence[str],
                          reference: str) -> None:
    """:func:`markouts_by_venue`'s inputs have their columns, and ``reference`` is ``mid`` or ``price``."""
    _require(executions, ["symbol", ts_col, *by], "executions")
    _require(nbbo, ("symbol", "ts_ns", "bid", "ask"), "nbbo")
    if reference not in ("mid", "price"):
        raise ValueError(f"reference must be 'mid' or 'price', got {reference!r}")
    if reference == "price":
        _require(executions, ["price"], "executions")


def _mean_markouts(ex: pd.DataFrame, by: Sequence[str], *, m0: np.ndarray, moves: np.ndarray,
                   labels: list[str]) -> pd.DataFrame:
    """Per ``by`` group: the executions with a defined m0 and the mean markout at each horizon (``labels``)."""
    frame = ex[list(by)].copy()
    frame["_has_m0"] = np.isfinite(m0)
    for j, label in enumerate(labels):
        frame[label] = moves[:, j]
    out = frame.groupby(list(by), sort=True).agg(
        executions=("_has_m0", "sum"), **{label: (label, "mean") for label in labels}
    )
    out["executions"] = out["executions"].astype(np.int64)
    return out.reset_index()


# ---------------------------------------------------------------------------------------------------- order flow
def trade_signs(trades: pd.DataFrame, *, merge_simultaneous: bool = True) -> pd.DataFrame:
    """Signed trade sequence per symbol (all venues, time order): columns ``symbol, ts_ns, sign`` (+1 buy).

    With ``merge_simultaneous`` consecutive executions with the same symbol, venue, time and aggressor collapse into
    one: they are one incoming order sweeping several resting ones (both the simulator's tape and LOBSTER print one
    row per resting order filled), and counting them apart would inflate the autocorrelation at short lags.
    """
    _require(trades, ("symbol", "venue", "ts_ns", "aggressor"), "trades")
    tr = trades.sort_values(["symbol", "ts_ns"], kind="stable").reset_index(drop=True)
    sign = np.where(tr["aggressor"].astype(str).to_numpy() == "buy", 1, -1)
    out = pd.DataFrame({"symbol": tr["symbol"].to_numpy(), "ts_ns": tr["ts_ns"].to_numpy(), "sign": sign})
    if merge_simultaneous and len(out):
        key = pd.DataFrame({"s": out["symbol"], "v": tr["venue"], "t": out["ts_ns"], "a": out["sign"]})
        same = (key == key.shift(1)).all(axis=1).to_numpy()
        out = out[~same].reset_index(drop=True)
    return out


def autocorr(x: np.ndarray, lags: Iterable[int]) -> dict[int, float]:
    """Sample autocorrelation ``sum_t (x_t - m)(x_{t+l} - m) / sum_t (x_t - m)^2`` at each lag (NaN if undefined)."""
    x = np.asarray(x, dtype=float)
    d = x - x.mean() if x.size else x
    denom = float(np.dot(d, d))
    out: dict[int, float] = {}
    for lag in lags:
        if lag < 1:
            raise ValueError(f"lags: {lag} must be at least 1")
        out[int(lag)] = float(np.dot(d[:-lag], d[lag:]) / denom) if denom > 0 and lag < x.size else math.nan
    return out


def trade_sign_autocorr(
    trades: pd.DataFrame, lags: Iterable[int] = (1, 2, 5, 10, 20, 50, 100), *, merge_simultaneous: bool = True
) -> pd.DataFrame:
    """Autocorrelation of trade signs per symbol (:func:`trade_signs`, :func:`autocorr`).

    Returns
    -------
    pandas.DataFrame
        ``symbol, lag, autocorr, trades`` (``trades`` = length of the sign sequence).
    """
    lags = list(lags)
    signs = trade_signs(trades, merge_simultaneous=merge_simultaneous)
    rows = []
    for sym, g in signs.groupby("symbol", sort=True):
        x = g["sign"].to_numpy()
        for lag, value in autocorr(x, lags).items():
            rows.append({"symbol": sym, "lag": lag, "autocorr": value, "trades": len(x)})
    return pd.DataFrame(rows, columns=["symbol", "lag", "autocorr", "trades"])


def order_size_summary(qty: Iterable[int] | pd.Series | np.ndarray, *, round_lot: int = 100) -> dict[str, float]:
    """Distribution summary of order (or execution) sizes in shares.

    Returns
    -------
    dict
        ``count``; ``mean``, ``median``, ``p90``, ``p99`` shares; ``share_round_lot`` (a whole number of round
        lots), ``share_odd_lot`` (under one round lot), ``share_one_lot`` (exactly one round lot). NaN when empty.
    """
    q = np.asarray(list(qty) if not isinstance(qty, (pd.Series, np.ndarray)) else qty, dtype=float)
    if round_lot < 1:
        raise ValueError(f"round_lot: {round_lot} must be at least 1")
    if not q.size:
        nan = math.nan
        return {"count": 0, "mean": nan, "median": nan, "p90": nan, "p99": nan, "share_round_lot": nan,
                "share_odd_lot": nan, "share_one_lot": nan}
    return {
        "count": int(q.size),
        "mean": float(q.mean()),
        "median": float(np.median(q)),
        "p90": float(np.quantile(q, 0.9)),
        "p99": float(np.quantile(q, 0.99)),
        "share_round_lot": float(np.mean((q % round_lot == 0) & (q > 0))),
        "share_odd_lot": float(np.mean(q < round_lot)),
        "share_one_lot": float(np.mean(q == round_lot)),
    }
