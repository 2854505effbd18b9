"""The figures' readability helpers: labels never overlap, a zero-spread box is drawn visibly, horizons are said."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from harness.report.figure_layout import (
    CHAR_PT,
    LINE_PT,
    horizon_coverage,
    horizon_note,
    label_offsets,
    mark_flat_boxes,
    place_labels,
)


def _boxes(points, texts, offsets):
    return [
        (x + ox, y + oy, x + ox + CHAR_PT * len(t), y + oy + LINE_PT)
        for (x, y), t, (ox, oy) in zip(points, texts, offsets, strict=True)
    ]


def test_labels_of_points_on_top_of_each_other_do_not_overlap():
    # four routers within 2 pt of each other (the broker-vs-customer scatter): the naive labels coincide
    points = [(100.0, 50.0), (101.0, 51.0), (100.5, 49.5), (102.0, 50.5)]
    texts = ["wholesaler", "rebate-max", "best-price", "single-venue"]
    boxes = _boxes(points, texts, label_offsets(points, texts))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)


def test_labels_of_points_far_apart_stay_beside_their_points():
    points = [(0.0, 0.0), (300.0, 200.0)]
    assert label_offsets(points, ["a", "b"]) == [(6.0, 4.0), (6.0, 4.0)]


def test_moved_labels_get_a_leader_line():
    fig = Figure(figsize=(4, 3), dpi=100)
    ax = fig.subplots()
    xs, ys = [1.0, 1.001, 5.0], [1.0, 1.001, 3.0]
    ax.scatter(xs, ys)
    place_labels(ax, xs, ys, ["first", "second", "far"], ["k", "k", "k"])
    arrows = [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
    assert len(ax.texts) == 3 and len(arrows) == 1  # one of the two coinciding labels moved


def test_a_box_with_no_spread_is_marked():
    fig = Figure()
    ax = fig.subplots()
    flat, spread = np.zeros(10), np.arange(10.0)
    assert mark_flat_boxes(ax, [flat, spread], unit="cph") == 1
    assert any("IQR 0" in t.get_text() for t in ax.texts)


def test_horizon_coverage_counts_filled_orders_with_each_horizon():
    # 4 filled orders, 3 with a 60 s markout, 1 with a 300 s one; an unfilled order does not count
    orders = pd.DataFrame(
        {
            "filled_qty": [100, 100, 100, 100, 0],
            "markout_60s": [0.01, 0.0, -0.01, np.nan, np.nan],
            "markout_300s": [0.01, np.nan, np.nan, np.nan, np.nan],
        }
    )
    end_ns = 10 * 3600 * 10**9 + 10 * 60 * 10**9  # a session ending at 10:10:00
    cover = horizon_coverage(orders, [("markout_60s", 60.0), ("markout_300s", 300.0)], end_ns)
    assert [(h.share, h.kept, h.last_fill) for h in cover] == [(0.75, True, "10:09:00"), (0.25, True, "10:05:00")]
    note = horizon_note(cover)
    assert "300s: only fills before 10:05:00 have it (25% of filled orders)" in note
    few = horizon_coverage(orders.assign(markout_300s=[np.nan] * 4 + [0.0]), [("markout_300s", 300.0)], end_ns)
    assert not few[0].kept and "left off" in horizon_note(few)
