"""The router tests get the packaged ``fake_context`` fixture as a router author's own conftest.py would."""

from adapters.pytest_plugin import fake_context  # noqa: F401
