"""The hand-written floor: q1 (no SQL: the bare Starlette + uvicorn stack), then q2, q3, q4, o1
(the organisation directory) and f1 (a round's published results) with ONE SQL statement each,
answering the same JSON as Linzhi's GraphQL response, so every Linzhi figure can be printed as a
ratio to it.

    python -m bench.floor --database-url URL --port 8101

Starlette + asyncpg (PostgreSQL) or aiosqlite (SQLite) + orjson (stdlib json when orjson is not
installed). Anonymous reads only, like the Linzhi operations they mirror: verified activities,
masked names, organisations on the register, published results.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.activities.rollup import unit_counts_statement
from domain.funding.models import APP_STATUS_LABELS, PUBLISHED_STATUSES, RESULT_STAGES, AppStatus
from domain.organisations.models import (
    LEGAL_FORM_LABELS,
    ORG_FIELD_LABELS,
    ORG_STATUS_LABELS,
    LegalForm,
    OrgField,
    OrgStatus,
)

try:
    import orjson

    def dumps(value: object) -> bytes:
        return orjson.dumps(value)

    JSON_LIB = "orjson"
except ImportError:  # not a dependency of the project: the floor still runs, a little slower

    def dumps(value: object) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()

    JSON_LIB = "json"


Q2_SQL = (
    "SELECT g.code, l.source_role, l.status, p.name AS person_name, c.name AS cohort_name "
    "FROM (SELECT id, code FROM grid_cell WHERE kind = 'MICRO_GRID' AND NOT retired "
    "AND code >= ? AND code < ? ORDER BY code LIMIT 100) g "
    "LEFT JOIN micro_leader l ON l.home_cell_id = g.id AND l.status <> 'WITHDRAWN' "
    "LEFT JOIN person p ON p.id = l.person_id LEFT JOIN cohort c ON c.id = l.cohort_id "
    "ORDER BY g.code, l.id"
)

# The 50 rows are chosen on `activity` alone, then joined: joining before the LIMIT would look up
# the leader, person and cell of every row in the subtree before the sort. On SQLite (3.40) the
# CROSS JOIN keeps the subquery a co-routine: a plain JOIN materializes it, ten times slower.
# What the public sees (`domain.activities.policy`): verified records made public, at their grid,
# the recording leader only with public details.
Q3_SQL = (
    "SELECT a.id, a.title, a.started_at, p.name AS leader_name, l.id AS leader_id, g.name AS cell_name "
    "FROM (SELECT id, title, started_at, coalesce(grid_id, cell_id) AS cell_id, "
    "CASE WHEN details_public THEN leader_id END AS leader_id FROM activity "
    "WHERE town_id = ? AND status = 'VERIFIED' AND is_public {after}"
    "ORDER BY started_at DESC, id DESC LIMIT 50) a "
    "{cross}JOIN grid_cell g ON g.id = a.cell_id "
    "LEFT JOIN micro_leader l ON l.id = a.leader_id LEFT JOIN person p ON p.id = l.person_id "
    "ORDER BY a.started_at DESC, a.id DESC"
)
# SQLite cannot seek an index with the OR alone: the redundant bound on started_at lets it start
# at the cursor (what Linzhi's keyset does too).
Q3_AFTER = "AND started_at <= ? AND (started_at < ? OR (started_at = ? AND id < ?)) "
Q3_AFTER_PG = "AND (started_at, id) < (?, ?) "  # a row comparison PostgreSQL serves from the index

# The counts are Linzhi's own statement (the monthly rollup plus the partial months at the edges,
# `domain.activities.rollup.unit_counts_statement`), so the ratio compares like with like.
Q4_SQL = (
    "SELECT a.unit_id, g.name AS unit_name, a.activity_type, a.n FROM ({counts}) a "
    "JOIN grid_cell g ON g.id = a.unit_id ORDER BY a.unit_id, a.activity_type"
)


# o1, the organisation directory (`domain.organisations.queries.directory_filter` with a town):
# the town's organisations still on the register, by id, one more than the page to tell whether
# there is a next one; the page chosen on `organisation` alone, then joined to the home cells.
O1_SQL = (
    "SELECT o.id, o.name, o.legal_form, o.field, o.status, o.rating, o.rating_valid_until, o.is_demo, "
    "g.code, g.name FROM (SELECT id, name, legal_form, field, status, rating, rating_valid_until, "
    "is_demo, home_cell_id FROM organisation WHERE town_id = ? AND status <> 'DEREGISTERED' "
    "ORDER BY id LIMIT ?) o JOIN grid_cell g ON g.id = o.home_cell_id ORDER BY o.id"
)
O1_PAGE = 50


def _sql_list(values: Any) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))


# f1, a round's published results (`domain.funding.queries.public_result`): the round past its
# results' publicity, the application among the results; with the organisation's name.
F1_SQL = (
    "SELECT a.id, a.project_name, a.status, a.award_fen, a.is_demo, o.name "
    "FROM (SELECT id, project_name, status, award_fen, is_demo, organisation_id FROM funding_application "
    f"WHERE round_id = ? AND status IN ({_sql_list(PUBLISHED_STATUSES)}) AND EXISTS (SELECT 1 FROM "
    f"funding_round r WHERE r.id = funding_application.round_id AND r.stage IN ({_sql_list(RESULT_STAGES)})) "
    "ORDER BY id LIMIT ?) a JOIN organisation o ON o.id = a.organisation_id ORDER BY a.id"
)
F1_PAGE = 100


def relay_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def id_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"c1:[{pk}]".encode()).decode()


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


def code_range(prefix: str) -> tuple[str, str]:
    return prefix, str(int(prefix) + 1).zfill(len(prefix))


def encode_cursor(started_at: datetime, pk: int) -> str:
    raw = "c1:" + json.dumps([started_at.isoformat(), pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    raw = base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("c1:")
    moment, pk = json.loads(raw)
    return datetime.fromisoformat(moment), int(pk)


class Database:
    """One pool (asyncpg) or a few connections (aiosqlite) and `fetch(sql, params)` with `?`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = url.startswith(("postgres://", "postgresql://"))
        self.pool: Any = None
        self.sqlite: list[Any] = []
        self.next = 0

    async def open(self) -> None:
        if self.postgres:
            import asyncpg

            from domain.db import POSTGRES_SESSION, quiet_release_connection

            # The same session settings as Linzhi's connections (generic plans), and the same
            # release without asyncpg's reset statement (the floor leaves no session state).
            self.pool = await asyncpg.create_pool(
                "postgresql://" + self.url.split("://", 1)[1],
                min_size=8,
                max_size=8,
                server_settings=POSTGRES_SESSION,
                connection_class=quiet_release_connection(),
            )
        else:
            import aiosqlite

            for _ in range(4):
                conn = await aiosqlite.connect(self.url.removeprefix("sqlite://"))
                await conn.execute("PRAGMA query_only = 1")
                self.sqlite.append(conn)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
        for conn in self.sqlite:
            await conn.close()

    async def fetch(self, sql: str, params: list[Any]) -> list[Any]:
        if self.postgres:
            parts = sql.split("?")
            sql = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))
            return list(await self.pool.fetch(sql, *params))
        self.next = (self.next + 1) % len(self.sqlite)
        async with self.sqlite[self.next].execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    def moment(self, value: Any) -> datetime:
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)

    def param_time(self, value: datetime) -> Any:
        # SQLite stores Tortoise datetimes as "YYYY-MM-DD HH:MM:SS[.ffffff]+00:00" text.
        return value if self.postgres else str(value)


