"""One label, one definition: a headline figure shows the same number under the same label in every output.

On one small run of four routers: the console's run summary (``sorbench run``), the ``sorbench tca`` console table,
``report.html``, ``suite.html`` and ``compare.html``. Every headline header is a label of harness.analytics.labels;
a label seen in two outputs shows the same value there (within the outputs' rounding), and the issue's clashes are
gone: the console's mean and the report's median time to first fill have different labels, E/Q on marketable and on
all orders have different labels, and price improvement is in cph everywhere.
"""

from __future__ import annotations

import html
import math
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from typer.testing import CliRunner

from harness.analytics.labels import BY_KEY, LABELS
from harness.cli import app
from harness.cli.console import out_console
from harness.cli.run import print_summary
from harness.report.suite import render_suite_html
from harness.workflows.suite import suite_summary

GLOSSARY = {lab.label for lab in LABELS}
OLD_LABELS = ("PI $/sh", "PI $/share", "1st fill ms", "Customer PI cph", "E/Q *", "shortfall $/sh", "$/share")


def _num(text: str) -> float:
    """A shown number ("+29.85", "96.9%", "1,234.5", en dash) as a float (NaN for a dash)."""
    t = html.unescape(text).strip().replace(",", "").rstrip("%")
    return math.nan if t in ("\u2013", "-", "") else float(t)


