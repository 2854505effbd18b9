"""The report's context builders, on hand-made tables: each section says what the run folder's tables say."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from harness.errors import UserError
from harness.report import fmt
from harness.report.context import (
    benchmark_router,
    exceptions_section,
    findings_text,
    paired_section,
    review_section,
    router_verdicts,
    summary_section,
)
from harness.report.data import RunData, load_run_data
from harness.report.evidence import conflict_section, incentive_part, venue_pi_cph, venue_terms
from harness.report.methodology import flatten, parameter_tables, rerun_command
from harness.report.provenance import BEGIN, END, comparable_bytes


def _manifest(routers: list[str], *, runs: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    scenario = {
        "name": "toy", "session": {"date": "2026-01-02", "start": "09:30:00", "end": "09:31:00", "seed": 1},
        "venues": [
            {"name": "LIT", "kind": "lit", "fees": {"model": "maker-taker", "take_usd": 0.003, "make_usd": -0.002,
                                                     "pfof_usd": 0.0}, "protection": "reject"},
            {"name": "WHS", "kind": "wholesaler", "fees": {"model": "flat", "take_usd": 0.0, "make_usd": 0.0,
                                                            "pfof_usd": 0.004},
             "wholesaler": {"improvement_mean": 0.3, "max_order_shares": 5000}},
        ],
        "symbols": [{"name": "AAA", "price_usd": 10.0, "sp500": True}],
    }
    return {"scenario": scenario, "seeds": [1], "routers": [{"name": r, "origin": "built-in", "params": {}}
                                                            for r in routers],
            "runs": runs if runs is not None else [{"router": r, "seed": 1, "status": "ok"} for r in routers],
            **extra}


def _data(routers: list[str], tables: dict[str, pd.DataFrame] | None = None, **manifest: Any) -> RunData:
    return RunData(folder=Path("toy"), manifest=_manifest(routers, **manifest), tables=dict(tables or {}))


def _review(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """review.csv rows from (router, rule, symbol, status); figures pi_per_share against router "ref"."""
    return pd.DataFrame([{
        "router": r, "rule": rule, "figure": "pi_per_share", "order_classes": "market marketable_limit",
        "symbol": sym, "benchmark": "ref", "value": 0.001, "benchmark_value": 0.002, "diff": -0.001,
        "ci_low": -0.002, "ci_high": -0.0005, "review_threshold": 0.0005, "fail_threshold": 0.002, "status": st,
        "orders": 10, "detail": "x"} for r, rule, sym, st in rows])


def test_a_routers_verdict_is_the_worst_status_of_its_review_rows():
    review = _review([("a", "r1", "all", "pass"), ("a", "r2", "all", "review"), ("a", "r1", "AAA", "pass"),
                      ("b", "r1", "all", "pass"), ("b", "r2", "all", "review"), ("b", "r1", "AAA", "fail"),
                      ("ref", "r1", "all", "pass")])
    verdicts = {v.router: v for v in router_verdicts(_data(["a", "b", "ref"], {"tca/review.csv": review}))}
    assert verdicts["a"].verdict == "review"  # pass, review, pass
    assert verdicts["b"].verdict == "fail"  # one fail among them decides
    assert verdicts["ref"].verdict == "pass"
    assert verdicts["b"].counts == {"pass": 1, "review": 1, "fail": 1}
    assert findings_text(verdicts["b"]) == "fail: r1 (AAA); review: r2"
    assert verdicts["ref"].benchmark and not verdicts["a"].benchmark


def test_a_router_whose_simulations_failed_is_shown_as_failed_with_its_error():
    runs = [{"router": "a", "seed": 1, "status": "ok"},
            {"router": "crasher", "seed": 1, "status": "failed", "error": "router 'crasher' failed: boom"}]
    data = _data(["a", "crasher"], {"tca/review.csv": _review([("a", "r1", "all", "pass")])}, runs=runs)
    verdicts = {v.router: v for v in router_verdicts(data)}
    assert verdicts["crasher"].verdict == "failed"
    assert verdicts["crasher"].run_status == "failed"
    assert "boom" in verdicts["crasher"].errors[0]
    table = summary_section(data)["table"]
    row = next(r for r in table.rows if r.cells[0].text == "crasher")
    assert row.cells[1].text == "failed" and row.cells[2].text == "failed"
    assert verdicts["a"].verdict == "pass"


def test_a_partly_failed_router_keeps_its_review_verdict_and_is_marked_partial():
    runs = [{"router": "a", "seed": 1, "status": "ok"}, {"router": "a", "seed": 2, "status": "failed", "error": "e"}]
    data = _data(["a"], {"tca/review.csv": _review([("a", "r1", "all", "review")])}, runs=runs)
    (v,) = router_verdicts(data)
    assert (v.run_status, v.verdict) == ("partial", "review")


def test_without_a_review_every_router_has_no_review_and_the_section_says_it_is_missing():
    data = _data(["a"])
    assert router_verdicts(data)[0].verdict == "no review"
    assert review_section(data)["available"] is False


def test_the_conflict_flag_and_reason_come_from_the_conflict_summary():
    conflict = pd.DataFrame([
        {"router": "a", "paying_venue_share": 0.9, "payment_elasticity": np.nan, "elasticity_ci_low": np.nan,
         "elasticity_ci_high": np.nan, "broker_net_payment_cph": 30.0, "customer_net_pi_cph": 5.0,
         "reference_router": "ref", "regret_cph": 10.0, "regret_ci_low": 5.0, "regret_ci_high": 15.0,
         "flagged": True, "reason": "flagged: outcome"},
        {"router": "ref", "paying_venue_share": 0.1, "payment_elasticity": np.nan, "elasticity_ci_low": np.nan,
         "elasticity_ci_high": np.nan, "broker_net_payment_cph": 0.0, "customer_net_pi_cph": 20.0,
         "reference_router": "ref", "regret_cph": 0.0, "regret_ci_low": 0.0, "regret_ci_high": 0.0,
         "flagged": False, "reason": "not flagged: is the reference router"}])
    data = _data(["a", "ref"], {"conflict/summary.csv": conflict})
    verdicts = {v.router: v for v in router_verdicts(data)}
    assert verdicts["a"].flagged is True and verdicts["a"].conflict_reason == "flagged: outcome"
    assert verdicts["ref"].flagged is False
    assert benchmark_router(data) == "ref"  # no review: the conflict summary's reference router
    assert [f["router"] for f in summary_section(data)["findings"]] == ["a"]  # only flagged routers are listed
    section = conflict_section(data)
    cells = [c.text for c in section["summary"].rows[0].cells]
    assert cells[0] == "a" and cells[-1] == "flagged" and cells[4] == "+30.00"


def test_the_benchmark_router_is_the_one_the_review_names_most():
    review = _review([("a", "r1", "all", "fail"), ("b", "r1", "all", "fail")])
    review.loc[1, "benchmark"] = "0.001"  # a fixed benchmark is not a router
    assert benchmark_router(_data(["a", "b", "ref"], {"tca/review.csv": review})) == "ref"
    review["benchmark"] = "0.0 (fallback: no reference router)"
    assert benchmark_router(_data(["a", "b"], {"tca/review.csv": review})) is None


def test_without_an_incentive_test_the_section_says_so():
    empty = pd.DataFrame(columns=["router", "payment_elasticity", "elasticity_ci_low", "elasticity_ci_high", "seeds",
                                  "twins", "observations", "note"])
    part = incentive_part(_data(["a"], {"conflict/elasticity.csv": empty}, incentive_twins=0))
    assert part["table"] is None and not part["measured"]
    assert part["text"].startswith("No incentive test in this run")
    assert "sorbench run --incentive-test" in part["text"]


def test_with_an_incentive_test_its_elasticities_are_tabled():
    el = pd.DataFrame([{"router": "a", "channel": "maker_rebate", "payment_elasticity": 6.08, "elasticity_ci_low": 4.81,
                        "elasticity_ci_high": 7.01, "seeds": 5, "twins": 3, "observations": 96, "note": None}])
    part = incentive_part(_data(["a"], {"conflict/elasticity.csv": el}, incentive_twins=3))
    assert part["measured"] and part["table"].body_rows == 1
    assert [c.text for c in part["table"].rows[0].cells][:4] == ["a", "maker rebates", "+6.08", "+4.81 to +7.01"]
    # a table written before channels existed reads as the mixed channel
    old = incentive_part(_data(["a"], {"conflict/elasticity.csv": el.drop(columns="channel")}, incentive_twins=3))
    assert [c.text for c in old["table"].rows[0].cells][1] == "PFOF + maker rebates"
    assert "3 payment twin(s)" in part["text"]


def _paired_row(a: str, b: str, n: int, values: tuple[float, float], diff: tuple[float, float, float], better: str,
                **extra: object) -> dict[str, object]:
    return {"figure": "pi_per_share", "router_a": a, "router_b": b, "higher_is_better": True, "order_class": "all",
            "symbol": "all", "size_bucket": "all", "weight": 1.0, "seeds": 5, "n": n, "value_a": values[0],
            "value_b": values[1], "mean_diff": diff[0], "ci_low": diff[1], "ci_high": diff[2],
            "zero_excluded": bool(better), "better": better or None, "verdict": "", **extra}


def test_paired_differences_are_turned_into_router_minus_benchmark():
    # router_a is alphabetically first: "a" - "ref" = -0.002 (interval -0.003..-0.001), "ref" better.
    # For "z" the pair is ("ref", "z"): ref - z = +0.001 (0.0005..0.0015), so z - ref = -0.001 (-0.0015..-0.0005).
    # The market-order stratum rows go to the per-class table only, not to the overall ones.
    paired = pd.DataFrame([
        _paired_row("a", "ref", 10, (0.001, 0.003), (-0.002, -0.003, -0.001), "ref"),
        _paired_row("ref", "z", 12, (0.003, 0.002), (0.001, 0.0005, 0.0015), "ref"),
        _paired_row("a", "z", 11, (0.001, 0.002), (-0.001, -0.002, 0.0001), ""),
        _paired_row("a", "ref", 4, (0.001, 0.002), (-0.001, float("nan"), float("nan")), "", order_class="market",
                    weight=0.4, seeds=3, verdict="too few seeds for a verdict (3; need 5)"),
    ])
    section = paired_section(_data(["a", "ref", "z"], {"tca/paired.csv": paired}), "ref")
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in section["vs_bench"].rows if not r.group}
    # shown in cph (USD per share x 10,000): 0.001 -> +10.00
    assert rows["a"] == ["a", "5", "10", "+10.00", "+30.00", "-20.00", "-30.00 to -10.00", "worse"]
    assert rows["z"] == ["z", "5", "12", "+20.00", "+30.00", "-10.00", "-15.00 to -5.00", "worse"]
    assert "stratum all" in section["vs_bench"].caption and "common market" in section["vs_bench"].caption
    assert section["all_pairs"].body_rows == 3
    by_class = [[c.text for c in r.cells] for r in section["by_class"].rows if not r.group]
    # too few seeds: no interval (a dash) and the result says why
    assert by_class == [["a", "market", "40.0%", "3", "4", "+10.00", "+20.00", "-10.00", "\u2013",
                         "too few seeds for a verdict (3; need 5)"]]


def test_exceptions_are_counted_per_router_and_rule():
    exc = pd.DataFrame([
        {"router": "a", "seed": 1, "parent_id": p, "symbol": "AAA", "side": "buy", "order_class": "market",
         "rule": rule, "value": 0.5, "threshold": 0.1, "venue": None, "detail": "d"}
        for p, rule in ((1, "poor_fill"), (2, "poor_fill"), (3, "slow_first_fill"))])
    section = exceptions_section(_data(["a", "b"], {"tca/exceptions.csv": exc}))
    counts = {r.cells[0].text: [c.text for c in r.cells] for r in section["counts"].rows}
    header = section["counts"].columns
    assert counts["a"][header.index("poor fill")] == "2"
    assert counts["a"][header.index("slow first fill")] == "1"
    assert counts["a"][-1] == "3" and counts["b"][-1] == "0"
    assert section["total"] == 3 and section["list"].body_rows == 3


def test_venue_pi_is_share_weighted_against_the_arrival_quote():
    # Buy parent 1 (arrival bid 9.99, ask 10.01): 100 @ 10.00 at LIT -> PI +0.01; 300 @ 10.01 at LIT -> 0.
    # Share-weighted: (100 x 0.01 + 300 x 0) / 400 = 0.0025 $/share = 25 cph. Sell parent 2 (bid 10.00): 100 @ 10.002
    # at WHS -> PI = 10.002 - 10.00 = 0.002 = 20 cph.
    orders = pd.DataFrame({"router": ["a", "a"], "seed": [1, 1], "parent_id": [1, 2], "arrival_bid": [9.99, 10.00],
                           "arrival_ask": [10.01, 10.02]})
    fills = pd.DataFrame({"router": ["a"] * 3, "seed": [1] * 3, "parent_id": [1, 1, 2], "venue": ["LIT", "LIT", "WHS"],
                          "side": ["buy", "buy", "sell"], "qty": [100, 300, 100], "price": [10.00, 10.01, 10.002]})
    pis = venue_pi_cph(_data(["a"], {"tca/orders.parquet": orders, "fills.parquet": fills}))
    assert pis[("a", "LIT")] == pytest.approx(25.0)
    assert pis[("a", "WHS")] == pytest.approx(20.0)


def test_venue_payments_come_from_the_fee_schedule():
    terms = venue_terms(_data(["a"]))
    assert terms["LIT"]["pays_make_usd"] == pytest.approx(0.002)  # the maker rebate
    assert terms["LIT"]["pays_take_usd"] == 0.0  # a taker pays there
    assert terms["WHS"]["pays_take_usd"] == pytest.approx(0.004)  # PFOF


def test_every_scenario_parameter_appears_in_the_methodology_tables():
    data = _data(["a"])
    data.manifest["scenario"]["mystery"] = {"knob": 7}  # a field the report has no special table for
    cells = {c.text for g in parameter_tables(data) for r in g["table"].rows for c in r.cells}
    for key, _value in flatten(data.manifest["scenario"]["venues"][1]):
        assert key in cells, key
    assert "wholesaler.improvement_mean" in cells and "mystery.knob" in cells and "7" in cells


def test_the_rerun_command_names_the_scenario_file_routers_and_seeds():
    data = _data(["best-price", "mine"], scenario_file="/s/x.toml", incentive_twins=2)
    data.manifest["routers"][1]["origin"] = "plugins/mine.py:Mine"
    data.manifest["seeds"] = [1, 2, 3]
    cmd = rerun_command(data)
    assert cmd == ("sorbench run /s/x.toml --router best-price --router plugins/mine.py:Mine --seeds 3 "
                   "--incentive-test --incentive-twins 2 --out NEW_FOLDER")


def test_number_formats_never_show_nan_or_negative_zero():
    assert fmt.usd4(float("nan")) == fmt.DASH and fmt.pct(None) == fmt.DASH
    assert fmt.usd4(-0.00001) == "0.0000" and fmt.usd4(0.0040) == "+0.0040" and fmt.usd4(-0.0049) == "-0.0049"
    assert fmt.price(0.004034) == "+40.34" and fmt.price(-0.0000001) == "0.00" and fmt.price(None) == fmt.DASH
    assert fmt.figure_diff("pi_per_share", -0.0049) == "-49.00"  # every price figure in cph
    assert fmt.pct(0.97464) == "97.5%" and fmt.bps(0.000199) == "1.99" and fmt.ms(32833.7) == "32,834"
    assert fmt.figure_diff("fill_rate", -0.632) == "-63.2 pts"
    assert fmt.figure_interval("fill_rate", -0.723, -0.507) == "-72.3 to -50.7 pts"
    assert fmt.figure_interval("pi_per_share", math.nan, 0.1) == fmt.DASH


def test_the_run_specific_block_is_all_that_comparable_bytes_removes():
    html = f"<p>a</p>{BEGIN}<p>commit 123</p>{END}<p>b</p>{BEGIN}x{END}".encode()
    assert comparable_bytes(html) == f"<p>a</p>{BEGIN}{END}<p>b</p>{BEGIN}{END}".encode()
    other = html.replace(b"commit 123", b"commit 456")
    assert comparable_bytes(other) == comparable_bytes(html)
    assert comparable_bytes(html.replace(b"<p>b</p>", b"<p>c</p>")) != comparable_bytes(html)


def _folder(tmp_path: Path, manifest: dict[str, Any] | None = None) -> Path:
    (tmp_path / "tca").mkdir()
    (tmp_path / "manifest.json").write_text(json.dumps(manifest or _manifest(["a"])), encoding="utf-8")
    return tmp_path


def test_an_unreadable_table_is_a_one_line_error_naming_the_file(tmp_path):
    folder = _folder(tmp_path)
    (folder / "tca" / "review.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(UserError, match=r"tca/review\.csv: cannot read") as err:
        load_run_data(folder)
    assert "\n" not in str(err.value)


def test_a_table_without_a_needed_column_is_named(tmp_path):
    folder = _folder(tmp_path)
    (folder / "tca" / "exceptions.csv").write_text("router,seed\na,1\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"tca/exceptions\.csv: column 'parent_id' is missing"):
        load_run_data(folder)


def test_a_folder_without_a_manifest_is_not_a_run_folder(tmp_path):
    with pytest.raises(UserError, match=r"manifest\.json: not found"):
        load_run_data(tmp_path)
    with pytest.raises(UserError, match="not a run folder"):
        load_run_data(tmp_path / "nope")


def test_router_names_that_look_like_numbers_or_missing_values_stay_names(tmp_path):
    folder = _folder(tmp_path, _manifest(["NA", "1"]))
    (folder / "summary.csv").write_text("router,status,orders,fill_rate,pi_per_share,eq_ratio\nNA,ok,3,1,0,0\n"
                                        "1,ok,3,1,0,0\n", encoding="utf-8")
    data = load_run_data(folder)
    assert list(data.table("summary.csv")["router"]) == ["NA", "1"]