def create_app(url: str) -> Starlette:
    db = Database(url)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await db.open()
        try:
            yield
        finally:
            await db.close()

    def reply(data: dict[str, Any]) -> Response:
        return Response(dumps({"data": data}), media_type="application/json")

    async def q1(request: Request) -> Response:
        return reply({"__typename": "Query"})

    async def q2(request: Request) -> Response:
        low, high = code_range(request.query_params["search"])
        nodes: list[dict[str, Any]] = []
        for code, source_role, status, person_name, cohort_name in await db.fetch(Q2_SQL, [low, high]):
            if not nodes or nodes[-1]["code"] != code:
                nodes.append({"code": code, "leaders": []})
            if source_role is not None:
                nodes[-1]["leaders"].append(
                    {
                        "sourceRole": source_role,
                        "status": status,
                        "name": mask_name(person_name),
                        "cohort": {"name": cohort_name},
                    }
                )
        return reply({"gridCells": {"nodes": nodes}})

    async def q3(request: Request) -> Response:
        # The town's id comes with the request (Linzhi reads the cell by the GlobalID: the floor
        # skips that lookup so each answer stays one statement).
        cross = "" if db.postgres else "CROSS "
        sql = Q3_SQL.format(after="", cross=cross)
        params: list[Any] = [int(request.query_params["town"])]
        after = request.query_params.get("after")
        if after:
            moment, pk = decode_cursor(after)
            if db.postgres:
                sql = Q3_SQL.format(after=Q3_AFTER_PG, cross=cross)
                params += [moment, pk]
            else:
                sql = Q3_SQL.format(after=Q3_AFTER, cross=cross)
                params += [db.param_time(moment)] * 3 + [pk]
        rows = await db.fetch(sql, params)
        nodes = [
            {
                "title": title,
                "startedAt": db.moment(started_at).isoformat(),
                "leader": None if leader_id is None else {"name": mask_name(leader_name)},
                "cell": {"name": cell_name},
            }
            for _, title, started_at, leader_name, leader_id, cell_name in rows
        ]
        end = encode_cursor(db.moment(rows[-1][2]), rows[-1][0]) if rows else None
        return reply({"activities": {"nodes": nodes, "pageInfo": {"endCursor": end}}})

    async def q4(request: Request) -> Response:
        town = int(request.query_params["town"])
        since = datetime.fromisoformat(request.query_params["since"])
        until = datetime.fromisoformat(request.query_params["until"])
        counts, params = unit_counts_statement(town, since, until)
        values = [db.param_time(p) if isinstance(p, datetime) else p for p in params]
        rows = await db.fetch(Q4_SQL.format(counts=counts), values)
        units: list[dict[str, Any]] = []
        last = None
        for unit_id, unit_name, activity_type, n in rows:
            if unit_id != last:
                units.append({"cell": {"name": unit_name}, "total": 0, "counts": []})
                last = unit_id
            units[-1]["counts"].append({"activityType": activity_type, "count": n})
            units[-1]["total"] += n
        return reply({"activityCountsByUnit": units})

    async def o1(request: Request) -> Response:
        rows = await db.fetch(O1_SQL, [int(request.query_params["town"]), O1_PAGE + 1])
        return reply({"organisations": directory_page(rows)})

    async def f1(request: Request) -> Response:
        rows = await db.fetch(F1_SQL, [int(request.query_params["round"]), F1_PAGE + 1])
        return reply({"fundingResults": results_page(rows)})

    return Starlette(
        routes=[
            Route("/q1", q1),
            Route("/q2", q2),
            Route("/q3", q3),
            Route("/q4", q4),
            Route("/o1", o1),
            Route("/f1", f1),
        ],
        lifespan=lifespan,
    )


