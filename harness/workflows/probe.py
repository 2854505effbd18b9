"""``sorbench probe``: controlled experiments that reveal a router's routing logic (the due-diligence fingerprint).

Each probe is a family of *twins* of one controlled market (:func:`probe_market`): the scenario's venues, fees,
latencies and one symbol, with every background participant switched off and the book built from standing orders
(``[[plants]]``, :mod:`harness.sim.background.plants`) that are re-placed whole after each fill, so every parent order
meets the same book. A twin changes one thing and holds everything else (the same parent flow, the same latency
streams); every router named runs on every twin and seed. The parent flow: ``orders`` market buy orders of
``parent_qty`` shares each, one every ``window / orders`` on average.

Probes (``PROBES``):

``coverage``
    One twin per venue V trading the symbol. Every lit venue shows a bid two ticks below and an offer two ticks
    above the reference price P (the symbol's ``price_usd`` on its tick), ``LADDER_QTY`` shares each. The best
    offer rests only at V: a lit V shows an offer one tick better (P + 1 tick, ``parent_qty`` shares); a dark pool
    V holds a midpoint sell order (at P, ``parent_qty`` shares); a wholesaler V has no plant (it fills at the NBBO
    less its price improvement, so its liquidity is always there). The response is the share of the parent
    shares executed at V.
``price-vs-fee``
    Two lit venues A and B (the first two lit venues in name order). A offers one tick better (P + 1 tick,
    ``parent_qty`` shares) at a take fee ``g`` on the grid ``FEE_GRID_USD``; B offers at P + 2 ticks with a taker
    rebate of $0.002 (an inverted venue); other lit venues offer at P + 3 ticks. The access-fee cap is raised to
    $0.010 for these twins, and A's quote is not protected (like a manual quote), so that a router may lawfully pass
    over its better price: with a protected A, Rule 611 makes every venue reject an order to B at the worse price,
    whatever the router's preference. The fee gap is ``g + 0.002``; the price gap is one tick ($0.01 on a penny
    tick). The response is the share of the parent shares executed at A: a router that ranks by net price (price
    plus take fee) prefers A while the fee gap is below the price gap and B above it; a fee-blind router prefers A
    throughout.

:mod:`harness.analytics.probe` turns the responses into ``probe/fingerprint.csv`` and one plain sentence per finding.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from adapters.registry import RouterRegistry
from harness.scenario.routers import resolve_router_params
from harness.scenario.schema import Scenario, scenario_from_dict
from harness.sim.engine import RunResult, build_parents
from harness.sim.router_node import RouterLimits
from harness.workflows.tasks import plan_tasks, simulate_all
from venues.types import PRICE_SCALE

PROBES = ("coverage", "price-vs-fee")
"""The probes :func:`probe_twins` builds, in order."""
LADDER_QTY = 5_000
"""Shares of every standing quote that is not the probe's target."""
FEE_GRID_USD = (0.0, 0.002, 0.004, 0.006, 0.007, 0.009)
"""Take fees (USD per share) of the better-priced venue A in the price-vs-fee twins: fee gaps $0.002-$0.011, none
equal to the one-tick price gap, so a net-price rule never meets an exact tie."""
PLANT_REFRESH_MS = 1.0
"""A plant is whole again 1 ms after a fill: the next parent (about a second later on average) meets the same book."""
REBATE_B_USD = 0.002
"""Taker rebate of venue B in the price-vs-fee twins (its take fee is minus this)."""


@dataclass(frozen=True)
class ProbeSettings:
    """The controlled market of every probe: which symbol, how many parents of what size, over how long."""

    symbol: str | None = None
    """Default: the scenario's first symbol."""
    orders: int = 20
    parent_qty: int = 300
    window_s: float = 30.0


@dataclass(frozen=True)
class Twin:
    """One scenario of a probe: ``param`` is what the twin sets (a venue name, or a fee gap in USD per share)."""

    probe: str
    label: str
    param: Any
    target: str
    """The venue whose share of the executed shares is the response."""
    scenario: Scenario


