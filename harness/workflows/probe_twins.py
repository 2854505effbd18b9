"""The probes' twins: one controlled market per scenario, and the families of twins that each change one thing.

The controlled market (:func:`probe_market`) has the scenario's venues, fees, latencies and one symbol, with every
background participant switched off and the book built from standing orders (``[[plants]]``,
:mod:`harness.sim.background.plants`) re-placed whole 1 ms after each fill, so every parent order meets the same
book. The parent flow: ``orders`` market buy orders of ``parent_qty`` shares over ``window_s`` seconds after a
1-second warm-up (the same arrival times for every router and twin of a seed). P is the symbol's ``price_usd`` on its
tick; "lit venues" are those with a protected quote, in name order (their order in the file never matters); A and B
are the first two.

Probes (:data:`PROBES`), each with its response (the ``measure`` of its twins, computed by
:mod:`harness.workflows.probe`):

``coverage``
    One twin per venue V (lit, dark, wholesaler). Every lit venue quotes P - 2 ticks / P + 2 ticks
    (:data:`LADDER_QTY` shares); the best offer rests only at V: a lit V offers P + 1 tick (``parent_qty`` shares),
    a dark V holds a midpoint sell order (at P), a wholesaler has no plant (it fills at the NBBO less its price
    improvement). Response: share of the parent shares executed at V.
``price-vs-fee``
    A offers one tick better (P + 1 tick, ``parent_qty`` shares) at take fee g in :data:`FEE_GRID_USD`; B offers
    P + 2 ticks with a $0.002 taker rebate; others P + 3 ticks. Fee gap g + $0.002, never exactly the one-tick price
    gap. The access-fee cap is raised to $0.010 and A's quote is not protected, so that passing over its better
    price is lawful (with a protected A, Rule 611 makes every venue reject an order to B at the worse price, whatever
    the router prefers). Response: share of the parent shares executed at A.
``price-vs-size``
    A offers P + 1 tick for only :data:`SMALL_QTY` shares, B P + 2 ticks for :data:`LADDER_QTY`, others P + 3 ticks;
    parents of :data:`SIZE_PARENT_QTY` shares. Response: share of parents whose child orders sent at the router's
    first decision went to two venues or more (a sweep), against one venue at a time (sequential).
``hidden``
    A holds a hidden (non-displayed) offer at P + 1 tick (``parent_qty`` shares); every lit venue displays
    P - 2 / P + 2 ticks. Response: share of the parent shares executed at A at P + 1 tick.
``speed``
    A offers P + 1 tick (``parent_qty`` shares), others P + 2 ticks; the router's order-entry link to A is slowed by
    each of :data:`ADDED_LATENCY_MS` (a floor added to its latency model). Response: share of the parent shares
    executed at A.
``sip``
    A's offer one tick better (P + 1 tick, ``parent_qty`` shares) comes and goes: placed every second, cancelled
    :data:`FLASH_LIFE_MS` later; B offers P + 2 ticks, others P + 3 ticks. One parent arrives
    :data:`FLASH_PARENT_DELAY_MS` after each placing (the flow is these parents, not drawn). Two twins: the SIP's
    consolidation delay as in the scenario, and :data:`STALE_SIP_MS` longer. A router reading direct feeds sees A's
    offer either way; one that relies on the SIP NBBO sees it in the first twin and not in the second (at the parent's
    arrival the late SIP still shows P + 2 ticks). Response: child shares the router sent to A per parent share (where
    it routed: a venue's route-out rule may still bring an order sent to B to A's better quote).
``failover``
    A offers P + 1 tick (``parent_qty`` shares), others P + 2 ticks; A goes down (``venue_outage``) from a third of
    the window to its end, its last quote still showing (the other venues declare self-help). Response: share of the
    shares of parents arriving during the outage that filled within :data:`FAILOVER_S` of arrival.
``stale-quotes``
    A offers P + 1 tick, others P + 2 ticks; from a third of the window on, A's feeds freeze (``stale_quotes``: direct
    and SIP) still showing that offer, which is withdrawn 1 ms after the freeze begins. Response: share of the shares
    of parents arriving while the feed is frozen that filled within :data:`FAILOVER_S` of arrival (an order sent to
    the phantom quote finds nothing and must be routed again).
``halt``
    Every lit venue quotes P - 2 / P + 2 ticks; trading in the symbol halts from a third to two thirds of the window
    (every venue rejects new orders, resting orders stay). Response: share of the shares of parents arriving during
    the halt that filled within :data:`FAILOVER_S` after it ended (a router that gives up on rejected parents
    strands them).
``locked``
    A bids P, B offers P (a locked NBBO: B's ``lock_cross`` rule is set to ``none`` so its offer may lock), the other
    lit venues quote P - 2 / P + 2 ticks. Response: share of the parent shares executed at B, the best offer.
``odd-lots``
    The coverage twin of A (A offers P + 1 tick) with parents of :data:`ODD_LOT_QTY` shares, less than a round lot.
    Response: share of the parent shares executed at A (compare with the coverage probe's round-lot parents).
``block``
    Every lit venue quotes P - 2 / P + 2 ticks with only :data:`BLOCK_TOP_QTY` shares; each dark pool holds a
    midpoint sell order of the block's size; parents are blocks of :data:`BLOCK_MULTIPLE` times one venue's displayed
    offer. Response: share of the block shares executed in dark pools (none without a dark pool: no twin).
``payments``
    The coverage market with no best offer anywhere (every lit venue P - 2 / P + 2 ticks); the wholesalers' payment
    for order flow rotated cyclically (at least two wholesalers, one paying): one scenario per rotation, and in each
    one twin per wholesaler W. Response: share of the parent shares executed at W, in rotations where W pays most
    (``top``) and where it does not (``other``): the difference is the router's payment tilt.
``rebates``
    Every lit venue quotes P - 2 / P + 2 ticks; one parent a second, a buy limit order at P - 1 tick (inside the
    spread, not marketable: it rests). The maker rebates of the lit venues that pay one are rotated the same way (at
    least two payers). Response: child shares the router sent to each payer V per parent share, top or other.
``toxicity``
    Not the controlled market: the scenario's own market (its background and dark-pool flow) over
    :data:`TOXIC_WINDOW_MULTIPLE` times the window, with :data:`TOXIC_ORDERS_MULTIPLE` times the orders. Per dark pool
    D two twins: every pool benign (toxicity 0), and D toxic (:data:`TOXICITY`). Response: share of the shares of
    parents arriving in the window's last third that the router sent (child order quantity) to D.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.contract import ParentOrder
from harness.scenario.schema import Scenario, scenario_from_dict
from venues.types import PRICE_SCALE, OrdType, Side

PROBES = ("coverage", "price-vs-fee", "price-vs-size", "hidden", "speed", "sip", "failover", "stale-quotes", "halt",
          "locked", "odd-lots", "block", "payments", "rebates", "toxicity")
"""The probes :func:`probe_twins` builds, in order."""
LADDER_QTY = 5_000
"""Shares of every standing quote that is not the probe's target."""
FEE_GRID_USD = (0.0, 0.002, 0.004, 0.006, 0.007, 0.009)
"""Take fees (USD per share) of the better-priced venue A in the price-vs-fee twins: fee gaps $0.002-$0.011, none
equal to the one-tick price gap, so a net-price rule never meets an exact tie."""
REBATE_B_USD = 0.002
"""Taker rebate of venue B in the price-vs-fee twins (its take fee is minus this)."""
PLANT_REFRESH_MS = 1.0
"""A plant is whole again 1 ms after a fill: the next parent (about a second later on average) meets the same book."""
PENNY = 100
"""$0.01 in price units: the price-vs-fee probe runs on a penny-tick symbol only (its fee grid straddles one tick)."""
SMALL_QTY = 100
SIZE_PARENT_QTY = 1_000
ADDED_LATENCY_MS = (0.0, 1.0, 5.0, 20.0, 100.0)
FAILOVER_S = 1.0
ODD_LOT_QTY = 40
BLOCK_TOP_QTY = 500
BLOCK_MULTIPLE = 50
FLASH_LIFE_MS = 300.0
FLASH_PARENT_DELAY_MS = 5.0
STALE_SIP_MS = 50.0
TOXICITY = 0.8
TOXIC_WINDOW_MULTIPLE = 4
TOXIC_ORDERS_MULTIPLE = 3
WARMUP_S = 1.0


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
    """One scenario of a probe: ``param`` is what the twin sets (a venue, a fee gap in USD, an added latency in ms)."""

    probe: str
    label: str
    param: Any
    target: str
    """The venue the response is about."""
    scenario: Scenario
    measure: str = "share_at_target"
    """How the response is computed (:data:`harness.workflows.probe.MEASURES`)."""
    price: int | None = None
    """``share_at_price``: the price (price units) the target's shares must have executed at."""
    window: tuple[int, int] | None = None
    """``filled_within``: the parents arriving in ``[start, end)`` ns."""
    parents: tuple[ParentOrder, ...] | None = None
    """The twin's own parent flow (every seed the same), instead of the scenario's generated one."""


