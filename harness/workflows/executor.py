"""Where a run's simulation tasks run: ``--executor local`` (this machine: in-process or ``--jobs`` processes) or Dask.

``--executor dask`` starts a :class:`distributed.LocalCluster` of ``--jobs`` worker processes (one thread each, no
dashboard) for the command and closes it after; ``--executor dask://HOST:PORT`` connects to a running scheduler
(docs/scaling.md). Either way the tasks are those of :mod:`harness.workflows.tasks`, one pure (scenario, router,
seed) simulation each, and their results are put back in task order, so the run folder is byte-identical to
``--jobs 1``.

Failures are those of ``--jobs``: a router that raises fails its own (router, seed) run inside the simulation; a task
that raises is retried :data:`RETRIES` times (it is pure) and then fails that run with the worker's exception; a worker
lost mid-task (killed, its machine gone) has its tasks rescheduled by the scheduler. A task whose workers keep dying
(``KilledWorker``) may have been an innocent bystander on a worker that another task killed, so every such task is run
again alone, one at a time, and only one that still kills its worker fails, as "its worker process died".

Dask is optional (``pip install 'sorbench[dask]'``); this module imports it only when a Dask executor is opened.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError
from dataclasses import dataclass
from typing import Any

from adapters.registry import RouterRegistry
from harness.errors import UserError
from harness.sim.engine import RunResult
from harness.workflows.tasks import WORKER_DIED, Task, failed_result, run_task

EXECUTOR_HELP = ("Where the simulations run: local (this machine, --jobs processes), dask (a Dask LocalCluster of "
                 "--jobs workers) or dask://HOST:PORT (a running Dask scheduler; docs/scaling.md).")
RETRIES = 2
"""Times a task that raised is run again (tasks are pure) before its (router, seed) run fails."""

_ADDRESS = re.compile(r"^dask://(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})$")


@dataclass(frozen=True)
class ExecutorChoice:
    """A checked ``--executor`` value: ``kind`` local or dask; ``address`` the scheduler's (None: a LocalCluster)."""

    value: str
    kind: str
    address: str | None = None


def parse_executor(value: str) -> ExecutorChoice:
    """The ``--executor`` value checked (``UserError`` naming the option and the value)."""
    if value in ("local", "dask"):
        return ExecutorChoice(value, value)
    m = _ADDRESS.match(value)
    if m is None or not 1 <= int(m["port"]) <= 65535:
        raise UserError(f"--executor: {value!r} is not local, dask or dask://HOST:PORT")
    return ExecutorChoice(value, "dask", f"tcp://{m['host']}:{int(m['port'])}")


class DaskExecutor:
    """Runs simulation tasks on the cluster behind a connected ``distributed.Client``."""

    def __init__(self, client: Any, *, description: str) -> None:
        self.client = client
        self.description = description
        """What the manifest records: "dask LocalCluster (N workers)" or "dask://HOST:PORT"."""

    def submit(self, tasks: list[Task], registry_ref: Any) -> list[Any]:
        """One future per task, each retried :data:`RETRIES` times if it raises (never merged: ``pure=False``)."""
        batch = uuid.uuid4().hex[:12]
        return [self.client.submit(run_task, t, registry_ref, pure=False, retries=RETRIES,
                                   key=f"simulate-{t.router}-seed{t.seed}-{batch}-{i}")
                for i, t in enumerate(tasks)]

    def simulate(self, tasks: list[Task], registry: RouterRegistry, *,
                 on_done: Callable[[RunResult], None] | None) -> list[RunResult]:
        """The tasks' results in task order; ``on_done`` hears each as it completes on the cluster."""
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        # The registry travels once per worker (as its sources: built-ins, entry points, module/file specs).
        registry_ref = self.client.scatter(registry, broadcast=True, hash=False)
        futures = self.submit(tasks, registry_ref)
        index = {f.key: i for i, f in enumerate(futures)}
        done: dict[int, RunResult] = {}
        suspects: list[int] = []
        for fut in as_completed(futures):
            i = index[fut.key]
            try:
                done[i] = self._result(fut, tasks[i])
            except KilledWorker:
                suspects.append(i)  # its workers died, perhaps killed by another task: rerun it alone below
                continue
            if on_done:
                on_done(done[i])
        for i in sorted(suspects):
            (fut,) = self.submit([tasks[i]], registry_ref)
            try:
                done[i] = self._result(fut, tasks[i])
            except KilledWorker as exc:
                done[i] = failed_result(tasks[i], WORKER_DIED, exc)
            if on_done:
                on_done(done[i])
        return [done[i] for i in range(len(tasks))]

    def _result(self, fut: Any, task: Task) -> RunResult:
        """The future's result; a task that raised fails its run; ``KilledWorker`` passes; lost scheduler: UserError."""
        from distributed.scheduler import KilledWorker

        try:
            result: RunResult = fut.result()
        except KilledWorker:
            raise
        except CancelledError:
            raise UserError(f"--executor {self.description}: the Dask scheduler cancelled task {fut.key} (lost "
                            "connection to it?); nothing was written") from None
        except (Exception, SystemExit) as exc:
            return failed_result(task, f"worker raised {type(exc).__name__}: {exc}", exc)
        return result


@contextlib.contextmanager
def open_executor(choice: ExecutorChoice | None, *, jobs: int) -> Iterator[DaskExecutor | None]:
    """The executor for the command (None: local), closed after; ``UserError`` if Dask is missing or unreachable."""
    if choice is None or choice.kind == "local":
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UserError(f"--executor {choice.value}: Dask is not installed; install sorbench[dask] "
                        "(pip install 'sorbench[dask]')") from None
    with contextlib.ExitStack() as stack:
        if choice.address is None:
            cluster = stack.enter_context(LocalCluster(
                n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=logging.CRITICAL))
            client = stack.enter_context(Client(cluster))
            description = f"dask LocalCluster ({jobs} worker{'s' if jobs != 1 else ''})"
        else:
            try:
                client = stack.enter_context(Client(choice.address))
            except (OSError, TimeoutError) as err:
                first = str(err).splitlines()[0] if str(err) else type(err).__name__
                raise UserError(f"--executor: {choice.value!r}: cannot reach the Dask scheduler at "
                                f"{choice.address} ({first})") from None
            description = choice.value
        yield DaskExecutor(client, description=description)
