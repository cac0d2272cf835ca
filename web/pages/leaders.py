"""Micro-leaders' page data: the public directory and profiles, a leader's own training, and the
staff's cohort and session pages. Every builder reads in a fixed number of statements."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from urllib.parse import urlencode

from domain.access import Actor
from domain.activities import queries as activity_queries
from domain.activities.models import ActivityType
from domain.grids import queries as grid_queries
from domain.grids.codes import GridKind
from domain.grids.models import GridCell
from domain.grids.queries import GridCellFilter
from domain.leaders import policy, queries, training
from domain.leaders.models import Certificate, Cohort, LeaderStatus, MicroLeader, TrainingSession
from domain.leaders.queries import LeaderFilter, Progress, ScheduleItem, SheetRow
from domain.pagination import PageRequest
from domain.people.policy import PersonView, can_see_full_names, view_for
from web.forms import whole_number

DIRECTORY_PAGE_SIZE = 20
COHORT_LEADERS = 100
TOWNS = 100
SESSION_NODE = "TrainingSession"
STATUSES = tuple(LeaderStatus)


def session_ref(session_id: int) -> str:
    """The session's global ID, as GraphQL and the check-in QR name it."""
    return base64.b64encode(f"{SESSION_NODE}:{session_id}".encode()).decode()


def session_id_of(ref: str) -> int | None:
    """A plain id, or a `TrainingSession` global ID (what the QR code points at)."""
    plain = whole_number(ref)
    if plain is not None:
        return plain
    try:
        decoded = base64.b64decode(ref.encode("ascii"), validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    node, _, pk = decoded.partition(":")
    return whole_number(pk) if node == SESSION_NODE else None


def check_in_open(session: TrainingSession) -> bool:
    return training.is_check_in_open(session)


# --- the directory ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryQuery:
    """The directory's filter form as typed."""

    cohort: str = ""
    status: str = ""
    town: str = ""

    @classmethod
    def from_params(cls, params: dict[str, str]) -> DirectoryQuery:
        return cls(**{f.name: params.get(f.name, "").strip()[:20] for f in fields(cls)})

    @property
    def filtered(self) -> bool:
        return any((self.cohort, self.status, self.town))

    def url(self, **extra: str) -> str:
        params = {"cohort": self.cohort, "status": self.status, "town": self.town, **extra}
        query = urlencode({k: v for k, v in params.items() if v})
        return "/leaders" + (f"?{query}" if query else "")


@dataclass(frozen=True)
class LeaderRow:
    leader: MicroLeader
    person: PersonView
    cell: GridCell | None
    cohort: Cohort | None


@dataclass(frozen=True)
class Directory:
    query: DirectoryQuery
    cohorts: list[Cohort]
    towns: list[GridCell]
    rows: list[LeaderRow]
    total: int
    next_url: str | None
    is_first_page: bool
    names_masked: bool


async def directory(actor: Actor, query: DirectoryQuery, after: str) -> Directory:
    """Leaders by id; names masked for whoever may not see them in full."""
    cohorts = await queries.cohorts()
    towns = (
        await grid_queries.cells_page(GridCellFilter(kinds=(GridKind.TOWN,)), PageRequest(first=TOWNS))
    ).items
    town = next((t for t in towns if t.code == query.town), None)
    cohort_id = whole_number(query.cohort)
    where = LeaderFilter(
        cohort_id=cohort_id if any(c.id == cohort_id for c in cohorts) else None,
        statuses=(LeaderStatus(query.status),) if query.status in LeaderStatus.__members__ else (),
        subtree_path=town.path if town else None,
    )
    key = whole_number(after)
    page = await queries.leaders_page(
        actor, where, PageRequest(first=DIRECTORY_PAGE_SIZE, after=(key,) if key else None)
    )
    total = await queries.leaders_count(actor, where)
    rows = await leader_rows(actor, page.items, {c.id: c for c in cohorts})
    next_url = query.url(after=str(page.items[-1].id)) if page.has_next and page.items else None
    return Directory(
        query,
        cohorts,
        towns,
        rows,
        total,
        next_url,
        is_first_page=key is None,
        names_masked=not can_see_full_names(actor),
    )


async def leader_rows(
    actor: Actor, leaders: list[MicroLeader], cohorts: dict[int, Cohort]
) -> list[LeaderRow]:
    cells = await grid_queries.cells_by_ids({leader.home_cell_id for leader in leaders})
    return [
        LeaderRow(
            leader,
            view_for(actor, leader.person),
            cells.get(leader.home_cell_id),
            cohorts.get(leader.cohort_id),
        )
        for leader in leaders
    ]


# --- a profile --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    row: LeaderRow
    counts: list[tuple[ActivityType, int]]
    progress: Progress | None
    certificate: Certificate | None = None
    can_certify: bool = False
    can_withdraw: bool = False

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)


