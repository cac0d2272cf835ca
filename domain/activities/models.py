"""The activity log (民情日志): what micro-leaders (and grid staff) did, about which grid cell.

The fastest-growing table. Rows carry their cell's materialized path and, copied from it, the ids of
their town, community/village and grid (`town_id`, `unit_id`, `grid_id`: the ancestor-or-self at
that depth), so a subtree feed at any level is an equality on one indexed column that also yields
the feed's order (started_at, id) without a sort, and a town's counts per unit are an index-only
GROUP BY. Every feed pages by keyset on (started_at, id), newest first."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.expressions import Q
from tortoise.indexes import Index
from tortoise.models import Model

from domain.grids.models import (
    GRID_DEPTH,
    MICRO_GRID_DEPTH,
    TOWN_DEPTH,
    UNIT_DEPTH,
    path_depth,
    path_ids,
    subtree_range,
)

if TYPE_CHECKING:
    from domain.grids.models import GridCell
    from domain.leaders.models import MicroLeader


class ActivityType(StrEnum):
    VISIT = "VISIT"
    MEDIATION = "MEDIATION"
    DELIBERATION = "DELIBERATION"
    PUBLICITY = "PUBLICITY"
    ENVIRONMENT = "ENVIRONMENT"
    SAFETY_CHECK = "SAFETY_CHECK"
    VOLUNTEERING = "VOLUNTEERING"
    ERRAND = "ERRAND"
    CULTURE_SPORTS = "CULTURE_SPORTS"
    PROJECT_WORK = "PROJECT_WORK"
    EMERGENCY = "EMERGENCY"
    OTHER = "OTHER"

    @property
    def label(self) -> str:
        return ACTIVITY_TYPE_LABELS[self]


ACTIVITY_TYPE_LABELS = {
    ActivityType.VISIT: "走访慰问",
    ActivityType.MEDIATION: "邻里纠纷调解",
    ActivityType.DELIBERATION: "议事协商",
    ActivityType.PUBLICITY: "政策宣传",
    ActivityType.ENVIRONMENT: "环境整治",
    ActivityType.SAFETY_CHECK: "安全隐患排查",
    ActivityType.VOLUNTEERING: "志愿服务",
    ActivityType.ERRAND: "便民代办",
    ActivityType.CULTURE_SPORTS: "邻里文体活动",
    ActivityType.PROJECT_WORK: "项目活动",
    ActivityType.EMERGENCY: "应急处置",
    ActivityType.OTHER: "其他",
}


class MediationOutcome(StrEnum):
    RESOLVED = "RESOLVED"
    PARTLY = "PARTLY"
    FAILED = "FAILED"
    REFERRED = "REFERRED"

    @property
    def label(self) -> str:
        return MEDIATION_LABELS[self.value]


MEDIATION_LABELS = {"RESOLVED": "已化解", "PARTLY": "部分化解", "FAILED": "未化解", "REFERRED": "已转交"}


class ProblemCategory(StrEnum):
    SECURITY = "SECURITY"
    FIRE = "FIRE"
    SANITATION = "SANITATION"
    FACILITIES = "FACILITIES"
    DISPUTE = "DISPUTE"
    LIVELIHOOD = "LIVELIHOOD"
    OTHER = "OTHER"

    @property
    def label(self) -> str:
        return PROBLEM_LABELS[self]


PROBLEM_LABELS = {
    ProblemCategory.SECURITY: "治安隐患",
    ProblemCategory.FIRE: "消防隐患",
    ProblemCategory.SANITATION: "环境卫生",
    ProblemCategory.FACILITIES: "公共设施",
    ProblemCategory.DISPUTE: "邻里矛盾",
    ProblemCategory.LIVELIHOOD: "民生需求",
    ProblemCategory.OTHER: "其他问题",
}


class ActivityStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    VERIFIED = "VERIFIED"
    RETURNED = "RETURNED"

    @property
    def label(self) -> str:
        return ACTIVITY_STATUS_LABELS[self.value]


ACTIVITY_STATUS_LABELS = {"DRAFT": "草稿", "SUBMITTED": "待审核", "VERIFIED": "已核实", "RETURNED": "已退回"}

ACTIVITY_TRANSITIONS: dict[ActivityStatus, frozenset[ActivityStatus]] = {
    ActivityStatus.DRAFT: frozenset({ActivityStatus.SUBMITTED}),
    ActivityStatus.SUBMITTED: frozenset({ActivityStatus.VERIFIED, ActivityStatus.RETURNED}),
    ActivityStatus.RETURNED: frozenset({ActivityStatus.SUBMITTED}),
    ActivityStatus.VERIFIED: frozenset(),
}
EDITABLE = frozenset({ActivityStatus.DRAFT, ActivityStatus.RETURNED})

# 公开范围：核实人核实时决定记录是否公开（`is_public`），以及是否连同详情一起公开
# (`details_public`，默认不公开)。未勾选时按类型取默认值：
# - 不公开：邻里纠纷调解、走访慰问、便民代办、应急处置、安全隐患排查、其他。这些记录涉及具体
#   家庭的纠纷、困难和求助（常是老人、残疾人等困难群体），而微网格只有二三十到一百来户，
#   标题加上位置就足以认出当事人；依《个人信息保护法》和《人民调解法》（调解员应当保守当事人
#   的个人隐私），默认只有记录人和辖区工作人员可以看到。
# - 公开：邻里文体活动、志愿服务、政策宣传、环境整治、议事协商、项目活动。这些是面向全体
#   居民的公共事务，公开有助于监督和参与。
# 公开的记录对公众只显示类型、时间、标题、计数和所在网格（不显示微网格）；叙述、地点、问题、
# 照片、后续跟进、调解结果仅在“详情公开”时显示。
PUBLIC_BY_DEFAULT: dict[ActivityType, bool] = {
    ActivityType.MEDIATION: False,
    ActivityType.VISIT: False,
    ActivityType.ERRAND: False,
    ActivityType.EMERGENCY: False,
    ActivityType.SAFETY_CHECK: False,
    ActivityType.OTHER: False,
    ActivityType.CULTURE_SPORTS: True,
    ActivityType.VOLUNTEERING: True,
    ActivityType.PUBLICITY: True,
    ActivityType.ENVIRONMENT: True,
    ActivityType.DELIBERATION: True,
    ActivityType.PROJECT_WORK: True,
}
PUBLIC_TYPES = frozenset(kind for kind, public in PUBLIC_BY_DEFAULT.items() if public)


def public_by_default(activity_type: ActivityType) -> bool:
    """Whether a record of this type is public when its verifier does not say (see above)."""
    return PUBLIC_BY_DEFAULT[activity_type]


class Activity(Model):
    id = fields.BigIntField(primary_key=True)
    author_user_id = fields.IntField()
    leader: fields.ForeignKeyNullableRelation[MicroLeader] = fields.ForeignKeyField(
        "models.MicroLeader", related_name="activities", null=True, on_delete=fields.RESTRICT
    )
    cell: fields.ForeignKeyRelation[GridCell] = fields.ForeignKeyField(
        "models.GridCell", related_name="activities", on_delete=fields.RESTRICT
    )
    cell_path = fields.CharField(max_length=64)
    # Copies of the path, one column per level (see the module docstring); set by `location`.
    town_id = fields.IntField(null=True)
    unit_id = fields.IntField(null=True)
    grid_id = fields.IntField(null=True)
    activity_type = fields.CharEnumField(ActivityType, max_length=16)
    title = fields.CharField(max_length=100)
    narrative = fields.TextField(default="")
    started_at = fields.DatetimeField()
    ended_at = fields.DatetimeField()
    place = fields.CharField(max_length=100, default="")
    participants = fields.IntField(default=0)
    households_reached = fields.IntField(default=0)
    problems = fields.JSONField[dict[str, Any]](default=dict)
    mediation_outcome = fields.CharEnumField(MediationOutcome, max_length=10, null=True)
    volunteer_hours = fields.DecimalField(max_digits=6, decimal_places=1, null=True)
    follow_up = fields.TextField(default="")
    project_id = fields.IntField(null=True)
    status = fields.CharEnumField(ActivityStatus, max_length=10, default=ActivityStatus.DRAFT)
    return_reason = fields.CharField(max_length=200, null=True)
    submitted_at = fields.DatetimeField(null=True)
    verified_at = fields.DatetimeField(null=True)
    reviewed_by_user_id = fields.IntField(null=True)
    # Who sees a verified record (`PUBLIC_BY_DEFAULT`, `policy.can_view` / `can_see_details`):
    # set by its verifier, changeable later by staff who may verify it.
    is_public = fields.BooleanField(default=False, db_default=False)
    details_public = fields.BooleanField(default=False, db_default=False)
    is_demo = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    leader_id: int | None
    cell_id: int

    class Meta:
        table = "activity"
        indexes = [
            # subtree feeds, newest first: one index per level (a micro-grid's is the cell's)
            Index(fields=["town_id", "started_at", "id"], name="activity_town_time_idx"),
            Index(fields=["unit_id", "started_at", "id"], name="activity_unit_time_idx"),
            Index(fields=["grid_id", "started_at", "id"], name="activity_grid_time_idx"),
            # a town's verified counts per unit and type over a period, read from the index alone
            Index(
                fields=["town_id", "status", "started_at", "unit_id", "activity_type"],
                name="activity_town_counts_idx",
            ),
            # one leader's log and one cell's feed
            Index(fields=["leader_id", "started_at", "id"], name="activity_leader_time_idx"),
            Index(fields=["cell_id", "started_at", "id"], name="activity_cell_time_idx"),
            # an author's own records ("my activities", returned ones): grid staff have no leader_id
            Index(fields=["author_user_id", "started_at", "id"], name="activity_author_time_idx"),
            # verification queues: first submitted, first served
            Index(fields=["status", "submitted_at", "id"], name="activity_queue_idx"),
            Index(fields=["started_at", "id"], name="activity_time_idx"),
        ]


LEVEL_COLUMNS = {TOWN_DEPTH: "town_id", UNIT_DEPTH: "unit_id", GRID_DEPTH: "grid_id"}


def location(cell_id: int, cell_path: str) -> dict[str, Any]:
    """The columns that place a record on a cell: the cell, its path and its ancestors by level."""
    ids = path_ids(cell_path)
    columns: dict[str, Any] = {"cell_id": cell_id, "cell_path": cell_path}
    for depth, column in LEVEL_COLUMNS.items():
        columns[column] = ids[depth] if depth < len(ids) else None
    return columns


def in_subtree(path: str) -> Q:
    """Records on the cell at `path` or below it, as the cheapest indexed predicate for its level:
    the level column for a town, unit or grid, the cell itself for a micro-grid (a leaf), the path
    range for the city."""
    depth = path_depth(path)
    if depth in LEVEL_COLUMNS:
        level: dict[str, Any] = {LEVEL_COLUMNS[depth]: path_ids(path)[depth]}
        return Q(**level)
    if depth == MICRO_GRID_DEPTH:
        return Q(cell_id=path_ids(path)[depth])
    low, high = subtree_range(path)
    return Q(cell_path__gte=low, cell_path__lt=high)


class ActivityMonthCount(Model):
    """Verified records per community/village, type and Shanghai calendar month (yyyymm).

    A town's counts over whole months are read here rather than from its rows
    (`domain.activities.rollup`). Verified records never change, so a bucket is incremented when
    a record is verified and never decremented."""

    id = fields.BigIntField(primary_key=True)
    town_id = fields.IntField()
    unit_id = fields.IntField()
    activity_type = fields.CharEnumField(ActivityType, max_length=16)
    month = fields.IntField()
    n = fields.IntField()

    class Meta:
        table = "activity_month_count"
        # the upsert's conflict target
        unique_together = (("town_id", "unit_id", "activity_type", "month"),)
        indexes = [
            # The read index: a town's buckets of a period with their counts, so a period is an
            # index-only range scan on both databases (SQLite has no INCLUDE; with the unique index
            # alone PostgreSQL fetched every bucket from the table for `n`).
            Index(
                fields=["town_id", "month", "unit_id", "activity_type", "n"], name="activity_month_read_idx"
            ),
        ]


class ActivityPhoto(Model):
    """A photo of an activity, stored under the data folder with a random name, its EXIF
    (location included) removed by re-encoding."""

    id = fields.BigIntField(primary_key=True)
    activity: fields.ForeignKeyRelation[Activity] = fields.ForeignKeyField(
        "models.Activity", related_name="photos", on_delete=fields.CASCADE
    )
    file_name = fields.CharField(max_length=64, unique=True)
    content_type = fields.CharField(max_length=20)
    size_bytes = fields.IntField()
    width = fields.SmallIntField()
    height = fields.SmallIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    activity_id: int

    class Meta:
        table = "activity_photo"
