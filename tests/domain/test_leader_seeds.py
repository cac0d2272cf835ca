"""The micro-leader and activity seeds: the first cohort as the source report tells it, a second
cohort in training, a year of activities that fit their leaders, and a second load that changes
nothing. Each database test loads every seed once (a few seconds), so there are only three."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.access import Actor, Role
from domain.accounts.models import User
from domain.activities.models import (
    Activity,
    ActivityStatus,
    ActivityType,
    MediationOutcome,
    ProblemCategory,
    public_by_default,
)
from domain.activities.queries import verification_queue_count
from domain.grids.codes import GridKind
from domain.grids.models import GridCell
from domain.leaders.models import (
    Attendance,
    Certificate,
    Cohort,
    Enrolment,
    EnrolmentStatus,
    LeaderStatus,
    MicroLeader,
    SessionType,
    SourceRole,
    TrainingSession,
)
from domain.people.models import Person
from seeds import load_all, pinghu
from seeds.accounts import DEMO_ACCOUNTS
from seeds.activities import Accounts as ActivityAccounts
from seeds.activities import CellRow, LeaderRow, clip_to, plan_activities
from seeds.leaders import SEED_NOW, plan_cohorts
from seeds.leaders import CellRow as HomeCell
from seeds.loader import StaleDemoData
from tests.accounts import actor_of
from tests.conftest import SqlLog

MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Chinese words, figures and the usual punctuation: no template markup (村: 社: 1,2|) left behind
TITLE = re.compile(r"^(?!村:|社:)[\u4e00-\u9fff\w“”·：]+$")
TOWN_CODES = {town.code for town in pinghu.TOWNS}
HOME_KINDS = {
    SourceRole.MICRO_GRID_HEAD: {GridKind.MICRO_GRID},
    SourceRole.GROUP_LEADER: {GridKind.GRID},
    SourceRole.ORG_LEADER: {GridKind.COMMUNITY, GridKind.VILLAGE},
}
ACTIVITIES = (4_000, 6_000)
ACTIVITY_FIELDS = (
    "id leader_id author_user_id cell_path activity_type started_at ended_at participants households_reached "
    "problems mediation_outcome volunteer_hours status return_reason created_at submitted_at verified_at "
    "reviewed_by_user_id is_demo title narrative is_public details_public"
)
TABLES = (Cohort, MicroLeader, TrainingSession, Enrolment, Attendance, Activity, Person, GridCell)


async def _leaders() -> list[dict[str, Any]]:
    return await MicroLeader.all().values(
        "id",
        "person_id",
        "status",
        "source_role",
        "home_path",
        "nominated_at",
        "enrolled_at",
        "certified_at",
        "withdrawn_at",
        "status_reason",
        "is_demo",
        cohort_name="cohort__name",
        cell_code="home_cell__code",
        cell_kind="home_cell__kind",
        cell_path="home_cell__path",
        mobile="person__mobile",
    )


def _progress(
    sessions: dict[int, dict[str, Any]], attended: set[int], cohort: Cohort
) -> tuple[Decimal, Decimal, bool]:
    """(share of required sessions attended, hours, rule met), computed from the rows."""
    required = [s for s in sessions.values() if s["required"]]
    share = Decimal(sum(1 for s in required if s["id"] in attended)) / len(required)
    hours = sum((sessions[s]["hours"] for s in attended), Decimal(0))
    return share, hours, share >= cohort.min_attendance_share and hours >= cohort.min_hours


async def test_two_cohorts_of_leaders_with_their_training(db: None) -> None:
    # WHEN every seed is loaded
    await load_all()
    leaders = await _leaders()
    by_cohort: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for leader in leaders:
        by_cohort[leader["cohort_name"]].append(leader)
    first, second = await Cohort.get(name="首期"), await Cohort.get(name="第二期")
    # THEN the first cohort is the report's: 38 leaders of the three source roles, from all nine towns
    assert (first.year, len(by_cohort["首期"])) == (2019, 38)
    assert {SourceRole(leader["source_role"]) for leader in by_cohort["首期"]} == set(SourceRole)
    assert {leader["cell_code"][:9] for leader in by_cohort["首期"]} == TOWN_CODES
    assert {leader["cell_code"][:9] for leader in by_cohort["第二期"]} == TOWN_CODES
    # ... each homed on a real cell of their role's kind, the path copied from it
    for leader in leaders:
        assert GridKind(leader["cell_kind"]) in HOME_KINDS[SourceRole(leader["source_role"])], leader
        assert leader["home_path"] == leader["cell_path"]
        assert leader["is_demo"]
        assert leader["mobile"] is None or MOBILE.match(leader["mobile"])
    # ... with a consistent lifecycle, and a person in at most one active cohort
    for leader in leaders:
        _assert_lifecycle(leader)
    active = Counter(leader["person_id"] for leader in leaders if LeaderStatus(leader["status"]).is_active)
    assert max(active.values()) == 1
    first_statuses = Counter(LeaderStatus(leader["status"]) for leader in by_cohort["首期"])
    assert first_statuses[LeaderStatus.CERTIFIED] >= 30
    assert first_statuses[LeaderStatus.WITHDRAWN] >= 1
    assert set(first_statuses) == {LeaderStatus.CERTIFIED, LeaderStatus.WITHDRAWN}
    second_statuses = Counter(LeaderStatus(leader["status"]) for leader in by_cohort["第二期"])
    assert second_statuses[LeaderStatus.ENROLLED] >= 20
    assert second_statuses[LeaderStatus.NOMINATED] >= 1
    assert LeaderStatus.CERTIFIED not in second_statuses
    # ... and the training plans, enrolment and attendance agree with every status
    for cohort in (first, second):
        await _assert_training(cohort, [leader for leader in leaders if leader["cohort_name"] == cohort.name])
    # ... and the demo leader account is an enrolled second-cohort leader in 当湖街道
    demo = await User.get(username="demo.leader")
    (mine,) = [leader for leader in leaders if leader["person_id"] == demo.person_id]
    assert (mine["cohort_name"], LeaderStatus(mine["status"])) == ("第二期", LeaderStatus.ENROLLED)
    assert mine["cell_code"].startswith("330482001")
    # ... the first cohort's year is an inference from "去年", flagged 待核实; the second's is not
    assert (first.year_unverified, second.year_unverified) == (True, False)
    # ... 个案辅导增能 sessions are one-to-one appointments (one seat, at most one leader)
    coaching = await TrainingSession.filter(session_type=SessionType.CASE_COACHING).values_list(
        "capacity", "enrolled_count"
    )
    assert len(coaching) >= 32
    assert {capacity for capacity, _ in coaching} == {1}
    assert max(enrolled for _, enrolled in coaching) == 1
    # ... and every certified leader has a certificate, numbered in sequence for the cohort's year
    certified = [leader["id"] for leader in by_cohort["首期"] if leader["status"] == LeaderStatus.CERTIFIED]
    numbers = dict(await Certificate.filter(cohort_id=first.id).values_list("leader_id", "number"))
    assert sorted(numbers) == sorted(certified)
    assert sorted(numbers.values()) == [f"PH-WLX-2019-{n:04d}" for n in range(1, len(certified) + 1)]


def _assert_lifecycle(leader: dict[str, Any]) -> None:
    status = LeaderStatus(leader["status"])
    nominated, enrolled = leader["nominated_at"], leader["enrolled_at"]
    assert nominated <= SEED_NOW
    if status is LeaderStatus.NOMINATED:
        assert (enrolled, leader["certified_at"], leader["withdrawn_at"]) == (None, None, None)
        return
    assert nominated < enrolled
    if status is LeaderStatus.CERTIFIED:
        assert enrolled < leader["certified_at"] <= SEED_NOW
    if status is LeaderStatus.WITHDRAWN:
        assert enrolled < leader["withdrawn_at"] <= SEED_NOW
        assert leader["status_reason"]
        assert leader["certified_at"] is None


async def _assert_training(cohort: Cohort, leaders: list[dict[str, Any]]) -> None:
    rows = await TrainingSession.filter(cohort_id=cohort.id).values()
    sessions = {row["id"]: row for row in rows}
    assert {SessionType(row["session_type"]) for row in rows} == set(SessionType)
    assert {row["required"] for row in rows} == {True, False}
    assert all(
        row["is_demo"] and row["check_in_code"] is None and row["check_in_until"] is None for row in rows
    )
    assert all(row["starts_at"] < row["ends_at"] and row["hours"] > 0 for row in rows)
    enrolments = await Enrolment.filter(session_id__in=list(sessions)).values()
    enrolled = Counter(e["session_id"] for e in enrolments if e["status"] == EnrolmentStatus.ENROLLED)
    for row in rows:
        assert row["enrolled_count"] == enrolled[row["id"]] <= row["capacity"]
    attendance = await Attendance.filter(session_id__in=list(sessions)).values()
    enrolled_pairs = {
        (e["session_id"], e["leader_id"]) for e in enrolments if e["status"] == EnrolmentStatus.ENROLLED
    }
    attended: dict[int, set[int]] = defaultdict(set)
    for row in attendance:
        session = sessions[row["session_id"]]
        assert (row["session_id"], row["leader_id"]) in enrolled_pairs
        assert session["ends_at"] <= SEED_NOW
        assert row["checked_in_at"] is not None
        assert row["checked_in_at"] < session["ends_at"]
        if row["present"]:
            attended[row["leader_id"]].add(row["session_id"])
    for leader in leaders:
        status = LeaderStatus(leader["status"])
        _, _, met = _progress(sessions, attended[leader["id"]], cohort)
        # certified leaders meet the rule; no one still in training or withdrawn has met it
        assert met == (status is LeaderStatus.CERTIFIED), leader
        if status is LeaderStatus.NOMINATED:
            assert not attended[leader["id"]]
    if cohort.name == "第二期":
        upcoming = [row["id"] for row in rows if row["starts_at"] > SEED_NOW]
        assert upcoming
        assert all(enrolled[session_id] > 0 for session_id in upcoming)


async def test_a_year_of_activities_fits_the_leaders(db: None) -> None:
    # WHEN every seed is loaded
    await load_all()
    # THEN there are several thousand demo activities
    rows = await Activity.all().values(
        *ACTIVITY_FIELDS.split(),
        real_path="cell__path",
        cell_households="cell__households",
    )
    assert ACTIVITIES[0] <= len(rows) <= ACTIVITIES[1]
    leaders = {leader["id"]: leader for leader in await _leaders()}
    users = dict(await User.filter(username__startswith="demo.").values_list("username", "id"))
    demo_leader_person = (await User.get(username="demo.leader")).person_id
    now = datetime.now(UTC)
    for row in rows:
        leader = leaders[row["leader_id"]]
        # ... each on a cell of its leader's home subtree, while the leader was one
        assert row["cell_path"] == row["real_path"]
        assert row["cell_path"].startswith(leader["home_path"])
        assert leader["nominated_at"] < row["started_at"]
        assert leader["withdrawn_at"] is None or row["ended_at"] <= leader["withdrawn_at"]
        # ... never in the future, lasting 30 minutes to 4 hours
        assert row["ended_at"] <= min(now, SEED_NOW)
        assert timedelta(minutes=30) <= row["ended_at"] - row["started_at"] <= timedelta(hours=4)
        assert row["is_demo"]
        assert TITLE.match(row["title"]), row["title"]
        assert row["narrative"]
        _assert_type_fields(row)
        _assert_review(row, users)
        own = leader["person_id"] == demo_leader_person
        assert row["author_user_id"] == (users["demo.leader"] if own else users["demo.clerk"])
    # ... of every type, most verified, some waiting, returned or drafted, the demo leader's too
    assert {ActivityType(row["activity_type"]) for row in rows} == set(ActivityType)
    statuses = Counter(ActivityStatus(row["status"]) for row in rows)
    assert statuses[ActivityStatus.VERIFIED] > 0.9 * len(rows)
    assert len(statuses) == len(ActivityStatus)
    assert min(statuses.values()) >= 5
    mine = {ActivityStatus(row["status"]) for row in rows if row["author_user_id"] == users["demo.leader"]}
    assert mine == set(ActivityStatus)
    # ... and leaders of both cohorts logged them
    assert {leaders[row["leader_id"]]["cohort_name"] for row in rows} == {"首期", "第二期"}
    await _assert_full_queues(rows)


async def _assert_full_queues(rows: list[dict[str, Any]]) -> None:
    """Every reviewing demo account's queue holds every record waiting in its scope: none was
    typed under a reviewing account (it could not verify its own)."""
    waiting = [row for row in rows if row["status"] == ActivityStatus.SUBMITTED]
    bureau = await _demo_actor("demo.bureau")
    assert await verification_queue_count(bureau) == len(waiting) > 0
    for town in pinghu.TOWNS:
        staff = await _demo_actor(next(a.username for a in DEMO_ACCOUNTS if a.town_code == town.code))
        in_town = [row for row in waiting if staff.has_role_over(row["cell_path"], Role.GRID_STAFF)]
        assert await verification_queue_count(staff) == len(in_town)


async def _demo_actor(username: str) -> Actor:
    return await actor_of(await User.get(username=username))


def _assert_type_fields(row: dict[str, Any]) -> None:
    kind = ActivityType(row["activity_type"])
    assert row["participants"] >= 0
    assert 0 <= row["households_reached"] <= row["cell_households"]
    assert (row["mediation_outcome"] is not None) == (kind is ActivityType.MEDIATION)
    if row["mediation_outcome"] is not None:
        MediationOutcome(row["mediation_outcome"])
    assert (row["volunteer_hours"] is not None) == (kind is ActivityType.VOLUNTEERING)
    if row["volunteer_hours"] is not None:
        duration = Decimal((row["ended_at"] - row["started_at"]).total_seconds()) / 3600
        assert Decimal("0.5") <= row["volunteer_hours"] <= duration
    if kind is ActivityType.VISIT:
        assert row["households_reached"] >= 1
    problems = row["problems"]
    assert all(ProblemCategory(key) and count >= 1 for key, count in problems.items())
    if kind is ActivityType.ENVIRONMENT:
        assert problems
    if kind not in (
        ActivityType.ENVIRONMENT,
        ActivityType.SAFETY_CHECK,
        ActivityType.VISIT,
        ActivityType.EMERGENCY,
    ):
        assert problems == {}


def _assert_review(row: dict[str, Any], users: dict[str, int]) -> None:
    status = ActivityStatus(row["status"])
    # public as a verifier would leave it by default: verified records of public types, no details
    kind = ActivityType(row["activity_type"])
    assert row["is_public"] == (status is ActivityStatus.VERIFIED and public_by_default(kind))
    assert row["details_public"] is False
    assert row["ended_at"] <= row["created_at"]
    reviewers = {user_id for name, user_id in users.items() if name.startswith("demo.grid.")}
    if status is ActivityStatus.DRAFT:
        assert (row["submitted_at"], row["verified_at"], row["reviewed_by_user_id"]) == (None, None, None)
        return
    assert row["created_at"] <= row["submitted_at"] <= SEED_NOW
    if status is ActivityStatus.SUBMITTED:
        assert (row["verified_at"], row["reviewed_by_user_id"], row["return_reason"]) == (None, None, None)
    if status is ActivityStatus.VERIFIED:
        assert row["submitted_at"] < row["verified_at"] <= SEED_NOW
        assert row["reviewed_by_user_id"] in reviewers
    if status is ActivityStatus.RETURNED:
        assert row["return_reason"]
        assert row["reviewed_by_user_id"] in reviewers
        assert row["verified_at"] is None


async def test_loading_again_inserts_nothing(db: None, sql_log: SqlLog) -> None:
    # GIVEN every seed loaded
    first = await load_all()
    assert (len(first.leaders.cohorts), first.leaders.leaders) == (2, 78)
    assert ACTIVITIES[0] <= first.activities.activities <= ACTIVITIES[1]
    counts = [await table.all().count() for table in TABLES]
    # WHEN they are loaded again
    sql_log.reset()
    second = await load_all()
    # THEN nothing is inserted, at one read per loader
    assert second.inserted == 0
    assert "leader seeds: every cohort present" in str(second)
    assert "activity seeds: demo activities present" in str(second)
    assert sql_log.count == 8  # one read per loader (up to funding), the activities' stale check besides
    assert [await table.all().count() for table in TABLES] == counts
    # AND an older demo year, typed under a reviewing account, is refused with what to do
    bureau = await User.get(username="demo.bureau")
    await Activity.filter(id=(await Activity.first()).id).update(author_user_id=bureau.id)  # type: ignore[union-attr]
    with pytest.raises(StaleDemoData, match=r"data/linzhi\.sqlite3"):
        await load_all()


# --- the pure plans (no database) ---------------------------------------------------------------


def _tree() -> list[HomeCell]:
    """A unit, a grid and a micro-grid in each town: enough homes for every role."""
    cells = []
    for number, town in enumerate(pinghu.TOWNS):
        for slot in range(12):
            base = 10_000 * number + 100 * slot
            unit = f"{town.code}{slot + 1:03d}"
            path = f"{base:08d}"
            cells += [
                HomeCell(base, unit, path, GridKind.COMMUNITY, None),
                HomeCell(base + 1, f"{unit}001", path + f"{base + 1:08d}", GridKind.GRID, None),
                HomeCell(
                    base + 2,
                    f"{unit}00101",
                    path + f"{base + 1:08d}{base + 2:08d}",
                    GridKind.MICRO_GRID,
                    None,
                ),
            ]
    return cells


def test_plans_are_deterministic() -> None:
    tree = _tree()
    first, again = plan_cohorts(1, tree), plan_cohorts(1, tree)
    assert [d.leaders for d in first] == [d.leaders for d in again]
    assert [d.attendance for d in first] == [d.attendance for d in again]
    assert [d.leaders for d in plan_cohorts(2, tree)] != [d.leaders for d in first]


def test_nothing_is_logged_ahead_of_a_clock_earlier_than_the_seeds() -> None:
    # GIVEN a year of one leader's activities
    micro = CellRow(
        3, "000000010000000200000003", "33048200100100101", "梅园新村1幢", GridKind.MICRO_GRID, 60, None
    )
    leader = LeaderRow(1, SourceRole.MICRO_GRID_HEAD, micro.path, SEED_NOW - timedelta(days=400), None, None)
    rows = plan_activities(1, [leader], [micro], ActivityAccounts(clerk=7, grid_staff={"330482001": 8}))
    assert len(rows) > 40
    # WHEN the clock stands three weeks before the seeds' moment
    now = SEED_NOW - timedelta(days=21)
    kept = clip_to(rows, now)
    # THEN later activities are left out, and no submission or review lies ahead of the clock
    assert 0 < len(kept) < len(rows)
    for row in kept:
        assert row.ended_at <= now
        assert row.created_at <= now
        assert row.submitted_at is None or row.submitted_at <= now
        assert row.verified_at is None or row.verified_at <= now
        assert (row.status is ActivityStatus.DRAFT) == (row.submitted_at is None)
