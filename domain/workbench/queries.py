"""The 工作台 after sign-in: what each role has to do next, read in a few statements.

- A micro-leader: records returned to fix, drafts, the next sessions, progress to certification.
- Grid staff: how many records wait for their review and since when.
- Bureau staff: the county-wide backlog per town, this week's sessions, and enrolled leaders close
  to certification.
One person may hold several of these roles; each part is read only for those who hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tortoise.functions import Count, Min

from domain.access import Actor, Role
from domain.activities import policy as activity_policy
from domain.activities.models import Activity, ActivityStatus
from domain.clock import SHANGHAI
from domain.grids.models import GridCell
from domain.leaders import queries as leader_queries
from domain.leaders.models import LeaderStatus, MicroLeader, TrainingSession
from domain.leaders.queries import Progress, ScheduleItem

RETURNED_SHOWN = 5
UPCOMING_SHOWN = 3
NEAR_SHOWN = 10
# "Close to certification": at most one required session and this many hours short.
NEAR_SESSIONS = 1
NEAR_HOURS = Decimal(4)


@dataclass(frozen=True)
class LeaderDesk:
    leader: MicroLeader
    returned: list[Activity]
    returned_count: int
    drafts_count: int
    upcoming: list[ScheduleItem]
    progress: Progress | None


@dataclass(frozen=True)
class Backlog:
    """Records waiting for review, and the oldest submission among them."""

    waiting: int
    oldest: datetime | None


@dataclass(frozen=True)
class TownBacklog:
    town: GridCell
    backlog: Backlog


@dataclass(frozen=True)
class NearLeader:
    leader: MicroLeader
    progress: Progress


@dataclass(frozen=True)
class BureauDesk:
    towns: list[TownBacklog]
    sessions_this_week: list[TrainingSession]
    near_certification: list[NearLeader]

    @property
    def waiting(self) -> int:
        return sum(t.backlog.waiting for t in self.towns)


@dataclass(frozen=True)
class Workbench:
    leader: LeaderDesk | None
    review: Backlog | None
    bureau: BureauDesk | None


async def workbench(actor: Actor, *, now: datetime | None = None) -> Workbench:
    moment = now or datetime.now(UTC)
    bureau = actor.has_role(Role.BUREAU_STAFF)
    return Workbench(
        leader=await _leader_desk(actor, moment),
        review=await _review_backlog(actor) if activity_policy.can_review_any(actor) and not bureau else None,
        bureau=await _bureau_desk(moment) if bureau else None,
    )


async def _leader_desk(actor: Actor, now: datetime) -> LeaderDesk | None:
    if actor.person_id is None or not actor.has_role(Role.MICRO_LEADER):
        return None
    leader = await leader_queries.leader_of_person(actor.person_id)
    if leader is None:
        return None
    mine = Activity.filter(author_user_id=actor.user_id)
    counts = dict(
        await mine.filter(status__in=[ActivityStatus.RETURNED, ActivityStatus.DRAFT])
        .annotate(n=Count("id"))
        .group_by("status")
        .values_list("status", "n")
    )
    returned = (
        await mine.filter(status=ActivityStatus.RETURNED).order_by("-started_at", "-id").limit(RETURNED_SHOWN)
        if counts.get(ActivityStatus.RETURNED)
        else []
    )
    schedule = await leader_queries.sessions_for_leader(leader.id, now=now)
    upcoming = [item for item in schedule if item.session.ends_at >= now][:UPCOMING_SHOWN]
    active = leader.status in (LeaderStatus.NOMINATED, LeaderStatus.ENROLLED)
    progress = (await leader_queries.progress_for([leader.id])).get(leader.id) if active else None
    return LeaderDesk(
        leader=leader,
        returned=list(returned),
        returned_count=int(counts.get(ActivityStatus.RETURNED, 0)),
        drafts_count=int(counts.get(ActivityStatus.DRAFT, 0)),
        upcoming=upcoming,
        progress=progress,
    )


async def _review_backlog(actor: Actor) -> Backlog:
    queue = Activity.filter(activity_policy.review_filter(actor), status=ActivityStatus.SUBMITTED)
    row = await queue.annotate(n=Count("id"), oldest=Min("submitted_at")).first().values("n", "oldest")
    return Backlog(int(row["n"]) if row else 0, row["oldest"] if row else None)


async def _bureau_desk(now: datetime) -> BureauDesk:
    submitted = Activity.filter(status=ActivityStatus.SUBMITTED, town_id__isnull=False)
    rows = (
        await submitted.annotate(n=Count("id"), oldest=Min("submitted_at"))
        .group_by("town_id")
        .values("town_id", "n", "oldest")
    )
    by_town = {row["town_id"]: Backlog(int(row["n"]), row["oldest"]) for row in rows}
    towns = await GridCell.filter(depth=1).order_by("code")
    week_start = _week_start(now)
    sessions = await TrainingSession.filter(
        starts_at__gte=week_start, starts_at__lt=week_start + timedelta(days=7)
    ).order_by("starts_at", "id")
    return BureauDesk(
        towns=[TownBacklog(town, by_town.get(town.id, Backlog(0, None))) for town in towns],
        sessions_this_week=list(sessions),
        near_certification=await _near_certification(),
    )


def _week_start(now: datetime) -> datetime:
    """Monday 00:00 of this week in Beijing time, as UTC."""
    shanghai = now.astimezone(SHANGHAI)
    monday = (shanghai - timedelta(days=shanghai.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday.astimezone(UTC)


async def _near_certification() -> list[NearLeader]:
    enrolled = await MicroLeader.filter(status=LeaderStatus.ENROLLED).select_related("person")
    progress = await leader_queries.progress_for(leader.id for leader in enrolled)
    near = [
        NearLeader(leader, progress[leader.id])
        for leader in enrolled
        if leader.id in progress and _near(progress[leader.id])
    ]
    near.sort(key=lambda n: (n.progress.met, n.progress.required_attended, n.progress.hours), reverse=True)
    return near[:NEAR_SHOWN]


def _near(p: Progress) -> bool:
    sessions_short = max(0, p.required_needed - p.required_attended)
    hours_short = max(Decimal(0), p.min_hours - p.hours)
    return p.required_total > 0 and sessions_short <= NEAR_SESSIONS and hours_short <= NEAR_HOURS
