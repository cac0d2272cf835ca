"""Use cases of a review panel: configuring and freezing it, the expert pool, entries, members,
drawing and assigning reviewers, conflicts of interest, and score sheets. Every change is
audited in its transaction; bad input raises every field error at once, nothing changed.

Concurrency: a use case that changes a panel's assignments locks the panel row first (`SELECT
... FOR UPDATE` on PostgreSQL, SQLite serialises writers), one that changes a sheet locks the
sheet row, so two draws never double-assign and two submits of one sheet submit it once. One live
assignment per entry, reviewer and stage is also the database's (a unique index).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from domain import clock
from domain.access import Actor, Role
from domain.accounts import queries as accounts
from domain.accounts.models import User
from domain.audit import service as audit
from domain.errors import (
    DomainError,
    ErrorCode,
    NotFound,
    PermissionDenied,
    ValidationError,
    ValidationErrors,
)
from domain.input import Errors
from domain.organisations.models import Organisation
from domain.review import conflicts, policy
from domain.review.draw import plan_draw
from domain.review.errors import ReviewCode
from domain.review.models import (
    Assignment,
    AssignMethod,
    Conflict,
    ConflictReason,
    ConflictSource,
    Expert,
    ExpertAffiliation,
    MemberSource,
    PanelEntry,
    PanelKind,
    PanelMember,
    PanelStage,
    ReviewPanel,
    Score,
    ScoreSheet,
    SheetStatus,
    Stage,
)
from domain.review.rubric import Rubric
from domain.review.rules import AggregationRule

MAX_REVIEWERS_PER_ENTRY = 15
MAX_SEED = 2**63 - 1
MAX_COMMENT = 1000
MAX_OVERALL_COMMENT = 2000


def _now() -> datetime:
    return datetime.now(UTC)


def _error(code: ErrorCode | ReviewCode, message: str, path: str) -> ValidationErrors:
    return ValidationErrors([ValidationError(code, message, [path])])


# --- panels ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PanelInput:
    kind: PanelKind
    title: str
    rubric: Rubric
    aggregation_rule: AggregationRule
    blind: bool = False
    roadshow: bool = False
    reviewers_per_entry: int = 5


def checked_panel(data: PanelInput) -> dict[str, Any]:
    """The panel's values once its configuration holds, else every error at once (the owning
    domain checks it with its own input, so a form shows both at once)."""
    errors = Errors()
    title = data.title.strip()
    if not 2 <= len(title) <= 100:
        errors.add(ErrorCode.INVALID_LENGTH, "评审组名称须为 2–100 个字符", "title")
    errors.check(data.rubric.check)
    if not 1 <= data.reviewers_per_entry <= MAX_REVIEWERS_PER_ENTRY:
        message = f"每个项目的评审专家人数须为 1–{MAX_REVIEWERS_PER_ENTRY}"
        errors.add(ErrorCode.OUT_OF_RANGE, message, "reviewersPerEntry")
    errors.raise_any()
    return {
        "title": title,
        "rubric": data.rubric.to_json(),
        "aggregation_rule": data.aggregation_rule,
        "blind": data.blind,
        "roadshow": data.roadshow,
        "reviewers_per_entry": data.reviewers_per_entry,
    }


async def create_panel(*, actor: Actor, data: PanelInput, is_demo: bool = False) -> ReviewPanel:
    policy.require_staff(actor)
    values = checked_panel(data)
    async with in_transaction():
        panel = await ReviewPanel.create(
            kind=data.kind, created_by_id=actor.user_id, is_demo=is_demo, **values
        )
        await audit.record(actor, "review.create_panel", "ReviewPanel", panel.id, name=panel.title)
    return panel


async def _locked_panel(panel_id: int) -> ReviewPanel:
    panel = await ReviewPanel.select_for_update().get_or_none(id=panel_id)
    if panel is None:
        raise NotFound("评审组不存在", ["panelId"])
    return panel


def _require_not_frozen(panel: ReviewPanel) -> None:
    if panel.frozen_at is not None:
        raise DomainError(ReviewCode.FROZEN, "评审设置已锁定，不能再修改", ["panelId"])


async def update_panel(*, actor: Actor, panel_id: int, data: PanelInput) -> ReviewPanel:
    """The configuration (not the kind), until the panel is frozen."""
    policy.require_staff(actor)
    values = checked_panel(data)
    async with in_transaction():
        panel = await _locked_panel(panel_id)
        _require_not_frozen(panel)
        changed = sorted(k for k, v in values.items() if getattr(panel, k) != v)
        panel.update_from_dict(values)
        await panel.save()
        await audit.record(actor, "review.update_panel", "ReviewPanel", panel.id, fields=changed)
    return panel


async def freeze_panel(*, actor: Actor, panel_id: int) -> ReviewPanel:
    """Fix the configuration (rubric, rule, blind mode, stages) and open written scoring."""
    policy.require_staff(actor)
    async with in_transaction():
        panel = await _locked_panel(panel_id)
        _require_not_frozen(panel)
        panel.frozen_at, panel.stage = _now(), PanelStage.WRITTEN
        await panel.save(update_fields=["frozen_at", "stage", "updated_at"])
        await audit.record(actor, "review.freeze_panel", "ReviewPanel", panel.id)
    return panel


def next_stage(panel: ReviewPanel) -> PanelStage | None:
    if panel.stage is PanelStage.WRITTEN:
        return PanelStage.ROADSHOW if panel.roadshow else PanelStage.CLOSED
    return PanelStage.CLOSED if panel.stage is PanelStage.ROADSHOW else None


async def advance_stage(*, actor: Actor, panel_id: int) -> ReviewPanel:
    """WRITTEN -> ROADSHOW (a panel with a roadshow) or CLOSED, ROADSHOW -> CLOSED."""
    policy.require_staff(actor)
    async with in_transaction():
        panel = await _locked_panel(panel_id)
        to = next_stage(panel)
        if to is None:
            raise DomainError(
                ErrorCode.WRONG_STAGE, f"{panel.stage.label}的评审组不能进入下一阶段", ["panelId"]
            )
        before, panel.stage = panel.stage, to
        await panel.save(update_fields=["stage", "updated_at"])
        await audit.record(
            actor, "review.advance_stage", "ReviewPanel", panel.id, **{"from": before, "to": to}
        )
    return panel


# --- the expert pool and panel members ---------------------------------------------------------


async def add_expert(*, actor: Actor, user_id: int, specialities: str = "") -> Expert:
    """Put an account holding the REVIEWER role in the pool (or back in it, active)."""
    policy.require_staff(actor)
    specialities = specialities.strip()
    if len(specialities) > 200:
        raise _error(ErrorCode.INVALID_LENGTH, "专业领域不能超过 200 个字符", "specialities")
    if Role.REVIEWER not in await accounts.roles_of(user_id):
        raise _error(ReviewCode.NOT_AN_EXPERT, "该账号没有评审专家角色", "userId")
    async with in_transaction():
        expert, _ = await Expert.update_or_create(
            {"specialities": specialities, "active": True}, user_id=user_id
        )
        await audit.record(actor, "review.add_expert", "Expert", expert.id, user_id=user_id)
    return expert


async def add_affiliation(
    *,
    actor: Actor,
    expert_id: int,
    organisation_id: int,
    role: str = "",
    started_on: date | None = None,
    ended_on: date | None = None,
) -> ExpertAffiliation:
    """A past or present role of an expert in an organisation, which conflicts are found from."""
    policy.require_staff(actor)
    errors = Errors()
    role = role.strip()
    if len(role) > 60:
        errors.add(ErrorCode.INVALID_LENGTH, "职务不能超过 60 个字符", "role")
    if started_on and ended_on and ended_on < started_on:
        errors.add(ErrorCode.END_BEFORE_START, "结束日期不能早于开始日期", "endedOn")
    if not await Expert.exists(id=expert_id):
        errors.errors.append(NotFound("评审专家不存在", ["expertId"]))
    if not await Organisation.exists(id=organisation_id):
        errors.errors.append(NotFound("社会组织不存在", ["organisationId"]))
    errors.raise_any()
    async with in_transaction():
        row = await ExpertAffiliation.create(
            expert_id=expert_id,
            organisation_id=organisation_id,
            role=role,
            started_on=started_on,
            ended_on=ended_on,
        )
        await audit.record(
            actor, "review.add_affiliation", "Expert", expert_id, organisation_id=organisation_id
        )
    return row


async def _require_may_join(user_id: int, source: MemberSource) -> None:
    if source is MemberSource.POOL:
        if not await Expert.exists(user_id=user_id, active=True):
            raise _error(ReviewCode.NOT_AN_EXPERT, "该账号不在专家库中", "userId")
    elif Role.BUREAU_STAFF not in await accounts.roles_of(user_id):
        raise _error(ReviewCode.NOT_AN_EXPERT, "该账号不是民政局工作人员", "userId")


async def add_member(*, actor: Actor, panel_id: int, user_id: int, source: MemberSource) -> PanelMember:
    """A pool expert or a member of staff who scores on the panel (until it closes)."""
    policy.require_staff(actor)
    await _require_may_join(user_id, source)
    try:
        async with in_transaction():
            panel = await _locked_panel(panel_id)
            if panel.stage is PanelStage.CLOSED:
                raise DomainError(ErrorCode.WRONG_STAGE, "评审已结束", ["panelId"])
            member = await PanelMember.create(panel_id=panel_id, user_id=user_id, source=source)
            await audit.record(actor, "review.add_member", "ReviewPanel", panel_id, reviewer_id=user_id)
    except IntegrityError:
        raise _error(ReviewCode.ALREADY_MEMBER, "该账号已在评审组中", "userId") from None
    return member


# --- entries -----------------------------------------------------------------------------------


async def _check_entry(title: str, applicant_id: int, sponsor_id: int | None) -> str:
    errors = Errors()
    title = title.strip()
    if not 1 <= len(title) <= 100:
        errors.add(ErrorCode.INVALID_LENGTH, "项目名称须为 1–100 个字符", "title")
    wanted = {applicant_id} | ({sponsor_id} if sponsor_id is not None else set())
    found = {int(row[0]) for row in await Organisation.filter(id__in=wanted).values_list("id")}
    if applicant_id not in found:
        errors.errors.append(NotFound("申报机构不存在", ["applicantId"]))
    if sponsor_id is not None and sponsor_id not in found:
        errors.errors.append(NotFound("支持单位不存在", ["sponsorId"]))
    errors.raise_any()
    return title


async def add_entry(
    *,
    actor: Actor,
    panel_id: int,
    subject_id: int,
    title: str,
    applicant_id: int,
    sponsor_id: int | None = None,
) -> PanelEntry:
    """Put the owning domain's subject on the panel (joins the caller's transaction)."""
    policy.require_staff(actor)
    title = await _check_entry(title, applicant_id, sponsor_id)
    try:
        async with in_transaction():
            panel = await _locked_panel(panel_id)
            if panel.stage is PanelStage.CLOSED:
                raise DomainError(ErrorCode.WRONG_STAGE, "评审已结束，不能再加入项目", ["panelId"])
            entry = await PanelEntry.create(
                panel_id=panel_id,
                subject_id=subject_id,
                title=title,
                applicant_id=applicant_id,
                sponsor_id=sponsor_id,
            )
            await audit.record(actor, "review.add_entry", "PanelEntry", entry.id, name=title)
    except IntegrityError:
        raise _error(ReviewCode.DUPLICATE_ENTRY, "该项目已在评审组中", "subjectId") from None
    return entry


async def _cancel(assignment_ids: list[int], reason: str) -> None:
    """Cancel the assignments and void their sheets (kept for the record, never counted)."""
    if not assignment_ids:
        return
    now = _now()
    await Assignment.filter(id__in=assignment_ids).update(live=None, cancelled_at=now, cancel_reason=reason)
    await (
        ScoreSheet.filter(assignment_id__in=assignment_ids)
        .exclude(status=SheetStatus.VOIDED)
        .update(status=SheetStatus.VOIDED, voided_at=now)
    )


async def withdraw_entry(*, actor: Actor, entry_id: int, reason: str) -> PanelEntry:
    """Take an entry off the panel: its live assignments are cancelled and their sheets voided."""
    policy.require_staff(actor)
    reason = reason.strip()
    if not 1 <= len(reason) <= 500:
        raise _error(ErrorCode.REASON_REQUIRED, "请填写撤出原因（不超过 500 字）", "reason")
    async with in_transaction():
        entry = await PanelEntry.select_for_update().get_or_none(id=entry_id)
        if entry is None:
            raise NotFound("评审项目不存在", ["entryId"])
        if entry.withdrawn:
            raise DomainError(ReviewCode.ENTRY_WITHDRAWN, "该项目已撤出评审", ["entryId"])
        await _withdraw(actor, entry, reason)
    return entry


async def _withdraw(actor: Actor, entry: PanelEntry, reason: str) -> None:
    entry.withdrawn = True
    await entry.save(update_fields=["withdrawn"])
    live = [int(row[0]) for row in await Assignment.filter(entry_id=entry.id, live=True).values_list("id")]
    await _cancel(live, f"项目撤出：{reason}")
    await audit.record(actor, "review.withdraw_entry", "PanelEntry", entry.id, reason=reason)


async def withdraw_subject(*, actor: Actor, panel_id: int, subject_id: int, reason: str) -> None:
    """The owning domain's subject left the competition (its applicant withdrew it): its entry, if
    any and not withdrawn yet, leaves the panel too. The owning domain has checked its own
    permission; joins the caller's transaction."""
    entry = await PanelEntry.select_for_update().get_or_none(panel_id=panel_id, subject_id=subject_id)
    if entry is not None and not entry.withdrawn:
        await _withdraw(actor, entry, reason)


