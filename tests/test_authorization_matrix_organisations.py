"""The organisation-registry and social-work mutations with every role and anonymous: outcomes
match docs/permissions.md (organisation.register, .file, .maintain, socialwork.register,
supervision.log), and a refusal changes nothing. Each actor acts with a token of every scope.

The world puts every actor where the matrix's limited cells can succeed: grid staff over the
community the filed organisation is filed with, the organiser acting for that organisation, and
the actor's own person registered as the supervisor (for every role: the matrix still refuses
residents and administrators their "own" supervision)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from domain import clock
from domain.access import ALL_SCOPES, Role
from domain.accounts import service as accounts
from domain.accounts.service import SYSTEM
from domain.audit.models import AuditEntry
from domain.organisations import members, service
from domain.organisations.models import (
    AnnualReport,
    LegalForm,
    MemberRole,
    Organisation,
    OrganisationMember,
    OrgField,
    RatingRecord,
    Sanction,
    SanctionList,
)
from domain.organisations.service import OrganisationInput
from domain.people.models import Person
from domain.permissions import MATRIX, Access
from domain.socialwork import service as socialwork
from domain.socialwork.models import (
    CertificateLevel,
    Placement,
    SocialWorker,
    SupervisionRecord,
    SupervisorLevel,
)
from domain.socialwork.service import WorkerInput
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.domain.test_organisations import code
from tests.factories import BUREAU, Tree, build_tree

ACTORS: list[Role | None] = [None, *Role]
TODAY = clock.today()


@dataclass
class World:
    tree: Tree
    own: Organisation  # filed with the community; the organiser acts for it
    other: Organisation  # filed with the village: outside grid staff's scope, not the organiser's
    agency: Organisation  # a registered social-work agency
    member: OrganisationMember  # of `own`
    report: AnnualReport  # of `own`, submitted, two years ago
    sanction: Sanction  # on the agency, in force
    placement: Placement  # the agency in the village
    supervisor: SocialWorker  # the actor's own person (a new one for anonymous)
    other_supervisor: SocialWorker
    supervisee: SocialWorker
    newcomer: Person


def _org(name: str, tree: Tree, **values: Any) -> OrganisationInput:
    return OrganisationInput(name=name, field=OrgField.MUTUAL_AID, **values)


async def _organisations(tree: Tree) -> tuple[Organisation, Organisation, Organisation]:
    own = await service.create_organisation(
        actor=BUREAU,
        data=_org(
            "演示邻里互助队",
            tree,
            legal_form=LegalForm.COMMUNITY_GROUP,
            home_cell_id=tree.grids[0].id,
            filing_number="当湖备-2019-001",
            filing_cell_id=tree.community.id,
            founded_on=clock.years_later(TODAY, -5),
        ),
        today=TODAY,
    )
    other = await service.create_organisation(
        actor=BUREAU,
        data=_org(
            "演示村舞蹈队",
            tree,
            legal_form=LegalForm.COMMUNITY_GROUP,
            home_cell_id=tree.village.id,
            filing_number="当湖备-2019-002",
            filing_cell_id=tree.village.id,
        ),
        today=TODAY,
    )
    agency = await service.create_organisation(
        actor=BUREAU,
        data=_org(
            "演示社工服务中心",
            tree,
            legal_form=LegalForm.SERVICE_INSTITUTION,
            home_cell_id=tree.town.id,
            uscc=code("2"),
            social_work=True,
        ),
        today=TODAY,
    )
    return own, other, agency


async def _worker(person_id: int, n: int, agency: int, supervisor: bool) -> SocialWorker:
    data = WorkerInput(
        person_id=person_id,
        level=CertificateLevel.INTERMEDIATE,
        certificate_number=f"ZJ2020{n:05d}",
        certificate_year=2020,
        employer_id=agency,
        supervisor_level=SupervisorLevel.SUPERVISOR if supervisor else None,
    )
    return await socialwork.register_worker(actor=BUREAU, data=data, today=TODAY)


async def _world(tree: Tree, actor_person: int | None) -> World:
    own, other, agency = await _organisations(tree)
    newcomer = await Person.create(name="沈新人", mobile="13912345678")
    first = await Person.create(name="陆成员")
    member = await members.add_member(
        actor=BUREAU,
        organisation_id=own.id,
        person_id=first.id,
        role=MemberRole.MEMBER,
        started_on=TODAY,
        today=TODAY,
    )
    report = await members.submit_annual_report(
        actor=BUREAU, organisation_id=own.id, year=TODAY.year - 2, today=TODAY
    )
    sanction = await service.add_sanction(
        actor=BUREAU,
        organisation_id=agency.id,
        sanction_list=SanctionList.ABNORMAL,
        reason="未报送年报",
        source="平湖市民政局",
        listed_on=TODAY,
        today=TODAY,
    )
    placement = await socialwork.place_agency(
        actor=BUREAU, agency_id=agency.id, cell_id=tree.village.id, started_on=TODAY, today=TODAY
    )
    own_person = actor_person or (await Person.create(name="周督导")).id
    supervisor = await _worker(own_person, 1, agency.id, supervisor=True)
    other_supervisor = await _worker((await Person.create(name="钱督导")).id, 2, agency.id, supervisor=True)
    supervisee = await _worker((await Person.create(name="孙社工")).id, 3, agency.id, supervisor=False)
    return World(
        tree,
        own,
        other,
        agency,
        member,
        report,
        sanction,
        placement,
        supervisor,
        other_supervisor,
        supervisee,
        newcomer,
    )


async def _actor(role: Role | None, tree: Tree) -> tuple[dict[str, str], int | None, Any]:
    """Headers, the actor's person, and a function granting the organiser their organisation."""
    if role is None:
        return {}, None, None
    if role is Role.ORGANISER:
        user = await make_user("matrix.organiser")
    else:
        user = await make_user(
            f"matrix.{role.value.lower()}", role, cell=tree.community if role is Role.GRID_STAFF else None
        )

    async def grant_organisation(org: Organisation) -> None:
        if role is Role.ORGANISER:
            await accounts.grant_role(
                actor=SYSTEM, user_id=user.id, role=Role.ORGANISER, organisation_id=org.id
            )

    return await bearer(user, *ALL_SCOPES), user.person_id, grant_organisation


