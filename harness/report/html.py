"""The HTML report: one self-contained file rendered from the Jinja2 templates in ``templates/``.

Inline CSS, figures as inline base64 PNG, no external URL and no script (the run-specific data is one
``<script type="application/json">`` element, which a browser never executes): the file reads the same offline, in a
browser, in an archive, and printed. Rendering is deterministic (no clock, no random identifiers).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from harness.report.fmt import FILTERS

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def template_env() -> jinja2.Environment:
    """The report templates' environment: HTML autoescaping, strict undefined names, the number-format filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False, keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


def render_html(context: dict[str, Any], template: str = "report.html.j2") -> str:
    """The report's HTML from its context (see :func:`harness.report.build.report_context`)."""
    return template_env().get_template(template).render(**context)
