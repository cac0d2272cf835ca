"""The review module's rows: panels, the expert pool with the affiliations conflicts are found
from, the entries a panel reviews, declared and detected conflicts, assignments and score sheets.

A panel moves SETUP -> WRITTEN (config frozen, written scoring open) -> ROADSHOW (the optional
答辩 stage, only when the panel has one) -> CLOSED. An assignment is live until cancelled
(`live` is then NULL, so the unique index over entry, reviewer, stage and `live` allows one live
assignment and any number of cancelled ones). A sheet is DRAFT until its reviewer submits it
(SUBMITTED, locked), staff may reopen it (back to DRAFT, with a reason), and a conflict declared
after submitting voids it (VOIDED: kept for the record, never counted).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from domain.review.rubric import Rubric
from domain.review.rules import AggregationRule

if TYPE_CHECKING:
    from domain.accounts.models import User
    from domain.organisations.models import Organisation

CONFLICT_YEARS = 3  # an affiliation or membership ended fewer years ago still conflicts


class PanelKind(StrEnum):
    FUNDING = "FUNDING"
    COMPETITION = "COMPETITION"

    @property
    def label(self) -> str:
        return {"FUNDING": "公益创投评审", "COMPETITION": "微治理大赛评审"}[self.value]


class PanelStage(StrEnum):
    SETUP = "SETUP"
    WRITTEN = "WRITTEN"
    ROADSHOW = "ROADSHOW"
    CLOSED = "CLOSED"

    @property
    def label(self) -> str:
        return {"SETUP": "筹备中", "WRITTEN": "书面评审", "ROADSHOW": "路演答辩", "CLOSED": "已结束"}[
            self.value
        ]


class Stage(StrEnum):
    """The stage an assignment scores in."""

    WRITTEN = "WRITTEN"
    ROADSHOW = "ROADSHOW"

    @property
    def label(self) -> str:
        return {"WRITTEN": "书面评审", "ROADSHOW": "路演答辩"}[self.value]


class MemberSource(StrEnum):
    POOL = "POOL"
    STAFF = "STAFF"

    @property
    def label(self) -> str:
        return {"POOL": "专家库", "STAFF": "工作人员"}[self.value]


class ConflictReason(StrEnum):
    SAME_ORGANISATION = "SAME_ORGANISATION"
    SPONSOR = "SPONSOR"
    FAMILY = "FAMILY"
    FORMER_EMPLOYMENT = "FORMER_EMPLOYMENT"
    OTHER = "OTHER"

    @property
    def label(self) -> str:
        return CONFLICT_REASON_LABELS[self]


CONFLICT_REASON_LABELS = {
    ConflictReason.SAME_ORGANISATION: "同一机构",
    ConflictReason.SPONSOR: "支持单位关系",
    ConflictReason.FAMILY: "亲属关系",
    ConflictReason.FORMER_EMPLOYMENT: "近三年曾任职",
    ConflictReason.OTHER: "其他",
}


class ConflictSource(StrEnum):
    SELF = "SELF"
    STAFF = "STAFF"
    AUTOMATIC = "AUTOMATIC"

    @property
    def label(self) -> str:
        return {"SELF": "本人申报", "STAFF": "工作人员登记", "AUTOMATIC": "系统识别"}[self.value]


class AssignMethod(StrEnum):
    DRAWN = "DRAWN"
    ASSIGNED = "ASSIGNED"

    @property
    def label(self) -> str:
        return {"DRAWN": "随机抽取", "ASSIGNED": "指定"}[self.value]


class SheetStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    VOIDED = "VOIDED"

    @property
    def label(self) -> str:
        return {"DRAFT": "草稿", "SUBMITTED": "已提交", "VOIDED": "已作废"}[self.value]


class ReviewPanel(Model):
    """A review panel: its rubric, aggregation rule and options are fixed once frozen."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(PanelKind, max_length=12)
    title = fields.CharField(max_length=100)
    rubric = fields.JSONField[dict[str, Any]]()
    aggregation_rule = fields.CharEnumField(AggregationRule, max_length=16)
    blind = fields.BooleanField(default=False)
    roadshow = fields.BooleanField(default=False)
    reviewers_per_entry = fields.SmallIntField()
    stage = fields.CharEnumField(PanelStage, max_length=10, default=PanelStage.SETUP)
    frozen_at = fields.DatetimeField(null=True)
    # the results' publicity period (公示): its first and last working day, set when it starts
    publicity_starts_on = fields.DateField(null=True)
    publicity_ends_on = fields.DateField(null=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="review_panels", null=True, on_delete=fields.SET_NULL
    )
    is_demo = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    created_by_id: int | None

    class Meta:
        table = "review_panel"

    @property
    def parsed_rubric(self) -> Rubric:
        return Rubric.from_json(self.rubric)


