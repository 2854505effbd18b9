"""Calibration by simulation of the paired comparisons' seed-level intervals (docs/analytics.md, Paired comparisons).

Real simulations of a cut-down default scenario (:func:`tests.sim.helpers.small_scenario`: 40 s, 20 parents a seed),
run directly through :func:`harness.sim.engine.simulate` and the analytics functions:

* A/A: best-price with an independent random decision delay of 0-50 ms per parent (each instance draws from its own
  NumPy generator, seeded per instance and seed): 20 disjoint sets of 5 seeds. Under the null the number of sets
  whose 95% interval excludes zero is Binomial(20, 0.05): P(X >= 5) = 0.0026, so a figure fails at 5 or more. The
  share over every figure (5 figures x 20 sets, not independent) must be at most 10% (twice the nominal rate).
* Known effect: best-price against a copy that waits 500 ms before routing each parent, on market and marketable
  limit orders both filled: slower, right sign, estimate within 20% of 500 ms, in at least 9 of 10 sets of 5 seeds.
* Width: the standard error of the per-seed mean (sd / sqrt(seeds)) on 20 seeds is about half of that on 5 seeds.

Measured rates and estimates are printed (``pytest -s``).
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import Field

from adapters.reference.best_price import BestPriceRouter
from harness.analytics.inputs import expand_parents, normalize_fills
from harness.analytics.orders import orders_tca
from harness.analytics.paired import ALL, PAIRED_FIGURES, STRATA, _cells, pair_frame, paired_table, seed_values
from harness.sim.engine import build_parents, simulate
from harness.workflows.folder import fills_table, nbbo_table, parents_table
from tests.sim.helpers import registry_with, small_scenario

pytestmark = pytest.mark.slow

SET_SEEDS = 5
AA_SETS = 20
EFFECT_SETS = 10
DELAY_MS = 500.0
AA_FIGURES = ("pi_per_share", "effective_spread", "shortfall_per_share", "time_to_first_fill_ms", "markout_1s")
MARKETABLE = ("market", "marketable_limit")


class _StartLater(BestPriceRouter):
    """best-price that starts routing each parent after a delay chosen by :meth:`_delay_ns`."""

    def _delay_ns(self) -> int:
        raise NotImplementedError

    def _start(self, state: Any) -> None:
        self.ctx.set_timer(self._delay_ns(), ("start", state.parent.parent_id))

    def on_timer(self, token: object) -> None:
        if isinstance(token, tuple) and token[0] == "start":
            state = self._parents.get(token[1])
            if state is not None:
                BestPriceRouter._start(self, state)
            return
        super().on_timer(token)


class JitteredBestPrice(_StartLater):
    """A/A router: each parent waits a uniform random 0-50 ms drawn from the instance's own generator."""

    name = "jittered-best-price"

    class Params(BestPriceRouter.Params):
        jitter_seed: int = Field(0, ge=0)
        max_jitter_ns: int = Field(50_000_000, ge=0)

    def on_start(self, ctx: Any) -> None:
        super().on_start(ctx)
        self._rng = np.random.default_rng(self.params.jitter_seed)

    def _delay_ns(self) -> int:
        return int(self._rng.integers(0, self.params.max_jitter_ns + 1))


class JitteredBestPriceTwin(JitteredBestPrice):
    """The same policy under another name (the second "A" of an A/A pair)."""

    name = "jittered-best-price-twin"


class DelayedBestPrice(_StartLater):
    """best-price that waits 500 ms before routing every parent."""

    name = "delayed-best-price"

    def _delay_ns(self) -> int:
        return int(DELAY_MS * 1_000_000)


REGISTRY = registry_with(JitteredBestPrice, JitteredBestPriceTwin, DelayedBestPrice)


def _jitter_seed(router: str, seed: int) -> int:
    return zlib.crc32(f"{router}/{seed}".encode())


