"""``compare.html``: the self-contained before/after report of ``sorbench compare`` (Jinja2, inline PNG figures).

The page holds everything itself (styles inline, figures as base64 PNG drawn with matplotlib's object API and the
Agg renderer, no pyplot and no global state), so it can be mailed or archived as one file. The helpers here
(``template_environment``, ``png_data_uri``, the number formats) are shared with the suite report.
"""

from __future__ import annotations

import base64
import io
import math
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import numpy as np
import pandas as pd

from harness.analytics.labels import BY_KEY

if TYPE_CHECKING:
    from harness.analytics.compare import Comparison

TEMPLATES = Path(__file__).parent / "templates"
DASH = "\u2013"
MARKET_STATISTICS = ("mean_spread_ticks", "mean_depth_shares", "trades_per_min", "return_vol_1min",
                     "passive_fill_prob")
RC: dict[str, Any] = {
    "font.family": "DejaVu Sans", "font.size": 8.0, "axes.titlesize": 9.0, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3, "figure.facecolor": "white",
}


SHOWN_COLUMNS = ("mean_a", "mean_b", "mean_diff", "ci_low", "ci_high")
"""The paired figures' columns shown in the label's unit (cph for prices, % for the fill rate)."""


def figure_label(name: str) -> str:
    """A paired figure's label (:mod:`harness.analytics.labels`: population and unit); unknown names as given."""
    found = BY_KEY.get(f"paired_{name}")
    return found.label if found else name


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """Paired figures (one per row, ``figure`` column) with :data:`SHOWN_COLUMNS` in each label's unit."""
    scale = frame["figure"].map(lambda f: BY_KEY[f"paired_{f}"].scale if f"paired_{f}" in BY_KEY else 1.0)
    cols = [c for c in SHOWN_COLUMNS if c in frame.columns]
    return frame.assign(**{c: frame[c].astype(float) * scale.astype(float) for c in cols})


