"""Social work over GraphQL: the mutations (agency placements, the worker register, supervision
logged by the supervisor) with their userErrors and refusals; the social-worker directory masked
per reader with its filters; supervision records and caseloads for staff and the supervisor only;
an agency's placements and workers on its organisation. Exact statement counts for every list.
Both databases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from domain import clock
from domain.access import ALL_SCOPES, Role
from domain.accounts.models import User
from domain.audit.models import AuditEntry
from domain.grids.codes import GridKind
from domain.organisations import service as orgs
from domain.organisations.models import LegalForm, OrgField
from domain.organisations.service import OrganisationInput
from domain.people.models import Person
from domain.socialwork import service
from domain.socialwork.models import (
    CertificateLevel,
    Placement,
    SocialWorker,
    Station,
    SupervisionForm,
    SupervisionRecord,
    SupervisorLevel,
)
from domain.socialwork.service import SupervisionInput, WorkerInput
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.conftest import SqlLog
from tests.domain.test_organisations import code
from tests.factories import BUREAU, Tree, build_tree, cell

TODAY = clock.today()
RESOLVERS = {"x-linzhi-read-path": "resolvers"}


@dataclass
class Agency:
    tree: Tree
    agency_id: int
    supervisor: SocialWorker
    supervisor_user: User
    workers: list[SocialWorker]


async def make_agency(tree: Tree, serial: str = "MJ5870001", home: int | None = None) -> int:
    data = OrganisationInput(
        name=f"演示社工服务中心{serial}",
        legal_form=LegalForm.SERVICE_INSTITUTION,
        field=OrgField.SOCIAL_WORK,
        home_cell_id=home or tree.town.id,
        uscc=code("2", serial),
        social_work=True,
    )
    return (await orgs.create_organisation(actor=BUREAU, data=data, today=TODAY)).id


async def register(
    person_id: int,
    n: int,
    employer: int | None,
    *,
    level: CertificateLevel = CertificateLevel.INTERMEDIATE,
    supervisor: SupervisorLevel | None = None,
    station: int | None = None,
) -> SocialWorker:
    data = WorkerInput(
        person_id=person_id,
        level=level,
        certificate_number=f"ZJ2020{n:05d}",
        certificate_year=2020,
        employer_id=employer,
        station_id=station,
        supervisor_level=supervisor,
    )
    return await service.register_worker(actor=BUREAU, data=data, today=TODAY)


async def worker(n: int, employer: int | None, **kwargs: Any) -> SocialWorker:
    person = await Person.create(name=f"演示社工{n}", mobile=f"139000{n:05d}")
    return await register(person.id, n, employer, **kwargs)


async def agency_world(workers: int = 2) -> Agency:
    """An agency in 当湖街道 with a supervisor (who has an account, as an organiser) and workers."""
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    agency = await make_agency(tree)
    user = await make_user("supervisor.zhou", Role.ORGANISER, name="周督导", mobile="13800001111")
    supervisor = await register(
        user.person_id, 1, agency, level=CertificateLevel.SENIOR, supervisor=SupervisorLevel.SUPERVISOR
    )
    staff = [await worker(10 + i, agency) for i in range(workers)]
    return Agency(tree, agency, supervisor, user, staff)


async def log(
    world: Agency, *supervisees: SocialWorker, days_ago: int = 0, minutes: int = 90
) -> SupervisionRecord:
    form = SupervisionForm.INDIVIDUAL if len(supervisees) == 1 else SupervisionForm.GROUP
    data = SupervisionInput(
        supervisor_id=world.supervisor.id,
        supervisee_ids=tuple(w.id for w in supervisees),
        form=form,
        held_on=TODAY - timedelta(days=days_ago),
        minutes=minutes,
        topics="个案评估与服务计划",
    )
    return await service.log_supervision(actor=BUREAU, data=data, today=TODAY)


async def staff_headers(
    role: Role = Role.BUREAU_STAFF, tree: Tree | None = None, *scopes: str
) -> dict[str, str]:
    scope = tree.community if role is Role.GRID_STAFF and tree else None
    user = await make_user(f"staff.{role.value.lower()}", role, cell=scope)
    return await bearer(user, *(scopes or ALL_SCOPES))


def errors(result: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((e["field"][0], e["code"]) for e in result["userErrors"])


async def snapshot() -> tuple[object, ...]:
    return (
        sorted(await Placement.all().values_list("id", "ended_on")),
        await SocialWorker.all().count(),
        await SupervisionRecord.all().count(),
        await AuditEntry.filter(
            action__in=["agency.place", "agency.end_placement", "social_worker.register", "supervision.log"]
        ).count(),
    )


PLACE = """mutation ($input: AgencyPlaceInput!) {
  agencyPlace(input: $input) { placement { id startedOn endedOn cell { name } agency { name } }
    userErrors { field message code } } }"""
END = """mutation ($input: AgencyPlacementEndInput!) {
  agencyPlacementEnd(input: $input) { placement { endedOn } userErrors { field message code } } }"""
REGISTER = """mutation ($input: SocialWorkerRegisterInput!) {
  socialWorkerRegister(input: $input) {
    socialWorker { id levelLabel certificateNumber supervisorLevelLabel employer { name } }
    userErrors { field message code } } }"""
LOG = """mutation ($input: SupervisionLogInput!) {
  supervisionLog(input: $input) {
    supervisionRecord { id formLabel minutes supervisor { id } supervisees { id } }
    userErrors { field message code } } }"""


# --- mutations -----------------------------------------------------------------------------------


async def test_an_agency_is_placed_in_a_village_once_and_the_placement_ended(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN an agency and bureau staff
    world = await agency_world(workers=0)
    headers = await staff_headers()
    data = {
        "agencyId": global_id("Organisation", world.agency_id),
        "cellId": global_id("GridCell", world.tree.village.id),
        "startedOn": str(TODAY),
    }
    # WHEN they place it in a village, THEN it is placed there
    placed = (await gql(client, PLACE, headers=headers, input=data))["data"]["agencyPlace"]
    assert placed["placement"]["cell"]["name"] == world.tree.village.name
    before = await snapshot()
    # WHEN again in the same village, or in a grid, THEN each is a userError and nothing changes
    again = (await gql(client, PLACE, headers=headers, input=data))["data"]["agencyPlace"]
    assert errors(again) == [("cellId", "DUPLICATE_CODE")]
    grid = {**data, "cellId": global_id("GridCell", world.tree.grids[0].id)}
    assert errors((await gql(client, PLACE, headers=headers, input=grid))["data"]["agencyPlace"]) == [
        ("cellId", "INVALID_PARENT")
    ]
    assert await snapshot() == before
    # WHEN the placement ends before it began, THEN refused; today, THEN ended
    ending = {"id": placed["placement"]["id"], "endedOn": str(TODAY - timedelta(days=1))}
    assert errors((await gql(client, END, headers=headers, input=ending))["data"]["agencyPlacementEnd"]) == [
        ("endedOn", "OUT_OF_RANGE")
    ]
    ended = (await gql(client, END, headers=headers, input={**ending, "endedOn": str(TODAY)}))["data"][
        "agencyPlacementEnd"
    ]
    assert ended == {"placement": {"endedOn": str(TODAY)}, "userErrors": []}


async def test_the_register_reports_every_bad_field_and_only_the_bureau_registers(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN an agency and a person to register
    world = await agency_world(workers=0)
    person = await Person.create(name="沈社工", mobile="13912345678")
    data = {
        "personId": global_id("Person", person.id),
        "level": "ASSISTANT",
        "certificateNumber": "x",
        "certificateYear": 2005,
        "employerId": global_id("Organisation", world.agency_id),
    }
    before = await snapshot()
    # WHEN grid staff register (with every scope), THEN it is refused as a top-level error
    grid_staff = await staff_headers(Role.GRID_STAFF, world.tree)
    body = await gql(
        client,
        REGISTER,
        headers=grid_staff,
        input={**data, "certificateNumber": "ZJ2021001", "certificateYear": 2021},
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # WHEN bureau staff send a short number and a year before the examinations began
    bureau = await staff_headers()
    bad = (await gql(client, REGISTER, headers=bureau, input=data))["data"]["socialWorkerRegister"]
    # THEN both are userErrors at once, and nothing changed
    assert errors(bad) == [("certificateNumber", "INVALID_LENGTH"), ("certificateYear", "OUT_OF_RANGE")]
    # (a station that does not exist is named as such, not taken for a duplicate certificate)
    nowhere = {
        **data,
        "certificateNumber": "ZJ2021001",
        "certificateYear": 2021,
        "stationId": global_id("Station", 9),
    }
    missing = (await gql(client, REGISTER, headers=bureau, input=nowhere))["data"]["socialWorkerRegister"]
    assert errors(missing) == [("stationId", "NOT_FOUND")]
    assert await snapshot() == before
    # WHEN right, THEN registered with the employer
    good = {**data, "certificateNumber": "ZJ2021001", "certificateYear": 2021, "supervisorLevel": "TRAINEE"}
    done = (await gql(client, REGISTER, headers=bureau, input=good))["data"]["socialWorkerRegister"]
    assert done["socialWorker"]["levelLabel"] == "助理社会工作师"
    assert done["socialWorker"]["supervisorLevelLabel"] == "见习督导"
    assert done["socialWorker"]["employer"]["name"] == "演示社工服务中心MJ5870001"


async def test_a_supervisor_logs_their_own_supervision_and_no_one_elses(client: httpx.AsyncClient) -> None:
    # GIVEN a supervisor (signed in as an organiser) and two workers, one with an account
    world = await agency_world(workers=2)
    a, b = world.workers
    mine = await bearer(world.supervisor_user, *ALL_SCOPES)
    data = {
        "supervisorId": global_id("SocialWorker", world.supervisor.id),
        "superviseeIds": [global_id("SocialWorker", a.id)],
        "form": "INDIVIDUAL",
        "heldOn": str(TODAY),
        "minutes": 90,
        "topics": "个案评估",
    }
    # WHEN the supervisor logs an individual supervision, THEN it is logged
    logged = (await gql(client, LOG, headers=mine, input=data))["data"]["supervisionLog"]
    assert logged["supervisionRecord"]["formLabel"] == "个别督导"
    assert logged["supervisionRecord"]["supervisees"] == [{"id": global_id("SocialWorker", a.id)}]
    before = await snapshot()
    # WHEN two supervisees for an individual supervision, 5 minutes long, THEN both refused at once
    bad = {
        **data,
        "superviseeIds": [global_id("SocialWorker", a.id), global_id("SocialWorker", b.id)],
        "minutes": 5,
    }
    assert errors((await gql(client, LOG, headers=mine, input=bad))["data"]["supervisionLog"]) == [
        ("minutes", "OUT_OF_RANGE"),
        ("superviseeIds", "ONE_TO_ONE"),
    ]
    # WHEN another organiser logs it as this supervisor, THEN it is refused as a top-level error
    other = await make_user("org.other", Role.ORGANISER)
    body = await gql(client, LOG, headers=await bearer(other, *ALL_SCOPES), input=data)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # WHEN the supervisor's token lacks write:organisations, THEN it is refused too
    body = await gql(client, LOG, headers=await bearer(world.supervisor_user, "read"), input=data)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await snapshot() == before


# --- the directory: masked per reader, filtered, batched -----------------------------------------

DIRECTORY = """query ($filter: SocialWorkerFilter, $first: Int) {
  socialWorkers(filter: $filter, first: $first) {
    totalCount
    nodes { levelLabel certificateNumber supervisorLevel person { name mobile }
            employer { name } station { name town { name } } }
  } }"""


async def test_the_directory_masks_people_and_certificates_for_the_public(client: httpx.AsyncClient) -> None:
    # GIVEN a registered supervisor with an account
    world = await agency_world(workers=0)
    first = {"first": 10}
    # WHEN the public reads the directory, THEN the name is masked, contact and certificate hidden
    public = (await gql(client, DIRECTORY, **first))["data"]["socialWorkers"]["nodes"]
    assert [(n["person"], n["certificateNumber"]) for n in public] == [
        ({"name": "周**", "mobile": None}, None)
    ]
    # WHEN staff read it, THEN the full name, a masked mobile and the certificate number
    staff = (await gql(client, DIRECTORY, headers=await staff_headers(), **first))["data"]["socialWorkers"][
        "nodes"
    ]
    assert [(n["person"], n["certificateNumber"]) for n in staff] == [
        ({"name": "周督导", "mobile": "138****1111"}, "ZJ202000001")
    ]
    # WHEN the worker reads it, THEN their own data in full
    own = (await gql(client, DIRECTORY, headers=await bearer(world.supervisor_user), **first))["data"][
        "socialWorkers"
    ]["nodes"]
    assert [(n["person"], n["certificateNumber"]) for n in own] == [
        ({"name": "周督导", "mobile": "13800001111"}, "ZJ202000001")
    ]


async def test_the_directory_filters_by_town_level_and_supervisor_level(client: httpx.AsyncClient) -> None:
    # GIVEN an agency in 当湖街道 (a senior supervisor, two intermediate workers) and a station in 乍浦镇
    world = await agency_world(workers=2)
    zhapu = await cell(GridKind.TOWN, "330482101", "乍浦镇", world.tree.city)
    station = await Station.create(name="乍浦镇社会工作站", town_id=zhapu.id)
    await worker(30, None, level=CertificateLevel.ASSISTANT, station=station.id)

    async def count(**f: Any) -> int:
        body = await gql(client, DIRECTORY, filter=f, first=10)
        return int(body["data"]["socialWorkers"]["totalCount"])

    # THEN each criterion narrows the list
    assert await count() == 4
    assert await count(town=global_id("GridCell", world.tree.town.id)) == 3
    assert await count(town=global_id("GridCell", zhapu.id)) == 1
    assert await count(level="INTERMEDIATE") == 2
    assert await count(supervisorLevel="SUPERVISOR") == 1
    assert await count(supervisorLevel="TRAINEE") == 0
    assert await count(supervisorsOnly=True, town=global_id("GridCell", zhapu.id)) == 0


@pytest.mark.parametrize("workers", [2, 9])
async def test_the_directory_costs_the_same_statements_for_any_page(
    client: httpx.AsyncClient, sql_log: SqlLog, workers: int
) -> None:
    # GIVEN an agency with `workers` workers, each at a station
    world = await agency_world(workers=0)
    station = await Station.create(name="当湖街道社会工作站", town_id=world.tree.town.id)
    for i in range(workers):
        await worker(40 + i, world.agency_id, station=station.id)
    sql_log.reset()
    # WHEN the directory is read with people, employers and stations (and their towns)
    body = await gql(client, DIRECTORY, headers=RESOLVERS, first=50)
    # THEN page, total, people, employers, stations, towns: six statements whatever the size
    assert len(body["data"]["socialWorkers"]["nodes"]) == workers + 1
    assert sql_log.count == 6, sql_log.statements


AGENCIES = """query { organisations(filter: {socialWork: true}, first: 50) { nodes {
  name placements { startedOn endedOn cell { name } } workers { levelLabel person { name } } } } }"""


@pytest.mark.parametrize("agencies", [1, 4])
async def test_agencies_list_their_placements_and_workers_in_batches(
    client: httpx.AsyncClient, sql_log: SqlLog, agencies: int
) -> None:
    # GIVEN `agencies` agencies, each placed in two units and employing two workers
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    for i in range(agencies):
        agency = await make_agency(tree, serial=f"MJ587000{i}")
        for unit in (tree.village, tree.community):
            await service.place_agency(
                actor=BUREAU, agency_id=agency, cell_id=unit.id, started_on=TODAY, today=TODAY
            )
        for j in range(2):
            await worker(100 + 10 * i + j, agency)
    sql_log.reset()
    # WHEN the agencies are listed with their placements and workers
    body = await gql(client, AGENCIES)
    nodes = body["data"]["organisations"]["nodes"]
    # THEN each shows its own, in statements that do not grow with the number of agencies:
    # page, placements, cells, workers, people
    assert [(len(n["placements"]), len(n["workers"])) for n in nodes] == [(2, 2)] * agencies
    assert nodes[0]["workers"][0]["person"]["name"] == "演******"  # 演示社工1xx, masked
    assert sql_log.count == 5, sql_log.statements


# --- supervision: staff and the supervisor only --------------------------------------------------

RECORDS = """query ($supervisor: ID!, $year: Int!) {
  supervisionRecords(supervisor: $supervisor, first: 10) {
    totalCount
    edges { cursor node { heldOn minutes topics supervisor { id } supervisees { person { name } } } }
  }
  supervisionCaseload(supervisor: $supervisor, year: $year) { year records minutes hours supervisees }
}"""


async def test_supervision_is_read_by_staff_and_the_supervisor_only(client: httpx.AsyncClient) -> None:
    # GIVEN a supervisor with two records this year (60 and 120 minutes, three supervisees in all)
    world = await agency_world(workers=3)
    a, b, c = world.workers
    await log(world, a, minutes=60)
    record = await log(world, a, b, c, minutes=120)
    variables = {"supervisor": global_id("SocialWorker", world.supervisor.id), "year": TODAY.year}
    # WHEN the supervisor, bureau staff and grid staff read the log, THEN they see it with the caseload
    readers = [
        await bearer(world.supervisor_user),
        await staff_headers(),
        await staff_headers(Role.GRID_STAFF, world.tree),
    ]
    for headers in readers:
        data = (await gql(client, RECORDS, headers=headers, **variables))["data"]
        assert data["supervisionRecords"]["totalCount"] == 2
        assert data["supervisionCaseload"] == {
            "year": TODAY.year,
            "records": 2,
            "minutes": 180,
            "hours": "3.0",
            "supervisees": 3,
        }
    # WHEN anyone else reads it (the public, another organiser, an administrator), THEN refused
    other = await make_user("org.other", Role.ORGANISER)
    admin = await make_user("admin.wang", Role.ADMIN)
    for headers in ({}, await bearer(other), await bearer(admin)):
        body = await gql(client, RECORDS, headers=headers, **variables)
        assert body["data"] is None
        assert {e["extensions"]["code"] for e in body["errors"]} <= {"FORBIDDEN", "UNAUTHENTICATED"}
        # AND a record's ID reveals nothing
        node = await gql(
            client,
            "query ($id: ID!) { node(id: $id) { id } }",
            headers=headers,
            id=global_id("SupervisionRecord", record.id),
        )
        assert node["data"] == {"node": None}


async def test_the_log_pages_newest_first_in_constant_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    # GIVEN twelve records on twelve days
    world = await agency_world(workers=2)
    for day in range(12):
        await log(world, *world.workers, days_ago=day)
    headers = await staff_headers()
    query = """query ($s: ID!, $after: String) {
      supervisionRecords(supervisor: $s, first: 5, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { heldOn supervisor { id } supervisees { person { name } } } } }"""
    supervisor = global_id("SocialWorker", world.supervisor.id)
    sql_log.reset()
    # WHEN the first page is read with supervisors and supervisees
    first = (await gql(client, query, headers=headers, s=supervisor))["data"]["supervisionRecords"]
    # THEN the token (its row, last use, roles, rate counter), the supervisor, the page, the
    # supervisees, their people: eight statements
    days = [n["heldOn"] for n in first["nodes"]]
    assert days == [str(TODAY - timedelta(days=d)) for d in range(5)]
    assert sql_log.count == 8, sql_log.statements
    # AND the next page follows on from its cursor
    after = first["pageInfo"]["endCursor"]
    second = (await gql(client, query, headers=headers, s=supervisor, after=after))["data"][
        "supervisionRecords"
    ]
    assert [n["heldOn"] for n in second["nodes"]] == [str(TODAY - timedelta(days=d)) for d in range(5, 10)]


SW_NODES = """query ($ids: [ID!]!) { nodes(ids: $ids) {
  __typename
  ... on SocialWorker { levelLabel station { name operator { name } town { name } } }
  ... on Station { name }
  ... on Placement { startedOn cell { name } agency { name } }
} }"""


async def test_workers_stations_and_placements_resolve_by_global_id(client: httpx.AsyncClient) -> None:
    # GIVEN a station run by an agency, a worker there and a placement
    world = await agency_world(workers=0)
    station = await Station.create(
        name="当湖街道社会工作站", town_id=world.tree.town.id, operator_id=world.agency_id
    )
    at_station = await worker(50, None, station=station.id)
    placement = await service.place_agency(
        actor=BUREAU, agency_id=world.agency_id, cell_id=world.tree.village.id, started_on=TODAY, today=TODAY
    )
    ids = [
        global_id("SocialWorker", at_station.id),
        global_id("Station", station.id),
        global_id("Placement", placement.id),
        global_id("Placement", placement.id + 100),
    ]
    # WHEN they are looked up by global ID, THEN each resolves (a missing one is null)
    nodes = (await gql(client, SW_NODES, ids=ids))["data"]["nodes"]
    agency = "演示社工服务中心MJ5870001"
    assert nodes == [
        {
            "__typename": "SocialWorker",
            "levelLabel": "社会工作师",
            "station": {"name": station.name, "operator": {"name": agency}, "town": {"name": "当湖街道"}},
        },
        {"__typename": "Station", "name": station.name},
        {
            "__typename": "Placement",
            "startedOn": str(TODAY),
            "cell": {"name": world.tree.village.name},
            "agency": {"name": agency},
        },
        None,
    ]


STATIONS = (
    """query ($town: ID) { socialWorkStations(town: $town) { name town { name } operator { name } } }"""
)


@pytest.mark.parametrize("towns", [1, 3])
async def test_stations_are_listed_by_town_in_constant_statements(
    client: httpx.AsyncClient, sql_log: SqlLog, towns: int
) -> None:
    # GIVEN a station in each of `towns` towns, run by an agency
    world = await agency_world(workers=0)
    places = [world.tree.town]
    for i in range(1, towns):
        places.append(await cell(GridKind.TOWN, f"33048219{i}", f"演示镇{i}", world.tree.city))
    for town in places:
        await Station.create(name=f"{town.name}社会工作站", town_id=town.id, operator_id=world.agency_id)
    sql_log.reset()
    # WHEN they are listed with their towns and operators
    rows = (await gql(client, STATIONS))["data"]["socialWorkStations"]
    # THEN all of them, in three statements (stations, towns, operators) whatever their number
    assert sorted(r["town"]["name"] for r in rows) == sorted(t.name for t in places)
    assert {r["operator"]["name"] for r in rows} == {"演示社工服务中心MJ5870001"}
    assert sql_log.count == 3, sql_log.statements
    # AND a town's filter keeps its own
    one = (await gql(client, STATIONS, town=global_id("GridCell", world.tree.town.id)))["data"]
    assert [r["name"] for r in one["socialWorkStations"]] == ["当湖街道社会工作站"]
