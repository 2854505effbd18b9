"""The ``fake_context`` pytest fixture for router authors (registered as a ``pytest11`` entry point of sorbench).

With sorbench installed, every pytest session has it; without the entry point (a checkout on ``PYTHONPATH``), import
it into a ``conftest.py`` or test module: ``from adapters.pytest_plugin import fake_context``. It gives a fresh
:class:`adapters.testing.FakeContext` on :func:`adapters.testing.default_venues` (lit ``A`` and ``B``, dark ``D``;
symbol ``XYZ``, tick $0.01) at 09:30:00, to script with ``set_book`` and inspect through ``sent``. Usage::

    def test_my_router_takes_the_best_ask(fake_context):
        fake_context.set_book("A", ask=(10.02, 500))
        fake_context.set_book("B", ask=(10.01, 500))
        router = fake_context.start(MyRouter())
        router.on_parent(parent(1, Side.BUY, 100, limit_usd=10.02))
        assert fake_context.sent[0].venue == "B"
"""

from __future__ import annotations

import pytest

from adapters.testing import FakeContext


@pytest.fixture
def fake_context() -> FakeContext:
    """A fresh :class:`~adapters.testing.FakeContext` on the default venues (see the module docstring)."""
    return FakeContext()
