"""Every read of cohorts, micro-leaders and training. Each function is one statement (or a fixed
few), and the `*_by_*` / `*_of_*` functions take many keys at once for per-request loaders.

Leaders come with their `person` joined (one statement), because every view of a leader shows a
(masked) name."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from domain import sql
from domain.access import Actor
from domain.errors import NotFound
from domain.grids.models import subtree_range
from domain.leaders import policy
from domain.leaders.models import (
    Attendance,
    Certificate,
    Cohort,
    Enrolment,
    EnrolmentStatus,
    LeaderStatus,
    MicroLeader,
    TrainingSession,
)
from domain.pagination import Page, PageRequest, keyset_page
from domain.people.models import Person

LEADER_ORDER = ("id",)

# The most items of each list the leaders' reads return (the GraphQL query cost multiplies by
# them, so they must hold): every list is cut here, and the services keep the data within them.
MAX_CAPACITY = 500  # seats of one session, so also its enrolled leaders
MAX_SESSIONS_PER_COHORT = 40  # the seeded plans have 17; one a week for most of a year
MAX_COHORTS_LISTED = 50  # `cohorts`: the newest; older ones stay reachable by id
MAX_LEADERS_PER_CELL = 30  # active leaders homed in one cell (a micro-grid has one or two)
ACTIVE = (LeaderStatus.NOMINATED, LeaderStatus.ENROLLED)


# --- cohorts ----------------------------------------------------------------------------------


async def cohorts() -> list[Cohort]:
    """Newest intake first."""
    return list(await Cohort.all().order_by("-year", "-id").limit(MAX_COHORTS_LISTED))


async def cohort_by_id(cohort_id: int) -> Cohort:
    cohort = await Cohort.get_or_none(id=cohort_id)
    if cohort is None:
        raise NotFound("培训期次不存在", ["cohortId"])
    return cohort


async def cohorts_by_ids(ids: Iterable[int]) -> dict[int, Cohort]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {cohort.id: cohort for cohort in await Cohort.filter(id__in=wanted)}


async def leader_counts(cohort_ids: Iterable[int]) -> dict[int, dict[LeaderStatus, int]]:
    """How many leaders of each cohort are in each status (missing statuses count 0)."""
    wanted = list(set(cohort_ids))
    counts: dict[int, dict[LeaderStatus, int]] = {cohort_id: {} for cohort_id in wanted}
    if not wanted:
        return counts
    rows = (
        await MicroLeader.filter(cohort_id__in=wanted)
        .group_by("cohort_id", "status")
        .annotate(n=Count("id"))
        .values("cohort_id", "status", "n")
    )
    for row in rows:
        counts[row["cohort_id"]][LeaderStatus(row["status"])] = int(row["n"])
    return counts


# --- leaders ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeaderFilter:
    cohort_id: int | None = None
    statuses: tuple[LeaderStatus, ...] = ()
    # Leaders whose home cell lies in the subtree rooted at this materialized path.
    subtree_path: str | None = None
    # Part of the person's full name: staff only (see `policy.can_search_by_name`).
    search: str | None = None


def _leaders() -> QuerySet[MicroLeader]:
    return MicroLeader.all().select_related("person")


async def leader_by_id(leader_id: int) -> MicroLeader:
    leader = await _leaders().get_or_none(id=leader_id)
    if leader is None:
        raise NotFound("微领袖不存在", ["leaderId"])
    return leader


async def leaders_by_ids(ids: Iterable[int]) -> dict[int, MicroLeader]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {leader.id: leader for leader in await _leaders().filter(id__in=wanted)}


async def leaders_in_cells(
    cell_ids: Iterable[int], *, include_withdrawn: bool = False
) -> dict[int, list[MicroLeader]]:
    """The leaders whose home is each cell, oldest first (for `GridCell.leaders`)."""
    wanted = list(set(cell_ids))
    grouped: dict[int, list[MicroLeader]] = defaultdict(list)
    if not wanted:
        return grouped
    qs = _leaders().filter(home_cell_id__in=wanted)
    if not include_withdrawn:
        qs = qs.filter(active_leaders())
    for leader in await qs.order_by("home_cell_id", "id"):
        if len(grouped[leader.home_cell_id]) < MAX_LEADERS_PER_CELL:
            grouped[leader.home_cell_id].append(leader)
    return grouped


def active_leaders() -> Q:
    """A cell's leaders (`GridCell.leaders`): everyone homed there but the withdrawn."""
    return ~Q(status=LeaderStatus.WITHDRAWN)


