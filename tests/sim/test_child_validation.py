"""The contract boundary: impossible child orders are refused with a ChildReject and a reason, and the run goes on.

Quantities 1..MAX_ORDER_QTY and at most the parent's open quantity, prices 1..MAX_PRICE on the tick; anything else
is refused before any venue sees it (``status`` rejected, ``reject_reason`` saying why, numbers clamped into the
columns' range), so a 2**63-share child can no longer stop the run folder being written.
"""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from adapters.contract import MAX_ORDER_QTY, MAX_PRICE, ChildReject, ParentOrder, Router, child_order_problem
from harness.sim.engine import simulate
from harness.workflows.run import run_scenario
from tests.sim.helpers import registry_with, simulate_keeping_market, small_scenario
from venues.types import RejectReason, TimeInForce


class OneChildRouter(Router):
    """Sends one child per parent with the configured quantity (None: the parent's + extra) and price offset."""

    name = "one-child-test"
    description = "Test router: one configurable child per parent."

    class Params(Router.Params):
        qty: int | None = None
        extra: int = 0
        price: int | None = None

    def on_start(self, ctx) -> None:
        super().on_start(ctx)
        self.rejects: list[ChildReject] = []

    def on_parent(self, parent: ParentOrder) -> None:
        qty = self.params.qty if self.params.qty is not None else parent.qty + self.params.extra
        self.ctx.send(parent_id=parent.parent_id, venue="NSDQ", side=parent.side, qty=qty, price=self.params.price,
                      tif=TimeInForce.IOC)

    def on_reject(self, reject: ChildReject) -> None:
        self.rejects.append(reject)


def _run(**params):
    reg = registry_with(OneChildRouter)
    return simulate(small_scenario(), OneChildRouter.name, OneChildRouter.Params(**params), 1, registry=reg)


@pytest.mark.parametrize(("params", "reason"), [
    ({"qty": 2**63}, "invalid_quantity"),
    ({"qty": 10**400}, "invalid_quantity"),
    ({"qty": 0}, "invalid_quantity"),
    ({"qty": -5}, "invalid_quantity"),
    ({"extra": 1}, "exceeds_parent"),
    ({"qty": 1, "price": 10**305}, "invalid_price"),
    ({"qty": 1, "price": -100}, "invalid_price"),
    ({"qty": 1, "price": 1_000_001}, "off_tick"),
])
def test_an_impossible_child_is_refused_with_its_reason_and_the_run_stays_ok(params, reason):
    res = _run(**params)
    assert res.status == "ok", res.error
    ch = res.child_orders
    assert ch["status"] and set(ch["status"]) == {"rejected"}
    assert set(ch["reject_reason"]) == {reason}
    assert all(0 <= q < 2**63 for q in ch["qty"])
    assert all(p is None or 0 <= p < 2**63 for p in ch["limit_price"])
    assert all(v is None for v in ch["venue_ts_ns"])  # no venue saw them
    assert not res.fills["qty"]


def test_the_router_is_told_of_each_refusal_by_a_child_reject():
    res, _market, node = simulate_keeping_market(small_scenario(), OneChildRouter,
                                                 params=OneChildRouter.Params(extra=1))
    assert len(node.router.rejects) == len(res.child_orders["child_id"]) > 0
    assert {r.reason for r in node.router.rejects} == {RejectReason.EXCEEDS_PARENT}


def test_a_child_of_exactly_the_parent_s_quantity_is_accepted():
    res = _run()
    assert "exceeds_parent" not in res.child_orders["reject_reason"]


def test_the_boundary_check_holds_the_documented_limits():
    ok = {"tick": 100, "open_qty": MAX_ORDER_QTY}
    assert child_order_problem(MAX_ORDER_QTY, MAX_PRICE, **ok) is None
    assert child_order_problem(MAX_ORDER_QTY + 1, None, **ok) is RejectReason.INVALID_QUANTITY
    assert child_order_problem(1, MAX_PRICE + 100, **ok) is RejectReason.INVALID_PRICE
    assert child_order_problem(1, None, tick=100, open_qty=1, display_qty=MAX_ORDER_QTY + 1) \
        is RejectReason.INVALID_QUANTITY
    assert MAX_ORDER_QTY * MAX_PRICE < 2**63


def test_a_run_with_a_2_pow_63_share_child_writes_its_folder_with_an_exception_row(tmp_path):
    """The OverflowError after every simulation is gone: the folder is written and the review lists the child."""
    import pandas as pd

    reg = registry_with(OneChildRouter)
    from harness.scenario.schema import scenario_from_dict
    from tests.sim.helpers import small_dict

    d = small_dict()
    d["routers"] = ["best-price", OneChildRouter.name]
    d["router_params"] = {OneChildRouter.name: {"qty": 2**63 - 1}}
    sc = scenario_from_dict(d, source="<test>", registry=reg)
    outcome = run_scenario(sc, scenario_path=None, routers=["best-price", OneChildRouter.name], seeds=[1],
                           out_dir=tmp_path / "r", results_root=tmp_path, registry=reg, report=False)
    assert outcome.failures == [], outcome.failures
    children = pq.read_table(tmp_path / "r" / "child_orders.parquet").to_pandas()
    mine = children[children["router"] == OneChildRouter.name]
    assert set(mine["reject_reason"]) == {"invalid_quantity"}
    exceptions = pd.read_csv(tmp_path / "r" / "tca" / "exceptions.csv")
    refused = exceptions[exceptions["rule"] == "refused_child"]
    assert set(refused["router"]) == {OneChildRouter.name}
    assert len(refused) == len(mine)
