"""Social work: agencies placed in villages and communities, the social-worker register and the
supervision log with its permissions. Both databases."""

from __future__ import annotations

from datetime import date

import pytest

from domain.access import Actor, Grant, Role
from domain.errors import DomainError, ErrorCode, PermissionDenied, ValidationErrors
from domain.organisations import service as orgs
from domain.organisations.models import LegalForm, OrgField
from domain.organisations.service import OrganisationInput
from domain.pagination import PageRequest
from domain.people.models import Person
from domain.socialwork import policy as sw_policy
from domain.socialwork import queries, service
from domain.socialwork.models import (
    CertificateLevel,
    Placement,
    SocialWorker,
    SupervisionForm,
    SupervisionRecord,
    SupervisorLevel,
)
from domain.socialwork.queries import WorkerFilter
from domain.socialwork.service import SupervisionInput, WorkerInput
from tests.conftest import SqlLog
from tests.domain.test_organisations import TODAY, code
from tests.factories import BUREAU, Tree, build_tree

pytestmark = pytest.mark.usefixtures("db")


async def _agency(tree: Tree, social_work: bool = True, serial: str = "MJ5870001") -> int:
    data = OrganisationInput(
        name=f"演示社工服务中心{serial}",
        legal_form=LegalForm.SERVICE_INSTITUTION,
        field=OrgField.SOCIAL_WORK,
        home_cell_id=tree.town.id,
        uscc=code("2", serial),
        social_work=social_work,
    )
    return (await orgs.create_organisation(actor=BUREAU, data=data, today=TODAY)).id


async def _place(agency: int, cell_id: int) -> Placement:
    return await service.place_agency(
        actor=BUREAU, agency_id=agency, cell_id=cell_id, started_on=TODAY, today=TODAY
    )


async def _log(actor: Actor, data: SupervisionInput) -> SupervisionRecord:
    return await service.log_supervision(actor=actor, data=data, today=TODAY)


async def _worker(n: int, employer: int | None, supervisor: SupervisorLevel | None = None) -> SocialWorker:
    person = await Person.create(name=f"演示社工{n}")
    data = WorkerInput(
        person_id=person.id,
        level=CertificateLevel.INTERMEDIATE,
        certificate_number=f"ZJ2020{n:05d}",
        certificate_year=2020,
        employer_id=employer,
        supervisor_level=supervisor,
    )
    return await service.register_worker(actor=BUREAU, data=data, today=TODAY)


async def test_an_agency_is_placed_in_villages_and_communities_once_at_a_time() -> None:
    tree = await build_tree()
    agency = await _agency(tree)
    await _place(agency, tree.village.id)
    with pytest.raises(DomainError) as caught:
        await _place(agency, tree.village.id)
    assert caught.value.code is ErrorCode.DUPLICATE_CODE
    with pytest.raises(DomainError) as caught:  # a grid is not a village or community
        await _place(agency, tree.grids[0].id)
    assert caught.value.field == ["cellId"]
    plain = await _agency(tree, social_work=False, serial="MJ5870002")
    with pytest.raises(DomainError) as caught:
        await _place(plain, tree.village.id)
    assert caught.value.code is ErrorCode.NOT_FOR_TYPE
    assert await Placement.all().count() == 1


async def test_a_worker_register_refuses_bad_input_all_at_once_and_duplicates() -> None:
    tree = await build_tree()
    agency = await _agency(tree)
    first = await _worker(1, agency)
    bad = WorkerInput(
        person_id=first.person_id,
        level=CertificateLevel.SENIOR,
        certificate_number="x",
        certificate_year=2005,
        employer_id=None,
    )
    with pytest.raises(ValidationErrors) as caught:
        await service.register_worker(actor=BUREAU, data=bad, today=TODAY)
    assert sorted(e.field[0] for e in caught.value.errors if e.field) == [
        "certificateNumber",
        "certificateYear",
    ]
    again = WorkerInput(
        person_id=first.person_id,
        level=CertificateLevel.SENIOR,
        certificate_number="ZJ2099",
        certificate_year=2021,
    )
    with pytest.raises(ValidationErrors) as caught:
        await service.register_worker(actor=BUREAU, data=again, today=TODAY)
    assert caught.value.code is ErrorCode.DUPLICATE_CODE
    assert await SocialWorker.all().count() == 1


async def test_supervisors_log_their_own_supervision_with_the_right_number_of_supervisees() -> None:
    tree = await build_tree()
    agency = await _agency(tree)
    supervisor = await _worker(1, agency, SupervisorLevel.SUPERVISOR)
    a, b = await _worker(2, agency), await _worker(3, agency)
    as_supervisor = Actor(user_id=77, person_id=supervisor.person_id, grants=(Grant(Role.ORGANISER),))

    def record(form: SupervisionForm, *supervisees: int, by: int = supervisor.id) -> SupervisionInput:
        return SupervisionInput(
            supervisor_id=by,
            supervisee_ids=supervisees,
            form=form,
            held_on=TODAY,
            minutes=90,
            topics="个案评估",
        )

    await service.log_supervision(
        actor=as_supervisor, data=record(SupervisionForm.INDIVIDUAL, a.id), today=TODAY
    )
    await service.log_supervision(
        actor=as_supervisor, data=record(SupervisionForm.GROUP, a.id, b.id), today=TODAY
    )
    for wrong in (record(SupervisionForm.INDIVIDUAL, a.id, b.id), record(SupervisionForm.GROUP, a.id)):
        with pytest.raises(ValidationErrors):
            await _log(as_supervisor, wrong)
    with pytest.raises(ValidationErrors) as caught:  # a worker without a supervisor level
        await service.log_supervision(
            actor=BUREAU, data=record(SupervisionForm.INDIVIDUAL, b.id, by=a.id), today=TODAY
        )
    assert caught.value.field == ["supervisorId"]
    someone_else = Actor(user_id=78, person_id=a.person_id, grants=(Grant(Role.ORGANISER),))
    with pytest.raises(PermissionDenied):
        await service.log_supervision(
            actor=someone_else, data=record(SupervisionForm.INDIVIDUAL, b.id), today=TODAY
        )
    assert await SupervisionRecord.filter(supervisor_id=supervisor.id).count() == 2


