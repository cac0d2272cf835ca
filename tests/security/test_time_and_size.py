"""A request's time budget stops its database work too, a response over the size cap is refused,
and one client's costly (but accepted) queries do not stall another's."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from tortoise import connections
from tortoise.backends.sqlite.client import SqliteClient
from tortoise.context import TortoiseContext

from api.app import create_app
from api.settings import ConfigurationError, Settings
from domain import sql
from domain.db import is_postgres, tortoise_config
from domain.timeouts import (
    Budget,
    BudgetExceeded,
    OwnedLock,
    deadline_in,
    owned_lock,
    sqlite_connection,
    within,
)
from tests.conftest import LiveServer
from tests.factories_leaders import make_cohort

SLOW_SQLITE = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) "
    + "SELECT count(*) AS n FROM c"
)
RESOLVERS = {"x-linzhi-read-path": "resolvers"}
GRAPHQL_RESPONSE = {"accept": "application/graphql-response+json"}


def slow_statement(postgres: bool, seconds: float) -> str:
    """A statement that runs about `seconds` (SQLite: counting; PostgreSQL: sleeping)."""
    if postgres:
        return f"SELECT pg_sleep({seconds}) IS NULL AS n"
    return SLOW_SQLITE.format(n=int(seconds * 2_000_000))


async def _running_elsewhere(marker: str) -> int:
    rows = await sql.fetch_all(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
        "AND query LIKE ?",
        [f"%{marker}%"],
    )
    return int(rows[0]["n"])


async def _eventually_zero(count: Callable[[], Any], seconds: float = 2.0) -> int:
    """PostgreSQL handles a cancel request asynchronously: wait a little for it."""
    deadline = time.monotonic() + seconds
    while True:
        n = int(await count())
        if n == 0 or time.monotonic() > deadline:
            return n
        await asyncio.sleep(0.05)


# --- the budget stops database work -------------------------------------------------------------


async def test_the_sqlite_wrapper_still_reaches_the_libraries_connection(db: None, database_url: str) -> None:
    # GIVEN the app's database client (Tortoise 1.1.9 over aiosqlite 0.22, or asyncpg)
    client = connections.get("default")
    if is_postgres(database_url):
        # PostgreSQL needs no wrapper: asyncpg cancels the query of a cancelled task, and the
        # server stops any statement at the session's statement_timeout (next test)
        assert not isinstance(client, SqliteClient)
        return
    # WHEN the time budget looks for the sqlite3 connection and the connection lock
    # THEN it finds them where it expects them (this fails if either library changes)
    assert isinstance(client, SqliteClient)
    assert isinstance(sqlite_connection(client), sqlite3.Connection)
    lock = owned_lock(client)
    assert isinstance(lock, OwnedLock)
    assert client._lock is lock


async def test_postgresql_sessions_stop_statements_at_the_request_budget(database_url: str) -> None:
    # GIVEN the configuration the app builds with a 0.2 s request budget
    config = tortoise_config(database_url, statement_timeout=0.2)
    if not is_postgres(database_url):
        assert config["connections"]["default"] == database_url  # SQLite: the interrupt instead
        return
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        shown = await connections.get("default").execute_query_dict("SHOW statement_timeout")
        # WHEN a statement runs longer than that
        started = time.monotonic()
        with pytest.raises(Exception, match="statement timeout"):
            await connections.get("default").execute_query_dict("SELECT pg_sleep(3)")
        # THEN the server cancels it at the budget
        assert time.monotonic() - started < 1.5
    assert shown == [{"statement_timeout": "200ms"}]


async def test_an_expired_budget_stops_its_running_statement(db: None, database_url: str) -> None:
    # GIVEN a statement that would run for many seconds, within a 0.3 s budget
    postgres = is_postgres(database_url)
    budgets: list[Budget] = []
    started = time.monotonic()
    # WHEN the budget expires

    async def slow_request() -> None:
        async with within(deadline_in(0.3), 0.3) as budget:
            budgets.append(budget)
            await sql.fetch_all(slow_statement(postgres, 30))

    with pytest.raises(BudgetExceeded) as exceeded:
        await slow_request()
    # THEN the work is refused at the deadline with a clear message ...
    assert time.monotonic() - started < 1.5
    assert "查询超时" in exceeded.value.message
    # ... and the database is free at once: the statement itself was stopped
    started = time.monotonic()
    assert await sql.fetch_all("SELECT 1 AS one") == [{"one": 1}]
    assert time.monotonic() - started < 0.5
    if postgres:
        assert await _eventually_zero(lambda: _running_elsewhere("pg_sleep(30")) == 0
    else:
        assert budgets[0].interrupted


async def test_only_the_overrunning_requests_statement_is_stopped(db: None, database_url: str) -> None:
    # GIVEN one request running a statement of about a second within a generous budget, and
    # another, with a short budget, whose statement comes after it
    postgres = is_postgres(database_url)

    async def patient() -> list[dict[str, Any]]:
        async with within(deadline_in(20), 20):
            return await sql.fetch_all(slow_statement(postgres, 1.0))

    async def hasty() -> None:
        await asyncio.sleep(0.1)  # the patient statement is running by now
        async with within(deadline_in(0.3), 0.3):
            await sql.fetch_all(slow_statement(postgres, 10))

    # WHEN the short budget expires while the first statement is still running
    patient_result, hasty_result = await asyncio.gather(patient(), hasty(), return_exceptions=True)
    # THEN only the overrunning request fails; the other one's statement completes
    assert isinstance(hasty_result, BudgetExceeded)
    assert isinstance(patient_result, list)
    assert len(patient_result) == 1


# --- the GraphQL request ------------------------------------------------------------------------


def _app(**changes: Any) -> httpx.AsyncClient:
    application = create_app(Settings.for_tests().with_(**changes))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://test")


class HeldDatabase:
    """Makes every statement on `cohort` wait: SQLite's one connection held by the test, or on
    PostgreSQL the table locked by another session."""

    def __init__(self, database_url: str) -> None:
        self.postgres = is_postgres(database_url)
        self.url = database_url
        self.release: Callable[[], Any] | None = None

    async def __aenter__(self) -> HeldDatabase:
        if self.postgres:
            import asyncpg

            connection = await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1))
            await connection.execute("BEGIN; LOCK TABLE cohort IN ACCESS EXCLUSIVE MODE")

            async def release() -> None:
                await connection.execute("ROLLBACK")
                await connection.close()

            self.release = release
        else:
            holder = connections.get("default").acquire_connection()
            await holder.__aenter__()

            async def release() -> None:
                await holder.__aexit__(None, None, None)

            self.release = release
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.release is not None
        await self.release()


async def _waiting_on_locks() -> int:
    rows = await sql.fetch_all(
        "SELECT count(*) AS n FROM pg_stat_activity "
        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    return int(rows[0]["n"])


@pytest.mark.parametrize("path", [{}, RESOLVERS], ids=["compiled", "resolvers"])
async def test_a_query_over_its_budget_gets_a_timeout_and_the_server_goes_on(
    db: None, database_url: str, path: dict[str, str]
) -> None:
    # GIVEN the app with a 0.3 s budget, a cohort, and a database that makes its reads wait
    await make_cohort()
    async with _app(request_timeout=0.3) as client:
        for accept, status in ((GRAPHQL_RESPONSE, 503), ({}, 200)):
            async with HeldDatabase(database_url):
                started = time.monotonic()
                # WHEN a query needs the database for longer than its budget
                response = await client.post(
                    "/graphql", json={"query": "{ cohorts { name } }"}, headers={**path, **accept}
                )
                elapsed = time.monotonic() - started
                # THEN it gets a clean GraphQL error with the code TIMEOUT, at the deadline
                assert elapsed < 1.5
                body = response.json()
                assert response.status_code == status
                assert body["errors"][0]["extensions"]["code"] == "TIMEOUT"
                assert "查询超时" in body["errors"][0]["message"]
                assert ("data" in body) is (status == 200)
                if is_postgres(database_url):
                    # ... and its statement no longer waits in the database
                    assert await _eventually_zero(_waiting_on_locks) == 0
            # AND the next request is served as usual
            served = await client.post("/graphql", json={"query": "{ cohorts { name } }"}, headers=path)
            assert served.status_code == 200
            assert len(served.json()["data"]["cohorts"]) == 1


# --- the response size cap ----------------------------------------------------------------------

KINDS_TWICE = "{ a: gridKinds { kind label } b: gridKinds { kind label } c: gridKinds { kind label } }"


@pytest.mark.parametrize("path", [{}, RESOLVERS], ids=["compiled", "resolvers"])
async def test_a_response_over_the_size_cap_is_refused(db: None, path: dict[str, str]) -> None:
    # GIVEN a response of about 700 bytes
    async with _app() as roomy:
        full = await roomy.post("/graphql", json={"query": KINDS_TWICE}, headers=path)
    size = len(full.content)
    assert 500 < size < 1000
    # WHEN the cap is below it
    async with _app(max_response_bytes=size - 1) as tight:
        for accept, status in ((GRAPHQL_RESPONSE, 400), ({}, 200)):
            response = await tight.post("/graphql", json={"query": KINDS_TWICE}, headers={**path, **accept})
            # THEN the answer is an error with its own code instead of the data
            body = response.json()
            assert response.status_code == status
            assert body["errors"][0]["extensions"]["code"] == "RESPONSE_TOO_LARGE"
            assert "响应过大" in body["errors"][0]["message"]
            assert body.get("data") is None
            assert len(response.content) < size
    # AND at the exact size it passes
    async with _app(max_response_bytes=size) as exact:
        assert (await exact.post("/graphql", json={"query": KINDS_TWICE}, headers=path)).json() == full.json()


def test_the_budget_and_cap_are_configurable() -> None:
    assert Settings.from_env({}).request_timeout == 10
    assert Settings.from_env({}).max_response_bytes == 5 * 1024 * 1024
    configured = Settings.from_env({"LINZHI_REQUEST_TIMEOUT": "2.5", "LINZHI_MAX_RESPONSE_BYTES": "1000"})
    assert (configured.request_timeout, configured.max_response_bytes) == (2.5, 1000)
    for name, value in (("LINZHI_REQUEST_TIMEOUT", "0"), ("LINZHI_MAX_RESPONSE_BYTES", "lots")):
        with pytest.raises(ConfigurationError):
            Settings.from_env({name: value})


# --- one costly client does not stall the others ------------------------------------------------

# Close to the budget (about 48,000 of 50,000) on the seeded data, through the slower resolvers.
WORST_ACCEPTED = """{ gridCells(first: 100) { nodes { code name
  leaders { name status cohort { name } homeCell { name } }
  children(first: 100) { nodes { code name } } } } }"""


async def test_a_costly_client_does_not_stall_another(live_server: LiveServer) -> None:
    # GIVEN a served, seeded app (one worker), and a client sending the worst accepted document
    # over and over
    stop = asyncio.Event()
    heavy_answers: list[tuple[float, float, int]] = []

    async def heavy() -> None:
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
            while not stop.is_set():
                started = time.monotonic()
                response = await client.post("/graphql", json={"query": WORST_ACCEPTED}, headers=RESOLVERS)
                assert "errors" not in response.json(), response.text[:300]
                heavy_answers.append((started, time.monotonic(), response.status_code))

    worker = asyncio.create_task(heavy())
    await asyncio.sleep(0.5)
    # WHEN another client asks small questions meanwhile
    times: list[float] = []
    window: list[float] = []
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        window.append(time.monotonic())
        for _ in range(20):
            started = time.monotonic()
            response = await client.post("/graphql", json={"query": "{ __typename }"})
            times.append(time.monotonic() - started)
            assert response.json() == {"data": {"__typename": "Query"}}
            await asyncio.sleep(0.05)
        window.append(time.monotonic())
    stop.set()
    await worker
    # THEN every small answer came within a second, while the costly ones really overlapped
    assert max(times) < 1.0, times
    overlapping = [a for a in heavy_answers if a[0] < window[1] and a[1] > window[0]]
    assert len(overlapping) >= 2
    assert all(status == 200 for _, _, status in heavy_answers)
