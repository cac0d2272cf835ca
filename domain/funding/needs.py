"""Needs collection (需求征集) before the call: a signed-in resident or community staff member
raises a need for a cell of the tree, staff over that cell (or the bureau) publish or decline it,
and applications may answer published needs (`Application.need_ids`)."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from domain.access import Actor
from domain.audit import service as audit
from domain.errors import DomainError, ErrorCode, NotFound
from domain.funding import policy
from domain.funding.models import FundingRound, Need, NeedStatus, RoundStage
from domain.grids.models import GridCell

MAX_TEXT = 1000


async def submit_need(*, actor: Actor, round_id: int, cell_id: int, text: str, is_demo: bool = False) -> Need:
    policy.require_write(actor)
    text = text.strip()
    if not 5 <= len(text) <= MAX_TEXT:
        raise DomainError(ErrorCode.INVALID_LENGTH, f"需求描述须为 5–{MAX_TEXT} 个字符", ["text"])
    funding_round = await FundingRound.get_or_none(id=round_id)
    if funding_round is None:
        raise NotFound("公益创投轮次不存在", ["roundId"])
    if funding_round.stage is not RoundStage.NEEDS_COLLECTION:
        raise DomainError(ErrorCode.WRONG_STAGE, "本轮不在需求征集阶段", ["roundId"])
    cell = await GridCell.get_or_none(id=cell_id, retired=False)
    if cell is None:
        raise NotFound("网格单元不存在或已撤销", ["cellId"])
    async with in_transaction():
        need = await Need.create(
            round_id=round_id,
            cell_id=cell.id,
            cell_path=cell.path,
            text=text,
            submitted_by_user_id=actor.user_id or 0,
            is_demo=is_demo,
        )
        await audit.record(actor, "funding.need_submit", "Need", need.id)
    return need


async def decide_need(*, actor: Actor, need_id: int, publish: bool) -> Need:
    async with in_transaction():
        need = await Need.select_for_update().get_or_none(id=need_id)
        if need is None:
            raise NotFound("需求不存在", ["needId"])
        policy.require_need_moderator(actor, need.cell_path)
        if need.status is not NeedStatus.SUBMITTED:
            raise DomainError(ErrorCode.INVALID_TRANSITION, f"该需求{need.status.label}", ["needId"])
        need.status = NeedStatus.PUBLISHED if publish else NeedStatus.DECLINED
        await need.save(update_fields=["status"])
        await audit.record(actor, "funding.need_decide", "Need", need.id, to=need.status.label)
    return need
