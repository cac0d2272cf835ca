"""GraphQL rate limits for anonymous callers (per client IP) and cookie sessions (per account),
beside the per-token one: shared by every app instance, in the database or in Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from api.app import create_app
from api.settings import ConfigurationError, Settings
from domain import ratelimit
from domain.access import ANONYMOUS, Role
from domain.accounts import service
from domain.errors import RateLimited
from tests.accounts import PASSWORD, make_user

REDIS_URL = "redis://127.0.0.1:6379/0"
LIMIT, WINDOW = 3, 60
QUERY = {"query": "{ __typename }"}


async def _start_of_a_window() -> None:
    """Counters are per fixed window: do not let a test straddle a boundary."""
    left = WINDOW - time.time() % WINDOW
    if left < 5:
        await asyncio.sleep(left + 0.05)


def _client(settings: Settings, ip: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(settings), client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def _limited(**changes: Any) -> Settings:
    rule = f"{LIMIT}/{WINDOW}"
    return Settings.for_tests().with_(rate_limit_anonymous=rule, rate_limit_session=rule, **changes)


def _assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= WINDOW
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"] == {"code": "RATE_LIMITED"}
    assert f"{response.headers['retry-after']} 秒" in body["errors"][0]["message"]


@pytest_asyncio.fixture
async def redis_settings() -> AsyncIterator[Settings]:
    """Limits counted in Redis under a prefix of this test's own (parallel workers share Redis)."""
    prefix = f"linzhi-test:{uuid.uuid4().hex}:"
    yield _limited(redis_url=REDIS_URL, redis_prefix=prefix)
    counters = ratelimit.RedisCounters(REDIS_URL, prefix)
    keys = [key async for key in counters.client.scan_iter(f"{prefix}*")]
    if keys:
        await counters.client.delete(*keys)
    await counters.close()


async def _session_cookie(username: str) -> dict[str, str]:
    signed = await service.sign_in(actor=ANONYMOUS, identifier=username, password=PASSWORD)
    return {"cookie": f"linzhi_session={signed.session_secret}", "origin": "http://test"}


@pytest.mark.parametrize("backend", ["database", "redis"])
async def test_anonymous_callers_are_limited_per_ip_across_app_instances(
    db: None, backend: str, redis_settings: Settings
) -> None:
    # GIVEN two app instances (two workers) sharing the counters, anonymous limit 3 a minute
    settings = redis_settings if backend == "redis" else _limited()
    first, second, elsewhere = _client(settings), _client(settings), _client(settings, ip="10.1.2.3")
    await _start_of_a_window()
    # WHEN one IP sends requests to both instances
    allowed = [await (first, second)[i % 2].post("/graphql", json=QUERY) for i in range(LIMIT)]
    refused = await second.post("/graphql", json=QUERY)
    # THEN the first three overall are served and the fourth is refused, with a time to retry
    assert [r.status_code for r in allowed] == [200] * LIMIT
    _assert_refused(refused)
    _assert_refused(await first.post("/graphql", json=QUERY))
    # AND another IP still has its own allowance
    assert (await elsewhere.post("/graphql", json=QUERY)).status_code == 200
    for client in (first, second, elsewhere):
        await client.aclose()


