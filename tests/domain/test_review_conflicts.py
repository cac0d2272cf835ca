"""Conflicts of interest: declared by the reviewer or by staff, found automatically from an
expert's affiliations and from organisation memberships (ongoing, or ended within three years);
a conflicted reviewer is never drawn nor assigned, loses their assignment and its sheet, and never
sees the entry again. Both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import clock
from domain.clock import years_later
from domain.errors import NotFound, PermissionDenied, ValidationErrors
from domain.organisations.models import MemberRole, OrganisationMember
from domain.review import queries, service
from domain.review.errors import ReviewCode
from domain.review.models import (
    Assignment,
    Conflict,
    ConflictReason,
    ConflictSource,
    PanelEntry,
    ScoreSheet,
    SheetStatus,
)
from tests.factories_review import ReviewWorld, build_review, full_sheet, make_organisation

pytestmark = pytest.mark.usefixtures("db")


async def _drawn_on(world: ReviewWorld, entry_id: int, seed: int) -> set[int]:
    await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=seed)
    rows = await Assignment.filter(entry_id=entry_id, live=True).values_list("reviewer_id")
    return {int(row[0]) for row in rows}


async def _visible(world: ReviewWorld, n: int) -> set[int]:
    actor = world.reviewers[n].actor
    rows = await PanelEntry.filter(queries.visible_entries_filter(actor, world.panel.id)).values_list("id")
    return {int(row[0]) for row in rows}


async def test_a_declared_conflict_is_never_drawn() -> None:
    # GIVEN three experts and an entry needing all three, one of whom staff recorded as conflicted
    world = await build_review(reviewers=3, entries=2, reviewers_per_entry=3)
    conflicted, entry = world.reviewers[1], world.entries[0]
    conflict = await service.declare_conflict(
        actor=world.staff, entry_id=entry.id, reviewer_id=conflicted.id, reason=ConflictReason.FAMILY
    )
    assert conflict.source is ConflictSource.STAFF
    # WHEN staff draw
    result = await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=11)
    # THEN the conflicted expert is on the other entry but not on this one, which stays one short
    on_entry = {a.reviewer_id for a in result.assignments if a.entry_id == entry.id}
    assert on_entry == {world.reviewers[0].id, world.reviewers[2].id}
    assert result.short == {entry.id: 1}
    assert conflicted.id in {a.reviewer_id for a in result.assignments if a.entry_id == world.entries[1].id}
    # AND staff cannot assign them by hand either
    with pytest.raises(ValidationErrors) as caught:
        await service.assign_reviewer(actor=world.staff, entry_id=entry.id, reviewer_id=conflicted.id)
    assert caught.value.code is ReviewCode.CONFLICTED
    assert "亲属关系" in caught.value.message


@pytest.mark.parametrize(
    ("ended_years_ago", "reason"),
    [
        (None, ConflictReason.SAME_ORGANISATION),
        (2, ConflictReason.FORMER_EMPLOYMENT),
        (4, None),
    ],
)
async def test_an_affiliation_with_the_applicant_conflicts_while_ongoing_or_ended_within_three_years(
    ended_years_ago: int | None, reason: ConflictReason | None
) -> None:
    # GIVEN an expert who worked for the applicant, until some years ago (or still does)
    world = await build_review(reviewers=3, entries=1, reviewers_per_entry=3)
    expert, entry = world.reviewers[0], world.entries[0]
    today = clock.today()
    ended = years_later(today, -ended_years_ago) if ended_years_ago is not None else None
    await service.add_affiliation(
        actor=world.staff,
        expert_id=expert.expert_id,
        organisation_id=entry.applicant_id,
        role="项目主管",
        started_on=years_later(today, -8),
        ended_on=ended,
    )
    # WHEN staff draw every member onto the entry
    drawn = await _drawn_on(world, entry.id, seed=3)
    # THEN the expert is left out exactly when the role is recent, and the conflict is recorded
    assert (expert.id not in drawn) is (reason is not None)
    recorded = await Conflict.filter(entry_id=entry.id, reviewer_id=expert.id).values_list("reason", "source")
    assert recorded == ([(reason, ConflictSource.AUTOMATIC)] if reason else [])


async def test_a_sponsor_role_and_an_organisation_membership_conflict_too() -> None:
    # GIVEN an entry with a sponsoring platform, an expert on its staff, and another expert who is
    # (as a person) a member of the applicant
    world = await build_review(reviewers=3, entries=0, reviewers_per_entry=3, frozen=False)
    applicant = await make_organisation(world.tree, "演示互助会")
    sponsor = await make_organisation(world.tree, "演示社会组织服务平台")
    entry = await service.add_entry(
        actor=world.staff,
        panel_id=world.panel.id,
        subject_id=1,
        title="邻里互助",
        applicant_id=applicant.id,
        sponsor_id=sponsor.id,
    )
    await service.freeze_panel(actor=world.staff, panel_id=world.panel.id)
    await service.add_affiliation(
        actor=world.staff, expert_id=world.reviewers[0].expert_id, organisation_id=sponsor.id
    )
    await OrganisationMember.create(
        organisation_id=applicant.id,
        person_id=world.reviewers[1].user.person_id,
        role=MemberRole.MEMBER,
        started_on=clock.today() - timedelta(days=400),
    )
    # WHEN staff draw
    drawn = await _drawn_on(world, entry.id, seed=1)
    # THEN only the third expert scores it
    assert drawn == {world.reviewers[2].id}
    reasons = dict(await Conflict.filter(entry_id=entry.id).values_list("reviewer_id", "reason"))
    assert reasons == {
        world.reviewers[0].id: ConflictReason.SPONSOR,
        world.reviewers[1].id: ConflictReason.SAME_ORGANISATION,
    }


async def test_an_automatically_conflicted_expert_cannot_be_assigned_by_hand() -> None:
    world = await build_review(reviewers=1, entries=1)
    expert, entry = world.reviewers[0], world.entries[0]
    await service.add_affiliation(
        actor=world.staff, expert_id=expert.expert_id, organisation_id=entry.applicant_id
    )
    with pytest.raises(ValidationErrors) as caught:
        await service.assign_reviewer(actor=world.staff, entry_id=entry.id, reviewer_id=expert.id)
    assert caught.value.code is ReviewCode.CONFLICTED
    assert await Assignment.all().count() == 0


async def test_a_reviewer_declaring_a_conflict_loses_the_entry_and_their_submitted_sheet_is_voided() -> None:
    # GIVEN a reviewer who submitted a sheet on one of their two entries
    world = await build_review(reviewers=1, entries=2, reviewers_per_entry=1)
    await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=2)
    reviewer = world.reviewers[0]
    first, second = await queries.assignments_of(reviewer.actor, world.panel.id)
    await service.save_scores(
        actor=reviewer.actor,
        assignment_id=first.assignment_id,
        scores=full_sheet(world.rubric),
        overall_comment="好",
    )
    await service.submit_sheet(actor=reviewer.actor, sheet_id=first.sheet_id)
    assert first.entry_id in await queries.submitted_totals(world.panel)
    # WHEN the reviewer declares a conflict with that entry
    conflict = await service.declare_conflict(
        actor=reviewer.actor, entry_id=first.entry_id, reason=ConflictReason.OTHER, note="曾为该项目提供咨询"
    )
    # THEN it is recorded as theirs, the assignment is cancelled, the sheet void and uncounted
    assert (conflict.source, conflict.declared_by_id) == (ConflictSource.SELF, reviewer.id)
    cancelled = await Assignment.get(id=first.assignment_id)
    assert (cancelled.live, cancelled.cancel_reason) == (None, "利益冲突：其他")
    assert (await ScoreSheet.get(id=first.sheet_id)).status is SheetStatus.VOIDED
    assert await queries.submitted_totals(world.panel) == {}
    # AND the entry is gone from everything the reviewer sees
    assert [a.entry_id for a in await queries.assignments_of(reviewer.actor, world.panel.id)] == [
        second.entry_id
    ]
    assert await _visible(world, 0) == {second.entry_id}
    assert not await queries.can_see_scores_of_others(reviewer.actor, first.entry_id)
    # AND saving on the old assignment is refused
    with pytest.raises(NotFound):
        await service.save_scores(actor=reviewer.actor, assignment_id=first.assignment_id, scores={})


async def test_a_conflict_recorded_alone_hides_the_entry_even_from_a_live_assignment() -> None:
    # GIVEN a reviewer who submitted a sheet on an entry, and a conflict row written without the
    # service (as a later data fix might)
    world = await build_review(reviewers=1, entries=1)
    reviewer, entry = world.reviewers[0], world.entries[0]
    assignment = await service.assign_reviewer(actor=world.staff, entry_id=entry.id, reviewer_id=reviewer.id)
    sheet = await service.save_scores(
        actor=reviewer.actor,
        assignment_id=assignment.id,
        scores=full_sheet(world.rubric),
        overall_comment="好",
    )
    await service.submit_sheet(actor=reviewer.actor, sheet_id=sheet.id)
    assert await queries.can_see_scores_of_others(reviewer.actor, entry.id)
    await Conflict.create(
        panel_id=world.panel.id,
        entry_id=entry.id,
        reviewer_id=reviewer.id,
        reason=ConflictReason.FAMILY,
        source=ConflictSource.STAFF,
    )
    # THEN visibility alone already excludes the entry
    assert await _visible(world, 0) == set()
    assert await queries.assignments_of(reviewer.actor, world.panel.id) == []
    assert not await queries.can_see_scores_of_others(reviewer.actor, entry.id)


async def test_a_reviewer_declares_only_for_themself_and_only_on_entries_they_see() -> None:
    world = await build_review(reviewers=2, entries=2, reviewers_per_entry=1)
    reviewer, other = world.reviewers
    await service.assign_reviewer(actor=world.staff, entry_id=world.entries[0].id, reviewer_id=reviewer.id)
    with pytest.raises(PermissionDenied):
        await service.declare_conflict(
            actor=reviewer.actor,
            entry_id=world.entries[0].id,
            reviewer_id=other.id,
            reason=ConflictReason.FAMILY,
        )
    with pytest.raises(NotFound):
        await service.declare_conflict(
            actor=reviewer.actor, entry_id=world.entries[1].id, reason=ConflictReason.FAMILY
        )
    with pytest.raises(ValidationErrors) as no_note:
        await service.declare_conflict(
            actor=reviewer.actor, entry_id=world.entries[0].id, reason=ConflictReason.OTHER
        )
    assert no_note.value.field == ["note"]
    assert await Conflict.all().count() == 0


async def test_a_conflict_is_recorded_once() -> None:
    world = await build_review(reviewers=1, entries=1)
    reviewer, entry = world.reviewers[0], world.entries[0]
    await service.declare_conflict(
        actor=world.staff, entry_id=entry.id, reviewer_id=reviewer.id, reason=ConflictReason.FAMILY
    )
    with pytest.raises(ValidationErrors) as caught:
        await service.declare_conflict(
            actor=world.staff, entry_id=entry.id, reviewer_id=reviewer.id, reason=ConflictReason.SPONSOR
        )
    assert caught.value.code is ReviewCode.ALREADY_DECLARED
    with pytest.raises(ValidationErrors) as unknown:
        await service.declare_conflict(
            actor=world.staff, entry_id=entry.id, reviewer_id=99999, reason=ConflictReason.OTHER
        )
    assert sorted(e.field[0] for e in unknown.value.errors if e.field) == ["note", "reviewerId"]
    assert await Conflict.all().count() == 1
