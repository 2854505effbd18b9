"""Reference routing policies, each documented with its policy and source."""

from adapters.contract import Router
from adapters.reference.best_price import BestPriceRouter
from adapters.reference.censored_dark import CensoredDarkRouter
from adapters.reference.cont_kukanov import ContKukanovRouter
from adapters.reference.dark_allocator import DarkAllocatorRouter
from adapters.reference.dark_first import DarkFirstRouter
from adapters.reference.post_then_take import PostThenTakeRouter
from adapters.reference.random_venue import RandomVenueRouter
from adapters.reference.rebate_max import RebateMaxRouter
from adapters.reference.sequential import SequentialRouter
from adapters.reference.single_venue import SingleVenueRouter
from adapters.reference.spray import SprayRouter
from adapters.reference.wholesaler import WholesalerRouter

REFERENCE_ROUTERS: tuple[type[Router], ...] = (
    BestPriceRouter,
    SingleVenueRouter,
    SequentialRouter,
    SprayRouter,
    DarkFirstRouter,
    PostThenTakeRouter,
    WholesalerRouter,
    RebateMaxRouter,
    RandomVenueRouter,
    ContKukanovRouter,
    DarkAllocatorRouter,
    CensoredDarkRouter,
)
"""Built-in routers in registration order."""

__all__ = [
    "REFERENCE_ROUTERS",
    "BestPriceRouter",
    "CensoredDarkRouter",
    "ContKukanovRouter",
    "DarkAllocatorRouter",
    "DarkFirstRouter",
    "PostThenTakeRouter",
    "RandomVenueRouter",
    "RebateMaxRouter",
    "SequentialRouter",
    "SingleVenueRouter",
    "SprayRouter",
    "WholesalerRouter",
]
