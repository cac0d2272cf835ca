"""Reference and demo data. `load_all` is the single entry point; every loader it calls is
idempotent, so it can run on every start of a demo instance."""

from __future__ import annotations

from seeds.generate import DEFAULT_SEED
from seeds.loader import SeedReport, load_grid_seeds

__all__ = ["DEFAULT_SEED", "SeedReport", "load_all", "load_grid_seeds"]


async def load_all(*, seed: int = DEFAULT_SEED) -> SeedReport:
    """Load every seed into the current Tortoise connection."""
    return await load_grid_seeds(seed=seed)
