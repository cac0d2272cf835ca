"""Venture funding's mutations with every role and anonymous: outcomes match docs/permissions.md
(funding.round_manage, .apply, .application_move, .award, .disburse, .evaluate, .need_submit,
.need_decide), and a refusal changes nothing. Each actor acts with a token of every scope.

Each case builds only the state its mutation needs (a draft round, an open call, an application
submitted, reviewed, approved, contracted, with a tranche approved or paid, in progress, with a
pending evaluation; needs collection). The organiser acts for `own`; grid staff are over the
community, where `own`'s application serves and the first need was raised."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain import clock, storage
from domain.access import ALL_SCOPES, Actor, Grant, Role
from domain.accounts import service as accounts
from domain.accounts.service import SYSTEM
from domain.audit.models import AuditEntry
from domain.funding import allocation, applications, attachments, needs, rounds, tranches
from domain.funding.models import (
    Agreement,
    Application,
    ApplicationAttachment,
    AppStatus,
    Evaluation,
    EvaluationKind,
    FundingRound,
    MilestoneReport,
    Need,
    Reclaim,
    RoundStage,
    Tranche,
)
from domain.organisations.models import Organisation
from domain.permissions import MATRIX, Access
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.factories import Tree, build_tree
from tests.factories_files import pdf_bytes
from tests.factories_funding import (
    CHECKER,
    CLERK,
    app_input,
    approved,
    open_round,
    organiser,
    registered_org,
    reviewed,
    round_input,
    submitted,
)

pytestmark = pytest.mark.usefixtures("funding_clerks")

ACTORS: list[Role | None] = [None, *Role]
TODAY = clock.today()
RESIDENT = Actor(user_id=3001, display_name="resident", grants=(Grant(Role.RESIDENT),))


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path) -> Iterator[Path]:
    previous = storage.configure(tmp_path)
    yield storage.attachments_dir()
    storage.configure(previous)


@dataclass
class World:
    tree: Tree
    own: Organisation
    other: Organisation
    ids: dict[str, int] = field(default_factory=dict)


Build = Callable[[World], Awaitable[None]]


async def _draft_round(w: World) -> None:
    w.ids["round"] = (await rounds.create_round(actor=CLERK, data=round_input(edition=5))).id


async def _open(w: World) -> None:
    funding_round = await open_round(max_applications_per_org=5)
    w.ids["round"] = funding_round.id
    for name, org in (("mine", w.own), ("theirs", w.other)):
        draft = await applications.create_application(
            actor=organiser(org), round_id=funding_round.id, data=app_input(w.tree, org, project_name=name)
        )
        w.ids[name] = draft.id


async def _with_files(w: World) -> None:
    """The open call's two drafts, each with an attachment."""
    await _open(w)
    for name, org in (("mine", w.own), ("theirs", w.other)):
        added = await attachments.add_attachment(
            actor=organiser(org), application_id=w.ids[name], data=pdf_bytes(), declared_name="申报书.pdf"
        )
        w.ids[f"{name}_file"] = added.id


async def _submitted(w: World) -> None:
    funding_round = await open_round()
    w.ids["round"] = funding_round.id
    w.ids["app"] = (await submitted(w.tree, funding_round, w.own)).id


async def _reviewed(w: World) -> None:
    await _submitted(w)
    await reviewed(await FundingRound.get(id=w.ids["round"]), [await Application.get(id=w.ids["app"])])


async def _approved(w: World) -> None:
    await _reviewed(w)
    application = w.ids["app"]
    await allocation.award(actor=CLERK, application_id=application, amount_fen=30_000_00, reason="核定")
    await approved(await FundingRound.get(id=w.ids["round"]))


async def _contracted(w: World) -> None:
    await _approved(w)
    await tranches.sign_agreement(
        actor=CLERK, application_id=w.ids["app"], number="PH-2026-001", signed_on=TODAY, today=TODAY
    )
    w.ids["tranche"] = (await Tranche.get(application_id=w.ids["app"], seq=1)).id


async def _tranche_approved(w: World) -> None:
    await _contracted(w)
    for approver in (CLERK, CHECKER):
        await tranches.approve_tranche(actor=approver, tranche_id=w.ids["tranche"])