def probe_market(scenario: Scenario, settings: ProbeSettings) -> dict[str, Any]:
    """The controlled market of ``scenario`` as scenario data, without plants (module docstring)."""
    data = scenario.model_dump(mode="json")
    sym = settings.symbol or scenario.symbols[0].name
    if sym not in {s.name for s in scenario.symbols}:
        raise ValueError(f"--symbol: {sym!r} is not a symbol of scenario {scenario.name!r}")
    data["name"] = f"{scenario.name}-probe"[:32]
    # Every symbol and venue stays (a vendor's session may subscribe to its whole symbol list); only the probed
    # symbol has liquidity and parents, and only the venues trading it take part in the probes.
    data["symbols"] = sorted(data["symbols"], key=lambda s: s["name"] != sym)
    for v in data["venues"]:
        if v.get("dark") is not None:
            v["dark"] = dict(v["dark"], arrivals_per_second=0.0, toxicity=0.0)
    bg = data["background"]
    for part in ("market_maker", "liquidity", "informed", "fast_trader"):
        bg[part] = dict(bg[part], enabled=False)
    end_ns = scenario.session.start_ns + round((settings.window_s + WARMUP_S) * 1e9)
    data["session"] = dict(data["session"], end=clock(end_ns))
    data["events"] = []
    data["flow"] = dict(
        data["flow"], file=None, orders=settings.orders, warmup_s=WARMUP_S, buy_share=1.0,
        mix={"market": 1.0, "marketable_limit": 0.0, "nonmarketable_limit": 0.0}, size_sigma=0.0,
        round_lot_share=0.0, symbol_weights={s["name"]: float(s["name"] == sym) for s in data["symbols"]},
    )
    _parents_of(data, settings.parent_qty)
    data["plants"] = []
    return data


