"""Venture funding applications: every money rule with its code and field, all at once; who may
apply (the registry's eligibility rule, a filed organisation's registered sponsor, the quota per
organisation, duplicates); the state machine, withdrawal before approval only, staff moves with
a reason, the timeline; needs collection. Both databases."""

from __future__ import annotations

from datetime import date

import pytest

from domain.audit.models import AuditEntry
from domain.errors import DomainError, ErrorCode, PermissionDenied, ValidationErrors
from domain.funding import allocation, applications, needs, queries, rounds
from domain.funding.applications import LineInput
from domain.funding.errors import FundingCode
from domain.funding.models import (
    Application,
    ApplicationEvent,
    AppStatus,
    BudgetLine,
    FundedBy,
    NeedStatus,
    RoundStage,
)
from domain.organisations import service as registry
from domain.organisations.models import SanctionList
from domain.pagination import PageRequest
from domain.review.models import PanelEntry
from tests.conftest import SqlLog
from tests.factories import BUREAU, build_tree
from tests.factories_funding import (
    CLERK,
    TODAY,
    app_input,
    filed_org,
    open_round,
    organiser,
    publicity_over,
    registered_org,
    reviewed,
    round_input,
    submitted,
)
from tests.factories_leaders import concurrently

pytestmark = pytest.mark.usefixtures("db", "funding_clerks")


def _codes(error: ValidationErrors) -> set[tuple[str, str]]:
    return {(str(e.code), (e.field or [""])[0]) for e in error.errors}


async def _refused(**overrides: object) -> set[tuple[str, str]]:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round()
    data = app_input(tree, org, **overrides)
    with pytest.raises(ValidationErrors) as caught:
        await applications.create_application(actor=organiser(org), round_id=funding_round.id, data=data)
    assert await Application.all().count() == 0
    return _codes(caught.value)


async def test_a_request_over_the_cap_is_refused() -> None:
    # cap 50,000 元: 60,000 requested of a 120,000 budget (50 % grant, 50 % matching)
    assert await _refused(grant=60_000_00, matching=60_000_00) == {("OVER_CAP", "requestedFen")}


async def test_a_grant_over_its_share_of_the_budget_is_refused() -> None:
    # 61 % grant where at most 60 % is allowed (and 39 % matching, under the 40 % minimum)
    assert await _refused(grant=30_500_00, matching=19_500_00) == {
        ("OVER_SHARE", "budgetLines"),
        ("MATCHING_TOO_LOW", "budgetLines"),
    }


async def test_a_grant_over_its_share_is_refused_alone_when_the_shares_leave_room() -> None:
    # GIVEN a round with at most 50 % grant and at least 40 % matching (10 % left to either side)
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(max_grant_share_pct=50, min_matching_share_pct=40)
    # WHEN the budget is 55 % grant and 45 % matching
    data = app_input(tree, org, grant=27_500_00, matching=22_500_00)
    with pytest.raises(ValidationErrors) as caught:
        await applications.create_application(actor=organiser(org), round_id=funding_round.id, data=data)
    # THEN only the grant share is refused (matching is met)
    assert _codes(caught.value) == {("OVER_SHARE", "budgetLines")}
    # and at exactly 50 % / 50 % it is accepted
    ok = app_input(tree, org, grant=25_000_00, matching=25_000_00)
    await applications.create_application(actor=organiser(org), round_id=funding_round.id, data=ok)


async def test_the_requested_amount_must_equal_the_grant_lines() -> None:
    assert await _refused(requested_fen=29_000_00) == {("REQUESTED_MISMATCH", "requestedFen")}


