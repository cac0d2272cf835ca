"""After the award: the agreement and its tranches (the remainder fen on the last), the mid-term
gate (a failed or missing evaluation stops the next tranche), a second approver above the
threshold who must be another person, payments, reclaims, milestone reports, the final
evaluation, and termination that bars the organisation through the registry. Both databases."""

from __future__ import annotations

from datetime import date

import pytest

from domain.access import Actor, Grant, Role
from domain.errors import DomainError, ErrorCode, PermissionDenied
from domain.funding import allocation, applications, tranches
from domain.funding.errors import FundingCode
from domain.funding.models import (
    Application,
    ApplicationEvent,
    AppStatus,
    EvaluationKind,
    MilestoneReport,
    Reclaim,
    Tranche,
    TrancheStatus,
    tranche_amounts,
)
from domain.organisations.eligibility import eligibility_of
from domain.organisations.models import Organisation
from tests.factories import Tree, build_tree
from tests.factories_funding import (
    CHECKER,
    CLERK,
    TODAY,
    approved,
    open_round,
    organiser,
    registered_org,
    reviewed,
    submitted,
)

pytestmark = pytest.mark.usefixtures("db", "funding_clerks")

EVALUATOR = Actor(user_id=9100, display_name="expert.zhao", grants=(Grant(Role.REVIEWER),))


def test_tranche_amounts_put_the_remainder_fen_on_the_last() -> None:
    assert tranche_amounts(33_333_33, [50, 30, 20]) == [16_666_66, 9_999_99, 6_666_68]
    assert sum(tranche_amounts(1, [50, 30, 20])) == 1


async def _contracted(
    award: int = 33_333_33, tree: Tree | None = None, **round_overrides: object
) -> tuple[Application, Organisation]:
    """An application awarded `award`, publicised, approved and contracted, then in progress."""
    tree = tree or await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(**round_overrides)
    application = await submitted(tree, funding_round, org, grant=40_000_00, matching=40_000_00)
    await reviewed(funding_round, [application])
    await allocation.award(actor=CLERK, application_id=application.id, amount_fen=award, reason="核定")
    await approved(funding_round)
    await tranches.sign_agreement(
        actor=CLERK, application_id=application.id, number="PH-GY-2026-001", signed_on=TODAY, today=TODAY
    )
    await applications.staff_move(
        actor=CLERK, application_id=application.id, to=AppStatus.IN_PROGRESS, reason="项目启动", today=TODAY
    )
    return await Application.get(id=application.id), org


async def _tranches(application: Application) -> list[Tranche]:
    return await Tranche.filter(application_id=application.id).order_by("seq")


async def _pay(tranche: Tranche, *approvers: Actor) -> None:
    for approver in approvers:
        await tranches.approve_tranche(actor=approver, tranche_id=tranche.id)
    await tranches.pay_tranche(
        actor=CLERK, tranche_id=tranche.id, paid_on=TODAY, reference=f"付-{tranche.seq}", today=TODAY
    )


async def test_signing_creates_the_planned_tranches_and_makes_the_first_due() -> None:
    application, _ = await _contracted()
    rows = await _tranches(application)
    assert [(t.percent, t.amount_fen, t.status) for t in rows] == [
        (50, 16_666_66, TrancheStatus.DUE),
        (30, 9_999_99, TrancheStatus.PLANNED),
        (20, 6_666_68, TrancheStatus.PLANNED),
    ]


async def test_a_failed_midterm_stops_the_next_tranche_and_a_passed_one_releases_it() -> None:
    # GIVEN a project whose first tranche was paid
    application, org = await _contracted()
    first, second, _ = await _tranches(application)
    await _pay(first, CLERK, CHECKER)
    # WHEN nobody has evaluated it yet THEN the mid-term tranche cannot be approved
    with pytest.raises(DomainError) as caught:
        await tranches.approve_tranche(actor=CLERK, tranche_id=second.id)
    assert caught.value.code is FundingCode.MIDTERM_NOT_PASSED
    # WHEN the mid-term evaluation fails (59 < 60)
    evaluation = await tranches.submit_self_assessment(
        actor=organiser(org),
        application_id=application.id,
        kind=EvaluationKind.MIDTERM,
        text="完成送餐 1,200 人次",
        on=TODAY,
    )
    failed = await tranches.review_evaluation(
        actor=EVALUATOR, evaluation_id=evaluation.id, score=59, comment="台账不全", on=TODAY
    )
    assert failed.passed is False
    # THEN the tranche stays stopped
    with pytest.raises(DomainError) as caught:
        await tranches.approve_tranche(actor=CLERK, tranche_id=second.id)
    assert caught.value.code is FundingCode.MIDTERM_NOT_PASSED
    assert (await Tranche.get(id=second.id)).status is TrancheStatus.PLANNED
    # WHEN a new mid-term evaluation passes at the mark THEN the tranche is due and can be paid
    again = await tranches.submit_self_assessment(
        actor=organiser(org),
        application_id=application.id,
        kind=EvaluationKind.MIDTERM,
        text="补齐台账",
        on=TODAY,
    )
    await tranches.review_evaluation(
        actor=EVALUATOR, evaluation_id=again.id, score=60, comment="合格", on=TODAY
    )
    assert (await Tranche.get(id=second.id)).status is TrancheStatus.DUE
    await _pay(await Tranche.get(id=second.id), CLERK, CHECKER)
    assert (await Tranche.get(id=second.id)).status is TrancheStatus.PAID


