"""The review module's GraphQL types. A reviewer sees their own assignments (never one on an entry
they are conflicted with) and, in a blind panel, no applicant; others' sheets only once their
own on the entry is submitted; staff see everything (`domain.review.queries`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import strawberry
from strawberry import relay

from api.schema.errors import error_codes
from api.schema.info import Info
from api.schema.limits import max_items
from api.schema.organisations.types import OrganisationType
from api.schema.relay import UserError
from domain.errors import ErrorCode
from domain.people.masking import mask_mobile
from domain.review import policy, queries
from domain.review.errors import ReviewCode
from domain.review.models import (
    ConflictReason,
    Objection,
    ObjectionStatus,
    PanelEntry,
    PanelStage,
    ReviewPanel,
    Score,
    ScoreSheet,
    SheetStatus,
    Stage,
)
from domain.review.queries import MatrixCell
from domain.review.rubric import MAX_CRITERIA, Rubric
from domain.review.rules import AggregationRule

PanelStageEnum = strawberry.enum(PanelStage, name="ReviewPanelStage", description="评审组阶段")
StageEnum = strawberry.enum(Stage, name="ReviewStage", description="评审环节（书面评审、路演答辩）")
SheetStatusEnum = strawberry.enum(SheetStatus, name="ScoreSheetStatus", description="评分表状态")
RuleEnum = strawberry.enum(AggregationRule, name="AggregationRule", description="评分汇总规则")
ConflictReasonEnum = strawberry.enum(ConflictReason, name="ConflictReason", description="利益冲突原因")
ObjectionStatusEnum = strawberry.enum(ObjectionStatus, name="ObjectionStatus", description="公示异议状态")


MAX_MEMBERS = 200  # a panel's experts and staff: a county's pool is a few dozen
MAX_ENTRIES = 500  # a round's applications


def gid(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(str(relay.GlobalID(type_name, str(pk))))


@strawberry.type(description="评分标准的一项")
class CriterionType:
    key: str
    label: str
    weight: int = strawberry.field(description="权重（各项之和为 100）")


@strawberry.type(name="ReviewPanelMember", description="评审组成员（评审专家或工作人员）")
class PanelMemberType:
    reviewer_id: strawberry.ID = strawberry.field(description="指定评审专家时使用")
    name: str
    source_label: str


@strawberry.type(name="ReviewEntry", description="评审项目（工作人员视图）")
class ReviewEntryType(relay.Node):
    id: relay.NodeID[int]
    title: str
    withdrawn: bool
    applicant: OrganisationType

    @classmethod
    def from_model(cls, e: PanelEntry) -> ReviewEntryType:
        applicant = OrganisationType.from_model(e.applicant)
        return cls(id=e.id, title=e.title, withdrawn=e.withdrawn, applicant=applicant)


@strawberry.type(name="ReviewPanel", description="评审组：评分标准、分值范围、汇总规则与评审方式")
class ReviewPanelType(relay.Node):
    id: relay.NodeID[int]
    title: str
    stage: PanelStageEnum  # type: ignore[valid-type]
    stage_label: str
    criteria: list[CriterionType] = strawberry.field(metadata=max_items(MAX_CRITERIA))
    score_min: int
    score_max: int
    aggregation_rule: RuleEnum  # type: ignore[valid-type]
    aggregation_rule_label: str
    blind: bool = strawberry.field(description="盲评：评审专家看不到申报机构")
    roadshow: bool = strawberry.field(description="设有路演答辩环节")
    reviewers_per_entry: int
    publicity_starts_on: date | None = strawberry.field(description="公示期首日")
    publicity_ends_on: date | None = strawberry.field(description="公示期末日")

    @strawberry.field(
        description="评审组成员（仅民政局工作人员；其他人为 null）", metadata=max_items(MAX_MEMBERS)
    )
    async def members(self, info: Info) -> list[PanelMemberType] | None:
        if not policy.is_staff(info.context.actor):
            return None
        found = await queries.members(info.context.actor, self.id)
        return [
            PanelMemberType(reviewer_id=gid("User", m.user_id), name=m.name, source_label=m.source.label)
            for m in found[:MAX_MEMBERS]
        ]

    @strawberry.field(
        description="评审项目，含已撤出的（仅民政局工作人员；其他人为 null）", metadata=max_items(MAX_ENTRIES)
    )
    async def entries(self, info: Info) -> list[ReviewEntryType] | None:
        if not policy.is_staff(info.context.actor):
            return None
        found = await queries.entries(info.context.actor, self.id)
        return [ReviewEntryType.from_model(e) for e in found[:MAX_ENTRIES]]

    @classmethod
    def from_model(cls, p: ReviewPanel) -> ReviewPanelType:
        rubric = p.parsed_rubric
        return cls(
            id=p.id,
            title=p.title,
            stage=p.stage,
            stage_label=p.stage.label,
            criteria=[CriterionType(key=c.key, label=c.label, weight=c.weight) for c in rubric.criteria],
            score_min=rubric.score_min,
            score_max=rubric.score_max,
            aggregation_rule=p.aggregation_rule,
            aggregation_rule_label=p.aggregation_rule.label,
            blind=p.blind,
            roadshow=p.roadshow,
            reviewers_per_entry=p.reviewers_per_entry,
            publicity_starts_on=p.publicity_starts_on,
            publicity_ends_on=p.publicity_ends_on,
        )


@strawberry.type(description="一个评分项的分数与评语")
class CriterionScoreType:
    key: str
    score: int
    comment: str


@strawberry.type(name="ScoreSheet", description="评分表：各评分项的分数与评语、总体评语、状态")
class ScoreSheetType(relay.Node):
    id: relay.NodeID[int]
    status: SheetStatusEnum  # type: ignore[valid-type]
    status_label: str
    scores: list[CriterionScoreType] = strawberry.field(metadata=max_items(MAX_CRITERIA))
    overall_comment: str
    total: float | None = strawberry.field(description="加权总分（0–100，仅已提交的评分表）")

    @classmethod
    def from_model(cls, sheet: ScoreSheet, scores: list[Score], rubric: Rubric) -> ScoreSheetType:
        values = {s.key: s.score for s in scores}
        complete = {c.key for c in rubric.criteria} <= values.keys()
        submitted = sheet.status is SheetStatus.SUBMITTED and complete
        return cls(
            id=sheet.id,
            status=sheet.status,
            status_label=sheet.status.label,
            scores=[CriterionScoreType(key=s.key, score=s.score, comment=s.comment) for s in scores],
            overall_comment=sheet.overall_comment,
            total=rubric.weighted_total(values) if submitted else None,
        )

    @classmethod
    def from_cell(cls, cell: MatrixCell) -> ScoreSheetType:
        return cls(
            id=cell.sheet_id,
            status=cell.status,
            status_label=cell.status.label,
            scores=[
                CriterionScoreType(key=key, score=score, comment=cell.comments.get(key, ""))
                for key, score in cell.scores.items()
            ],
            overall_comment=cell.overall_comment,
            total=cell.total,
        )


@dataclass(frozen=True)
class AssignmentRow:
    """What a ReviewAssignment is built from (`queries.MyAssignment` or the reviewer's own sheet)."""

    assignment_id: int
    panel_id: int
    stage: Stage
    sheet_status: SheetStatus
    entry_id: int
    title: str
    applicant_id: int | None


@strawberry.type(
    name="ReviewAssignment", description="本人的一项评审任务（仅本人可见；盲评时不显示申报机构）"
)
class ReviewAssignmentType(relay.Node):
    id: relay.NodeID[int]
    entry_id: strawberry.ID = strawberry.field(description="评审项目（申报利益冲突、查看他人评分时使用）")
    title: str = strawberry.field(description="评审项目名称")
    stage: StageEnum  # type: ignore[valid-type]
    stage_label: str
    sheet_status: SheetStatusEnum  # type: ignore[valid-type]
    sheet_status_label: str
    row: strawberry.Private[AssignmentRow]

    @classmethod
    def from_row(cls, row: AssignmentRow) -> ReviewAssignmentType:
        return cls(
            id=row.assignment_id,
            entry_id=gid("ReviewEntry", row.entry_id),
            title=row.title,
            stage=row.stage,
            stage_label=row.stage.label,
            sheet_status=row.sheet_status,
            sheet_status_label=row.sheet_status.label,
            row=row,
        )

    @strawberry.field(description="申报机构（盲评时为 null）")
    async def applicant(self, info: Info) -> OrganisationType | None:
        if self.row.applicant_id is None:
            return None
        found = await info.context.loaders.organisations.organisation_by_id.load(self.row.applicant_id)
        return OrganisationType.from_model(found) if found else None

    @strawberry.field(description="评审组")
    async def panel(self, info: Info) -> ReviewPanelType:
        found = await info.context.loaders.review.panel_by_id.load(self.row.panel_id)
        assert found is not None  # a foreign key
        return ReviewPanelType.from_model(found)

    @strawberry.field(description="本人的评分表")
    async def sheet(self, info: Info) -> ScoreSheetType:
        loaders = info.context.loaders.review
        found = await loaders.sheet_by_assignment.load(self.row.assignment_id)
        panel = await loaders.panel_by_id.load(self.row.panel_id)
        assert found is not None
        assert panel is not None
        scores = await loaders.scores_by_sheet.load(found.id)
        return ScoreSheetType.from_model(found, scores, panel.parsed_rubric)


@strawberry.type(name="Objection", description="公示异议（实名；联系电话仅民政局工作人员可见全文）")
class ObjectionType(relay.Node):
    id: relay.NodeID[int]
    panel_id: strawberry.ID
    entry_id: strawberry.ID | None
    status: ObjectionStatusEnum  # type: ignore[valid-type]
    status_label: str
    name: str
    mobile: str
    text: str
    answer: str
    created_at: datetime
    resolved_at: datetime | None

    @classmethod
    def from_model(cls, info: Info, o: Objection) -> ObjectionType:
        staff = policy.is_staff(info.context.actor)
        return cls(
            id=o.id,
            panel_id=gid("ReviewPanel", o.panel_id),
            entry_id=gid("ReviewEntry", o.entry_id) if o.entry_id is not None else None,
            status=o.status,
            status_label=o.status.label,
            name=o.name,
            mobile=o.mobile if staff else mask_mobile(o.mobile),
            text=o.text,
            answer=o.answer,
            created_at=o.created_at,
            resolved_at=o.resolved_at,
        )


# Exactly the codes the review mutations can raise (tests/api/test_review_graphql.py checks it).
ReviewErrorCode = error_codes(
    "ReviewErrorCode",
    [
        ReviewCode.SCORE_OUT_OF_RANGE,
        ReviewCode.UNKNOWN_CRITERION,
        ReviewCode.SCORE_REQUIRED,
        ReviewCode.COMMENT_REQUIRED,
        ReviewCode.SHEET_SUBMITTED,
        ReviewCode.SHEET_NOT_SUBMITTED,
        ReviewCode.ALREADY_DECLARED,
        ReviewCode.ALREADY_ASSIGNED,
        ReviewCode.CONFLICTED,
        ReviewCode.ENTRY_WITHDRAWN,
        ReviewCode.NOT_A_MEMBER,
        ErrorCode.INVALID_LENGTH,
        ErrorCode.INVALID_NAME,
        ErrorCode.INVALID_MOBILE,
        ErrorCode.OUT_OF_RANGE,
        ErrorCode.INVALID_TRANSITION,
        ErrorCode.WRONG_STAGE,
        ErrorCode.REASON_REQUIRED,
    ],
    "评审（评分、利益冲突、分配、公示异议）的错误码",
)


@strawberry.type
class ReviewUserError(UserError):
    code: ReviewErrorCode  # type: ignore[valid-type]
