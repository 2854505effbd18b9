"""Regulatory files: Rule 605 summary rows and Rule 606(a)(1) / 606(b)(3) figures are checked against hand-worked
numbers, and the files against the SEC's own metadata and schema when ../shared/regulatory is present.

Case R: case A of tests/analytics/cases.py (router R, seed 1, symbol XYZ, in the S&P 500 per the manifest, session
2026-11-20) with fees split into fee / rebate / PFOF columns, and V2 paying PFOF of $0.001 per share:
    f1 order 1 V1 100 @ 10.05 removed fee 0.30          f2 order 1 V2 200 @ 10.10 removed fee 0.60 PFOF 0.20
    f3 order 2 V1 200 @ 10.08 added rebate 0.40         f4 order 3 V2 100 @ 10.14 removed fee 0.30 PFOF 0.10
Orders (from case A): 1 market buy 300 (m0 10.05, notional 3015 -> bucket 1000), 2 marketable limit sell 500
(m0 10.07, 5035 -> 5000), 3 marketable limit buy 100 (m0 10.09, 1009 -> 1000), 4 non-marketable buy 200 (no fills).
Children: 11 (order 1, V1 ioc 100), 12 (1, V2 day 200), 21 (2, V1 day 500, sent 1500 ms), 31 (3, V2 ioc 100),
41 (4, V3 day 200). V1 routes out (protection "route_out"); V2 and V3 reject.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from harness.analytics import analyze, load_policy
from harness.analytics.context import RunContext, load_run_context
from harness.analytics.regulatory import (
    OES_COLUMNS,
    OES_EXECUTION_FIELDS,
    RegulatoryConfig,
    compute_regulatory,
    entity_codes,
    oes_number,
    rule605_csv,
    validate_605,
    validate_606,
)
from tests.analytics import builders as b
from tests.analytics import cases

SHARED = Path(__file__).resolve().parents[3] / "shared" / "regulatory"
XSD = SHARED / "oh-20191231.xsd"
OES_META = SHARED / "oes-metadata.json"
MS = 1_000_000

MANIFEST = {
    "scenario": {
        "session": {"date": "2026-11-20"},
        "symbols": [{"name": "XYZ", "sp500": True, "price_usd": 10.0}],
        "venues": [
            {"name": "V1", "kind": "lit", "protection": "route_out",
             "fees": {"model": "maker-taker", "take_usd": 0.003, "make_usd": -0.002, "pfof_usd": 0.0}},
            {"name": "V2", "kind": "wholesaler", "fees": {"model": "flat", "take_usd": 0.003, "make_usd": 0.0,
                                                          "pfof_usd": 0.001}},
            {"name": "V3", "kind": "dark", "fees": {"model": "flat", "take_usd": 0.001, "make_usd": 0.001}},
        ],
    },
}


def case_r_tables() -> dict[str, pd.DataFrame]:
    fills = cases.CASE_A_FILLS.copy()
    fills["rebate_usd"] = (-fills["fee_usd"]).clip(lower=0)
    fills["fee_usd"] = fills["fee_usd"].clip(lower=0)
    fills["pfof_usd"] = (fills["venue"] == "V2") * fills["qty"] * 0.001
    children = cases.CASE_A_CHILDREN.copy()
    children["sent_ts_ns"] = children["parent_id"].map({1: 500, 2: 1500, 3: 398_500, 4: 1200}) * MS
    children["venue_ts_ns"] = children["sent_ts_ns"] + MS
    children["iso"] = False
    return {**cases.case_a_tables(), "fills": fills, "child_orders": children}


def write_case(folder: Path, tables: dict[str, pd.DataFrame] | None = None, manifest: dict | None = MANIFEST) -> Path:
    run = b.write_run(folder, tables or case_r_tables())
    if manifest is not None:
        (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return run


def reports(folder: Path, config: RegulatoryConfig | None = None):
    from harness.analytics import compute_tca, load_run_folder

    context = load_run_context(folder)
    tables = compute_tca(load_run_folder(folder), policy=load_policy(), context=context)
    return compute_regulatory(tables.orders, tables.fills, tables.venues, context=context, config=config)


def test_oes_numbers_round_half_up_to_six_decimals_without_trailing_zeros():
    # the spec's own example: 12.3456789 -> 12.345679; half a millionth rounds up; whole numbers print bare
    assert oes_number(12.3456789) == "12.345679"
    assert oes_number(0.0000005) == "0.000001"
    assert oes_number(-0.0000004) == "0"
    assert (oes_number(1.0), oes_number(27.8), oes_number(float("nan"))) == ("1", "27.8", "")


def test_entity_codes_are_capital_letters_distinct_per_router():
    assert entity_codes(["best-price", "best_price", "x1"]) == {"best-price": "BESTPRICE", "best_price": "BESTPRICEB",
                                                                "x1": "X"}
    assert entity_codes(["9"]) == {"9": "ROUTER"}
    assert entity_codes(["a"], {"a": "ZZ"}) == {"a": "ZZ"}
    with pytest.raises(ValueError, match="must be capital letters"):
        entity_codes(["a"], {"a": "zz"})


def test_rule605_rows_match_the_hand_worked_figures(tmp_path):
    table = reports(write_case(tmp_path / "run")).rule605.set_index(["Sp500", "OrderType", "OrderSize"])
    # rows: market 1000 and 199999 (order 1); marketable limit 1000 (order 3), 5000 (order 2), 199999 (both);
    # order 4 is non-marketable, so not covered. All S&P 500 (Y), entity R, month 202611, participant T.
    assert list(table.index) == [("Y", "M", "1000"), ("Y", "M", "199999"), ("Y", "ML", "1000"), ("Y", "ML", "5000"),
                                 ("Y", "ML", "199999")]
    assert set(table["DsgntParticipant"]) == {"T"} and set(table["RprtEntityCd"]) == {"R"}
    assert set(table["RptDate"]) == {"202611"}
    market = table.loc[("Y", "M", "1000")].to_dict()
    # order 1: 300 shares, notional 3015, m0 10.05. PI: f1 +0.05 x 100, f2 0 x 200 -> at quote or better 300/300,
    # improved 100/300; weighted % PI = 5 / (10.05 x 300) = 0.0016584; ES 20/300 = 0.0666667 -> / 10.05 = 0.0066335;
    # quoted % = 0.10 x 300 / 3015 = 0.0099502; E/Q = 20 / 30; RS15s = RS60s = -0.0133333 / 10.05 = -0.0013267;
    # execution time (100 ms x 100 + 200 ms x 200) / 300 = 166.666667 ms
    assert market == {
        "DsgntParticipant": "T", "RprtEntityCd": "R", "RptDate": "202611", "AvgOrderQty": "300",
        "AvgOrderSize": "3015", "ExctdOrderMidPtAvg": "10.05", "PctExctdAtQuotOrBetter": "1",
        "PctExctdPI": "0.333333", "WghtdAvgPctPI": "0.001658", "AvgEffctvSprdPct": "0.006633",
        "AvgPctQuotSprd": "0.00995", "AvgEFQPct": "0.666667", "AvgRealSprdPct15sec": "-0.001327",
        "AvgRealSprdPct1min": "-0.001327", "WghtdAvgExctnTime": "166.666667",
    }
    assert table.loc[("Y", "M", "199999")].to_dict() == market  # the only market order is below $200k
    # order 3 alone: at the quote (PI 0), ES 0.10 / 10.09 = 0.0099108 = quoted %, E/Q 1; execution 500 ms. Its fill
    # (buy 100 @ 10.14 at 399,000 ms) is less than 15 s before the NBBO history ends (400,000 ms, the session's
    # close): Rule 605 then uses the final NBBO's midpoint, (10.10 + 10.20) / 2 = 10.15, for both horizons:
    # RS = 2 x (10.14 - 10.15) = -0.02 -> / 10.09 = -0.0019822 (before issue 14 both fields were left empty)
    small = table.loc[("Y", "ML", "1000")]
    assert (small["AvgOrderQty"], small["AvgOrderSize"], small["PctExctdPI"], small["AvgEffctvSprdPct"],
            small["AvgEFQPct"], small["AvgRealSprdPct15sec"], small["AvgRealSprdPct1min"],
            small["WghtdAvgExctnTime"]) == ("100", "1009", "0", "0.009911", "1", "-0.001982", "-0.001982", "500")
    # order 2 alone: 200 of 500 filled at 10.08, m0 10.07: PI 0.06 -> 12 / (10.07 x 200) = 0.0059583;
    # ES -0.02 / 10.07 = -0.0019861; RS15s 0.02 / 10.07 = 0.0019861; execution 300 ms
    mid = table.loc[("Y", "ML", "5000")]
    assert (mid["AvgOrderQty"], mid["AvgOrderSize"], mid["WghtdAvgPctPI"], mid["AvgEffctvSprdPct"],
            mid["AvgEFQPct"], mid["AvgRealSprdPct15sec"], mid["WghtdAvgExctnTime"]) == (
        "500", "5035", "0.005958", "-0.001986", "-0.2", "0.001986", "300")
    # both: qty (500 + 100) / 2 = 300, notional (5035 + 1009) / 2 = 3022; midpoint (10.07 x 200 + 10.09 x 100) / 300
    # = 10.076667; improved 200/300; % PI 12 / 3023 = 0.0039696; % ES (-0.397219 + 0.991080) / 300 = 0.0019795;
    # quoted % 30 / 3023 = 0.0099239; E/Q (-4 + 10) / 30 = 0.2; RS15s share-weighted over both fills:
    # (0.0019861 x 200 - 0.0019822 x 100) / 300 = 0.0006634; execution (300 x 200 + 500 x 100) / 300 = 366.666667
    both = table.loc[("Y", "ML", "199999")]
    assert (both["AvgOrderQty"], both["AvgOrderSize"], both["ExctdOrderMidPtAvg"], both["PctExctdPI"],
            both["WghtdAvgPctPI"], both["AvgEffctvSprdPct"], both["AvgPctQuotSprd"], both["AvgEFQPct"],
            both["AvgRealSprdPct15sec"], both["WghtdAvgExctnTime"]) == (
        "300", "3022", "10.076667", "0.666667", "0.00397", "0.00198", "0.009924", "0.2", "0.000663", "366.666667")


def test_rule605_file_is_the_specs_layout_and_conforms_to_the_sec_metadata(tmp_path):
    data = reports(write_case(tmp_path / "run")).files["rule605_summary.csv"]
    lines = data.decode("ascii").split("\r\n")
    assert lines[0] == ",".join(OES_COLUMNS) and lines[-1] == "" and len(lines) == 7
    if not OES_META.is_file():
        pytest.skip("../shared/regulatory/oes-metadata.json not present")
    assert validate_605(data, OES_META) == []
    metadata = json.loads(OES_META.read_text(encoding="utf-8"))
    assert [c["name"] for c in metadata["tables"][0]["tableSchema"]["columns"]] == OES_COLUMNS


def test_validate_605_finds_what_breaks_the_metadata(tmp_path):
    if not OES_META.is_file():
        pytest.skip("../shared/regulatory/oes-metadata.json not present")
    assert validate_605((SHARED / "oes-sample.csv").read_bytes(), OES_META) == []  # the SEC's sample conforms
    table = reports(write_case(tmp_path / "run")).rule605
    bad = table.copy()
    bad.loc[0, "OrderType"] = "IOC"
    bad.loc[1, "PctExctdPI"] = "1.5"
    problems = validate_605(rule605_csv(bad), OES_META)
    assert any("OrderType: 'IOC' does not match" in p for p in problems)
    assert any("PctExctdPI: 1.5 is above the maximum" in p for p in problems)
    assert validate_605(rule605_csv(table).replace(b"\r\n", b"\n"), OES_META) == ["records must each end with CRLF"]


def test_validate_605_rejects_an_empty_required_field_in_a_record_with_executions(tmp_path):
    """AvgRealSprdPct1min is required with no null values: empty is an error unless the record executed nothing.

    Record 2 (the first data record) has executions; emptying its 1-minute realized spread is reported. Emptying
    every execution field (iii)-(xii) of it is the spec's record without executions (footnote 2): allowed. The
    average order size is never optional. AvgEFQPct lists "" among its null values (the SEC's sample leaves it
    empty where the quoted spread is zero): allowed empty.
    """
    if not OES_META.is_file():
        pytest.skip("../shared/regulatory/oes-metadata.json not present")
    table = reports(write_case(tmp_path / "run")).rule605
    assert (table[OES_EXECUTION_FIELDS] != "").all().all()  # every record of case R has executions and values
    hole = table.copy()
    hole.loc[0, "AvgRealSprdPct1min"] = ""
    assert validate_605(rule605_csv(hole), OES_META) == ["record 2, AvgRealSprdPct1min: required field is empty"]
    none = table.copy()
    none.loc[0, OES_EXECUTION_FIELDS] = ""
    assert validate_605(rule605_csv(none), OES_META) == []
    none.loc[0, "AvgOrderSize"] = ""
    assert validate_605(rule605_csv(none), OES_META) == ["record 2, AvgOrderSize: required field is empty"]
    efq = table.copy()
    efq.loc[0, "AvgEFQPct"] = ""
    assert validate_605(rule605_csv(efq), OES_META) == []


def test_rule605_realized_spreads_past_the_close_use_the_final_midpoint_with_or_without_the_nbbo(tmp_path):
    """Given the NBBO history, a fill is past the close when exec + horizon > the last NBBO timestamp.

    Case R with the NBBO history passed: the same figures as without it (the only missing figures of case R are
    the horizons past 400,000 ms). With the history cut at 399,500 ms (so the close is at 399,500 and the final
    midpoint is the one in force there, (10.04 + 10.14) / 2 = 10.09), order 3's fill at 399,000 ms gets
    2 x (10.14 - 10.09) / 10.09 = 0.0099108 at both horizons.
    """
    from harness.analytics import compute_tca, load_run_folder

    folder = write_case(tmp_path / "run")
    context = load_run_context(folder)
    inputs = load_run_folder(folder)
    tables = compute_tca(inputs, policy=load_policy(), context=context)
    with_nbbo = compute_regulatory(tables.orders, tables.fills, tables.venues, context=context, nbbo=inputs.nbbo)
    assert with_nbbo.rule605.equals(reports(folder).rule605)
    tables_cut = case_r_tables()
    tables_cut["nbbo"] = tables_cut["nbbo"][tables_cut["nbbo"]["ts_ns"] < 399_500 * MS]
    cut = write_case(tmp_path / "cut", tables_cut)
    inputs = load_run_folder(cut)
    tables = compute_tca(inputs, policy=load_policy(), context=load_run_context(cut))
    row = compute_regulatory(tables.orders, tables.fills, tables.venues, context=load_run_context(cut),
                             nbbo=inputs.nbbo).rule605.set_index(["Sp500", "OrderType", "OrderSize"]).loc[
        ("Y", "ML", "1000")]
    assert (row["AvgRealSprdPct15sec"], row["AvgRealSprdPct1min"]) == ("0.009911", "0.009911")


@pytest.mark.slow
def test_a_small_real_runs_605_file_has_no_empty_required_field(tmp_path):
    """The default scenario cut to 40 s: every fill is less than a minute before the close, so without the rule's
    final-midpoint proviso every record with executions would have an empty AvgRealSprdPct1min."""
    if not OES_META.is_file():
        pytest.skip("../shared/regulatory/oes-metadata.json not present")
    from tests.report.conftest import small_report_run

    run = small_report_run(tmp_path, routers=["best-price", "wholesaler", "single-venue"])
    data = (run / "regulatory" / "rule605_summary.csv").read_bytes()
    assert validate_605(data, OES_META) == []
    table = pd.read_csv(run / "regulatory" / "rule605_summary.csv", dtype=str, keep_default_na=False)
    executed = table[table["ExctdOrderMidPtAvg"] != ""]
    assert len(executed) > 0 and (executed["AvgRealSprdPct1min"] != "").all()


def _text(doc: etree._Element, path: str) -> list[str]:
    return [e.text or "" for e in doc.findall(path)]


def test_606a1_percentages_and_net_payments_match_the_hand_worked_figures(tmp_path):
    doc = etree.fromstring(reports(write_case(tmp_path / "run")).files["rule606a1.xml"])
    assert (_text(doc, "bd"), _text(doc, "year"), _text(doc, "qtr")) == (["sorbench simulated broker"], ["2026"],
                                                                          ["4"])
    # the quarter's three months; only November has data, and only the S&P 500 section (XYZ is in the index)
    assert _text(doc, "rMonthly/mon") == ["10", "11", "12"]
    assert doc.find("rMonthly[1]/rSP500") is None and doc.find("rMonthly[2]/rOtherStocks") is None
    sp = doc.find("rMonthly[2]/rSP500")
    # 4 orders: 1 market, 2 marketable limit, 1 non-marketable, 0 other
    assert [sp.findtext(t) for t in ("ndoPct", "ndoMarketPct", "ndoMarketableLimitPct", "ndoNonmarketableLimitPct",
                                     "ndoOtherPct")] == ["100.00", "25.00", "50.00", "25.00", "0.00"]
    venues = {v.findtext("name"): v for v in sp.findall("rVenues/rVenue")}
    assert [v.findtext("name") for v in sp.findall("rVenues/rVenue")] == ["V1", "V2", "V3"]  # 50%, 50%, 25%
    v1, v2, v3 = venues["V1"], venues["V2"], venues["V3"]
    # V1: orders 1 (market) and 2 (marketable limit) -> 2/4, market 1/1, marketable 1/2, non-marketable 0/1, other -
    assert [v1.findtext(t) for t in ("orderPct", "marketPct", "marketableLimitPct", "nonMarketableLimitPct",
                                     "otherPct")] == ["50.00", "100.00", "50.00", "0.00", ""]
    # V1 market: f1 fee 0.30 -> -0.30 USD on 100 shares = -30 cph; marketable: f3 rebate 0.40 on 200 = +20 cph
    assert [v1.findtext(f"netPmtPaidRecv{k}") for k in ("MarketOrdersUsd", "MarketOrdersCph",
                                                       "MarketableLimitOrdersUsd", "MarketableLimitOrdersCph",
                                                       "NonMarketableLimitOrdersUsd",
                                                       "NonMarketableLimitOrdersCph")] == [
        "-0.30", "-30.0000", "0.40", "20.0000", "0.00", ""]
    # V2: PFOF 0.001/share less the fees: f2 0.20 - 0.60 = -0.40 on 200 -> -20 cph; f4 0.10 - 0.30 = -0.20 on 100
    assert [v2.findtext(f"netPmtPaidRecv{k}") for k in ("MarketOrdersUsd", "MarketOrdersCph",
                                                       "MarketableLimitOrdersUsd", "MarketableLimitOrdersCph")] == [
        "-0.40", "-20.0000", "-0.20", "-20.0000"]
    assert (v3.findtext("orderPct"), v3.findtext("nonMarketableLimitPct")) == ("25.00", "100.00")
    assert "payment for order flow $0.0010 per share" in v2.findtext("materialAspects")
    assert "maker rebate $0.0020" in v1.findtext("materialAspects")


def test_606b3_per_venue_figures_match_the_hand_worked_figures(tmp_path):
    doc = etree.fromstring(reports(write_case(tmp_path / "run")).files["rule606b3.xml"])
    monthly = doc.find("hNondirected/hMonthly")
    assert (monthly.findtext("year"), monthly.findtext("mon"), monthly.findtext("sentShr")) == ("2026", "11", "1100")
    venues = {v.findtext("venueName"): {e.tag: e.text or "" for e in v} for v in monthly.findall(
        "routingVenueList/iVenue")}
    assert list(venues) == ["V1", "V2", "V3"]  # by routed shares: 600, 300, 200
    # V1: routed 600 (100 ioc), further routable 600 (routes out; no ISO, no post-only), 2 children -> 300;
    # executed 300 in 2 fills -> 50%, 150; net (rebates 0.40 - fees 0.30) / 300 = +3.3333 cph (a net rebate is
    # positive); f1 at the midpoint (100), f3 near side (200); provided 200 (rebate 0.40 -> +20 cph), 1800 - 1500 ms
    # from sending child 21 to its fill; removed 100 (fee 0.30 -> -30 cph)
    assert venues["V1"] == {
        "venueName": "V1", "routedShr": "600", "iocRoutedShr": "100", "furtherRoutableShr": "600",
        "orderSizeShr": "300.00", "executedShr": "300", "filledPct": "50.0000", "fillSizeShr": "150.00",
        "netFeeOrRebateCph": "3.3333", "midpointShr": "100", "midpointPct": "33.3333", "nearsideShr": "200",
        "nearsidePct": "66.6667", "farsideShr": "0", "farsidePct": "0.0000", "providedLiqudityShr": "200",
        "providedLiquidityPct": "66.6667", "orderDurationMsec": "300", "providedLiquidityNetCph": "20.0000",
        "removedLiquidityShr": "100", "removedLiquidityPct": "33.3333", "removedLiquidityNetCph": "-30.0000",
    }
    # V2: routed 300 (100 ioc), not routable, executed 300 far side, fees 0.90 -> -30 cph (PFOF is not an
    # execution fee or rebate: it is in 606(a)(1)); nothing provided -> no provided-liquidity fee, no duration
    v2 = venues["V2"]
    assert (v2["furtherRoutableShr"], v2["filledPct"], v2["netFeeOrRebateCph"], v2["farsidePct"],
            v2["providedLiquidityNetCph"], v2["orderDurationMsec"], v2["removedLiquidityNetCph"]) == (
        "0", "100.0000", "-30.0000", "100.0000", "", "", "-30.0000")
    # V3: routed 200, nothing executed: fill rate 0, no averages
    v3 = venues["V3"]
    assert (v3["routedShr"], v3["executedShr"], v3["filledPct"], v3["fillSizeShr"], v3["netFeeOrRebateCph"],
            v3["midpointPct"]) == ("200", "0", "0.0000", "", "", "")


def test_606_reports_validate_against_the_sec_schema(tmp_path):
    if not XSD.is_file():
        pytest.skip("../shared/regulatory/oh-20191231.xsd not present")
    # the validator itself: the SEC's samples pass, a report missing its broker fails
    for sample in ("606a1_held_order_public_report.xml", "606b3_not_held_customer_handling.xml", "606a1_empty.xml"):
        assert validate_606((SHARED / sample).read_bytes(), XSD) == [], sample
    files = reports(write_case(tmp_path / "run"), RegulatoryConfig(timestamp="2026-12-31T23:00:00Z")).files
    for name in ("rule606a1.xml", "rule606b3.xml"):
        assert validate_606(files[name], XSD) == [], name
    broken = files["rule606a1.xml"].replace(b"<bd>sorbench simulated broker</bd>", b"")
    assert validate_606(broken, XSD)


def test_one_report_per_router_and_other_stocks_without_a_manifest(tmp_path):
    # two routers, no manifest: files per router; every symbol is "other stocks"; the period is configured
    tables = case_r_tables()
    tables = {**tables, **{k: b.concat([tables[k], tables[k].assign(router="S 2")])
                           for k in ("fills", "nbbo", "child_orders")}}
    run = write_case(tmp_path / "run", tables, manifest=None)
    rep = reports(run, RegulatoryConfig(period=pd.Timestamp("2027-02-03").date(), broker="B. Roker"))
    assert sorted(rep.files) == ["rule605_summary.csv", "rule606a1_R.xml", "rule606a1_S_2.xml", "rule606b3_R.xml",
                                 "rule606b3_S_2.xml"]
    assert rep.entity_codes == {"R": "R", "S 2": "S"} and set(rep.rule605["Sp500"]) == {"N"}
    assert set(rep.rule605["RptDate"]) == {"202702"}
    doc = etree.fromstring(rep.files["rule606a1_S_2.xml"])
    assert (doc.findtext("bd"), doc.findtext("qtr"), _text(doc, "rMonthly/mon")) == ("B. Roker", "1", ["1", "2", "3"])
    assert doc.find("rMonthly[2]/rOtherStocks") is not None and doc.find("rMonthly[2]/rSP500") is None
    assert any("no venue fee schedules" in n for n in rep.notes)
    # without fee schedules the further-routable shares are unknown (empty), not zero
    b3 = etree.fromstring(rep.files["rule606b3_R.xml"])
    assert _text(b3, "hNondirected/hMonthly/routingVenueList/iVenue/furtherRoutableShr") == ["", "", ""]
    if XSD.is_file():
        assert all(validate_606(data, XSD) == [] for name, data in rep.files.items() if name.endswith(".xml"))


def test_analyze_writes_the_regulatory_folder(tmp_path):
    run = write_case(tmp_path / "run")
    result = analyze(run)
    assert result.regulatory_dir == run / "regulatory"
    assert {p.name for p in (run / "regulatory").iterdir()} == {"rule605_summary.csv", "rule606a1.xml",
                                                                "rule606b3.xml", "meta.json"}
    meta = json.loads((run / "regulatory" / "meta.json").read_text(encoding="utf-8"))
    assert meta["kind"] == "sorbench-regulatory" and meta["entity_codes"] == {"R": "R"}
    assert meta["period"] == "2026-11-20"
    # the written file is the computed one, byte for byte (the same run always gives the same files)
    assert (run / "regulatory" / "rule606a1.xml").read_bytes() == reports(run).files["rule606a1.xml"]


def test_a_malformed_manifest_is_one_line_naming_the_field(tmp_path):
    bad = json.loads(json.dumps(MANIFEST))
    bad["scenario"]["venues"][1]["fees"]["pfof_usd"] = "lots"
    run = write_case(tmp_path / "run", manifest=bad)
    from harness.errors import UserError

    with pytest.raises(UserError, match=r"manifest.json: scenario.venues\[1\].fees.pfof_usd: .*'lots'"):
        load_run_context(run)
    assert RunContext().tick("XYZ") == 0.01
