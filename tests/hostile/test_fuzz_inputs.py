"""Fuzzed input files: every scenario, order file, router config and FIX log either loads or is one UserError line.

The inputs are valid files with one value replaced by a hostile one (huge or negative numbers, NaN, infinities, long
or control-character strings, deep nesting, wrong types), and raw bytes. The property: loading returns, or raises
:class:`~harness.errors.UserError` whose message is one line naming the file (what the CLI prints with exit 2);
anything else (a traceback) fails. Loading writes nothing. ``slow`` variants run 400 examples each.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.registry import builtin_registry
from harness.errors import UserError
from harness.io.fixlog import read_fix_log
from harness.io.orders import load_parents
from harness.scenario.routers import apply_router_config
from harness.scenario.schema import load_scenario
from tests.hostile.conftest import LONG
from tests.sim.helpers import REPO, small_scenario

settings.load_profile("hostile")
BASE_SCENARIO = tomllib.loads((REPO / "scenarios" / "default.toml").read_text(encoding="utf-8"))
ORDERS_HEADER = "parent_id,symbol,side,order_type,qty,limit_price,arrival_ts_ns"
GOOD_ROW = ["1", "AAA", "buy", "limit", "200", "50.01", "34206000000000"]

scalars = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70), st.sampled_from([0, -1, 2**63, 10**20, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e305, -1e305, 1e-320, math.nan]),
    st.text(max_size=40), st.sampled_from(["", "\ufeff", "a" * 5000, "\x00", "../../x", "1e9999"]), st.booleans(),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)


def _one_line(err: UserError, path: Path) -> None:
    text = str(err)
    assert "\n" not in text and text.strip(), repr(text)
    assert str(path) in text or path.name in text, text


def _leaf_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaf_paths(v, (*prefix, k))] or [prefix]
    if isinstance(node, list) and node:
        return [p for i, v in enumerate(node) for p in _leaf_paths(v, (*prefix, i))]
    return [prefix]


def _replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    out = dict(doc) if isinstance(doc, dict) else list(doc)
    out[path[0]] = _replaced(doc[path[0]], path[1:], value)  # type: ignore[index]
    return out


def _toml(doc: dict[str, Any]) -> bytes | None:
    try:
        return tomli_w.dumps(doc).encode()
    except (TypeError, ValueError):  # a value TOML cannot hold (None in a list, ...): not a file anyone can write
        return None


def check_scenario(tmp: Path, data: bytes) -> None:
    path = tmp / "scenario.toml"
    path.write_bytes(data)
    try:
        load_scenario(path, registry=builtin_registry())
    except UserError as err:
        _one_line(err, path)


@st.composite
def scenario_files(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["value", "value", "value", "bytes", "deep"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "deep":
        depth = draw(st.integers(min_value=1, max_value=3000))
        return ("a = " + "[" * depth + "]" * depth + "\n").encode()
    path = draw(st.sampled_from(_leaf_paths(BASE_SCENARIO)))
    doc = _replaced(BASE_SCENARIO, path, draw(values))
    return _toml(doc) or b"name = 1\n"


@given(data=scenario_files())
def test_a_fuzzed_scenario_file_loads_or_is_one_line(tmp_path, data):
    check_scenario(tmp_path, data)


@pytest.mark.slow
@LONG
@given(data=scenario_files())
def test_a_fuzzed_scenario_file_loads_or_is_one_line_long(tmp_path, data):
    check_scenario(tmp_path, data)


cells = st.one_of(st.sampled_from(["", "1", "-1", "0", "1e20", "9" * 400, "nan", "inf", "1e305", "50.00005",
                                   "AAA", "buy", "sell", "market", "limit", '"', "x" * 200_000, "\ufeff1"]),
                  st.text(max_size=12).filter(lambda s: "," not in s and "\n" not in s and "\r" not in s))


@st.composite
def order_files(draw: st.DrawFn) -> bytes:
    rows = [list(GOOD_ROW) for _ in range(draw(st.integers(min_value=1, max_value=3)))]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        row = draw(st.sampled_from(rows))
        row[draw(st.integers(min_value=0, max_value=len(row) - 1))] = draw(cells)
    header = draw(st.sampled_from([ORDERS_HEADER, ORDERS_HEADER.replace("qty", "quantity"), "\ufeff" + ORDERS_HEADER]))
    return (header + "\n" + "\n".join(",".join(r) for r in rows) + "\n").encode("utf-8", errors="surrogatepass")


def check_orders(tmp: Path, data: bytes) -> None:
    path = tmp / "orders.csv"
    path.write_bytes(data)
    try:
        load_parents(path, small_scenario())
    except UserError as err:
        _one_line(err, path)


@given(data=order_files())
def test_a_fuzzed_order_file_loads_or_is_one_line(tmp_path, data):
    check_orders(tmp_path, data)


@pytest.mark.slow
@LONG
@given(data=order_files())
def test_a_fuzzed_order_file_loads_or_is_one_line_long(tmp_path, data):
    check_orders(tmp_path, data)


ROUTERS = sorted(builtin_registry().names())


@st.composite
def router_configs(draw: st.DrawFn) -> bytes:
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        return draw(st.binary(max_size=200))
    name = draw(st.one_of(st.sampled_from(ROUTERS), st.text(min_size=1, max_size=12)))
    table = draw(st.one_of(st.dictionaries(st.sampled_from(["max_rounds", "retry_delay_ns", "venue", "x", "seed"]),
                                           values, max_size=3), values))
    return _toml({name: table}) or b"[x]\n"


def check_router_config(tmp: Path, data: bytes) -> None:
    path = tmp / "routers.toml"
    path.write_bytes(data)
    try:
        apply_router_config(small_scenario(), path, builtin_registry())
    except UserError as err:
        _one_line(err, path)


@given(data=router_configs())
def test_a_fuzzed_router_config_applies_or_is_one_line(tmp_path, data):
    check_router_config(tmp_path, data)


@pytest.mark.slow
@LONG
@given(data=router_configs())
def test_a_fuzzed_router_config_applies_or_is_one_line_long(tmp_path, data):
    check_router_config(tmp_path, data)


KNOWN_LOG = (REPO / "tests" / "data" / "fix" / "known.log").read_bytes().splitlines()
fix_values = st.one_of(st.sampled_from(["", "0", "-5", "9" * 400, "1e20", "nan", "20261120-14:30:00.000",
                                        "99999999-99:99:99", "D", "8", "1", "2", "x" * 70_000]),
                       st.text(max_size=10).filter(lambda s: "|" not in s and "\x01" not in s and "\n" not in s))


@st.composite
def fix_logs(draw: st.DrawFn) -> bytes:
    lines = list(KNOWN_LOG)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        sep = b"\x01" if b"\x01" in lines[i] else b"|"
        fields = lines[i].split(sep)
        j = draw(st.integers(min_value=0, max_value=len(fields) - 1))
        tag = fields[j].partition(b"=")[0]
        fields[j] = tag + b"=" + draw(fix_values).encode("utf-8", errors="surrogatepass")
        lines[i] = sep.join(fields)
        if draw(st.booleans()):
            lines[i] = _reframed(lines[i], sep)  # BodyLength and CheckSum made right: the value itself is read
    if draw(st.booleans()):
        lines.insert(draw(st.integers(min_value=0, max_value=len(lines))), draw(st.binary(max_size=80)))
    return b"\n".join(lines) + b"\n"


def _reframed(line: bytes, sep: bytes) -> bytes:
    """The line with BodyLength (9) and CheckSum (10) recomputed for its (SOH form of the) message."""
    at = line.find(b"8=FIX")
    if at < 0:
        return line
    fields = [f for f in line[at:].split(sep) if f and not f.startswith((b"9=", b"10="))]
    body = b"".join(f + b"\x01" for f in fields[1:])
    head = fields[0] + b"\x01" + b"9=%d\x01" % len(body) + body
    msg = head + b"10=%03d\x01" % (sum(head) % 256)
    return line[:at] + (msg if sep == b"\x01" else msg.replace(b"\x01", sep))


def check_fix_log(tmp: Path, data: bytes, lenient: bool) -> None:
    path = tmp / "session.log"
    path.write_bytes(data)
    try:
        read_fix_log(path, lenient=lenient)
    except UserError as err:
        _one_line(err, path)


@given(data=fix_logs(), lenient=st.booleans())
def test_a_fuzzed_fix_log_reads_or_is_one_line(tmp_path, data, lenient):
    check_fix_log(tmp_path, data, lenient)


@pytest.mark.slow
@LONG
@given(data=fix_logs(), lenient=st.booleans())
def test_a_fuzzed_fix_log_reads_or_is_one_line_long(tmp_path, data, lenient):
    check_fix_log(tmp_path, data, lenient)


CLI_CASES = {
    "deep nesting": b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "raw bytes": bytes(range(256)),
    "bom then garbage": b"\xef\xbb\xbf[[[\n",
    "huge integer": _toml(_replaced(BASE_SCENARIO, ("session", "seed"), 10**30)) or b"",
    "nan price": _toml(_replaced(BASE_SCENARIO, ("symbols", 0, "price_usd"), math.nan)) or b"",
    "1e305 price": _toml(_replaced(BASE_SCENARIO, ("symbols", 0, "price_usd"), 1e305)) or b"",
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_sorbench_validate_answers_a_hostile_scenario_with_one_line_and_exit_2(tmp_path, case):
    import subprocess
    import sys

    path = tmp_path / "scenario.toml"
    path.write_bytes(CLI_CASES[case])
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "validate", str(path)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-300:], proc.stderr[-300:])
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr[-500:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario.toml"]  # nothing written beside it


parquet_columns = st.sampled_from([
    ("qty", [300.0, 1e20]), ("qty", [300, -5]), ("qty", [float("nan"), 1.0]), ("qty", ["300", "x"]),
    ("limit_price", [50.01, 1e305]), ("limit_price", [float("inf"), 1.0]), ("limit_price", ["a", "b"]),
    ("parent_id", [2**62, 2**62]), ("arrival_ts_ns", [-1, 10**18]), ("side", ["buy", None]), ("symbol", [1, 2]),
    ("order_type", ["limit", "stop"]), ("extra", [1, 2]),
])


@given(changes=st.lists(parquet_columns, min_size=1, max_size=3))
def test_a_fuzzed_parquet_order_file_loads_or_is_one_line(tmp_path, changes):
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols: dict[str, list[Any]] = {"parent_id": [1, 2], "symbol": ["AAA", "AAA"], "side": ["buy", "sell"],
                                  "order_type": ["limit", "market"], "qty": [200, 300],
                                  "limit_price": [50.01, None], "arrival_ts_ns": [34206000000000, 34207000000000]}
    for name, values in changes:
        cols[name] = values
    path = tmp_path / "orders.parquet"
    try:
        table = pa.table(cols)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return  # not a table pyarrow can write
    pq.write_table(table, path)
    try:
        load_parents(path, small_scenario())
    except UserError as err:
        _one_line(err, path)
