"""Shared steps of the review panels' page tests: a panel with every reviewer on every entry, and
sheets scored and submitted through the review service."""

from __future__ import annotations

from domain.review import queries, service
from domain.review.models import Assignment, ScoreSheet
from tests.factories_review import Reviewer, ReviewWorld, build_review, full_sheet


async def drawn_world(*, reviewers: int = 3, entries: int = 2, seed: int = 7, **panel: object) -> ReviewWorld:
    """A frozen panel whose every reviewer is drawn onto every entry."""
    world = await build_review(reviewers=reviewers, entries=entries, reviewers_per_entry=reviewers, **panel)
    await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=seed)
    return world


async def assignment_of(world: ReviewWorld, reviewer: Reviewer, entry_index: int = 0) -> Assignment:
    return await Assignment.get(reviewer_id=reviewer.id, entry_id=world.entries[entry_index].id, live=True)


async def submit(world: ReviewWorld, reviewer: Reviewer, entry_index: int, score: int) -> ScoreSheet:
    """The reviewer scores every criterion `score` (a weighted total of 10 × score) and submits."""
    assignment = await assignment_of(world, reviewer, entry_index)
    await service.save_scores(
        actor=reviewer.actor,
        assignment_id=assignment.id,
        scores=full_sheet(world.rubric, score),
        overall_comment="总体可行",
    )
    sheet = await ScoreSheet.get(assignment_id=assignment.id)
    return await service.submit_sheet(actor=reviewer.actor, sheet_id=sheet.id)


async def live_pairs(world: ReviewWorld) -> list[tuple[int, int]]:
    """(entry index, reviewer index) of every live assignment, in order."""
    entry_index = {e.id: n for n, e in enumerate(world.entries)}
    reviewer_index = {r.id: n for n, r in enumerate(world.reviewers)}
    cells = await queries.board(world.staff, world.panel.id)
    return sorted((entry_index[c.entry_id], reviewer_index[c.reviewer_id]) for c in cells)
