"""Bad input of every kind is one stderr line naming the file, field or flag and the value; exit 2; no traceback;
nothing written (issue 17, item 6). Each case runs the CLI in a fresh interpreter; they run concurrently."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import REPO, sorbench, tiny_dict, write_toml

PLUGINS = REPO / "tests" / "data" / "plugins"


def _nested(base: Path) -> Path:
    p = base / "nested.toml"
    p.write_text("name = 'x'\nx = " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    return p


def _below_tick(base: Path) -> Path:
    d = tiny_dict()
    d["symbols"][0]["price_usd"] = 0.00001
    return write_toml(base / "cheap.toml", d)


def _fifo(base: Path) -> Path:
    p = base / "fifo.toml"
    os.mkfifo(p)
    return p


def _config(base: Path, text: str) -> Path:
    p = base / "cfg.toml"
    p.write_text(text, encoding="utf-8")
    return p


# (id, argv builder(base, good scenario, out) -> argv, text the one line must contain)
CASES: list[tuple[str, Any, str]] = [
    ("deeply nested TOML", lambda b, g, o: ["validate", _nested(b)], "nested.toml: line 2: nested deeper than 32"),
    ("a directory as scenario", lambda b, g, o: ["run", b, "--out", o], "is a directory, not a scenario file"),
    ("a FIFO as scenario", lambda b, g, o: ["validate", _fifo(b)], "fifo.toml: not a regular file"),
    ("/dev/zero as scenario", lambda b, g, o: ["validate", "/dev/zero"], "/dev/zero: not a regular file"),
    ("a price below the tick", lambda b, g, o: ["validate", _below_tick(b)],
     "cheap.toml: symbols[0].price_usd: 1e-05 is below 10 ticks"),
    ("a billion seeds", lambda b, g, o: ["run", g, "--seeds", "1000000000", "--out", o],
     "--seeds: 1000000000 must be between 1 and 10,000"),
    ("query --csv into a missing folder", lambda b, g, o: ["query", "SELECT 1 AS x", "--results", b, "--csv",
                                                           b / "missing" / "x.csv"], "the folder"),
    ("schema --out into a missing folder", lambda b, g, o: ["schema", "--out", b / "missing" / "s.json"],
     "--out: "),
    ("a misspelt --router-config table", lambda b, g, o: [
        "run", g, "--router-config", _config(b, "[best-prise]\nmax_rounds = 3\n"), "--out", o],
     "cfg.toml: [best-prise]: unknown router"),
    ("a bad --router-config value names the config file", lambda b, g, o: [
        "run", g, "--router-config", _config(b, "[best-price]\nmax_rounds = 'x'\n"), "--out", o],
     "cfg.toml: best-price.max_rounds:"),
    ("a router named as a path", lambda b, g, o: [
        "run", g, "--router", f"{PLUGINS / 'escaping_router.py'}:EscapingRouter", "--out", o],
     "router name '../../../escaped'"),
]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, Path, Path]]:
    root = tmp_path_factory.mktemp("bad_inputs")
    runs: dict[str, tuple[list[Any], Path, Path]] = {}
    for i, (case, argv, _text) in enumerate(CASES):
        base = root / f"case{i}"
        base.mkdir()
        good = write_toml(base / "good.toml", tiny_dict())
        out = base / "out"
        runs[case] = (argv(base, good, out), base, out)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {case: pool.submit(sorbench, *argv, cwd=base) for case, (argv, base, _o) in runs.items()}
        return {case: (fut.result(), runs[case][1], runs[case][2]) for case, fut in futures.items()}


@pytest.mark.parametrize(("case", "text"), [(c[0], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2_and_nothing_is_written(outcomes, case, text):
    proc, base, out = outcomes[case]
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert text in lines[0], lines[0]
    assert "Traceback" not in proc.stderr
    assert not out.exists()
    assert not (base / "missing").exists()
    assert not list(base.parent.parent.rglob("escaped*"))  # nothing outside any folder


def test_a_scenario_with_a_utf8_byte_order_mark_validates(tmp_path):
    good = write_toml(tmp_path / "good.toml", tiny_dict())
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + good.read_bytes())
    proc = sorbench("validate", bom, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