# --- drawing and assigning reviewers -----------------------------------------------------------


@dataclass(frozen=True)
class DrawResult:
    assignments: list[Assignment]
    short: dict[int, int]
    """entry id -> how many reviewers are still missing (too few members free of conflicts)."""


def _require_assignable(panel: ReviewPanel, stage: Stage) -> None:
    if panel.stage is PanelStage.CLOSED:
        raise DomainError(ErrorCode.WRONG_STAGE, "评审已结束", ["panelId"])
    if stage is Stage.ROADSHOW and not panel.roadshow:
        raise DomainError(ErrorCode.WRONG_STAGE, "该评审组没有路演答辩环节", ["stage"])


async def _conflicts_of(
    panel: ReviewPanel, entries: list[PanelEntry], users: list[int], today: date
) -> set[conflicts.Pair]:
    """Declared and automatic conflicts; the automatic ones not yet recorded are recorded."""
    known = await conflicts.declared(panel.id)
    found = await conflicts.automatic(entries, users, today)
    new = [
        Conflict(
            panel_id=panel.id,
            entry_id=entry_id,
            reviewer_id=user_id,
            reason=reason,
            note="系统根据任职与组织成员记录识别",
            source=ConflictSource.AUTOMATIC,
        )
        for (entry_id, user_id), reason in found.items()
        if (entry_id, user_id) not in known
    ]
    if new:
        await Conflict.bulk_create(new)
    return set(known) | set(found)


