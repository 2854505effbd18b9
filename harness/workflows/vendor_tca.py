"""The TCA of a vendor's own orders, fills and quotes (``sorbench tca --orders/--fills/--quotes``).

The files are read as given, put into sorbench's spellings by :func:`harness.io.vendor.normalize_vendor` (string
order ids, side aliases, epoch or ISO timestamps, a symbol map: docs/data-formats.md, *A firm's own data*) and
analysed as :func:`harness.analytics.analyze_files` does; ``tca/orders.parquet`` keeps each order's id as given in
``client_order_id`` and its New York time in ``arrival_ts``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from harness.analytics.inputs import Source, read_table, vendor_inputs
from harness.analytics.report import INTERVALS, TCA_DIR, PolicyArg, TcaTables, compute_tca, write_tca
from harness.analytics.review_policy import ReviewPolicy, load_policy
from harness.io.order_fields import read_symbol_map
from harness.io.vendor import Table, normalize_vendor


def analyze_vendor_files(
    orders: Path | str,
    fills: Path | str,
    quotes: Path | str,
    out: Path | str | None = None,
    *,
    policy: PolicyArg = None,
    symbol_map: Mapping[str, str] | Path | str | None = None,
) -> TcaTables:
    """Write the TCA tables of a vendor's files (``out`` defaults to ``tca/`` beside the orders); ``UserError``.

    ``symbol_map`` maps the firm's tickers to the symbols of the quotes (a mapping, or a TOML/CSV file).
    """
    paths = Path(orders), Path(fills), Path(quotes)
    tables = []
    for p in paths:
        frame, source = read_table(p)
        tables.append(Table(frame, source.label, csv=source.csv))
    mapping = read_symbol_map(symbol_map) if isinstance(symbol_map, str | Path) else symbol_map
    data = normalize_vendor(*tables, symbol_map=mapping)
    sources = tuple(Source(t.label, csv=t.csv) for t in tables)
    inputs = vendor_inputs(data.orders, data.fills, data.quotes, sources=(sources[0], sources[1], sources[2]))
    inputs = replace(inputs, date=data.date)
    pol = policy if isinstance(policy, ReviewPolicy) else load_policy(policy)
    result = compute_tca(inputs, policy=pol)
    target = Path(out) if out is not None else paths[0].parent / TCA_DIR
    meta: dict[str, object] = {
        "sources": {k: str(p) for k, p in zip(("orders", "fills", "quotes"), paths, strict=True)},
        "intervals": INTERVALS,
        "rows": {"orders": len(inputs.parents), "fills": len(inputs.fills), "nbbo": len(inputs.nbbo)},
        "definitions": "docs/analytics.md; a firm's own data: docs/data-formats.md",
        "review_policy": pol.model_dump(mode="json"),
        "trading_day": data.date,
        "clock": "ns since midnight, America/New_York",
    }
    return replace(result, out_dir=write_tca(result, target, meta=meta))
