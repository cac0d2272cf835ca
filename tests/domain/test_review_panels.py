"""Review panels: configuration checked all at once, frozen when scoring opens, the stages, the
expert pool and members, entries, and blind mode hiding the applicant from reviewers only.
Both databases."""

from __future__ import annotations

import pytest

from domain.access import Actor, Grant, Role
from domain.audit.models import AuditEntry
from domain.errors import DomainError, ErrorCode, NotFound, PermissionDenied, ValidationErrors
from domain.review import queries, service
from domain.review.errors import ReviewCode
from domain.review.models import MemberSource, PanelEntry, PanelStage, ReviewPanel, ScoreSheet, SheetStatus
from domain.review.rubric import COMPETITION_RUBRIC, Criterion, Rubric
from domain.review.rules import AggregationRule
from tests.accounts import actor_of, make_user
from tests.factories_review import build_review, make_organisation, panel_input, reload_panel

pytestmark = pytest.mark.usefixtures("db")


async def test_bad_configuration_reports_every_error_at_once_and_creates_nothing() -> None:
    # GIVEN bureau staff
    staff = await actor_of(await make_user("bureau.li", Role.BUREAU_STAFF))
    # WHEN they create a panel with a short title, weights summing to 90 and 0 reviewers per entry
    rubric = Rubric((Criterion("need", "需求", 50), Criterion("design", "设计", 40)))
    bad = panel_input(title="x", rubric=rubric, reviewers_per_entry=0)
    with pytest.raises(ValidationErrors) as caught:
        await service.create_panel(actor=staff, data=bad)
    # THEN each input is named, and no panel exists
    assert sorted(e.field[0] for e in caught.value.errors if e.field) == [
        "reviewersPerEntry",
        "rubric.criteria",
        "title",
    ]
    assert await ReviewPanel.all().count() == 0


async def test_only_bureau_staff_create_panels_and_tokens_need_the_review_scope() -> None:
    reviewer = await actor_of(await make_user("expert.wang", Role.REVIEWER))
    with pytest.raises(PermissionDenied):
        await service.create_panel(actor=reviewer, data=panel_input())
    token = Actor(
        user_id=99, grants=(Grant(Role.BUREAU_STAFF),), token_scopes=frozenset({"read"}), token_id=1
    )
    with pytest.raises(PermissionDenied) as caught:
        await service.create_panel(actor=token, data=panel_input())
    assert "write:funding" in caught.value.message
    # a reviewer's token with only review:funding scores but does not run panels
    staff_reviewing = Actor(
        user_id=99, grants=(Grant(Role.BUREAU_STAFF),), token_scopes=frozenset({"review:funding"}), token_id=1
    )
    with pytest.raises(PermissionDenied):
        await service.create_panel(actor=staff_reviewing, data=panel_input())
    assert await ReviewPanel.all().count() == 0


async def test_the_configuration_changes_until_frozen_then_is_refused_unchanged() -> None:
    # GIVEN a panel still being set up
    world = await build_review(reviewers=1, entries=1, frozen=False)
    # WHEN staff change its rubric and rule
    changed = panel_input(rubric=COMPETITION_RUBRIC, aggregation_rule=AggregationRule.MEDIAN, blind=True)
    await service.update_panel(actor=world.staff, panel_id=world.panel.id, data=changed)
    panel = await reload_panel(world)
    assert (panel.parsed_rubric, panel.aggregation_rule, panel.blind) == (
        COMPETITION_RUBRIC,
        AggregationRule.MEDIAN,
        True,
    )
    # AND they freeze it (written scoring opens)
    frozen = await service.freeze_panel(actor=world.staff, panel_id=world.panel.id)
    assert (frozen.stage, frozen.frozen_at is not None) == (PanelStage.WRITTEN, True)
    # THEN a later change is refused and nothing changes, and it cannot be frozen again
    with pytest.raises(DomainError) as caught:
        await service.update_panel(actor=world.staff, panel_id=world.panel.id, data=panel_input())
    assert caught.value.code is ReviewCode.FROZEN
    assert (await reload_panel(world)).aggregation_rule is AggregationRule.MEDIAN
    with pytest.raises(DomainError) as again:
        await service.freeze_panel(actor=world.staff, panel_id=world.panel.id)
    assert again.value.code is ReviewCode.FROZEN
    actions = await AuditEntry.filter(object_type="ReviewPanel").values_list("action", flat=True)
    assert {"review.create_panel", "review.update_panel", "review.freeze_panel"} <= set(actions)


@pytest.mark.parametrize(
    ("roadshow", "stages"),
    [(False, [PanelStage.CLOSED]), (True, [PanelStage.ROADSHOW, PanelStage.CLOSED])],
)
async def test_the_roadshow_stage_comes_only_on_panels_that_have_one(
    roadshow: bool, stages: list[PanelStage]
) -> None:
    world = await build_review(reviewers=1, entries=1, roadshow=roadshow)
    seen = [(await service.advance_stage(actor=world.staff, panel_id=world.panel.id)).stage for _ in stages]
    assert seen == stages
    with pytest.raises(DomainError) as caught:
        await service.advance_stage(actor=world.staff, panel_id=world.panel.id)
    assert caught.value.code is ErrorCode.WRONG_STAGE


