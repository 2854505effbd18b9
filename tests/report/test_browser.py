"""The HTML report in a real browser (headless Chromium through Selenium) at a laptop size, 1366 x 768.

Checked from the rendered page: every figure loads, the key tables are there and have rows, nothing is wider than
the window except inside the tables' own scroll boxes, every section heading is present; and, in print media at the
A4-landscape page width, nothing overflows the page. The full-page screenshot is saved to
``tests/artifacts/report-laptop.png``. Skipped without Chromium or chromedriver (``.ci/run`` installs both).
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.report import SECTIONS

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LAPTOP = (1366, 768)
A4_LANDSCAPE_CONTENT_PX = 1047  # 297 mm - 2 x 10 mm page margins at 96 px per inch
KEY_TABLES = ("verdict", "review-matrix", "review-price", "dashboard-all", "paired-benchmark", "paired-all",
              "conflict-summary", "venue-mix", "exception-counts", "rule605", "rule606a1", "rule606b3", "files")

OVERFLOW_JS = """
const limit = arguments[0], skipScroll = arguments[1], bad = [];
for (const el of document.body.querySelectorAll('*')) {
  if (skipScroll && el.closest('.scroll')) continue;
  const r = el.getBoundingClientRect();
  if (r.width > 0 && r.right > limit + 0.5)
    bad.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} right=${Math.round(r.right)}`);
}
return bad.slice(0, 10);
"""


def _driver_paths() -> tuple[str, str]:
    from harness.errors import UserError
    from harness.report.pdf import find_chromium

    try:
        chromium = find_chromium()
    except UserError as err:
        pytest.skip(str(err))
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").is_file()
                                              else None)
    if chromium is None or driver is None:
        pytest.skip("needs Chromium and chromedriver (Debian packages chromium, chromium-driver; .ci/run installs "
                    "them)")
    return chromium.path, driver


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium, driver = _driver_paths()
    pytest.importorskip("selenium")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = chromium
    for arg in ("--headless=new", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                f"--window-size={LAPTOP[0]},{LAPTOP[1]}"):
        options.add_argument(arg)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium's sandbox cannot start as root
    # The driver's path is given, so Selenium Manager never looks for (or downloads) one.
    drv = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        yield drv
    finally:
        drv.quit()


@pytest.fixture(scope="module")
def page(browser: Any, report_run: Path) -> Any:
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "screen"})
    browser.get((report_run / "report.html").as_uri())
    browser.execute_script("return document.fonts.ready")
    return browser


def test_every_figure_loads(page):
    images = page.execute_script(
        "return Array.from(document.images).map(i => [i.closest('figure') ? i.closest('figure').id : i.alt, "
        "i.complete, i.naturalWidth, i.naturalHeight, i.getBoundingClientRect().width])")
    assert len(images) >= 6
    for fig_id, complete, natural_w, natural_h, shown_w in images:
        assert complete and natural_w > 0 and natural_h > 0, fig_id
        assert shown_w > 0, fig_id
    svgs = page.execute_script(
        "return Array.from(document.querySelectorAll('svg')).map(s => { const r = s.getBoundingClientRect(); "
        "return [r.width, r.height]; })")
    assert all(w > 0 and h > 0 for w, h in svgs)


def test_the_key_tables_are_present_and_have_rows(page):
    counts = page.execute_script(
        "const out = {}; for (const k of arguments[0]) { const t = document.getElementById('t-' + k); "
        "out[k] = t ? t.querySelectorAll('tbody tr:not(.group)').length : -1; } return out;", list(KEY_TABLES))
    missing = [k for k, n in counts.items() if n < 0]
    empty = [k for k, n in counts.items() if n == 0]
    assert not missing and not empty, (missing, empty)


def test_every_section_heading_is_present_in_order(page):
    headings = page.execute_script(
        "return Array.from(document.querySelectorAll('section.report-section')).map(s => [s.id, "
        "s.querySelector('h2').innerText])")
    assert [tuple(h) for h in headings] == [(i, t) for i, t in SECTIONS]


def test_nothing_overflows_the_page_width_at_laptop_size(page):
    width, inner = page.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert inner == LAPTOP[0]
    assert width <= inner
    assert page.execute_script(OVERFLOW_JS, inner, True) == []
    # The headline tables fit without scrolling their box at this size.
    scrolled = page.execute_script(
        "return ['t-verdict', 't-review-matrix', 't-conflict-summary'].filter(id => { "
        "const box = document.getElementById(id).parentElement; return box.scrollWidth > box.clientWidth + 1; })")
    assert scrolled == []


def test_full_page_screenshot_is_saved(page, record_property):
    metrics = page.execute_cdp_cmd("Page.getLayoutMetrics", {})
    height = metrics["cssContentSize"]["height"]
    shot = page.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": LAPTOP[0], "height": height, "scale": 1}})
    data = base64.b64decode(shot["data"])
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "report-laptop.png"
    path.write_bytes(data)
    record_property("screenshot", str(path))
    print(f"\nscreenshot: {path} ({LAPTOP[0]} x {round(height)} px)")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == LAPTOP[0] and int.from_bytes(data[20:24], "big") > LAPTOP[1]


def test_in_print_media_nothing_overflows_an_a4_landscape_page(page):
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    page.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": A4_LANDSCAPE_CONTENT_PX, "height": 740, "deviceScaleFactor": 1, "mobile": False})
    try:
        width = page.execute_script("return document.documentElement.scrollWidth")
        assert width <= A4_LANDSCAPE_CONTENT_PX
        assert page.execute_script(OVERFLOW_JS, A4_LANDSCAPE_CONTENT_PX, False) == []
    finally:
        page.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "screen"})
