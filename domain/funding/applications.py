"""Applications (项目申报): drafting with every money rule checked at once, submission with the
registry's eligibility rule (`domain.organisations.eligibility`), the sponsor of a filed
organisation, the quota per organisation and duplicates, withdrawal by the applicant before
approval, and the staff's moves with a recorded reason.

Money rules (fen, all refused at once with their field):
- `requestedFen` equals the sum of the GRANT budget lines (`REQUESTED_MISMATCH`)
- `requestedFen` <= the round's per-project cap (`OVER_CAP`)
- GRANT lines <= the round's max share of the whole budget (`OVER_SHARE`)
- MATCHING lines >= the round's minimum matching share of the budget (`MATCHING_TOO_LOW`)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tortoise.transactions import in_transaction

from domain.access import Actor
from domain.audit import service as audit
from domain.errors import DomainError, ErrorCode, NotFound, ValidationErrors
from domain.funding import policy, review, timeline
from domain.funding.errors import FundingCode
from domain.funding.models import (
    LIVE_STATUSES,
    WITHDRAWABLE,
    Application,
    AppStatus,
    BudgetLine,
    FundedBy,
    FundingRound,
    Need,
    NeedStatus,
    RoundStage,
)
from domain.funding.rounds import locked_round
from domain.grids.models import GridCell
from domain.input import Errors
from domain.organisations.eligibility import Eligibility, eligibility_of

MAX_LINES = 100
MAX_CELLS = 50


@dataclass(frozen=True)
class LineInput:
    category: str
    item: str
    amount_fen: int
    funded_by: FundedBy


@dataclass(frozen=True)
class ApplicationInput:
    organisation_id: int
    project_name: str
    target_group: str
    problem: str
    plan: str
    requested_fen: int
    budget_lines: tuple[LineInput, ...]
    milestones: tuple[tuple[str, date], ...] = ()
    cell_ids: tuple[int, ...] = ()
    need_ids: tuple[int, ...] = ()
    sponsor_id: int | None = None


def check_money(funding_round: FundingRound, data: ApplicationInput, errors: Errors) -> int:
    """Every money rule of the round (see the module), each with its field. Returns the budget's total."""
    if not data.budget_lines:
        errors.add(FundingCode.NO_BUDGET, "请填写预算明细", "budgetLines")
    for i, line in enumerate(data.budget_lines[:MAX_LINES]):
        if line.amount_fen <= 0:
            errors.add(ErrorCode.OUT_OF_RANGE, "金额须大于 0", f"budgetLines.{i}.amountFen")
        if not line.category.strip() or not line.item.strip():
            errors.add(ErrorCode.INVALID_LENGTH, "请填写预算科目与事项", f"budgetLines.{i}.item")
    grant = sum(line.amount_fen for line in data.budget_lines if line.funded_by is FundedBy.GRANT)
    total = sum(line.amount_fen for line in data.budget_lines)
    matching = total - grant
    if data.requested_fen != grant:
        errors.add(FundingCode.REQUESTED_MISMATCH, "申请金额须等于预算中创投资金各项之和", "requestedFen")
    if data.requested_fen > funding_round.cap_fen:
        errors.add(FundingCode.OVER_CAP, "申请金额超过单个项目资助上限", "requestedFen")
    if total > 0 and grant * 100 > funding_round.max_grant_share_pct * total:
        message = f"创投资金不能超过项目总预算的 {funding_round.max_grant_share_pct}%"
        errors.add(FundingCode.OVER_SHARE, message, "budgetLines")
    if total > 0 and matching * 100 < funding_round.min_matching_share_pct * total:
        message = f"配套资金不少于项目总预算的 {funding_round.min_matching_share_pct}%"
        errors.add(FundingCode.MATCHING_TOO_LOW, message, "budgetLines")
    return total


def _check_text(data: ApplicationInput, errors: Errors) -> None:
    limits = {
        "projectName": (data.project_name, 2, 100),
        "targetGroup": (data.target_group, 2, 200),
        "problem": (data.problem, 10, 5000),
        "plan": (data.plan, 10, 5000),
    }
    for path, (text, low, high) in limits.items():
        if not low <= len(text.strip()) <= high:
            errors.add(ErrorCode.INVALID_LENGTH, f"须为 {low}–{high} 个字符", path)
    for i, (title, _due) in enumerate(data.milestones):
        if not 1 <= len(title.strip()) <= 100:
            errors.add(ErrorCode.INVALID_LENGTH, "请填写里程碑名称", f"milestones.{i}.title")


