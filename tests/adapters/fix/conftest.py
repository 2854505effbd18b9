"""Every real-time run a FIX test starts in the background is finished before the next test begins.

QuickFIX keeps one process-wide registry of sessions: two runs alive at once would share session IDs. A test that
fails before collecting its run's result must not leave that run going into the next test.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from tests.adapters.fix import helpers


@pytest.fixture(autouse=True)
def _finish_background_runs() -> Iterator[None]:
    yield
    while helpers.PENDING:
        fut = helpers.PENDING.pop()
        with contextlib.suppress(Exception):
            fut.result(timeout=120)