async def _create_assignment(
    actor: Actor, panel_id: int, entry_id: int, reviewer_id: int, stage: Stage, seed: int | None
) -> Assignment:
    assignment = await Assignment.create(
        panel_id=panel_id,
        entry_id=entry_id,
        reviewer_id=reviewer_id,
        stage=stage,
        method=AssignMethod.DRAWN if seed is not None else AssignMethod.ASSIGNED,
        draw_seed=seed,
        assigned_by_id=actor.user_id,
    )
    await ScoreSheet.create(assignment_id=assignment.id)
    return assignment


async def draw_reviewers(
    *, actor: Actor, panel_id: int, seed: int, stage: Stage = Stage.WRITTEN, today: date | None = None
) -> DrawResult:
    """Fill every entry up to the panel's reviewers per entry, drawn from its members at random
    with `seed` (`draw.plan_draw`: reproducible, least-loaded first, never a conflicted one)."""
    policy.require_staff(actor)
    if not 0 <= seed <= MAX_SEED:
        raise _error(ErrorCode.OUT_OF_RANGE, "随机种子须为非负整数", "seed")
    async with in_transaction():
        panel = await _locked_panel(panel_id)
        _require_assignable(panel, stage)
        entries = await PanelEntry.filter(panel_id=panel_id, withdrawn=False).order_by("id")
        members = [int(row[0]) for row in await PanelMember.filter(panel_id=panel_id).values_list("user_id")]
        live = await Assignment.filter(panel_id=panel_id, stage=stage, live=True).values_list(
            "entry_id", "reviewer_id"
        )
        conflicted = await _conflicts_of(panel, entries, members, today or clock.today())
        picks, short = plan_draw(
            [e.id for e in entries], members, list(live), conflicted, panel.reviewers_per_entry, seed
        )
        made = [await _create_assignment(actor, panel_id, e, u, stage, seed) for e, u in picks]
        pairs = [[e, u] for e, u in picks]
        await audit.record(actor, "review.draw", "ReviewPanel", panel_id, seed=seed, stage=stage, drawn=pairs)
    return DrawResult(made, short)


