from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from api.schema.errors import error_codes
from api.schema.grids.types import GridCellType
from api.schema.info import Info
from api.schema.leaders.types import MicroLeaderType
from api.schema.limits import max_items
from api.schema.relay import UserError
from domain.activities import policy
from domain.activities.errors import ActivityCode
from domain.activities.models import (
    Activity,
    ActivityPhoto,
    ActivityStatus,
    ActivityType,
    MediationOutcome,
    ProblemCategory,
)
from domain.activities.photos import MAX_PHOTOS
from domain.errors import ErrorCode

ActivityTypeEnum = strawberry.enum(ActivityType, name="ActivityType", description="活动类型")
ActivityStatusEnum = strawberry.enum(ActivityStatus, name="ActivityStatus", description="记录状态")
MediationOutcomeEnum = strawberry.enum(MediationOutcome, name="MediationOutcome", description="调解结果")
ProblemCategoryEnum = strawberry.enum(ProblemCategory, name="ProblemCategory", description="问题类别")

PHOTO_PATH = "/photos/{id}"


@strawberry.type(description="发现的问题（按类别计数）")
class ProblemCount:
    category: ProblemCategoryEnum  # type: ignore[valid-type]
    label: str
    count: int


@strawberry.type(description="某类活动的数量")
class ActivityTypeCount:
    activity_type: ActivityTypeEnum  # type: ignore[valid-type]
    label: str
    count: int


@strawberry.type(name="ActivityPhoto", description="活动照片（已去除位置信息）")
class ActivityPhotoType:
    url: str = strawberry.field(description="仅能看到该记录详情的人可以打开")
    content_type: str
    width: int
    height: int

    @classmethod
    def from_model(cls, photo: ActivityPhoto) -> ActivityPhotoType:
        return cls(
            url=PHOTO_PATH.format(id=photo.id),
            content_type=photo.content_type,
            width=photo.width,
            height=photo.height,
        )


