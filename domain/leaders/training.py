"""Use cases of training: cohorts (期) and their completion rule, the training plan (sessions),
enrolment under capacity, check-in by code and attendance, and automatic certification.

Concurrency: every use case that changes a leader, their enrolments or their attendance first
locks the leader row (`SELECT ... FOR NO KEY UPDATE` on PostgreSQL; SQLite serialises writers),
then touches session rows, and writes the audit record last. One lock order everywhere means
no deadlocks, and the leader lock makes "check, then write" safe per leader. Seats are taken
with a conditional UPDATE, so capacity holds however many leaders enrol at once.

The command line (`actor.system`: seeds, imports) acts as the bureau, and may also record
enrolments in sessions that have already started (historical training data).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, NamedTuple

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.access import Actor
from domain.accounts.models import User
from domain.audit import service as audit
from domain.clock import SHANGHAI
from domain.errors import DomainError, ErrorCode, NotFound, ValidationError
from domain.input import Errors
from domain.leaders import checkin, lifecycle, policy, queries
from domain.leaders.errors import LeaderCode
from domain.leaders.models import (
    Attendance,
    Cohort,
    Enrolment,
    EnrolmentStatus,
    LeaderStatus,
    MicroLeader,
    SessionType,
    TrainingSession,
)
from domain.leaders.queries import MAX_CAPACITY, MAX_SESSIONS_PER_COHORT

MAX_HOURS = Decimal(100)  # per session
MAX_COHORT_HOURS = Decimal(9999)
MAX_CHECK_IN_MINUTES = 240
CHECK_IN_EARLY = timedelta(minutes=30)


class _Keep(Enum):
    KEEP = "KEEP"


KEEP = _Keep.KEEP
"""`update_session(facilitator_user_id=KEEP)` leaves it as it is; None clears it."""


def _utc(value: datetime, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(LeaderCode.INVALID_TIME_RANGE, "时间须带时区", [field])
    return value.astimezone(UTC)


def _time_range(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    start, end = _utc(starts_at, "startsAt"), _utc(ends_at, "endsAt")
    if end <= start:
        raise ValidationError(LeaderCode.INVALID_TIME_RANGE, "结束时间须晚于开始时间", ["endsAt"])
    return start, end


def _capacity(value: int) -> int:
    if not 1 <= value <= MAX_CAPACITY:
        raise ValidationError(
            LeaderCode.CAPACITY_OUT_OF_RANGE, f"名额须在 1 到 {MAX_CAPACITY} 之间", ["capacity"]
        )
    return value


def _hours(value: Decimal | int | float | str, field: str = "hours", maximum: Decimal = MAX_HOURS) -> Decimal:
    """0–`maximum` hours in steps of 0.1 (floats are read through their shortest decimal form)."""
    try:
        hours = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValidationError(LeaderCode.HOURS_OUT_OF_RANGE, "学时须为数字", [field]) from exc
    if not hours.is_finite() or not 0 <= hours <= maximum or hours != hours.quantize(Decimal("0.1")):
        raise ValidationError(
            LeaderCode.HOURS_OUT_OF_RANGE, f"学时须在 0 到 {maximum} 之间，最多一位小数", [field]
        )
    return hours.quantize(Decimal("0.1"))


def _share(value: Decimal | str) -> Decimal:
    try:
        share = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValidationError(ErrorCode.INVALID, "出勤比例须为数字", ["minAttendanceShare"]) from exc
    if not share.is_finite() or not 0 < share <= 1 or share != share.quantize(Decimal("0.001")):
        raise ValidationError(
            ErrorCode.INVALID, "出勤比例须大于 0、不超过 1，最多三位小数", ["minAttendanceShare"]
        )
    return share.quantize(Decimal("0.001"))


async def _facilitator_user(user_id: int | None) -> int | None:
    if user_id is not None and not await User.filter(id=user_id, is_active=True).exists():
        raise NotFound("主持人账号不存在或已停用", ["facilitatorUserId"])
    return user_id


# --- cohorts ----------------------------------------------------------------------------------


def _year(value: int) -> int:
    if not 2000 <= value <= 2100:
        raise ValidationError(ErrorCode.INVALID, "年份须在 2000 到 2100 之间", ["year"])
    return value


def cohort_errors(
    *,
    name: str | None = None,
    year: int | None = None,
    min_attendance_share: Decimal | str | None = None,
    min_hours: Decimal | int | str | None = None,
) -> tuple[dict[str, Any], list[DomainError]]:
    """The cleaned cohort inputs given (None: not given) and every refusal among them."""
    errors, values = Errors(), dict[str, Any]()
    if name is not None:
        values["name"] = errors.check(lambda: lifecycle.text(name, "name", "期次名称", 60))
    if year is not None:
        values["year"] = errors.check(lambda: _year(year))
    if min_attendance_share is not None:
        values["min_attendance_share"] = errors.check(lambda: _share(min_attendance_share))
    if min_hours is not None:
        values["min_hours"] = errors.check(lambda: _hours(min_hours, "minHours", MAX_COHORT_HOURS))
    return values, errors.errors


async def create_cohort(
    *,
    actor: Actor,
    name: str,
    year: int,
    min_attendance_share: Decimal | str = Decimal("0.8"),
    min_hours: Decimal | int | str = 0,
    year_unverified: bool = False,
    is_demo: bool = False,
) -> Cohort:
    """A new intake with its completion rule (share of required sessions, minimum hours). A year
    inferred rather than known is flagged `year_unverified` (shown as 待核实)."""
    policy.require_manage_training(actor)
    values, found = cohort_errors(
        name=name, year=year, min_attendance_share=min_attendance_share, min_hours=min_hours
    )
    errors = Errors()
    errors.errors.extend(found)
    if values["name"] and await Cohort.filter(name=values["name"]).exists():
        errors.add(ErrorCode.DUPLICATE_NAME, "已有同名的培训期次", "name")
    errors.raise_any()
    async with in_transaction():
        cohort = await Cohort.create(**values, year_unverified=year_unverified, is_demo=is_demo)
        await audit.record(
            actor,
            "cohort.create",
            "Cohort",
            cohort.id,
            name=cohort.name,
            year=cohort.year,
            year_unverified=year_unverified,
            min_share=values["min_attendance_share"],
            min_hours=values["min_hours"],
        )
    return cohort


async def update_cohort(
    *,
    actor: Actor,
    cohort_id: int,
    name: str | None = None,
    year: int | None = None,
    min_attendance_share: Decimal | str | None = None,
    min_hours: Decimal | int | str | None = None,
    year_unverified: bool | None = None,
) -> Cohort:
    """Change a cohort (bureau); None leaves a field as it is. A looser completion rule certifies
    the leaders it now lets through (a stricter one never takes a certification back)."""
    policy.require_manage_training(actor)
    values, found = cohort_errors(
        name=name, year=year, min_attendance_share=min_attendance_share, min_hours=min_hours
    )
    errors = Errors()
    errors.errors.extend(found)
    if values.get("name") and await Cohort.filter(name=values["name"]).exclude(id=cohort_id).exists():
        errors.add(ErrorCode.DUPLICATE_NAME, "已有同名的培训期次", "name")
    errors.raise_any()
    if year_unverified is not None:
        values["year_unverified"] = year_unverified
    async with in_transaction():
        cohort = await Cohort.select_for_update().get_or_none(id=cohort_id)
        if cohort is None:
            raise NotFound("培训期次不存在", ["cohortId"])
        diff = {k: [getattr(cohort, k), v] for k, v in values.items() if getattr(cohort, k) != v}
        if not diff:
            return cohort
        cohort.update_from_dict({k: values[k] for k in diff})
        await cohort.save(update_fields=list(diff))
        await audit.record(actor, "cohort.update", "Cohort", cohort.id, changes=diff)
    if {"min_attendance_share", "min_hours"} & diff.keys():
        await lifecycle.recertify(actor, cohort.id)
    return cohort


# --- the training plan ------------------------------------------------------------------------

ONE_TO_ONE_MESSAGE = "个案辅导增能是督导与一名微领袖的一对一预约，名额固定为 1"


def session_errors(
    *,
    session_type: SessionType | None = None,
    title: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    venue: str | None = None,
    facilitator: str | None = None,
    capacity: int | None = None,
    hours: Decimal | int | float | str | None = None,
) -> tuple[dict[str, Any], list[DomainError]]:
    """The cleaned session inputs given (None: not given) and every refusal among them, with the
    one-to-one rule: a 个案辅导增能 (CASE_COACHING) appointment has exactly one seat."""
    errors, values = Errors(), dict[str, Any]()
    if session_type is not None:
        values["session_type"] = SessionType(session_type)
    if title is not None:
        values["title"] = errors.check(lambda: lifecycle.text(title, "title", "标题", 100))
    start = errors.check(lambda: _utc(starts_at, "startsAt")) if starts_at is not None else None
    end = errors.check(lambda: _utc(ends_at, "endsAt")) if ends_at is not None else None
    if start is not None and end is not None and end <= start:
        errors.add(LeaderCode.INVALID_TIME_RANGE, "结束时间须晚于开始时间", "endsAt")
    values.update(starts_at=start, ends_at=end)
    if venue is not None:
        values["venue"] = errors.check(lambda: lifecycle.text(venue, "venue", "地点", 100))
    if facilitator is not None:
        values["facilitator"] = errors.check(lambda: lifecycle.text(facilitator, "facilitator", "主持人", 60))
    if capacity is not None:
        if session_type is SessionType.CASE_COACHING and capacity != 1:
            errors.add(ErrorCode.ONE_TO_ONE, ONE_TO_ONE_MESSAGE, "capacity")
        else:
            values["capacity"] = errors.check(lambda: _capacity(capacity))
    if hours is not None:
        values["hours"] = errors.check(lambda: _hours(hours))
    return {k: v for k, v in values.items() if v is not None}, errors.errors


async def create_session(
    *,
    actor: Actor,
    cohort_id: int,
    session_type: SessionType,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    venue: str,
    facilitator: str,
    facilitator_user_id: int | None = None,
    capacity: int | None = None,
    hours: Decimal | int | float | str,
    required: bool = True,
    is_demo: bool = False,
) -> TrainingSession:
    """Add a session to a cohort's plan (bureau). Times are timezone-aware; stored in UTC. A
    CASE_COACHING session is a one-to-one appointment: its capacity is 1 (and may be left out)."""
    policy.require_manage_training(actor)
    cohort = await queries.cohort_by_id(cohort_id)
    kind = SessionType(session_type)
    if capacity is None and kind is SessionType.CASE_COACHING:
        capacity = 1
    values, found = session_errors(
        session_type=kind,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue,
        facilitator=facilitator,
        capacity=capacity,
        hours=hours,
    )
    errors = Errors()
    errors.errors.extend(found)
    if capacity is None:
        errors.add(LeaderCode.CAPACITY_OUT_OF_RANGE, "请填写名额", "capacity")
    errors.raise_any()
    values["facilitator_user_id"] = await _facilitator_user(facilitator_user_id)
    values["required"] = required
    async with in_transaction():
        # The cohort row is locked so that two sessions added at once cannot both take the last place.
        await Cohort.select_for_update().get(id=cohort.id)
        if await TrainingSession.filter(cohort_id=cohort.id).count() >= MAX_SESSIONS_PER_COHORT:
            raise DomainError(ErrorCode.INVALID, f"每期最多 {MAX_SESSIONS_PER_COHORT} 场培训", ["cohortId"])
        session = await TrainingSession.create(cohort_id=cohort.id, is_demo=is_demo, **values)
        await audit.record(
            actor, "session.create", "TrainingSession", session.id, cohort_id=cohort.id, **values
        )
    return session


async def update_session(
    *,
    actor: Actor,
    session_id: int,
    session_type: SessionType | None = None,
    title: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    venue: str | None = None,
    facilitator: str | None = None,
    facilitator_user_id: int | _Keep | None = KEEP,
    capacity: int | None = None,
    hours: Decimal | int | float | str | None = None,
    required: bool | None = None,
) -> TrainingSession:
    """Change a session (bureau); None leaves a field as it is. Capacity never drops below the
    seats already taken, and a CASE_COACHING appointment keeps one seat. More seats go to the
    waiting list first. When hours or `required` change, leaders the new plan lets meet the
    completion rule are certified."""
    policy.require_manage_training(actor)
    changes: dict[str, object] = {}
    if not isinstance(facilitator_user_id, _Keep):
        changes["facilitator_user_id"] = await _facilitator_user(facilitator_user_id)
    if required is not None:
        changes["required"] = required
    async with in_transaction():
        session = await TrainingSession.select_for_update().get_or_none(id=session_id)
        if session is None:
            raise NotFound("培训场次不存在", ["sessionId"])
        changes.update(
            _session_values(
                session,
                session_type=session_type,
                title=title,
                starts_at=starts_at,
                ends_at=ends_at,
                venue=venue,
                facilitator=facilitator,
                capacity=capacity,
                hours=hours,
            )
        )
        diff = {k: [getattr(session, k), v] for k, v in changes.items() if getattr(session, k) != v}
        if not diff:
            return session
        session.update_from_dict({k: changes[k] for k in diff})
        await session.save(update_fields=list(diff))
        await audit.record(actor, "session.update", "TrainingSession", session.id, changes=diff)
        if "capacity" in diff:
            await _fill_new_seats(actor, session)
    if {"hours", "required"} & diff.keys():
        await lifecycle.recertify(actor, session.cohort_id)
    return session


def _session_values(
    session: TrainingSession,
    *,
    session_type: SessionType | None,
    capacity: int | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
    **fields: Any,
) -> dict[str, Any]:
    """The checked new values of `session` (every bad one at once); capacity never drops below
    the seats taken, and a session turned into CASE_COACHING keeps one seat."""
    kind = SessionType(session_type) if session_type is not None else session.session_type
    if capacity is None and kind is SessionType.CASE_COACHING and session.capacity != 1:
        capacity = 1  # turning a session into a one-to-one appointment
    values, found = session_errors(
        session_type=kind,
        starts_at=starts_at or session.starts_at,
        ends_at=ends_at or session.ends_at,
        capacity=capacity,
        **fields,
    )
    errors = Errors()
    errors.errors.extend(found)
    if capacity is not None and capacity < session.enrolled_count and "capacity" in values:
        errors.add(
            LeaderCode.CAPACITY_OUT_OF_RANGE,
            f"已有 {session.enrolled_count} 人报名，名额不能少于此数",
            "capacity",
        )
    errors.raise_any()
    return values


async def _fill_new_seats(actor: Actor, session: TrainingSession) -> None:
    """Seats added to `session` go to its waiting list first, in queue order."""
    for _ in range(max(0, session.capacity - session.enrolled_count)):
        if not await _promote_first_waiting(actor, session, lifecycle.now(), "capacity"):
            break
        await TrainingSession.filter(id=session.id).update(enrolled_count=F("enrolled_count") + 1)


# --- enrolment and the waiting list -----------------------------------------------------------
#
# Seats: `enrolled_count` counts ENROLLED rows. A seat is taken with a conditional UPDATE (never
# beyond capacity). The waiting list (WAITING rows, in `enrolled_at, id` order) only exists while
# the session is full: joining it and handing a freed seat on both happen with the session row
# locked, and a freed seat goes to the first waiting leader without ever becoming free, so no
# direct enrolment can overtake the queue.


def _require_not_started(actor: Actor, session: TrainingSession, now: datetime, doing: str) -> None:
    if now >= session.starts_at and not actor.system:
        raise DomainError(LeaderCode.SESSION_STARTED, f"培训已开始，不能{doing}", ["sessionId"])


async def _take_seat(session_id: int) -> bool:
    # Conditional: the row changes only while a seat is left, whatever runs concurrently.
    taken = await TrainingSession.filter(id=session_id, enrolled_count__lt=F("capacity")).update(
        enrolled_count=F("enrolled_count") + 1
    )
    return bool(taken)


async def _lock_session(session_id: int) -> TrainingSession:
    session = await TrainingSession.select_for_update(no_key=True).get_or_none(id=session_id)
    if session is None:
        raise NotFound("培训场次不存在", ["sessionId"])
    return session


async def _promote_first_waiting(actor: Actor, session: TrainingSession, now: datetime, because: str) -> bool:
    """With the session row locked and a seat to hand on: give it to the first waiting leader
    (still active in training). Returns False when nobody waits."""
    queue = (
        Enrolment.filter(session_id=session.id, status=EnrolmentStatus.WAITING)
        .filter(leader__status__in=[LeaderStatus.NOMINATED, LeaderStatus.ENROLLED])
        .order_by("enrolled_at", "id")
        .only("id", "leader_id")
    )
    for waiting in await queue:
        # Conditional: a waiting leader who left the queue meanwhile is skipped.
        moved = await Enrolment.filter(id=waiting.id, status=EnrolmentStatus.WAITING).update(
            status=EnrolmentStatus.ENROLLED
        )
        if not moved:
            continue
        promoted_leader = await MicroLeader.filter(
            id=waiting.leader_id, status=LeaderStatus.NOMINATED
        ).update(status=LeaderStatus.ENROLLED, enrolled_at=now)
        await audit.record(
            actor,
            "session.waitlist_promote",
            "TrainingSession",
            session.id,
            leader_id=waiting.leader_id,
            because=because,
            leader_enrolled=bool(promoted_leader),
        )
        return True
    return False


async def _free_seat(actor: Actor, session_id: int, now: datetime, because: str) -> int | None:
    """A seat was given up: hand it to the first waiting leader (returns their id), else free it."""
    session = await _lock_session(session_id)
    promoted = await _promote_first_waiting(actor, session, now, because)
    if promoted:
        return session.id
    await TrainingSession.filter(id=session_id, enrolled_count__gt=0).update(
        enrolled_count=F("enrolled_count") - 1
    )
    return None


async def cancel_upcoming_enrolments(actor: Actor, leader_id: int, now: datetime) -> list[int]:
    """With the leader locked (withdrawal): cancel their places and waiting-list entries in
    sessions that have not started; each freed seat goes to the session's first waiting leader."""
    rows = await (
        Enrolment.select_for_update(no_key=True)
        .filter(
            leader_id=leader_id,
            status__in=[EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITING],
            session__starts_at__gt=now,
        )
        .only("id", "session_id", "status")
    )
    freed: list[int] = []
    for row in sorted(rows, key=lambda r: (r.session_id, r.id)):
        await Enrolment.filter(id=row.id).update(status=EnrolmentStatus.CANCELLED, cancelled_at=now)
        if row.status is EnrolmentStatus.ENROLLED:
            await _free_seat(actor, row.session_id, now, "withdrawal")
            freed.append(row.session_id)
    return freed