def _parents_of(data: dict[str, Any], qty: int) -> None:
    data["flow"].update(median_shares=float(qty), max_shares=max(qty, 1))


def clock(ns: int) -> str:
    """HH:MM:SS.ffffff of ns after midnight (microseconds: the scenario's clock format)."""
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


def _trading(data: dict[str, Any], kind: str | None = None) -> list[dict[str, Any]]:
    """The venues (of ``kind``) trading the probed symbol (the first of ``data``'s symbols), in name order."""
    sym = data["symbols"][0]["name"]
    return sorted((v for v in data["venues"] if (v.get("symbols") is None or sym in v["symbols"])
                   and (kind is None or v["kind"] == kind)), key=lambda v: v["name"])


def _lit(data: dict[str, Any]) -> list[str]:
    """Lit venues with a protected quote trading the probed symbol, in name order."""
    return [v["name"] for v in _trading(data, "lit") if v.get("protected") is not False]


@dataclass(frozen=True)
class _Market:
    """A probe's controlled market: its data, symbol, P, tick and lit venues."""

    data: dict[str, Any]
    sym: str
    p: int
    tick: int
    lit: list[str]

    def ladder(self, bid_ticks: int, ask_ticks: int, venues: list[str] | None = None) -> list[dict]:
        """Bids ``bid_ticks`` below and offers ``ask_ticks`` above P on ``venues`` (default: every lit venue)."""
        return [_plant(v, self.sym, side, LADDER_QTY, price) for v in (self.lit if venues is None else venues)
                for side, price in (("buy", self.p - bid_ticks * self.tick), ("sell", self.p + ask_ticks * self.tick))]

    def offer(self, venue: str, ticks: int, qty: int, display: str = "displayed") -> dict:
        return _plant(venue, self.sym, "sell", qty, self.p + ticks * self.tick, display)

    def twin(self, probe: str, label: str, param: Any, target: str, **changes: Any) -> tuple[dict[str, Any], Any]:
        data = dict(self.data, **{k: v for k, v in changes.items() if k in self.data})
        extra = {k: v for k, v in changes.items() if k not in self.data}
        return data, Twin(probe, label, param, target, scenario_from_dict(data, source=f"probe {probe} {param}"),
                          **extra)


