"""A request's time budget, and stopping the database work of a request that overruns it.

`within(deadline)` cancels the work at the deadline (like `asyncio.timeout_at`) and raises
`BudgetExceeded`. Cancelling a task stops only the Python side; the statement it was waiting for
must be stopped too, or it goes on holding the database:

- PostgreSQL: asyncpg sends a cancel request for the query of a cancelled task; statements of
  tasks that are not cancelled with it (DataLoader batches run in tasks of their own) stop at the
  session's `statement_timeout`, which the app sets to the request budget (`domain.db`).
- SQLite: the statement runs in aiosqlite's thread and would run to its end, holding the one
  connection every request shares. At the deadline the statement is interrupted
  (`sqlite3.Connection.interrupt`), but only when it belongs to the overrunning request: Tortoise
  serialises the connection with one lock, replaced here by a lock that remembers the budget of
  the request holding it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, Literal

from tortoise import connections
from tortoise.backends.sqlite.client import SqliteClient


class BudgetExceeded(TimeoutError):
    def __init__(self, seconds: float) -> None:
        self.message = f"查询超时：超过 {seconds:g} 秒的处理时限，请缩小查询范围或稍后重试"
        super().__init__(self.message)
        self.seconds = seconds


class Budget:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self.interrupted = False  # a SQLite statement of this request was interrupted
        self.handle: asyncio.TimerHandle | None = None


CURRENT: ContextVar[Budget | None] = ContextVar("linzhi_budget", default=None)


class OwnedLock(asyncio.Lock):
    """Tortoise's SQLite connection lock, also remembering whose request holds it (the budget
    in the context of the acquiring task: DataLoader batches inherit their request's context)."""

    owner: Budget | None = None

    async def acquire(self) -> Literal[True]:
        await super().acquire()
        self.owner = CURRENT.get()
        return True

    def release(self) -> None:
        self.owner = None
        super().release()


def sqlite_connection(client: SqliteClient) -> sqlite3.Connection | None:
    """The sqlite3 connection under Tortoise's SQLite client. The one place that reads private
    attributes: `SqliteClient._connection` is an `aiosqlite.Connection` (Tortoise 1.1.9), whose
    `_conn` is the `sqlite3.Connection` its thread runs statements on (aiosqlite 0.22).
    tests/security/test_time_and_size.py fails if either library changes this."""
    wrapper: Any = getattr(client, "_connection", None)
    if wrapper is None:
        return None
    connection = getattr(wrapper, "_connection", None)  # what aiosqlite's `_conn` property returns
    return connection if isinstance(connection, sqlite3.Connection) else None


def owned_lock(client: SqliteClient) -> OwnedLock | None:
    """The client's lock as an OwnedLock, swapped in while it is free (no holder, no waiter)."""
    lock: Any = getattr(client, "_lock", None)
    if isinstance(lock, OwnedLock):
        return lock
    if isinstance(lock, asyncio.Lock) and not lock.locked() and not getattr(lock, "_waiters", None):
        client._lock = replacement = OwnedLock()
        return replacement
    return None


def _sqlite_client() -> SqliteClient | None:
    try:
        client = connections.get("default")
    except Exception:  # no database configured: nothing to stop
        return None
    return client if isinstance(client, SqliteClient) else None


def _interrupt_own_statement(budget: Budget, client: SqliteClient | None, lock: OwnedLock | None) -> None:
    if client is None or lock is None or lock.owner is not budget:
        return
    connection = sqlite_connection(client)
    if connection is not None:
        connection.interrupt()
        budget.interrupted = True


def exempt() -> None:
    """Let the current request's work run to its end (a mutation, once it is known to be one)."""
    budget = CURRENT.get()
    if budget is not None and budget.handle is not None and not budget.expired:
        budget.handle.cancel()


def deadline_in(seconds: float) -> float:
    return asyncio.get_running_loop().time() + seconds


@asynccontextmanager
async def within(deadline: float, seconds: float) -> AsyncIterator[Budget]:
    """Run the body until `deadline` (event loop time); past it, cancel the body, stop its
    running statement, and raise BudgetExceeded (`seconds`: the budget, for the message)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    budget = Budget(seconds)
    client = _sqlite_client()
    lock = owned_lock(client) if client is not None else None

    def expire() -> None:
        budget.expired = True
        # Before the task unwinds: the lock still shows whose statement is running.
        _interrupt_own_statement(budget, client, lock)
        task.cancel()

    token = CURRENT.set(budget)
    cancelling = task.cancelling()
    handle = budget.handle = loop.call_at(deadline, expire)
    try:
        yield budget
    except BaseException as error:
        if not budget.expired:
            raise
        if task.uncancel() > cancelling and isinstance(error, asyncio.CancelledError):
            raise  # cancelled from outside as well
        raise BudgetExceeded(seconds) from None
    else:
        if budget.expired:
            task.uncancel()
    finally:
        handle.cancel()
        CURRENT.reset(token)
