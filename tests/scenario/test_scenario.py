"""Scenario files: the default validates, its hash is stable, every broken file is one line naming file and field."""

from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from adapters.registry import builtin_registry
from harness.errors import UserError
from harness.scenario.clock import format_clock, parse_clock
from harness.scenario.schema import json_schema, load_scenario, scenario_from_dict

DEFAULT = Path(__file__).resolve().parents[2] / "scenarios" / "default.toml"
_DEFAULT_DATA = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))

Mutation = Callable[[dict[str, Any]], None]


def default_data() -> dict[str, Any]:
    """A fresh, parsed copy of scenarios/default.toml."""
    return copy.deepcopy(_DEFAULT_DATA)


def write_toml(path: Path, data: dict[str, Any]) -> Path:
    path.write_bytes(tomli_w.dumps(data).encode("utf-8"))
    return path


def put(*path: str | int, value: Any) -> Mutation:
    """Set ``data[path...] = value``."""

    def mutate(data: dict[str, Any]) -> None:
        for key in path[:-1]:
            data = data[key]
        data[path[-1]] = value

    return mutate


def drop(*path: str | int) -> Mutation:
    """Delete ``data[path...]``."""

    def mutate(data: dict[str, Any]) -> None:
        for key in path[:-1]:
            data = data[key]
        del data[path[-1]]

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        for m in mutations:
            m(data)

    return mutate


# --------------------------------------------------------------------------------------------------- the default
def test_default_scenario_validates_with_its_routers():
    sc, resolved = load_scenario(DEFAULT, registry=builtin_registry())
    assert resolved == DEFAULT.resolve()
    assert sc.name == "default"
    assert sc.venue_names == ["NSDQ", "EDGX", "BYX", "DARK1", "WHSA", "WHSB"]
    kinds = {v.name: (v.kind, v.is_protected) for v in sc.venues}
    assert kinds["BYX"] == ("lit", True) and kinds["DARK1"] == ("dark", False)
    assert kinds["WHSB"] == ("wholesaler", False)
    assert [v.fees.pfof_usd for v in sc.venues if v.kind == "wholesaler"] == [0.0030, 0.0045]
    assert [s.name for s in sc.symbols] == ["AAA", "BBB"]
    assert sc.routers == ["best-price", "sequential", "spray", "dark-first", "wholesaler", "rebate-max", "single-venue"]
    assert (sc.session.start_ns, sc.session.end_ns) == (parse_clock("09:30:00"), parse_clock("09:40:00"))
    assert sc.symbols[0].tick == 100  # $0.01 in 1e-4 USD units, the default at or above $1


def test_sha256_is_stable_across_loads_and_formatting(tmp_path):
    first = load_scenario(DEFAULT)[0].sha256()
    second = load_scenario(DEFAULT)[0].sha256()
    assert first == second
    assert len(first) == 64 and int(first, 16) >= 0
    # The hash is of the resolved content: rewriting the file (comments gone, keys reordered) does not change it,
    # and neither does spelling out a default value.
    data = default_data()
    data["background"] = {"price_grid_ms": 10.0}
    rewritten = write_toml(tmp_path / "rewritten.toml", dict(reversed(list(data.items()))))
    assert load_scenario(rewritten)[0].sha256() == first


@pytest.mark.parametrize(
    "mutation",
    [
        put("flow", "orders", value=201),
        put("session", "seed", value=2),
        put("venues", 0, "flow_share", value=1.25),
        put("latency", "defaults", "order_entry", "median_ns", value=150_001),
        put("description", value="changed"),
    ],
    ids=["flow.orders", "session.seed", "venues[0].flow_share", "latency median", "description"],
)
def test_sha256_changes_when_a_value_changes(tmp_path, mutation):
    base = load_scenario(write_toml(tmp_path / "base.toml", default_data()))[0].sha256()
    data = default_data()
    mutation(data)
    assert load_scenario(write_toml(tmp_path / "changed.toml", data))[0].sha256() != base


