"""Training rules added with the pages: one-to-one CASE_COACHING appointments, the check-in time
window and the empty code, certificates (numbered, dated, one per certification), editing a
cohort (with every input error at once) and the 待核实 year flag."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.errors import DomainError, ErrorCode, ValidationErrors
from domain.leaders import lifecycle, service
from domain.leaders import training as train
from domain.leaders.errors import LeaderCode
from domain.leaders.models import Certificate, Cohort, LeaderStatus, MicroLeader, SessionType, TrainingSession
from tests.accounts import actor_of, make_user
from tests.factories import BUREAU, build_tree
from tests.factories_leaders import (
    attend,
    build_training,
    enrol,
    make_cohort,
    make_session,
    now,
    start_session,
)

pytestmark = pytest.mark.usefixtures("db")


def _session(cohort_id: int, **overrides: Any) -> dict[str, Any]:
    starts = now() + timedelta(days=2)
    return {
        "actor": BUREAU,
        "cohort_id": cohort_id,
        "session_type": SessionType.CASE_COACHING,
        "title": "个案辅导：邻里纠纷调处",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=1),
        "venue": "社工站",
        "facilitator": "沈督导",
        "hours": "1.0",
        **overrides,
    }


async def test_case_coaching_is_a_one_to_one_appointment() -> None:
    cohort = await make_cohort()
    # WHEN the bureau plans a coaching appointment without a capacity, THEN it has one seat
    appointment = await train.create_session(**_session(cohort.id))
    assert appointment.capacity == 1
    # ... and asking for eight seats is refused, naming the capacity and saying why
    with pytest.raises(DomainError) as raised:
        await train.create_session(**_session(cohort.id, capacity=8))
    assert (raised.value.code, raised.value.field) == (ErrorCode.ONE_TO_ONE, ["capacity"])
    assert "一对一" in raised.value.message
    # ... as is widening an appointment later
    with pytest.raises(DomainError) as widened:
        await train.update_session(actor=BUREAU, session_id=appointment.id, capacity=2)
    assert widened.value.code is ErrorCode.ONE_TO_ONE
    # ... while turning a workshop into coaching makes it one seat
    workshop = await make_session(cohort, capacity=20)
    turned = await train.update_session(
        actor=BUREAU, session_id=workshop.id, session_type=SessionType.CASE_COACHING
    )
    assert (turned.session_type, turned.capacity) == (SessionType.CASE_COACHING, 1)


async def test_every_session_input_error_is_reported_at_once() -> None:
    cohort = await make_cohort()
    starts = now() + timedelta(days=1)
    with pytest.raises(ValidationErrors) as raised:
        await train.create_session(
            **_session(
                cohort.id,
                session_type=SessionType.WORKSHOP,
                title=" ",
                venue="",
                ends_at=starts - timedelta(hours=1),
                starts_at=starts,
                capacity=0,
                hours="200",
            )
        )
    fields = [error.field for error in raised.value.errors]
    assert fields == [["title"], ["endsAt"], ["venue"], ["capacity"], ["hours"]]
    assert not await TrainingSession.filter(cohort_id=cohort.id).exists()


async def _day(starts_in: timedelta) -> tuple[Any, TrainingSession, str]:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    training = await build_training(tree, leaders=1, required=1, elective=0)
    session = training.sessions[0]
    await enrol(session, training.leaders[0].leader)
    start = now() + starts_in
    await TrainingSession.filter(id=session.id).update(starts_at=start, ends_at=start + timedelta(hours=2))
    code = (await train.open_check_in(actor=BUREAU, session_id=session.id, minutes=240)).code
    return training.leaders[0], session, code


async def test_check_in_is_accepted_only_inside_the_session_window() -> None:
    # GIVEN a session tomorrow whose code is already open today
    me, session, code = await _day(timedelta(days=1))
    # WHEN the leader uses the right code today, THEN it is too early, saying from when
    with pytest.raises(DomainError) as early:
        await train.check_in(actor=me.actor, session_id=session.id, code=code)
    assert early.value.code is LeaderCode.CHECK_IN_TOO_EARLY
    assert "开始前 30 分钟" in early.value.message
    # ... 25 minutes before the start it is accepted
    await TrainingSession.filter(id=session.id).update(
        starts_at=now() + timedelta(minutes=25), ends_at=now() + timedelta(hours=2)
    )
    mark = await train.check_in(actor=me.actor, session_id=session.id, code=code)
    assert mark.present


async def test_check_in_after_the_end_and_with_an_empty_code_is_refused() -> None:
    # GIVEN a session that ended a minute ago, its code still open
    me, session, code = await _day(timedelta(hours=-2, minutes=-1))
    # WHEN the leader sends no code, THEN they are asked for it
    with pytest.raises(DomainError) as empty:
        await train.check_in(actor=me.actor, session_id=session.id, code="  ")
    assert (empty.value.code, empty.value.message, empty.value.field) == (
        LeaderCode.CODE_REQUIRED,
        "请输入签到码",
        ["code"],
    )
    # ... and the right code is refused: the session is over
    with pytest.raises(DomainError) as late:
        await train.check_in(actor=me.actor, session_id=session.id, code=code)
    assert late.value.code is LeaderCode.SESSION_ENDED


async def test_certification_issues_numbered_certificates_per_year() -> None:
    # GIVEN a 2019 cohort whose rule is one required session, and three enrolled leaders
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    training = await build_training(tree, leaders=3, required=1, elective=0, min_share="1")
    await Cohort.filter(id=training.cohort.id).update(year=2019)
    session = training.sessions[0]
    await enrol(session, *(account.leader for account in training.leaders))
    session = await start_session(session)
    # WHEN two meet the rule (automatic) and the bureau certifies the third by hand
    await attend(session, training.leaders[0].leader, training.leaders[1].leader)
    bureau = await actor_of(
        await make_user("bureau.cert", __import__("domain.access").access.Role.BUREAU_STAFF)
    )

    await service.certify_leader(actor=bureau, leader_id=training.leaders[2].leader.id, reason="补发证书")
    # THEN each has a certificate numbered in sequence for 2019, dated today (Shanghai)
    rows = await Certificate.filter(cohort_id=training.cohort.id).order_by("number")
    assert [(c.number, c.automatic) for c in rows] == [
        ("PH-WLX-2019-0001", True),
        ("PH-WLX-2019-0002", True),
        ("PH-WLX-2019-0003", False),
    ]
    assert {c.issued_on for c in rows} == {lifecycle.shanghai_date(now())}
    statuses = await MicroLeader.filter(cohort_id=training.cohort.id).values_list("status", flat=True)
    assert set(statuses) == {LeaderStatus.CERTIFIED}


async def test_the_bureau_edits_a_cohort_and_its_year_flag_with_every_error_at_once() -> None:
    cohort = await make_cohort()
    other = await make_cohort()
    # WHEN the edit has a taken name, a bad year and a bad share, THEN all three are reported
    with pytest.raises(ValidationErrors) as raised:
        await train.update_cohort(
            actor=BUREAU, cohort_id=cohort.id, name=other.name, year=1990, min_attendance_share="1.5"
        )
    assert sorted(e.field[0] for e in raised.value.errors if e.field) == [
        "minAttendanceShare",
        "name",
        "year",
    ]
    # WHEN the year is marked as to be verified, THEN the flag is stored
    updated = await train.update_cohort(actor=BUREAU, cohort_id=cohort.id, year=2024, year_unverified=True)
    assert (updated.year, updated.year_unverified) == (2024, True)
