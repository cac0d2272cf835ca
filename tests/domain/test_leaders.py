"""Micro-leaders: nomination and its permissions, one active cohort per person (also under
concurrency), the lifecycle with its reasons and audit rows, and the leader reads. Both databases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from tortoise import connections

from domain.access import ANONYMOUS, Actor, Role
from domain.audit.models import AuditEntry
from domain.errors import DomainError, ErrorCode, NotFound, PermissionDenied, Unauthenticated, ValidationError
from domain.grids.models import GridCell
from domain.leaders import queries, service
from domain.leaders import training as train
from domain.leaders.errors import LeaderCode
from domain.leaders.models import (
    Certificate,
    Enrolment,
    EnrolmentStatus,
    LeaderStatus,
    MicroLeader,
    SourceRole,
)
from domain.pagination import PageRequest
from domain.people.models import Person
from tests.accounts import actor_of, make_user
from tests.conftest import SqlLog
from tests.factories import BUREAU, Tree, build_tree
from tests.factories_leaders import (
    concurrently,
    enrol,
    make_cohort,
    make_leader,
    make_session,
    nominate,
    reload_leader,
    reload_session,
)

pytestmark = pytest.mark.usefixtures("db")


def _is_postgres() -> bool:
    return str(connections.get("default").capabilities.dialect) == "postgres"


async def _audit(action: str) -> list[AuditEntry]:
    return list(await AuditEntry.filter(action=action).order_by("seq"))


async def _grid_staff(tree: Tree, cell: GridCell, username: str = "grid.staff") -> Actor:
    return await actor_of(await make_user(username, Role.GRID_STAFF, cell=cell))


async def _person(name: str = "陈建华") -> Person:
    return await Person.create(name=name, mobile="13900001111")


# --- nomination -------------------------------------------------------------------------------


async def test_grid_staff_nominate_a_person_in_their_subtree() -> None:
    # GIVEN a grid staff member of the first grid and a resident of one of its micro-grids
    tree = await build_tree(grids=2, micro_grids_per_grid=1)
    staff = await _grid_staff(tree, tree.grids[0])
    cohort, person, home = await make_cohort(), await _person(), tree.micro_grids[0]
    # WHEN they nominate the resident as a micro-grid head
    leader = await service.nominate_leader(
        actor=staff,
        person_id=person.id,
        cohort_id=cohort.id,
        home_cell_id=home.id,
        source_role=SourceRole.MICRO_GRID_HEAD,
    )
    # THEN the person is a nominated leader of the cohort, at home in that cell
    stored = await queries.leader_by_id(leader.id)
    assert (stored.status, stored.cohort_id, stored.home_cell_id) == (
        LeaderStatus.NOMINATED,
        cohort.id,
        home.id,
    )
    assert stored.home_path == home.path
    assert stored.person.name == "陈建华"
    assert stored.nominated_at is not None
    # ... and the nomination is audited
    [entry] = await _audit("leader.nominate")
    assert entry.object_id == str(leader.id)
    assert entry.summary["to"] == "NOMINATED"
    assert entry.summary["source_role"] == "MICRO_GRID_HEAD"


async def test_grid_staff_cannot_nominate_outside_their_subtree_and_nothing_is_created() -> None:
    # GIVEN a grid staff member of the first grid
    tree = await build_tree(grids=2, micro_grids_per_grid=1)
    staff = await _grid_staff(tree, tree.grids[0])
    cohort, person = await make_cohort(), await _person()
    # WHEN they nominate someone at home in the second grid
    with pytest.raises(PermissionDenied):
        await service.nominate_leader(
            actor=staff,
            person_id=person.id,
            cohort_id=cohort.id,
            home_cell_id=tree.micro_grids[1].id,
            source_role=SourceRole.GROUP_LEADER,
        )
    # THEN nobody was nominated and nothing audited
    assert await MicroLeader.all().count() == 0
    assert await _audit("leader.nominate") == []


async def test_bureau_staff_nominate_anywhere() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    bureau = await actor_of(await make_user("bureau.li", Role.BUREAU_STAFF))
    cohort, person = await make_cohort(), await _person()
    leader = await service.nominate_leader(
        actor=bureau,
        person_id=person.id,
        cohort_id=cohort.id,
        home_cell_id=tree.village.id,
        source_role=SourceRole.ORG_LEADER,
    )
    assert leader.status is LeaderStatus.NOMINATED
    assert leader.home_path == tree.village.path


@pytest.mark.parametrize(
    ("who", "error"),
    [
        pytest.param("resident", PermissionDenied, id="resident"),
        pytest.param("micro-leader", PermissionDenied, id="micro-leader"),
        pytest.param("admin", PermissionDenied, id="admin-runs-accounts-not-casework"),
        pytest.param("read-only-token", PermissionDenied, id="bureau-with-read-only-token"),
        pytest.param("anonymous", Unauthenticated, id="anonymous"),
    ],
)
async def test_others_cannot_nominate(who: str, error: type[DomainError]) -> None:
    # GIVEN someone who is not staff over the cell (or acts through a read-only token)
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    cohort, person = await make_cohort(), await _person()
    actors = {
        "resident": lambda: make_user("resident", Role.RESIDENT),
        "micro-leader": lambda: make_user("leader", Role.MICRO_LEADER),
        "admin": lambda: make_user("admin", Role.ADMIN),
        "read-only-token": lambda: make_user("bureau", Role.BUREAU_STAFF),
    }
    actor = ANONYMOUS
    if who in actors:
        scopes = frozenset({"read"}) if who == "read-only-token" else None
        actor = await actor_of(await actors[who](), scopes=scopes)
    # WHEN they nominate
    with pytest.raises(error):
        await service.nominate_leader(
            actor=actor,
            person_id=person.id,
            cohort_id=cohort.id,
            home_cell_id=tree.micro_grids[0].id,
            source_role=SourceRole.MICRO_GRID_HEAD,
        )
    # THEN nothing changed
    assert await MicroLeader.all().count() == 0


async def test_a_bureau_token_with_the_activities_scope_may_nominate() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    token = await actor_of(
        await make_user("bureau", Role.BUREAU_STAFF), scopes=frozenset({"read", "write:activities"})
    )
    cohort, person = await make_cohort(), await _person()
    leader = await service.nominate_leader(
        actor=token,
        person_id=person.id,
        cohort_id=cohort.id,
        home_cell_id=tree.micro_grids[0].id,
        source_role=SourceRole.MICRO_GRID_HEAD,
    )
    assert leader.status is LeaderStatus.NOMINATED


async def test_unknown_or_retired_home_cells_and_unknown_people_are_refused() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=2)
    cohort, person = await make_cohort(), await _person()
    await GridCell.filter(id=tree.micro_grids[1].id).update(retired=True)

    async def nominate_into(cell_id: int, person_id: int = person.id) -> MicroLeader:
        return await service.nominate_leader(
            actor=BUREAU,
            person_id=person_id,
            cohort_id=cohort.id,
            home_cell_id=cell_id,
            source_role=SourceRole.MICRO_GRID_HEAD,
        )

    with pytest.raises(NotFound) as unknown_cell:
        await nominate_into(424242)
    assert unknown_cell.value.field == ["homeCellId"]
    with pytest.raises(ValidationError) as retired:
        await nominate_into(tree.micro_grids[1].id)
    assert retired.value.code is ErrorCode.RETIRED
    with pytest.raises(NotFound) as unknown_person:
        await nominate_into(tree.micro_grids[0].id, person_id=424242)
    assert unknown_person.value.field == ["personId"]
    assert await MicroLeader.all().count() == 0


async def test_nominating_a_new_person_registers_them_once() -> None:
    # GIVEN a cohort
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    cohort = await make_cohort()
    # WHEN a new person is nominated with a +86 mobile number
    leader = await service.nominate_new_person(
        actor=BUREAU,
        name=" 沈美华 ",
        mobile="+86 138-1234-5678",
        cohort_id=cohort.id,
        home_cell_id=tree.micro_grids[0].id,
        source_role=SourceRole.GROUP_LEADER,
    )
    # THEN the person is registered with a clean name and number
    person = await Person.get(id=leader.person_id)
    assert (person.name, person.mobile) == ("沈美华", "13812345678")
    # ... a second registration of that number is refused, as is a bad number
    for mobile, code in (("13812345678", ErrorCode.DUPLICATE_PERSON), ("1234", ErrorCode.INVALID_MOBILE)):
        with pytest.raises(ValidationError) as raised:
            await service.nominate_new_person(
                actor=BUREAU,
                name="沈美华",
                mobile=mobile,
                cohort_id=cohort.id,
                home_cell_id=tree.micro_grids[0].id,
                source_role=SourceRole.GROUP_LEADER,
            )
        assert raised.value.code is code
    assert await Person.all().count() == 1


# --- one active cohort per person -------------------------------------------------------------


async def test_a_person_is_in_at_most_one_active_cohort() -> None:
    # GIVEN a leader nominated into the first cohort
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    first, second = await make_cohort(), await make_cohort()
    leader = await nominate(first, tree.micro_grids[0])

    async def nominate_again() -> MicroLeader:
        return await service.nominate_leader(
            actor=BUREAU,
            person_id=leader.person_id,
            cohort_id=second.id,
            home_cell_id=tree.micro_grids[0].id,
            source_role=SourceRole.MICRO_GRID_HEAD,
        )

    # WHEN they are nominated into the second cohort
    # THEN it is refused while the first is active
    with pytest.raises(DomainError) as raised:
        await nominate_again()
    assert raised.value.code is LeaderCode.ALREADY_ACTIVE_LEADER
    assert await MicroLeader.filter(person_id=leader.person_id).count() == 1
    # ... and allowed once they withdrew from it
    await service.withdraw_leader(actor=BUREAU, leader_id=leader.id, reason="工作调动")
    again = await nominate_again()
    assert again.cohort_id == second.id
    assert (await queries.leader_of_person(leader.person_id)) == again


async def test_a_certified_leader_is_not_nominated_again() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    first, second = await make_cohort(), await make_cohort()
    leader = await nominate(first, tree.micro_grids[0])
    await enrol(await make_session(first), leader)
    await service.certify_leader(actor=BUREAU, leader_id=leader.id, reason="已在外省完成同等培训")
    with pytest.raises(DomainError) as raised:
        await service.nominate_leader(
            actor=BUREAU,
            person_id=leader.person_id,
            cohort_id=second.id,
            home_cell_id=tree.micro_grids[0].id,
            source_role=SourceRole.MICRO_GRID_HEAD,
        )
    assert raised.value.code is LeaderCode.ALREADY_CERTIFIED
    assert await MicroLeader.filter(person_id=leader.person_id).count() == 1


async def test_concurrent_nominations_of_one_person_admit_exactly_one() -> None:
    # GIVEN five cohorts and one person, and five nominations, each in its own transaction
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    cohorts = [await make_cohort() for _ in range(5)]
    person = await _person()

    def nominate_into(cohort_id: int) -> Callable[[], Awaitable[MicroLeader]]:
        return lambda: service.nominate_leader(
            actor=BUREAU,
            person_id=person.id,
            cohort_id=cohort_id,
            home_cell_id=tree.micro_grids[0].id,
            source_role=SourceRole.MICRO_GRID_HEAD,
        )

    # WHEN they run at once
    run = await concurrently(*(nominate_into(c.id) for c in cohorts))
    # THEN the transactions overlapped on PostgreSQL (SQLite serialises them) ...
    assert run.peak > 1 if _is_postgres() else run.peak == 1
    # ... and exactly one nomination succeeded; the others were told why
    assert len(run.ok()) == 1
    assert run.errors() == [LeaderCode.ALREADY_ACTIVE_LEADER] * 4
    assert await MicroLeader.filter(person_id=person.id).count() == 1
    assert len(await _audit("leader.nominate")) == 1


# --- the lifecycle ----------------------------------------------------------------------------


async def test_the_first_enrolment_makes_a_nominated_leader_enrolled() -> None:
    # GIVEN a nominated leader and two sessions of their cohort
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    cohort = await make_cohort()
    leader = await nominate(cohort, tree.micro_grids[0])
    first, second = await make_session(cohort), await make_session(cohort)
    # WHEN they enrol in both
    await enrol(first, leader)
    enrolled = await reload_leader(leader)
    await enrol(second, leader)
    # THEN the first enrolment moved them to ENROLLED (dated, audited once), the second did not
    assert enrolled.status is LeaderStatus.ENROLLED
    assert enrolled.enrolled_at is not None
    [entry] = await _audit("leader.enrol")
    assert (entry.summary["from"], entry.summary["to"], entry.summary["automatic"]) == (
        "NOMINATED",
        "ENROLLED",
        True,
    )
    assert (await reload_leader(leader)).enrolled_at == enrolled.enrolled_at


async def test_withdrawal_needs_a_reason_and_records_it() -> None:
    # GIVEN a nominated leader
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    leader = await nominate(await make_cohort(), tree.micro_grids[0])
    # WHEN a withdrawal without a real reason is attempted
    for reason in ("", " 走", "长" * 201):
        with pytest.raises(ValidationError) as raised:
            await service.withdraw_leader(actor=BUREAU, leader_id=leader.id, reason=reason)
        assert raised.value.code is ErrorCode.REASON_REQUIRED
    # THEN nothing changed
    assert (await reload_leader(leader)).status is LeaderStatus.NOMINATED
    # WHEN it comes with a reason
    withdrawn = await service.withdraw_leader(
        actor=BUREAU, leader_id=leader.id, reason="  身体原因，无法参训 "
    )
    # THEN the leader is withdrawn, dated, with the reason, and audited
    stored = await reload_leader(leader)
    assert (stored.status, stored.status_reason) == (LeaderStatus.WITHDRAWN, "身体原因，无法参训")
    assert stored.withdrawn_at is not None
    assert withdrawn.status is LeaderStatus.WITHDRAWN
    [entry] = await _audit("leader.withdraw")
    assert entry.summary["from"] == "NOMINATED"
    assert entry.summary["to"] == "WITHDRAWN"
    assert entry.summary["reason"] == "身体原因，无法参训"


async def test_withdrawal_frees_the_seats_of_sessions_not_yet_started() -> None:
    # GIVEN an enrolled leader in two upcoming sessions and one that already started
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    cohort = await make_cohort()
    leader = await nominate(cohort, tree.micro_grids[0])
    upcoming = [await make_session(cohort), await make_session(cohort)]
    started = await make_session(cohort, starts_in=-timedelta(minutes=5))
    for session in [*upcoming, started]:
        await enrol(session, leader)
    # WHEN they withdraw
    await service.withdraw_leader(actor=BUREAU, leader_id=leader.id, reason="搬离本社区")
    # THEN the upcoming seats are free again; the session under way keeps its record
    assert [(await reload_session(s)).enrolled_count for s in upcoming] == [0, 0]
    assert (await reload_session(started)).enrolled_count == 1
    statuses = {e.session_id: e.status for e in await Enrolment.filter(leader_id=leader.id)}
    assert statuses == {
        upcoming[0].id: EnrolmentStatus.CANCELLED,
        upcoming[1].id: EnrolmentStatus.CANCELLED,
        started.id: EnrolmentStatus.ENROLLED,
    }
    [entry] = await _audit("leader.withdraw")
    assert entry.summary["cancelled_sessions"] == sorted(s.id for s in upcoming)


@pytest.mark.parametrize(
    ("path", "action"),
    [
        pytest.param(["withdraw"], "withdraw", id="withdrawn-twice"),
        pytest.param(["withdraw"], "certify", id="withdrawn-then-certified"),
        pytest.param(["enrol", "certify"], "withdraw", id="certified-then-withdrawn"),
        pytest.param(["enrol", "certify"], "certify", id="certified-twice"),
        pytest.param([], "certify", id="nominated-then-certified"),
    ],
)
async def test_illegal_transitions_are_refused_and_change_nothing(path: list[str], action: str) -> None:
    # GIVEN a leader brought to some status
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    cohort = await make_cohort()
    leader = await nominate(cohort, tree.micro_grids[0])

    async def step(name: str) -> None:
        if name == "enrol":
            await enrol(await make_session(cohort), leader)
        elif name == "withdraw":
            await service.withdraw_leader(actor=BUREAU, leader_id=leader.id, reason="个人原因")
        else:
            await service.certify_leader(actor=BUREAU, leader_id=leader.id, reason="考核合格")

    for name in path:
        await step(name)
    before = await reload_leader(leader)
    audited = await AuditEntry.all().count()
    # WHEN an action the lifecycle does not allow from there is attempted
    with pytest.raises(DomainError) as raised:
        await step(action)
    # THEN it is refused in plain words, and nothing changed
    assert raised.value.code is ErrorCode.INVALID_TRANSITION
    assert "不能变为" in raised.value.message
    after = await reload_leader(leader)
    assert (after.status, after.status_reason) == (before.status, before.status_reason)
    assert await AuditEntry.all().count() == audited


async def test_grid_staff_withdraw_in_scope_but_certify_nowhere() -> None:
    # GIVEN two enrolled leaders, at home in two grids, and the staff of the first grid
    tree = await build_tree(grids=2, micro_grids_per_grid=1)
    cohort = await make_cohort()
    mine, theirs = await nominate(cohort, tree.micro_grids[0]), await nominate(cohort, tree.micro_grids[1])
    session = await make_session(cohort)
    await enrol(session, mine, theirs)
    staff = await _grid_staff(tree, tree.grids[0])
    # WHEN they act
    # THEN they may not withdraw a leader of another grid, nor certify anyone by hand
    with pytest.raises(PermissionDenied):
        await service.withdraw_leader(actor=staff, leader_id=theirs.id, reason="个人原因")
    with pytest.raises(PermissionDenied):
        await service.certify_leader(actor=staff, leader_id=mine.id, reason="考核合格")
    assert {(await reload_leader(x)).status for x in (mine, theirs)} == {LeaderStatus.ENROLLED}
    # ... but may withdraw their own grid's leader
    await service.withdraw_leader(actor=staff, leader_id=mine.id, reason="个人原因")
    assert (await reload_leader(mine)).status is LeaderStatus.WITHDRAWN


async def test_bureau_certify_by_hand_with_a_reason_even_when_the_rule_is_not_met() -> None:
    # GIVEN an enrolled leader who has attended nothing
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    cohort = await make_cohort()
    leader = await nominate(cohort, tree.micro_grids[0])
    await enrol(await make_session(cohort), leader)
    bureau = await actor_of(await make_user("bureau.li", Role.BUREAU_STAFF))
    # WHEN the bureau certifies them without a reason, then with one
    with pytest.raises(ValidationError) as raised:
        await service.certify_leader(actor=bureau, leader_id=leader.id, reason=" ")
    assert raised.value.code is ErrorCode.REASON_REQUIRED
    assert (await reload_leader(leader)).status is LeaderStatus.ENROLLED
    await service.certify_leader(actor=bureau, leader_id=leader.id, reason="已完成市级同类培训")
    # THEN they are certified, and the audit row says it was by hand and against the rule
    stored = await reload_leader(leader)
    assert (stored.status, stored.status_reason) == (LeaderStatus.CERTIFIED, "已完成市级同类培训")
    assert stored.certified_at is not None
    [entry] = await _audit("leader.certify")
    assert entry.actor_label == "bureau.li"
    assert entry.summary == {
        "from": "ENROLLED",
        "to": "CERTIFIED",
        "reason": "已完成市级同类培训",
        "automatic": False,
        "rule_met": False,
        "certificate": f"PH-WLX-{cohort.year}-0001",
    }
    # ... and the certificate is issued, by hand, dated today
    certificate = await Certificate.get(leader_id=leader.id)
    assert (certificate.number, certificate.automatic) == (f"PH-WLX-{cohort.year}-0001", False)


# --- reads ------------------------------------------------------------------------------------


async def test_leaders_of_cells_in_one_statement_without_the_withdrawn(sql_log: SqlLog) -> None:
    # GIVEN leaders in two micro-grids, one of them withdrawn
    tree = await build_tree(grids=1, micro_grids_per_grid=3)
    cohort = await make_cohort()
    a = await nominate(cohort, tree.micro_grids[0], name="甲")
    b = await nominate(cohort, tree.micro_grids[0], name="乙")
    c = await nominate(cohort, tree.micro_grids[1], name="丙")
    await service.withdraw_leader(actor=BUREAU, leader_id=b.id, reason="个人原因")
    cells = [m.id for m in tree.micro_grids]
    # WHEN the leaders of three cells are read at once
    sql_log.reset()
    by_cell = await queries.leaders_in_cells(cells)
    # THEN one statement answers, with names joined, withdrawn leaders left out
    assert sql_log.count == 1
    assert [x.id for x in by_cell[tree.micro_grids[0].id]] == [a.id]
    assert [x.person.name for x in by_cell[tree.micro_grids[1].id]] == ["丙"]
    assert by_cell[tree.micro_grids[2].id] == []
    assert c.id in {x.id for x in (await queries.leaders_in_cells(cells, include_withdrawn=True))[cells[1]]}
    assert len((await queries.leaders_in_cells(cells, include_withdrawn=True))[cells[0]]) == 2


async def test_the_leader_directory_filters_by_cohort_status_and_subtree(sql_log: SqlLog) -> None:
    # GIVEN leaders of two cohorts across two grids
    tree = await build_tree(grids=2, micro_grids_per_grid=1)
    first, second = await make_cohort(), await make_cohort()
    a = await nominate(first, tree.micro_grids[0], name="张一")
    b = await nominate(first, tree.micro_grids[1], name="张二")
    c = await nominate(second, tree.micro_grids[0], name="王三")
    await service.withdraw_leader(actor=BUREAU, leader_id=b.id, reason="个人原因")
    staff = await _grid_staff(tree, tree.grids[0])

    async def ids(f: queries.LeaderFilter, actor: Actor = staff) -> list[int]:
        return [x.id for x in (await queries.leaders_page(actor, f, PageRequest(first=10))).items]

    # WHEN the directory is filtered
    # THEN each filter narrows it, and a page is one statement
    sql_log.reset()
    assert await ids(queries.LeaderFilter()) == [a.id, b.id, c.id]
    assert sql_log.count == 1
    assert await ids(queries.LeaderFilter(cohort_id=first.id)) == [a.id, b.id]
    assert await ids(queries.LeaderFilter(statuses=(LeaderStatus.NOMINATED,))) == [a.id, c.id]
    assert await ids(queries.LeaderFilter(subtree_path=tree.grids[0].path)) == [a.id, c.id]
    assert await ids(queries.LeaderFilter(search="张")) == [a.id, b.id]
    assert await queries.leaders_count(staff, queries.LeaderFilter(subtree_path=tree.community.path)) == 3
    # ... and pages follow on by id
    page = await queries.leaders_page(staff, queries.LeaderFilter(), PageRequest(first=2))
    rest = await queries.leaders_page(
        staff, queries.LeaderFilter(), PageRequest(after=page.key_of(page.items[-1]))
    )
    assert [x.id for x in page.items + rest.items] == [a.id, b.id, c.id]
    assert page.has_next
    assert not rest.has_next


async def test_only_staff_search_the_directory_by_name() -> None:
    # GIVEN a leader, and a member of the public who sees masked names
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    await nominate(await make_cohort(), tree.micro_grids[0], name="张一")
    # WHEN the public searches by name
    # THEN it is refused (the answer would confirm who is a leader), browsing is not
    with pytest.raises(PermissionDenied):
        await queries.leaders_page(ANONYMOUS, queries.LeaderFilter(search="张一"), PageRequest())
    page = await queries.leaders_page(ANONYMOUS, queries.LeaderFilter(), PageRequest())
    assert [x.person.masked_name for x in page.items] == ["张*"]


async def test_a_persons_leadership_is_the_active_one_or_else_the_latest() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    first, second = await make_cohort(), await make_cohort()
    old = await nominate(first, tree.micro_grids[0])
    assert await queries.leader_of_person(old.person_id) == old
    await service.withdraw_leader(actor=BUREAU, leader_id=old.id, reason="个人原因")
    assert await queries.leader_of_person(old.person_id) == old
    new = await service.nominate_leader(
        actor=BUREAU,
        person_id=old.person_id,
        cohort_id=second.id,
        home_cell_id=tree.micro_grids[0].id,
        source_role=SourceRole.GROUP_LEADER,
    )
    assert await queries.leader_of_person(old.person_id) == new
    assert await queries.leader_of_person(424242) is None
    assert await queries.leader_in_cohort(old.person_id, first.id) == old


async def test_cohorts_count_their_leaders_by_status() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    first, second = await make_cohort(year=2024), await make_cohort(year=2025)
    leaders = [await nominate(first, tree.micro_grids[0]) for _ in range(3)]
    await enrol(await make_session(first), leaders[0])
    await service.withdraw_leader(actor=BUREAU, leader_id=leaders[1].id, reason="个人原因")
    counts = await queries.leader_counts([first.id, second.id])
    assert counts == {
        first.id: {LeaderStatus.ENROLLED: 1, LeaderStatus.WITHDRAWN: 1, LeaderStatus.NOMINATED: 1},
        second.id: {},
    }
    assert [c.id for c in await queries.cohorts()] == [second.id, first.id]


async def test_a_leader_account_enrols_itself() -> None:
    # GIVEN a leader who signs in, and a session of their cohort
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    cohort = await make_cohort()
    me = await make_leader(cohort, tree.micro_grids[0])
    session = await make_session(cohort)
    # WHEN they enrol themself
    enrolment = await train.enrol(actor=me.actor, session_id=session.id, leader_id=me.leader.id)
    # THEN they hold a seat and are now in training
    assert enrolment.status is EnrolmentStatus.ENROLLED
    assert (await reload_session(session)).enrolled_count == 1
    assert (await reload_leader(me.leader)).status is LeaderStatus.ENROLLED
