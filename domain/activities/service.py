"""Use cases of the activity log (民情日志): log, edit, submit, verify, return, and photos.

Lifecycle (`models.ACTIVITY_TRANSITIONS`):
DRAFT -> SUBMITTED -> VERIFIED | RETURNED (with a reason) -> edited -> SUBMITTED again.
A VERIFIED record's content never changes; who may see it (`is_public`, `details_public`) is
chosen by its verifier and may be changed later (`set_activity_public`). Who may do what is in
`policy`, what a valid record is in `validation`. Each use case checks policy first, writes in
one transaction and appends its audit record last, inside that transaction.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypedDict, Unpack

from tortoise.transactions import in_transaction

from domain.access import Actor
from domain.activities import held, photos, policy, queries, rollup
from domain.activities.errors import ActivityCode
from domain.activities.models import (
    ACTIVITY_TRANSITIONS,
    Activity,
    ActivityPhoto,
    ActivityStatus,
    ActivityType,
    MediationOutcome,
    ProblemCategory,
    location,
    public_by_default,
)
from domain.activities.validation import MAX_AGE, ActivityInput, clean
from domain.audit import service as audit
from domain.errors import DomainError, ErrorCode, NotFound, PermissionDenied, ValidationError
from domain.grids import queries as grid_queries
from domain.grids.models import GridCell
from domain.leaders.models import MicroLeader

MAX_REASON = 200
MAX_EXPORT = 5000  # records in one export: more is refused (narrow the filter)
_VERBS = {
    ActivityStatus.SUBMITTED: "提交审核",
    ActivityStatus.VERIFIED: "核实",
    ActivityStatus.RETURNED: "退回",
}


class ActivityChanges(TypedDict, total=False):
    """The fields `update_activity` may change; a field left out keeps its value."""

    cell_id: int
    activity_type: ActivityType
    title: str
    narrative: str
    started_at: datetime
    ended_at: datetime
    place: str
    participants: int
    households_reached: int
    problems: dict[ProblemCategory, int]
    mediation_outcome: MediationOutcome | None
    volunteer_hours: Decimal | float | None
    follow_up: str
    project_id: int | None


def _now() -> datetime:
    return datetime.now(UTC)


async def _cell(cell_id: int) -> GridCell:
    cell = (await grid_queries.cells_by_ids([cell_id])).get(cell_id)
    if cell is None:
        raise NotFound("网格单元不存在", ["cellId"])
    return cell


async def _authoring(actor: Actor, cell: GridCell) -> MicroLeader | None:
    """Check the actor may log about `cell`; the leadership the record is filed under, if any."""
    leader = policy.leader_for_cell(await queries.logging_leaders(actor.person_id), cell.path)
    policy.require_log(actor, cell.path, leader)
    if cell.retired:
        raise ValidationError(ErrorCode.RETIRED, "该网格单元已撤销，不能再记录活动", ["cellId"])
    return leader


async def create_activity(
    *,
    actor: Actor,
    cell_id: int,
    activity_type: ActivityType,
    title: str,
    started_at: datetime,
    ended_at: datetime,
    narrative: str = "",
    place: str = "",
    participants: int = 0,
    households_reached: int = 0,
    problems: dict[ProblemCategory, int] | None = None,
    mediation_outcome: MediationOutcome | None = None,
    volunteer_hours: Decimal | float | None = None,
    follow_up: str = "",
    project_id: int | None = None,
) -> Activity:
    """Log a DRAFT record about a cell: a leader for their home subtree, grid staff in scope."""
    policy.require_write(actor)
    cell = await _cell(cell_id)
    leader = await _authoring(actor, cell)
    content = ActivityInput(
        activity_type=activity_type,
        title=title,
        started_at=started_at,
        ended_at=ended_at,
        narrative=narrative,
        place=place,
        participants=participants,
        households_reached=households_reached,
        problems=problems or {},
        mediation_outcome=mediation_outcome,
        volunteer_hours=volunteer_hours,
        follow_up=follow_up,
        project_id=project_id,
    )
    now = _now()
    columns = clean(content, now=now, earliest=_earliest(actor, cell, now))
    async with in_transaction():
        activity = await Activity.create(
            author_user_id=actor.user_id,
            leader_id=leader.id if leader else None,
            **location(cell.id, cell.path),
            **columns,
        )
        await audit.record(
            actor, "activity.create", "Activity", activity.id, cell=cell.code, type=activity.activity_type
        )
    return activity


def _earliest(actor: Actor, cell: GridCell, made_at: datetime) -> datetime | None:
    """The earliest start `actor` may log at `cell` for a record first made at `made_at`: staff
    covering the cell enter old paper logs; everyone else logs within MAX_AGE."""
    return None if policy.covers(actor, cell.path) else made_at - MAX_AGE


async def update_activity(*, actor: Actor, activity_id: int, **changes: Unpack[ActivityChanges]) -> Activity:
    """The author edits a DRAFT or RETURNED record; the whole result is validated again. A
    returned record stays RETURNED until it is resubmitted."""
    policy.require_write(actor)
    async with in_transaction():
        activity = await queries.activity_for_update(activity_id)
        policy.require_edit(actor, activity)
        content: dict[str, Any] = dict(changes)
        cell = await _cell(content.pop("cell_id", activity.cell_id))
        leader = await _authoring(actor, cell)
        earliest = _earliest(actor, cell, activity.created_at)
        columns = clean(replace(ActivityInput.of(activity), **content), now=_now(), earliest=earliest)
        placement = {**location(cell.id, cell.path), "leader_id": leader.id if leader else None}
        changed = _assign(activity, {**columns, **placement})
        await activity.save()
        await audit.record(actor, "activity.update", "Activity", activity.id, fields=changed)
    return activity


def _assign(activity: Activity, values: dict[str, Any]) -> list[str]:
    changed = sorted(name for name, value in values.items() if getattr(activity, name) != value)
    for name, value in values.items():
        setattr(activity, name, value)
    return changed


def _move(activity: Activity, to: ActivityStatus) -> None:
    """The state machine: refuses a transition `ACTIVITY_TRANSITIONS` does not list."""
    if to not in ACTIVITY_TRANSITIONS[activity.status]:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"“{activity.status.label}”的活动记录不能{_VERBS[to]}", ["id"]
        )
    activity.status = to


async def submit_activity(*, actor: Actor, activity_id: int) -> Activity:
    """The author sends a DRAFT (or a corrected RETURNED) record for verification."""
    policy.require_write(actor)
    async with in_transaction():
        activity = await queries.activity_for_update(activity_id)
        policy.require_submit(actor, activity)
        _move(activity, ActivityStatus.SUBMITTED)
        await _authoring(actor, await _cell(activity.cell_id))
        activity.submitted_at = _now()
        await activity.save(update_fields=["status", "submitted_at", "updated_at"])
        await audit.record(actor, "activity.submit", "Activity", activity.id)
    return activity


def _publicity(activity: Activity, public: bool | None, details_public: bool | None) -> tuple[bool, bool]:
    """(is_public, details_public): as chosen, else by type (`models.PUBLIC_BY_DEFAULT`); details
    are public only on a public record."""
    shown = public_by_default(activity.activity_type) if public is None else public
    return shown, shown and bool(details_public)


async def verify_activity(
    *, actor: Actor, activity_id: int, public: bool | None = None, details_public: bool | None = None
) -> Activity:
    """Grid staff of the record's subtree (or bureau staff), never its author, confirm it; from
    then on its content never changes and it is counted in its month's rollup (`rollup`). The
    verifier decides whether the public sees it (`public`, by type when not given) and its
    details (`details_public`, not by default)."""
    policy.require_write(actor)
    async with in_transaction():
        activity = await queries.activity_for_update(activity_id)
        policy.require_review(actor, activity)
        _move(activity, ActivityStatus.VERIFIED)
        activity.verified_at = _now()
        activity.reviewed_by_user_id = actor.user_id
        activity.is_public, activity.details_public = _publicity(activity, public, details_public)
        await activity.save(
            update_fields=[
                "status",
                "verified_at",
                "reviewed_by_user_id",
                "is_public",
                "details_public",
                "updated_at",
            ]
        )
        await rollup.count_verified(activity)
        await audit.record(
            actor,
            "activity.verify",
            "Activity",
            activity.id,
            public=activity.is_public,
            details_public=activity.details_public,
        )
    return activity


async def set_activity_public(
    *, actor: Actor, activity_id: int, public: bool, details_public: bool = False
) -> Activity:
    """Change who sees a verified record: staff who may verify it (`policy.require_set_public`).
    Counts are unaffected (they include every verified record)."""
    policy.require_write(actor)
    async with in_transaction():
        activity = await queries.activity_for_update(activity_id)
        policy.require_set_public(actor, activity)
        before = (activity.is_public, activity.details_public)
        activity.is_public, activity.details_public = _publicity(activity, public, details_public)
        await activity.save(update_fields=["is_public", "details_public", "updated_at"])
        await audit.record(
            actor,
            "activity.set_public",
            "Activity",
            activity.id,
            public=activity.is_public,
            details_public=activity.details_public,
            was_public=before[0],
            was_details_public=before[1],
        )
    return activity


def _reason(raw: str) -> str:
    reason = " ".join(raw.split())
    if not reason:
        raise ValidationError(ErrorCode.REASON_REQUIRED, "请填写退回原因，告诉记录人需要修改什么", ["reason"])
    if len(reason) > MAX_REASON:
        raise ValidationError(ErrorCode.INVALID_LENGTH, f"退回原因不能超过 {MAX_REASON} 个字符", ["reason"])
    return reason


async def return_activity(*, actor: Actor, activity_id: int, reason: str) -> Activity:
    """Send a submitted record back to its author with a reason; the author sees it on their
    page (`queries.returned_for_author`), edits it and submits again. The reason stays on the
    record as the latest one until the next return."""
    policy.require_write(actor)
    async with in_transaction():
        activity = await queries.activity_for_update(activity_id)
        policy.require_review(actor, activity)
        _move(activity, ActivityStatus.RETURNED)
        activity.return_reason = _reason(reason)
        activity.reviewed_by_user_id = actor.user_id
        await activity.save(update_fields=["status", "return_reason", "reviewed_by_user_id", "updated_at"])
        await audit.record(actor, "activity.return", "Activity", activity.id, reason=activity.return_reason)
    return activity


# --- photos ----------------------------------------------------------------------------------


def _require_room(count: int) -> None:
    if count >= photos.MAX_PHOTOS:
        raise DomainError(
            ActivityCode.TOO_MANY_PHOTOS, f"每条活动记录最多 {photos.MAX_PHOTOS} 张照片", ["file"]
        )


async def add_photo(*, actor: Actor, activity_id: int, data: bytes, declared_name: str = "") -> ActivityPhoto:
    """The author attaches a photo to an editable record. The type comes from the content, never
    from `declared_name` (kept in the audit trail only); see `photos` for what is checked."""
    await _room_for_photo(actor, activity_id)
    image = await photos.clean_image_async(data)
    file_name = await asyncio.to_thread(photos.store, image)
    stored = held.StoredPhoto(file_name, image.content_type, len(image.data), image.width, image.height)
    return await _attach(actor, activity_id, stored, declared_name)


async def hold_photo(*, actor: Actor, data: bytes) -> str:
    """Keep a photo chosen on a form that came back with errors, for its uploader only (see
    `held`); the token attaches it later (`add_held_photo`). Checked as `add_photo` checks."""
    holder = _holder(actor)
    image = await photos.clean_image_async(data)
    return await asyncio.to_thread(held.hold, holder, image)


async def add_held_photo(*, actor: Actor, activity_id: int, token: str) -> ActivityPhoto:
    """The author attaches a photo they hold (`hold_photo`) to an editable record of theirs."""
    await _room_for_photo(actor, activity_id)
    stored = await asyncio.to_thread(held.take, _holder(actor), token)
    return await _attach(actor, activity_id, stored, "")


def _holder(actor: Actor) -> int:
    """The account whose held photos `actor` may use (the command line holds none)."""
    policy.require_write(actor)
    if actor.user_id is None:
        raise PermissionDenied()
    return actor.user_id


async def held_photo_path(*, actor: Actor, token: str) -> Path:
    """A photo `actor` holds, for its thumbnail; anyone else's token names nothing."""
    path = await asyncio.to_thread(held.path_of, _holder(actor), token)
    if path is None:
        raise NotFound("照片不存在", ["token"])
    return path


async def _room_for_photo(actor: Actor, activity_id: int) -> None:
    policy.require_write(actor)
    activity = await queries.activity_for_viewer(actor, activity_id)
    policy.require_edit(actor, activity)
    _require_room(await queries.photo_count(activity.id))


async def _attach(
    actor: Actor, activity_id: int, stored: held.StoredPhoto, declared_name: str
) -> ActivityPhoto:
    """The row of a photo already in the photo folder; the file goes if the row is refused."""
    try:
        async with in_transaction():
            activity = await queries.activity_for_update(activity_id)
            policy.require_edit(actor, activity)
            _require_room(await queries.photo_count(activity.id))
            photo = await ActivityPhoto.create(
                activity_id=activity.id,
                file_name=stored.file_name,
                content_type=stored.content_type,
                size_bytes=stored.size_bytes,
                width=stored.width,
                height=stored.height,
            )
            await audit.record(
                actor, "activity.photo_add", "Activity", activity.id, photo=photo.id, name=declared_name[:100]
            )
    except BaseException:
        await asyncio.to_thread(photos.discard, stored.file_name)
        raise
    return photo


async def remove_photo(*, actor: Actor, photo_id: int) -> None:
    """The author removes a photo from an editable record; the file goes once the row is gone."""
    policy.require_write(actor)
    async with in_transaction():
        photo = await queries.photo_by_id(photo_id)
        activity = await queries.activity_for_update(photo.activity_id)
        policy.require_edit(actor, activity)
        await photo.delete()
        await audit.record(actor, "activity.photo_remove", "Activity", activity.id, photo=photo_id)
    await asyncio.to_thread(photos.discard, photo.file_name)