async def profile(actor: Actor, leader_id: int) -> Profile:
    """Verified records by type (public); training progress for those the policy allows."""
    leader = await queries.leader_by_id(leader_id)
    cohort = await queries.cohort_by_id(leader.cohort_id)
    row = (await leader_rows(actor, [leader], {cohort.id: cohort}))[0]
    by_type = (await activity_queries.verified_counts_by_type([leader.id])).get(leader.id, {})
    counts = [(kind, by_type[kind]) for kind in ActivityType if by_type.get(kind)]
    allowed = policy.can_view_progress(actor, leader)
    progress = await queries.certification_progress(leader.id) if allowed else None
    certified = leader.status is LeaderStatus.CERTIFIED and policy.can_view_certificate(actor, leader)
    certificate = (await queries.certificates_of_leaders([leader.id])).get(leader.id) if certified else None
    return Profile(
        row,
        counts,
        progress,
        certificate,
        can_certify=leader.status is LeaderStatus.ENROLLED and policy.can_certify(actor),
        can_withdraw=leader.status.is_active and policy.can_withdraw(actor, leader),
    )


# --- my training ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenSession:
    """A session of the leader's cohort they are not enrolled in."""

    session: TrainingSession
    full: bool
    waiting: bool = False


@dataclass(frozen=True)
class MyTraining:
    leader: MicroLeader
    cohort: Cohort
    progress: Progress
    upcoming: list[ScheduleItem]
    past: list[ScheduleItem]
    open_sessions: list[OpenSession]
    can_enrol: bool
    now: datetime

    def check_in_open(self, item: ScheduleItem) -> bool:
        return check_in_open(item.session)

    def can_cancel(self, item: ScheduleItem) -> bool:
        return self.can_enrol and not item.present and item.session.starts_at > self.now


async def my_training(actor: Actor) -> MyTraining | None:
    """The signed-in person's current leadership, or None if they never led."""
    leader = await queries.leader_of_person(actor.person_id) if actor.person_id else None
    if leader is None:
        return None
    now = datetime.now(UTC)
    cohort = await queries.cohort_by_id(leader.cohort_id)
    schedule = await queries.sessions_for_leader(leader.id, now=now)
    progress = await queries.certification_progress(leader.id)
    enrolled = {item.session.id for item in schedule}
    waiting = {s.id for s in await queries.waiting_sessions_of_leader(leader.id)}
    plan = await queries.sessions_of_cohort(cohort.id)
    open_sessions = [
        OpenSession(s, s.enrolled_count >= s.capacity, s.id in waiting)
        for s in plan
        if s.id not in enrolled and s.starts_at > now
    ]
    return MyTraining(
        leader=leader,
        cohort=cohort,
        progress=progress,
        upcoming=[item for item in schedule if item.session.ends_at >= now],
        past=[item for item in schedule if item.session.ends_at < now],
        open_sessions=open_sessions,
        can_enrol=leader.status.is_active and policy.can_enrol(actor, leader),
        now=now,
    )


# --- staff: a cohort --------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortLeader:
    row: LeaderRow
    progress: Progress | None


@dataclass(frozen=True)
class CohortPage:
    cohort: Cohort
    sessions: list[TrainingSession]
    leaders: list[CohortLeader]
    total: int
    can_open_training: bool = False
    can_manage: bool = False


async def cohort_page(actor: Actor, cohort_id: int) -> CohortPage:
    """The plan and the cohort's leaders (up to `COHORT_LEADERS`), progress where allowed."""
    cohort = await queries.cohort_by_id(cohort_id)
    sessions = await queries.sessions_of_cohort(cohort.id)
    where = LeaderFilter(cohort_id=cohort.id)
    page = await queries.leaders_page(actor, where, PageRequest(first=COHORT_LEADERS))
    total = await queries.leaders_count(actor, where)
    rows = await leader_rows(actor, page.items, {cohort.id: cohort})
    allowed = [row.leader.id for row in rows if policy.can_view_progress(actor, row.leader)]
    progress = await queries.progress_for(allowed)
    leaders = [CohortLeader(row, progress.get(row.leader.id)) for row in rows]
    return CohortPage(
        cohort,
        sessions,
        leaders,
        total,
        can_open_training=policy.can_open_training(actor),
        can_manage=policy.can_manage_training(actor),
    )


# --- staff: a session -------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    session: TrainingSession
    rows: list[SheetRow]
    people: dict[int, PersonView]

    @property
    def present(self) -> int:
        return sum(1 for row in self.rows if row.present)


async def sheet(actor: Actor, session: TrainingSession) -> Sheet:
    rows = await queries.attendance_sheet(session.id)
    return Sheet(session, rows, {row.leader.id: view_for(actor, row.person) for row in rows})


@dataclass(frozen=True)
class SessionPage:
    session: TrainingSession
    cohort: Cohort
    sheet: Sheet | None
    can_run_check_in: bool
    check_in_open: bool
    ref: str
    waiting: list[PersonView] = field(default_factory=list)
    can_manage: bool = False


async def session_page(actor: Actor, session_id: int) -> SessionPage:
    session = await queries.session_by_id(session_id)
    cohort = await queries.cohort_by_id(session.cohort_id)
    visible = policy.can_view_sheet(actor, session)
    queue = (await queries.waiting_of_sessions([session.id])).get(session.id, []) if visible else []
    return SessionPage(
        session=session,
        cohort=cohort,
        sheet=await sheet(actor, session) if visible else None,
        can_run_check_in=policy.can_run_check_in(actor, session),
        check_in_open=check_in_open(session),
        ref=session_ref(session.id),
        waiting=[view_for(actor, e.leader.person) for e in queue],
        can_manage=policy.can_manage_training(actor),
    )
