"""The run-specific block of ``report.html``, its data, and the manifest's canonical hash.

The report shows how its run was made: sorbench version, git commit, Python, platform, start time, worker count,
the command lines, the run folder's path and which program printed the PDF. None of these is a result, and a re-run
by ``sorbench verify`` differs in them (it runs elsewhere, later, with no command line). The HTML puts them between
two comments; verify compares ``report.html`` with those blocks removed, and the integrity check still compares the
whole file with its recorded hash. Everything else in the report is a function of the run's data.

The first block (in ``<head>``) holds the run-specific values as data: one ``<script type="application/json">``
element, never executed by a browser, whose JSON has ``<``, ``>`` and ``&`` escaped (:func:`run_data_script`). What
the other block shows is rendered from the same values, so ``sorbench verify`` can parse the data
(:func:`read_run_data`), check it against ``manifest.json`` and re-render the whole report from the folder's data to
compare byte for byte (:mod:`harness.workflows.evidence`).

:func:`manifest_body_sha256` is the manifest's canonical hash: the sha256 of its JSON with sorted keys, no
whitespace and ASCII escapes, over every field but ``manifest_body_sha256`` itself. The run records it last, verify
recomputes it, and ``sorbench sign`` signs it.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

BEGIN = "<!-- sorbench:run-specific -->"
END = "<!-- /sorbench:run-specific -->"
_BLOCK = re.compile(re.escape(BEGIN).encode() + rb".*?" + re.escape(END).encode(), re.DOTALL)

RUN_DATA_ID = "sorbench-run-specific"
"""The ``id`` of the JSON data element in the report's first run-specific block."""
_DATA = re.compile(
    re.escape(BEGIN).encode() + rb"\n<script type=\"application/json\" id=\"" + RUN_DATA_ID.encode()
    + rb"\">(?P<json>[^<>&]*)</script>\n"
)
RUN_DATA_FIELDS = ("sorbench_version", "git_commit", "python", "platform", "packages", "started_utc", "jobs",
                   "scenario_file", "orders_file", "command")
"""The manifest fields the data element copies (besides ``run_folder`` and ``pdf_renderer``)."""
BODY_HASH = "manifest_body_sha256"


def comparable_bytes(html: bytes) -> bytes:
    """The report's bytes with every run-specific block emptied (the markers stay)."""
    return _BLOCK.sub(BEGIN.encode() + END.encode(), html)


def comparable_sha256(path: Path) -> str:
    """The sha256 of a report.html without its run-specific blocks."""
    return hashlib.sha256(comparable_bytes(Path(path).read_bytes())).hexdigest()


def run_data(manifest: dict[str, Any], *, run_path: Path, pdf_renderer: str) -> dict[str, Any]:
    """The run-specific values the report shows: :data:`RUN_DATA_FIELDS` of the manifest, the folder, the PDF engine."""
    out = {k: manifest.get(k) for k in RUN_DATA_FIELDS}
    out["run_folder"] = str(run_path)
    out["pdf_renderer"] = pdf_renderer
    return out


def run_data_script(data: dict[str, Any]) -> str:
    """``data`` as the inside of a ``<script type="application/json">``: canonical JSON, ``<>&`` as unicode escapes."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def read_run_data(html: bytes) -> dict[str, Any]:
    """The report's run-specific data (``ValueError`` naming what is wrong when it is not plain data).

    The first run-specific block must start with exactly one JSON data element whose text holds no ``<``, ``>`` or
    ``&`` and parses as a JSON object with the expected keys.
    """
    m = _DATA.search(html)
    if m is None:
        raise ValueError(f"its run-specific block does not start with the JSON data element (id {RUN_DATA_ID!r})")
    try:
        data = json.loads(m.group("json").decode("ascii"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ValueError(f"its run-specific data is not JSON ({str(err)[:80]})") from None
    want = {*RUN_DATA_FIELDS, "run_folder", "pdf_renderer"}
    if not isinstance(data, dict) or set(data) != want:
        raise ValueError(f"its run-specific data is not an object with the keys {', '.join(sorted(want))}")
    if not isinstance(data["run_folder"], str) or not isinstance(data["pdf_renderer"], str):
        raise ValueError("its run-specific data's run_folder and pdf_renderer are not strings")
    return data


_ACTIVE = re.compile(rb"<\s*(script|iframe|object|embed|applet|base|form|link|meta\s+http-equiv)\b|\son[a-z]+\s*=|"
                     rb"javascript:", re.IGNORECASE)


def active_content(html: bytes) -> list[str]:
    """Script, frames, event handlers or ``javascript:`` links in the report besides its one JSON data element.

    sorbench's report has none (no script, no external URL); anything found is quoted briefly.
    """
    m = _DATA.search(html)
    rest = html[:m.start("json")] + html[m.end("json") + len(b"</script>"):] if m else html
    if m:
        rest = rest.replace(f'<script type="application/json" id="{RUN_DATA_ID}">'.encode(), b"", 1)
    return [html_excerpt(rest, hit.start()) for hit in _ACTIVE.finditer(rest)]


def html_excerpt(html: bytes, at: int) -> str:
    """About 40 characters of ``html`` from ``at``, printable."""
    return repr(html[at: at + 40].decode("utf-8", errors="replace"))


def manifest_body_sha256(manifest: dict[str, Any]) -> str:
    """The canonical hash of every manifest field but :data:`BODY_HASH` (``TypeError`` for a non-JSON value)."""
    body = {k: v for k, v in manifest.items() if k != BODY_HASH}
    text = json.dumps(body, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()
