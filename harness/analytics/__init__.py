"""Execution-quality analytics (TCA) over a run's tables: pure functions of data frames, no simulator imports.

``analyze(folder)`` writes a run folder's ``tca/`` tables (with the committee's review), ``regulatory/`` (Rule 605
and 606 files) and ``conflict/`` (conflict-of-interest evidence); ``analyze_files(orders, fills, quotes)`` writes the
TCA tables and review from a vendor's own data. Definitions, signs and units: docs/analytics.md.
"""

from harness.analytics.aggregate import summary_table, venue_table
from harness.analytics.classify import OrderClass, classify_orders, share_bucket, size_bucket
from harness.analytics.conflict import ConflictParams, ConflictTables, compute_conflict, conflict_summary
from harness.analytics.context import RunContext, VenueTerms, load_run_context
from harness.analytics.incentive import payment_elasticity, regret_table
from harness.analytics.inputs import TcaInputs, load_run_folder, load_vendor_files, normalize_fills
from harness.analytics.leakage import leakage_table
from harness.analytics.orders import arrival_table, fill_table, order_table, orders_tca
from harness.analytics.paired import PAIRED_FIGURES, paired_table, ranking_table
from harness.analytics.regulatory import (
    RegulatoryConfig,
    RegulatoryReports,
    compute_regulatory,
    rule605_summary,
    rule606a1_xml,
    rule606b3_xml,
    validate_605,
    validate_606,
)
from harness.analytics.report import TcaTables, analyze, analyze_files, compute_tca, write_tca
from harness.analytics.review import ReviewTables, review_tables
from harness.analytics.review_exceptions import exceptions_table
from harness.analytics.review_policy import ReviewPolicy, load_policy
from harness.analytics.venue_choice import venue_choice_table

__all__ = [
    "PAIRED_FIGURES",
    "ConflictParams",
    "ConflictTables",
    "OrderClass",
    "RegulatoryConfig",
    "RegulatoryReports",
    "ReviewPolicy",
    "ReviewTables",
    "RunContext",
    "TcaInputs",
    "TcaTables",
    "VenueTerms",
    "analyze",
    "analyze_files",
    "arrival_table",
    "classify_orders",
    "compute_conflict",
    "compute_regulatory",
    "compute_tca",
    "conflict_summary",
    "exceptions_table",
    "fill_table",
    "leakage_table",
    "load_policy",
    "load_run_context",
    "load_run_folder",
    "load_vendor_files",
    "normalize_fills",
    "order_table",
    "orders_tca",
    "paired_table",
    "payment_elasticity",
    "ranking_table",
    "regret_table",
    "review_tables",
    "rule605_summary",
    "rule606a1_xml",
    "rule606b3_xml",
    "share_bucket",
    "size_bucket",
    "summary_table",
    "validate_605",
    "validate_606",
    "venue_choice_table",
    "venue_table",
    "write_tca",
]
