"""Fixed-window rate limits with counters shared by every worker process (and every app instance):
in the database by default, or in Redis when `LINZHI_REDIS_URL` names one (no write to the
database per request, and no table to purge)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Protocol

from domain import sql
from domain.errors import RateLimited


@dataclass(frozen=True)
class Rule:
    limit: int
    window_seconds: int


def parse_rule(text: str) -> Rule | None:
    """ "300/60" (300 requests per 60 seconds), or None for "off"; ValueError otherwise."""
    if text.strip().lower() in ("off", "0", "none", "false"):
        return None
    limit, _, window = text.partition("/")
    rule = Rule(int(limit), int(window))
    if rule.limit < 1 or rule.window_seconds < 1:
        raise ValueError(text)
    return rule


class Counters(Protocol):
    async def count(self, key: str, window: int, window_seconds: int) -> int:
        """Add one to `key` in fixed window number `window`; the new count."""
        ...


class DatabaseCounters:
    """The `rate_counter` table: one upsert per request."""

    async def count(self, key: str, window: int, window_seconds: int) -> int:
        rows = await sql.fetch_all(
            "INSERT INTO rate_counter (key, window_no, count) VALUES (?, ?, 1) "
            "ON CONFLICT (key, window_no) DO UPDATE SET count = rate_counter.count + 1 RETURNING count",
            [key, window],
        )
        return int(rows[0]["count"])


class RedisCounters:
    """One key per (key, window), INCR'd and expiring after its window (redis-py's asyncio client).
    `prefix` keeps apart several apps (or test runs) sharing one Redis."""

    def __init__(self, url: str, prefix: str = "linzhi:rate:") -> None:
        import redis.asyncio

        self.client: Any = redis.asyncio.Redis.from_url(url)
        self.prefix = prefix

    async def count(self, key: str, window: int, window_seconds: int) -> int:
        name = f"{self.prefix}{key}:{window}"
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_seconds + 1)
            count, _ = await pipe.execute()
        return int(count)

    async def close(self) -> None:
        await self.client.aclose()


DATABASE = DatabaseCounters()


async def hit(
    key: str, *, limit: int, window_seconds: int, now: float | None = None, counters: Counters = DATABASE
) -> None:
    """Count one request against `key`; raise RateLimited once `limit` is exceeded in the window."""
    current = time.time() if now is None else now
    window = int(current // window_seconds)
    if await counters.count(key, window, window_seconds) > limit:
        # Rounded up: a client that waits exactly Retry-After seconds lands in the next window.
        retry_after = max(1, math.ceil((window + 1) * window_seconds - current))
        raise RateLimited(retry_after)


async def refuse_if_spent(key: str, *, limit: int, window_seconds: int, now: float | None = None) -> None:
    """Raise RateLimited when `key` has already been counted `limit` times in this window (database
    counters), without counting this request: for limits on failures, counted by `hit` afterwards."""
    current = time.time() if now is None else now
    window = int(current // window_seconds)
    rows = await sql.fetch_all(
        "SELECT count FROM rate_counter WHERE key = ? AND window_no = ?", [key, window]
    )
    if rows and int(rows[0]["count"]) >= limit:
        raise RateLimited(max(1, math.ceil((window + 1) * window_seconds - current)))


async def purge(before: float, window_seconds: int) -> None:
    """Drop counters of windows that ended before `before` (housekeeping)."""
    await sql.fetch_all(
        "DELETE FROM rate_counter WHERE window_no < ? RETURNING key", [int(before // window_seconds)]
    )
