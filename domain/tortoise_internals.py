"""The one place the domain layer reads a private attribute of a Tortoise object (besides the
SQLite interrupt in `domain/timeouts.py`), because Tortoise has no public API for it.
`tests/test_library_internals.py` fails when Tortoise changes it (pinned in uv.lock)."""

from __future__ import annotations

from typing import Any


def q_is_negated(q: Any) -> bool:
    """Whether a Tortoise `Q` is negated (`~Q(...)`). Tortoise 1.1 keeps that in `Q._is_negated`
    and offers only `negate()` (which flips it) and `~`; the compiled read path renders a `Q` as
    SQL, so it must know."""
    return bool(q._is_negated)
