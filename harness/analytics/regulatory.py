"""Regulatory files from a run: the Rule 605 summary report (CSV) and the Rule 606(a)(1) and 606(b)(3) reports (XML).

Each router is treated as a separate broker-dealer (its own Rule 605 reporting entity, its own 606 reports): the
routers of a run replay the same customer orders, so each report reads as "what this broker would have published had
it routed with this router". Seeds are pooled, as separate trading days of the same month would be.

* ``rule605_summary.csv``: laid out exactly as the SEC's ``oes-metadata.json`` (the amended Rule 605(a)(2) summary
  report): one row per reporting entity (router) x S&P 500 flag x order type (M, ML) x notional size bucket, and the
  all-sizes-below-$200k row (code 199999). IOC and FOK orders are excluded, as are non-marketable limit orders.
* ``rule606a1.xml``: the held-order public routing report (``heldOrderRoutingPublicReport``), per venue the
  percentages of orders routed by order type and the net payments received (PFOF + rebates - fees), USD and cph,
  for S&P 500 and other stocks.
* ``rule606b3.xml``: the not-held order handling report (``notHeldOrderHandlingCustomerReport``): per venue routed,
  IOC-routed and executed shares, fill rate, net fee or rebate, midpoint / near-side / far-side executions,
  liquidity provided and removed.

Field-by-field sources: docs/analytics.md, *Regulatory files*. The XML is built with lxml; ``validate_606`` and
``validate_605`` (:mod:`harness.analytics.regulatory_checks`) check a report against the SEC's schema and metadata
files when the user has them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd
from lxml import etree

from harness.analytics.classify import Liquidity, OrderClass, side_sign
from harness.analytics.context import RunContext
from harness.analytics.nbbo import run_end_ts
from harness.analytics.orders import ORDER_KEYS, REALIZED_HORIZONS_NS
from harness.analytics.regulatory_checks import OES_EXECUTION_FIELDS as OES_EXECUTION_FIELDS  # re-exported
from harness.analytics.regulatory_checks import validate_605 as validate_605  # re-exported
from harness.analytics.regulatory_checks import validate_606 as validate_606  # re-exported

OES_COLUMNS = [
    "DsgntParticipant", "RprtEntityCd", "RptDate", "Sp500", "OrderSize", "OrderType", "AvgOrderQty", "AvgOrderSize",
    "ExctdOrderMidPtAvg", "PctExctdAtQuotOrBetter", "PctExctdPI", "WghtdAvgPctPI", "AvgEffctvSprdPct",
    "AvgPctQuotSprd", "AvgEFQPct", "AvgRealSprdPct15sec", "AvgRealSprdPct1min", "WghtdAvgExctnTime",
]
OES_SIZE_CODES = {"<250": 0, "250-1k": 250, "1k-5k": 1000, "5k-10k": 5000, "10k-20k": 10000, "20k-50k": 20000,
                  "50k-200k": 50000, ">=200k": 200000}
OES_ALL_BELOW_200K = 199999
OES_ORDER_TYPES = {OrderClass.MARKET.value: "M", OrderClass.MARKETABLE_LIMIT.value: "ML"}
OES_REALIZED = {"rs15": "15s", "rs60": "60s"}
"""The summary's realized-spread horizons (AvgRealSprdPct15sec, AvgRealSprdPct1min) as ``orders.py`` names them."""

SCHEMA_FILE = "oh-20191231.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
OH_VERSION = "1.2"
ROUTING_TYPES = ("market", "marketable_limit", "non_marketable_limit", "other")
"""Rule 606(a)(1) order types; ``other`` holds IOC/FOK orders and limit orders without an NBBO at arrival."""

_NON_MARKETABLE = {OrderClass.BEYOND_MIDPOINT.value, OrderClass.AT_OR_INSIDE_QUOTE.value,
                   OrderClass.NEAR_QUOTE.value, OrderClass.AWAY.value}
_A1_TAGS = {
    "market": ("marketPct", "MarketOrders"), "marketable_limit": ("marketableLimitPct", "MarketableLimitOrders"),
    "non_marketable_limit": ("nonMarketableLimitPct", "NonMarketableLimitOrders"), "other": ("otherPct", "OtherOrders"),
}
_SECTION_TAGS = (("rSP500", True), ("rOtherStocks", False))
CPH = 10_000.0