async def test_every_error_comes_back_at_once() -> None:
    lines = (
        LineInput("活动费", "物料", 70_000_00, FundedBy.GRANT),
        LineInput("", "自筹", 0, FundedBy.MATCHING),
    )
    assert await _refused(project_name="", budget_lines=lines, requested_fen=1, cell_ids=()) == {
        ("INVALID_LENGTH", "projectName"),
        ("OUT_OF_RANGE", "budgetLines.1.amountFen"),
        ("INVALID_LENGTH", "budgetLines.1.item"),
        ("REQUESTED_MISMATCH", "requestedFen"),
        ("OVER_SHARE", "budgetLines"),
        ("MATCHING_TOO_LOW", "budgetLines"),
        ("OUT_OF_RANGE", "cellIds"),
    }


async def test_a_good_application_is_drafted_with_its_lines_and_timeline() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round()
    draft = await applications.create_application(
        actor=organiser(org), round_id=funding_round.id, data=app_input(tree, org)
    )
    row = await Application.get(id=draft.id)
    assert (row.status, row.requested_fen, row.budget_total_fen) == (AppStatus.DRAFT, 30_000_00, 50_000_00)
    lines = await BudgetLine.filter(application_id=draft.id).order_by("position")
    assert [(line.funded_by, line.amount_fen) for line in lines] == [
        (FundedBy.GRANT, 30_000_00),
        (FundedBy.MATCHING, 20_000_00),
    ]
    submitted_app = await applications.submit(actor=organiser(org), application_id=draft.id, today=TODAY)
    assert submitted_app.status is AppStatus.SUBMITTED
    events = await ApplicationEvent.filter(application_id=draft.id).order_by("id")
    assert [(e.from_status, e.to_status, e.actor_user_id) for e in events] == [
        (None, AppStatus.DRAFT, 7001),
        (AppStatus.DRAFT, AppStatus.SUBMITTED, 7001),
    ]


async def test_an_organiser_applies_for_their_own_organisation_only() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    ours, theirs = await registered_org(tree), await registered_org(tree, "演示另一服务中心")
    funding_round = await open_round()
    with pytest.raises(PermissionDenied):
        await applications.create_application(
            actor=organiser(ours), round_id=funding_round.id, data=app_input(tree, theirs)
        )


async def test_no_application_before_the_call_opens() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    draft_round = await rounds.create_round(actor=CLERK, data=round_input())
    with pytest.raises(DomainError) as caught:
        await applications.create_application(
            actor=organiser(org), round_id=draft_round.id, data=app_input(tree, org)
        )
    assert caught.value.code is ErrorCode.WRONG_STAGE


# --- who may apply ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sanction_list", [SanctionList.ABNORMAL, SanctionList.DISHONEST, SanctionList.BARRED]
)
async def test_a_sanctioned_or_barred_organisation_cannot_submit(sanction_list: SanctionList) -> None:
    # GIVEN an organisation on a sanction list (the registry's record)
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    await registry.add_sanction(
        actor=BUREAU,
        organisation_id=org.id,
        sanction_list=sanction_list,
        reason="测试",
        source="民政局",
        listed_on=date(2026, 1, 1),
        today=TODAY,
    )
    funding_round = await open_round()
    # WHEN it submits an application
    with pytest.raises(ValidationErrors) as caught:
        await submitted(tree, funding_round, org)
    # THEN the registry's reason is given and the application stays a draft
    assert _codes(caught.value) == {("ORG_INELIGIBLE", "organisationId")}
    assert sanction_list.label in caught.value.message
    assert (await Application.get()).status is AppStatus.DRAFT


async def test_an_expired_bar_no_longer_stops_an_application() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    await registry.add_sanction(
        actor=BUREAU,
        organisation_id=org.id,
        sanction_list=SanctionList.BARRED,
        reason="违约",
        source="民政局",
        listed_on=date(2023, 12, 4),
        today=TODAY,
    )  # three years: ended 2026-12-04
    assert (await submitted(tree, await open_round(), org)).status is AppStatus.SUBMITTED