# ------------------------------------------------------------------------------------------- broken scenarios
# (id, mutation of default.toml, field path the message must name right after the file, text it must contain)
BROKEN: list[tuple[str, Mutation, str, str]] = [
    ("unknown top-level key", put("colour", value="blue"), "colour", "unknown key"),
    ("unknown nested key", put("session", "tz", value="NY"), "session.tz", "unknown key"),
    ("unknown key in inline table", put("venues", 0, "fees", "rebate", value=1), "venues[0].fees.rebate",
     "unknown key"),
    ("string for int", put("latency", "defaults", "order_entry", "median_ns", value="150000"),
     "latency.defaults.order_entry.median_ns", "'150000'"),
    ("bool for int", put("flow", "orders", value=True), "flow.orders", "True"),
    ("fraction for int", put("flow", "orders", value=1.5), "flow.orders", "1.5"),
    ("string for float", put("symbols", 0, "price_usd", value="50"), "symbols[0].price_usd", "'50'"),
    ("nan price", put("symbols", 0, "price_usd", value=math.nan), "symbols[0].price_usd", "nan"),
    ("inf order mix", put("flow", "mix", "market", value=math.inf), "flow.mix.market", "inf"),
    ("negative latency", put("latency", "defaults", "order_entry", "median_ns", value=-5),
     "latency.defaults.order_entry.median_ns", "-5"),
    ("negative jitter", put("latency", "links", 2, "model", "jitter_ns", value=-1),
     "latency.links[2].model.jitter_ns", "-1"),
    ("min_ns 10 sd above mean", put("latency", "links", 0, "model",
                                    value={"model": "normal", "mean_ns": 40_000, "sd_ns": 1_000, "min_ns": 50_000}),
     "latency.links[0].model.min_ns", "50000"),
    ("unknown latency model", put("latency", "links", 2, "model", "model", value="gamma"),
     "latency.links[2].model", "gamma"),
    ("latency link to unknown venue", put("latency", "links", 0, "venue", value="ARCA"),
     "latency.links[0].venue", "'ARCA'"),
    ("session start before the open", put("session", "start", value="09:00:00"), "session.start", "'09:00:00'"),
    ("session end after the close", put("session", "end", value="16:30:00"), "session.end", "'16:30:00'"),
    ("session end before start",
     both(put("session", "start", value="10:00:00"), put("session", "end", value="09:45:00")),
     "session.end", "'09:45:00'"),
    ("not a time of day", put("session", "end", value="25:00:00"), "session.end", "'25:00:00'"),
    ("impossible date", put("session", "date", value="2026-02-30"), "session.date", "'2026-02-30'"),
    ("duplicate venue names", put("venues", 1, "name", value="NSDQ"), "venues[1].name", "'NSDQ'"),
    ("duplicate symbol names", put("symbols", 1, "name", value="AAA"), "symbols[1].name", "'AAA'"),
    ("venue named SIP", put("venues", 0, "name", value="SIP"), "venues[0].name", "'SIP'"),
    ("empty venues", put("venues", value=[]), "venues", "at least 1"),
    ("venue without fees", drop("venues", 0, "fees"), "venues[0].fees", "required field is missing"),
    ("venue trades an unknown symbol", put("venues", 0, "symbols", value=["ZZZ"]), "venues[0].symbols[0]", "'ZZZ'"),
    ("take fee above the access-fee cap", put("venues", 0, "fees", "take_usd", value=0.0035),
     "venues[0].fees.take_usd", "0.0035"),
    ("fee model sign mismatch", put("venues", 2, "fees", "model", value="maker-taker"), "venues[2].fees",
     "maker-taker"),
    ("fee finer than a micro-dollar", put("venues", 0, "fees", "make_usd", value=-0.0029005),
     "venues[0].fees.make_usd", "-0.0029005"),
    ("tick 0.0001 on a $50 stock", put("symbols", 0, "tick_usd", value=0.0001), "symbols[0].tick_usd", "0.0001"),
    ("tick zero", put("symbols", 0, "tick_usd", value=0.0), "symbols[0].tick_usd", "0.0"),
    ("tick not a Reg NMS tick", put("symbols", 1, "tick_usd", value=0.02), "symbols[1].tick_usd", "0.02"),
    ("negative flow orders", put("flow", "orders", value=-1), "flow.orders", "-1"),
    ("warmup fills the window", put("flow", "warmup_s", value=600.0), "flow.warmup_s", "600.0"),
    ("weight for an unknown symbol", put("flow", "symbol_weights", value={"ZZZ": 1.0}), "flow.symbol_weights.ZZZ",
     "'ZZZ'"),
    ("unknown router", put("routers", value=["best-price", "single-venue", "nope"]), "routers[2]", "'nope'"),
    # default.toml has [router_params.single-venue]: the typo in routers is named, not the orphaned table.
    ("misspelt router", put("routers", value=["best-price", "single-venu"]), "routers[1]", "'single-venu'"),
    ("duplicate router", put("routers", value=["best-price", "best-price"]), "routers[1]", "'best-price'"),
    ("params for a router not run", put("router_params", "best-prize", value={}), "router_params.best-prize",
     "'best-prize'"),
    ("router param for an unknown venue", put("router_params", "single-venue", "venue", value="XXX"),
     "router_params.single-venue", "'XXX'"),
    ("unknown router param", put("router_params", "single-venue", "bogus", value=1),
     "router_params.single-venue.bogus", "unknown key"),
    ("missing scenario name", drop("name"), "name", "required field is missing"),
    # venues of other kinds (default.toml: [3] DARK1 dark, [4] WHSA and [5] WHSB wholesalers)
    ("unknown venue kind", put("venues", 3, "kind", value="ecn"), "venues[3].kind", "'ecn'"),
    ("protected dark pool", put("venues", 3, "protected", value=True), "venues[3].protected", "no protected quote"),
    ("dark table on a wholesaler", put("venues", 4, "dark", value={}), "venues[4].dark", "'wholesaler'"),
    ("PFOF from an exchange", put("venues", 0, "fees", "pfof_usd", value=0.002), "venues[0].fees.pfof_usd",
     "only wholesalers"),
    ("negative PFOF", put("venues", 4, "fees", "pfof_usd", value=-0.001), "venues[4].fees.pfof_usd", "-0.001"),
    ("toxicity above one", put("venues", 3, "dark", "toxicity", value=1.5), "venues[3].dark.toxicity", "1.5"),
    ("improvement past the midpoint", put("venues", 4, "wholesaler", "improvement_mean", value=0.6),
     "venues[4].wholesaler.improvement_mean", "0.6"),
    ("unknown protection policy", put("venues", 0, "protection", value="ignore"), "venues[0].protection",
     "'ignore'"),
    ("speed bump on a dark pool", put("venues", 3, "speed_bump_us", value=350.0), "venues[3].speed_bump_us",
     "lit venues"),
    ("symbol with only off-exchange venues",
     both(put("venues", 0, "symbols", value=["AAA"]),
          both(put("venues", 1, "symbols", value=["AAA"]), put("venues", 2, "symbols", value=["AAA"]))),
     "symbols", "'BBB' has no protected lit venue"),
]


