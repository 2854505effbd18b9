"""The template router works, registers, and documents its callbacks (it is not in the built-in registry)."""

from __future__ import annotations

import pytest

from adapters.registry import RouterRegistry, builtin_registry
from adapters.template import TemplateRouter
from adapters.testing import FakeContext, dark, lit, parent, px, reject
from venues.types import Side, TimeInForce


def venues():
    return [dark("DK1"), lit("A", take_usd=0.003, make_usd=-0.002, symbols=("OTHER",)),
            lit("B", take_usd=0.003, make_usd=-0.002), lit("C", take_usd=0.003, make_usd=-0.002)]


def test_registers_but_is_not_built_in():
    assert RouterRegistry().register(TemplateRouter, origin="template") is TemplateRouter
    assert "template" not in builtin_registry()


def test_sends_each_parent_whole_to_the_first_lit_venue_trading_the_symbol():
    """DK1 is dark and A does not trade XYZ: B. A limit parent keeps its limit; DAY by default, IOC on request."""
    ctx = FakeContext(venues())
    router = TemplateRouter()
    router.on_start(ctx)
    router.on_parent(parent(1, Side.BUY, 300, limit_usd=10.00))
    ioc = TemplateRouter(TemplateRouter.Params(venue="C", ioc=True))
    ioc.on_start(ctx)
    ioc.on_parent(parent(2, Side.SELL, 100))
    assert [(s.venue, s.qty, s.price, s.tif) for s in ctx.sent] == [
        ("B", 300, px(10.00), TimeInForce.DAY), ("C", 100, None, TimeInForce.IOC),
    ]
    ioc.on_reject(reject(ctx.sent[1]))
    assert ioc.rejects == 1


def test_check_params_refuses_a_venue_that_is_not_lit():
    infos = {v.name: v for v in venues()}
    with pytest.raises(ValueError, match="'DK1' is not a lit venue"):
        TemplateRouter.check_params(TemplateRouter.Params(venue="DK1"), venues=infos)
    TemplateRouter.check_params(TemplateRouter.Params(venue="B"), venues=infos)


def test_the_docstring_names_the_required_and_the_optional_callbacks():
    import adapters.template as module

    doc = module.__doc__ or ""
    assert "``on_parent`` is the one required callback" in doc
    for callback in ("on_start", "on_ack", "on_fill", "on_cancelled", "on_reject", "on_timer", "on_end"):
        assert callback in doc
