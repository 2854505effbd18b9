"""A firm's own spellings (harness/io/order_fields.py): every side alias, the three timestamp forms in New York,
string order ids numbered deterministically, symbol maps; a bad value is a ValueError/UserError naming it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from harness.errors import UserError
from harness.io.order_fields import (
    internal_ids,
    map_symbol,
    order_id_text,
    parse_side,
    parse_time,
    read_symbol_map,
)
from harness.scenario.clock import session_timestamps

DAY = dt.date(2026, 11, 20)  # a Friday in November: New York is on EST, UTC-5
NINE_THIRTY = (9 * 3600 + 30 * 60) * 1_000_000_000


@pytest.mark.parametrize("alias", ["buy", "BUY", "Buy", " b ", "B", "1", 1, 1.0])
def test_every_buy_alias_is_a_buy(alias):
    assert parse_side(alias) == "buy"


@pytest.mark.parametrize("alias", ["sell", "SELL", "s", "S", "2", 2, "5", "6"])
def test_every_sell_alias_is_a_sell(alias):
    """FIX 5 (sell short) and 6 (sell short exempt) are sells, as in FIX logs."""
    assert parse_side(alias) == "sell"


@pytest.mark.parametrize("bad", ["hold", "", None, "3", "bs"])
def test_a_side_that_is_no_alias_is_named(bad):
    with pytest.raises(ValueError, match=r"is not a side \(buy/sell, B/S or FIX 1/2\)"):
        parse_side(bad)


def test_times_of_day_stay_and_keep_the_known_day():
    assert parse_time(NINE_THIRTY) == (None, NINE_THIRTY)
    assert parse_time(str(NINE_THIRTY), day=DAY) == (DAY, NINE_THIRTY)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-20T14:30:00Z",  # 14:30 UTC = 09:30 EST
        "2026-11-20T09:30:00-05:00",
        "2026-11-20 09:30:00-0500",
        "2026-11-20T15:30:00+01:00",
        "2026-11-20T14:30:00.000000000Z",
    ],
)
def test_iso_times_with_a_zone_become_new_york_time_of_day(text):
    assert parse_time(text) == (DAY, NINE_THIRTY)


def test_iso_fractions_keep_nanoseconds():
    assert parse_time("2026-11-20T14:30:00.000000007Z") == (DAY, NINE_THIRTY + 7)
    assert parse_time("2026-11-20T14:30:00.5Z") == (DAY, NINE_THIRTY + 500_000_000)


def test_summer_time_is_utc_minus_four():
    """2026-07-01 is on EDT: 13:30 UTC is 09:30 in New York."""
    assert parse_time("2026-07-01T13:30:00Z") == (dt.date(2026, 7, 1), NINE_THIRTY)


def test_epoch_nanoseconds_become_new_york_time_of_day():
    # 2026-11-20 14:30:00 UTC: 20,777 days after 1970-01-01 (56 years, 14 of them leap) * 86,400 s + 52,200 s
    epoch_s = 20_777 * 86_400 + 14 * 3600 + 30 * 60
    assert dt.datetime.fromtimestamp(epoch_s, tz=dt.UTC) == dt.datetime(2026, 11, 20, 14, 30, tzinfo=dt.UTC)
    assert parse_time(epoch_s * 1_000_000_000 + 3) == (DAY, NINE_THIRTY + 3)
    assert parse_time(str(epoch_s * 1_000_000_000)) == (DAY, NINE_THIRTY)


def test_aware_timestamps_from_parquet_keep_their_nanoseconds():
    ts = pd.Timestamp("2026-11-20T14:30:00.000000009Z")
    assert parse_time(ts) == (DAY, NINE_THIRTY + 9)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("2026-11-20T09:30:00", "has no time zone"),
        ("9:30", "is not a time (ns since midnight, ns since the epoch, or ISO 8601 with a time zone)"),
        ("2026-02-30T09:30:00Z", "is not a calendar date and time"),
        (-1, "is negative"),
        (1.5, "is not a whole number of ns"),
        (pd.Timestamp("2026-11-20T09:30:00"), "has no time zone"),
        ("2026-11-21T14:30:00Z", "is on 2026-11-21 in New York, not 2026-11-20"),
    ],
)
def test_bad_times_are_named(value, text):
    with pytest.raises(ValueError, match=text.replace("(", r"\(").replace(")", r"\)")):
        parse_time(value, day=DAY)


def test_plain_integer_ids_stay_and_any_other_file_is_numbered_in_row_order():
    assert internal_ids(["7", "3", "0"]) == [7, 3, 0]
    assert internal_ids(["O3", "O1", "7"]) == [1, 2, 3]
    assert internal_ids(["007", "8"]) == [1, 2]  # a leading zero would be lost as an integer
    assert order_id_text(7.0) == "7" and order_id_text(" O1 ") == "O1"


def test_symbol_maps_from_toml_and_csv(tmp_path):
    (tmp_path / "flat.toml").write_text('AAPL = "AAA"\n', encoding="utf-8")
    (tmp_path / "table.toml").write_text('[symbols]\nAAPL = "AAA"\nMSFT = "BBB"\n', encoding="utf-8")
    (tmp_path / "map.csv").write_text("ticker,symbol\nAAPL,AAA\nMSFT,BBB\n", encoding="utf-8")
    assert read_symbol_map(tmp_path / "flat.toml") == {"AAPL": "AAA"}
    assert (
        read_symbol_map(tmp_path / "table.toml")
        == read_symbol_map(tmp_path / "map.csv")
        == {"AAPL": "AAA", "MSFT": "BBB"}
    )
    assert map_symbol("AAPL", {"AAPL": "AAA"}, ["AAA"]) == "AAA"
    assert map_symbol("AAA", {"AAPL": "AAA"}, ["AAA"]) == "AAA"
    with pytest.raises(ValueError, match=r"'ZZZ' \(mapped from 'IBM'\) is not in the scenario \(AAA\)"):
        map_symbol("IBM", {"IBM": "ZZZ"}, ["AAA"])


@pytest.mark.parametrize(
    ("name", "content", "text"),
    [
        ("m.csv", "ticker,symbol\nAAPL,AAA\nAAPL,BBB\n", "row 2: ticker 'AAPL' is mapped twice"),
        ("m.csv", "from,to\n", "the header must be 'ticker,symbol'"),
        ("m.toml", "AAPL = 3\n", "AAPL: 3 is not a symbol"),
        ("m.json", "{}", "unknown symbol map type '.json'"),
    ],
)
def test_bad_symbol_maps_are_one_line_naming_the_file(tmp_path, name, content, text):
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(UserError) as err:
        read_symbol_map(tmp_path / name)
    assert str(err.value).startswith(f"{tmp_path / name}: {text}"), str(err.value)


def test_session_timestamps_are_new_york_wall_clock():
    got = session_timestamps([NINE_THIRTY, None], "2026-11-20").to_pandas()
    assert str(got.dtype) == "datetime64[ns, America/New_York]"
    assert got.iloc[0] == pd.Timestamp("2026-11-20T14:30:00Z") and pd.isna(got.iloc[1])
    assert session_timestamps([NINE_THIRTY], None).null_count == 1
