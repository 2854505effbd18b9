"""The headline figures' one table (harness.analytics.labels): one label per definition, and the docs' copy of it."""

from __future__ import annotations

import re

from harness.analytics.labels import BY_KEY, CPH, LABELS, markdown_table
from tests.sim.helpers import REPO


def test_every_label_and_key_is_used_once():
    labels = [lab.label for lab in LABELS]
    assert len(set(labels)) == len(labels), sorted(lab for lab in labels if labels.count(lab) > 1)
    assert len(BY_KEY) == len(LABELS)


def test_every_label_names_its_population():
    for lab in LABELS:
        assert "orders" in lab.label.lower(), lab.label


def test_a_mean_and_a_median_never_share_a_label():
    for lab in LABELS:
        if "1st fill" in lab.label:
            assert lab.label.startswith(("Mean ", "Median ")), lab.label
            assert lab.label.startswith("Median") == ("median" in lab.definition), lab.key


def test_price_figures_are_shown_in_cph_only():
    for lab in LABELS:
        assert "$/sh" not in lab.label and "USD/share" not in lab.label, lab.label
        if lab.unit == "cph":
            assert lab.label.endswith("(cph)"), lab.label
        if lab.scale == CPH:  # stored in USD per share, shown x 10,000
            assert lab.unit == "cph", lab.key
    assert BY_KEY["pi_all"].shown(0.004034) == 0.004034 * 10_000  # the suite value, 40.34 cph


def test_docs_analytics_holds_the_generated_table():
    text = (REPO / "docs" / "analytics.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- labels:begin -->\n(.*?)<!-- labels:end -->", text, re.S)
    assert found, "docs/analytics.md lacks the labels:begin / labels:end markers"
    assert found.group(1) == markdown_table(), "regenerate it: python -m harness.analytics.labels"