async def test_a_filed_organisation_applies_through_a_registered_sponsor() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    group = await filed_org(tree)
    other_group = await filed_org(tree, "演示广场舞队")
    centre = await registered_org(tree, "演示社会组织服务中心")
    funding_round = await open_round(max_applications_per_org=3)
    # WHEN it applies without a sponsor, or with a filed one THEN it is refused
    with pytest.raises(ValidationErrors) as caught:
        await submitted(tree, funding_round, group)
    assert _codes(caught.value) == {("SPONSOR_REQUIRED", "sponsorId")}
    with pytest.raises(ValidationErrors) as caught:
        await submitted(tree, funding_round, group, sponsor_id=other_group.id, project_name="邻里议事会")
    assert _codes(caught.value) == {("SPONSOR_INVALID", "sponsorId")}
    # WHEN a registered organisation sponsors it THEN it is submitted
    ok = await submitted(tree, funding_round, group, sponsor_id=centre.id, project_name="邻里守望")
    assert (ok.status, ok.sponsor_id) == (AppStatus.SUBMITTED, centre.id)


async def test_a_round_closed_to_filed_organisations_refuses_them() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    group, centre = await filed_org(tree), await registered_org(tree)
    funding_round = await open_round(allow_filed=False)
    with pytest.raises(ValidationErrors) as caught:
        await submitted(tree, funding_round, group, sponsor_id=centre.id)
    assert _codes(caught.value) == {("ORG_INELIGIBLE", "organisationId")}


async def test_an_organisation_submits_at_most_its_quota_and_no_duplicate() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(max_applications_per_org=2)
    await submitted(tree, funding_round, org)
    with pytest.raises(ValidationErrors) as caught:
        await submitted(tree, funding_round, org)  # the same project name again
    assert _codes(caught.value) == {("DUPLICATE_APPLICATION", "projectName")}
    await submitted(tree, funding_round, org, project_name="四点半课堂")
    with pytest.raises(ValidationErrors) as caught:
        await submitted(tree, funding_round, org, project_name="邻里节")
    assert _codes(caught.value) == {("TOO_MANY_APPLICATIONS", "organisationId")}


async def test_a_withdrawn_application_frees_its_place_in_the_quota() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round()
    first = await submitted(tree, funding_round, org)
    await applications.withdraw(actor=organiser(org), application_id=first.id, reason="调整方案")
    assert (await submitted(tree, funding_round, org, project_name="新方案")).status is AppStatus.SUBMITTED


async def test_staff_cannot_confirm_eligibility_of_an_organisation_sanctioned_since_it_submitted() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    application = await submitted(tree, await open_round(), org)
    await registry.add_sanction(
        actor=BUREAU,
        organisation_id=org.id,
        sanction_list=SanctionList.DISHONEST,
        reason="失信",
        source="民政局",
        listed_on=TODAY,
        today=TODAY,
    )
    with pytest.raises(ValidationErrors) as caught:
        await applications.staff_move(
            actor=CLERK, application_id=application.id, to=AppStatus.ELIGIBLE, reason="资格审查", today=TODAY
        )
    assert _codes(caught.value) == {("ORG_INELIGIBLE", "organisationId")}
    moved = await applications.staff_move(
        actor=CLERK,
        application_id=application.id,
        to=AppStatus.INELIGIBLE,
        reason="资格审查未通过",
        today=TODAY,
    )
    assert moved.status is AppStatus.INELIGIBLE
    assert any("严重违法失信名单" in note for note in moved.eligibility_notes)


# --- the state machine -----------------------------------------------------------------------