@pytest.mark.parametrize("backend", ["database", "redis"])
async def test_cookie_sessions_are_limited_per_account(
    db: None, backend: str, redis_settings: Settings
) -> None:
    # GIVEN one account signed in twice (two browsers), and another account
    await make_user("staff.busy", Role.BUREAU_STAFF)
    await make_user("staff.calm", Role.BUREAU_STAFF)
    settings = redis_settings if backend == "redis" else _limited()
    laptop, phone = await _session_cookie("staff.busy"), await _session_cookie("staff.busy")
    calm = await _session_cookie("staff.calm")
    first, second = _client(settings), _client(settings, ip="10.9.9.9")
    viewer = {"query": "{ viewer { username } }"}
    await _start_of_a_window()
    # WHEN the account's two sessions share three requests, from two IPs and two instances
    allowed = [
        await first.post("/graphql", json=viewer, headers=laptop),
        await second.post("/graphql", json=viewer, headers=phone),
        await first.post("/graphql", json=viewer, headers=phone),
    ]
    refused = await second.post("/graphql", json=viewer, headers=laptop)
    # THEN the fourth request of the account is refused, whichever session sends it
    assert [r.json() for r in allowed] == [{"data": {"viewer": {"username": "staff.busy"}}}] * 3
    _assert_refused(refused)
    # AND another account, and an anonymous caller, are not affected
    assert (await first.post("/graphql", json=viewer, headers=calm)).status_code == 200
    assert (await first.post("/graphql", json=QUERY)).status_code == 200
    for client in (first, second):
        await client.aclose()


async def test_the_limits_can_be_switched_off(db: None) -> None:
    # GIVEN limits switched off (as the benchmark runs)
    settings = Settings.for_tests().with_(rate_limit_anonymous="off", rate_limit_session="off")
    async with _client(settings) as client:
        # WHEN an anonymous caller sends many requests
        statuses = {(await client.post("/graphql", json=QUERY)).status_code for _ in range(3 * LIMIT)}
    # THEN none is refused
    assert statuses == {200}


def test_the_limits_are_configurable() -> None:
    defaults = Settings.from_env({})
    assert (defaults.rate_limit_anonymous, defaults.rate_limit_session) == ("300/60", "600/60")
    assert defaults.rate_limit_token is None  # the account policy's 600 a minute
    assert defaults.redis_url is None  # counters in the database: `make run` needs no Redis
    configured = Settings.from_env(
        {
            "LINZHI_RATE_LIMIT_ANONYMOUS": "off",
            "LINZHI_RATE_LIMIT_SESSION": "100/10",
            "LINZHI_RATE_LIMIT_TOKEN": "50/1",
            "LINZHI_REDIS_URL": REDIS_URL,
        }
    )
    assert ratelimit.parse_rule(configured.rate_limit_anonymous or "") is None
    assert ratelimit.parse_rule(configured.rate_limit_session or "") == ratelimit.Rule(100, 10)
    assert ratelimit.parse_rule(configured.rate_limit_token or "") == ratelimit.Rule(50, 1)
    assert configured.redis_url == REDIS_URL
    with pytest.raises(ConfigurationError):
        Settings.from_env({"LINZHI_RATE_LIMIT_ANONYMOUS": "many"})


async def test_the_token_limit_follows_its_setting(db: None) -> None:
    from tests.api.graphql import bearer

    # GIVEN a token limit of two a minute set through the settings
    headers = await bearer(await make_user("app.tight"))
    await _start_of_a_window()
    async with _client(Settings.for_tests().with_(rate_limit_token="2/60")) as client:
        # WHEN the token is used three times
        statuses = [
            (await client.post("/graphql", json=QUERY, headers=headers)).status_code for _ in range(3)
        ]
    # THEN the third is refused
    assert statuses == [200, 200, 429]


async def test_redis_counters_expire_with_their_window() -> None:
    # GIVEN a Redis counter of a one-second window
    counters = ratelimit.RedisCounters(REDIS_URL, f"linzhi-test:{uuid.uuid4().hex}:")
    try:
        now = time.time()
        await ratelimit.hit("k", limit=1, window_seconds=1, now=now, counters=counters)
        with pytest.raises(RateLimited):
            await ratelimit.hit("k", limit=1, window_seconds=1, now=now, counters=counters)
        # THEN its key carries an expiry, so Redis does not fill up with old windows
        keys = [key async for key in counters.client.scan_iter(f"{counters.prefix}*")]
        assert len(keys) == 1
        assert 0 < await counters.client.ttl(keys[0]) <= 2
    finally:
        keys = [key async for key in counters.client.scan_iter(f"{counters.prefix}*")]
        if keys:
            await counters.client.delete(*keys)
        await counters.close()
