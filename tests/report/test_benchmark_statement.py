"""The review's benchmark is the router the policy names, and the report's first screen says which and why.

Issue 14: the review used to take the best of nine "reference" routers by customer price improvement, which made
``wholesaler`` (paid for its order flow) the benchmark of the default run and the report call it "the best
conflict-free reference router". Now the policy names the benchmark (``benchmark_router``, default best-price), and
the summary section states who named it and whether it is conflict-free, with its tie-break or the PFOF it received.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from harness.analytics.review import review_tables
from harness.analytics.review_policy import ReviewPolicy, load_policy
from harness.report.data import RunData
from harness.report.evidence import benchmark_statement
from tests.analytics.test_review import paying_case
from tests.report.conftest import small_report_run

BEST_PRICE_TIE_BREAK = "displayed price, then larger displayed size"


def _summary_html(run: Path) -> str:
    """The text of report.html's first section (the summary verdict), tags stripped."""
    html = (run / "report.html").read_text(encoding="utf-8")
    section = html[html.index('<section class="report-section" id="summary">'):]
    section = section[:section.index("</section>")]
    return " ".join(re.sub(r"<[^>]+>", " ", section).split())


def _data(bench_pfof_usd: float, *, policy: dict[str, Any] | None) -> RunData:
    orders = pd.DataFrame({"router": ["best-price", "wholesaler", "my-plugin", "post-then-take"],
                           "pfof_usd": [0.0, bench_pfof_usd, 0.0, 0.0]})
    manifest: dict[str, Any] = {"routers": [], "scenario": {}}
    if policy is not None:
        manifest["review_policy"] = policy
    return RunData(folder=Path("toy"), manifest=manifest, tables={"tca/orders.parquet": orders})


def test_the_default_policy_names_best_price_whatever_scores_best():
    """generous beats best-price on price improvement (300 vs 200 cph) and is listed first among the references, yet
    best-price is the benchmark of every reference rule, because the default policy names it; naming generous makes
    it the benchmark."""
    orders, fills, children, context = paying_case()
    policy = ReviewPolicy(reference_routers=["generous", "best-price"])
    assert policy.benchmark_router == load_policy().benchmark_router == "best-price"
    review = review_tables(orders, fills, context=context, children=children, policy=policy).review
    paired = review[review["router"] != "best-price"]
    assert set(paired.loc[paired["figure"] == "pi_per_share", "benchmark"]) == {"best-price"}
    named = ReviewPolicy(benchmark_router="generous", reference_routers=["generous", "best-price"])
    review = review_tables(orders, fills, context=context, children=children, policy=named).review
    others = review[(review["router"] != "generous") & (review["figure"] == "pi_per_share")]
    assert set(others["benchmark"]) == {"generous"}


def test_statements_say_who_named_the_benchmark_and_whether_it_is_conflict_free():
    policy = {"benchmark_router": "best-price", "reference_routers": ["best-price"]}
    text = benchmark_statement(_data(0.0, policy=policy), "best-price")
    assert text["conflict_free"] and text["text"].startswith(
        "Benchmark: best-price, named by the review policy (benchmark_router); conflict-free: breaks ties by "
        + BEST_PRICE_TIE_BREAK)
    pfof = benchmark_statement(_data(193.0, policy={**policy, "benchmark_router": "wholesaler"}), "wholesaler")
    assert not pfof["conflict_free"]
    assert pfof["text"] == ("Benchmark: wholesaler, named by the review policy (benchmark_router); not "
                            "conflict-free: it received 193.00 of payment for order flow in this run, so the review "
                            "measures every router against a conflicted benchmark; the policy's choice is honoured "
                            "as written.")
    plugin = benchmark_statement(_data(0.0, policy={**policy, "benchmark_router": "my-plugin"}), "my-plugin")
    assert not plugin["conflict_free"] and "does not know how it breaks ties" in plugin["text"]
    rebate = benchmark_statement(_data(0.0, policy={**policy, "benchmark_router": "post-then-take"}),
                                 "post-then-take")
    assert not rebate["conflict_free"] and "fees or rebates the broker keeps" in rebate["text"]
    stand_in = benchmark_statement(_data(0.0, policy={**policy, "benchmark_router": "gone"}), "best-price")
    assert "its benchmark_router gone did not run" in stand_in["text"] and stand_in["conflict_free"]
    assert benchmark_statement(_data(0.0, policy=policy), None)["router"] is None


def test_the_first_screen_names_best_price_on_the_default_policy(report_run):
    """The shared small run (best-price, wholesaler, rebate-max, single-venue) under the shipped policy."""
    review = pd.read_csv(report_run / "tca" / "review.csv")
    paired = review[(review["router"] != "best-price") & review["rule"].isin(["pi-marketable", "eq-marketable"])]
    assert len(paired) > 0 and set(paired["benchmark"]) == {"best-price"}
    summary = _summary_html(report_run)
    assert ("Benchmark: best-price, named by the review policy (benchmark_router); conflict-free: breaks ties by "
            + BEST_PRICE_TIE_BREAK) in summary
    assert "best conflict-free reference router" not in summary


def test_a_policy_naming_the_pfof_router_is_honoured_and_the_first_screen_says_so(tmp_path):
    run = small_report_run(tmp_path, routers=["best-price", "wholesaler"],
                           review_policy=ReviewPolicy(benchmark_router="wholesaler"))
    review = pd.read_csv(run / "tca" / "review.csv")
    pi = review[(review["router"] == "best-price") & (review["rule"] == "pi-marketable")]
    assert set(pi["benchmark"]) == {"wholesaler"}
    pfof = pd.read_parquet(run / "tca" / "orders.parquet").query("router == 'wholesaler'")["pfof_usd"].sum()
    assert pfof > 0
    summary = _summary_html(run)
    assert "Benchmark: wholesaler, named by the review policy (benchmark_router); not conflict-free: it received " \
           f"{pfof:,.2f} of payment for order flow in this run" in summary