async def _enrolment_preconditions(
    actor: Actor, session_id: int, leader_id: int, doing: str
) -> tuple[MicroLeader, TrainingSession, datetime]:
    leader = await queries.leader_by_id(leader_id)
    policy.require_enrol(actor, leader)
    session = await queries.session_by_id(session_id)
    if leader.cohort_id != session.cohort_id:
        raise DomainError(LeaderCode.WRONG_COHORT, "该微领袖不属于本场培训的期次", ["leaderId"])
    now = lifecycle.now()
    _require_not_started(actor, session, now, doing)
    return leader, session, now


async def _locked_active_leader(leader_id: int, doing: str) -> MicroLeader:
    locked = await lifecycle.lock_leader(leader_id)
    if not locked.status.is_active:
        raise DomainError(
            LeaderCode.LEADER_NOT_ACTIVE, f"“{locked.status.label}”的微领袖不能{doing}", ["leaderId"]
        )
    return locked


def _require_not_booked(enrolment: Enrolment | None) -> None:
    if enrolment is not None and enrolment.status is EnrolmentStatus.ENROLLED:
        raise DomainError(LeaderCode.ALREADY_ENROLLED, "已报名本场培训", ["sessionId"])
    if enrolment is not None and enrolment.status is EnrolmentStatus.WAITING:
        raise DomainError(LeaderCode.ALREADY_WAITING, "已在本场培训的候补名单中", ["sessionId"])


