"""Fixed-window rate limits with counters in the database, shared by every worker process."""

from __future__ import annotations

import asyncio

import pytest

from domain import ratelimit
from domain.accounts.models import RateCounter
from domain.errors import ErrorCode, RateLimited

pytestmark = pytest.mark.usefixtures("db")

WINDOW = 60
# 14.3 s into a window: 45.7 s of it are left.
NOW = 1_000 * WINDOW + 14.3


async def _hits(key: str, n: int, *, limit: int, now: float = NOW) -> None:
    for _ in range(n):
        await ratelimit.hit(key, limit=limit, window_seconds=WINDOW, now=now)


async def _count(key: str) -> int:
    counters = await RateCounter.filter(key=key)
    return sum(counter.count for counter in counters)


async def test_the_request_over_the_limit_is_refused_until_the_window_ends() -> None:
    # GIVEN a key that has used its five requests in this window
    await _hits("sign-in:ip:10.0.0.1", 5, limit=5)
    # WHEN it asks once more
    with pytest.raises(RateLimited) as raised:
        await ratelimit.hit("sign-in:ip:10.0.0.1", limit=5, window_seconds=WINDOW, now=NOW + 1)
    # THEN it is told to wait for the rest of the window, rounded up to a whole second
    assert raised.value.code is ErrorCode.RATE_LIMITED
    assert raised.value.retry_after == 45
    assert "45 秒" in raised.value.message


async def test_retrying_after_retry_after_succeeds() -> None:
    # GIVEN a refused key
    await _hits("graphql:token:1", 3, limit=3)
    with pytest.raises(RateLimited) as raised:
        await ratelimit.hit("graphql:token:1", limit=3, window_seconds=WINDOW, now=NOW)
    # WHEN it waits exactly the advertised seconds
    later = NOW + raised.value.retry_after
    # THEN the next request lands in a fresh window and is allowed
    await ratelimit.hit("graphql:token:1", limit=3, window_seconds=WINDOW, now=later)


async def test_a_new_window_starts_from_zero() -> None:
    # GIVEN a key at its limit
    await _hits("graphql:token:2", 4, limit=4)
    # WHEN the next window begins
    # THEN the full limit is available again, and only then refused
    await _hits("graphql:token:2", 4, limit=4, now=NOW + WINDOW)
    with pytest.raises(RateLimited):
        await ratelimit.hit("graphql:token:2", limit=4, window_seconds=WINDOW, now=NOW + WINDOW)


async def test_keys_are_counted_independently() -> None:
    # GIVEN one IP at its limit
    await _hits("sign-in:ip:10.0.0.1", 2, limit=2)
    with pytest.raises(RateLimited):
        await ratelimit.hit("sign-in:ip:10.0.0.1", limit=2, window_seconds=WINDOW, now=NOW)
    # WHEN another IP and a token use the same window
    # THEN they still have their own full allowance
    await _hits("sign-in:ip:10.0.0.2", 2, limit=2)
    await _hits("graphql:token:10.0.0.1", 2, limit=2)
    assert await _count("sign-in:ip:10.0.0.2") == 2


async def test_concurrent_hits_never_lose_a_count() -> None:
    # GIVEN fifty requests of one token arriving at once, with a limit of fifty
    key = "graphql:token:50"
    hits = [ratelimit.hit(key, limit=50, window_seconds=WINDOW, now=NOW) for _ in range(50)]
    # WHEN they are all counted concurrently
    results = await asyncio.gather(*hits, return_exceptions=True)
    # THEN none is refused, every one is counted, and the fifty-first is refused
    assert results == [None] * 50
    assert await _count(key) == 50
    with pytest.raises(RateLimited):
        await ratelimit.hit(key, limit=50, window_seconds=WINDOW, now=NOW)


async def test_concurrent_hits_over_the_limit_refuse_exactly_the_excess() -> None:
    # GIVEN sixty concurrent requests against a limit of fifty
    hits = [ratelimit.hit("graphql:token:60", limit=50, window_seconds=WINDOW, now=NOW) for _ in range(60)]
    # WHEN they are counted
    results = await asyncio.gather(*hits, return_exceptions=True)
    # THEN exactly ten are refused
    assert sum(isinstance(result, RateLimited) for result in results) == 10
    assert sum(result is None for result in results) == 50


async def test_purge_drops_only_ended_windows() -> None:
    # GIVEN counters in an old window and in the current one
    await _hits("sign-in:ip:10.0.0.3", 2, limit=5, now=NOW - 10 * WINDOW)
    await _hits("sign-in:ip:10.0.0.3", 1, limit=5)
    # WHEN counters of windows that ended before the current one are purged
    await ratelimit.purge(NOW, WINDOW)
    # THEN the current window's count is kept
    assert await _count("sign-in:ip:10.0.0.3") == 1
