"""The incentive test's simulations: every router x seed again on payment twins of the scenario.

A payment twin changes only what venues pay the broker for its flow (PFOF and maker rebates, permuted or scaled:
:func:`payment_twins`); :func:`incentive_test` reruns the run's tasks on each twin and counts, per router, twin, seed
and venue, the shares routed there and the venue's payment (:func:`venue_payment_usd`). The conflict analytics
(:mod:`harness.analytics.incentive`) read those counts from the run folder's ``incentive/``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.registry import RouterRegistry
from harness.scenario.schema import Scenario
from harness.sim.engine import RunResult
from harness.workflows.tasks import Task, simulate_all


def venue_payment_usd(venue: Any) -> float:
    """What a venue pays the broker per share for the flow it wants: PFOF (wholesalers) plus the maker rebate."""
    return float(venue.fees.pfof_usd + max(0.0, -venue.fees.make_usd))


def payment_twins(scenario: Scenario, n: int) -> list[tuple[str, Scenario]]:
    """``n`` twins of ``scenario`` whose venues' payments are permuted or scaled, nothing else changed.

    In order: payments rotated by one venue (PFOF among the wholesalers, maker rebates among the lit venues that pay
    one), all payments x 0.5, all x 1.5 (capped at $0.01 per share), then rotations by 2, 3, ... Take fees, venue
    rules and every participant are unchanged, so a router whose venue mix moves between twins is following the money.
    """
    venues = scenario.venues
    pfof_idx = [i for i, v in enumerate(venues) if v.fees.pfof_usd > 0]
    rebate_idx = [i for i, v in enumerate(venues) if v.fees.make_usd < 0]

    def build(label: str, pfof: dict[int, float], make: dict[int, float]) -> tuple[str, Scenario]:
        new_venues = []
        for i, v in enumerate(venues):
            fees = v.fees.model_copy(update={
                "pfof_usd": round(pfof.get(i, v.fees.pfof_usd), 6), "make_usd": round(make.get(i, v.fees.make_usd), 6),
            })
            new_venues.append(v.model_copy(update={"fees": fees}))
        return label, scenario.model_copy(update={"venues": new_venues})

    def rotate(k: int) -> tuple[str, Scenario]:
        pf = {i: venues[pfof_idx[(j + k) % len(pfof_idx)]].fees.pfof_usd for j, i in enumerate(pfof_idx)}
        mk = {i: venues[rebate_idx[(j + k) % len(rebate_idx)]].fees.make_usd for j, i in enumerate(rebate_idx)}
        return build(f"payments rotated by {k}", pf, mk)

    def scale(f: float) -> tuple[str, Scenario]:
        pf = {i: min(venues[i].fees.pfof_usd * f, 0.01) for i in pfof_idx}
        mk = {i: max(venues[i].fees.make_usd * f, -0.01) for i in rebate_idx}
        return build(f"payments x {f:g}", pf, mk)

    plan: list[Callable[[], tuple[str, Scenario]]] = [lambda: rotate(1), lambda: scale(0.5), lambda: scale(1.5)]
    k = 2
    while len(plan) < n:
        plan.append(lambda k=k: rotate(k))  # type: ignore[misc]
        k += 1
    return [make() for make in plan[:n]]


def incentive_test(
    scenario: Scenario, tasks: list[Task], *, baseline: list[RunResult], registry: RouterRegistry, jobs: int, n: int,
    on_done: Callable[[RunResult], None] | None,
) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    """Rerun every task on ``n`` payment twins; per router, twin, seed and venue: routed shares and payment."""
    twins = [("baseline", scenario), *payment_twins(scenario, n)]
    rows: dict[str, list[Any]] = {k: [] for k in ("router", "twin", "seed", "venue", "routed_shares", "payment_usd")}
    described = []
    for twin_id, (label, twin) in enumerate(twins):
        pay = {v.name: venue_payment_usd(v) for v in twin.venues}
        described.append({"twin": twin_id, "label": label, "payment_usd": pay})
        if twin_id == 0:
            results = baseline
        else:
            twin_json = twin.model_dump_json()
            results = simulate_all(
                [Task(twin_json, t.router, t.params, t.seed, t.parents, t.limits) for t in tasks], registry, jobs=jobs,
                on_done=on_done,
            )
        for res in results:
            if res.status != "ok":
                continue
            routed: dict[str, int] = dict.fromkeys(pay, 0)
            for venue, qty in zip(res.child_orders["venue"], res.child_orders["qty"], strict=True):
                routed[venue] += qty
            for venue, q in routed.items():
                for k, v in (("router", res.router), ("twin", twin_id), ("seed", res.seed), ("venue", venue),
                             ("routed_shares", q), ("payment_usd", pay[venue])):
                    rows[k].append(v)
    return described, rows
