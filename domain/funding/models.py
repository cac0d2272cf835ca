"""Public-interest venture funding (公益创投): rounds with a fixed pool, the needs collected before
the call, applications with their budget lines and timeline, agreements, tranches, milestone
reports, evaluations and reclaims. Money is integer fen throughout."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.grids.models import GridCell
    from domain.organisations.models import Organisation
    from domain.review.models import ReviewPanel


class RoundStage(StrEnum):
    """A round's stages. `APPLICATIONS_CLOSED` (申报截止) is the end of the call, `FINISHED` (结项)
    the end of the round."""

    DRAFT = "DRAFT"
    NEEDS_COLLECTION = "NEEDS_COLLECTION"
    OPEN = "OPEN"
    APPLICATIONS_CLOSED = "APPLICATIONS_CLOSED"
    REVIEWING = "REVIEWING"
    RESULTS_PUBLICIZED = "RESULTS_PUBLICIZED"
    AWARDED = "AWARDED"
    FINISHED = "FINISHED"

    @property
    def label(self) -> str:
        return ROUND_STAGE_LABELS[self]


ROUND_STAGE_LABELS = {
    RoundStage.DRAFT: "草稿",
    RoundStage.NEEDS_COLLECTION: "需求征集",
    RoundStage.OPEN: "申报中",
    RoundStage.APPLICATIONS_CLOSED: "申报截止",
    RoundStage.REVIEWING: "评审中",
    RoundStage.RESULTS_PUBLICIZED: "结果公示",
    RoundStage.AWARDED: "已立项",
    RoundStage.FINISHED: "已结束",
}

# Needs collection is optional: a round may open its call straight from the draft.
ROUND_TRANSITIONS: dict[RoundStage, frozenset[RoundStage]] = {
    RoundStage.DRAFT: frozenset({RoundStage.NEEDS_COLLECTION, RoundStage.OPEN}),
    RoundStage.NEEDS_COLLECTION: frozenset({RoundStage.OPEN}),
    RoundStage.OPEN: frozenset({RoundStage.APPLICATIONS_CLOSED}),
    RoundStage.APPLICATIONS_CLOSED: frozenset({RoundStage.REVIEWING}),
    RoundStage.REVIEWING: frozenset({RoundStage.RESULTS_PUBLICIZED}),
    RoundStage.RESULTS_PUBLICIZED: frozenset({RoundStage.AWARDED}),
    RoundStage.AWARDED: frozenset({RoundStage.FINISHED}),
    RoundStage.FINISHED: frozenset(),
}
# The configuration may change only before the call opens.
EDITABLE_STAGES = frozenset({RoundStage.DRAFT, RoundStage.NEEDS_COLLECTION})
# Results are public from their publicity (公示) on.
RESULT_STAGES = frozenset({RoundStage.RESULTS_PUBLICIZED, RoundStage.AWARDED, RoundStage.FINISHED})


class TrancheTrigger(StrEnum):
    SIGNING = "SIGNING"
    MIDTERM_PASS = "MIDTERM_PASS"
    FINAL_PASS = "FINAL_PASS"

    @property
    def label(self) -> str:
        return {"SIGNING": "签订协议", "MIDTERM_PASS": "中期评估通过", "FINAL_PASS": "终期评估通过"}[
            self.value
        ]


class FundingRound(Model):
    """A round (第N届) with a fixed pool and the rules its applications obey. The rules freeze when
    the call opens, the review panel's configuration with them (`domain.funding.review`)."""

    id = fields.IntField(primary_key=True)
    edition = fields.SmallIntField(unique=True)
    year = fields.SmallIntField()
    title = fields.CharField(max_length=100)
    stage = fields.CharEnumField(RoundStage, max_length=20, default=RoundStage.DRAFT)
    pool_fen = fields.BigIntField()
    cap_fen = fields.BigIntField()
    max_grant_share_pct = fields.SmallIntField()
    min_matching_share_pct = fields.SmallIntField()
    max_applications_per_org = fields.SmallIntField(default=1)
    allow_filed = fields.BooleanField(default=True)
    # [{"percent": 50, "trigger": "SIGNING"}, ...] in payment order
    tranche_plan: Any = fields.JSONField()
    publicity_days = fields.SmallIntField(default=5)
    pass_mark = fields.SmallIntField(default=60)
    second_approval_over_fen = fields.BigIntField(default=0)
    opened_at = fields.DatetimeField(null=True)
    panel: fields.ForeignKeyRelation[ReviewPanel] = fields.ForeignKeyField(
        "models.ReviewPanel", related_name="funding_rounds", on_delete=fields.RESTRICT
    )
    is_demo = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    panel_id: int

    class Meta:
        table = "funding_round"
        indexes = [Index(fields=["stage", "id"], name="funding_round_stage_idx")]


class NeedStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    PUBLISHED = "PUBLISHED"
    DECLINED = "DECLINED"

    @property
    def label(self) -> str:
        return {"SUBMITTED": "待审核", "PUBLISHED": "已发布", "DECLINED": "未采纳"}[self.value]


class Need(Model):
    """A need a community or a resident raised during needs collection (需求征集), which applications
    may answer. The submitter is never shown to the public."""

    id = fields.IntField(primary_key=True)
    round: fields.ForeignKeyRelation[FundingRound] = fields.ForeignKeyField(
        "models.FundingRound", related_name="needs", on_delete=fields.CASCADE
    )
    cell: fields.ForeignKeyRelation[GridCell] = fields.ForeignKeyField(
        "models.GridCell", related_name="funding_needs", on_delete=fields.RESTRICT
    )
    cell_path = fields.CharField(max_length=100)
    text = fields.CharField(max_length=1000)
    submitted_by_user_id = fields.IntField()
    status = fields.CharEnumField(NeedStatus, max_length=10, default=NeedStatus.SUBMITTED)
    is_demo = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    round_id: int
    cell_id: int

    class Meta:
        table = "funding_need"
        indexes = [Index(fields=["round_id", "status", "id"], name="funding_need_round_idx")]


class AppStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    NEEDS_INFO = "NEEDS_INFO"
    ELIGIBLE = "ELIGIBLE"
    INELIGIBLE = "INELIGIBLE"
    IN_REVIEW = "IN_REVIEW"
    REVIEWED = "REVIEWED"
    RECOMMENDED = "RECOMMENDED"
    WAITLISTED = "WAITLISTED"
    NOT_SELECTED = "NOT_SELECTED"
    PUBLICIZING = "PUBLICIZING"
    APPROVED = "APPROVED"
    CONTRACTED = "CONTRACTED"
    IN_PROGRESS = "IN_PROGRESS"
    SUSPENDED = "SUSPENDED"
    FINAL_REVIEW = "FINAL_REVIEW"
    CLOSED = "CLOSED"
    CLOSED_FAILED = "CLOSED_FAILED"
    WITHDRAWN = "WITHDRAWN"
    TERMINATED = "TERMINATED"

    @property
    def label(self) -> str:
        return APP_STATUS_LABELS[self]


APP_STATUS_LABELS = {
    AppStatus.DRAFT: "草稿",
    AppStatus.SUBMITTED: "已提交",
    AppStatus.NEEDS_INFO: "待补充材料",
    AppStatus.ELIGIBLE: "资格审查通过",
    AppStatus.INELIGIBLE: "资格审查未通过",
    AppStatus.IN_REVIEW: "评审中",
    AppStatus.REVIEWED: "已评审",
    AppStatus.RECOMMENDED: "拟资助",
    AppStatus.WAITLISTED: "候补",
    AppStatus.NOT_SELECTED: "未入选",
    AppStatus.PUBLICIZING: "公示中",
    AppStatus.APPROVED: "已立项",
    AppStatus.CONTRACTED: "已签协议",
    AppStatus.IN_PROGRESS: "实施中",
    AppStatus.SUSPENDED: "已暂停",
    AppStatus.FINAL_REVIEW: "终期评估",
    AppStatus.CLOSED: "已结项",
    AppStatus.CLOSED_FAILED: "结项未通过",
    AppStatus.WITHDRAWN: "已撤回",
    AppStatus.TERMINATED: "已终止",
}

