"""The activity log over GraphQL: logging, the review cycle, feeds with keyset cursors, photos."""

from __future__ import annotations

import json

import httpx
import pytest

from domain.activities.models import Activity, ActivityPhoto, ActivityStatus, ActivityType
from domain.storage import configure, data_dir, photos_dir
from tests.api.graphql import bearer, global_id, gql
from tests.conftest import SqlLog
from tests.factories_activities import (
    build_cast,
    hours_ago,
    image_bytes,
    insert_activities,
    log_activity,
    submitted_activity,
)

CREATE = """
mutation ($input: ActivityCreateInput!) {
  activityCreate(input: $input) {
    activity {
      id title typeLabel status mediationOutcomeLabel durationMinutes cell { code } leader { status }
    }
    userErrors { field code message }
  }
}
"""

SUBMIT = (
    "mutation ($id: ID!) { activitySubmit(input: {id: $id}) { activity { status } userErrors { code } } }"
)
VERIFY = (
    "mutation ($id: ID!) { activityVerify(input: {id: $id}) { activity { status } userErrors { code } } }"
)
RETURN = """mutation ($id: ID!, $reason: String!) {
  activityReturn(input: {id: $id, reason: $reason}) {
    activity { status returnReason } userErrors { code } } }"""

FEED = """
query ($first: Int, $after: String, $filter: ActivityFilter) {
  activities(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { title status cell { code } leader { name } photos { url } }
  }
}
"""

CELL_FEED = """
query ($code: String!) {
  gridCellByCode(code: $code) { activities(first: 10) { totalCount nodes { title } } } }
"""

QUEUE = "{ verificationQueue(first: 10) { totalCount nodes { title status } } }"

PHOTO = """mutation ($input: ActivityPhotoAddInput!) {
  activityPhotoAdd(input: $input) { photo { url contentType width height } userErrors { code message } } }"""


def _mediation(cell_id: int) -> dict[str, object]:
    return {
        "cellId": global_id("GridCell", cell_id),
        "activityType": "MEDIATION",
        "title": "调解楼上漏水纠纷",
        "startedAt": hours_ago(3).isoformat(),
        "endedAt": hours_ago(2).isoformat(),
        "participants": 3,
        "mediationOutcome": "RESOLVED",
    }


async def test_a_leader_logs_a_mediation_and_staff_verify_it(client: httpx.AsyncClient) -> None:
    # GIVEN a leader and the grid staff over their community, each with a token
    cast = await build_cast()
    leader = await bearer(cast.users["leader.li"], "write:activities")
    staff = await bearer(cast.users["staff.zhou"], "write:activities")
    # WHEN the leader logs and submits, and the staff member verifies
    created = await gql(client, CREATE, headers=leader, input=_mediation(cast.tree.micro_grids[0].id))
    activity = created["data"]["activityCreate"]["activity"]
    assert created["data"]["activityCreate"]["userErrors"] == []
    assert (activity["status"], activity["mediationOutcomeLabel"], activity["durationMinutes"]) == (
        "DRAFT",
        "已化解",
        60,
    )
    assert activity["leader"] == {"status": "ENROLLED"}
    submitted = await gql(client, SUBMIT, headers=leader, id=activity["id"])
    queue = await gql(client, QUEUE, headers=staff)
    verified = await gql(client, VERIFY, headers=staff, id=activity["id"])
    # THEN it went through the queue and is now public
    assert submitted["data"]["activitySubmit"]["activity"]["status"] == "SUBMITTED"
    assert queue["data"]["verificationQueue"]["nodes"] == [
        {"title": "调解楼上漏水纠纷", "status": "SUBMITTED"}
    ]
    assert verified["data"]["activityVerify"]["activity"]["status"] == "VERIFIED"
    # ... and, a mediation, not public unless the verifier says so (the author still sees it)
    public = await gql(client, FEED, first=5)
    assert public["data"]["activities"]["nodes"] == []
    own = await gql(client, FEED, headers=leader, first=5)
    assert [n["title"] for n in own["data"]["activities"]["nodes"]] == ["调解楼上漏水纠纷"]


