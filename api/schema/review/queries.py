"""The review module's reads, all on the resolvers (docs/compiler.md: staff-only and low-volume,
blind review and conflicts of interest): the signed-in reviewer's live assignments
(`myReviewAssignments`), a panel for staff or its members (`reviewPanel`) and an entry's
submitted sheets (`entrySheets`: staff always, a reviewer once their own is submitted)."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry

from api.schema.info import Info
from api.schema.limits import max_items
from api.schema.relay import Connection, build_connection, node_pk, page_request
from api.schema.review.types import (
    AssignmentRow,
    ObjectionType,
    ReviewAssignmentType,
    ReviewEntryType,
    ReviewPanelType,
    ScoreSheetType,
    StageEnum,
)
from domain.access import Actor
from domain.errors import NotFound
from domain.pagination import Page, slice_page
from domain.review import policy, queries
from domain.review.models import PanelEntry, PanelMember, Stage

MAX_ENTRY_SHEETS = 15  # domain.review.service.MAX_REVIEWERS_PER_ENTRY: one live sheet per reviewer


@dataclass(frozen=True)
class _Ranked:
    """A reviewer's assignment with its place in `queries.my_assignments`' order (newest panel
    first, then entry, then stage) as the keyset cursor."""

    rank: int
    entry_id: int
    stage: str
    row: AssignmentRow


def _ranked(mine: queries.MyAssignment) -> _Ranked:
    row = AssignmentRow(
        assignment_id=mine.assignment_id,
        panel_id=mine.panel_id,
        stage=mine.stage,
        sheet_status=mine.sheet_status,
        entry_id=mine.entry_id,
        title=mine.title,
        applicant_id=mine.applicant_id,
    )
    return _Ranked(-mine.panel_id, mine.entry_id, mine.stage.value, row)


async def load_assignment(info: Info, pk: int) -> ReviewAssignmentType | None:
    """The reader's own live assignment, else None (someone else's, cancelled, withdrawn or
    conflicted all read as missing)."""
    actor = info.context.actor
    sheet = await queries.own_sheet(actor, pk)
    if sheet is None:
        return None
    assignment = sheet.assignment
    entry, panel = assignment.entry, assignment.panel
    hidden = queries.applicant_hidden(actor, panel)
    row = AssignmentRow(
        assignment_id=assignment.id,
        panel_id=panel.id,
        stage=assignment.stage,
        sheet_status=sheet.status,
        entry_id=entry.id,
        title=entry.title,
        applicant_id=None if hidden else entry.applicant_id,
    )
    return ReviewAssignmentType.from_row(row)


async def load_entry(info: Info, pk: int) -> ReviewEntryType | None:
    """An entry, for staff (`queries.entry`), else None."""
    found = await queries.entry(info.context.actor, pk)
    return ReviewEntryType.from_model(found) if found else None


async def load_sheet(info: Info, pk: int) -> ScoreSheetType | None:
    """A score sheet for whoever may see it (`queries.sheet_cell`), else None."""
    cell = await queries.sheet_cell(info.context.actor, pk)
    return ScoreSheetType.from_cell(cell) if cell else None


async def load_objection(info: Info, pk: int) -> ObjectionType | None:
    """An objection, for staff and the person who lodged it (`queries.objection`), else None."""
    found = await queries.objection(info.context.actor, pk)
    return ObjectionType.from_model(info, found) if found else None


async def _sees_panel(actor: Actor, panel_id: int) -> bool:
    if policy.is_staff(actor):
        return True
    return actor.user_id is not None and await PanelMember.exists(panel_id=panel_id, user_id=actor.user_id)


async def load_panel(info: Info, pk: int) -> ReviewPanelType | None:
    """A panel for staff and for its members, else None."""
    if not await _sees_panel(info.context.actor, pk):
        return None
    found = await info.context.loaders.review.panel_by_id.load(pk)
    return ReviewPanelType.from_model(found) if found else None


@strawberry.type
class ReviewQueries:
    @strawberry.field(
        description="本人的评审任务（有效分配；不含存在利益冲突或已撤出的项目；最新评审组在前）"
    )
    async def my_review_assignments(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ReviewAssignmentType]:
        request = page_request(first=first, after=after, last=None, before=None, key_types=(int, int, str))
        ranked = [_ranked(mine) for mine in await queries.my_assignments(info.context.actor)]
        page: Page[_Ranked] = slice_page(ranked, ("rank", "entry_id", "stage"), request)  # type: ignore[type-var]

        async def count() -> int:
            return len(ranked)

        return build_connection(page, lambda r: ReviewAssignmentType.from_row(r.row), count)

    @strawberry.field(description="评审组（民政局工作人员或本组评审专家）")
    async def review_panel(self, info: Info, id: strawberry.ID) -> ReviewPanelType | None:
        return await load_panel(info, node_pk(id, "ReviewPanel"))

    @strawberry.field(
        description="某评审项目已提交的评分表：工作人员随时可见，评审专家须先提交本人的评分表",
        metadata=max_items(MAX_ENTRY_SHEETS),
    )
    async def entry_sheets(
        self,
        info: Info,
        entry: strawberry.ID,
        stage: StageEnum = Stage.WRITTEN,  # type: ignore[valid-type]
    ) -> list[ScoreSheetType]:
        entry_id = node_pk(entry, "ReviewEntry", "entry")
        found = await PanelEntry.get_or_none(id=entry_id).select_related("panel")
        if found is None:
            raise NotFound("评审项目不存在", ["entry"])
        cells = await queries.entry_sheets(info.context.actor, found.panel, entry_id, Stage(stage))
        return [ScoreSheetType.from_cell(cell) for cell in cells]
