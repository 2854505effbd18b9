"""The sorbench command line, run as a user runs it: bad input is one stderr line naming file, field and value, exit
status 2, no traceback and no half-written run folder; good input validates, runs and writes the run folder."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import tomli_w

from harness.scenario.schema import load_scenario
from harness.sim.engine import build_parents

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "scenarios" / "default.toml"
_DEFAULT_DATA = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))


def sorbench(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh interpreter; a narrow terminal so that a wrapped error line would show."""
    # PYTHONPATH: this checkout's code, whatever an installed sorbench points at
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=120,
    )


def tiny_dict() -> dict[str, Any]:
    """default.toml cut to 40 s and 10 parents: a run takes about a second."""
    d = copy.deepcopy(_DEFAULT_DATA)
    d["session"]["end"] = "09:30:40"
    d["flow"]["orders"] = 10
    d["flow"]["warmup_s"] = 5.0
    d["routers"] = ["best-price", "single-venue"]
    return d


def write_toml(path: Path, data: dict[str, Any]) -> Path:
    path.write_bytes(tomli_w.dumps(data).encode("utf-8"))
    return path


def _put(*path: str | int, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        for key in path[:-1]:
            d = d[key]
        d[path[-1]] = value

    return mutate


# (id, how to make the broken file from the tiny scenario, the field the error line must name)
BROKEN_FILES: list[tuple[str, Callable[[Path], None], str]] = [
    ("duplicate venue", lambda p: _write_mutated(p, _put("venues", 1, "name", value="NSDQ")), "venues[1].name"),
    ("start before the open", lambda p: _write_mutated(p, _put("session", "start", value="09:00:00")),
     "session.start"),
    ("string for int", lambda p: _write_mutated(p, _put("flow", "orders", value="10")), "flow.orders"),
    ("unknown key", lambda p: _write_mutated(p, _put("flow", "ordrs", value=10)), "flow.ordrs"),
    ("unknown router", lambda p: _write_mutated(p, _put("routers", value=["best-price", "single-venue", "nope"])),
     "routers[2]"),
    ("markup-like value", lambda p: _write_mutated(p, _put("name", value="[/]")), "name"),
    ("invalid TOML", lambda p: p.write_text("name = 'x'\n[flow\n", encoding="utf-8"), "not valid TOML"),
    ("not UTF-8", lambda p: p.write_bytes(b"name = '\xff'\n"), "not UTF-8 text"),
]


def _write_mutated(path: Path, mutate: Callable[[dict[str, Any]], None]) -> None:
    data = tiny_dict()
    mutate(data)
    write_toml(path, data)


# Option mistakes on a good scenario: (id, options, text the error line must contain).
BAD_OPTIONS: list[tuple[str, list[str], str]] = [
    ("seed and seeds", ["--seed", "1", "--seeds", "2"], "--seed and --seeds are exclusive"),
    ("unknown router", ["--router", "nope"], "--router: unknown router 'nope'"),
    ("router twice", ["--router", "best-price", "--router", "best-price"], "'best-price' given twice"),
    ("zero seeds", ["--seeds", "0"], "--seeds: 0"),
    ("zero jobs", ["--jobs", "0"], "--jobs: 0"),
    ("missing scenario", ["__missing__"], "missing.toml: scenario file not found"),
]


@pytest.fixture(scope="module")
def failing_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Any]:
    """Every failing command, run concurrently once (each is a fresh interpreter, so this saves most of the time).

    Keys are ``(case id, "validate" | "run")``; values are ``(process, scenario path, out dir, results folder)``.
    """
    base = tmp_path_factory.mktemp("cli_failures")
    good = write_toml(base / "tiny.toml", tiny_dict())
    jobs: dict[tuple[str, str], tuple[list[str | Path], Path, Path, Path]] = {}
    for i, (case, make, _field) in enumerate(BROKEN_FILES):
        folder = base / f"case{i}"
        (folder / "results").mkdir(parents=True)
        path = folder / "broken.toml"
        make(path)
        out = folder / "results" / "run"
        jobs[(case, "validate")] = (["validate", path], path, out, folder / "results")
        jobs[(case, "run")] = (["run", path, "--out", out, "--quiet"], path, out, folder / "results")
    for i, (case, options, _text) in enumerate(BAD_OPTIONS):
        folder = base / f"opt{i}"
        (folder / "results").mkdir(parents=True)
        out = folder / "results" / "run"
        scenario = folder / "missing.toml" if options == ["__missing__"] else good
        opts = [] if options == ["__missing__"] else options
        jobs[(case, "options")] = (["run", scenario, *opts, "--out", out, "--quiet"], scenario, out, folder / "results")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {key: pool.submit(sorbench, *argv, cwd=base) for key, (argv, *_rest) in jobs.items()}
        return {key: (fut.result(), *jobs[key][1:]) for key, fut in futures.items()}


