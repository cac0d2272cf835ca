"""Venture-funding data for the bureau's page tests, built through the domain services: a round under
review with three reviewed applications and two submitted ones (one from an organisation listed
since it submitted), and a contracted project whose first tranche is due and whose mid-term
self-assessment waits for a score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import httpx

from domain.access import Role
from domain.funding import allocation, applications, rounds, tranches
from domain.funding.models import (
    Application,
    AppStatus,
    EvaluationKind,
    FundingRound,
    RoundStage,
    Tranche,
)
from domain.organisations import service as registry
from domain.organisations.models import Organisation, SanctionList
from tests.accounts import make_user
from tests.factories import BUREAU, Tree, build_tree
from tests.factories_funding import (
    CLERK,
    TODAY,
    approved,
    open_round,
    organiser,
    registered_org,
    reviewed,
    round_input,
    submitted,
)
from tests.web.session import Browser, signed_in

YUAN = 100


@dataclass
class Reviewed:
    """A round under review (pool 100,000 元, cap 50,000 元) with `ranked` reviewed applications
    asking 40,000, 40,000 and 30,000 元, a clean submitted one and one whose organisation was
    listed after it submitted."""

    tree: Tree
    round: FundingRound
    ranked: list[Application]
    clean: Application
    listed: Application
    orgs: list[Organisation]


async def reviewed_round(tree: Tree | None = None, edition: int = 1) -> Reviewed:
    tree = tree or await build_tree(grids=1, micro_grids_per_grid=0)
    funding_round = await open_round(edition=edition, title=f"第{edition}届公益创投")
    orgs = [await registered_org(tree, f"演示公益服务中心{edition}{i}") for i in range(5)]
    asks = (40_000, 40_000, 30_000, 20_000, 20_000)
    apps = [
        await submitted(
            tree, funding_round, org, grant=ask * YUAN, matching=ask * YUAN, project_name=f"项目{i + 1}"
        )
        for i, (org, ask) in enumerate(zip(orgs, asks, strict=True))
    ]
    await registry.add_sanction(
        actor=BUREAU,
        organisation_id=orgs[4].id,
        sanction_list=SanctionList.DISHONEST,
        reason="虚假材料",
        source="平湖市民政局",
        listed_on=TODAY,
        today=TODAY,
    )
    ranked = await reviewed(funding_round, apps[:3])
    return Reviewed(tree, funding_round, ranked, apps[3], apps[4], orgs)


@dataclass
class Running:
    application: Application
    tranche: Tranche
    evaluation_id: int


async def approved_project(tree: Tree | None = None, edition: int = 9, **overrides: object) -> Application:
    """A project awarded 40,000 元, publicised and approved (立项): its agreement is next."""
    tree = tree or await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree, f"演示社工服务社{edition}")
    funding_round = await rounds.create_round(
        actor=CLERK, data=round_input(edition=edition, title=f"第{edition}届公益创投", **overrides)
    )
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.OPEN)
    application = await submitted(tree, funding_round, org, grant=40_000_00, matching=40_000_00)
    await reviewed(funding_round, [application])
    await allocation.award(actor=CLERK, application_id=application.id, amount_fen=40_000_00, reason="核定")
    await approved(funding_round)
    return await Application.get(id=application.id)


async def running_project(tree: Tree | None = None, edition: int = 9, **overrides: object) -> Running:
    """A project awarded 40,000 元, contracted (tranche 1, 50%, due) and in progress, with a
    mid-term self-assessment submitted. Every tranche needs a second approver unless overridden."""
    application = await approved_project(tree, edition, **overrides)
    org = await Organisation.get(id=application.organisation_id)
    await tranches.sign_agreement(
        actor=CLERK, application_id=application.id, number=f"PH-GY-{edition}", signed_on=TODAY, today=TODAY
    )
    await applications.staff_move(
        actor=CLERK, application_id=application.id, to=AppStatus.IN_PROGRESS, reason="启动", today=TODAY
    )
    evaluation = await tranches.submit_self_assessment(
        actor=organiser(org),
        application_id=application.id,
        kind=EvaluationKind.MIDTERM,
        text="按计划完成中期任务。",
        on=TODAY,
    )
    tranche = await Tranche.get(application_id=application.id, seq=1)
    return Running(await Application.get(id=application.id), tranche, evaluation.id)


async def staff(client: httpx.AsyncClient, username: str = "bureau.chen") -> Browser:
    await make_user(username, Role.BUREAU_STAFF, name="陈晓")
    return await signed_in(client, username)


async def someone(client: httpx.AsyncClient, role: Role, tree: Tree) -> Browser:
    username = f"other.{role.value.lower()}"
    await make_user(username, role, cell=tree.community)
    return await signed_in(client, username)


def day_before(day: date) -> str:
    return date.fromordinal(day.toordinal() - 1).isoformat()
