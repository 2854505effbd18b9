"""The best-execution committee's review: pass / review / fail per router and rule, and an exception report.

A policy sets the action thresholds; every finding lists the orders behind it, and the exception report lists
individual orders with unusual latency, poor fills or unexpected venues.

The policy is a strict TOML file (``scenarios/policy/review-thresholds.toml`` is the documented default; the same
values are built in, so the project runs without it). Rules:

* figure rules: a figure (PI, E/Q, fill rate, time to first fill, ...) over an order class, against a benchmark:
  the benchmark router the policy names (``benchmark_router``) on the same orders, or a fixed value. Worse than
  the benchmark by more than ``review_margin`` -> review; by more than ``fail_margin`` *and* the seed-level interval
  of the difference excludes zero (at least 5 seeds) -> fail.
* paying-venue rules: the share of routed shares sent to venues that pay for the flow, above a limit while the
  price improvement there is not better than elsewhere -> review / fail.

Exceptions: orders with unusual latency (time to first fill above the pooled percentile of every router's orders
of the same class), poor prices (PI below minus a number of ticks), poor fills (marketable orders mostly unfilled)
or unexpected venues (a venue carrying a tiny share of the router's executions for that order class, or one the
scenario does not list). Definitions: docs/analytics.md, *Review policy*.

The parts: the policy file's model and loading in :mod:`harness.analytics.review_policy`, the rule evaluation in
:mod:`harness.analytics.review_rules`, the exception report in :mod:`harness.analytics.review_exceptions`; this module
puts them together (``review_tables``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from harness.analytics.context import RunContext
from harness.analytics.review_exceptions import exceptions_table
from harness.analytics.review_policy import ALL, FigureRule, PayingVenueRule, ReviewPolicy, load_policy
from harness.analytics.review_rules import figure_review, paying_venue_review

__all__ = [  # the policy and the exception report live in their own modules; callers import them from here too
    "REVIEW_COLUMNS",
    "REVIEW_ORDER_COLUMNS",
    "ReviewPolicy",
    "ReviewTables",
    "exceptions_table",
    "load_policy",
    "review_tables",
]

REVIEW_COLUMNS = [
    "router", "rule", "figure", "order_classes", "symbol", "benchmark", "value", "benchmark_value", "diff", "ci_low",
    "ci_high", "review_threshold", "fail_threshold", "status", "orders", "seeds", "detail",
]
REVIEW_ORDER_COLUMNS = ["router", "rule", "symbol", "status", "seed", "parent_id", "order_class", "value",
                        "benchmark_value", "worse"]


@dataclass(frozen=True)
class ReviewTables:
    """``review.csv`` (router x rule), ``review_orders.csv`` (orders behind each non-pass) and ``exceptions.csv``."""

    review: pd.DataFrame
    review_orders: pd.DataFrame
    exceptions: pd.DataFrame


def review_tables(orders: pd.DataFrame, fills: pd.DataFrame, *, context: RunContext | None = None,
                  children: pd.DataFrame | None = None, policy: ReviewPolicy | None = None) -> ReviewTables:
    """The review of every router under ``policy`` (default: the built-in defaults) and the exception report.

    ``orders`` is the per-order TCA table, ``fills`` the fill metrics (with ``pi``); ``children`` the child orders
    (default: the context's). Every interval is seed-level (:func:`harness.analytics.inference.seed_interval`).
    """
    policy = policy or ReviewPolicy()
    context = context or RunContext()
    children = children if children is not None else context.children
    rows, behind = figure_review(orders, policy)
    p_rows, p_behind = paying_venue_review(orders, fills, children, context, policy)
    review = pd.DataFrame([*rows, *p_rows], columns=REVIEW_COLUMNS)
    every: list[FigureRule | PayingVenueRule] = [*policy.rules, *policy.paying_venue_rules]
    order = {r.id: i for i, r in enumerate(every)}
    review = review.sort_values(["router", "rule", "symbol"], key=lambda c: c.map(order) if c.name == "rule" else (
        c.where(c != ALL, "") if c.name == "symbol" else c), kind="stable").reset_index(drop=True)
    frames = [b for b in (*behind, *p_behind) if len(b)]
    review_orders = (pd.concat(frames, ignore_index=True)[REVIEW_ORDER_COLUMNS] if frames
                     else pd.DataFrame(columns=REVIEW_ORDER_COLUMNS))
    return ReviewTables(review=review, review_orders=review_orders,
                        exceptions=exceptions_table(orders, fills, context, policy))

