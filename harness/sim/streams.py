"""Named random streams: one independent numpy Generator per component, derived from the run seed.

A stream is identified by its name parts (for example ``("flow", "AAA", "NSDQ")``); its seed is the run seed plus a
spawn key made of a stable hash of each part. Streams therefore do not depend on which other components exist:
adding a venue does not change another venue's draws, and the exogenous streams are identical for every router under
test (common random numbers).
"""

from __future__ import annotations

import hashlib

import numpy as np


def _part_key(part: str) -> int:
    return int.from_bytes(hashlib.sha256(part.encode("utf-8")).digest()[:8], "little")


def stream(seed: int, *name: str) -> np.random.Generator:
    """The Generator for the component ``name`` in the run with ``seed``."""
    if not name:
        raise ValueError("a stream needs a name")
    ss = np.random.SeedSequence(entropy=seed, spawn_key=tuple(_part_key(p) for p in name))
    return np.random.Generator(np.random.PCG64(ss))