async def _enrolled_now(
    actor: Actor, locked: MicroLeader, session_id: int, enrolment: Enrolment | None, now: datetime
) -> Enrolment:
    """The seat is taken: record the enrolment, and make a NOMINATED leader ENROLLED."""
    enrolment = await _save_enrolment(enrolment, session_id, locked.id, now, EnrolmentStatus.ENROLLED)
    before = locked.status
    if before is LeaderStatus.NOMINATED:
        lifecycle.transition(locked, LeaderStatus.ENROLLED, None, now)
        await lifecycle.save_status(locked)
    await audit.record(actor, "session.enrol", "TrainingSession", session_id, leader_id=locked.id)
    if before is LeaderStatus.NOMINATED:
        await lifecycle.record_transition(
            actor, locked, "leader.enrol", before, automatic=True, session_id=session_id
        )
    return enrolment


async def enrol(*, actor: Actor, session_id: int, leader_id: int) -> Enrolment:
    """Enrol a leader of the session's cohort before it starts (the leader themself, grid staff
    over their home cell, or the bureau). Takes a seat or fails with SESSION_FULL (the page then
    offers the waiting list); a cancelled enrolment is revived. A NOMINATED leader becomes
    ENROLLED with their first enrolment."""
    leader, session, now = await _enrolment_preconditions(actor, session_id, leader_id, "报名")
    async with in_transaction():
        locked = await _locked_active_leader(leader.id, "报名")
        enrolment = await queries.enrolment_of(session.id, leader.id)
        _require_not_booked(enrolment)
        if not await _take_seat(session.id):
            raise DomainError(LeaderCode.SESSION_FULL, "名额已满，可以登记候补", ["sessionId"])
        return await _enrolled_now(actor, locked, session.id, enrolment, now)