async def test_needs_info_returns_to_the_applicant_who_edits_and_resubmits() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round()
    application = await submitted(tree, funding_round, org)
    await applications.staff_move(
        actor=CLERK,
        application_id=application.id,
        to=AppStatus.NEEDS_INFO,
        reason="请补充预算说明",
        today=TODAY,
    )
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.APPLICATIONS_CLOSED)
    await applications.update_application(
        actor=organiser(org),
        application_id=application.id,
        data=app_input(tree, org, target_group="独居老人与残疾人"),
    )
    again = await applications.submit(actor=organiser(org), application_id=application.id, today=TODAY)
    assert (again.status, again.target_group) == (AppStatus.SUBMITTED, "独居老人与残疾人")
    events = await ApplicationEvent.filter(application_id=application.id).order_by("id")
    assert [e.to_status for e in events][-2:] == [AppStatus.NEEDS_INFO, AppStatus.SUBMITTED]
    assert events[-2].reason == "请补充预算说明"


async def test_refused_transitions_leave_the_application_as_it_was() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    application = await submitted(tree, await open_round(), org)
    for to in (AppStatus.REVIEWED, AppStatus.APPROVED, AppStatus.IN_PROGRESS):
        with pytest.raises(DomainError) as caught:
            await applications.staff_move(
                actor=CLERK, application_id=application.id, to=to, reason="跳步", today=TODAY
            )
        assert caught.value.code is ErrorCode.INVALID_TRANSITION
    # a move without a reason, and a move that has its own use case, are refused too
    with pytest.raises(DomainError) as caught:
        await applications.staff_move(
            actor=CLERK, application_id=application.id, to=AppStatus.NEEDS_INFO, reason=" ", today=TODAY
        )
    assert caught.value.code is ErrorCode.REASON_REQUIRED
    with pytest.raises(DomainError):
        await applications.staff_move(
            actor=CLERK,
            application_id=application.id,
            to=AppStatus.RECOMMENDED,
            reason="直接推荐",
            today=TODAY,
        )
    assert (await Application.get(id=application.id)).status is AppStatus.SUBMITTED


async def test_the_applicant_withdraws_before_approval_but_not_after() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(max_applications_per_org=3)
    early = await submitted(tree, funding_round, org)
    publicized = await submitted(tree, funding_round, org, project_name="四点半课堂")
    approved = await submitted(tree, funding_round, org, project_name="邻里节")
    await reviewed(funding_round, [publicized, approved])
    for application in (publicized, approved):
        await allocation.award(
            actor=CLERK, application_id=application.id, amount_fen=30_000_00, reason="排名靠前"
        )
    await publicity_over(funding_round)
    # WHEN the applicant withdraws a submitted and a publicised application THEN both are withdrawn
    for application in (early, publicized):
        gone = await applications.withdraw(
            actor=organiser(org), application_id=application.id, reason="人手不足"
        )
        assert gone.status is AppStatus.WITHDRAWN
    # and the publicised one left the review panel
    entry = await PanelEntry.get(subject_id=publicized.id)
    assert entry.withdrawn
    # WHEN the applicant withdraws an approved application THEN it is refused (the bureau terminates)
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.AWARDED)
    with pytest.raises(DomainError) as caught:
        await applications.withdraw(actor=organiser(org), application_id=approved.id, reason="改变主意")
    assert caught.value.code is ErrorCode.INVALID_TRANSITION
    assert (await Application.get(id=approved.id)).status is AppStatus.APPROVED
    # and staff cannot withdraw on the applicant's behalf
    with pytest.raises(PermissionDenied):
        await applications.withdraw(actor=CLERK, application_id=approved.id, reason="代撤")


# --- needs collection ------------------------------------------------------------------------


