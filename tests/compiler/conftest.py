"""Fixtures for the compiled read path: the app (outside production, a request sending
`X-Linzhi-Read-Path: report` learns which path ran), a small world with records in every status,
and the actors who look at it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest_asyncio

from api.app import create_app
from api.compiler.runtime import CompiledReadPath
from api.graphql_view import GraphQLView
from api.settings import Settings
from domain.activities.models import Activity, ActivityType, MediationOutcome
from domain.leaders.models import LeaderStatus, MicroLeader
from domain.people.models import Person
from tests.api.graphql import bearer
from tests.conftest import SqlLog
from tests.factories_activities import (
    Cast,
    build_cast,
    hours_ago,
    insert_activities,
    log_activity,
    make_leader,
    returned_activity,
    submitted_activity,
    verified_activity,
)

REPORT = {"x-linzhi-read-path": "report"}
RESOLVERS = {"x-linzhi-read-path": "resolvers"}


@dataclass
class App:
    client: httpx.AsyncClient
    view: GraphQLView

    @property
    def read_path(self) -> CompiledReadPath:
        return self.view.read_path

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        """The response body; the read path is reported unless the request forces the resolvers."""
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers={**REPORT, **headers}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest_asyncio.fixture
async def app(db: None) -> AsyncIterator[App]:
    application = create_app(Settings.for_tests())
    route = next(r for r in application.routes if getattr(r, "path", None) == "/graphql")
    view = route.endpoint  # type: ignore[attr-defined]
    assert isinstance(view, GraphQLView)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield App(client, view)


@dataclass
class World:
    cast: Cast
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # actor name -> request headers
    records: dict[str, Activity] = field(default_factory=dict)


async def build_world() -> World:
    """The activity cast (平湖市 > 当湖街道 > 南河头社区 > 2 grids > 4 micro-grids) with records in
    every status, a page-worth of verified ones, and a withdrawn leader (left out of lists). The
    verified mediation is not public; the other verified records are (`other_verified` with its
    details, the inserted ones without)."""
    cast = await build_cast()
    micro = cast.tree.micro_grids
    records = {
        "verified": await verified_activity(
            cast.leader,
            cast.staff,
            micro[0],
            activity_type=ActivityType.MEDIATION,
            title="调解楼上漏水纠纷",
            mediation_outcome=MediationOutcome.RESOLVED,
        ),
        "submitted": await submitted_activity(cast.other_leader, micro[2], title="环境整治'\"\\引号"),
        "draft": await log_activity(cast.leader, micro[1], title="草稿"),
        "returned": await returned_activity(cast.leader, cast.staff, micro[0], title="退回的记录"),
        # published with its details (a VISIT is not public by default; the mediation above is not)
        "other_verified": await verified_activity(
            cast.other_leader, cast.far_staff, micro[3], title="第二网格", public=True, details_public=True
        ),
    }
    await insert_activities(
        micro[1],
        25,
        author_user_id=cast.leader.user_id or 0,
        leader_id=cast.leader_row.id,
        newest=hours_ago(30),
    )
    await insert_activities(micro[2], 3, author_user_id=cast.other_leader.user_id or 0, newest=hours_ago(5))
    await make_leader("leader.gone", micro[1], status=LeaderStatus.WITHDRAWN, name="赵退出")
    await make_leader("leader.zhang", micro[1], name="欧阳娜娜")
    await flag_demo(cast, records)
    world = World(cast=cast, records=records)
    world.headers["anonymous"] = {}
    for name, username in (
        ("resident", "resident.zhao"),
        ("author", "leader.li"),
        ("staff", "staff.zhou"),
        ("far_staff", "staff.far"),
        ("bureau", "bureau.chen"),
    ):
        world.headers[name] = await bearer(cast.users[username])
    return world


async def flag_demo(cast: Cast, records: dict[str, Activity]) -> None:
    """Generated demo rows beside real ones, as in a seeded database (`isDemo`): the other
    leader, their person and their two records."""
    await MicroLeader.filter(id=cast.other_leader_row.id).update(is_demo=True)
    await Person.filter(id=cast.other_leader_row.person_id).update(is_demo=True)
    demo = [records["submitted"].id, records["other_verified"].id]
    await Activity.filter(id__in=demo).update(is_demo=True)


def canonical(body: dict[str, Any]) -> str:
    """The response without `extensions` (which says which path ran), key order kept."""
    return json.dumps({k: v for k, v in body.items() if k != "extensions"}, ensure_ascii=False)


async def compare(
    app: App, sql_log: SqlLog, query: str, variables: dict[str, Any], headers: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any], int]:
    """Both paths' answers, and how many statements the (warm) compiled answer cost beyond what
    authentication costs for these headers."""
    expected = await app.post(query, variables, **headers, **RESOLVERS)
    await app.post(query, variables, **headers)  # plans, and learns cell paths
    sql_log.reset()
    await app.post("{ __typename }", None, **headers)  # authentication alone
    baseline = sql_log.count
    sql_log.reset()
    actual = await app.post(query, variables, **headers)
    return expected, actual, sql_log.count - baseline
