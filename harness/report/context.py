"""The report's first sections: verdicts, quarterly review, TCA dashboard, paired comparisons and exceptions.

Every number shown here is read from the analytics' output (``tca/``, ``conflict/``) or aggregated from
``tca/orders.parquet`` with the analytics' own functions, so the report never defines a figure twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from harness.analytics.labels import BY_KEY
from harness.analytics.labels import label as figure_label
from harness.report import fmt
from harness.report.data import RunData
from harness.report.headline import FIGURE_WORDS, Headline, headlines, rule_words
from harness.report.tables import Cell, Table, status_cell

STATUS_RANK = {"pass": 0, "review": 1, "fail": 2}
REVIEW_CATEGORIES = (
    ("price", "Price improvement and cost"), ("speed", "Execution speed"), ("fill", "Fill rates"),
    ("venue", "Venue analysis"), ("other", "Other rules"),
)
FIGURE_CATEGORY = {
    "pi_per_share": "price", "effective_spread": "price", "eq_ratio": "price", "shortfall_per_share": "price",
    "markout_1s": "price", "time_to_first_fill_ms": "speed", "fill_rate": "fill", "orders_filled_frac": "fill",
    "paying_venue_share": "venue",
}
ORDER_GROUPS = (
    ("market", "Market orders", ("market",)),
    ("marketable_limit", "Marketable limit orders", ("marketable_limit",)),
    ("limit", "Non-marketable limit orders", ("nml_beyond_midpoint", "nml_at_or_inside_quote", "nml_near_quote",
                                               "nml_away")),
    ("other", "IOC, FOK and unclassified orders", ("ioc", "unknown")),
)
PAIRED_LABELS = {k.removeprefix("paired_"): v.label for k, v in BY_KEY.items() if k.startswith("paired_")}
"""A paired figure's label (:mod:`harness.analytics.labels`): its population and unit."""
EXCEPTION_LABELS = {
    "slow_first_fill": "slow first fill", "pi_below_ticks": "price outside the quote", "poor_fill": "poor fill",
    "unexpected_venue": "unexpected venue",
}
EXCEPTION_FORMATS = {"slow_first_fill": fmt.ms, "pi_below_ticks": fmt.price, "poor_fill": fmt.pct,
                     "unexpected_venue": fmt.pct}
MAX_EXCEPTION_ROWS = 200


@dataclass
class RouterVerdict:
    """One router's line in the summary: did it run, the review's worst status, and the conflict flag."""

    router: str
    run_status: str = "ok"
    """``ok``, ``failed`` (every seed failed) or ``partial`` (some seeds failed)."""
    errors: list[str] = field(default_factory=list)
    verdict: str = "no review"
    counts: dict[str, int] = field(default_factory=lambda: {"pass": 0, "review": 0, "fail": 0})
    failing: list[str] = field(default_factory=list)
    reviewing: list[str] = field(default_factory=list)
    findings: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """status -> rule -> the symbols (``all`` for the pooled row) with that status."""
    flagged: bool | None = None
    conflict_finding: str = ""
    """The conflict summary's three-way finding (flagged, insufficient evidence, not flagged)."""
    conflict_reason: str = ""
    benchmark: bool = False


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    return [] if frame is None else frame.to_dict("records")