async def assign_reviewer(
    *, actor: Actor, entry_id: int, reviewer_id: int, stage: Stage = Stage.WRITTEN, today: date | None = None
) -> Assignment:
    """Staff pick a panel member for an entry; refused when they are conflicted with it."""
    policy.require_staff(actor)
    entry = await PanelEntry.get_or_none(id=entry_id)
    if entry is None:
        raise NotFound("评审项目不存在", ["entryId"])
    try:
        async with in_transaction():
            panel = await _locked_panel(entry.panel_id)
            _require_assignable(panel, stage)
            await _require_free(panel, entry, reviewer_id, today or clock.today())
            assignment = await _create_assignment(actor, panel.id, entry.id, reviewer_id, stage, None)
            summary = {"entry_id": entry.id, "reviewer_id": reviewer_id, "stage": stage}
            await audit.record(actor, "review.assign", "Assignment", assignment.id, **summary)
    except IntegrityError:
        raise _error(ReviewCode.ALREADY_ASSIGNED, "该专家已分配评审此项目", "reviewerId") from None
    return assignment


async def _require_free(panel: ReviewPanel, entry: PanelEntry, reviewer_id: int, today: date) -> None:
    if entry.withdrawn:
        raise _error(ReviewCode.ENTRY_WITHDRAWN, "该项目已撤出评审", "entryId")
    if not await PanelMember.exists(panel_id=panel.id, user_id=reviewer_id):
        raise _error(ReviewCode.NOT_A_MEMBER, "该专家不在本评审组中", "reviewerId")
    declared = await Conflict.get_or_none(entry_id=entry.id, reviewer_id=reviewer_id)
    reason = (
        declared.reason
        if declared
        else (await conflicts.automatic([entry], [reviewer_id], today)).get((entry.id, reviewer_id))
    )
    if reason is not None:
        raise _error(ReviewCode.CONFLICTED, f"该专家与此项目存在利益冲突（{reason.label}）", "reviewerId")


