"""Where a run came from, for its manifest and ``suite.json``: sorbench's version, the git commit, package versions.

Also the helpers every workflow records provenance with: the current UTC time and a file's sha256 (the one
:func:`harness.report.data.sha256_file`, which the report hashes the run's files with).
"""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
import sys
from pathlib import Path

from harness.paths import REPO_ROOT
from harness.report.data import sha256_file

__all__ = [
    "RESULT_PACKAGES", "git_commit", "package_versions", "sha256_file", "sorbench_version", "utc_now", "versions",
]


def git_commit(path: Path) -> str | None:
    """The git commit of the source tree at ``path`` (with ``-dirty`` if it has changes), when available."""
    try:
        head = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty else "") if head else None


def sorbench_version() -> str:
    """The installed sorbench's version (``0+unknown`` when it is not installed as a distribution)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sorbench")
    except PackageNotFoundError:
        return "0+unknown"


# The installed distributions a run's results depend on (the simulator, the tables, the analytics and the files).
RESULT_PACKAGES = ("simpy", "numpy", "pandas", "pyarrow", "pydantic", "matplotlib", "jinja2", "lxml", "duckdb")


def package_versions() -> dict[str, str | None]:
    """Versions of :data:`RESULT_PACKAGES` (None for one not installed), for the manifest."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in RESULT_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def versions() -> dict[str, str | None]:
    """sorbench, Python, the packages results depend on, the git commit and platform (``suite.json``)."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in ("sorbench", "numpy", "pandas", "pyarrow", "simpy", "pydantic"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    out["git_commit"] = git_commit(REPO_ROOT)
    return out


def utc_now() -> dt.datetime:
    """The current time, UTC."""
    return dt.datetime.now(dt.UTC)
