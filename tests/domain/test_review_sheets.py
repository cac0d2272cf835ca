"""Score sheets: only the assigned reviewer scores, in the panel's scoring stage, within the
rubric's range (every bad score named at once, nothing saved); submitting needs every criterion
scored and commented and locks the sheet, also when two submits race; staff reopen with a reason;
others' scores stay hidden until one's own sheet is submitted; the totals and the staff matrix
cost a fixed number of statements. Both databases."""

from __future__ import annotations

import pytest
from tortoise import connections

from domain.audit.models import AuditEntry
from domain.errors import DomainError, ErrorCode, NotFound, PermissionDenied, ValidationErrors
from domain.review import queries, service
from domain.review.errors import ReviewCode
from domain.review.models import Score, ScoreSheet, SheetStatus, Stage
from tests.conftest import SqlLog
from tests.factories_leaders import concurrently
from tests.factories_review import Reviewer, ReviewWorld, build_review, full_sheet

pytestmark = pytest.mark.usefixtures("db")


async def _assigned(world: ReviewWorld, seed: int = 1) -> list[tuple[Reviewer, queries.AssignedEntry]]:
    """Draw, and return each reviewer's first assignment."""
    await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=seed)
    mine = []
    for reviewer in world.reviewers:
        assignments = await queries.assignments_of(reviewer.actor, world.panel.id)
        if assignments:
            mine.append((reviewer, assignments[0]))
    return mine


async def _submit(
    world: ReviewWorld, reviewer: Reviewer, assigned: queries.AssignedEntry, score: int = 8
) -> None:
    await service.save_scores(
        actor=reviewer.actor,
        assignment_id=assigned.assignment_id,
        scores=full_sheet(world.rubric, score),
        overall_comment="项目设计完整",
    )
    await service.submit_sheet(actor=reviewer.actor, sheet_id=assigned.sheet_id)


async def test_out_of_range_scores_are_each_refused_at_once_and_nothing_is_saved() -> None:
    # GIVEN a reviewer with a draft holding one saved score
    world = await build_review(reviewers=1, entries=1, reviewers_per_entry=1)
    [(reviewer, assigned)] = await _assigned(world)
    await service.save_scores(
        actor=reviewer.actor, assignment_id=assigned.assignment_id, scores={"need": (5, "一般")}
    )
    # WHEN they save two scores out of the 0–10 range and a criterion the rubric lacks
    bad = {"need": (11, "很好"), "design": (-1, ""), "budget": (7, ""), "beauty": (9, "")}
    with pytest.raises(ValidationErrors) as caught:
        await service.save_scores(
            actor=reviewer.actor, assignment_id=assigned.assignment_id, scores=bad, overall_comment="改了"
        )
    # THEN each is named on its own field, and the sheet is as it was
    assert sorted((e.field[0], e.code) for e in caught.value.errors if e.field) == [
        ("scores.beauty", ReviewCode.UNKNOWN_CRITERION),
        ("scores.design", ReviewCode.SCORE_OUT_OF_RANGE),
        ("scores.need", ReviewCode.SCORE_OUT_OF_RANGE),
    ]
    assert await Score.all().values_list("key", "score") == [("need", 5)]
    assert (await ScoreSheet.get(id=assigned.sheet_id)).overall_comment == ""


async def test_submitting_needs_every_score_and_comment_then_locks_the_sheet() -> None:
    world = await build_review(reviewers=1, entries=1, reviewers_per_entry=1)
    [(reviewer, assigned)] = await _assigned(world)
    # GIVEN a draft with one score lacking its comment, the rest unscored, no overall comment
    await service.save_scores(
        actor=reviewer.actor, assignment_id=assigned.assignment_id, scores={"need": (6, " ")}
    )
    # WHEN they submit, THEN every gap is named
    with pytest.raises(ValidationErrors) as caught:
        await service.submit_sheet(actor=reviewer.actor, sheet_id=assigned.sheet_id)
    fields = {e.field[0] for e in caught.value.errors if e.field}
    assert fields == {"scores.need.comment", "overallComment"} | {
        f"scores.{c.key}" for c in world.rubric.criteria if c.key != "need"
    }
    # WHEN the sheet is complete, THEN it submits and is locked
    await _submit(world, reviewer, assigned)
    sheet = await ScoreSheet.get(id=assigned.sheet_id)
    assert (sheet.status, sheet.submitted_at is not None) == (SheetStatus.SUBMITTED, True)
    with pytest.raises(DomainError) as locked:
        await service.save_scores(
            actor=reviewer.actor, assignment_id=assigned.assignment_id, scores={"need": (1, "x")}
        )
    assert locked.value.code is ReviewCode.SHEET_SUBMITTED
    assert await Score.filter(key="need").values_list("score", flat=True) == [8]
    assert await AuditEntry.filter(action="review.submit_sheet", object_id=str(sheet.id)).count() == 1