def simulate_orders(routers: list[str], seeds: list[int]) -> pd.DataFrame:
    """The per-order TCA table of ``routers`` x ``seeds`` on the small scenario (identical parents per seed)."""
    scenario = small_scenario()
    flows, results = {}, []
    for seed in seeds:
        flows[seed] = build_parents(scenario, seed)
        for name in routers:
            cls = REGISTRY.get(name)
            params = (cls.Params(jitter_seed=_jitter_seed(name, seed)) if issubclass(cls, JitteredBestPrice)
                      else cls.Params())
            result = simulate(scenario, name, params, seed, parents=flows[seed], registry=REGISTRY)
            assert result.status == "ok", result.error
            results.append(result)
    parents = parents_table(flows).to_pandas()
    runs = pd.DataFrame([(r.router, r.seed) for r in results], columns=["router", "seed"])
    return orders_tca(expand_parents(parents, runs), normalize_fills(fills_table(results).to_pandas()),
                      nbbo_table(results).to_pandas())


def all_row(table: pd.DataFrame, figure: str) -> pd.Series:
    sel = table[(table["figure"] == figure) & (table["order_class"] == ALL) & (table["symbol"] == ALL)
                & (table["size_bucket"] == ALL)]
    assert len(sel) == 1
    return sel.iloc[0]


@pytest.fixture(scope="module")
def aa_orders() -> pd.DataFrame:
    return simulate_orders([JitteredBestPrice.name, JitteredBestPriceTwin.name],
                           list(range(1, AA_SETS * SET_SEEDS + 1)))


@pytest.fixture(scope="module")
def effect_orders() -> pd.DataFrame:
    return simulate_orders(["best-price", DelayedBestPrice.name], list(range(1001, 1001 + EFFECT_SETS * SET_SEEDS)))


def _sets(orders: pd.DataFrame, n_sets: int) -> list[pd.DataFrame]:
    seeds = sorted(orders["seed"].unique())
    return [orders[orders["seed"].isin(seeds[i * SET_SEEDS:(i + 1) * SET_SEEDS])] for i in range(n_sets)]


def test_aa_pairs_exclude_zero_at_a_rate_consistent_with_five_percent(aa_orders):
    # Binomial(20, 0.05): P(X >= 5) = 1 - sum_{k<=4} C(20,k) 0.05^k 0.95^(20-k) = 1 - 0.99741 = 0.0026
    excluded = {f: 0 for f in AA_FIGURES}
    for orders in _sets(aa_orders, AA_SETS):
        table = paired_table(orders)
        for f in AA_FIGURES:
            r = all_row(table, f)
            assert r["seeds"] == SET_SEEDS and r["level"] == 0.95
            excluded[f] += bool(r["zero_excluded"])
    total = sum(excluded.values())
    print(f"\nA/A: sets excluding zero out of {AA_SETS}: {excluded}; overall {total}/{AA_SETS * len(AA_FIGURES)}")
    assert all(k <= 4 for k in excluded.values()), excluded
    assert total <= 0.10 * AA_SETS * len(AA_FIGURES), excluded


def test_a_500ms_delay_is_detected_as_slower_with_the_right_sign_and_size(effect_orders):
    # population: market and marketable limit orders both routers filled; best-price is router_a (sorted names), so
    # the difference best-price - delayed is about -500 ms
    marketable = effect_orders[effect_orders["order_class"].isin(MARKETABLE)]
    estimates, hits = [], 0
    for orders in _sets(marketable, EFFECT_SETS):
        r = all_row(paired_table(orders), "time_to_first_fill_ms")
        assert (r["router_a"], r["router_b"]) == ("best-price", DelayedBestPrice.name)
        estimates.append((float(r["mean_diff"]), float(r["ci_low"]), float(r["ci_high"])))
        hits += bool(r["zero_excluded"] and r["better"] == "best-price"
                     and abs(-r["mean_diff"] - DELAY_MS) <= 0.2 * DELAY_MS)
    print(f"\n500 ms delay: detected {hits}/{EFFECT_SETS}; (estimate, low, high) per set: "
          + "; ".join(f"{m:.2f} [{lo:.2f}, {hi:.2f}]" for m, lo, hi in estimates))
    assert hits >= 9, estimates