async def unassign(*, actor: Actor, assignment_id: int, reason: str) -> Assignment:
    """Staff cancel a live assignment; its sheet, submitted or not, is voided."""
    policy.require_staff(actor)
    reason = reason.strip()
    if not 1 <= len(reason) <= 500:
        raise _error(ErrorCode.REASON_REQUIRED, "请填写取消原因（不超过 500 字）", "reason")
    async with in_transaction():
        assignment = await Assignment.select_for_update().get_or_none(id=assignment_id, live=True)
        if assignment is None:
            raise NotFound("评审分配不存在或已取消", ["assignmentId"])
        await _cancel([assignment.id], reason)
        await audit.record(actor, "review.unassign", "Assignment", assignment.id, reason=reason)
    return await Assignment.get(id=assignment_id)


# --- conflicts of interest ---------------------------------------------------------------------


async def declare_conflict(
    *,
    actor: Actor,
    entry_id: int,
    reason: ConflictReason,
    note: str = "",
    reviewer_id: int | None = None,
) -> Conflict:
    """A reviewer declares their own conflict with an entry they can see, or staff record one for
    any reviewer. The reviewer's live assignments on the entry are cancelled and their sheets,
    submitted or not, voided: from then on the reviewer neither scores nor sees the entry."""
    policy.require_write(actor)
    staff = policy.is_staff(actor)
    reviewer = reviewer_id if reviewer_id is not None else actor.user_id
    if reviewer is None or (reviewer != actor.user_id and not staff):
        raise PermissionDenied("只能申报本人的利益冲突")
    entry = await PanelEntry.get_or_none(id=entry_id)
    if entry is None or not (
        staff or await Assignment.exists(entry_id=entry_id, reviewer_id=reviewer, live=True)
    ):
        raise NotFound("评审项目不存在", ["entryId"])
    note = note.strip()
    errors = Errors()
    if len(note) > 500:
        errors.add(ErrorCode.INVALID_LENGTH, "说明不能超过 500 个字符", "note")
    if reason is ConflictReason.OTHER and not note:
        errors.add(ErrorCode.REASON_REQUIRED, "选择“其他”时请说明冲突情况", "note")
    if reviewer != actor.user_id and not await User.exists(id=reviewer):
        errors.errors.append(NotFound("评审专家不存在", ["reviewerId"]))
    errors.raise_any()
    source = ConflictSource.SELF if reviewer == actor.user_id else ConflictSource.STAFF
    return await _record_conflict(actor, entry, reviewer, reason, note, source)


