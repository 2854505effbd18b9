"""A run names each phase as it starts (the progress display shows it), in order, once each."""

from __future__ import annotations

from pathlib import Path

from harness.workflows.run import PHASES
from tests.report.conftest import small_report_run


def test_a_run_reports_every_phase_in_order(tmp_path: Path) -> None:
    heard: list[str] = []
    small_report_run(tmp_path, routers=["best-price"], pdf=False, on_phase=heard.append)
    assert heard == list(PHASES)
    assert heard[:3] == ["simulating", "writing tables", "analysing"]


def test_without_a_report_the_report_phase_is_not_announced(tmp_path: Path) -> None:
    heard: list[str] = []
    small_report_run(tmp_path, routers=["best-price"], report=False, on_phase=heard.append)
    assert heard == [p for p in PHASES if p != "writing report"]
