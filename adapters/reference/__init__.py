"""Reference routing policies, each documented with its policy and source."""

from adapters.contract import Router
from adapters.reference.best_price import BestPriceRouter
from adapters.reference.single_venue import SingleVenueRouter

REFERENCE_ROUTERS: tuple[type[Router], ...] = (BestPriceRouter, SingleVenueRouter)
"""Built-in routers in registration order."""

__all__ = ["REFERENCE_ROUTERS", "BestPriceRouter", "SingleVenueRouter"]
