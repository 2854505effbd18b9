"""Where sorbench's own files are: the source checkout and the scenarios shipped with it."""

from __future__ import annotations

from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
"""The ``harness`` package folder."""

REPO_ROOT = PACKAGE_ROOT.parent
"""The source checkout (or, when installed, the folder that holds the ``harness`` package)."""

INSTALLED_SCENARIOS = PACKAGE_ROOT / "_scenarios"
"""The scenarios as the wheel ships them (``scenarios/`` copied into the package)."""

REPO_SCENARIOS = REPO_ROOT / "scenarios"
"""The scenarios of a source checkout."""