async def join_waitlist(*, actor: Actor, session_id: int, leader_id: int) -> Enrolment:
    """Join a full session's waiting list (候补), same people and rules as `enrol`. If a seat is
    free by now, the leader is simply enrolled (the returned enrolment says which)."""
    leader, session, now = await _enrolment_preconditions(actor, session_id, leader_id, "登记候补")
    async with in_transaction():
        locked = await _locked_active_leader(leader.id, "登记候补")
        enrolment = await queries.enrolment_of(session.id, leader.id)
        _require_not_booked(enrolment)
        await _lock_session(session.id)
        if await _take_seat(session.id):
            return await _enrolled_now(actor, locked, session.id, enrolment, now)
        enrolment = await _save_enrolment(enrolment, session.id, leader.id, now, EnrolmentStatus.WAITING)
        await audit.record(actor, "session.join_waitlist", "TrainingSession", session.id, leader_id=leader.id)
    return enrolment


async def _save_enrolment(
    enrolment: Enrolment | None, session_id: int, leader_id: int, now: datetime, status: EnrolmentStatus
) -> Enrolment:
    if enrolment is None:
        return await Enrolment.create(
            session_id=session_id, leader_id=leader_id, enrolled_at=now, status=status
        )
    enrolment.status, enrolment.enrolled_at, enrolment.cancelled_at = status, now, None
    await enrolment.save(update_fields=["status", "enrolled_at", "cancelled_at"])
    return enrolment


