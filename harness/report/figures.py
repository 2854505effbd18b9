"""The report's figures, drawn with matplotlib's object API (no pyplot, no global backend or style changes).

Every figure is a :class:`matplotlib.figure.Figure` rendered to PNG by the Agg renderer at a fixed size and dpi
with no software or date metadata, under a fixed ``rc_context``, so the same run folder gives the same bytes. A
figure whose data is missing or empty says so in its panel instead of failing.

Colours are fixed per router (the manifest's order) and per venue (the scenario's order) across figures.
"""

from __future__ import annotations

import base64
import inspect
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from harness.analytics.labels import BY_KEY, CPH
from harness.report.data import RunData
from harness.report.figure_layout import horizon_coverage, horizon_note, mark_flat_boxes, place_labels

DPI = 110
WIDTH_IN = 10.0
RC: dict[str, Any] = {
    "font.family": "DejaVu Sans", "font.size": 9.0, "axes.titlesize": 10.0, "axes.labelsize": 9.0,
    "legend.fontsize": 8.0, "xtick.labelsize": 8.0, "ytick.labelsize": 8.0, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.6, "svg.hashsalt": "sorbench",
    "pdf.fonttype": 42, "path.simplify": True, "figure.facecolor": "white", "savefig.facecolor": "white",
}
"""Fixed style: rendering never depends on the user's matplotlibrc."""
ROUTER_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
                 "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173")
VENUE_COLORS = ("#4e79a7", "#f28e2b", "#59a14f", "#76b7b2", "#e15759", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
                "#bab0ac", "#86bcb6", "#d37295")
MARKETABLE = ("market", "marketable_limit")
PAIRED_FIGURES = ("pi_per_share", "eq_ratio", "fill_rate", "shortfall_per_share", "time_to_first_fill_ms",
                  "markout_1s")
_HORIZON = re.compile(r"^markout_(\d+)(ms|s)$")


@dataclass
class ReportFigure:
    """A figure of the report: its key (HTML id ``f-<key>``), title, caption and the matplotlib figure."""

    key: str
    title: str
    caption: str
    figure: Any
    png: bytes = b""

    @property
    def data_uri(self) -> str:
        """The PNG as a ``data:`` URI for an inline ``<img>``."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    @property
    def size_px(self) -> tuple[int, int]:
        """Width and height of the PNG in pixels."""
        w, h = self.figure.get_size_inches()
        return round(w * DPI), round(h * DPI)


@contextmanager
def style() -> Iterator[None]:
    """The report's matplotlib settings, for the duration of drawing and saving."""
    import matplotlib as mpl

    with mpl.rc_context(RC):  # type: ignore[arg-type]
        yield


def new_figure(height_in: float, width_in: float = WIDTH_IN) -> Any:
    """A figure not attached to pyplot (so nothing global changes), laid out with constrained layout."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")


def to_png(fig: Any) -> bytes:
    """The figure as PNG bytes: fixed dpi, no metadata (no software version or date).

    Drawn once on an Agg canvas and the pixels encoded directly: ``savefig`` would draw a figure with a layout
    engine twice (a dry run for the layout, then the real one).
    """
    import matplotlib.image as mimg
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    buf = io.BytesIO()
    no_software: dict[str, Any] = {"Software": None}
    mimg.imsave(buf, np.asarray(canvas.buffer_rgba()), format="png", dpi=DPI, metadata=no_software)
    return buf.getvalue()


def no_data(ax: Any, message: str) -> None:
    """Write ``message`` in an empty panel."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=10, color="#555555",
            wrap=True)


def palette(names: list[str], colors: tuple[str, ...]) -> dict[str, str]:
    """Fixed colours by position."""
    return {n: colors[i % len(colors)] for i, n in enumerate(names)}


