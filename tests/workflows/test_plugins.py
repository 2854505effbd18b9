"""Router plug-ins: loading by spec and by entry point, registry rebuilding in workers, and containment.

The plug-in lives in ``tests/data/plugins/ext_router.py``, outside every package of the project. The entry
point test builds a separate distribution from it and pip-installs that into a site folder of its own, then runs
``sorbench`` with that folder on the path.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.loader import PluginRegistry, full_registry, load_class
from adapters.registry import RegistryError
from harness.sim.engine import simulate
from harness.sim.router_node import RouterLimits
from tests.sim.helpers import REPO, small_scenario

PLUGINS = REPO / "tests" / "data" / "plugins"
PLUGIN_FILE = PLUGINS / "ext_router.py"


def _install_package(root: Path) -> Path:
    """Build and pip-install (``--target``) a separate distribution whose entry point names the plug-in router.

    The package lives outside the project (a temporary folder), is built with hatchling without network access
    (``--no-build-isolation``) and installed into its own site folder, exactly as a vendor's wheel would be.
    """
    src = root / "ext-router-pkg"
    (src / "ext_router").mkdir(parents=True)
    (src / "ext_router" / "__init__.py").write_text(PLUGIN_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    (src / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "ext-router-pkg"\nversion = "0.1"\n\n'
        '[project.entry-points."sorbench.routers"]\nexternal = "ext_router:ExternalRouter"\n\n'
        '[tool.hatch.build.targets.wheel]\npackages = ["ext_router"]\n', encoding="utf-8")
    site = root / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps", "--target",
         str(site), str(src)], capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert (site / "ext_router_pkg-0.1.dist-info" / "entry_points.txt").is_file()
    return site


def _cli(*args: str, cwd: Path, extra_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    paths = [str(REPO)] + ([str(extra_path)] if extra_path else [])
    env["PYTHONPATH"] = os.pathsep.join(paths + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


# ------------------------------------------------------------------------------------------------------ loading
def test_load_class_from_a_file_spec_and_a_module_spec():
    """``file.py:Class`` loads the file under a stable module name; ``module:Class`` imports it."""
    cls = load_class(f"{PLUGIN_FILE}:ExternalRouter")
    assert cls.name == "external-test"
    assert load_class(f"{PLUGIN_FILE}:ExternalRouter") is cls  # loaded once
    from adapters.reference.best_price import BestPriceRouter

    assert load_class("adapters.reference.best_price:BestPriceRouter") is BestPriceRouter


@pytest.mark.parametrize(("spec", "text"), [
    ("no_colon_here", "is not 'package.module:Class'"),
    (f"{PLUGINS}/missing.py:X", "not found"),
    ("no_such_module_xyz:Router", "cannot import 'no_such_module_xyz'"),
    (f"{PLUGIN_FILE}:Nope", "has no attribute 'Nope'"),
    (f"{PLUGIN_FILE}:NotARouter", "not a subclass of adapters.contract.Router"),
])
def test_bad_router_specs_are_one_line_errors(spec, text):
    with pytest.raises(RegistryError, match=None) as err:
        load_class(spec)
    assert text in str(err.value) and "\n" not in str(err.value)


def test_a_plugin_with_a_builtin_name_is_refused_at_registration():
    """Duplicate names are an error when registered, naming both classes."""
    reg = full_registry(entry_point_group=None)
    best = reg.get("best-price")
    clone = type("Clone", (best,), {})
    with pytest.raises(RegistryError, match="duplicate router name 'best-price'"):
        reg.register(clone, origin="test")


def test_plugin_registry_rebuilds_itself_from_its_sources_when_unpickled():
    """A worker process gets the same routers, file plug-ins included, by reloading them from their specs."""
    reg = full_registry(entry_point_group=None)
    name = reg.add_spec(f"{PLUGIN_FILE}:HangingRouter")
    copy = pickle.loads(pickle.dumps(reg))
    assert isinstance(copy, PluginRegistry)
    assert copy.names() == reg.names() and name in copy
    assert copy.origin(name) == f"{PLUGIN_FILE}:HangingRouter"


@pytest.mark.slow
def test_an_installed_package_s_router_is_found_through_the_entry_point(tmp_path):
    """`sorbench routers` lists the entry point's router with its origin; `sorbench run -r external-test` runs it."""
    site = _install_package(tmp_path)
    listed = _cli("routers", cwd=tmp_path, extra_path=site)
    assert listed.returncode == 0, listed.stderr
    line = next(ln for ln in listed.stdout.splitlines() if "external-test" in ln)
    assert "entry point ext_router:ExternalRouter" in line and "ext-router-pkg" in listed.stdout
    scenario = tmp_path / "s.toml"
    text = (REPO / "scenarios" / "default.toml").read_text(encoding="utf-8")
    scenario.write_text(text.replace('end = "09:40:00"', 'end = "09:30:40"').replace("orders = 200", "orders = 10")
                        .replace("warmup_s = 20.0", "warmup_s = 5.0"), encoding="utf-8")
    ran = _cli("run", str(scenario), "-r", "external-test", "-r", "best-price", "--out", str(tmp_path / "out"),
               "--quiet", cwd=tmp_path, extra_path=site)
    assert ran.returncode == 0, ran.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    origins = {r["name"]: r["origin"] for r in manifest["routers"]}
    assert origins["external-test"] == "entry point ext_router:ExternalRouter (ext-router-pkg)"
    assert {r["router"]: r["status"] for r in manifest["runs"]} == {"external-test": "ok", "best-price": "ok"}