async def test_a_mediation_without_outcome_is_refused_and_nothing_is_saved(client: httpx.AsyncClient) -> None:
    cast = await build_cast()
    leader = await bearer(cast.users["leader.li"], "write:activities")
    data = {**_mediation(cast.tree.micro_grids[0].id), "mediationOutcome": None}
    body = await gql(client, CREATE, headers=leader, input=data)
    error = body["data"]["activityCreate"]["userErrors"][0]
    assert (error["code"], error["field"]) == ("REQUIRED_FOR_TYPE", ["mediationOutcome"])
    assert await Activity.all().count() == 0


async def test_a_leader_cannot_log_outside_their_home_subtree(client: httpx.AsyncClient) -> None:
    cast = await build_cast()
    leader = await bearer(cast.users["leader.li"], "write:activities")
    body = await gql(client, CREATE, headers=leader, input=_mediation(cast.tree.micro_grids[3].id))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Activity.all().count() == 0


async def test_a_returned_record_shows_its_reason(client: httpx.AsyncClient) -> None:
    cast = await build_cast()
    activity = await submitted_activity(cast.leader, cast.tree.micro_grids[0])
    staff = await bearer(cast.users["staff.zhou"], "write:activities")
    body = await gql(
        client, RETURN, headers=staff, id=global_id("Activity", activity.id), reason="请补充参与人数"
    )
    assert body["data"]["activityReturn"]["activity"] == {
        "status": "RETURNED",
        "returnReason": "请补充参与人数",
    }


async def test_drafts_never_reach_the_public_feed(client: httpx.AsyncClient) -> None:
    cast = await build_cast()
    await log_activity(cast.leader, cast.tree.micro_grids[0], title="草稿")
    await insert_activities(cast.tree.micro_grids[0], 2, author_user_id=cast.leader.user_id or 0)
    body = await gql(client, FEED, first=10)
    assert [n["title"] for n in body["data"]["activities"]["nodes"]] == ["测试活动 0", "测试活动 1"]
    own = await gql(client, FEED, headers=await bearer(cast.users["leader.li"]), first=10)
    assert own["data"]["activities"]["totalCount"] == 3


@pytest.mark.parametrize("rows", [3, 30])
async def test_a_feed_page_costs_the_same_statements(
    client: httpx.AsyncClient, sql_log: SqlLog, rows: int
) -> None:
    cast = await build_cast()
    await insert_activities(
        cast.tree.micro_grids[0], rows, author_user_id=1, leader_id=cast.leader_row.id, details_public=True
    )
    sql_log.reset()
    resolvers = {"x-linzhi-read-path": "resolvers"}  # the DataLoader batching; tests/compiler: one statement
    body = await gql(client, FEED, headers=resolvers, first=50)
    assert len(body["data"]["activities"]["nodes"]) == rows
    # page, total, cells, leaders (with persons), photos
    assert sql_log.count == 5, sql_log.statements


async def test_cursor_pages_stay_stable_when_new_records_arrive(client: httpx.AsyncClient) -> None:
    cast = await build_cast()
    cell = cast.tree.micro_grids[0]
    originals = await insert_activities(cell, 6, author_user_id=1)
    first = (await gql(client, FEED, first=3))["data"]["activities"]
    await insert_activities(cell, 2, author_user_id=1, newest=hours_ago(0.1))
    second = (await gql(client, FEED, first=3, after=first["pageInfo"]["endCursor"]))["data"]["activities"]
    seen = [n["title"] for n in first["nodes"] + second["nodes"]]
    assert seen == [a.title for a in originals]


