"""``report.pdf``: the HTML report laid out for print by headless Chromium or by WeasyPrint, or a text fallback.

Both layout engines print the same HTML with the report's print style sheet: A4 landscape, the verdict on page 1,
each later section on a new page, figures two to a page where they fit, a running header (the report's title; the
run id, start date and scenario with its hash) and footer (a confidentiality line; "Page N of M"). WeasyPrint also
fills the table of contents with page numbers (Chromium does not lay out ``target-counter``).

Which engine (:func:`find_renderer`): ``SORBENCH_PDF`` = ``chromium``, ``weasyprint`` or ``text`` forces one (an
engine that is not available is a one-line error); unset (or ``auto``), Chromium if found, else WeasyPrint if it
imports (it needs the Pango library), else the text fallback. Chromium is looked for in ``SORBENCH_CHROMIUM`` (a
path or a command name; ``none`` disables it), then ``chromium``, ``chromium-browser``, ``google-chrome`` and
``msedge`` on ``PATH``, then the usual install paths on macOS and Windows. Chromium writes the PDF's creation date into
it, so two prints of the same report differ in those bytes; WeasyPrint's output is byte-identical for the same HTML.
WeasyPrint fetches nothing: its URL fetcher accepts only the report's inline ``data:`` URIs.

The text fallback, :func:`render_fallback_pdf`, writes a PDF with matplotlib's PdfPages: the report's sections as
text tables (PDF core fonts), then every figure on its own page. It is deterministic (no creation date).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.report.tables import Table

CHROMIUM_ENV = "SORBENCH_CHROMIUM"
PDF_ENV = "SORBENCH_PDF"
ENGINES = ("chromium", "weasyprint", "text")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "msedge")
CHROMIUM_PATHS = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
)
"""Where Chrome, Chromium and Edge install on macOS and Windows, tried after ``PATH``."""
DISABLED = ("", "none", "off", "0", "false")
PRINT_TIMEOUT_S = 120.0
FALLBACK = "matplotlib PdfPages (text fallback: neither Chromium nor WeasyPrint available)"


@dataclass(frozen=True)
class Chromium:
    """A Chromium binary and its version line."""

    path: str
    version: str

    @property
    def label(self) -> str:
        """How the report names the renderer."""
        return f"headless {self.version}" if self.version else f"headless Chromium ({self.path})"


def find_chromium() -> Chromium | None:
    """The Chromium to print with, or None. A ``SORBENCH_CHROMIUM`` that names no program is a ``UserError``."""
    env = os.environ.get(CHROMIUM_ENV)
    if env is not None:
        if env.strip().lower() in DISABLED:
            return None
        path = shutil.which(env)
        if path is None:
            raise UserError(f"{CHROMIUM_ENV}={env!r}: no such program (unset it, or set it to 'none' for the "
                            "fallback PDF renderer)")
    else:
        found = (p for p in (*(shutil.which(n) for n in CHROMIUM_NAMES),
                             *(c for c in CHROMIUM_PATHS if os.path.isfile(c) and os.access(c, os.X_OK))) if p)
        path = next(found, None)
        if path is None:
            return None
    return Chromium(path=path, version=_version(path))


def _version(path: str) -> str:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    lines = [ln.strip() for ln in out.stdout.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def chromium_args(chromium: Chromium, html: Path, pdf: Path, profile: Path) -> list[str]:
    """The command line printing ``html`` to ``pdf``.

    ``--no-sandbox`` when running as root, where Chromium's sandbox cannot start.
    """
    args = [chromium.path, "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--hide-scrollbars",
            f"--user-data-dir={profile}", "--no-pdf-header-footer", "--generate-pdf-document-outline",
            f"--print-to-pdf={pdf}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.insert(1, "--no-sandbox")
    return [*args, html.resolve().as_uri()]


def print_pdf(chromium: Chromium, html: Path, pdf: Path) -> None:
    """Print ``html`` to ``pdf`` with headless Chromium (a fresh profile each time, so runs never share state)."""
    with tempfile.TemporaryDirectory(prefix="sorbench-chromium-") as profile:
        try:
            proc = subprocess.run(chromium_args(chromium, html, pdf, Path(profile)), capture_output=True, text=True,
                                  timeout=PRINT_TIMEOUT_S, check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"{chromium.path}: printing the report took more than {PRINT_TIMEOUT_S:g} s") from None
    if proc.returncode != 0 or not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-":
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"{chromium.path}: printing the report failed (exit {proc.returncode}): {tail}")


# --- WeasyPrint and the choice of engine --------------------------------------------------------------------------

@dataclass(frozen=True)
class Renderer:
    """The engine that prints the report: ``kind`` is one of :data:`ENGINES`; ``label`` names it in the report."""

    kind: str
    label: str
    chromium: Chromium | None = None


def weasyprint_version() -> str | None:
    """WeasyPrint's version, or None when it does not import (not installed, or its Pango library is missing)."""
    try:
        import weasyprint
    except (ImportError, OSError):
        return None
    return str(weasyprint.__version__)


