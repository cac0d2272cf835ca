from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from api.schema.contributions import Slot
from api.schema.errors import error_codes
from api.schema.grids.types import GridCellType
from api.schema.info import Info
from api.schema.limits import max_items
from api.schema.people.types import PersonType
from api.schema.relay import UserError
from domain.errors import ErrorCode
from domain.leaders import policy
from domain.leaders.errors import LeaderCode
from domain.leaders.models import (
    Cohort,
    LeaderStatus,
    MicroLeader,
    SessionType,
    SourceRole,
    TrainingSession,
)
from domain.leaders.queries import MAX_CAPACITY, MAX_SESSIONS_PER_COHORT, Progress
from domain.people.policy import view_for

SourceRoleEnum = strawberry.enum(SourceRole, name="SourceRole", description="微领袖来源身份")
LeaderStatusEnum = strawberry.enum(LeaderStatus, name="LeaderStatus", description="微领袖状态")
SessionTypeEnum = strawberry.enum(SessionType, name="SessionType", description="培训类型")


@strawberry.type(description="结业认证进度")
class CertificationProgress:
    required_total: int = strawberry.field(description="本期必修场次总数")
    required_attended: int = strawberry.field(description="已出席的必修场次")
    share: Decimal = strawberry.field(description="必修出席比例")
    hours: Decimal = strawberry.field(description="已获学时")
    min_share: Decimal
    min_hours: Decimal
    met: bool = strawberry.field(description="是否已满足结业条件")

    @classmethod
    def from_progress(cls, p: Progress) -> CertificationProgress:
        return cls(
            required_total=p.required_total,
            required_attended=p.required_attended,
            share=p.share,
            hours=p.hours,
            min_share=p.min_share,
            min_hours=p.min_hours,
            met=p.met,
        )


@strawberry.type(description="某一状态的人数")
class LeaderStatusCount:
    status: LeaderStatusEnum  # type: ignore[valid-type]
    label: str
    count: int


@strawberry.type(name="Cohort", description="微领袖培训期次")
class CohortType(relay.Node):
    id: relay.NodeID[int]
    name: str
    year: int
    year_unverified: bool = strawberry.field(description="年份系推断（如报告中的“去年”），待核实")
    min_attendance_share: Decimal = strawberry.field(description="结业所需必修出席比例")
    min_hours: Decimal = strawberry.field(description="结业所需学时")
    is_demo: bool = strawberry.field(description="演示数据（生成的，非真实记录）")

    @classmethod
    def from_model(cls, cohort: Cohort) -> CohortType:
        return cls(
            id=cohort.id,
            name=cohort.name,
            year=cohort.year,
            year_unverified=cohort.year_unverified,
            min_attendance_share=Decimal(str(cohort.min_attendance_share)),
            min_hours=Decimal(str(cohort.min_hours)),
            is_demo=cohort.is_demo,
        )

    @strawberry.field(description="培训计划（按时间排序）", metadata=max_items(MAX_SESSIONS_PER_COHORT))
    async def sessions(self, info: Info) -> list[TrainingSessionType]:
        rows = await info.context.loaders.leaders.sessions_by_cohort.load(self.id)
        return [TrainingSessionType.from_model(s) for s in rows]

    @strawberry.field(description="各状态人数", metadata=max_items(len(LeaderStatus)))
    async def status_counts(self, info: Info) -> list[LeaderStatusCount]:
        counts = await info.context.loaders.leaders.status_counts_by_cohort.load(self.id)
        return [LeaderStatusCount(status=s, label=s.label, count=counts.get(s, 0)) for s in LeaderStatus]


@strawberry.type(name="MicroLeader", description="微领袖；姓名对公众脱敏")
class MicroLeaderType(relay.Node):
    id: relay.NodeID[int]
    source_role: SourceRoleEnum  # type: ignore[valid-type]
    source_role_label: str
    status: LeaderStatusEnum  # type: ignore[valid-type]
    status_label: str
    status_reason: str | None
    nominated_at: datetime
    enrolled_at: datetime | None
    certified_at: datetime | None
    withdrawn_at: datetime | None
    is_demo: bool = strawberry.field(description="演示数据（生成的，非真实记录）")
    model: strawberry.Private[MicroLeader]

    @classmethod
    def from_model(cls, leader: MicroLeader) -> MicroLeaderType:
        return cls(
            id=leader.id,
            source_role=leader.source_role,
            source_role_label=leader.source_role.label,
            status=leader.status,
            status_label=leader.status.label,
            status_reason=leader.status_reason,
            nominated_at=leader.nominated_at,
            enrolled_at=leader.enrolled_at,
            certified_at=leader.certified_at,
            withdrawn_at=leader.withdrawn_at,
            is_demo=leader.is_demo,
            model=leader,
        )

    @strawberry.field(description="姓名（对公众脱敏）")
    def name(self, info: Info) -> str:
        return view_for(info.context.actor, self.model.person).name

    @strawberry.field(description="本人（脱敏规则同 Person）")
    def person(self, info: Info) -> PersonType:
        return PersonType.for_actor(info.context.actor, self.model.person)

    @strawberry.field
    async def cohort(self, info: Info) -> CohortType:
        cohort = await info.context.loaders.leaders.cohort_by_id.load(self.model.cohort_id)
        assert cohort is not None  # a leader's cohort is a foreign key
        return CohortType.from_model(cohort)

    @strawberry.field(description="所在网格单元")
    async def home_cell(self, info: Info) -> GridCellType:
        cell = await info.context.loaders.grids.cell_by_id.load(self.model.home_cell_id)
        assert cell is not None  # a foreign key
        return GridCellType.from_model(cell)

    @strawberry.field(description="结业认证进度（本人、辖区网格员与民政局可见）")
    async def progress(self, info: Info) -> CertificationProgress | None:
        if not policy.can_view_progress(info.context.actor, self.model):
            return None
        progress = await info.context.loaders.leaders.progress_by_leader.load(self.id)
        return CertificationProgress.from_progress(progress) if progress else None


