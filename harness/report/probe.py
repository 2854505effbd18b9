"""``probe/probe.html``: the routing-logic page of ``sorbench probe`` (findings, claims, response curves).

Self-contained like ``compare.html`` (styles inline, figures as base64 PNG drawn with matplotlib's object API), in
the report's style (``report.css``).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from harness.report.compare import RC, png_data_uri, template_environment

CURVES = {
    "price-vs-fee": ("fee gap, USD per share (A's take fee minus B's)",
                     "share of parent shares at A (one tick better)"),
    "speed": ("added order-entry latency to A, ms", "share of parent shares at A (best price)"),
}


def _pct(v: Any) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{float(v):.0%}"


def curve_figures(fp: pd.DataFrame) -> list[dict[str, str]]:
    """One figure per probe with a grid of twins: each router's mean response against the twins' setting."""
    import matplotlib
    from matplotlib.figure import Figure

    out: list[dict[str, str]] = []
    for probe, (xlabel, ylabel) in CURVES.items():
        rows = fp[fp["probe"] == probe]
        if rows.empty:
            continue
        with matplotlib.rc_context(RC):  # type: ignore[arg-type]
            fig = Figure(figsize=(6.4, 3.0), layout="constrained")
            ax = fig.add_subplot(1, 1, 1)
            for router, g in rows.groupby("router", sort=True):
                g = g.assign(x=g["param"].astype(float)).sort_values("x")
                ax.plot(g["x"], g["mean"], marker="o", label=str(router))
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.set_ylim(-0.05, 1.05)
            ax.set_title(f"{probe}: mean over seeds")
            ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
            out.append({"uri": png_data_uri(fig), "title": probe,
                        "caption": f"{probe}: {ylabel} against {xlabel}, one line per router (docs/probes.md)."})
    return out


def render_probe_page(fp: pd.DataFrame, claims: pd.DataFrame | None, info: dict[str, Any]) -> str:
    """The page's HTML."""
    findings = [{"router": r, "probe": p, "finding": g["finding"].iloc[0]}
                for (r, p), g in fp.groupby(["router", "probe"], sort=False)]
    rows = [{"router": r["router"], "probe": r["probe"], "param": r["param"], "mean": _pct(r["mean"]),
             "interval": "-" if math.isnan(r["ci_low"]) else f"{_pct(r['ci_low'])} to {_pct(r['ci_high'])}",
             "seeds": int(r["seeds"]), "failed_seeds": int(r["failed_seeds"]),
             "reference": _pct(r["reference_mean"])} for _, r in fp.iterrows()]
    env = template_environment()
    return env.get_template("probe.html.j2").render(
        info=info, findings=findings, rows=rows, figures=curve_figures(fp),
        claims=[] if claims is None else claims.to_dict("records"))