async def cancel_enrolment(*, actor: Actor, session_id: int, leader_id: int) -> Enrolment:
    """Cancel an enrolment, or leave the waiting list, before the session starts (same people as
    `enrol`). A freed seat goes to the first waiting leader at once. The leader stays ENROLLED
    in the cohort."""
    leader = await queries.leader_by_id(leader_id)
    policy.require_enrol(actor, leader)
    session = await queries.session_by_id(session_id)
    now = lifecycle.now()
    _require_not_started(actor, session, now, "取消报名")
    async with in_transaction():
        await lifecycle.lock_leader(leader.id)
        enrolment = await Enrolment.select_for_update(no_key=True).get_or_none(
            session_id=session.id, leader_id=leader.id
        )
        if enrolment is None or enrolment.status is EnrolmentStatus.CANCELLED:
            raise DomainError(LeaderCode.NOT_ENROLLED, "未报名本场培训", ["sessionId"])
        was = enrolment.status
        enrolment.status, enrolment.cancelled_at = EnrolmentStatus.CANCELLED, now
        await enrolment.save(update_fields=["status", "cancelled_at"])
        if was is EnrolmentStatus.ENROLLED:
            await _free_seat(actor, session.id, now, "cancellation")
        action = "session.cancel_enrolment" if was is EnrolmentStatus.ENROLLED else "session.leave_waitlist"
        await audit.record(actor, action, "TrainingSession", session.id, leader_id=leader.id)
    return enrolment