def venue_order(data: RunData) -> list[str]:
    """The scenario's venues in order, then any other venue the tables name, sorted."""
    names = [str(v.get("name")) for v in data.scenario.get("venues", []) or [] if isinstance(v, dict)]
    seen = set(names)
    extra: set[str] = set()
    for key in ("tca/venues.csv", "child_orders.parquet"):
        t = data.table(key)
        if t is not None:
            extra |= {str(v) for v in t["venue"].dropna().unique()} - seen
    return names + sorted(extra)


def _routers_in(data: RunData, frame: pd.DataFrame | None, column: str = "router") -> list[str]:
    if frame is None or frame.empty:
        return []
    present = {str(r) for r in frame[column].dropna().unique()}
    return [r for r in data.routers if r in present] + sorted(present - set(data.routers))


def horizons(columns: list[str]) -> list[tuple[str, float]]:
    """``markout_<h>`` columns and their horizons in seconds, shortest first."""
    out = []
    for c in columns:
        m = _HORIZON.match(c)
        if m:
            out.append((c, int(m.group(1)) / (1000.0 if m.group(2) == "ms" else 1.0)))
    return sorted(out, key=lambda x: x[1])


def fig_markouts(data: RunData, colors: dict[str, str], bench: str | None) -> ReportFigure:
    """Markout curves: each router's share-weighted markout at every horizon, all orders (tca/summary.csv), cph.

    A horizon that too few filled orders have (fills later than the session's end minus the horizon have none) is
    left off; the caption says which horizons only early fills have.
    """
    fig = new_figure(3.6)
    ax = fig.subplots()
    summary = data.table("tca/summary.csv")
    window = session_window_ns(data)
    cover = horizon_coverage(data.table("tca/orders.parquet"), horizons(list(summary.columns))
                             if summary is not None else [], window[1] if window else None)
    hz = [(h.column, h.seconds) for h in cover if h.kept]
    overall = (summary[(summary["symbol"] == "all") & (summary["order_class"] == "all") &
                       (summary["size_bucket"] == "all")] if summary is not None else None)
    drawn = 0
    for router in _routers_in(data, overall):
        assert overall is not None  # routers come from it
        row = overall[overall["router"] == router].iloc[0]
        y = np.array([row[c] for c, _h in hz], dtype=float) * CPH
        if np.isnan(y).all():
            continue
        ax.plot([h for _c, h in hz], y, marker="o", ms=4, lw=2.2 if router == bench else 1.4,
                color=colors.get(router, "#333333"), label=router + (" (benchmark)" if router == bench else ""))
        drawn += 1
    if not drawn:
        no_data(ax, "no markouts: tca/summary.csv is missing or has no filled orders")
    else:
        ax.axhline(0.0, color="#444444", lw=0.8)
        ax.set_xscale("log")
        ax.set_xticks([h for _c, h in hz], [c.removeprefix("markout_") for c, _h in hz])
        ax.minorticks_off()
        for h in cover:
            if h.kept and h.share < 0.995:  # say it where the curve is drawn from fewer fills
                ax.annotate(f"{h.share:.0%} of fills", (h.seconds, 0), xycoords=("data", "axes fraction"),
                            xytext=(0, 3), textcoords="offset points", ha="center", fontsize=7, color="#555555")
        ax.set_xlabel("horizon after each fill")
        ax.set_ylabel("markout, cph (> 0 good for the customer)")
        ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:+.1f}")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    note = horizon_note(cover)
    return ReportFigure("markouts", "Markout curves by router (cph)",
                        "Share-weighted markout s x (m(t+h) - p) of every fill, all orders, at each horizon h, in "
                        "cents per 100 shares." + (f" {note}" if note else ""), fig)


