"""The common market of a run: each seed simulated with no router flow, written to common/nbbo.parquet.

The run is the cut-down default scenario (40 s, 20 parents) with two routers and two seeds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from adapters.contract import ParentOrder, Router
from adapters.registry import builtin_registry
from harness.analytics import common_market as analytics_common
from harness.analytics.inputs import load_run_folder
from harness.analytics.report import compute_tca
from harness.sim.engine import build_parents, simulate
from harness.workflows import common
from harness.workflows.run import run_scenario
from tests.sim.helpers import registry_with, small_scenario
from venues.types import PRICE_SCALE

NBBO_COLUMNS = ["symbol", "ts_ns", "bid", "bid_size", "ask", "ask_size"]


class SilentRouter(Router):
    """Receives every parent and sends nothing."""

    name = "silent"

    def on_parent(self, parent: ParentOrder) -> None:
        """Do nothing."""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("common")
    out = root / "run"
    run_scenario(small_scenario(), scenario_path=None, routers=["best-price", "single-venue"], seeds=[1, 2],
                 out_dir=out, results_root=root, analyze_tables=False)
    return out


def test_the_labels_agree_between_the_workflow_and_the_analytics():
    """The worker-side spelling of the label and file is the analytics' (they are kept apart only for imports)."""
    assert common.COMMON_ROUTER == analytics_common.COMMON_ROUTER
    assert common.COMMON_NBBO_FILE == analytics_common.COMMON_NBBO_FILE


def test_the_run_folder_has_the_common_market_hashed_in_the_manifest(run_dir):
    """common/nbbo.parquet has every seed's rows, router "(no router)", and is in the manifest's file hashes."""
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert "common/nbbo.parquet" in manifest["files"]
    assert [(r["seed"], r["status"]) for r in manifest["common_market"]["runs"]] == [(1, "ok"), (2, "ok")]
    assert {r["router"] for r in manifest["runs"]} == {"best-price", "single-venue"}  # not a router of the run
    nbbo = pd.read_parquet(run_dir / "common" / "nbbo.parquet")
    assert list(nbbo.columns) == list(pd.read_parquet(run_dir / "nbbo.parquet").columns)
    assert set(nbbo["router"]) == {common.COMMON_ROUTER} and set(nbbo["seed"]) == {1, 2}
    assert common.COMMON_ROUTER not in builtin_registry()  # `sorbench routers` does not list it


@pytest.mark.parametrize("seed", [1, 2])
def test_the_common_market_equals_a_run_of_a_router_that_sends_nothing(run_dir, seed):
    """A router that receives every parent and sends nothing leaves the market exactly as the common market."""
    sc = small_scenario()
    silent = simulate(sc, "silent", SilentRouter.Params(), seed, parents=build_parents(sc, seed),
                      registry=registry_with(SilentRouter))
    assert silent.status == "ok" and not silent.child_orders["child_id"]
    theirs = pd.DataFrame(silent.nbbo)[NBBO_COLUMNS].reset_index(drop=True)
    theirs[["bid", "ask"]] = theirs[["bid", "ask"]] / PRICE_SCALE  # integer prices to USD, as the folder writes them
    ours = pd.read_parquet(run_dir / "common" / "nbbo.parquet")
    ours = ours[ours["seed"] == seed][NBBO_COLUMNS].reset_index(drop=True)
    assert len(ours) > 100
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)


def test_every_router_of_a_seed_gets_the_same_common_benchmark(run_dir):
    """common_* are one value per (seed, parent); the first parent of a seed meets an undisturbed market."""
    orders = compute_tca(load_run_folder(run_dir)).orders
    per_parent = orders.groupby(["seed", "parent_id"])[
        ["common_bid", "common_ask", "common_order_class", "common_size_bucket"]].nunique(dropna=False)
    assert (per_parent == 1).all().all()
    first = orders.sort_values("arrival_ts_ns").groupby(["seed", "router"]).head(1)
    assert not first["common_arrival_differs"].any()  # before any router acted, its market is the common one
    assert (first["arrival_bid"].to_numpy() == first["common_bid"].to_numpy()).all()
    assert orders["common_arrival_differs"].any()  # the routers' own orders do move their markets