def _window(scenario: Scenario, settings: ProbeSettings) -> tuple[int, int]:
    """The parents' window (ns): after the warm-up, ``window_s`` long."""
    start = scenario.session.start_ns + round(WARMUP_S * 1e9)
    return start, start + round(settings.window_s * 1e9)


def _market(scenario: Scenario, settings: ProbeSettings) -> _Market:
    data = probe_market(scenario, settings)
    p, tick = _reference_price(data, scenario)
    return _Market(data, data["symbols"][0]["name"], p, tick, _lit(data))


def coverage_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """One twin per venue: the best offer rests only there."""
    m = _market(scenario, settings)
    twins: list[Twin] = []
    for v in _trading(m.data):
        kind, name = v["kind"], v["name"]
        if kind == "lit" and v.get("protected") is False:
            continue  # an unprotected quote is not part of the NBBO a router is told to find
        extra = []
        if kind == "lit":
            extra = [m.offer(name, 1, settings.parent_qty)]
        elif kind == "dark":
            extra = [_plant(name, m.sym, "sell", settings.parent_qty, None, "midpoint")]
        twins.append(m.twin("coverage", f"best offer only at {name}", name, name, plants=m.ladder(2, 2) + extra)[1])
    return twins


def fee_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """The price-vs-fee grid: A one tick better at take fee g, B a tick worse with a taker rebate."""
    m = _market(scenario, settings)
    if len(m.lit) < 2 or m.tick != PENNY:
        return []  # the fee grid is set against a one-penny price gap
    a, b = m.lit[0], m.lit[1]
    twins: list[Twin] = []
    for g in FEE_GRID_USD:
        venues = []
        for v in m.data["venues"]:
            if v["name"] == a:  # unprotected: passing over its better price is not a trade-through (Rule 611)
                v = dict(v, protected=False, fees={"model": "maker-taker", "take_usd": g, "make_usd": 0.0,
                                                   "pfof_usd": 0.0})
            elif v["name"] == b:
                v = dict(v, fees={"model": "inverted", "take_usd": -REBATE_B_USD, "make_usd": 0.0, "pfof_usd": 0.0})
            venues.append(v)
        plants = [_plant(v, m.sym, "buy", LADDER_QTY, m.p - 3 * m.tick) for v in m.lit]
        plants += [m.offer(a, 1, settings.parent_qty), m.offer(b, 2, LADDER_QTY)]
        plants += [m.offer(v, 3, LADDER_QTY) for v in m.lit[2:]]
        gap = round(g + REBATE_B_USD, 6)
        twins.append(m.twin("price-vs-fee", f"{a} one tick better, fee gap ${gap:.3f}", gap, a,
                            access_fee_cap_usd=0.010, venues=venues, plants=plants)[1])
    return twins


def size_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """A small better quote at A against a larger worse one at B, for parents larger than both."""
    m = _market(scenario, settings)
    if len(m.lit) < 2:
        return []
    a, b = m.lit[0], m.lit[1]
    flow = dict(m.data["flow"], median_shares=float(SIZE_PARENT_QTY), max_shares=SIZE_PARENT_QTY)
    plants = [_plant(v, m.sym, "buy", LADDER_QTY, m.p - 3 * m.tick) for v in m.lit]
    plants += [m.offer(a, 1, SMALL_QTY), m.offer(b, 2, LADDER_QTY)] + [m.offer(v, 3, LADDER_QTY) for v in m.lit[2:]]
    return [m.twin("price-vs-size", f"{SMALL_QTY} shares one tick better at {a}, {LADDER_QTY:,} at {b}",
                   f"{SMALL_QTY}@{a}", a, flow=flow, plants=plants, measure="sweep_share")[1]]


def hidden_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """A hidden offer one tick inside the displayed quotes at A."""
    m = _market(scenario, settings)
    a = m.lit[0]
    plants = [*m.ladder(2, 2), m.offer(a, 1, settings.parent_qty, "hidden")]
    return [m.twin("hidden", f"hidden offer one tick inside at {a}", a, a, plants=plants, measure="share_at_price",
                   price=m.p + m.tick)[1]]