async def _paid(w: World) -> None:
    await _tranche_approved(w)
    await tranches.pay_tranche(
        actor=CLERK, tranche_id=w.ids["tranche"], paid_on=TODAY, reference="PZ-1", today=TODAY
    )


async def _in_progress(w: World) -> None:
    await _contracted(w)
    await applications.staff_move(
        actor=CLERK, application_id=w.ids["app"], to=AppStatus.IN_PROGRESS, reason="开工", today=TODAY
    )


async def _evaluation(w: World) -> None:
    await _in_progress(w)
    evaluation = await tranches.submit_self_assessment(
        actor=organiser(w.own),
        application_id=w.ids["app"],
        kind=EvaluationKind.MIDTERM,
        text="自评",
        on=TODAY,
    )
    w.ids["evaluation"] = evaluation.id


async def _needs(w: World) -> None:
    funding_round = await rounds.create_round(actor=CLERK, data=round_input())
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.NEEDS_COLLECTION)
    w.ids["round"] = funding_round.id
    for name, cell in (("need", w.tree.community), ("far_need", w.tree.village)):
        need = await needs.submit_need(
            actor=RESIDENT, round_id=funding_round.id, cell_id=cell.id, text="楼道照明需要改善"
        )
        w.ids[name] = need.id


async def _snapshot() -> tuple[object, ...]:
    return (
        sorted(await FundingRound.all().values_list("id", "stage", "title")),
        sorted(await Application.all().values_list("id", "status", "award_fen", "project_name")),
        sorted(await Tranche.all().values_list("id", "status", "first_approver_user_id")),
        sorted(await Evaluation.all().values_list("id", "passed")),
        sorted(await Need.all().values_list("id", "status")),
        await Agreement.all().count(),
        await Reclaim.all().count(),
        await MilestoneReport.all().count(),
        sorted(await ApplicationAttachment.all().values_list("id", flat=True)),
        await AuditEntry.exclude(action__in=["user.create", "role.grant", "token.create"]).count(),
    )


def _gid(type_name: str, pk: int) -> str:
    return global_id(type_name, pk)