def leaders_filter(f: LeaderFilter) -> list[Q]:
    """The leader directory's read rule over leader rows (the name search aside, see
    `name_search`): the one source for the resolvers and the compiled read path."""
    parts: list[Q] = []
    if f.cohort_id is not None:
        parts.append(Q(cohort_id=f.cohort_id))
    if f.statuses:
        parts.append(Q(status__in=list(f.statuses)))
    if f.subtree_path:
        low, high = subtree_range(f.subtree_path)
        parts.append(Q(home_path__gte=low, home_path__lt=high))
    return parts


def name_search(actor: Actor, f: LeaderFilter) -> Q | None:
    """The directory's name search as a predicate over the leaders' person rows (None without a
    search): staff only, since a name search on a masked directory would confirm who is a leader
    (PermissionDenied for anyone else)."""
    search = (f.search or "").strip()
    if not search:
        return None
    policy.require_search_by_name(actor)
    return Q(name__contains=search)


def _filtered(actor: Actor, f: LeaderFilter) -> QuerySet[MicroLeader]:
    qs = _leaders().filter(*leaders_filter(f))
    by_name = name_search(actor, f)
    if by_name is not None:
        qs = qs.filter(person_id__in=Subquery(Person.filter(by_name).values("id")))
    return qs


async def leaders_page(actor: Actor, f: LeaderFilter, request: PageRequest) -> Page[MicroLeader]:
    """The leader directory, by id. Searching by name is refused to those who see masked names."""
    return await keyset_page(_filtered(actor, f), LEADER_ORDER, request)


async def leaders_count(actor: Actor, f: LeaderFilter) -> int:
    return await _filtered(actor, f).count()


def _current(rows: list[MicroLeader]) -> MicroLeader | None:
    """A person's active leadership, or else their latest one."""
    active = [leader for leader in rows if leader.status.is_active]
    return max(active or rows, key=lambda leader: leader.id, default=None)


async def leaders_of_persons(person_ids: Iterable[int]) -> dict[int, MicroLeader]:
    """Each person's current leadership (active, else latest); persons who never led are absent."""
    wanted = set(person_ids)
    if not wanted:
        return {}
    by_person: dict[int, list[MicroLeader]] = defaultdict(list)
    for leader in await _leaders().filter(person_id__in=wanted):
        by_person[leader.person_id].append(leader)
    return {person_id: current for person_id, rows in by_person.items() if (current := _current(rows))}


async def leader_of_person(person_id: int) -> MicroLeader | None:
    return (await leaders_of_persons([person_id])).get(person_id)


async def leader_in_cohort(person_id: int, cohort_id: int) -> MicroLeader | None:
    """The person's leadership in one cohort (a withdrawn one only if there is no other)."""
    return _current(list(await _leaders().filter(person_id=person_id, cohort_id=cohort_id)))


# --- sessions ---------------------------------------------------------------------------------


async def session_by_id(session_id: int) -> TrainingSession:
    session = await TrainingSession.get_or_none(id=session_id)
    if session is None:
        raise NotFound("培训场次不存在", ["sessionId"])
    return session


async def sessions_by_ids(ids: Iterable[int]) -> dict[int, TrainingSession]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {session.id: session for session in await TrainingSession.filter(id__in=wanted)}


async def sessions_of_cohorts(cohort_ids: Iterable[int]) -> dict[int, list[TrainingSession]]:
    """Each cohort's training plan in time order."""
    wanted = list(set(cohort_ids))
    grouped: dict[int, list[TrainingSession]] = defaultdict(list)
    if wanted:
        rows = TrainingSession.filter(cohort_id__in=wanted).order_by("cohort_id", "starts_at", "id")
        for session in await rows:
            if len(grouped[session.cohort_id]) < MAX_SESSIONS_PER_COHORT:
                grouped[session.cohort_id].append(session)
    return grouped


async def sessions_of_cohort(cohort_id: int) -> list[TrainingSession]:
    return (await sessions_of_cohorts([cohort_id])).get(cohort_id, [])


# --- enrolment and attendance -----------------------------------------------------------------


async def enrolment_of(session_id: int, leader_id: int) -> Enrolment | None:
    return await Enrolment.get_or_none(session_id=session_id, leader_id=leader_id)


