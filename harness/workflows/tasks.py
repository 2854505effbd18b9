"""A run's simulations as tasks: one per router x seed, run in-process, in a pool of spawned workers or on a cluster.

The cluster is an executor such as Dask's (:mod:`harness.workflows.executor`). A router that raises, or kills its
worker process, gives a failed :class:`~harness.sim.engine.RunResult` for its own task only; the others still run.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol

from adapters.contract import ParentOrder
from adapters.registry import RouterRegistry, builtin_registry
from harness.scenario.schema import Scenario
from harness.sim.engine import RunResult, simulate
from harness.sim.realtime import RealtimeSettings
from harness.sim.router_node import RouterLimits
from harness.workflows.common import COMMON_ROUTER, common_registry

WORKER_DIED = "its worker process died"
"""Why a task failed whose worker process died each time it ran, even alone (the exception is in the traceback)."""


@dataclass(frozen=True)
class Task:
    """One simulation to run."""

    scenario_json: str
    router: str
    params: dict[str, Any]
    seed: int
    parents: tuple[ParentOrder, ...] | None
    limits: RouterLimits | None = None
    realtime: RealtimeSettings | None = None


def failed_result(task: Task, why: str, exc: BaseException) -> RunResult:
    """A failed result for a task whose worker did not return one."""
    return RunResult(
        router=task.router, seed=task.seed, status="failed", error=f"router {task.router!r} failed: {why}",
        traceback="".join(traceback.format_exception(exc)),
    )


def run_task(task: Task, registry: RouterRegistry | None = None) -> RunResult:
    """Worker entry point (also used in-process); ``registry`` defaults to the built-in routers."""
    scenario = Scenario.model_validate_json(task.scenario_json)
    if task.router == COMMON_ROUTER:  # the common market's host, whatever routers the run's registry holds
        registry = common_registry()
    registry = registry or builtin_registry()
    params = registry.get(task.router).Params.model_validate(task.params)
    parents = list(task.parents) if task.parents is not None else None
    return simulate(scenario, task.router, params, task.seed, parents=parents, registry=registry, limits=task.limits,
                    realtime=task.realtime)


def plan_tasks(
    scenario: Scenario, routers: Sequence[str], *, seeds: Sequence[int], params: dict[str, Any],
    parents: list[ParentOrder] | None, limits: RouterLimits, realtime: RealtimeSettings | None,
) -> list[Task]:
    """One task per seed and router (seeds outer, routers inner), each with the router's resolved parameters."""
    scenario_json = scenario.model_dump_json()
    frozen = tuple(parents) if parents is not None else None
    return [
        Task(scenario_json, r, params[r].model_dump(mode="json"), seed, frozen, limits, realtime)
        for seed in seeds for r in routers
    ]


def plan_common_tasks(scenario: Scenario, seeds: Sequence[int]) -> list[Task]:
    """One task per seed for the common market: the scenario with no router flow (:mod:`harness.workflows.common`).

    Each hosts :class:`~harness.workflows.common.NoRouter` with an empty parent-order flow, in virtual time (never
    paced against the wall clock) with default router limits: nothing is routed, so neither can change the market.
    """
    scenario_json = scenario.model_dump_json()
    return [Task(scenario_json, COMMON_ROUTER, {}, seed, (), None, None) for seed in seeds]


class TaskExecutor(Protocol):
    """Somewhere else to run tasks (:class:`harness.workflows.executor.DaskExecutor`); the manifest records where."""

    description: str

    def simulate(self, tasks: list[Task], registry: RouterRegistry, *,
                 on_done: Callable[[RunResult], None] | None) -> list[RunResult]:
        """The tasks' results in task order, ``on_done`` called as each completes; a failing router never raises."""
        ...


def simulate_all(
    tasks: list[Task], registry: RouterRegistry, *, jobs: int, on_done: Callable[[RunResult], None] | None,
    executor: TaskExecutor | None = None,
) -> list[RunResult]:
    """Run the tasks in order (in-process, ``jobs`` spawned workers, ``executor``); a router failure never raises."""
    if executor is not None and tasks:
        return executor.simulate(tasks, registry, on_done=on_done)
    results: list[RunResult] = []
    if jobs <= 1 or len(tasks) == 1:
        for t in tasks:
            res = run_task(t, registry)
            results.append(res)
            if on_done:
                on_done(res)
        return results
    ctx = multiprocessing.get_context("spawn")
    broken: list[int] = []
    done: dict[int, RunResult] = {}
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx) as pool:
        # The registry travels to the workers by reference (its router classes must be importable there).
        futures = [pool.submit(run_task, t, registry) for t in tasks]
        for i, fut in enumerate(futures):
            try:
                done[i] = fut.result()
            except BrokenProcessPool:
                broken.append(i)  # some worker died; which task killed it is not known yet
            except (Exception, SystemExit) as exc:
                done[i] = failed_result(tasks[i], f"worker raised {type(exc).__name__}: {exc}", exc)
            if i in done and on_done:
                on_done(done[i])
    # A router that kills its process (os._exit, a crash in native code) breaks the whole pool: rerun each
    # unfinished task alone in a fresh worker, so that only the culprit fails.
    for i in broken:
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as solo:
            try:
                done[i] = solo.submit(run_task, tasks[i], registry).result()
            except Exception as exc:
                done[i] = failed_result(tasks[i], WORKER_DIED, exc)
        if on_done:
            on_done(done[i])
    return [done[i] for i in range(len(tasks))]