async def test_above_the_threshold_a_second_and_different_approver_is_needed() -> None:
    # GIVEN tranches over the 10,000 元 threshold
    application, _ = await _contracted(second_approval_over_fen=10_000_00)
    first = (await _tranches(application))[0]
    # WHEN one clerk approves THEN it is not approved yet, and it cannot be paid
    await tranches.approve_tranche(actor=CLERK, tranche_id=first.id)
    assert (await Tranche.get(id=first.id)).status is TrancheStatus.DUE
    with pytest.raises(DomainError) as caught:
        await tranches.pay_tranche(
            actor=CLERK, tranche_id=first.id, paid_on=TODAY, reference="付-1", today=TODAY
        )
    assert caught.value.code is FundingCode.TRANCHE_NOT_DUE
    # WHEN the same clerk approves again THEN it is refused
    with pytest.raises(DomainError) as caught:
        await tranches.approve_tranche(actor=CLERK, tranche_id=first.id)
    assert caught.value.code is FundingCode.SECOND_APPROVER_SAME
    # WHEN another clerk approves THEN it is approved by both
    approved = await tranches.approve_tranche(actor=CHECKER, tranche_id=first.id)
    assert (approved.status, approved.first_approver_user_id, approved.second_approver_user_id) == (
        TrancheStatus.APPROVED,
        CLERK.user_id,
        CHECKER.user_id,
    )


async def test_at_or_below_the_threshold_one_approval_is_enough() -> None:
    application, _ = await _contracted(award=20_000_00, second_approval_over_fen=10_000_00)
    first = (await _tranches(application))[0]  # exactly 10,000 元
    assert (await tranches.approve_tranche(actor=CLERK, tranche_id=first.id)).status is TrancheStatus.APPROVED


async def test_the_final_evaluation_closes_the_project_and_releases_the_last_tranche() -> None:
    application, org = await _contracted()
    _, second, last = await _tranches(application)
    await tranches.report_milestone(
        actor=organiser(org),
        application_id=application.id,
        title="第一季度",
        text="送餐 300 人次",
        reported_on=TODAY,
    )
    assert await MilestoneReport.filter(application_id=application.id).count() == 1
    final = await tranches.submit_self_assessment(
        actor=organiser(org),
        application_id=application.id,
        kind=EvaluationKind.FINAL,
        text="全部完成",
        on=TODAY,
    )
    assert (await Application.get(id=application.id)).status is AppStatus.FINAL_REVIEW
    await tranches.review_evaluation(actor=CLERK, evaluation_id=final.id, score=85, comment="优秀", on=TODAY)
    assert (await Application.get(id=application.id)).status is AppStatus.CLOSED
    assert (await Tranche.get(id=last.id)).status is TrancheStatus.DUE
    # the mid-term tranche still waits for its own evaluation
    assert (await Tranche.get(id=second.id)).status is TrancheStatus.PLANNED


async def test_a_failed_final_evaluation_closes_as_failed_and_cancels_what_is_unpaid() -> None:
    application, org = await _contracted()
    final = await tranches.submit_self_assessment(
        actor=organiser(org),
        application_id=application.id,
        kind=EvaluationKind.FINAL,
        text="部分完成",
        on=TODAY,
    )
    await tranches.review_evaluation(
        actor=EVALUATOR, evaluation_id=final.id, score=40, comment="未达标", on=TODAY
    )
    assert (await Application.get(id=application.id)).status is AppStatus.CLOSED_FAILED
    assert [t.status for t in await _tranches(application)] == [
        TrancheStatus.DUE,
        TrancheStatus.CANCELLED,
        TrancheStatus.CANCELLED,
    ]


async def test_only_evaluators_review_and_only_the_organisation_assesses_itself() -> None:
    application, org = await _contracted()
    with pytest.raises(PermissionDenied):
        await tranches.submit_self_assessment(
            actor=CLERK, application_id=application.id, kind=EvaluationKind.MIDTERM, text="代填", on=TODAY
        )
    evaluation = await tranches.submit_self_assessment(
        actor=organiser(org),
        application_id=application.id,
        kind=EvaluationKind.MIDTERM,
        text="自评",
        on=TODAY,
    )
    with pytest.raises(PermissionDenied):
        await tranches.review_evaluation(
            actor=organiser(org), evaluation_id=evaluation.id, score=100, comment="", on=TODAY
        )


