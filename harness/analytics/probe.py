"""The routing-logic fingerprint: probe responses (``probe/responses.csv``) to findings (``probe/fingerprint.csv``).

Input: one row per router, probe twin and seed (:data:`harness.workflows.probe.RESPONSE_COLUMNS`), whose ``value``
is that simulation's response: a share between 0 and 1 (:data:`RESPONSES` says of what). The figure per router and
twin is the mean over seeds with its seed-level Student t interval (:func:`harness.analytics.inference.seed_interval`;
no interval below 5 seeds). Failed simulations are left out and counted (``failed_seeds``).

Findings, one plain sentence per router and probe, from the means (a share is *high* at :data:`HIGH` or more and
*low* below :data:`LOW`); read from fewer than 5 seeds (no interval), a finding ends "[indicative: N seeds, ...]":

* ``coverage``: a venue is reached (high), partly reached, or not reached (low).
* ``price-vs-fee``: the router prefers the better price at a fee gap when the share at A is high or in between
  (at least :data:`HIGH`); the flip is the smallest fee gap at which it no longer does, provided every larger gap
  agrees (else the response is *not monotone*).
* ``price-vs-size``: a sweep when the share of parents split across venues at the first decision is high.
* ``hidden``: hidden liquidity found (high), partly found, or not found (low).
* ``speed``: the latency at which the share at the best-priced venue first falls below :data:`HIGH`.
* ``sip``: relies on the SIP when the share at A falls by half or more with the late SIP; reads direct feeds when
  it does not (and A was used with the SIP as in the scenario); *not tested* when A is not used either way.
* ``stale-quotes``: recovers from a phantom quote when the share filled within 1 s is at least
  :data:`FAILOVER_OK`, else strands the rest; not tested when its coverage of the venue is low.
* ``locked``: trades against the locking offer (high), partly, or not (low).
* ``odd-lots``: reaches the best price for odd lots (high), partly, or not (low).
* ``halt``: resumes when the share filled within 1 s after the halt is at least :data:`FAILOVER_OK`, else the
  rest is stranded.
* ``block``: uses dark pools for blocks (high), partly, or not (low).
* ``payments`` and ``rebates``: the payment tilt (:func:`payment_tilt`) is at least :data:`FOLLOWS`: follows the
  money; at least :data:`TILTED`: partly follows it; below: ignores it (or does not use the paying venues at all).
* ``toxicity``: avoids a toxic pool when it sends it less than half of what it sends the pool when benign (and
  the benign pool got at least :data:`LOW` of the shares); else it does not avoid it; *not tested* when it never
  uses the benign pool.
* ``failover``: re-routes when the share filled within the limit is at least :data:`FAILOVER_OK`; otherwise the
  rest is *stranded*; *not tested* when the router's coverage of that venue is low (the outage cannot touch it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from harness.analytics.inference import MIN_SEEDS, seed_interval

HIGH = 0.5
LOW = 0.05
FAILOVER_OK = 0.9
FOLLOWS = 0.9
TILTED = 0.1
RESPONSES = {
    "share_at_target": "share of the parent shares executed at the target venue",
    "share_at_price": "share of the parent shares executed at the target venue at the hidden price",
    "sweep_share": "share of parents whose first child orders went to two venues or more",
    "filled_within": "share of the shares of parents arriving during the outage filled within 1 s",
    "filled_after": "share of the shares of parents arriving during the halt filled within 1 s after it",
    "share_in_dark": "share of the block shares executed in dark pools",
    "sent_late": "child shares sent to the pool per parent share, parents in the window's last third",
    "sent_to_target": "child shares sent to the target venue per parent share",
}
FINGERPRINT_COLUMNS = ("router", "probe", "twin", "param", "target", "response", "unit", "mean", "ci_low",
                       "ci_high", "seeds", "failed_seeds", "reference", "reference_mean", "window_parents",
                       "stranded_parents", "median_fill_ms", "rejected_children", "early_mean", "finding")
"""``window_parents``, ``stranded_parents`` and ``rejected_children`` are summed over the seeds, ``median_fill_ms``
and ``early_mean`` averaged (NaN for probes without them: :data:`harness.workflows.probe.DETAIL_COLUMNS`)."""


def fingerprint(rows: dict[str, list[Any]] | pd.DataFrame, *, reference: str | None = None) -> pd.DataFrame:
    """Per router and twin: the mean response with its interval; the probe's finding on every row of the probe.

    ``reference`` (a router among the rows) puts its mean on the same twin beside every router's
    (``reference_mean``), so a candidate's responses read against a known policy's.
    """
    df = pd.DataFrame(rows)
    out: list[dict[str, Any]] = []
    for (router, probe, twin), g in df.groupby(["router", "probe", "twin"], sort=True):
        ok = g["status"] == "ok"
        iv = seed_interval(g.loc[ok, "value"].to_numpy(dtype=float))
        detail = _details(g[ok])
        out.append({
            "router": router, "probe": probe, "twin": int(twin), "param": str(g["param"].iloc[0]),
            "target": g["target"].iloc[0], "response": RESPONSES[g["measure"].iloc[0]], "unit": "share (0-1)",
            "mean": iv.mean, "ci_low": iv.low, "ci_high": iv.high, "seeds": iv.seeds,
            "failed_seeds": int((~ok).sum()), "reference": reference or "", "reference_mean": math.nan,
            **detail, "finding": "",
        })
    fp = pd.DataFrame(out, columns=list(FINGERPRINT_COLUMNS))
    if reference is not None:
        ref = fp[fp["router"] == reference].set_index("twin")["mean"]
        fp["reference_mean"] = fp["twin"].map(ref).astype(float)
    for (router, probe), idx in fp.groupby(["router", "probe"]).groups.items():
        fp.loc[idx, "finding"] = _qualified(finding(str(probe), fp.loc[idx], context=fp[fp["router"] == router]),
                                            int(fp.loc[idx, "seeds"].min()))
    return fp


def _qualified(sentence: str, seeds: int) -> str:
    """A finding read from fewer than :data:`MIN_SEEDS` seeds says so: it is a mean without an interval."""
    if 0 < seeds < MIN_SEEDS:
        plural = "s" if seeds > 1 else ""
        return f"{sentence} [indicative: {seeds} seed{plural}, below the {MIN_SEEDS} an interval needs]"
    return sentence


def _details(g: pd.DataFrame) -> dict[str, float]:
    """A twin's details over its successful seeds (NaN where the probe has none, or no column is there)."""
    def col(name: str) -> pd.Series:
        return g[name].astype(float) if name in g.columns else pd.Series([math.nan] * len(g), dtype=float)

    def total(name: str) -> float:
        c = col(name)
        return float(c.sum()) if c.notna().any() else math.nan

    early, wait = col("early_value"), col("median_fill_ms")
    return {"window_parents": total("window_parents"), "stranded_parents": total("stranded_parents"),
            "median_fill_ms": float(wait.mean()) if wait.notna().any() else math.nan,
            "rejected_children": total("rejected_children"),
            "early_mean": float(early.mean()) if early.notna().any() else math.nan}


