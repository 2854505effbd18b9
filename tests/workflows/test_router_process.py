"""Routers out of process (harness.sim.router_process): same results, and containment by the operating system.

A reference router gives byte-identical run files in this process and in a router process of its own. Every hostile
plug-in (tests/data/plugins/os_hostile_routers.py, loaded by file spec as a vendor's is) fails its own (router, seed)
run with its reason, and the other routers' files are byte-identical to those of a run without it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from adapters.loader import PluginRegistry
from harness.sim.engine import simulate
from harness.sim.router_node import RouterLimits
from harness.workflows.run import run_scenario
from tests.sim.helpers import REPO, small_scenario

PLUGINS = REPO / "tests" / "data" / "plugins"
OS_HOSTILE = PLUGINS / "os_hostile_routers.py"
HOSTILE = PLUGINS / "hostile_routers.py"
SIM_TABLES = [
    "fills.parquet",
    "child_orders.parquet",
    "nbbo.parquet",
    "trades.parquet",
    "quotes.parquet",
    "activity.parquet",
    "fast_trader_fills.parquet",
    "parent_orders.parquet",
    "common/nbbo.parquet",
]


def _digests(folder: Path, names: list[str]) -> dict[str, str]:
    return {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in names}


def _registry(*specs: str) -> tuple[PluginRegistry, list[str]]:
    reg = PluginRegistry()
    reg.add_builtins()
    return reg, [reg.add_spec(s) for s in specs]


def test_reference_routers_give_byte_identical_files_in_and_out_of_process(tmp_path):
    """best-price (timers, cancels), post-then-take (resting orders, timers) and cont-kukanov, run with
    ``--router-process plugins`` (in this process) and ``always`` (each in a router process): every Parquet file of
    the run folder, the analytics' included, has the same bytes."""
    routers = ["best-price", "post-then-take", "cont-kukanov"]
    folders = {}
    for mode in ("plugins", "always"):
        out = tmp_path / mode
        outcome = run_scenario(
            small_scenario(),
            scenario_path=None,
            routers=routers,
            seeds=[1],
            out_dir=out,
            results_root=tmp_path,
            registry=None,
            report=False,
            limits=RouterLimits(router_process=mode),
        )
        assert [r.status for r in outcome.results] == ["ok"] * 3, [r.error for r in outcome.results]
        folders[mode] = out
    names = sorted(str(p.relative_to(folders["plugins"])) for p in folders["plugins"].rglob("*.parquet"))
    assert "tca/orders.parquet" in names and "fills.parquet" in names
    assert _digests(folders["plugins"], names) == _digests(folders["always"], names)


# (spec, text its failure reason must contain)
HOSTILE_CASES = [
    (f"{OS_HOSTILE}:SwallowingLoopRouter", "callback ran longer than the 3 s limit and its process was killed"),
    (f"{OS_HOSTILE}:TimerResetRouter", "callback ran longer than the 3 s limit and its process was killed"),
    (f"{OS_HOSTILE}:SelfKillRouter", "the router process was killed by SIGKILL"),
    (f"{HOSTILE}:OsExitRouter", "the router process exited with status 0"),
    (f"{OS_HOSTILE}:FloodRouter", "the router sent more than 200 requests in one callback"),
    (f"{OS_HOSTILE}:MemoryHogRouter", "memory limit is 1073741824 bytes"),
    (f"{OS_HOSTILE}:GarbageFrameRouter", "broke the protocol: frame of 4294967295 bytes exceeds"),
    (f"{OS_HOSTILE}:GarbageJsonRouter", "broke the protocol: not a JSON message"),
    (f"{OS_HOSTILE}:UnknownMessageRouter", "broke the protocol: unknown message type 'give_me_the_market'"),
    (f"{OS_HOSTILE}:BadTypeRouter", "broke the protocol: send: qty must be an integer"),
]


def test_hostile_plugins_fail_alone_and_the_other_routers_files_are_byte_identical(tmp_path):
    """Each hostile plug-in's run is failed with its reason (listed among the run's failures); the spy finds nothing
    and is ok; best-price's and single-venue's simulation tables equal those of a run without the plug-ins."""
    reg, names = _registry(*(spec for spec, _ in HOSTILE_CASES), f"{OS_HOSTILE}:SpyRouter")
    limits = RouterLimits(
        callback_timeout_s=3.0, router_requests_per_callback=200
    )  # 200 round trips < 3 s
    clean = ["best-price", "single-venue"]
    hostile = run_scenario(
        small_scenario(),
        scenario_path=None,
        routers=[clean[0], *names, clean[1]],
        seeds=[1],
        out_dir=tmp_path / "hostile",
        results_root=tmp_path,
        registry=reg,
        limits=limits,
        analyze_tables=False,
    )
    by_router = {r.router: r for r in hostile.results}
    for name, (_spec, text) in zip(names, HOSTILE_CASES, strict=False):
        assert by_router[name].status == "failed", name
        assert text in by_router[name].error, (name, by_router[name].error)
    assert by_router["spy-test"].status == "ok", by_router["spy-test"].error
    assert all(by_router[r].status == "ok" for r in clean)
    assert len(hostile.failures) == len(HOSTILE_CASES)
    alone = run_scenario(
        small_scenario(),
        scenario_path=None,
        routers=[clean[0], "spy-test", clean[1]],
        seeds=[1],
        out_dir=tmp_path / "alone",
        results_root=tmp_path,
        registry=reg,
        limits=limits,
        analyze_tables=False,
    )
    assert not alone.failures
    assert _digests(tmp_path / "hostile", SIM_TABLES) == _digests(tmp_path / "alone", SIM_TABLES)


