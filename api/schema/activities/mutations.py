from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from api.schema.activities.types import (
    ActivityPhotoType,
    ActivityType_,
    ActivityTypeEnum,
    ActivityUserError,
    MediationOutcomeEnum,
    ProblemCategoryEnum,
)
from api.schema.info import Info
from api.schema.mutation import respond
from api.schema.relay import USER_ERRORS, node_pk
from domain.activities import service
from domain.activities.errors import ActivityCode
from domain.activities.models import Activity, ActivityPhoto, ActivityType, MediationOutcome, ProblemCategory
from domain.errors import ErrorCode, ValidationError

MAX_UPLOAD = 5 * 1024 * 1024


@strawberry.input(description="发现的问题：类别与数量")
class ProblemCountInput:
    category: ProblemCategoryEnum  # type: ignore[valid-type]
    count: int


@strawberry.input(description="记一笔：新建活动记录（草稿）")
class ActivityCreateInput:
    cell_id: strawberry.ID
    activity_type: ActivityTypeEnum  # type: ignore[valid-type]
    title: str
    started_at: datetime
    ended_at: datetime
    narrative: str = ""
    place: str = ""
    participants: int = 0
    households_reached: int = 0
    problems: list[ProblemCountInput] | None = None
    mediation_outcome: MediationOutcomeEnum | None = None  # type: ignore[valid-type]
    volunteer_hours: Decimal | None = None
    follow_up: str = ""


@strawberry.input(description="修改草稿或被退回的记录（只改填写的字段）")
class ActivityUpdateInput:
    id: strawberry.ID
    cell_id: strawberry.ID | None = strawberry.UNSET
    activity_type: ActivityTypeEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    title: str | None = strawberry.UNSET
    started_at: datetime | None = strawberry.UNSET
    ended_at: datetime | None = strawberry.UNSET
    narrative: str | None = strawberry.UNSET
    place: str | None = strawberry.UNSET
    participants: int | None = strawberry.UNSET
    households_reached: int | None = strawberry.UNSET
    problems: list[ProblemCountInput] | None = strawberry.UNSET
    mediation_outcome: MediationOutcomeEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    volunteer_hours: Decimal | None = strawberry.UNSET
    follow_up: str | None = strawberry.UNSET


@strawberry.input(description="对一条记录的操作")
class ActivityIdInput:
    id: strawberry.ID


@strawberry.input(description="核实记录，并决定是否公开")
class ActivityVerifyInput:
    id: strawberry.ID
    public: bool | None = strawberry.field(
        default=None,
        description="是否公开；不填按类型默认（调解、走访、代办、应急、隐患排查、其他不公开，其余公开）",
    )
    details_public: bool | None = strawberry.field(
        default=None, description="是否连同详情一起公开；不填为不公开"
    )


@strawberry.input(description="修改已核实记录的公开范围")
class ActivitySetPublicInput:
    id: strawberry.ID
    public: bool
    details_public: bool = False


@strawberry.input(description="退回记录（须说明原因）")
class ActivityReturnInput:
    id: strawberry.ID
    reason: str


@strawberry.input(description="上传照片（multipart 请求）")
class ActivityPhotoAddInput:
    activity_id: strawberry.ID
    file: Upload = strawberry.field(description="照片文件")


