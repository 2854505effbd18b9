"""The headline figures' one table: each label shown anywhere (console, report, compare, suite, ``tca``) and what it is.

Every header that shows one of these figures takes its text from :data:`LABELS`, so one label always means one
definition over one population in one unit. A label names its population ("marketable orders", "all filled
orders", "the row's orders", "paired orders both filled"); a mean and a median never share a label; price figures
are shown in one unit, **cph** (cents per 100 shares = USD per share x 10,000), everywhere (the CSV columns keep the
unit their name says: ``*_per_share`` and ``pi_per_share`` USD per share, ``*_cph`` cph, ``*_usd`` USD totals).
The table is written into docs/analytics.md (``python -m harness.analytics.labels`` prints it; a test checks the
two agree) and into the report's glossary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

CPH = 10_000.0
"""USD per share -> cents per 100 shares."""


@dataclass(frozen=True)
class Label:
    """One headline figure: its header text, definition, population, display unit and where its values come from."""

    key: str
    label: str
    definition: str
    population: str
    unit: str
    source: str
    scale: float = 1.0
    """Stored value x scale = the value shown (USD/share -> cph: 10,000; fraction -> %: 100)."""

    def shown(self, value: Any) -> float:
        """``value`` in the unit shown (NaN for missing values)."""
        try:
            x = float(value)
        except (TypeError, ValueError):
            return math.nan
        return x * self.scale


_PI = "price improvement s (FT - p), share-weighted over fills"
_EQ = "effective spread over quoted spread, a ratio of averages: sum(ES q) / sum(QS q)"
_PAIRED = (
    "per seed, the mean over paired parents (equal weight per order) within order class x symbol x size "
    "bucket, strata weighted by their paired parents; the mean over seeds"
)
_ROW = "the row's orders (its router, symbol and order-class group)"

LABELS: tuple[Label, ...] = (
    Label("orders", "Orders, all", "number of parent orders", "all orders", "count", "summary.csv `orders`"),
    Label(
        "fill_rate_all",
        "Fill rate, all orders (%)",
        "executed shares / order shares",
        "all orders",
        "%",
        "summary.csv, tca/summary.csv (order class `all`) `fill_rate`",
        100.0,
    ),
    Label(
        "pi_marketable",
        "PI, marketable orders (cph)",
        _PI + "; the router's own market's NBBO at arrival",
        "market and marketable limit orders (Rule 605's covered orders)",
        "cph",
        "summary.csv `pi_per_share` (USD/share); tca/summary.csv, classes market + marketable_limit",
        CPH,
    ),
    Label(
        "pi_all",
        "PI, all filled orders (cph)",
        _PI + "; the router's own market's NBBO at arrival (the conflict evidence's customer net price improvement)",
        "every filled order, all order classes",
        "cph",
        "tca/summary.csv `pi_per_share` (order class `all`); conflict/summary.csv `customer_net_pi_cph`",
        CPH,
    ),
    Label(
        "eq_marketable",
        "E/Q, marketable orders",
        _EQ,
        "market and marketable limit orders with a quoted spread",
        "ratio",
        "summary.csv `eq_ratio`; tca/summary.csv, classes market + marketable_limit",
    ),
    Label(
        "eq_all",
        "E/Q, all filled orders",
        _EQ,
        "every filled order with a quoted spread, all order classes",
        "ratio",
        "tca/summary.csv `eq_ratio` (order class `all`)",
    ),
    Label(
        "first_fill_mean_marketable",
        "Mean time to 1st fill, marketable orders (ms)",
        "mean over orders with a fill of first fill time - arrival",
        "filled market and marketable limit orders",
        "ms",
        "summary.csv `mean_first_fill_ms`",
    ),
    Label(
        "first_fill_median_marketable",
        "Median time to 1st fill, marketable orders (ms)",
        "median over orders with a fill of first fill time - arrival",
        "filled market and marketable limit orders",
        "ms",
        "tca/summary.csv `first_fill_ms_median`, classes market + marketable_limit",
    ),
    Label(
        "first_fill_median_all",
        "Median time to 1st fill, all filled orders (ms)",
        "median over orders with a fill of first fill time - arrival",
        "every filled order, all order classes",
        "ms",
        "tca/summary.csv `first_fill_ms_median` (order class `all`)",
    ),
    Label(
        "shortfall_all",
        "Shortfall, all orders (cph)",
        "implementation shortfall per order share, weighted by order shares (> 0 a cost)",
        "all orders",
        "cph",
        "tca/summary.csv `shortfall_per_share` (order class `all`)",
        CPH,
    ),
    Label(
        "net_fees_all",
        "Net fees to customer, all filled orders (cph)",
        "customer fees - rebates per filled share (0 when the broker retains rebates and pays the fees)",
        "every filled order",
        "cph",
        "tca/summary.csv `net_fees_per_share` (order class `all`)",
        CPH,
    ),
    Label(
        "fees_usd",
        "Venue fees - rebates, all orders (USD)",
        "total venue fees minus rebates over all fills",
        "all orders",
        "USD",
        "summary.csv `fees_usd`",
    ),
    Label(
        "pfof_usd",
        "PFOF to broker, all orders (USD)",
        "total payment for order flow the broker received",
        "all orders",
        "USD",
        "summary.csv `pfof_usd`",
    ),
    Label(
        "broker_net_cph",
        "Broker net payment, all filled orders (cph)",
        "(PFOF + rebates the broker keeps - fees it pays) per executed share",
        "every filled order",
        "cph",
        "conflict/summary.csv `broker_net_payment_cph`",
    ),
    Label(
        "regret_cph",
        "Regret vs reference, orders both filled (cph)",
        "per seed, mean over orders both filled of PI of the reference - PI of the router; mean over seeds",
        "orders both the router and the best conflict-free reference filled",
        "cph",
        "conflict/summary.csv `regret_cph`",
    ),
    Label(
        "fill_rate_row",
        "Fill rate, row's orders (%)",
        "executed shares / order shares",
        _ROW,
        "%",
        "tca/summary.csv `fill_rate`",
        100.0,
    ),
    Label("pi_row", "PI, row's orders (cph)", _PI, _ROW, "cph", "tca/summary.csv `pi_per_share`", CPH),
    Label(
        "pi_vs_bench_row",
        "PI minus benchmark's PI, row's orders (cph)",
        "the row's PI minus the benchmark router's PI on its own orders of the same group (unpaired)",
        _ROW,
        "cph",
        "tca/summary.csv `pi_per_share`",
        CPH,
    ),
    Label("eq_row", "E/Q, row's orders", _EQ, _ROW, "ratio", "tca/summary.csv `eq_ratio`"),
    Label(
        "markout_1s_row",
        "Markout 1 s, row's orders (cph)",
        "s (m(t + 1 s) - p), share-weighted over fills",
        _ROW,
        "cph",
        "tca/summary.csv `markout_1s`",
        CPH,
    ),
    Label(
        "shortfall_row",
        "Shortfall, row's orders (cph)",
        "implementation shortfall per order share",
        _ROW,
        "cph",
        "tca/summary.csv `shortfall_per_share`",
        CPH,
    ),
    Label(
        "first_fill_median_row",
        "Median time to 1st fill, row's filled orders (ms)",
        "median over orders with a fill of first fill time - arrival",
        _ROW,
        "ms",
        "tca/summary.csv `first_fill_ms_median`",
    ),
    Label(
        "paired_pi_per_share",
        "PI, paired orders both filled (cph)",
        _PAIRED + "; PI per order share-weighted over its fills",
        "parents both routers filled, classified in the common market",
        "cph",
        "tca/paired.csv, compare/figures.csv, figure `pi_per_share`",
        CPH,
    ),
    Label(
        "paired_effective_spread",
        "Effective spread, paired orders both filled (cph)",
        _PAIRED,
        "parents both routers filled",
        "cph",
        "figure `effective_spread`",
        CPH,
    ),
    Label(
        "paired_eq_ratio",
        "E/Q, paired orders both filled",
        "per seed and stratum E/Q of each router as a ratio "
        "of averages over the paired parents; strata weighted, mean over seeds",
        "parents both routers filled with a quoted spread, all order classes",
        "ratio",
        "figure `eq_ratio`",
    ),
    Label(
        "paired_fill_rate",
        "Fill rate, all paired orders (%)",
        _PAIRED,
        "every paired parent",
        "%",
        "figure `fill_rate`",
        100.0,
    ),
    Label(
        "paired_shortfall_per_share",
        "Shortfall, all paired orders (cph)",
        _PAIRED,
        "every paired parent",
        "cph",
        "figure `shortfall_per_share`",
        CPH,
    ),
    Label(
        "paired_time_to_first_fill_ms",
        "Mean time to 1st fill, paired orders both filled (ms)",
        _PAIRED,
        "parents both routers filled",
        "ms",
        "figure `time_to_first_fill_ms`",
    ),
    Label(
        "paired_markout_1s",
        "Markout 1 s, paired orders both filled (cph)",
        _PAIRED,
        "parents both routers filled",
        "cph",
        "figure `markout_1s`",
        CPH,
    ),
    Label(
        "paired_net_fees_per_share",
        "Net fees to customer, paired orders both filled (cph)",
        _PAIRED,
        "parents both routers filled",
        "cph",
        "figure `net_fees_per_share`",
        CPH,
    ),
)

BY_KEY = {lab.key: lab for lab in LABELS}


def label(key: str) -> str:
    """The header text of figure ``key``."""
    return BY_KEY[key].label


def paired(figure: str) -> Label:
    """The label of a paired figure (``pi_per_share``, ``eq_ratio``, ...)."""
    return BY_KEY[f"paired_{figure}"]


def markdown_table() -> str:
    """The table as docs/analytics.md holds it (between its ``labels:begin`` and ``labels:end`` markers)."""
    lines = ["| label | definition | population | unit | values from |", "|---|---|---|---|---|"]
    for lab in LABELS:
        cells = (lab.label, lab.definition, lab.population, lab.unit, lab.source)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - prints the docs table
    print(markdown_table(), end="")
