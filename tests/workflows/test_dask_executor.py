"""``--executor dask``: the run's (scenario, router, seed) tasks on a Dask cluster give the run folder of ``--jobs 1``.

One LocalCluster of two single-threaded worker processes serves the module (opened as ``--executor dask`` opens it);
the CLI runs reach it as ``--executor dask://127.0.0.1:PORT``. Scenario: default.toml cut to 40 s and 10 parents,
two routers, two seeds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("distributed")

from harness.cli.app import app
from harness.errors import EXIT_PARTIAL, UserError
from harness.scenario.routers import resolve_router_params
from harness.sim.router_node import RouterLimits
from harness.workflows.executor import RETRIES, DaskExecutor, open_executor, parse_executor
from harness.workflows.tasks import WORKER_DIED, plan_tasks, run_task, simulate_all
from tests.cli.test_cli import REPO, tiny_dict, write_toml
from tests.sim.helpers import registry_with, scenario_from_dict
from tests.workflows.dask_routers import DiesOnceRouter, RaisesRouter

ROUTERS_FILE = REPO / "tests" / "workflows" / "dask_routers.py"


@pytest.fixture(scope="module")
def cluster():
    """A two-worker LocalCluster, as ``--executor dask --jobs 2`` starts it."""
    with open_executor(parse_executor("dask"), jobs=2) as executor:
        assert executor is not None and len(executor.client.scheduler_info()["workers"]) == 2
        yield executor


@pytest.fixture(scope="module")
def address(cluster) -> str:
    """The cluster's scheduler as an ``--executor`` value."""
    return "dask://" + cluster.client.scheduler.address.removeprefix("tcp://")


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    return write_toml(tmp_path_factory.mktemp("dask") / "tiny.toml", tiny_dict())


def _run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["run", *map(str, args), "--quiet", "--no-report"])
    return result.exit_code, result.output


def _tables(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.suffix in (".parquet", ".csv")}