@strawberry.type(name="Activity", description="民情日志：一条活动记录")
class ActivityType_(relay.Node):
    id: relay.NodeID[int]
    activity_type: ActivityTypeEnum  # type: ignore[valid-type]
    type_label: str
    title: str
    started_at: datetime
    ended_at: datetime
    participants: int
    households_reached: int
    volunteer_hours: Decimal | None
    is_public: bool = strawberry.field(description="核实人是否公开了这条记录（公众只看到公开的已核实记录）")
    details_public: bool = strawberry.field(
        description="是否连同详情（叙述、地点、问题、照片、后续跟进、调解结果）一起公开"
    )
    status: ActivityStatusEnum  # type: ignore[valid-type]
    status_label: str
    return_reason: str | None
    submitted_at: datetime | None
    verified_at: datetime | None
    is_demo: bool = strawberry.field(description="演示数据（生成的，非真实记录）")
    model: strawberry.Private[Activity]

    @classmethod
    def from_model(cls, a: Activity) -> ActivityType_:
        return cls(
            id=a.id,
            activity_type=a.activity_type,
            type_label=a.activity_type.label,
            title=a.title,
            started_at=a.started_at,
            ended_at=a.ended_at,
            participants=a.participants,
            households_reached=a.households_reached,
            volunteer_hours=Decimal(str(a.volunteer_hours)) if a.volunteer_hours is not None else None,
            is_public=a.is_public,
            details_public=a.details_public,
            status=a.status,
            status_label=a.status.label,
            return_reason=a.return_reason,
            submitted_at=a.submitted_at,
            verified_at=a.verified_at,
            is_demo=a.is_demo,
            model=a,
        )

    @strawberry.field(description="时长（分钟）")
    def duration_minutes(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds() // 60)

    # Details: null (lists empty) for a reader who may not see them (`policy.can_see_details`).

    def _details(self, info: Info) -> bool:
        return policy.can_see_details(info.context.actor, self.model)

    @strawberry.field(description="经过（详情不公开时对公众为空）")
    def narrative(self, info: Info) -> str | None:
        return self.model.narrative if self._details(info) else None

    @strawberry.field(description="地点（详情不公开时对公众为空）")
    def place(self, info: Info) -> str | None:
        return self.model.place if self._details(info) else None

    @strawberry.field(description="后续跟进（详情不公开时对公众为空）")
    def follow_up(self, info: Info) -> str | None:
        return self.model.follow_up if self._details(info) else None

    @strawberry.field(description="调解结果（详情不公开时对公众为空）")
    def mediation_outcome(self, info: Info) -> MediationOutcomeEnum | None:  # type: ignore[valid-type]
        return self.model.mediation_outcome if self._details(info) else None

    @strawberry.field
    def mediation_outcome_label(self, info: Info) -> str | None:
        outcome = self.model.mediation_outcome
        return outcome.label if outcome and self._details(info) else None

    @strawberry.field(
        description="发现的问题（详情不公开时对公众为空）", metadata=max_items(len(ProblemCategory))
    )
    def problems(self, info: Info) -> list[ProblemCount]:
        if not self._details(info):
            return []
        rows = [(ProblemCategory(k), int(v)) for k, v in (self.model.problems or {}).items()]
        return [ProblemCount(category=c, label=c.label, count=n) for c, n in rows]

    @strawberry.field(description="所记录的网格单元（对公众：所在网格，不显示微网格）")
    async def cell(self, info: Info) -> GridCellType:
        cell_id = policy.shown_cell_id(info.context.actor, self.model)
        cell = await info.context.loaders.grids.cell_by_id.load(cell_id)
        assert cell is not None  # a foreign key, or the grid on its path
        return GridCellType.from_model(cell)

    @strawberry.field(description="记录人（微领袖；网格员代录时为空；详情不公开时对公众为空）")
    async def leader(self, info: Info) -> MicroLeaderType | None:
        if self.model.leader_id is None or not self._details(info):
            return None
        leader = await info.context.loaders.leaders.leader_by_id.load(self.model.leader_id)
        return MicroLeaderType.from_model(leader) if leader else None

    @strawberry.field(description="照片（详情不公开时对公众为空）", metadata=max_items(MAX_PHOTOS))
    async def photos(self, info: Info) -> list[ActivityPhotoType]:
        if not self._details(info):
            return []
        photos = await info.context.loaders.activities.photos_by_activity.load(self.id)
        return [ActivityPhotoType.from_model(p) for p in photos]


@strawberry.type(description="一个社区/村的已核实活动数（按类型）")
class UnitActivityCounts:
    cell_id: strawberry.Private[int]
    counts: list[ActivityTypeCount] = strawberry.field(metadata=max_items(len(ActivityType)))

    @strawberry.field(description="社区或村")
    async def cell(self, info: Info) -> GridCellType:
        cell = await info.context.loaders.grids.cell_by_id.load(self.cell_id)
        assert cell is not None  # the unit's row joined in the aggregate
        return GridCellType.from_model(cell)

    @strawberry.field(description="合计")
    def total(self) -> int:
        return sum(c.count for c in self.counts)


@strawberry.input(description="活动记录筛选")
class ActivityFilter:
    subtree: strawberry.ID | None = strawberry.field(default=None, description="网格单元 ID：含其下级")
    cell: strawberry.ID | None = strawberry.field(default=None, description="仅此网格单元")
    leader: strawberry.ID | None = None
    types: list[ActivityTypeEnum] | None = None  # type: ignore[valid-type]
    statuses: list[ActivityStatusEnum] | None = None  # type: ignore[valid-type]
    since: datetime | None = strawberry.field(default=None, description="开始时间不早于（含）")
    until: datetime | None = strawberry.field(default=None, description="开始时间早于（不含）")


ActivityErrorCode = error_codes(
    "ActivityErrorCode",
    [
        ErrorCode.INVALID_TRANSITION,
        ErrorCode.REASON_REQUIRED,
        ActivityCode.NOT_EDITABLE,
        ErrorCode.FUTURE_TIME,
        ErrorCode.END_BEFORE_START,
        ActivityCode.DURATION_TOO_LONG,
        ActivityCode.TOO_OLD,
        ErrorCode.OUT_OF_RANGE,
        ErrorCode.INVALID_LENGTH,
        ActivityCode.REQUIRED_FOR_TYPE,
        ErrorCode.NOT_FOR_TYPE,
        ActivityCode.TOO_MANY_PHOTOS,
        ActivityCode.UNSUPPORTED_FILE,
        ActivityCode.FILE_TOO_LARGE,
        ActivityCode.IMAGE_TOO_LARGE,
        ErrorCode.RETIRED,
    ],
    "活动记录相关错误码",
)


@strawberry.type
class ActivityUserError(UserError):
    code: ActivityErrorCode  # type: ignore[valid-type]