async def test_reopening_needs_staff_and_a_reason_and_gives_the_reviewer_a_draft() -> None:
    world = await build_review(reviewers=1, entries=1, reviewers_per_entry=1)
    [(reviewer, assigned)] = await _assigned(world)
    await _submit(world, reviewer, assigned)
    with pytest.raises(PermissionDenied):
        await service.reopen_sheet(actor=reviewer.actor, sheet_id=assigned.sheet_id, reason="想改分")
    with pytest.raises(ValidationErrors) as no_reason:
        await service.reopen_sheet(actor=world.staff, sheet_id=assigned.sheet_id, reason="  ")
    assert no_reason.value.code is ErrorCode.REASON_REQUIRED
    reopened = await service.reopen_sheet(
        actor=world.staff, sheet_id=assigned.sheet_id, reason="评语与分数不符"
    )
    assert (reopened.status, reopened.reopened_reason) == (SheetStatus.DRAFT, "评语与分数不符")
    await service.save_scores(
        actor=reviewer.actor, assignment_id=assigned.assignment_id, scores={"need": (9, "很强")}
    )
    with pytest.raises(DomainError) as draft:
        await service.reopen_sheet(actor=world.staff, sheet_id=assigned.sheet_id, reason="再退")
    assert draft.value.code is ReviewCode.SHEET_NOT_SUBMITTED


async def test_a_reviewer_cannot_score_someone_elses_assignment_nor_staff_score_for_them() -> None:
    world = await build_review(reviewers=2, entries=1, reviewers_per_entry=1)
    [(owner, assigned)] = await _assigned(world)
    other = next(r for r in world.reviewers if r.id != owner.id)
    with pytest.raises(NotFound):
        await service.save_scores(
            actor=other.actor, assignment_id=assigned.assignment_id, scores={"need": (5, "x")}
        )
    with pytest.raises(NotFound):
        await service.submit_sheet(actor=other.actor, sheet_id=assigned.sheet_id)
    with pytest.raises(PermissionDenied):
        await service.save_scores(
            actor=world.staff, assignment_id=assigned.assignment_id, scores={"need": (5, "x")}
        )
    assert await Score.all().count() == 0


async def test_scoring_is_open_only_in_the_assignments_stage() -> None:
    # GIVEN a panel still being set up, with an assignment
    world = await build_review(reviewers=1, entries=1, reviewers_per_entry=1, frozen=False)
    [(reviewer, assigned)] = await _assigned(world)
    scores = full_sheet(world.rubric)
    # THEN scoring waits for the panel to open, and stops when it closes
    with pytest.raises(DomainError) as early:
        await service.save_scores(actor=reviewer.actor, assignment_id=assigned.assignment_id, scores=scores)
    assert early.value.code is ErrorCode.WRONG_STAGE
    await service.freeze_panel(actor=world.staff, panel_id=world.panel.id)
    await service.save_scores(actor=reviewer.actor, assignment_id=assigned.assignment_id, scores=scores)
    await service.advance_stage(actor=world.staff, panel_id=world.panel.id)
    with pytest.raises(DomainError) as late:
        await service.save_scores(actor=reviewer.actor, assignment_id=assigned.assignment_id, scores=scores)
    assert late.value.code is ErrorCode.WRONG_STAGE


async def test_others_scores_stay_hidden_until_ones_own_sheet_is_submitted() -> None:
    # GIVEN two reviewers on one entry, one of whom has submitted
    world = await build_review(reviewers=2, entries=1, reviewers_per_entry=2)
    (first, mine), (second, theirs) = await _assigned(world)
    await _submit(world, first, mine)
    # THEN the one still drafting cannot see others' scores, the one who submitted can, staff can
    entry_id = mine.entry_id
    assert not await queries.can_see_scores_of_others(second.actor, entry_id)
    assert await queries.can_see_scores_of_others(first.actor, entry_id)
    assert await queries.can_see_scores_of_others(world.staff, entry_id)
    with pytest.raises(PermissionDenied):
        await queries.entry_sheets(second.actor, world.panel, entry_id)
    # WHEN the second submits, THEN they can too, and see both submitted sheets
    await _submit(world, second, theirs)
    assert await queries.can_see_scores_of_others(second.actor, entry_id)
    sheets = await queries.entry_sheets(second.actor, world.panel, entry_id)
    assert sorted(cell.reviewer_id for cell in sheets) == sorted([first.id, second.id])
    assert {cell.total for cell in sheets} == {80.0}


@pytest.mark.parametrize("reviewers", [2, 6])
async def test_an_entrys_sheets_cost_three_statements_for_a_reviewer(sql_log: SqlLog, reviewers: int) -> None:
    # GIVEN an entry every reviewer has submitted on
    world = await build_review(reviewers=reviewers, entries=1, reviewers_per_entry=reviewers)
    for reviewer, assigned in await _assigned(world):
        await _submit(world, reviewer, assigned)
    # WHEN one of them reads the entry's sheets
    sql_log.reset()
    sheets = await queries.entry_sheets(world.reviewers[0].actor, world.panel, world.entries[0].id)
    # THEN the check and the read cost three statements, whatever the number of sheets
    assert sql_log.count == 3
    assert len(sheets) == reviewers
    assert all(len(cell.scores) == len(world.rubric.criteria) for cell in sheets)


