"""The report's one line per router: outcome against the benchmark and the reasons in words."""

from __future__ import annotations

from harness.report.context import RouterVerdict
from harness.report.headline import MAX_REASONS, headlines, rule_words, scope_words

RULES = {
    "pi-marketable": {"id": "pi-marketable", "figure": "pi_per_share", "order_classes": ["market", "marketable_limit"]},
    "fill-limit": {"id": "fill-limit", "figure": "fill_rate",
                   "order_classes": ["nml_beyond_midpoint", "nml_at_or_inside_quote", "nml_near_quote"]},
    "paying": {"id": "paying", "order_classes": ["all"]},
}


def verdict(router: str, **kw: object) -> RouterVerdict:
    v = RouterVerdict(router=router)
    for k, val in kw.items():
        setattr(v, k, val)
    return v


def test_rules_read_in_words_with_their_id_after_them():
    assert rule_words("pi-marketable", RULES["pi-marketable"]) == "price improvement, marketable orders [pi-marketable]"
    assert rule_words("fill-limit", RULES["fill-limit"]) == "fill rate, non-marketable limit orders [fill-limit]"
    assert rule_words("paying", RULES["paying"]) == "share of flow to paying venues, all orders [paying]"
    assert rule_words("mine", None) == "mine"  # a rule the policy does not describe keeps its id
    # a rule the policy names reads by its name, the id after it
    named = {**RULES["pi-marketable"], "name": "Price improvement on marketable orders"}
    assert rule_words("pi-marketable", named) == "Price improvement on marketable orders [pi-marketable]"
    assert scope_words(["ioc"]) == "ioc orders"


def test_the_outcome_is_failed_then_flagged_then_the_worst_review_status():
    vs = [
        verdict("a", run_status="failed", errors=["seed 1: boom"], verdict="failed"),
        verdict("b", verdict="review", flagged=True, conflict_finding="flagged",
                conflict_reason="flagged: incentive test (PFOF): venue share moves +10 points; more"),
        verdict("c", verdict="fail", findings={"fail": {"pi-marketable": ["all", "AAA"]},
                                               "review": {"fill-limit": ["BBB"]}}),
        verdict("d", verdict="pass", benchmark=True, flagged=False, conflict_finding="not flagged",
                conflict_reason="not flagged: PFOF: elasticity +0.00"),
    ]
    lines = {h.router: h for h in headlines(vs, RULES, "d")}
    assert lines["a"].outcome == "failed" and lines["a"].reasons == ["no simulation finished: seed 1: boom"]
    assert lines["b"].outcome == "flagged"
    assert lines["b"].reasons == ["conflict of interest: flagged: incentive test (PFOF): venue share moves +10 points"]
    assert lines["c"].outcome == "fail" and lines["c"].reasons == [
        "worse than d beyond the fail margin on price improvement, marketable orders [pi-marketable] (overall and "
        "in AAA)",
        "worse than d beyond the review margin on fill rate, non-marketable limit orders [fill-limit] (in BBB)",
    ]
    assert lines["d"].outcome == "pass" and lines["d"].benchmark
    assert lines["d"].reasons[-1] == "conflict of interest: not flagged: PFOF: elasticity +0.00"


def test_at_most_three_rules_are_named_and_the_rest_counted():
    many = {"fail": {f"r{i}": ["all"] for i in range(2)}, "review": {f"s{i}": ["all"] for i in range(3)}}
    (h,) = headlines([verdict("x", verdict="fail", findings=many, run_status="partial", errors=["seed 2: x"])], {},
                     None)
    assert MAX_REASONS == 3
    assert h.reasons == ["some simulations failed: seed 2: x", "worse beyond the fail margin on r0; r1",
                         "worse beyond the review margin on s0", "and 2 more rule(s) in the tables below"]
