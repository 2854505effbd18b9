"""What a process that runs vendor code does to itself before loading it: limits, and dying with its parent.

Used by a router process (:mod:`adapters.router_host`) and by the process that inspects a plug-in
(:mod:`adapters.inspection`); both are started by sorbench, which also kills them on a wall-clock limit.
"""

from __future__ import annotations

import os
import signal
import sys


def limit_self(memory_bytes: int, cpu_seconds: int, *, no_file_writes: bool = True) -> None:
    """Address-space and CPU-time limits of this process (0: none), and no writing into files.

    ``no_file_writes`` sets ``RLIMIT_FSIZE`` to 0: no byte can be written into any regular file (a write fails with
    ``EFBIG``; Python ignores ``SIGXFSZ``), so vendor code cannot write results, reports or the run folder. Pipes
    and ``/dev/null`` are not files: the protocol and the process's forwarded output still work. Creating an
    empty file, renaming and deleting are not prevented (that would need a file-system sandbox).
    """
    import resource

    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    if cpu_seconds > 0:  # SIGXCPU at the soft limit, SIGKILL one second later at the hard one
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    if no_file_writes:
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def die_with_parent() -> None:
    """Linux: be killed when sorbench's process ends (even by SIGKILL), so no child outlives it."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        parent = os.getppid()
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # it ended before the call took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass
