"""Micro-leaders and activity records built for tests (domain, GraphQL and page tests share these).

`build_cast()` gives a small tree and the people who act on it; `log_activity` and friends go
through the domain service (so records are audited like real ones); `insert_activities` writes
rows straight into the table for paging, SQL-count and query-plan tests (and rebuilds the monthly
rollup, which the service keeps).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image

from domain.access import Actor, Role
from domain.accounts.models import User
from domain.activities import rollup, service
from domain.activities.models import Activity, ActivityStatus, ActivityType, location
from domain.grids.models import GridCell
from domain.leaders.models import Cohort, LeaderStatus, MicroLeader, SourceRole
from tests.accounts import actor_of, make_user
from tests.factories import Tree, build_tree


def hours_ago(hours: float) -> datetime:
    return (datetime.now(UTC) - timedelta(hours=hours)).replace(microsecond=0)


async def make_leader(
    username: str,
    home_cell: GridCell,
    *,
    status: LeaderStatus = LeaderStatus.ENROLLED,
    name: str = "李微领",
) -> tuple[User, MicroLeader]:
    """A user with the MICRO_LEADER role whose person leads from `home_cell` in a test cohort."""
    user = await make_user(username, Role.MICRO_LEADER, name=name)
    cohort, _ = await Cohort.get_or_create(name="测试第一期", defaults={"year": 2026})
    leader = await MicroLeader.create(
        person_id=user.person_id,
        cohort=cohort,
        home_cell_id=home_cell.id,
        home_path=home_cell.path,
        source_role=SourceRole.MICRO_GRID_HEAD,
        status=status,
        nominated_at=hours_ago(24 * 30),
    )
    return user, leader


@dataclass
class Cast:
    """平湖市 > 当湖街道 > 南河头社区 > grids[0] (micro 0, 1) and grids[1] (micro 2, 3), plus:

    - `leader`: an ENROLLED micro-leader at home in grids[0]; `other_leader` at home in grids[1];
    - `staff`: GRID_STAFF over the community; `far_staff`: GRID_STAFF over grids[1] only;
    - `bureau`: BUREAU_STAFF; `resident`: a plain RESIDENT.
    """

    tree: Tree
    leader: Actor
    leader_row: MicroLeader
    other_leader: Actor
    other_leader_row: MicroLeader
    staff: Actor
    far_staff: Actor
    bureau: Actor
    resident: Actor
    users: dict[str, User] = field(default_factory=dict)


async def build_cast() -> Cast:
    tree = await build_tree(grids=2, micro_grids_per_grid=2)
    leader_user, leader_row = await make_leader("leader.li", tree.grids[0])
    other_user, other_row = await make_leader("leader.wang", tree.grids[1], name="王微领")
    staff = await make_user("staff.zhou", Role.GRID_STAFF, cell=tree.community)
    far_staff = await make_user("staff.far", Role.GRID_STAFF, cell=tree.grids[1])
    bureau = await make_user("bureau.chen", Role.BUREAU_STAFF)
    resident = await make_user("resident.zhao", Role.RESIDENT)
    users = {u.username: u for u in (leader_user, other_user, staff, far_staff, bureau, resident)}
    return Cast(
        tree=tree,
        leader=await actor_of(leader_user),
        leader_row=leader_row,
        other_leader=await actor_of(other_user),
        other_leader_row=other_row,
        staff=await actor_of(staff),
        far_staff=await actor_of(far_staff),
        bureau=await actor_of(bureau),
        resident=await actor_of(resident),
        users=users,
    )


def activity_fields(cell: GridCell, **overrides: Any) -> dict[str, Any]:
    """Valid arguments for `create_activity`: a two-hour visit that ended an hour ago."""
    values: dict[str, Any] = {
        "cell_id": cell.id,
        "activity_type": ActivityType.VISIT,
        "title": "走访独居老人",
        "narrative": "上门了解冬季取暖情况。",
        "started_at": hours_ago(3),
        "ended_at": hours_ago(1),
        "place": "1幢",
        "participants": 2,
        "households_reached": 3,
    }
    return {**values, **overrides}


async def log_activity(actor: Actor, cell: GridCell, **overrides: Any) -> Activity:
    return await service.create_activity(actor=actor, **activity_fields(cell, **overrides))


async def submitted_activity(actor: Actor, cell: GridCell, **overrides: Any) -> Activity:
    activity = await log_activity(actor, cell, **overrides)
    return await service.submit_activity(actor=actor, activity_id=activity.id)


async def verified_activity(
    author: Actor,
    reviewer: Actor,
    cell: GridCell,
    *,
    public: bool | None = None,
    details_public: bool | None = None,
    **overrides: Any,
) -> Activity:
    """Verified by `reviewer`, public as chosen (by type when `public` is None: a VISIT is not)."""
    activity = await submitted_activity(author, cell, **overrides)
    return await service.verify_activity(
        actor=reviewer, activity_id=activity.id, public=public, details_public=details_public
    )


async def returned_activity(
    author: Actor, reviewer: Actor, cell: GridCell, reason: str = "请补充走访户数", **overrides: Any
) -> Activity:
    activity = await submitted_activity(author, cell, **overrides)
    return await service.return_activity(actor=reviewer, activity_id=activity.id, reason=reason)


async def insert_activities(
    cell: GridCell,
    count: int,
    *,
    author_user_id: int,
    leader_id: int | None = None,
    status: ActivityStatus = ActivityStatus.VERIFIED,
    activity_type: ActivityType = ActivityType.VISIT,
    newest: datetime | None = None,
    step: timedelta = timedelta(hours=1),
    public: bool = True,
    details_public: bool = False,
) -> list[Activity]:
    """`count` rows straight into the table (no service, no audit), one every `step` going back
    from `newest`; returned newest first. Verified rows are public (`public`) whatever their type,
    so paging tests read them as anyone would; their details are not (`details_public`)."""
    top = (newest or hours_ago(1)).astimezone(UTC).replace(microsecond=0)
    last = await Activity.all().order_by("-id").limit(1).values_list("id", flat=True)
    rows = [
        Activity(
            author_user_id=author_user_id,
            leader_id=leader_id,
            **location(cell.id, cell.path),
            activity_type=activity_type,
            title=f"测试活动 {i}",
            started_at=top - step * i,
            ended_at=top - step * i + timedelta(minutes=30),
            households_reached=1,
            status=status,
            submitted_at=top if status is not ActivityStatus.DRAFT else None,
            verified_at=top if status is ActivityStatus.VERIFIED else None,
            is_public=public and status is ActivityStatus.VERIFIED,
            details_public=details_public and public and status is ActivityStatus.VERIFIED,
        )
        for i in range(count)
    ]
    await Activity.bulk_create(rows, batch_size=500)
    await rollup.rebuild()  # as the service would have counted them
    created = Activity.filter(id__gt=last[0] if last else 0).order_by("-started_at", "-id")
    return list(await created)


def image_bytes(image_format: str = "PNG", size: tuple[int, int] = (40, 30), **save: Any) -> bytes:
    """A small picture encoded as `image_format` (JPEG, PNG, WEBP, GIF...)."""
    mode = "RGB" if image_format in {"JPEG", "WEBP"} else "RGBA"
    picture = Image.new(mode, size, (200, 80, 40))
    out = io.BytesIO()
    picture.save(out, format=image_format, **save)
    return out.getvalue()