def find_renderer() -> Renderer:
    """The engine for ``report.pdf`` (see the module docstring); ``UserError`` for a forced engine that is missing."""
    forced = os.environ.get(PDF_ENV, "").strip().lower() or "auto"
    if forced not in (*ENGINES, "auto"):
        raise UserError(f"{PDF_ENV}={forced!r}: must be one of auto, {', '.join(ENGINES)}")
    if forced in ("auto", "chromium"):
        chromium = find_chromium()
        if chromium is not None:
            return Renderer("chromium", chromium.label, chromium)
        if forced == "chromium":
            raise UserError(f"{PDF_ENV}=chromium: no Chromium found (install one, or set {CHROMIUM_ENV})")
    if forced in ("auto", "weasyprint"):
        version = weasyprint_version()
        if version is not None:
            return Renderer("weasyprint", f"WeasyPrint {version}")
        if forced == "weasyprint":
            raise UserError(f"{PDF_ENV}=weasyprint: WeasyPrint does not import (pip install weasyprint; it needs the "
                            "Pango library)")
    return Renderer("text", FALLBACK)


def weasyprint_pdf(html: Path, pdf: Path) -> None:
    """Lay out ``html`` for print with WeasyPrint into ``pdf`` (its CSS warnings are quieted; errors raise)."""
    import weasyprint
    from weasyprint.urls import URLFetcher

    log = logging.getLogger("weasyprint")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        # data: URIs only: the report's figures are inline; a file or network URL is refused, never fetched
        fetcher = URLFetcher(allowed_protocols=("data",), timeout=1)
        doc = weasyprint.HTML(string=html.read_text(encoding="utf-8"), url_fetcher=fetcher)
        doc.write_pdf(pdf)
    finally:
        log.setLevel(level)


def write_pdf(renderer: Renderer, html: Path, pdf: Path, fallback: Any) -> None:
    """Print ``html`` to ``pdf`` with ``renderer``; ``fallback(pdf)`` draws the text fallback."""
    if renderer.kind == "chromium" and renderer.chromium is not None:
        print_pdf(renderer.chromium, html, pdf)
    elif renderer.kind == "weasyprint":
        weasyprint_pdf(html, pdf)
    else:
        fallback(pdf)


# --- Fallback ----------------------------------------------------------------------------------------------------

PAGE_IN = (11.69, 8.27)  # A4 landscape
LINES_PER_PAGE = 58
WRAP = 200