def test_a_run_on_the_cluster_writes_the_tables_of_jobs_1_byte_for_byte(address, scenario_file, tmp_path):
    """Every Parquet and CSV file of the run folder is byte-identical to a ``--jobs 1`` run's."""
    code, output = _run(scenario_file, "--seeds", "2", "--out", tmp_path / "local", "--jobs", "1")
    assert code == 0, output
    code, output = _run(scenario_file, "--seeds", "2", "--out", tmp_path / "dask", "--executor", address)
    assert code == 0, output
    local, dask = _tables(tmp_path / "local"), _tables(tmp_path / "dask")
    assert len(local) > 10 and "fills.parquet" in local and "tca/summary.csv" in local
    assert local.keys() == dask.keys()
    assert [name for name in local if local[name] != dask[name]] == []
    manifest = json.loads((tmp_path / "dask" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["executor"] == address and {r["status"] for r in manifest["runs"]} == {"ok"}


def test_a_router_that_raises_fails_its_runs_on_the_cluster_as_with_jobs(address, scenario_file, tmp_path):
    """Same status and reason per (router, seed), the same failures, exit 3, under ``--jobs 1`` and on Dask (one seed:
    the task-level test below runs two)."""
    spec = f"{ROUTERS_FILE}:RaisesRouter"
    runs = {}
    for name, how in (("local", ["--jobs", "1"]), ("dask", ["--executor", address])):
        code, output = _run(scenario_file, "--seeds", "1", "-r", "best-price", "-r", spec, "--out", tmp_path / name,
                            *how)
        assert code == EXIT_PARTIAL, output
        assert "Traceback" not in output
        m = json.loads((tmp_path / name / "manifest.json").read_text(encoding="utf-8"))
        runs[name] = ([(r["router"], r["seed"], r["status"], r["error"]) for r in m["runs"]], m["failures"])
    assert runs["local"] == runs["dask"]
    statuses = {(router, status) for router, _seed, status, _error in runs["dask"][0]}
    assert statuses == {("best-price", "ok"), ("test-raises", "failed")}


def test_a_worker_lost_mid_task_is_retried_and_gives_the_same_result(cluster, tmp_path):
    """A task whose worker process dies is rerun on a live worker; its result is the in-process one."""
    registry = registry_with(DiesOnceRouter)
    scenario = scenario_from_dict(tiny_dict(), source="<test>")
    marker = tmp_path / "died-once"
    params = {"test-dies-once": DiesOnceRouter.Params(marker=str(marker))}
    tasks = plan_tasks(scenario, ["test-dies-once"], seeds=[1], params=params, parents=None,
                       limits=RouterLimits(router_process="never"), realtime=None)
    done = []
    (res,) = simulate_all(tasks, registry, jobs=1, on_done=done.append, executor=cluster)
    assert marker.is_file(), "the first attempt did not kill its worker"
    assert res.status == "ok", res.error
    assert done == [res]
    again = run_task(tasks[0], registry)  # the marker is there now: in-process, no death
    assert again.status == "ok" and again.fills == res.fills and again.child_orders == res.child_orders


def test_a_failing_router_gives_the_same_results_through_simulate_all(cluster):
    """Task level: status, error and tables of every (router, seed) equal the in-process ones; progress per task."""
    registry = registry_with(RaisesRouter)
    scenario = scenario_from_dict(tiny_dict(), source="<test>")
    routers = ["test-raises", "best-price"]
    params = {r: resolve_router_params(scenario, registry, r, source="<test>") for r in routers}
    tasks = plan_tasks(scenario, routers, seeds=[1, 2], params=params, parents=None,
                       limits=RouterLimits(router_process="never"), realtime=None)
    heard = []
    local = simulate_all(tasks, registry, jobs=1, on_done=None)
    remote = simulate_all(tasks, registry, jobs=1, on_done=heard.append, executor=cluster)
    assert len(heard) == len(tasks)
    for a, b in zip(local, remote, strict=True):
        assert (a.router, a.seed, a.status, a.error, a.partial) == (b.router, b.seed, b.status, b.error, b.partial)
        assert a.fills == b.fills and a.child_orders == b.child_orders
    assert [r.status for r in remote] == ["failed", "ok", "failed", "ok"]


def test_tasks_are_submitted_impure_with_retries():
    """Each task is its own future (``pure=False``, a unique key) that the scheduler retries if it raises."""
    calls = []

    class FakeClient:
        def submit(self, fn, *args, **kwargs):
            calls.append((fn, args, kwargs))
            return kwargs["key"]

    scenario = scenario_from_dict(tiny_dict(), source="<test>")
    registry = registry_with()
    params = {"best-price": resolve_router_params(scenario, registry, "best-price", source="<test>")}
    tasks = plan_tasks(scenario, ["best-price"], seeds=[1, 2], params=params, parents=None, limits=RouterLimits(),
                       realtime=None)
    keys = DaskExecutor(FakeClient(), description="fake").submit(tasks, "REGISTRY")
    assert RETRIES >= 1
    assert [(fn, args) for fn, args, _ in calls] == [(run_task, (t, "REGISTRY")) for t in tasks]
    assert all(kw["retries"] == RETRIES and kw["pure"] is False for _, _, kw in calls)
    assert len(set(keys)) == len(tasks)
    assert WORKER_DIED == "its worker process died"


@pytest.mark.parametrize("value", ["dusk", "dask:", "dask://", "dask://host", "dask://host:0", "dask://host:99999",
                                   "dask://a b:8786", "tcp://host:8786", "Dask", ""])
def test_a_bad_executor_value_is_one_line_naming_the_option_and_value(value):
    assert parse_executor("dask://sched.example.org:8786").address == "tcp://sched.example.org:8786"
    with pytest.raises(UserError, match=r"^--executor: ") as err:
        parse_executor(value)
    assert repr(value) in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("command", ["run", "probe", "verify"])
def test_each_command_refuses_a_bad_executor_with_exit_2(command, scenario_file, tmp_path):
    out = tmp_path / "out"
    args = {"run": ["run", str(scenario_file), "--out", str(out)], "probe": ["probe", str(scenario_file), "--out",
                                                                             str(out)],
            "verify": ["verify", str(tmp_path)]}[command]
    result = CliRunner().invoke(app, [*args, "--executor", "dusk"])
    assert result.exit_code == 2, result.output
    assert "error: --executor: 'dusk' is not local, dask or dask://HOST:PORT" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_an_unreachable_scheduler_is_one_line_exit_2_and_nothing_written(scenario_file, tmp_path):
    import dask

    out = tmp_path / "out"
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code, output = _run(scenario_file, "--out", out, "--executor", "dask://127.0.0.1:9")
    assert code == 2, output
    assert "error: --executor: 'dask://127.0.0.1:9': cannot reach the Dask scheduler at tcp://127.0.0.1:9" in output
    assert "Traceback" not in output and not out.exists() and not list(tmp_path.glob(".out*"))


def test_without_dask_installed_the_error_says_to_install_the_extra(scenario_file, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed raises ImportError
    code, output = _run(scenario_file, "--out", tmp_path / "out", "--executor", "dask")
    assert code == 2, output
    assert "--executor dask: Dask is not installed; install sorbench[dask]" in output
    assert not (tmp_path / "out").exists()


def test_a_real_time_run_refuses_a_cluster(scenario_file, tmp_path):
    code, output = _run(scenario_file, "--out", tmp_path / "out", "--realtime", "--time-factor", "1000",
                        "--executor", "dask")
    assert code == 2, output
    assert "--executor: 'dask': a real-time run (--realtime) is paced in this process" in output