def speed_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """The best offer at A with the router's order-entry link to A slowed in steps."""
    m = _market(scenario, settings)
    a = m.lit[0]
    plants = [*m.ladder(2, 2), m.offer(a, 1, settings.parent_qty)]
    base_links = [ln for ln in m.data["latency"]["links"]
                  if (ln["participant"], ln["venue"], ln["direction"]) != ("router", a, "order_entry")]
    entry = next((ln["model"] for ln in m.data["latency"]["links"]
                  if (ln["participant"], ln["venue"], ln["direction"]) == ("router", a, "order_entry")),
                 m.data["latency"]["defaults"]["order_entry"])
    twins: list[Twin] = []
    for ms in ADDED_LATENCY_MS:
        model = _slowed(entry, round(ms * 1_000_000))
        latency = dict(m.data["latency"], links=[*base_links, {"participant": "router", "venue": a,
                                                               "direction": "order_entry", "model": model}])
        twins.append(m.twin("speed", f"best offer at {a}, its order entry {ms:g} ms slower", ms, a,
                            latency=latency, plants=plants)[1])
    return twins


def _slowed(model: dict[str, Any], added_ns: int) -> dict[str, Any]:
    """A latency model with ``added_ns`` more delay on every draw (a floor for the distributions)."""
    kind = model["model"]
    if kind == "constant":
        return dict(model, ns=model["ns"] + added_ns)
    if kind == "empirical":
        return dict(model, samples_ns=[s + added_ns for s in model["samples_ns"]])
    if kind == "normal":
        return dict(model, mean_ns=model["mean_ns"] + added_ns, min_ns=model.get("min_ns", 0) + added_ns)
    return dict(model, min_ns=model.get("min_ns", 0) + added_ns)


def sip_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """A's better offer comes and goes; the SIP as in the scenario, and 50 ms late (module docstring)."""
    m = _market(scenario, settings)
    if len(m.lit) < 2:
        return []
    a, b = m.lit[0], m.lit[1]
    first = round(WARMUP_S * 1e3)
    flash = dict(m.offer(a, 1, settings.parent_qty), start_ms=float(first), life_ms=FLASH_LIFE_MS, every_ms=1000.0)
    plants = [_plant(v, m.sym, "buy", LADDER_QTY, m.p - 3 * m.tick) for v in m.lit]
    plants += [flash, m.offer(b, 2, LADDER_QTY)] + [m.offer(v, 3, LADDER_QTY) for v in m.lit[2:]]
    start = scenario.session.start_ns + first * 1_000_000
    n = max(1, min(settings.orders, int(settings.window_s)))
    parents = tuple(ParentOrder(k, m.sym, Side.BUY, OrdType.MARKET, settings.parent_qty, None,
                                start + k * 1_000_000_000 + round(FLASH_PARENT_DELAY_MS * 1e6)) for k in range(n))
    base = m.data["latency"]["sip_processing"]
    twins: list[Twin] = []
    for late_ms in (0.0, STALE_SIP_MS):
        latency = dict(m.data["latency"], sip_processing=_slowed(base, round(late_ms * 1_000_000)))
        label = "SIP as in the scenario" if not late_ms else f"SIP {late_ms:g} ms late"
        twins.append(m.twin("sip", f"A's better offer comes and goes; {label}", late_ms, a, latency=latency,
                            plants=plants, parents=parents, measure="sent_to_target")[1])
    return twins


def failover_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """The best offer at A, and A down from a third of the window to its end."""
    m = _market(scenario, settings)
    a = m.lit[0]
    start, end = _window(scenario, settings)
    down = start + (end - start) // 3
    events = [{"kind": "venue_outage", "venue": a, "start": clock(down), "end": m.data["session"]["end"]}]
    plants = [*m.ladder(2, 2), m.offer(a, 1, settings.parent_qty)]
    return [m.twin("failover", f"{a} (best offer) down from {clock(down)[:12]}", a, a, events=events, plants=plants,
                   measure="filled_within", window=(down, end))[1]]


