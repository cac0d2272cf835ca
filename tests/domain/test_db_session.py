"""Pooled PostgreSQL connections are handed on without asyncpg's reset statement
(`domain.db.quiet_release_connection`): safe only because nothing Linzhi does leaves session state
on a connection. These tests drive the app's reads and writes through the pool and then look at
every pooled connection for each kind of leftover the reset would have undone (advisory locks,
LISTEN, open cursors, SET settings, an open transaction, temporary tables), and check the sources
for the statements that could leave one."""

from __future__ import annotations

import ast
import re
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
from tortoise import connections

from domain.db import is_postgres, tortoise_config
from tests.api.graphql import bearer, global_id, gql
from tests.factories_activities import build_cast, hours_ago

ROOT = Path(__file__).resolve().parents[2]

CREATE = """mutation ($input: ActivityCreateInput!) {
  activityCreate(input: $input) { activity { id status } userErrors { code } } }"""
SUBMIT = (
    "mutation ($id: ID!) { activitySubmit(input: {id: $id}) { activity { status } userErrors { code } } }"
)
VERIFY = (
    "mutation ($id: ID!) { activityVerify(input: {id: $id}) { activity { status } userErrors { code } } }"
)
FEED = """query ($subtree: ID!) {
  activities(filter: {subtree: $subtree}, first: 5) { nodes { title } pageInfo { endCursor } } }"""
COUNTED_FEED = "{ activities(first: 5) { totalCount nodes { title status } } }"

# What asyncpg's reset query undoes, asked of the connection itself.
LEFTOVERS = {
    "advisory locks": "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()",
    "LISTEN channels": "SELECT count(*) FROM pg_listening_channels()",
    "open cursors": "SELECT count(*) FROM pg_cursors WHERE name <> ''",  # '': this query's own portal
    "SET in the session": "SELECT count(*) FROM pg_settings WHERE source = 'session'",
    "temporary tables": "SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()",
}


async def leftovers(conn: Any) -> dict[str, int]:
    found = {name: int(await conn.fetchval(sql)) for name, sql in LEFTOVERS.items()}
    found["open transaction"] = int(conn.is_in_transaction())
    return {name: n for name, n in found.items() if n}


async def every_pooled_connection(stack: AsyncExitStack) -> list[Any]:
    client = connections.get("default")
    return [await stack.enter_async_context(client.acquire_connection()) for _ in range(client.pool_maxsize)]


def _mediation(cell_id: int) -> dict[str, object]:
    return {
        "cellId": global_id("GridCell", cell_id),
        "activityType": "MEDIATION",
        "title": "调解楼上漏水纠纷",
        "startedAt": hours_ago(3).isoformat(),
        "endedAt": hours_ago(2).isoformat(),
        "participants": 3,
        "mediationOutcome": "RESOLVED",
    }


async def _reads_and_writes(client: httpx.AsyncClient) -> None:
    """A leader logs and submits a record, staff verify it (audit chain: advisory transaction
    lock; the monthly rollup's upsert), a refused write rolls back, and the public reads it on
    both read paths and on a page."""
    cast = await build_cast()
    leader = await bearer(cast.users["leader.li"], "write:activities")
    staff = await bearer(cast.users["staff.zhou"], "write:activities")
    created = await gql(client, CREATE, headers=leader, input=_mediation(cast.tree.micro_grids[0].id))
    record = created["data"]["activityCreate"]["activity"]["id"]
    assert (await gql(client, SUBMIT, headers=leader, id=record))["data"]["activitySubmit"][
        "userErrors"
    ] == []
    assert (await gql(client, VERIFY, headers=staff, id=record))["data"]["activityVerify"]["userErrors"] == []
    refused = await gql(client, VERIFY, headers=staff, id=record)  # already verified
    assert refused["data"]["activityVerify"]["userErrors"] != []
    town = global_id("GridCell", cast.tree.town.id)
    assert "errors" not in await gql(client, FEED, subtree=town)
    assert "errors" not in await gql(client, COUNTED_FEED, headers=leader)
    assert (await client.get(f"/grids/{cast.tree.town.code}")).status_code == 200


async def test_pooled_connections_carry_no_session_state_between_requests(
    client: httpx.AsyncClient, database_url: str
) -> None:
    if not is_postgres(database_url):
        # SQLite has one connection and no pool: nothing is released, nothing is reset
        assert tortoise_config(database_url)["connections"]["default"] == database_url
        return
    # GIVEN the app's own reads and writes, served through the pool
    await _reads_and_writes(client)
    async with AsyncExitStack() as stack:
        # WHEN every connection of the pool is taken
        pooled = await every_pooled_connection(stack)
        # THEN releasing them sends no reset statement, and none holds anything to reset
        assert {conn.get_reset_query() for conn in pooled} == {""}
        assert [await leftovers(conn) for conn in pooled] == [{} for _ in pooled]


