"""``sorbench power``: per figure and router pair, the seeds, per-seed sd, minimum detectable difference and seeds
needed, as a table or JSON; bad input is one line and exit status 2."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from harness.cli.app import app
from tests.analytics.test_paired import orders

runner = CliRunner()


@pytest.fixture
def run_folder(tmp_path):
    # A's PI exceeds B's by 0.01 x (seed + 1) on every order: per-seed differences 0.01 .. 0.05, sd 0.015811
    a = orders("A", range(5), 4, pi_per_share=lambda s, i: 0.01 * (s + 1))
    (tmp_path / "run" / "tca").mkdir(parents=True)
    pd.concat([a, orders("B", range(5), 4)]).to_parquet(tmp_path / "run" / "tca" / "orders.parquet")
    return tmp_path / "run"


def test_power_gives_the_minimum_detectable_difference_and_the_seeds_needed(run_folder):
    result = runner.invoke(app, ["power", str(run_folder), "--figure", "pi_per_share", "--difference", "0.01",
                                 "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    # MDD = (t(0.975, 4) + z(0.8)) x sd / sqrt(5) = (2.7764 + 0.8416) x 0.015811 / 2.2361 = 0.025583
    assert (row["figure"], row["router_a"], row["router_b"], row["stratum"], row["seeds"]) == (
        "pi_per_share", "A", "B", "all", 5)
    assert row["sd_seed"] == pytest.approx(0.015811, abs=1e-6)
    assert row["min_detectable_diff"] == pytest.approx(0.025583, abs=1e-5)
    # seeds needed for 0.01: n = 21 gives (2.0860 + 0.8416) x 0.015811 / sqrt(21) = 0.010101 > 0.01,
    # n = 22 gives (2.0796 + 0.8416) x 0.015811 / sqrt(22) = 0.009847 <= 0.01
    assert row["seeds_needed"] == 22 and row["difference"] == 0.01


def test_power_prints_every_figure_as_a_table(run_folder):
    result = runner.invoke(app, ["power", str(run_folder)])
    assert result.exit_code == 0, result.output
    assert "Power of the paired comparisons" in result.output
    for figure in ("pi_per_share", "time_to_first_fill_ms", "eq_ratio"):
        assert figure in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--figure", "pi"], "--figure: unknown figure 'pi'"),
    (["--difference", "-1"], "--difference: -1.0 must be a positive number"),
])
def test_bad_options_are_one_line_and_exit_2(run_folder, args, message):
    result = runner.invoke(app, ["power", str(run_folder), *args])
    assert result.exit_code == 2 and message in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_a_missing_folder_is_one_line_and_exit_2(tmp_path):
    result = runner.invoke(app, ["power", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "not a run folder" in result.output
    assert len(result.output.strip().splitlines()) == 1
