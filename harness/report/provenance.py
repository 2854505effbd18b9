"""The run-specific block of ``report.html`` and how ``sorbench verify`` compares a report without it.

The report shows how its run was made: sorbench version, git commit, Python, platform, start time, worker count,
the command lines, the run folder's path and which program printed the PDF. None of these is a result, and a re-run
by ``sorbench verify`` differs in them (it runs elsewhere, later, with no command line). The HTML puts them between
two comments; verify compares ``report.html`` with those blocks removed, and the integrity check still compares the
whole file with its recorded hash. Everything else in the report is a function of the run's data.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

BEGIN = "<!-- sorbench:run-specific -->"
END = "<!-- /sorbench:run-specific -->"
_BLOCK = re.compile(re.escape(BEGIN).encode() + rb".*?" + re.escape(END).encode(), re.DOTALL)


def comparable_bytes(html: bytes) -> bytes:
    """The report's bytes with every run-specific block emptied (the markers stay)."""
    return _BLOCK.sub(BEGIN.encode() + END.encode(), html)


def comparable_sha256(path: Path) -> str:
    """The sha256 of a report.html without its run-specific blocks."""
    return hashlib.sha256(comparable_bytes(Path(path).read_bytes())).hexdigest()
