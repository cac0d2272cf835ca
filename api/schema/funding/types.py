"""Venture funding's GraphQL types. Amounts are integer fen in the `Fen` scalar (a JSON integer,
not bounded by GraphQL's 32-bit `Int`: 2^31 fen is only 21.4 million yuan), each with a display
string from `domain.funding.money`. An application's public fields are the same for everyone; the
rest (plan, budget, money flow, evaluations, the timeline's reasons and full names) only for
bureau staff and the organisation's own organisers (`domain.funding.queries.sees_in_full`), null
or empty for anyone else."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry import relay

from api.schema.errors import error_codes
from api.schema.grids.types import GridCellType
from api.schema.info import Info
from api.schema.limits import max_items
from api.schema.money import FenType
from api.schema.organisations.types import OrganisationType
from api.schema.relay import UserError
from domain.errors import ErrorCode
from domain.funding import attachments, money, queries
from domain.funding.applications import MAX_CELLS, MAX_LINES
from domain.funding.errors import FundingCode
from domain.funding.models import (
    RESULT_STAGES,
    Application,
    ApplicationEvent,
    AppStatus,
    AttachmentKind,
    BudgetLine,
    Evaluation,
    EvaluationKind,
    FundedBy,
    FundingRound,
    Need,
    NeedStatus,
    RoundStage,
    Tranche,
    TrancheStatus,
    TrancheTrigger,
)
from domain.organisations.errors import OrgCode
from domain.organisations.models import Organisation
from domain.people.masking import mask_name
from domain.people.policy import can_see_full_names
from domain.review.errors import ReviewCode

RoundStageEnum = strawberry.enum(RoundStage, name="FundingRoundStage", description="公益创投轮次阶段")
AppStatusEnum = strawberry.enum(AppStatus, name="ApplicationStatus", description="项目申报状态")
FundedByEnum = strawberry.enum(FundedBy, name="FundedBy", description="预算资金来源")
TriggerEnum = strawberry.enum(TrancheTrigger, name="TrancheTrigger", description="拨付条件")
TrancheStatusEnum = strawberry.enum(TrancheStatus, name="TrancheStatus", description="拨付状态")
EvaluationKindEnum = strawberry.enum(EvaluationKind, name="EvaluationKind", description="评估类型")
NeedStatusEnum = strawberry.enum(NeedStatus, name="NeedStatus", description="需求状态")
AttachmentKindEnum = strawberry.enum(
    AttachmentKind, name="AttachmentKind", description="申报附件类型（按内容识别）"
)

MAX_EVENTS = queries.MAX_EVENTS
MAX_TRANCHES = 10
MAX_EVALUATIONS = 20


@strawberry.type(description="分期拨付计划的一期")
class TrancheStepType:
    percent: int
    trigger: TriggerEnum  # type: ignore[valid-type]
    trigger_label: str


@strawberry.type(name="FundingRound", description="公益创投轮次（第N届）：资金池、单项上限与规则")
class FundingRoundType(relay.Node):
    id: relay.NodeID[int]
    edition: int = strawberry.field(description="届次")
    year: int
    title: str
    stage: RoundStageEnum  # type: ignore[valid-type]
    stage_label: str
    pool_fen: FenType = strawberry.field(description="资金池（分）")
    cap_fen: FenType = strawberry.field(description="单个项目资助上限（分）")
    max_grant_share_pct: int = strawberry.field(description="创投资金占项目总预算的最高比例（%）")
    min_matching_share_pct: int = strawberry.field(description="配套资金占项目总预算的最低比例（%）")
    max_applications_per_org: int = strawberry.field(description="每个组织本轮最多申报的项目数")
    allow_filed: bool = strawberry.field(description="备案的社区社会组织可否（经推荐）申报")
    publicity_days: int = strawberry.field(description="公示期（工作日）")
    pass_mark: int = strawberry.field(description="评估合格分")
    second_approval_over_fen: FenType = strawberry.field(description="超过此金额（分）的拨付须另一人复核")
    opened_at: datetime | None
    is_demo: bool = strawberry.field(description="演示数据（生成的，非真实记录）")
    model: strawberry.Private[FundingRound]

    @classmethod
    def from_model(cls, r: FundingRound) -> FundingRoundType:
        return cls(
            id=r.id,
            edition=r.edition,
            year=r.year,
            title=r.title,
            stage=r.stage,
            stage_label=r.stage.label,
            pool_fen=r.pool_fen,
            cap_fen=r.cap_fen,
            max_grant_share_pct=r.max_grant_share_pct,
            min_matching_share_pct=r.min_matching_share_pct,
            max_applications_per_org=r.max_applications_per_org,
            allow_filed=r.allow_filed,
            publicity_days=r.publicity_days,
            pass_mark=r.pass_mark,
            second_approval_over_fen=r.second_approval_over_fen,
            opened_at=r.opened_at,
            is_demo=r.is_demo,
            model=r,
        )

    @strawberry.field(description="资金池（元，如 2,035,000.00 元）")
    def pool(self) -> str:
        return money.yuan(self.model.pool_fen)

    @strawberry.field(description="资金池（万元，如 203.5万元）")
    def pool_wan(self) -> str:
        return money.wan(self.model.pool_fen)

    @strawberry.field(description="单个项目资助上限（元）")
    def cap(self) -> str:
        return money.yuan(self.model.cap_fen)

    @strawberry.field(description="单个项目资助上限（万元）")
    def cap_wan(self) -> str:
        return money.wan(self.model.cap_fen)

    @strawberry.field(description="分期拨付计划（按拨付顺序）", metadata=max_items(MAX_TRANCHES))
    def tranche_plan(self) -> list[TrancheStepType]:
        steps = [(int(s["percent"]), TrancheTrigger(s["trigger"])) for s in self.model.tranche_plan]
        return [TrancheStepType(percent=p, trigger=t, trigger_label=t.label) for p, t in steps]

    @strawberry.field(description="公示结果的资助总额（分）：结果公示后才有，此前为 null")
    async def awarded_fen(self, info: Info) -> FenType | None:
        if self.model.stage not in RESULT_STAGES:
            return None
        return await info.context.loaders.funding.published_awards_by_round.load(self.id)

    @strawberry.field(description="资金池减去公示结果的资助总额（分）：结果公示后才有，此前为 null")
    async def remaining_fen(self, info: Info) -> FenType | None:
        awarded = await self.awarded_fen(info)
        return None if awarded is None else self.model.pool_fen - awarded


@strawberry.type(description="预算明细的一项")
class BudgetLineType:
    position: int
    category: str
    item: str
    amount_fen: FenType
    amount: str = strawberry.field(description="金额（元）")
    funded_by: FundedByEnum  # type: ignore[valid-type]
    funded_by_label: str

    @classmethod
    def from_model(cls, line: BudgetLine) -> BudgetLineType:
        return cls(
            position=line.position,
            category=line.category,
            item=line.item,
            amount_fen=line.amount_fen,
            amount=money.yuan(line.amount_fen),
            funded_by=line.funded_by,
            funded_by_label=line.funded_by.label,
        )


@strawberry.type(description="申报流转记录：何时由谁从什么状态变为什么状态")
class ApplicationEventType:
    from_status: AppStatusEnum | None  # type: ignore[valid-type]
    to_status: AppStatusEnum  # type: ignore[valid-type]
    to_status_label: str
    at: datetime
    actor: str | None = strawberry.field(description="办理人（公众看到的姓名脱敏）")
    reason: str | None = strawberry.field(description="理由（工作人员与本组织可见，其他人为 null）")

    @classmethod
    def shown(cls, e: ApplicationEvent, full: bool, full_names: bool) -> ApplicationEventType:
        label = e.actor_label
        return cls(
            from_status=e.from_status,
            to_status=e.to_status,
            to_status_label=e.to_status.label,
            at=e.at,
            actor=label if label is None or full_names else mask_name(label),
            reason=e.reason if full else None,
        )


@strawberry.type(name="Tranche", description="分期拨付")
class TrancheType(relay.Node):
    id: relay.NodeID[int]
    seq: int
    percent: int
    amount_fen: FenType
    amount: str = strawberry.field(description="金额（元）")
    trigger: TriggerEnum  # type: ignore[valid-type]
    trigger_label: str
    status: TrancheStatusEnum  # type: ignore[valid-type]
    status_label: str
    approved_at: datetime | None
    paid_on: date | None
    payment_reference: str
    awaiting_second_approval: bool = strawberry.field(description="已初审，待另一人复核")
    application_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, t: Tranche) -> TrancheType:
        return cls(
            id=t.id,
            seq=t.seq,
            percent=t.percent,
            amount_fen=t.amount_fen,
            amount=money.yuan(t.amount_fen),
            trigger=t.trigger,
            trigger_label=t.trigger.label,
            status=t.status,
            status_label=t.status.label,
            approved_at=t.approved_at,
            paid_on=t.paid_on,
            payment_reference=t.payment_reference,
            awaiting_second_approval=t.status is TrancheStatus.DUE and t.first_approver_user_id is not None,
            application_id=t.application_id,
        )


@strawberry.type(name="Evaluation", description="中期或终期评估：组织自评与评估得分")
class EvaluationType(relay.Node):
    id: relay.NodeID[int]
    kind: EvaluationKindEnum  # type: ignore[valid-type]
    kind_label: str
    self_assessment: str
    self_submitted_on: date
    score: int | None
    pass_mark: int
    passed: bool | None = strawberry.field(description="是否通过（未评估时为 null）")
    comment: str
    reviewed_on: date | None
    application_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, e: Evaluation) -> EvaluationType:
        return cls(
            id=e.id,
            kind=e.kind,
            kind_label=e.kind.label,
            self_assessment=e.self_assessment,
            self_submitted_on=e.self_submitted_on,
            score=e.score,
            pass_mark=e.pass_mark,
            passed=e.passed,
            comment=e.comment,
            reviewed_on=e.reviewed_on,
            application_id=e.application_id,
        )


ATTACHMENT_URL = "/funding/attachments/{id}"  # the web layer's download route (web/routes/funding.py)


@strawberry.type(
    name="ApplicationAttachment",
    description="申报附件（PDF 或图片，类型按内容识别）。民政局工作人员、本组织的组织者，以及分配到该项目、"
    "无利益冲突、评审尚未结束的评审专家可见；匿名评审时专家看到的文件名为“附件N”。上传只能在网页上进行",
)
class ApplicationAttachmentType(relay.Node):
    id: relay.NodeID[int]
    kind: AttachmentKindEnum  # type: ignore[valid-type]
    kind_label: str
    file_name: str = strawberry.field(description="文件名（上传时的名称，扩展名按内容；匿名评审时为“附件N”）")
    size_bytes: int = strawberry.field(description="文件大小（字节）")
    created_at: datetime
    url: str = strawberry.field(description="下载地址（网页路由，凭登录会话下载；无权查看时为 404）")

    @classmethod
    def from_shown(cls, s: attachments.Shown) -> ApplicationAttachmentType:
        return cls(
            id=s.id,
            kind=s.kind,
            kind_label=s.kind.label,
            file_name=s.name,
            size_bytes=s.size_bytes,
            created_at=s.created_at,
            url=ATTACHMENT_URL.format(id=s.id),
        )


async def attachment_blindness(info: Info, application: Application) -> bool | None:
    """How the reader reads an application's attachments (`domain.funding.attachments`): False
    under their names (staff, the organisers), True with neutral names (a blind panel's assigned
    reviewer), None not at all."""
    actor = info.context.actor
    if attachments.may_read_in_full(actor, application.organisation_id):
        return False
    if actor.user_id is None:
        return None
    loaders = info.context.loaders.funding
    funding_round = await loaders.round_by_id.load(application.round_id)
    assert funding_round is not None  # a foreign key
    return await loaders.reviewer_blind.load((actor, funding_round.panel_id, application.id))


@strawberry.type(
    name="Application",
    description="公益创投项目申报。公开字段对所有能看到它的人相同（公众只看到已公示的结果）；"
    "计划、预算、拨付与评估仅民政局工作人员与本组织的组织者可见",
)
class ApplicationType(relay.Node):
    id: relay.NodeID[int]
    project_name: str
    target_group: str
    status: AppStatusEnum  # type: ignore[valid-type]
    status_label: str
    requested_fen: FenType = strawberry.field(description="申请的创投资金（分）")
    award_fen: FenType | None = strawberry.field(description="核定的资助金额（分，未核定为 null）")
    submitted_at: datetime | None
    is_demo: bool = strawberry.field(description="演示数据（生成的，非真实记录）")
    model: strawberry.Private[Application]

    @classmethod
    def from_model(cls, a: Application) -> ApplicationType:
        return cls(
            id=a.id,
            project_name=a.project_name,
            target_group=a.target_group,
            status=a.status,
            status_label=a.status.label,
            requested_fen=a.requested_fen,
            award_fen=a.award_fen,
            submitted_at=a.submitted_at,
            is_demo=a.is_demo,
            model=a,
        )

    def _full(self, info: Info) -> bool:
        return queries.sees_in_full(info.context.actor, self.model.organisation_id)

    @strawberry.field(description="申请金额（元）")
    def requested(self) -> str:
        return money.yuan(self.model.requested_fen)

    @strawberry.field(description="资助金额（元，未核定为 null）")
    def award(self) -> str | None:
        return None if self.model.award_fen is None else money.yuan(self.model.award_fen)

    @strawberry.field(description="所属轮次")
    async def round(self, info: Info) -> FundingRoundType:
        found = await info.context.loaders.funding.round_by_id.load(self.model.round_id)
        assert found is not None  # a foreign key
        return FundingRoundType.from_model(found)

    @strawberry.field(description="申报组织")
    async def organisation(self, info: Info) -> OrganisationType:
        fetched = self.model.organisation  # read with the application by `queries.results`
        if isinstance(fetched, Organisation):
            return OrganisationType.from_model(fetched)
        org = await info.context.loaders.organisations.organisation_by_id.load(self.model.organisation_id)
        assert org is not None  # a foreign key
        return OrganisationType.from_model(org)

    @strawberry.field(description="推荐单位（备案的社区社会组织申报时）")
    async def sponsor(self, info: Info) -> OrganisationType | None:
        if self.model.sponsor_id is None:
            return None
        org = await info.context.loaders.organisations.organisation_by_id.load(self.model.sponsor_id)
        return OrganisationType.from_model(org) if org else None

    @strawberry.field(description="服务的网格单元", metadata=max_items(MAX_CELLS))
    async def cells(self, info: Info) -> list[GridCellType]:
        found = await info.context.loaders.grids.cell_by_id.load_many(list(self.model.cell_ids))
        return [GridCellType.from_model(c) for c in found if c is not None]

    @strawberry.field(description="需求与问题（仅工作人员与本组织）")
    def problem(self, info: Info) -> str | None:
        return self.model.problem if self._full(info) else None

    @strawberry.field(description="实施方案（仅工作人员与本组织）")
    def plan(self, info: Info) -> str | None:
        return self.model.plan if self._full(info) else None

    @strawberry.field(description="项目总预算（分；仅工作人员与本组织）")
    def budget_total_fen(self, info: Info) -> FenType | None:
        return self.model.budget_total_fen if self._full(info) else None

    @strawberry.field(description="资格审查意见（仅工作人员与本组织）", metadata=max_items(20))
    def eligibility_notes(self, info: Info) -> list[str]:
        return [str(n) for n in self.model.eligibility_notes][:20] if self._full(info) else []

    @strawberry.field(description="预算明细（仅工作人员与本组织）", metadata=max_items(MAX_LINES))
    async def budget_lines(self, info: Info) -> list[BudgetLineType]:
        if not self._full(info):
            return []
        lines = await info.context.loaders.funding.budget_lines_by_application.load(self.id)
        return [BudgetLineType.from_model(line) for line in lines]

    @strawberry.field(
        description="流转记录（公众看到的办理人姓名脱敏、无理由）", metadata=max_items(MAX_EVENTS)
    )
    async def timeline(self, info: Info) -> list[ApplicationEventType]:
        full = self._full(info)
        names = full or can_see_full_names(info.context.actor)
        events = await info.context.loaders.funding.events_by_application.load(self.id)
        return [ApplicationEventType.shown(e, full, names) for e in events]

    @strawberry.field(description="分期拨付（仅工作人员与本组织）", metadata=max_items(MAX_TRANCHES))
    async def tranches(self, info: Info) -> list[TrancheType]:
        if not self._full(info):
            return []
        rows = await info.context.loaders.funding.tranches_by_application.load(self.id)
        return [TrancheType.from_model(t) for t in rows]

    @strawberry.field(
        description="申报附件（工作人员、本组织，及分配到本项目且无利益冲突的评审专家可见；其他人为空）",
        metadata=max_items(attachments.MAX_ATTACHMENTS),
    )
    async def attachments(self, info: Info) -> list[ApplicationAttachmentType]:
        blind = await attachment_blindness(info, self.model)
        if blind is None:
            return []
        rows = await info.context.loaders.funding.attachments_by_application.load(self.id)
        return [ApplicationAttachmentType.from_shown(s) for s in attachments.shown(rows, blind)]

    @strawberry.field(description="中期与终期评估（仅工作人员与本组织）", metadata=max_items(MAX_EVALUATIONS))
    async def evaluations(self, info: Info) -> list[EvaluationType]:
        if not self._full(info):
            return []
        rows = await info.context.loaders.funding.evaluations_by_application.load(self.id)
        return [EvaluationType.from_model(e) for e in rows[:MAX_EVALUATIONS]]


@strawberry.type(name="Need", description="需求征集中发布的需求（不显示提交人）")
class NeedType(relay.Node):
    id: relay.NodeID[int]
    text: str
    status: NeedStatusEnum  # type: ignore[valid-type]
    status_label: str
    created_at: datetime
    model: strawberry.Private[Need]

    @classmethod
    def from_model(cls, n: Need) -> NeedType:
        return cls(
            id=n.id,
            text=n.text,
            status=n.status,
            status_label=n.status.label,
            created_at=n.created_at,
            model=n,
        )

    @strawberry.field(description="需求所在的网格单元")
    async def cell(self, info: Info) -> GridCellType:
        cell = await info.context.loaders.grids.cell_by_id.load(self.model.cell_id)
        assert cell is not None  # a foreign key
        return GridCellType.from_model(cell)


FundingErrorCode = error_codes(
    "FundingErrorCode",
    [
        *FundingCode,
        ErrorCode.INVALID_LENGTH,
        ErrorCode.OUT_OF_RANGE,
        ErrorCode.INVALID_TRANSITION,
        ErrorCode.WRONG_STAGE,
        ErrorCode.REASON_REQUIRED,
        ErrorCode.FUTURE_TIME,
        ErrorCode.END_BEFORE_START,
        OrgCode.INVALID_USCC,
        ReviewCode.FROZEN,  # the round's review panel, changed with its rules
        ReviewCode.DUPLICATE_ENTRY,  # eligibility confirmed during review puts it on the panel
    ],
    "公益创投（轮次、申报、资助、协议、拨付、评估、需求）的错误码",
)


@strawberry.type
class FundingUserError(UserError):
    code: FundingErrorCode  # type: ignore[valid-type]