class PanelMember(Model):
    """Who scores on a panel: an expert from the pool or a member of staff."""

    id = fields.IntField(primary_key=True)
    panel: fields.ForeignKeyRelation[ReviewPanel] = fields.ForeignKeyField(
        "models.ReviewPanel", related_name="members", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="panel_memberships", on_delete=fields.RESTRICT
    )
    source = fields.CharEnumField(MemberSource, max_length=8)
    created_at = fields.DatetimeField(auto_now_add=True)

    panel_id: int
    user_id: int

    class Meta:
        table = "review_panel_member"
        unique_together = (("panel_id", "user_id"),)


class Expert(Model):
    """An expert of the pool (专家库): an account holding the REVIEWER role."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="expert", on_delete=fields.RESTRICT
    )
    specialities = fields.CharField(max_length=200, default="")
    active = fields.BooleanField(default=True)
    is_demo = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    user_id: int

    class Meta:
        table = "review_expert"


class ExpertAffiliation(Model):
    """An expert's role in an organisation, past or present, conflicts are detected from."""

    id = fields.IntField(primary_key=True)
    expert: fields.ForeignKeyRelation[Expert] = fields.ForeignKeyField(
        "models.Expert", related_name="affiliations", on_delete=fields.CASCADE
    )
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="expert_affiliations", on_delete=fields.RESTRICT
    )
    role = fields.CharField(max_length=60, default="")
    started_on = fields.DateField(null=True)
    ended_on = fields.DateField(null=True)

    expert_id: int
    organisation_id: int

    class Meta:
        table = "review_expert_affiliation"
        indexes = [Index(fields=["organisation_id", "expert_id"], name="review_affiliation_org_idx")]


class PanelEntry(Model):
    """What a panel reviews: the owning domain's subject (an application, a project) by id, and
    the organisations conflicts are checked against."""

    id = fields.IntField(primary_key=True)
    panel: fields.ForeignKeyRelation[ReviewPanel] = fields.ForeignKeyField(
        "models.ReviewPanel", related_name="entries", on_delete=fields.CASCADE
    )
    subject_id = fields.IntField()
    title = fields.CharField(max_length=100)
    applicant: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="review_entries", on_delete=fields.RESTRICT
    )
    sponsor: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="sponsored_review_entries", null=True, on_delete=fields.RESTRICT
    )
    withdrawn = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    panel_id: int
    applicant_id: int
    sponsor_id: int | None

    class Meta:
        table = "review_entry"
        unique_together = (("panel_id", "subject_id"),)


class Conflict(Model):
    """A conflict of interest between a reviewer and an entry: that reviewer never scores nor
    sees the entry."""

    id = fields.IntField(primary_key=True)
    panel: fields.ForeignKeyRelation[ReviewPanel] = fields.ForeignKeyField(
        "models.ReviewPanel", related_name="conflicts", on_delete=fields.CASCADE
    )
    entry: fields.ForeignKeyRelation[PanelEntry] = fields.ForeignKeyField(
        "models.PanelEntry", related_name="conflicts", on_delete=fields.CASCADE
    )
    reviewer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="review_conflicts", on_delete=fields.RESTRICT
    )
    reason = fields.CharEnumField(ConflictReason, max_length=20)
    note = fields.CharField(max_length=500, default="")
    declared_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="declared_conflicts", null=True, on_delete=fields.SET_NULL
    )
    source = fields.CharEnumField(ConflictSource, max_length=10)
    created_at = fields.DatetimeField(auto_now_add=True)

    panel_id: int
    entry_id: int
    reviewer_id: int
    declared_by_id: int | None

    class Meta:
        table = "review_conflict"
        unique_together = (("panel_id", "entry_id", "reviewer_id"),)


