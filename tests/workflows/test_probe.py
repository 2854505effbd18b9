"""Due-diligence probes (harness/workflows/probe.py, harness/analytics/probe.py): known answers on reference routers
and on plug-ins with a planted blind spot or fee rule."""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd
import pytest

from adapters.reference.best_price import BestPriceRouter, Offer
from harness.analytics.probe import fingerprint
from harness.scenario.schema import load_scenario
from harness.workflows.probe import (
    FEE_GRID_USD,
    PROBES,
    REBATE_B_USD,
    ProbeSettings,
    coverage_twins,
    fee_twins,
    probe_twins,
    run_probes,
)
from tests.sim.helpers import registry_with

pytestmark = pytest.mark.slow  # the probes on the default market (a 9-min module fixture at load 5)

SETTINGS = ProbeSettings(orders=6, parent_qty=300, window_s=6.0)
SEEDS = [11, 12]


class NetPriceRouter(BestPriceRouter):
    """best-price ranking lit offers by net price (displayed price plus take fee) instead of displayed price."""

    name = "test-net-price"
    tie_break: ClassVar[str | None] = None

    def _offer_key(self, offer: Offer) -> tuple[Any, ...]:
        return (offer.net_micros, -offer.size, offer.venue)


class BlindSpotRouter(BestPriceRouter):
    """best-price that never routes to one venue (``EDGX``): a planted coverage blind spot."""

    name = "test-blind-edgx"
    tie_break: ClassVar[str | None] = None

    def _lit_venues(self, state: Any) -> list[Any]:
        return [v for v in super()._lit_venues(state) if v.name != "EDGX"]


class SipGatedRouter(BestPriceRouter):
    """best-price that only takes direct quotes at the SIP NBBO's far side: it trusts the SIP over its direct feeds."""

    name = "test-sip-gated"
    tie_break: ClassVar[str | None] = None

    def _offers(self, state: Any) -> list[Offer]:
        nbbo = self.ctx.nbbo(state.parent.symbol)
        far = nbbo.ask if state.parent.side.name == "BUY" else nbbo.bid
        return [o for o in super()._offers(state) if o.price == far]


@pytest.fixture(scope="module")
def default_scenario():
    return load_scenario("scenarios/default.toml")[0]


@pytest.fixture(scope="module")
def prints(default_scenario) -> pd.DataFrame:
    registry = registry_with(NetPriceRouter, BlindSpotRouter, SipGatedRouter)
    routers = ["best-price", "single-venue", "dark-first", "rebate-max", "spray", "post-then-take", NetPriceRouter.name,
               BlindSpotRouter.name, SipGatedRouter.name]
    controlled = tuple(p for p in PROBES if p != "toxicity")  # toxicity runs the full market: its own slow test
    _, rows = run_probes(default_scenario, routers, seeds=SEEDS, registry=registry, settings=SETTINGS,
                         twins=probe_twins(default_scenario, SETTINGS, controlled))
    return fingerprint(rows)


def _shares(fp: pd.DataFrame, router: str, probe: str) -> dict[str, float]:
    rows = fp[(fp["router"] == router) & (fp["probe"] == probe)]
    return dict(zip(rows["param"], rows["mean"], strict=True))


def test_the_controlled_market_has_one_best_offer_per_twin(default_scenario):
    # Reference price AAA $50.00 on a penny tick: ladder 49.98 / 50.02 on NSDQ, EDGX, BYX; the target one tick better.
    twins = {t.param: t for t in coverage_twins(default_scenario, SETTINGS)}
    assert sorted(twins) == ["BYX", "DARK1", "EDGX", "NSDQ", "WHSA", "WHSB"]
    sc = twins["EDGX"].scenario
    offers = sorted((p.price_usd, p.venue) for p in sc.plants if p.side == "sell")
    assert offers[0] == (50.01, "EDGX") and all(price == 50.02 for price, _ in offers[1:])
    assert not sc.background.market_maker.enabled and not sc.background.liquidity.enabled
    assert [p.display for p in twins["DARK1"].scenario.plants if p.venue == "DARK1"] == ["midpoint"]
    gaps = [t.param for t in fee_twins(default_scenario, SETTINGS)]
    assert gaps == [round(g + REBATE_B_USD, 6) for g in FEE_GRID_USD]


