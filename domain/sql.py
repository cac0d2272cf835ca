"""A thin helper for the few reads the ORM cannot express (window functions, GROUP BY on an
expression). Queries are written with `?` placeholders and adapted to the connection's dialect."""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tortoise import connections

_PLACEHOLDER = re.compile(r"\?")
# The SQLite connections `register_functions` has registered its functions on (a connection
# closed and reopened by Tortoise is a new object, so it gets them again).
_WITH_FUNCTIONS: weakref.WeakSet[Any] = weakref.WeakSet()


def dialect() -> str:
    return str(connections.get("default").capabilities.dialect)


async def fetch_all(sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        counter = iter(range(1, len(params) + 1))
        sql = _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)
    # execute_query_dict fetches rows for every statement, so INSERT ... RETURNING works too.
    rows: list[dict[str, Any]] = await conn.execute_query_dict(sql, list(params))
    return rows


def placeholders(n: int) -> str:
    return ", ".join("?" * n)


async def fetch_all_native(sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """`fetch_all` for a statement already written in the connection's placeholder style (`?` on
    SQLite, `$n` on PostgreSQL): the compiled read path numbers its cached statements once."""
    rows: list[dict[str, Any]] = await connections.get("default").execute_query_dict(sql, list(params))
    return rows


async def register_functions(functions: Mapping[str, Callable[[str], str]]) -> None:
    """SQLite: make one-argument Python functions callable from SQL on the current connection
    (once per connection; deterministic). PostgreSQL has its own: nothing to do."""
    conn = connections.get("default")
    if conn.capabilities.dialect != "sqlite":
        return
    async with conn.acquire_connection() as raw:
        if raw in _WITH_FUNCTIONS:
            return
        for name, fn in functions.items():
            await raw.create_function(name, 1, fn, deterministic=True)
        _WITH_FUNCTIONS.add(raw)
