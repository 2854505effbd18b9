"""Router registry: checks a router when it is registered, refuses duplicates, names the known routers on a miss."""

from __future__ import annotations

import re

import pytest

from adapters.contract import ParentOrder, Router
from adapters.reference import REFERENCE_ROUTERS, BestPriceRouter, SingleVenueRouter
from adapters.registry import RegistryError, RouterRegistry, builtin_registry


class Good(Router):
    name = "good"

    def on_parent(self, parent: ParentOrder) -> None:
        pass


ALL = [
    "best-price", "single-venue", "sequential", "spray", "dark-first", "post-then-take", "wholesaler", "rebate-max",
    "random", "cont-kukanov", "dark-allocator", "censored-dark",
]


def test_builtin_registry_holds_the_reference_routers_in_order():
    """The twelve reference routers, best-price and single-venue first, all built in."""
    reg = builtin_registry()
    assert reg.names() == ALL
    assert reg.get("best-price") is BestPriceRouter and reg.get("single-venue") is SingleVenueRouter
    assert tuple(reg.get(n) for n in reg) == REFERENCE_ROUTERS
    assert reg.origin("best-price") == "built-in"


def test_register_returns_the_class_and_records_its_origin():
    """A valid router registers under its name with the given origin."""
    reg = RouterRegistry()
    assert reg.register(Good, origin="plugin x") is Good
    assert "good" in reg and reg.get("good") is Good and reg.origin("good") == "plugin x"


def test_duplicate_names_are_refused_naming_both_classes():
    """A second class with a registered name is refused; the first stays registered."""
    reg = RouterRegistry()
    reg.register(Good)

    class Other(Good):
        pass

    with pytest.raises(RegistryError, match=r"duplicate router name 'good'.*Other.*Good"):
        reg.register(Other, origin="elsewhere")
    assert reg.get("good") is Good


def test_a_class_without_on_parent_is_refused_at_registration():
    """on_parent is required; the check happens at registration, not at the first parent order."""

    class Lazy(Router):
        name = "lazy"

    with pytest.raises(RegistryError, match="on_parent"):
        RouterRegistry().register(Lazy)


@pytest.mark.parametrize(
    "bad",
    [object, int, "best-price", BestPriceRouter()],
    ids=["not-a-router-class", "int", "a-string", "an-instance"],
)
def test_non_router_classes_are_refused(bad):
    """Only subclasses of adapters.contract.Router can be registered."""
    with pytest.raises(RegistryError, match="not a subclass"):
        RouterRegistry().register(bad)


def test_a_router_without_a_name_is_refused():
    """An empty name cannot be looked up, so it is refused."""

    class Nameless(Router):
        def on_parent(self, parent: ParentOrder) -> None:
            pass

    with pytest.raises(RegistryError, match="no name"):
        RouterRegistry().register(Nameless)


def test_unknown_name_error_lists_the_known_names():
    """get() of an unknown name raises RegistryError (a ValueError) listing every registered router."""
    reg = builtin_registry()
    known = ", ".join(sorted(ALL))
    with pytest.raises(RegistryError, match=rf"unknown router 'nope' \(known: {re.escape(known)}\)"):
        reg.get("nope")
    assert issubclass(RegistryError, ValueError)


def test_router_context_is_only_available_after_on_start():
    """Using ctx before on_start is a clear error naming the router."""
    with pytest.raises(RuntimeError, match=r"'good'.*before on_start"):
        _ = Good().ctx