@strawberry.type
class ActivityPayload:
    activity: ActivityType_ | None
    user_errors: list[ActivityUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class ActivityPhotoPayload:
    photo: ActivityPhotoType | None
    user_errors: list[ActivityUserError] = strawberry.field(metadata=USER_ERRORS)


async def _respond(work: Callable[[], Awaitable[Activity]]) -> ActivityPayload:
    return await respond(
        ActivityPayload, work, lambda activity: {"activity": ActivityType_.from_model(activity)}
    )


def _problems(rows: list[ProblemCountInput] | None) -> dict[ProblemCategory, int] | None:
    return None if rows is None else {ProblemCategory(r.category): r.count for r in rows}


def _changes(data: ActivityUpdateInput) -> dict[str, Any]:
    """Only the fields the client sent; an explicit null clears a field."""
    converters: dict[str, Any] = {
        "cell_id": lambda v: node_pk(v, "GridCell", "cellId"),
        "activity_type": ActivityType,
        "problems": _problems,
        "mediation_outcome": lambda v: MediationOutcome(v) if v is not None else None,
    }
    changes: dict[str, Any] = {}
    for name in ActivityUpdateInput.__annotations__:
        value = getattr(data, name)
        if name == "id" or value is strawberry.UNSET:
            continue
        convert = converters.get(name)
        changes[name] = convert(value) if convert and value is not None else value
    return changes


async def _create(info: Info, data: ActivityCreateInput) -> Activity:
    return await service.create_activity(
        actor=info.context.actor,
        cell_id=node_pk(data.cell_id, "GridCell", "cellId"),
        activity_type=ActivityType(data.activity_type),
        title=data.title,
        started_at=data.started_at,
        ended_at=data.ended_at,
        narrative=data.narrative,
        place=data.place,
        participants=data.participants,
        households_reached=data.households_reached,
        problems=_problems(data.problems),
        mediation_outcome=MediationOutcome(data.mediation_outcome) if data.mediation_outcome else None,
        volunteer_hours=data.volunteer_hours,
        follow_up=data.follow_up,
    )


async def _add_photo(info: Info, data: ActivityPhotoAddInput) -> ActivityPhoto:
    upload: object = data.file  # strawberry types it as bytes; Starlette hands an UploadFile
    if not isinstance(upload, UploadFile):  # a literal or a JSON variable where a file part belongs
        raise ValidationError(ErrorCode.INVALID, "照片须作为文件上传（multipart/form-data）", ["file"])
    content = await upload.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise ValidationError(ActivityCode.FILE_TOO_LARGE, "照片不能超过 5 MB", ["file"])
    return await service.add_photo(
        actor=info.context.actor,
        activity_id=node_pk(data.activity_id, "Activity", "activityId"),
        data=content,
        declared_name=upload.filename or "",
    )


@strawberry.type
class ActivityMutations:
    @strawberry.mutation(description="记一笔：新建活动记录（草稿）")
    async def activity_create(self, info: Info, input: ActivityCreateInput) -> ActivityPayload:
        return await _respond(lambda: _create(info, input))

    @strawberry.mutation(description="修改草稿或被退回的记录")
    async def activity_update(self, info: Info, input: ActivityUpdateInput) -> ActivityPayload:
        actor = info.context.actor
        return await _respond(
            lambda: service.update_activity(
                actor=actor, activity_id=node_pk(input.id, "Activity"), **_changes(input)
            )
        )

    @strawberry.mutation(description="提交审核")
    async def activity_submit(self, info: Info, input: ActivityIdInput) -> ActivityPayload:
        actor, activity_id = info.context.actor, node_pk(input.id, "Activity")
        return await _respond(lambda: service.submit_activity(actor=actor, activity_id=activity_id))

    @strawberry.mutation(description="核实记录（辖区网格员或民政局），并决定是否公开")
    async def activity_verify(self, info: Info, input: ActivityVerifyInput) -> ActivityPayload:
        actor, activity_id = info.context.actor, node_pk(input.id, "Activity")
        return await _respond(
            lambda: service.verify_activity(
                actor=actor,
                activity_id=activity_id,
                public=input.public,
                details_public=input.details_public,
            )
        )

    @strawberry.mutation(description="修改已核实记录的公开范围（可以核实该记录的工作人员）")
    async def activity_set_public(self, info: Info, input: ActivitySetPublicInput) -> ActivityPayload:
        actor, activity_id = info.context.actor, node_pk(input.id, "Activity")
        return await _respond(
            lambda: service.set_activity_public(
                actor=actor,
                activity_id=activity_id,
                public=input.public,
                details_public=input.details_public,
            )
        )

    @strawberry.mutation(description="退回记录（须说明原因，记录人会在其页面看到）")
    async def activity_return(self, info: Info, input: ActivityReturnInput) -> ActivityPayload:
        actor = info.context.actor
        return await _respond(
            lambda: service.return_activity(
                actor=actor, activity_id=node_pk(input.id, "Activity"), reason=input.reason
            )
        )

    @strawberry.mutation(description="为草稿或被退回的记录上传照片（JPEG/PNG/WebP，≤5 MB，最多 6 张）")
    async def activity_photo_add(self, info: Info, input: ActivityPhotoAddInput) -> ActivityPhotoPayload:
        return await respond(
            ActivityPhotoPayload,
            lambda: _add_photo(info, input),
            lambda photo: {"photo": ActivityPhotoType.from_model(photo)},
        )