# --- check-in and attendance ------------------------------------------------------------------


class CheckInWindow(NamedTuple):
    code: str
    until: datetime


async def open_check_in(*, actor: Actor, session_id: int, minutes: int = 15) -> CheckInWindow:
    """A fresh 6-digit code, valid for `minutes` (1–240), for the facilitator to show. Replaces any
    earlier code, which also gives every leader a fresh allowance of attempts."""
    session = await queries.session_by_id(session_id)
    policy.require_run_check_in(actor, session)
    if not 1 <= minutes <= MAX_CHECK_IN_MINUTES:
        raise ValidationError(
            ErrorCode.INVALID, f"签到开放时长须为 1–{MAX_CHECK_IN_MINUTES} 分钟", ["minutes"]
        )
    window = CheckInWindow(checkin.new_code(), lifecycle.now() + timedelta(minutes=minutes))
    async with in_transaction():
        await TrainingSession.filter(id=session.id).update(
            check_in_code=window.code, check_in_until=window.until
        )
        await audit.record(
            actor, "session.open_check_in", "TrainingSession", session.id, minutes=minutes, until=window.until
        )
    return window


async def close_check_in(*, actor: Actor, session_id: int) -> TrainingSession:
    """End check-in now (before the code expires)."""
    session = await queries.session_by_id(session_id)
    policy.require_run_check_in(actor, session)
    async with in_transaction():
        await TrainingSession.filter(id=session.id).update(check_in_code=None, check_in_until=None)
        await audit.record(actor, "session.close_check_in", "TrainingSession", session.id)
    session.check_in_code = session.check_in_until = None
    return session


