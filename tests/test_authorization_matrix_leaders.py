"""The micro-leader, training and activity-log mutations with every role and anonymous: outcomes
match docs/permissions.md, and a refusal changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from domain.access import ALL_SCOPES, Role
from domain.activities.models import Activity
from domain.audit.models import AuditEntry
from domain.leaders import training as train
from domain.leaders.models import Attendance, Cohort, Enrolment, MicroLeader, TrainingSession
from domain.permissions import MATRIX, Access
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.factories import BUREAU, Tree, build_tree
from tests.factories_activities import hours_ago, log_activity, submitted_activity, verified_activity
from tests.factories_leaders import LeaderAccount, build_training, enrol, start_session

ACTORS: list[Role | None] = [None, *Role]


@dataclass
class World:
    tree: Tree
    account: LeaderAccount
    cohort_id: int
    started: TrainingSession  # under way, the leader enrolled, check-in open
    upcoming: TrainingSession  # the leader not enrolled yet
    booked: TrainingSession  # upcoming, the leader enrolled
    submitted: Activity  # by the leader, awaiting review
    draft: Activity  # by the leader
    code: str
    verified: Activity | None = None  # by the leader, verified, not public


async def _world() -> World:
    tree = await build_tree(grids=1, micro_grids_per_grid=2)
    training = await build_training(tree, leaders=1, required=3, elective=0)
    account = training.leaders[0]
    started, upcoming, booked = training.sessions
    await enrol(started, account.leader)
    await enrol(booked, account.leader)
    started = await start_session(started)
    window = await train.open_check_in(actor=BUREAU, session_id=started.id, minutes=30)
    activity = await submitted_activity(account.actor, tree.micro_grids[0])
    draft = await log_activity(account.actor, tree.micro_grids[0], title="草稿")
    verified = await verified_activity(account.actor, BUREAU, tree.micro_grids[0], title="已核实的走访")
    return World(
        tree, account, training.cohort.id, started, upcoming, booked, activity, draft, window.code, verified
    )


async def _headers(role: Role | None, world: World) -> dict[str, str]:
    if role is None:
        return {}
    if role is Role.MICRO_LEADER:
        return await bearer(world.account.user, *ALL_SCOPES)
    user = await make_user(f"matrix.{role.value.lower()}", role, cell=world.tree.community)
    return await bearer(user, *ALL_SCOPES)


async def _snapshot() -> tuple[object, ...]:
    return (
        sorted(await MicroLeader.all().values_list("id", "status")),
        sorted(await Cohort.all().values_list("id", "name", "year_unverified")),
        await TrainingSession.all().count(),
        sorted(await Enrolment.all().values_list("id", "status")),
        sorted(await Attendance.all().values_list("leader_id", "present")),
        sorted(await Activity.all().values_list("id", "status", "is_public", "details_public")),
        await AuditEntry.filter(action__startswith="cohort").count()
        + await AuditEntry.filter(action__startswith="leader").count()
        + await AuditEntry.filter(action__startswith="session").count()
        + await AuditEntry.filter(action__startswith="activity").count(),
    )


def _ok(body: dict[str, Any], field: str, result: str) -> bool:
    data = body.get("data") or {}
    return bool(data.get(field) and data[field][result] is not None and not data[field]["userErrors"])


async def _nominate(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($i: LeaderNominateInput!) {
      leaderNominate(input: $i) { leader { id } userErrors { code } } }"""
    data = {
        "cohortId": global_id("Cohort", w.cohort_id),
        "homeCellId": global_id("GridCell", w.tree.micro_grids[1].id),
        "sourceRole": "GROUP_LEADER",
        "name": "新提名",
        "mobile": "13957399999",
    }
    return _ok(await gql(c, query, headers=h, i=data), "leaderNominate", "leader")