def fig_pi_distribution(data: RunData, colors: dict[str, str], bench: str | None) -> ReportFigure:
    """Per-order price improvement of filled market and marketable limit orders, one box per router."""
    orders = data.table("tca/orders.parquet")
    routers = _routers_in(data, orders)
    fig = new_figure(max(2.4, 0.42 * len(routers) + 1.2))
    ax = fig.subplots()
    series = []
    if orders is not None:
        sel = orders[orders["order_class"].isin(MARKETABLE) & (orders["filled_qty"] > 0)]
        for r in routers:
            v = sel.loc[sel["router"] == r, "pi_per_share"].to_numpy(dtype=float) * CPH
            v = v[~np.isnan(v)]
            if len(v):
                series.append((r, v))
    if not series:
        no_data(ax, "no filled market or marketable limit orders")
    else:
        labels = [f"{r}{' (benchmark)' if r == bench else ''}  n={len(v)}" for r, v in series][::-1]
        data_ = [v for _r, v in series][::-1]
        # matplotlib 3.10 renamed vert=False to orientation="horizontal" (and deprecates the old name).
        horizontal = ({"orientation": "horizontal"} if "orientation" in inspect.signature(ax.boxplot).parameters
                      else {"vert": False})
        box = ax.boxplot(data_, **horizontal, whis=(5, 95), showmeans=True, patch_artist=True, widths=0.6,
                         flierprops={"marker": ".", "markersize": 3, "alpha": 0.5},
                         meanprops={"marker": "D", "markerfacecolor": "white", "markeredgecolor": "black",
                                    "markersize": 4},
                         medianprops={"color": "black"})
        for patch, (r, _v) in zip(box["boxes"], series[::-1], strict=True):
            patch.set_facecolor(colors.get(r, "#999999"))
            patch.set_alpha(0.75)
        ax.set_yticks(range(1, len(labels) + 1), labels)
        pooled = np.concatenate(data_)
        lo, hi = np.percentile(pooled, [0.5, 99.5])
        pad = max(hi - lo, 1.0) * 0.08
        ax.set_xlim(min(lo, 0.0) - pad, max(hi, 0.0) + pad)  # a few extreme orders would squash every box
        ax.axvline(0.0, color="#444444", lw=0.8)
        mark_flat_boxes(ax, data_, unit="cph")
        ax.set_xlabel("price improvement, cph (> 0 better than the far side of the NBBO at arrival)")
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:+.0f}")
        ax.grid(axis="y", visible=False)
    return ReportFigure("pi-distribution", "Price improvement per order, marketable orders (cph)",
                        "Per-order price improvement of filled market and marketable limit orders, cents per 100 "
                        "shares: box 25-75%, whiskers 5-95%, diamond the mean, line the median; a thick bar marked "
                        "IQR 0 where the middle half of the orders share one value; the axis spans 99% of the "
                        "orders, so a few extreme ones may lie beyond it.", fig)


def fig_time_to_fill(data: RunData, colors: dict[str, str], bench: str | None) -> ReportFigure:
    """Empirical distribution of the time to first fill of market and marketable limit orders, per router."""
    fig = new_figure(3.4)
    ax = fig.subplots()
    orders = data.table("tca/orders.parquet")
    drawn = 0
    if orders is not None:
        sel = orders[orders["order_class"].isin(MARKETABLE)]
        for r in _routers_in(data, sel):
            sub = sel.loc[sel["router"] == r, "time_to_first_fill_ms"].to_numpy(dtype=float)
            v = np.sort(sub[~np.isnan(sub)])
            if not len(v):
                continue
            v = np.maximum(v, 1e-3)
            # Share of all the router's marketable orders filled by time t: unfilled orders keep the curve below 1.
            y = np.arange(1, len(v) + 1) / len(sub)
            ax.step(v, y, where="post", color=colors.get(r, "#333333"), lw=2.0 if r == bench else 1.3,
                    label=f"{r}{' (benchmark)' if r == bench else ''} ({len(v)}/{len(sub)} filled)")
            drawn += 1
    if not drawn:
        no_data(ax, "no filled market or marketable limit orders")
    else:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:g}")  # 0.1, 1, 10 ms rather than powers of ten
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("time from arrival to first fill, ms (log scale)")
        ax.set_ylabel("share of orders filled")
        ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return ReportFigure("time-to-fill", "Time to first fill, marketable orders (ms)",
                        "Cumulative share of each router's market and marketable limit orders with a first fill "
                        "by the time on the axis; orders never filled keep a curve below 100%.", fig)


