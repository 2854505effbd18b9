"""The incentive test's simulations: every router x seed again on payment twins of the scenario, one channel at a time.

A payment twin permutes, across the venues that have one, the payments of one channel only (:data:`CHANNELS`: PFOF,
maker rebates, take fees), so that who pays most changes while every venue's execution behaviour (its book rules,
latency, wholesaler pricing, the participants) is untouched (:func:`payment_twins`). :func:`incentive_test` reruns the
run's tasks on each twin and counts, per router, channel, twin, seed and venue, the shares routed there that the
channel pays for and the venue's payment on that channel (:func:`channel_payment_usd`). The conflict analytics
(:mod:`harness.analytics.incentive`) read those counts from the run folder's ``incentive/``; whether a channel is the
broker's money (and so a conflict channel) is the broker policy's question, decided there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.registry import RouterRegistry
from harness.scenario.schema import Scenario
from harness.sim.engine import RunResult
from harness.workflows.tasks import Task, TaskExecutor, simulate_all

CHANNELS = ("pfof", "maker_rebate", "take_fee")
"""The payment channels, each with its own twins: payment for order flow, maker rebates, take (access) fees."""
_FIELD = {"pfof": "pfof_usd", "maker_rebate": "make_usd", "take_fee": "take_usd"}
IMMEDIATE_TIFS = ("ioc", "fok")
"""Child orders that seek to take liquidity (the take-fee channel's shares); the rest rest on a book (maker rebates)."""


def channel_payment_usd(venue: Any, channel: str) -> float:
    """What a venue pays the broker per share on ``channel``: PFOF, the maker rebate, or minus the take fee.

    A take fee is a negative payment (an inverted venue's taker rebate a positive one), so on every channel a router
    that follows the money has a positive elasticity.
    """
    fees = venue.fees
    if channel == "pfof":
        return float(fees.pfof_usd)
    if channel == "maker_rebate":
        return float(max(0.0, -fees.make_usd))
    if channel == "take_fee":
        return float(-fees.take_usd)
    raise ValueError(f"unknown payment channel {channel!r} (expected one of {', '.join(CHANNELS)})")


def venue_payment_usd(venue: Any) -> float:
    """What a venue pays the broker per share for posted flow it wants: PFOF plus the maker rebate."""
    return channel_payment_usd(venue, "pfof") + channel_payment_usd(venue, "maker_rebate")


def permuted_venues(scenario: Scenario, channel: str) -> list[int]:
    """Indices of the venues whose ``channel`` payments are permuted: those that have one.

    PFOF: venues paying PFOF (> 0); maker rebates: venues paying one (make fee < 0); take fees: venues charging one
    (> 0). Venues outside the set keep their terms (an inverted venue's maker fee and taker rebate cannot move to a
    maker-taker venue without changing its fee model).
    """
    name = _FIELD[channel]
    sign = -1.0 if channel == "maker_rebate" else 1.0
    return [i for i, v in enumerate(scenario.venues) if sign * getattr(v.fees, name) > 0]


def payment_twins(scenario: Scenario, n: int) -> list[tuple[str, str, int, Scenario]]:
    """``n`` twins per channel: ``(channel, label, rotation, scenario)``, the channel's payments permuted cyclically.

    With k venues in a channel (:func:`permuted_venues`), twin j (1..n) rotates their payments by
    ``r = (j - 1) mod (k - 1) + 1`` places: venue i gets the payment of venue i + r. Over the k - 1 non-trivial
    rotations and the baseline every venue holds every payment, so who pays most changes and every venue holds every
    rank; with n > k - 1 the rotations repeat (a repeat is the same scenario, simulated once; the analytics count
    each distinct rotation once, so the verdict does not depend on n). A channel with fewer than two venues has no
    twins. Only the channel's fee field changes.
    """
    out: list[tuple[str, str, int, Scenario]] = []
    venues = scenario.venues
    # the background keeps routing by the unchanged scenario's take fees: a twin changes what the router is paid or
    # charged, never what the rest of the market does (its execution behaviour is untouched)
    routing = scenario.background.routing
    frozen = scenario.background.model_copy(update={"routing": routing.model_copy(update={
        "fee_view_usd": routing.fee_view_usd or [v.fees.take_usd for v in venues]})})
    for channel in CHANNELS:
        idx = permuted_venues(scenario, channel)
        if len(idx) < 2:
            continue
        name = _FIELD[channel]
        for j in range(1, n + 1):
            r = (j - 1) % (len(idx) - 1) + 1
            values = {i: getattr(venues[idx[(p + r) % len(idx)]].fees, name) for p, i in enumerate(idx)}
            new_venues = [v.model_copy(update={"fees": v.fees.model_copy(update={name: values[i]})})
                          if i in values else v for i, v in enumerate(venues)]
            out.append((channel, f"{channel} rotated by {r}", r,
                        scenario.model_copy(update={"venues": new_venues, "background": frozen})))
    return out


SHARE_COLUMNS = ("router", "channel", "twin", "rotation", "seed", "venue", "routed_shares", "payment_usd")


def _count(res: RunResult, channel: str, names: list[str]) -> dict[str, int]:
    """Shares routed per venue that ``channel`` pays for: every share (PFOF), resting ones, or immediate ones."""
    routed: dict[str, int] = dict.fromkeys(names, 0)
    ch = res.child_orders
    tifs = ch.get("tif") or [""] * len(ch["venue"])
    for venue, qty, tif in zip(ch["venue"], ch["qty"], tifs, strict=True):
        immediate = str(tif).lower() in IMMEDIATE_TIFS
        if channel == "pfof" or (channel == "take_fee") == immediate:
            routed[venue] += qty
    return routed


def incentive_test(
    scenario: Scenario, tasks: list[Task], *, baseline: list[RunResult], registry: RouterRegistry, jobs: int, n: int,
    on_done: Callable[[RunResult], None] | None, executor: TaskExecutor | None = None,
) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    """Rerun every task on ``n`` payment twins per channel; per router, channel, twin, seed and venue: shares, payment.

    The baseline's counts appear once per channel (twin 0, rotation 0). A repeated rotation is simulated once and
    its counts reused (the simulation is deterministic given the scenario and seed).
    """
    twins = payment_twins(scenario, n)
    rows: dict[str, list[Any]] = {k: [] for k in SHARE_COLUMNS}
    names = [v.name for v in scenario.venues]
    described: list[dict[str, Any]] = [{"twin": 0, "channel": "", "label": "baseline", "rotation": 0,
                                        "payment_usd": {c: {v.name: channel_payment_usd(v, c) for v in scenario.venues}
                                                        for c in CHANNELS}}]
    simulated: dict[tuple[str, int], list[RunResult]] = {}
    plan: list[tuple[str, int, int, Scenario, list[RunResult]]] = [
        (c, 0, 0, scenario, baseline) for c in CHANNELS if any(t[0] == c for t in twins)]
    for twin_id, (channel, label, rot, twin) in enumerate(twins, start=1):
        described.append({"twin": twin_id, "channel": channel, "label": label, "rotation": rot,
                          "payment_usd": {v.name: channel_payment_usd(v, channel) for v in twin.venues}})
        if (channel, rot) not in simulated:
            twin_json = twin.model_dump_json()
            simulated[(channel, rot)] = simulate_all(
                [Task(twin_json, t.router, t.params, t.seed, t.parents, t.limits) for t in tasks], registry,
                jobs=jobs, on_done=on_done, executor=executor)
        plan.append((channel, twin_id, rot, twin, simulated[(channel, rot)]))
    for channel, twin_id, rot, twin, results in plan:
        pay = {v.name: channel_payment_usd(v, channel) for v in twin.venues}
        for res in results:
            if res.status != "ok":
                if twin_id:  # the baseline's failures are the run's own; a twin's are listed on the twin
                    described[twin_id].setdefault("failed_runs", []).append(f"{res.router} seed {res.seed}: "
                                                                            f"{res.error or 'failed'}")
                continue
            for venue, q in _count(res, channel, names).items():
                for k, v in (("router", res.router), ("channel", channel), ("twin", twin_id), ("rotation", rot),
                             ("seed", res.seed), ("venue", venue), ("routed_shares", q),
                             ("payment_usd", pay[venue])):
                    rows[k].append(v)
    return described, rows