def test_coverage_matches_each_reference_routers_policy(prints):
    # single-venue reaches its one venue (NSDQ, the first in the scenario) only; best-price every lit venue and no
    # dark pool or wholesaler; dark-first also finds the midpoint liquidity in DARK1; rebate-max sends everything
    # to the top PFOF payer (WHSB pays $0.0045 a share vs WHSA $0.0030 in default.toml).
    assert _shares(prints, "single-venue", "coverage") == {
        "BYX": 0.0, "DARK1": 0.0, "EDGX": 0.0, "NSDQ": 1.0, "WHSA": 0.0, "WHSB": 0.0}
    bp = _shares(prints, "best-price", "coverage")
    assert [v for v, s in bp.items() if s == 1.0] == ["BYX", "EDGX", "NSDQ"]
    assert _shares(prints, "dark-first", "coverage")["DARK1"] == 1.0
    assert _shares(prints, "rebate-max", "coverage")["WHSB"] == 1.0
    sentence = prints[(prints["router"] == "single-venue") & (prints["probe"] == "coverage")]["finding"].iloc[0]
    assert sentence.startswith("reaches NSDQ (100%); does not reach BYX (0%)")


def test_a_planted_blind_spot_is_caught(prints):
    shares = _shares(prints, BlindSpotRouter.name, "coverage")
    assert shares["EDGX"] == 0.0 and shares["BYX"] == 1.0 and shares["NSDQ"] == 1.0
    sentence = prints[(prints["router"] == BlindSpotRouter.name) & (prints["probe"] == "coverage")]["finding"].iloc[0]
    assert "does not reach" in sentence and "EDGX (0%)" in sentence.split("does not reach")[1]


def test_the_fee_flip_is_where_the_net_price_rule_puts_it(prints):
    # A (BYX) offers one tick ($0.01) better at take fee g; B (EDGX) a tick worse with a $0.002 taker rebate. Net
    # price A - B = g + 0.002 - 0.01: the net-price router prefers A while the fee gap g + 0.002 < $0.01, i.e. at
    # gaps 0.002, 0.004, 0.006, 0.008, 0.009, and B at 0.011. The fee-blind best-price prefers A throughout.
    net = _shares(prints, NetPriceRouter.name, "price-vs-fee")
    assert net == {"0.002": 1.0, "0.004": 1.0, "0.006": 1.0, "0.008": 1.0, "0.009": 1.0, "0.011": 0.0}
    sentence = prints[(prints["router"] == NetPriceRouter.name) & (prints["probe"] == "price-vs-fee")]
    assert "until the fee gap exceeds $0.009/share and leaves it by $0.011/share" in sentence["finding"].iloc[0]
    assert set(_shares(prints, "best-price", "price-vs-fee").values()) == {1.0}
    blind = prints[(prints["router"] == "best-price") & (prints["probe"] == "price-vs-fee")]["finding"].iloc[0]
    assert "take fees do not move it" in blind


def _finding(fp: pd.DataFrame, router: str, probe: str) -> str:
    return fp[(fp["router"] == router) & (fp["probe"] == probe)]["finding"].iloc[0]