def fig_fill_rate_by_venue(data: RunData, colors: dict[str, str], venues: list[str]) -> ReportFigure:
    """Executed over routed shares per venue, one bar per router that routed there."""
    fig = new_figure(3.4)
    ax = fig.subplots()
    vt = data.table("tca/venues.csv")
    routers = _routers_in(data, vt)
    shown = [v for v in venues if vt is not None and (vt["venue"] == v).any()]
    if not routers or not shown:
        no_data(ax, "no venue scorecard (tca/venues.csv)")
    else:
        assert vt is not None  # routers come from it
        width = 0.8 / len(routers)
        for i, r in enumerate(routers):
            sub = vt[vt["router"] == r].set_index("venue")
            x, y = [], []
            for j, v in enumerate(shown):
                if v in sub.index and not np.isnan(sub.loc[v, "fill_rate"]):
                    x.append(j - 0.4 + width * (i + 0.5))
                    y.append(100.0 * float(sub.loc[v, "fill_rate"]))
            ax.bar(x, y, width=width * 0.95, color=colors.get(r, "#999999"), label=r)
        ax.set_xticks(range(len(shown)), shown)
        ax.set_ylim(0, 105)
        ax.set_ylabel("executed / routed shares, %")
        ax.grid(axis="x", visible=False)
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return ReportFigure("fill-rate-venue", "Fill rate by venue (% of routed shares)",
                        "Shares executed over shares routed to each venue (child orders), per router.", fig)


def fig_venue_mix_payment(data: RunData, vcolors: dict[str, str], venues: list[str],
                          terms: dict[str, dict[str, Any]]) -> ReportFigure:
    """Each router's routed share per venue beside what each venue pays the broker for the flow."""
    vt = data.table("tca/venues.csv")
    routers = _routers_in(data, vt)
    fig = new_figure(max(2.8, 0.38 * len(routers) + 1.5))
    ax, ax2 = fig.subplots(1, 2, width_ratios=[3, 2])
    if not routers:
        no_data(ax, "no venue scorecard (tca/venues.csv)")
    else:
        assert vt is not None  # routers come from it
        left = np.zeros(len(routers))
        for v in venues:
            share = np.array([
                float(vt.loc[(vt["router"] == r) & (vt["venue"] == v), "frac_of_routed"].sum()) for r in routers])
            share = np.nan_to_num(share) * 100.0
            if not share.any():
                continue
            ax.barh(range(len(routers)), share, left=left, color=vcolors.get(v, "#999999"), label=v, height=0.7)
            left += share
        ax.set_yticks(range(len(routers)), routers)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("share of the router's routed shares, %")
        ax.set_title("Venue mix (% of routed shares)")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=min(6, len(venues)), frameon=False)
    paid = [v for v in venues if v in terms]
    if not paid:
        no_data(ax2, "no fee schedules in the manifest")
    else:
        y = np.arange(len(paid))
        take = [terms[v]["pays_take_usd"] * CPH for v in paid]
        make = [terms[v]["pays_make_usd"] * CPH for v in paid]
        ax2.barh(y - 0.2, take, height=0.38, color=[vcolors.get(v, "#999999") for v in paid], label="for taking")
        ax2.barh(y + 0.2, make, height=0.38, color=[vcolors.get(v, "#999999") for v in paid], hatch="///",
                 edgecolor="white", label="for posting")
        ax2.set_yticks(y, paid)
        ax2.invert_yaxis()
        ax2.set_xlabel("paid to the broker, cph")
        ax2.set_title("What each venue pays, PFOF + rebate (cph)")
        ax2.grid(axis="y", visible=False)
        ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=2, frameon=False)
    return ReportFigure("venue-mix-payment", "Venue mix (%) vs what venues pay (cph)",
                        "Left: where each router sent its shares. Right: what each venue pays the broker per share "
                        "for liquidity taken (PFOF + taker rebate) and posted (PFOF + maker rebate, hatched), from "
                        "the manifest's fee schedules.", fig)