async def _record_conflict(
    actor: Actor, entry: PanelEntry, reviewer: int, reason: ConflictReason, note: str, source: ConflictSource
) -> Conflict:
    try:
        async with in_transaction():
            await _locked_panel(entry.panel_id)
            conflict = await Conflict.create(
                panel_id=entry.panel_id,
                entry_id=entry.id,
                reviewer_id=reviewer,
                reason=reason,
                note=note,
                declared_by_id=actor.user_id,
                source=source,
            )
            live = Assignment.filter(entry_id=entry.id, reviewer_id=reviewer, live=True)
            await _cancel([int(row[0]) for row in await live.values_list("id")], f"利益冲突：{reason.label}")
            summary = {"entry_id": entry.id, "reviewer_id": reviewer, "reason": reason.label}
            await audit.record(actor, "review.declare_conflict", "PanelEntry", entry.id, **summary)
    except IntegrityError:
        raise _error(ReviewCode.ALREADY_DECLARED, "已登记过该利益冲突", "entryId") from None
    return conflict


# --- score sheets ------------------------------------------------------------------------------


async def _own_live(actor: Actor, assignment_id: int) -> tuple[Assignment, ReviewPanel]:
    """The actor's own live assignment and its panel, in a stage where it is scored. An entry the
    actor is conflicted with reads as missing, even while a conflict found by a later draw has
    left the assignment live."""
    conflicted = Subquery(Conflict.filter(reviewer_id=actor.user_id or 0).values("entry_id"))
    assignment = (
        await Assignment.filter(id=assignment_id, live=True)
        .exclude(entry_id__in=conflicted)
        .select_related("panel")
        .first()
    )
    if assignment is None or (assignment.reviewer_id != actor.user_id and not policy.is_staff(actor)):
        raise NotFound("评审分配不存在或已取消", ["assignmentId"])
    policy.require_reviewer_of(actor, assignment.reviewer_id)
    panel = assignment.panel
    if panel.stage.value != assignment.stage.value:
        raise DomainError(
            ErrorCode.WRONG_STAGE, f"评审组当前处于“{panel.stage.label}”阶段，不能评分", ["assignmentId"]
        )
    return assignment, panel


async def _locked_sheet(assignment_id: int) -> ScoreSheet:
    sheet = await ScoreSheet.select_for_update().get(assignment_id=assignment_id)
    if sheet.status is SheetStatus.SUBMITTED:
        raise DomainError(ReviewCode.SHEET_SUBMITTED, "评分表已提交，不能再修改", ["assignmentId"])
    if sheet.status is SheetStatus.VOIDED:
        raise NotFound("评审分配不存在或已取消", ["assignmentId"])
    return sheet


def _check_scores(rubric: Rubric, scores: Mapping[str, tuple[int | None, str]], overall: str) -> None:
    errors = Errors()
    keys = {c.key for c in rubric.criteria}
    for key, (score, comment) in scores.items():
        path = f"scores.{key}"
        if key not in keys:
            errors.add(ReviewCode.UNKNOWN_CRITERION, "评分标准中没有该评分项", path)
            continue
        if score is not None and not rubric.score_min <= score <= rubric.score_max:
            message = f"分数须在 {rubric.score_min}–{rubric.score_max} 之间"
            errors.add(ReviewCode.SCORE_OUT_OF_RANGE, message, path)
        if len(comment.strip()) > MAX_COMMENT:
            errors.add(ErrorCode.INVALID_LENGTH, f"评语不能超过 {MAX_COMMENT} 个字符", f"{path}.comment")
    if len(overall.strip()) > MAX_OVERALL_COMMENT:
        errors.add(
            ErrorCode.INVALID_LENGTH, f"总体评语不能超过 {MAX_OVERALL_COMMENT} 个字符", "overallComment"
        )
    errors.raise_any()


