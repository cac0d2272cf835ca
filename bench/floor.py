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
from datetime import UTC, datetime
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
            *write_routes(db),
            *page_routes(db),
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


# --- w1's floor: activityCreate + activitySubmit, each its change and its audit row -------------
#
# POST /graphql takes w1's own GraphQL bodies (the same wrk script drives both servers) and tells
# the two mutations apart by name. Each is one statement that authenticates the bearer token (and,
# for a create, reads the cell and the leadership the record is filed under), then ONE transaction:
# the INSERT (or the UPDATE of a DRAFT), then the audit row exactly as `domain.audit.service`
# appends it — the same chain and lock, the head read, the same canonical JSON and HMAC, the INSERT.
# So the ratio isolates what GraphQL, the ORM and the domain layers add. PostgreSQL only (the
# SQLite floor's connections are read-only).

W_CREATE_AUTH_SQL = (
    "SELECT t.id AS token_id, u.id AS user_id, u.username, g.id AS cell_id, g.path, g.code, "
    "(SELECT l.id FROM micro_leader l WHERE l.person_id = u.person_id "
    "AND l.status IN ('NOMINATED', 'ENROLLED', 'CERTIFIED') AND starts_with(g.path, l.home_path) "
    "ORDER BY length(l.home_path) DESC, l.id DESC LIMIT 1) AS leader_id "
    "FROM api_token t JOIN app_user u ON u.id = t.user_id JOIN grid_cell g ON g.id = $2 AND NOT g.retired "
    "WHERE t.secret_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND u.is_active"
)
W_AUTH_SQL = (
    "SELECT t.id AS token_id, u.id AS user_id, u.username "
    "FROM api_token t JOIN app_user u ON u.id = t.user_id "
    "WHERE t.secret_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND u.is_active"
)
W_INSERT_SQL = (
    "INSERT INTO activity (author_user_id, leader_id, cell_id, cell_path, town_id, unit_id, grid_id, "
    "activity_type, title, narrative, started_at, ended_at, place, participants, households_reached, "
    "problems, follow_up, status, is_demo, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', $10, $11, '', $12, $13, '{}', '', 'DRAFT', false, "
    "$14, $14) RETURNING id"
)
W_SUBMIT_SQL = (
    "UPDATE activity SET status = 'SUBMITTED', submitted_at = $3, updated_at = $3 "
    "WHERE id = $1 AND author_user_id = $2 AND status IN ('DRAFT', 'RETURNED') RETURNING id"
)
W_AUDIT_SQL = (
    "INSERT INTO audit_log (id, seq, at, actor_user_id, actor_label, token_id, action, object_type, "
    "object_id, summary, request_id, ip, prev_hash, hash, key_id, chain, chain_seq, form) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
)


def _user_error(field_name: str, code: str, message: str) -> Response:
    payload = {field_name: {"activity": None, "userErrors": [{"code": code, "message": message}]}}
    return Response(dumps({"data": payload}), media_type="application/json")


async def _append_audit(conn: Any, who: Any, action: str, object_id: int, summary: dict[str, Any]) -> None:
    """`domain.audit.service.record` in plain SQL on the caller's transaction: the row's chain
    locked, its head and the next seq in one statement, the INSERT."""
    from types import SimpleNamespace
    from typing import cast
    from uuid import uuid4

    from domain.access import Actor
    from domain.audit import service as audit
    from domain.audit.keys import keyring
    from domain.audit.models import AuditEntry

    chain = audit.chain_of("Activity", str(object_id), Actor())
    # BENCH_FLOOR_AUDIT_LOCK=global: every writer takes one lock, as before the chains (issue 16)
    lock = 0 if os.environ.get("BENCH_FLOOR_AUDIT_LOCK") == "global" else chain
    await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", audit.LOCK_KEY, lock)
    head = await conn.fetchrow(audit._head_sql(True), chain)
    entry = SimpleNamespace(
        seq=head["seq"],
        at=datetime.now(UTC),
        actor_user_id=who["user_id"],
        actor_label=who["username"],
        token_id=who["token_id"],
        action=action,
        object_type="Activity",
        object_id=str(object_id),
        summary=summary,
        request_id=uuid4().hex,
        ip="127.0.0.1",
        prev_hash=audit.GENESIS if head["hash"] is None else head["hash"],
        key_id=keyring().current,
        chain=chain,
        chain_seq=1 if head["chain_seq"] is None else head["chain_seq"] + 1,
        form=audit.FORM,
    )
    digest = audit.compute_hash(cast(AuditEntry, entry))
    await conn.execute(
        W_AUDIT_SQL,
        entry.seq, entry.seq, entry.at, entry.actor_user_id, entry.actor_label, entry.token_id, action,
        "Activity", entry.object_id, json.dumps(summary, ensure_ascii=False), entry.request_id,
        entry.ip, entry.prev_hash, digest, entry.key_id, chain, entry.chain_seq, entry.form,
    )  # fmt: skip