async def test_the_session_state_probe_sees_each_kind_of_leftover(
    client: httpx.AsyncClient, database_url: str
) -> None:
    """The probe above can fail: a connection that LISTENs, holds a session advisory lock, keeps
    a SET and an open cursor in a transaction is reported for each."""
    if not is_postgres(database_url):
        assert tortoise_config(database_url)["connections"]["default"] == database_url
        return
    async with connections.get("default").acquire_connection() as conn:
        await conn.execute("SET work_mem = '8MB'")
        await conn.execute("SELECT pg_advisory_lock(7)")
        await conn.execute("LISTEN linzhi_probe")
        await conn.execute("CREATE TEMPORARY TABLE linzhi_probe (id int)")
        await conn.execute("BEGIN")
        await conn.execute("DECLARE linzhi_probe CURSOR FOR SELECT 1")
        found = await leftovers(conn)
        # what asyncpg's pool would have sent (and DISCARD the temporary table)
        await conn.execute("ROLLBACK")
        await conn.execute("SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL; DISCARD TEMP")
        assert await leftovers(conn) == {}
    assert set(found) == {*LEFTOVERS, "open transaction"}


# Statements that would leave session state behind: a SET outside a transaction (SET LOCAL ends
# with it), session-level advisory locks, LISTEN, cursors held past a transaction, temporary
# tables, named prepared statements, set_config(..., false).
SESSION_STATEMENTS = re.compile(
    r"(^|;)\s*(SET|RESET)\s+(?!LOCAL\b)|\bLISTEN\s|pg_(try_)?advisory_lock|\bWITH\s+HOLD\b"
    r"|\bDECLARE\s+\w+\s+[A-Z ]*CURSOR\b"  # a cursor (a PL/pgSQL variable is declared too)
    r"|\bCREATE\s+(GLOBAL\s+|LOCAL\s+)?TEMP(ORARY)?\s|\bPREPARE\s+\w+"
    r"|set_config\s*\((?![^;]*,\s*true\s*\))",  # set_config(..., true) ends with its transaction
)  # case-sensitive: the sources write SQL keywords in capitals (prose says "set" and "declare")


def session_statements(source: str) -> list[str]:
    """The string literals of `source` that contain a statement leaving session state (an
    f-string read whole, each interpolation standing for a name)."""
    tree = ast.parse(source)
    parts = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    texts = [
        "".join(p.value if isinstance(p, ast.Constant) else "x" for p in node.values)
        if isinstance(node, ast.JoinedStr)
        else node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        or (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts)
    ]
    return [text for text in texts if SESSION_STATEMENTS.search(text)]


def test_no_source_sends_a_statement_that_leaves_session_state() -> None:
    # GIVEN every module the app runs
    found = {
        str(path.relative_to(ROOT)): hits
        for folder in ("domain", "api", "web")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if (hits := session_statements(path.read_text(encoding="utf-8")))
    }
    # THEN none of their SQL leaves anything on a pooled connection (only the docstring of the
    # connection class itself names what the reset query would undo)
    assert set(found) <= {"domain/db.py"}, found
    assert all("RESET ALL" in hit for hit in found.get("domain/db.py", [])), found


def test_the_source_check_recognises_session_statements() -> None:
    leaving = [
        'execute("SET work_mem = 1")',
        'q = "SELECT 1; SET search_path TO x"',
        'q = "LISTEN events"',
        'q = "SELECT pg_advisory_lock($1)"',
        'q = "DECLARE c CURSOR WITH HOLD FOR SELECT 1"',
        'q = "CREATE TEMP TABLE t (id int)"',
        "q = \"SELECT set_config('x', '1', false)\"",
        'q = f"SELECT 1; SET {name} = 1"',
    ]
    harmless = [
        'q = "SET LOCAL statement_timeout = 1"',
        'q = "INSERT INTO t VALUES (1) ON CONFLICT (k) DO UPDATE SET n = t.n + 1"',
        'q = "SELECT pg_advisory_xact_lock($1)"',
        'q = "UPDATE activity SET status = $1"',
        'q = f"UPDATE {table} SET version = version + 1"',
        "q = \"DECLARE touched text := ''; BEGIN RETURN NULL; END\"",  # a PL/pgSQL variable
        "q = \"PERFORM set_config('linzhi.touched', '', true);\"",
    ]
    assert [bool(session_statements(s)) for s in leaving] == [True] * len(leaving)
    assert [bool(session_statements(s)) for s in harmless] == [False] * len(harmless)