def check_in_window(session: TrainingSession) -> tuple[datetime, datetime]:
    """When a code for this session may be used: from `CHECK_IN_EARLY` before it starts to its end."""
    return session.starts_at - CHECK_IN_EARLY, session.ends_at


def require_within_window(session: TrainingSession, now: datetime) -> None:
    opens, closes = check_in_window(session)
    if now < opens:
        local = opens.astimezone(SHANGHAI)
        raise DomainError(
            LeaderCode.CHECK_IN_TOO_EARLY,
            f"签到尚未开始：本场培训于 {local:%m月%d日 %H:%M} 起可签到（开始前 30 分钟）",
            ["code"],
        )
    if now > closes:
        raise DomainError(LeaderCode.SESSION_ENDED, "本场培训已结束，不能再签到", ["code"])


def is_check_in_open(session: TrainingSession, now: datetime | None = None) -> bool:
    return (
        session.check_in_code is not None
        and session.check_in_until is not None
        and (now or lifecycle.now()) <= session.check_in_until
    )


async def check_in(*, actor: Actor, session_id: int, code: str) -> Attendance:
    """The signed-in leader checks in to a session they are enrolled in, once, with the code the
    facilitator shows while it is open. Wrong codes are counted (see `checkin`). Attendance may
    complete the certification rule, which then certifies the leader at once."""
    policy.require_check_in(actor)
    session = await queries.session_by_id(session_id)
    leader = await _enrolled_leader(actor, session)
    _require_not_checked_in(await Attendance.get_or_none(session_id=session.id, leader_id=leader.id))
    now, expected, until = lifecycle.now(), session.check_in_code, session.check_in_until
    if not "".join(code.split()):
        raise ValidationError(LeaderCode.CODE_REQUIRED, "请输入签到码", ["code"])
    require_within_window(session, now)
    if expected is None or until is None or now > until:
        raise DomainError(LeaderCode.CHECK_IN_CLOSED, "签到未开放或已结束", ["code"])
    await checkin.count_attempt(session.id, leader.id, until)
    if not checkin.code_matches(code, expected):
        raise DomainError(LeaderCode.WRONG_CODE, "签到码不正确", ["code"])
    async with in_transaction():
        locked = await lifecycle.lock_leader(leader.id)
        mark = await Attendance.get_or_none(session_id=session.id, leader_id=leader.id)
        _require_not_checked_in(mark)
        mark = await _mark(mark, session.id, leader.id, present=True, checked_in_at=now)
        certified = await lifecycle.certify_if_met(locked, now)
        await audit.record(actor, "session.check_in", "TrainingSession", session.id, leader_id=leader.id)
        if certified is not None:
            await lifecycle.record_automatic_certification(actor, locked, certified)
    return mark