# Other domains add MicroLeader fields here (before `progress`): verifiedActivityCounts.
MICRO_LEADER_FIELDS = Slot(MicroLeaderType, before="progress")


@strawberry.type(name="TrainingSession", description="一场培训")
class TrainingSessionType(relay.Node):
    id: relay.NodeID[int]
    session_type: SessionTypeEnum  # type: ignore[valid-type]
    type_label: str
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    facilitator: str
    capacity: int
    enrolled_count: int
    hours: Decimal
    required: bool
    is_demo: bool = strawberry.field(description="演示数据（生成的，非真实记录）")
    model: strawberry.Private[TrainingSession]

    @classmethod
    def from_model(cls, session: TrainingSession) -> TrainingSessionType:
        return cls(
            id=session.id,
            session_type=session.session_type,
            type_label=session.session_type.label,
            title=session.title,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            venue=session.venue,
            facilitator=session.facilitator,
            capacity=session.capacity,
            enrolled_count=session.enrolled_count,
            hours=Decimal(str(session.hours)),
            required=session.required,
            is_demo=session.is_demo,
            model=session,
        )

    @strawberry.field(description="是否一对一预约（个案辅导增能，名额固定为 1）")
    def one_to_one(self) -> bool:
        return self.model.session_type is SessionType.CASE_COACHING

    @strawberry.field(description="剩余名额")
    def seats_left(self) -> int:
        return max(0, self.capacity - self.enrolled_count)

    @strawberry.field(description="签到是否开放")
    def check_in_open(self) -> bool:
        until = self.model.check_in_until
        return until is not None and datetime.now(UTC) <= until

    @strawberry.field
    async def cohort(self, info: Info) -> CohortType:
        cohort = await info.context.loaders.leaders.cohort_by_id.load(self.model.cohort_id)
        assert cohort is not None
        return CohortType.from_model(cohort)

    @strawberry.field(description="已报名的微领袖（按报名顺序）", metadata=max_items(MAX_CAPACITY))
    async def enrolled_leaders(self, info: Info) -> list[MicroLeaderType]:
        enrolments = await info.context.loaders.leaders.enrolments_by_session.load(self.id)
        return [MicroLeaderType.from_model(e.leader) for e in enrolments]


@strawberry.input(description="微领袖筛选")
class MicroLeaderFilter:
    cohort: strawberry.ID | None = None
    status: LeaderStatusEnum | None = None  # type: ignore[valid-type]
    subtree: strawberry.ID | None = strawberry.field(default=None, description="所在网格子树（网格单元 ID）")
    search: str | None = strawberry.field(default=None, description="按姓名搜索（仅工作人员）")


LeaderErrorCode = error_codes(
    "LeaderErrorCode",
    [
        ErrorCode.INVALID_TRANSITION,
        ErrorCode.REASON_REQUIRED,
        LeaderCode.ALREADY_ACTIVE_LEADER,
        LeaderCode.ALREADY_CERTIFIED,
        ErrorCode.DUPLICATE_PERSON,
        ErrorCode.DUPLICATE_NAME,
        LeaderCode.LEADER_NOT_ACTIVE,
        LeaderCode.WRONG_COHORT,
        LeaderCode.INVALID_TIME_RANGE,
        LeaderCode.CAPACITY_OUT_OF_RANGE,
        LeaderCode.HOURS_OUT_OF_RANGE,
        LeaderCode.SESSION_FULL,
        LeaderCode.SESSION_STARTED,
        LeaderCode.SESSION_NOT_STARTED,
        LeaderCode.ALREADY_ENROLLED,
        LeaderCode.NOT_ENROLLED,
        LeaderCode.CHECK_IN_CLOSED,
        LeaderCode.WRONG_CODE,
        LeaderCode.ALREADY_CHECKED_IN,
        LeaderCode.TOO_MANY_ATTEMPTS,
        LeaderCode.CODE_REQUIRED,
        LeaderCode.CHECK_IN_TOO_EARLY,
        LeaderCode.SESSION_ENDED,
        LeaderCode.ALREADY_WAITING,
        ErrorCode.ONE_TO_ONE,
        ErrorCode.INVALID_MOBILE,
        ErrorCode.INVALID_NAME,
        ErrorCode.RETIRED,
    ],
    "微领袖与培训相关错误码",
)


@strawberry.type
class LeaderUserError(UserError):
    code: LeaderErrorCode  # type: ignore[valid-type]
