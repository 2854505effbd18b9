"""The Python API for notebooks and scripts: ``from harness import api`` (docs/python-api.md).

:func:`run` simulates a scenario's routers x seeds into a run folder exactly as ``sorbench run`` does (it calls the
same workflow, :func:`harness.workflows.run.run_scenario`) and returns a :class:`Run`; :func:`open_run` opens a
folder written earlier. A :class:`Run` hands out the folder's tables as pandas DataFrames (``fills``, ``orders``,
``parents``, ``children``, ``quotes``, ``nbbo``, ``trades``, or any by name with :meth:`Run.table`), the analytics
(:meth:`Run.summary`, :meth:`Run.compare`, :meth:`Run.review`), the report's figures as matplotlib figures
(:meth:`Run.figure`) and the report itself (:meth:`Run.report`). Example::

    from harness import api

    run = api.run("default", routers=["best-price", "sequential"], seeds=2, end="09:32:00")
    run.summary()                              # per router: fill rate, price improvement, ...
    run.compare("best-price", "sequential")    # paired differences on the same orders, with intervals
    run.figure("markouts")                     # a matplotlib Figure
    run.write("my-run")                        # a copy of the run folder

Nothing here computes a figure of its own: every number is the one the run folder, the report and the CLI show.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from harness.errors import UserError
from harness.paths import INSTALLED_SCENARIOS, REPO_SCENARIOS

TABLES = {
    "fills": "fills.parquet",
    "orders": "tca/orders.parquet",
    "parents": "parent_orders.parquet",
    "children": "child_orders.parquet",
    "quotes": "quotes.parquet",
    "nbbo": "nbbo.parquet",
    "trades": "trades.parquet",
}
"""The :class:`Run` attributes and the run-folder files they read (columns: docs/data-formats.md)."""


def load(scenario: str | Path | Any, *, end: str | None = None, registry: Any = None) -> Any:
    """A scenario from a file, a shipped scenario's name (``"default"``) or a ``Scenario`` (returned as is).

    ``end`` (``HH:MM:SS``) cuts the session short, for a quick look; the result is validated like a file.
    """
    from harness.scenario.schema import Scenario, load_scenario, scenario_from_dict

    if isinstance(scenario, Scenario):
        sc = scenario
    else:
        sc, _ = load_scenario(_scenario_path(scenario), registry=registry)
    if end is not None:
        data = sc.model_dump(mode="json")
        data["session"]["end"] = end
        sc = scenario_from_dict(data, source=f"{sc.name} (end={end})", registry=registry)
    return sc


def _scenario_path(scenario: str | Path) -> Path:
    path = Path(scenario)
    if path.suffix == ".toml" or path.exists():
        return path
    for folder in (REPO_SCENARIOS, INSTALLED_SCENARIOS):
        if (folder / f"{scenario}.toml").is_file():
            return folder / f"{scenario}.toml"
    raise UserError(f"{scenario}: no such scenario file, nor a shipped scenario of that name")


def run(
    scenario: str | Path | Any = "default",
    *,
    routers: Sequence[str] | None = None,
    seeds: int | Sequence[int] = 1,
    end: str | None = None,
    orders: str | Path | None = None,
    symbol_map: Mapping[str, str] | str | Path | None = None,
    out: str | Path | None = None,
    results_root: str | Path = "results",
    jobs: int = 1,
    report: bool = False,
    pdf: bool = False,
    incentive_twins: int = 0,
    policy: Any = None,
) -> Run:
    """Run ``routers`` (default: the scenario's) x ``seeds`` on ``scenario`` into a run folder; the :class:`Run`.

    ``seeds`` is a count (from the scenario's seed upward) or a list of seeds; ``end`` cuts the session short;
    ``orders`` replays a parent-order file (CSV/Parquet, with ``symbol_map`` for a firm's tickers) instead of the
    generated flow; ``out`` is the folder (default ``<results_root>/<scenario>-<UTC time>``); ``report`` also writes
    ``report.html`` (and ``report.pdf`` with ``pdf``), which :meth:`Run.report` can do later. ``policy`` is a review
    policy file or ``ReviewPolicy``. Raises :class:`~harness.errors.UserError` on bad input, as the CLI reports it.
    """
    from adapters.loader import full_registry
    from harness.analytics.review_policy import ReviewPolicy, load_policy
    from harness.io.order_fields import read_symbol_map
    from harness.io.orders import load_parents
    from harness.workflows.run import run_scenario

    registry = full_registry()
    sc = load(scenario, end=end, registry=registry)
    chosen = list(routers) if routers is not None else list(sc.routers)
    unknown = [r for r in chosen if r not in registry]
    if unknown:
        raise UserError(f"routers: unknown router {unknown[0]!r} (known: {', '.join(registry.names())})")
    sc = sc.model_copy(
        update={"routers": chosen, "router_params": {k: v for k, v in sc.router_params.items() if k in chosen}}
    )
    seed_list = list(range(sc.session.seed, sc.session.seed + seeds)) if isinstance(seeds, int) else list(seeds)
    if not seed_list:
        raise UserError("seeds: at least one seed")
    mapping = read_symbol_map(symbol_map) if isinstance(symbol_map, str | Path) else symbol_map
    parents = load_parents(orders, sc, symbol_map=mapping) if orders is not None else None
    outcome = run_scenario(
        sc,
        scenario_path=_scenario_path(scenario) if isinstance(scenario, str | Path) else None,
        routers=chosen,
        seeds=seed_list,
        out_dir=Path(out) if out is not None else None,
        results_root=Path(results_root),
        jobs=jobs,
        parents=parents,
        orders_file=Path(orders) if orders is not None else None,
        symbol_map=dict(mapping) if mapping else None,
        registry=registry,
        command=["harness.api.run"],
        incentive_twins=incentive_twins,
        report=report,
        pdf=pdf,
        review_policy=policy if isinstance(policy, ReviewPolicy) or policy is None else load_policy(policy),
    )
    return Run(outcome.out_dir, failures=list(outcome.failures))


def open_run(folder: str | Path) -> Run:
    """A run folder written earlier (by :func:`run` or ``sorbench run``)."""
    path = Path(folder)
    if not (path / "manifest.json").is_file():
        raise UserError(f"{path}: not a run folder (no manifest.json)")
    return Run(path)


class Run:
    """A run folder's tables, analytics, figures and report (see the module docstring)."""

    def __init__(self, folder: str | Path, *, failures: Sequence[str] = ()) -> None:
        self.folder = Path(folder)
        self.failures = list(failures)
        """One line per failed simulation, analytics or report step; empty when the run is complete."""

    def __repr__(self) -> str:
        return f"Run({str(self.folder)!r}, routers={self.routers}, seeds={self.seeds})"

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """``manifest.json``: provenance, the resolved scenario, routers, seeds and each step's status."""
        import json

        data: dict[str, Any] = json.loads((self.folder / "manifest.json").read_text(encoding="utf-8"))
        return data

    @property
    def routers(self) -> list[str]:
        """The routers run, in the run's order."""
        return [r["name"] for r in self.manifest.get("routers", [])]

    @property
    def seeds(self) -> list[int]:
        """The seeds run."""
        return [int(s) for s in self.manifest.get("seeds", [])]

    def table(self, name: str) -> pd.DataFrame:
        """A table of the folder by file name (``"tca/venues.csv"``) or :data:`TABLES` key (``"fills"``)."""
        rel = TABLES.get(name, name)
        path = self.folder / rel
        if not path.is_file():
            for suffix in (".parquet", ".csv"):
                if (self.folder / f"{rel}{suffix}").is_file():
                    path = self.folder / f"{rel}{suffix}"
                    break
            else:
                raise UserError(f"{self.folder}: no table {name!r} ({rel})")
        return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)

    fills = property(lambda self: self.table("fills"), doc="``fills.parquet``: every fill of every router x seed.")
    orders = property(
        lambda self: self.table("orders"),
        doc="``tca/orders.parquet``: one row per router x seed x parent with its TCA figures.",
    )
    parents = property(lambda self: self.table("parents"), doc="``parent_orders.parquet``: the parent orders.")
    children = property(lambda self: self.table("children"), doc="``child_orders.parquet``: the child orders.")
    quotes = property(lambda self: self.table("quotes"), doc="``quotes.parquet``: every venue's quote history.")
    nbbo = property(lambda self: self.table("nbbo"), doc="``nbbo.parquet``: the true consolidated NBBO.")
    trades = property(lambda self: self.table("trades"), doc="``trades.parquet``: every venue's trades.")

    def summary(self) -> pd.DataFrame:
        """``tca/summary.csv``: per router (and order class, symbol), the headline execution-quality figures."""
        return self.table("tca/summary.csv")

    def review(self) -> pd.DataFrame:
        """``tca/review.csv``: the committee's rules per router against the benchmark (pass / review / fail)."""
        return self.table("tca/review.csv")

    def compare(self, a: str, b: str, *, figure: str | None = None, pooled: bool = True) -> pd.DataFrame:
        """Paired differences ``a - b`` on the same orders (``tca/paired.csv``), with seed-level intervals.

        ``pooled`` keeps the rows over all order classes, symbols and sizes; ``figure`` one figure
        (``"pi_per_share"``, ...). The table pairs routers in sorted order; for ``a > b`` the values, differences
        and intervals are turned round so that they always read ``a - b``.
        """
        from harness.analytics.paired import ALL, STRATA

        for r in (a, b):
            if r not in self.routers:
                raise UserError(f"{r!r} is not a router of this run ({', '.join(self.routers)})")
        paired = self.table("tca/paired.csv")
        lo, hi = sorted((a, b))
        rows = paired[(paired["router_a"] == lo) & (paired["router_b"] == hi)].copy()
        if pooled:
            rows = rows[(rows[list(STRATA)] == ALL).all(axis=1)]
        if figure is not None:
            rows = rows[rows["figure"] == figure]
        if (lo, hi) != (a, b):
            rows = rows.rename(
                columns={"value_a": "value_b", "value_b": "value_a", "ci_low": "ci_high", "ci_high": "ci_low"}
            )
            for col in ("mean_diff", "ci_low", "ci_high"):
                rows[col] = -rows[col]
            rows["router_a"], rows["router_b"] = a, b
        return rows[paired.columns].reset_index(drop=True)

    def figure(self, key: str) -> Any:
        """One of the report's figures as a matplotlib ``Figure`` (:attr:`figure_keys`), drawn from this folder."""
        from harness.report.figures import figure_makers

        makers = figure_makers(self._report_data, **self._figure_args())
        if key not in makers:
            raise UserError(f"no figure {key!r} (figures: {', '.join(makers)})")
        return makers[key]().figure

    @property
    def figure_keys(self) -> list[str]:
        """The keys :meth:`figure` takes, in the report's order."""
        from harness.report.figures import FIGURE_KEYS

        return list(FIGURE_KEYS)

    @cached_property
    def _report_data(self) -> Any:
        from harness.report.data import load_run_data

        return load_run_data(self.folder)

    def _figure_args(self) -> dict[str, Any]:
        from harness.report import evidence
        from harness.report.context import benchmark_router

        data = self._report_data
        return {"bench": benchmark_router(data), "terms": evidence.venue_terms(data)}

    def report(self, *, pdf: bool = False) -> Path:
        """Write ``report.html`` (and ``report.pdf`` with ``pdf``) into the folder; the HTML file's path."""
        from harness.report import build_report

        build_report(self.folder, pdf=pdf)
        return self.folder / "report.html"

    def write(self, folder: str | Path) -> Path:
        """Copy the whole run folder to ``folder`` (which must not exist); the copy's path."""
        dest = Path(folder)
        if dest.exists():
            raise UserError(f"{dest}: already exists (choose another folder)")
        shutil.copytree(self.folder, dest)
        return dest
