"""The report's conflict-of-interest and Rule 605/606 sections, and the first screen's benchmark statement.

``benchmark_statement`` says which router the review benchmarked against and why. The venue mix table puts each
router's routed share per venue beside what the venue pays (the manifest's fee schedule) and the quality the router
got there (the price improvement of its fills at the venue against the NBBO at the parent order's arrival, as
``tca/orders.parquet`` defines it). The 606 tables are read back from the XML files themselves, so the report shows
what was filed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.analytics.incentive import CHANNEL_LABELS, LEGACY_CHANNEL
from harness.analytics.labels import label
from harness.report import fmt
from harness.report.data import RunData
from harness.report.tables import Cell, Table, status_cell

CPH = 10_000.0


def _is_nan(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def _router_tie_break(name: str) -> tuple[bool, str | None]:
    """Whether ``name`` is a built-in router, and how it breaks ties when it is a conflict-free one (else None)."""
    from adapters.registry import builtin_registry

    registry = builtin_registry()
    if name not in registry:
        return False, None
    return True, getattr(registry.get(name), "tie_break", None)


def benchmark_statement(data: RunData, bench: str | None) -> dict[str, Any]:
    """Which router the review benchmarked against and why, for the report's first screen.

    Returns ``{"router", "text", "conflict_free"}``. The reason says who chose the router (the review policy's
    ``benchmark_router`` as recorded in the manifest, or its ``reference_routers`` when the named router did not
    run), whether it is conflict-free (a built-in reference router whose tie-break uses no payment, and no payment
    for order flow received in this run) and how it breaks ties; a router that received payment for order flow is
    named as such, with the amount (``tca/orders.parquet``'s ``pfof_usd``).
    """
    if not bench:
        return {"router": None, "conflict_free": False,
                "text": "No benchmark router ran: the review's rules use their fixed fallback values."}
    policy = data.manifest.get("review_policy") or {}
    named = policy.get("benchmark_router")
    refs = policy.get("reference_routers") or []
    if named == bench:
        who = "named by the review policy (benchmark_router)"
    elif named:
        who = (f"the first of the review policy's reference_routers in the run (its benchmark_router {named} did "
               "not run)")
    else:
        who = "the best of the review policy's reference_routers by customer net price improvement (a run folder " \
              "from before the policy named its benchmark)"
    orders = data.table("tca/orders.parquet")
    pfof = 0.0
    if orders is not None and "pfof_usd" in orders.columns:
        pfof = float(orders.loc[orders["router"] == bench, "pfof_usd"].fillna(0.0).sum())
    builtin, tie = _router_tie_break(bench)
    if pfof > 0:
        why = (f"not conflict-free: it received {fmt.usd2(pfof)} of payment for order flow in this run, so the review "
               "measures every router against a conflicted benchmark; the policy's choice is honoured as written")
    elif tie is None:
        why = ("not a conflict-free reference router: its choices use fees or rebates the broker keeps "
               "(docs/routers.md)" if builtin else
               "sorbench does not know how it breaks ties (not a built-in reference router); the policy vouches for it")
    else:
        why = f"conflict-free: breaks ties by {tie}"
    free = pfof <= 0 and tie is not None and (bench in refs or not refs)
    return {"router": bench, "conflict_free": free, "text": f"Benchmark: {bench}, {who}; {why}."}


def _interval(lo: Any, hi: Any, f: Any = fmt.signed) -> str:
    return fmt.DASH if _is_nan(lo) or _is_nan(hi) else f"{f(lo)} to {f(hi)}"


def venue_terms(data: RunData) -> dict[str, dict[str, Any]]:
    """Venue name -> kind and per-share payments from the manifest's scenario.

    What the venue pays the broker for liquidity taken (PFOF + taker rebate) and for liquidity posted (PFOF + maker
    rebate), USD per share.
    """
    out = {}
    for v in data.scenario.get("venues", []) or []:
        if not isinstance(v, dict) or "name" not in v:
            continue
        fees = v.get("fees") or {}
        take, make, pfof = (float(fees.get(k) or 0.0) for k in ("take_usd", "make_usd", "pfof_usd"))
        out[str(v["name"])] = {"kind": str(v.get("kind", "")), "take_usd": take, "make_usd": make, "pfof_usd": pfof,
                               "pays_take_usd": pfof + max(0.0, -take), "pays_make_usd": pfof + max(0.0, -make)}
    return out


def venue_pi_cph(data: RunData) -> dict[tuple[str, str], float]:
    """(router, venue) -> share-weighted price improvement of the router's fills there, cph.

    Against the NBBO at the parent's arrival: s x (far touch - price), as ``pi_per_share`` in tca/orders.parquet.
    """
    fills, orders = data.table("fills.parquet"), data.table("tca/orders.parquet")
    if fills is None or orders is None or fills.empty:
        return {}
    keys = ["router", "seed", "parent_id"]
    arr = orders[[*keys, "arrival_bid", "arrival_ask"]].drop_duplicates(keys)
    f = fills[[*keys, "venue", "side", "qty", "price"]].merge(arr, on=keys, how="inner")
    buy = f["side"].astype(str).str.lower() == "buy"
    far = np.where(buy, f["arrival_ask"], f["arrival_bid"])
    pi = np.where(buy, far - f["price"], f["price"] - far)
    q = f["qty"].astype(np.float64)
    ok = ~np.isnan(pi)
    work = pd.DataFrame({"router": f["router"], "venue": f["venue"], "num": np.where(ok, pi * q, 0.0),
                         "den": np.where(ok, q, 0.0)})
    g = work.groupby(["router", "venue"], sort=True)[["num", "den"]].sum()
    return {k: (row.num / row.den * CPH if row.den > 0 else float("nan")) for k, row in g.iterrows()}


def conflict_section(data: RunData) -> dict[str, Any]:
    """The conflict-of-interest section.

    Verdicts, venue mix beside payments and quality, the incentive test, the venue-choice regression, broker
    economics against customer outcome, and information leakage.
    """
    out: dict[str, Any] = {"available": data.table("conflict/summary.csv") is not None}
    out["notes"] = [str(n) for n in data.meta.get("conflict", {}).get("notes", []) or []]
    summary = data.table("conflict/summary.csv")
    if summary is not None:
        t = Table("conflict-summary", ["Router", "Paying-venue share", "Elasticity", "95% interval",
                                       label("broker_net_cph"), label("pi_all"), label("regret_cph"), "95% interval",
                                       "Finding"],
                  numeric=[False, True, True, True, True, True, True, True, False],
                  caption="Elasticity: share points of venue share per 10 cph ($0.001/share) of payment "
                          "(incentive test). Broker net: PFOF + rebates - fees per executed share (> 0 the broker "
                          "is paid). PI, all filled orders: the customers' share-weighted price improvement. "
                          "Regret: the reference router's PI minus the router's on the orders both filled (> 0 the "
                          "router's customers got less). Finding: flagged when some evidence survives its "
                          "interval; insufficient evidence when none does but an effect above the threshold is not "
                          "excluded (an interval straddling it, too few seeds, no incentive test); not flagged when "
                          "every conflict channel's interval lies at or below the threshold.")
        for r in summary.to_dict("records"):
            flagged = str(r["flagged"]).strip().lower() in ("true", "1")
            t.add(Cell(str(r["router"]), "router"), fmt.pct(r["paying_venue_share"]),
                  fmt.signed(r["payment_elasticity"]), _interval(r["elasticity_ci_low"], r["elasticity_ci_high"]),
                  fmt.cph(r["broker_net_payment_cph"]), fmt.cph(r["customer_net_pi_cph"]),
                  fmt.cph(r["regret_cph"]), _interval(r["regret_ci_low"], r["regret_ci_high"]),
                  status_cell(_finding(r, flagged), title=fmt.text(r["reason"])))
        out["summary"] = t
        out["reasons"] = [{"router": str(r["router"]), "flagged": str(r["flagged"]).strip().lower() in ("true", "1"),
                           "reason": fmt.text(r["reason"])} for r in summary.to_dict("records")]
    out["venue_mix"] = venue_mix_table(data)
    out["incentive"] = incentive_part(data)
    out["venue_choice"] = venue_choice_table(data)
    out["leakage"] = leakage_table(data)
    return out


def _finding(r: dict[str, Any], flagged: bool) -> str:
    """The summary row's three-way finding (older tables without ``finding``: flagged or not flagged)."""
    finding = r.get("finding")
    if isinstance(finding, str) and finding:
        return finding
    return "flagged" if flagged else "not flagged"


def venue_mix_table(data: RunData) -> Table | None:
    """Per router and venue: routed and executed shares beside the venue's payments and the router's quality there."""
    venues = data.table("tca/venues.csv")
    if venues is None:
        return None
    terms = venue_terms(data)
    pis = venue_pi_cph(data)
    t = Table("venue-mix", ["Venue", "Kind", "Routed", "Executed", "Pays for taking cph", "Pays for posting cph",
                            "PFOF received cph", "Net fee paid cph", "Fill rate", "PI there cph", "Far side"],
              numeric=[False, False] + [True] * 9, wide=True,
              caption="Routed / executed: the venue's share of the router's routed / executed shares. Pays: PFOF plus "
                      "the taker or maker rebate from the manifest's fee schedule. PFOF received and net fee: "
                      "observed per executed share. PI there: the router's fills at the venue against the NBBO at "
                      "the order's arrival (share-weighted). Far side: executions on the worse side of the midpoint.")
    recs = venues.to_dict("records")
    for router in [r for r in data.routers if any(x["router"] == r for x in recs)]:
        t.group(router)
        rows = sorted((x for x in recs if x["router"] == router), key=lambda x: (-(x["frac_of_routed"] or 0),
                                                                                 str(x["venue"])))
        for x in rows:
            term = terms.get(str(x["venue"]), {})
            t.add(str(x["venue"]), term.get("kind") or fmt.DASH, fmt.pct(x["frac_of_routed"]),
                  fmt.pct(x["frac_of_executed"]), fmt.price(term.get("pays_take_usd"), signed=False),
                  fmt.price(term.get("pays_make_usd"), signed=False), fmt.cph(x["pfof_cph"], signed=False),
                  fmt.cph(x["net_fee_cph"]), fmt.pct(x["fill_rate"]),
                  fmt.cph(pis.get((router, str(x["venue"])))), fmt.pct(x["frac_far_side"]))
    return t


def incentive_part(data: RunData) -> dict[str, Any]:
    """The incentive test's elasticities, or why there are none."""
    el = data.table("conflict/elasticity.csv")
    twins = int(data.manifest.get("incentive_twins") or 0)
    measured = el is not None and len(el) > 0 and el["payment_elasticity"].notna().any()
    if el is None or len(el) == 0:
        why = ("No incentive test in this run: the routers were not rerun on payment twins, so the payment "
               "elasticity is not measured (run with sorbench run --incentive-test).")
        return {"ran": twins > 0, "measured": False, "text": why, "table": None}
    t = Table("elasticity", ["Router", "Channel", "Elasticity (share pts per 10 cph of payment)", "95% interval",
                             "Seeds",
                             "Twins", "Note"], numeric=[False, False, True, True, True, True, False],
              caption="Per payment channel (PFOF, maker rebates, take fees; each permuted across venues in its own "
                      "twins): slope of a venue's share of the flow that channel pays for on its payment, per seed "
                      "with venue fixed effects; the interval is Student's t over the per-seed slopes (none below "
                      "5 seeds).")
    for r in el.to_dict("records"):
        channel = str(r.get("channel", LEGACY_CHANNEL))
        t.add(Cell(str(r["router"]), "router"), fmt.text(CHANNEL_LABELS.get(channel, channel)),
              fmt.signed(r["payment_elasticity"]),
              _interval(r["elasticity_ci_low"], r["elasticity_ci_high"]), fmt.integer(r["seeds"]),
              fmt.integer(r["twins"]), fmt.text(r["note"]))
    text = (f"Incentive test with {twins} payment twin(s) beside the unchanged scenario." if twins else
            "Incentive test results.")
    if not measured:
        text += " No router's elasticity could be estimated (see the notes)."
    return {"ran": True, "measured": bool(measured), "text": text, "table": t}


def venue_choice_table(data: RunData) -> Table | None:
    """The quality-adjusted venue-choice regression, one row per router."""
    vc = data.table("conflict/venue_choice.csv")
    if vc is None or vc.empty:
        return None
    terms = ["payment_mils", "pi_cph", "fill_rate_pct", "markout_1s_cph"]
    t = Table("venue-choice", ["Router", "Payment coef (pts per 10 cph)", "95% interval", "PI coef", "Fill-rate coef",
                               "Markout coef", "Obs.", "Note"],
              numeric=[False, True, True, True, True, True, True, False], wide=True,
              caption="OLS of the router's venue share (points) on the venue's payment (per 10 cph = $0.001/share) "
                      "controlling for the "
                      "venue's quality over every router's orders; HC1 standard errors. Weaker evidence than the "
                      "incentive test; not used for the flag.")
    recs = vc.to_dict("records")
    for router in dict.fromkeys(str(r["router"]) for r in recs):
        by: dict[str, dict[str, Any]] = {str(r["term"]): r for r in recs if r["router"] == router}
        pay = by.get("payment_mils", {})
        notes = sorted({str(r["note"]) for r in by.values() if isinstance(r.get("note"), str)})
        t.add(Cell(router, "router"), fmt.signed(pay.get("coef")), _interval(pay.get("ci_low"), pay.get("ci_high")),
              *(fmt.signed(by.get(k, {}).get("coef")) for k in terms[1:]),
              fmt.integer(next(iter(by.values()), {}).get("n")), "; ".join(notes) or fmt.DASH)
    return t


def leakage_table(data: RunData) -> Table | None:
    """Information leakage per router: quote fade, other venues' moves after its fills, fast traders' profit."""
    lk = data.table("conflict/leakage.csv")
    if lk is None:
        return None
    t = Table("leakage", ["Router", "Targeted shares", "Quote fade", "Other venues move 100 ms cph",
                          "Other venues move 1 s cph", "Fast-trader fills", "Fast-trader profit cph", "Note"],
              numeric=[False, True, True, True, True, True, True, False], wide=True,
              caption="Quote fade: share of the displayed size the router's child orders targeted that was gone on "
                      "arrival. Other venues' move: the midpoint of the other venues after the router's fills, "
                      "against the customer > 0. Fast-trader profit per 100 shares the router executed.")
    for r in lk.to_dict("records"):
        t.add(Cell(str(r["router"]), "router"), fmt.integer(r["targeted_shares"]), fmt.pct(r["quote_fade"]),
              fmt.cph(r["other_venue_move_100ms_cph"]), fmt.cph(r["other_venue_move_1s_cph"]),
              fmt.integer(r["fast_trader_fills"]), fmt.cph(r["fast_trader_profit_cph"]), fmt.text(r["note"]))
    return t


# --- Rule 605 / 606 -------------------------------------------------------------------------------------------------

def rule605_table(data: RunData) -> Table | None:
    """Rule 605 summary rows for all order sizes below $200,000 (code 199999), per entity, S&P 500 flag and type."""
    df = data.table("regulatory/rule605_summary.csv")
    if df is None:
        return None
    codes = {str(v): str(k) for k, v in (data.meta.get("regulatory", {}).get("entity_codes") or {}).items()}
    sizes = pd.to_numeric(df["OrderSize"], errors="coerce")
    rows = df[sizes == 199999]
    if rows.empty:
        rows = df
    t = Table("rule605", ["S&P 500", "Order type", "Avg shares", "Avg order $", "At or better than quote", "Improved",
                          "Wtd avg PI bps", "Eff. spread bps", "E/Q", "Realized 15 s bps", "Realized 1 min bps",
                          "Exec time ms"],
              numeric=[False, False] + [True] * 10,
              caption=f"regulatory/rule605_summary.csv, order size code 199999 (all orders below $200,000); "
                      f"{len(df)} rows in the file by size bucket. Percent-of-price fields in basis points.")
    entity_now = None
    for r in rows.to_dict("records"):
        entity = str(r["RprtEntityCd"])
        if entity != entity_now:
            t.group(f"{entity} ({codes[entity]})" if entity in codes else entity)
            entity_now = entity
        t.add(fmt.text(r["Sp500"]), {"M": "market", "ML": "marketable limit"}.get(
            str(r["OrderType"]), str(r["OrderType"])), fmt.number(r["AvgOrderQty"], 5), fmt.usd2(r["AvgOrderSize"]),
            fmt.pct(r["PctExctdAtQuotOrBetter"]), fmt.pct(r["PctExctdPI"]), fmt.bps(r["WghtdAvgPctPI"]),
            fmt.bps(r["AvgEffctvSprdPct"]), fmt.ratio(r["AvgEFQPct"]), fmt.bps(r["AvgRealSprdPct15sec"]),
            fmt.bps(r["AvgRealSprdPct1min"]), fmt.ms(r["WghtdAvgExctnTime"]))
    return t


def _router_of_file(name: str, prefix: str, routers: list[str]) -> str:
    stem = name[len(prefix):-len(".xml")].lstrip("_")
    for r in routers:
        safe = "".join(c if c.isalnum() or c in "_.-" else "_" for c in r)
        if stem == safe:
            return r
    return stem or (routers[0] if len(routers) == 1 else name)


def _xml_text(el: Any, tag: str) -> str:
    child = el.find(tag)
    return "" if child is None or child.text is None else child.text.strip()


def _f(s: str) -> float:
    try:
        return float(s)
    except ValueError:
        return float("nan")


def rule606_tables(data: RunData) -> tuple[Table | None, Table | None, list[str]]:
    """The 606(a)(1) venue tables and the 606(b)(3) venue tables of every router, read from the XML files."""
    from lxml import etree

    problems: list[str] = []
    a1 = Table("rule606a1", ["Section", "Venue", "Orders routed", "Market", "Marketable limit", "Non-marketable limit",
                             "Other", "Net payment $", "Net cph market", "Net cph mkt limit", "Net cph non-mkt"],
               numeric=[False, False] + [True] * 9, wide=True,
               caption="Rule 606(a)(1) held orders: share of the section's orders routed to each venue, by order "
                       "type, and the net payment received (> 0) or paid (< 0) by the broker.")
    b3 = Table("rule606b3", ["Venue", "Routed", "IOC routed", "Executed", "Filled", "Net fee/rebate cph", "Midpoint",
                             "Near side", "Far side", "Provided", "Removed", "Order duration ms"],
               numeric=[False] + [True] * 11, wide=True,
               caption="Rule 606(b)(3) not-held order handling: routed and executed shares per venue; net fee or "
                       "rebate as the rule writes it (a net rebate positive).")
    routers = data.routers
    for name, blob in sorted(data.xml.items()):
        try:
            root = etree.fromstring(blob)
        except etree.XMLSyntaxError as exc:
            problems.append(f"regulatory/{name}: not readable XML ({exc})")
            continue
        if name.startswith("rule606a1"):
            router = _router_of_file(name, "rule606a1", routers)
            a1.group(router)
            for monthly in root.findall("rMonthly"):
                for sec_tag, sec_label in (("rSP500", "S&P 500"), ("rOtherStocks", "other stocks")):
                    sec = monthly.find(sec_tag)
                    if sec is None:
                        continue
                    label = f"{_xml_text(monthly, 'year')}-{_xml_text(monthly, 'mon').zfill(2)} {sec_label}"
                    for v in sec.findall("rVenues/rVenue"):
                        usd = sum(x for x in (_f(_xml_text(v, f"netPmtPaidRecv{k}OrdersUsd")) for k in (
                            "Market", "MarketableLimit", "NonMarketableLimit", "Other")) if not np.isnan(x))
                        pcts = (fmt.pct_points(_f(_xml_text(v, k))) for k in (
                            "orderPct", "marketPct", "marketableLimitPct", "nonMarketableLimitPct", "otherPct"))
                        a1.add(Cell(label, "nowrap"), _xml_text(v, "name"), *pcts,
                            fmt.usd2(usd), *(fmt.cph(_f(_xml_text(v, f"netPmtPaidRecv{k}OrdersCph"))) for k in (
                                "Market", "MarketableLimit", "NonMarketableLimit")))
        elif name.startswith("rule606b3"):
            router = _router_of_file(name, "rule606b3", routers)
            b3.group(router)
            for v in root.iter("iVenue"):
                b3.add(_xml_text(v, "venueName"), *(fmt.integer(_f(_xml_text(v, k))) for k in (
                    "routedShr", "iocRoutedShr", "executedShr")), fmt.pct_points(_f(_xml_text(v, "filledPct"))),
                    fmt.cph(_f(_xml_text(v, "netFeeOrRebateCph"))), *(fmt.pct_points(_f(_xml_text(v, k))) for k in (
                        "midpointPct", "nearsidePct", "farsidePct", "providedLiquidityPct", "removedLiquidityPct")),
                    fmt.ms(_f(_xml_text(v, "orderDurationMsec"))))
    return (a1 if a1.rows else None), (b3 if b3.rows else None), problems


RULE606_LEDGER = ("Rule 606 net payments are what venues paid the broker or charged it for the routed orders (PFOF "
                  "and transaction rebates received less transaction fees paid, Rule 606(a)(1)(iii)), whatever the "
                  "broker policy's rebate ledger then does with rebates and fees; the ledger decides only the "
                  "customer and broker figures of the TCA and conflict sections")


def regulatory_section(data: RunData) -> dict[str, Any]:
    """Rule 605 summary and Rule 606 tables, with the regulatory folder's period and notes."""
    meta = data.meta.get("regulatory", {})
    a1, b3, problems = rule606_tables(data)
    return {"available": bool(meta) or data.table("regulatory/rule605_summary.csv") is not None,
            "rule605": rule605_table(data), "rule606a1": a1, "rule606b3": b3, "period": meta.get("period"),
            "notes": [*(str(n) for n in meta.get("notes", []) or []), *problems, RULE606_LEDGER],
            "broker": (meta.get("config") or {}).get("broker")}