def _per_seed_all(orders: pd.DataFrame, figure: str) -> pd.Series:
    """The "all" row's per-seed paired differences, strata weighted by their share over every seed of ``orders``."""
    a, b = sorted(orders["router"].unique())
    pair = pair_frame(orders[orders["router"] == a], orders[orders["router"] == b])
    seed_code, seeds = pd.factorize(pair["seed"], sort=True)
    cell_code, uniques = pd.factorize(pd.MultiIndex.from_frame(pair[list(STRATA)].astype(str)), sort=True)
    keys = [(str(k[0]), str(k[1]), str(k[2])) for k in uniques]
    fig = next(f for f in PAIRED_FIGURES if f.name == figure)
    cells = _cells(pair, fig, np.asarray(seed_code, np.int64), len(seeds), np.asarray(cell_code, np.int64), keys)
    per_cell = cells.n.sum(axis=0)
    values = seed_values(cells, per_cell / per_cell.sum(), np.ones(len(keys), dtype=bool))
    return pd.Series(values["d"], index=np.asarray(seeds)[cells.n.sum(axis=1) > 0])


def test_standard_error_halves_from_5_to_20_seeds(aa_orders):
    # se = sd / sqrt(seeds): 4x the seeds -> half the se, for a fixed estimand. The "all" row's per-seed values of
    # the first 20 seeds (strata weighted as over those 20 seeds) are split into four disjoint 5-seed blocks; their
    # pooled variance (the root mean square of the block sds: the sample variance is unbiased whatever the
    # distribution) against the sd of the 20 values: se5 / se20 = 2 x rms(sd5) / sd20, expected about 2. Its range,
    # from its sampling distribution (200,000 simulated sets of 20 iid seeds, normal and Student t3 alike): the
    # within-block sum of squares is at most the total one, so the ratio is at most 2 x sqrt(19/16) = 2.18; its 0.1%
    # quantile is 1.34 (normal; 1.38 for t3), its median 2.03. Mean of four independent ratios: 0.1% quantile 1.72.
    # Interval widths add the t quantiles: the expected width ratio is 2 x (2.7764 / 2.0930) = 2.65.
    # paired.csv re-estimates the stratum weights from the seeds at hand, so a 5-seed block's "all" row is a slightly
    # different weighted mean; where one rare stratum dominates (shortfall: one non-marketable parent that fills in
    # one twin and not in the other) the blocks' rows and the 20-seed row then move differently (measured with the
    # routed background, seeds 1-20: 0.93 for shortfall on paired.csv's own rows against 2.6, 2.6, 2.1 for PI,
    # effective spread and markout). PI and effective spread are also checked on paired.csv's rows as a user reads
    # them; markout is not: its rows as read gave 1.26 against 1.69 with fixed weights (seeds 1-20, the market of
    # issue 15 with cross-venue reactions and impact), the 5-seed rows weighting its strata from the seeds at hand.
    seeds = sorted(aa_orders["seed"].unique())[:20]
    twenty = aa_orders[aa_orders["seed"].isin(seeds)]
    ratios = {}
    for f in ("pi_per_share", "effective_spread", "shortfall_per_share", "markout_1s"):
        d = _per_seed_all(twenty, f).reindex(seeds)
        assert d.notna().all(), f
        blocks = [d.iloc[i:i + 5].std(ddof=1) for i in range(0, 20, 5)]
        ratios[f] = float(2 * np.sqrt(np.mean(np.square(blocks))) / d.std(ddof=1))
    table = paired_table(twenty)
    as_read = {}
    for f in ("pi_per_share", "effective_spread"):
        per_block = [all_row(paired_table(twenty[twenty["seed"].isin(seeds[i:i + 5])]), f)["sd_seed"] ** 2
                     for i in range(0, 20, 5)]
        as_read[f] = float(2 * np.sqrt(np.mean(per_block)) / all_row(table, f)["sd_seed"])
    print(f"\nse(5 seeds) / se(20 seeds), fixed weights: {ratios}; paired.csv rows: {as_read}")
    assert all(1.34 <= r <= 2.18 for r in ratios.values()), ratios
    assert float(np.mean(list(ratios.values()))) >= 1.6, ratios
    assert all(1.34 <= r <= 2.18 for r in as_read.values()), as_read
