"""The per-token GraphQL rate limit holds across app instances: the counters live in the shared
database, not in a process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio

from api.app import create_app
from api.settings import Settings
from domain.accounts.config import AccountPolicy, configure, policy
from tests.accounts import make_user
from tests.api.graphql import bearer

VIEWER = "{ viewer { username } }"
LIMIT, WINDOW = 5, 60


@pytest.fixture
def low_token_limit() -> Iterator[None]:
    previous = policy()
    configure(AccountPolicy(graphql_token_limit=LIMIT, graphql_token_window=WINDOW))
    yield
    configure(previous)


@pytest_asyncio.fixture
async def two_instances(db: None, low_token_limit: None) -> AsyncIterator[tuple[httpx.AsyncClient, ...]]:
    """Two app instances, as two worker processes would be, on the one test database."""
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(Settings.for_tests())), base_url="http://test"
        )
        for _ in range(2)
    ]
    yield tuple(clients)
    for client in clients:
        await client.aclose()


async def _start_of_a_window() -> None:
    """Counters are per fixed window: do not let the test straddle a boundary."""
    left = WINDOW - time.time() % WINDOW
    if left < 5:
        await asyncio.sleep(left + 0.05)


async def test_the_token_limit_is_shared_by_app_instances(
    two_instances: tuple[httpx.AsyncClient, ...],
) -> None:
    # GIVEN a token limited to five requests a minute, and two app instances
    first, second = two_instances
    headers = await bearer(await make_user("app.busy"))
    await _start_of_a_window()
    # WHEN requests alternate between the instances
    allowed = [
        await (first, second)[i % 2].post("/graphql", json={"query": VIEWER}, headers=headers)
        for i in range(5)
    ]
    refused = await second.post("/graphql", json={"query": VIEWER}, headers=headers)
    # THEN the first five are served and the sixth, overall, is refused with a time to retry
    assert [r.status_code for r in allowed] == [200] * 5
    assert all(r.json() == {"data": {"viewer": {"username": "app.busy"}}} for r in allowed)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= WINDOW
    body = refused.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"] == {"code": "RATE_LIMITED"}
    assert f"{refused.headers['retry-after']} 秒" in body["errors"][0]["message"]
    # ... on either instance
    assert (await first.post("/graphql", json={"query": VIEWER}, headers=headers)).status_code == 429


async def test_tokens_and_anonymous_callers_are_limited_separately(
    two_instances: tuple[httpx.AsyncClient, ...],
) -> None:
    # GIVEN one token that has used up its allowance
    first, second = two_instances
    spent = await bearer(await make_user("app.spent"))
    other = await bearer(await make_user("app.other"))
    await _start_of_a_window()
    for i in range(LIMIT + 1):
        await (first, second)[i % 2].post("/graphql", json={"query": VIEWER}, headers=spent)
    # WHEN another token of the same kind, and an anonymous caller, ask
    served = [await second.post("/graphql", json={"query": VIEWER}, headers=other) for _ in range(LIMIT)]
    anonymous = await first.post("/graphql", json={"query": VIEWER})
    # THEN they are served as usual
    assert [r.status_code for r in served] == [200] * LIMIT
    assert served[-1].json() == {"data": {"viewer": {"username": "app.other"}}}
    assert anonymous.json() == {"data": {"viewer": None}}
