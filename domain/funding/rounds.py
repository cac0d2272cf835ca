"""Rounds (第N届): their configuration, checked all at once, and their stages. The configuration
freezes when the call opens: afterwards a change of any rule is refused (`ROUND_FROZEN`).

Concurrency: a use case that changes a round, or relies on its pool, locks the round's row first
(`SELECT ... FOR UPDATE` on PostgreSQL, SQLite serialises writers)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.access import Actor
from domain.audit import service as audit
from domain.errors import DomainError, ErrorCode, NotFound, ValidationErrors
from domain.funding import policy
from domain.funding.errors import FundingCode
from domain.funding.models import (
    EDITABLE_STAGES,
    ROUND_TRANSITIONS,
    FundingRound,
    RoundStage,
    TrancheTrigger,
)
from domain.input import Errors
from domain.review import service as review_service
from domain.review.models import PanelKind, PanelStage
from domain.review.rubric import FUNDING_RUBRIC, Rubric
from domain.review.rules import AggregationRule
from domain.review.service import PanelInput

MIN_PUBLICITY_DAYS = 5


@dataclass(frozen=True)
class TrancheStep:
    percent: int
    trigger: TrancheTrigger


DEFAULT_PLAN = (
    TrancheStep(50, TrancheTrigger.SIGNING),
    TrancheStep(30, TrancheTrigger.MIDTERM_PASS),
    TrancheStep(20, TrancheTrigger.FINAL_PASS),
)


@dataclass(frozen=True)
class RoundInput:
    edition: int
    year: int
    title: str
    pool_fen: int
    cap_fen: int
    max_grant_share_pct: int = 60
    min_matching_share_pct: int = 40
    max_applications_per_org: int = 1
    allow_filed: bool = True
    tranche_plan: tuple[TrancheStep, ...] = field(default=DEFAULT_PLAN)
    publicity_days: int = MIN_PUBLICITY_DAYS
    pass_mark: int = 60
    # a tranche above this needs a second approver (0: every tranche does)
    second_approval_over_fen: int = 0
    # how the review panel scores the applications (`domain.funding.review`)
    rubric: Rubric = FUNDING_RUBRIC
    aggregation_rule: AggregationRule = AggregationRule.TRIMMED_MEAN
    blind: bool = False
    roadshow: bool = False
    reviewers_per_entry: int = 5

    def panel(self) -> PanelInput:
        return PanelInput(
            kind=PanelKind.FUNDING,
            title=f"第{self.edition}届公益创投评审",
            rubric=self.rubric,
            aggregation_rule=self.aggregation_rule,
            blind=self.blind,
            roadshow=self.roadshow,
            reviewers_per_entry=self.reviewers_per_entry,
        )


PANEL_FIELDS = ("rubric", "aggregation_rule", "blind", "roadshow", "reviewers_per_entry")


def _check_money(data: RoundInput, errors: Errors) -> None:
    if data.pool_fen <= 0:
        errors.add(ErrorCode.OUT_OF_RANGE, "资金池须大于 0", "poolFen")
    if data.cap_fen <= 0:
        errors.add(ErrorCode.OUT_OF_RANGE, "单个项目资助上限须大于 0", "capFen")
    elif data.cap_fen > data.pool_fen > 0:
        errors.add(FundingCode.CAP_OVER_POOL, "单个项目资助上限不能超过资金池", "capFen")
    if not 1 <= data.max_grant_share_pct <= 100:
        errors.add(ErrorCode.OUT_OF_RANGE, "资助占项目预算比例须在 1–100% 之间", "maxGrantSharePct")
    if not 0 <= data.min_matching_share_pct <= 100:
        errors.add(ErrorCode.OUT_OF_RANGE, "配套资金比例须在 0–100% 之间", "minMatchingSharePct")
    elif data.max_grant_share_pct + data.min_matching_share_pct > 100:
        message = "资助比例上限与配套比例下限之和不能超过 100%"
        errors.add(FundingCode.SHARES_OVER_100, message, "minMatchingSharePct")
    if data.second_approval_over_fen < 0:
        errors.add(ErrorCode.OUT_OF_RANGE, "复核金额门槛不能为负", "secondApprovalOverFen")


def _check_plan(plan: tuple[TrancheStep, ...], errors: Errors) -> None:
    if not plan or any(step.percent <= 0 for step in plan):
        errors.add(ErrorCode.OUT_OF_RANGE, "每期拨付比例须大于 0", "tranchePlan")
    elif sum(step.percent for step in plan) != 100:
        total = sum(step.percent for step in plan)
        errors.add(FundingCode.TRANCHES_NOT_100, f"各期拨付比例之和须为 100%（现为 {total}%）", "tranchePlan")
    order = list(TrancheTrigger)
    if [order.index(s.trigger) for s in plan] != sorted(order.index(s.trigger) for s in plan):
        errors.add(ErrorCode.INVALID, "拨付须按签约、中期、终期的顺序排列", "tranchePlan")


def validate(data: RoundInput) -> dict[str, Any]:
    """The row's values once every rule holds, else every error at once."""
    errors = Errors()
    title = data.title.strip()
    if not 2 <= len(title) <= 100:
        errors.add(ErrorCode.INVALID_LENGTH, "名称须为 2–100 个字符", "title")
    if data.edition < 1:
        errors.add(ErrorCode.OUT_OF_RANGE, "届次须从 1 开始", "edition")
    if not 2000 <= data.year <= 2100:
        errors.add(ErrorCode.OUT_OF_RANGE, "年度不正确", "year")
    _check_money(data, errors)
    if data.max_applications_per_org < 1:
        errors.add(ErrorCode.OUT_OF_RANGE, "每个组织至少可申报 1 个项目", "maxApplicationsPerOrg")
    _check_plan(data.tranche_plan, errors)
    if data.publicity_days < MIN_PUBLICITY_DAYS:
        message = f"公示期不少于 {MIN_PUBLICITY_DAYS} 个工作日"
        errors.add(FundingCode.PUBLICITY_TOO_SHORT, message, "publicityDays")
    if not 0 <= data.pass_mark <= 100:
        errors.add(ErrorCode.OUT_OF_RANGE, "评估合格分须在 0–100 之间", "passMark")
    errors.check(lambda: review_service.checked_panel(data.panel()))
    errors.raise_any()
    values = {k: v for k, v in asdict(data).items() if k not in PANEL_FIELDS}
    values["title"] = title
    values["tranche_plan"] = [{"percent": s.percent, "trigger": s.trigger.value} for s in data.tranche_plan]
    return values


