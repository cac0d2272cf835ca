"""Venture funding's mutations: one per use case of `domain.funding`, each one `respond(...)`.
Global IDs are decoded inside the use case's work, so a malformed one is a userError of its input
field. Every one needs the token scope `write:funding` (the domain's policy)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

import strawberry
from strawberry import relay

from api.schema.funding.types import (
    ApplicationType,
    AppStatusEnum,
    EvaluationKindEnum,
    EvaluationType,
    FundedByEnum,
    FundingRoundType,
    FundingUserError,
    NeedType,
    RoundStageEnum,
    TrancheType,
    TriggerEnum,
)
from api.schema.info import Info
from api.schema.limits import max_items
from api.schema.money import FenType
from api.schema.mutation import respond
from api.schema.relay import USER_ERRORS, node_pk
from domain import clock
from domain.funding import allocation, applications, attachments, needs, rounds, tranches
from domain.funding.applications import ApplicationInput, LineInput
from domain.funding.models import (
    Application,
    AppStatus,
    EvaluationKind,
    FundedBy,
    FundingRound,
    RoundStage,
    TrancheTrigger,
)
from domain.funding.rounds import DEFAULT_PLAN, RoundInput, TrancheStep


@strawberry.input(description="分期拨付计划的一期")
class TrancheStepInput:
    percent: int
    trigger: TriggerEnum  # type: ignore[valid-type]


@strawberry.input(description="轮次的规则（开始申报后冻结）；金额单位为分")
class FundingRoundInput:
    edition: int
    year: int
    title: str
    pool_fen: FenType
    cap_fen: FenType
    max_grant_share_pct: int = 60
    min_matching_share_pct: int = 40
    max_applications_per_org: int = 1
    allow_filed: bool = True
    tranche_plan: list[TrancheStepInput] | None = strawberry.field(
        default=None, description="缺省为 签约 50%、中期 30%、终期 20%"
    )
    publicity_days: int = 5
    pass_mark: int = 60
    second_approval_over_fen: FenType = strawberry.field(default=0, description="0：每期都须复核")


@strawberry.input(description="修改轮次的规则（草稿或需求征集阶段）")
class FundingRoundUpdateInput(FundingRoundInput):
    id: strawberry.ID


@strawberry.input(description="变更轮次阶段（按顺序，不可跳过）")
class FundingRoundMoveInput:
    id: strawberry.ID
    to: RoundStageEnum  # type: ignore[valid-type]


@strawberry.input(description="预算明细的一项")
class BudgetLineInput:
    category: str
    item: str
    amount_fen: FenType
    funded_by: FundedByEnum  # type: ignore[valid-type]


@strawberry.input(description="里程碑")
class MilestoneInput:
    title: str
    due: date


@strawberry.input(description="项目申报的内容；requestedFen 须等于创投资金各项之和")
class ApplicationFieldsInput:
    organisation_id: strawberry.ID
    sponsor_id: strawberry.ID | None = strawberry.field(default=None, description="推荐单位（备案的组织）")
    project_name: str
    target_group: str
    problem: str
    plan: str
    requested_fen: FenType
    budget_lines: list[BudgetLineInput]
    milestones: list[MilestoneInput] = strawberry.field(default_factory=list)
    cell_ids: list[strawberry.ID] = strawberry.field(default_factory=list, description="服务的网格单元")
    need_ids: list[strawberry.ID] = strawberry.field(default_factory=list, description="回应的已发布需求")


@strawberry.input(description="新建申报草稿（申报期内，以本人所在组织的名义）")
class ApplicationCreateInput(ApplicationFieldsInput):
    round_id: strawberry.ID


@strawberry.input(description="修改草稿或待补充材料的申报")
class ApplicationUpdateInput(ApplicationFieldsInput):
    id: strawberry.ID


@strawberry.input
class ApplicationIdInput:
    id: strawberry.ID


@strawberry.input(description="撤回申报（立项前；须说明原因）")
class ApplicationWithdrawInput:
    id: strawberry.ID
    reason: str


@strawberry.input(description="删除申报附件（本组织的组织者；草稿或待补充材料时）")
class FundingAttachmentRemoveInput:
    id: strawberry.ID


@strawberry.input(description="工作人员变更申报状态（须说明理由）")
class ApplicationMoveInput:
    id: strawberry.ID
    to: AppStatusEnum  # type: ignore[valid-type]
    reason: str


@strawberry.input(description="按评审排名（最优在前）在资金池内资助")
class FundingAllocateInput:
    round_id: strawberry.ID
    ranking: list[strawberry.ID]


@strawberry.input(description="核定一个已评审或候补申报的资助金额（分）")
class FundingAwardInput:
    application_id: strawberry.ID
    amount_fen: FenType
    reason: str


@strawberry.input(description="签订资助协议")
class AgreementSignInput:
    application_id: strawberry.ID
    number: str
    signed_on: date


@strawberry.input
class TrancheApproveInput:
    id: strawberry.ID


@strawberry.input(description="登记拨付")
class TranchePayInput:
    id: strawberry.ID
    paid_on: date
    reference: str = strawberry.field(description="付款凭证号")


@strawberry.input(description="追回资金（不超过已拨付未追回的金额）")
class FundingReclaimInput:
    application_id: strawberry.ID
    amount_fen: FenType
    reason: str
    on: date


@strawberry.input(description="终止项目：未拨付的各期取消；违约时列入违约限制申报名录")
class ApplicationTerminateInput:
    id: strawberry.ID
    reason: str
    on: date
    reclaim_fen: FenType = 0
    breach: bool = False


@strawberry.input(description="报送项目进度")
class MilestoneReportInput:
    application_id: strawberry.ID
    title: str
    text: str
    reported_on: date


@strawberry.input(description="提交中期或终期自评")
class EvaluationSelfAssessInput:
    application_id: strawberry.ID
    kind: EvaluationKindEnum  # type: ignore[valid-type]
    self_assessment: str
    on: date


@strawberry.input(description="评估打分（对照轮次的合格分）")
class EvaluationReviewInput:
    id: strawberry.ID
    score: int
    comment: str = ""
    on: date


@strawberry.input(description="提交需求（需求征集阶段）")
class NeedSubmitInput:
    round_id: strawberry.ID
    cell_id: strawberry.ID
    text: str


@strawberry.input(description="发布或不采纳需求")
class NeedDecideInput:
    id: strawberry.ID
    publish: bool


@strawberry.type
class FundingRoundPayload:
    funding_round: FundingRoundType | None
    user_errors: list[FundingUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class ApplicationPayload:
    application: ApplicationType | None
    user_errors: list[FundingUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type(description="按排名资助的结果")
class AllocationType:
    recommended: list[strawberry.ID] = strawberry.field(
        description="拟资助的申报（排名顺序）", metadata=max_items(allocation.MAX_RANKING)
    )
    waitlisted: list[strawberry.ID] = strawberry.field(
        description="候补的申报（排名顺序）", metadata=max_items(allocation.MAX_RANKING)
    )
    awarded_fen: FenType = strawberry.field(description="资金池已占用（分）")
    left_fen: FenType = strawberry.field(description="资金池余额（分）")


@strawberry.type
class FundingAllocatePayload:
    allocation: AllocationType | None
    user_errors: list[FundingUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type(description="资助协议")
class AgreementType:
    number: str
    signed_on: date
    amount_fen: FenType


@strawberry.type
class AgreementPayload:
    agreement: AgreementType | None
    user_errors: list[FundingUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class TranchePayload:
    tranche: TrancheType | None
    user_errors: list[FundingUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type(description="追回记录")
class ReclaimType:
    amount_fen: FenType
    reason: str
    decided_on: date


@strawberry.type
class ReclaimPayload:
    reclaim: ReclaimType | None
    user_errors: list[FundingUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type(description="进度报告")
class MilestoneReportType:
    title: str
    text: str
    reported_on: date


@strawberry.type
class MilestoneReportPayload:
    report: MilestoneReportType | None
    user_errors: list[FundingUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class EvaluationPayload:
    evaluation: EvaluationType | None
    user_errors: list[FundingUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class NeedPayload:
    need: NeedType | None
    user_errors: list[FundingUserError] = strawberry.field(metadata=USER_ERRORS)


def _round_input(data: FundingRoundInput) -> RoundInput:
    plan = (
        tuple(TrancheStep(s.percent, TrancheTrigger(s.trigger)) for s in data.tranche_plan)
        if data.tranche_plan is not None
        else DEFAULT_PLAN
    )
    return RoundInput(
        edition=data.edition,
        year=data.year,
        title=data.title,
        pool_fen=data.pool_fen,
        cap_fen=data.cap_fen,
        max_grant_share_pct=data.max_grant_share_pct,
        min_matching_share_pct=data.min_matching_share_pct,
        max_applications_per_org=data.max_applications_per_org,
        allow_filed=data.allow_filed,
        tranche_plan=plan,
        publicity_days=data.publicity_days,
        pass_mark=data.pass_mark,
        second_approval_over_fen=data.second_approval_over_fen,
    )


def _pks(values: list[strawberry.ID], type_name: str, argument: str) -> tuple[int, ...]:
    return tuple(node_pk(v, type_name, f"{argument}.{i}") for i, v in enumerate(values))


def _application_input(data: ApplicationFieldsInput) -> ApplicationInput:
    return ApplicationInput(
        organisation_id=node_pk(data.organisation_id, "Organisation", "organisationId"),
        sponsor_id=node_pk(data.sponsor_id, "Organisation", "sponsorId") if data.sponsor_id else None,
        project_name=data.project_name,
        target_group=data.target_group,
        problem=data.problem,
        plan=data.plan,
        requested_fen=data.requested_fen,
        budget_lines=tuple(
            LineInput(line.category, line.item, line.amount_fen, FundedBy(line.funded_by))
            for line in data.budget_lines
        ),
        milestones=tuple((m.title, m.due) for m in data.milestones),
        cell_ids=_pks(data.cell_ids, "GridCell", "cellIds"),
        need_ids=_pks(data.need_ids, "Need", "needIds"),
    )


async def _round(work: Callable[[], Awaitable[FundingRound]]) -> FundingRoundPayload:
    return await respond(
        FundingRoundPayload, work, lambda r: {"funding_round": FundingRoundType.from_model(r)}
    )


async def _application(work: Callable[[], Awaitable[Application]]) -> ApplicationPayload:
    return await respond(ApplicationPayload, work, lambda a: {"application": ApplicationType.from_model(a)})


async def _create_application(info: Info, data: ApplicationCreateInput) -> Application:
    round_id = node_pk(data.round_id, "FundingRound", "roundId")
    return await applications.create_application(
        actor=info.context.actor, round_id=round_id, data=_application_input(data)
    )


async def _update_application(info: Info, data: ApplicationUpdateInput) -> Application:
    return await applications.update_application(
        actor=info.context.actor,
        application_id=node_pk(data.id, "Application"),
        data=_application_input(data),
    )


def _gid(pk: int) -> strawberry.ID:
    return strawberry.ID(str(relay.GlobalID("Application", str(pk))))


async def _allocate(info: Info, data: FundingAllocateInput) -> AllocationType:
    done = await allocation.allocate(
        actor=info.context.actor,
        round_id=node_pk(data.round_id, "FundingRound", "roundId"),
        ranking=_pks(data.ranking, "Application", "ranking"),
    )
    return AllocationType(
        recommended=[_gid(i) for i in done.recommended],
        waitlisted=[_gid(i) for i in done.waitlisted],
        awarded_fen=done.awarded_fen,
        left_fen=done.left_fen,
    )


@strawberry.type
class FundingMutations:
    @strawberry.mutation(description="新建公益创投轮次（民政局；草稿）")
    async def funding_round_create(self, info: Info, input: FundingRoundInput) -> FundingRoundPayload:
        return await _round(lambda: rounds.create_round(actor=info.context.actor, data=_round_input(input)))

    @strawberry.mutation(description="修改轮次规则（民政局；开始申报后冻结）")
    async def funding_round_update(self, info: Info, input: FundingRoundUpdateInput) -> FundingRoundPayload:
        return await _round(
            lambda: rounds.update_round(
                actor=info.context.actor, round_id=node_pk(input.id, "FundingRound"), data=_round_input(input)
            )
        )

    @strawberry.mutation(description="变更轮次阶段（民政局）")
    async def funding_round_move(self, info: Info, input: FundingRoundMoveInput) -> FundingRoundPayload:
        return await _round(
            lambda: rounds.move_round(
                actor=info.context.actor, round_id=node_pk(input.id, "FundingRound"), to=RoundStage(input.to)
            )
        )

    @strawberry.mutation(description="新建申报草稿（本组织的组织者）")
    async def application_create(self, info: Info, input: ApplicationCreateInput) -> ApplicationPayload:
        return await _application(lambda: _create_application(info, input))

    @strawberry.mutation(description="修改申报（本组织的组织者；草稿或待补充材料）")
    async def application_update(self, info: Info, input: ApplicationUpdateInput) -> ApplicationPayload:
        return await _application(lambda: _update_application(info, input))

    @strawberry.mutation(description="提交申报（本组织的组织者；检查组织资格、推荐单位、申报数量与重名）")
    async def application_submit(self, info: Info, input: ApplicationIdInput) -> ApplicationPayload:
        return await _application(
            lambda: applications.submit(
                actor=info.context.actor, application_id=node_pk(input.id, "Application"), today=clock.today()
            )
        )

    @strawberry.mutation(description="撤回申报（本组织的组织者；立项前）")
    async def application_withdraw(self, info: Info, input: ApplicationWithdrawInput) -> ApplicationPayload:
        return await _application(
            lambda: applications.withdraw(
                actor=info.context.actor, application_id=node_pk(input.id, "Application"), reason=input.reason
            )
        )

    @strawberry.mutation(
        description="删除申报附件（本组织的组织者；草稿或待补充材料时）。上传附件只能在网页的申报页面进行"
    )
    async def funding_attachment_remove(
        self, info: Info, input: FundingAttachmentRemoveInput
    ) -> ApplicationPayload:
        return await _application(
            lambda: attachments.remove_attachment(
                actor=info.context.actor, attachment_id=node_pk(input.id, "ApplicationAttachment")
            )
        )

    @strawberry.mutation(description="变更申报状态（民政局；须说明理由）")
    async def application_move(self, info: Info, input: ApplicationMoveInput) -> ApplicationPayload:
        return await _application(
            lambda: applications.staff_move(
                actor=info.context.actor,
                application_id=node_pk(input.id, "Application"),
                to=AppStatus(input.to),
                reason=input.reason,
                today=clock.today(),
            )
        )

    @strawberry.mutation(description="按评审排名在资金池内资助（民政局）")
    async def funding_allocate(self, info: Info, input: FundingAllocateInput) -> FundingAllocatePayload:
        return await respond(
            FundingAllocatePayload, lambda: _allocate(info, input), lambda a: {"allocation": a}
        )

    @strawberry.mutation(description="核定资助金额（民政局；不超过申请金额、单项上限与资金池余额）")
    async def funding_award(self, info: Info, input: FundingAwardInput) -> ApplicationPayload:
        return await _application(
            lambda: allocation.award(
                actor=info.context.actor,
                application_id=node_pk(input.application_id, "Application", "applicationId"),
                amount_fen=input.amount_fen,
                reason=input.reason,
            )
        )

    @strawberry.mutation(description="签订资助协议并生成分期拨付（民政局）")
    async def agreement_sign(self, info: Info, input: AgreementSignInput) -> AgreementPayload:
        return await respond(
            AgreementPayload,
            lambda: tranches.sign_agreement(
                actor=info.context.actor,
                application_id=node_pk(input.application_id, "Application", "applicationId"),
                number=input.number,
                signed_on=input.signed_on,
                today=clock.today(),
            ),
            lambda a: {
                "agreement": AgreementType(number=a.number, signed_on=a.signed_on, amount_fen=a.amount_fen)
            },
        )

    @strawberry.mutation(description="审批拨付（民政局；超过门槛须另一人复核）")
    async def tranche_approve(self, info: Info, input: TrancheApproveInput) -> TranchePayload:
        return await respond(
            TranchePayload,
            lambda: tranches.approve_tranche(
                actor=info.context.actor, tranche_id=node_pk(input.id, "Tranche")
            ),
            lambda t: {"tranche": TrancheType.from_model(t)},
        )

    @strawberry.mutation(description="登记拨付（民政局）")
    async def tranche_pay(self, info: Info, input: TranchePayInput) -> TranchePayload:
        return await respond(
            TranchePayload,
            lambda: tranches.pay_tranche(
                actor=info.context.actor,
                tranche_id=node_pk(input.id, "Tranche"),
                paid_on=input.paid_on,
                reference=input.reference,
                today=clock.today(),
            ),
            lambda t: {"tranche": TrancheType.from_model(t)},
        )

    @strawberry.mutation(description="追回资金（民政局）")
    async def funding_reclaim(self, info: Info, input: FundingReclaimInput) -> ReclaimPayload:
        return await respond(
            ReclaimPayload,
            lambda: tranches.reclaim(
                actor=info.context.actor,
                application_id=node_pk(input.application_id, "Application", "applicationId"),
                amount_fen=input.amount_fen,
                reason=input.reason,
                on=input.on,
            ),
            lambda r: {
                "reclaim": ReclaimType(amount_fen=r.amount_fen, reason=r.reason, decided_on=r.decided_on)
            },
        )

    @strawberry.mutation(description="终止项目（民政局；违约时须同时有 write:organisations 令牌范围）")
    async def application_terminate(self, info: Info, input: ApplicationTerminateInput) -> ApplicationPayload:
        return await _application(
            lambda: tranches.terminate(
                actor=info.context.actor,
                application_id=node_pk(input.id, "Application"),
                reason=input.reason,
                on=input.on,
                today=clock.today(),
                reclaim_fen=input.reclaim_fen,
                breach=input.breach,
            )
        )

    @strawberry.mutation(description="报送项目进度（本组织的组织者）")
    async def milestone_report(self, info: Info, input: MilestoneReportInput) -> MilestoneReportPayload:
        return await respond(
            MilestoneReportPayload,
            lambda: tranches.report_milestone(
                actor=info.context.actor,
                application_id=node_pk(input.application_id, "Application", "applicationId"),
                title=input.title,
                text=input.text,
                reported_on=input.reported_on,
            ),
            lambda r: {"report": MilestoneReportType(title=r.title, text=r.text, reported_on=r.reported_on)},
        )

    @strawberry.mutation(description="提交中期或终期自评（本组织的组织者）")
    async def evaluation_self_assess(self, info: Info, input: EvaluationSelfAssessInput) -> EvaluationPayload:
        return await respond(
            EvaluationPayload,
            lambda: tranches.submit_self_assessment(
                actor=info.context.actor,
                application_id=node_pk(input.application_id, "Application", "applicationId"),
                kind=EvaluationKind(input.kind),
                text=input.self_assessment,
                on=input.on,
            ),
            lambda e: {"evaluation": EvaluationType.from_model(e)},
        )

    @strawberry.mutation(description="评估打分（民政局工作人员或评审专家）")
    async def evaluation_review(self, info: Info, input: EvaluationReviewInput) -> EvaluationPayload:
        return await respond(
            EvaluationPayload,
            lambda: tranches.review_evaluation(
                actor=info.context.actor,
                evaluation_id=node_pk(input.id, "Evaluation"),
                score=input.score,
                comment=input.comment,
                on=input.on,
            ),
            lambda e: {"evaluation": EvaluationType.from_model(e)},
        )

    @strawberry.mutation(description="提交需求（登录用户；需求征集阶段）")
    async def need_submit(self, info: Info, input: NeedSubmitInput) -> NeedPayload:
        return await respond(
            NeedPayload,
            lambda: needs.submit_need(
                actor=info.context.actor,
                round_id=node_pk(input.round_id, "FundingRound", "roundId"),
                cell_id=node_pk(input.cell_id, "GridCell", "cellId"),
                text=input.text,
            ),
            lambda n: {"need": NeedType.from_model(n)},
        )

    @strawberry.mutation(description="发布或不采纳需求（民政局、需求所在辖区的网格员）")
    async def need_decide(self, info: Info, input: NeedDecideInput) -> NeedPayload:
        return await respond(
            NeedPayload,
            lambda: needs.decide_need(
                actor=info.context.actor, need_id=node_pk(input.id, "Need"), publish=input.publish
            ),
            lambda n: {"need": NeedType.from_model(n)},
        )
