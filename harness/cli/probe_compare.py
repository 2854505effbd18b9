"""``sorbench compare`` on two probe folders: which routing behaviours changed (the annual refresh, docs/probes.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from harness.cli.console import out_console


def compare_probes_and_print(run_a: Path, run_b: Path, *, out: Path) -> list[dict[str, Any]]:
    """``sorbench compare`` on two probe folders: the behaviours that changed (``UserError`` on bad input).

    Returns the changed rows (for ``--json``).
    """
    from harness.workflows.probe import compare_probe_folders

    changes = compare_probe_folders(run_a, run_b, out)
    changed = changes[changes["changed"]]
    out_console.print(f"routing logic, A -> B: {len(changed)} of {len(changes)} probe twin(s) changed", soft_wrap=True)
    table = Table(title="Behaviours that changed", title_justify="left")
    for col in ("router", "probe", "twin", "A", "B", "finding in B"):
        table.add_column(col, overflow="fold")
    for r in changed.itertuples(index=False):
        table.add_row(escape(str(r.router)), escape(str(r.probe)), escape(str(r.param)), _share(r.mean_a),
                      _share(r.mean_b), escape(str(r.finding_b) if isinstance(r.finding_b, str) else "(not in B)"))
    if len(changed):
        out_console.print(table)
    out_console.print(f"compare: {out} (probe_changes.csv)")
    return [{k: (None if v != v else v) for k, v in row.items()} for row in changed.to_dict("records")]


def _share(v: Any) -> str:
    return "-" if v != v else f"{float(v):.0%}"