async def test_submitted_totals_are_weighted_per_reviewer_in_one_statement(sql_log: SqlLog) -> None:
    # GIVEN two entries, three reviewers each; on the first, all submit (scores 10, 5 and 0 of 10),
    # on the second one only saves a draft
    world = await build_review(reviewers=3, entries=2, reviewers_per_entry=3)
    await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=4)
    first, second = world.entries
    for reviewer, score in zip(world.reviewers, (10, 5, 0), strict=True):
        assignments = {a.entry_id: a for a in await queries.assignments_of(reviewer.actor, world.panel.id)}
        await _submit(world, reviewer, assignments[first.id], score)
    draft = {a.entry_id: a for a in await queries.assignments_of(world.reviewers[0].actor, world.panel.id)}
    await service.save_scores(
        actor=world.reviewers[0].actor,
        assignment_id=draft[second.id].assignment_id,
        scores=full_sheet(world.rubric),
    )
    # WHEN the totals are read
    sql_log.reset()
    totals = await queries.submitted_totals(world.panel)
    # THEN one statement gives each submitted sheet's 0–100 total, drafts left out
    assert sql_log.count == 1
    assert totals == {
        first.id: {world.reviewers[0].id: 100.0, world.reviewers[1].id: 50.0, world.reviewers[2].id: 0.0}
    }


@pytest.mark.parametrize("entries", [1, 6])
async def test_the_staff_score_matrix_is_two_statements(sql_log: SqlLog, entries: int) -> None:
    world = await build_review(reviewers=3, entries=entries, reviewers_per_entry=2)
    [(reviewer, assigned), *_] = await _assigned(world)
    await _submit(world, reviewer, assigned, score=6)
    sql_log.reset()
    matrix = await queries.score_matrix(world.staff, world.panel)
    assert sql_log.count == 2
    assert len(matrix) == 2 * entries
    [submitted] = [cell for cell in matrix if cell.status is SheetStatus.SUBMITTED]
    assert (submitted.entry_id, submitted.reviewer_id, submitted.total) == (
        assigned.entry_id,
        reviewer.id,
        60.0,
    )
    assert submitted.comments["need"] == "需求分析较好"
    assert all(cell.total is None and cell.scores == {} for cell in matrix if cell is not submitted)


async def test_simultaneous_submits_of_one_sheet_submit_it_once() -> None:
    # GIVEN a complete draft
    world = await build_review(reviewers=1, entries=1, reviewers_per_entry=1)
    [(reviewer, assigned)] = await _assigned(world)
    await service.save_scores(
        actor=reviewer.actor,
        assignment_id=assigned.assignment_id,
        scores=full_sheet(world.rubric),
        overall_comment="总体良好",
    )
    # WHEN the reviewer's four tabs submit it at the same moment
    run = await concurrently(
        *(lambda: service.submit_sheet(actor=reviewer.actor, sheet_id=assigned.sheet_id) for _ in range(4))
    )
    # THEN one submit succeeds, the others are told the sheet is already submitted, one audit row
    is_postgres = connections.get("default").capabilities.dialect == "postgres"
    assert run.peak > 1 if is_postgres else run.peak == 1
    assert len(run.ok()) == 1
    assert run.errors() == [ReviewCode.SHEET_SUBMITTED] * 3
    sheet = await ScoreSheet.get(id=assigned.sheet_id)
    assert sheet.status is SheetStatus.SUBMITTED
    assert await AuditEntry.filter(action="review.submit_sheet").count() == 1


async def test_the_roadshow_is_scored_on_its_own_sheets_once_written_scoring_ends() -> None:
    # GIVEN a panel with a roadshow, a reviewer who submitted their written sheet
    world = await build_review(reviewers=1, entries=1, reviewers_per_entry=1, roadshow=True)
    [(reviewer, written)] = await _assigned(world)
    await _submit(world, reviewer, written, score=4)
    # WHEN the panel moves to the roadshow and the reviewer is drawn for it
    await service.advance_stage(actor=world.staff, panel_id=world.panel.id)
    await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=1, stage=Stage.ROADSHOW)
    roadshow = next(
        a for a in await queries.assignments_of(reviewer.actor, world.panel.id) if a.stage is Stage.ROADSHOW
    )
    # THEN they score the roadshow sheet, and written scoring is over
    await _submit(world, reviewer, roadshow, score=9)
    with pytest.raises(DomainError) as closed:
        await service.save_scores(actor=reviewer.actor, assignment_id=written.assignment_id, scores={})
    assert closed.value.code is ErrorCode.WRONG_STAGE
    # AND each stage has its own totals
    assert await queries.submitted_totals(world.panel) == {written.entry_id: {reviewer.id: 40.0}}
    assert await queries.submitted_totals(world.panel, Stage.ROADSHOW) == {
        written.entry_id: {reviewer.id: 90.0}
    }
