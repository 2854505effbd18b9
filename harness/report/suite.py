"""``suite.html``: one self-contained page for a suite bundle.

A verdict matrix (router x scenario: the worst review status of the router's rules in that run, the conflict flag,
or why there is none), the headline figures per scenario, and links to each member run's ``report.html`` when the
run folder has one. Built from ``suite.json`` and ``suite_summary.csv`` only; no figure needs the run's tables.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from harness.analytics.labels import BY_KEY
from harness.report.compare import template_environment

HEADLINE = (
    ("fill_rate", "fill_rate_all", "pct"), ("pi_per_share", "pi_all", "signed"), ("eq_ratio", "eq_all", "num"),
    ("shortfall_per_share", "shortfall_all", "signed"), ("first_fill_ms_median", "first_fill_median_all", "num"),
    ("net_fees_per_share", "net_fees_all", "signed"),
)
"""suite_summary.csv's column, its label (:mod:`harness.analytics.labels`) and the number format."""


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _cell(row: dict[str, Any] | None) -> dict[str, str]:
    """A verdict-matrix cell: text and CSS class."""
    if row is None:
        return {"text": "not run", "css": "none"}
    if row["status"] == "failed":
        return {"text": "run failed", "css": "failed"}
    verdict = "no review" if _missing(row["review"]) else str(row["review"])
    text = verdict + (" + conflict flag" if row["conflict_flagged"] in (True,) else "")
    if row["status"] == "partial":
        text += " (some seeds failed)"
    return {"text": text, "css": verdict.replace(" ", "-") if verdict in ("pass", "review", "fail") else "none"}


def render_suite_html(info: dict[str, Any], summary: pd.DataFrame, *, bundle: Path) -> str:
    """The suite report as one HTML page; ``bundle`` is the folder the member runs are in (for their reports)."""
    records = summary.astype(object).where(summary.notna(), None).to_dict("records")
    labels = [r["label"] for r in info["runs"]]
    routers = list(dict.fromkeys(r["router"] for r in records))
    by_key = {(r["label"], r["router"]): r for r in records}
    matrix = [{"router": router, "cells": [_cell(by_key.get((label, router))) for label in labels]}
              for router in routers]
    runs = []
    for rec in info["runs"]:
        report = bundle / rec["label"] / "report.html"
        runs.append({
            **rec, "report": f"{rec['label']}/report.html" if report.is_file() else None,
            "rows": [_shown(r) for r in records if r["label"] == rec["label"]],
        })
    headline = [(col, BY_KEY[key].label, style) for col, key, style in HEADLINE]
    return template_environment().get_template("suite.html.j2").render(
        info=info, labels=labels, matrix=matrix, runs=runs, headline=headline,
    )


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """A summary row with its headline figures in the units shown (cph for prices); fill rate stays a fraction."""
    out = dict(row)
    for col, key, style in HEADLINE:
        if style != "pct" and not _missing(row.get(col)):
            out[col] = BY_KEY[key].shown(row[col])
    return out
