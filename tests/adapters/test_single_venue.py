"""single-venue: one unchanged child per parent, to the configured venue; bad venues refused up front."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pydantic import ValidationError

from adapters.reference import SingleVenueRouter
from adapters.testing import FakeContext, ack, fill, lit, parent, px
from harness.errors import UserError
from harness.scenario.schema import scenario_from_dict
from tests.sim.helpers import small_dict
from venues.fees import FeeSchedule
from venues.types import Side, TimeInForce
from venues.venue import VenueInfo, VenueKind


def venues():
    return [lit("A", take_usd=0.003, make_usd=-0.0029), lit("B", take_usd=-0.0002, make_usd=0.0003)]


def started(**params) -> tuple[SingleVenueRouter, FakeContext]:
    ctx = FakeContext(venues())
    ctx.set_book("A", bid=(9.99, 100), ask=(10.00, 100))
    ctx.set_book("B", bid=(9.99, 100), ask=(10.00, 100))
    router = SingleVenueRouter(SingleVenueRouter.Params(**params))
    router.on_start(ctx)
    return router, ctx


def test_each_parent_goes_unchanged_as_one_day_child_to_the_configured_venue():
    """Market buy 300 -> B, 300 at market (price None); limit sell 250 @ 10.05 -> B, 250 @ 10.05; both DAY."""
    router, ctx = started(venue="B")
    router.on_parent(parent(1, Side.BUY, 300))
    router.on_parent(parent(2, Side.SELL, 250, limit_usd=10.05))
    got = [(s.parent_id, s.venue, s.side, s.qty, s.price, s.tif, s.post_only) for s in ctx.sent]
    assert got == [
        (1, "B", Side.BUY, 300, None, TimeInForce.DAY, False),
        (2, "B", Side.SELL, 250, px(10.05), TimeInForce.DAY, False),
    ]


def test_no_rerouting_and_no_market_data():
    """Fills and acks send nothing more, and the router never reads a quote."""
    router, ctx = started(venue="A")
    router.on_parent(parent(1, Side.BUY, 300))
    (child,) = ctx.sent
    router.on_ack(ack(child))
    router.on_fill(fill(replace(child, price=px(10.00)), 300, leaves=0))  # a market child fills at a price
    assert len(ctx.sent) == 1
    assert ctx.quote_reads == 0 and ctx.timers == []


def test_default_venue_is_the_first_lit_venue():
    """Without a configured venue, the first lit venue in scenario order is used (a dark one before it is skipped)."""
    dark = VenueInfo(name="DARK1", kind=VenueKind.DARK, fees=FeeSchedule(0, 0), protected=False, symbols=("XYZ",))
    ctx = FakeContext([dark, *venues()])
    router = SingleVenueRouter()
    router.on_start(ctx)
    router.on_parent(parent(1, Side.BUY, 100))
    assert [s.venue for s in ctx.sent] == ["A"]


def test_check_params_refuses_an_unknown_venue_naming_the_known_ones():
    """An unknown venue is a ValueError listing the scenario's venues."""
    infos = {v.name: v for v in venues()}
    with pytest.raises(ValueError, match=r"'NOPE'.*A, B"):
        SingleVenueRouter.check_params(SingleVenueRouter.Params(venue="NOPE"), venues=infos)


def test_check_params_refuses_a_non_lit_venue_and_accepts_lit_or_default():
    """Only lit venues are valid targets; no venue (the default) and a lit one pass."""
    dark = VenueInfo(name="DARK1", kind=VenueKind.DARK, fees=FeeSchedule(0, 0), protected=False, symbols=("XYZ",))
    infos = {v.name: v for v in [dark, *venues()]}
    with pytest.raises(ValueError, match="not a lit venue"):
        SingleVenueRouter.check_params(SingleVenueRouter.Params(venue="DARK1"), venues=infos)
    SingleVenueRouter.check_params(SingleVenueRouter.Params(venue="B"), venues=infos)
    SingleVenueRouter.check_params(SingleVenueRouter.Params(), venues=infos)


def test_params_refuse_unknown_keys():
    """Parameters are strict: a misspelt key is an error, not ignored."""
    with pytest.raises(ValidationError):
        SingleVenueRouter.Params(venu="A")


def test_scenario_with_an_unknown_single_venue_target_is_a_one_line_user_error():
    """Loading a scenario whose router_params point single-venue at a missing venue names the file, field and value."""
    from adapters.registry import builtin_registry

    d = small_dict()
    d["router_params"] = {"single-venue": {"venue": "NOPE"}}
    with pytest.raises(UserError) as err:
        scenario_from_dict(d, source="my.toml", registry=builtin_registry())
    msg = str(err.value)
    assert msg.startswith("my.toml: router_params.single-venue")
    assert "NOPE" in msg and "\n" not in msg