async def _check_places(round_id: int, data: ApplicationInput, errors: Errors) -> None:
    cells = set(data.cell_ids)
    if not cells or len(cells) > MAX_CELLS:
        errors.add(ErrorCode.OUT_OF_RANGE, f"请选择 1–{MAX_CELLS} 个服务网格", "cellIds")
    elif await GridCell.filter(id__in=cells, retired=False).count() != len(cells):
        errors.add(ErrorCode.NOT_FOUND, "服务网格不存在或已撤销", "cellIds")
    needs = set(data.need_ids)
    if needs:
        found = await Need.filter(id__in=needs, round_id=round_id, status=NeedStatus.PUBLISHED).count()
        if found != len(needs):
            errors.add(FundingCode.NEED_NOT_AVAILABLE, "所选需求不属于本轮或尚未发布", "needIds")


def _values(data: ApplicationInput, total: int) -> dict[str, Any]:
    return {
        "organisation_id": data.organisation_id,
        "sponsor_id": data.sponsor_id,
        "project_name": data.project_name.strip(),
        "target_group": data.target_group.strip(),
        "problem": data.problem.strip(),
        "plan": data.plan.strip(),
        "milestones": [{"title": t.strip(), "due": d.isoformat()} for t, d in data.milestones],
        "cell_ids": sorted(set(data.cell_ids)),
        "need_ids": sorted(set(data.need_ids)),
        "requested_fen": data.requested_fen,
        "budget_total_fen": total,
    }


async def check_application(funding_round: FundingRound, data: ApplicationInput) -> dict[str, Any]:
    """Every rule `data` breaks as a saved application of `funding_round` (text lengths, money,
    cells served, needs answered), all at once (`ValidationErrors`), nothing written; else the
    row's values. The use cases call it as they write, a form before it saves."""
    errors = Errors()
    _check_text(data, errors)
    total = check_money(funding_round, data, errors)
    await _check_places(funding_round.id, data, errors)
    errors.raise_any()
    return _values(data, total)


async def _write_lines(application_id: int, lines: tuple[LineInput, ...]) -> None:
    await BudgetLine.filter(application_id=application_id).delete()
    await BudgetLine.bulk_create(
        [
            BudgetLine(
                application_id=application_id,
                position=i,
                category=line.category.strip(),
                item=line.item.strip(),
                amount_fen=line.amount_fen,
                funded_by=line.funded_by,
            )
            for i, line in enumerate(lines)
        ]
    )


def _require_stage(funding_round: FundingRound, *stages: RoundStage) -> None:
    if funding_round.stage not in stages:
        message = f"轮次{funding_round.stage.label}，不能办理此事项"
        raise DomainError(ErrorCode.WRONG_STAGE, message, ["roundId"])


async def create_application(
    *, actor: Actor, round_id: int, data: ApplicationInput, is_demo: bool = False
) -> Application:
    """A draft, while the call is open, in the name of an organisation the actor acts for."""
    policy.require_applicant(actor, data.organisation_id)
    async with in_transaction():
        funding_round = await locked_round(round_id)
        _require_stage(funding_round, RoundStage.OPEN)
        values = await check_application(funding_round, data)
        application = await Application.create(
            round_id=round_id, **values, created_by_user_id=actor.user_id, is_demo=is_demo
        )
        await _write_lines(application.id, data.budget_lines)
        await timeline.record_draft(actor, application)
    return application


async def update_application(*, actor: Actor, application_id: int, data: ApplicationInput) -> Application:
    """Edit a draft, or an application returned for more information (NEEDS_INFO)."""
    async with in_transaction():
        application = await timeline.locked_application(application_id)
        policy.require_applicant(actor, application.organisation_id)
        if data.organisation_id != application.organisation_id:
            raise DomainError(ErrorCode.INVALID, "不能更换申报组织", ["organisationId"])
        if application.status not in (AppStatus.DRAFT, AppStatus.NEEDS_INFO):
            raise DomainError(
                ErrorCode.INVALID_TRANSITION, f"{application.status.label}的申报不能修改", ["status"]
            )
        funding_round = await FundingRound.get(id=application.round_id)
        application.update_from_dict(await check_application(funding_round, data))
        await application.save()
        await _write_lines(application.id, data.budget_lines)
        await audit.record(actor, "funding.application_save", "Application", application.id)
    return application


