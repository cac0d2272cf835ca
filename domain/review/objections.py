"""The results' publicity (公示) and the objections lodged during it, for any panel.

- Publicity starts once the panel's review is closed: it runs for the owner's number of working
  days by the bureau's calendar (`publicity.publicity_period`), from the first working day on or
  after the day it starts.
- Anyone signed in may object in writing during the period, under their real name with a
  contact number, about one entry or the whole result. Staff answer each objection in writing,
  upholding or dismissing it.
- The results become final (`require_final`) only after the last day of the period, and only
  when no objection is still open. The owning domain asks before it awards or signs anything.
- A result added during the period (`restart_publicity`) starts the period again from that day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from tortoise.transactions import in_transaction

from domain.access import Actor, require_signed_in
from domain.audit import service as audit
from domain.errors import DomainError, ErrorCode, NotFound
from domain.input import Errors
from domain.people.validation import normalise_mobile, normalise_person_name
from domain.review import policy
from domain.review.errors import ReviewCode
from domain.review.models import Objection, ObjectionStatus, PanelEntry, PanelStage, ReviewPanel
from domain.review.publicity import publicity_period

MIN_OBJECTION = 10
MAX_TEXT = 2000


def publicity_running(panel: ReviewPanel, today: date) -> bool:
    starts, ends = panel.publicity_starts_on, panel.publicity_ends_on
    return starts is not None and ends is not None and starts <= today <= ends


async def open_objections(panel_id: int) -> int:
    return await Objection.filter(panel_id=panel_id, status=ObjectionStatus.OPEN).count()


async def start_publicity(*, actor: Actor, panel_id: int, today: date, working_days: int) -> ReviewPanel:
    """Publicise a closed panel's results for `working_days` working days from `today`."""
    policy.require_staff(actor)
    async with in_transaction():
        panel = await ReviewPanel.select_for_update().get_or_none(id=panel_id)
        if panel is None:
            raise NotFound("评审组不存在", ["panelId"])
        if panel.stage is not PanelStage.CLOSED:
            raise DomainError(ErrorCode.WRONG_STAGE, "评审结束后才能公示结果", ["panelId"])
        if panel.publicity_starts_on is not None:
            raise DomainError(ErrorCode.INVALID_TRANSITION, "结果已经公示", ["panelId"])
        period = await publicity_period(today, working_days)
        panel.publicity_starts_on, panel.publicity_ends_on = period.first, period.last
        await panel.save(update_fields=["publicity_starts_on", "publicity_ends_on", "updated_at"])
        shown = f"{period.first.isoformat()} 至 {period.last.isoformat()}"
        await audit.record(actor, "review.start_publicity", "ReviewPanel", panel.id, period=shown)
    return panel


async def restart_publicity(
    *, actor: Actor, panel_id: int, today: date, working_days: int, reason: str
) -> ReviewPanel:
    """The publicised results changed (the owner added a result during the period): the period
    starts again from `today` for `working_days` working days, so the change is publicised as
    long as the rest was. Objections already lodged stay; an open one still holds the results.
    Joins the caller's transaction."""
    policy.require_staff(actor)
    panel = await ReviewPanel.select_for_update().get_or_none(id=panel_id)
    if panel is None:
        raise NotFound("评审组不存在", ["panelId"])
    if panel.publicity_starts_on is None or panel.publicity_ends_on is None:
        raise DomainError(ErrorCode.WRONG_STAGE, "结果尚未公示", ["panelId"])
    before = f"{panel.publicity_starts_on.isoformat()} 至 {panel.publicity_ends_on.isoformat()}"
    period = await publicity_period(today, working_days)
    panel.publicity_starts_on, panel.publicity_ends_on = period.first, period.last
    await panel.save(update_fields=["publicity_starts_on", "publicity_ends_on", "updated_at"])
    shown = f"{period.first.isoformat()} 至 {period.last.isoformat()}"
    await audit.record(
        actor,
        "review.restart_publicity",
        "ReviewPanel",
        panel.id,
        previous_period=before,
        period=shown,
        reason=reason,
    )
    return panel


async def require_final(panel: ReviewPanel, today: date) -> None:
    """Refused while the period runs (or never ran) or an objection is still open."""
    if panel.publicity_ends_on is None or today <= panel.publicity_ends_on:
        ends = panel.publicity_ends_on.isoformat() if panel.publicity_ends_on else "尚未公示"
        raise DomainError(ReviewCode.PUBLICITY_NOT_OVER, f"公示期未满（公示截止：{ends}）", ["panelId"])
    if await open_objections(panel.id):
        raise DomainError(ReviewCode.OPEN_OBJECTIONS, "还有未处理的公示异议", ["panelId"])


def _checked(name: str, mobile: str, text: str) -> tuple[str, str, str]:
    errors = Errors()
    name = errors.check(lambda: normalise_person_name(name, ["name"])) or ""
    mobile = errors.check(lambda: normalise_mobile(mobile, ["mobile"])) or ""
    text = text.strip()
    if not MIN_OBJECTION <= len(text) <= MAX_TEXT:
        errors.add(ErrorCode.INVALID_LENGTH, f"异议内容须为 {MIN_OBJECTION}–{MAX_TEXT} 个字符", "text")
    errors.raise_any()
    return name, mobile, text


async def lodge_objection(
    *,
    actor: Actor,
    panel_id: int,
    entry_id: int | None,
    name: str,
    mobile: str,
    text: str,
    today: date,
) -> Objection:
    """A signed-in person's written objection during the publicity period (real name, mobile)."""
    require_signed_in(actor)
    name, mobile, text = _checked(name, mobile, text)
    async with in_transaction():
        panel = await ReviewPanel.get_or_none(id=panel_id)
        if panel is None:
            raise NotFound("评审组不存在", ["panelId"])
        if not publicity_running(panel, today):
            raise DomainError(ErrorCode.WRONG_STAGE, "只能在公示期内提出异议", ["panelId"])
        if entry_id is not None and not await PanelEntry.exists(
            id=entry_id, panel_id=panel_id, withdrawn=False
        ):
            raise NotFound("公示项目不存在", ["entryId"])
        objection = await Objection.create(
            panel_id=panel_id,
            entry_id=entry_id,
            lodged_by_id=actor.user_id,
            name=name,
            mobile=mobile,
            text=text,
        )
        await audit.record(actor, "review.lodge_objection", "ReviewPanel", panel_id, entry_id=entry_id)
    return objection


async def resolve_objection(*, actor: Actor, objection_id: int, upheld: bool, answer: str) -> Objection:
    """Staff answer an open objection in writing, upholding or dismissing it."""
    policy.require_staff(actor)
    answer = answer.strip()
    if not 1 <= len(answer) <= MAX_TEXT:
        raise DomainError(ErrorCode.REASON_REQUIRED, "请填写书面答复", ["answer"])
    async with in_transaction():
        objection = await Objection.select_for_update().get_or_none(id=objection_id)
        if objection is None:
            raise NotFound("异议不存在", ["objectionId"])
        if objection.status is not ObjectionStatus.OPEN:
            raise DomainError(
                ErrorCode.INVALID_TRANSITION, f"该异议已{objection.status.label}", ["objectionId"]
            )
        objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
        objection.answer, objection.resolved_by_id = answer, actor.user_id
        objection.resolved_at = datetime.now(UTC)
        await objection.save(update_fields=["status", "answer", "resolved_by_id", "resolved_at"])
        summary = {"result": objection.status.label, "reason": answer}
        await audit.record(actor, "review.resolve_objection", "ReviewPanel", objection.panel_id, **summary)
    return objection