def _is_nan(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def _flag(v: Any) -> bool | None:
    if _is_nan(v):
        return None
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    return bool(v)


def benchmark_router(data: RunData) -> str | None:
    """The reference router the review benchmarked against.

    The most common router named in review.csv's ``benchmark`` column, else conflict/summary.csv's
    ``reference_router``; None with fixed benchmarks only.
    """
    routers = set(data.routers)
    review = data.table("tca/review.csv")
    if review is not None:
        named = Counter(b for b in review["benchmark"] if isinstance(b, str) and b in routers)
        if named:
            return sorted(named.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    conflict = data.table("conflict/summary.csv")
    if conflict is not None:
        for ref in conflict["reference_router"]:
            if isinstance(ref, str) and ref in routers:
                return ref
    return None


def router_verdicts(data: RunData) -> list[RouterVerdict]:
    """Each router's verdict, with the conflict flag and its reason.

    ``failed`` when none of its runs finished, else the worst status of its review rows (``no review`` without any).
    """
    bench = benchmark_router(data)
    out = {r: RouterVerdict(router=r, benchmark=r == bench) for r in data.routers}
    runs: dict[str, list[dict[str, Any]]] = {}
    for run in data.manifest.get("runs", []) or []:
        if isinstance(run, dict) and run.get("router") in out:
            runs.setdefault(str(run["router"]), []).append(run)
    for router, rows in runs.items():
        bad = [r for r in rows if r.get("status") != "ok"]
        v = out[router]
        if bad:
            v.run_status = "failed" if len(bad) == len(rows) else "partial"
            v.errors = [f"seed {r.get('seed')}: {r.get('error') or r.get('status')}" for r in bad]
    for row in _records(data.table("tca/review.csv")):
        found = out.get(str(row["router"]))
        if found is None:
            continue
        v = found
        status = str(row["status"])
        if status in v.counts:
            v.counts[status] += 1
        label = str(row["rule"]) + ("" if row["symbol"] in (None, "all") else f" ({row['symbol']})")
        if status == "fail":
            v.failing.append(label)
        elif status == "review":
            v.reviewing.append(label)
        if status in ("fail", "review"):
            v.findings.setdefault(status, {}).setdefault(str(row["rule"]), []).append(str(row["symbol"]))
    for v in out.values():
        if v.run_status == "failed":
            v.verdict = "failed"
        elif sum(v.counts.values()):
            v.verdict = max((s for s, n in v.counts.items() if n), key=STATUS_RANK.__getitem__)
    for row in _records(data.table("conflict/summary.csv")):
        flagged = out.get(str(row["router"]))
        if flagged is not None:
            flagged.flagged = _flag(row["flagged"])
            finding = row.get("finding")
            flagged.conflict_finding = (str(finding) if isinstance(finding, str) and finding
                                        else "flagged" if flagged.flagged else "not flagged")
            flagged.conflict_reason = "" if _is_nan(row["reason"]) else str(row["reason"])
    return list(out.values())


def grouped_summary(data: RunData, groups: dict[str, str], *, other: str = "other") -> pd.DataFrame | None:
    """The analytics' summary (:func:`harness.analytics.aggregate.summary_table`) over order-class groups.

    Each order class is mapped by ``groups`` (unlisted classes to ``other``); rows for every symbol and ``all``,
    sizes pooled. None without ``tca/orders.parquet`` (or with one lacking the summary's columns).
    """
    from harness.analytics.aggregate import summary_table

    orders = data.table("tca/orders.parquet")
    if orders is None or orders.empty:
        return None
    work = orders.assign(order_class=orders["order_class"].map(groups).fillna(other))
    try:
        table = summary_table(work)
    except KeyError:
        return None
    return table[table["size_bucket"] == "all"].reset_index(drop=True)


def _headline_rows(data: RunData) -> dict[str, dict[str, Any]]:
    """Per router, the summary's headline figures.

    Orders and fill rate over all orders; PI, E/Q and median time to first fill over market and marketable limit
    orders (Rule 605's covered orders). From the run's summary.csv without the order-level TCA.
    """
    table = grouped_summary(data, dict.fromkeys(("market", "marketable_limit"), "marketable"))
    if table is None:
        return {str(r["router"]): {"orders": r.get("orders"), "fill_rate": r.get("fill_rate")}
                for r in _records(data.table("summary.csv"))}
    out: dict[str, dict[str, Any]] = {}
    for r in table[table["symbol"] == "all"].to_dict("records"):
        row = out.setdefault(str(r["router"]), {})
        if r["order_class"] == "all":
            row.update(orders=r["orders"], fill_rate=r["fill_rate"])
        elif r["order_class"] == "marketable":
            row.update(pi=r["pi_per_share"], eq=r["eq_ratio"], first_fill=r["first_fill_ms_median"])
    return out


def findings_text(v: RouterVerdict, names: dict[str, dict[str, Any]] | None = None) -> str:
    """The rules a router failed or is reviewed on, by name with the id beside it.

    ``fail: Price improvement on marketable orders [pi-marketable] (all, AAA)``; ``names`` are the policy's rules by
    id (without them, the ids alone).
    """
    parts = []
    for status in ("fail", "review"):
        rules = v.findings.get(status, {})
        if rules:
            items = [rule_words(rule, (names or {}).get(rule)) + ("" if symbols == ["all"]
                                                                   else f" ({', '.join(symbols)})")
                     for rule, symbols in rules.items()]
            parts.append(f"{status}: {', '.join(items)}")
    return "; ".join(parts)


def summary_section(data: RunData) -> dict[str, Any]:
    """The verdict table, one row per router, and the conflict findings in words."""
    verdicts = router_verdicts(data)
    head = _headline_rows(data)
    policy_rules = _policy_rules(data)
    figures = ("orders", "fill_rate_all", "pi_marketable", "eq_marketable", "first_fill_median_marketable")
    t = Table("verdict", ["Router", "Runs", "Review verdict", "Rules pass / review / fail",
                          "Conflict of interest", *(figure_label(k) for k in figures)],
              numeric=[False] * 5 + [True] * 5,
              caption="Review verdict: the worst status of the router's review rules (tca/review.csv); the rules "
                      "behind it are named in the lines above (and on the counts' tooltip). Conflict: "
                      "conflict/summary.csv's flag (the reason is below). Marketable orders: market and marketable "
                      "limit orders, NBBO at arrival. Definitions: the glossary.")
    for v in verdicts:
        row = head.get(v.router, {})
        name = v.router + (" (benchmark)" if v.benchmark else "")
        runs = Cell("ok") if v.run_status == "ok" else status_cell("failed", title="; ".join(v.errors))
        if v.run_status == "partial":
            runs = status_cell("partial", title="; ".join(v.errors))
        counts = " / ".join(str(v.counts[s]) for s in ("pass", "review", "fail"))
        problems = findings_text(v, policy_rules)
        conflict = (status_cell(v.conflict_finding, title=v.conflict_reason) if v.flagged is not None
                    else Cell(fmt.DASH))
        t.add(Cell(name, "router"), runs, status_cell(v.verdict), Cell(counts, title=problems), conflict,
              fmt.integer(row.get("orders")), fmt.pct(row.get("fill_rate")), fmt.price(row.get("pi")),
              fmt.ratio(row.get("eq")), fmt.ms(row.get("first_fill")))
    findings = [{"router": v.router, "flagged": v.flagged, "reason": v.conflict_reason} for v in verdicts
                if v.flagged]
    failures = [{"router": v.router, "status": v.run_status, "errors": v.errors} for v in verdicts if v.errors]
    lines = [{"router": h.router + (" (benchmark)" if h.benchmark else ""), "badge": status_cell(h.outcome),
              "reasons": h.reasons} for h in headlines(verdicts, _policy_rules(data), benchmark_router(data))]
    # the console prints the same lines (harness.cli.run.print_headlines, from run_headlines)
    return {"table": t, "verdicts": verdicts, "findings": findings, "failures": failures,
            "benchmark": benchmark_router(data), "headlines": lines}


def run_headlines(data: RunData) -> list[Headline]:
    """The report's one line per router (:mod:`harness.report.headline`), for the console."""
    return headlines(router_verdicts(data), _policy_rules(data), benchmark_router(data))


def _policy_rules(data: RunData) -> dict[str, dict[str, Any]]:
    policy = data.meta.get("tca", {}).get("review_policy") or {}
    rules = {}
    for key in ("rules", "paying_venue_rules"):
        for r in policy.get(key, []) or []:
            if isinstance(r, dict) and "id" in r:
                rules[str(r["id"])] = r
    return rules


def review_section(data: RunData) -> dict[str, Any]:
    """The quarterly review: a router x rule status matrix and the rules' tables per category.

    Categories: price improvement and cost, execution speed, fill rates, venue analysis; each rule's figure,
    benchmark, action thresholds and outcome.
    """
    review = data.table("tca/review.csv")
    if review is None:
        return {"available": False, "matrix": None, "categories": []}
    rules = _policy_rules(data)
    rule_ids = list(dict.fromkeys(str(r) for r in review["rule"]))
    matrix = Table("review-matrix", ["Router", *(rule_words(r, rules.get(r)) for r in rule_ids)],
                   numeric=[False] * (1 + len(rule_ids)),
                   caption="Worst status of each rule per router (over symbols, for rules reviewed symbol by symbol).")
    records = review.to_dict("records")
    for router in [r for r in data.routers if any(x["router"] == r for x in records)]:
        cells: list[Cell | str] = [Cell(router, "router")]
        for rule in rule_ids:
            statuses = [str(r["status"]) for r in records if r["router"] == router and r["rule"] == rule]
            worst = max(statuses, key=lambda s: STATUS_RANK.get(s, -1)) if statuses else None
            cells.append(status_cell(worst) if worst else Cell(fmt.DASH))
        matrix.add(*cells)
    order = {r: i for i, r in enumerate(data.routers)}
    categories = []
    for key, title in REVIEW_CATEGORIES:
        cat_rows = [r for r in records if FIGURE_CATEGORY.get(str(r["figure"]), "other") == key]
        if not cat_rows:
            continue
        columns = (["Router", "Symbol", "Orders", "Paying-venue share", "Review share", "Share minus review share",
                    "95% interval", "Review / fail above", "Status", "Why"] if key == "venue" else
                   ["Router", "Symbol", "Orders", "Value", "Benchmark value", "Difference", "95% interval",
                    "Review / fail if worse by", "Status", "Why"])
        t = Table(f"review-{key}", columns, numeric=[False, False, True, True, True, True, True, True, False, False],
                  wide=True)
        for rule in dict.fromkeys(str(r["rule"]) for r in cat_rows):
            rows = sorted((r for r in cat_rows if r["rule"] == rule),
                          key=lambda r: (order.get(str(r["router"]), len(order)), str(r["router"]),
                                         r["symbol"] != "all", str(r["symbol"])))
            figure = str(rows[0]["figure"])
            desc = str(rules.get(rule, {}).get("description") or "").rstrip(".")
            classes = str(rows[0]["order_classes"]).replace(" ", ", ")
            share_rule = figure == "paying_venue_share"
            if share_rule:
                how = ("review above the first share, fail above the second, while the price improvement at paying "
                       "venues is not better than the reference router's")
            else:
                benches = sorted({str(r["benchmark"]) for r in rows if isinstance(r["benchmark"], str)})
                how = f"benchmark: {', '.join(benches) or 'none'}, on the same orders"
            words = FIGURE_WORDS.get(figure, figure)
            t.group(f"{rule_words(rule, rules.get(rule))}: {desc}. Figure: {words} "
                    f"({fmt.FIGURE_UNITS.get(figure, 'units')}) of {classes} "
                    f"orders; {how}.")
            for r in rows:
                if share_rule:
                    thresholds = f"{fmt.pct(r['review_threshold'])} / {fmt.pct(r['fail_threshold'])}"
                else:
                    thresholds = (f"{fmt.figure_threshold(figure, r['review_threshold'])} / "
                                  f"{fmt.figure_threshold(figure, r['fail_threshold'])}")
                t.add(Cell(str(r["router"]), "router"), fmt.text(r["symbol"]), fmt.integer(r["orders"]),
                      fmt.figure_value(figure, r["value"]), fmt.figure_value(figure, r["benchmark_value"]),
                      fmt.figure_diff(figure, r["diff"]), fmt.figure_interval(figure, r["ci_low"], r["ci_high"]),
                      thresholds, status_cell(str(r["status"])), Cell(fmt.text(r["detail"]), "detail"))
        categories.append({"key": key, "title": title, "table": t})
    return {"available": True, "matrix": matrix, "categories": categories}


DASHBOARD_FIGURES = ("fill_rate_row", "pi_row", "pi_vs_bench_row", "eq_row", "markout_1s_row", "shortfall_row",
                     "first_fill_median_row")


def dashboard_tables(data: RunData, bench: str | None) -> list[Table]:
    """The TCA dashboard: one table per symbol (all symbols first).

    Each router's figures on market, marketable limit and non-marketable limit orders, the benchmark router's first
    and each router's price improvement against it.
    """
    group_of = {c: key for key, _label, classes in ORDER_GROUPS for c in classes}
    table = grouped_summary(data, group_of)
    if table is None:
        return []
    routers = [r for r in data.routers if r in set(table["router"])]
    if bench in routers:
        routers = [bench, *(r for r in routers if r != bench)]
    symbols = ["all", *sorted(s for s in set(table["symbol"]) if s != "all")]
    out = []
    for symbol in symbols:
        sub = table[table["symbol"] == symbol]
        rows = {(r["router"], r["order_class"]): r for r in sub.to_dict("records")}
        label = "all symbols" if symbol == "all" else symbol
        t = Table(f"dashboard-{symbol}", ["Router", "Orders", "Shares", *(figure_label(k) for k in DASHBOARD_FIGURES)],
                  numeric=[False] + [True] * 9, caption=f"Execution quality, {label}.", wide=True)
        for key, title, _classes in ORDER_GROUPS:
            present = [r for r in routers if (r, key) in rows]
            if not present:
                continue
            t.group(title)
            ref = rows.get((bench, key)) if bench else None
            for router in present:
                r = rows[(router, key)]
                vs = (fmt.DASH if ref is None or router == bench
                      else fmt.price(r["pi_per_share"] - ref["pi_per_share"]))
                name = router + (" (benchmark)" if router == bench else "")
                t.add(Cell(name, "router bench" if router == bench else "router"), fmt.integer(r["orders"]),
                      fmt.integer(r["shares"]), fmt.pct(r["fill_rate"]), fmt.price(r["pi_per_share"]), vs,
                      fmt.ratio(r["eq_ratio"]), fmt.price(r["markout_1s"]), fmt.price(r["shortfall_per_share"]),
                      fmt.ms(r["first_fill_ms_median"]))
        out.append(t)
    return out


def _against(row: dict[str, Any], router: str) -> tuple[float, float, float, float, float]:
    """``row``'s paired difference turned into router - other: (value, other value, diff, low, high)."""
    if row["router_a"] == router:
        return row["value_a"], row["value_b"], row["mean_diff"], row["ci_low"], row["ci_high"]
    return row["value_b"], row["value_a"], -row["mean_diff"], -row["ci_high"], -row["ci_low"]


PAIRED_STRATA = ("order_class", "symbol", "size_bucket")
PAIRED_POPULATION = (
    "Population: every parent both routers have the figure for (time to first fill: parents both routers filled), "
    "classified in the common market. Per seed, the mean paired difference within order class x symbol x size "
    "bucket, strata weighted by their share of paired parents (E/Q: per seed E/Q of one minus E/Q of the other); "
    "interval: Student's t over the seeds (the seed is the independent unit). Fewer than 5 seeds: no interval, "
    "no result.")


def _pooled(paired: pd.DataFrame, order_class: str = "all") -> pd.DataFrame:
    """The rows of one order class pooled over symbols and size buckets ("all": every stratum); old tables: all."""
    if not all(c in paired.columns for c in PAIRED_STRATA):
        return paired if order_class == "all" else paired.iloc[0:0]
    keep = (paired["order_class"] == order_class) & (paired["symbol"] == "all") & (paired["size_bucket"] == "all")
    return paired[keep]


def _few(r: dict[str, Any]) -> str | None:
    """The too-few-seeds text of a paired row, if it has one."""
    v = r.get("verdict")
    return v if isinstance(v, str) and v.startswith("too few seeds") else None


def _result(r: dict[str, Any], router: str, bench: str) -> Cell:
    few = _few(r)
    if few:
        return Cell(few, "badge none")
    better = r["better"] if isinstance(r["better"], str) else None
    result = "better" if better == router else "worse" if better == bench else "no significant difference"
    return Cell(result, {"better": "badge pass", "worse": "badge fail"}.get(result, "badge none"))


def _vs_bench(data: RunData, records: list[dict[str, Any]], figures: list[str], bench: str, *, table_id: str,
              caption: str, by_class: bool = False) -> Table:
    """Each router minus ``bench`` per figure (and order class), with seeds, interval and result."""
    head = ["Router", *(["Order class", "Weight"] if by_class else []), "Seeds", "Orders paired", "Router's value",
            f"{bench}'s value", "Difference", "95% interval (seeds)", "Result"]
    t = Table(table_id, head, numeric=[False, *([False, True] if by_class else []), True, True, True, True, True,
                                       True, False], caption=caption, wide=by_class)
    order = {r: i for i, r in enumerate(data.routers)}
    for figure in figures:
        rows = [r for r in records if r["figure"] == figure and bench in (r["router_a"], r["router_b"])]
        if not rows:
            continue
        direction = "higher is better" if _flag(rows[0]["higher_is_better"]) else "lower is better"
        t.group(f"{PAIRED_LABELS.get(figure, figure)}, {direction}")
        rows.sort(key=lambda r: (order.get(r["router_b"] if r["router_a"] == bench else r["router_a"], len(order)),
                                 str(r.get("order_class", ""))))
        for r in rows:
            router = r["router_b"] if r["router_a"] == bench else r["router_a"]
            value, other, diff, lo, hi = _against(r, router)
            extra = [fmt.text(r["order_class"]), fmt.pct(r["weight"])] if by_class else []
            t.add(Cell(router, "router"), *extra, fmt.integer(r.get("seeds", 0)), fmt.integer(r["n"]),
                  fmt.figure_value(figure, value), fmt.figure_value(figure, other), fmt.figure_diff(figure, diff),
                  fmt.figure_interval(figure, lo, hi), _result(r, router, bench))
    return t


def _ranking(data: RunData, ranking: pd.DataFrame) -> Table:
    rank_recs = _pooled(ranking).to_dict("records")
    rfig = list(dict.fromkeys(str(r["figure"]) for r in rank_recs))
    t = Table("ranking", ["Router", *(PAIRED_LABELS.get(f, f) for f in rfig)], numeric=[False] + [True] * len(rfig),
              caption="Rank per figure over every paired parent (stratum all, weighted as above): 1 + the number of "
                      "routers whose paired interval beats the router's (routers no interval separates share a "
                      "rank; with fewer than 5 seeds nobody is separated); the router's own value in brackets. "
                      "Per order class, symbol and size bucket: tca/ranking.csv.", wide=True)
    for router in [r for r in data.routers if any(x["router"] == r for x in rank_recs)]:
        cells: list[Cell | str] = [Cell(router, "router")]
        for f in rfig:
            hit = [x for x in rank_recs if x["router"] == router and x["figure"] == f]
            cells.append(f"{fmt.integer(hit[0]['rank'])} ({fmt.figure_value(f, hit[0]['value'])})" if hit
                         else fmt.DASH)
        t.add(*cells)
    return t


def paired_section(data: RunData, bench: str | None) -> dict[str, Any]:
    """Each router against the benchmark router (overall and per order class), the ranking, and all pairs."""
    paired = data.table("tca/paired.csv")
    ranking = data.table("tca/ranking.csv")
    out: dict[str, Any] = {"available": paired is not None, "benchmark": bench, "vs_bench": None, "by_class": None,
                           "ranking": None, "all_pairs": None, "population": PAIRED_POPULATION}
    if paired is None:
        return out
    records = _pooled(paired).to_dict("records")
    figures = list(dict.fromkeys(str(r["figure"]) for r in records))
    if bench is not None:
        out["vs_bench"] = _vs_bench(
            data, records, figures, bench, table_id="paired-benchmark",
            caption=f"Router minus {bench} on the same orders, stratum all. {PAIRED_POPULATION}")
        if all(c in paired.columns for c in PAIRED_STRATA):
            classes = [c for c in dict.fromkeys(str(x) for x in paired["order_class"]) if c != "all"]
            by_class = pd.concat([_pooled(paired, c) for c in classes]) if classes else paired.iloc[0:0]
            out["by_class"] = _vs_bench(
                data, by_class.to_dict("records"), figures, bench, table_id="paired-classes",
                caption=f"Router minus {bench} within each order class (common market), pooled over symbols and "
                        "size buckets; weight: the class's share of the pair's paired parents in the all row.",
                by_class=True)
    if ranking is not None:
        out["ranking"] = _ranking(data, ranking)
    t = Table("paired-all", ["Router A", "Router B", "Seeds", "Orders", "A", "B", "A - B", "95% interval (seeds)",
                             "Better"],
              numeric=[False, False, True, True, True, True, True, True, False],
              caption="Every pair of routers (A before B alphabetically), stratum all (population as above); "
                      "every stratum: tca/paired.csv.", wide=True)
    for figure in figures:
        t.group(PAIRED_LABELS.get(figure, figure))
        for r in (x for x in records if x["figure"] == figure):
            better = _few(r) or (fmt.text(r["better"]) if isinstance(r["better"], str) and r["better"] else "none")
            t.add(Cell(str(r["router_a"]), "router"), Cell(str(r["router_b"]), "router"),
                  fmt.integer(r.get("seeds", 0)), fmt.integer(r["n"]),
                  fmt.figure_value(figure, r["value_a"]), fmt.figure_value(figure, r["value_b"]),
                  fmt.figure_diff(figure, r["mean_diff"]),
                  fmt.figure_interval(figure, r["ci_low"], r["ci_high"]), better)
    out["all_pairs"] = t
    out["drift"] = drift_table(data)
    return out


def drift_table(data: RunData) -> Table | None:
    """Per router: how far its own market drifted from the common no-router market (``tca/drift.csv``, all seeds)."""
    drift = data.table("tca/drift.csv")
    if drift is None or not len(drift):
        return None
    t = Table("drift", ["Router", "Parents", "Arrival NBBO differs", "Order class differs", "Size bucket differs",
                        "Mean |arrival mid difference| (bps)"],
              numeric=[False, True, True, True, True, True],
              caption="Share of the router's parents (all seeds) whose arrival NBBO, order class or size bucket in "
                      "the router's own market differs from the common market simulated without any router on the "
                      "same background streams; the mean absolute difference of the arrival midpoints is in basis "
                      "points of the common midpoint. Paired comparisons and the review's paired rules classify on "
                      "the common market; the Rule 605-style tables keep each router's own market. \"(any router)\" "
                      "counts a parent once if it drifted for any router. Per seed: tca/drift.csv.")
    for r in drift[drift["seed"].astype(str) == "all"].to_dict("records"):
        t.add(Cell(str(r["router"]), "router"), fmt.integer(r["parents"]), fmt.pct(r["arrival_differs_share"]),
              fmt.pct(r["class_differs_share"]), fmt.pct(r["size_bucket_differs_share"]),
              fmt.bps(r["mid_abs_diff_bps"]))
    return t


def exceptions_section(data: RunData) -> dict[str, Any]:
    """Exception counts per router and rule, and the exceptions themselves (the first ``MAX_EXCEPTION_ROWS``)."""
    exc = data.table("tca/exceptions.csv")
    if exc is None:
        return {"available": False, "counts": None, "list": None, "total": 0, "shown": 0}
    rules = list(dict.fromkeys(str(r) for r in exc["rule"]))
    for r in EXCEPTION_LABELS:
        if r not in rules:
            rules.append(r)
    counts = Table("exception-counts", ["Router", *(EXCEPTION_LABELS.get(r, r) for r in rules), "Total"],
                   numeric=[False] + [True] * (len(rules) + 1),
                   caption="Orders caught by each exception rule (an order can be caught by several).")
    for router in data.routers:
        sub = exc[exc["router"] == router]
        counts.add(Cell(router, "router"), *(fmt.integer((sub["rule"] == r).sum()) for r in rules),
                   fmt.integer(len(sub)))
    shown = exc.sort_values(["router", "rule", "seed", "parent_id"], kind="stable").head(MAX_EXCEPTION_ROWS)
    t = Table("exceptions", ["Router", "Seed", "Parent", "Symbol", "Side", "Order class", "Rule", "Value",
                             "Threshold", "Venue", "Detail"],
              numeric=[False, True, True, False, False, False, False, True, True, False, False], wide=True)
    for r in shown.to_dict("records"):
        f = EXCEPTION_FORMATS.get(str(r["rule"]), fmt.number)
        t.add(Cell(str(r["router"]), "router"), fmt.integer(r["seed"]), fmt.integer(r["parent_id"]),
              fmt.text(r["symbol"]), fmt.text(r["side"]), fmt.text(r["order_class"]),
              EXCEPTION_LABELS.get(str(r["rule"]), str(r["rule"])), f(r["value"]), f(r["threshold"]),
              fmt.text(r["venue"]), Cell(fmt.text(r["detail"]), "detail"))
    return {"available": True, "counts": counts, "list": t, "total": len(exc), "shown": len(shown)}
