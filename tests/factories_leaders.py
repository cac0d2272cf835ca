"""Cohorts, micro-leaders and training sessions built through the domain services, for tests of
every layer (domain, GraphQL, pages).

    tree = await build_tree()
    training = await build_training(tree, leaders=3, required=4, elective=1)
    me = training.leaders[0]                      # LeaderAccount: leader, user, actor
    session = training.sessions[0]                # starts tomorrow, 2 hours, 20 seats
    await enrol(session, me.leader)               # by the bureau
    session = await start_session(session)        # "time passes": it began 10 minutes ago
    await attend(session, me.leader)              # marked present (a correction by the bureau)

Data is built by `BUREAU` (tests.factories), which acts as the command line and so may also
enrol leaders in sessions that already started. Tests of permissions use real users instead.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Generic, TypeVar

from tortoise.transactions import in_transaction

from domain.access import Actor, Role
from domain.accounts.models import User
from domain.errors import DomainError
from domain.grids.models import GridCell
from domain.leaders import service
from domain.leaders import training as train
from domain.leaders.models import Cohort, MicroLeader, SessionType, SourceRole, TrainingSession
from tests.accounts import actor_of, make_user
from tests.factories import BUREAU, Tree

_numbers = itertools.count(1)
T = TypeVar("T")

# Group sessions (a CASE_COACHING appointment is one-to-one, with a single seat).
SESSION_TYPES = [kind for kind in SessionType if kind is not SessionType.CASE_COACHING]


def _next() -> int:
    return next(_numbers)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class LeaderAccount:
    """A micro-leader who can sign in: their leadership, their account and their actor."""

    leader: MicroLeader
    user: User
    actor: Actor


@dataclass
class Training:
    tree: Tree
    cohort: Cohort
    leaders: list[LeaderAccount] = field(default_factory=list)
    sessions: list[TrainingSession] = field(default_factory=list)

    @property
    def required_sessions(self) -> list[TrainingSession]:
        return [s for s in self.sessions if s.required]

    @property
    def elective_sessions(self) -> list[TrainingSession]:
        return [s for s in self.sessions if not s.required]


async def make_cohort(
    name: str | None = None,
    *,
    year: int = 2025,
    min_share: str = "0.8",
    min_hours: str | int = 0,
) -> Cohort:
    return await train.create_cohort(
        actor=BUREAU,
        name=name or f"{year}年第{_next()}期",
        year=year,
        min_attendance_share=Decimal(min_share),
        min_hours=min_hours,
    )


async def nominate(
    cohort: Cohort,
    cell: GridCell,
    *,
    name: str = "王小明",
    source_role: SourceRole = SourceRole.MICRO_GRID_HEAD,
) -> MicroLeader:
    """A new person (without an account) nominated by the bureau."""
    return await service.nominate_new_person(
        actor=BUREAU,
        name=name,
        mobile=f"139{_next():08d}",
        cohort_id=cohort.id,
        home_cell_id=cell.id,
        source_role=source_role,
    )


async def make_leader(
    cohort: Cohort,
    cell: GridCell,
    *,
    username: str | None = None,
    name: str = "李微领",
    source_role: SourceRole = SourceRole.MICRO_GRID_HEAD,
) -> LeaderAccount:
    """A person with an account holding the MICRO_LEADER role, nominated into `cohort`."""
    user = await make_user(username or f"leader.{_next()}", Role.MICRO_LEADER, name=name)
    leader = await service.nominate_leader(
        actor=BUREAU,
        person_id=user.person_id,
        cohort_id=cohort.id,
        home_cell_id=cell.id,
        source_role=source_role,
    )
    return LeaderAccount(leader, user, await actor_of(user))


async def make_session(
    cohort: Cohort,
    *,
    title: str | None = None,
    session_type: SessionType = SessionType.WORKSHOP,
    starts_in: timedelta = timedelta(days=1),
    duration: timedelta = timedelta(hours=2),
    capacity: int = 20,
    hours: str | int = "2.0",
    required: bool = True,
    facilitator: User | None = None,
) -> TrainingSession:
    """A session of `cohort` starting `starts_in` from now (in the future by default)."""
    starts_at = now() + starts_in
    return await train.create_session(
        actor=BUREAU,
        cohort_id=cohort.id,
        session_type=session_type,
        title=title or f"{session_type.label}（第{_next()}场）",
        starts_at=starts_at,
        ends_at=starts_at + duration,
        venue="当湖街道社会组织服务中心",
        facilitator="周社工",
        facilitator_user_id=facilitator.id if facilitator else None,
        capacity=capacity,
        hours=hours,
        required=required,
    )


async def build_training(
    tree: Tree,
    *,
    leaders: int = 3,
    required: int = 5,
    elective: int = 1,
    min_share: str = "0.8",
    min_hours: str | int = 0,
    hours: str = "2.0",
    facilitator: User | None = None,
) -> Training:
    """A cohort with `leaders` leader accounts (homes spread over the tree's micro-grids) and a
    plan of `required` + `elective` future sessions, one a day, cycling through the four group types."""
    cohort = await make_cohort(min_share=min_share, min_hours=min_hours)
    training = Training(tree, cohort)
    for i in range(leaders):
        cell = tree.micro_grids[i % len(tree.micro_grids)]
        training.leaders.append(await make_leader(cohort, cell, name=f"李微领{i + 1}"))
    for i in range(required + elective):
        session = await make_session(
            cohort,
            session_type=SESSION_TYPES[i % len(SESSION_TYPES)],
            starts_in=timedelta(days=i + 1),
            hours=hours,
            required=i < required,
            facilitator=facilitator,
        )
        training.sessions.append(session)
    return training


async def enrol(session: TrainingSession, *leaders: MicroLeader) -> None:
    for leader in leaders:
        await train.enrol(actor=BUREAU, session_id=session.id, leader_id=leader.id)


async def start_session(
    session: TrainingSession, *, ago: timedelta = timedelta(minutes=10)
) -> TrainingSession:
    """Time passes: move the session (keeping its length) so that it began `ago`."""
    starts_at = now() - ago
    length = session.ends_at - session.starts_at
    await TrainingSession.filter(id=session.id).update(starts_at=starts_at, ends_at=starts_at + length)
    return await reload_session(session)


async def attend(session: TrainingSession, *leaders: MicroLeader) -> None:
    """Mark enrolled leaders present at a started session (a correction by the bureau)."""
    for leader in leaders:
        await train.correct_attendance(
            actor=BUREAU, session_id=session.id, leader_id=leader.id, present=True, reason="补录签到"
        )


async def expire_check_in(session: TrainingSession) -> None:
    """Time passes: the open check-in code ran out a second ago."""
    await TrainingSession.filter(id=session.id).update(check_in_until=now() - timedelta(seconds=1))


async def reload_leader(leader: MicroLeader) -> MicroLeader:
    return await MicroLeader.get(id=leader.id)


async def reload_session(session: TrainingSession) -> TrainingSession:
    return await TrainingSession.get(id=session.id)


# --- concurrency ------------------------------------------------------------------------------

POOL_SIZE = 5  # Tortoise's default asyncpg pool


@dataclass
class Concurrent(Generic[T]):
    results: list[T | BaseException]
    peak: int  # the most transactions that were open at one time

    def errors(self) -> list[StrEnum]:
        return [r.code for r in self.results if isinstance(r, DomainError)]

    def ok(self) -> list[T]:
        return [r for r in self.results if not isinstance(r, BaseException)]


async def _warm_pool() -> None:
    async def hold() -> None:
        async with in_transaction():
            await asyncio.sleep(0.02)
            await Cohort.exists()

    await asyncio.gather(*(hold() for _ in range(POOL_SIZE)))


async def concurrently(*calls: Callable[[], Awaitable[T]]) -> Concurrent[T]:
    """Run each call in its own transaction, all at once, as simultaneous requests would.

    Each transaction begins, then pauses so that the others begin too, before its call runs. On
    PostgreSQL they overlap (up to the pool size; the pool is opened first so that no transaction
    starts late waiting for a new connection); SQLite serialises transactions. The calls' own
    transactions nest inside these (as savepoints), which keeps their locks until the end."""
    await _warm_pool()
    inside = peak = 0

    async def run(call: Callable[[], Awaitable[T]]) -> T:
        nonlocal inside, peak
        async with in_transaction():
            inside += 1
            peak = max(peak, inside)
            try:
                await asyncio.sleep(0.01)
                return await call()
            finally:
                inside -= 1

    results = await asyncio.gather(*(run(call) for call in calls), return_exceptions=True)
    return Concurrent(list(results), peak)
