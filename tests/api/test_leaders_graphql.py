"""Micro-leaders and training over GraphQL: directory, cell leaders, the training plan, and the
mutations of the leader lifecycle, enrolment and check-in."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from domain.access import Role
from domain.leaders.models import Attendance, LeaderStatus, MicroLeader, TrainingSession
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.conftest import SqlLog
from tests.factories import build_tree
from tests.factories_leaders import build_training, enrol, make_cohort, make_session, nominate, start_session

LEADERS = """
query ($first: Int, $filter: MicroLeaderFilter) {
  microLeaders(first: $first, filter: $filter) {
    totalCount
    nodes { name sourceRoleLabel statusLabel cohort { name } homeCell { code name } }
  }
}
"""

CELL_LEADERS = """
query ($first: Int) {
  gridCells(filter: {kind: MICRO_GRID}, first: $first) { nodes { code leaders { name status } } }
}
"""

COHORT = """
query ($id: ID!) {
  cohort(id: $id) {
    name minAttendanceShare
    statusCounts { status count }
    sessions { title typeLabel capacity enrolledCount seatsLeft required enrolledLeaders { name } }
  }
}
"""

PROGRESS = (
    "query ($id: ID!) { microLeader(id: $id) { name progress { requiredTotal requiredAttended met } } }"
)

NOMINATE = """
mutation ($input: LeaderNominateInput!) {
  leaderNominate(input: $input) { leader { name status homeCell { code } } userErrors { field code message } }
}
"""

WITHDRAW = """
mutation ($input: LeaderReasonInput!) {
  leaderWithdraw(input: $input) { leader { status statusReason } userErrors { code field } }
}
"""

ENROL = """
mutation ($input: EnrolmentInput!) {
  sessionEnrol(input: $input) {
    session { enrolledCount seatsLeft } leader { status } userErrors { code message }
  }
}
"""

OPEN = """
mutation ($input: SessionOpenCheckInInput!) {
  sessionOpenCheckIn(input: $input) { code checkInUrl qrSvg session { checkInOpen } userErrors { code } }
}
"""

CHECK_IN = """
mutation ($input: SessionCheckInInput!) {
  sessionCheckIn(input: $input) { present checkedInAt userErrors { code message } }
}
"""

CORRECT = """
mutation ($input: AttendanceCorrectInput!) {
  attendanceCorrect(input: $input) { present userErrors { code field } }
}
"""


async def _bureau() -> dict[str, str]:
    return await bearer(await make_user("bureau.gql", Role.BUREAU_STAFF), "write:activities")


async def test_the_directory_masks_names_for_the_public(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=2)
    cohort = await make_cohort("首期", year=2019)
    await nominate(cohort, tree.micro_grids[0], name="张建华")
    body = await gql(client, LEADERS, first=10)
    [leader] = body["data"]["microLeaders"]["nodes"]
    assert leader == {
        "name": "张**",
        "sourceRoleLabel": "微网格长",
        "statusLabel": "已提名",
        "cohort": {"name": "首期"},
        "homeCell": {"code": tree.micro_grids[0].code, "name": "1幢"},
    }


@pytest.mark.parametrize("leaders", [3, 12])
async def test_the_directory_costs_the_same_statements_for_any_page(
    client: httpx.AsyncClient, sql_log: SqlLog, leaders: int
) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=4)
    cohort = await make_cohort()
    for i in range(leaders):
        await nominate(cohort, tree.micro_grids[i % 4], name=f"李{i}")
    sql_log.reset()
    # (the resolver path's batching; tests/compiler checks the compiled path's single statement)
    body = await gql(client, LEADERS, headers={"x-linzhi-read-path": "resolvers"}, first=50)
    assert len(body["data"]["microLeaders"]["nodes"]) == leaders
    # page (leaders + persons), total, cohorts, home cells
    assert sql_log.count == 4, sql_log.statements


async def test_cell_leaders_are_batched(client: httpx.AsyncClient, sql_log: SqlLog) -> None:
    tree = await build_tree(grids=2, micro_grids_per_grid=3)
    cohort = await make_cohort()
    for micro in tree.micro_grids:
        await nominate(cohort, micro)
    sql_log.reset()
    # (the resolver path's batching; tests/compiler checks the compiled path's single statement)
    body = await gql(client, CELL_LEADERS, headers={"x-linzhi-read-path": "resolvers"}, first=100)
    nodes = body["data"]["gridCells"]["nodes"]
    assert [len(n["leaders"]) for n in nodes] == [1] * 6
    assert sql_log.count == 2, sql_log.statements


async def test_a_cohort_shows_its_plan_and_counts(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=2)
    training = await build_training(tree, leaders=2, required=2, elective=1)
    await enrol(training.sessions[0], training.leaders[0].leader)
    body = await gql(client, COHORT, id=global_id("Cohort", training.cohort.id))
    cohort = body["data"]["cohort"]
    assert cohort["minAttendanceShare"] == "0.800"
    assert {c["status"]: c["count"] for c in cohort["statusCounts"]}["ENROLLED"] == 1
    first = cohort["sessions"][0]
    assert (first["enrolledCount"], first["seatsLeft"], first["required"]) == (1, 19, True)
    assert [s["required"] for s in cohort["sessions"]] == [True, True, False]
    assert len(first["enrolledLeaders"]) == 1


async def test_bureau_staff_nominate_a_new_person(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    cohort = await make_cohort()
    body = await gql(
        client,
        NOMINATE,
        headers=await _bureau(),
        input={
            "cohortId": global_id("Cohort", cohort.id),
            "homeCellId": global_id("GridCell", tree.micro_grids[0].id),
            "sourceRole": "GROUP_LEADER",
            "name": "陈秀英",
            "mobile": "13957300001",
        },
    )
    assert body["data"]["leaderNominate"] == {
        "leader": {"name": "陈秀英", "status": "NOMINATED", "homeCell": {"code": tree.micro_grids[0].code}},
        "userErrors": [],
    }


async def test_a_resident_cannot_nominate_and_nothing_is_created(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    cohort = await make_cohort()
    resident = await bearer(await make_user("resident.gql", Role.RESIDENT), "write:activities")
    body = await gql(
        client,
        NOMINATE,
        headers=resident,
        input={
            "cohortId": global_id("Cohort", cohort.id),
            "homeCellId": global_id("GridCell", tree.micro_grids[0].id),
            "sourceRole": "GROUP_LEADER",
            "name": "陈秀英",
            "mobile": "13957300001",
        },
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await MicroLeader.all().count() == 0


async def test_a_bad_mobile_is_a_user_error(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    cohort = await make_cohort()
    body = await gql(
        client,
        NOMINATE,
        headers=await _bureau(),
        input={
            "cohortId": global_id("Cohort", cohort.id),
            "homeCellId": global_id("GridCell", tree.micro_grids[0].id),
            "sourceRole": "ORG_LEADER",
            "name": "陈秀英",
            "mobile": "12345",
        },
    )
    assert body["data"]["leaderNominate"]["userErrors"][0]["code"] == "INVALID_MOBILE"
    assert await MicroLeader.all().count() == 0


async def test_withdrawal_needs_a_reason(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    leader = await nominate(await make_cohort(), tree.micro_grids[0])
    headers = await _bureau()
    refused = await gql(
        client, WITHDRAW, headers=headers, input={"id": global_id("MicroLeader", leader.id), "reason": ""}
    )
    assert refused["data"]["leaderWithdraw"]["userErrors"][0]["field"] == ["reason"]
    done = await gql(
        client,
        WITHDRAW,
        headers=headers,
        input={"id": global_id("MicroLeader", leader.id), "reason": "搬离本社区"},
    )
    assert done["data"]["leaderWithdraw"]["leader"] == {"status": "WITHDRAWN", "statusReason": "搬离本社区"}


async def test_the_last_seat_goes_to_one_leader_only(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=2)
    cohort = await make_cohort()
    session = await make_session(cohort, capacity=1)
    first = await nominate(cohort, tree.micro_grids[0], name="甲")
    second = await nominate(cohort, tree.micro_grids[1], name="乙")
    headers = await _bureau()
    ok = await gql(client, ENROL, headers=headers, input=_enrolment(session, first))
    full = await gql(client, ENROL, headers=headers, input=_enrolment(session, second))
    assert ok["data"]["sessionEnrol"]["session"] == {"enrolledCount": 1, "seatsLeft": 0}
    assert ok["data"]["sessionEnrol"]["leader"] == {"status": "ENROLLED"}
    assert full["data"]["sessionEnrol"]["userErrors"][0]["code"] == "SESSION_FULL"
    assert (await TrainingSession.get(id=session.id)).enrolled_count == 1


def _enrolment(session: TrainingSession, leader: MicroLeader) -> dict[str, str]:
    return {
        "sessionId": global_id("TrainingSession", session.id),
        "leaderId": global_id("MicroLeader", leader.id),
    }


async def test_check_in_with_the_code_the_facilitator_shows(client: httpx.AsyncClient) -> None:
    # GIVEN a session under way with an enrolled leader who has an account
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    training = await build_training(tree, leaders=1, required=1, elective=0)
    account = training.leaders[0]
    session = training.sessions[0]
    await enrol(session, account.leader)
    await start_session(session, ago=timedelta(minutes=5))
    # WHEN bureau staff open check-in and the leader types the code
    opened = await gql(
        client, OPEN, headers=await _bureau(), input={"sessionId": global_id("TrainingSession", session.id)}
    )
    payload = opened["data"]["sessionOpenCheckIn"]
    assert payload["session"] == {"checkInOpen": True}
    assert payload["checkInUrl"].endswith(
        f"/training/sessions/{global_id('TrainingSession', session.id)}/check-in"
    )
    assert payload["qrSvg"].startswith("<?xml") or payload["qrSvg"].startswith("<svg")
    leader_headers = await bearer(account.user, "write:activities")
    wrong = await gql(
        client,
        CHECK_IN,
        headers=leader_headers,
        input={
            "sessionId": global_id("TrainingSession", session.id),
            "code": "000000" if payload["code"] != "000000" else "111111",
        },
    )
    right = await gql(
        client,
        CHECK_IN,
        headers=leader_headers,
        input={"sessionId": global_id("TrainingSession", session.id), "code": payload["code"]},
    )
    again = await gql(
        client,
        CHECK_IN,
        headers=leader_headers,
        input={"sessionId": global_id("TrainingSession", session.id), "code": payload["code"]},
    )
    # THEN the wrong code is refused, the right one counts once, and the leader is certified (1 of 1)
    assert wrong["data"]["sessionCheckIn"]["userErrors"][0]["code"] == "WRONG_CODE"
    assert right["data"]["sessionCheckIn"]["present"] is True
    assert again["data"]["sessionCheckIn"]["userErrors"][0]["code"] == "ALREADY_CHECKED_IN"
    assert await Attendance.filter(session_id=session.id).count() == 1
    assert (await MicroLeader.get(id=account.leader.id)).status is LeaderStatus.CERTIFIED
    progress = await gql(
        client, PROGRESS, headers=leader_headers, id=global_id("MicroLeader", account.leader.id)
    )
    assert progress["data"]["microLeader"]["progress"] == {
        "requiredTotal": 1,
        "requiredAttended": 1,
        "met": True,
    }


async def test_progress_is_hidden_from_the_public(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    leader = await nominate(await make_cohort(), tree.micro_grids[0])
    body = await gql(client, PROGRESS, id=global_id("MicroLeader", leader.id))
    assert body["data"]["microLeader"]["progress"] is None


async def test_a_correction_needs_a_reason_and_marks_presence(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    training = await build_training(tree, leaders=1, required=2, elective=0)
    leader = training.leaders[0].leader
    session = training.sessions[0]
    await enrol(session, leader)
    await start_session(session)
    headers = await _bureau()
    ids = {
        "sessionId": global_id("TrainingSession", session.id),
        "leaderId": global_id("MicroLeader", leader.id),
    }
    refused = await gql(client, CORRECT, headers=headers, input={**ids, "present": True, "reason": ""})
    assert refused["data"]["attendanceCorrect"]["userErrors"][0]["field"] == ["reason"]
    done = await gql(
        client, CORRECT, headers=headers, input={**ids, "present": True, "reason": "现场纸质签到"}
    )
    assert done["data"]["attendanceCorrect"] == {"present": True, "userErrors": []}