def _evidence(r: pd.Series) -> str:
    """The failure probes' figures in words: stranded parents, how fast the rest filled, rejected children."""
    if math.isnan(r["window_parents"]):
        return ""
    wait = "" if math.isnan(r["median_fill_ms"]) else f"median {r['median_fill_ms']:.3g} ms to a first fill; "
    return (f" ({wait}{int(r['stranded_parents'])} of {int(r['window_parents'])} parents stranded; "
            f"{int(r['rejected_children'])} child orders rejected)")


def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.0%}"


def finding(probe: str, rows: pd.DataFrame, *, context: pd.DataFrame | None = None) -> str:
    """The plain sentence of one router's probe (module docstring); ``context``: the router's other rows."""
    rows = rows[~rows["mean"].isna()]
    if rows.empty:
        return "no simulation of this probe succeeded"
    if probe == "failover":
        return _failover(rows, context)
    if probe == "stale-quotes":
        return _stale(rows, context)
    sentences = {"coverage": _coverage, "price-vs-fee": _fee, "price-vs-size": _size, "hidden": _hidden,
                 "speed": _speed, "sip": _sip, "halt": _halt, "block": _block, "payments": _payments,
                 "toxicity": _toxicity, "odd-lots": _odd, "locked": _locked, "rebates": _rebates}
    if probe not in sentences:
        raise ValueError(f"unknown probe {probe!r}")
    return sentences[probe](rows)


