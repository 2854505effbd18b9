"""Every reference router: complete metadata, strict parameters, and robustness against a randomly answering market.

The robustness test drives each router with a scripted market that answers every child at random (rejects with any
reason, partial fills, IOC remainders, resting DAY orders that fill later or are cancelled on request, refused
cancels) while the quotes keep changing and timers fire. Whatever happens, a router must never raise, never send a
non-positive quantity, never send to a venue that does not trade the symbol, never price a limit parent's child
through its limit, and never have more shares working or filled than the parent's quantity (no overfill).
"""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import BaseModel, ValidationError

from adapters.contract import ParentOrder, Router
from adapters.reference import (
    REFERENCE_ROUTERS,
    CensoredDarkRouter,
    ContKukanovRouter,
    DarkAllocatorRouter,
    DarkFirstRouter,
    PostThenTakeRouter,
    RandomVenueRouter,
    SprayRouter,
    WholesalerRouter,
)
from adapters.registry import RouterRegistry
from adapters.template import TemplateRouter
from adapters.testing import (
    SYM,
    FakeContext,
    Sent,
    ack,
    cancelled,
    dark,
    fill,
    ioc_remainder,
    lit,
    parent,
    px,
    reject,
    wholesaler,
)
from venues.types import OrdType, RejectReason, Side, TimeInForce

ROUTERS = [*REFERENCE_ROUTERS, TemplateRouter]

CONFIGS = [(cls, {}) for cls in ROUTERS] + [
    (DarkFirstRouter, {"rest_ns": 5_000_000, "min_qty": 100}),
    (DarkAllocatorRouter, {"rest_ns": 5_000_000, "step_decay": 0.0}),
    (CensoredDarkRouter, {"rest_ns": 5_000_000, "unit_shares": 1}),
    (WholesalerRouter, {"explore_every": 3, "window_fills": 2}),
    (PostThenTakeRouter, {"post_only": False, "venue": "B"}),
    (ContKukanovRouter, {"min_observations": 1, "impact_usd": 0.001}),
    (SprayRouter, {"collar_ticks": 0}),
    (RandomVenueRouter, {"seed": 7, "max_children": 1}),
]


@pytest.mark.parametrize("cls", ROUTERS, ids=lambda c: c.name)
def test_each_router_has_a_name_a_one_line_description_a_sourced_docstring_and_strict_params(cls):
    """Name and one-line description set; module docstring states the policy and a source; Params forbid extras."""
    import sys

    assert cls.name and cls.description and "\n" not in cls.description and len(cls.description) <= 120
    module_doc = sys.modules[cls.__module__].__doc__ or ""
    if cls is not TemplateRouter:
        assert "Policy" in module_doc or "The router" in module_doc
        assert "Source: " in module_doc
    params = cls.Params()
    assert isinstance(params, BaseModel)
    with pytest.raises(ValidationError):
        cls.Params(no_such_key=1)
    RouterRegistry().register(cls)  # passes the registration checks


def venues():
    return [
        lit("A", take_usd=0.0030, make_usd=-0.0029),
        lit("B", take_usd=-0.0002, make_usd=0.0003),
        lit("C", take_usd=0.0030, make_usd=-0.0032, protected=False),
        lit("D", take_usd=-0.0010, make_usd=0.0010, symbols=("OTHER",)),
        dark("DK1"),
        dark("DK2", min_qty=200),
        dark("DK3", symbols=("OTHER",)),
        wholesaler("W1", pfof_usd=0.0010),
        wholesaler("W2", pfof_usd=0.0020),
        wholesaler("W3", pfof_usd=0.0050, symbols=("OTHER",)),
    ]


class CheckedContext(FakeContext):
    """The fake, with every send checked by the market at the moment it is made."""

    def __init__(self, venues, market: RandomMarket) -> None:
        super().__init__(venues)
        self._market = market

    def send(self, **kwargs) -> int:  # type: ignore[override]
        child = super().send(**kwargs)
        self._market.check(self.sent[-1])
        return child


