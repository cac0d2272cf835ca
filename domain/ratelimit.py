"""Fixed-window rate limits with counters in the database, so every worker process (and every
app instance on the same database) shares them."""

from __future__ import annotations

import math
import time

from domain import sql
from domain.errors import RateLimited


async def hit(key: str, *, limit: int, window_seconds: int, now: float | None = None) -> None:
    """Count one request against `key`; raise RateLimited once `limit` is exceeded in the window."""
    current = time.time() if now is None else now
    window = int(current // window_seconds)
    rows = await sql.fetch_all(
        "INSERT INTO rate_counter (key, window_no, count) VALUES (?, ?, 1) "
        "ON CONFLICT (key, window_no) DO UPDATE SET count = rate_counter.count + 1 RETURNING count",
        [key, window],
    )
    if int(rows[0]["count"]) > limit:
        # Rounded up: a client that waits exactly Retry-After seconds lands in the next window.
        retry_after = max(1, math.ceil((window + 1) * window_seconds - current))
        raise RateLimited(retry_after)


async def purge(before: float, window_seconds: int) -> None:
    """Drop counters of windows that ended before `before` (housekeeping)."""
    await sql.fetch_all(
        "DELETE FROM rate_counter WHERE window_no < ? RETURNING key", [int(before // window_seconds)]
    )
