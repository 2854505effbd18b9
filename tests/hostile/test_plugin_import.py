"""A plug-in's module is never imported into sorbench's process: hostile import-time code is contained.

Registering a plug-in inspects it in a short-lived child process (adapters.inspection). Each hostile module below
does its damage when imported: ``os._exit``, ``sys.exit``, a loop that never ends, a patch of ``venues.fees``, a
search of the process for the simulator, a file write. Each test asserts that this process is unaffected (the fee
code is the same objects, no plug-in module is loaded here) and that a failing import is one line naming the spec,
or a plug-in that imports fine still runs (in its router process) and leaves the other routers' files
byte-identical to a run without it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import venues.fees
from adapters.inspection import ProcessLimits
from adapters.loader import PluginRegistry
from adapters.registry import RegistryError
from harness.workflows.run import run_scenario
from tests.sim.helpers import REPO, small_scenario

ROUTER = '''
from adapters.contract import ParentOrder, Router
from venues.types import TimeInForce


class ImportTimeRouter(Router):
    name = "import-time-test"

    def on_parent(self, parent: ParentOrder) -> None:
        self.ctx.send(parent_id=parent.parent_id, venue="NSDQ", side=parent.side, qty=parent.qty,
                      price=parent.limit_price, tif=TimeInForce.IOC)
'''
TABLES = ["fills.parquet", "child_orders.parquet", "nbbo.parquet", "trades.parquet", "parent_orders.parquet"]


def _fee_code() -> dict[str, object]:
    """The fee module's functions and FeeSchedule's methods, by name (the objects themselves)."""
    code = {f"FeeSchedule.{k}": v for k, v in vars(venues.fees.FeeSchedule).items()}
    return {**code, **{k: v for k, v in vars(venues.fees).items() if callable(v)}}


def _plugin(tmp_path: Path, name: str, prelude: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(prelude) + ROUTER, encoding="utf-8")
    return path


def _plugin_modules() -> list[str]:
    return [m for m in sys.modules if m.startswith("sorbench_plugin_")]


def _digests(folder: Path) -> dict[str, str]:
    return {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in TABLES}


def _run(tmp_path: Path, label: str, reg: PluginRegistry | None, routers: list[str]) -> Path:
    out = tmp_path / label
    outcome = run_scenario(small_scenario(), scenario_path=None, routers=routers, seeds=[1], out_dir=out,
                           results_root=tmp_path, registry=reg, analyze_tables=False, report=False)
    assert [r.status for r in outcome.results] == ["ok"] * len(routers), [r.error for r in outcome.results]
    return out


@pytest.mark.parametrize(("prelude", "text"), [
    ("import os\nos._exit(3)\n", "its inspecting process exited with status 3 while it was being inspected"),
    ("import sys\nsys.exit(4)\n", "raised SystemExit: 4"),
    ("raise KeyboardInterrupt('at import')\n", "inspecting it raised KeyboardInterrupt: at import"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", "its inspecting process was killed by SIGKILL"),
    ("while True:\n    pass\n", "inspecting it took longer than 3 s (does importing it hang?); its process was killed"),
])
def test_an_import_that_exits_raises_or_hangs_is_one_line_and_leaves_this_process_alone(tmp_path, prelude, text):
    """os._exit, sys.exit, an interrupt, a self-kill and an endless loop at import: registration fails with one line
    naming the spec; this process never loaded the module and its fee code is unchanged."""
    before, loaded = _fee_code(), _plugin_modules()
    path = _plugin(tmp_path, "hostile", prelude)
    reg = PluginRegistry(ProcessLimits(wall_s=3.0))
    reg.add_builtins()
    with pytest.raises(RegistryError) as err:
        reg.add_spec(f"{path}:ImportTimeRouter")
    message = str(err.value)
    assert text in message and "\n" not in message, message
    assert str(path) in message
    assert "import-time-test" not in reg
    assert _fee_code() == before and _plugin_modules() == loaded


def test_an_import_that_patches_the_fee_code_changes_nothing_here(tmp_path):
    """The module replaces FeeSchedule.split and fee_micros when imported: this process's fee code is the same
    objects after registering it, a run of other routers with it registered is byte-identical to one without,
    and the plug-in itself still runs (its patch stays in its own router process)."""
    before, loaded = _fee_code(), _plugin_modules()
    path = _plugin(tmp_path, "patcher", """
        import venues.fees
        from venues.fees import FeeSplit
        venues.fees.FeeSchedule.split = lambda self, liquidity, qty: FeeSplit(0, 0, 0)
        venues.fees.FeeSchedule.fee_micros = lambda self, liquidity, qty: -10**9
    """)
    reg = PluginRegistry()
    reg.add_builtins()
    name = reg.add_spec(f"{path}:ImportTimeRouter")
    assert _fee_code() == before
    with_it = _run(tmp_path, "with", reg, ["best-price", "single-venue"])
    without = _run(tmp_path, "without", None, ["best-price", "single-venue"])
    assert _digests(with_it) == _digests(without)
    _run(tmp_path, "itself", reg, ["best-price", name])
    assert _fee_code() == before and _plugin_modules() == loaded


def test_an_import_that_searches_for_the_simulator_finds_nothing(tmp_path):
    """The module looks through gc and sys.modules for the simulation when imported and fails if it sees any: it
    registers (its inspecting process holds only adapters and venues) and runs ok in its router process."""
    loaded = _plugin_modules()
    path = _plugin(tmp_path, "spy", """
        import gc, sys
        found = [m for m in sys.modules if m.startswith(("harness", "tests", "simpy", "sorbench_plugin_") )
                 and not m.startswith(sys.modules[__name__].__name__)]
        found += [type(o).__name__ for o in gc.get_objects() if type(o).__name__ in ("Market", "Kernel", "RouterNode")]
        if found:
            raise RuntimeError(f"found the simulator: {found[:3]}")
    """)
    reg = PluginRegistry()
    reg.add_builtins()
    name = reg.add_spec(f"{path}:ImportTimeRouter")
    _run(tmp_path, "spy", reg, [name])
    assert _plugin_modules() == loaded


def test_an_import_cannot_write_into_files(tmp_path):
    """A module that writes a file when imported: uncaught, the write fails (no byte may be written into a file)
    and registration is one line naming the spec; caught, the plug-in registers and runs, and the file holds no
    byte, neither after registration nor after its router process imported it for the run."""
    target, loaded = tmp_path / "written_at_import.txt", _plugin_modules()
    loud = _plugin(tmp_path, "writer", f"""
        from pathlib import Path
        Path({str(target)!r}).write_text("the vendor was here" * 100)
    """)
    reg = PluginRegistry()
    reg.add_builtins()
    with pytest.raises(RegistryError, match="OSError: \\[Errno 27\\] File too large") as err:
        reg.add_spec(f"{loud}:ImportTimeRouter")
    assert str(loud) in str(err.value) and "\n" not in str(err.value)
    quiet = _plugin(tmp_path, "quiet_writer", f"""
        from pathlib import Path
        try:
            Path({str(target)!r}).write_text("the vendor was here" * 100)
        except OSError:
            pass
    """)
    name = reg.add_spec(f"{quiet}:ImportTimeRouter")
    assert not target.exists() or target.stat().st_size == 0
    _run(tmp_path, "writer", reg, ["best-price", name])
    assert not target.exists() or target.stat().st_size == 0
    assert _plugin_modules() == loaded


def test_sorbench_run_with_a_plugin_whose_import_exits_is_exit_2_and_one_line(tmp_path):
    """On the command line, a plug-in file whose import ends its process is a bad input: exit status 2, one line
    naming the file, no run folder."""
    path = _plugin(tmp_path, "exiting", "import os\nos._exit(3)\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--router", f"{path}:ImportTimeRouter",
                           "--out", str(out), "--quiet"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "--router" in lines[0] and str(path) in lines[0], proc.stderr
    assert "exited with status 3" in lines[0]
    assert not out.exists()
