"""The review module's mutations: one per use case of `domain.review`, each one `respond(...)`.
A reviewer's (scores, submission, own conflict) need the token scope `review:funding` or
`write:funding`, the staff's `write:funding`; an objection only a signed-in account
(`domain.review.policy`, `domain.review.objections`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from api.schema.info import Info
from api.schema.limits import max_items
from api.schema.mutation import respond
from api.schema.relay import USER_ERRORS, node_pk
from api.schema.review.types import (
    ConflictReasonEnum,
    ObjectionType,
    ReviewUserError,
    ScoreSheetType,
    StageEnum,
    gid,
)
from domain import clock
from domain.review import objections, queries, service
from domain.review.models import ConflictReason, Objection, ReviewPanel, ScoreSheet, Stage
from domain.review.rubric import MAX_CRITERIA


@strawberry.input(description="一个评分项的分数（null 清除）与评语")
class CriterionScoreInput:
    key: str
    score: int | None
    comment: str = ""


@strawberry.input(description="保存评分草稿（本人的有效分配）")
class ReviewScoresSaveInput:
    assignment_id: strawberry.ID
    scores: list[CriterionScoreInput] = strawberry.field(metadata=max_items(MAX_CRITERIA))
    overall_comment: str = ""


@strawberry.input(description="提交评分表（每项须有分数与评语，并填写总体评语）")
class ReviewSheetSubmitInput:
    sheet_id: strawberry.ID


@strawberry.input(description="申报与评审项目的利益冲突（专家本人；此后不再评审、也看不到该项目）")
class ReviewConflictDeclareInput:
    entry_id: strawberry.ID
    reason: ConflictReasonEnum  # type: ignore[valid-type]
    note: str = ""
    reviewer_id: strawberry.ID | None = strawberry.field(
        default=None, description="工作人员为某位专家登记时填写；缺省为本人"
    )


@strawberry.input(description="按随机种子抽取评审专家（民政局）")
class ReviewDrawInput:
    panel_id: strawberry.ID
    seed: int = strawberry.field(description="随机种子（非负整数，记入审计日志，可复现）")
    stage: StageEnum = Stage.WRITTEN  # type: ignore[valid-type]


@strawberry.input(description="指定评审专家（民政局；存在利益冲突时拒绝）")
class ReviewAssignInput:
    entry_id: strawberry.ID
    reviewer_id: strawberry.ID
    stage: StageEnum = Stage.WRITTEN  # type: ignore[valid-type]


@strawberry.input(description="取消评审分配（民政局；须说明原因，评分表作废）")
class ReviewUnassignInput:
    assignment_id: strawberry.ID
    reason: str


@strawberry.input(description="退回已提交的评分表（民政局；须说明原因）")
class ReviewSheetReopenInput:
    sheet_id: strawberry.ID
    reason: str


@strawberry.input(description="公示期内实名提出异议（登录用户）")
class ObjectionLodgeInput:
    panel_id: strawberry.ID
    entry_id: strawberry.ID | None = None
    name: str
    mobile: str
    text: str


@strawberry.input(description="书面答复公示异议（民政局）")
class ObjectionResolveInput:
    objection_id: strawberry.ID
    upheld: bool
    answer: str


@strawberry.type
class ReviewSheetPayload:
    sheet: ScoreSheetType | None
    user_errors: list[ReviewUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class ReviewConflictPayload:
    entry_id: strawberry.ID | None
    reason_label: str | None
    user_errors: list[ReviewUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type(description="某项目仍缺的评审专家人数（无冲突的成员不足）")
class DrawShortType:
    entry_id: strawberry.ID
    missing: int


@strawberry.type
class ReviewDrawPayload:
    drawn: int | None = strawberry.field(description="本次抽取的分配数")
    short: list[DrawShortType] = strawberry.field(default_factory=list, metadata=max_items(1000))
    user_errors: list[ReviewUserError] = strawberry.field(default_factory=list, metadata=USER_ERRORS)


@strawberry.type
class ReviewAssignmentPayload:
    assignment_id: strawberry.ID | None
    user_errors: list[ReviewUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class ObjectionPayload:
    objection: ObjectionType | None
    user_errors: list[ReviewUserError] = strawberry.field(metadata=USER_ERRORS)


async def _sheet(work: Callable[[], Awaitable[ScoreSheet]]) -> ReviewSheetPayload:
    async def fields(sheet: ScoreSheet) -> dict[str, object]:
        scores = list((await queries.sheet_scores(sheet.id)).values())
        panel = await ReviewPanel.get(assignments__id=sheet.assignment_id)
        return {"sheet": ScoreSheetType.from_model(sheet, scores, panel.parsed_rubric)}

    return await respond(ReviewSheetPayload, work, fields)


async def _objection(info: Info, work: Callable[[], Awaitable[Objection]]) -> ObjectionPayload:
    return await respond(ObjectionPayload, work, lambda o: {"objection": ObjectionType.from_model(info, o)})


def _assignment_payload(pk: int) -> dict[str, object]:
    return {"assignment_id": gid("ReviewAssignment", pk)}


async def _save(info: Info, data: ReviewScoresSaveInput) -> ScoreSheet:
    return await service.save_scores(
        actor=info.context.actor,
        assignment_id=node_pk(data.assignment_id, "ReviewAssignment", "assignmentId"),
        scores={s.key: (s.score, s.comment) for s in data.scores},
        overall_comment=data.overall_comment,
    )


async def _draw(info: Info, data: ReviewDrawInput) -> service.DrawResult:
    return await service.draw_reviewers(
        actor=info.context.actor,
        panel_id=node_pk(data.panel_id, "ReviewPanel", "panelId"),
        seed=data.seed,
        stage=Stage(data.stage),
    )


def _drawn(result: service.DrawResult) -> dict[str, object]:
    short = [
        DrawShortType(entry_id=gid("ReviewEntry", e), missing=n) for e, n in sorted(result.short.items())
    ]
    return {"drawn": len(result.assignments), "short": short}


async def _lodge(info: Info, data: ObjectionLodgeInput) -> Objection:
    return await objections.lodge_objection(
        actor=info.context.actor,
        panel_id=node_pk(data.panel_id, "ReviewPanel", "panelId"),
        entry_id=node_pk(data.entry_id, "ReviewEntry", "entryId") if data.entry_id else None,
        name=data.name,
        mobile=data.mobile,
        text=data.text,
        today=clock.today(),
    )


@strawberry.type
class ReviewMutations:
    @strawberry.mutation(description="保存评分草稿（评审专家本人；每个分数须在分值范围内）")
    async def review_scores_save(self, info: Info, input: ReviewScoresSaveInput) -> ReviewSheetPayload:
        return await _sheet(lambda: _save(info, input))

    @strawberry.mutation(description="提交评分表（评审专家本人；提交后锁定）")
    async def review_sheet_submit(self, info: Info, input: ReviewSheetSubmitInput) -> ReviewSheetPayload:
        return await _sheet(
            lambda: service.submit_sheet(
                actor=info.context.actor, sheet_id=node_pk(input.sheet_id, "ScoreSheet", "sheetId")
            )
        )

    @strawberry.mutation(description="申报利益冲突（评审专家本人；工作人员可为任一专家登记）")
    async def review_conflict_declare(
        self, info: Info, input: ReviewConflictDeclareInput
    ) -> ReviewConflictPayload:
        async def work() -> ConflictReason:
            conflict = await service.declare_conflict(
                actor=info.context.actor,
                entry_id=node_pk(input.entry_id, "ReviewEntry", "entryId"),
                reason=ConflictReason(input.reason),
                note=input.note,
                reviewer_id=node_pk(input.reviewer_id, "User", "reviewerId") if input.reviewer_id else None,
            )
            return conflict.reason

        return await respond(
            ReviewConflictPayload, work, lambda r: {"entry_id": input.entry_id, "reason_label": r.label}
        )

    @strawberry.mutation(description="按随机种子抽取评审专家（民政局）")
    async def review_draw(self, info: Info, input: ReviewDrawInput) -> ReviewDrawPayload:
        return await respond(ReviewDrawPayload, lambda: _draw(info, input), _drawn)

    @strawberry.mutation(description="指定评审专家（民政局）")
    async def review_assign(self, info: Info, input: ReviewAssignInput) -> ReviewAssignmentPayload:
        async def work() -> int:
            assignment = await service.assign_reviewer(
                actor=info.context.actor,
                entry_id=node_pk(input.entry_id, "ReviewEntry", "entryId"),
                reviewer_id=node_pk(input.reviewer_id, "User", "reviewerId"),
                stage=Stage(input.stage),
            )
            return assignment.id

        return await respond(ReviewAssignmentPayload, work, _assignment_payload)

    @strawberry.mutation(description="取消评审分配（民政局；评分表作废）")
    async def review_unassign(self, info: Info, input: ReviewUnassignInput) -> ReviewAssignmentPayload:
        async def work() -> int:
            assignment = await service.unassign(
                actor=info.context.actor,
                assignment_id=node_pk(input.assignment_id, "ReviewAssignment", "assignmentId"),
                reason=input.reason,
            )
            return assignment.id

        return await respond(ReviewAssignmentPayload, work, _assignment_payload)

    @strawberry.mutation(description="退回已提交的评分表（民政局；须说明原因）")
    async def review_sheet_reopen(self, info: Info, input: ReviewSheetReopenInput) -> ReviewSheetPayload:
        return await _sheet(
            lambda: service.reopen_sheet(
                actor=info.context.actor,
                sheet_id=node_pk(input.sheet_id, "ScoreSheet", "sheetId"),
                reason=input.reason,
            )
        )

    @strawberry.mutation(description="公示期内实名提出异议（登录用户）")
    async def objection_lodge(self, info: Info, input: ObjectionLodgeInput) -> ObjectionPayload:
        return await _objection(info, lambda: _lodge(info, input))

    @strawberry.mutation(description="书面答复公示异议（民政局）")
    async def objection_resolve(self, info: Info, input: ObjectionResolveInput) -> ObjectionPayload:
        return await _objection(
            info,
            lambda: objections.resolve_objection(
                actor=info.context.actor,
                objection_id=node_pk(input.objection_id, "Objection", "objectionId"),
                upheld=input.upheld,
                answer=input.answer,
            ),
        )