def probe_market(scenario: Scenario, settings: ProbeSettings) -> dict[str, Any]:
    """The controlled market of ``scenario`` as scenario data, without plants (module docstring)."""
    data = scenario.model_dump(mode="json")
    sym = settings.symbol or scenario.symbols[0].name
    if sym not in {s.name for s in scenario.symbols}:
        raise ValueError(f"--symbol: {sym!r} is not a symbol of scenario {scenario.name!r}")
    data["name"] = f"{scenario.name}-probe"[:32]
    data["symbols"] = [s for s in data["symbols"] if s["name"] == sym]
    for v in data["venues"]:
        if v.get("symbols") is not None:
            v["symbols"] = [s for s in v["symbols"] if s == sym] or None
        if v.get("dark") is not None:
            v["dark"] = dict(v["dark"], arrivals_per_second=0.0, toxicity=0.0)
    data["venues"] = [v for v in data["venues"] if v.get("symbols") is None or sym in v["symbols"]]
    bg = data["background"]
    for part in ("market_maker", "liquidity", "informed", "fast_trader"):
        bg[part] = dict(bg[part], enabled=False)
    start = scenario.session.start_ns
    warmup_s = 1.0
    end_ns = start + round((settings.window_s + warmup_s) * 1e9)
    data["session"] = dict(data["session"], end=_clock(end_ns))
    data["events"] = []
    data["flow"] = dict(
        data["flow"], file=None, orders=settings.orders, warmup_s=warmup_s, buy_share=1.0,
        mix={"market": 1.0, "marketable_limit": 0.0, "nonmarketable_limit": 0.0},
        median_shares=float(settings.parent_qty), size_sigma=0.0, max_shares=max(settings.parent_qty, 1),
        round_lot_share=0.0, symbol_weights=None,
    )
    data["plants"] = []
    return data


