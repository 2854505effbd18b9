"""The routing-logic fingerprint: probe responses (``probe/responses.csv``) to findings (``probe/fingerprint.csv``).

Input: one row per router, probe twin and seed (:data:`harness.workflows.probe.RESPONSE_COLUMNS`): the parent shares
of the twin's flow, the shares the router executed and those executed at the twin's target venue. Per seed the
response is ``target_shares / parent_shares`` (the share of the parent flow filled at the target; a router that
fills nothing scores 0 there); the figure is the mean over seeds with its seed-level Student t interval
(:func:`harness.analytics.inference.seed_interval`; no interval below 5 seeds). Failed simulations are left out and
counted (``failed_seeds``).

Findings, one plain sentence per router and probe:

* ``coverage``: a venue is *reached* when the mean share filled there is at least :data:`REACHED_SHARE`, *not
  reached* below :data:`NOT_REACHED_SHARE`, *partly reached* between.
* ``price-vs-fee``: the router *prefers the better price* at a fee gap when at least half of the parent shares
  execute at the better-priced venue A. The flip is the smallest fee gap of the grid at which it no longer does
  (then every larger gap must agree, else the response is called *not monotone*).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from harness.analytics.inference import seed_interval

REACHED_SHARE = 0.5
NOT_REACHED_SHARE = 0.05
FINGERPRINT_COLUMNS = ("router", "probe", "twin", "param", "target", "response", "unit", "mean", "ci_low",
                       "ci_high", "seeds", "failed_seeds", "finding")


def responses(rows: dict[str, list[Any]] | pd.DataFrame) -> pd.DataFrame:
    """The responses table with ``share_at_target`` per row (NaN for a failed simulation)."""
    df = pd.DataFrame(rows).copy()
    ok = df["status"] == "ok"
    df["share_at_target"] = (df["target_shares"] / df["parent_shares"]).where(ok & (df["parent_shares"] > 0))
    return df


def fingerprint(rows: dict[str, list[Any]] | pd.DataFrame) -> pd.DataFrame:
    """Per router and twin: the mean share at the target with its interval; the probe's finding on every row."""
    df = responses(rows)
    out: list[dict[str, Any]] = []
    for (router, probe, twin), g in df.groupby(["router", "probe", "twin"], sort=True):
        iv = seed_interval(g["share_at_target"].to_numpy())
        out.append({
            "router": router, "probe": probe, "twin": int(twin), "param": str(g["param"].iloc[0]),
            "target": g["target"].iloc[0], "response": "share of parent shares executed at target",
            "unit": "share (0-1)", "mean": iv.mean, "ci_low": iv.low, "ci_high": iv.high, "seeds": iv.seeds,
            "failed_seeds": int((g["status"] != "ok").sum()), "finding": "",
        })
    fp = pd.DataFrame(out, columns=list(FINGERPRINT_COLUMNS))
    for (_router, probe), idx in fp.groupby(["router", "probe"]).groups.items():
        fp.loc[idx, "finding"] = finding(str(probe), fp.loc[idx])
    return fp


def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.0%}"


def finding(probe: str, rows: pd.DataFrame) -> str:
    """The plain sentence of one router's probe (module docstring)."""
    if probe == "coverage":
        return _coverage_sentence(rows)
    if probe == "price-vs-fee":
        return _fee_sentence(rows)
    raise ValueError(f"unknown probe {probe!r}")


def _coverage_sentence(rows: pd.DataFrame) -> str:
    reached: list[str] = []
    partly: list[str] = []
    missed: list[str] = []
    for _, r in rows.sort_values("target").iterrows():
        m = r["mean"]
        if math.isnan(m):
            continue
        text = f"{r['target']} ({_pct(m)})"
        (reached if m >= REACHED_SHARE else missed if m < NOT_REACHED_SHARE else partly).append(text)
    parts = []
    if reached:
        parts.append("reaches " + ", ".join(reached))
    if partly:
        parts.append("partly reaches " + ", ".join(partly))
    if missed:
        parts.append("does not reach " + ", ".join(missed))
    if not parts:
        return "no seed of this probe ran"
    return "; ".join(parts) + " (share of the parent shares filled where the best price rested alone)"


def _fee_sentence(rows: pd.DataFrame) -> str:
    r = rows.assign(gap=rows["param"].astype(float)).sort_values("gap")
    r = r[~r["mean"].isna()]
    if r.empty:
        return "no seed of this probe ran"
    prefers = (r["mean"] >= REACHED_SHARE).to_numpy()
    gaps = r["gap"].to_numpy()
    top = f"${gaps[-1]:.3f}"
    if prefers.all():
        return f"prefers the venue one tick better at every fee gap up to {top}/share: take fees do not move it"
    if not prefers.any():
        return (f"never prefers the venue one tick better (at most {_pct(r['mean'].max())} of the shares there, "
                f"fee gaps ${gaps[0]:.3f}-{top})")
    first = int((~prefers).argmax())
    if prefers[first:].any():
        return "the share sent to the better price is not monotone in the fee gap: " + ", ".join(
            f"${g:.3f}: {_pct(m)}" for g, m in zip(gaps, r["mean"], strict=True))
    return (f"prefers the venue one tick better until the fee gap exceeds ${gaps[first - 1]:.3f}/share and "
            f"leaves it by ${gaps[first]:.3f}/share: it trades a tick of price against about that much in fees")