def _bucket_ns(span_ns: int) -> int:
    for seconds in (10, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if span_ns / (seconds * 1e9) <= 30:
            return seconds * 1_000_000_000
    return 3600 * 1_000_000_000


def _clock(ns: int) -> str:
    s = ns // 1_000_000_000
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}" + (f":{s % 60:02d}" if s % 60 else "")


def session_window_ns(data: RunData) -> tuple[int, int] | None:
    """The session's start and end, ns since midnight, from the manifest's scenario."""
    session = data.scenario.get("session") or {}
    try:
        start, end = (sum(int(p) * f for p, f in zip(str(session[k]).split(":"), (3600, 60, 1), strict=False))
                      for k in ("start", "end"))
    except (KeyError, ValueError):
        return None
    return start * 1_000_000_000, end * 1_000_000_000


def fig_routing_over_day(data: RunData, vcolors: dict[str, str], venues: list[str]) -> ReportFigure:
    """Per router: the share of routed shares sent to each venue in each time bucket of the session."""
    children = data.table("child_orders.parquet")
    routers = _routers_in(data, children)
    ncols = min(4, max(1, len(routers)))
    nrows = max(1, -(-len(routers) // ncols))
    fig = new_figure(0.6 + 2.1 * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharey=True, squeeze=False)).ravel()
    window = session_window_ns(data)
    if not routers:
        for a in axes[1:]:
            a.set_axis_off()
        no_data(axes[0], "no child orders (child_orders.parquet)")
    else:
        assert children is not None  # routers come from it
        lo = window[0] if window else int(children["sent_ts_ns"].min())
        hi = window[1] if window else int(children["sent_ts_ns"].max()) + 1
        step = _bucket_ns(max(1, hi - lo))
        edges = np.arange(lo, hi + step, step)
        if len(edges) < 2:
            edges = np.array([lo, lo + step])
        n = len(edges) - 1
        for ax, r in zip(axes, routers, strict=False):
            sub = children[children["router"] == r]
            idx = np.clip((sub["sent_ts_ns"].to_numpy() - lo) // step, 0, n - 1)
            total = np.bincount(idx, weights=sub["qty"].to_numpy(dtype=float), minlength=n)
            bottom = np.zeros(n)
            x = np.arange(n + 1)  # bucket edges; one filled step polygon per venue (cheaper than a bar per bucket)
            for v in venues:
                m = (sub["venue"] == v).to_numpy()
                if not m.any():
                    continue
                q = np.bincount(idx[m], weights=sub["qty"].to_numpy(dtype=float)[m], minlength=n)
                share = np.divide(q, total, out=np.zeros(n), where=total > 0) * 100
                top = bottom + share
                ax.fill_between(x, np.append(bottom, bottom[-1]), np.append(top, top[-1]), step="post",
                                color=vcolors.get(v, "#999999"), label=v, linewidth=0)
                bottom = top
            ax.set_title(r)
            ticks = sorted({0, n // 2, n})
            ax.set_xticks(ticks, [_clock(int(edges[t])) for t in ticks])
            ax.set_xlim(0, n)
            ax.set_ylim(0, 100)
            ax.grid(axis="x", visible=False)
        for a in axes[len(routers):]:
            a.set_axis_off()
        for a in axes[::ncols]:
            a.set_ylabel("routed shares, %")
        handles = {h.get_label(): h for a in axes for h in a.get_legend_handles_labels()[0]}
        fig.legend([handles[v] for v in venues if v in handles], [v for v in venues if v in handles],
                   loc="outside lower center", ncols=min(8, len(handles)), frameon=False)
        fig.text(0.0, 1.0, f"bucket: {step // 1_000_000_000} s", fontsize=8, va="top", color="#555555")
    return ReportFigure("routing-day", "Routing over the day (% of routed shares)",
                        "Share of each router's routed shares (child orders, by sending time) going to each venue, "
                        "per time bucket of the session; empty buckets had no child orders.", fig)


def fig_paired_forest(data: RunData, colors: dict[str, str], bench: str | None) -> ReportFigure:
    """Each router's paired difference from the benchmark router (stratum all), with its seed-level interval."""
    paired = data.table("tca/paired.csv")
    if paired is not None and all(c in paired.columns for c in ("order_class", "symbol", "size_bucket")):
        paired = paired[(paired["order_class"] == "all") & (paired["symbol"] == "all")
                        & (paired["size_bucket"] == "all")]
    figs = [f for f in PAIRED_FIGURES if paired is not None and (paired["figure"] == f).any()]
    others = [r for r in data.routers if r != bench]
    fig = new_figure(max(3.0, 1.0 + 0.32 * len(others) * 2))
    if bench is None or not figs or not others:
        no_data(fig.subplots(), "no paired comparison with a benchmark router")
    else:
        assert paired is not None  # figs come from it
        axes = fig.subplots(2, 3, sharey=True).ravel()
        for ax, figure in zip(axes, figs, strict=False):
            rows = paired[(paired["figure"] == figure) & ((paired["router_a"] == bench) |
                                                          (paired["router_b"] == bench))]
            points: dict[str, list[tuple[int, float, float, float]]] = {}
            scale = BY_KEY[f"paired_{figure}"].scale
            for i, r in enumerate(others):
                hit = rows[(rows["router_a"] == r) | (rows["router_b"] == r)]
                if hit.empty:
                    continue
                h = hit.iloc[0]
                sign = 1.0 if h["router_a"] == r else -1.0
                d, lo, hi = sign * h["mean_diff"], sign * h["ci_low"], sign * h["ci_high"]
                if not (np.isfinite(lo) and np.isfinite(hi)):  # too few seeds: the estimate alone, hollow
                    lo = hi = d
                color = "#888888"
                if isinstance(h["better"], str):
                    color = "#2e7d32" if h["better"] == r else "#c62828"
                points.setdefault(color, []).append((i, d * scale, min(lo, hi) * scale, max(lo, hi) * scale))
            for color, pts in points.items():  # one errorbar call per colour
                ys, ds, los, his = (np.array(c, dtype=float) for c in zip(*pts, strict=True))
                ax.errorbar(ds, ys, xerr=[ds - los, his - ds], fmt="o", color=color, ms=4, capsize=2, lw=1.2)
            ax.axvline(0.0, color="#444444", lw=0.8)
            ax.set_title(BY_KEY[f"paired_{figure}"].label.replace("(%)", "(% points)"), fontsize=8, loc="left",
                         wrap=True)
            ax.set_yticks(range(len(others)), others)
            ax.grid(axis="y", visible=False)
        axes[0].invert_yaxis()
        for ax in axes[len(figs):]:
            ax.set_axis_off()
    return ReportFigure("paired-forest", "Paired differences from the benchmark router (figure units)",
                        f"Router minus {bench or 'the benchmark'} on every parent both have the figure for (time "
                        "to first fill: both filled), classified in the common market; per seed the mean paired "
                        "difference within order class x symbol x size bucket, strata weighted by their share of "
                        "paired parents; bar: the 95% Student t interval over seeds (none with fewer than 5 seeds: "
                        "the point alone). Green: significantly better, red: significantly worse, grey: no "
                        "significant difference or too few seeds.", fig)


def fig_broker_vs_customer(data: RunData, colors: dict[str, str]) -> ReportFigure:
    """Broker economics against customer outcome: each router's net payment per share against its customers' PI."""
    fig = new_figure(3.4, 7.0)
    ax = fig.subplots()
    cs = data.table("conflict/summary.csv")
    if cs is None or cs.empty or cs[["broker_net_payment_cph", "customer_net_pi_cph"]].isna().all().all():
        no_data(ax, "no conflict summary (conflict/summary.csv)")
    else:
        xs, ys, texts, tcolors = [], [], [], []
        for r in cs.to_dict("records"):
            x, y = r["broker_net_payment_cph"], r["customer_net_pi_cph"]
            if np.isnan(x) or np.isnan(y):
                continue
            flagged = str(r["flagged"]).strip().lower() in ("true", "1")
            ax.scatter([x], [y], s=60, color=colors.get(str(r["router"]), "#333333"),
                       edgecolor="#c62828" if flagged else "white", linewidth=2.0 if flagged else 0.5, zorder=3)
            xs.append(x)
            ys.append(y)
            texts.append(str(r["router"]) + (" (flagged)" if flagged else ""))
            tcolors.append("#c62828" if flagged else "#222222")
        ax.axvline(0.0, color="#444444", lw=0.8)
        ax.axhline(0.0, color="#444444", lw=0.8)
        ax.set_xlabel(BY_KEY["broker_net_cph"].label + ": PFOF + rebates - fees")
        ax.set_ylabel("customers' " + BY_KEY["pi_all"].label)
        ax.margins(0.25)
        place_labels(ax, xs, ys, texts, tcolors)  # labels moved apart, leader lines to moved ones
    return ReportFigure("broker-customer", "Broker economics vs customer outcome (cph)",
                        "Each router's net payment to the broker per executed share against its customers' "
                        "share-weighted price improvement (cents per 100 shares); a red ring marks a flagged router.",
                        fig)


FIGURE_KEYS = ("markouts", "pi-distribution", "time-to-fill", "fill-rate-venue", "routing-day", "paired-forest",
               "venue-mix-payment", "broker-customer")
"""The report's figures, in its order (each ``ReportFigure.key``; ``harness.api.Run.figure`` takes them)."""


def figure_makers(data: RunData, *, bench: str | None,
                  terms: dict[str, dict[str, Any]]) -> dict[str, Callable[[], ReportFigure]]:
    """A function drawing each figure of the report, by key (:data:`FIGURE_KEYS`), in the report's style."""
    colors = palette(data.routers, ROUTER_COLORS)
    venues = venue_order(data)
    vcolors = palette(venues, VENUE_COLORS)
    makers: list[Callable[[], ReportFigure]] = [
        lambda: fig_markouts(data, colors, bench), lambda: fig_pi_distribution(data, colors, bench),
        lambda: fig_time_to_fill(data, colors, bench), lambda: fig_fill_rate_by_venue(data, colors, venues),
        lambda: fig_routing_over_day(data, vcolors, venues), lambda: fig_paired_forest(data, colors, bench),
        lambda: fig_venue_mix_payment(data, vcolors, venues, terms), lambda: fig_broker_vs_customer(data, colors),
    ]

    def styled(make: Callable[[], ReportFigure]) -> Callable[[], ReportFigure]:
        def draw() -> ReportFigure:
            with style():
                return make()
        return draw

    return {key: styled(make) for key, make in zip(FIGURE_KEYS, makers, strict=True)}


def make_figures(data: RunData, *, bench: str | None, terms: dict[str, dict[str, Any]]) -> dict[str, ReportFigure]:
    """Every figure of the report, drawn and rendered to PNG, by key."""
    out = {}
    with style():
        for key, make in figure_makers(data, bench=bench, terms=terms).items():
            f = make()
            assert f.key == key, (f.key, key)  # FIGURE_KEYS names them in the makers' order
            f.png = to_png(f.figure)
            out[f.key] = f
    return out
