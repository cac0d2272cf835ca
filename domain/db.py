"""Tortoise configuration: which modules hold models, and how a URL becomes a config."""

from __future__ import annotations

import functools
import os
from typing import Any

from tortoise.backends.base.config_generator import expand_db_url

MODEL_MODULES: list[str] = [
    "domain.people.models",
    "domain.grids.models",
    "domain.accounts.models",
    "domain.audit.models",
    "domain.leaders.models",
    "domain.activities.models",
    "domain.organisations.models",
    "domain.socialwork.models",
    "domain.calendar.models",
    "domain.funding.models",
    "domain.review.models",
]

DEFAULT_DATABASE_URL = "sqlite://data/linzhi.sqlite3"

# Session settings of every PostgreSQL connection. Generic plans: asyncpg prepares each statement,
# and with the default plan_cache_mode=auto PostgreSQL kept re-planning the compiled read path's
# large statements on every call (planning the q3 feed costs ≈3.5 ms, running it ≈1.6 ms). Every
# hot statement is an equality on indexed ids with a keyset bound, whose best plan does not depend
# on the values (docs/performance.md).
# No JIT: it pays off for long analytic scans, not for these statements. A nested connection's
# per-row branches (gated on the parent's depth, at most one of them runs) are costed as if all
# ran, so a list of cells with their feeds crossed jit_above_cost: ≈120 ms of compiling for
# ≈1.5 ms of work on the bench data. The benchmark operations are below the threshold (unchanged).
POSTGRES_SESSION = {"plan_cache_mode": "force_generic_plan", "jit": "off"}


@functools.cache
def quiet_release_connection() -> type:
    """asyncpg's Connection without the statement its pool sends when a connection is released.

    Every `Pool.release` runs `Connection.reset()`: a ROLLBACK if a transaction is still open (kept:
    that is `_reset`, not the query) and then `get_reset_query()` — `SELECT
    pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` — one more round trip and four
    statements for the server per pooled statement, i.e. per ORM query outside a transaction
    (docs/performance.md, "Hot path"). Linzhi leaves no session state to undo: it never LISTENs,
    takes only transaction-scoped advisory locks (`pg_advisory_xact_lock`), declares no cursor
    outside a transaction and never SETs outside one (the session settings are start-up
    parameters, `POSTGRES_SESSION`). `tests/domain/test_db_session.py` drives the app's reads and
    writes through the pool and checks every pooled connection for each kind of leftover, and
    checks the sources for the statements that would leave one."""
    import asyncpg  # type: ignore[import-untyped]

    class QuietReleaseConnection(asyncpg.Connection):  # type: ignore[misc]
        def get_reset_query(self) -> str:
            return ""

    return QuietReleaseConnection


def database_url() -> str:
    return os.environ.get("LINZHI_DATABASE_URL", DEFAULT_DATABASE_URL)


def tortoise_config(url: str, *, statement_timeout: float | None = None) -> dict[str, Any]:
    """The Tortoise config dict for `url`; migrations live in the top-level `migrations` package.
    `statement_timeout` (seconds, PostgreSQL): the server cancels any longer statement — the app
    sets it to the request budget, so a statement nobody waits for any more stops by then too."""
    return {
        "connections": {"default": connection_config(url, statement_timeout=statement_timeout)},
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


def connection_config(url: str, *, statement_timeout: float | None = None) -> str | dict[str, Any]:
    """The URL for SQLite; for PostgreSQL its expanded config with `POSTGRES_SESSION`."""
    if not is_postgres(url):
        return _normalise(url)
    return with_postgres_session(expand_db_url(_normalise(url)), statement_timeout=statement_timeout)


def with_postgres_session(
    config: dict[str, Any], *, statement_timeout: float | None = None
) -> dict[str, Any]:
    credentials = config["credentials"]
    session = dict(POSTGRES_SESSION)
    if statement_timeout is not None:
        session["statement_timeout"] = str(max(1, round(statement_timeout * 1000)))  # milliseconds
    credentials["server_settings"] = {**(credentials.get("server_settings") or {}), **session}
    credentials["connection_class"] = quiet_release_connection()
    return config


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


class _LazyConfig(dict[str, Any]):
    """`tortoise` CLI entry point (pyproject [tool.tortoise]); reads LINZHI_DATABASE_URL at use."""

    def __init__(self) -> None:
        super().__init__(tortoise_config(database_url()))


TORTOISE_ORM = _LazyConfig()


# --- the database is unavailable -----------------------------------------------------------------

# What a client is told to wait before retrying while the database cannot be reached.
RETRY_AFTER_SECONDS = 5
# SQLite's own words when the file cannot be used (locked beyond the busy timeout, gone, unreadable).
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database file", "disk i/o error")
# asyncpg's InterfaceError also reports misuse (a bug); only these messages mean a lost connection.
_ASYNCPG_CLOSED = ("connection is closed", "pool is closing", "pool is closed")


def _is_unavailable(error: BaseException) -> bool:
    import sqlite3

    import asyncpg
    from tortoise.exceptions import DBConnectionError

    if isinstance(error, ConnectionError | DBConnectionError):  # refused, reset, broken pipe
        return True
    if isinstance(
        error,
        asyncpg.PostgresConnectionError
        | asyncpg.exceptions.OperatorInterventionError
        | asyncpg.exceptions.TooManyConnectionsError,
    ):
        return True
    message = str(error).lower()
    if isinstance(error, asyncpg.InterfaceError):
        return any(words in message for words in _ASYNCPG_CLOSED)
    return isinstance(error, sqlite3.OperationalError) and message.startswith(_SQLITE_UNAVAILABLE)


def unavailable_reason(error: BaseException) -> str | None:
    """A one-line reason when `error`, or an exception it was raised from, says the database
    cannot be reached or used right now (not a bug of ours); None for any other error."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_unavailable(current):
            return f"{type(current).__name__}: {current}"
        current = current.__cause__ or current.__context__
    return None
