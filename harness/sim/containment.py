"""What an in-process router may not do to the run it takes part in: end the process or escape its callback.

A router callback that raises anything, including ``SystemExit`` (``sys.exit()``) and ``KeyboardInterrupt`` (or a
subclass) that no user caused, fails its own (router, seed) run with the reason. While a simulation runs,
``os._exit`` (and ``posix._exit``, the same function) raise :class:`ExitAttempt` instead of ending the process, and
every attempt, from the router's thread or one it started, is recorded so the run fails even if a thread swallowed
it. A real Ctrl-C (``SIGINT`` received while the simulation runs in the main thread) still aborts the whole run.

This is containment *within* the process: a router that holds a reference to the C-level exit from before the
simulation started, kills its own process with a signal or corrupts the interpreter is beyond it (a worker process
that dies is rerun alone by :mod:`harness.workflows.tasks`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class ExitAttempt(BaseException):
    """Raised in place of ``os._exit`` called while a simulation runs."""


class Containment:
    """What the router tried during one simulation: exit attempts and whether the user pressed Ctrl-C."""

    def __init__(self) -> None:
        self.exit_attempts: list[str] = []
        self.user_interrupted = False

    def describe_exit(self) -> str:
        """The run's failure reason for its exit attempts ('' if none)."""
        if not self.exit_attempts:
            return ""
        return f"the router tried to end the process: {'; '.join(self.exit_attempts[:3])} (contained)"


def failure_message(exc: BaseException, containment: Containment | None) -> str | None:
    """The failure reason of a router callback that raised ``exc``; None when ``exc`` must propagate (user Ctrl-C)."""
    if isinstance(exc, KeyboardInterrupt) and (containment is None or containment.user_interrupted):
        return None
    if isinstance(exc, SystemExit):
        return f"the router called sys.exit({exc.code!r}) (contained)"
    if isinstance(exc, ExitAttempt):
        return f"the router called os._exit({exc.args[0] if exc.args else ''!r}) (contained)"
    if isinstance(exc, KeyboardInterrupt):
        kind = type(exc).__name__ if type(exc) is KeyboardInterrupt else f"{type(exc).__name__} (a KeyboardInterrupt)"
        return f"the router raised {kind} though no Ctrl-C was pressed: {exc}"
    return f"{type(exc).__name__}: {exc}"


@contextmanager
def contained() -> Iterator[Containment]:
    """Within the block, ``os._exit`` raises :class:`ExitAttempt` and a real ``SIGINT`` is told apart from a raise."""
    state = Containment()
    real_exit = os._exit
    posix = sys.modules.get("posix")

    def _exit(code: Any = 0) -> None:
        where = "" if threading.current_thread() is threading.main_thread() else " from a thread"
        state.exit_attempts.append(f"os._exit({code!r}){where}")
        raise ExitAttempt(code)

    def _on_sigint(signum: int, frame: object) -> None:
        state.user_interrupted = True
        raise KeyboardInterrupt

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, _on_sigint) if in_main else None
    os._exit = _exit  # type: ignore[assignment]
    if posix is not None and getattr(posix, "_exit", None) is real_exit:
        setattr(posix, "_exit", _exit)  # noqa: B010 (posix is typed without _exit)
    try:
        yield state
    finally:
        os._exit = real_exit
        if posix is not None and getattr(posix, "_exit", None) is _exit:
            setattr(posix, "_exit", real_exit)  # noqa: B010
        if in_main:
            signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
