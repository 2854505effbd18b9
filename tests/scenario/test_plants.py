"""``[[plants]]`` (harness/scenario/plants.py): checked at the boundary, one line naming the field."""

from __future__ import annotations

import pytest

from harness.errors import UserError
from harness.scenario.schema import load_scenario, scenario_from_dict


def _with(plant: dict) -> dict:
    data = load_scenario("scenarios/default.toml")[0].model_dump(mode="json")
    data["plants"] = [plant]
    return data


def test_a_valid_plant_loads():
    sc = scenario_from_dict(_with({"venue": "NSDQ", "symbol": "AAA", "side": "sell", "qty": 100, "price_usd": 50.01}))
    assert sc.plants[0].display == "displayed" and sc.plants[0].refresh_ms == 50.0


@pytest.mark.parametrize(("plant", "message"), [
    ({"venue": "XXX", "symbol": "AAA", "side": "sell", "qty": 100, "price_usd": 50.01}, "plants[0].venue"),
    ({"venue": "WHSA", "symbol": "AAA", "side": "sell", "qty": 100, "price_usd": 50.01}, "is a wholesaler"),
    ({"venue": "DARK1", "symbol": "AAA", "side": "sell", "qty": 100, "price_usd": 50.01}, "only midpoint plants"),
    ({"venue": "NSDQ", "symbol": "AAA", "side": "sell", "qty": 100, "price_usd": 50.015}, "not on the 0.01 tick"),
    ({"venue": "NSDQ", "symbol": "AAA", "side": "sell", "qty": 100}, "a midpoint plant has no price"),
    ({"venue": "NSDQ", "symbol": "ZZZ", "side": "sell", "qty": 100, "price_usd": 50.01}, "does not trade on NSDQ"),
    ({"venue": "NSDQ", "symbol": "AAA", "side": "sell", "qty": 0, "price_usd": 50.01}, "qty"),
])
def test_bad_plants_name_the_field(plant, message):
    with pytest.raises(UserError, match="plants") as err:
        scenario_from_dict(_with(plant), source="s.toml")
    assert message in str(err.value) and "\n" not in str(err.value)