def _activity_gid(pk: int) -> str:
    return base64.b64encode(f"Activity:{pk}".encode()).decode()


def write_routes(db: Database) -> list[Route]:
    """POST /graphql: w1's two mutations, by hand (see above)."""
    import hashlib

    from domain.activities.models import location

    async def create(conn: Any, secret_hash: str, fields: dict[str, Any]) -> Response:
        cell_pk = int(base64.b64decode(fields["cellId"]).decode().split(":", 1)[1])
        who = await conn.fetchrow(W_CREATE_AUTH_SQL, secret_hash, cell_pk)
        if who is None:
            return _user_error("activityCreate", "FORBIDDEN", "无权在该网格记录活动")
        place = location(who["cell_id"], who["path"])
        started = datetime.fromisoformat(fields["startedAt"])
        ended = datetime.fromisoformat(fields["endedAt"])
        now = datetime.now(UTC)
        async with conn.transaction():
            pk = await conn.fetchval(
                W_INSERT_SQL,
                who["user_id"], who["leader_id"], who["cell_id"], who["path"], place["town_id"],
                place["unit_id"], place["grid_id"], fields["activityType"], fields["title"], started,
                ended, int(fields.get("participants", 0)), int(fields.get("householdsReached", 0)), now,
            )  # fmt: skip
            summary = {"cell": who["code"], "type": fields["activityType"]}
            await _append_audit(conn, who, "activity.create", pk, summary)
        result = {"activity": {"id": _activity_gid(pk), "status": "DRAFT"}, "userErrors": []}
        return Response(dumps({"data": {"activityCreate": result}}), media_type="application/json")

    async def submit(conn: Any, secret_hash: str, fields: dict[str, Any]) -> Response:
        who = await conn.fetchrow(W_AUTH_SQL, secret_hash)
        pk = int(base64.b64decode(fields["id"]).decode().split(":", 1)[1])
        if who is None:
            return _user_error("activitySubmit", "FORBIDDEN", "令牌无效")
        async with conn.transaction():
            done = await conn.fetchval(W_SUBMIT_SQL, pk, who["user_id"], datetime.now(UTC))
            if done is None:
                return _user_error("activitySubmit", "INVALID_TRANSITION", "该活动记录不能提交审核")
            await _append_audit(conn, who, "activity.submit", pk, {})
        result = {"activity": {"id": _activity_gid(pk), "status": "SUBMITTED"}, "userErrors": []}
        return Response(dumps({"data": {"activitySubmit": result}}), media_type="application/json")

    async def graphql(request: Request) -> Response:
        if not db.postgres:
            return Response("the write floor runs on PostgreSQL only", status_code=501)
        body = json.loads(await request.body())
        secret = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        secret_hash = hashlib.sha256(secret.encode()).hexdigest()
        fields = body["variables"]["input"]
        handler = create if "activityCreate" in body["query"] else submit
        async with db.pool.acquire() as conn:
            return await handler(conn, secret_hash, fields)

    return [Route("/graphql", graphql, methods=["POST"])]


# --- p1's floor: a cell's page from ONE statement, rendered by Linzhi's own template ------------
#
# The cell, its ancestors (their paths are prefixes of its path), its active children and the
# counts by kind below the cell and below each child, as one UNION ALL; then the same dataclasses
# (`web.pages.grids.CellPanel`, GridCell instances built from the rows) and the same `render` call
# as `web.routes.grids`, so the ratio isolates the ORM, the five statements and the middleware.

_P1_COLUMNS = (
    "g.id, g.kind, g.code, g.name, g.path, g.households, g.households_estimated, g.code_verified, "
    "g.is_demo, g.retired, g.parent_id"
)
P1_SQL = (
    "WITH c AS (SELECT * FROM grid_cell WHERE code = ? AND NOT retired), "
    "kids AS (SELECT g.* FROM grid_cell g JOIN c ON g.parent_id = c.id WHERE NOT g.retired) "
    f"SELECT 0 AS part, {_P1_COLUMNS}, NULL AS root, 0 AS n FROM c g "
    f"UNION ALL SELECT 1, {_P1_COLUMNS}, NULL, 0 FROM grid_cell g JOIN c ON g.path IN "
    "(substr(c.path, 1, 8), substr(c.path, 1, 16), substr(c.path, 1, 24), substr(c.path, 1, 32)) "
    "AND g.path < c.path "
    f"UNION ALL SELECT 2, {_P1_COLUMNS}, NULL, 0 FROM kids g "
    "UNION ALL SELECT 3, NULL, g.kind, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "r.path, COUNT(*) "
    "FROM (SELECT path FROM c UNION ALL SELECT path FROM kids) r "
    "JOIN grid_cell g ON g.path > r.path AND g.path < r.path || ':' AND NOT g.retired "
    "GROUP BY r.path, g.kind "
    "ORDER BY part, path, code"
)


