"""A thin helper for the few reads the ORM cannot express (window functions, GROUP BY on an
expression). Queries are written with `?` placeholders and adapted to the connection's dialect."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tortoise import connections

_PLACEHOLDER = re.compile(r"\?")


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