async def enrolments_of_sessions(
    session_ids: Iterable[int], *, include_cancelled: bool = False
) -> dict[int, list[Enrolment]]:
    """Each session's enrolments in sign-up order, with `leader` and `leader.person` joined."""
    wanted = list(set(session_ids))
    grouped: dict[int, list[Enrolment]] = defaultdict(list)
    if not wanted:
        return grouped
    qs = Enrolment.filter(session_id__in=wanted).select_related("leader__person")
    if not include_cancelled:
        qs = qs.filter(status=EnrolmentStatus.ENROLLED)
    for enrolment in await qs.order_by("session_id", "enrolled_at", "id"):
        if len(grouped[enrolment.session_id]) < MAX_CAPACITY:
            grouped[enrolment.session_id].append(enrolment)
    return grouped


async def enrolments_of_session(session_id: int, *, include_cancelled: bool = False) -> list[Enrolment]:
    rows = await enrolments_of_sessions([session_id], include_cancelled=include_cancelled)
    return rows.get(session_id, [])


@dataclass(frozen=True)
class SheetRow:
    """One enrolled leader on a session's attendance sheet."""

    enrolment: Enrolment
    attendance: Attendance | None

    @property
    def leader(self) -> MicroLeader:
        return self.enrolment.leader

    @property
    def person(self) -> Person:
        return self.enrolment.leader.person

    @property
    def present(self) -> bool:
        return self.attendance is not None and self.attendance.present

    @property
    def checked_in_at(self) -> datetime | None:
        return self.attendance.checked_in_at if self.attendance else None

    @property
    def corrected(self) -> bool:
        return self.attendance is not None and self.attendance.correction_reason is not None


async def attendance_sheet(session_id: int) -> list[SheetRow]:
    """The enrolled leaders of a session with their attendance, in sign-up order (two statements)."""
    enrolments = await enrolments_of_session(session_id)
    marks = {a.leader_id: a for a in await Attendance.filter(session_id=session_id)}
    return [SheetRow(enrolment, marks.get(enrolment.leader_id)) for enrolment in enrolments]


@dataclass(frozen=True)
class ScheduleItem:
    session: TrainingSession
    enrolment: Enrolment
    attendance: Attendance | None

    @property
    def present(self) -> bool:
        return self.attendance is not None and self.attendance.present


async def sessions_for_leader(leader_id: int, *, now: datetime | None = None) -> list[ScheduleItem]:
    """A leader's schedule: the sessions they are enrolled in, those not yet over first (soonest
    first), then past ones (latest first). Two statements."""
    moment = now or datetime.now(UTC)
    enrolments = await Enrolment.filter(leader_id=leader_id, status=EnrolmentStatus.ENROLLED).select_related(
        "session"
    )
    marks = {a.session_id: a for a in await Attendance.filter(leader_id=leader_id)}
    items = [ScheduleItem(e.session, e, marks.get(e.session_id)) for e in enrolments]
    upcoming = sorted((i for i in items if i.session.ends_at >= moment), key=_by_start)
    past = sorted((i for i in items if i.session.ends_at < moment), key=_by_start, reverse=True)
    return upcoming + past


def _by_start(item: ScheduleItem) -> tuple[datetime, int]:
    return item.session.starts_at, item.session.id


# --- certification progress -------------------------------------------------------------------

TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Progress:
    """How far a leader is towards their cohort's completion rule.

    The rule: attend at least `min_share` of ALL the cohort's required sessions (planned ones
    included, so attending the first session of a plan never certifies) and earn at least
    `min_hours` from attended sessions, required or elective. A cohort without required sessions
    certifies nobody automatically."""

    leader_id: int
    required_total: int
    required_attended: int
    hours: Decimal
    min_share: Decimal
    min_hours: Decimal

    @property
    def share(self) -> Decimal:
        """Attended share of required sessions, rounded to 0.001 for display."""
        if not self.required_total:
            return Decimal("0.000")
        return (Decimal(self.required_attended) / self.required_total).quantize(Decimal("0.001"))

    @property
    def required_needed(self) -> int:
        """How many required sessions the share calls for (ceil(min_share x total))."""
        needed = self.min_share * self.required_total
        return int(needed.to_integral_value(rounding=ROUND_CEILING))

    @property
    def hours_met(self) -> bool:
        return self.hours >= self.min_hours

    @property
    def share_met(self) -> bool:
        # Exact: attended / total >= min_share, compared without dividing.
        return self.required_total > 0 and self.required_attended >= self.min_share * self.required_total

    @property
    def met(self) -> bool:
        return self.share_met and self.hours_met