def test_the_spy_finds_the_simulator_when_it_runs_in_process():
    """The spy's search is real: in this process (``never``) it finds the simulation's objects and fails."""
    reg, (name,) = _registry(f"{OS_HOSTILE}:SpyRouter")
    res = simulate(
        small_scenario(), name, reg.get(name).Params(), 1, registry=reg, limits=RouterLimits(router_process="never")
    )
    assert res.status == "failed" and "found simulator state" in res.error
    assert "harness.sim" in res.error


def test_a_router_process_over_its_cpu_limit_is_killed_and_its_run_fails():
    """A spinning router that ignores SIGXCPU is killed at its hard CPU limit (1 s + 1), long before the 60 s
    callback limit."""
    reg, (name,) = _registry(f"{OS_HOSTILE}:CpuSpinRouter")
    res = simulate(
        small_scenario(),
        name,
        reg.get(name).Params(),
        1,
        registry=reg,
        limits=RouterLimits(callback_timeout_s=60.0, router_cpu_s=1),
    )
    assert res.status == "failed"
    assert "exceeded its CPU limit of 1 s" in res.error, res.error


def test_a_plugin_that_fails_to_build_in_its_process_fails_its_run_in_init():
    """Bad parameters or a raising ``__init__`` in the router process: failed in __init__, with the reason."""
    reg, (name,) = _registry(f"{HOSTILE}:OsExitRouter")
    params = reg.get(name).Params(code=5)
    res = simulate(small_scenario(), name, params, 1, registry=reg)
    assert res.status == "failed" and "exited with status 5" in res.error


def test_a_plugin_using_the_whole_contract_does_the_same_in_and_out_of_process():
    """contract_router.py (quotes, NBBO, resting and hidden orders, replace, cancel, tuple timer tokens, ctx.fills, a
    refused cancel it catches): its child orders and fills are identical in this process and in its own."""
    reg, (name,) = _registry(f"{PLUGINS / 'contract_router.py'}:ContractRouter")
    runs = {
        mode: simulate(
            small_scenario(), name, reg.get(name).Params(), 1, registry=reg, limits=RouterLimits(router_process=mode)
        )
        for mode in ("never", "plugins")
    }
    assert [r.status for r in runs.values()] == ["ok", "ok"], [r.error for r in runs.values()]
    inproc, oop = runs["never"], runs["plugins"]
    # 20 parents: a resting child and an IOC for the rest each; the timers replaced and cancelled the resting ones
    assert len(inproc.child_orders["child_id"]) == 40 and sum(inproc.fills["qty"]) > 0
    assert sum(inproc.activity["replaces"]) > 0 and sum(inproc.activity["cancels"]) > 0
    for table in ("child_orders", "fills", "trades", "nbbo"):
        assert getattr(inproc, table) == getattr(oop, table), table
    assert inproc.sip_reads == oop.sip_reads


def test_a_router_process_s_failure_message_is_one_printable_line():
    """A message with line breaks and an ANSI escape cannot pose as sorbench's console output."""
    reg, (name,) = _registry(f"{OS_HOSTILE}:SpoofingRouter")
    res = simulate(small_scenario(), name, reg.get(name).Params(), 1, registry=reg)
    assert res.status == "failed"
    assert "RuntimeError: boom | ok: every router passed" in res.error
    assert all(ch.isprintable() for ch in res.error), repr(res.error)
    assert "Traceback" in res.traceback and "os_hostile_routers.py" in res.traceback


def _state(pid: int) -> str:
    """A process's state letter from /proc ('' once it is gone; 'Z' for a zombie nobody reaped yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def _cpu_s(pid: int) -> float:
    """CPU seconds a process has used (utime + stime from /proc; 0 once it is gone)."""
    import os

    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def _is_router_process(pid: int) -> bool:
    try:
        return b"router_host" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def test_a_router_process_does_not_outlive_a_killed_simulator(tmp_path):
    """SIGKILL the simulating process while its plug-in loops in a callback: the router process ends with it."""
    import signal
    import subprocess
    import sys
    import time

    code = (
        f"import sys; sys.path.insert(0, {str(REPO)!r})\n"
        "from adapters.loader import PluginRegistry\nfrom harness.sim.engine import simulate\n"
        "from harness.sim.router_node import RouterLimits\nfrom tests.sim.helpers import small_scenario\n"
        f"reg = PluginRegistry(); name = reg.add_spec({str(OS_HOSTILE) + ':SwallowingLoopRouter'!r})\n"
        "simulate(small_scenario(), name, reg.get(name).Params(), 1, registry=reg,\n"
        "         limits=RouterLimits(callback_timeout_s=None, router_cpu_s=None))\n"
    )
    sim = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path)
    try:
        children: list[int] = []
        deadline = time.monotonic() + 180
        while not children and time.monotonic() < deadline and sim.poll() is None:
            time.sleep(0.2)
            text = Path(f"/proc/{sim.pid}/task/{sim.pid}/children").read_text() if _state(sim.pid) else ""
            children = [int(p) for p in text.split() if _is_router_process(int(p))]  # not a plug-in's inspection
        assert children, "the simulator never started a router process"
        # Its start takes well under 2 s of CPU; past 3 s it is spinning in the endless callback.
        while _cpu_s(children[0]) < 3.0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _state(children[0]) not in ("", "Z") and _cpu_s(children[0]) >= 3.0
    finally:
        sim.send_signal(signal.SIGKILL)
        sim.wait()
    end = time.monotonic() + 10
    while _state(children[0]) not in ("", "Z") and time.monotonic() < end:
        time.sleep(0.1)
    assert _state(children[0]) in ("", "Z"), "the router process outlived the simulator"
