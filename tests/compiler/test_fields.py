"""More fields and roots on the compiled read path: activity leaf fields (durations, Decimal
hours, problems, photos), people behind leaders and grid heads (masked per actor), and the
remaining read roots. Each operation: the same JSON as the resolvers, in one statement, for
anonymous, a resident, the author (also the leader themself), grid staff in and out of scope and
bureau staff."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.activities.models import Activity, ActivityPhoto, ActivityType, ProblemCategory
from domain.grids.models import GridCell
from domain.leaders.models import Cohort, SessionType, TrainingSession
from domain.people.models import Person
from tests.api.graphql import global_id
from tests.compiler.conftest import RESOLVERS, App, World, build_world, canonical, compare
from tests.compiler.test_differential import check
from tests.conftest import SqlLog
from tests.factories_activities import hours_ago, submitted_activity, verified_activity
from tests.factories_leaders import make_session

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


PEOPLE = """
query ($leader: ID!, $first: Int) {
  gridCells(first: $first) {
    nodes {
      code
      head { __typename id name mobile residentId masked }
      leaders {
        id name person { id name mobile residentId masked }
        verifiedActivityCounts { __typename activityType label count }
      }
    }
  }
  microLeader(id: $leader) { person { name masked } verifiedActivityCounts { activityType count } }
}
"""


async def test_people_behind_leaders_and_grid_heads_are_masked_alike(app: App, sql_log: SqlLog) -> None:
    # GIVEN leaders with mobiles and resident IDs (one too short to keep digits), grid heads (one
    # of them a leader, one without any contact), and verified records of several types
    world = await build_world()
    await enrich(world)
    cast, micro = world.cast, world.cast.tree.micro_grids
    await Person.filter(id=cast.leader_row.person_id).update(  # type: ignore[attr-defined]
        mobile="13812341234", resident_id="330482199001010027"
    )
    await Person.filter(id=cast.other_leader_row.person_id).update(  # type: ignore[attr-defined]
        mobile="12345", resident_id="33048X"
    )
    plain = await Person.create(name="孙网格长")
    await GridCell.filter(id=micro[0].id).update(head_id=cast.leader_row.person_id)  # type: ignore[attr-defined]
    await GridCell.filter(id=micro[1].id).update(head_id=plain.id)
    await GridCell.filter(id=world.cast.tree.community.id).update(
        head_id=cast.other_leader_row.person_id  # type: ignore[attr-defined]
    )
    # WHEN every actor reads the cells with their heads and leaders, and a leader by id
    for leader in (cast.leader_row, cast.other_leader_row):
        variables = {"leader": global_id("MicroLeader", leader.id), "first": 20}
        await check(app, sql_log, world, PEOPLE, variables)
    # THEN (in `check`) both paths agree; staff see masks, the public sees no contact at all, and
    # the leader themself sees their own in full
    variables = {"leader": global_id("MicroLeader", cast.leader_row.id), "first": 20}
    public = await app.post(PEOPLE, variables)
    staff = await app.post(PEOPLE, variables, **world.headers["staff"])
    own = await app.post(PEOPLE, variables, **world.headers["author"])
    heads = {n["code"]: n["head"] for n in public["data"]["gridCells"]["nodes"]}
    assert heads[micro[0].code]["mobile"] is None
    assert heads[micro[0].code]["residentId"] is None
    assert heads[micro[0].code]["masked"] is True
    staff_heads = {n["code"]: n["head"] for n in staff["data"]["gridCells"]["nodes"]}
    assert staff_heads[micro[0].code]["mobile"] == "138****1234"
    assert staff_heads[micro[0].code]["residentId"] == "330482********0027"
    assert staff_heads[micro[1].code]["mobile"] is None
    own_heads = {n["code"]: n["head"] for n in own["data"]["gridCells"]["nodes"]}
    assert own_heads[micro[0].code]["mobile"] == "13812341234"
    assert own_heads[micro[0].code]["masked"] is False
    counts = own["data"]["microLeader"]["verifiedActivityCounts"]
    assert [(c["activityType"], c["count"]) for c in counts] == [
        ("MEDIATION", 1),
        ("VISIT", 25),
        ("VOLUNTEERING", 1),
    ]


SESSION = """
query ($id: ID!) {
  trainingSession(id: $id) {
    __typename id sessionType typeLabel title startsAt endsAt venue facilitator capacity enrolledCount
    hours required seatsLeft checkInOpen cohort { id name year }
  }
  node(id: $id) { id ... on TrainingSession { title seatsLeft } }
}
"""

ROOTS = """
query ($search: String, $first: Int, $after: String) {
  cohorts { __typename id name year }
  gridKinds { __typename kind label }
  microLeaders(filter: {search: $search}, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { id name person { name } }
  }
}
"""

MINE = """
query ($first: Int, $after: String) {
  myActivities(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id title status durationMinutes } }
  }
}
"""

QUEUE = """
query ($first: Int, $after: String) {
  verificationQueue(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { id title status submittedAt leader { name } cell { code } }
  }
}
"""


async def test_sessions_cohorts_kinds_and_the_directory_match(app: App, sql_log: SqlLog) -> None:
    # GIVEN two cohorts, sessions whose check-in is open, closed or never opened, one overbooked
    world = await build_world()
    cast = world.cast
    cohort = await Cohort.get(id=cast.leader_row.cohort_id)  # type: ignore[attr-defined]
    await Cohort.create(name="测试第二期", year=2027)
    sessions = [
        await make_session(cohort, hours="1.5", capacity=3),
        await make_session(cohort, hours=2, required=False, session_type=SessionType.STUDY_VISIT),
        await make_session(cohort, capacity=1),
    ]
    now = datetime.now(UTC)
    await TrainingSession.filter(id=sessions[0].id).update(check_in_until=now + timedelta(hours=1))
    await TrainingSession.filter(id=sessions[1].id).update(check_in_until=now - timedelta(hours=1))
    await TrainingSession.filter(id=sessions[2].id).update(enrolled_count=4)
    # WHEN every actor reads each session, the cohorts, the grid kinds and the leader directory
    for session in sessions:
        await check(app, sql_log, world, SESSION, {"id": global_id("TrainingSession", session.id)})
    body = await app.post(ROOTS, {"first": 1})
    after = body["data"]["microLeaders"]["pageInfo"]["endCursor"]
    await check(app, sql_log, world, ROOTS, {"first": 1, "after": after})
    await check(app, sql_log, world, ROOTS, {"search": "  "})  # blank: no search, anyone
    # THEN (in `check`) both paths agree, and the values are what a reader expects
    body = await app.post(SESSION, {"id": global_id("TrainingSession", sessions[0].id)})
    assert body["data"]["trainingSession"]["hours"] == "1.5"
    assert body["data"]["trainingSession"]["checkInOpen"] is True
    closed = await app.post(SESSION, {"id": global_id("TrainingSession", sessions[2].id)})
    assert closed["data"]["trainingSession"]["seatsLeft"] == 0
    assert closed["data"]["trainingSession"]["checkInOpen"] is False
    found = await app.post(ROOTS, {}, **world.headers["staff"])
    assert "欧阳娜娜" in [n["name"] for n in found["data"]["microLeaders"]["nodes"]]
    assert [c["name"] for c in found["data"]["cohorts"]] == ["测试第二期", "测试第一期"]


async def check_one(
    app: App, sql_log: SqlLog, world: World, query: str, variables: dict[str, Any], actor: str
) -> None:
    expected, actual, statements = await compare(app, sql_log, query, variables, world.headers[actor])
    assert actual.get("extensions") == {"readPath": "compiled"}, (actor, actual)
    assert canonical(actual) == canonical(expected), actor
    assert statements == 1, (actor, statements)


async def test_the_actors_own_records_match(app: App, sql_log: SqlLog) -> None:
    # GIVEN the world: the author's records in every status
    world = await build_world()
    await enrich(world)
    await submitted_activity(world.cast.leader, world.cast.tree.micro_grids[1], title="第二条待审")
    # WHEN the signed-in actors page through their own records
    for actor in ("resident", "author", "staff", "far_staff", "bureau"):
        await check_one(app, sql_log, world, MINE, {"first": 4}, actor)
        first = await app.post(MINE, {"first": 4}, **world.headers[actor])
        after = first["data"]["myActivities"]["pageInfo"]["endCursor"]
        if after is not None:
            await check_one(app, sql_log, world, MINE, {"first": 4, "after": after}, actor)
    # THEN (in `check_one`) both paths agree
    mine = await app.post(MINE, {"first": 100}, **world.headers["author"])
    assert mine["data"]["myActivities"]["totalCount"] == 30


LEADER_1 = global_id("MicroLeader", 1)
PROGRESS = "query ($leader: ID!) { microLeader(id: $leader) { name progress { share met } } }"


async def test_what_the_resolvers_refuse_or_answer_specially_falls_back(app: App) -> None:
    # GIVEN the world
    world = await build_world()
    cases: list[tuple[str, dict[str, Any], str, str]] = [
        # staff-only reads stay on the resolvers (docs/compiler.md): a name search (PermissionDenied
        # for anyone else), the review queue, certification progress
        (ROOTS, {"search": "欧阳"}, "staff", "staff-only read (name search)"),
        (ROOTS, {"search": "欧阳"}, "resident", "staff-only read (name search)"),
        (QUEUE, {"first": 1}, "staff", "Query.verificationQueue is not compilable"),
        (QUEUE, {"first": 1}, "author", "Query.verificationQueue is not compilable"),
        (
            PROGRESS,
            {"leader": global_id("MicroLeader", 1)},
            "bureau",
            "MicroLeader.progress is not compilable",
        ),
        (MINE, {"first": 1}, "anonymous", "myActivities without a user"),
        (MINE, {"first": -1}, "author", "invalid argument (first: INVALID)"),
        (SESSION, {"id": global_id("Cohort", 1)}, "anonymous", "invalid argument (id: INVALID)"),
    ]
    for query, variables, actor, reason in cases:
        # WHEN the actor asks
        headers = world.headers[actor]
        actual = await app.post(query, variables, **headers)
        expected = await app.post(query, variables, **headers, **RESOLVERS)
        # THEN the resolvers answer (their errors included), and the reason is counted
        assert actual["extensions"] == {"readPath": "resolvers", "fallback": reason}, (query, actor)
        assert canonical(actual) == canonical(expected)
    too_long = await app.post("query ($c: String!) { gridCellByCode(code: $c) { code } }", {"c": "3" * 40})
    assert too_long == {"data": {"gridCellByCode": None}, "extensions": {"readPath": "compiled"}}


async def test_check_in_closes_on_time_for_the_same_request(app: App) -> None:
    # GIVEN a session whose check-in closes in a moment, read once while it is open
    world = await build_world()
    cohort = await Cohort.get(id=world.cast.leader_row.cohort_id)  # type: ignore[attr-defined]
    session = await make_session(cohort)
    closes = datetime.now(UTC) + timedelta(seconds=1)
    await TrainingSession.filter(id=session.id).update(check_in_until=closes)
    variables = {"id": global_id("TrainingSession", session.id)}
    before = await app.post(SESSION, variables)
    # WHEN the same request comes again once it has closed
    await asyncio.sleep(max(0.0, (closes - datetime.now(UTC)).total_seconds()) + 0.05)
    after = await app.post(SESSION, variables)
    # THEN the compiled answer follows the clock (the plan never memoises a clock-read parameter)
    assert before["extensions"] == after["extensions"] == {"readPath": "compiled"}
    assert before["data"]["trainingSession"]["checkInOpen"] is True
    assert after["data"]["trainingSession"]["checkInOpen"] is False
