"""Drawing and assigning reviewers: the draw is reproducible from its seed and recorded, balances
the load, tops up only what is missing and is for bureau staff only; staff assign members by hand,
never twice; a reviewer's own list costs one statement. Both databases."""

from __future__ import annotations

from collections import Counter

import pytest

from domain.audit.models import AuditEntry
from domain.errors import DomainError, ErrorCode, PermissionDenied, ValidationErrors
from domain.review import queries, service
from domain.review.draw import plan_draw
from domain.review.errors import ReviewCode
from domain.review.models import Assignment, AssignMethod, Stage
from tests.accounts import make_user
from tests.conftest import SqlLog
from tests.factories_review import ReviewWorld, build_review

pytestmark = pytest.mark.usefixtures("db")


async def _live_pairs(world: ReviewWorld) -> list[tuple[int, int]]:
    rows = (
        await Assignment.filter(panel_id=world.panel.id, live=True)
        .order_by("id")
        .values_list("entry_id", "reviewer_id")
    )
    return [(int(e), int(u)) for e, u in rows]


async def _unassign_all(world: ReviewWorld) -> None:
    for assignment in await Assignment.filter(panel_id=world.panel.id, live=True):
        await service.unassign(actor=world.staff, assignment_id=assignment.id, reason="重新抽取")


async def test_the_same_seed_draws_the_same_reviewers_and_another_seed_others() -> None:
    # GIVEN a panel of 8 experts and 5 entries, 3 reviewers each
    world = await build_review(reviewers=8, entries=5)
    # WHEN staff draw with seed 20261205, cancel everything and draw again with the same seed
    result = await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=20261205)
    first = await _live_pairs(world)
    await _unassign_all(world)
    await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=20261205)
    again = await _live_pairs(world)
    await _unassign_all(world)
    await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=7)
    other = await _live_pairs(world)
    # THEN the same seed gives the same draw, another seed another one
    assert len(first) == 15
    assert result.short == {}
    assert again == first
    assert other != first
    # AND each assignment records how it was made and with which seed, the draw is audited
    assert {(a.method, a.draw_seed) for a in result.assignments} == {(AssignMethod.DRAWN, 20261205)}
    audits = await AuditEntry.filter(action="review.draw").order_by("seq").values_list("summary", flat=True)
    assert [a["seed"] for a in audits] == [20261205, 20261205, 7]  # type: ignore[index]


def test_the_plan_depends_only_on_the_seed_and_the_data() -> None:
    entries, members = [11, 12, 13, 14], [5, 3, 9, 7, 1]
    plans = {seed: plan_draw(entries, members, [], set(), 2, seed) for seed in (1, 2)}
    assert plan_draw(entries, list(reversed(members)), [], set(), 2, 1) == plans[1]
    assert plans[1] != plans[2]


@pytest.mark.parametrize(("reviewers", "entries", "per_entry"), [(7, 5, 3), (4, 9, 3), (10, 3, 5)])
async def test_the_draw_balances_the_load_and_fills_every_entry_with_distinct_reviewers(
    reviewers: int, entries: int, per_entry: int
) -> None:
    world = await build_review(reviewers=reviewers, entries=entries, reviewers_per_entry=per_entry)
    await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=42)
    pairs = await _live_pairs(world)
    per_reviewer = Counter(u for _, u in pairs)
    loads = [per_reviewer[r.id] for r in world.reviewers]
    assert max(loads) - min(loads) <= 1
    by_entry = Counter(e for e, _ in pairs)
    assert all(by_entry[e.id] == per_entry for e in world.entries)
    assert len(set(pairs)) == len(pairs)


async def test_a_second_draw_tops_up_only_what_is_missing_and_prefers_the_least_loaded() -> None:
    # GIVEN an entry one reviewer was assigned to by hand
    world = await build_review(reviewers=4, entries=2, reviewers_per_entry=2)
    hand = world.reviewers[0]
    assignment = await service.assign_reviewer(
        actor=world.staff, entry_id=world.entries[0].id, reviewer_id=hand.id
    )
    assert (assignment.method, assignment.draw_seed) == (AssignMethod.ASSIGNED, None)
    # WHEN staff draw
    result = await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=5)
    # THEN the first entry gets one more, the second two, never the already loaded reviewer
    drawn = Counter(a.entry_id for a in result.assignments)
    assert drawn == {world.entries[0].id: 1, world.entries[1].id: 2}
    assert hand.id not in {a.reviewer_id for a in result.assignments}
    # AND a further draw finds nothing to do
    assert (
        await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=6)
    ).assignments == []


