"""Venture funding rounds: the configuration checked all at once, frozen when the call opens, the
stages in order, who may run a round, and money shown to people. Both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.access import Actor, Grant, Role
from domain.audit.models import AuditEntry
from domain.errors import DomainError, ErrorCode, PermissionDenied, ValidationErrors
from domain.funding import money, rounds
from domain.funding.errors import FundingCode
from domain.funding.models import FundingRound, RoundStage, TrancheTrigger
from domain.funding.rounds import TrancheStep
from domain.review.errors import ReviewCode
from domain.review.models import ReviewPanel
from tests.factories_funding import CLERK, TODAY, close_review, open_round, round_input, to_review

pytestmark = pytest.mark.usefixtures("db", "funding_clerks")


def _codes(error: ValidationErrors) -> set[tuple[str, str]]:
    return {(str(e.code), (e.field or [""])[0]) for e in error.errors}


async def test_a_bad_configuration_is_refused_with_every_error_at_once() -> None:
    # GIVEN a round whose every rule is wrong
    bad = round_input(
        title="",
        pool_fen=10_000_00,
        cap_fen=20_000_00,
        max_grant_share_pct=70,
        min_matching_share_pct=40,
        max_applications_per_org=0,
        tranche_plan=(TrancheStep(50, TrancheTrigger.SIGNING), TrancheStep(30, TrancheTrigger.FINAL_PASS)),
        publicity_days=3,
        pass_mark=120,
    )
    # WHEN bureau staff create it
    with pytest.raises(ValidationErrors) as caught:
        await rounds.create_round(actor=CLERK, data=bad)
    # THEN every error comes back, each on its field, and nothing was stored
    assert _codes(caught.value) == {
        ("INVALID_LENGTH", "title"),
        ("CAP_OVER_POOL", "capFen"),
        ("SHARES_OVER_100", "minMatchingSharePct"),
        ("OUT_OF_RANGE", "maxApplicationsPerOrg"),
        ("TRANCHES_NOT_100", "tranchePlan"),
        ("PUBLICITY_TOO_SHORT", "publicityDays"),
        ("OUT_OF_RANGE", "passMark"),
    }
    assert await FundingRound.all().count() == 0


async def test_tranches_out_of_order_are_refused() -> None:
    plan = (TrancheStep(50, TrancheTrigger.MIDTERM_PASS), TrancheStep(50, TrancheTrigger.SIGNING))
    with pytest.raises(ValidationErrors) as caught:
        await rounds.create_round(actor=CLERK, data=round_input(tranche_plan=plan))
    assert _codes(caught.value) == {("INVALID", "tranchePlan")}


async def test_a_good_round_is_stored_as_a_draft_with_its_plan_and_audited() -> None:
    funding_round = await rounds.create_round(actor=CLERK, data=round_input())
    row = await FundingRound.get(id=funding_round.id)
    assert row.stage is RoundStage.DRAFT
    assert row.tranche_plan == [
        {"percent": 50, "trigger": "SIGNING"},
        {"percent": 30, "trigger": "MIDTERM_PASS"},
        {"percent": 20, "trigger": "FINAL_PASS"},
    ]
    assert await AuditEntry.filter(action="funding.round_create").count() == 1


async def test_two_rounds_cannot_share_an_edition() -> None:
    await rounds.create_round(actor=CLERK, data=round_input())
    with pytest.raises(ValidationErrors) as caught:
        await rounds.create_round(actor=CLERK, data=round_input(title="又一个第一届"))
    assert _codes(caught.value) == {("DUPLICATE_EDITION", "edition")}


async def test_the_configuration_may_change_before_the_call_and_freezes_when_it_opens() -> None:
    # GIVEN a draft round collecting needs
    funding_round = await rounds.create_round(actor=CLERK, data=round_input())
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.NEEDS_COLLECTION)
    # WHEN its cap changes before the call opens THEN it is kept
    await rounds.update_round(actor=CLERK, round_id=funding_round.id, data=round_input(cap_fen=40_000_00))
    assert (await FundingRound.get(id=funding_round.id)).cap_fen == 40_000_00
    # WHEN the call opens and someone changes the cap again
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.OPEN)
    with pytest.raises(DomainError) as caught:
        await rounds.update_round(actor=CLERK, round_id=funding_round.id, data=round_input(cap_fen=60_000_00))
    # THEN it is refused and the rule stays as it was when the call opened
    assert caught.value.code is FundingCode.ROUND_FROZEN
    row = await FundingRound.get(id=funding_round.id)
    assert (row.cap_fen, row.opened_at is not None) == (40_000_00, True)


async def test_stages_follow_in_order_and_none_is_skipped() -> None:
    funding_round = await open_round()
    with pytest.raises(DomainError) as caught:
        await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.AWARDED)
    assert caught.value.code is ErrorCode.INVALID_TRANSITION
    await to_review(funding_round)
    # the results are not publicised while the panel still scores ...
    with pytest.raises(DomainError) as caught:
        await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.RESULTS_PUBLICIZED)
    assert caught.value.code is ErrorCode.WRONG_STAGE
    await close_review(funding_round)
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.RESULTS_PUBLICIZED)
    # ... nor awarded before the publicity period (公示) is over
    with pytest.raises(DomainError) as caught:
        await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.AWARDED)
    assert caught.value.code is ReviewCode.PUBLICITY_NOT_OVER
    assert (await FundingRound.get(id=funding_round.id)).stage is RoundStage.RESULTS_PUBLICIZED
    await ReviewPanel.filter(id=funding_round.panel_id).update(
        publicity_starts_on=TODAY - timedelta(days=20), publicity_ends_on=TODAY - timedelta(days=13)
    )
    for stage in (RoundStage.AWARDED, RoundStage.FINISHED):
        moved = await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=stage)
        assert moved.stage is stage
    assert (await FundingRound.get(id=funding_round.id)).stage is RoundStage.FINISHED


async def test_only_bureau_staff_with_the_funding_scope_run_rounds() -> None:
    organiser = Actor(user_id=5, display_name="o", grants=(Grant(Role.ORGANISER, organisation_id=1),))
    with pytest.raises(PermissionDenied):
        await rounds.create_round(actor=organiser, data=round_input())
    token = Actor(user_id=6, display_name="t", grants=CLERK.grants, token_scopes=frozenset({"read"}))
    with pytest.raises(PermissionDenied) as caught:
        await rounds.create_round(actor=token, data=round_input())
    assert "write:funding" in caught.value.message


def test_money_is_shown_in_yuan_and_in_wan() -> None:
    assert money.yuan(1_234_567) == "12,345.67 元"
    assert money.yuan(5) == "0.05 元"
    assert money.yuan(-100) == "-1.00 元"
    assert money.wan(2_035_000_00) == "203.5万元"
    assert money.wan(50_000_00) == "5万元"
    assert money.wan(12_345_678_90) == "1,234.56789万元"
