"""Venture funding test data, built through the domain services (the organisation registry's and
funding's own), except `reviewed_rows`, which inserts many reviewed applications at once for the
concurrency test."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from stdnum.cn import uscc as stdnum_uscc

from domain.access import Actor, Grant, Role
from domain.funding import applications, rounds
from domain.funding.applications import ApplicationInput, LineInput
from domain.funding.models import Application, AppStatus, FundedBy, FundingRound, RoundStage
from domain.funding.rounds import RoundInput
from domain.organisations import service as registry
from domain.organisations.models import LegalForm, Organisation, OrgField
from domain.organisations.service import OrganisationInput
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


async def to_review(funding_round: FundingRound) -> None:
    """Close the call and start reviewing."""
    for stage in (RoundStage.APPLICATIONS_CLOSED, RoundStage.REVIEWING):
        await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=stage)


async def review(application: Application) -> Application:
    """Staff confirm eligibility and record that review is done (the review module's part)."""
    for to in (AppStatus.ELIGIBLE, AppStatus.IN_REVIEW, AppStatus.REVIEWED):
        application = await applications.staff_move(
            actor=CLERK, application_id=application.id, to=to, reason="测试流转", today=TODAY
        )
    return application


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