async def photo_for_viewer(*, actor: Actor, photo_id: int) -> tuple[Path, str]:
    """The stored file and its content type, for whoever may see the record; anyone else is
    told the photo does not exist."""
    photo = await queries.photo_with_activity(photo_id)
    if not policy.can_see_details(actor, photo.activity):
        raise NotFound("照片不存在", ["id"])
    return photos.path_of(photo.file_name), photo.content_type


async def export_activities(*, actor: Actor, cell: GridCell, where: queries.FeedFilter) -> list[Activity]:
    """The records of `cell`'s subtree its feed shows with `where`, newest first, for a
    spreadsheet: bureau staff, or grid staff covering the cell (`policy.require_export`). At most
    MAX_EXPORT; more is refused, so a file never silently leaves records out. Audited: the rows
    carry the recorders' full names."""
    policy.require_export(actor, cell.path)
    where = replace(where, subtree_path=cell.path)
    rows = await queries.feed_rows(actor, where, MAX_EXPORT + 1)
    if len(rows) > MAX_EXPORT:
        raise ValidationError(
            ErrorCode.INVALID, f"一次最多导出 {MAX_EXPORT} 条记录，请缩小日期或类型范围后再导出", ["filter"]
        )
    await audit.record(
        actor,
        "activity.export",
        "GridCell",
        cell.id,
        cell=cell.code,
        rows=len(rows),
        types=",".join(t.value for t in where.types),
        statuses=",".join(s.value for s in where.statuses),
        since=where.since.isoformat() if where.since else "",
        until=where.until.isoformat() if where.until else "",
    )
    return rows
