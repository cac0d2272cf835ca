"""EXPLAIN (ANALYZE, BUFFERS) of every statement Linzhi sends for its hot reads, on PostgreSQL, as
PostgreSQL really runs them for Linzhi: the statements and parameters are captured from requests
through the application itself (in process), then re-sent as prepared statements on a connection
with Linzhi's session settings (`domain.db.POSTGRES_SESSION`: generic plans, no JIT), with
`auto_explain` reporting each execution's actual plan. Also a few dashboard-style aggregates the
bureau dashboard will need (written here, marked as such).

    .venv/bin/python -m bench.explain --database-url postgres://postgres@127.0.0.1:5432/linzhi_bench_l

Prints a Markdown table (execution ms, shared buffers hit/read, rows read by scans, rows returned)
and writes the text plans to bench/results/<timestamp>-explain-<db>.md. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx

from bench import operations
from bench.operations import Operation, Picks

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
RUNS = 5  # executions per statement: the median is reported (the first warms the cache)

DASHBOARD = {
    "d1": (
        "verified activities per town and month, one report year (rollup table)",
        "SELECT r.town_id, r.month, SUM(r.n) AS n FROM activity_month_count r "
        "WHERE r.month >= $1 AND r.month < $2 GROUP BY r.town_id, r.month ORDER BY r.town_id, r.month",
    ),
    "d2": (
        "certified micro-leaders per town (a path's second 8-digit step is its town)",
        "SELECT left(g.path, 16) AS town, COUNT(*) AS n FROM micro_leader l "
        "JOIN grid_cell g ON g.id = l.home_cell_id WHERE l.status = 'CERTIFIED' GROUP BY 1 ORDER BY 1",
    ),
    "d3": (
        "activities by type county-wide, one report year (base table)",
        "SELECT a.activity_type, COUNT(*) AS n FROM activity a WHERE a.status = 'VERIFIED' "
        "AND a.started_at >= $1 AND a.started_at < $2 GROUP BY 1 ORDER BY 1",
    ),
}


class Captured(logging.Handler):
    """The statements and parameter lists Tortoise sends (its debug record: `"%s: %s", sql, values`)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.sent: list[tuple[str, list[Any]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if isinstance(args, tuple) and len(args) == 2 and isinstance(args[0], str):
            sql = args[0].lstrip()
            if sql.upper().startswith(("SELECT", "WITH")):
                values: Any = args[1] or []
                self.sent.append((args[0], list(values)))


async def capture(url: str, picks: Picks) -> dict[str, list[tuple[str, list[Any]]]]:
    """Per read operation, the statements of its second request (caches warm), through the app."""
    from api.app import create_app
    from api.settings import Settings

    settings = Settings.from_env().with_(
        database_url=url,
        env="development",
        rate_limit_anonymous="off",
        rate_limit_session="off",
        cache="off",  # the statements a read sends, not the result cache's version check
    )
    app = create_app(settings)
    log = Captured()
    logger = logging.getLogger("tortoise.db_client")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(log)
    found: dict[str, list[tuple[str, list[Any]]]] = {}
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=120) as client:
                cursor, page = await deep_cursor(client, picks)
                for op in operations.build(picks, cursor, page):
                    if op.write or op.read_path == "resolvers" or op.name == "q1":
                        continue
                    for _ in range(2):
                        log.sent = []
                        response = await client.request(**request_args(op))
                        assert response.status_code == 200, (op.name, response.text[:300])
                    found[label(op, page)] = log.sent
    finally:
        logger.removeHandler(log)
    return found


def label(op: Operation, page: int) -> str:
    return f"{op.name} (page {page})" if op.name == "q3deep" else op.name


def request_args(op: Operation) -> dict[str, Any]:
    if op.body is None:
        return {"method": "GET", "url": op.path, "headers": op.headers}
    return {"method": "POST", "url": op.path, "json": op.body, "headers": op.headers}


async def deep_cursor(client: httpx.AsyncClient, picks: Picks) -> tuple[str | None, int]:
    """The cursor of q3's page Q3_DEEP_PAGE, following endCursor from page 1."""
    variables: dict[str, Any] = {"subtree": operations.global_id("GridCell", picks.town_id), "after": None}
    for page in range(1, operations.Q3_DEEP_PAGE):
        response = await client.post("/graphql", json=operations.graphql(operations.Q3, variables))
        data = response.json()["data"]["activities"]
        if len(data["nodes"]) < 50 or not data["pageInfo"]["endCursor"]:
            return (variables["after"], page) if variables["after"] else (None, 0)
        variables["after"] = data["pageInfo"]["endCursor"]
    return variables["after"], operations.Q3_DEEP_PAGE


def scanned_rows(node: dict[str, Any]) -> int:
    """Rows the scans of a JSON plan produced (actual rows x loops), before any join or filter
    above them: what the statement read from tables and indexes."""
    own = 0
    if "Scan" in node.get("Node Type", ""):
        own = int(node.get("Actual Rows", 0) * node.get("Actual Loops", 1))
        own += int(node.get("Rows Removed by Filter", 0) * node.get("Actual Loops", 1))
    return own + sum(scanned_rows(child) for child in node.get("Plans", []))


async def explain(dsn: str, statements: dict[str, list[tuple[str, list[Any]]]]) -> list[dict[str, Any]]:
    from domain.db import POSTGRES_SESSION

    conn = await asyncpg.connect(dsn, server_settings=POSTGRES_SESSION)
    notices: list[str] = []
    conn.add_log_listener(lambda _c, message: notices.append(message.message))
    await conn.execute("LOAD 'auto_explain'")
    for setting, value in {
        "log_min_duration": "0",
        "log_analyze": "on",
        "log_buffers": "on",
        "log_level": "notice",
        "log_nested_statements": "off",
    }.items():
        await conn.execute(f"SET auto_explain.{setting} = {value}")
    rows: list[dict[str, Any]] = []
    try:
        for name, sent in statements.items():
            for index, (sql, values) in enumerate(sent, 1):
                rows.append(await explain_one(conn, notices, f"{name}.{index}", sql, values))
    finally:
        await conn.close()
    return rows


async def explain_one(
    conn: asyncpg.Connection, notices: list[str], name: str, sql: str, values: list[Any]
) -> dict[str, Any]:
    statement = await conn.prepare(sql)
    timings, plan, text, returned = [], {}, "", 0
    for fmt in ["json"] * RUNS + ["text"]:
        await conn.execute(f"SET auto_explain.log_format = {fmt}")
        notices.clear()
        returned = len(await statement.fetch(*values))
        await asyncio.sleep(0)  # let the notice arrive
        message = next(m for m in notices if m.startswith("duration:"))
        head, _, body = message.partition("\n")
        if fmt == "json":
            timings.append(float(head.split()[1]))
            plan = json.loads(body[body.index("{") :])["Plan"]
        else:
            text = body
    return {
        "statement": name,
        "ms": statistics.median(timings[1:]),
        "hit": plan.get("Shared Hit Blocks", 0),
        "read": plan.get("Shared Read Blocks", 0),
        "scanned": scanned_rows(plan),
        "returned": returned,
        "sql": sql,
        "plan": text,
    }


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| statement | median ms | shared hit | shared read | rows read by scans | rows returned |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        figures = [f"{r['ms']:.2f}"] + [f"{r[k]:,}" for k in ("hit", "read", "scanned", "returned")]
        lines.append(f"| {r['statement']} | " + " | ".join(figures) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.explain", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args(argv)
    url: str = args.database_url
    if not operations.is_postgres(url):
        raise SystemExit("bench.explain reads PostgreSQL plans: give a postgres:// URL")
    picks = asyncio.run(operations.pick(url))
    statements = asyncio.run(capture(url, picks))
    since, until = datetime.fromisoformat(picks.since), datetime.fromisoformat(picks.until)
    statements.update(
        {
            "d1": [(DASHBOARD["d1"][1], [since.year * 100 + since.month, until.year * 100 + until.month])],
            "d2": [(DASHBOARD["d2"][1], [])],
            "d3": [(DASHBOARD["d3"][1], [since, until])],
        }
    )
    rows = asyncio.run(explain(operations.asyncpg_dsn(url), statements))
    table = markdown(rows)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{stamp}-explain-{url.rsplit('/', 1)[-1]}.md"
    plans = "\n\n".join(
        f"## {r['statement']}\n\n```sql\n{r['sql']}\n```\n\n```\n{r['plan']}\n```" for r in rows
    )
    dashboard = "\n".join(
        f"- {key}: {text} (written for the dashboard)" for key, (text, _) in DASHBOARD.items()
    )
    out.write_text(
        f"# EXPLAIN (ANALYZE, BUFFERS), {url.rsplit('/', 1)[-1]}, {stamp}\n\n"
        f"picks: {json.dumps(picks.__dict__, ensure_ascii=False)}\n\n{dashboard}\n\n{table}\n\n{plans}\n",
        encoding="utf-8",
    )
    print(table)
    print(f"\nplans: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
