"""Every reference router runs on the default scenario (cut short) without failing, and the policies show.

Each runs the same 20 parents of seed 1: every run must end ``ok``, send children only to venues of the parent's
symbol, never fill more than its parent, and the routers' signatures must be visible in their child orders (spray
sends ISOs, dark-first starts in the dark pool, wholesaler and rebate-max use wholesalers, rebate-max the top PFOF
payer WHSB).
"""

from __future__ import annotations

import pandas as pd
import pytest

from adapters.registry import builtin_registry
from harness.sim.engine import build_parents, simulate
from tests.sim.helpers import small_dict, small_scenario

ROUTERS = builtin_registry().names()


def _scenario():
    d = small_dict()
    d["flow"]["orders"] = 30
    return small_scenario(d)


@pytest.fixture(scope="module")
def runs() -> dict[str, object]:
    sc = _scenario()
    reg = builtin_registry()
    out = {}
    for name in ROUTERS:
        params = reg.get(name).Params(**({"venue": "NSDQ"} if name == "single-venue" else {}))
        out[name] = simulate(sc, name, params, 1, registry=reg)
    return out


@pytest.mark.parametrize("name", ROUTERS)
def test_every_reference_router_completes_on_the_default_scenario(runs, name):
    res = runs[name]
    assert res.status == "ok", res.error
    ch = pd.DataFrame(res.child_orders)
    assert len(ch) > 0 and (ch.qty > 0).all()
    filled = pd.DataFrame(res.fills).groupby("parent_id").qty.sum()
    parents = {p.parent_id: p for p in build_parents(_scenario(), 1)}
    assert all(filled[p] <= parents[p].qty for p in filled.index)  # never overfilled
    assert all(sym == parents[p].symbol for p, sym in zip(ch.parent_id, ch.symbol, strict=True))


def test_policies_are_visible_in_the_child_orders(runs):
    def ch(name):
        return pd.DataFrame(runs[name].child_orders)

    assert ch("spray").iso.any()
    assert not ch("best-price").iso.any()
    assert (ch("dark-first").venue == "DARK1").any()
    assert set(ch("single-venue").venue) == {"NSDQ"}
    reb = ch("rebate-max")
    to_whs = reb[reb.venue.isin(["WHSA", "WHSB"])]
    assert len(to_whs) > 0 and (to_whs.venue == "WHSB").mean() > 0.9  # the higher PFOF payer
    assert ch("wholesaler").venue.isin(["WHSA", "WHSB"]).any()
