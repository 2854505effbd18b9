"""report.pdf: Chromium's print of the HTML (A4 landscape, every section and router), and the matplotlib fallback."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from harness.errors import UserError
from harness.report import SECTIONS, build_report
from harness.report.pdf import FALLBACK, Chromium, chromium_args, find_chromium
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


def test_the_fallback_pdf_without_chromium_is_valid_deterministic_and_complete(run_copy, monkeypatch):
    monkeypatch.setenv("SORBENCH_CHROMIUM", "none")
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
