from __future__ import annotations

from tortoise import connections
from tortoise.exceptions import BaseORMException


async def database_ok() -> bool:
    """One trivial round trip to the database."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except (BaseORMException, OSError, KeyError):
        return False
    return True