async def test_a_cell_feed_covers_its_subtree(client: httpx.AsyncClient) -> None:
    cast = await build_cast()
    await insert_activities(cast.tree.micro_grids[0], 2, author_user_id=1)
    await insert_activities(cast.tree.micro_grids[3], 1, author_user_id=1)
    grid = await gql(client, CELL_FEED, code=cast.tree.grids[0].code)
    community = await gql(client, CELL_FEED, code=cast.tree.community.code)
    assert grid["data"]["gridCellByCode"]["activities"]["totalCount"] == 2
    assert community["data"]["gridCellByCode"]["activities"]["totalCount"] == 3


async def test_a_bad_feed_cursor_is_a_clear_error(client: httpx.AsyncClient) -> None:
    body = await gql(client, FEED, first=3, after="bm9wZQ==")
    assert body["errors"][0]["extensions"]["field"] == ["after"]


async def test_photos_upload_over_multipart_without_their_location(
    client: httpx.AsyncClient, tmp_path_factory: pytest.TempPathFactory
) -> None:
    previous = data_dir()
    configure(tmp_path_factory.mktemp("data"))
    try:
        cast = await build_cast()
        activity = await log_activity(cast.leader, cast.tree.micro_grids[0])
        token = await bearer(cast.users["leader.li"], "write:activities")
        variables = {"input": {"activityId": global_id("Activity", activity.id), "file": None}}
        operations = json.dumps({"query": PHOTO, "variables": variables})
        files = {
            "operations": (None, operations),
            "map": (None, json.dumps({"0": ["variables.input.file"]})),
            "0": ("现场.jpg", image_bytes("JPEG"), "image/jpeg"),
        }
        response = await client.post("/graphql", files=files, headers=token)
        payload = response.json()["data"]["activityPhotoAdd"]
        assert payload["userErrors"] == []
        assert payload["photo"]["contentType"] == "image/jpeg"
        stored = await ActivityPhoto.get(activity_id=activity.id)
        assert (photos_dir() / stored.file_name).exists()
        renamed = {**files, "0": ("note.jpg", b"just some text", "image/jpeg")}
        refused = (await client.post("/graphql", files=renamed, headers=token)).json()
        assert refused["data"]["activityPhotoAdd"]["userErrors"][0]["code"] == "UNSUPPORTED_FILE"
        assert await ActivityPhoto.filter(activity_id=activity.id).count() == 1
        assert (await Activity.get(id=activity.id)).status is ActivityStatus.DRAFT
    finally:
        configure(previous)


UNIT_COUNTS = """
query ($town: ID!, $since: DateTime!, $until: DateTime!) {
  activityCountsByUnit(town: $town, since: $since, until: $until) {
    cell { name } total counts { activityType label count }
  }
}
"""


async def test_counts_per_unit_come_from_one_aggregate(client: httpx.AsyncClient, sql_log: SqlLog) -> None:
    # GIVEN verified records in the community and a draft
    cast = await build_cast()
    await insert_activities(cast.tree.micro_grids[0], 3, author_user_id=1)
    await insert_activities(
        cast.tree.micro_grids[2], 2, author_user_id=1, activity_type=ActivityType.MEDIATION
    )
    await log_activity(cast.leader, cast.tree.micro_grids[0], title="草稿")
    # WHEN a client asks for the town's counts per unit over the last day
    sql_log.reset()
    body = await gql(
        client,
        UNIT_COUNTS,
        headers={"x-linzhi-read-path": "resolvers"},  # tests/compiler covers the compiled path
        town=global_id("GridCell", cast.tree.town.id),
        since=hours_ago(24).isoformat(),
        until=hours_ago(0).isoformat(),
    )
    # THEN the community shows its verified records by type, in one aggregate plus the cell lookups
    assert body["data"]["activityCountsByUnit"] == [
        {
            "cell": {"name": "南河头社区"},
            "total": 5,
            "counts": [
                {"activityType": "MEDIATION", "label": "邻里纠纷调解", "count": 2},
                {"activityType": "VISIT", "label": "走访慰问", "count": 3},
            ],
        }
    ]
    assert sql_log.count == 3, sql_log.statements
