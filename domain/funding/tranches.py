"""After the award: the agreement (协议), its tranches (planned -> due -> approved -> paid),
milestone reports, mid-term and final evaluations, reclaims and termination.

- Signing creates the tranches from the round's plan (amounts in fen, the remainder fen on the
  last) and makes the SIGNING ones due.
- A passed mid-term evaluation makes the MIDTERM_PASS tranches due, a passed final evaluation the
  FINAL_PASS ones. A failed or missing evaluation leaves them planned: they cannot be approved.
- A tranche above the round's `second_approval_over_fen` needs a second approver, another
  person than the first.
- Termination cancels the unpaid tranches, records the reclaim and, after a breach, bars the
  organisation through the registry (`domain.organisations.service.add_sanction`, BARRED).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from tortoise.transactions import in_transaction

from domain.access import Actor
from domain.audit import service as audit
from domain.errors import DomainError, ErrorCode, NotFound
from domain.funding import policy, timeline
from domain.funding.errors import FundingCode
from domain.funding.models import (
    Agreement,
    Application,
    AppStatus,
    Evaluation,
    EvaluationKind,
    FundingRound,
    MilestoneReport,
    Reclaim,
    Tranche,
    TrancheStatus,
    TrancheTrigger,
    tranche_amounts,
)
from domain.funding.money import yuan
from domain.organisations.models import SanctionList
from domain.organisations.service import add_sanction

GATE = {
    TrancheTrigger.MIDTERM_PASS: (
        EvaluationKind.MIDTERM,
        FundingCode.MIDTERM_NOT_PASSED,
        "中期评估未通过或尚未评估",
    ),
    TrancheTrigger.FINAL_PASS: (
        EvaluationKind.FINAL,
        FundingCode.FINAL_NOT_PASSED,
        "终期评估未通过或尚未评估",
    ),
}
AGREEMENT_NUMBER_MAX = 50  # `Agreement.number`'s column
ACTIVE = (AppStatus.CONTRACTED, AppStatus.IN_PROGRESS, AppStatus.FINAL_REVIEW, AppStatus.CLOSED)


def _required(text: str, path: str, label: str) -> str:
    text = text.strip()
    if not text:
        raise DomainError(ErrorCode.REASON_REQUIRED, f"请填写{label}", [path])
    return text


async def sign_agreement(
    *, actor: Actor, application_id: int, number: str, signed_on: date, today: date
) -> Agreement:
    """APPROVED -> CONTRACTED: the agreement for the award and its tranches."""
    policy.require_bureau(actor)
    number = _required(number, "number", "协议编号")
    if len(number) > AGREEMENT_NUMBER_MAX:
        message = f"协议编号不能超过 {AGREEMENT_NUMBER_MAX} 个字符"
        raise DomainError(ErrorCode.INVALID_LENGTH, message, ["number"])
    if signed_on > today:
        raise DomainError(ErrorCode.FUTURE_TIME, "日期不能晚于今天", ["signedOn"])
    async with in_transaction():
        application = await timeline.locked_application(application_id)
        timeline.require_transition(application, AppStatus.CONTRACTED)
        funding_round = await FundingRound.get(id=application.round_id)
        amount = int(application.award_fen or 0)
        if await Agreement.exists(number=number):
            raise DomainError(
                FundingCode.DUPLICATE_AGREEMENT_NUMBER, f"协议编号 {number} 已被使用", ["number"]
            )
        agreement = await Agreement.create(
            application_id=application.id,
            number=number,
            signed_on=signed_on,
            amount_fen=amount,
            signed_by_user_id=actor.user_id,
        )
        plan = funding_round.tranche_plan
        amounts = tranche_amounts(amount, [int(step["percent"]) for step in plan])
        await Tranche.bulk_create(
            [
                Tranche(
                    application_id=application.id,
                    seq=i,
                    percent=int(step["percent"]),
                    amount_fen=fen,
                    trigger=TrancheTrigger(step["trigger"]),
                    status=TrancheStatus.DUE
                    if step["trigger"] == TrancheTrigger.SIGNING
                    else TrancheStatus.PLANNED,
                )
                for i, (step, fen) in enumerate(zip(plan, amounts, strict=True), start=1)
            ]
        )
        await timeline.move(actor, application, AppStatus.CONTRACTED, f"签订协议 {number}")
        await audit.record(
            actor, "funding.agreement_sign", "Application", application.id, amount=yuan(amount)
        )
    return agreement


async def _locked_tranche(tranche_id: int) -> Tranche:
    tranche = await Tranche.select_for_update().get_or_none(id=tranche_id)
    if tranche is None:
        raise NotFound("拨付记录不存在", ["trancheId"])
    return tranche


async def _require_gate(tranche: Tranche) -> None:
    gate = GATE.get(tranche.trigger)
    if gate is None:
        return
    kind, code, message = gate
    if not await Evaluation.filter(application_id=tranche.application_id, kind=kind, passed=True).exists():
        raise DomainError(code, message, ["trancheId"])


async def approve_tranche(*, actor: Actor, tranche_id: int) -> Tranche:
    """Approve a due tranche. Above the round's threshold the first approval waits for a second
    approver, who must be another person."""
    policy.require_bureau(actor)
    async with in_transaction():
        tranche = await _locked_tranche(tranche_id)
        await _require_gate(tranche)
        if tranche.status is not TrancheStatus.DUE:
            raise DomainError(
                FundingCode.TRANCHE_NOT_DUE, f"该期拨付{tranche.status.label}，不能审批", ["trancheId"]
            )
        application = await Application.get(id=tranche.application_id)
        if application.status not in ACTIVE:
            raise DomainError(
                ErrorCode.INVALID_TRANSITION, f"{application.status.label}的项目不能拨付", ["trancheId"]
            )
        funding_round = await FundingRound.get(id=application.round_id)
        needs_two = tranche.amount_fen > funding_round.second_approval_over_fen
        if tranche.first_approver_user_id is None:
            tranche.first_approver_user_id = actor.user_id
            step = "first"
        elif tranche.first_approver_user_id == actor.user_id:
            raise DomainError(FundingCode.SECOND_APPROVER_SAME, "复核须由另一名工作人员办理", ["trancheId"])
        else:
            tranche.second_approver_user_id = actor.user_id
            step = "second"
        if not needs_two or step == "second":
            tranche.status, tranche.approved_at = TrancheStatus.APPROVED, datetime.now(UTC)
        await tranche.save()
        await audit.record(
            actor, "funding.tranche_approve", "Tranche", tranche.id, amount=yuan(tranche.amount_fen)
        )
    return tranche


async def pay_tranche(
    *, actor: Actor, tranche_id: int, paid_on: date, reference: str, today: date
) -> Tranche:
    policy.require_bureau(actor)
    reference = _required(reference, "reference", "付款凭证号")
    if paid_on > today:
        raise DomainError(ErrorCode.FUTURE_TIME, "日期不能晚于今天", ["paidOn"])
    async with in_transaction():
        tranche = await _locked_tranche(tranche_id)
        if tranche.status is not TrancheStatus.APPROVED:
            raise DomainError(
                FundingCode.TRANCHE_NOT_DUE, f"该期拨付{tranche.status.label}，不能登记付款", ["trancheId"]
            )
        tranche.status, tranche.paid_on, tranche.payment_reference = TrancheStatus.PAID, paid_on, reference
        await tranche.save(update_fields=["status", "paid_on", "payment_reference"])
        await audit.record(
            actor, "funding.tranche_pay", "Tranche", tranche.id, amount=yuan(tranche.amount_fen)
        )
    return tranche


async def _reclaim_locked(
    actor: Actor, application: Application, amount_fen: int, reason: str, on: date
) -> Reclaim:
    paid_rows = await Tranche.filter(application_id=application.id, status=TrancheStatus.PAID).values(
        "amount_fen"
    )
    paid = sum(int(row["amount_fen"]) for row in paid_rows)
    reclaimed_rows = await Reclaim.filter(application_id=application.id).values("amount_fen")
    reclaimed = sum(int(row["amount_fen"]) for row in reclaimed_rows)
    if not 0 < amount_fen <= paid - reclaimed:
        message = f"追回金额须大于 0 且不超过已拨付未追回的 {yuan(paid - reclaimed)}"
        raise DomainError(FundingCode.RECLAIM_OVER_PAID, message, ["amountFen"])
    reclaim = await Reclaim.create(
        application_id=application.id,
        amount_fen=amount_fen,
        reason=reason,
        decided_on=on,
        decided_by_user_id=actor.user_id,
    )
    await audit.record(
        actor, "funding.reclaim", "Application", application.id, amount=yuan(amount_fen), reason=reason
    )
    return reclaim


async def reclaim(*, actor: Actor, application_id: int, amount_fen: int, reason: str, on: date) -> Reclaim:
    """Record money reclaimed (追回) from a project, with the reason: never more than was paid."""
    policy.require_bureau(actor)
    reason = _required(reason, "reason", "追回原因")
    async with in_transaction():
        application = await timeline.locked_application(application_id)
        return await _reclaim_locked(actor, application, amount_fen, reason, on)


async def terminate(
    *,
    actor: Actor,
    application_id: int,
    reason: str,
    on: date,
    today: date,
    reclaim_fen: int = 0,
    breach: bool = False,
) -> Application:
    """The bureau ends a running project: unpaid tranches are cancelled, `reclaim_fen` (if any) is
    recorded, and a breach bars the organisation for the registry's default term. Barring is the
    registry's decision too: it needs the actor's `write:organisations` scope as well."""
    policy.require_bureau(actor)
    reason = _required(reason, "reason", "终止原因")
    async with in_transaction():
        application = await timeline.locked_application(application_id)
        timeline.require_transition(application, AppStatus.TERMINATED)
        await Tranche.filter(application_id=application.id, status__not=TrancheStatus.PAID).update(
            status=TrancheStatus.CANCELLED
        )
        if reclaim_fen:
            await _reclaim_locked(actor, application, reclaim_fen, reason, on)
        await timeline.move(actor, application, AppStatus.TERMINATED, reason)
        if breach:
            await add_sanction(
                actor=actor,
                organisation_id=application.organisation_id,
                sanction_list=SanctionList.BARRED,
                reason=f"公益创投项目违约：{reason}",
                source="民政局（公益创投项目终止）",
                listed_on=on,
                today=today,
            )
    return application


async def report_milestone(
    *, actor: Actor, application_id: int, title: str, text: str, reported_on: date
) -> MilestoneReport:
    """The organisation reports progress on a contracted project."""
    title, text = _required(title, "title", "标题"), _required(text, "text", "报告内容")
    async with in_transaction():
        application = await timeline.locked_application(application_id)
        policy.require_applicant(actor, application.organisation_id)
        if application.status not in (AppStatus.CONTRACTED, AppStatus.IN_PROGRESS):
            raise DomainError(
                ErrorCode.INVALID_TRANSITION, f"{application.status.label}的项目不能报送进度", ["status"]
            )
        report = await MilestoneReport.create(
            application_id=application.id,
            title=title,
            text=text,
            reported_on=reported_on,
            submitted_by_user_id=actor.user_id,
        )
        await audit.record(actor, "funding.milestone_report", "Application", application.id)
    return report


async def submit_self_assessment(
    *, actor: Actor, application_id: int, kind: EvaluationKind, text: str, on: date
) -> Evaluation:
    """The organisation's self-assessment opens an evaluation. A final one moves the project to
    FINAL_REVIEW. A new one may follow a failed mid-term evaluation."""
    text = _required(text, "selfAssessment", "自评内容")
    async with in_transaction():
        application = await timeline.locked_application(application_id)
        policy.require_applicant(actor, application.organisation_id)
        if application.status is not AppStatus.IN_PROGRESS:
            raise DomainError(
                ErrorCode.INVALID_TRANSITION, f"{application.status.label}的项目不能提交自评", ["status"]
            )
        earlier = Evaluation.filter(application_id=application.id, kind=kind)
        if await earlier.filter(passed__isnull=True).exists() or await earlier.filter(passed=True).exists():
            raise DomainError(FundingCode.EVALUATION_DONE, f"{kind.label}已在进行或已通过", ["kind"])
        funding_round = await FundingRound.get(id=application.round_id)
        evaluation = await Evaluation.create(
            application_id=application.id,
            kind=kind,
            self_assessment=text,
            self_submitted_on=on,
            pass_mark=funding_round.pass_mark,
        )
        if kind is EvaluationKind.FINAL:
            await timeline.move(actor, application, AppStatus.FINAL_REVIEW, "提交终期自评")
        await audit.record(actor, "funding.self_assessment", "Application", application.id, stage=kind.label)
    return evaluation


async def review_evaluation(
    *, actor: Actor, evaluation_id: int, score: int, comment: str, on: date
) -> Evaluation:
    """The evaluator's score against the round's pass mark: a pass makes the tranches it triggers
    due, a failed final evaluation closes the project as failed (its unpaid tranches cancelled)."""
    policy.require_evaluator(actor)
    if not 0 <= score <= 100:
        raise DomainError(ErrorCode.OUT_OF_RANGE, "得分须在 0–100 之间", ["score"])
    async with in_transaction():
        evaluation = await Evaluation.select_for_update().get_or_none(id=evaluation_id)
        if evaluation is None:
            raise NotFound("评估不存在", ["evaluationId"])
        if not evaluation.pending:
            raise DomainError(FundingCode.EVALUATION_DONE, "该评估已完成", ["evaluationId"])
        application = await timeline.locked_application(evaluation.application_id)
        evaluation.score, evaluation.passed = score, score >= evaluation.pass_mark
        evaluation.comment, evaluation.evaluator_user_id, evaluation.reviewed_on = (
            comment.strip(),
            actor.user_id,
            on,
        )
        await evaluation.save()
        await _after_evaluation(actor, application, evaluation)
        await audit.record(actor, "funding.evaluate", "Application", application.id, score=score)
    return evaluation


async def _after_evaluation(actor: Actor, application: Application, evaluation: Evaluation) -> None:
    final = evaluation.kind is EvaluationKind.FINAL
    trigger = TrancheTrigger.FINAL_PASS if final else TrancheTrigger.MIDTERM_PASS
    unpaid = Tranche.filter(application_id=application.id, status=TrancheStatus.PLANNED)
    if evaluation.passed:
        await unpaid.filter(trigger=trigger).update(status=TrancheStatus.DUE)
        if final:
            await timeline.move(actor, application, AppStatus.CLOSED, f"终期评估 {evaluation.score} 分，通过")
    elif final:
        await unpaid.update(status=TrancheStatus.CANCELLED)
        await timeline.move(
            actor, application, AppStatus.CLOSED_FAILED, f"终期评估 {evaluation.score} 分，未通过"
        )