def test_run_with_a_file_spec_router_and_a_router_config_file(tmp_path):
    """`--router path.py:Class` runs the plug-in; `--router-config` sets its parameters (venue EDGX): every child
    goes to EDGX. A config table that is not a table is one line, exit 2."""
    scenario = tmp_path / "s.toml"
    text = (REPO / "scenarios" / "default.toml").read_text(encoding="utf-8")
    scenario.write_text(text.replace('end = "09:40:00"', 'end = "09:30:40"').replace("orders = 200", "orders = 10")
                        .replace("warmup_s = 20.0", "warmup_s = 5.0"), encoding="utf-8")
    cfg = tmp_path / "routers.toml"
    cfg.write_text('[external-test]\nvenue = "EDGX"\n', encoding="utf-8")
    ran = _cli("run", str(scenario), "-r", f"{PLUGIN_FILE}:ExternalRouter", "--router-config", str(cfg),
               "--out", str(tmp_path / "out"), "--quiet", "--jobs", "2", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    import pyarrow.parquet as pq

    venues = set(pq.read_table(tmp_path / "out" / "child_orders.parquet").column("venue").to_pylist())
    assert venues == {"EDGX"}
    cfg.write_text('external-test = 3\n', encoding="utf-8")
    bad = _cli("run", str(scenario), "-r", f"{PLUGIN_FILE}:ExternalRouter", "--router-config", str(cfg),
               "--out", str(tmp_path / "out2"), "--quiet", cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "expected a table" in bad.stderr
    assert not (tmp_path / "out2").exists()


# -------------------------------------------------------------------------------------------------- containment
def test_a_hanging_callback_is_stopped_at_its_time_limit_and_fails_only_its_run():
    """HangingRouter loops forever on its third parent; with a 0.5 s limit its run fails with the reason."""
    reg = full_registry(entry_point_group=None)
    name = reg.add_spec(f"{PLUGIN_FILE}:HangingRouter")
    sc = small_scenario()
    res = simulate(sc, name, reg.get(name).Params(), 1, registry=reg, limits=RouterLimits(callback_timeout_s=0.5))
    assert res.status == "failed"
    assert "on_parent" in res.error and "0.5 s limit" in res.error
    assert "HangingRouter" in res.traceback or "on_parent" in res.traceback


def test_a_router_that_kills_its_worker_process_fails_alone(tmp_path):
    """With --jobs 2 a router calling os._exit takes down its worker; that run is failed, the others complete and
    the folder is written, marked partial (exit 3, the failure listed on stderr)."""
    scenario = tmp_path / "s.toml"
    text = (REPO / "scenarios" / "default.toml").read_text(encoding="utf-8")
    scenario.write_text(text.replace('end = "09:40:00"', 'end = "09:30:40"').replace("orders = 200", "orders = 10")
                        .replace("warmup_s = 20.0", "warmup_s = 5.0"), encoding="utf-8")
    ran = _cli("run", str(scenario), "-r", "best-price", "-r", f"{PLUGIN_FILE}:ExitingRouter", "--jobs", "2",
               "--out", str(tmp_path / "out"), "--quiet", cwd=tmp_path)
    assert ran.returncode == 3, ran.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    status = {r["router"]: r["status"] for r in manifest["runs"]}
    assert status == {"best-price": "ok", "exiting-test": "failed"}
    assert manifest["partial"] is True
    assert "FAILED" in ran.stderr and "exiting-test" in ran.stderr


def test_fixed_decision_latency_delays_every_child_by_that_much():
    """With 250 us charged per decision and constant 100 us order entry, children reach venues 350 us after the
    router's callback ran (sent_ts_ns is the callback's simulated time)."""
    from tests.sim.helpers import small_dict

    d = small_dict()
    d["latency"]["defaults"]["order_entry"] = {"model": "constant", "ns": 100_000}
    d["latency"]["links"] = []
    sc = small_scenario(d)
    reg = full_registry(entry_point_group=None)
    params = reg.get("best-price").Params()
    plain = simulate(sc, "best-price", params, 1, registry=reg)
    charged = simulate(sc, "best-price", params, 1, registry=reg, limits=RouterLimits(decision_latency=250_000))
    for res, expect in ((plain, 100_000), (charged, 350_000)):
        ch = res.child_orders
        delays = {v - s for v, s in zip(ch["venue_ts_ns"], ch["sent_ts_ns"], strict=True) if v is not None}
        assert delays == {expect}


@pytest.mark.parametrize(("args", "text"), [
    (["--callback-timeout", "-1"], "--callback-timeout"),
    (["--decision-latency", "soon"], "--decision-latency"),
    (["-r", "nowhere.py:X"], "--router"),
])
def test_bad_router_options_are_one_line_errors(tmp_path, args, text):
    ran = _cli("run", *args, "--out", str(tmp_path / "o"), "--quiet", cwd=REPO)
    assert ran.returncode == 2, ran.stderr
    assert len(ran.stderr.strip().splitlines()) == 1 and text in ran.stderr
