"""Training: the session plan and its validation, enrolment under capacity (also 30 leaders at
once for 20 seats), check-in by code, attendance corrections, and the certification rule with
its progress numbers. Both databases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tortoise import connections

from domain.access import Actor, Role
from domain.audit.models import AuditEntry
from domain.errors import DomainError, ErrorCode, PermissionDenied, ValidationError
from domain.leaders import checkin, lifecycle, queries, service
from domain.leaders import training as train
from domain.leaders.errors import LeaderCode
from domain.leaders.models import (
    Attendance,
    Enrolment,
    EnrolmentStatus,
    LeaderStatus,
    SessionType,
    TrainingSession,
)
from tests.accounts import actor_of, make_user
from tests.conftest import SqlLog
from tests.factories import BUREAU, build_tree
from tests.factories_leaders import (
    LeaderAccount,
    Training,
    attend,
    build_training,
    concurrently,
    enrol,
    expire_check_in,
    make_cohort,
    make_leader,
    make_session,
    nominate,
    reload_leader,
    reload_session,
    start_session,
)

pytestmark = pytest.mark.usefixtures("db")

TOMORROW = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


def _is_postgres() -> bool:
    return str(connections.get("default").capabilities.dialect) == "postgres"


async def _audit(action: str) -> list[AuditEntry]:
    return list(await AuditEntry.filter(action=action).order_by("seq"))


async def _bureau_user() -> Actor:
    return await actor_of(await make_user("bureau.li", Role.BUREAU_STAFF))


# --- the plan ---------------------------------------------------------------------------------


def _session_input(cohort_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "cohort_id": cohort_id,
        "session_type": SessionType.STUDY_VISIT,
        "title": "赴桐乡参访“三治融合”",
        "starts_at": TOMORROW,
        "ends_at": TOMORROW + timedelta(hours=6),
        "venue": "桐乡市越丰村",
        "facilitator": "沈督导",
        "capacity": 40,
        "hours": Decimal("6.0"),
        "required": False,
        **overrides,
    }


async def test_the_bureau_plans_a_session() -> None:
    # GIVEN a cohort
    cohort = await make_cohort()
    bureau = await _bureau_user()
    # WHEN the bureau adds a study visit, times given in Shanghai time
    local_start = TOMORROW.astimezone(ZoneInfo("Asia/Shanghai"))
    session = await train.create_session(
        actor=bureau, **_session_input(cohort.id, starts_at=local_start, title="  赴桐乡参访   “三治融合” ")
    )
    # THEN it is in the cohort's plan, stored in UTC, title tidied, no seats taken yet
    [planned] = await queries.sessions_of_cohort(cohort.id)
    assert planned.id == session.id
    assert planned.starts_at == TOMORROW
    assert planned.title == "赴桐乡参访 “三治融合”"
    assert (planned.capacity, planned.enrolled_count, planned.hours, planned.required) == (
        40,
        0,
        Decimal("6.0"),
        False,
    )
    [entry] = await _audit("session.create")
    assert entry.summary["title"] == "赴桐乡参访 “三治融合”"


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        pytest.param({"ends_at": TOMORROW}, LeaderCode.INVALID_TIME_RANGE, "endsAt", id="ends-at-start"),
        pytest.param(
            {"ends_at": TOMORROW - timedelta(hours=1)},
            LeaderCode.INVALID_TIME_RANGE,
            "endsAt",
            id="ends-before",
        ),
        pytest.param(
            {"starts_at": TOMORROW.replace(tzinfo=None)},
            LeaderCode.INVALID_TIME_RANGE,
            "startsAt",
            id="naive",
        ),
        pytest.param({"capacity": 0}, LeaderCode.CAPACITY_OUT_OF_RANGE, "capacity", id="no-seats"),
        pytest.param({"capacity": 501}, LeaderCode.CAPACITY_OUT_OF_RANGE, "capacity", id="too-many-seats"),
        pytest.param({"hours": Decimal("-1")}, LeaderCode.HOURS_OUT_OF_RANGE, "hours", id="negative-hours"),
        pytest.param(
            {"hours": Decimal("100.1")}, LeaderCode.HOURS_OUT_OF_RANGE, "hours", id="too-many-hours"
        ),
        pytest.param({"hours": Decimal("1.25")}, LeaderCode.HOURS_OUT_OF_RANGE, "hours", id="two-decimals"),
        pytest.param({"hours": "两小时"}, LeaderCode.HOURS_OUT_OF_RANGE, "hours", id="not-a-number"),
        pytest.param({"title": "   "}, ErrorCode.INVALID, "title", id="blank-title"),
        pytest.param({"title": "长" * 101}, ErrorCode.INVALID, "title", id="long-title"),
        pytest.param({"venue": ""}, ErrorCode.INVALID, "venue", id="no-venue"),
        pytest.param({"facilitator": "长" * 61}, ErrorCode.INVALID, "facilitator", id="long-facilitator"),
    ],
)
async def test_bad_sessions_are_refused_and_nothing_is_planned(
    overrides: dict[str, Any], code: ErrorCode, field: str
) -> None:
    cohort = await make_cohort()
    with pytest.raises(ValidationError) as raised:
        await train.create_session(actor=BUREAU, **_session_input(cohort.id, **overrides))
    assert (raised.value.code, raised.value.field) == (code, [field])
    assert await TrainingSession.all().count() == 0


async def test_hours_accept_whole_numbers_and_one_decimal() -> None:
    cohort = await make_cohort()
    for given, stored in ((0, "0.0"), (100, "100.0"), ("2.5", "2.5"), (1.5, "1.5")):
        session = await train.create_session(actor=BUREAU, **_session_input(cohort.id, hours=given))
        assert (await reload_session(session)).hours == Decimal(stored)


async def test_only_the_bureau_plans_sessions() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    cohort = await make_cohort()
    staff = await actor_of(await make_user("grid.staff", Role.GRID_STAFF, cell=tree.city))
    with pytest.raises(PermissionDenied):
        await train.create_session(actor=staff, **_session_input(cohort.id))
    session = await make_session(cohort)
    with pytest.raises(PermissionDenied):
        await train.update_session(actor=staff, session_id=session.id, title="改名")
    assert await TrainingSession.all().count() == 1
    assert (await reload_session(session)).title == session.title


async def test_capacity_never_drops_below_the_seats_taken() -> None:
    # GIVEN a session with three leaders enrolled
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    training = await build_training(tree, leaders=3, required=1, elective=0)
    session = training.sessions[0]
    await enrol(session, *(x.leader for x in training.leaders))
    # WHEN the bureau cuts the seats to two
    with pytest.raises(ValidationError) as raised:
        await train.update_session(actor=BUREAU, session_id=session.id, capacity=2, title="新标题")
    # THEN it is refused and nothing changed
    assert raised.value.code is LeaderCode.CAPACITY_OUT_OF_RANGE
    unchanged = await reload_session(session)
    assert (unchanged.capacity, unchanged.title) == (20, session.title)
    # ... cutting to three works, and the audit row shows before and after
    await train.update_session(actor=BUREAU, session_id=session.id, capacity=3, venue="南河头社区会客厅")
    updated = await reload_session(session)
    assert (updated.capacity, updated.venue) == (3, "南河头社区会客厅")
    [entry] = await _audit("session.update")
    assert entry.summary["changes"] == {
        "capacity": [20, 3],
        "venue": ["当湖街道社会组织服务中心", "南河头社区会客厅"],
    }


async def test_the_facilitator_account_is_kept_unless_changed_or_cleared() -> None:
    cohort = await make_cohort()
    facilitator = await make_user("zhou.sw", name="周社工")
    session = await make_session(cohort, facilitator=facilitator)
    await train.update_session(actor=BUREAU, session_id=session.id, title="个案辅导（一）")
    assert (await reload_session(session)).facilitator_user_id == facilitator.id
    await train.update_session(actor=BUREAU, session_id=session.id, facilitator_user_id=None)
    assert (await reload_session(session)).facilitator_user_id is None


# --- enrolment --------------------------------------------------------------------------------


async def test_thirty_leaders_enrolling_at_once_get_exactly_twenty_seats() -> None:
    # GIVEN thirty nominated leaders and a session of twenty seats
    tree = await build_tree(grids=1, micro_grids_per_grid=2)
    cohort = await make_cohort()
    leaders = [await nominate(cohort, tree.micro_grids[i % 2], name=f"王{i}") for i in range(30)]
    session = await make_session(cohort, capacity=20)

    def enrol_one(leader_id: int) -> Callable[[], Awaitable[Enrolment]]:
        return lambda: train.enrol(actor=BUREAU, session_id=session.id, leader_id=leader_id)

    # WHEN all thirty enrol at once, each in its own transaction
    run = await concurrently(*(enrol_one(leader.id) for leader in leaders))
    # THEN the transactions overlapped on PostgreSQL (SQLite serialises them) ...
    assert run.peak > 1 if _is_postgres() else run.peak == 1
    # ... twenty got a seat, ten were told it is full, and the counter agrees with the rows
    assert len(run.ok()) == 20
    assert run.errors() == [LeaderCode.SESSION_FULL] * 10
    assert (await reload_session(session)).enrolled_count == 20
    assert await Enrolment.filter(session_id=session.id, status=EnrolmentStatus.ENROLLED).count() == 20
    assert len(await _audit("session.enrol")) == 20
    assert await queries.leader_counts([cohort.id]) == {
        cohort.id: {LeaderStatus.ENROLLED: 20, LeaderStatus.NOMINATED: 10}
    }


async def test_cancelling_frees_the_seat_for_someone_else() -> None:
    # GIVEN a one-seat session taken by the first leader
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    training = await build_training(tree, leaders=2, required=0, elective=0)
    first, second = training.leaders
    session = await make_session(training.cohort, capacity=1)
    await train.enrol(actor=first.actor, session_id=session.id, leader_id=first.leader.id)
    # WHEN the second leader tries, it is full
    with pytest.raises(DomainError) as raised:
        await train.enrol(actor=second.actor, session_id=session.id, leader_id=second.leader.id)
    assert (raised.value.code, raised.value.message) == (LeaderCode.SESSION_FULL, "名额已满，可以登记候补")
    # WHEN the first cancels
    cancelled = await train.cancel_enrolment(
        actor=first.actor, session_id=session.id, leader_id=first.leader.id
    )
    # THEN the seat is free, and the second takes it
    assert cancelled.status is EnrolmentStatus.CANCELLED
    assert (await reload_session(session)).enrolled_count == 0
    await train.enrol(actor=second.actor, session_id=session.id, leader_id=second.leader.id)
    assert (await reload_session(session)).enrolled_count == 1
    # ... and when a seat frees again, the first re-enrols on their old row
    await train.cancel_enrolment(actor=second.actor, session_id=session.id, leader_id=second.leader.id)
    again = await train.enrol(actor=first.actor, session_id=session.id, leader_id=first.leader.id)
    assert again.id == cancelled.id
    assert again.status is EnrolmentStatus.ENROLLED
    assert again.cancelled_at is None
    assert await Enrolment.filter(session_id=session.id).count() == 2


async def test_enrolment_and_cancellation_close_when_the_session_starts() -> None:
    # GIVEN a leader enrolled in one session, and another session; both have started
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    training = await build_training(tree, leaders=1, required=2, elective=0)
    me = training.leaders[0]
    taken, other = training.sessions
    await enrol(taken, me.leader)
    taken, other = await start_session(taken), await start_session(other)
    bureau = await _bureau_user()
    # WHEN the leader (or bureau staff) enrols or cancels now
    for actor in (me.actor, bureau):
        with pytest.raises(DomainError) as late:
            await train.enrol(actor=actor, session_id=other.id, leader_id=me.leader.id)
        assert late.value.code is LeaderCode.SESSION_STARTED
        with pytest.raises(DomainError) as cancel:
            await train.cancel_enrolment(actor=actor, session_id=taken.id, leader_id=me.leader.id)
        assert cancel.value.code is LeaderCode.SESSION_STARTED
    # THEN nothing changed
    assert [(await reload_session(s)).enrolled_count for s in (taken, other)] == [1, 0]
    assert (await queries.enrolment_of(taken.id, me.leader.id)) is not None
    assert (await queries.enrolment_of(other.id, me.leader.id)) is None


async def test_who_may_enrol_whom() -> None:
    # GIVEN two leaders at home in two grids, a leader of another cohort, and grid staff of grid 1
    tree = await build_tree(grids=2, micro_grids_per_grid=1)
    training = await build_training(tree, leaders=2, required=1, elective=0)
    session = training.sessions[0]
    me, neighbour = training.leaders
    stranger = await make_leader(await make_cohort(), tree.micro_grids[0])
    staff = await actor_of(await make_user("grid.staff", Role.GRID_STAFF, cell=tree.grids[0]))
    # WHEN a leader enrols someone else, or staff someone outside their grid
    # THEN it is forbidden
    with pytest.raises(PermissionDenied):
        await train.enrol(actor=me.actor, session_id=session.id, leader_id=neighbour.leader.id)
    with pytest.raises(PermissionDenied):
        await train.enrol(actor=staff, session_id=session.id, leader_id=neighbour.leader.id)
    # ... a leader of another cohort is not for this session
    with pytest.raises(DomainError) as wrong_cohort:
        await train.enrol(actor=stranger.actor, session_id=session.id, leader_id=stranger.leader.id)
    assert wrong_cohort.value.code is LeaderCode.WRONG_COHORT
    assert (await reload_session(session)).enrolled_count == 0
    # ... staff enrol the leader of their grid, once
    await train.enrol(actor=staff, session_id=session.id, leader_id=me.leader.id)
    with pytest.raises(DomainError) as twice:
        await train.enrol(actor=me.actor, session_id=session.id, leader_id=me.leader.id)
    assert twice.value.code is LeaderCode.ALREADY_ENROLLED
    assert (await reload_session(session)).enrolled_count == 1


async def test_withdrawn_leaders_cannot_enrol() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    training = await build_training(tree, leaders=1, required=1, elective=0)
    me = training.leaders[0]
    await service.withdraw_leader(actor=BUREAU, leader_id=me.leader.id, reason="个人原因")
    with pytest.raises(DomainError) as raised:
        await train.enrol(actor=BUREAU, session_id=training.sessions[0].id, leader_id=me.leader.id)
    assert raised.value.code is LeaderCode.LEADER_NOT_ACTIVE
    assert (await reload_session(training.sessions[0])).enrolled_count == 0


# --- check-in ---------------------------------------------------------------------------------


@dataclass
class UnderWay:
    """A session that began ten minutes ago, with its facilitator, and the cohort's leaders of
    whom the first two are enrolled."""

    training: Training
    session: TrainingSession
    facilitator: Actor

    @property
    def me(self) -> LeaderAccount:
        return self.training.leaders[0]

    @property
    def neighbour(self) -> LeaderAccount:
        return self.training.leaders[1]

    @property
    def absentee(self) -> LeaderAccount:
        """A leader of the cohort not enrolled in this session."""
        return self.training.leaders[2]


async def _under_way(**plan: Any) -> UnderWay:
    tree = await build_tree(grids=1, micro_grids_per_grid=2)
    facilitator = await make_user("zhou.sw", name="周社工")
    training = await build_training(tree, leaders=3, facilitator=facilitator, **plan)
    session = training.sessions[0]
    await enrol(session, training.leaders[0].leader, training.leaders[1].leader)
    return UnderWay(training, await start_session(session), await actor_of(facilitator))


async def _open(day: UnderWay, session: TrainingSession | None = None) -> str:
    target = session or day.session
    return (await train.open_check_in(actor=day.facilitator, session_id=target.id)).code


async def _check_in(who: LeaderAccount, session: TrainingSession, code: str) -> Attendance:
    return await train.check_in(actor=who.actor, session_id=session.id, code=code)


async def _refused(call: Awaitable[object]) -> ErrorCode:
    with pytest.raises(DomainError) as raised:
        await call
    return raised.value.code


async def test_an_enrolled_leader_checks_in_with_the_code_shown() -> None:
    # GIVEN a session under way whose facilitator opens check-in for 15 minutes
    day = await _under_way()
    before = datetime.now(UTC)
    window = await train.open_check_in(actor=day.facilitator, session_id=day.session.id, minutes=15)
    # THEN the code is six digits, valid for 15 minutes, and the opening is audited
    assert len(window.code) == 6
    assert window.code.isdigit()
    assert timedelta(minutes=15) <= window.until - before <= timedelta(minutes=15, seconds=5)
    assert len(await _audit("session.open_check_in")) == 1
    # WHEN an enrolled leader types it (with the space a keyboard adds)
    mark = await _check_in(day.me, day.session, f" {window.code[:3]} {window.code[3:]}")
    # THEN they are present, with the time, on the sheet
    assert mark.present
    assert mark.checked_in_at is not None
    sheet = {row.leader.id: row for row in await queries.attendance_sheet(day.session.id)}
    assert (sheet[day.me.leader.id].present, sheet[day.neighbour.leader.id].present) == (True, False)
    assert sheet[day.me.leader.id].checked_in_at == mark.checked_in_at
    [entry] = await _audit("session.check_in")
    assert entry.summary == {"leader_id": day.me.leader.id}


async def test_only_the_facilitator_or_the_bureau_open_check_in() -> None:
    day = await _under_way()
    other = await actor_of(await make_user("another.sw"))
    for actor in (other, day.me.actor):
        with pytest.raises(PermissionDenied):
            await train.open_check_in(actor=actor, session_id=day.session.id)
    assert (await reload_session(day.session)).check_in_code is None
    for minutes in (0, 241):
        with pytest.raises(ValidationError):
            await train.open_check_in(actor=day.facilitator, session_id=day.session.id, minutes=minutes)
    bureau = await train.open_check_in(actor=await _bureau_user(), session_id=day.session.id, minutes=240)
    assert (await reload_session(day.session)).check_in_code == bureau.code


async def test_a_wrong_code_is_refused() -> None:
    day = await _under_way()
    code = await _open(day)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert await _refused(_check_in(day.me, day.session, wrong)) is LeaderCode.WRONG_CODE
    assert await _refused(_check_in(day.me, day.session, "签到")) is LeaderCode.WRONG_CODE
    assert await Attendance.all().count() == 0


async def test_check_in_is_closed_before_it_opens_after_it_expires_and_once_closed() -> None:
    # GIVEN a session whose check-in was never opened
    day = await _under_way()
    assert await _refused(_check_in(day.me, day.session, "123456")) is LeaderCode.CHECK_IN_CLOSED
    # WHEN the code has expired
    code = await _open(day)
    await expire_check_in(day.session)
    # THEN the right code no longer works
    assert await _refused(_check_in(day.me, day.session, code)) is LeaderCode.CHECK_IN_CLOSED
    # ... nor after the facilitator closed a fresh one early
    code = await _open(day)
    await train.close_check_in(actor=day.facilitator, session_id=day.session.id)
    assert await _refused(_check_in(day.me, day.session, code)) is LeaderCode.CHECK_IN_CLOSED
    assert await Attendance.all().count() == 0


async def test_a_leader_checks_in_only_once() -> None:
    day = await _under_way()
    code = await _open(day)
    first = await _check_in(day.me, day.session, code)
    assert await _refused(_check_in(day.me, day.session, code)) is LeaderCode.ALREADY_CHECKED_IN
    assert [a.id for a in await Attendance.all()] == [first.id]
    assert len(await _audit("session.check_in")) == 1


async def test_only_enrolled_leaders_check_in() -> None:
    # GIVEN an open check-in
    day = await _under_way()
    code = await _open(day)
    # WHEN a leader of the cohort who did not enrol, or a leader of another cohort, checks in
    outsider = await make_leader(await make_cohort(), day.training.tree.micro_grids[0])
    assert await _refused(_check_in(day.absentee, day.session, code)) is LeaderCode.NOT_ENROLLED
    assert await _refused(_check_in(outsider, day.session, code)) is LeaderCode.NOT_ENROLLED
    # ... or someone without the leader role
    resident = await actor_of(await make_user("resident", Role.RESIDENT))
    with pytest.raises(PermissionDenied):
        await train.check_in(actor=resident, session_id=day.session.id, code=code)
    # THEN no one was marked present
    assert await Attendance.all().count() == 0


async def test_guessing_stops_after_five_wrong_codes_until_a_new_code() -> None:
    # GIVEN an open check-in
    day = await _under_way()
    code = await _open(day)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    # WHEN a leader types five wrong codes
    for _ in range(checkin.MAX_ATTEMPTS):
        assert await _refused(_check_in(day.me, day.session, wrong)) is LeaderCode.WRONG_CODE
    # THEN even the right code is refused to them now, but not to the leader beside them
    assert await _refused(_check_in(day.me, day.session, code)) is LeaderCode.TOO_MANY_ATTEMPTS
    assert (await _check_in(day.neighbour, day.session, code)).present
    # ... until the facilitator shows a new code
    fresh = await _open(day)
    assert (await _check_in(day.me, day.session, fresh)).present
    assert await Attendance.filter(present=True).count() == 2


# --- corrections ------------------------------------------------------------------------------


async def test_the_facilitator_corrects_the_sheet_with_a_reason() -> None:
    # GIVEN a session under way where one leader checked in and one did not
    day = await _under_way()
    await _check_in(day.me, day.session, await _open(day))
    # WHEN the facilitator marks the one who forgot present and the other absent, with reasons
    await train.correct_attendance(
        actor=day.facilitator,
        session_id=day.session.id,
        leader_id=day.neighbour.leader.id,
        present=True,
        reason="手机没电，现场点名在场",
    )
    await train.correct_attendance(
        actor=day.facilitator,
        session_id=day.session.id,
        leader_id=day.me.leader.id,
        present=False,
        reason="签到后离场",
    )
    # THEN the sheet shows it, with who corrected and why
    sheet = {row.leader.id: row for row in await queries.attendance_sheet(day.session.id)}
    assert (sheet[day.neighbour.leader.id].present, sheet[day.me.leader.id].present) == (True, False)
    assert sheet[day.neighbour.leader.id].corrected
    mark = sheet[day.me.leader.id].attendance
    assert mark is not None
    assert (mark.corrected_by_user_id, mark.correction_reason) == (day.facilitator.user_id, "签到后离场")
    assert mark.checked_in_at is not None  # the check-in itself stays on record
    # ... and the one marked absent cannot check themself back in
    assert await _refused(_check_in(day.me, day.session, await _open(day))) is LeaderCode.ALREADY_CHECKED_IN
    assert not (await Attendance.get(session_id=day.session.id, leader_id=day.me.leader.id)).present
    entries = await _audit("attendance.correct")
    assert [(e.summary["before"], e.summary["after"], e.summary["reason"]) for e in entries] == [
        (None, True, "手机没电，现场点名在场"),
        (True, False, "签到后离场"),
    ]


async def test_corrections_are_refused_without_reason_right_or_enrolment() -> None:
    day = await _under_way()
    other = await actor_of(await make_user("another.sw"))

    async def correct(actor: Actor, leader: LeaderAccount, reason: str = "现场点名") -> Attendance:
        return await train.correct_attendance(
            actor=actor, session_id=day.session.id, leader_id=leader.leader.id, present=True, reason=reason
        )

    assert await _refused(correct(day.facilitator, day.me, reason=" ")) is ErrorCode.REASON_REQUIRED
    assert await _refused(correct(other, day.me)) is ErrorCode.FORBIDDEN
    assert await _refused(correct(day.me.actor, day.me)) is ErrorCode.FORBIDDEN
    assert await _refused(correct(day.facilitator, day.absentee)) is LeaderCode.NOT_ENROLLED
    later = day.training.sessions[1]
    await enrol(later, day.me.leader)
    with pytest.raises(DomainError) as early:
        await train.correct_attendance(
            actor=day.facilitator,
            session_id=later.id,
            leader_id=day.me.leader.id,
            present=True,
            reason="提前录入",
        )
    assert early.value.code is LeaderCode.SESSION_NOT_STARTED
    assert await Attendance.all().count() == 0
    assert await _audit("attendance.correct") == []


# --- the certification rule -------------------------------------------------------------------


async def _started(training: Training) -> list[TrainingSession]:
    return [await start_session(s) for s in training.sessions]


async def test_certification_comes_with_the_attendance_that_meets_the_rule_and_not_before() -> None:
    # GIVEN a plan of five required sessions (2 h each) and one elective; 80 % of the required
    # ones are needed, and the leader is enrolled in all of them
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    facilitator = await make_user("zhou.sw")
    training = await build_training(
        tree, leaders=1, required=5, elective=1, min_share="0.8", facilitator=facilitator
    )
    me = training.leaders[0]
    for session in training.sessions:
        await enrol(session, me.leader)
    required = await _started(training)
    # WHEN they attend three required sessions and the elective
    await attend(required[0], me.leader)
    assert (await reload_leader(me.leader)).status is LeaderStatus.ENROLLED  # 1 of 5: never on day one
    await attend(required[1], me.leader)
    await attend(required[2], me.leader)
    await attend(required[5], me.leader)
    # THEN they are not certified yet: 3 of 5 is 60 %
    assert (await reload_leader(me.leader)).status is LeaderStatus.ENROLLED
    assert await _audit("leader.certify") == []
    # WHEN they check in to the fourth required session
    code = (await train.open_check_in(actor=await actor_of(facilitator), session_id=required[3].id)).code
    await _check_in(me, required[3], code)
    # THEN that check-in certifies them, automatically and audited as such
    certified = await reload_leader(me.leader)
    assert certified.status is LeaderStatus.CERTIFIED
    assert certified.certified_at is not None
    assert certified.status_reason == lifecycle.AUTOMATIC_REASON
    [entry] = await _audit("leader.certify")
    assert entry.actor_user_id == me.user.id
    assert entry.summary["automatic"] is True
    assert (entry.summary["required_attended"], entry.summary["required_total"]) == (4, 5)


async def test_the_hours_must_be_met_too() -> None:
    # GIVEN a plan where four required sessions (8 h) give the share but ten hours are needed
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    training = await build_training(tree, leaders=1, required=4, elective=2, min_share="0.75", min_hours=10)
    me = training.leaders[0]
    for session in training.sessions:
        await enrol(session, me.leader)
    sessions = await _started(training)
    # WHEN they attend all four required sessions
    await attend(sessions[0], me.leader)
    await attend(sessions[1], me.leader)
    await attend(sessions[2], me.leader)
    await attend(sessions[3], me.leader)
    # THEN the share is met but not the hours
    progress = await queries.certification_progress(me.leader.id)
    assert (progress.share_met, progress.hours_met, progress.hours) == (True, False, Decimal("8.0"))
    assert (await reload_leader(me.leader)).status is LeaderStatus.ENROLLED
    # WHEN an elective brings the hours to ten
    await attend(sessions[4], me.leader)
    # THEN they are certified
    assert (await reload_leader(me.leader)).status is LeaderStatus.CERTIFIED


async def test_a_correction_to_absent_does_not_take_a_certification_back() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    training = await build_training(tree, leaders=1, required=1, elective=0, min_share="1")
    me = training.leaders[0]
    await enrol(training.sessions[0], me.leader)
    [session] = await _started(training)
    await attend(session, me.leader)
    assert (await reload_leader(me.leader)).status is LeaderStatus.CERTIFIED
    await train.correct_attendance(
        actor=BUREAU, session_id=session.id, leader_id=me.leader.id, present=False, reason="核实未到场"
    )
    assert not (await queries.certification_progress(me.leader.id)).met
    assert (await reload_leader(me.leader)).status is LeaderStatus.CERTIFIED


async def test_a_cohort_without_required_sessions_certifies_nobody_automatically() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    training = await build_training(tree, leaders=1, required=0, elective=2, min_share="0.5")
    me = training.leaders[0]
    for session in training.sessions:
        await enrol(session, me.leader)
    for session in await _started(training):
        await attend(session, me.leader)
    progress = await queries.certification_progress(me.leader.id)
    assert (progress.required_total, progress.hours, progress.met) == (0, Decimal("4.0"), False)
    assert (await reload_leader(me.leader)).status is LeaderStatus.ENROLLED


async def test_making_a_missed_session_elective_certifies_those_who_now_meet_the_rule() -> None:
    # GIVEN a plan of two required sessions, all needed; two leaders attended the first only
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    training = await build_training(tree, leaders=3, required=2, elective=0, min_share="1")
    a, b, c = (x.leader for x in training.leaders)
    for session in training.sessions:
        await enrol(session, a, b, c)
    first, second = await _started(training)
    await attend(first, a, b)
    assert {(await reload_leader(x)).status for x in (a, b, c)} == {LeaderStatus.ENROLLED}
    # WHEN the bureau makes the second session elective
    await train.update_session(actor=BUREAU, session_id=second.id, required=False)
    # THEN the two who attended every remaining required session are certified; the third is not
    assert [(await reload_leader(x)).status for x in (a, b, c)] == [
        LeaderStatus.CERTIFIED,
        LeaderStatus.CERTIFIED,
        LeaderStatus.ENROLLED,
    ]
    assert [e.summary["automatic"] for e in await _audit("leader.certify")] == [True, True]


async def test_progress_of_many_leaders_in_one_statement(sql_log: SqlLog) -> None:
    # GIVEN four required sessions of 2 h and an elective of 1.5 h; min 80 % and 6 h
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    training = await build_training(tree, leaders=3, required=4, elective=0, min_share="0.8", min_hours=6)
    elective = await make_session(training.cohort, hours="1.5", required=False)
    training.sessions.append(elective)
    a, b, c = (x.leader for x in training.leaders)
    for session in training.sessions:
        await enrol(session, a, b, c)
    s = await _started(training)
    # ... a attended two required and the elective, b nothing, c three required
    await attend(s[0], a, c)
    await attend(s[1], a, c)
    await attend(s[2], c)
    await attend(s[4], a)
    # WHEN the progress of all three is read
    sql_log.reset()
    progress = await queries.progress_for([a.id, b.id, c.id, 424242])
    # THEN one statement answers with the numbers each leader page shows
    assert sql_log.count == 1
    numbers = {
        leader_id: (p.required_total, p.required_attended, p.share, p.hours, p.required_needed, p.met)
        for leader_id, p in progress.items()
    }
    assert numbers == {
        a.id: (4, 2, Decimal("0.500"), Decimal("5.5"), 4, False),
        b.id: (4, 0, Decimal("0.000"), Decimal("0.0"), 4, False),
        c.id: (4, 3, Decimal("0.750"), Decimal("6.0"), 4, False),
    }
    assert (progress[a.id].min_share, progress[a.id].min_hours) == (Decimal("0.800"), Decimal("6.0"))


# --- schedule, sheet and QR -------------------------------------------------------------------


async def test_my_schedule_lists_upcoming_sessions_first_then_past_ones() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    training = await build_training(tree, leaders=1, required=4, elective=0)
    me = training.leaders[0]
    s1, s2, s3, s4 = training.sessions
    for session in training.sessions:
        await enrol(session, me.leader)
    await train.cancel_enrolment(actor=me.actor, session_id=s4.id, leader_id=me.leader.id)
    past_early = await start_session(s1, ago=timedelta(days=3))
    past_late = await start_session(s2, ago=timedelta(days=1))
    await attend(past_late, me.leader)
    schedule = await queries.sessions_for_leader(me.leader.id)
    assert [item.session.id for item in schedule] == [s3.id, past_late.id, past_early.id]
    assert [item.present for item in schedule] == [False, True, False]


async def test_the_attendance_sheet_lists_enrolled_leaders_in_two_statements(sql_log: SqlLog) -> None:
    day = await _under_way()
    await _check_in(day.me, day.session, await _open(day))
    sql_log.reset()
    sheet = await queries.attendance_sheet(day.session.id)
    assert sql_log.count == 2
    assert [(row.person.name, row.present, row.corrected) for row in sheet] == [
        ("李微领1", True, False),
        ("李微领2", False, False),
    ]


def test_the_check_in_qr_is_an_inline_svg_sized_by_css() -> None:
    svg = checkin.checkin_qr_svg("https://linzhi.example/training/sessions/12/check-in")
    assert svg.startswith("<svg")
    assert "viewBox" in svg
    assert "width=" not in svg.split(">", 1)[0]
    assert "style" not in svg
    assert "<title>签到二维码</title>" in svg