def _require_not_checked_in(mark: Attendance | None) -> None:
    """Once per leader and session: a leader marked absent after checking in (left early) cannot
    check in again; one marked absent beforehand can, by proving presence with the code."""
    if mark is not None and (mark.present or mark.checked_in_at is not None):
        raise DomainError(LeaderCode.ALREADY_CHECKED_IN, "您已签到", ["code"])


async def _enrolled_leader(actor: Actor, session: TrainingSession) -> MicroLeader:
    leader = await queries.leader_in_cohort(actor.person_id or 0, session.cohort_id)
    enrolment = await queries.enrolment_of(session.id, leader.id) if leader else None
    if leader is None or enrolment is None or enrolment.status is not EnrolmentStatus.ENROLLED:
        raise DomainError(LeaderCode.NOT_ENROLLED, "您未报名本场培训", ["sessionId"])
    if leader.status is LeaderStatus.WITHDRAWN:
        raise DomainError(LeaderCode.LEADER_NOT_ACTIVE, "已退出的微领袖不能签到", ["sessionId"])
    return leader


async def _mark(mark: Attendance | None, session_id: int, leader_id: int, **values: Any) -> Attendance:
    """Create or update one attendance row (the caller holds the leader lock)."""
    if mark is None:
        return await Attendance.create(session_id=session_id, leader_id=leader_id, **values)
    mark.update_from_dict(values)
    await mark.save()
    return mark


async def correct_attendance(
    *, actor: Actor, session_id: int, leader_id: int, present: bool, reason: str
) -> Attendance:
    """The facilitator (or the bureau) marks an enrolled leader present or absent, with a reason,
    once the session has started. Marking present may certify the leader at once; marking absent
    never takes a certification back (that is a decision for the bureau, not a side effect)."""
    session = await queries.session_by_id(session_id)
    policy.require_run_check_in(actor, session)
    clean_reason = lifecycle.reason(reason)
    now = lifecycle.now()
    if now < session.starts_at:
        raise DomainError(LeaderCode.SESSION_NOT_STARTED, "培训尚未开始，不能更正签到表", ["sessionId"])
    async with in_transaction():
        leader = await lifecycle.lock_leader(leader_id)
        enrolment = await queries.enrolment_of(session.id, leader.id)
        if enrolment is None or enrolment.status is not EnrolmentStatus.ENROLLED:
            raise DomainError(LeaderCode.NOT_ENROLLED, "该微领袖未报名本场培训", ["leaderId"])
        mark = await Attendance.get_or_none(session_id=session.id, leader_id=leader.id)
        before = mark.present if mark is not None else None
        mark = await _mark(
            mark,
            session.id,
            leader.id,
            present=present,
            corrected_by_user_id=actor.user_id,
            correction_reason=clean_reason,
        )
        certified = await lifecycle.certify_if_met(leader, now)
        await audit.record(
            actor,
            "attendance.correct",
            "TrainingSession",
            session.id,
            leader_id=leader.id,
            before=before,
            after=present,
            reason=clean_reason,
        )
        if certified is not None:
            await lifecycle.record_automatic_certification(actor, leader, certified)
    return mark