@dataclass(frozen=True)
class RegulatoryConfig:
    """Who the reports are for and when; the defaults suit a simulated run.

    ``period`` (any date in the month reported) overrides the session date from the manifest. ``entity_codes`` maps
    a router to its Rule 605 reporting-entity code (capital letters; default: the letters of the router's name).
    ``timestamp`` (``YYYY-MM-DDTHH:MM:SSZ``) is written into the 606 reports only when given, so that the same run
    always gives the same files.
    """

    broker: str = "sorbench simulated broker"
    customer: str = "all customers (simulated)"
    designated_participant: str = "T"
    entity_codes: Mapping[str, str] = field(default_factory=dict)
    period: dt.date | None = None
    timestamp: str | None = None


@dataclass(frozen=True)
class RegulatoryReports:
    """The regulatory files' contents by file name, and what they were built from."""

    files: dict[str, bytes]
    rule605: pd.DataFrame
    entity_codes: dict[str, str]
    period: dt.date
    notes: tuple[str, ...] = ()


# ------------------------------------------------------------------------------------------------------- helpers
def routing_type(order_class: pd.Series) -> pd.Series:
    """Rule 606(a)(1) order type of each order class: market, marketable_limit, non_marketable_limit or other."""
    return order_class.map(lambda c: c if c in ("market", "marketable_limit") else
                           "non_marketable_limit" if c in _NON_MARKETABLE else "other")