class Assignment(Model):
    """A reviewer scoring an entry in one stage, drawn (with the seed) or assigned by staff."""

    id = fields.IntField(primary_key=True)
    panel: fields.ForeignKeyRelation[ReviewPanel] = fields.ForeignKeyField(
        "models.ReviewPanel", related_name="assignments", on_delete=fields.CASCADE
    )
    entry: fields.ForeignKeyRelation[PanelEntry] = fields.ForeignKeyField(
        "models.PanelEntry", related_name="assignments", on_delete=fields.CASCADE
    )
    reviewer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="review_assignments", on_delete=fields.RESTRICT
    )
    stage = fields.CharEnumField(Stage, max_length=10)
    method = fields.CharEnumField(AssignMethod, max_length=10)
    draw_seed = fields.BigIntField(null=True)
    assigned_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="review_assignments_made", null=True, on_delete=fields.SET_NULL
    )
    live = fields.BooleanField(null=True, default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    cancelled_at = fields.DatetimeField(null=True)
    cancel_reason = fields.CharField(max_length=500, default="")

    panel_id: int
    entry_id: int
    reviewer_id: int
    assigned_by_id: int | None

    class Meta:
        table = "review_assignment"
        unique_together = (("entry_id", "reviewer_id", "stage", "live"),)
        indexes = [
            Index(fields=["panel_id", "reviewer_id", "live"], name="review_assignment_reviewer_idx"),
            Index(fields=["panel_id", "stage", "live"], name="review_assignment_panel_idx"),
        ]


class ScoreSheet(Model):
    """One reviewer's sheet for one assignment."""

    id = fields.IntField(primary_key=True)
    assignment: fields.OneToOneRelation[Assignment] = fields.OneToOneField(
        "models.Assignment", related_name="sheet", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(SheetStatus, max_length=10, default=SheetStatus.DRAFT)
    overall_comment = fields.TextField(default="")
    submitted_at = fields.DatetimeField(null=True)
    reopened_reason = fields.CharField(max_length=500, default="")
    voided_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    assignment_id: int

    class Meta:
        table = "review_sheet"


class Score(Model):
    """One criterion's score on a sheet, with its comment."""

    id = fields.IntField(primary_key=True)
    sheet: fields.ForeignKeyRelation[ScoreSheet] = fields.ForeignKeyField(
        "models.ScoreSheet", related_name="scores", on_delete=fields.CASCADE
    )
    key = fields.CharField(max_length=40)
    score = fields.SmallIntField()
    comment = fields.TextField(default="")

    sheet_id: int

    class Meta:
        table = "review_score"
        unique_together = (("sheet_id", "key"),)


class ObjectionStatus(StrEnum):
    OPEN = "OPEN"
    UPHELD = "UPHELD"
    DISMISSED = "DISMISSED"

    @property
    def label(self) -> str:
        return {"OPEN": "待处理", "UPHELD": "异议成立", "DISMISSED": "异议不成立"}[self.value]


class Objection(Model):
    """A written objection to a panel's publicised results (公示异议), under the objector's real
    name and a contact number (masked for anyone but staff), about one entry or the whole result.
    Results become final only once every objection is resolved with a written answer."""

    id = fields.IntField(primary_key=True)
    panel: fields.ForeignKeyRelation[ReviewPanel] = fields.ForeignKeyField(
        "models.ReviewPanel", related_name="objections", on_delete=fields.CASCADE
    )
    entry: fields.ForeignKeyNullableRelation[PanelEntry] = fields.ForeignKeyField(
        "models.PanelEntry", related_name="objections", null=True, on_delete=fields.CASCADE
    )
    lodged_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="objections", on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=50)
    mobile = fields.CharField(max_length=11)
    text = fields.CharField(max_length=2000)
    status = fields.CharEnumField(ObjectionStatus, max_length=10, default=ObjectionStatus.OPEN)
    answer = fields.CharField(max_length=2000, default="")
    resolved_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="resolved_objections", null=True, on_delete=fields.SET_NULL
    )
    resolved_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    panel_id: int
    entry_id: int | None
    lodged_by_id: int
    resolved_by_id: int | None

    class Meta:
        table = "review_objection"
        indexes = [Index(fields=["panel_id", "status"], name="review_objection_panel_idx")]