def test_failover_catches_a_router_that_never_reroutes(prints):
    # BYX (the first lit venue by name) holds the best offer and goes down a third of the way in, its last quote
    # still showing. best-price keeps sending IOCs to the best displayed price, which is the dead venue's: every
    # parent arriving in the outage is stranded (max_rounds rejected children, then nothing). single-venue never
    # goes to BYX (its venue is NSDQ), so the probe does not test it.
    assert _shares(prints, "best-price", "failover") == {"BYX": 0.0}
    assert _finding(prints, "best-price", "failover").startswith("strands orders in an outage at BYX")
    # the figures behind it: every parent arriving in the outage stranded, its children rejected (venue_closed)
    row = prints[(prints["router"] == "best-price") & (prints["probe"] == "failover")].iloc[0]
    assert row["window_parents"] > 0 and row["stranded_parents"] == row["window_parents"]
    assert row["rejected_children"] >= row["window_parents"]
    assert f"{int(row['window_parents'])} of {int(row['window_parents'])} parents stranded" in row["finding"]
    assert _finding(prints, "single-venue", "failover").startswith("not tested: it does not route to BYX")


def test_sweeps_hidden_liquidity_and_speed(prints):
    # price-vs-size: best-price sends its IOCs down the ranking at once (100 shares at BYX, the rest at EDGX): a
    # sweep for every 1,000-share parent; rebate-max sends each parent whole to one wholesaler.
    assert _shares(prints, "best-price", "price-vs-size") == {"100@BYX": 1.0}
    assert _shares(prints, "rebate-max", "price-vs-size") == {"100@BYX": 0.0}
    assert _finding(prints, "rebate-max", "price-vs-size").startswith("routes one venue at a time")
    # hidden: best-price's IOC to BYX at the displayed $50.02 meets the hidden $50.01 offer first (price-time
    # priority: the better price trades first); single-venue only ever trades at NSDQ.
    assert _shares(prints, "best-price", "hidden") == {"BYX": 1.0}
    assert _shares(prints, "single-venue", "hidden") == {"BYX": 0.0}
    # speed: in a book that does not move, a slower link to BYX changes nothing for best-price.
    assert set(_shares(prints, "best-price", "speed").values()) == {1.0}
    assert _finding(prints, "best-price", "speed").startswith("keeps taking the best price at BYX")


def test_spray_sweeps_halts_and_blocks(prints):
    # spray sends ISOs to every quote at once (docs/routers.md): a sweep. In a halt every reference router's
    # children are rejected ("halted") until it gives up (best-price: max_rounds rounds of rejects in ~ms), so
    # parents arriving in the halt are stranded. A block of 25,000 shares (50 x one venue's 500 displayed): dark-first
    # takes the dark pool's midpoint liquidity first, best-price never looks at dark pools.
    assert _shares(prints, "spray", "price-vs-size") == {"100@BYX": 1.0}
    assert _shares(prints, "best-price", "halt") == {"AAA": 0.0}
    assert _finding(prints, "best-price", "halt").startswith("strands orders through a halt")
    assert _shares(prints, "dark-first", "block") == {"25000": 1.0}
    assert _shares(prints, "best-price", "block") == {"25000": 0.0}
    assert _finding(prints, "dark-first", "block").startswith("uses dark midpoint liquidity for blocks: 100%")


def test_the_sip_probe_tells_direct_feeds_from_the_sip(prints):
    # BYX's $50.01 offer is up for 300 ms every second; a parent arrives 5 ms after it appears. best-price reads the
    # direct feeds: it takes BYX whether the SIP is timely (20 us consolidation) or 50 ms late. The SIP-gated router
    # only takes quotes at the SIP's offer: timely, that is BYX's $50.01 (100%); 50 ms late, the SIP still shows
    # EDGX's $50.02 when the parent arrives, so it goes there (0% at BYX).
    assert _shares(prints, "best-price", "sip") == {"0.0": 1.0, "50.0": 1.0}
    assert _finding(prints, "best-price", "sip").startswith("reads direct feeds")
    assert _shares(prints, SipGatedRouter.name, "sip") == {"0.0": 1.0, "50.0": 0.0}
    assert _finding(prints, SipGatedRouter.name, "sip").startswith("relies on the SIP: 100%")


