"""While the database is unavailable every answer is still clean: GraphQL gets GraphQL JSON with
503, `Retry-After` and `extensions.code = SERVICE_UNAVAILABLE` (whether the authentication
middleware, the compiled read path or a resolver met the outage), pages get a Chinese 503 page,
the log says so in one line without a stack trace, and service resumes when the database is back.

A real `linzhi serve` talks to a PostgreSQL database of its own through a TCP proxy in this test
process; cutting the proxy is the outage (PostgreSQL itself keeps running for the other tests)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest_asyncio
from tortoise import Tortoise
from tortoise.context import TortoiseContext

from domain.accounts import service
from tests.accounts import actor_of, make_user
from tests.conftest import POSTGRES_URL, _config
from tests.security.transport_server import TcpProxy, serve

GRIDS = "{ gridCells(first: 1) { totalCount } }"
VIEWER = "{ viewer { username } }"
RESOLVERS = {"x-linzhi-read-path": "resolvers"}


def _base_url() -> str:
    return POSTGRES_URL.rsplit("/", 1)[0]


@pytest_asyncio.fixture
async def outage_database() -> AsyncIterator[tuple[str, str]]:
    """A database of its own with the schema, and a token of a user in it: (URL, token)."""
    name = f"linzhi_faults_{uuid.uuid4().hex[:12]}"
    url = f"{_base_url().replace('postgresql://', 'postgres://', 1)}/{name}"
    async with TortoiseContext() as ctx:
        await ctx.init(config=_config(url), _create_db=True)
        await ctx.generate_schemas(safe=False)
        user = await make_user("api.client")
        issued = await service.create_token(actor=await actor_of(user), name="监测", scopes=[])
    yield url, issued.secret
    async with TortoiseContext() as ctx:
        await ctx.init(config=_config(url))
        await Tortoise._drop_databases()


async def test_a_database_outage_gets_clean_503s_and_service_resumes(
    outage_database: tuple[str, str], tmp_path: Path
) -> None:
    url, token = outage_database
    target = urlsplit(url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.start()
    through_proxy = url.replace(f"{target.hostname}:{target.port}", f"127.0.0.1:{proxy.port}", 1)
    bearer = {"authorization": f"Bearer {token}"}
    async with (
        serve(through_proxy, tmp_path) as server,
        httpx.AsyncClient(base_url=server.url, timeout=20) as http,
    ):
        # GIVEN a server that answers normally
        ok = await http.post("/graphql", json={"query": VIEWER}, headers=bearer)
        assert ok.json() == {"data": {"viewer": {"username": "api.client"}}}

        # WHEN the database goes away (open connections dropped, new ones refused)
        await proxy.cut()

        # THEN a token request (the authentication middleware queries first) gets GraphQL JSON 503
        for query, headers in ((VIEWER, bearer), (GRIDS, {}), (GRIDS, RESOLVERS)):
            refused = await http.post("/graphql", json={"query": query}, headers=headers)
            assert refused.status_code == 503, (query, headers, refused.text)
            assert refused.headers["retry-after"] == "5"
            assert refused.headers["content-type"].startswith("application/json")
            codes = [error["extensions"]["code"] for error in refused.json()["errors"]]
            assert codes == ["SERVICE_UNAVAILABLE"], (query, headers)
        # graphql-response+json clients get their media type
        strict = await http.post(
            "/graphql", json={"query": GRIDS}, headers={"accept": "application/graphql-response+json"}
        )
        assert (strict.status_code, strict.headers["content-type"].split(";")[0]) == (
            503,
            "application/graphql-response+json",
        )

        # AND a page gets the Chinese 503 page
        page = await http.get("/grids")
        assert page.status_code == 503
        assert page.headers["retry-after"] == "5"
        assert "服务暂时不可用" in page.text
        assert (await http.get("/healthz")).status_code == 503

        # WHEN the database is back, THEN service resumes on the same server
        await proxy.start()
        back = await http.post("/graphql", json={"query": VIEWER}, headers=bearer)
        assert back.json() == {"data": {"viewer": {"username": "api.client"}}}
        assert (await http.get("/grids", follow_redirects=True)).status_code == 200
        assert (await http.post("/graphql", json={"query": GRIDS})).status_code == 200
    await proxy.cut()

    # AND the log names the outage, once per request, without a stack trace
    assert "database unavailable" in server.log
    assert "Traceback" not in server.log
