"""The report's ten-second answer: one line per router in words, before any table.

Each line gives the router's overall outcome against the named benchmark router and why:

* ``failed`` when none of its simulations finished (``partial`` is said beside the outcome when some did not);
* else ``flagged`` when the conflict-of-interest evidence flags it, whatever its review says;
* else the worst status of its review rules: ``fail``, ``review`` or ``pass``.

Reasons name at most three review rules it failed (then those in review) in words, by the figure and the orders the
rule covers (``price improvement, marketable orders [pi-marketable] (in AAA)``, the rule's id as a secondary label),
counting the rest, and the conflict finding (its reason's first clause). Rule names come from the run's review policy
(``tca/meta.json``) so that a firm's own rules read as well as the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FIGURE_WORDS = {
    "pi_per_share": "price improvement", "eq_ratio": "effective over quoted spread",
    "effective_spread": "effective spread", "quoted_spread": "quoted spread", "fill_rate": "fill rate",
    "orders_filled_frac": "share of orders filled", "shortfall_per_share": "implementation shortfall",
    "time_to_first_fill_ms": "speed (time to first fill)", "markout_1s": "1-second markout",
}
"""A review figure in words."""

MARKETABLE = {"market", "marketable_limit"}
NON_MARKETABLE = {"nml_beyond_midpoint", "nml_at_or_inside_quote", "nml_near_quote"}
MAX_REASONS = 3


@dataclass(frozen=True)
class Headline:
    """One router's line: its outcome (a status badge's text) and the reasons in words."""

    router: str
    outcome: str
    reasons: list[str]
    benchmark: bool


def scope_words(classes: list[str] | None) -> str:
    """The orders a rule covers, in words."""
    got = set(classes or ["all"])
    if "all" in got:
        return "all orders"
    if got == MARKETABLE:
        return "marketable orders"
    if got == NON_MARKETABLE:
        return "non-marketable limit orders"
    return ", ".join(sorted(c.replace("_", " ") for c in got)) + " orders"


def rule_words(rule_id: str, rule: dict[str, Any] | None) -> str:
    """A review rule by its human name, its id after it: ``Price improvement on marketable orders [pi-marketable]``.

    The name is the policy's ``name``; a rule without one is named by its figure and orders in words
    (``price improvement, marketable orders [pi-marketable]``).
    """
    if rule is None:
        return rule_id
    if rule.get("name"):
        return f"{rule['name']} [{rule_id}]"
    if "figure" in rule:
        what = FIGURE_WORDS.get(str(rule["figure"]), str(rule["figure"]).replace("_", " "))
    else:
        what = "share of flow to paying venues"
    return f"{what}, {scope_words(rule.get('order_classes'))} [{rule_id}]"


def _rule_reasons(findings: dict[str, dict[str, list[str]]], rules: dict[str, dict[str, Any]],
                  bench: str | None) -> list[str]:
    out = []
    against = f" than {bench}" if bench else ""
    named = 0
    total = sum(len(findings.get(status, {})) for status in ("fail", "review"))
    for status, verb in (("fail", f"worse{against} beyond the fail margin on"),
                         ("review", f"worse{against} beyond the review margin on")):
        items = []
        for rule_id, symbols in findings.get(status, {}).items():
            if named == MAX_REASONS:
                break
            named += 1
            listed = ", ".join(s for s in symbols if s != "all")
            where = "" if not listed else f" (overall and in {listed})" if "all" in symbols else f" (in {listed})"
            items.append(rule_words(rule_id, rules.get(rule_id)) + where)
        if items:
            out.append(f"{verb} {'; '.join(items)}")
    if total > named:
        out.append(f"and {total - named} more rule(s) in the tables below")
    return out


def headlines(verdicts: list[Any], rules: dict[str, dict[str, Any]], bench: str | None) -> list[Headline]:
    """One :class:`Headline` per router verdict (:class:`harness.report.context.RouterVerdict`)."""
    out = []
    for v in verdicts:
        reasons: list[str] = []
        if v.run_status == "failed":
            outcome = "failed"
            reasons.append("no simulation finished: " + "; ".join(v.errors[:2]))
        else:
            outcome = "flagged" if v.flagged else v.verdict
            if v.run_status == "partial":
                reasons.append("some simulations failed: " + "; ".join(v.errors[:2]))
            if v.benchmark:
                reasons.append("the benchmark router: every other router is measured against it")
            reasons += _rule_reasons(v.findings, rules, bench)
            if v.conflict_finding:
                first = v.conflict_reason.split("; ")[0] if v.conflict_reason else v.conflict_finding
                reasons.append(f"conflict of interest: {first}")
        out.append(Headline(router=v.router, outcome=outcome, reasons=reasons, benchmark=v.benchmark))
    return out
