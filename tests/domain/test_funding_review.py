"""A funding round scored on its review panel: configuration frozen with the round, eligible
applications on the panel, the ranking under the round's rule (against hand-computed figures),
withdrawal, publicity by working days and objections before the awards become final. Both
databases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain import clock
from domain.errors import DomainError, ErrorCode, ValidationErrors
from domain.funding import allocation, applications, rounds
from domain.funding import review as funding_review
from domain.funding.errors import FundingCode
from domain.funding.models import Application, ApplicationEvent, AppStatus, FundingRound, RoundStage
from domain.review import objections
from domain.review import service as review_service
from domain.review.errors import ReviewCode
from domain.review.models import (
    Assignment,
    MemberSource,
    ObjectionStatus,
    PanelEntry,
    PanelStage,
    ReviewPanel,
    ScoreSheet,
    SheetStatus,
    Stage,
)
from domain.review.rubric import FUNDING_RUBRIC, Criterion, Rubric
from domain.review.rules import AggregationRule
from tests.accounts import actor_of, make_user
from tests.factories import build_tree
from tests.factories_funding import (
    CLERK,
    TODAY,
    close_review,
    open_round,
    organiser,
    publicity_over,
    registered_org,
    round_input,
    submitted,
    to_review,
)
from tests.factories_review import Reviewer, full_sheet, make_reviewer

pytestmark = pytest.mark.usefixtures("db", "funding_clerks")


async def test_the_rounds_review_configuration_is_its_panels_and_freezes_with_it() -> None:
    # GIVEN a draft round, blind, scored by the median
    funding_round = await rounds.create_round(
        actor=CLERK, data=round_input(blind=True, aggregation_rule=AggregationRule.MEDIAN)
    )
    panel = await ReviewPanel.get(id=funding_round.panel_id)
    assert (panel.blind, panel.aggregation_rule, panel.parsed_rubric) == (True, "MEDIAN", FUNDING_RUBRIC)
    # WHEN staff change the rule before the call opens, THEN the panel follows
    await rounds.update_round(actor=CLERK, round_id=funding_round.id, data=round_input(blind=False))
    panel = await ReviewPanel.get(id=funding_round.panel_id)
    assert (panel.blind, panel.aggregation_rule) == (False, "TRIMMED_MEAN")
    # WHEN the call has opened, THEN changing the rule is refused and nothing changes
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.OPEN)
    with pytest.raises(DomainError) as caught:
        await rounds.update_round(
            actor=CLERK, round_id=funding_round.id, data=round_input(aggregation_rule=AggregationRule.Z_SCORE)
        )
    assert caught.value.code is FundingCode.ROUND_FROZEN
    assert (await ReviewPanel.get(id=funding_round.panel_id)).aggregation_rule == "TRIMMED_MEAN"


async def test_a_bad_rubric_is_refused_with_the_rounds_other_errors() -> None:
    lopsided = Rubric((Criterion("need", "需求分析", 60), Criterion("plan", "项目设计", 30)))
    with pytest.raises(ValidationErrors) as caught:
        await rounds.create_round(actor=CLERK, data=round_input(title="", rubric=lopsided))
    assert {(str(e.code), (e.field or [""])[0]) for e in caught.value.errors} >= {
        ("INVALID_LENGTH", "title"),
        ("INVALID_RUBRIC", "rubric.criteria"),
    }
    assert await FundingRound.all().count() == 0
    assert await ReviewPanel.all().count() == 0


async def _panel_of_three(funding_round: FundingRound) -> list[Reviewer]:
    reviewers = [await make_reviewer(CLERK, f"expert.{n}") for n in range(3)]
    for reviewer in reviewers:
        await review_service.add_member(
            actor=CLERK, panel_id=funding_round.panel_id, user_id=reviewer.id, source=MemberSource.POOL
        )
    return reviewers


async def _score(reviewer: Reviewer, entry_id: int, score: int) -> None:
    """The reviewer gives `score` on every criterion: a weighted total of score x 10 (range 0–10)."""
    assignment = await Assignment.get(entry_id=entry_id, reviewer_id=reviewer.id, live=True)
    sheet = await review_service.save_scores(
        actor=reviewer.actor,
        assignment_id=assignment.id,
        scores=full_sheet(FUNDING_RUBRIC, score),
        overall_comment="总体可行",
    )
    await review_service.submit_sheet(actor=reviewer.actor, sheet_id=sheet.id)


async def test_eligible_applications_are_scored_on_the_panel_and_ranked_by_the_rounds_rule() -> None:
    # GIVEN a round with three eligible applications and one left unconfirmed, three reviewers,
    # the median rule (fewer than five reviewers), and a pool for two of them
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(max_applications_per_org=4, pool_fen=80_000_00, cap_fen=40_000_00)
    made = [
        await submitted(tree, funding_round, org, project_name=name, grant=40_000_00, matching=40_000_00)
        for name in ("甲项目", "乙项目", "丙项目", "丁项目")
    ]
    reviewers = await _panel_of_three(funding_round)
    await to_review(funding_round, made[:3])
    # THEN the eligible three are on the panel, in review; the unconfirmed one is not
    entries = {e.subject_id: e.id for e in await PanelEntry.filter(panel_id=funding_round.panel_id)}
    assert set(entries) == {a.id for a in made[:3]}
    statuses = [(await Application.get(id=a.id)).status for a in made]
    assert statuses == [AppStatus.IN_REVIEW] * 3 + [AppStatus.SUBMITTED]
    # WHEN every reviewer is drawn on every application and scores
    await review_service.draw_reviewers(actor=CLERK, panel_id=funding_round.panel_id, seed=7)
    scores = {made[0].id: (8, 9, 7), made[1].id: (6, 6, 9), made[2].id: (9, 9, 9)}
    for application_id, given in scores.items():
        for reviewer, score in zip(reviewers, given, strict=True):
            await _score(reviewer, entries[application_id], score)
    assert (await close_review(funding_round)).stage is PanelStage.CLOSED
    # THEN the medians, by hand: 甲 80 (70, 80, 90), 乙 60 (60, 60, 90), 丙 90 — so 丙, 甲, 乙
    results = await funding_review.results(await FundingRound.get(id=funding_round.id))
    medians = {results.application_of[e.entry_id]: e.aggregate for e in results.result.entries}
    assert medians == {made[0].id: 80.0, made[1].id: 60.0, made[2].id: 90.0}
    ranking = await funding_review.ranking(await FundingRound.get(id=funding_round.id))
    assert ranking == [made[2].id, made[0].id, made[1].id]
    # AND allocating that ranking funds the best two within the pool, the third waitlisted
    outcome = await allocation.allocate(actor=CLERK, round_id=funding_round.id, ranking=ranking)
    assert (outcome.recommended, outcome.waitlisted, outcome.left_fen) == (
        [made[2].id, made[0].id],
        [made[1].id],
        0,
    )


async def test_an_application_withdrawn_in_review_leaves_the_panel_and_its_sheets_are_void() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(max_applications_per_org=2)
    made = [await submitted(tree, funding_round, org, project_name=n) for n in ("甲项目", "乙项目")]
    reviewers = await _panel_of_three(funding_round)
    await to_review(funding_round, made)
    await review_service.draw_reviewers(actor=CLERK, panel_id=funding_round.panel_id, seed=1)
    gone = await PanelEntry.get(subject_id=made[0].id)
    await _score(reviewers[0], gone.id, 9)
    # WHEN the applicant withdraws the first during review
    await applications.withdraw(actor=organiser(org), application_id=made[0].id, reason="负责人调离")
    # THEN its entry is withdrawn, its sheets voided, and it is in no ranking
    assert (await PanelEntry.get(id=gone.id)).withdrawn
    sheets = await ScoreSheet.filter(assignment__entry_id=gone.id).values_list("status", flat=True)
    assert set(sheets) == {SheetStatus.VOIDED}
    await close_review(funding_round)
    assert made[0].id not in await funding_review.ranking(await FundingRound.get(id=funding_round.id))


def _working_days_from(start: date, n: int) -> date:
    """The n-th weekday on or after `start` (the test database holds no holidays)."""
    day, counted = start, 0
    while True:
        if day.weekday() < 5:
            counted += 1
            if counted == n:
                return day
        day += timedelta(days=1)


async def test_results_are_publicised_for_working_days_and_final_only_when_objections_are_answered() -> None:
    # GIVEN a reviewed round with one award
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(publicity_days=7)
    application = await submitted(tree, funding_round, org)
    await to_review(funding_round, [application])
    await close_review(funding_round)
    await allocation.award(actor=CLERK, application_id=application.id, amount_fen=30_000_00, reason="核定")
    # WHEN the results are publicised
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.RESULTS_PUBLICIZED)
    # THEN for seven working days from today, weekends skipped, with the award on it
    panel = await ReviewPanel.get(id=funding_round.panel_id)
    today = clock.today()
    assert panel.publicity_starts_on == _working_days_from(today, 1)
    assert panel.publicity_ends_on == _working_days_from(today, 7)
    assert (await Application.get(id=application.id)).status is AppStatus.PUBLICIZING
    # AND a resident objects in writing under their real name (bad input first: all errors at once)
    resident = await actor_of(await make_user("resident.objector"))
    entry = await PanelEntry.get(subject_id=application.id)
    with pytest.raises(ValidationErrors) as caught:
        await objections.lodge_objection(
            actor=resident,
            panel_id=panel.id,
            entry_id=entry.id,
            name=" ",
            mobile="123",
            text="短",
            today=today,
        )
    assert {(e.field or [""])[0] for e in caught.value.errors} == {"name", "mobile", "text"}
    objection = await objections.lodge_objection(
        actor=resident,
        panel_id=panel.id,
        entry_id=entry.id,
        name="王建华",
        mobile="13912345678",
        text="该项目的配套资金来源不清楚，请核实后再立项。",
        today=publicity_day(panel),
    )
    # WHEN the period is over but the objection is still open, THEN the awards are not final
    await ReviewPanel.filter(id=panel.id).update(
        publicity_starts_on=TODAY - timedelta(days=20), publicity_ends_on=TODAY - timedelta(days=12)
    )
    with pytest.raises(DomainError) as caught_open:
        await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.AWARDED)
    assert caught_open.value.code is ReviewCode.OPEN_OBJECTIONS
    assert (await Application.get(id=application.id)).status is AppStatus.PUBLICIZING
    # WHEN staff answer it in writing, THEN the round is awarded and the project approved
    answered = await objections.resolve_objection(
        actor=CLERK,
        objection_id=objection.id,
        upheld=False,
        answer="经核实，配套资金由机构自筹，已提供证明。",
    )
    assert answered.status is ObjectionStatus.DISMISSED
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.AWARDED)
    assert (await Application.get(id=application.id)).status is AppStatus.APPROVED


def publicity_day(panel: ReviewPanel) -> date:
    assert panel.publicity_starts_on is not None
    return panel.publicity_starts_on


async def test_objections_are_taken_only_during_the_publicity_period() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round()
    application = await submitted(tree, funding_round, org)
    await to_review(funding_round, [application])
    await close_review(funding_round)
    resident = await actor_of(await make_user("resident.objector"))
    lodge = {
        "actor": resident,
        "panel_id": funding_round.panel_id,
        "entry_id": None,
        "name": "王建华",
        "mobile": "13912345678",
        "text": "评审过程中有专家与申报机构存在关联，请复核。",
    }
    # before the results are publicised
    with pytest.raises(DomainError) as caught:
        await objections.lodge_objection(**lodge, today=TODAY)  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.WRONG_STAGE
    await publicity_over(funding_round)
    # and after the period
    with pytest.raises(DomainError) as caught:
        await objections.lodge_objection(**lodge, today=TODAY)  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.WRONG_STAGE
    assert not await objections.open_objections(funding_round.panel_id)


async def _score_stage(reviewer: Reviewer, entry_id: int, stage: Stage, score: int) -> None:
    assignment = await Assignment.get(entry_id=entry_id, reviewer_id=reviewer.id, stage=stage, live=True)
    sheet = await review_service.save_scores(
        actor=reviewer.actor,
        assignment_id=assignment.id,
        scores=full_sheet(FUNDING_RUBRIC, score),
        overall_comment="路演表现" if stage is Stage.ROADSHOW else "书面材料",
    )
    await review_service.submit_sheet(actor=reviewer.actor, sheet_id=sheet.id)


async def test_a_round_with_a_roadshow_is_ranked_by_the_roadshow_scores() -> None:
    # GIVEN a round with a roadshow (答辩), three reviewers (the median), a pool for one project
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(
        roadshow=True,
        reviewers_per_entry=3,
        max_applications_per_org=2,
        pool_fen=40_000_00,
        cap_fen=40_000_00,
    )
    made = [
        await submitted(tree, funding_round, org, project_name=name, grant=40_000_00, matching=40_000_00)
        for name in ("甲项目", "乙项目")
    ]
    reviewers = await _panel_of_three(funding_round)
    await to_review(funding_round, made)
    entries = {e.subject_id: e.id for e in await PanelEntry.filter(panel_id=funding_round.panel_id)}
    # WHEN the written review puts 甲 first (90 against 70) and staff end it
    await review_service.draw_reviewers(actor=CLERK, panel_id=funding_round.panel_id, seed=3)
    for reviewer in reviewers:
        await _score_stage(reviewer, entries[made[0].id], Stage.WRITTEN, 9)
        await _score_stage(reviewer, entries[made[1].id], Stage.WRITTEN, 7)
    panel = await funding_review.finish_review(actor=CLERK, round_id=funding_round.id)
    # THEN the panel is at the roadshow, the applications still in review, written scoring over
    assert panel.stage is PanelStage.ROADSHOW
    assert {(await Application.get(id=a.id)).status for a in made} == {AppStatus.IN_REVIEW}
    with pytest.raises(DomainError) as caught:
        await _score_stage(reviewers[0], entries[made[0].id], Stage.WRITTEN, 5)
    assert caught.value.code is ErrorCode.WRONG_STAGE
    # WHEN the panel scores the roadshow the other way round (乙 85, 甲 60) and staff end it
    await review_service.draw_reviewers(
        actor=CLERK, panel_id=funding_round.panel_id, seed=4, stage=Stage.ROADSHOW
    )
    for reviewer, (first, second) in zip(reviewers, ((6, 8), (6, 9), (5, 8)), strict=True):
        await _score_stage(reviewer, entries[made[0].id], Stage.ROADSHOW, first)
        await _score_stage(reviewer, entries[made[1].id], Stage.ROADSHOW, second)
    assert (
        await funding_review.finish_review(actor=CLERK, round_id=funding_round.id)
    ).stage is PanelStage.CLOSED
    # THEN both are reviewed, ranked by the roadshow's medians (乙 80, 甲 60), not the written
    assert {(await Application.get(id=a.id)).status for a in made} == {AppStatus.REVIEWED}
    results = await funding_review.results(await FundingRound.get(id=funding_round.id))
    medians = {results.application_of[e.entry_id]: e.aggregate for e in results.result.entries}
    assert medians == {made[0].id: 60.0, made[1].id: 80.0}
    ranking = await funding_review.ranking(await FundingRound.get(id=funding_round.id))
    assert ranking == [made[1].id, made[0].id]
    # AND the pool funds 乙, 甲 waitlisted; publicity and the award follow as without a roadshow
    outcome = await allocation.allocate(actor=CLERK, round_id=funding_round.id, ranking=ranking)
    assert (outcome.recommended, outcome.waitlisted) == ([made[1].id], [made[0].id])
    await publicity_over(funding_round)
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.AWARDED)
    assert [(await Application.get(id=a.id)).status for a in made] == [
        AppStatus.WAITLISTED,
        AppStatus.APPROVED,
    ]
    # AND a third finish is refused: the review is over
    with pytest.raises(DomainError) as caught:
        await funding_review.finish_review(actor=CLERK, round_id=funding_round.id)
    assert caught.value.code is ErrorCode.WRONG_STAGE


async def test_eligibility_confirmed_during_review_puts_it_on_the_panel_and_after_review_is_refused() -> None:
    # GIVEN a round under review with one application on the panel and two still undecided
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(max_applications_per_org=3)
    made = [
        await submitted(tree, funding_round, org, project_name=name)
        for name in ("甲项目", "乙项目", "丙项目")
    ]
    await to_review(funding_round, made[:1])
    # WHEN staff confirm the second eligible while the panel still scores
    await applications.staff_move(
        actor=CLERK, application_id=made[1].id, to=AppStatus.ELIGIBLE, reason="补充审查通过", today=TODAY
    )
    # THEN it goes on the panel for review, like those confirmed before review started
    second = await Application.get(id=made[1].id)
    assert second.status is AppStatus.IN_REVIEW
    entries = (
        await PanelEntry.filter(panel_id=funding_round.panel_id).order_by("id").values_list("subject_id")
    )
    assert [int(row[0]) for row in entries] == [made[0].id, made[1].id]
    # WHEN the review has closed, THEN confirming the third is refused and nothing changes
    await close_review(funding_round)
    events = await ApplicationEvent.filter(application_id=made[2].id).count()
    with pytest.raises(DomainError) as caught:
        await applications.staff_move(
            actor=CLERK, application_id=made[2].id, to=AppStatus.ELIGIBLE, reason="补充审查通过", today=TODAY
        )
    assert caught.value.code is ErrorCode.WRONG_STAGE
    assert (await Application.get(id=made[2].id)).status is AppStatus.SUBMITTED
    assert await ApplicationEvent.filter(application_id=made[2].id).count() == events
    assert await PanelEntry.filter(panel_id=funding_round.panel_id).count() == 2