def stale_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """A's feeds freeze on its best offer, which is withdrawn just after (module docstring)."""
    m = _market(scenario, settings)
    a = m.lit[0]
    start, end = _window(scenario, settings)
    frozen = start + (end - start) // 3
    offer = dict(m.offer(a, 1, settings.parent_qty),
                 life_ms=(frozen - scenario.session.start_ns) / 1e6 + 1.0)
    events = [{"kind": "stale_quotes", "venue": a, "start": clock(frozen), "end": m.data["session"]["end"]}]
    return [m.twin("stale-quotes", f"{a}'s feeds frozen on a withdrawn best offer from {clock(frozen)[:12]}", a, a,
                   events=events, plants=[*m.ladder(2, 2), offer], measure="filled_within", window=(frozen, end))[1]]


def locked_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """A locked NBBO: A's bid at P, B's offer at P (module docstring)."""
    m = _market(scenario, settings)
    if len(m.lit) < 2:
        return []
    a, b = m.lit[0], m.lit[1]
    venues = [dict(v, lock_cross="none") if v["name"] == b else v for v in m.data["venues"]]
    plants = m.ladder(2, 2, m.lit[2:])
    plants += [_plant(a, m.sym, "buy", LADDER_QTY, m.p), m.offer(a, 2, LADDER_QTY),
               _plant(b, m.sym, "buy", LADDER_QTY, m.p - 2 * m.tick), m.offer(b, 0, LADDER_QTY)]
    return [m.twin("locked", f"locked NBBO: {a} bids and {b} offers at the same price", b, b, venues=venues,
                   plants=plants)[1]]


def odd_lot_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """The best offer at A, for parents smaller than a round lot."""
    m = _market(scenario, settings)
    a = m.lit[0]
    flow = dict(m.data["flow"], median_shares=float(ODD_LOT_QTY), max_shares=ODD_LOT_QTY)
    return [m.twin("odd-lots", f"best offer only at {a}, parents of {ODD_LOT_QTY} shares", a, a, flow=flow,
                   plants=[*m.ladder(2, 2), m.offer(a, 1, settings.parent_qty)])[1]]


def halt_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """A trading halt from a third to two thirds of the window."""
    m = _market(scenario, settings)
    start = scenario.session.start_ns + round(WARMUP_S * 1e9)
    span = round(settings.window_s * 1e9)
    on, off = start + span // 3, start + 2 * span // 3
    events = [{"kind": "halt", "symbol": m.sym, "start": clock(on), "end": clock(off)}]
    return [m.twin("halt", f"{m.sym} halted {clock(on)[:12]}-{clock(off)[:12]}", m.sym, m.sym, events=events,
                   plants=m.ladder(2, 2), measure="filled_after", window=(on, off))[1]]


def block_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """Blocks of 50 times one venue's displayed offer, with midpoint liquidity of the block's size in each dark pool."""
    m = _market(scenario, settings)
    dark = [v["name"] for v in _trading(m.data, "dark")]
    if not dark:
        return []
    qty = BLOCK_MULTIPLE * BLOCK_TOP_QTY
    plants = [_plant(v, m.sym, side, BLOCK_TOP_QTY, price) for v in m.lit
              for side, price in (("buy", m.p - 2 * m.tick), ("sell", m.p + 2 * m.tick))]
    plants += [_plant(d, m.sym, "sell", qty, None, "midpoint") for d in dark]
    flow = dict(m.data["flow"], median_shares=float(qty), max_shares=qty)
    return [m.twin("block", f"blocks of {qty:,} shares ({BLOCK_MULTIPLE}x the displayed offer of one venue)",
                   f"{qty}", ",".join(dark), flow=flow, plants=plants, measure="share_in_dark")[1]]


def _rotations(m: _Market, payers: list[str], pay: dict[str, float], *, probe: str, field: str, sign: float,
               plants: list[dict], parents: tuple[ParentOrder, ...] | None, measure: str) -> list[Twin]:
    """One scenario per cyclic rotation of the payers' payments, and one twin per (rotation, payer).

    ``field`` is the fee field rotated (``sign`` * fee is what the venue pays). A twin's response is the share at its
    payer, which is or is not the rotation's top payer (``param`` ``r<k>:<venue>:top|other``); the twins of a
    rotation share one scenario, simulated once (:func:`harness.workflows.probe.run_probes`).
    """
    twins: list[Twin] = []
    for r in range(len(payers)):
        rotated = {w: pay[payers[(i + r) % len(payers)]] for i, w in enumerate(payers)}
        top = min(payers, key=lambda w: (-sign * rotated[w], w))
        venues = [dict(v, fees=dict(v["fees"], **{field: rotated[v["name"]]})) if v["name"] in rotated else v
                  for v in m.data["venues"]]
        label = ", ".join(f"{w} ${sign * rotated[w]:.4f}" for w in payers)
        data = dict(m.data, venues=venues, plants=plants)
        sc = scenario_from_dict(data, source=f"probe {probe} rotation {r}")
        for w in payers:
            role = "top" if w == top else "other"
            twins.append(Twin(probe, f"{probe} {label}: {w}", f"r{r}:{w}:{role}", w, sc, measure=measure,
                              parents=parents))
    return twins