S = AppStatus
_RUNNING = frozenset({S.APPROVED, S.CONTRACTED, S.IN_PROGRESS, S.SUSPENDED, S.FINAL_REVIEW})
# Withdrawal by the applicant is possible before approval, termination by the bureau after it.
WITHDRAWABLE = frozenset(
    {S.DRAFT, S.SUBMITTED, S.NEEDS_INFO, S.ELIGIBLE, S.IN_REVIEW, S.REVIEWED, S.RECOMMENDED}
    | {S.WAITLISTED, S.PUBLICIZING}
)
APP_TRANSITIONS: dict[AppStatus, frozenset[AppStatus]] = {
    S.DRAFT: frozenset({S.SUBMITTED}),
    S.SUBMITTED: frozenset({S.NEEDS_INFO, S.ELIGIBLE, S.INELIGIBLE}),
    S.NEEDS_INFO: frozenset({S.SUBMITTED}),
    S.ELIGIBLE: frozenset({S.IN_REVIEW}),
    S.IN_REVIEW: frozenset({S.REVIEWED}),
    S.REVIEWED: frozenset({S.RECOMMENDED, S.WAITLISTED, S.NOT_SELECTED}),
    S.RECOMMENDED: frozenset({S.PUBLICIZING, S.WAITLISTED, S.NOT_SELECTED}),
    S.WAITLISTED: frozenset({S.RECOMMENDED, S.NOT_SELECTED}),
    S.PUBLICIZING: frozenset({S.APPROVED, S.NOT_SELECTED}),
    S.APPROVED: frozenset({S.CONTRACTED}),
    S.CONTRACTED: frozenset({S.IN_PROGRESS}),
    S.IN_PROGRESS: frozenset({S.SUSPENDED, S.FINAL_REVIEW}),
    S.SUSPENDED: frozenset({S.IN_PROGRESS}),
    S.FINAL_REVIEW: frozenset({S.CLOSED, S.CLOSED_FAILED}),
    S.CLOSED: frozenset(),
    S.CLOSED_FAILED: frozenset(),
    S.INELIGIBLE: frozenset(),
    S.NOT_SELECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.TERMINATED: frozenset(),
}
for _status in WITHDRAWABLE:
    APP_TRANSITIONS[_status] |= {S.WITHDRAWN}
for _status in _RUNNING:
    APP_TRANSITIONS[_status] |= {S.TERMINATED}
# An award in one of these states holds money of the pool (reserved, granted or spent).
HOLDS_POOL = frozenset({S.RECOMMENDED, S.PUBLICIZING, S.CLOSED, S.CLOSED_FAILED, S.TERMINATED} | _RUNNING)
# What the public sees of a round once its results are publicised.
PUBLISHED_STATUSES = HOLDS_POOL - {S.RECOMMENDED}
# Still counts against the organisation's quota and blocks a duplicate.
LIVE_STATUSES = frozenset(AppStatus) - {S.DRAFT, S.WITHDRAWN, S.INELIGIBLE}


class FundedBy(StrEnum):
    GRANT = "GRANT"
    MATCHING = "MATCHING"

    @property
    def label(self) -> str:
        return {"GRANT": "创投资金", "MATCHING": "配套资金"}[self.value]