# p2, `/grids/{code}/activities` for an anonymous reader: the cell, the first page
# of its subtree's published records newest first (`in_subtree`: one arm per level, each gated on
# the cell's depth so that only its own index is read; `visible_filter`: verified and public; a
# micro-grid's own records only for a full view, `subtree_filter`: none for the public), each
# with the cell it is shown at (its grid), and — where its details are public — its leader's
# person and its photos: ONE statement, joined, the photos as a JSON list.
P2_PAGE = 21  # web.pages.activities.PAGE_SIZE + 1
# Each arm's gate is an uncorrelated test of the cell's depth: a one-time filter (PostgreSQL plans
# it as such), so the arms of the other levels read nothing.
P2_GATES = (
    "(SELECT length(path) FROM c) = 8 AND a.cell_path >= (SELECT path FROM c) "
    "AND a.cell_path < (SELECT path FROM c) || ':'",
    "(SELECT length(path) FROM c) = 16 AND a.town_id = (SELECT id FROM c)",
    "(SELECT length(path) FROM c) = 24 AND a.unit_id = (SELECT id FROM c)",
    "(SELECT length(path) FROM c) = 32 AND a.grid_id = (SELECT id FROM c)",
)
P2_ARMS = " UNION ALL ".join(
    "SELECT * FROM (SELECT a.* FROM activity a WHERE "
    + gate
    + f" AND a.status = 'VERIFIED' AND a.is_public ORDER BY a.started_at DESC, a.id DESC LIMIT {P2_PAGE})"
    + f" arm{i}"
    for i, gate in enumerate(P2_GATES)
)


def p2_sql(columns: dict[str, list[str]], *, postgres: bool) -> str:
    def listed(alias: str, model: str) -> str:
        return ", ".join(f"{alias}.{column}" for column in columns[model])

    photo = (
        "json_build_object('id', ph.id, 'width', ph.width, 'height', ph.height, "
        "'activity_id', ph.activity_id)"
    )
    photos = (
        f"json_agg({photo} ORDER BY ph.id)"
        if postgres
        else f"json_group_array({photo.replace('json_build_object', 'json_object')})"
    )
    return (
        "WITH c AS (SELECT * FROM grid_cell WHERE code = ?), "
        f"page AS (SELECT * FROM ({P2_ARMS}) arms ORDER BY started_at DESC, id DESC LIMIT {P2_PAGE}) "
        f"SELECT {listed('c', 'GridCell')}, {listed('a', 'Activity')}, {listed('sc', 'GridCell')}, "
        f"{listed('p', 'Person')}, "
        f"CASE WHEN a.details_public THEN (SELECT {photos} FROM (SELECT * FROM activity_photo "
        "WHERE activity_id = a.id ORDER BY id LIMIT 6) ph) END AS photos "
        "FROM c LEFT JOIN page a ON 1 = 1 "
        "LEFT JOIN grid_cell sc ON sc.id = coalesce(a.grid_id, a.cell_id) "
        "LEFT JOIN micro_leader l ON l.id = a.leader_id AND a.details_public "
        "LEFT JOIN person p ON p.id = l.person_id "
        "ORDER BY a.started_at DESC, a.id DESC"
    )