async def test_the_pool_takes_reviewers_only_and_a_panel_takes_pool_experts_or_staff() -> None:
    world = await build_review(reviewers=0, entries=0)
    resident = await make_user("resident.zhao", Role.RESIDENT)
    with pytest.raises(ValidationErrors) as not_reviewer:
        await service.add_expert(actor=world.staff, user_id=resident.id)
    assert not_reviewer.value.code is ReviewCode.NOT_AN_EXPERT
    reviewer = await make_user("expert.qian", Role.REVIEWER)
    with pytest.raises(ValidationErrors) as not_in_pool:
        await service.add_member(
            actor=world.staff, panel_id=world.panel.id, user_id=reviewer.id, source=MemberSource.POOL
        )
    assert not_in_pool.value.code is ReviewCode.NOT_AN_EXPERT
    with pytest.raises(ValidationErrors) as not_staff:
        await service.add_member(
            actor=world.staff, panel_id=world.panel.id, user_id=reviewer.id, source=MemberSource.STAFF
        )
    assert not_staff.value.code is ReviewCode.NOT_AN_EXPERT
    await service.add_expert(actor=world.staff, user_id=reviewer.id)
    await service.add_member(
        actor=world.staff, panel_id=world.panel.id, user_id=reviewer.id, source=MemberSource.POOL
    )
    with pytest.raises(ValidationErrors) as twice:
        await service.add_member(
            actor=world.staff, panel_id=world.panel.id, user_id=reviewer.id, source=MemberSource.POOL
        )
    assert twice.value.code is ReviewCode.ALREADY_MEMBER


async def test_an_entry_needs_its_organisations_and_is_on_a_panel_once() -> None:
    world = await build_review(reviewers=0, entries=1)
    with pytest.raises(ValidationErrors) as caught:
        await service.add_entry(
            actor=world.staff,
            panel_id=world.panel.id,
            subject_id=7,
            title=" ",
            applicant_id=999,
            sponsor_id=998,
        )
    assert sorted(e.field[0] for e in caught.value.errors if e.field) == ["applicantId", "sponsorId", "title"]
    with pytest.raises(ValidationErrors) as twice:
        await service.add_entry(
            actor=world.staff,
            panel_id=world.panel.id,
            subject_id=world.entries[0].subject_id,
            title="同一申报",
            applicant_id=world.organisations[0].id,
        )
    assert twice.value.code is ReviewCode.DUPLICATE_ENTRY
    assert await PanelEntry.filter(panel_id=world.panel.id).count() == 1


async def test_a_withdrawn_entry_loses_its_assignments_and_is_seen_by_no_reviewer() -> None:
    # GIVEN an entry with drawn reviewers
    world = await build_review(reviewers=3, entries=1)
    await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=1)
    reviewer = world.reviewers[0]
    assert len(await queries.assignments_of(reviewer.actor, world.panel.id)) == 1
    # WHEN staff withdraw it (a reason is required)
    with pytest.raises(ValidationErrors):
        await service.withdraw_entry(actor=world.staff, entry_id=world.entries[0].id, reason=" ")
    await service.withdraw_entry(actor=world.staff, entry_id=world.entries[0].id, reason="申报单位撤回")
    # THEN no reviewer has it any more and its sheets are void
    assert await queries.assignments_of(reviewer.actor, world.panel.id) == []
    visible = PanelEntry.filter(queries.visible_entries_filter(reviewer.actor, world.panel.id))
    assert await visible.count() == 0
    matrix = await queries.score_matrix(world.staff, world.panel)
    assert matrix == []
    with pytest.raises(DomainError) as again:
        await service.withdraw_entry(actor=world.staff, entry_id=world.entries[0].id, reason="再次")
    assert again.value.code is ReviewCode.ENTRY_WITHDRAWN
    assert set(await ScoreSheet.all().values_list("status", flat=True)) == {SheetStatus.VOIDED}


@pytest.mark.parametrize("blind", [True, False])
async def test_blind_mode_hides_the_applicant_from_reviewers_but_not_from_staff(blind: bool) -> None:
    # GIVEN a blind (or an open) panel with a drawn reviewer
    world = await build_review(reviewers=1, entries=1, blind=blind)
    await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=3)
    reviewer = world.reviewers[0]
    # WHEN the reviewer lists their assignments
    [assigned] = await queries.assignments_of(reviewer.actor, world.panel.id)
    # THEN the applicant is hidden on the blind panel only, and never from staff
    assert assigned.applicant_id == (None if blind else world.organisations[0].id)
    assert assigned.title == "演示项目0"
    assert queries.applicant_hidden(reviewer.actor, world.panel) is blind
    assert queries.applicant_hidden(world.staff, world.panel) is False


async def test_staff_see_every_entry_and_others_none() -> None:
    world = await build_review(reviewers=2, entries=3)
    staff_view = PanelEntry.filter(queries.visible_entries_filter(world.staff, world.panel.id))
    assert await staff_view.count() == 3
    outsider = await actor_of(await make_user("resident.sun", Role.RESIDENT))
    assert await PanelEntry.filter(queries.visible_entries_filter(outsider, world.panel.id)).count() == 0
    assert (
        await PanelEntry.filter(
            queries.visible_entries_filter(world.reviewers[0].actor, world.panel.id)
        ).count()
        == 0
    )
    with pytest.raises(PermissionDenied):
        await queries.score_matrix(world.reviewers[0].actor, world.panel)


async def test_an_unknown_panel_is_not_found() -> None:
    world = await build_review(reviewers=0, entries=0)
    org = await make_organisation(world.tree, "演示另一机构")
    with pytest.raises(NotFound):
        await service.add_entry(
            actor=world.staff, panel_id=9999, subject_id=1, title="项目", applicant_id=org.id
        )
