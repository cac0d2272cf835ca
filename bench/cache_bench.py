"""The result cache (issue 16) measured: anonymous q2, q3 page 1 and q4 with the cache off, as hits
and as misses, CPU per request of the server and of its PostgreSQL backends.

    python -m bench.cache_bench [--database-url URL] [--requests 100] [--rounds 3]

Two servers run on the same database: one with LINZHI_CACHE=off, one with LINZHI_CACHE=memory.
Each round sends every operation `requests` times to each (off, then hits, then misses: before
each miss a separate connection bumps the version of a table the operation reads, so the entry
is outdated; that connection's CPU is not counted). Batches run one at a time, so the CPU of the
database's client backends in a batch is the batch's. Results: bench/results/<time>-cache.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import operations
from bench.run import HOST, RESULTS, Server, free_port

TICKS = os.sysconf("SC_CLK_TCK")
OPS = ("q2", "q3p1", "q4")
BUMPED = {"q2": "grid_cell", "q3p1": "activity", "q4": "activity_month_count"}


def cpu_ms(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total * 1000 / TICKS


def start(url: str, mode: str) -> Server:
    env = {
        **os.environ,
        "LINZHI_DATABASE_URL": url,
        "LINZHI_ENV": "development",
        "LINZHI_RATE_LIMIT_ANONYMOUS": "off",
        "LINZHI_ACCESS_LOG": "off",
        "LINZHI_CACHE": mode,
    }
    port = free_port()
    argv = [sys.executable, "-m", "api.cli", "serve", "--host", HOST, "--port", str(port)]
    server = Server(f"linzhi-cache-{mode}", argv, port, env)
    server.wait_ready("/graphql?query=%7B__typename%7D")
    return server


async def batch(
    client: httpx.AsyncClient, server: Server, body: dict[str, Any], n: int, bump: Any, backends: Any
) -> dict[str, Any]:
    """`n` requests; CPU of the server and of the database's client backends, per request."""
    seen: dict[str, int] = {}
    times: list[float] = []
    server_before, db_before = cpu_ms(server.pids()), cpu_ms(await backends())
    for _ in range(n):
        if bump is not None:
            await bump()
        started = time.perf_counter()
        response = await client.post(server.url + "/graphql", json=body)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
        status = response.headers.get("x-linzhi-cache", "?")
        seen[status] = seen.get(status, 0) + 1
    return {
        "server_cpu_ms": (cpu_ms(server.pids()) - server_before) / n,
        "db_cpu_ms": (cpu_ms(await backends()) - db_before) / n,
        "median_ms": statistics.median(times),
        "statuses": seen,
    }


async def measure(url: str, requests: int, rounds: int) -> dict[str, Any]:
    import asyncpg  # type: ignore[import-untyped]

    picks = await operations.pick(url)
    ops = {op.name: op for op in operations.build(picks, None, 0) if op.read_path == "compiled"}
    servers = {"off": start(url, "off"), "memory": start(url, "memory")}
    conn = await asyncpg.connect(operations.asyncpg_dsn(url))
    mine = await conn.fetchval("SELECT pg_backend_pid()")
    database = await conn.fetchval("SELECT current_database()")

    async def backends() -> list[int]:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> $2 "
            "AND backend_type = 'client backend'",
            database,
            mine,
        )
        return [int(r["pid"]) for r in rows]

    results: dict[str, list[dict[str, Any]]] = {}
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            for _ in range(rounds):
                for name in OPS:
                    body = ops[name].body
                    assert body is not None
                    table = BUMPED[name]

                    async def bump(table: str = table) -> None:
                        await conn.execute(
                            "UPDATE table_version SET version = version + 1 WHERE name = $1", table
                        )

                    await client.post(servers["memory"].url + "/graphql", json=body)  # warm: now a hit
                    await client.post(servers["off"].url + "/graphql", json=body)
                    for label, server, bumper in (
                        ("off", servers["off"], None),
                        ("hit", servers["memory"], None),
                        ("miss", servers["memory"], bump),
                    ):
                        row = await batch(client, server, body, requests, bumper, backends)
                        results.setdefault(f"{name} {label}", []).append(row)
    finally:
        await conn.close()
        for server in servers.values():
            server.stop()
    return {key: _summary(rows) for key, rows in results.items()}


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    statuses: dict[str, int] = {}
    for row in rows:
        for status, n in row["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    return {
        "server_cpu_ms": round(statistics.median(r["server_cpu_ms"] for r in rows), 2),
        "db_cpu_ms": round(statistics.median(r["db_cpu_ms"] for r in rows), 2),
        "median_ms": round(statistics.median(r["median_ms"] for r in rows), 2),
        "statuses": statuses,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cache_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"), required=False)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if not args.database_url or not operations.is_postgres(args.database_url):
        raise SystemExit("a PostgreSQL --database-url (the backends' CPU is read from pg_stat_activity)")
    result = asyncio.run(measure(args.database_url, args.requests, args.rounds))
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stamp}-cache.json").write_text(json.dumps({"load": load, "results": result}, indent=2))
    print(f"load average {' '.join(load)}")
    print("| op | server CPU ms/req | PostgreSQL CPU ms/req | median ms | X-Linzhi-Cache |")
    print("|---|---|---|---|---|")
    for key, row in result.items():
        cells = (key, row["server_cpu_ms"], row["db_cpu_ms"], row["median_ms"], row["statuses"])
        print("| " + " | ".join(str(c) for c in cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
