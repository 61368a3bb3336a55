"""Identifiers for events, jobs, messages and receipt handles: random UUIDs (version 4 form).

``uuid.uuid4()`` makes a system call (``os.urandom``) for every id, and PutEvents makes several
ids per event. These ids only need to be unique, not unpredictable (nothing is authorized by
knowing one), so they come from a generator seeded once from ``os.urandom``, and seeded again in
a forked child so parent and child never repeat each other.
"""

from __future__ import annotations

import os
import random

__all__ = ["new_id"]

_VERSION_4 = 0x4 << 76
_VARIANT_RFC4122 = 0x2 << 62
_CLEAR = ~((0xF << 76) | (0x3 << 62))

_rng = random.Random(os.urandom(32))


def _reseed() -> None:
    _rng.seed(os.urandom(32))


os.register_at_fork(after_in_child=_reseed)


def new_id() -> str:
    """A random UUID in canonical text form, e.g. ``'3f2b8c1e-5a7d-4e9f-b0c4-1d2e3f4a5b6c'``."""
    n = (_rng.getrandbits(128) & _CLEAR) | _VERSION_4 | _VARIANT_RFC4122
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