def _duplicate_edition(error: IntegrityError) -> ValidationErrors:
    """The one uniqueness a round has: its edition (anything else is not the user's mistake)."""
    if "edition" not in str(error).lower():
        raise error
    return ValidationErrors([DomainError(FundingCode.DUPLICATE_EDITION, "该届次已存在", ["edition"])])


async def create_round(*, actor: Actor, data: RoundInput, is_demo: bool = False) -> FundingRound:
    policy.require_bureau(actor)
    values = validate(data)
    try:
        async with in_transaction():
            panel = await review_service.create_panel(actor=actor, data=data.panel(), is_demo=is_demo)
            funding_round = await FundingRound.create(**values, panel_id=panel.id, is_demo=is_demo)
            await audit.record(
                actor, "funding.round_create", "FundingRound", funding_round.id, title=data.title
            )
    except IntegrityError as error:
        raise _duplicate_edition(error) from None
    return funding_round


async def locked_round(round_id: int) -> FundingRound:
    funding_round = await FundingRound.select_for_update().get_or_none(id=round_id)
    if funding_round is None:
        raise NotFound("公益创投轮次不存在", ["roundId"])
    return funding_round


async def update_round(*, actor: Actor, round_id: int, data: RoundInput) -> FundingRound:
    """Change the rules: only while the call has not opened."""
    policy.require_bureau(actor)
    values = validate(data)
    try:
        async with in_transaction():
            funding_round = await locked_round(round_id)
            if funding_round.stage not in EDITABLE_STAGES:
                message = f"轮次{funding_round.stage.label}，规则已冻结，不能修改"
                raise DomainError(FundingCode.ROUND_FROZEN, message, ["roundId"])
            funding_round.update_from_dict(values)
            await funding_round.save()
            await review_service.update_panel(actor=actor, panel_id=funding_round.panel_id, data=data.panel())
            await audit.record(actor, "funding.round_update", "FundingRound", round_id, title=data.title)
    except IntegrityError as error:
        raise _duplicate_edition(error) from None
    return funding_round


async def move_round(*, actor: Actor, round_id: int, to: RoundStage) -> FundingRound:
    """The next stage of a round (DRAFT -> (NEEDS_COLLECTION ->) OPEN -> ... -> FINISHED)."""
    policy.require_bureau(actor)
    async with in_transaction():
        funding_round = await locked_round(round_id)
        if to not in ROUND_TRANSITIONS[funding_round.stage]:
            message = f"轮次{funding_round.stage.label}，不能变更为{to.label}"
            raise DomainError(ErrorCode.INVALID_TRANSITION, message, ["stage"])
        funding_round.stage = to
        if to is RoundStage.OPEN:
            funding_round.opened_at = datetime.now(UTC)
        await funding_round.save(update_fields=["stage", "opened_at", "updated_at"])
        await _entering(actor, funding_round, to)
        await audit.record(actor, "funding.round_stage", "FundingRound", round_id, stage=to.label)
    return funding_round


async def _entering(actor: Actor, funding_round: FundingRound, to: RoundStage) -> None:
    """What a stage brings with it on the review panel (`domain.funding.review`)."""
    from domain.funding import review  # the bridge builds on this module

    if to is RoundStage.REVIEWING:
        await review.open_review(actor, funding_round)
    elif to is RoundStage.RESULTS_PUBLICIZED:
        panel = await review.panel_of(funding_round)
        if panel.stage is not PanelStage.CLOSED:
            raise DomainError(ErrorCode.WRONG_STAGE, "评审结束后才能公示结果", ["stage"])
        await review.start_publicity(actor, funding_round)
    elif to is RoundStage.AWARDED:
        await review.finalise(actor, funding_round)
