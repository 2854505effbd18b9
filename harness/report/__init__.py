"""Run reports: ``report.html`` (self-contained) and ``report.pdf`` in every run folder, from its files only.

``build_report(folder)`` writes both; ``rebuild_report(folder)`` is ``sorbench report``: it also records the new
files' hashes in the manifest. Sections, figures and PDF rendering: docs/reports.md.
"""

from harness.report.build import SECTIONS, ReportFiles, build_report, rebuild_report, report_context, report_status
from harness.report.data import RunData, load_run_data

__all__ = [
    "SECTIONS",
    "ReportFiles",
    "RunData",
    "build_report",
    "load_run_data",
    "rebuild_report",
    "report_context",
    "report_status",
]