def _assert_one_clean_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and lines[0].strip() != "error:", proc.stderr
    return lines[0]


def _assert_nothing_written(out: Path, results: Path) -> None:
    assert not out.exists()
    assert list(results.iterdir()) == []  # no hidden .run.partial-<pid> folder either


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize(("case", "field"), [(c[0], c[2]) for c in BROKEN_FILES], ids=[c[0] for c in BROKEN_FILES])
def test_broken_scenario_exits_2_with_one_line_naming_file_and_field(failing_runs, case, field, command):
    proc, path, out, results = failing_runs[(case, command)]
    line = _assert_one_clean_line(proc)
    assert f"{path}: {field}" in line, line
    assert proc.stdout == ""
    _assert_nothing_written(out, results)


def test_markup_like_values_are_shown_verbatim(failing_runs):
    proc, path, _out, _results = failing_runs[("markup-like value", "validate")]
    assert f"{path}: name: " in proc.stderr and "(got '[/]')" in proc.stderr


@pytest.mark.parametrize(("case", "text"), [(c[0], c[2]) for c in BAD_OPTIONS], ids=[c[0] for c in BAD_OPTIONS])
def test_bad_run_options_exit_2_with_one_line(failing_runs, case, text):
    proc, _path, out, results = failing_runs[(case, "options")]
    line = _assert_one_clean_line(proc)
    assert text in line, line
    _assert_nothing_written(out, results)


def test_existing_output_folder_is_refused_and_left_alone(tmp_path):
    scenario = write_toml(tmp_path / "tiny.toml", tiny_dict())
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    proc = sorbench("run", scenario, "--out", out, "--quiet", cwd=tmp_path)
    line = _assert_one_clean_line(proc)
    assert "output folder already exists" in line and str(out) in line
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken", "tiny.toml"]


