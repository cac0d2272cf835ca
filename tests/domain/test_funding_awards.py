"""Awards within the pool: allocation best-to-worst over a ranking, each award within its request
and the cap, the pool exhausted (the first request that no longer fits, and every one ranked
after it, is waitlisted: no partial grant), and fifty simultaneous awards that can never overspend.
Public reads: rounds past their draft, published results, published needs, one statement each.
Both databases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tortoise import connections

from domain import clock
from domain.audit.models import AuditEntry
from domain.errors import DomainError, ErrorCode
from domain.funding import allocation, applications, needs, queries, rounds
from domain.funding.errors import FundingCode
from domain.funding.models import Application, AppStatus, FundingRound, RoundStage
from domain.pagination import PageRequest
from domain.review import objections
from domain.review.errors import ReviewCode
from domain.review.models import ReviewPanel
from tests.accounts import actor_of, make_user
from tests.conftest import SqlLog
from tests.factories import build_tree
from tests.factories_funding import (
    CLERK,
    TODAY,
    open_round,
    organiser,
    registered_org,
    reviewed,
    reviewed_rows,
    round_input,
    submitted,
    to_review,
)
from tests.factories_leaders import concurrently

pytestmark = pytest.mark.usefixtures("db", "funding_clerks")


async def _reviewed(
    count: int, grants: list[int], **round_overrides: object
) -> tuple[int, list[Application]]:
    """A round in review with `count` reviewed applications of one organisation."""
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(max_applications_per_org=count, **round_overrides)
    made = [
        await submitted(tree, funding_round, org, project_name=f"项目{i}", grant=grant, matching=grant)
        for i, grant in enumerate(grants)
    ]
    return funding_round.id, await reviewed(funding_round, made)


async def test_allocation_funds_best_to_worst_and_waitlists_from_the_first_that_does_not_fit() -> None:
    # GIVEN a pool of 100,000 元 (cap 50,000) and four reviewed requests of 40k, 45k, 30k and 10k
    round_id, apps = await _reviewed(4, [40_000_00, 45_000_00, 30_000_00, 10_000_00])
    a, b, c, d = (x.id for x in apps)
    # WHEN the ranking is b, a, c, d
    result = await allocation.allocate(actor=CLERK, round_id=round_id, ranking=[b, a, c, d])
    # THEN b and a are recommended (85k); c (30k) no longer fits in 15k, so c and, ranked after it,
    # d are waitlisted although d's 10k would fit: no leap-frogging, no partial grant
    assert (result.recommended, result.waitlisted) == ([b, a], [c, d])
    assert (result.awarded_fen, result.left_fen) == (85_000_00, 15_000_00)
    rows = {row.id: row for row in await Application.filter(round_id=round_id)}
    assert [(rows[i].status, rows[i].award_fen) for i in (a, b, c, d)] == [
        (AppStatus.RECOMMENDED, 40_000_00),
        (AppStatus.RECOMMENDED, 45_000_00),
        (AppStatus.WAITLISTED, None),
        (AppStatus.WAITLISTED, None),
    ]
    # WHEN staff award the waitlisted d what is left covers THEN it is recommended
    await allocation.award(actor=CLERK, application_id=d, amount_fen=10_000_00, reason="递补")
    assert await allocation.held_fen(round_id) == 95_000_00


async def test_an_award_never_exceeds_the_request_the_cap_or_the_pool() -> None:
    _, apps = await _reviewed(3, [30_000_00, 30_000_00, 30_000_00], pool_fen=70_000_00, cap_fen=35_000_00)
    first, second, third = apps
    cases = [
        (first.id, 31_000_00, FundingCode.OVER_REQUEST),
        (first.id, 0, FundingCode.OVER_REQUEST),
    ]
    for application_id, amount, code in cases:
        with pytest.raises(DomainError) as caught:
            await allocation.award(
                actor=CLERK, application_id=application_id, amount_fen=amount, reason="核定"
            )
        assert (caught.value.code, caught.value.field) == (code, ["amountFen"])
    await allocation.award(actor=CLERK, application_id=first.id, amount_fen=30_000_00, reason="核定")
    await allocation.award(actor=CLERK, application_id=second.id, amount_fen=30_000_00, reason="核定")
    with pytest.raises(DomainError) as caught:
        await allocation.award(actor=CLERK, application_id=third.id, amount_fen=20_000_00, reason="核定")
    assert caught.value.code is FundingCode.POOL_EXHAUSTED
    assert "10,000.00 元" in caught.value.message
    assert (await Application.get(id=third.id)).status is AppStatus.REVIEWED


async def test_the_cap_bounds_an_award_of_a_request_made_under_a_higher_cap() -> None:
    # GIVEN a request at the cap (the cap cannot change once the call is open, so a request over
    # the cap can only come from outside the rules: the award still checks it)
    _, apps = await _reviewed(1, [50_000_00])
    await Application.filter(id=apps[0].id).update(requested_fen=60_000_00)
    with pytest.raises(DomainError) as caught:
        await allocation.award(actor=CLERK, application_id=apps[0].id, amount_fen=55_000_00, reason="核定")
    assert caught.value.code is FundingCode.OVER_CAP


async def test_a_withdrawn_award_frees_its_money() -> None:
    round_id, apps = await _reviewed(2, [50_000_00, 50_000_00], pool_fen=50_000_00)
    first, second = apps
    await allocation.allocate(actor=CLERK, round_id=round_id, ranking=[first.id, second.id])
    assert (await Application.get(id=second.id)).status is AppStatus.WAITLISTED
    # GIVEN the results are publicised and the recommended project is withdrawn
    await rounds.move_round(actor=CLERK, round_id=round_id, to=RoundStage.RESULTS_PUBLICIZED)
    org_actor = organiser(await first.organisation)
    await applications.withdraw(actor=org_actor, application_id=first.id, reason="无法实施")
    # WHEN staff re-run the allocation THEN it is refused (the ranking was settled in review) ...
    with pytest.raises(DomainError) as caught:
        await allocation.allocate(actor=CLERK, round_id=round_id, ranking=[second.id])
    assert caught.value.code is ErrorCode.WRONG_STAGE
    # ... but the waitlisted project moves up into the freed money
    await allocation.award(actor=CLERK, application_id=second.id, amount_fen=50_000_00, reason="递补")
    assert await allocation.held_fen(round_id) == 50_000_00


def _working_day(start: date, n: int) -> date:
    """The n-th weekday on or after `start` (the test database holds no holidays)."""
    weekdays = (start + timedelta(days=i) for i in range(3 * n + 7))
    return [day for day in weekdays if day.weekday() < 5][n - 1]


async def test_a_late_award_during_the_publicity_restarts_it() -> None:
    # GIVEN a round publicised for five working days, running since last week, with one funded
    # project, one waitlisted and an objection lodged
    round_id, (first, second) = await _reviewed(2, [50_000_00, 50_000_00], pool_fen=50_000_00)
    await allocation.allocate(actor=CLERK, round_id=round_id, ranking=[first.id, second.id])
    await rounds.move_round(actor=CLERK, round_id=round_id, to=RoundStage.RESULTS_PUBLICIZED)
    funding_round = await FundingRound.get(id=round_id)
    today = clock.today()
    await ReviewPanel.filter(id=funding_round.panel_id).update(
        publicity_starts_on=today - timedelta(days=6), publicity_ends_on=today + timedelta(days=1)
    )
    resident = await actor_of(await make_user("resident.objector"))
    objection = await objections.lodge_objection(
        actor=resident,
        panel_id=funding_round.panel_id,
        entry_id=None,
        name="王建华",
        mobile="13912345678",
        text="请公开评审专家的打分情况。",
        today=today,
    )
    # WHEN staff change the publicised project's award THEN it is refused, nothing changes
    with pytest.raises(DomainError) as caught:
        await allocation.award(actor=CLERK, application_id=first.id, amount_fen=40_000_00, reason="调整")
    assert (caught.value.code, caught.value.message) == (
        ErrorCode.INVALID_TRANSITION,
        "公示中的申报不能核定资助",
    )
    panel = await ReviewPanel.get(id=funding_round.panel_id)
    assert panel.publicity_ends_on == today + timedelta(days=1)
    # WHEN the funded project is withdrawn and the waitlisted one awarded the freed money
    await applications.withdraw(
        actor=organiser(await first.organisation), application_id=first.id, reason="无法实施"
    )
    awarded = await allocation.award(
        actor=CLERK, application_id=second.id, amount_fen=50_000_00, reason="递补"
    )
    # THEN it is publicised too and the period starts again today for five working days
    assert awarded.status is AppStatus.PUBLICIZING
    panel = await ReviewPanel.get(id=funding_round.panel_id)
    assert (panel.publicity_starts_on, panel.publicity_ends_on) == (
        _working_day(today, 1),
        _working_day(today, 5),
    )
    assert second.id in [a.id for a in (await queries.results(round_id, PageRequest(first=10))).items]
    entry = await AuditEntry.filter(action="review.restart_publicity").get()
    assert entry.summary["previous_period"].startswith((today - timedelta(days=6)).isoformat())
    assert entry.summary["reason"] == "递补资助“项目1”"
    # AND the round cannot be awarded before the new period is over, nor with the objection open
    with pytest.raises(DomainError) as caught:
        await rounds.move_round(actor=CLERK, round_id=round_id, to=RoundStage.AWARDED)
    assert caught.value.code is ReviewCode.PUBLICITY_NOT_OVER
    await ReviewPanel.filter(id=panel.id).update(publicity_ends_on=today - timedelta(days=1))
    with pytest.raises(DomainError) as caught:
        await rounds.move_round(actor=CLERK, round_id=round_id, to=RoundStage.AWARDED)
    assert caught.value.code is ReviewCode.OPEN_OBJECTIONS
    await objections.resolve_objection(
        actor=CLERK, objection_id=objection.id, upheld=False, answer="评审打分按规定不公开。"
    )
    await rounds.move_round(actor=CLERK, round_id=round_id, to=RoundStage.AWARDED)
    assert (await Application.get(id=second.id)).status is AppStatus.APPROVED


async def test_once_the_round_is_awarded_freed_money_is_not_awarded_again() -> None:
    # GIVEN an awarded round with 30,000 元 left and a waitlisted project behind the funded one
    round_id, (first, second) = await _reviewed(2, [50_000_00, 50_000_00], pool_fen=80_000_00)
    await allocation.allocate(actor=CLERK, round_id=round_id, ranking=[first.id, second.id])
    await rounds.move_round(actor=CLERK, round_id=round_id, to=RoundStage.RESULTS_PUBLICIZED)
    funding_round = await FundingRound.get(id=round_id)
    await ReviewPanel.filter(id=funding_round.panel_id).update(
        publicity_ends_on=clock.today() - timedelta(days=1)
    )
    await rounds.move_round(actor=CLERK, round_id=round_id, to=RoundStage.AWARDED)
    # WHEN staff award the waitlisted project what is left
    with pytest.raises(DomainError) as caught:
        await allocation.award(actor=CLERK, application_id=second.id, amount_fen=30_000_00, reason="递补")
    # THEN it is refused (no publicity would cover it) and the project keeps its place on the list
    assert (caught.value.code, caught.value.message) == (ErrorCode.WRONG_STAGE, "轮次已立项，不能核定资助")
    assert (await Application.get(id=second.id)).status is AppStatus.WAITLISTED
    assert await allocation.held_fen(round_id) == 50_000_00


async def test_allocation_refuses_a_ranking_with_an_application_not_reviewed() -> None:
    round_id, apps = await _reviewed(1, [10_000_00])
    with pytest.raises(DomainError) as caught:
        await allocation.allocate(actor=CLERK, round_id=round_id, ranking=[apps[0].id, apps[0].id + 1])
    assert caught.value.code is ErrorCode.INVALID


async def test_fifty_simultaneous_awards_never_overspend_the_pool() -> None:
    # GIVEN a pool of 10,000 元 and fifty reviewed applications asking 700 元 each (14 fit)
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(pool_fen=10_000_00, cap_fen=1_000_00, max_applications_per_org=50)
    await to_review(funding_round)
    ids = await reviewed_rows(funding_round, org, 50, requested=700_00)

    def award(application_id: int):  # type: ignore[no-untyped-def]
        return lambda: allocation.award(
            actor=CLERK, application_id=application_id, amount_fen=700_00, reason="核定"
        )

    # WHEN all fifty are awarded at once, each in its own transaction and connection
    outcome = await concurrently(*(award(i) for i in ids))
    # THEN they really overlapped on PostgreSQL (SQLite serialises them) ...
    if str(connections.get("default").capabilities.dialect) == "postgres":
        assert outcome.peak > 1
    else:
        assert outcome.peak == 1
    # ... fourteen were recommended, the other 36 refused for the pool, and the pool holds 9,800 元
    assert len(outcome.ok()) == 14
    assert outcome.errors() == [FundingCode.POOL_EXHAUSTED] * 36
    assert await allocation.held_fen(funding_round.id) == 9_800_00
    assert await Application.filter(status=AppStatus.RECOMMENDED).count() == 14


# --- public reads ----------------------------------------------------------------------------


async def test_the_public_sees_rounds_past_their_draft_and_published_results_in_one_statement_each(
    sql_log: SqlLog,
) -> None:
    # GIVEN a draft round and a reviewed round: one application awarded, one waitlisted, one not
    # selected
    await rounds.create_round(actor=CLERK, data=round_input(edition=9, title="第九届（草稿）"))
    round_id, apps = await _reviewed(3, [30_000_00, 20_000_00, 10_000_00])
    shown, waiting, dropped = apps
    await allocation.award(actor=CLERK, application_id=shown.id, amount_fen=30_000_00, reason="核定")
    for application, to in ((waiting, AppStatus.WAITLISTED), (dropped, AppStatus.NOT_SELECTED)):
        await applications.staff_move(
            actor=CLERK, application_id=application.id, to=to, reason="按排名", today=TODAY
        )
    # results are not public while the round is still reviewing
    assert (await queries.results(round_id, PageRequest(first=10))).items == []
    await rounds.move_round(actor=CLERK, round_id=round_id, to=RoundStage.RESULTS_PUBLICIZED)
    # WHEN the public lists rounds and results
    sql_log.reset()
    listed = await queries.rounds(PageRequest(first=10))
    results = await queries.results(round_id, PageRequest(first=10))
    # THEN only the round past its draft, and only the publicised application with its organisation
    assert [r.id for r in listed.items] == [round_id]
    assert [(a.id, a.award_fen, a.organisation.name) for a in results.items] == [
        (shown.id, 30_000_00, "演示公益服务中心")
    ]
    assert sql_log.count == 2
    assert (await Application.get(id=shown.id)).status is AppStatus.PUBLICIZING


async def test_the_public_sees_published_needs_only_in_one_statement(sql_log: SqlLog) -> None:
    from domain.access import Actor, Grant, Role

    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    funding_round = await rounds.create_round(actor=CLERK, data=round_input())
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.NEEDS_COLLECTION)
    resident = Actor(user_id=3001, display_name="resident", grants=(Grant(Role.RESIDENT),))
    made = [
        await needs.submit_need(
            actor=resident, round_id=funding_round.id, cell_id=tree.community.id, text=f"需求{i}：楼道照明"
        )
        for i in range(3)
    ]
    await needs.decide_need(actor=CLERK, need_id=made[0].id, publish=True)
    await needs.decide_need(actor=CLERK, need_id=made[1].id, publish=False)
    sql_log.reset()
    page = await queries.needs(funding_round.id, PageRequest(first=10))
    assert [n.id for n in page.items] == [made[0].id]
    assert sql_log.count == 1
