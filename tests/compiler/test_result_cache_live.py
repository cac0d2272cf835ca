"""The result cache across processes: two servers on one database, the cache shared in Redis (or
each its own memory). A write through one is seen by the very next anonymous read through the
other: the versions live in the database, so no process can serve an answer older than a
committed write."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext

from domain.access import Role
from domain.db import tortoise_config
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id
from tests.conftest import POSTGRES_URL, _free_port, wait_until_healthy
from tests.factories_leaders import make_cohort

ROOT = Path(__file__).resolve().parents[2]
COHORTS = "{ cohorts { name } }"
RENAME = "mutation ($i: CohortUpdateInput!) { cohortUpdate(input: $i) { userErrors { code } } }"


@contextmanager
def _database(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite://{tmp_path}/live.sqlite3"
        return
    name = f"linzhi_cache_{uuid.uuid4().hex[:10]}"
    base = POSTGRES_URL.rsplit("/", 1)[0]
    subprocess.run(["psql", f"{base}/postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
    try:
        yield f"{base}/{name}"
    finally:
        drop = f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        subprocess.run(["psql", f"{base}/postgres", "-qc", drop], check=True)


@contextmanager
def _server(env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, seconds=60)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


async def _cohort_and_token(url: str) -> tuple[str, dict[str, str]]:
    EXECUTOR_CACHE.clear()  # INSERTs are cached per connection name, whatever the dialect (conftest)
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(url))
        cohort = await make_cohort("第一期", year=2025)
        headers = await bearer(await make_user("bureau.live", Role.BUREAU_STAFF), "write:activities")
    return global_id("Cohort", cohort.id), headers


def _read(url: str) -> httpx.Response:
    response = httpx.post(f"{url}/graphql", json={"query": COHORTS}, timeout=30)
    assert response.status_code == 200, response.text
    return response


# Each database once, with each store once: SQLite with each process's own memory, PostgreSQL with
# the cache shared in Redis (SQLite alone when no PostgreSQL is configured: then with both stores).
CASES = (
    [("sqlite", "memory"), ("postgres", "redis")]
    if POSTGRES_URL
    else [("sqlite", "memory"), ("sqlite", "redis")]
)


@pytest.mark.parametrize(("database", "store"), CASES)
def test_a_write_through_one_server_is_read_at_once_through_the_other(
    database: str, store: str, tmp_path: Path
) -> None:
    with ExitStack() as stack:
        # GIVEN a migrated database with a cohort, and two servers on it sharing the cache
        url = stack.enter_context(_database(database, tmp_path))
        env = {**os.environ, "LINZHI_DATABASE_URL": url, "LINZHI_CACHE": store}
        env |= {
            "LINZHI_CACHE_URL": "redis://127.0.0.1:6379/0",
            "LINZHI_CACHE_PREFIX": f"t{uuid.uuid4().hex}:",
        }
        subprocess.run([sys.executable, "-m", "api.cli", "migrate"], env=env, cwd=ROOT, check=True)
        cohort_id, headers = asyncio.run(_cohort_and_token(url))
        writer, reader = stack.enter_context(_server(env)), stack.enter_context(_server(env))
        # WHEN the reader has the cohorts cached
        assert _read(reader).headers["x-linzhi-cache"] == "miss"
        cached = _read(reader)
        assert (cached.headers["x-linzhi-cache"], cached.json()) == (
            "hit",
            {"data": {"cohorts": [{"name": "第一期"}]}},
        )
        etag = httpx.get(f"{reader}/graphql", params={"query": COHORTS}).headers["etag"]
        # AND the writer renames the cohort
        variables = {"i": {"id": cohort_id, "name": "第一期（更名）"}}
        body = httpx.post(
            f"{writer}/graphql", json={"query": RENAME, "variables": variables}, headers=headers
        )
        assert body.json()["data"]["cohortUpdate"]["userErrors"] == []
        # THEN the very next read through the reader has the new name
        assert _read(reader).json() == {"data": {"cohorts": [{"name": "第一期（更名）"}]}}
        # AND its old entity tag is no longer current
        revalidated = httpx.get(
            f"{reader}/graphql", params={"query": COHORTS}, headers={"if-none-match": etag}
        )
        assert revalidated.status_code == 200
        assert revalidated.json() == {"data": {"cohorts": [{"name": "第一期（更名）"}]}}
