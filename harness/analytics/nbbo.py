"""Vectorised look-ups in an NBBO history: the quote in force at any instant, per run and symbol.

The NBBO in force at t is the last row with ``ts_ns <= t`` (of rows with equal timestamps, the later one in the
table). ``strict=True`` asks for the quote just before t instead (last row with ``ts_ns < t``): an execution's own
quote change carries the execution's timestamp, so the quote the execution met is the one before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

RUN_KEYS = ("router", "seed")
QUOTE_KEYS = (*RUN_KEYS, "symbol")


@dataclass(frozen=True)
class Quotes:
    """Bid and ask (USD, NaN where absent) found for a batch of look-ups."""

    bid: npt.NDArray[np.float64]
    ask: npt.NDArray[np.float64]

    @property
    def mid(self) -> npt.NDArray[np.float64]:
        """Midpoint; NaN unless both sides are present."""
        return (self.bid + self.ask) / 2


class NbboIndex:
    """An NBBO history sorted for ``searchsorted`` look-ups, grouped by the key columns the history has.

    The groups are (router, seed, symbol) for a run folder. A history without ``router`` (or ``seed``) applies to
    every router (or seed): vendor quotes are one market for all.
    """

    def __init__(self, nbbo: pd.DataFrame) -> None:
        self.by = [c for c in QUOTE_KEYS if c in nbbo.columns]
        groups = nbbo[self.by].drop_duplicates().reset_index(drop=True)
        self._groups = groups.assign(_code=np.arange(len(groups), dtype=np.int64))
        codes = self._codes_of(nbbo)
        ts = nbbo["ts_ns"].to_numpy(np.int64)
        order = np.lexsort((ts, codes))
        self._t0 = int(ts.min()) if len(ts) else 0
        self._span = (int(ts.max()) - self._t0 + 2) if len(ts) else 2
        if len(groups) * self._span >= 2**62:
            raise ValueError("NBBO timestamps span too wide a range to index")
        self._code = codes[order]
        self._key = self._code * self._span + (ts[order] - self._t0)
        self._bid = nbbo["bid"].to_numpy(np.float64)[order]
        self._ask = nbbo["ask"].to_numpy(np.float64)[order]

    def _codes_of(self, frame: pd.DataFrame) -> npt.NDArray[np.int64]:
        merged = frame[self.by].merge(self._groups, on=self.by, how="left")
        return merged["_code"].fillna(-1).to_numpy(np.int64)

    def codes(self, frame: pd.DataFrame) -> npt.NDArray[np.int64]:
        """The quote group of each row of ``frame`` (which has the key columns); -1 where there is none."""
        return self._codes_of(frame)

    def at(self, codes: npt.NDArray[np.int64], ts_ns: npt.ArrayLike, *, strict: bool = False) -> Quotes:
        """The quote in force at ``ts_ns`` (just before it when ``strict``) in each row's group."""
        t = np.asarray(ts_ns, dtype=np.int64)
        if not len(self._key):
            return Quotes(bid=np.full(len(t), np.nan), ask=np.full(len(t), np.nan))
        off = np.clip(t - self._t0, -1, self._span - 1)
        pos = np.searchsorted(self._key, codes * self._span + off, side="left" if strict else "right") - 1
        safe = np.maximum(pos, 0)
        found = (codes >= 0) & (pos >= 0) & (self._code[safe] == codes)
        bid = np.where(found, self._bid[safe], np.nan)
        ask = np.where(found, self._ask[safe], np.nan)
        return Quotes(bid=bid, ask=ask)


NO_TS = np.iinfo(np.int64).min
"""``run_end_ts`` of a row whose run has no NBBO rows."""


def run_end_ts(nbbo: pd.DataFrame, frame: pd.DataFrame) -> npt.NDArray[np.int64]:
    """For each row of ``frame``, the last NBBO timestamp of its run (router, seed, all symbols); ``NO_TS`` if none.

    A history without router or seed columns is one run for those keys.
    """
    by = [c for c in RUN_KEYS if c in nbbo.columns]
    if not len(nbbo):
        return np.full(len(frame), NO_TS, dtype=np.int64)
    if not by:
        return np.full(len(frame), int(nbbo["ts_ns"].max()), dtype=np.int64)
    last = nbbo.groupby(by, sort=False)["ts_ns"].max().astype("Int64").rename("_end").reset_index()
    end = frame[by].merge(last, on=by, how="left")["_end"]
    return end.fillna(NO_TS).to_numpy(np.int64)


def last_mid(nbbo: pd.DataFrame, frame: pd.DataFrame, keys: Sequence[str]) -> npt.NDArray[np.float64]:
    """For each row of ``frame``, the last two-sided midpoint of its (run, symbol) in the history; NaN if none."""
    by = [c for c in keys if c in nbbo.columns]
    two = nbbo.loc[nbbo["bid"].notna() & nbbo["ask"].notna(), [*by, "ts_ns", "bid", "ask"]]
    two = two.sort_values("ts_ns", kind="stable")
    last = two.groupby(by, sort=False)[["bid", "ask"]].last()
    last = ((last["bid"] + last["ask"]) / 2).rename("_mid").reset_index()
    return frame[by].merge(last, on=by, how="left")["_mid"].to_numpy(np.float64)
