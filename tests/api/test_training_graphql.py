"""The training operations added with the pages, through GraphQL: cohorts created and edited with
every error as a userError, the 待核实 year exposed, one-to-one coaching, and the waiting list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from domain.access import Role
from domain.leaders.models import Cohort, Enrolment, EnrolmentStatus, TrainingSession
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.factories import build_tree
from tests.factories_leaders import build_training, enrol, now

COHORT_CREATE = """mutation ($i: CohortCreateInput!) {
  cohortCreate(input: $i) {
    cohort { id name year yearUnverified minAttendanceShare }
    userErrors { field code message } } }"""


async def _bureau() -> dict[str, str]:
    return await bearer(await make_user("bureau.gql", Role.BUREAU_STAFF), "write:activities")


async def test_cohorts_are_created_with_every_error_reported_and_the_year_flag(
    client: httpx.AsyncClient,
) -> None:
    headers = await _bureau()
    # WHEN the input has a blank name, a year out of range and a share above 1
    bad = {"name": " ", "year": 1990, "minAttendanceShare": "1.5"}
    body = await gql(client, COHORT_CREATE, headers=headers, i=bad)
    # THEN each comes back as a userError naming its field
    payload = body["data"]["cohortCreate"]
    assert payload["cohort"] is None
    assert [e["field"] for e in payload["userErrors"]] == [["name"], ["year"], ["minAttendanceShare"]]
    # WHEN a year inferred from "去年" is flagged, THEN the cohort exposes it
    good = {"name": "第三期", "year": 2027, "minAttendanceShare": "0.75", "yearUnverified": True}
    body = await gql(client, COHORT_CREATE, headers=headers, i=good)
    cohort = body["data"]["cohortCreate"]["cohort"]
    assert (cohort["year"], cohort["yearUnverified"], cohort["minAttendanceShare"]) == (2027, True, "0.750")
    # ... and editing it clears the flag
    stored = await Cohort.get(name="第三期")
    update = """mutation ($i: CohortUpdateInput!) {
      cohortUpdate(input: $i) { cohort { yearUnverified } userErrors { code } } }"""
    body = await gql(
        client, update, headers=headers, i={"id": global_id("Cohort", stored.id), "yearUnverified": False}
    )
    assert body["data"]["cohortUpdate"] == {"cohort": {"yearUnverified": False}, "userErrors": []}
    # ... and the public list of cohorts shows the flag too
    body = await gql(client, "{ cohorts { name yearUnverified } }")
    assert {"name": "第三期", "yearUnverified": False} in body["data"]["cohorts"]


async def test_coaching_is_one_to_one_through_the_api(client: httpx.AsyncClient) -> None:
    headers = await _bureau()
    cohort = await Cohort.create(name="辅导期", year=2027)
    starts = now() + timedelta(days=3)
    base: dict[str, Any] = {
        "cohortId": global_id("Cohort", cohort.id),
        "sessionType": "CASE_COACHING",
        "title": "个案辅导：一对一",
        "startsAt": starts.isoformat(),
        "endsAt": (starts + timedelta(hours=1)).isoformat(),
        "venue": "督导室",
        "facilitator": "沈督导",
        "hours": "1.0",
    }
    create = """mutation ($i: SessionCreateInput!) {
      sessionCreate(input: $i) { session { capacity oneToOne } userErrors { field code message } } }"""
    body = await gql(client, create, headers=headers, i={**base, "capacity": 8})
    [error] = body["data"]["sessionCreate"]["userErrors"]
    assert (error["field"], error["code"]) == (["capacity"], "ONE_TO_ONE")
    body = await gql(client, create, headers=headers, i=base)
    assert body["data"]["sessionCreate"]["session"] == {"capacity": 1, "oneToOne": True}


async def test_a_full_session_takes_a_waiting_list_through_the_api(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    training = await build_training(tree, leaders=2, required=1, elective=0)
    session = training.sessions[0]
    await TrainingSession.filter(id=session.id).update(capacity=1)
    await enrol(session, training.leaders[0].leader)
    me = training.leaders[1]
    headers = await bearer(me.user, "write:activities")
    ids = {
        "sessionId": global_id("TrainingSession", session.id),
        "leaderId": global_id("MicroLeader", me.leader.id),
    }
    enrol_q = """mutation ($i: EnrolmentInput!) { sessionEnrol(input: $i) { userErrors { code message } } }"""
    body = await gql(client, enrol_q, headers=headers, i=ids)
    assert body["data"]["sessionEnrol"]["userErrors"] == [
        {"code": "SESSION_FULL", "message": "名额已满，可以登记候补"}
    ]
    wait_q = """mutation ($i: EnrolmentInput!) {
      sessionJoinWaitlist(input: $i) { waiting session { seatsLeft } userErrors { code } } }"""
    body = await gql(client, wait_q, headers=headers, i=ids)
    assert body["data"]["sessionJoinWaitlist"] == {
        "waiting": True,
        "session": {"seatsLeft": 0},
        "userErrors": [],
    }
    stored = await Enrolment.get(session_id=session.id, leader_id=me.leader.id)
    assert stored.status is EnrolmentStatus.WAITING