def page_routes(db: Database) -> list[Route]:
    """GET /p1/{code}: `/grids/{code}` from one statement; GET /grids/{code}/activities (p2, at
    Linzhi's own path so that the page is byte for byte Linzhi's): the feed page for an anonymous
    reader, from one statement (see above)."""
    from domain.grids.codes import GridKind
    from domain.grids.models import GridCell
    from domain.grids.queries import SubtreeStats
    from web.pages import grids as pages
    from web.render import render

    fields = ("id", "kind", "code", "name", "path", "households", "households_estimated")
    fields += ("code_verified", "is_demo", "retired", "parent_id")

    def cell_of(row: Any) -> GridCell:
        values = dict(zip(fields, row[1:12], strict=True))
        return GridCell(**{**values, "kind": GridKind(values["kind"])})

    async def p1(request: Request) -> Response:
        rows = await db.fetch(P1_SQL, [request.path_params["code"]])
        parts: dict[int, list[Any]] = {0: [], 1: [], 2: [], 3: []}
        for row in rows:
            parts[row[0]].append(row)
        if not parts[0]:
            return Response("没有该网格单元", status_code=404)
        cell = cell_of(parts[0][0])
        counts: dict[str, dict[GridKind, int]] = {}
        for row in parts[3]:
            counts.setdefault(row[12], {})[GridKind(row[2])] = int(row[13])
        children = sorted((cell_of(row) for row in parts[2]), key=lambda child: child.code)
        levels = pages.levels_below_children(cell.kind)
        child_rows = [
            pages.ChildRow(
                child, tuple(level.count(SubtreeStats(counts.get(child.path, {}))) for level in levels)
            )
            for child in children
        ]
        ancestors = [cell_of(row) for row in parts[1]]
        panel = pages.CellPanel(cell, ancestors, SubtreeStats(counts.get(cell.path, {})), child_rows)
        return render(
            request, "grids/cell.html", {"panel": panel, "title": cell.name}, fragment="grids/_panel.html"
        )

    from tortoise import Tortoise

    from domain.access import Actor
    from domain.activities import service as activity_service
    from domain.activities.models import Activity, ActivityPhoto
    from domain.db import MODEL_MODULES
    from domain.people.models import Person
    from domain.people.policy import view_for
    from web.pages import activities as feed_pages

    # The relations' key columns (`leader_id`, `cell_id` ...) exist once the models are
    # initialised; the floor needs no connection of Tortoise's for that.
    if not Tortoise.apps:
        Tortoise.init_models(MODEL_MODULES, "models")
    models: dict[str, Any] = {"GridCell": GridCell, "Activity": Activity, "Person": Person}
    columns = {name: list(model._meta.fields_db_projection.values()) for name, model in models.items()}
    p2_statement = p2_sql(columns, postgres=db.postgres)
    anonymous = Actor()

    # The row's parts, in the statement's column order: (model, its fields, first, past-last)
    spans: dict[str, tuple[Any, list[tuple[str, Any]], int, int]] = {}
    offset = 0
    for name, model in (
        ("cell", "GridCell"),
        ("activity", "Activity"),
        ("shown", "GridCell"),
        ("person", "Person"),
    ):
        cls = models[model]
        by_column = [(f, cls._meta.fields_map[f]) for f in cls._meta.fields_db_projection]
        spans[name] = (cls, by_column, offset, offset + len(by_column))
        offset += len(by_column)
    photos_at = offset

    def part(row: Any, name: str) -> Any:
        """The part `name` of a row as its model (None where the LEFT JOIN found nothing)."""
        cls, by_column, low, high = spans[name]
        values = tuple(row)[low:high]
        if values[0] is None:
            return None
        return cls(**{f: field.to_python_value(v) for (f, field), v in zip(by_column, values, strict=True)})

    async def p2(request: Request) -> Response:
        rows = await db.fetch(p2_statement, [request.path_params["code"]])
        if not rows:
            return Response("没有该网格单元", status_code=404)  # Linzhi's 404 page is not measured
        cell = part(rows[0], "cell")
        cards = []
        for row in rows[: P2_PAGE - 1]:
            activity = part(row, "activity")
            if activity is None:
                continue
            person = part(row, "person")
            details = bool(activity.details_public)
            photos = (
                [ActivityPhoto(**photo) for photo in json.loads(row[photos_at] or "[]")] if details else []
            )
            author = view_for(anonymous, person) if details and person is not None else None
            cards.append(
                feed_pages.ActivityRow(
                    activity, part(row, "shown"), author, photos, details=details, full=False
                )
            )
        query = feed_pages.FeedQuery.from_params(request.query_params)
        last = rows[P2_PAGE - 2] if len(rows) >= P2_PAGE else None
        next_url = None
        if last is not None:
            activity = part(last, "activity")
            next_url = query.url(cell.code, after=feed_pages.encode_cursor(activity.started_at, activity.id))
        feed = feed_pages.Feed(cell, query, cards, next_url, True, False)
        context = {
            "title": f"{cell.name} · 民情日志",
            "feed": feed,
            "errors": query.errors(),
            "types": feed_pages.TYPES,
            "statuses": feed_pages.STATUSES,
            "can_export": False,
            "max_export": activity_service.MAX_EXPORT,
        }
        return render(request, "activities/feed.html", context, fragment="activities/_feed.html")

    return [Route("/p1/{code}", p1), Route("/grids/{code}/activities", p2)]


def app_from_env() -> Starlette:
    return create_app(os.environ["BENCH_FLOOR_DATABASE_URL"])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.floor")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    os.environ["BENCH_FLOOR_DATABASE_URL"] = args.database_url
    uvicorn.run(
        "bench.floor:app_from_env",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        workers=args.workers,
    )


if __name__ == "__main__":
    main()