class RandomMarket:
    """Answers a router's children at random and checks the invariants on every send."""

    def __init__(self, router: Router, seed: int) -> None:
        self.router = router
        self.ctx = CheckedContext(venues(), self)
        self.rng = np.random.default_rng(seed)
        self.parents: dict[int, ParentOrder] = {}
        self.filled: dict[int, int] = {}
        self.unanswered: dict[int, Sent] = {}  # sent, not yet seen by the market
        self.open: dict[int, tuple[Sent, int]] = {}  # resting DAY children: (sent, leaves)
        self.seen_sent = 0
        self.seen_cancels = 0

    def shuffle_quotes(self) -> None:
        for v in ("A", "B", "C", "D"):
            bid = 9.95 + 0.01 * int(self.rng.integers(0, 6))
            spread = 0.01 * int(self.rng.integers(1, 4))
            side_empty = self.rng.random()
            self.ctx.set_book(
                v,
                bid=None if side_empty < 0.1 else (bid, int(self.rng.integers(1, 8)) * 100),
                ask=None if side_empty > 0.9 else (bid + spread, int(self.rng.integers(1, 8)) * 100),
            )

    def check(self, s: Sent) -> None:
        p = self.parents[s.parent_id]
        assert s.qty > 0
        assert SYM in self.ctx.venues[s.venue].symbols, s.venue
        if p.order_type is OrdType.LIMIT:
            assert s.price is not None and p.limit_price is not None
            assert (s.price - p.limit_price) * (1 if p.side is Side.BUY else -1) <= 0, (s, p)
        working = sum(leaves for sent, leaves in self.open.values() if sent.parent_id == s.parent_id)
        working += sum(x.qty for x in self.unanswered.values() if x.parent_id == s.parent_id)
        assert self.filled[s.parent_id] + working + s.qty <= p.qty, "overfill possible"
        self.unanswered[s.child_id] = s

    def price_of(self, s: Sent) -> int:
        return s.price if s.price is not None else px(10.00)

    def answer(self, s: Sent) -> None:
        del self.unanswered[s.child_id]
        deliver = self.ctx.deliver
        if self.rng.random() < 0.15:
            deliver(self.router, reject(s, reason=list(RejectReason)[int(self.rng.integers(len(RejectReason)))]))
            return
        deliver(self.router, ack(s))
        leaves = s.qty
        if self.rng.random() < 0.6:
            q = int(self.rng.integers(1, leaves + 1))
            leaves -= q
            self.filled[s.parent_id] += q
            deliver(self.router, fill(s, q, leaves=leaves, price=self.price_of(s)))
        if leaves:
            if s.tif is TimeInForce.DAY:
                self.open[s.child_id] = (s, leaves)
            else:
                deliver(self.router, ioc_remainder(s, leaves))

    def step(self) -> bool:
        progressed = False
        while self.seen_sent < len(self.ctx.sent):
            s = self.ctx.sent[self.seen_sent]
            self.seen_sent += 1
            self.answer(s)
            progressed = True
        while self.seen_cancels < len(self.ctx.cancels):
            child = self.ctx.cancels[self.seen_cancels]
            self.seen_cancels += 1
            entry = self.open.pop(child, None)
            if entry is None:
                sent = next(x for x in self.ctx.sent if x.child_id == child)
                self.ctx.deliver(self.router, reject(sent, RejectReason.UNKNOWN_ORDER))
            else:
                self.ctx.deliver(self.router, cancelled(entry[0], entry[1]))
            progressed = True
        for child, (s, leaves) in list(self.open.items()):
            if self.rng.random() < 0.2:
                q = int(self.rng.integers(1, leaves + 1))
                self.filled[s.parent_id] += q
                if leaves - q:
                    self.open[child] = (s, leaves - q)
                else:
                    del self.open[child]
                self.ctx.deliver(self.router, fill(s, q, leaves=leaves - q, price=self.price_of(s)))
                progressed = True
        if not progressed and self.ctx.timers:
            _, token = self.ctx.timers.pop(0)
            self.shuffle_quotes()
            self.router.on_timer(token)
            progressed = True
        return progressed


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("cls", "params"), CONFIGS, ids=[f"{c.name}{p or ''}" for c, p in CONFIGS])
def test_router_survives_a_randomly_answering_market_without_breaking_the_invariants(cls, params, seed):
    """40 parents (market and limit, both sides, odd sizes) answered at random: the invariants hold throughout."""
    router = cls(cls.Params(**params))
    market = RandomMarket(router, seed)
    ctx = market.ctx
    router.on_start(ctx)
    rng = np.random.default_rng(100 + seed)
    for pid in range(1, 41):
        market.shuffle_quotes()
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        limit = None if rng.random() < 0.4 else float(9.94 + 0.01 * int(rng.integers(0, 12)))
        p = parent(pid, side, int(rng.integers(1, 30)) * 50 + int(rng.integers(0, 2)) * 7, limit_usd=limit)
        market.parents[pid] = p
        market.filled[pid] = 0
        router.on_parent(p)
        for _ in range(200):
            if not market.step():
                break
        assert all(market.filled[i] <= market.parents[i].qty for i in market.filled)
    for _ in range(2_000):
        if not market.step():
            break
    router.on_end()
    assert ctx.sent, "the router never sent anything"
    assert all(market.filled[i] <= market.parents[i].qty for i in market.filled)
