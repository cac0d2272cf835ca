"""The activity log (民情日志): who logs, what a valid record is, the lifecycle, who sees what, and
the feeds (filters, keyset stability, SQL counts, index use), on both databases."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from domain.access import ANONYMOUS, Actor
from domain.activities import policy, queries, service
from domain.activities.errors import ActivityCode
from domain.activities.models import (
    Activity,
    ActivityStatus,
    ActivityType,
    MediationOutcome,
    ProblemCategory,
)
from domain.audit.models import AuditEntry
from domain.errors import DomainError, ErrorCode, NotFound, PermissionDenied, Unauthenticated, ValidationError
from domain.grids.models import GridCell
from domain.leaders.models import LeaderStatus, MicroLeader
from domain.pagination import PageRequest
from tests.accounts import actor_of
from tests.conftest import SqlLog
from tests.factories import build_tree, cell
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

pytestmark = pytest.mark.usefixtures("db")

ALL = PageRequest(first=100)


async def _audit_actions() -> list[str]:
    return [e.action for e in await AuditEntry.filter(action__startswith="activity.").order_by("seq")]


async def _snapshot(activity_id: int) -> tuple[object, ...]:
    row = await Activity.get(id=activity_id)
    audits = await AuditEntry.filter(action__startswith="activity.").count()
    return row.status, row.title, row.households_reached, row.return_reason, row.updated_at, audits


# --- who logs --------------------------------------------------------------------------------


async def test_a_leader_logs_a_draft_for_a_cell_in_their_home_subtree() -> None:
    # GIVEN a micro-leader at home in grids[0]
    cast = await build_cast()
    micro = cast.tree.micro_grids[1]
    # WHEN they log a visit to one of its micro-grids
    activity = await log_activity(cast.leader, micro)
    # THEN it is a draft filed under their leadership, carrying the cell's path, and audited
    assert activity.status is ActivityStatus.DRAFT
    assert (activity.cell_id, activity.cell_path) == (micro.id, micro.path)
    assert activity.leader_id == cast.leader_row.id
    assert activity.author_user_id == cast.leader.user_id
    assert await _audit_actions() == ["activity.create"]


@pytest.mark.parametrize("where", ["sibling_micro_grid", "sibling_grid", "parent_community"])
async def test_a_leader_cannot_log_outside_their_home_subtree(where: str) -> None:
    cast = await build_cast()
    target = {
        "sibling_micro_grid": cast.tree.micro_grids[2],
        "sibling_grid": cast.tree.grids[1],
        "parent_community": cast.tree.community,
    }[where]
    with pytest.raises(PermissionDenied):
        await log_activity(cast.leader, target)
    assert await Activity.all().count() == 0
    assert await _audit_actions() == []


@pytest.mark.parametrize("status", [LeaderStatus.NOMINATED, LeaderStatus.ENROLLED, LeaderStatus.CERTIFIED])
async def test_nominated_enrolled_and_certified_leaders_may_log(status: LeaderStatus) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    user, leader = await make_leader("leader.x", tree.grids[0], status=status)
    activity = await log_activity(await actor_of(user), tree.micro_grids[0])
    assert activity.leader_id == leader.id


async def test_a_withdrawn_leader_cannot_log() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    user, _ = await make_leader("leader.gone", tree.grids[0], status=LeaderStatus.WITHDRAWN)
    with pytest.raises(PermissionDenied):
        await log_activity(await actor_of(user), tree.micro_grids[0])
    assert await Activity.all().count() == 0


async def test_grid_staff_log_in_their_scope_without_a_leader() -> None:
    cast = await build_cast()
    activity = await log_activity(cast.far_staff, cast.tree.micro_grids[3])
    assert activity.leader_id is None
    assert activity.author_user_id == cast.far_staff.user_id
    with pytest.raises(PermissionDenied):
        await log_activity(cast.far_staff, cast.tree.micro_grids[0])
    assert await Activity.all().count() == 1


async def test_residents_and_anonymous_visitors_cannot_log() -> None:
    cast = await build_cast()
    with pytest.raises(PermissionDenied):
        await log_activity(cast.resident, cast.tree.micro_grids[0])
    with pytest.raises(Unauthenticated):
        await log_activity(ANONYMOUS, cast.tree.micro_grids[0])
    assert await Activity.all().count() == 0


async def test_a_token_needs_the_write_activities_scope() -> None:
    cast = await build_cast()
    user = cast.users["leader.li"]
    read_only = await actor_of(user, scopes=frozenset({"read"}))
    with pytest.raises(PermissionDenied) as raised:
        await log_activity(read_only, cast.tree.micro_grids[0])
    assert "write:activities" in raised.value.message
    assert await Activity.all().count() == 0
    writer = await actor_of(user, scopes=frozenset({"read", "write:activities"}))
    assert (await log_activity(writer, cast.tree.micro_grids[0])).status is ActivityStatus.DRAFT


async def test_log_roots_are_where_the_actor_may_log() -> None:
    cast = await build_cast()
    assert await queries.log_roots(cast.leader) == [cast.tree.grids[0].path]
    assert await queries.log_roots(cast.staff) == [cast.tree.community.path]
    assert await queries.log_roots(cast.resident) == []
    assert await queries.log_roots(ANONYMOUS) == []


async def test_unknown_and_retired_cells_are_refused() -> None:
    cast = await build_cast()
    with pytest.raises(NotFound) as missing:
        await log_activity(cast.leader, cast.tree.micro_grids[0], cell_id=987654)
    assert missing.value.field == ["cellId"]
    await GridCell.filter(id=cast.tree.micro_grids[0].id).update(retired=True)
    with pytest.raises(ValidationError) as retired:
        await log_activity(cast.leader, cast.tree.micro_grids[0])
    assert retired.value.code is ErrorCode.RETIRED
    assert await Activity.all().count() == 0


# --- what a valid record is ------------------------------------------------------------------

NOW_PLUS = datetime.now(UTC) + timedelta(hours=2)

INVALID = [
    ("future_start", {"started_at": NOW_PLUS, "ended_at": NOW_PLUS}, ErrorCode.FUTURE_TIME, "startedAt"),
    ("future_end", {"ended_at": NOW_PLUS}, ErrorCode.FUTURE_TIME, "endedAt"),
    (
        "end_before_start",
        {"started_at": hours_ago(2), "ended_at": hours_ago(3)},
        ErrorCode.END_BEFORE_START,
        "endedAt",
    ),
    ("eight_days", {"started_at": hours_ago(24 * 8 + 1)}, ActivityCode.DURATION_TOO_LONG, "endedAt"),
    ("naive_time", {"started_at": datetime(2026, 1, 1, 9)}, ErrorCode.INVALID, "startedAt"),
    (
        "sixty_one_days_back",
        {"started_at": hours_ago(24 * 61), "ended_at": hours_ago(24 * 61 - 2)},
        ActivityCode.TOO_OLD,
        "startedAt",
    ),
    ("negative_participants", {"participants": -1}, ErrorCode.OUT_OF_RANGE, "participants"),
    ("too_many_households", {"households_reached": 10_001}, ErrorCode.OUT_OF_RANGE, "householdsReached"),
    ("visit_without_households", {"households_reached": 0}, ErrorCode.OUT_OF_RANGE, "householdsReached"),
    ("negative_problems", {"problems": {ProblemCategory.FIRE: -1}}, ErrorCode.OUT_OF_RANGE, "problems"),
    ("too_many_problems", {"problems": {ProblemCategory.FIRE: 1000}}, ErrorCode.OUT_OF_RANGE, "problems"),
    ("blank_title", {"title": "   "}, ErrorCode.INVALID_LENGTH, "title"),
    ("long_title", {"title": "长" * 101}, ErrorCode.INVALID_LENGTH, "title"),
    ("long_narrative", {"narrative": "字" * 5001}, ErrorCode.INVALID_LENGTH, "narrative"),
    (
        "mediation_without_outcome",
        {"activity_type": ActivityType.MEDIATION},
        ActivityCode.REQUIRED_FOR_TYPE,
        "mediationOutcome",
    ),
    (
        "outcome_on_a_visit",
        {"mediation_outcome": MediationOutcome.RESOLVED},
        ErrorCode.NOT_FOR_TYPE,
        "mediationOutcome",
    ),
    (
        "volunteering_without_hours",
        {"activity_type": ActivityType.VOLUNTEERING},
        ActivityCode.REQUIRED_FOR_TYPE,
        "volunteerHours",
    ),
    (
        "zero_hours",
        {"activity_type": ActivityType.VOLUNTEERING, "volunteer_hours": 0},
        ErrorCode.OUT_OF_RANGE,
        "volunteerHours",
    ),
    (
        "hours_not_in_halves",
        {"activity_type": ActivityType.VOLUNTEERING, "volunteer_hours": Decimal("1.2")},
        ErrorCode.OUT_OF_RANGE,
        "volunteerHours",
    ),
    (
        "hours_beyond_the_duration",
        {"activity_type": ActivityType.VOLUNTEERING, "volunteer_hours": Decimal("2.5")},
        ErrorCode.OUT_OF_RANGE,
        "volunteerHours",
    ),
    ("hours_on_a_visit", {"volunteer_hours": Decimal("1")}, ErrorCode.NOT_FOR_TYPE, "volunteerHours"),
]


@pytest.mark.parametrize(
    ("overrides", "code", "path"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
async def test_invalid_records_are_refused_with_a_field_and_nothing_is_stored(
    overrides: dict[str, Any], code: ErrorCode, path: str
) -> None:
    cast = await build_cast()
    with pytest.raises(ValidationError) as raised:
        await log_activity(cast.leader, cast.tree.micro_grids[0], **overrides)
    assert raised.value.code is code
    assert raised.value.field is not None
    assert raised.value.field[0] == path
    assert raised.value.message
    assert await Activity.all().count() == 0
    assert await _audit_actions() == []


async def test_a_leader_logs_up_to_60_days_back_and_staff_covering_the_cell_enter_older_paper_logs() -> None:
    cast = await build_cast()
    micro = cast.tree.micro_grids[0]
    back = {"started_at": hours_ago(24 * 59), "ended_at": hours_ago(24 * 59 - 2)}
    assert (await log_activity(cast.leader, micro, **back)).started_at < hours_ago(24 * 58)
    paper_log = {
        "started_at": datetime(2016, 1, 1, 9, tzinfo=UTC),
        "ended_at": datetime(2016, 1, 1, 11, tzinfo=UTC),
    }
    assert (await log_activity(cast.staff, micro, **paper_log)).started_at.year == 2016


async def test_the_age_limit_counts_from_when_a_record_was_first_made() -> None:
    # GIVEN a record made 30 days ago about an activity 50 days before it, returned for a fix
    cast = await build_cast()
    micro = cast.tree.micro_grids[0]
    activity = await returned_activity(cast.leader, cast.staff, micro)
    made = datetime.now(UTC) - timedelta(days=30)
    await Activity.filter(id=activity.id).update(
        created_at=made,
        started_at=made - timedelta(days=50),
        ended_at=made - timedelta(days=50) + timedelta(hours=1),
    )
    # WHEN the leader edits it today THEN the old start still stands (80 days back from today)
    edited = await service.update_activity(
        actor=cast.leader, activity_id=activity.id, title="补充走访户数后的记录"
    )
    assert edited.title == "补充走访户数后的记录"
    # BUT moving it further back than 60 days before it was made is refused
    with pytest.raises(ValidationError) as moved:
        await service.update_activity(
            actor=cast.leader,
            activity_id=activity.id,
            started_at=made - timedelta(days=61),
            ended_at=made - timedelta(days=61) + timedelta(hours=1),
        )
    assert moved.value.code is ActivityCode.TOO_OLD


async def test_valid_type_specific_records_are_cleaned() -> None:
    cast = await build_cast()
    micro = cast.tree.micro_grids[0]
    shanghai = timezone(timedelta(hours=8))
    mediation = await log_activity(
        cast.leader,
        micro,
        activity_type=ActivityType.MEDIATION,
        title="  调解  停车位纠纷 ",
        mediation_outcome=MediationOutcome.PARTLY,
        households_reached=0,
        problems={ProblemCategory.DISPUTE: 1, ProblemCategory.FIRE: 0},
        started_at=hours_ago(3).astimezone(shanghai),
        ended_at=datetime.now(UTC) + timedelta(minutes=2),  # within the clock skew
    )
    assert mediation.title == "调解 停车位纠纷"
    assert mediation.problems == {"DISPUTE": 1}
    assert mediation.started_at.utcoffset() == timedelta(0)
    volunteering = await log_activity(
        cast.leader, micro, activity_type=ActivityType.VOLUNTEERING, volunteer_hours=1.5
    )
    stored = await Activity.get(id=volunteering.id)
    assert stored.volunteer_hours == Decimal("1.5")
    assert stored.mediation_outcome is None


# --- lifecycle -------------------------------------------------------------------------------


async def test_submit_then_verify_by_grid_staff_of_the_subtree() -> None:
    cast = await build_cast()
    draft = await log_activity(cast.leader, cast.tree.micro_grids[0])
    submitted = await service.submit_activity(actor=cast.leader, activity_id=draft.id)
    assert submitted.status is ActivityStatus.SUBMITTED
    assert submitted.submitted_at is not None
    verified = await service.verify_activity(actor=cast.staff, activity_id=draft.id)
    stored = await Activity.get(id=draft.id)
    assert stored.status is verified.status is ActivityStatus.VERIFIED
    assert stored.verified_at is not None
    assert stored.reviewed_by_user_id == cast.staff.user_id
    assert await _audit_actions() == ["activity.create", "activity.submit", "activity.verify"]


async def test_bureau_staff_verify_anywhere() -> None:
    cast = await build_cast()
    activity = await submitted_activity(cast.leader, cast.tree.micro_grids[0])
    verified = await service.verify_activity(actor=cast.bureau, activity_id=activity.id)
    assert verified.status is ActivityStatus.VERIFIED


async def test_a_verified_record_is_immutable() -> None:
    cast = await build_cast()
    activity = await verified_activity(cast.leader, cast.staff, cast.tree.micro_grids[0])
    before = await _snapshot(activity.id)
    with pytest.raises(DomainError) as edit:
        await service.update_activity(actor=cast.leader, activity_id=activity.id, title="改过的标题")
    assert edit.value.code is ActivityCode.NOT_EDITABLE
    assert "已核实" in edit.value.message
    attempts: list[Callable[[], Awaitable[Activity]]] = [
        lambda: service.submit_activity(actor=cast.leader, activity_id=activity.id),
        lambda: service.verify_activity(actor=cast.staff, activity_id=activity.id),
        lambda: service.return_activity(actor=cast.staff, activity_id=activity.id, reason="再看看"),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError) as raised:
            await attempt()
        assert raised.value.code is ErrorCode.INVALID_TRANSITION
        assert "已核实" in raised.value.message
    assert await _snapshot(activity.id) == before


async def test_illegal_transitions_are_refused_and_change_nothing() -> None:
    cast = await build_cast()
    draft = await log_activity(cast.leader, cast.tree.micro_grids[0])
    before = await _snapshot(draft.id)
    attempts: list[Callable[[], Awaitable[Activity]]] = [
        lambda: service.verify_activity(actor=cast.staff, activity_id=draft.id),
        lambda: service.return_activity(actor=cast.staff, activity_id=draft.id, reason="不对"),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError) as raised:
            await attempt()
        assert raised.value.code is ErrorCode.INVALID_TRANSITION
    assert await _snapshot(draft.id) == before
    await service.submit_activity(actor=cast.leader, activity_id=draft.id)
    submitted = await _snapshot(draft.id)
    with pytest.raises(DomainError) as again:
        await service.submit_activity(actor=cast.leader, activity_id=draft.id)
    assert again.value.code is ErrorCode.INVALID_TRANSITION
    with pytest.raises(DomainError) as edit:
        await service.update_activity(actor=cast.leader, activity_id=draft.id, title="审核中修改")
    assert edit.value.code is ActivityCode.NOT_EDITABLE
    assert await _snapshot(draft.id) == submitted


async def test_nobody_verifies_their_own_record() -> None:
    # GIVEN grid staff who logged and submitted a record in their own scope
    cast = await build_cast()
    own = await submitted_activity(cast.staff, cast.tree.micro_grids[0])
    before = await _snapshot(own.id)
    # WHEN they try to verify or return it THEN they are refused and nothing changes
    with pytest.raises(PermissionDenied) as verify:
        await service.verify_activity(actor=cast.staff, activity_id=own.id)
    assert "自己" in verify.value.message
    with pytest.raises(PermissionDenied):
        await service.return_activity(actor=cast.staff, activity_id=own.id, reason="自己退回")
    assert await _snapshot(own.id) == before
    # AND someone else covering the cell may
    assert (
        await service.verify_activity(actor=cast.bureau, activity_id=own.id)
    ).status is ActivityStatus.VERIFIED


async def test_reviewers_outside_the_subtree_and_leaders_cannot_review() -> None:
    cast = await build_cast()
    activity = await submitted_activity(cast.leader, cast.tree.micro_grids[0])
    before = await _snapshot(activity.id)
    # a submitted record outside their subtree does not exist for them (404 before 403)
    for outsider in (cast.far_staff, cast.other_leader, cast.resident):
        with pytest.raises(NotFound):
            await service.verify_activity(actor=outsider, activity_id=activity.id)
    with pytest.raises(PermissionDenied):
        await service.verify_activity(actor=cast.leader, activity_id=activity.id)
    read_only = await actor_of(cast.users["staff.zhou"], scopes=frozenset({"read"}))
    with pytest.raises(PermissionDenied):
        await service.verify_activity(actor=read_only, activity_id=activity.id)
    assert await _snapshot(activity.id) == before


async def test_return_edit_and_resubmit() -> None:
    cast = await build_cast()
    activity = await submitted_activity(cast.leader, cast.tree.micro_grids[0])
    # WHEN staff return it with a reason
    returned = await service.return_activity(
        actor=cast.staff, activity_id=activity.id, reason="  请补充 走访户数 "
    )
    assert returned.status is ActivityStatus.RETURNED
    # THEN the author's page lists it with the reason
    waiting = await queries.returned_for_author(cast.leader.user_id or 0)
    assert [(a.id, a.return_reason) for a in waiting] == [(activity.id, "请补充 走访户数")]
    # WHEN the author edits it (it stays returned) and submits again
    edited = await service.update_activity(actor=cast.leader, activity_id=activity.id, households_reached=7)
    assert (edited.status, edited.households_reached) == (ActivityStatus.RETURNED, 7)
    resubmitted = await service.submit_activity(actor=cast.leader, activity_id=activity.id)
    assert resubmitted.status is ActivityStatus.SUBMITTED
    assert await queries.returned_for_author(cast.leader.user_id or 0) == []
    # THEN it can be verified, and every step was audited
    await service.verify_activity(actor=cast.staff, activity_id=activity.id)
    assert await _audit_actions() == [
        "activity.create",
        "activity.submit",
        "activity.return",
        "activity.update",
        "activity.submit",
        "activity.verify",
    ]
    entry = await AuditEntry.get(action="activity.return")
    assert entry.summary == {"reason": "请补充 走访户数"}


async def test_a_return_needs_a_reason() -> None:
    cast = await build_cast()
    activity = await submitted_activity(cast.leader, cast.tree.micro_grids[0])
    before = await _snapshot(activity.id)
    with pytest.raises(ValidationError) as blank:
        await service.return_activity(actor=cast.staff, activity_id=activity.id, reason="   ")
    assert (blank.value.code, blank.value.field) == (ErrorCode.REASON_REQUIRED, ["reason"])
    with pytest.raises(ValidationError) as long:
        await service.return_activity(actor=cast.staff, activity_id=activity.id, reason="长" * 201)
    assert long.value.code is ErrorCode.INVALID_LENGTH
    assert await _snapshot(activity.id) == before


async def test_only_the_author_edits() -> None:
    cast = await build_cast()
    draft = await log_activity(cast.leader, cast.tree.micro_grids[0])
    before = await _snapshot(draft.id)
    with pytest.raises(NotFound):  # another leader cannot even see the draft
        await service.update_activity(actor=cast.other_leader, activity_id=draft.id, title="别人改")
    with pytest.raises(PermissionDenied):  # staff see it but do not write other people's records
        await service.update_activity(actor=cast.staff, activity_id=draft.id, title="网格员改")
    with pytest.raises(PermissionDenied):
        await service.submit_activity(actor=cast.staff, activity_id=draft.id)
    assert await _snapshot(draft.id) == before


async def test_an_edit_is_validated_as_a_whole_and_may_move_within_the_subtree() -> None:
    cast = await build_cast()
    draft = await log_activity(cast.leader, cast.tree.micro_grids[0])
    before = await _snapshot(draft.id)
    with pytest.raises(ValidationError) as raised:
        await service.update_activity(
            actor=cast.leader, activity_id=draft.id, activity_type=ActivityType.MEDIATION
        )
    assert raised.value.code is ActivityCode.REQUIRED_FOR_TYPE
    with pytest.raises(PermissionDenied):
        await service.update_activity(
            actor=cast.leader, activity_id=draft.id, cell_id=cast.tree.micro_grids[2].id
        )
    assert await _snapshot(draft.id) == before
    moved = await service.update_activity(
        actor=cast.leader,
        activity_id=draft.id,
        cell_id=cast.tree.micro_grids[1].id,
        activity_type=ActivityType.MEDIATION,
        mediation_outcome=MediationOutcome.RESOLVED,
    )
    stored = await Activity.get(id=draft.id)
    assert stored.cell_path == cast.tree.micro_grids[1].path == moved.cell_path
    assert stored.mediation_outcome is MediationOutcome.RESOLVED
    entry = await AuditEntry.get(action="activity.update")
    assert entry.summary == {"fields": ["activity_type", "cell_id", "cell_path", "mediation_outcome"]}


async def test_a_withdrawn_leader_cannot_submit_their_draft() -> None:
    cast = await build_cast()
    draft = await log_activity(cast.leader, cast.tree.micro_grids[0])
    await MicroLeader.filter(id=cast.leader_row.id).update(status=LeaderStatus.WITHDRAWN)
    with pytest.raises(PermissionDenied):
        await service.submit_activity(actor=cast.leader, activity_id=draft.id)
    assert (await Activity.get(id=draft.id)).status is ActivityStatus.DRAFT


# --- visibility ------------------------------------------------------------------------------


async def _one_of_each(cast: Cast) -> dict[ActivityStatus, Activity]:
    micro = cast.tree.micro_grids[0]
    return {
        ActivityStatus.DRAFT: await log_activity(cast.leader, micro, title="草稿"),
        ActivityStatus.SUBMITTED: await submitted_activity(cast.leader, micro, title="待审"),
        ActivityStatus.RETURNED: await returned_activity(cast.leader, cast.staff, micro, title="退回"),
        ActivityStatus.VERIFIED: await verified_activity(
            cast.leader, cast.staff, micro, title="核实", public=True
        ),
    }


async def test_drafts_never_reach_public_feeds() -> None:
    cast = await build_cast()
    records = await _one_of_each(cast)
    verified_only = {records[ActivityStatus.VERIFIED].id}
    everything = {a.id for a in records.values()}
    expected = {
        "anonymous": (ANONYMOUS, verified_only),
        "resident": (cast.resident, verified_only),
        "other leader": (cast.other_leader, verified_only),
        "staff of another grid": (cast.far_staff, verified_only),
        "author": (cast.leader, everything),
        "staff of the subtree": (cast.staff, everything),
        "bureau": (cast.bureau, everything),
    }
    for who, (actor, ids) in expected.items():
        page = await queries.activity_feed(actor, queries.FeedFilter(), ALL)
        assert {a.id for a in page.items} == ids, who
        assert await queries.activities_count(actor, queries.FeedFilter()) == len(ids), who


async def test_can_view_and_the_sql_filter_agree_for_every_actor_and_record() -> None:
    cast = await build_cast()
    records = list((await _one_of_each(cast)).values())
    records.append(await log_activity(cast.far_staff, cast.tree.micro_grids[3], title="网格员草稿"))
    actors = [
        ANONYMOUS,
        cast.resident,
        cast.leader,
        cast.other_leader,
        cast.staff,
        cast.far_staff,
        cast.bureau,
    ]
    for actor in actors:
        visible = await queries.activities_by_ids(actor, [a.id for a in records])
        assert set(visible) == {a.id for a in records if policy.can_view(actor, a)}, actor.display_name


async def test_a_hidden_record_is_not_found_for_the_viewer() -> None:
    cast = await build_cast()
    draft = await log_activity(cast.leader, cast.tree.micro_grids[0])
    with pytest.raises(NotFound):
        await queries.activity_for_viewer(ANONYMOUS, draft.id)
    assert (await queries.activity_for_viewer(cast.staff, draft.id)).id == draft.id


# --- feeds -----------------------------------------------------------------------------------


async def test_feed_filters() -> None:
    cast = await build_cast()
    micro = cast.tree.micro_grids
    visit = await verified_activity(
        cast.leader, cast.staff, micro[0], started_at=hours_ago(50), ended_at=hours_ago(49), public=True
    )
    mediation = await verified_activity(
        cast.leader,
        cast.staff,
        micro[1],
        activity_type=ActivityType.MEDIATION,
        mediation_outcome=MediationOutcome.RESOLVED,
        started_at=hours_ago(30),
        ended_at=hours_ago(29),
        public=True,
    )
    far = await verified_activity(
        cast.other_leader, cast.staff, micro[2], started_at=hours_ago(10), ended_at=hours_ago(9), public=True
    )
    draft = await log_activity(cast.leader, micro[0], started_at=hours_ago(5), ended_at=hours_ago(4))

    async def ids(actor: Actor, **criteria: Any) -> list[int]:
        page = await queries.activity_feed(actor, queries.FeedFilter(**criteria), ALL)
        return [a.id for a in page.items]

    assert await ids(ANONYMOUS) == [far.id, mediation.id, visit.id]  # newest first
    assert await ids(ANONYMOUS, subtree_path=cast.tree.grids[0].path) == [mediation.id, visit.id]
    assert await ids(cast.staff, cell_id=micro[2].id) == [far.id]
    assert await ids(ANONYMOUS, cell_id=micro[2].id) == []  # a micro-grid filter shows the public nothing
    assert await ids(cast.staff, leader_id=cast.leader_row.id) == [draft.id, mediation.id, visit.id]
    # (the public gets a leader's records only where their details, the recorder among them, are public)
    assert await ids(ANONYMOUS, leader_id=cast.leader_row.id) == []
    assert await ids(ANONYMOUS, types=(ActivityType.MEDIATION,)) == [mediation.id]
    assert await ids(cast.staff, statuses=(ActivityStatus.DRAFT,)) == [draft.id]
    assert await ids(ANONYMOUS, statuses=(ActivityStatus.DRAFT,)) == []
    assert await ids(ANONYMOUS, since=hours_ago(40), until=hours_ago(20)) == [mediation.id]
    count = await queries.activities_count(
        ANONYMOUS, queries.FeedFilter(subtree_path=cast.tree.grids[0].path)
    )
    assert count == 2


async def test_my_activities_and_the_verification_queue() -> None:
    cast = await build_cast()
    micro = cast.tree.micro_grids
    first = await submitted_activity(cast.leader, micro[0], started_at=hours_ago(2), ended_at=hours_ago(1))
    second = await submitted_activity(
        cast.other_leader, micro[2], started_at=hours_ago(20), ended_at=hours_ago(19)
    )
    own = await submitted_activity(cast.staff, micro[1])
    draft = await log_activity(cast.leader, micro[1], started_at=hours_ago(1), ended_at=hours_ago(1))
    mine = await queries.my_activities(cast.leader, ALL)
    assert [a.id for a in mine.items] == [draft.id, first.id]
    # the queue is first submitted, first served, within the reviewer's subtree, without their own
    queue = await queries.verification_queue(cast.staff, ALL)
    assert [a.id for a in queue.items] == [first.id, second.id]
    assert await queries.verification_queue_count(cast.staff) == 2
    far_queue = await queries.verification_queue(cast.far_staff, ALL)
    assert [a.id for a in far_queue.items] == [second.id]
    bureau_queue = await queries.verification_queue(cast.bureau, ALL)
    assert [a.id for a in bureau_queue.items] == [first.id, second.id, own.id]
    with pytest.raises(PermissionDenied):
        await queries.verification_queue(cast.leader, ALL)


async def test_keyset_pages_neither_repeat_nor_skip_when_rows_arrive_between_pages() -> None:
    # GIVEN 9 verified records, three of them sharing one start time (the id breaks the tie)
    cast = await build_cast()
    micro = cast.tree.micro_grids[0]
    author = cast.leader.user_id or 0
    top = hours_ago(100)
    originals = await insert_activities(micro, 6, author_user_id=author, newest=top, step=timedelta(hours=2))
    originals += await insert_activities(
        micro, 3, author_user_id=author, newest=top - timedelta(hours=3), step=timedelta(0)
    )
    originals.sort(key=lambda a: (a.started_at, a.id), reverse=True)
    first = await queries.activity_feed(ANONYMOUS, queries.FeedFilter(), PageRequest(first=4))
    assert [a.id for a in first.items] == [a.id for a in originals[:4]]
    # WHEN newer rows and rows between already-seen ones arrive before page 2 is fetched
    await insert_activities(micro, 3, author_user_id=author, newest=hours_ago(1))
    await insert_activities(
        micro, 2, author_user_id=author, newest=top - timedelta(minutes=30), step=timedelta(hours=2)
    )
    # THEN walking on from the cursor shows every original row exactly once, in order
    seen, page = list(first.items), first
    while page.has_next:
        page = await queries.activity_feed(
            ANONYMOUS, queries.FeedFilter(), PageRequest(first=4, after=page.key_of(page.items[-1]))
        )
        seen += page.items
    original_ids = {a.id for a in originals}
    assert [a.id for a in seen if a.id in original_ids] == [a.id for a in originals]
    assert len({a.id for a in seen}) == len(seen)
    keys = [(a.started_at, a.id) for a in seen]
    assert keys == sorted(keys, reverse=True)
    # AND paging backwards from the last row returns the page before it
    back = await queries.activity_feed(
        ANONYMOUS, queries.FeedFilter(), PageRequest(last=3, before=page.key_of(seen[-1]))
    )
    assert [a.id for a in back.items] == [a.id for a in seen[-4:-1]]
    assert back.has_previous


@pytest.mark.parametrize("rows", [5, 50])
async def test_a_feed_page_costs_two_statements_however_many_rows(rows: int, sql_log: SqlLog) -> None:
    cast = await build_cast()
    await insert_activities(cast.tree.micro_grids[0], rows, author_user_id=cast.leader.user_id or 0)
    sql_log.reset()
    page = await queries.activity_feed(
        cast.staff, queries.FeedFilter(subtree_path=cast.tree.community.path), PageRequest(first=rows)
    )
    await queries.photos_of(a.id for a in page.items)
    assert len(page.items) == rows
    assert sql_log.count == 2, sql_log.statements


async def test_verified_counts_by_type_per_leader_in_one_statement(sql_log: SqlLog) -> None:
    cast = await build_cast()
    micro = cast.tree.micro_grids
    leader_id, other_id = cast.leader_row.id, cast.other_leader_row.id
    author = cast.leader.user_id or 0
    await insert_activities(micro[0], 3, author_user_id=author, leader_id=leader_id)
    await insert_activities(
        micro[0], 2, author_user_id=author, leader_id=leader_id, activity_type=ActivityType.ENVIRONMENT
    )
    await insert_activities(
        micro[0], 4, author_user_id=author, leader_id=leader_id, status=ActivityStatus.SUBMITTED
    )
    sql_log.reset()
    counts = await queries.verified_counts_by_type([leader_id, other_id])
    assert sql_log.count == 1
    assert counts == {leader_id: {ActivityType.VISIT: 3, ActivityType.ENVIRONMENT: 2}, other_id: {}}


async def test_counts_by_type_for_units_is_one_statement(sql_log: SqlLog) -> None:
    # GIVEN verified records in the community's micro-grids, the village, on the town cell itself,
    # a draft, and one outside the period
    cast = await build_cast()
    tree = cast.tree
    author = cast.staff.user_id or 0
    since, until = hours_ago(100), hours_ago(0)
    await insert_activities(tree.micro_grids[0], 2, author_user_id=author)
    await insert_activities(tree.grids[1], 1, author_user_id=author, activity_type=ActivityType.MEDIATION)
    await insert_activities(tree.community, 1, author_user_id=author)
    await insert_activities(tree.village, 3, author_user_id=author, activity_type=ActivityType.PUBLICITY)
    await insert_activities(tree.town, 5, author_user_id=author)
    await insert_activities(tree.micro_grids[1], 4, author_user_id=author, status=ActivityStatus.DRAFT)
    await insert_activities(tree.micro_grids[1], 1, author_user_id=author, newest=hours_ago(200))
    other_town = await cell(tree.town.kind, "330482002", "钟埭街道", tree.city)
    await insert_activities(other_town, 2, author_user_id=author)
    # WHEN counting per unit of the town
    sql_log.reset()
    counts = await queries.counts_by_type_for_units(tree.town, since, until)
    # THEN one statement groups them by community/village and type
    assert sql_log.count == 1
    assert counts == {
        tree.community.id: {ActivityType.VISIT: 3, ActivityType.MEDIATION: 1},
        tree.village.id: {ActivityType.PUBLICITY: 3},
    }


class _QueryCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.queries: list[tuple[str, list[Any]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.args, tuple) and len(record.args) == 2:
            query, values = record.args
            if str(query).lstrip().upper().startswith("SELECT") and isinstance(values, list | tuple):
                self.queries.append((str(query), list(values)))


@pytest.fixture
def captured() -> Iterator[_QueryCapture]:
    logger = logging.getLogger("tortoise.db_client")
    handler, previous = _QueryCapture(), logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(previous)


async def _plan(query: str, values: list[Any]) -> str:
    conn = connections.get("default")
    if conn.capabilities.dialect == "sqlite":
        rows = await conn.execute_query_dict(f"EXPLAIN QUERY PLAN {query}", values)
        return "\n".join(str(row["detail"]) for row in rows)
    async with in_transaction() as tx:
        # With only a few thousand rows PostgreSQL may rightly prefer a scan and a sort;
        # forbidding both shows an index can serve the filter and the order.
        await tx.execute_script("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off")
        rows = await tx.execute_query_dict(f"EXPLAIN {query}", values)
        return "\n".join(str(next(iter(row.values()))) for row in rows)


def _unsorted(plan: str) -> bool:
    """The plan reads rows in the wanted order (no sort step): SQLite names its temporary B-tree,
    PostgreSQL a Sort node (still planned, at a prohibitive cost, when no index gives the order)."""
    return "TEMP B-TREE" not in plan and "Sort" not in plan


async def _records_across_the_tree(cast: Cast) -> None:
    """A few thousand records over half a year, most of them in other towns (as in a real city),
    with planner statistics gathered, so each database picks its plan as it would in production."""
    author = cast.leader.user_id or 0
    for micro in cast.tree.micro_grids:
        await insert_activities(micro, 600, author_user_id=author, step=timedelta(hours=7))
    tree = cast.tree
    for code, name in (("330482002", "钟埭街道"), ("330482003", "曹桥街道"), ("330482102", "新埭镇")):
        town = await cell(tree.town.kind, code, name, tree.city)
        await insert_activities(town, 700, author_user_id=author, step=timedelta(hours=6))
        for i, kind in enumerate((ActivityType.VISIT, ActivityType.MEDIATION)):  # in the monthly rollup
            unit = await cell(tree.community.kind, f"{code}{i + 1:03d}", f"第{i + 1}社区", town)
            await insert_activities(
                unit, 400, author_user_id=author, activity_type=kind, step=timedelta(hours=11)
            )
    await connections.get("default").execute_script("ANALYZE")


@pytest.mark.parametrize(
    ("level", "index"),
    [
        ("town", "activity_town_time_idx"),
        ("community", "activity_unit_time_idx"),
        ("grid", "activity_grid_time_idx"),
    ],
)
@pytest.mark.parametrize("reader", ["anonymous", "staff"])
async def test_a_deep_page_of_a_subtree_feed_is_an_index_range_in_feed_order(
    captured: _QueryCapture, level: str, index: str, reader: str
) -> None:
    # GIVEN a few thousand records across the tree
    cast = await build_cast()
    await _records_across_the_tree(cast)
    root = {"town": cast.tree.town, "community": cast.tree.community, "grid": cast.tree.grids[0]}[level]
    actor = ANONYMOUS if reader == "anonymous" else cast.staff
    # WHEN someone reads a deep page of the subtree's feed
    f = queries.FeedFilter(subtree_path=root.path)
    first = await queries.activity_feed(actor, f, PageRequest(first=20))
    captured.queries.clear()
    await queries.activity_feed(actor, f, PageRequest(first=20, after=first.key_of(first.items[-1])))
    # THEN the plan seeks the level's index at the cursor and reads it in order: no scan, no sort
    (query, values), *_ = captured.queries
    plan = await _plan(query, values)
    assert index in plan, plan
    assert _unsorted(plan), plan
    assert "SCAN activity" not in plan.splitlines(), plan
    assert "Seq Scan" not in plan, plan


async def test_a_micro_grid_feed_reads_the_cell_index_in_feed_order(captured: _QueryCapture) -> None:
    cast = await build_cast()
    await _records_across_the_tree(cast)
    captured.queries.clear()
    await queries.activity_feed(
        ANONYMOUS, queries.FeedFilter(subtree_path=cast.tree.micro_grids[0].path), PageRequest(first=20)
    )
    (query, values), *_ = captured.queries
    plan = await _plan(query, values)
    assert "activity_cell_time_idx" in plan, plan
    assert _unsorted(plan), plan


def _reads_the_rollup_index(plan: str) -> bool:
    """Whole months come from an index of the rollup: on SQLite its covering read index alone;
    PostgreSQL picks between the read index and the unique one by statistics (a few freshly
    inserted test rows cost the same either way: the covering read index pays off at scale, which
    `make bench` measures), plainly, index-only or as a bitmap."""
    sqlite = "SEARCH activity_month_count USING COVERING INDEX activity_month_read_idx" in plan
    postgres = r"(Index (Only )?Scan using|Bitmap Index Scan on) (activity_month_read_idx|uid_activity_mo)"
    return sqlite or re.search(postgres, plan) is not None


async def test_unit_counts_read_whole_months_from_the_rollup_and_the_edges_from_the_covering_index(
    captured: _QueryCapture,
) -> None:
    # GIVEN a few thousand records across the tree over half a year, the rollup of the verified
    # ones kept, and planner statistics gathered
    cast = await build_cast()
    await _records_across_the_tree(cast)
    shanghai = timezone(timedelta(hours=8))
    this_month = datetime.now(shanghai).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    report_year = (this_month.replace(month=1), this_month.replace(year=this_month.year + 1, month=1))
    unaligned = (this_month - timedelta(days=100), this_month + timedelta(days=3))
    plans = {}
    for name, (since, until) in (("year", report_year), ("unaligned", unaligned)):
        # WHEN a town's counts per unit are asked for a report year, then for an unaligned period
        captured.queries.clear()
        await queries.counts_by_type_for_units(cast.tree.town, since, until)
        (query, values), *_ = captured.queries
        plans[name] = await _plan(query, values)
    # THEN whole months come from the rollup's index and no table is scanned ...
    for plan in plans.values():
        assert _reads_the_rollup_index(plan), plan
        assert "Seq Scan" not in plan, plan
        assert not re.search(r"^SCAN activity", plan, re.MULTILINE), plan
    # ... and the partial months at the edges from the covering index alone (SQLite: COVERING
    # INDEX, PostgreSQL: Index Only Scan)
    edges = plans["unaligned"]
    assert "COVERING INDEX activity_town_counts_idx" in edges or (
        "Index Only Scan using activity_town_counts_idx" in edges
    ), edges