class Application(Model):
    """An organisation's application (项目申报) to a round. A filed (备案) organisation applies
    through a registered sponsor. `requested_fen` is the sum of the GRANT budget lines, `award_fen`
    what the allocation granted (never more than the request and the cap)."""

    id = fields.IntField(primary_key=True)
    round: fields.ForeignKeyRelation[FundingRound] = fields.ForeignKeyField(
        "models.FundingRound", related_name="applications", on_delete=fields.RESTRICT
    )
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="funding_applications", on_delete=fields.RESTRICT
    )
    sponsor: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="sponsored_applications", null=True, on_delete=fields.RESTRICT
    )
    project_name = fields.CharField(max_length=100)
    target_group = fields.CharField(max_length=200)
    problem = fields.TextField()
    plan = fields.TextField()
    milestones: Any = fields.JSONField(default=list)  # [{"title": ..., "due": "YYYY-MM-DD"}]
    cell_ids: Any = fields.JSONField(default=list)
    need_ids: Any = fields.JSONField(default=list)
    requested_fen = fields.BigIntField()
    budget_total_fen = fields.BigIntField()
    award_fen = fields.BigIntField(null=True)
    status = fields.CharEnumField(AppStatus, max_length=16, default=AppStatus.DRAFT)
    eligibility_notes: Any = fields.JSONField(default=list)
    submitted_at = fields.DatetimeField(null=True)
    created_by_user_id = fields.IntField(null=True)
    is_demo = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    round_id: int
    organisation_id: int
    sponsor_id: int | None

    class Meta:
        table = "funding_application"
        indexes = [
            Index(fields=["round_id", "status", "id"], name="funding_application_round_idx"),
            Index(fields=["organisation_id", "round_id"], name="funding_application_org_idx"),
        ]


class BudgetLine(Model):
    id = fields.IntField(primary_key=True)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="budget_lines", on_delete=fields.CASCADE
    )
    position = fields.SmallIntField()
    category = fields.CharField(max_length=50)
    item = fields.CharField(max_length=200)
    amount_fen = fields.BigIntField()
    funded_by = fields.CharEnumField(FundedBy, max_length=10)

    application_id: int

    class Meta:
        table = "funding_budget_line"
        indexes = [Index(fields=["application_id", "position"], name="funding_budget_line_app_idx")]


class ApplicationEvent(Model):
    """One step of an application's timeline: who moved it from what to what, when and why."""

    id = fields.IntField(primary_key=True)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="events", on_delete=fields.CASCADE
    )
    from_status = fields.CharEnumField(AppStatus, max_length=16, null=True)
    to_status = fields.CharEnumField(AppStatus, max_length=16)
    actor_user_id = fields.IntField(null=True)
    actor_label = fields.CharField(max_length=100, null=True)
    reason = fields.CharField(max_length=500, default="")
    at = fields.DatetimeField(auto_now_add=True)

    application_id: int

    class Meta:
        table = "funding_application_event"
        indexes = [Index(fields=["application_id", "id"], name="funding_event_app_idx")]


class AttachmentKind(StrEnum):
    """What an attachment is, as its content says (never its name or the browser's type)."""

    PDF = "PDF"
    IMAGE = "IMAGE"

    @property
    def label(self) -> str:
        return {"PDF": "PDF 文档", "IMAGE": "图片"}[self.value]


class ApplicationAttachment(Model):
    """A file attached to an application (申报附件): a PDF checked by parsing it, or an image
    re-encoded without its metadata. Stored under the data folder with a random name
    (`stored_name`), shown under the name the uploader gave it, cleaned (`file_name`), or under a
    neutral name to a blind reviewer. `sha256` is the stored bytes' digest."""

    id = fields.IntField(primary_key=True)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="attachments", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(AttachmentKind, max_length=8)
    file_name = fields.CharField(max_length=120)
    stored_name = fields.CharField(max_length=64, unique=True)
    content_type = fields.CharField(max_length=20)
    size_bytes = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    uploaded_by_user_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    application_id: int

    class Meta:
        table = "funding_attachment"
        indexes = [Index(fields=["application_id", "id"], name="funding_attachment_app_idx")]


