"""report.pdf: Chromium's and WeasyPrint's print of the HTML (A4 landscape, the verdict on page 1, running header and
footer with page numbers, every section and router), the choice of engine, and the matplotlib text fallback."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from harness.errors import UserError
from harness.report import SECTIONS, build_report
from harness.report.fmt import css_string
from harness.report.pdf import FALLBACK, Chromium, chromium_args, find_chromium, find_renderer, weasyprint_version
from tests.report.conftest import REPORT_ROUTERS

A4_LANDSCAPE_PT = (841.89, 595.28)  # 297 x 210 mm


def _text(reader: PdfReader) -> str:
    # NFKC folds the typographic ligatures (fi, fl) that PDF text extraction returns as single characters.
    return unicodedata.normalize("NFKC", "\n".join(page.extract_text() or "" for page in reader.pages))


def _page_size(reader: PdfReader) -> tuple[float, float]:
    box = reader.pages[0].mediabox
    return float(box.width), float(box.height)


def _chromium_or_skip() -> Chromium:
    try:
        chromium = find_chromium()
    except UserError as err:
        pytest.skip(str(err))
    if chromium is None:
        pytest.skip("no Chromium (chromium, chromium-browser or google-chrome; .ci/run installs the Debian package)")
    return chromium


def test_the_chromium_pdf_is_a4_landscape_pages_with_every_section_and_router(report_run):
    _chromium_or_skip()
    manifest = json.loads((report_run / "manifest.json").read_text(encoding="utf-8"))
    assert "Chromium" in manifest["report"], manifest["report"]
    reader = PdfReader(report_run / "report.pdf")
    assert len(reader.pages) > 1
    width, height = _page_size(reader)
    assert width == pytest.approx(A4_LANDSCAPE_PT[0], abs=1.5) and height == pytest.approx(A4_LANDSCAPE_PT[1], abs=1.5)
    text = _text(reader)
    for _id, title in SECTIONS:
        assert title in text, title
    for router in REPORT_ROUTERS:
        assert router in text, router


def _marks(run: Path) -> tuple[str, str]:
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    return manifest["started_utc"][:10], manifest["scenario_sha256"][:12]


def test_the_chromium_pdf_has_the_running_header_and_numbered_pages(report_run):
    _chromium_or_skip()
    reader = PdfReader(report_run / "report.pdf")
    started, sha = _marks(report_run)
    n = len(reader.pages)
    for k, page in enumerate(reader.pages, start=1):
        text = unicodedata.normalize("NFKC", page.extract_text() or "")
        assert f"Page {k} of {n}" in text and "Confidential" in text, k
        assert f"run {report_run.name} - {started} UTC" in text and f"scenario default ({sha})" in text, k
    assert "Summary verdict per router" in _text_of_page(reader, 0)  # the verdict is on page 1


def _text_of_page(reader: PdfReader, k: int) -> str:
    return unicodedata.normalize("NFKC", reader.pages[k].extract_text() or "")


@pytest.mark.slow
def test_the_weasyprint_pdf_is_the_same_document_without_a_browser_and_byte_identical(run_copy, monkeypatch):
    if weasyprint_version() is None:
        pytest.skip("WeasyPrint does not import here (it needs the Pango library)")
    monkeypatch.setenv("SORBENCH_PDF", "weasyprint")
    files = build_report(run_copy)
    assert files.pdf_renderer.startswith("WeasyPrint ")
    reader = PdfReader(files.pdf)
    width, height = _page_size(reader)
    assert width == pytest.approx(A4_LANDSCAPE_PT[0], abs=1.5) and height == pytest.approx(A4_LANDSCAPE_PT[1], abs=1.5)
    n = len(reader.pages)
    started, sha = _marks(run_copy)
    for k in range(n):
        text = _text_of_page(reader, k)
        assert f"Page {k + 1} of {n}" in text and "Confidential" in text, k
        assert f"run {run_copy.name} - {started} UTC" in text and f"scenario default ({sha})" in text, k
    first = _text_of_page(reader, 0)
    assert "Summary verdict per router" in first and all(r in first for r in REPORT_ROUTERS)
    # the contents give each section's page, and that page starts with the section's title
    for _id, title in SECTIONS[1:]:
        line = next(ln for ln in first.splitlines() if ln.startswith(title))
        page = int(line.rsplit(" ", 1)[-1])
        assert 1 < page <= n and title in _text_of_page(reader, page - 1).splitlines()[:3], title
    text = _text(reader)
    for router in REPORT_ROUTERS:
        assert router in text, router
    assert "WeasyPrint" in files.html.read_text(encoding="utf-8")  # the reproducibility section names the renderer
    before = files.pdf.read_bytes()
    build_report(run_copy)
    assert files.pdf.read_bytes() == before


def test_the_engine_follows_sorbench_pdf_and_a_missing_forced_engine_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SORBENCH_PDF", "text")
    assert find_renderer().label == FALLBACK
    monkeypatch.setenv("SORBENCH_PDF", "pdfkit")
    with pytest.raises(UserError, match="SORBENCH_PDF='pdfkit': must be one of auto, chromium, weasyprint, text"):
        find_renderer()
    monkeypatch.setenv("SORBENCH_PDF", "chromium")
    monkeypatch.setenv("SORBENCH_CHROMIUM", "none")
    with pytest.raises(UserError, match="SORBENCH_PDF=chromium: no Chromium found"):
        find_renderer()
    monkeypatch.setenv("SORBENCH_PDF", "auto")  # no Chromium: WeasyPrint if it imports, else the text fallback
    assert find_renderer().kind == ("weasyprint" if weasyprint_version() else "text")


def test_header_values_cannot_break_out_of_the_style_sheet():
    # a run folder or scenario name is the user's text: in the CSS string every character outside a plain set is
    # a hex escape, so "</style>", quotes and backslashes stay text
    got = css_string('x"; } </style><script>\\')
    assert got == '"x\\22 ; \\7d  \\3c /style\\3e \\3c script\\3e \\5c "'
    assert "<" not in got and got.count('"') == 2


def test_the_fallback_pdf_without_chromium_is_valid_deterministic_and_complete(run_copy, monkeypatch):
    monkeypatch.setenv("SORBENCH_PDF", "text")
    files = build_report(run_copy)
    assert files.pdf_renderer == FALLBACK
    first = files.pdf.read_bytes()
    assert first.startswith(b"%PDF-")
    reader = PdfReader(files.pdf)
    assert len(reader.pages) > len(SECTIONS)  # at least a page per section, then the figures
    width, height = _page_size(reader)
    assert width == pytest.approx(A4_LANDSCAPE_PT[0], abs=1.5) and height == pytest.approx(A4_LANDSCAPE_PT[1], abs=1.5)
    text = _text(reader)
    for _id, title in SECTIONS:
        assert title in text, title
    for router in REPORT_ROUTERS:
        assert router in text, router
    assert FALLBACK in files.html.read_text(encoding="utf-8")  # the reproducibility section names the renderer
    build_report(run_copy)
    assert files.pdf.read_bytes() == first


def test_a_sorbench_chromium_that_names_no_program_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SORBENCH_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(UserError, match="SORBENCH_CHROMIUM"):
        find_chromium()


@pytest.mark.parametrize(("uid", "sandboxed"), [(0, False), (1000, True)])
def test_chromium_runs_without_its_sandbox_only_as_root(uid, sandboxed, monkeypatch):
    monkeypatch.setattr("os.geteuid", lambda: uid)
    args = chromium_args(Chromium("/usr/bin/chromium", "Chromium 1"), Path("/r/report.html"), Path("/r/out.pdf"),
                         Path("/tmp/profile"))
    assert ("--no-sandbox" not in args) is sandboxed
    assert "--headless" in args and "--no-pdf-header-footer" in args and "--print-to-pdf=/r/out.pdf" in args
    assert args[-1] == "file:///r/report.html"