async def test_agency_reads_and_a_supervisors_caseload(sql_log: SqlLog) -> None:
    tree = await build_tree()
    agency = await _agency(tree)
    supervisor = await _worker(1, agency, SupervisorLevel.SUPERVISOR)
    a, b, c = await _worker(2, agency), await _worker(3, agency), await _worker(4, None)
    await _place(agency, tree.village.id)
    await _place(agency, tree.community.id)

    def held(day: date, form: SupervisionForm, minutes: int, *supervisees: int) -> SupervisionInput:
        return SupervisionInput(
            supervisor_id=supervisor.id,
            supervisee_ids=supervisees,
            form=form,
            held_on=day,
            minutes=minutes,
            topics="个案",
        )

    await _log(BUREAU, held(date(2026, 3, 1), SupervisionForm.INDIVIDUAL, 60, a.id))
    await _log(BUREAU, held(date(2026, 6, 1), SupervisionForm.GROUP, 120, a.id, b.id, c.id))
    await _log(BUREAU, held(date(2025, 12, 1), SupervisionForm.INDIVIDUAL, 90, b.id))  # another year

    sql_log.reset()
    assert {p.cell.name for p in await queries.placements_of(agency)} == {
        tree.village.name,
        tree.community.name,
    }
    levels = await queries.levels_of(agency)
    assert levels == {
        CertificateLevel.ASSISTANT: 0,
        CertificateLevel.INTERMEDIATE: 3,
        CertificateLevel.SENIOR: 0,
    }
    page = await queries.workers_page(WorkerFilter(employer_id=agency), PageRequest(first=10))
    assert [w.person.name for w in page.items] == ["演示社工1", "演示社工2", "演示社工3"]
    assert sql_log.count == 3
    sql_log.reset()
    assert await queries.caseload(supervisor.id, 2026) == queries.Caseload(
        records=2, minutes=180, supervisees=3
    )
    assert sql_log.count == 2
    log = await queries.supervision_log(supervisor.id, PageRequest(first=2))
    assert [r.held_on for r in log.items] == [date(2026, 6, 1), date(2026, 3, 1)]
    assert log.has_next

    own = Actor(user_id=77, person_id=supervisor.person_id, grants=(Grant(Role.ORGANISER),))
    other = Actor(user_id=78, person_id=a.person_id, grants=(Grant(Role.ORGANISER),))
    assert queries.can_view_supervision(own, supervisor)
    assert not queries.can_view_supervision(other, supervisor)
    # the supervisor's own person without a working role (a resident's or an ADMIN's account)
    for role in (Role.RESIDENT, Role.ADMIN):
        bare = Actor(user_id=81, person_id=supervisor.person_id, grants=(Grant(role),))
        assert not queries.can_view_supervision(bare, supervisor)
    admin = Actor(user_id=79, grants=(Grant(Role.ADMIN),))  # runs accounts, not casework
    assert not queries.can_view_supervision(admin, supervisor)
    assert queries.can_view_supervision(Actor(user_id=80, grants=(Grant(Role.GRID_STAFF),)), supervisor)


async def test_a_certificate_number_shows_to_staff_and_the_worker_only() -> None:
    tree = await build_tree()
    agency = await _agency(tree)
    worker = await _worker(1, agency)
    colleague = await _worker(2, agency, SupervisorLevel.SUPERVISOR)
    cell = tree.community.id
    readers = {
        "anonymous": Actor(),
        "resident": Actor(user_id=1, person_id=None, grants=(Grant(Role.RESIDENT),)),
        "supervisor": Actor(user_id=2, person_id=colleague.person_id, grants=(Grant(Role.ORGANISER),)),
        "the worker": Actor(user_id=3, person_id=worker.person_id, grants=(Grant(Role.ORGANISER),)),
        "grid staff": Actor(user_id=4, grants=(Grant(Role.GRID_STAFF, cell),)),
        "bureau": Actor(user_id=5, grants=(Grant(Role.BUREAU_STAFF),)),
    }
    shown = {who: sw_policy.certificate_number(actor, worker) for who, actor in readers.items()}
    assert shown == {
        "anonymous": None,
        "resident": None,
        "supervisor": None,
        "the worker": "ZJ202000001",
        "grid staff": "ZJ202000001",
        "bureau": "ZJ202000001",
    }
    # AND only those who see every number may find workers by one
    assert [who for who, actor in readers.items() if sw_policy.sees_certificates(actor)] == [
        "grid staff",
        "bureau",
    ]


async def test_the_supervisee_search_matches_numbers_only_when_asked() -> None:
    tree = await build_tree()
    agency = await _agency(tree)
    worker = await _worker(1, agency)
    _, by_name = await queries.worker_choices([], "演示社工1", None)
    _, hidden = await queries.worker_choices([], "ZJ2020", None)
    _, by_number = await queries.worker_choices([], "zj2020", None, by_certificate=True)
    assert ([w.id for w in by_name], hidden, [w.id for w in by_number]) == ([worker.id], [], [worker.id])
