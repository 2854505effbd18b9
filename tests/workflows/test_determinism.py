"""Determinism: the same scenario and seed give byte-identical tables, in-process and across processes.

The CLI runs use a cut-down default scenario (40 s, 20 parents) written to a TOML file, two seeds and both reference
routers: run A and run B with ``--jobs 1``, run C with ``--jobs 2`` (spawned worker processes).
"""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from adapters.registry import builtin_registry
from harness.scenario.routers import resolve_router_params
from harness.sim.engine import simulate
from tests.sim.helpers import REPO, small_dict, small_scenario

pytestmark = pytest.mark.slow  # every table of a multi-router run, across processes and --jobs

TABLES = ["fills.parquet", "nbbo.parquet", "child_orders.parquet", "parent_orders.parquet", "trades.parquet",
          "common/nbbo.parquet"]


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        assert not (isinstance(v, float) and not math.isfinite(v))
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def write_toml(d: dict[str, Any], path: Path) -> None:
    """Write a scenario dict as TOML: one ``key = value`` line per top-level key, tables inline."""
    path.write_text("".join(f"{json.dumps(k)} = {_toml_value(v)}\n" for k, v in d.items()), encoding="utf-8")


def sorbench(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the ``sorbench`` console entry point with this interpreter."""
    cmd = [sys.executable, "-c", "from harness.cli import main; main()", *map(str, args)]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    work = tmp_path_factory.mktemp("det")
    scenario = work / "SMALL.toml"
    write_toml(small_dict(), scenario)
    outs = {}
    for name, jobs in (("A", "1"), ("B", "1"), ("C", "2")):
        proc = sorbench("run", scenario, "--seeds", "2", "--out", work / name, "--quiet", "--jobs", jobs, cwd=work)
        assert proc.returncode == 0, proc.stderr
        outs[name] = work / name
    return outs


def test_written_toml_round_trips_to_the_same_scenario(tmp_path):
    """The test's TOML writer produces the scenario it was given (so the CLI runs the intended scenario)."""
    from harness.scenario.schema import load_scenario

    write_toml(small_dict(), tmp_path / "s.toml")
    loaded, _ = load_scenario(tmp_path / "s.toml")
    assert loaded.sha256() == small_scenario().sha256()


@pytest.mark.parametrize("table", TABLES)
def test_tables_are_byte_identical_across_runs_and_jobs(cli_runs, table):
    """Run A, run B (both --jobs 1) and run C (--jobs 2) wrote byte-identical tables."""
    a, b, c = (cli_runs[k] / table for k in "ABC")
    assert a.read_bytes() == b.read_bytes(), f"{table}: two --jobs 1 runs differ"
    assert a.read_bytes() == c.read_bytes(), f"{table}: --jobs 1 and --jobs 2 differ"


def test_manifest_file_hashes_match_the_files(cli_runs):
    """Every file's sha256 in manifest.json is the sha256 of the file written, for each run."""
    for out in cli_runs.values():
        m = json.loads((out / "manifest.json").read_text())
        assert set(m["seeds"]) == {1, 2}
        assert {r["name"] for r in m["routers"]} == {"best-price", "single-venue"}
        assert all(r["status"] == "ok" for r in m["runs"])
        for rel, digest in m["files"].items():
            assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == digest, (out.name, rel)
        assert set(m["files"]) >= set(TABLES)


def test_different_seeds_give_different_fills(cli_runs):
    """Seed 1 and seed 2 of the same router produce different fills."""
    f = pq.read_table(cli_runs["A"] / "fills.parquet").to_pandas()
    for router in ("best-price", "single-venue"):
        by_seed = [
            f[(f["router"] == router) & (f["seed"] == s)].drop(columns=["seed"]).reset_index(drop=True)
            for s in (1, 2)
        ]
        assert len(by_seed[0]) > 0 and len(by_seed[1]) > 0
        assert not by_seed[0].equals(by_seed[1])


@pytest.mark.parametrize("router", ["best-price", "single-venue"])
def test_two_in_process_simulations_give_equal_tables(router):
    """simulate() twice with the same scenario, router and seed returns identical tables."""
    sc = small_scenario()
    reg = builtin_registry()
    params = resolve_router_params(sc, reg, router, source="<test>")
    a = simulate(sc, router, params, 3, registry=reg)
    b = simulate(sc, router, params, 3, registry=reg)
    assert a.status == b.status == "ok"
    for attr in ("child_orders", "fills", "nbbo", "trades"):
        assert getattr(a, attr) == getattr(b, attr), attr
    assert len(a.fills["qty"]) > 0
    c = simulate(sc, router, params, 4, registry=reg)
    assert c.fills != a.fills


@pytest.mark.parametrize("path", sorted((REPO / "scenarios").glob("*.toml")), ids=lambda p: p.name)
def test_every_scenario_file_runs_briefly_and_repeats_its_fills(path):
    """Each shipped scenario, cut to 40 s and 20 parents, runs with each of its routers and repeats its fills."""
    import tomllib

    from harness.scenario.clock import NS_PER_SECOND, SESSION_OPEN, format_clock, parse_clock
    from harness.scenario.schema import scenario_from_dict

    d = tomllib.loads(path.read_text(encoding="utf-8"))
    session = d.setdefault("session", {})
    session["end"] = format_clock(parse_clock(session.get("start", SESSION_OPEN)) + 40 * NS_PER_SECOND)
    d.setdefault("flow", {})["orders"] = 20
    d["flow"]["warmup_s"] = 5.0
    sc = scenario_from_dict(d, source=str(path), registry=builtin_registry())
    reg = builtin_registry()
    for router in sc.routers:
        params = resolve_router_params(sc, reg, router, source=str(path))
        a = simulate(sc, router, params, sc.session.seed, registry=reg)
        b = simulate(sc, router, params, sc.session.seed, registry=reg)
        assert a.status == "ok", a.error
        assert a.fills == b.fills


def test_runs_do_not_leave_results_in_the_working_directory(cli_runs):
    """--out was honoured: no default results/ folder was created next to the scenario."""
    work = cli_runs["A"].parent
    assert not (work / "results").exists()
    assert sorted(p.name for p in work.iterdir()) == ["A", "B", "C", "SMALL.toml"]