def payment_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """The wholesalers' PFOF rotated (module docstring)."""
    m = _market(scenario, settings)
    whs = [v["name"] for v in _trading(m.data, "wholesaler")]
    pay = {v["name"]: float(v["fees"]["pfof_usd"]) for v in m.data["venues"] if v["name"] in whs}
    if len(whs) < 2 or max(pay.values()) <= 0:
        return []
    return _rotations(m, whs, pay, probe="payments", field="pfof_usd", sign=1.0, plants=m.ladder(2, 2), parents=None,
                      measure="share_at_target")


def rebate_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """Resting buy orders inside the spread, with the lit venues' maker rebates rotated (module docstring)."""
    m = _market(scenario, settings)
    make = {v["name"]: float(v["fees"]["make_usd"]) for v in _trading(m.data, "lit")}
    payers = sorted(v for v in m.lit if make[v] < 0)
    if len(payers) < 2:
        return []
    start = scenario.session.start_ns + round(WARMUP_S * 1e9)
    n = max(1, min(settings.orders, int(settings.window_s)))
    parents = tuple(ParentOrder(k, m.sym, Side.BUY, OrdType.LIMIT, settings.parent_qty, m.p - m.tick,
                                start + k * 1_000_000_000 + 500_000_000) for k in range(n))
    return _rotations(m, payers, make, probe="rebates", field="make_usd", sign=-1.0, plants=m.ladder(2, 2),
                      parents=parents, measure="sent_to_target")


def toxicity_twins(scenario: Scenario, settings: ProbeSettings) -> list[Twin]:
    """Per dark pool: every pool benign, and that pool toxic, in the scenario's own market (module docstring)."""
    dark = sorted(v.name for v in scenario.venues if v.kind == "dark")
    if not dark:
        return []
    data = scenario.model_dump(mode="json")
    start = scenario.session.start_ns
    span = round(settings.window_s * TOXIC_WINDOW_MULTIPLE * 1e9)
    end = min(start + span + round(WARMUP_S * 1e9), scenario.session.end_ns if span <= 0 else 1 << 62)
    data["session"] = dict(data["session"], end=clock(end))
    data["events"] = []
    data["flow"] = dict(data["flow"], file=None, orders=settings.orders * TOXIC_ORDERS_MULTIPLE, warmup_s=WARMUP_S)
    late = (start + round(WARMUP_S * 1e9) + 2 * (end - start - round(WARMUP_S * 1e9)) // 3, end)
    twins: list[Twin] = []
    for d in dark:
        for toxic in (False, True):
            venues = [dict(v, dark=dict(v["dark"], toxicity=TOXICITY if toxic and v["name"] == d else 0.0))
                      if v["kind"] == "dark" else v for v in data["venues"]]
            tw = dict(data, venues=venues)
            label = f"{d} {'toxic' if toxic else 'benign'}"
            twins.append(Twin("toxicity", label, label, d, scenario_from_dict(tw, source=f"probe toxicity {label}"),
                              measure="sent_late", window=late))
    return twins


def probe_twins(scenario: Scenario, settings: ProbeSettings, probes: tuple[str, ...] = PROBES) -> list[Twin]:
    """Every probe's twins, in :data:`PROBES` order."""
    builders = {"coverage": coverage_twins, "price-vs-fee": fee_twins, "price-vs-size": size_twins,
                "hidden": hidden_twins, "speed": speed_twins, "sip": sip_twins, "failover": failover_twins,
                "stale-quotes": stale_twins, "halt": halt_twins, "locked": locked_twins, "odd-lots": odd_lot_twins,
                "block": block_twins, "payments": payment_twins, "rebates": rebate_twins,
                "toxicity": toxicity_twins}
    return [t for name in PROBES if name in probes for t in builders[name](scenario, settings)]