def _clock(ns: int) -> str:
    s, rem = divmod(ns, 1_000_000_000)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.{rem // 1000:06d}"


def _reference_price(data: dict[str, Any], scenario: Scenario) -> tuple[int, int]:
    """(P, tick) in price units: the symbol's price rounded to its tick."""
    sym = next(s for s in scenario.symbols if s.name == data["symbols"][0]["name"])
    tick = sym.tick
    return round(sym.price_usd * PRICE_SCALE / tick) * tick, tick


def _plant(venue: str, symbol: str, side: str, qty: int, price: int | None, display: str = "displayed") -> dict:
    return {"venue": venue, "symbol": symbol, "side": side, "qty": qty,
            "price_usd": None if price is None else price / PRICE_SCALE, "display": display,
            "refresh_ms": PLANT_REFRESH_MS}


def _lit(data: dict[str, Any]) -> list[str]:
    """Lit venues with a protected quote, in name order (their order in the scenario never matters)."""
    return sorted(v["name"] for v in data["venues"] if v["kind"] == "lit" and v.get("protected") is not False)


def coverage_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """One twin per venue: the best offer rests only there (module docstring)."""
    base = probe_market(scenario, settings)
    sym = base["symbols"][0]["name"]
    p, tick = _reference_price(base, scenario)
    ladder = [_plant(v, sym, side, LADDER_QTY, price) for v in _lit(base)
              for side, price in (("buy", p - 2 * tick), ("sell", p + 2 * tick))]
    twins: list[Twin] = []
    for v in sorted(base["venues"], key=lambda v: v["name"]):
        kind = v["kind"]
        if kind == "lit" and v.get("protected") is False:
            continue  # an unprotected lit venue's quote is not part of the NBBO a router is told to find
        extra = []
        if kind == "lit":
            extra = [_plant(v["name"], sym, "sell", settings.parent_qty, p + tick)]
        elif kind == "dark":
            extra = [_plant(v["name"], sym, "sell", settings.parent_qty, None, "midpoint")]
        data = dict(base, plants=ladder + extra)
        twins.append(Twin("coverage", f"best offer only at {v['name']}", v["name"], v["name"],
                          scenario_from_dict(data, source=f"probe coverage {v['name']}")))
    return twins


def fee_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """The price-vs-fee grid: A one tick better at take fee g, B a tick worse with a taker rebate (module docstring)."""
    base = probe_market(scenario, settings)
    lit = _lit(base)
    if len(lit) < 2:
        return []
    a, b = lit[0], lit[1]
    sym = base["symbols"][0]["name"]
    p, tick = _reference_price(base, scenario)
    twins: list[Twin] = []
    for g in FEE_GRID_USD:
        data = dict(base, access_fee_cap_usd=0.010)
        venues = []
        for v in base["venues"]:
            if v["name"] == a:  # unprotected: passing over its better price is not a trade-through (Rule 611)
                v = dict(v, protected=False, fees={"model": "maker-taker", "take_usd": g, "make_usd": 0.0,
                                                   "pfof_usd": 0.0})
            elif v["name"] == b:
                v = dict(v, fees={"model": "inverted", "take_usd": -REBATE_B_USD, "make_usd": 0.0, "pfof_usd": 0.0})
            venues.append(v)
        data["venues"] = venues
        plants = [_plant(v, sym, "buy", LADDER_QTY, p - 3 * tick) for v in lit]
        plants += [_plant(a, sym, "sell", settings.parent_qty, p + tick),
                   _plant(b, sym, "sell", LADDER_QTY, p + 2 * tick)]
        plants += [_plant(v, sym, "sell", LADDER_QTY, p + 3 * tick) for v in lit[2:]]
        data["plants"] = plants
        gap = round(g + REBATE_B_USD, 6)
        twins.append(Twin("price-vs-fee", f"{a} one tick better, fee gap ${gap:.3f}", gap, a,
                          scenario_from_dict(data, source=f"probe price-vs-fee {gap}")))
    return twins


def probe_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """Every probe's twins, in :data:`PROBES` order."""
    return [*coverage_twins(scenario, settings), *fee_twins(scenario, settings)]


def executed_at(res: RunResult, venue: str) -> tuple[int, int]:
    """(shares executed at ``venue``, shares executed anywhere) by the router in one simulation."""
    fills = res.fills
    at = sum(q for v, q in zip(fills.get("venue", []), fills.get("qty", []), strict=True) if v == venue)
    return at, sum(fills.get("qty", []))


RESPONSE_COLUMNS = ("router", "probe", "twin", "param", "target", "seed", "status", "parent_shares",
                    "executed_shares", "target_shares")


def run_probes(
    scenario: Scenario, routers: Sequence[str], *, seeds: Sequence[int], registry: RouterRegistry,
    settings: ProbeSettings = ProbeSettings(), jobs: int = 1, on_done: Callable[[RunResult], None] | None = None,
    twins: list[Twin] | None = None,
) -> tuple[list[Twin], dict[str, list[Any]]]:
    """Every router x seed on every twin; the responses as column lists (:data:`RESPONSE_COLUMNS`).

    A failed simulation keeps its row (``status`` says so, counts 0); the analytics leave it out and say so.
    """
    twins = twins if twins is not None else probe_twins(scenario, settings)
    rows: dict[str, list[Any]] = {k: [] for k in RESPONSE_COLUMNS}
    for i, twin in enumerate(twins):
        params = {r: resolve_router_params(twin.scenario, registry, r, source=twin.label) for r in routers}
        tasks = plan_tasks(twin.scenario, routers, seeds=seeds, params=params, parents=None, limits=RouterLimits(),
                           realtime=None)
        flow = {seed: sum(p.qty for p in build_parents(twin.scenario, seed)) for seed in seeds}
        for res in simulate_all(tasks, registry, jobs=jobs, on_done=on_done):
            ok = res.status == "ok"
            at, total = executed_at(res, twin.target) if ok else (0, 0)
            values = (res.router, twin.probe, i, str(twin.param), twin.target, res.seed, res.status, flow[res.seed],
                      total, at)
            for k, v in zip(RESPONSE_COLUMNS, values, strict=True):
                rows[k].append(v)
    return twins, rows


def write_probe_folder(out_dir: Path, *, scenario: Scenario, routers: Sequence[str], seeds: Sequence[int],
                       settings: ProbeSettings, twins: list[Twin], rows: dict[str, list[Any]]) -> Any:
    """``out_dir/probe/``: ``responses.csv``, ``fingerprint.csv`` and ``twins.json``, written whole or not at all."""
    from harness.analytics.probe import fingerprint
    from harness.workflows.folder import partial_folder

    fp = fingerprint(rows)
    tmp = partial_folder(out_dir)
    try:
        folder = tmp / "probe"
        folder.mkdir()
        pd.DataFrame(rows).to_csv(folder / "responses.csv", index=False, lineterminator="\n")
        fp.to_csv(folder / "fingerprint.csv", index=False, float_format="%.6g", lineterminator="\n")
        described = {
            "scenario": scenario.name, "scenario_sha256": scenario.sha256(), "routers": list(routers),
            "seeds": list(seeds), "settings": asdict(settings),
            "twins": [{"twin": i, "probe": t.probe, "label": t.label, "param": t.param, "target": t.target,
                       "scenario_sha256": t.scenario.sha256()} for i, t in enumerate(twins)],
        }
        (folder / "twins.json").write_text(json.dumps(described, indent=2, sort_keys=True) + "\n")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return fp