def _coverage(rows: pd.DataFrame) -> str:
    groups: dict[str, list[str]] = {"reaches": [], "partly reaches": [], "does not reach": []}
    for _, r in rows.sort_values("target").iterrows():
        m = r["mean"]
        key = _level(m, "reaches", "does not reach")
        groups[key].append(f"{r['target']} ({_pct(m)})")
    parts = [f"{k} {', '.join(v)}" for k, v in groups.items() if v]
    return "; ".join(parts) + " (share of the parent shares filled where the best price rested alone)"


def _curve(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    r = rows.assign(x=rows["param"].astype(float)).sort_values("x")
    return r["x"].to_numpy(), r["mean"].to_numpy()


def _fee(rows: pd.DataFrame) -> str:
    gaps, means = _curve(rows)
    prefers = means >= HIGH
    top = f"${gaps[-1]:.3f}"
    if prefers.all():
        return f"prefers the venue one tick better at every fee gap up to {top}/share: take fees do not move it"
    if not prefers.any():
        return (f"never prefers the venue one tick better (at most {_pct(means.max())} of the shares there, "
                f"fee gaps ${gaps[0]:.3f}-{top})")
    first = int((~prefers).argmax())
    if prefers[first:].any():
        return "the share sent to the better price is not monotone in the fee gap: " + ", ".join(
            f"${g:.3f}: {_pct(m)}" for g, m in zip(gaps, means, strict=True))
    return (f"prefers the venue one tick better until the fee gap exceeds ${gaps[first - 1]:.3f}/share and "
            f"leaves it by ${gaps[first]:.3f}/share: it trades a tick of price against about that much in fees")


def _size(rows: pd.DataFrame) -> str:
    m = float(rows["mean"].iloc[0])
    if m >= HIGH:
        return (f"sweeps: for {_pct(m)} of parents larger than the small better quote, its first child orders "
                "took that quote and the larger worse one at once")
    return (f"routes one venue at a time: only {_pct(m)} of parents larger than the small better quote had "
            "their first child orders split across venues")


def _level(m: float, yes: str, no: str) -> str:
    """``yes`` for a high share, ``no`` for a low one, "partly ``yes``" between."""
    return yes if m >= HIGH else no if m < LOW else f"partly {yes}"


def _hidden(rows: pd.DataFrame) -> str:
    r = rows.iloc[0]
    m = float(r["mean"])
    verb = _level(m, "finds", "does not find")
    return (f"{verb} hidden liquidity: {_pct(m)} of the parent shares executed against the non-displayed offer one "
            f"tick inside the displayed quotes at {r['target']}")


def _speed(rows: pd.DataFrame) -> str:
    added, means = _curve(rows)
    target = rows["target"].iloc[0]
    uses = means >= HIGH
    if uses.all():
        return (f"keeps taking the best price at {target} when its order entry is up to {added[-1]:g} ms slower "
                f"({_pct(means.min())} or more of the shares there)")
    if not uses.any():
        return f"does not take the best price at {target} even at its normal speed ({_pct(means.max())})"
    first = int((~uses).argmax())
    return (f"takes the best price at {target} until its order entry is {added[first - 1]:g} ms slower and leaves it "
            f"at {added[first]:g} ms ({_pct(means[first])} of the shares there)")


def _sip(rows: pd.DataFrame) -> str:
    late, means = _curve(rows)
    target = rows["target"].iloc[0]
    fresh, stale = float(means[0]), float(means[-1])
    offer = f"{target}'s passing better offer"
    if fresh < LOW:
        return f"not tested: it does not take {offer} even with a timely SIP ({_pct(fresh)})"
    if stale <= fresh / 2:
        return (f"relies on the SIP: {_pct(fresh)} of the shares at {offer} with a timely SIP, "
                f"{_pct(stale)} when the SIP is {late[-1]:g} ms late")
    return (f"reads direct feeds: {_pct(stale)} of the shares at {offer} with a {late[-1]:g} ms late SIP "
            f"({_pct(fresh)} with a timely one)")


def _untouched(rows: pd.DataFrame, context: pd.DataFrame | None) -> str | None:
    """The "not tested" sentence for a router that does not use the probe's venue (its coverage there is low)."""
    r = rows.iloc[0]
    if context is None:
        return None
    cov = context[(context["probe"] == "coverage") & (context["param"] == r["target"])]
    if len(cov) and float(cov["mean"].iloc[0]) < LOW:
        return (f"not tested: it does not route to {r['target']} (coverage {_pct(float(cov['mean'].iloc[0]))}), "
                f"so this does not touch it ({_pct(float(r['mean']))} filled within 1 s)")
    return None


def _stale(rows: pd.DataFrame, context: pd.DataFrame | None) -> str:
    untouched = _untouched(rows, context)
    if untouched:
        return untouched
    r = rows.iloc[0]
    m = float(r["mean"])
    if m >= FAILOVER_OK:
        return (f"recovers from a phantom quote: {_pct(m)} of the shares of parents arriving while {r['target']}'s "
                f"feeds were frozen on a withdrawn offer filled within 1 s{_evidence(r)}")
    return (f"strands orders on a phantom quote: {_pct(1 - m)} of the shares of parents arriving while "
            f"{r['target']}'s feeds were frozen on a withdrawn offer were not filled within 1 s{_evidence(r)}")


def _locked(rows: pd.DataFrame) -> str:
    r = rows.iloc[0]
    m = float(r["mean"])
    verb = _level(m, "takes", "does not take")
    return f"{verb} the locking offer at {r['target']} in a locked market: {_pct(m)} of the parent shares there"


def _odd(rows: pd.DataFrame) -> str:
    r = rows.iloc[0]
    m = float(r["mean"])
    verb = _level(m, "reaches", "does not reach")
    return f"{verb} the best price at {r['target']} for odd lots: {_pct(m)} of the shares of odd-lot parents there"


def _halt(rows: pd.DataFrame) -> str:
    r = rows.iloc[0]
    m = float(r["mean"])
    if m >= FAILOVER_OK:
        return (f"resumes after a halt: {_pct(m)} of the shares of parents arriving during it filled within 1 s "
                f"after it{_evidence(r)}")
    return (f"strands orders through a halt: {_pct(1 - m)} of the shares of parents arriving during it were not filled "
            f"within 1 s after it ended{_evidence(r)}")


def _block(rows: pd.DataFrame) -> str:
    r = rows.iloc[0]
    m = float(r["mean"])
    verb = _level(m, "uses", "does not use")
    return (f"{verb} dark midpoint liquidity for blocks: {_pct(m)} of blocks of {int(float(r['param'])):,} shares "
            f"(50 times one venue's displayed offer) executed in {r['target']}")


def _payments(rows: pd.DataFrame) -> str:
    return _follows(rows, "payment for order flow", "wholesaler")


def _rebates(rows: pd.DataFrame) -> str:
    return _follows(rows, "maker rebates", "venue")


def payment_tilt(rows: pd.DataFrame) -> tuple[float, float, float]:
    """(tilt, mean share at the top payer, mean share at the others) of a payments or rebates probe's rows.

    Per payer venue: its mean share in the rotations where it pays most minus its mean share where it does not;
    the tilt is the mean of that over the payers. A router whose choice ignores the payments scores 0, one that
    sends everything to whoever pays most 1 (its share at a venue is 1 when it pays most, else 0).
    """
    parts = rows["param"].astype(str).str.split(":", expand=True)
    r = rows.assign(venue=parts[1], role=parts[2])
    by = r.groupby(["venue", "role"])["mean"].mean().unstack()
    if "top" not in by or "other" not in by:
        return math.nan, math.nan, math.nan
    return float((by["top"] - by["other"]).mean()), float(by["top"].mean()), float(by["other"].mean())


def _follows(rows: pd.DataFrame, money: str, where: str) -> str:
    tilt, top, other = payment_tilt(rows)
    n = int(rows["param"].astype(str).str.split(":").str[0].nunique())
    if math.isnan(tilt):
        return "no rotation of this probe succeeded"
    figures = (f"payment tilt {tilt:+.2f}: {_pct(top)} of the shares at a {where} when it pays most, {_pct(other)} "
               f"when it does not, over {n} rotations")
    if top < LOW and other < LOW:
        return f"does not use the {where}s that pay ({figures})"
    if tilt >= FOLLOWS:
        return f"follows {money} ({figures})"
    if tilt >= TILTED:
        return f"partly follows {money} ({figures})"
    return f"ignores {money} ({figures})"


def _toxicity(rows: pd.DataFrame) -> str:
    if float(rows["mean"].max()) < LOW:
        return f"not tested: it sends the dark pools {_pct(float(rows['mean'].max()))} of the shares or less"
    parts = []
    for pool, g in rows.groupby("target", sort=True):
        by = {str(p).endswith(" toxic"): float(m) for p, m in zip(g["param"], g["mean"], strict=True)}
        benign, toxic = by.get(False, math.nan), by.get(True, math.nan)
        if math.isnan(benign) or math.isnan(toxic) or benign < LOW:
            parts.append(f"not tested on {pool} (it sends the benign pool {_pct(benign)} of the shares)")
        elif toxic < benign / 2:
            first = g[g["param"].astype(str).str.endswith(" toxic")]["early_mean"]
            early = f"; {_pct(float(first.iloc[0]))} in its first third, before it could learn" if len(first) else ""
            parts.append(f"avoids {pool} when it is toxic ({_pct(toxic)} of the shares against {_pct(benign)} when "
                         f"benign, parents in the last third of the window{early})")
        else:
            parts.append(f"does not avoid {pool} when it is toxic ({_pct(toxic)} of the shares against "
                         f"{_pct(benign)} when benign, parents in the last third of the window)")
    return "; ".join(parts)


def _failover(rows: pd.DataFrame, context: pd.DataFrame | None) -> str:
    untouched = _untouched(rows, context)  # a router that never goes to the venue is not tested by its outage
    if untouched:
        return untouched
    r = rows.iloc[0]
    m = float(r["mean"])
    if m >= FAILOVER_OK:
        return (f"re-routes after an outage at {r['target']} (its last quote still showing): {_pct(m)} of the "
                f"shares of parents arriving during it filled within 1 s{_evidence(r)}")
    return (f"strands orders in an outage at {r['target']} (its last quote still showing): {_pct(1 - m)} of the "
            f"shares of parents arriving during it were not filled within 1 s{_evidence(r)}")


CHANGE_COLUMNS = ("router", "probe", "param", "mean_a", "mean_b", "change", "finding_a", "finding_b", "changed")
CHANGED_BY = 0.25
"""A twin's response moved by this much (a share, 0-1) or more, or its probe's finding changed: a behaviour changed."""


def fingerprint_changes(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Per router, probe and twin in either fingerprint: A's and B's mean, the change, the findings, and ``changed``.

    A behaviour changed when the finding's words differ, or the response moved by :data:`CHANGED_BY` or more; a
    twin in one folder only is a change.
    """
    keys = ["router", "probe", "param"]
    cols = [*keys, "mean", "finding"]
    m = a[cols].merge(b[cols], on=keys, how="outer", suffixes=("_a", "_b"), indicator=True)
    m["change"] = m["mean_b"] - m["mean_a"]
    moved = m["change"].abs() >= CHANGED_BY
    words = m["finding_a"].fillna("") != m["finding_b"].fillna("")
    m["changed"] = moved | words | (m["_merge"] != "both")
    return m.drop(columns="_merge")[list(CHANGE_COLUMNS)].sort_values(keys, kind="stable").reset_index(drop=True)
