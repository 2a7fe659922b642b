"""Seed derivation: every component draws from its own ``random.Random``.

Why not one generator for the whole season: with a single stream, adding one
random draw anywhere (a new field, a new endpoint) would shift every number
after it, and generating the plays of one game would need all games before
it. Deriving an independent seed per component (``"game", home, away, day``)
keeps each piece reproducible on its own and lets plays be generated lazily
for a single game.

``hash()`` is salted per process for strings, so seeds come from SHA-256.
"""
from __future__ import annotations

import hashlib
import random


def derive_seed(*parts: object) -> int:
    """A stable 64-bit seed from any sequence of printable parts."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def rng(*parts: object) -> random.Random:
    """A generator seeded from ``parts`` (see :func:`derive_seed`)."""
    return random.Random(derive_seed(*parts))