def rich_table(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """A rich table printed wide enough not to wrap its cells: its headers and its rows by first cell."""
    heads: list[str] = []
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("┃"):
            heads = [c.strip() for c in line.strip("┃").split("┃")]
        elif line.startswith("│"):
            cells = [c.strip() for c in line.strip("│").split("│")]
            rows[cells[0]] = cells
    return heads, rows


def html_table(page: str, key: str) -> tuple[list[str], dict[str, list[str]]]:
    """A report table (``id="t-<key>"``): its headers and its body rows by first cell."""
    found = re.search(rf'<table[^>]*id="t-{re.escape(key)}".*?</table>', page, re.S)
    assert found, key
    body = found.group(0)
    heads = [html.unescape(re.sub(r"<[^>]+>", "", h)) for h in re.findall(r"<th[^>]*>(.*?)</th>", body, re.S)]
    rows = {}
    for tr in re.findall(r"<tr(?: class=\"[^\"]*\")?>(.*?)</tr>", body.split("<tbody>")[1], re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        if len(cells) > 1:
            rows[cells[0].removesuffix(" (benchmark)")] = cells
    return heads, rows


def column(table: tuple[list[str], dict[str, list[str]]], key: str) -> dict[str, float]:
    """Per router, the number under the label of ``key``."""
    heads, rows = table
    i = heads.index(BY_KEY[key].label)
    return {router: _num(cells[i]) for router, cells in rows.items()}


def same(a: dict[str, float], b: dict[str, float], tol: float) -> None:
    assert set(a) == set(b)
    for router in a:
        assert (math.isnan(a[router]) and math.isnan(b[router])) or abs(a[router] - b[router]) <= tol, (
            router,
            a[router],
            b[router],
        )


@pytest.fixture(scope="module")
def outputs(report_run: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("labels")
    copy = tmp / "run"
    shutil.copytree(report_run, copy)
    wide = 400  # wide enough that no rich cell wraps
    old = out_console.width
    out_console.width = wide
    try:
        outcome = SimpleNamespace(
            summary=pd.read_csv(report_run / "summary.csv"), failures=[], results=[], out_dir=report_run, stale=[]
        )
        with out_console.capture() as cap:
            print_summary(outcome)
        run_console = cap.get()
        res = CliRunner().invoke(app, ["tca", "--run", str(copy)], terminal_width=wide)
        assert res.exit_code == 0, res.output
        tca_console = res.output
        res = CliRunner().invoke(app, ["compare", str(report_run), str(copy), "--out", str(tmp / "cmp")])
        assert res.exit_code == 0, res.output
    finally:
        out_console.width = old
    plan = SimpleNamespace(
        runs=[
            SimpleNamespace(
                label="run",
                routers=list(pd.read_csv(report_run / "summary.csv")["router"]),
                scenario=SimpleNamespace(name="small"),
                seeds=[1],
            )
        ]
    )
    summary = suite_summary(report_run.parent, plan, [{"status": "ok"}])  # type: ignore[arg-type]
    info = {
        "name": "labels",
        "description": "",
        "suite_file": "x.toml",
        "suite_file_sha256": "0" * 64,
        "versions": {"sorbench": "test", "git_commit": ""},
        "started_utc": "",
        "runs": [
            {
                "label": "run",
                "scenario_name": "small",
                "seeds": [1],
                "status": "ok",
                "manifest_sha256": "0" * 64,
                "analysis": "ok",
                "failed_router_runs": [],
            }
        ],
    }
    return {
        "run": run_console,
        "tca": tca_console,
        "report": (report_run / "report.html").read_text("utf-8"),
        "suite": render_suite_html(info, summary, bundle=report_run.parent),
        "compare": (tmp / "cmp" / "compare.html").read_text("utf-8"),
    }


def test_the_console_and_the_report_show_each_shared_label_with_the_same_number(outputs):
    console = rich_table(outputs["run"])
    report = html_table(outputs["report"], "verdict")
    assert console[0][3:] == [
        BY_KEY[k].label
        for k in (
            "fill_rate_all",
            "pi_marketable",
            "eq_marketable",
            "first_fill_mean_marketable",
            "fees_usd",
            "pfof_usd",
        )
    ]
    same(column(console, "pi_marketable"), column(report, "pi_marketable"), 0.011)
    same(column(console, "eq_marketable"), column(report, "eq_marketable"), 0.0011)
    same(column(console, "fill_rate_all"), column(report, "fill_rate_all"), 0.051)
    # the console's mean and the report's median time to first fill are two labels, not one
    assert BY_KEY["first_fill_mean_marketable"].label not in report[0]
    assert BY_KEY["first_fill_median_marketable"].label in report[0]


def test_pi_on_all_filled_orders_is_one_number_in_tca_suite_and_the_conflict_section(outputs):
    tca = rich_table(outputs["tca"])
    conflict = html_table(outputs["report"], "conflict-summary")
    assert tca[0][2:] == [
        BY_KEY[k].label for k in ("fill_rate_all", "pi_all", "eq_all", "shortfall_all", "first_fill_median_all")
    ]
    pi = column(tca, "pi_all")
    same(pi, column(conflict, "pi_all"), 0.011)
    run_table = str(outputs["suite"]).split('id="run"')[1].split("</table>")[0]  # after the verdict matrix
    heads = [html.unescape(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", run_table)]
    rows = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", run_table, re.S):
        cells = [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        if cells:
            rows[cells[0]] = cells
    suite_pi = column((heads, rows), "pi_all")
    for router, value in pi.items():  # suite.html shows 4 significant digits, the console two decimals
        assert abs(suite_pi[router] - value) <= 0.006 + 1e-3 * abs(value), (router, suite_pi[router], value)
    # E/Q over all orders and over marketable orders never share a label
    assert BY_KEY["eq_all"].label != BY_KEY["eq_marketable"].label


def test_no_output_uses_an_ambiguous_or_per_share_label(outputs):
    headline = [*rich_table(outputs["run"])[0], *rich_table(outputs["tca"])[0]]
    for key in ("verdict", "dashboard-all", "conflict-summary"):
        headline += html_table(outputs["report"], key)[0]
    for name, text in outputs.items():
        for old in OLD_LABELS:
            assert old not in html.unescape(str(text)), (name, old)
    figure_heads = [h for h in headline if any(w in h for w in ("PI", "E/Q", "1st fill", "Shortfall", "Markout"))]
    assert figure_heads and all(h in GLOSSARY for h in figure_heads), sorted(set(figure_heads) - GLOSSARY)


def test_compare_labels_every_figure_with_its_population_and_unit(outputs):
    page = html.unescape(str(outputs["compare"]))
    for fig in ("pi_per_share", "eq_ratio", "fill_rate", "shortfall_per_share", "time_to_first_fill_ms"):
        assert BY_KEY[f"paired_{fig}"].label in page, fig


def test_the_report_glossary_is_the_table(outputs):
    heads, rows = html_table(outputs["report"], "glossary")
    assert heads[:4] == ["Label", "Definition", "Population", "Unit"]
    assert set(rows) == GLOSSARY
