"""Helpers that keep the report's figures readable: labels that never overlap, visible zero-spread boxes, horizons.

* :func:`place_labels` puts one text label beside each scatter point, moving a label up or down until it overlaps
  no other label (a greedy pass in the axes' point coordinates) and drawing a leader line to its point when moved;
* :func:`mark_flat_boxes` draws a visible bar and an ``IQR 0`` note where a box plot's quartiles coincide (every
  order at one value: the box would be an invisible line);
* :func:`horizon_coverage` says, per markout horizon, which share of the filled orders has that horizon (a fill
  later than the session's end minus the horizon has none) and the last fill time that does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

CHAR_PT = 4.9
"""Approximate width of one label character at 8 pt, in points."""
LINE_PT = 11.0
"""Height of one label line at 8 pt, in points, with a little air."""
MIN_HORIZON_SHARE = 0.2
"""A markout horizon that fewer than this share of the filled orders have is left off the curves (and said)."""


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def label_offsets(
    points_pt: Sequence[tuple[float, float]], texts: Sequence[str], *, dx: float = 6.0, dy: float = 4.0
) -> list[tuple[float, float]]:
    """Offsets (points) from each point to its label's lower-left corner such that no two labels overlap.

    Labels are placed in order of their points' height; each starts up and to the right of its point and moves by
    one line, alternately above and below, until its box clears every label already placed.
    """
    order = sorted(range(len(points_pt)), key=lambda i: (points_pt[i][1], points_pt[i][0]))
    placed: list[tuple[float, float, float, float]] = []
    out: list[tuple[float, float]] = [(dx, dy)] * len(points_pt)
    for i in order:
        x, y = points_pt[i]
        width = CHAR_PT * len(texts[i])
        for step in range(0, 4 * len(points_pt) + 1):
            shift = (step + 1) // 2 * LINE_PT * (1 if step % 2 else -1) if step else 0.0
            box = (x + dx, y + dy + shift, x + dx + width, y + dy + shift + LINE_PT)
            if not any(_overlaps(box, p) for p in placed):
                break
        placed.append(box)
        out[i] = (dx, dy + shift)
    return out


def place_labels(
    ax: Any, xs: Sequence[float], ys: Sequence[float], texts: Sequence[str], colors: Sequence[str]
) -> None:
    """Annotate each point with its text, labels kept apart (leader lines to moved labels). Call after the limits."""
    fig = ax.figure
    ax.get_xlim(), ax.get_ylim()  # autoscale now, so that transData maps the final limits
    trans = ax.transData
    scale = 72.0 / fig.dpi
    pts = [(float(p[0]) * scale, float(p[1]) * scale) for p in trans.transform(np.column_stack([xs, ys]))]
    for (ox, oy), x, y, text, color in zip(label_offsets(pts, texts), xs, ys, texts, colors, strict=True):
        moved = abs(oy - 4.0) > 0.5
        ax.annotate(
            text,
            (x, y),
            textcoords="offset points",
            xytext=(ox, oy),
            fontsize=8,
            color=color,
            va="bottom",
            arrowprops={"arrowstyle": "-", "color": "#888888", "lw": 0.6, "shrinkA": 0, "shrinkB": 3}
            if moved
            else None,
        )


def mark_flat_boxes(ax: Any, data: Sequence[np.ndarray], *, unit: str, horizontal: bool = True) -> int:
    """A thick bar and ``IQR 0`` beside each box whose quartiles coincide; the number of such boxes."""
    flat = 0
    for pos, v in enumerate(data, start=1):
        q25, q50, q75 = np.percentile(v, [25, 50, 75])
        if q75 - q25 > 0:
            continue
        flat += 1
        xy = (q50, pos) if horizontal else (pos, q50)
        ax.plot(*xy, marker="|" if horizontal else "_", markersize=16, markeredgewidth=3.0, color="#222222", zorder=4)
        ax.annotate(
            f"IQR 0: the middle half of the orders at {q50:+.2f} {unit}",
            xy,
            textcoords="offset points",
            xytext=(8, 6),
            fontsize=7,
            color="#444444",
        )
    return flat


@dataclass(frozen=True)
class Horizon:
    """A markout horizon and how many of the filled orders have it."""

    column: str
    seconds: float
    share: float
    """Share of filled orders with a markout at this horizon (0..1)."""
    last_fill: str
    """Clock time of the last fill that has it (session end minus the horizon), or ``""`` when unknown."""

    @property
    def kept(self) -> bool:
        """Enough filled orders have this horizon to draw it."""
        return self.share >= MIN_HORIZON_SHARE


def _clock(ns: float) -> str:
    s = int(ns // 1_000_000_000)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def horizon_coverage(
    orders: pd.DataFrame | None, horizons: Sequence[tuple[str, float]], end_ns: int | None
) -> list[Horizon]:
    """Per horizon: the share of filled orders (all routers) with a markout there, and its last fill time."""
    out = []
    filled = orders[orders["filled_qty"] > 0] if orders is not None and "filled_qty" in orders.columns else None
    for column, seconds in horizons:
        share = 1.0
        if filled is not None and len(filled) and column in filled.columns:
            share = float(filled[column].notna().mean())
        last = _clock(end_ns - seconds * 1e9) if end_ns is not None else ""
        out.append(Horizon(column, seconds, share, last))
    return out


def horizon_note(cover: Sequence[Horizon]) -> str:
    """The caption's sentence on horizons fills lack ("" when every filled order has every horizon)."""
    parts = []
    for h in cover:
        if h.share >= 0.995:
            continue
        name = h.column.removeprefix("markout_")
        before = f"only fills before {h.last_fill} have it" if h.last_fill else "fills near the end lack it"
        what = "left off: " if not h.kept else ""
        parts.append(f"{name}: {what}{before} ({h.share:.0%} of filled orders)")
    return ("Horizons past the session's end: " + "; ".join(parts) + ".") if parts else ""
