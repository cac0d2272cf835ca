"""Tortoise configuration: which modules hold models, and how a URL becomes a config."""

from __future__ import annotations

import os
from typing import Any

MODEL_MODULES: list[str] = [
    "domain.people.models",
    "domain.grids.models",
    "domain.accounts.models",
    "domain.audit.models",
    "domain.leaders.models",
    "domain.activities.models",
]

DEFAULT_DATABASE_URL = "sqlite://data/linzhi.sqlite3"


def database_url() -> str:
    return os.environ.get("LINZHI_DATABASE_URL", DEFAULT_DATABASE_URL)


def tortoise_config(url: str) -> dict[str, Any]:
    """The Tortoise config dict for `url`; migrations live in the top-level `migrations` package."""
    return {
        "connections": {"default": _normalise(url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _normalise(url: str) -> str:
    # People write postgresql://; Tortoise knows postgres://.
    if url.startswith("postgresql://"):
        return "postgres://" + url.removeprefix("postgresql://")
    return url


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


class _LazyConfig(dict[str, Any]):
    """`tortoise` CLI entry point (pyproject [tool.tortoise]); reads LINZHI_DATABASE_URL at use."""

    def __init__(self) -> None:
        super().__init__(tortoise_config(database_url()))


TORTOISE_ORM = _LazyConfig()
