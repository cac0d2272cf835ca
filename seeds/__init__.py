"""Reference and demo data. `load_all` is the single entry point; every loader it calls is
idempotent, so it can run on every start of a demo instance."""

from __future__ import annotations

from dataclasses import replace

from seeds.accounts import load_demo_accounts
from seeds.generate import DEFAULT_SEED
from seeds.loader import SeedReport, load_grid_seeds

__all__ = ["DEFAULT_SEED", "SeedReport", "load_all", "load_demo_accounts", "load_grid_seeds"]


async def load_all(*, seed: int = DEFAULT_SEED) -> SeedReport:
    """Load every seed into the current Tortoise connection: the grid tree, then the demo
    accounts (whose grid staff are scoped to towns of that tree)."""
    grids = await load_grid_seeds(seed=seed)
    return replace(grids, accounts=await load_demo_accounts(seed=seed))