async def test_a_reclaim_never_exceeds_what_was_paid() -> None:
    application, _ = await _contracted()
    first = (await _tranches(application))[0]
    with pytest.raises(DomainError) as caught:
        await tranches.reclaim(
            actor=CLERK, application_id=application.id, amount_fen=1, reason="超支", on=TODAY
        )
    assert (caught.value.code, caught.value.field) == (FundingCode.RECLAIM_OVER_PAID, ["amountFen"])
    await _pay(first, CLERK, CHECKER)
    await tranches.reclaim(
        actor=CLERK, application_id=application.id, amount_fen=1_000_00, reason="票据不合规", on=TODAY
    )
    with pytest.raises(DomainError):
        await tranches.reclaim(
            actor=CLERK, application_id=application.id, amount_fen=first.amount_fen, reason="再追", on=TODAY
        )
    assert [r.amount_fen for r in await Reclaim.filter(application_id=application.id)] == [1_000_00]


async def test_termination_for_a_breach_reclaims_and_bars_the_organisation() -> None:
    # GIVEN a running project whose first tranche was paid
    application, org = await _contracted()
    first = (await _tranches(application))[0]
    await _pay(first, CLERK, CHECKER)
    # WHEN the bureau terminates it for a breach, reclaiming 5,000 元
    await tranches.terminate(
        actor=CLERK,
        application_id=application.id,
        reason="挪用资金",
        on=TODAY,
        today=TODAY,
        reclaim_fen=5_000_00,
        breach=True,
    )
    # THEN it is terminated with its reason, the unpaid tranches are cancelled, the reclaim recorded
    row = await Application.get(id=application.id)
    assert row.status is AppStatus.TERMINATED
    last_event = await ApplicationEvent.filter(application_id=application.id).order_by("-id").first()
    assert last_event is not None
    assert (last_event.to_status, last_event.reason) == (
        AppStatus.TERMINATED,
        "挪用资金",
    )
    assert [t.status for t in await _tranches(application)] == [
        TrancheStatus.PAID,
        TrancheStatus.CANCELLED,
        TrancheStatus.CANCELLED,
    ]
    assert await Reclaim.filter(application_id=application.id, amount_fen=5_000_00).exists()
    # ... and the registry now refuses the organisation for three years
    now = (await eligibility_of([org.id], TODAY))[org.id]
    later = (await eligibility_of([org.id], date(2029, 12, 5)))[org.id]
    assert (now.eligible, later.eligible) == (False, True)
    assert "违约限制申报" in now.reasons[0]


async def test_a_suspended_project_gets_no_payment_and_a_failed_one_cannot_be_terminated() -> None:
    application, _ = await _contracted()
    first = (await _tranches(application))[0]
    await applications.staff_move(
        actor=CLERK, application_id=application.id, to=AppStatus.SUSPENDED, reason="整改", today=TODAY
    )
    with pytest.raises(DomainError) as caught:
        await tranches.approve_tranche(actor=CLERK, tranche_id=first.id)
    assert caught.value.code is ErrorCode.INVALID_TRANSITION
    await applications.staff_move(
        actor=CLERK, application_id=application.id, to=AppStatus.IN_PROGRESS, reason="整改完成", today=TODAY
    )
    await Application.filter(id=application.id).update(status=AppStatus.CLOSED_FAILED)
    with pytest.raises(DomainError) as caught:
        await tranches.terminate(
            actor=CLERK, application_id=application.id, reason="违约", on=TODAY, today=TODAY
        )
    assert caught.value.code is ErrorCode.INVALID_TRANSITION


async def test_an_agreement_number_in_use_or_too_long_is_refused_and_nothing_is_signed() -> None:
    # GIVEN one project contracted as PH-GY-2026-001 and a second approved one in another round
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    await _contracted(tree=tree)
    funding_round = await open_round(edition=2, title="第二届公益创投")
    org = await registered_org(tree, "第二家公益服务中心")
    application = await submitted(tree, funding_round, org, grant=40_000_00, matching=40_000_00)
    await reviewed(funding_round, [application])
    await allocation.award(actor=CLERK, application_id=application.id, amount_fen=40_000_00, reason="核定")
    await approved(funding_round)
    # WHEN staff sign it with the first one's number, or with 51 characters
    for number, code in (
        ("PH-GY-2026-001", FundingCode.DUPLICATE_AGREEMENT_NUMBER),
        ("X" * 51, ErrorCode.INVALID_LENGTH),
    ):
        with pytest.raises(DomainError) as caught:
            await tranches.sign_agreement(
                actor=CLERK, application_id=application.id, number=number, signed_on=TODAY, today=TODAY
            )
        # THEN it is refused on the number, and the application is still approved, with no tranche
        assert (caught.value.code, caught.value.field) == (code, ["number"])
        assert (await Application.get(id=application.id)).status is AppStatus.APPROVED
        assert not await Tranche.filter(application_id=application.id).exists()
