from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from api.schema.info import Info
from api.schema.leaders.types import (
    CohortType,
    LeaderUserError,
    MicroLeaderType,
    SessionTypeEnum,
    SourceRoleEnum,
    TrainingSessionType,
)
from api.schema.mutation import respond
from api.schema.relay import USER_ERRORS, node_pk
from domain.accounts import queries as account_queries
from domain.errors import NotFound
from domain.leaders import checkin, queries, service, training
from domain.leaders.models import (
    Attendance,
    Cohort,
    Enrolment,
    EnrolmentStatus,
    MicroLeader,
    SessionType,
    SourceRole,
    TrainingSession,
)
from domain.leaders.training import CheckInWindow

CHECK_IN_PATH = "/training/sessions/{id}/check-in"


@strawberry.input(description="提名微领袖：选择已有人员，或填写新人员的姓名与手机号")
class LeaderNominateInput:
    cohort_id: strawberry.ID
    home_cell_id: strawberry.ID
    source_role: SourceRoleEnum  # type: ignore[valid-type]
    person_id: strawberry.ID | None = None
    name: str | None = None
    mobile: str | None = None


@strawberry.input(description="带原因的状态变更")
class LeaderReasonInput:
    id: strawberry.ID
    reason: str


@strawberry.type
class LeaderPayload:
    leader: MicroLeaderType | None
    user_errors: list[LeaderUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.input(description="新建培训场次")
class SessionCreateInput:
    cohort_id: strawberry.ID
    session_type: SessionTypeEnum  # type: ignore[valid-type]
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    facilitator: str
    hours: Decimal
    capacity: int | None = strawberry.field(
        default=None, description="名额；个案辅导增能为一对一预约，固定为 1（可不填）"
    )
    required: bool = True
    facilitator_username: str | None = strawberry.field(default=None, description="负责签到的账号")


@strawberry.input(description="修改培训场次（只改填写的字段）")
class SessionUpdateInput:
    id: strawberry.ID
    session_type: SessionTypeEnum | None = None  # type: ignore[valid-type]
    title: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    venue: str | None = None
    facilitator: str | None = None
    capacity: int | None = None
    hours: Decimal | None = None
    required: bool | None = None


@strawberry.input(description="新建培训期及其结业条件")
class CohortCreateInput:
    name: str
    year: int
    min_attendance_share: Decimal = strawberry.field(default=Decimal("0.8"), description="必修出席比例")
    min_hours: Decimal = strawberry.field(default=Decimal(0), description="结业所需学时")
    year_unverified: bool = strawberry.field(default=False, description="年份系推断，待核实")


@strawberry.input(description="修改培训期（只改填写的字段）")
class CohortUpdateInput:
    id: strawberry.ID
    name: str | None = None
    year: int | None = None
    min_attendance_share: Decimal | None = None
    min_hours: Decimal | None = None
    year_unverified: bool | None = None


@strawberry.type
class CohortPayload:
    cohort: CohortType | None
    user_errors: list[LeaderUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class TrainingSessionPayload:
    session: TrainingSessionType | None
    user_errors: list[LeaderUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.input(description="报名或取消报名")
class EnrolmentInput:
    session_id: strawberry.ID
    leader_id: strawberry.ID


@strawberry.type
class EnrolmentPayload:
    session: TrainingSessionType | None
    leader: MicroLeaderType | None
    user_errors: list[LeaderUserError] = strawberry.field(metadata=USER_ERRORS)
    waiting: bool = strawberry.field(default=False, description="在候补名单中（尚未取得名额）")


@strawberry.input(description="开放签到")
class SessionOpenCheckInInput:
    session_id: strawberry.ID
    minutes: int = 15


@strawberry.type
class SessionOpenCheckInPayload:
    session: TrainingSessionType | None
    code: str | None = strawberry.field(description="签到码，向学员展示")
    until: datetime | None
    check_in_url: str | None = strawberry.field(description="签到页面地址（二维码内容）")
    qr_svg: str | None = strawberry.field(description="签到地址的二维码（SVG）")
    user_errors: list[LeaderUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.input(description="凭签到码签到")
class SessionCheckInInput:
    session_id: strawberry.ID
    code: str


@strawberry.input(description="更正签到表（须说明原因）")
class AttendanceCorrectInput:
    session_id: strawberry.ID
    leader_id: strawberry.ID
    present: bool
    reason: str


@strawberry.type
class AttendancePayload:
    session: TrainingSessionType | None
    present: bool | None
    checked_in_at: datetime | None
    user_errors: list[LeaderUserError] = strawberry.field(metadata=USER_ERRORS)


async def _leader(work: Callable[[], Awaitable[MicroLeader]]) -> LeaderPayload:
    return await respond(LeaderPayload, work, lambda leader: {"leader": MicroLeaderType.from_model(leader)})


async def _cohort(work: Callable[[], Awaitable[Cohort]]) -> CohortPayload:
    return await respond(CohortPayload, work, lambda cohort: {"cohort": CohortType.from_model(cohort)})


async def _training_session(work: Callable[[], Awaitable[TrainingSession]]) -> TrainingSessionPayload:
    return await respond(
        TrainingSessionPayload, work, lambda session: {"session": TrainingSessionType.from_model(session)}
    )


async def _user_id(username: str | None) -> int | None:
    if not username:
        return None
    user_id = await account_queries.user_id_by_username(username)
    if user_id is None:
        raise NotFound("该账号不存在", ["facilitatorUsername"])
    return user_id


async def _nominate(info: Info, data: LeaderNominateInput) -> MicroLeader:
    actor = info.context.actor
    cohort_id = node_pk(data.cohort_id, "Cohort", "cohortId")
    home_cell_id = node_pk(data.home_cell_id, "GridCell", "homeCellId")
    role = SourceRole(data.source_role)
    if data.person_id:
        person_id = node_pk(data.person_id, "Person", "personId")
        return await service.nominate_leader(
            actor=actor, person_id=person_id, cohort_id=cohort_id, home_cell_id=home_cell_id, source_role=role
        )
    return await service.nominate_new_person(
        actor=actor,
        name=data.name or "",
        mobile=data.mobile or "",
        cohort_id=cohort_id,
        home_cell_id=home_cell_id,
        source_role=role,
    )


async def _create_session(info: Info, data: SessionCreateInput) -> TrainingSession:
    return await training.create_session(
        actor=info.context.actor,
        cohort_id=node_pk(data.cohort_id, "Cohort", "cohortId"),
        session_type=SessionType(data.session_type),
        title=data.title,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        venue=data.venue,
        facilitator=data.facilitator,
        facilitator_user_id=await _user_id(data.facilitator_username),
        capacity=data.capacity,
        hours=data.hours,
        required=data.required,
    )


async def _update_session(info: Info, data: SessionUpdateInput) -> TrainingSession:
    return await training.update_session(
        actor=info.context.actor,
        session_id=node_pk(data.id, "TrainingSession"),
        session_type=SessionType(data.session_type) if data.session_type else None,
        title=data.title,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        venue=data.venue,
        facilitator=data.facilitator,
        capacity=data.capacity,
        hours=data.hours,
        required=data.required,
    )


@strawberry.type
class LeaderMutations:
    @strawberry.mutation(description="提名微领袖（辖区网格员或民政局）")
    async def leader_nominate(self, info: Info, input: LeaderNominateInput) -> LeaderPayload:
        return await _leader(lambda: _nominate(info, input))

    @strawberry.mutation(description="微领袖退出（须说明原因）")
    async def leader_withdraw(self, info: Info, input: LeaderReasonInput) -> LeaderPayload:
        leader_id = node_pk(input.id, "MicroLeader")
        actor = info.context.actor
        return await _leader(
            lambda: service.withdraw_leader(actor=actor, leader_id=leader_id, reason=input.reason)
        )

    @strawberry.mutation(description="人工认证结业（民政局，须说明原因）")
    async def leader_certify(self, info: Info, input: LeaderReasonInput) -> LeaderPayload:
        leader_id = node_pk(input.id, "MicroLeader")
        actor = info.context.actor
        return await _leader(
            lambda: service.certify_leader(actor=actor, leader_id=leader_id, reason=input.reason)
        )

    @strawberry.mutation(description="新建培训期及结业条件（民政局）")
    async def cohort_create(self, info: Info, input: CohortCreateInput) -> CohortPayload:
        return await _cohort(
            lambda: training.create_cohort(
                actor=info.context.actor,
                name=input.name,
                year=input.year,
                min_attendance_share=input.min_attendance_share,
                min_hours=input.min_hours,
                year_unverified=input.year_unverified,
            )
        )

    @strawberry.mutation(description="修改培训期及结业条件（民政局）")
    async def cohort_update(self, info: Info, input: CohortUpdateInput) -> CohortPayload:
        cohort_id = node_pk(input.id, "Cohort")
        return await _cohort(
            lambda: training.update_cohort(
                actor=info.context.actor,
                cohort_id=cohort_id,
                name=input.name,
                year=input.year,
                min_attendance_share=input.min_attendance_share,
                min_hours=input.min_hours,
                year_unverified=input.year_unverified,
            )
        )

    @strawberry.mutation(description="新建培训场次（民政局）")
    async def session_create(self, info: Info, input: SessionCreateInput) -> TrainingSessionPayload:
        return await _training_session(lambda: _create_session(info, input))

    @strawberry.mutation(description="修改培训场次（民政局）")
    async def session_update(self, info: Info, input: SessionUpdateInput) -> TrainingSessionPayload:
        return await _training_session(lambda: _update_session(info, input))

    @strawberry.mutation(description="报名培训（本人或辖区工作人员）；名额有限")
    async def session_enrol(self, info: Info, input: EnrolmentInput) -> EnrolmentPayload:
        return await _enrolment(info, input, cancel=False)

    @strawberry.mutation(description="名额已满时登记候补；有人取消或退出时按登记顺序自动递补")
    async def session_join_waitlist(self, info: Info, input: EnrolmentInput) -> EnrolmentPayload:
        return await _enrolment(info, input, cancel=False, wait=True)

    @strawberry.mutation(description="取消报名或退出候补；释放的名额自动递补给第一位候补")
    async def session_cancel_enrolment(self, info: Info, input: EnrolmentInput) -> EnrolmentPayload:
        return await _enrolment(info, input, cancel=True)

    @strawberry.mutation(description="开放签到：生成签到码与二维码（主讲人或民政局）")
    async def session_open_check_in(
        self, info: Info, input: SessionOpenCheckInInput
    ) -> SessionOpenCheckInPayload:
        session_id = node_pk(input.session_id, "TrainingSession", "sessionId")
        url = str(info.context.request.base_url).rstrip("/") + CHECK_IN_PATH.format(id=input.session_id)

        async def opened(window: CheckInWindow) -> dict[str, Any]:
            session = await _session(session_id)
            qr_svg = checkin.checkin_qr_svg(url)
            return {
                "session": session,
                "code": window.code,
                "until": window.until,
                "check_in_url": url,
                "qr_svg": qr_svg,
            }

        return await respond(
            SessionOpenCheckInPayload,
            lambda: training.open_check_in(
                actor=info.context.actor, session_id=session_id, minutes=input.minutes
            ),
            opened,
        )

    @strawberry.mutation(description="凭签到码签到（本人）")
    async def session_check_in(self, info: Info, input: SessionCheckInInput) -> AttendancePayload:
        session_id = node_pk(input.session_id, "TrainingSession", "sessionId")
        return await _attendance(
            session_id,
            lambda: training.check_in(actor=info.context.actor, session_id=session_id, code=input.code),
        )

    @strawberry.mutation(description="更正签到表（主讲人或民政局，须说明原因）")
    async def attendance_correct(self, info: Info, input: AttendanceCorrectInput) -> AttendancePayload:
        session_id = node_pk(input.session_id, "TrainingSession", "sessionId")
        leader_id = node_pk(input.leader_id, "MicroLeader", "leaderId")
        return await _attendance(
            session_id,
            lambda: training.correct_attendance(
                actor=info.context.actor,
                session_id=session_id,
                leader_id=leader_id,
                present=input.present,
                reason=input.reason,
            ),
        )


async def _session(session_id: int) -> TrainingSessionType:
    return TrainingSessionType.from_model(await queries.session_by_id(session_id))


async def _enrolment(
    info: Info, data: EnrolmentInput, *, cancel: bool, wait: bool = False
) -> EnrolmentPayload:
    session_id = node_pk(data.session_id, "TrainingSession", "sessionId")
    leader_id = node_pk(data.leader_id, "MicroLeader", "leaderId")
    use_case = training.cancel_enrolment if cancel else training.join_waitlist if wait else training.enrol

    async def enrolled(enrolment: Enrolment) -> dict[str, Any]:
        leader = await queries.leader_by_id(leader_id)
        return {
            "session": await _session(session_id),
            "leader": MicroLeaderType.from_model(leader),
            "waiting": enrolment.status is EnrolmentStatus.WAITING,
        }

    return await respond(
        EnrolmentPayload,
        lambda: use_case(actor=info.context.actor, session_id=session_id, leader_id=leader_id),
        enrolled,
    )


async def _attendance(session_id: int, work: Callable[[], Awaitable[Attendance]]) -> AttendancePayload:
    async def marked(mark: Attendance) -> dict[str, Any]:
        session = await _session(session_id)
        return {"session": session, "present": mark.present, "checked_in_at": mark.checked_in_at}

    return await respond(AttendancePayload, work, marked)