_PROGRESS_SQL = """
SELECT l.id AS leader_id, c.min_attendance_share AS min_share, c.min_hours AS min_hours,
  (SELECT COUNT(*) FROM training_session r WHERE r.cohort_id = l.cohort_id AND r.required = ?)
    AS required_total,
  COALESCE(SUM(CASE WHEN s.required = ? THEN 1 ELSE 0 END), 0) AS required_attended,
  COALESCE(SUM(CAST(ROUND(s.hours * 10) AS INTEGER)), 0) AS tenths
FROM micro_leader l
JOIN cohort c ON c.id = l.cohort_id
LEFT JOIN attendance a ON a.leader_id = l.id AND a.present = ?
LEFT JOIN training_session s ON s.id = a.session_id AND s.cohort_id = l.cohort_id
WHERE l.id IN ({ids})
GROUP BY l.id, l.cohort_id, c.min_attendance_share, c.min_hours
"""


def _decimal(value: Any, places: str) -> Decimal:
    # SQLite hands decimals back as text or float, PostgreSQL as Decimal.
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _progress(row: dict[str, Any]) -> Progress:
    return Progress(
        leader_id=int(row["leader_id"]),
        required_total=int(row["required_total"]),
        required_attended=int(row["required_attended"]),
        # Hours are summed as integer tenths: exact on both databases.
        hours=Decimal(int(row["tenths"])) * TENTH,
        min_share=_decimal(row["min_share"], "0.001"),
        min_hours=_decimal(row["min_hours"], "0.1"),
    )


async def progress_for(leader_ids: Iterable[int]) -> dict[int, Progress]:
    """Certification progress of many leaders in one statement; unknown ids are absent."""
    wanted = sorted(set(leader_ids))
    if not wanted:
        return {}
    rows = await sql.fetch_all(
        _PROGRESS_SQL.format(ids=sql.placeholders(len(wanted))), [True, True, True, *wanted]
    )
    return {int(row["leader_id"]): _progress(row) for row in rows}


async def certification_progress(leader_id: int) -> Progress:
    progress = (await progress_for([leader_id])).get(leader_id)
    if progress is None:
        raise NotFound("微领袖不存在", ["leaderId"])
    return progress


# --- waiting lists and certificates -----------------------------------------------------------


async def waiting_of_sessions(session_ids: Iterable[int]) -> dict[int, list[Enrolment]]:
    """Each session's waiting list (候补) in queue order, with `leader` and `leader.person`."""
    wanted = list(set(session_ids))
    grouped: dict[int, list[Enrolment]] = defaultdict(list)
    if not wanted:
        return grouped
    qs = Enrolment.filter(session_id__in=wanted, status=EnrolmentStatus.WAITING).select_related(
        "leader__person"
    )
    for enrolment in await qs.order_by("session_id", "enrolled_at", "id"):
        grouped[enrolment.session_id].append(enrolment)
    return grouped


async def waiting_sessions_of_leader(leader_id: int) -> list[TrainingSession]:
    """The sessions a leader is waiting for, soonest first."""
    rows = await Enrolment.filter(leader_id=leader_id, status=EnrolmentStatus.WAITING).select_related(
        "session"
    )
    return sorted((row.session for row in rows), key=lambda s: (s.starts_at, s.id))


async def certificates_of_cohort(cohort_id: int) -> list[Certificate]:
    """A cohort's certificates by number, with `leader` and `leader.person` (one statement)."""
    qs = Certificate.filter(cohort_id=cohort_id).select_related("leader__person")
    return list(await qs.order_by("number"))


async def certificate_by_number(number: str) -> Certificate:
    certificate = await Certificate.filter(number=number).select_related("leader__person", "cohort").first()
    if certificate is None:
        raise NotFound("证书不存在", ["number"])
    return certificate


async def certificates_of_leaders(leader_ids: Iterable[int]) -> dict[int, Certificate]:
    wanted = set(leader_ids)
    if not wanted:
        return {}
    return {c.leader_id: c for c in await Certificate.filter(leader_id__in=wanted)}


async def cohort_roster(cohort_id: int) -> list[MicroLeader]:
    """Every leader of a cohort (withdrawn included), by id, with `person`: for the roster export."""
    return list(await _leaders().filter(cohort_id=cohort_id).order_by("id"))