def test_phantom_quotes_and_odd_lots(prints):
    # BYX's feeds freeze on its $50.01 offer, which is withdrawn 1 ms later: best-price keeps sending IOCs to the
    # phantom quote (each finds nothing) until it gives up, so parents arriving then are stranded. Odd lots (40
    # shares) reach BYX's best offer like round lots for best-price; single-venue never goes there.
    assert _shares(prints, "best-price", "stale-quotes") == {"BYX": 0.0}
    assert _finding(prints, "best-price", "stale-quotes").startswith("strands orders on a phantom quote")
    assert _finding(prints, "single-venue", "stale-quotes").startswith("not tested")
    assert _shares(prints, "best-price", "odd-lots") == {"BYX": 1.0}
    assert _shares(prints, "single-venue", "odd-lots") == {"BYX": 0.0}


def test_the_locked_twin_is_locked_and_best_price_takes_the_locking_offer(default_scenario, prints):
    # BYX bids $50.00 and EDGX offers $50.00 (EDGX may lock: lock_cross = "none" in this twin): the NBBO is locked
    # from the start; best-price takes EDGX's offer, the best one, for every parent.
    from harness.sim.engine import simulate

    twin = probe_twins(default_scenario, SETTINGS, ("locked",))[0]
    reg = registry_with()
    res = simulate(twin.scenario, "best-price", reg.get("best-price").Params(), 11, registry=reg)
    last = {k: res.nbbo[k][-1] for k in ("bid", "ask")}
    assert last == {"bid": 500_000, "ask": 500_000}
    assert _shares(prints, "best-price", "locked") == {"EDGX": 1.0}
    assert _finding(prints, "best-price", "locked").startswith("takes the locking offer at EDGX")


def test_payments_find_the_router_that_follows_pfof(prints):
    # default.toml: WHSA pays $0.0030, WHSB $0.0045; the two rotations swap them (rotation 0 as in the file, WHSB on
    # top). rebate-max sends everything to whoever pays most: share 1 at a wholesaler when it is on top, 0 when it is
    # not, payment tilt 1 - 0 = +1.00. best-price never uses a wholesaler.
    assert _shares(prints, "rebate-max", "payments") == {
        "r0:WHSA:other": 0.0, "r0:WHSB:top": 1.0, "r1:WHSA:top": 1.0, "r1:WHSB:other": 0.0}
    assert _finding(prints, "rebate-max", "payments").startswith("follows payment for order flow (payment tilt +1.00")
    assert _finding(prints, "best-price", "payments").startswith("does not use the wholesalers that pay")
    # rebates: resting buys inside the spread, NSDQ's and EDGX's maker rebates rotated. post-then-take rests on the
    # largest rebate (its documented policy): tilt +1.00. best-price rests by queue, then name: the same share at a
    # venue whether it pays most or not (tilt 0), so it ignores them.
    assert _finding(prints, "post-then-take", "rebates").startswith("follows maker rebates (payment tilt +1.00")
    assert _finding(prints, "best-price", "rebates").startswith("ignores maker rebates (payment tilt +0.00")


def test_toxicity_finds_the_router_that_learns_to_avoid_a_toxic_pool():
    # toxic-dark-pool.toml in its own market (120 s, 60 parents a seed). censored-dark learns each pool's fill
    # quality and stops sending to TOXIC when it is toxic (0% of the late parents' shares; 18% when it is benign, in
    # the cross-venue market of issue 15); dark-first splits its dark orders between the pools whatever their fills.
    sc = load_scenario("scenarios/toxic-dark-pool.toml")[0]
    settings = ProbeSettings(orders=20, window_s=30.0)
    twins = [t for t in probe_twins(sc, settings, ("toxicity",)) if t.target == "TOXIC"]
    _, rows = run_probes(sc, ["censored-dark", "dark-first"], seeds=[1, 2], registry=registry_with(),
                         settings=settings, twins=twins)
    fp = fingerprint(rows)
    learned = _shares(fp, "censored-dark", "toxicity")
    assert learned["TOXIC toxic"] < 0.05 < learned["TOXIC benign"]
    assert _finding(fp, "censored-dark", "toxicity").startswith("avoids TOXIC when it is toxic")
    assert _finding(fp, "dark-first", "toxicity").startswith("does not avoid TOXIC when it is toxic")