def _day(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else value.isoformat()


def directory_page(rows: list[Any]) -> dict[str, Any]:
    page = rows[:O1_PAGE]
    nodes = [
        {
            "id": relay_id("Organisation", pk),
            "name": name,
            "legalFormLabel": LEGAL_FORM_LABELS[LegalForm(legal_form)],
            "fieldLabel": ORG_FIELD_LABELS[OrgField(org_field)],
            "status": status,
            "statusLabel": ORG_STATUS_LABELS[OrgStatus(status)],
            "rating": rating,
            "ratingValidUntil": _day(valid_until),
            "isDemo": bool(is_demo),
            "homeCell": {"code": code, "name": cell_name},
        }
        for pk, name, legal_form, org_field, status, rating, valid_until, is_demo, code, cell_name in page
    ]
    end = id_cursor(page[-1][0]) if page else None
    return {"nodes": nodes, "pageInfo": {"hasNextPage": len(rows) > O1_PAGE, "endCursor": end}}


def results_page(rows: list[Any]) -> dict[str, Any]:
    page = rows[:F1_PAGE]
    nodes = [
        {
            "id": relay_id("Application", pk),
            "projectName": project,
            "status": status,
            "statusLabel": APP_STATUS_LABELS[AppStatus(status)],
            "awardFen": award,
            "isDemo": bool(is_demo),
            "organisation": {"name": org_name},
        }
        for pk, project, status, award, is_demo, org_name in page
    ]
    end = id_cursor(page[-1][0]) if page else None
    return {"nodes": nodes, "pageInfo": {"hasNextPage": len(rows) > F1_PAGE, "endCursor": end}}


def app_from_env() -> Starlette:
    return create_app(os.environ["BENCH_FLOOR_DATABASE_URL"])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.floor")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, default=8101)
    args = parser.parse_args()
    os.environ["BENCH_FLOOR_DATABASE_URL"] = args.database_url
    uvicorn.run(
        "bench.floor:app_from_env", factory=True, host="127.0.0.1", port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
