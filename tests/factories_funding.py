"""Venture funding test data, built through the domain services (the organisation registry's and
funding's own), except `reviewed_rows`, which inserts many reviewed applications at once for the
concurrency test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from stdnum.cn import uscc as stdnum_uscc

from domain.access import Actor, Grant, Role
from domain.funding import applications, rounds
from domain.funding import review as funding_review
from domain.funding.applications import ApplicationInput, LineInput
from domain.funding.models import Application, AppStatus, FundedBy, FundingRound, RoundStage
from domain.funding.rounds import RoundInput
from domain.organisations import service as registry
from domain.organisations.models import LegalForm, Organisation, OrgField
from domain.organisations.service import OrganisationInput
from domain.review.models import ReviewPanel
from tests.factories import BUREAU, Tree

TODAY = date(2026, 12, 5)
CLERK = Actor(user_id=9001, display_name="clerk.wang", grants=(Grant(Role.BUREAU_STAFF),))
CHECKER = Actor(user_id=9002, display_name="clerk.li", grants=(Grant(Role.BUREAU_STAFF),))
_serial = 0


def _uscc() -> str:
    global _serial
    _serial += 1
    base = f"52330482MJ{_serial:07d}"
    return base + stdnum_uscc.calc_check_digit(base + "0")


async def registered_org(tree: Tree, name: str = "演示公益服务中心") -> Organisation:
    data = OrganisationInput(
        name=name,
        legal_form=LegalForm.SERVICE_INSTITUTION,
        field=OrgField.CHARITY,
        home_cell_id=tree.community.id,
        uscc=_uscc(),
        registered_on=date(2020, 5, 1),
    )
    return await registry.create_organisation(actor=BUREAU, data=data, today=TODAY)


async def filed_org(tree: Tree, name: str = "演示邻里互助队") -> Organisation:
    global _serial
    _serial += 1
    data = OrganisationInput(
        name=name,
        legal_form=LegalForm.COMMUNITY_GROUP,
        field=OrgField.MUTUAL_AID,
        home_cell_id=tree.grids[0].id,
        filing_number=f"当湖备-2019-{_serial:03d}",
        filing_cell_id=tree.community.id,
        filed_on=date(2019, 3, 1),
    )
    return await registry.create_organisation(actor=BUREAU, data=data, today=TODAY)


def organiser(org: Organisation, user_id: int = 7001) -> Actor:
    return Actor(
        user_id=user_id,
        display_name=f"organiser.{org.id}",
        grants=(Grant(Role.ORGANISER, organisation_id=org.id),),
    )


def round_input(**overrides: Any) -> RoundInput:
    base = RoundInput(edition=1, year=2026, title="第一届公益创投", pool_fen=100_000_00, cap_fen=50_000_00)
    return replace(base, **overrides)


async def open_round(**overrides: Any) -> FundingRound:
    funding_round = await rounds.create_round(actor=CLERK, data=round_input(**overrides))
    return await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.OPEN)


def app_input(
    tree: Tree, org: Organisation, grant: int = 30_000_00, matching: int = 20_000_00, **overrides: Any
) -> ApplicationInput:
    lines = (
        LineInput("活动费", "邻里互助活动物料", grant, FundedBy.GRANT),
        LineInput("自筹", "组织自筹与社区配套", matching, FundedBy.MATCHING),
    )
    base = ApplicationInput(
        organisation_id=org.id,
        project_name="银龄互助食堂",
        target_group="社区独居老人",
        problem="社区独居老人用餐困难，缺少日常照应与邻里联系。",
        plan="组织志愿者每周三次送餐上门，并开展邻里互助结对活动。",
        requested_fen=grant,
        budget_lines=lines,
        milestones=(("启动", date(2027, 1, 10)), ("中期", date(2027, 6, 30))),
        cell_ids=(tree.community.id,),
    )
    return replace(base, **overrides)


async def submitted(
    tree: Tree, funding_round: FundingRound, org: Organisation, **overrides: Any
) -> Application:
    actor = organiser(org)
    data = app_input(tree, org, **overrides)
    draft = await applications.create_application(actor=actor, round_id=funding_round.id, data=data)
    return await applications.submit(actor=actor, application_id=draft.id, today=TODAY)


async def to_review(funding_round: FundingRound, eligible: Sequence[Application] = ()) -> None:
    """Close the call, confirm `eligible` eligible, and start reviewing: they go on the round's
    review panel (IN_REVIEW)."""
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.APPLICATIONS_CLOSED)
    for application in eligible:
        await applications.staff_move(
            actor=CLERK,
            application_id=application.id,
            to=AppStatus.ELIGIBLE,
            reason="资格审查通过",
            today=TODAY,
        )
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.REVIEWING)


async def close_review(funding_round: FundingRound) -> ReviewPanel:
    """Close the panel (no roadshow): every application still on it is REVIEWED."""
    return await funding_review.finish_review(actor=CLERK, round_id=funding_round.id)


async def reviewed(funding_round: FundingRound, made: Sequence[Application]) -> list[Application]:
    """`made` (submitted) confirmed eligible, put on the panel and the review closed: REVIEWED."""
    await to_review(funding_round, made)
    await close_review(funding_round)
    return [await Application.get(id=a.id) for a in made]


async def publicity_over(funding_round: FundingRound) -> None:
    """Publicise the results and let the period end (its dates moved into the past, as if it ran
    last month), with no objection."""
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.RESULTS_PUBLICIZED)
    await ReviewPanel.filter(id=funding_round.panel_id).update(
        publicity_starts_on=TODAY - timedelta(days=40), publicity_ends_on=TODAY - timedelta(days=33)
    )


async def approved(funding_round: FundingRound) -> None:
    """Publicity over without objection: the round AWARDED, its publicised applications APPROVED."""
    await publicity_over(funding_round)
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.AWARDED)


async def reviewed_rows(
    funding_round: FundingRound, org: Organisation, count: int, requested: int
) -> list[int]:
    """`count` reviewed applications inserted directly (their path to REVIEWED is tested elsewhere)."""
    rows = [
        Application(
            round_id=funding_round.id,
            organisation_id=org.id,
            project_name=f"演示项目{i:02d}",
            target_group="居民",
            problem="需求分析",
            plan="实施方案",
            requested_fen=requested,
            budget_total_fen=requested * 2,
            status=AppStatus.REVIEWED,
        )
        for i in range(count)
    ]
    await Application.bulk_create(rows)
    return [a.id for a in await Application.filter(round_id=funding_round.id).order_by("id")]