async def applicant_problems(
    funding_round: FundingRound, application: Application, today: date
) -> list[DomainError]:
    """The automatic eligibility rules: the registry's eligibility of the organisation (and of its
    sponsor), the sponsor a filed organisation needs, the round's quota per organisation and
    duplicate project names. Three statements."""
    org_id, sponsor_id = application.organisation_id, application.sponsor_id
    found = await eligibility_of([org_id] + ([sponsor_id] if sponsor_id else []), today)
    others = Application.filter(
        round_id=funding_round.id, organisation_id=org_id, status__in=list(LIVE_STATUSES)
    ).exclude(id=application.id)
    names = [str(row["project_name"]) for row in await others.values("project_name")]
    return problems_of(funding_round, application, found, names)


def problems_of(
    funding_round: FundingRound,
    application: Application,
    found: Mapping[int, Eligibility],
    names: list[str],
) -> list[DomainError]:
    """`applicant_problems` once read: `found` the eligibility of the organisation and its sponsor,
    `names` the project names of the organisation's other live applications in the round."""
    problems: list[DomainError] = []
    org_id, sponsor_id = application.organisation_id, application.sponsor_id
    own = found.get(org_id)
    if own is None or not own.eligible:
        reasons = "；".join(own.reasons) if own else "组织不存在"
        problems.append(
            DomainError(FundingCode.ORG_INELIGIBLE, f"申报组织不符合条件：{reasons}", ["organisationId"])
        )
    elif own.needs_sponsor and not funding_round.allow_filed:
        problems.append(
            DomainError(FundingCode.ORG_INELIGIBLE, "本轮仅限登记的社会组织申报", ["organisationId"])
        )
    elif own.needs_sponsor and sponsor_id is None:
        message = "备案的社区社会组织须由登记的社会组织或社会组织服务中心推荐申报"
        problems.append(DomainError(FundingCode.SPONSOR_REQUIRED, message, ["sponsorId"]))
    if sponsor_id is not None:
        sponsor = found.get(sponsor_id)
        if own is not None and not own.needs_sponsor:
            problems.append(
                DomainError(
                    FundingCode.SPONSOR_INVALID, "已登记的社会组织直接申报，无需推荐单位", ["sponsorId"]
                )
            )
        elif sponsor is None or not sponsor.eligible or sponsor.needs_sponsor or sponsor_id == org_id:
            message = "推荐单位须为符合条件的已登记社会组织"
            problems.append(DomainError(FundingCode.SPONSOR_INVALID, message, ["sponsorId"]))
    if len(names) >= funding_round.max_applications_per_org:
        message = f"每个组织本轮最多申报 {funding_round.max_applications_per_org} 个项目"
        problems.append(DomainError(FundingCode.TOO_MANY_APPLICATIONS, message, ["organisationId"]))
    if application.project_name in names:
        problems.append(
            DomainError(FundingCode.DUPLICATE_APPLICATION, "本组织已申报同名项目", ["projectName"])
        )
    return problems


async def submit(*, actor: Actor, application_id: int, today: date) -> Application:
    """DRAFT -> SUBMITTED while the call is open (NEEDS_INFO -> SUBMITTED until review starts),
    refused with every automatic eligibility problem at once. The round's row is locked so two
    simultaneous submissions cannot both pass the quota."""
    async with in_transaction():
        application = await Application.get_or_none(id=application_id)
        if application is None:
            raise NotFound("项目申报不存在", ["applicationId"])
        policy.require_applicant(actor, application.organisation_id)
        funding_round = await locked_round(application.round_id)
        application = await timeline.locked_application(application_id)
        if application.status is AppStatus.NEEDS_INFO:
            _require_stage(funding_round, RoundStage.OPEN, RoundStage.APPLICATIONS_CLOSED)
        else:
            _require_stage(funding_round, RoundStage.OPEN)
        timeline.require_transition(application, AppStatus.SUBMITTED)
        problems = await applicant_problems(funding_round, application, today)
        if problems:
            raise ValidationErrors(problems)
        application.submitted_at = datetime.now(UTC)
        await timeline.move(actor, application, AppStatus.SUBMITTED, extra_fields=("submitted_at",))
    return application