def test_responses_carry_seed_intervals_and_failures(prints):
    assert set(prints["seeds"]) == {len(SEEDS)}
    assert (prints["failed_seeds"] == 0).all()
    assert prints["ci_low"].isna().all()  # two seeds: no interval is called 95% (fewer than 5 seeds)
    # and every finding says it is read from a mean without an interval
    assert prints["finding"].str.endswith("[indicative: 2 seeds, below the 5 an interval needs]").all()


def test_a_finding_on_five_seeds_is_not_called_indicative():
    rows = pd.DataFrame({"router": "r", "probe": "hidden", "twin": 0, "param": "", "target": "NSDQ",
                         "measure": "share_at_price", "status": "ok", "seed": range(1, 6),
                         "value": [1.0, 0.9, 1.0, 0.8, 1.0]})
    fp = fingerprint(rows)
    # mean 4.7 / 5 = 0.94 >= HIGH (0.5): "finds"; five seeds give an interval, so no qualifier
    assert fp["finding"].iloc[0] == ("finds hidden liquidity: 94% of the parent shares executed against the "
                                     "non-displayed offer one tick inside the displayed quotes at NSDQ")
    assert fp["ci_low"].notna().all()
    fp1 = fingerprint(rows[rows["seed"] == 1])
    assert fp1["finding"].iloc[0].endswith("[indicative: 1 seed, below the 5 an interval needs]")


def test_claims_are_confirmed_contradicted_or_not_testable(prints, tmp_path):
    from harness.analytics.claims import cross_check, load_claims

    path = tmp_path / "claims.toml"
    path.write_text(
        '[routers.best-price]\nvenues_reached = ["BYX", "EDGX", "NSDQ"]\nfee_policy = "net-price"\n'
        'reroutes_on_outage = true\nuses_direct_feeds = true\n\n'
        f'[routers.{NetPriceRouter.name}]\nfee_policy = "net-price"\n\n'
        '[routers.single-venue]\nvenues_reached = ["NSDQ", "EDGX"]\nreroutes_on_outage = true\n'
        '[routers.rebate-max]\nfollows_pfof = true\npfof_policy = "we pass PFOF through"\n'
        '\n[routers.never-run]\nsweeps = true\n')
    got = cross_check(load_claims(path), prints).set_index(["router", "claim"])["verdict"].to_dict()
    assert got == {
        ("best-price", "venues_reached"): "confirmed",  # true claim
        ("best-price", "fee_policy"): "contradicted",  # it is fee-blind
        ("best-price", "reroutes_on_outage"): "contradicted",  # it strands orders at the dead venue
        ("best-price", "uses_direct_feeds"): "confirmed",  # the sip probe: it reads direct feeds
        ("rebate-max", "follows_pfof"): "confirmed",
        ("rebate-max", "pfof_policy"): "not testable here",
        (NetPriceRouter.name, "fee_policy"): "confirmed",
        ("single-venue", "venues_reached"): "contradicted",  # EDGX is not reached
        ("single-venue", "reroutes_on_outage"): "not testable here",  # it never goes to BYX
        ("never-run", "sweeps"): "not testable here",
    }


@pytest.mark.parametrize(("text", "message"), [
    ('[routers.x]\nvenue_reached = ["A"]\n', "routers.x.venue_reached"),
    ('[routers.x]\nfee_policy = "cheap"\n', "routers.x.fee_policy"),
    ('[routers.x\n', "not valid TOML"),
])
def test_a_bad_claims_file_gets_one_line(tmp_path, text, message):
    from harness.analytics.claims import load_claims
    from harness.errors import UserError

    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(UserError) as err:
        load_claims(path)
    assert str(path) in str(err.value) and message in str(err.value) and "\n" not in str(err.value)