def num(value: Any, digits: int = 4) -> str:
    """A number with ``digits`` significant digits (en dash for missing or NaN)."""
    if value is None or isinstance(value, str):
        return DASH if not value else str(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return DASH
    if x == 0:
        return "0"
    return f"{x:.{digits}g}"


def signed(value: Any, digits: int = 4) -> str:
    """Like :func:`num`, with a sign on positive numbers."""
    text = num(value, digits)
    return f"+{text}" if text not in (DASH, "0") and not text.startswith("-") else text


def pct(value: Any, digits: int = 1) -> str:
    """A fraction as a percentage."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return DASH
    return DASH if math.isnan(x) else f"{100 * x:.{digits}f}%"


def template_environment() -> jinja2.Environment:
    """The templates of ``harness/report/templates`` with HTML autoescaping and the number filters."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters.update(num=num, signed=signed, pct=pct)
    return env


def png_data_uri(fig: Any) -> str:
    """A matplotlib figure as a ``data:image/png;base64,...`` URI (no date or software metadata)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None}, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _new_figure(width_in: float, height_in: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), layout="constrained")


def forest_figure(figures: pd.DataFrame, routers: Sequence[str]) -> str:
    """One panel per figure: each router's mean paired difference B - A with its seed-level t interval."""
    import matplotlib

    names = list(dict.fromkeys(figures["figure"]))
    cols = 4
    rows = max(1, math.ceil(len(names) / cols))
    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        fig = _new_figure(11.0, 0.6 + rows * (0.3 * len(routers) + 1.4))
        for k, name in enumerate(names):
            ax = fig.add_subplot(rows, cols, k + 1)
            sub = figures[figures["figure"] == name].set_index("router").reindex(list(routers))
            y = np.arange(len(routers))[::-1]
            mid = sub["mean_diff"].to_numpy(np.float64)
            low, high = sub["ci_low"].to_numpy(np.float64), sub["ci_high"].to_numpy(np.float64)
            colors = ["#2ca02c" if d == "better" else "#d62728" if d == "worse" else "#7f7f7f"
                      for d in sub["direction"].fillna("")]
            ax.axvline(0.0, color="black", linewidth=0.8)
            ax.hlines(y, low, high, colors=colors, linewidth=2.0)
            ax.scatter(mid, y, color=colors, zorder=3, s=14)
            ax.set_yticks(y, list(routers) if k % cols == 0 else [""] * len(routers))
            ax.set_title(figure_label(name), loc="left", fontsize=8)
            ax.set_ylim(-0.7, len(routers) - 0.3)
            ax.locator_params(axis="x", nbins=4)
            ax.tick_params(axis="x", labelsize=7)
        fig.suptitle("B - A per figure and router (point: mean paired difference; bar: t interval over seeds; green "
                     "better, red worse, grey no evidence)", x=0.01, ha="left", fontsize=9)
        return png_data_uri(fig)


def venue_mix_figure(mix: pd.DataFrame, routers: Sequence[str]) -> str:
    """Executed-share fraction per venue in A and B, one horizontal pair of bars per router."""
    import matplotlib

    venues = sorted(mix["venue"].unique())
    palette = ("#4e79a7", "#f28e2b", "#59a14f", "#76b7b2", "#e15759", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
               "#bab0ac", "#86bcb6", "#d37295")
    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        fig = _new_figure(11.0, 0.9 + 0.55 * len(routers))
        ax = fig.add_subplot(1, 1, 1)
        labels, left_a, left_b = [], {}, {}
        ypos = []
        for i, r in enumerate(routers):
            ypos += [2.4 * i + 1.0, 2.4 * i]
            labels += [f"{r} A", f"{r} B"]
            left_a[r], left_b[r] = 0.0, 0.0
        for j, v in enumerate(venues):
            color = palette[j % len(palette)]
            for i, r in enumerate(routers):
                row = mix[(mix["router"] == r) & (mix["venue"] == v)]
                fa = float(row["executed_frac_a"].fillna(0).sum())
                fb = float(row["executed_frac_b"].fillna(0).sum())
                ax.barh(2.4 * i + 1.0, fa, left=left_a[r], color=color, label=v if i == 0 else None, height=0.9)
                ax.barh(2.4 * i, fb, left=left_b[r], color=color, height=0.9)
                left_a[r] += fa
                left_b[r] += fb
        ax.set_yticks(ypos, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("fraction of the router's executed shares")
        ax.legend(ncol=min(len(venues), 8), loc="upper center", bbox_to_anchor=(0.5, -0.25), frameon=False)
        return png_data_uri(fig)


def _reproduce(comparison: Comparison, command: Sequence[str] | None) -> list[str]:
    lines = []
    for label, side in (("A", comparison.a), ("B", comparison.b)):
        cmd = side.manifest.get("command")
        if cmd:
            lines.append(f"# run {label} was made by: " + shlex.join(["sorbench", *list(cmd)[1:]]))
        lines.append(f"sorbench verify {shlex.quote(str(side.folder))}")
    args = ["sorbench", "compare", str(comparison.a.folder), str(comparison.b.folder),
            *[a for r in comparison.routers for a in ("--router", r)]]
    lines.append(shlex.join(args))
    if command:
        lines.append("# this report was written by: " + shlex.join(["sorbench", *list(command)[1:]]))
    return lines


def render_compare_html(comparison: Comparison, *, command: Sequence[str] | None = None) -> str:
    """The compare report as one self-contained HTML page."""
    figs = shown(comparison.figures) if len(comparison.figures) else comparison.figures
    per_router = []
    for r in comparison.routers:
        rows = figs[figs["router"] == r]
        per_router.append({
            "router": r, "verdict": comparison.verdicts[r],
            "better": [figure_label(f) for f in rows.loc[rows["direction"] == "better", "figure"]],
            "worse": [figure_label(f) for f in rows.loc[rows["direction"] == "worse", "figure"]],
            "rows": [{**rec, "label": figure_label(rec["figure"])}
                     for rec in rows.to_dict("records")],
        })
    mix = comparison.venue_mix
    market = comparison.market
    market_rows = market[(market["venue"] == "ALL") & market["statistic"].isin(MARKET_STATISTICS)]
    context = {
        "a": comparison.a, "b": comparison.b, "info": comparison.info(), "per_router": per_router,
        "config_diff": comparison.config_diff.to_dict("records"),
        "venue_mix": mix.to_dict("records"), "market": market_rows.to_dict("records"),
        "forest_png": forest_figure(figs, comparison.routers) if len(figs) else None,
        "mix_png": venue_mix_figure(mix, comparison.routers) if len(mix) else None,
        "reproduce": _reproduce(comparison, command), "notes": comparison.notes,
        "ci_pct": f"{100 * comparison.ci_level:g}",
    }
    return template_environment().get_template("compare.html.j2").render(**context)