class Agreement(Model):
    """The funding agreement (协议) of an approved application."""

    id = fields.IntField(primary_key=True)
    application: fields.OneToOneRelation[Application] = fields.OneToOneField(
        "models.Application", related_name="agreement", on_delete=fields.RESTRICT
    )
    number = fields.CharField(max_length=50, unique=True)
    signed_on = fields.DateField()
    amount_fen = fields.BigIntField()
    signed_by_user_id = fields.IntField(null=True)

    application_id: int

    class Meta:
        table = "funding_agreement"


class TrancheStatus(StrEnum):
    PLANNED = "PLANNED"
    DUE = "DUE"
    APPROVED = "APPROVED"
    PAID = "PAID"
    CANCELLED = "CANCELLED"

    @property
    def label(self) -> str:
        return {
            "PLANNED": "计划",
            "DUE": "待审批",
            "APPROVED": "已审批",
            "PAID": "已拨付",
            "CANCELLED": "已取消",
        }[self.value]


class Tranche(Model):
    """One instalment (分期拨付) of an award. Above the round's threshold a second approver, a
    different person, approves after the first."""

    id = fields.IntField(primary_key=True)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="tranches", on_delete=fields.CASCADE
    )
    seq = fields.SmallIntField()
    percent = fields.SmallIntField()
    amount_fen = fields.BigIntField()
    trigger = fields.CharEnumField(TrancheTrigger, max_length=14)
    status = fields.CharEnumField(TrancheStatus, max_length=10, default=TrancheStatus.PLANNED)
    first_approver_user_id = fields.IntField(null=True)
    second_approver_user_id = fields.IntField(null=True)
    approved_at = fields.DatetimeField(null=True)
    paid_on = fields.DateField(null=True)
    payment_reference = fields.CharField(max_length=100, default="")

    application_id: int

    class Meta:
        table = "funding_tranche"
        unique_together = (("application_id", "seq"),)


class Reclaim(Model):
    """Money the bureau reclaims (追回) from a project, with the reason."""

    id = fields.IntField(primary_key=True)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="reclaims", on_delete=fields.CASCADE
    )
    amount_fen = fields.BigIntField()
    reason = fields.CharField(max_length=500)
    decided_on = fields.DateField()
    decided_by_user_id = fields.IntField(null=True)

    application_id: int

    class Meta:
        table = "funding_reclaim"


class MilestoneReport(Model):
    id = fields.IntField(primary_key=True)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="milestone_reports", on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=100)
    text = fields.TextField()
    reported_on = fields.DateField()
    submitted_by_user_id = fields.IntField(null=True)

    application_id: int

    class Meta:
        table = "funding_milestone_report"


class EvaluationKind(StrEnum):
    MIDTERM = "MIDTERM"
    FINAL = "FINAL"

    @property
    def label(self) -> str:
        return {"MIDTERM": "中期评估", "FINAL": "终期评估"}[self.value]


class Evaluation(Model):
    """A mid-term or final evaluation: the organisation's self-assessment, then an evaluator's
    review with a score against the round's pass mark."""

    id = fields.IntField(primary_key=True)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="evaluations", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(EvaluationKind, max_length=8)
    self_assessment = fields.TextField()
    self_submitted_on = fields.DateField()
    score = fields.SmallIntField(null=True)
    pass_mark = fields.SmallIntField()
    passed = fields.BooleanField(null=True)
    comment = fields.CharField(max_length=1000, default="")
    evaluator_user_id = fields.IntField(null=True)
    reviewed_on = fields.DateField(null=True)

    application_id: int

    class Meta:
        table = "funding_evaluation"
        indexes = [Index(fields=["application_id", "kind"], name="funding_evaluation_app_idx")]

    @property
    def pending(self) -> bool:
        return self.passed is None


def tranche_amounts(award_fen: int, percents: list[int]) -> list[int]:
    """Each tranche's share of the award in fen, rounded down, the remainder fen on the last."""
    amounts = [award_fen * p // 100 for p in percents[:-1]]
    return [*amounts, award_fen - sum(amounts)]