async def test_residents_raise_needs_staff_publish_them_and_applications_answer_them() -> None:
    from domain.access import Actor, Grant, Role

    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await rounds.create_round(actor=CLERK, data=round_input())
    resident = Actor(user_id=3001, display_name="resident", grants=(Grant(Role.RESIDENT),))
    # WHEN the call has not started collecting needs THEN a need is refused
    with pytest.raises(DomainError) as caught:
        await needs.submit_need(
            actor=resident, round_id=funding_round.id, cell_id=tree.grids[0].id, text="楼道照明不足"
        )
    assert caught.value.code is ErrorCode.WRONG_STAGE
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.NEEDS_COLLECTION)
    need = await needs.submit_need(
        actor=resident, round_id=funding_round.id, cell_id=tree.grids[0].id, text="独居老人用餐难"
    )
    other_staff = Actor(
        user_id=3002, display_name="staff", grants=(Grant(Role.GRID_STAFF, cell_path=tree.village.path),)
    )
    with pytest.raises(PermissionDenied):
        await needs.decide_need(actor=other_staff, need_id=need.id, publish=True)
    staff = Actor(
        user_id=3003, display_name="staff", grants=(Grant(Role.GRID_STAFF, cell_path=tree.community.path),)
    )
    assert (
        await needs.decide_need(actor=staff, need_id=need.id, publish=True)
    ).status is NeedStatus.PUBLISHED
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.OPEN)
    draft = await applications.create_application(
        actor=organiser(org), round_id=funding_round.id, data=app_input(tree, org, need_ids=(need.id,))
    )
    assert draft.need_ids == [need.id]
    # a need that does not exist (or was not published) cannot be answered
    with pytest.raises(ValidationErrors) as caught:
        await applications.create_application(
            actor=organiser(org),
            round_id=funding_round.id,
            data=app_input(tree, org, need_ids=(need.id + 99,)),
        )
    assert _codes(caught.value) == {("NEED_NOT_AVAILABLE", "needIds")}


async def test_every_move_is_in_the_audit_log_with_who_and_why() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    application = await submitted(tree, await open_round(), org)
    await applications.staff_move(
        actor=CLERK,
        application_id=application.id,
        to=AppStatus.NEEDS_INFO,
        reason="缺少预算说明",
        today=TODAY,
    )
    rows = await AuditEntry.filter(action="funding.application_move", object_id=str(application.id)).order_by(
        "seq"
    )
    assert [(r.actor_label, r.summary) for r in rows] == [
        (f"organiser.{org.id}", {"to": "已提交"}),
        ("clerk.wang", {"to": "待补充材料", "reason": "缺少预算说明"}),
    ]


async def test_simultaneous_submissions_cannot_pass_the_quota_together() -> None:
    # GIVEN an organisation allowed one application, with three drafts
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(max_applications_per_org=1)
    drafts = [
        await applications.create_application(
            actor=organiser(org),
            round_id=funding_round.id,
            data=app_input(tree, org, project_name=f"方案{i}"),
        )
        for i in range(3)
    ]

    def submit(application_id: int):  # type: ignore[no-untyped-def]
        return lambda: applications.submit(actor=organiser(org), application_id=application_id, today=TODAY)

    # WHEN all three are submitted at once
    outcome = await concurrently(*(submit(d.id) for d in drafts))
    # THEN exactly one is submitted, the others are refused for the quota
    assert len(outcome.ok()) == 1
    assert outcome.errors() == [FundingCode.TOO_MANY_APPLICATIONS] * 2
    assert await Application.filter(status=AppStatus.SUBMITTED).count() == 1


async def test_an_organisations_applications_and_their_details_are_one_statement_each(
    sql_log: SqlLog,
) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(max_applications_per_org=2)
    first = await submitted(tree, funding_round, org)
    second = await submitted(tree, funding_round, org, project_name="四点半课堂")
    sql_log.reset()
    page = await queries.applications_of(org.id, PageRequest(first=10))
    lines = await queries.budget_lines_of([first.id, second.id])
    events = await queries.timeline_of(first.id)
    paid = await queries.tranches_of([first.id, second.id])
    assert [a.id for a in page.items] == [first.id, second.id]
    assert [len(lines[first.id]), len(lines[second.id])] == [2, 2]
    assert [e.to_status for e in events] == [AppStatus.DRAFT, AppStatus.SUBMITTED]
    assert paid == {first.id: [], second.id: []}
    assert sql_log.count == 4
