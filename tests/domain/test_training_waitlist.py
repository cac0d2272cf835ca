"""The waiting list (候补) of a full session: joining it, the first waiting leader taking a freed
seat (cancellation, withdrawal, more capacity), audited, and concurrency on PostgreSQL: seats never
exceed capacity and the queue is never skipped."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from tortoise import connections

from domain.audit.models import AuditEntry
from domain.leaders import service
from domain.leaders import training as train
from domain.leaders.errors import LeaderCode
from domain.leaders.models import Enrolment, EnrolmentStatus, LeaderStatus, MicroLeader, TrainingSession
from tests.factories import BUREAU, build_tree
from tests.factories_leaders import concurrently, make_cohort, make_session, nominate, reload_session

pytestmark = pytest.mark.usefixtures("db")


def _is_postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


async def _statuses(session: TrainingSession) -> dict[int, EnrolmentStatus]:
    rows = await Enrolment.filter(session_id=session.id).values_list("leader_id", "status")
    return {int(leader_id): EnrolmentStatus(status) for leader_id, status in rows}


async def _full_session_with_queue(seats: int, waiting: int) -> tuple[TrainingSession, list[MicroLeader]]:
    tree = await build_tree(grids=1, micro_grids_per_grid=2)
    cohort = await make_cohort()
    leaders = [
        await nominate(cohort, tree.micro_grids[i % 2], name=f"候{i}") for i in range(seats + waiting + 4)
    ]
    session = await make_session(cohort, capacity=seats)
    for leader in leaders[:seats]:
        await train.enrol(actor=BUREAU, session_id=session.id, leader_id=leader.id)
    for leader in leaders[seats : seats + waiting]:
        joined = await train.join_waitlist(actor=BUREAU, session_id=session.id, leader_id=leader.id)
        assert joined.status is EnrolmentStatus.WAITING
    return session, leaders


async def test_a_full_session_offers_the_waiting_list_and_a_cancellation_promotes_the_first() -> None:
    # GIVEN a two-seat session, full, with two leaders waiting in order
    session, leaders = await _full_session_with_queue(seats=2, waiting=2)
    first_waiting, second_waiting = leaders[2], leaders[3]
    # WHEN a third leader tries to enrol directly, THEN it is full and says the list exists
    try:
        await train.enrol(actor=BUREAU, session_id=session.id, leader_id=leaders[4].id)
    except Exception as error:
        refused = error
    assert getattr(refused, "code", None) is LeaderCode.SESSION_FULL
    assert "候补" in str(refused)
    # ... and joining twice is refused
    try:
        await train.join_waitlist(actor=BUREAU, session_id=session.id, leader_id=first_waiting.id)
    except Exception as error:
        twice = error
    assert getattr(twice, "code", None) is LeaderCode.ALREADY_WAITING
    # WHEN an enrolled leader cancels
    await train.cancel_enrolment(actor=BUREAU, session_id=session.id, leader_id=leaders[0].id)
    # THEN the first waiting leader has the seat at once (and is now in training), the second waits
    statuses = await _statuses(session)
    assert statuses[first_waiting.id] is EnrolmentStatus.ENROLLED
    assert statuses[second_waiting.id] is EnrolmentStatus.WAITING
    assert (await reload_session(session)).enrolled_count == 2
    assert (await MicroLeader.get(id=first_waiting.id)).status is LeaderStatus.ENROLLED
    # ... audited as a promotion caused by the cancellation
    [entry] = await AuditEntry.filter(action="session.waitlist_promote")
    assert (entry.object_id, entry.summary["leader_id"], entry.summary["because"]) == (
        str(session.id),
        first_waiting.id,
        "cancellation",
    )


async def test_a_withdrawal_frees_the_seat_for_the_queue_and_leaves_its_own_queue_places() -> None:
    # GIVEN a full one-seat session with two waiting leaders
    session, leaders = await _full_session_with_queue(seats=1, waiting=2)
    # WHEN the first waiting leader withdraws from training, then the seated one does too
    await service.withdraw_leader(actor=BUREAU, leader_id=leaders[1].id, reason="个人原因")
    await service.withdraw_leader(actor=BUREAU, leader_id=leaders[0].id, reason="工作调动")
    # THEN the withdrawn waiter lost their place and the seat went to the next one in line
    statuses = await _statuses(session)
    assert statuses == {
        leaders[0].id: EnrolmentStatus.CANCELLED,
        leaders[1].id: EnrolmentStatus.CANCELLED,
        leaders[2].id: EnrolmentStatus.ENROLLED,
    }
    assert (await reload_session(session)).enrolled_count == 1
    [entry] = await AuditEntry.filter(action="session.waitlist_promote")
    assert entry.summary["because"] == "withdrawal"


async def test_more_seats_go_to_the_waiting_list_first_and_leaving_the_list_frees_no_seat() -> None:
    # GIVEN a full one-seat session with three waiting leaders, the second of whom leaves the list
    session, leaders = await _full_session_with_queue(seats=1, waiting=3)
    left = await train.cancel_enrolment(actor=BUREAU, session_id=session.id, leader_id=leaders[2].id)
    assert left.status is EnrolmentStatus.CANCELLED
    assert (await reload_session(session)).enrolled_count == 1
    assert await AuditEntry.filter(action="session.leave_waitlist").count() == 1
    # WHEN the bureau adds two seats
    await train.update_session(actor=BUREAU, session_id=session.id, capacity=3)
    # THEN both waiting leaders (in queue order) have seats
    statuses = await _statuses(session)
    assert [statuses[leader.id] for leader in leaders[:4]] == [
        EnrolmentStatus.ENROLLED,
        EnrolmentStatus.ENROLLED,
        EnrolmentStatus.CANCELLED,
        EnrolmentStatus.ENROLLED,
    ]
    assert (await reload_session(session)).enrolled_count == 3


async def test_concurrent_cancellations_and_enrolments_keep_capacity_and_queue_order() -> None:
    # GIVEN a full three-seat session with five leaders waiting in a known order, and four more
    # leaders who want a seat now
    session, leaders = await _full_session_with_queue(seats=3, waiting=5)
    seated, queue, newcomers = leaders[:3], leaders[3:8], leaders[8:]

    def cancel(leader_id: int) -> Callable[[], Awaitable[Enrolment]]:
        return lambda: train.cancel_enrolment(actor=BUREAU, session_id=session.id, leader_id=leader_id)

    def enrol(leader_id: int) -> Callable[[], Awaitable[Enrolment]]:
        return lambda: train.enrol(actor=BUREAU, session_id=session.id, leader_id=leader_id)

    def wait(leader_id: int) -> Callable[[], Awaitable[Enrolment]]:
        return lambda: train.join_waitlist(actor=BUREAU, session_id=session.id, leader_id=leader_id)

    # WHEN the three seated leaders cancel while newcomers enrol and join the list, all at once
    calls = [cancel(leader.id) for leader in seated]
    calls += [enrol(newcomers[0].id), enrol(newcomers[1].id), wait(newcomers[2].id), wait(newcomers[3].id)]
    run = await concurrently(*calls)
    assert run.peak > 1 if _is_postgres() else run.peak == 1
    # THEN the seats went to the first three in the queue, never beyond capacity, and no newcomer
    # overtook the queue
    assert run.errors() == [LeaderCode.SESSION_FULL, LeaderCode.SESSION_FULL]
    statuses = await _statuses(session)
    assert [statuses[leader.id] for leader in queue] == [EnrolmentStatus.ENROLLED] * 3 + [
        EnrolmentStatus.WAITING
    ] * 2
    assert [statuses.get(leader.id) for leader in newcomers] == [
        None,
        None,
        EnrolmentStatus.WAITING,
        EnrolmentStatus.WAITING,
    ]
    stored = await reload_session(session)
    enrolled_rows = await Enrolment.filter(session_id=session.id, status=EnrolmentStatus.ENROLLED).count()
    assert stored.enrolled_count == enrolled_rows == stored.capacity == 3
    assert await AuditEntry.filter(action="session.waitlist_promote").count() == 3
