"""A plug-in whose name is a path out of the run folder (its failure file would be written outside)."""

from __future__ import annotations

from adapters.contract import ParentOrder, Router


class EscapingRouter(Router):
    """Raises on its first parent, named so that ``failures/<name>-seed1.txt`` leaves the run folder."""

    name = "../../../escaped"
    description = "Test plug-in: a path for a name."

    def on_parent(self, parent: ParentOrder) -> None:
        raise RuntimeError("boom")