async def save_scores(
    *,
    actor: Actor,
    assignment_id: int,
    scores: Mapping[str, tuple[int | None, str]],
    overall_comment: str = "",
) -> ScoreSheet:
    """The assigned reviewer saves a draft: each given criterion's score (None clears it) and
    comment, and the overall comment. Every bad score is reported at once, nothing saved."""
    policy.require_write(actor)
    assignment, panel = await _own_live(actor, assignment_id)
    _check_scores(panel.parsed_rubric, scores, overall_comment)
    async with in_transaction():
        sheet = await _locked_sheet(assignment.id)
        await Score.filter(sheet_id=sheet.id, key__in=list(scores)).delete()
        rows = [
            Score(sheet_id=sheet.id, key=key, score=score, comment=comment.strip())
            for key, (score, comment) in scores.items()
            if score is not None
        ]
        if rows:
            await Score.bulk_create(rows)
        sheet.overall_comment = overall_comment.strip()
        await sheet.save(update_fields=["overall_comment", "updated_at"])
        await audit.record(actor, "review.save_scores", "ScoreSheet", sheet.id, fields=sorted(scores))
    return sheet


async def _require_complete(sheet: ScoreSheet, rubric: Rubric) -> None:
    errors = Errors()
    saved = {s.key: s for s in await Score.filter(sheet_id=sheet.id)}
    for criterion in rubric.criteria:
        path = f"scores.{criterion.key}"
        score = saved.get(criterion.key)
        if score is None:
            errors.add(ReviewCode.SCORE_REQUIRED, f"请为“{criterion.label}”打分", path)
        elif not score.comment:
            errors.add(ReviewCode.COMMENT_REQUIRED, f"请填写“{criterion.label}”的评语", f"{path}.comment")
    if not sheet.overall_comment:
        errors.add(ReviewCode.COMMENT_REQUIRED, "请填写总体评语", "overallComment")
    errors.raise_any()


async def submit_sheet(*, actor: Actor, sheet_id: int) -> ScoreSheet:
    """Every criterion scored and commented and an overall comment: the sheet locks (SUBMITTED)."""
    policy.require_write(actor)
    found = await ScoreSheet.get_or_none(id=sheet_id).only("id", "assignment_id")
    if found is None:
        raise NotFound("评分表不存在", ["sheetId"])
    assignment, panel = await _own_live(actor, found.assignment_id)
    async with in_transaction():
        sheet = await _locked_sheet(assignment.id)
        await _require_complete(sheet, panel.parsed_rubric)
        sheet.status, sheet.submitted_at = SheetStatus.SUBMITTED, _now()
        await sheet.save(update_fields=["status", "submitted_at", "updated_at"])
        await audit.record(actor, "review.submit_sheet", "ScoreSheet", sheet.id)
    return sheet


async def reopen_sheet(*, actor: Actor, sheet_id: int, reason: str) -> ScoreSheet:
    """Staff send a submitted sheet back to its reviewer as a draft, with a reason."""
    policy.require_staff(actor)
    reason = reason.strip()
    if not 1 <= len(reason) <= 500:
        raise _error(ErrorCode.REASON_REQUIRED, "请填写退回原因（不超过 500 字）", "reason")
    async with in_transaction():
        sheet = await ScoreSheet.select_for_update().get_or_none(id=sheet_id)
        if sheet is None:
            raise NotFound("评分表不存在", ["sheetId"])
        if sheet.status is not SheetStatus.SUBMITTED:
            raise DomainError(ReviewCode.SHEET_NOT_SUBMITTED, "只能退回已提交的评分表", ["sheetId"])
        panel = await ReviewPanel.get(assignments__id=sheet.assignment_id)
        if panel.stage is PanelStage.CLOSED:
            raise DomainError(ErrorCode.WRONG_STAGE, "评审已结束", ["sheetId"])
        sheet.status, sheet.submitted_at, sheet.reopened_reason = SheetStatus.DRAFT, None, reason
        await sheet.save(update_fields=["status", "submitted_at", "reopened_reason", "updated_at"])
        await audit.record(actor, "review.reopen_sheet", "ScoreSheet", sheet.id, reason=reason)
    return sheet


# --- exports -----------------------------------------------------------------------------------


async def export_scores(*, actor: Actor, panel_id: int, fmt: str, rows: int) -> None:
    """Staff download a panel's score matrix: audited, as the file carries every reviewer's
    scores by name."""
    policy.require_staff(actor)
    await audit.record(actor, "review.export_scores", "ReviewPanel", panel_id, format=fmt, rows=rows)