@pytest.mark.parametrize(("mutation", "field", "text"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_broken_scenario_is_one_line_naming_file_and_field(tmp_path, mutation, field, text):
    data = default_data()
    mutation(data)
    path = write_toml(tmp_path / "broken.toml", data)
    with pytest.raises(UserError) as excinfo:
        load_scenario(path, registry=builtin_registry())
    message = str(excinfo.value)
    assert message.startswith(f"{path}: {field}: "), message
    assert text in message.removeprefix(f"{path}: {field}: "), message
    assert "\n" not in message


def test_several_errors_report_the_first_and_count_the_rest(tmp_path):
    data = default_data()
    data["flow"]["orders"] = -1
    data["flow"]["buy_share"] = 2.0
    path = write_toml(tmp_path / "two.toml", data)
    with pytest.raises(UserError, match=r"flow\.orders: .*\(and 1 more\)$"):
        load_scenario(path)


def test_scenario_from_dict_names_its_source():
    data = default_data()
    data["venues"][1]["name"] = "NSDQ"
    with pytest.raises(UserError, match=r"^inline-test: venues\[1\]\.name: duplicate venue name 'NSDQ'"):
        scenario_from_dict(data, source="inline-test")


def test_invalid_toml_syntax_names_the_file(tmp_path):
    path = tmp_path / "syntax.toml"
    path.write_text('name = "x"\n[session\nstart = "09:30:00"\n', encoding="utf-8")
    with pytest.raises(UserError, match=r"^.*syntax\.toml: not valid TOML: .*line 2") as excinfo:
        load_scenario(path)
    assert str(excinfo.value).startswith(f"{path}: ")


def test_missing_file_names_the_file(tmp_path):
    path = tmp_path / "nowhere.toml"
    with pytest.raises(UserError) as excinfo:
        load_scenario(path)
    assert str(excinfo.value) == f"{path}: scenario file not found"


def test_non_utf8_file_names_the_file(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('description = "café"\n'.encode("latin-1"))
    with pytest.raises(UserError) as excinfo:
        load_scenario(path)
    assert str(excinfo.value).startswith(f"{path}: not UTF-8 text: ")
    assert "byte 18" in str(excinfo.value)


def test_toml_time_value_is_a_wrong_type(tmp_path):
    """An unquoted TOML time (09:30:00) is a time object, not the string the schema asks for."""
    path = tmp_path / "time.toml"
    text = tomli_w.dumps(default_data()).replace('start = "09:30:00"', "start = 09:30:00")
    assert "start = 09:30:00" in text
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=r": session\.start: Input should be a valid string"):
        load_scenario(path)


# --------------------------------------------------------------------------------------------------- the clock
@pytest.mark.parametrize(
    ("text", "ts_ns"),
    [
        ("00:00:00", 0),
        ("09:30:00", 34_200 * 10**9),
        ("09:30:00.5", 34_200 * 10**9 + 500_000_000),
        ("15:59:59.999999999", 57_599 * 10**9 + 999_999_999),
        ("23:59:59", 86_399 * 10**9),
    ],
)
def test_parse_clock_and_format_clock_round_trip(text, ts_ns):
    assert parse_clock(text) == ts_ns
    assert parse_clock(format_clock(ts_ns)) == ts_ns
    assert format_clock(ts_ns).startswith(text[:8])


@pytest.mark.parametrize(
    "text", ["25:00:00", "24:00:00", "09:60:00", "09:30:60", "9:30:00", "09:30", "09:30:00.1234567890", "", "09:30:00Z"]
)
def test_parse_clock_rejects_non_times(text):
    with pytest.raises(ValueError, match="time of day"):
        parse_clock(text)


# ---------------------------------------------------------------------------------------------------- the schema
def test_json_schema_is_strict_and_describes_the_sections():
    schema = json_schema()
    assert {"venues", "symbols", "session", "latency", "flow", "routers"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["VenueSpec"]["additionalProperties"] is False