async def withdraw(*, actor: Actor, application_id: int, reason: str) -> Application:
    """The applicant withdraws, at any point before approval."""
    reason = reason.strip()
    if not reason:
        raise DomainError(ErrorCode.REASON_REQUIRED, "请填写撤回原因", ["reason"])
    async with in_transaction():
        application = await timeline.locked_application(application_id)
        policy.require_applicant(actor, application.organisation_id)
        if application.status not in WITHDRAWABLE:
            message = f"{application.status.label}的申报不能撤回（立项后由民政局终止）"
            raise DomainError(ErrorCode.INVALID_TRANSITION, message, ["status"])
        on_panel = application.status in ON_PANEL
        await timeline.move(actor, application, AppStatus.WITHDRAWN, reason)
        if on_panel:
            await review.leave_panel(actor, application, f"申报方撤回：{reason}")
    return application


# An application in one of these is an entry of the round's review panel.
ON_PANEL = frozenset(
    {
        AppStatus.IN_REVIEW,
        AppStatus.REVIEWED,
        AppStatus.RECOMMENDED,
        AppStatus.WAITLISTED,
        AppStatus.PUBLICIZING,
    }
)

# Moves a staff member makes by hand, with a reason. The others have their own use case: the
# applicant's (submit, withdraw), the review panel's (IN_REVIEW, REVIEWED: `review`), the
# pool-guarded award (`allocation`), the publicity and its end (PUBLICIZING, APPROVED: the round's
# stages), signing, evaluations and termination (`tranches`). No hand can skip the review or
# the publicity.
BEFORE_REVIEW = frozenset(
    {RoundStage.DRAFT, RoundStage.NEEDS_COLLECTION, RoundStage.OPEN, RoundStage.APPLICATIONS_CLOSED}
)
STAFF_MOVES = frozenset(
    {
        AppStatus.NEEDS_INFO,
        AppStatus.ELIGIBLE,
        AppStatus.INELIGIBLE,
        AppStatus.WAITLISTED,
        AppStatus.NOT_SELECTED,
        AppStatus.IN_PROGRESS,
        AppStatus.SUSPENDED,
    }
)


async def staff_move(
    *, actor: Actor, application_id: int, to: AppStatus, reason: str, today: date
) -> Application:
    """Bureau staff move an application, with a recorded reason. Confirming eligibility (ELIGIBLE)
    re-runs the automatic rules first: an organisation sanctioned since it submitted is refused.
    Confirmed once review has started, it goes on the panel straight away (IN_REVIEW), and is
    refused once the panel has closed: it would otherwise wait for a review that never comes."""
    policy.require_bureau(actor)
    reason = reason.strip()
    if not reason:
        raise DomainError(ErrorCode.REASON_REQUIRED, "请填写理由", ["reason"])
    if to not in STAFF_MOVES:
        raise DomainError(ErrorCode.INVALID_TRANSITION, f"不能直接变更为{to.label}", ["status"])
    async with in_transaction():
        application = await timeline.locked_application(application_id)
        timeline.require_transition(application, to)
        fields: tuple[str, ...] = ()
        if to in (AppStatus.ELIGIBLE, AppStatus.INELIGIBLE):
            funding_round = await FundingRound.get(id=application.round_id)
            problems = await applicant_problems(funding_round, application, today)
            if to is AppStatus.ELIGIBLE and problems:
                raise ValidationErrors(problems)
            application.eligibility_notes = [p.message for p in problems] + [reason]
            fields = ("eligibility_notes",)
        if to in (AppStatus.WAITLISTED, AppStatus.NOT_SELECTED):
            application.award_fen = None
            fields = ("award_fen",)
        await timeline.move(actor, application, to, reason, extra_fields=fields)
        if to is AppStatus.ELIGIBLE:
            funding_round = await FundingRound.get(id=application.round_id)
            if funding_round.stage not in BEFORE_REVIEW:
                await review.enter_review(actor, funding_round, application)
    return application