def entity_codes(routers: list[str], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """A distinct Rule 605 reporting-entity code (``^[A-Z]+$``) per router.

    The code is the router name's letters in capitals ("best-price" -> "BESTPRICE"), "ROUTER" if it has none; a code
    already taken gets a letter suffix (B, C, ...). ``overrides`` are used as given (they must be capital letters).
    """
    overrides = dict(overrides or {})
    for router, code in overrides.items():
        if not re.fullmatch(r"[A-Z]+", code):
            raise ValueError(f"entity code {code!r} for router {router!r} must be capital letters A-Z")
    taken = set(overrides.values())
    out = {}
    for router in sorted(routers):
        if router in overrides:
            out[router] = overrides[router]
            continue
        base = re.sub(r"[^A-Z]", "", router.upper()) or "ROUTER"
        code, n = base, 0
        while code in taken:
            n += 1
            code = base + _letters(n)
        taken.add(code)
        out[router] = code
    return out


def _letters(n: int) -> str:
    """1 -> B, 2 -> C, ..., 25 -> Z, 26 -> BA: a suffix that stays within A-Z."""
    digits = ""
    while n:
        n, r = divmod(n, 26)
        digits = chr(ord("A") + r) + digits
    return digits


def report_period(context: RunContext, config: RegulatoryConfig) -> dt.date:
    """The date whose month (605) and quarter (606) are reported: configured, else the session's, else today (UTC)."""
    return config.period or context.session_date or dt.datetime.now(dt.UTC).date()


def oes_number(value: float) -> str:
    """A Rule 605 summary value: at most six decimals, rounded half up (the spec's rule), no exponent; NaN -> ""."""
    if value is None or not np.isfinite(value):
        return ""
    d = Decimal(repr(float(value))).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _fixed(value: float, places: int, *, lo: float | None = None, hi: float | None = None) -> str:
    """A decimal with exactly ``places`` decimals (half up), clamped to [lo, hi]; NaN -> "" (the schemas' NmType)."""
    if value is None or not np.isfinite(value):
        return ""
    if lo is not None:
        value = max(value, lo)
    if hi is not None:
        value = min(value, hi)
    d = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = format(d, "f")
    return text[1:] if text.startswith("-") and not d else text


def _pct(num: float, den: float, places: int = 2) -> str:
    return _fixed(100.0 * num / den, places, lo=0.0, hi=100.0) if den else ""


def _ratio(num: float, den: float) -> float:
    return num / den if den else float("nan")


# ---------------------------------------------------------------------------------------------------- Rule 605
def _exec_ms_sums(orders: pd.DataFrame, fills: pd.DataFrame) -> np.ndarray:
    """Per order: the sum over its fills of (execution time - arrival) in ms x shares."""
    if fills.empty:
        return np.zeros(len(orders))
    keyed = orders[ORDER_KEYS].assign(_row=np.arange(len(orders)), _arrival=orders["arrival_ts_ns"].to_numpy())
    f = fills[[*ORDER_KEYS, "exec_ts_ns", "qty"]].merge(keyed, on=ORDER_KEYS, how="inner")
    ms = (f["exec_ts_ns"].to_numpy(np.int64) - f["_arrival"].to_numpy(np.int64)) / 1e6
    return np.bincount(f["_row"].to_numpy(np.int64), weights=ms * f["qty"].to_numpy(np.float64), minlength=len(orders))


def _oes_work(orders: pd.DataFrame, fills: pd.DataFrame, sp500: Mapping[str, bool],
              nbbo: pd.DataFrame | None = None) -> pd.DataFrame:
    """Covered orders with the sums every Rule 605 summary field is a ratio of."""
    covered = orders[orders["order_class"].isin(list(OES_ORDER_TYPES)) & orders["size_bucket"].isin(
        list(OES_SIZE_CODES))].reset_index(drop=True)
    filled = covered["filled_qty"].to_numpy(np.float64)
    m0 = covered["arrival_mid"].to_numpy(np.float64)

    def times_filled(values: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(values) | (filled == 0), 0.0, values * filled)

    def known(values: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(values) | (filled == 0), 0.0, filled)

    es, qs = covered["effective_spread"].to_numpy(np.float64), covered["quoted_spread"].to_numpy(np.float64)
    w = pd.DataFrame({
        "router": covered["router"], "Sp500": covered["symbol"].map(lambda s: "Y" if sp500.get(s, False) else "N"),
        "OrderType": covered["order_class"].map(OES_ORDER_TYPES),
        "OrderSize": covered["size_bucket"].map(OES_SIZE_CODES).astype(np.int64),
        "orders": 1.0, "qty": covered["qty"].to_numpy(np.float64),
        "notional": covered["notional_usd"].to_numpy(np.float64), "filled": filled,
        "mid_x": times_filled(m0),
        "priced": covered[["improved_qty", "at_quote_qty", "outside_qty"]].sum(axis=1).to_numpy(np.float64),
        "at_or_better": (covered["improved_qty"] + covered["at_quote_qty"]).to_numpy(np.float64),
        "improved": covered["improved_qty"].to_numpy(np.float64),
        "pi_x": times_filled(covered["pi_per_share"].to_numpy(np.float64)),
        "es_pct_x": times_filled(es / m0), "es_pct_w": known(es / m0),
        "es_x": times_filled(es), "qs_x": times_filled(qs), "qs_w": known(qs),
        "exec_ms_x": _exec_ms_sums(covered, fills),
    })
    for name, horizon in OES_REALIZED.items():
        w[f"{name}_x"], w[f"{name}_w"] = _realized_sums(covered, fills, horizon, nbbo)
    return w


def _realized_sums(covered: pd.DataFrame, fills: pd.DataFrame, horizon: str,
                   nbbo: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """Per covered order: sum over its fills of (realized spread at ``horizon`` / m0) x shares, and those shares.

    Why a value is always given. The SEC's ``oes-metadata.json`` marks AvgRealSprdPct1min ``"required": true`` and,
    unlike AvgEFQPct and AvgRealSprdPct15sec, lists no ``null`` values for it; its specification
    (``OesDataSpecification.htm``) allows empty fields only where there is no data ("If there is no data for a
    particular field within a record, the field shall be left empty"; footnote 2: a record whose orders executed no
    shares gives only the key fields and the average order sizes). The data for a fill whose horizon runs past the
    close exists: Rule 605's definition of realized spread (Rule 600(b), not among the shared files; paraphrased
    here) measures against the NBBO midpoint the horizon after execution *except* for orders executed less than that
    horizon before the end of regular trading hours, which use the midpoint of the final NBBO disseminated for
    regular trading hours. So such a fill (``tca/orders.parquet`` leaves its figure NaN rather than extrapolate)
    takes the final two-sided midpoint of its symbol in the run (``end_mid``; the simulated session ends with its
    NBBO history). With ``nbbo`` the end is the run's last NBBO timestamp; without it a fill's missing figure is
    taken to be past the end (the only other cause, a one-sided NBBO at the horizon, 14 of 145,875 NBBO rows of
    the default run, would then also take the final midpoint). A run with no two-sided quote at all leaves the
    fill out of the average.
    """
    col = f"realized_spread_{horizon}"
    needed = [*ORDER_KEYS, "exec_ts_ns", "qty", "price", "side", col]
    if fills.empty or any(c not in fills.columns for c in needed):
        # Fills without the TCA's per-fill figures: the order-level figure, where the order has it.
        filled = covered["filled_qty"].to_numpy(np.float64)
        pct = covered[col].to_numpy(np.float64) / covered["arrival_mid"].to_numpy(np.float64)
        ok = np.isfinite(pct) & (filled > 0)
        return np.where(ok, pct * filled, 0.0), np.where(ok, filled, 0.0)
    keyed = covered[ORDER_KEYS].assign(_row=np.arange(len(covered)), _m0=covered["arrival_mid"].to_numpy(),
                                       _end_mid=covered["end_mid"].to_numpy())
    f = fills[needed].merge(keyed, on=ORDER_KEYS, how="inner")
    rs = f[col].to_numpy(np.float64)
    missing = np.isnan(rs)
    if nbbo is not None:
        end = run_end_ts(nbbo, f)
        past = f["exec_ts_ns"].to_numpy(np.int64) + REALIZED_HORIZONS_NS[horizon] > end
    else:
        past = missing
    final = 2 * side_sign(f["side"]) * (f["price"].to_numpy(np.float64) - f["_end_mid"].to_numpy(np.float64))
    rs = np.where(missing & past, np.round(final, 9), rs)
    pct = rs / f["_m0"].to_numpy(np.float64)
    qty = f["qty"].to_numpy(np.float64)
    ok = np.isfinite(pct)
    rows = f["_row"].to_numpy(np.int64)
    return (np.bincount(rows, weights=np.where(ok, pct * qty, 0.0), minlength=len(covered)),
            np.bincount(rows, weights=np.where(ok, qty, 0.0), minlength=len(covered)))


def rule605_summary(orders: pd.DataFrame, fills: pd.DataFrame, *, context: RunContext,
                    config: RegulatoryConfig | None = None, nbbo: pd.DataFrame | None = None) -> pd.DataFrame:
    """The Rule 605(a)(2) summary report: every cell a formatted string, columns in the SEC's order.

    ``orders`` is the per-order TCA table, ``fills`` the fills (router, seed, parent_id, exec_ts_ns, qty). Covered
    orders are market and marketable limit orders (not IOC/FOK) with a two-sided NBBO at arrival; each row pools one
    router's covered orders of one S&P 500 flag, order type and notional bucket (plus code 199999: every bucket
    below $200,000). A row whose orders had no executions leaves the execution fields empty, as the spec asks.
    Realized spreads whose horizon runs past the end of the session use the final NBBO midpoint, as Rule 605
    prescribes (``nbbo``, the run's NBBO history, dates the end; see :func:`_realized_sums`).
    """
    config = config or RegulatoryConfig()
    period = report_period(context, config)
    codes = entity_codes(sorted(orders["router"].unique()), config.entity_codes)
    work = _oes_work(orders, fills, context.sp500, nbbo)
    keys = ["router", "Sp500", "OrderType", "OrderSize"]
    below = work[work["OrderSize"] < 200000].assign(OrderSize=OES_ALL_BELOW_200K)
    sums = pd.concat([work, below], ignore_index=True).groupby(keys, sort=False).sum().reset_index()
    rows = []
    for r in sums.itertuples(index=False):
        s = r._asdict()
        executed = s["filled"] > 0
        rows.append({
            "DsgntParticipant": config.designated_participant, "RprtEntityCd": codes[s["router"]],
            "RptDate": f"{period.year:04d}{period.month:02d}", "Sp500": s["Sp500"], "OrderSize": str(s["OrderSize"]),
            "OrderType": s["OrderType"],
            "AvgOrderQty": oes_number(s["qty"] / s["orders"]),
            "AvgOrderSize": oes_number(s["notional"] / s["orders"]),
            **{k: (oes_number(v) if executed else "") for k, v in {
                "ExctdOrderMidPtAvg": _ratio(s["mid_x"], s["filled"]),
                "PctExctdAtQuotOrBetter": _ratio(s["at_or_better"], s["priced"]),
                "PctExctdPI": _ratio(s["improved"], s["priced"]),
                "WghtdAvgPctPI": _ratio(s["pi_x"], s["mid_x"]),
                "AvgEffctvSprdPct": _ratio(s["es_pct_x"], s["es_pct_w"]),
                "AvgPctQuotSprd": _ratio(s["qs_x"], s["mid_x"]),
                "AvgEFQPct": _ratio(s["es_x"], s["qs_x"]),
                "AvgRealSprdPct15sec": _ratio(s["rs15_x"], s["rs15_w"]),
                "AvgRealSprdPct1min": _ratio(s["rs60_x"], s["rs60_w"]),
                "WghtdAvgExctnTime": _ratio(s["exec_ms_x"], s["filled"]),
            }.items()},
        })
    table = pd.DataFrame(rows, columns=OES_COLUMNS)
    if table.empty:
        return table
    order = table.assign(_sp=table["Sp500"].map({"Y": 0, "N": 1}), _ot=table["OrderType"].map({"M": 0, "ML": 1}),
                         _sz=table["OrderSize"].astype(int))
    return order.sort_values(["RprtEntityCd", "_sp", "_ot", "_sz"], kind="stable")[OES_COLUMNS].reset_index(drop=True)


def rule605_csv(table: pd.DataFrame) -> bytes:
    """The summary report as the spec's file: ASCII, comma-separated, a header record, CRLF after every record."""
    lines = [",".join(OES_COLUMNS)] + [",".join(row) for row in table[OES_COLUMNS].astype(str).itertuples(index=False)]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


# ---------------------------------------------------------------------------------------------------- Rule 606
def _sub(parent: Any, tag: str, text: str | None = None) -> Any:
    el = etree.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def _document(root_tag: str, comment: str) -> tuple[Any, Any]:
    root = etree.Element(root_tag, nsmap={"xsi": XSI})
    root.set(f"{{{XSI}}}noNamespaceSchemaLocation", SCHEMA_FILE)
    tree = etree.ElementTree(root)
    root.addprevious(etree.Comment(f" {comment} "))
    return tree, root


def _serialize(tree: Any) -> bytes:
    etree.indent(tree, space="  ")
    body = bytes(etree.tostring(tree, encoding="UTF-8", pretty_print=True))
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _quarter_months(period: dt.date) -> list[int]:
    first = 3 * ((period.month - 1) // 3) + 1
    return [first, first + 1, first + 2]


def material_aspects(venue: str, context: RunContext) -> str:
    """The 606(a)(1)(iv) text for a venue: its simulated kind and fee schedule, or that the terms are unknown."""
    terms = context.venues.get(venue)
    if terms is None:
        return (f"{venue}: terms unknown (no fee schedule for this venue in the run's manifest); the payments shown "
                "are those recorded on the fills.")
    def usd(v: float) -> str:
        return f"${abs(v):.4f}"
    take = f"take fee {usd(terms.take_usd)}" if terms.take_usd >= 0 else f"take rebate {usd(terms.take_usd)}"
    make = f"make fee {usd(terms.make_usd)}" if terms.make_usd >= 0 else f"maker rebate {usd(terms.make_usd)}"
    pfof = (f"payment for order flow {usd(terms.pfof_usd)} per share to the broker" if terms.pfof_usd > 0
            else "no payment for order flow")
    return (f"Simulated {terms.kind} venue {venue}. Per share: {take}, {make}; {pfof}. No profit sharing, ownership "
            "or other arrangement with the broker.")


def _routes(orders: pd.DataFrame, children: pd.DataFrame | None, fills: pd.DataFrame) -> pd.DataFrame:
    """(seed, parent_id, venue) for every venue an order was routed to (child orders; else the fills' venues)."""
    source = children if children is not None and len(children) else fills
    return source.loc[source["router"].isin(orders["router"].unique()), [*ORDER_KEYS, "venue"]].drop_duplicates()


def rule606a1_xml(orders: pd.DataFrame, fills: pd.DataFrame, children: pd.DataFrame | None, *, router: str,
                  context: RunContext, config: RegulatoryConfig | None = None) -> bytes:
    """The Rule 606(a)(1) held-order routing report of one router, as XML valid against ``oh-20191231.xsd``.

    Every order is held and non-directed. The quarter is the report period's; its month carries the data (S&P 500
    and other stocks as separate sections, each present when it has orders), the quarter's other months are empty
    (year and month only, as in the SEC's empty sample). A venue's order percentages count the orders routed to it
    at least once (an order routed to two venues counts at both, so the venues' percentages can add up to more than
    100); net payments are PFOF + rebates - fees on the fills of those orders at the venue, USD and cph of the shares
    executed there.
    """
    config = config or RegulatoryConfig()
    period = report_period(context, config)
    mine = orders[orders["router"] == router].assign(rtype=lambda o: routing_type(o["order_class"]))
    mine = mine.assign(sp500=mine["symbol"].map(lambda s: bool(context.sp500.get(s, False))))
    keyed = mine[[*ORDER_KEYS, "rtype", "sp500"]]
    routes = _routes(mine, children, fills).merge(keyed, on=ORDER_KEYS, how="inner")
    paid = fills[fills["router"] == router].merge(keyed, on=ORDER_KEYS, how="inner")
    paid = paid.assign(net_usd=paid["pfof_usd"] + paid["rebate_usd"] - paid["fee_usd"])

    tree, root = _document("heldOrderRoutingPublicReport",
                           f"Rule 606(a)(1) report of router {router!r} as a broker, from a simulated sorbench run")
    _sub(root, "version", OH_VERSION)
    _sub(root, "bd", config.broker)
    _sub(root, "year", str(period.year))
    _sub(root, "qtr", str((period.month - 1) // 3 + 1))
    if config.timestamp:
        _sub(root, "timestamp", config.timestamp)
    for month in _quarter_months(period):
        monthly = _sub(root, "rMonthly")
        _sub(monthly, "year", str(period.year))
        _sub(monthly, "mon", str(month))
        if month != period.month:
            continue
        for tag, flag in _SECTION_TAGS:
            section = mine[mine["sp500"] == flag]
            if section.empty:
                continue
            _routing_section(_sub(monthly, tag), section, routes[routes["sp500"] == flag],
                             paid[paid["sp500"] == flag], context)
    return _serialize(tree)


def _routing_section(el: Any, section: pd.DataFrame, routes: pd.DataFrame, paid: pd.DataFrame,
                     context: RunContext) -> None:
    n = len(section)
    by_type = section["rtype"].value_counts()
    _sub(el, "ndoPct", _fixed(100.0, 2))  # every simulated order is non-directed
    for t, tag in zip(ROUTING_TYPES, ("ndoMarketPct", "ndoMarketableLimitPct", "ndoNonmarketableLimitPct",
                                      "ndoOtherPct"), strict=True):
        _sub(el, tag, _pct(by_type.get(t, 0), n))
    venues_el = _sub(el, "rVenues")
    routed = routes.groupby("venue")[ORDER_KEYS].apply(lambda g: len(g.drop_duplicates()))
    per_type = routes.groupby(["venue", "rtype"]).size()
    money = paid.groupby(["venue", "rtype"])[["net_usd", "qty"]].sum()
    for venue in sorted(routed.index, key=lambda v: (-routed[v], v)):
        v_el = _sub(venues_el, "rVenue")
        _sub(v_el, "name", venue)
        _sub(v_el, "orderPct", _pct(routed[venue], n))
        for t in ROUTING_TYPES:
            _sub(v_el, _A1_TAGS[t][0], _pct(per_type.get((venue, t), 0), by_type.get(t, 0)))
        for t in ROUTING_TYPES:
            usd, shares = (money.loc[(venue, t)] if (venue, t) in money.index else (0.0, 0.0))
            _sub(v_el, f"netPmtPaidRecv{_A1_TAGS[t][1]}Usd", _fixed(usd, 2))
            _sub(v_el, f"netPmtPaidRecv{_A1_TAGS[t][1]}Cph", _fixed(usd / shares * CPH, 4) if shares else "")
        _sub(v_el, "materialAspects", material_aspects(venue, context))


def _further_routable(children: pd.DataFrame, context: RunContext) -> pd.Series:
    """Routed shares per venue the venue could route on: not ISO, not post-only, at a venue that routes out."""
    if not context.terms_known:
        return pd.Series(dtype=np.float64)
    routes_out = children["venue"].map(lambda v: v in context.venues and context.venues[v].protection == "route_out")
    flags = [children[c] for c in ("iso", "post_only") if c in children.columns]
    blocked = np.logical_or.reduce([f.to_numpy(dtype=bool) for f in flags]) if flags else np.zeros(len(children), bool)
    return children["qty"].where(routes_out.to_numpy(dtype=bool) & ~blocked, 0).groupby(children["venue"]).sum()


def _provider_duration_ms(children: pd.DataFrame, fills: pd.DataFrame) -> pd.Series:
    """Per venue: mean time from sending a child order to its last liquidity-providing fill, ms."""
    if "child_id" not in children.columns or "sent_ts_ns" not in children.columns or "child_id" not in fills.columns:
        return pd.Series(dtype=np.float64)
    added = fills[fills.get("liquidity", pd.Series(index=fills.index, dtype=object)) == Liquidity.ADDED.value]
    last = added.groupby(["router", "seed", "child_id"])["exec_ts_ns"].max().rename("_last").reset_index()
    c = children.merge(last, on=["router", "seed", "child_id"], how="inner")
    return ((c["_last"] - c["sent_ts_ns"]) / 1e6).groupby(c["venue"]).mean()


def rule606b3_xml(venues: pd.DataFrame, orders: pd.DataFrame, fills: pd.DataFrame, children: pd.DataFrame | None, *,
                  router: str, context: RunContext, config: RegulatoryConfig | None = None) -> bytes:
    """The Rule 606(b)(3) not-held order handling report of one router, as XML valid against ``oh-20191231.xsd``.

    ``venues`` is the TCA venue scorecard (``venue_table``): the report is that scorecard in the SEC's layout, for
    the router's orders, all non-directed, pooled over seeds into the report period's month. Signs follow the
    rule: a net fee is negative, a net rebate positive (the scorecard's ``net_fee_cph`` negated).
    """
    config = config or RegulatoryConfig()
    period = report_period(context, config)
    v = venues[venues["router"] == router]
    v = v[(v["routed_shares"].fillna(0) > 0) | (v["executed_shares"] > 0)]
    v = v.sort_values(["routed_shares", "executed_shares", "venue"], ascending=[False, False, True], na_position="last")
    mine = children[children["router"] == router] if children is not None else None
    further = _further_routable(mine, context) if mine is not None else pd.Series(dtype=np.float64)
    duration = (_provider_duration_ms(mine, fills[fills["router"] == router]) if mine is not None
                else pd.Series(dtype=np.float64))

    tree, root = _document("notHeldOrderHandlingCustomerReport",
                           f"Rule 606(b)(3) report of router {router!r} as a broker, from a simulated sorbench run")
    _sub(root, "version", OH_VERSION)
    _sub(root, "customer", config.customer)
    _sub(root, "bd", config.broker)
    if config.timestamp:
        _sub(root, "timestamp", config.timestamp)
    _sub(root, "startDate", period.isoformat())
    _sub(root, "endDate", period.isoformat())
    monthly = _sub(_sub(root, "hNondirected"), "hMonthly")
    _sub(monthly, "year", str(period.year))
    _sub(monthly, "mon", str(period.month))
    _sub(monthly, "sentShr", str(int(orders.loc[orders["router"] == router, "qty"].sum())))
    _sub(monthly, "executedAsPrincipalShr", "0")  # the simulated broker never trades against its customers
    _sub(monthly, "ioiExposedOrd", "0")
    _sub(monthly, "ioiExposedVenueList")
    venue_list = _sub(monthly, "routingVenueList")
    for r in v.itertuples(index=False):
        ex = float(r.executed_shares)
        routed = float(r.routed_shares) if np.isfinite(r.routed_shares) else float("nan")
        el = _sub(venue_list, "iVenue")
        _sub(el, "venueName", r.venue)
        _sub(el, "routedShr", _count(routed))
        _sub(el, "iocRoutedShr", _count(r.ioc_routed_shares))
        _sub(el, "furtherRoutableShr", _count(further.get(r.venue, np.nan if further.empty else 0)))
        _sub(el, "orderSizeShr", _fixed(r.avg_routed_size, 2, lo=0.0))
        _sub(el, "executedShr", _count(ex))
        _sub(el, "filledPct", _pct(ex, routed, 4) if np.isfinite(routed) else "")
        _sub(el, "fillSizeShr", _fixed(ex / r.fills, 2) if r.fills else "")
        _sub(el, "netFeeOrRebateCph", _fixed(-r.net_fee_cph, 4))
        for tag, shares in (("midpoint", r.midpoint_shares), ("nearside", r.near_side_shares),
                            ("farside", r.far_side_shares)):
            _sub(el, f"{tag}Shr", _count(shares))
            _sub(el, f"{tag}Pct", _pct(shares, ex, 4))
        _sub(el, "providedLiqudityShr", _count(r.provided_shares))  # sic: the schema's spelling
        _sub(el, "providedLiquidityPct", _pct(r.provided_shares, ex, 4))
        dur = duration.get(r.venue, np.nan)
        _sub(el, "orderDurationMsec", _fixed(dur, 0, lo=0.0))
        _sub(el, "providedLiquidityNetCph", _fixed(-r.net_fee_cph_provided, 4))
        _sub(el, "removedLiquidityShr", _count(r.removed_shares))
        _sub(el, "removedLiquidityPct", _pct(r.removed_shares, ex, 4))
        _sub(el, "removedLiquidityNetCph", _fixed(-r.net_fee_cph_removed, 4))
    return _serialize(tree)


def _count(value: float) -> str:
    return str(round(float(value))) if value is not None and np.isfinite(value) else ""


def _file_name(stem: str, router: str, several: bool, suffix: str) -> str:
    if not several:
        return f"{stem}{suffix}"
    return f"{stem}_{re.sub(r'[^A-Za-z0-9_.-]', '_', router)}{suffix}"


def compute_regulatory(orders: pd.DataFrame, fills: pd.DataFrame, venues: pd.DataFrame, *, context: RunContext,
                       children: pd.DataFrame | None = None, config: RegulatoryConfig | None = None,
                       nbbo: pd.DataFrame | None = None) -> RegulatoryReports:
    """Every regulatory file of a run: ``rule605_summary.csv`` and, per router, the 606(a)(1) and 606(b)(3) XML.

    With one router the XML files are ``rule606a1.xml`` and ``rule606b3.xml``; with several, one file per router,
    ``rule606a1_<router>.xml`` and ``rule606b3_<router>.xml`` (characters other than letters, digits, ``_.-``
    replaced by ``_``). ``children`` defaults to the context's child orders; ``nbbo`` (the run's NBBO history) dates
    the session's end for the Rule 605 realized spreads (:func:`rule605_summary`).
    """
    config = config or RegulatoryConfig()
    children = children if children is not None else context.children
    routers = sorted(orders["router"].unique())
    codes = entity_codes(routers, config.entity_codes)
    table = rule605_summary(orders, fills, context=context, config=config, nbbo=nbbo)
    files = {"rule605_summary.csv": rule605_csv(table)}
    several = len(routers) > 1
    for router in routers:
        files[_file_name("rule606a1", router, several, ".xml")] = rule606a1_xml(
            orders, fills, children, router=router, context=context, config=config)
        files[_file_name("rule606b3", router, several, ".xml")] = rule606b3_xml(
            venues, orders, fills, children, router=router, context=context, config=config)
    notes = list(context.notes)
    excluded = orders[orders["order_class"].isin(list(OES_ORDER_TYPES)) & ~orders["size_bucket"].isin(
        list(OES_SIZE_CODES))]
    if len(excluded):
        notes.append(f"rule605_summary.csv: {len(excluded)} market/marketable orders without an NBBO at arrival (no "
                     "notional bucket) are left out")
    return RegulatoryReports(files=files, rule605=table, entity_codes=codes, period=report_period(context, config),
                             notes=tuple(notes))