async def test_a_short_panel_reports_how_many_reviewers_are_missing() -> None:
    world = await build_review(reviewers=2, entries=1, reviewers_per_entry=3)
    result = await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=1)
    assert result.short == {world.entries[0].id: 1}


async def test_only_bureau_staff_draw_and_assign() -> None:
    world = await build_review(reviewers=2, entries=1)
    reviewer = world.reviewers[0]
    with pytest.raises(PermissionDenied):
        await service.draw_reviewers(actor=reviewer.actor, panel_id=world.panel.id, seed=1)
    with pytest.raises(PermissionDenied):
        await service.assign_reviewer(
            actor=reviewer.actor, entry_id=world.entries[0].id, reviewer_id=reviewer.id
        )
    with pytest.raises(ValidationErrors) as bad_seed:
        await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=-1)
    assert bad_seed.value.field == ["seed"]
    assert await Assignment.all().count() == 0


async def test_staff_assign_members_only_and_never_twice() -> None:
    world = await build_review(reviewers=1, entries=1)
    outsider = await make_user("expert.outside")
    entry = world.entries[0]
    with pytest.raises(ValidationErrors) as not_member:
        await service.assign_reviewer(actor=world.staff, entry_id=entry.id, reviewer_id=outsider.id)
    assert not_member.value.code is ReviewCode.NOT_A_MEMBER
    member = world.reviewers[0]
    await service.assign_reviewer(actor=world.staff, entry_id=entry.id, reviewer_id=member.id)
    with pytest.raises(ValidationErrors) as twice:
        await service.assign_reviewer(actor=world.staff, entry_id=entry.id, reviewer_id=member.id)
    assert twice.value.code is ReviewCode.ALREADY_ASSIGNED
    assert await Assignment.filter(entry_id=entry.id).count() == 1


async def test_an_unassigned_reviewer_can_be_assigned_again_and_the_history_stays() -> None:
    world = await build_review(reviewers=1, entries=1)
    entry, member = world.entries[0], world.reviewers[0]
    first = await service.assign_reviewer(actor=world.staff, entry_id=entry.id, reviewer_id=member.id)
    with pytest.raises(ValidationErrors):
        await service.unassign(actor=world.staff, assignment_id=first.id, reason="")
    cancelled = await service.unassign(actor=world.staff, assignment_id=first.id, reason="专家临时出差")
    assert (cancelled.live, cancelled.cancel_reason) == (None, "专家临时出差")
    await service.assign_reviewer(actor=world.staff, entry_id=entry.id, reviewer_id=member.id)
    assert await Assignment.filter(entry_id=entry.id).count() == 2
    assert len(await queries.assignments_of(member.actor, world.panel.id)) == 1


async def test_a_roadshow_assignment_needs_a_panel_with_a_roadshow() -> None:
    world = await build_review(reviewers=1, entries=1)
    with pytest.raises(DomainError) as caught:
        await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=1, stage=Stage.ROADSHOW)
    assert caught.value.code is ErrorCode.WRONG_STAGE


@pytest.mark.parametrize("entries", [2, 12])
async def test_a_reviewers_assignments_are_one_statement(sql_log: SqlLog, entries: int) -> None:
    # GIVEN a reviewer drawn onto every entry
    world = await build_review(reviewers=2, entries=entries, reviewers_per_entry=2)
    await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=9)
    reviewer = world.reviewers[1]
    # WHEN they list their assignments
    sql_log.reset()
    mine = await queries.assignments_of(reviewer.actor, world.panel.id)
    # THEN one statement, whatever their number
    assert sql_log.count == 1
    assert [a.entry_id for a in mine] == [e.id for e in world.entries]