async def _certify(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($i: LeaderReasonInput!) {
      leaderCertify(input: $i) { leader { id } userErrors { code } } }"""
    data = {"id": global_id("MicroLeader", w.account.leader.id), "reason": "跨期补修合格"}
    return _ok(await gql(c, query, headers=h, i=data), "leaderCertify", "leader")


async def _create_cohort(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($i: CohortCreateInput!) {
      cohortCreate(input: $i) { cohort { id } userErrors { code } } }"""
    data = {"name": "第九期", "year": 2027, "minAttendanceShare": "0.8", "minHours": "12"}
    return _ok(await gql(c, query, headers=h, i=data), "cohortCreate", "cohort")


async def _update_cohort(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($i: CohortUpdateInput!) {
      cohortUpdate(input: $i) { cohort { id } userErrors { code } } }"""
    data = {"id": global_id("Cohort", w.cohort_id), "yearUnverified": True}
    return _ok(await gql(c, query, headers=h, i=data), "cohortUpdate", "cohort")


async def _join_waitlist(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($i: EnrolmentInput!) {
      sessionJoinWaitlist(input: $i) { session { id } userErrors { code } } }"""
    data = {
        "sessionId": global_id("TrainingSession", w.upcoming.id),
        "leaderId": global_id("MicroLeader", w.account.leader.id),
    }
    return _ok(await gql(c, query, headers=h, i=data), "sessionJoinWaitlist", "session")


async def _create_session(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($i: SessionCreateInput!) {
      sessionCreate(input: $i) { session { id } userErrors { code } } }"""
    starts = hours_ago(-48)
    data = {
        "cohortId": global_id("Cohort", w.cohort_id),
        "sessionType": "WORKSHOP",
        "title": "议事规则工作坊",
        "startsAt": starts.isoformat(),
        "endsAt": (starts + timedelta(hours=2)).isoformat(),
        "venue": "当湖街道社会组织服务中心",
        "facilitator": "周社工",
        "capacity": 20,
        "hours": "2.0",
    }
    return _ok(await gql(c, query, headers=h, i=data), "sessionCreate", "session")


async def _enrol(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($i: EnrolmentInput!) {
      sessionEnrol(input: $i) { session { id } userErrors { code } } }"""
    data = {
        "sessionId": global_id("TrainingSession", w.upcoming.id),
        "leaderId": global_id("MicroLeader", w.account.leader.id),
    }
    return _ok(await gql(c, query, headers=h, i=data), "sessionEnrol", "session")


async def _open_check_in(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($i: SessionOpenCheckInInput!) {
      sessionOpenCheckIn(input: $i) { code userErrors { code } } }"""
    data = {"sessionId": global_id("TrainingSession", w.started.id)}
    return _ok(await gql(c, query, headers=h, i=data), "sessionOpenCheckIn", "code")


async def _check_in(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($i: SessionCheckInInput!) {
      sessionCheckIn(input: $i) { present userErrors { code } } }"""
    data = {"sessionId": global_id("TrainingSession", w.started.id), "code": w.code}
    return _ok(await gql(c, query, headers=h, i=data), "sessionCheckIn", "present")


async def _log(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($i: ActivityCreateInput!) {
      activityCreate(input: $i) { activity { id } userErrors { code } } }"""
    data = {
        "cellId": global_id("GridCell", w.tree.micro_grids[0].id),
        "activityType": "PUBLICITY",
        "title": "宣传防诈骗",
        "startedAt": hours_ago(3).isoformat(),
        "endedAt": hours_ago(2).isoformat(),
    }
    return _ok(await gql(c, query, headers=h, i=data), "activityCreate", "activity")


async def _review(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = (
        """mutation ($id: ID!) { activityVerify(input: {id: $id}) { activity { id } userErrors { code } } }"""
    )
    return _ok(
        await gql(c, query, headers=h, id=global_id("Activity", w.submitted.id)), "activityVerify", "activity"
    )


async def _set_public(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($id: ID!) {
      activitySetPublic(input: {id: $id, public: true}) { activity { id } userErrors { code } } }"""
    assert w.verified is not None
    return _ok(
        await gql(c, query, headers=h, id=global_id("Activity", w.verified.id)),
        "activitySetPublic",
        "activity",
    )


async def _withdraw(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($i: LeaderReasonInput!) {
      leaderWithdraw(input: $i) { leader { id } userErrors { code } } }"""
    data = {"id": global_id("MicroLeader", w.account.leader.id), "reason": "搬离本社区"}
    return _ok(await gql(c, query, headers=h, i=data), "leaderWithdraw", "leader")


async def _update_session(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($i: SessionUpdateInput!) {
      sessionUpdate(input: $i) { session { id } userErrors { code } } }"""
    data = {"id": global_id("TrainingSession", w.upcoming.id), "venue": "乍浦镇天妃社区居民会客厅"}
    return _ok(await gql(c, query, headers=h, i=data), "sessionUpdate", "session")


async def _cancel(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($i: EnrolmentInput!) {
      sessionCancelEnrolment(input: $i) { session { id } userErrors { code } } }"""
    data = {
        "sessionId": global_id("TrainingSession", w.booked.id),
        "leaderId": global_id("MicroLeader", w.account.leader.id),
    }
    return _ok(await gql(c, query, headers=h, i=data), "sessionCancelEnrolment", "session")


async def _correct(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($i: AttendanceCorrectInput!) {
      attendanceCorrect(input: $i) { present userErrors { code } } }"""
    data = {
        "sessionId": global_id("TrainingSession", w.started.id),
        "leaderId": global_id("MicroLeader", w.account.leader.id),
        "present": True,
        "reason": "纸质签到补录",
    }
    return _ok(await gql(c, query, headers=h, i=data), "attendanceCorrect", "present")


async def _edit(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($i: ActivityUpdateInput!) {
      activityUpdate(input: $i) { activity { id } userErrors { code } } }"""
    data = {"id": global_id("Activity", w.draft.id), "title": "改过的标题"}
    return _ok(await gql(c, query, headers=h, i=data), "activityUpdate", "activity")


async def _submit(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($id: ID!) {
      activitySubmit(input: {id: $id}) { activity { id } userErrors { code } } }"""
    return _ok(
        await gql(c, query, headers=h, id=global_id("Activity", w.draft.id)), "activitySubmit", "activity"
    )


async def _return(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
    query = """mutation ($id: ID!) {
      activityReturn(input: {id: $id, reason: "请补充照片"}) { activity { id } userErrors { code } } }"""
    body = await gql(c, query, headers=h, id=global_id("Activity", w.submitted.id))
    return _ok(body, "activityReturn", "activity")


Operation = Callable[[httpx.AsyncClient, dict[str, str], World], Awaitable[bool]]
OPERATIONS: dict[str, tuple[str, Operation]] = {
    "leaderNominate": ("leader.nominate", _nominate),
    "leaderCertify": ("leader.certify", _certify),
    "sessionCreate": ("session.manage", _create_session),
    "cohortCreate": ("cohort.manage", _create_cohort),
    "cohortUpdate": ("cohort.manage", _update_cohort),
    "sessionJoinWaitlist": ("session.enrol", _join_waitlist),
    "sessionEnrol": ("session.enrol", _enrol),
    "sessionOpenCheckIn": ("session.run_check_in", _open_check_in),
    "sessionCheckIn": ("session.check_in", _check_in),
    "activityCreate": ("activity.log", _log),
    "activityVerify": ("activity.review", _review),
    "leaderWithdraw": ("leader.nominate", _withdraw),
    "sessionUpdate": ("session.manage", _update_session),
    "sessionCancelEnrolment": ("session.enrol", _cancel),
    "attendanceCorrect": ("session.run_check_in", _correct),
    "activityUpdate": ("activity.edit", _edit),
    "activitySubmit": ("activity.edit", _submit),
    "activityReturn": ("activity.review", _return),
    "activitySetPublic": ("activity.review", _set_public),
}


def _expected(action: str, role: Role | None) -> bool:
    """Allowed per the matrix; what is one's OWN here always belongs to the leader."""
    access = next(p for p in MATRIX if p.action == action).access(role)
    if access is Access.OWN:
        return role is Role.MICRO_LEADER
    return access in {Access.ALLOWED, Access.IN_SCOPE}


@pytest.mark.parametrize("mutation", sorted(OPERATIONS))
@pytest.mark.parametrize("role", ACTORS, ids=lambda r: "anonymous" if r is None else r.value)
async def test_leader_and_activity_mutations_follow_the_matrix(
    client: httpx.AsyncClient, mutation: str, role: Role | None
) -> None:
    # GIVEN a leader under training with a record awaiting review, and an actor of `role` (staff
    # scoped over the leader's community; the micro-leader is the leader themself)
    world = await _world()
    headers = await _headers(role, world)
    before = await _snapshot()
    action, operation = OPERATIONS[mutation]
    # WHEN the actor attempts the mutation
    allowed = await operation(client, headers, world)
    # THEN the outcome is the documented one, and a refusal changed nothing
    assert allowed is _expected(action, role)
    if not allowed:
        assert await _snapshot() == before
