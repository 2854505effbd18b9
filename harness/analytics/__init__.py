"""Execution-quality analytics (TCA) over a run's tables: pure functions of data frames, no simulator imports.

``analyze(folder)`` writes a run folder's ``tca/`` tables; ``analyze_files(orders, fills, quotes)`` does the same
from a vendor's own data. Definitions, signs and units: docs/analytics.md.
"""

from harness.analytics.aggregate import summary_table, venue_table
from harness.analytics.classify import OrderClass, classify_orders, share_bucket, size_bucket
from harness.analytics.inputs import TcaInputs, load_run_folder, load_vendor_files, normalize_fills
from harness.analytics.orders import arrival_table, fill_table, order_table, orders_tca
from harness.analytics.paired import PAIRED_FIGURES, bootstrap_sums, paired_table, ranking_table
from harness.analytics.report import TcaTables, analyze, analyze_files, compute_tca, write_tca

__all__ = [
    "PAIRED_FIGURES",
    "OrderClass",
    "TcaInputs",
    "TcaTables",
    "analyze",
    "analyze_files",
    "arrival_table",
    "bootstrap_sums",
    "classify_orders",
    "compute_tca",
    "fill_table",
    "load_run_folder",
    "load_vendor_files",
    "normalize_fills",
    "order_table",
    "orders_tca",
    "paired_table",
    "ranking_table",
    "share_bucket",
    "size_bucket",
    "summary_table",
    "venue_table",
    "write_tca",
]