def table_lines(t: Table | None, *, width: int = WRAP) -> list[str]:
    """A table as fixed-width text lines (long cells wrapped), for the fallback PDF."""
    if t is None:
        return ["(not available)"]
    cols = list(t.columns)
    body = [[c.text for c in r.cells] for r in t.rows if not r.group]
    widths = [min(max([len(cols[i]), *(len(r[i]) for r in body)]), 64) for i in range(len(cols))]
    while sum(widths) + 2 * len(widths) > width and max(widths) > 8:
        widths[widths.index(max(widths))] -= 1

    def line(cells: list[str]) -> list[str]:
        wrapped = [textwrap.wrap(c, w) or [""] for c, w in zip(cells, widths, strict=True)]
        out = []
        for k in range(max(len(x) for x in wrapped)):
            parts = []
            for i, x in enumerate(wrapped):
                s = x[k] if k < len(x) else ""
                parts.append(s.rjust(widths[i]) if t.numeric[i] else s.ljust(widths[i]))
            out.append("  ".join(parts).rstrip())
        return out

    out = line(cols)
    out.append("  ".join("-" * w for w in widths))
    for r in t.rows:
        if r.group:
            out += ["", *textwrap.wrap(r.cells[0].text, width)]
        else:
            out += line([c.text for c in r.cells])
    if t.caption:
        out += ["", *textwrap.wrap(t.caption, width)]
    return out


FALLBACK_RC: dict[str, Any] = {
    "pdf.use14corefonts": True, "font.family": "sans-serif", "font.sans-serif": ["Helvetica"],
    "font.monospace": ["Courier"], "pdf.compression": 6, "text.parse_math": False,
}
"""PDF core fonts (Helvetica, Courier): nothing to embed, and text pages draw twenty times faster than with
embedded TrueType fonts."""


def _page() -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=PAGE_IN, dpi=72)


def _text_pages(pdf: Any, title: str, lines: list[str]) -> None:
    chunks = [lines[i:i + LINES_PER_PAGE] for i in range(0, max(1, len(lines)), LINES_PER_PAGE)] or [[]]
    for k, chunk in enumerate(chunks):
        fig = _page()
        fig.text(0.03, 0.965, title + (f" (continued {k + 1}/{len(chunks)})" if k else ""), fontsize=13,
                 weight="bold", color="#1f4e79", va="top")
        fig.text(0.03, 0.92, "\n".join(chunk), family="monospace", weight="medium", fontsize=6.3, va="top",
                 linespacing=1.25)
        pdf.savefig(fig)


def _figure_page(pdf: Any, f: Any) -> None:
    """A report figure on its own page: the same PNG as the HTML's, under its title and caption."""
    import io

    import matplotlib.image as mimg

    fig = _page()
    fig.text(0.03, 0.965, f.title, fontsize=13, weight="bold", color="#1f4e79", va="top")
    fig.text(0.03, 0.925, "\n".join(textwrap.wrap(f.caption, 160)), fontsize=8, va="top", color="#444444")
    ax = fig.add_axes((0.03, 0.03, 0.94, 0.83))
    ax.set_axis_off()
    ax.imshow(mimg.imread(io.BytesIO(f.png)), interpolation="none")
    pdf.savefig(fig)


def render_fallback_pdf(path: Path, sections: list[tuple[str, list[str]]], figures: list[Any]) -> None:
    """Write ``path``: each section (title, text lines) as text pages, then each report figure on its own page."""
    import matplotlib as mpl
    from matplotlib.backends.backend_pdf import PdfPages

    # Text is measured with the core fonts' metrics; matplotlib's font manager still logs that it found no TrueType
    # file for "Courier" while laying it out. Quiet that logger while this PDF is drawn, and only then.
    fm_log = logging.getLogger("matplotlib.font_manager")
    level = fm_log.level
    fm_log.setLevel(logging.ERROR)
    try:
        metadata: dict[str, Any] = {"CreationDate": None, "Producer": "sorbench report (matplotlib)",
                                    "Creator": "sorbench"}
        with mpl.rc_context(FALLBACK_RC), PdfPages(path, metadata=metadata) as pdf:  # type: ignore[arg-type]
            for title, lines in sections:
                _text_pages(pdf, title, lines)
            for f in figures:
                _figure_page(pdf, f)
    finally:
        fm_log.setLevel(level)