async def _snapshot() -> tuple[object, ...]:
    return (
        sorted(await Organisation.all().values_list("id", "status", "legal_form", "uscc")),
        sorted(await OrganisationMember.all().values_list("id", "ended_on")),
        sorted(await Sanction.all().values_list("id", "removed_on")),
        await RatingRecord.all().count(),
        sorted(await AnnualReport.all().values_list("id", "status")),
        sorted(await Placement.all().values_list("id", "ended_on")),
        await SocialWorker.all().count(),
        await SupervisionRecord.all().count(),
        await AuditEntry.exclude(action__in=["user.create", "role.grant", "token.create"]).count(),
    )


def _ok(body: dict[str, Any], field: str, result: str) -> bool:
    data = body.get("data") or {}
    return bool(data.get(field) and data[field][result] is not None and not data[field]["userErrors"])


def _mutation(
    name: str, input_type: str, result: str, build: Callable[[World], dict[str, Any]], pick: str = "id"
) -> Operation:
    query = f"""mutation ($i: {input_type}!) {{
      {name}(input: $i) {{ {result} {{ {pick} }} userErrors {{ code }} }} }}"""

    async def attempt(c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
        return _ok(await gql(c, query, headers=h, i=build(w)), name, result)

    return attempt


Operation = Callable[[httpx.AsyncClient, dict[str, str], World], Awaitable[bool]]


def _gid(type_name: str, pk: int) -> str:
    return global_id(type_name, pk)


REGISTER = _mutation(
    "organisationCreate",
    "OrganisationCreateInput",
    "organisation",
    lambda w: {
        "name": "演示公益基金会",
        "legalForm": "FOUNDATION",
        "field": "CHARITY",
        "homeCellId": _gid("GridCell", w.tree.community.id),
        "uscc": code("3"),
    },
)
FILE = _mutation(
    "organisationCreate",
    "OrganisationCreateInput",
    "organisation",
    lambda w: {
        "name": "演示合唱团",
        "legalForm": "COMMUNITY_GROUP",
        "field": "CULTURE_SPORTS",
        "homeCellId": _gid("GridCell", w.tree.grids[0].id),
        "filingNumber": "当湖备-2026-009",
        "filingCellId": _gid("GridCell", w.tree.community.id),
    },
)
UPGRADE = _mutation(
    "organisationUpgrade",
    "OrganisationUpgradeInput",
    "organisation",
    lambda w: {
        "id": _gid("Organisation", w.own.id),
        "legalForm": "SOCIAL_GROUP",
        "uscc": code("1"),
        "registeredOn": str(TODAY),
    },
)
DEREGISTER = _mutation(
    "organisationDeregister",
    "OrganisationDeregisterInput",
    "organisation",
    lambda w: {"id": _gid("Organisation", w.other.id), "on": str(TODAY), "reason": "自行解散"},
)
SANCTION = _mutation(
    "organisationSanctionAdd",
    "OrganisationSanctionAddInput",
    "sanction",
    lambda w: {
        "organisationId": _gid("Organisation", w.agency.id),
        "list": "DISHONEST",
        "reason": "虚假材料",
        "source": "平湖市民政局",
        "listedOn": str(TODAY),
    },
)
LIFT = _mutation(
    "organisationSanctionLift",
    "OrganisationSanctionLiftInput",
    "sanction",
    lambda w: {"id": _gid("OrganisationSanction", w.sanction.id), "on": str(TODAY), "reason": "已补报"},
)
RATE = _mutation(
    "organisationRatingAdd",
    "OrganisationRatingAddInput",
    "rating",
    lambda w: {"organisationId": _gid("Organisation", w.agency.id), "level": "A3", "ratedOn": str(TODAY)},
    pick="label",
)
DECIDE = _mutation(
    "annualReportDecide",
    "AnnualReportDecideInput",
    "annualReport",
    lambda w: {"id": _gid("AnnualReport", w.report.id), "accept": True},
)


def _add_member(which: str) -> Operation:
    return _mutation(
        "organisationMemberAdd",
        "OrganisationMemberAddInput",
        "member",
        lambda w: {
            "organisationId": _gid("Organisation", getattr(w, which).id),
            "personId": _gid("Person", w.newcomer.id),
            "role": "CONTACT",
            "startedOn": str(TODAY),
        },
    )


END_MEMBER = _mutation(
    "organisationMemberEnd",
    "OrganisationMemberEndInput",
    "member",
    lambda w: {"id": _gid("OrganisationMember", w.member.id), "endedOn": str(TODAY)},
)
SUBMIT = _mutation(
    "annualReportSubmit",
    "AnnualReportSubmitInput",
    "annualReport",
    lambda w: {"organisationId": _gid("Organisation", w.own.id), "year": TODAY.year - 1},
)
REGISTER_WORKER = _mutation(
    "socialWorkerRegister",
    "SocialWorkerRegisterInput",
    "socialWorker",
    lambda w: {
        "personId": _gid("Person", w.newcomer.id),
        "level": "ASSISTANT",
        "certificateNumber": "ZJ2026001",
        "certificateYear": TODAY.year,
    },
)
PLACE = _mutation(
    "agencyPlace",
    "AgencyPlaceInput",
    "placement",
    lambda w: {
        "agencyId": _gid("Organisation", w.agency.id),
        "cellId": _gid("GridCell", w.tree.community.id),
        "startedOn": str(TODAY),
    },
)
END_PLACEMENT = _mutation(
    "agencyPlacementEnd",
    "AgencyPlacementEndInput",
    "placement",
    lambda w: {"id": _gid("Placement", w.placement.id), "endedOn": str(TODAY)},
)


def _log(which: str) -> Operation:
    return _mutation(
        "supervisionLog",
        "SupervisionLogInput",
        "supervisionRecord",
        lambda w: {
            "supervisorId": _gid("SocialWorker", getattr(w, which).id),
            "superviseeIds": [_gid("SocialWorker", w.supervisee.id)],
            "form": "INDIVIDUAL",
            "heldOn": str(TODAY),
            "minutes": 60,
            "topics": "个案评估",
        },
    )


@dataclass(frozen=True)
class Case:
    action: str
    attempt: Operation
    inside: bool = True
    """Inside the part a limited cell allows: the grid staff's scope, the organiser's own
    organisation, the supervisor's own supervision."""


CASES: dict[str, Case] = {
    "organisationCreate (register)": Case("organisation.register", REGISTER),
    "organisationUpgrade": Case("organisation.register", UPGRADE),
    "organisationDeregister": Case("organisation.register", DEREGISTER),
    "organisationSanctionAdd": Case("organisation.register", SANCTION),
    "organisationSanctionLift": Case("organisation.register", LIFT),
    "organisationRatingAdd": Case("organisation.register", RATE),
    "annualReportDecide": Case("organisation.register", DECIDE),
    "organisationCreate (file)": Case("organisation.file", FILE),
    "organisationMemberAdd": Case("organisation.maintain", _add_member("own")),
    "organisationMemberAdd (another organisation)": Case(
        "organisation.maintain", _add_member("other"), inside=False
    ),
    "organisationMemberEnd": Case("organisation.maintain", END_MEMBER),
    "annualReportSubmit": Case("organisation.maintain", SUBMIT),
    "socialWorkerRegister": Case("socialwork.register", REGISTER_WORKER),
    "agencyPlace": Case("socialwork.register", PLACE),
    "agencyPlacementEnd": Case("socialwork.register", END_PLACEMENT),
    "supervisionLog": Case("supervision.log", _log("supervisor")),
    "supervisionLog (another supervisor)": Case("supervision.log", _log("other_supervisor"), inside=False),
}


def _expected(case: Case, role: Role | None) -> bool:
    access = next(p for p in MATRIX if p.action == case.action).access(role)
    if access is Access.ALLOWED:
        return True
    return access in {Access.IN_SCOPE, Access.OWN, Access.LIMITED} and case.inside


@pytest.mark.parametrize("mutation", list(CASES))
@pytest.mark.parametrize("role", ACTORS, ids=lambda r: "anonymous" if r is None else r.value)
async def test_organisation_and_social_work_mutations_follow_the_matrix(
    client: httpx.AsyncClient, mutation: str, role: Role | None
) -> None:
    # GIVEN the registry and an agency with supervisors, and an actor of `role` (see the module)
    case = CASES[mutation]
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    headers, person, grant_organisation = await _actor(role, tree)
    world = await _world(tree, person)
    if grant_organisation:
        await grant_organisation(world.own)
    before = await _snapshot()
    # WHEN the actor attempts the mutation
    allowed = await case.attempt(client, headers, world)
    # THEN the outcome is the documented one, and a refusal changed nothing
    assert allowed is _expected(case, role)
    if not allowed:
        assert await _snapshot() == before


def test_every_action_of_the_registry_and_social_work_is_walked() -> None:
    written = {p.action for p in MATRIX if p.token_scope == "write:organisations"}
    assert {case.action for case in CASES.values()} == written


def test_every_mutation_of_the_registry_and_social_work_is_walked() -> None:
    from api.schema.organisations.mutations import OrganisationMutations
    from api.schema.socialwork.mutations import SocialWorkMutations

    names = {
        field.graphql_name or strawberry_camel(field.python_name)
        for mixin in (OrganisationMutations, SocialWorkMutations)
        for field in mixin.__strawberry_definition__.fields  # type: ignore[attr-defined]
    }
    assert {name.split()[0] for name in CASES} == names


def strawberry_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