def test_validate_default_scenario_exits_0(tmp_path):
    proc = sorbench("validate", DEFAULT, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    sha = load_scenario(DEFAULT)[0].sha256()
    assert f"{DEFAULT}: ok" in proc.stdout and sha[:16] in proc.stdout


def test_schema_prints_json_schema_of_scenarios(tmp_path):
    proc = sorbench("schema", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    assert {"venues", "symbols", "session"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
    assert proc.stderr == ""


def test_routers_lists_the_reference_routers(tmp_path):
    proc = sorbench("routers", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "best-price" in proc.stdout and "single-venue" in proc.stdout


def test_run_writes_a_complete_folder_with_each_parent_once_per_seed(tmp_path):
    """Two routers x two seeds: parent_orders.parquet holds each seed's generated flow once, whatever the router."""
    scenario = write_toml(tmp_path / "tiny.toml", tiny_dict())
    (tmp_path / "results").mkdir()
    out = tmp_path / "results" / "run"
    proc = sorbench("run", scenario, "--seeds", "2", "--out", out, "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["run"]  # renamed into place, no .partial left
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seeds"] == [1, 2]
    assert [r["name"] for r in manifest["routers"]] == ["best-price", "single-venue"]
    assert {(r["router"], r["seed"], r["status"]) for r in manifest["runs"]} == {
        (r, s, "ok") for r in ("best-price", "single-venue") for s in (1, 2)
    }

    sc = load_scenario(scenario)[0]
    rows = pq.read_table(out / "parent_orders.parquet").to_pylist()
    keys = [(r["seed"], r["parent_id"]) for r in rows]
    assert len(keys) == len(set(keys)) == 2 * sc.flow.orders
    for seed in (1, 2):
        expected = build_parents(sc, seed)
        got = [r for r in rows if r["seed"] == seed]
        fields = ("parent_id", "symbol", "side", "order_type", "qty", "arrival_ts_ns")
        assert [tuple(r[f] for f in fields) for r in got] == [
            (p.parent_id, p.symbol, p.side.name.lower(), p.order_type.value, p.qty, p.arrival_ts_ns) for p in expected
        ]
        assert [r["limit_price"] for r in got] == [
            None if p.limit_price is None else pytest.approx(p.limit_price / 10_000) for p in expected
        ]
    children = pq.read_table(out / "child_orders.parquet", columns=["router", "seed", "parent_id"]).to_pylist()
    for router in ("best-price", "single-venue"):
        mine = {(c["seed"], c["parent_id"]) for c in children if c["router"] == router}
        assert mine and mine <= set(keys)


def test_an_unwritable_output_location_is_one_line_exit_2_before_any_simulation(tmp_path):
    """--out under a file (not a folder): one error line naming it, exit 2, no traceback, nothing left behind."""
    scenario = write_toml(tmp_path / "tiny.toml", tiny_dict())
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    res = sorbench("run", scenario, "--out", blocker / "run", "--quiet", cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert str(blocker) in lines[0] and "output location" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "tiny.toml"]


def test_console_summary_gives_pi_and_eq_of_marketable_orders_only(tmp_path):
    """The closing table's PI and E/Q pool market and marketable-limit orders (E/Q means nothing for resting orders).

    Recomputed here from tca/orders.parquet by the spec's definitions: E/Q = sum(ES * filled) / sum(QS * filled) over
    the marketable orders with both figures (a ratio of averages, share-weighted), PI = sum(PI * filled) / sum(filled).
    """
    import pandas as pd

    scenario = write_toml(tmp_path / "tiny.toml", tiny_dict())
    out = tmp_path / "run"
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(scenario), "--out", str(out)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    orders = pd.read_parquet(out / "tca" / "orders.parquet")
    lines = proc.stdout.splitlines()
    assert any("Definitions: docs/analytics.md, Headline figures" in line for line in lines)
    checked = 0
    for router, o in orders.groupby("router"):
        m = o[o["order_class"].isin(["market", "marketable_limit"])]
        both = m.dropna(subset=["effective_spread", "quoted_spread"])
        eq = (both["effective_spread"] * both["filled_qty"]).sum() / (both["quoted_spread"] * both["filled_qty"]).sum()
        pi_rows = m.dropna(subset=["pi_per_share"])
        pi = (pi_rows["pi_per_share"] * pi_rows["filled_qty"]).sum() / pi_rows["filled_qty"].sum()
        row = next(line for line in lines if line.startswith(f"│ {router} "))
        cells = [c.strip() for c in row.strip("│").split("│")]
        # "PI, marketable orders (cph)" and "E/Q, marketable orders" (harness.analytics.labels): PI x 10,000
        assert cells[4] == f"{pi * 10_000:+.2f}" and cells[5] == f"{eq:.3f}", (router, cells, pi, eq)
        checked += 1
    assert checked == 2


def test_version_prints_the_installed_version_and_exits_0(tmp_path):
    from harness.workflows.provenance import sorbench_version

    res = sorbench("--version", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    (line,) = res.stdout.splitlines()
    assert line.startswith(f"sorbench {sorbench_version()}")
    assert sorbench("routers", "--version", cwd=tmp_path).returncode == 2  # an option of sorbench, not of commands


@pytest.mark.parametrize(("flag", "report", "files"), [
    ("--no-report", "skipped", set()),
    ("--no-pdf", "ok (html only)", {"report.html"}),
])
def test_run_without_the_report_or_its_pdf(tmp_path, flag, report, files):
    scenario = write_toml(tmp_path / "tiny.toml", tiny_dict())
    out = tmp_path / "run"
    proc = sorbench("run", scenario, "--out", out, "--quiet", flag, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["report"] == report and manifest["analysis"] == "ok"  # the analytics run either way
    # the report's one line per router is printed on the console, report or not
    assert "best-price (benchmark): the benchmark router" in proc.stdout and "single-venue: " in proc.stdout
    assert {p.name for p in out.iterdir() if p.name.startswith("report.")} == files


def test_a_folder_left_by_a_killed_run_is_reported_and_kept(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(done.stdout)  # that process has exited: its partial folder is stale
    results = tmp_path / "results"
    stale = results / f".old-run.partial-{dead}"
    (stale / "tca").mkdir(parents=True)
    live = results / f".other.partial-{os.getpid()}"  # this test's own process is alive: not reported
    live.mkdir()
    scenario = write_toml(tmp_path / "tiny.toml", tiny_dict())
    proc = sorbench("run", scenario, "--out", results / "run", "--quiet", "--no-report", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "left by runs killed while writing" in proc.stdout and stale.name in proc.stdout
    assert live.name not in proc.stdout
    assert stale.is_dir() and live.is_dir()  # reported, never deleted
