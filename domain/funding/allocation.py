"""Awards within the pool. The sum of the awards a round holds (`HOLDS_POOL`: recommended,
publicised, approved, running or finished, terminated ones included since their money went out)
never exceeds the pool, whatever the concurrency: every award locks the round's row
(`SELECT ... FOR UPDATE`) and recomputes the sum inside that transaction, so simultaneous awards
run one after the other against the same, current total (SQLite serialises writers anyway).

Allocation over a ranking (the review module's, best first): each application in turn is awarded
its request (never more than the request or the cap). The first one whose request no longer fits
in what is left, and every one ranked after it, is WAITLISTED: no partial grant (a project
budgeted for its request cannot run on part of it) and no leap-frogging (a cheaper project ranked
lower is not funded over a better one). What is left stays in the pool, and staff may later award a
waitlisted application (`award`) when money is freed, e.g. by a withdrawal; during the results'
publicity (公示) that award restarts the publicity period, the project publicised with the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from domain import clock
from domain.access import Actor
from domain.audit import service as audit
from domain.errors import DomainError, ErrorCode
from domain.funding import policy, timeline
from domain.funding.errors import FundingCode
from domain.funding.models import HOLDS_POOL, Application, AppStatus, FundingRound, RoundStage
from domain.funding.money import yuan
from domain.funding.rounds import locked_round
from domain.review import objections

AWARDABLE = (AppStatus.REVIEWED, AppStatus.WAITLISTED)
MAX_RANKING = 500
"""The longest ranking one allocation takes (a round has far fewer applications)."""
# A single award may also fill money freed while the results are publicised (a waitlisted project
# moving up, publicised in its turn). Once the round is 已立项 its list is final: money freed later
# (a withdrawal, a reclaim) stays in the fund for the next round, as no publicity would cover it.
LATE_AWARD_STAGES = (RoundStage.RESULTS_PUBLICIZED,)


@dataclass(frozen=True)
class Allocation:
    recommended: list[int]
    waitlisted: list[int]
    awarded_fen: int
    left_fen: int


async def held_fen(round_id: int) -> int:
    """The money the round's awards hold: call it with the round's row locked."""
    rows = await Application.filter(round_id=round_id, status__in=list(HOLDS_POOL)).values("award_fen")
    return sum(int(row["award_fen"] or 0) for row in rows)


def _refuse(code: FundingCode, message: str) -> DomainError:
    return DomainError(code, message, ["amountFen"])


async def _award_locked(
    actor: Actor, funding_round: FundingRound, application: Application, amount_fen: int, reason: str
) -> None:
    if application.round_id != funding_round.id:
        raise DomainError(ErrorCode.INVALID, "申报不属于该轮次", ["applicationId"])
    if application.status not in AWARDABLE:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"{application.status.label}的申报不能核定资助", ["status"]
        )
    if amount_fen <= 0:
        raise _refuse(FundingCode.OVER_REQUEST, "资助金额须大于 0")
    if amount_fen > application.requested_fen:
        raise _refuse(FundingCode.OVER_REQUEST, "资助金额不能超过申请金额")
    if amount_fen > funding_round.cap_fen:
        raise _refuse(FundingCode.OVER_CAP, "资助金额超过单个项目资助上限")
    left = funding_round.pool_fen - await held_fen(funding_round.id)
    if amount_fen > left:
        raise _refuse(FundingCode.POOL_EXHAUSTED, f"资金池余额不足（剩余 {yuan(left)}）")
    application.award_fen = amount_fen
    await timeline.move(actor, application, AppStatus.RECOMMENDED, reason, extra_fields=("award_fen",))
    await audit.record(actor, "funding.award", "Application", application.id, amount=yuan(amount_fen))


async def award(*, actor: Actor, application_id: int, amount_fen: int, reason: str) -> Application:
    """Award one reviewed or waitlisted application `amount_fen` (<= its request, the cap and what
    is left of the pool): RECOMMENDED. While the round's results are publicised, the award
    changes them: the project goes on the publicity (PUBLICIZING) and the period starts again
    from today (`_republicise`), so it is approved only after a full period like the others."""
    policy.require_bureau(actor)
    if not reason.strip():
        raise DomainError(ErrorCode.REASON_REQUIRED, "请填写理由", ["reason"])
    async with in_transaction():
        application = await Application.get_or_none(id=application_id)
        if application is None:
            raise DomainError(ErrorCode.NOT_FOUND, "项目申报不存在", ["applicationId"])
        funding_round = await locked_round(application.round_id)
        _require_awarding(funding_round, *LATE_AWARD_STAGES)
        application = await timeline.locked_application(application_id)
        await _award_locked(actor, funding_round, application, amount_fen, reason.strip())
        if funding_round.stage is RoundStage.RESULTS_PUBLICIZED:
            await _republicise(actor, funding_round, application)
    return application


async def _republicise(actor: Actor, funding_round: FundingRound, application: Application) -> None:
    panel = await objections.restart_publicity(
        actor=actor,
        panel_id=funding_round.panel_id,
        today=clock.today(),
        working_days=funding_round.publicity_days,
        reason=f"递补资助“{application.project_name}”",
    )
    assert panel.publicity_ends_on is not None  # just set
    reason = f"递补项目进入公示，公示期重新计算，至 {panel.publicity_ends_on.isoformat()}"
    await timeline.move(actor, application, AppStatus.PUBLICIZING, reason)


def _require_awarding(funding_round: FundingRound, *also: RoundStage) -> None:
    if funding_round.stage is not RoundStage.REVIEWING and funding_round.stage not in also:
        message = f"轮次{funding_round.stage.label}，不能核定资助"
        raise DomainError(ErrorCode.WRONG_STAGE, message, ["roundId"])


async def allocate(*, actor: Actor, round_id: int, ranking: Sequence[int]) -> Allocation:
    """Fund `ranking` (application ids, best first) in order within the pool (see the module)."""
    policy.require_bureau(actor)
    if len(set(ranking)) != len(ranking):
        raise DomainError(ErrorCode.INVALID, "排名中有重复的申报", ["ranking"])
    if len(ranking) > MAX_RANKING:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"排名最多 {MAX_RANKING} 个申报", ["ranking"])
    async with in_transaction():
        funding_round = await locked_round(round_id)
        _require_awarding(funding_round)
        rows = await Application.select_for_update().filter(id__in=list(ranking), round_id=round_id)
        by_id = {row.id: row for row in rows}
        if len(by_id) != len(ranking) or any(row.status not in AWARDABLE for row in rows):
            raise DomainError(ErrorCode.INVALID, "排名须全部为本轮已评审或候补的申报", ["ranking"])
        recommended: list[int] = []
        waitlisted: list[int] = []
        left = funding_round.pool_fen - await held_fen(round_id)
        for place, application_id in enumerate(ranking, start=1):
            application = by_id[application_id]
            amount = min(application.requested_fen, funding_round.cap_fen)
            if waitlisted or amount > left:
                if application.status is not AppStatus.WAITLISTED:
                    await timeline.move(
                        actor, application, AppStatus.WAITLISTED, f"排名第{place}，资金池余额不足"
                    )
                waitlisted.append(application_id)
                continue
            await _award_locked(actor, funding_round, application, amount, f"按评审排名第{place}名资助")
            recommended.append(application_id)
            left -= amount
    return Allocation(recommended, waitlisted, funding_round.pool_fen - left, left)