Inputs = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    action: str
    name: str
    result: str
    build: Build
    inputs: Inputs
    inside: bool = True
    """Inside the part a limited cell allows: the organiser's own organisation, the grid staff's
    scope."""

    async def attempt(self, c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
        input_type = self.name[0].upper() + self.name[1:] + "Input"
        input_type = INPUT_TYPES.get(self.name, input_type)
        query = f"""mutation ($i: {input_type}!) {{
          {self.name}(input: $i) {{ {self.result} {{ __typename }} userErrors {{ code }} }} }}"""
        body = await gql(c, query, headers=h, i=self.inputs(w))
        data = (body.get("data") or {}).get(self.name)
        return bool(data and data[self.result] is not None and not data["userErrors"])


INPUT_TYPES = {
    "applicationSubmit": "ApplicationIdInput",
    "fundingRoundCreate": "FundingRoundInput",
}


def _round_values(edition: int) -> dict[str, Any]:
    return {
        "edition": edition,
        "year": 2026,
        "title": "第七届公益创投",
        "poolFen": 100_000_00,
        "capFen": 50_000_00,
    }


def _application_values(w: World, org: Organisation, name: str) -> dict[str, Any]:
    return {
        "organisationId": _gid("Organisation", org.id),
        "projectName": name,
        "targetGroup": "社区独居老人",
        "problem": "社区独居老人用餐困难，缺少日常照应。",
        "plan": "组织志愿者每周三次送餐上门，开展结对活动。",
        "requestedFen": 30_000_00,
        "budgetLines": [
            {"category": "活动费", "item": "物料", "amountFen": 30_000_00, "fundedBy": "GRANT"},
            {"category": "自筹", "item": "配套", "amountFen": 20_000_00, "fundedBy": "MATCHING"},
        ],
        "cellIds": [_gid("GridCell", w.tree.community.id)],
    }


def _app(w: World, key: str = "app") -> str:
    return _gid("Application", w.ids[key])


CASES: dict[str, Case] = {
    "fundingRoundCreate": Case(
        "funding.round_manage", "fundingRoundCreate", "fundingRound", _draft_round, lambda w: _round_values(7)
    ),
    "fundingRoundUpdate": Case(
        "funding.round_manage",
        "fundingRoundUpdate",
        "fundingRound",
        _draft_round,
        lambda w: {"id": _gid("FundingRound", w.ids["round"]), **_round_values(5)},
    ),
    "fundingRoundMove": Case(
        "funding.round_manage",
        "fundingRoundMove",
        "fundingRound",
        _draft_round,
        lambda w: {"id": _gid("FundingRound", w.ids["round"]), "to": "OPEN"},
    ),
    "applicationCreate": Case(
        "funding.apply",
        "applicationCreate",
        "application",
        _open,
        lambda w: {
            "roundId": _gid("FundingRound", w.ids["round"]),
            **_application_values(w, w.own, "新项目"),
        },
    ),
    "applicationCreate (another organisation)": Case(
        "funding.apply",
        "applicationCreate",
        "application",
        _open,
        lambda w: {
            "roundId": _gid("FundingRound", w.ids["round"]),
            **_application_values(w, w.other, "新项目"),
        },
        inside=False,
    ),
    "applicationUpdate": Case(
        "funding.apply",
        "applicationUpdate",
        "application",
        _open,
        lambda w: {"id": _app(w, "mine"), **_application_values(w, w.own, "改名项目")},
    ),
    "applicationUpdate (another organisation)": Case(
        "funding.apply",
        "applicationUpdate",
        "application",
        _open,
        lambda w: {"id": _app(w, "theirs"), **_application_values(w, w.other, "改名项目")},
        inside=False,
    ),
    "applicationSubmit": Case(
        "funding.apply", "applicationSubmit", "application", _open, lambda w: {"id": _app(w, "mine")}
    ),
    "applicationSubmit (another organisation)": Case(
        "funding.apply",
        "applicationSubmit",
        "application",
        _open,
        lambda w: {"id": _app(w, "theirs")},
        inside=False,
    ),
    "applicationWithdraw": Case(
        "funding.apply",
        "applicationWithdraw",
        "application",
        _submitted,
        lambda w: {"id": _app(w), "reason": "调整计划"},
    ),
    "fundingAttachmentRemove": Case(
        "funding.apply",
        "fundingAttachmentRemove",
        "application",
        _with_files,
        lambda w: {"id": _gid("ApplicationAttachment", w.ids["mine_file"])},
    ),
    "fundingAttachmentRemove (another organisation)": Case(
        "funding.apply",
        "fundingAttachmentRemove",
        "application",
        _with_files,
        lambda w: {"id": _gid("ApplicationAttachment", w.ids["theirs_file"])},
        inside=False,
    ),
    "milestoneReport": Case(
        "funding.apply",
        "milestoneReport",
        "report",
        _contracted,
        lambda w: {"applicationId": _app(w), "title": "启动", "text": "已启动", "reportedOn": str(TODAY)},
    ),
    "evaluationSelfAssess": Case(
        "funding.apply",
        "evaluationSelfAssess",
        "evaluation",
        _in_progress,
        lambda w: {
            "applicationId": _app(w),
            "kind": "MIDTERM",
            "selfAssessment": "按计划推进",
            "on": str(TODAY),
        },
    ),
    "applicationMove": Case(
        "funding.application_move",
        "applicationMove",
        "application",
        _submitted,
        lambda w: {"id": _app(w), "to": "NEEDS_INFO", "reason": "请补充预算说明"},
    ),
    "fundingAllocate": Case(
        "funding.award",
        "fundingAllocate",
        "allocation",
        _reviewed,
        lambda w: {"roundId": _gid("FundingRound", w.ids["round"]), "ranking": [_app(w)]},
    ),
    "fundingAward": Case(
        "funding.award",
        "fundingAward",
        "application",
        _reviewed,
        lambda w: {"applicationId": _app(w), "amountFen": 30_000_00, "reason": "核定"},
    ),
    "agreementSign": Case(
        "funding.disburse",
        "agreementSign",
        "agreement",
        _approved,
        lambda w: {"applicationId": _app(w), "number": "PH-2026-009", "signedOn": str(TODAY)},
    ),
    "trancheApprove": Case(
        "funding.disburse",
        "trancheApprove",
        "tranche",
        _contracted,
        lambda w: {"id": _gid("Tranche", w.ids["tranche"])},
    ),
    "tranchePay": Case(
        "funding.disburse",
        "tranchePay",
        "tranche",
        _tranche_approved,
        lambda w: {"id": _gid("Tranche", w.ids["tranche"]), "paidOn": str(TODAY), "reference": "PZ-9"},
    ),
    "fundingReclaim": Case(
        "funding.disburse",
        "fundingReclaim",
        "reclaim",
        _paid,
        lambda w: {"applicationId": _app(w), "amountFen": 1_000_00, "reason": "超范围支出", "on": str(TODAY)},
    ),
    "applicationTerminate": Case(
        "funding.disburse",
        "applicationTerminate",
        "application",
        _contracted,
        lambda w: {"id": _app(w), "reason": "无法实施", "on": str(TODAY)},
    ),
    "evaluationReview": Case(
        "funding.evaluate",
        "evaluationReview",
        "evaluation",
        _evaluation,
        lambda w: {"id": _gid("Evaluation", w.ids["evaluation"]), "score": 80, "on": str(TODAY)},
    ),
    "needSubmit": Case(
        "funding.need_submit",
        "needSubmit",
        "need",
        _needs,
        lambda w: {
            "roundId": _gid("FundingRound", w.ids["round"]),
            "cellId": _gid("GridCell", w.tree.community.id),
            "text": "希望增设老年食堂",
        },
    ),
    "needDecide": Case(
        "funding.need_decide",
        "needDecide",
        "need",
        _needs,
        lambda w: {"id": _gid("Need", w.ids["need"]), "publish": True},
    ),
    "needDecide (outside the scope)": Case(
        "funding.need_decide",
        "needDecide",
        "need",
        _needs,
        lambda w: {"id": _gid("Need", w.ids["far_need"]), "publish": True},
        inside=False,
    ),
}


async def _actor(role: Role | None, tree: Tree, own: Organisation) -> dict[str, str]:
    if role is None:
        return {}
    cell = tree.community if role is Role.GRID_STAFF else None
    roles = () if role is Role.ORGANISER else (role,)
    user = await make_user(f"matrix.{role.value.lower()}", *roles, cell=cell)
    if role is Role.ORGANISER:
        await accounts.grant_role(actor=SYSTEM, user_id=user.id, role=Role.ORGANISER, organisation_id=own.id)
    return await bearer(user, *ALL_SCOPES)


def _expected(case: Case, role: Role | None) -> bool:
    access = next(p for p in MATRIX if p.action == case.action).access(role)
    if access is Access.ALLOWED:
        return True
    return access in {Access.IN_SCOPE, Access.OWN, Access.LIMITED} and case.inside


@pytest.mark.parametrize("mutation", list(CASES))
@pytest.mark.parametrize("role", ACTORS, ids=lambda r: "anonymous" if r is None else r.value)
async def test_funding_mutations_follow_the_matrix(
    client: httpx.AsyncClient, mutation: str, role: Role | None
) -> None:
    # GIVEN the state the mutation needs (see the module) and an actor of `role`
    case = CASES[mutation]
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    world = World(tree, await registered_org(tree), await registered_org(tree, "演示邻里服务社"))
    await case.build(world)
    headers = await _actor(role, tree, world.own)
    before = await _snapshot()
    # WHEN the actor attempts the mutation
    allowed = await case.attempt(client, headers, world)
    # THEN the outcome is the documented one, and a refusal changed nothing
    assert allowed is _expected(case, role)
    if not allowed:
        assert await _snapshot() == before


def test_every_action_of_venture_funding_is_walked() -> None:
    written = {
        p.action for p in MATRIX if p.token_scope == "write:funding" and p.action.startswith("funding.")
    }
    assert {case.action for case in CASES.values()} == written


def test_every_mutation_of_venture_funding_is_walked() -> None:
    from api.schema.funding.mutations import FundingMutations

    definition = FundingMutations.__strawberry_definition__  # type: ignore[attr-defined]
    names = {_camel(f.python_name) for f in definition.fields}
    assert {case.name for case in CASES.values()} == names


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
