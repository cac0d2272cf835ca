"""More fields and roots on the compiled read path: activity leaf fields (durations, Decimal
hours, problems, photos), people behind leaders and grid heads (masked per actor), and the
remaining read roots. Each operation: the same JSON as the resolvers, in one statement, for
anonymous, a resident, the author (also the leader themself), grid staff in and out of scope and
bureau staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.activities.models import Activity, ActivityPhoto, ActivityType, ProblemCategory
from tests.api.graphql import global_id
from tests.compiler.conftest import App, World, build_world
from tests.compiler.test_differential import check
from tests.conftest import SqlLog
from tests.factories_activities import hours_ago, verified_activity

ACTIVITY_FIELDS = """
fragment Leaf on Activity {
  id title durationMinutes volunteerHours
  problems { __typename category label count }
  photos { __typename url contentType width height }
}
query ($first: Int, $id: ID!) {
  activities(first: $first) { nodes { ...Leaf } }
  one: activity(id: $id) { ...Leaf }
}
"""


async def enrich(world: World) -> dict[str, Activity]:
    """Records with volunteer hours, problems, photos and a start with a fraction of a second."""
    cast, micro = world.cast, world.cast.tree.micro_grids
    volunteering = await verified_activity(
        cast.leader,
        cast.staff,
        micro[0],
        activity_type=ActivityType.VOLUNTEERING,
        title="义务理发",
        volunteer_hours=Decimal("1.5"),
        problems={ProblemCategory.SANITATION: 2, ProblemCategory.FIRE: 1, ProblemCategory.SECURITY: 3},
        started_at=hours_ago(4),
        ended_at=hours_ago(1),
    )
    verified, draft = world.records["verified"], world.records["draft"]
    # 59.5 seconds and 2 hours + 59.9999 seconds: the minutes are rounded down
    start = datetime(2026, 11, 28, 1, 2, 3, 500000, tzinfo=UTC)
    await Activity.filter(id=verified.id).update(
        started_at=start, ended_at=start + timedelta(seconds=59.5), problems={"OTHER": 7}
    )
    await Activity.filter(id=draft.id).update(
        started_at=start, ended_at=start + timedelta(hours=2, seconds=59, microseconds=999999)
    )
    for activity, photos in ((volunteering, 2), (draft, 1)):
        for i in range(photos):
            await ActivityPhoto.create(
                activity=activity,
                file_name=f"{activity.id:030x}{i:02x}.jpg",
                content_type="image/jpeg" if i == 0 else "image/png",
                size_bytes=1,
                width=640 + i,
                height=480,
            )
    return {"volunteering": volunteering, "verified": verified, "draft": draft}


async def test_activity_leaf_fields_match(app: App, sql_log: SqlLog) -> None:
    # GIVEN records with volunteer hours, problems in several categories, photos, odd durations
    world = await build_world()
    records = await enrich(world)
    # WHEN every actor reads them through the feed and by id
    for name in ("volunteering", "draft", "verified"):
        variables: dict[str, Any] = {"first": 40, "id": global_id("Activity", records[name].id)}
        await check(app, sql_log, world, ACTIVITY_FIELDS, variables)
    # THEN (in `check`) both paths agree; and the values are what a reader expects
    body = await app.post(
        ACTIVITY_FIELDS,
        {"first": 40, "id": global_id("Activity", records["draft"].id)},
        **world.headers["author"],
    )
    by_title = {n["title"]: n for n in body["data"]["activities"]["nodes"]}
    haircut = by_title["义务理发"]
    assert haircut["volunteerHours"] == "1.5"
    assert haircut["durationMinutes"] == 180
    assert sorted((p["category"], p["count"]) for p in haircut["problems"]) == [
        ("FIRE", 1),
        ("SANITATION", 2),
        ("SECURITY", 3),
    ]
    assert {p["label"] for p in haircut["problems"]} == {"环境卫生", "消防隐患", "治安隐患"}
    assert [p["url"] for p in haircut["photos"]] == sorted(p["url"] for p in haircut["photos"])
    assert by_title["调解楼上漏水纠纷"]["durationMinutes"] == 0
    assert body["data"]["one"]["durationMinutes"] == 120
    assert body["data"]["one"]["volunteerHours"] is None
    assert body["data"]["one"]["photos"][0]["url"].startswith("/photos/")
