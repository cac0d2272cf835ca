"""Every read of the activity log. Lists apply `policy.visible_filter`, so no feed shows a draft to
someone who may not see it, and page by keyset so a deep page costs what the first one does.

Orders:
- feeds and "my activities": newest first, (started_at DESC, id DESC);
- the verification queue: first come, first served, (submitted_at ASC, id ASC). A record that
  was returned and resubmitted queues again from its new submission time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from domain import sql
from domain.access import Actor, Role
from domain.activities import policy, rollup
from domain.activities.models import Activity, ActivityPhoto, ActivityStatus, ActivityType
from domain.activities.photos import MAX_PHOTOS
from domain.errors import ErrorCode, NotFound, ValidationError
from domain.grids.models import TOWN_DEPTH, GridCell
from domain.leaders.models import MicroLeader
from domain.pagination import Page, PageRequest, keyset_page

FEED_ORDER = ("started_at", "id")
QUEUE_ORDER = ("submitted_at", "id")
RETURNED_LIMIT = 50
MAX_SEARCH = 50  # characters of a queue or title search
# `activityCountsByUnit`: the communities/villages of one town (Pinghu's largest has about 30).
MAX_UNITS_PER_TOWN = 200


@dataclass(frozen=True)
class FeedFilter:
    """Which records a feed shows; every given criterion must hold. `since` is inclusive and
    `until` exclusive, both on `started_at`."""

    subtree_path: str | None = None
    cell_id: int | None = None
    leader_id: int | None = None
    types: tuple[ActivityType, ...] = ()
    statuses: tuple[ActivityStatus, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    search: str = ""  # part of the title (what every reader who sees a record sees of it)


def _utc(value: datetime, path: str) -> datetime:
    if value.tzinfo is None:
        raise ValidationError(ErrorCode.INVALID, "时间须带时区", [path])
    return value.astimezone(UTC)


def feed_filter(actor: Actor, f: FeedFilter) -> list[Q]:
    """The feed's read rule: the records `f` selects among those the actor may see
    (`policy.visible_filter`; a micro-grid only for those with a full view of it). The one source
    for the resolvers (`_feed`) and the compiled read path (`api/schema/activities/compile.py`)."""
    parts = [policy.visible_filter(actor)]
    if f.subtree_path is not None:
        parts.append(policy.subtree_filter(actor, f.subtree_path))
    if f.cell_id is not None:
        parts.append(policy.cell_filter(actor, f.cell_id))
    if f.leader_id is not None:
        parts.append(policy.leader_filter(actor, f.leader_id))
    if f.types:
        parts.append(Q(activity_type__in=list(f.types)))
    if f.statuses:
        parts.append(Q(status__in=list(f.statuses)))
    if f.since is not None:
        parts.append(Q(started_at__gte=_utc(f.since, "since")))
    if f.until is not None:
        parts.append(Q(started_at__lt=_utc(f.until, "until")))
    search = f.search.strip()[:MAX_SEARCH]
    if search:
        parts.append(Q(title__contains=search))
    return parts


def _feed(actor: Actor, f: FeedFilter) -> QuerySet[Activity]:
    return Activity.filter(*feed_filter(actor, f))


async def activity_feed(actor: Actor, f: FeedFilter, page: PageRequest) -> Page[Activity]:
    """Records the actor may see, newest first: one statement."""
    return await keyset_page(_feed(actor, f), FEED_ORDER, page, descending=True)


async def feed_rows(actor: Actor, f: FeedFilter, limit: int) -> list[Activity]:
    """The first `limit` records of the feed, newest first, in one statement (for an export)."""
    return list(await _feed(actor, f).order_by("-started_at", "-id").limit(limit))


async def activities_count(actor: Actor, f: FeedFilter) -> int:
    return await _feed(actor, f).count()


@dataclass(frozen=True)
class QueueFilter:
    """Which waiting records a reviewer's queue shows: those in one town (镇/街道), and those whose
    title or recording leader's full name contains `search` (reviewers are staff, who see full
    names). Empty criteria show the whole queue."""

    town_id: int | None = None
    search: str = ""


def queue_filter(actor: Actor) -> list[Q]:
    """The verification queue's read rule: SUBMITTED records the actor may review (their own left
    out); PermissionDenied for an actor who reviews nothing."""
    return [policy.review_filter(actor), Q(status=ActivityStatus.SUBMITTED)]


def _queue(actor: Actor, f: QueueFilter = QueueFilter(), *, by_town: bool = True) -> QuerySet[Activity]:
    qs = Activity.filter(*queue_filter(actor))
    if f.town_id is not None and by_town:
        qs = qs.filter(town_id=f.town_id)
    search = f.search.strip()[:MAX_SEARCH]
    if search:
        leaders = MicroLeader.filter(person__name__contains=search).values("id")
        qs = qs.filter(Q(title__contains=search) | Q(leader_id__in=Subquery(leaders)))
    return qs


async def verification_queue(
    actor: Actor, page: PageRequest, f: QueueFilter = QueueFilter()
) -> Page[Activity]:
    """SUBMITTED records the actor may review (their own left out), oldest submission first: one
    statement. PermissionDenied for an actor who reviews nothing."""
    return await keyset_page(_queue(actor, f), QUEUE_ORDER, page)


async def verification_queue_count(actor: Actor, f: QueueFilter = QueueFilter()) -> int:
    return await _queue(actor, f).count()


async def queue_counts_by_town(actor: Actor, f: QueueFilter = QueueFilter()) -> dict[int | None, int]:
    """How many records wait per town (`None`: records above any town), with `f.search` but
    whatever town `f` picks, so a reviewer sees where the matches are: one GROUP BY."""
    rows = (
        await _queue(actor, f, by_town=False)
        .group_by("town_id")
        .annotate(n=Count("id"))
        .values("town_id", "n")
    )
    return {row["town_id"]: int(row["n"]) for row in rows}


def mine_filter(actor: Actor) -> Q:
    """My activities: the actor's own records in every status (callers answer an empty list for
    someone without a user)."""
    return Q(author_user_id=actor.user_id)


async def my_activities(actor: Actor, page: PageRequest) -> Page[Activity]:
    """The actor's own records in every status, newest first."""
    if actor.user_id is None:
        return Page([], has_next=False, has_previous=False, keys=FEED_ORDER)
    return await keyset_page(Activity.filter(mine_filter(actor)), FEED_ORDER, page, descending=True)


async def my_activities_count(actor: Actor) -> int:
    if actor.user_id is None:
        return 0
    return await Activity.filter(mine_filter(actor)).count()


async def returned_for_author(user_id: int) -> list[Activity]:
    """The author's records sent back for changes, with the reviewer's reason, newest first: what
    their page shows them to fix."""
    qs = Activity.filter(author_user_id=user_id, status=ActivityStatus.RETURNED)
    return list(await qs.order_by("-started_at", "-id").limit(RETURNED_LIMIT))


async def activities_by_ids(actor: Actor, ids: Iterable[int]) -> dict[int, Activity]:
    """The records among `ids` the actor may see (the others are simply absent): one statement."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await Activity.filter(policy.visible_filter(actor), id__in=wanted)
    return {row.id: row for row in rows}


async def activity_for_viewer(actor: Actor, activity_id: int) -> Activity:
    activity = await Activity.get_or_none(id=activity_id)
    if activity is None:
        raise NotFound("活动记录不存在", ["id"])
    policy.require_view(actor, activity)
    return activity


async def activity_for_update(activity_id: int) -> Activity:
    """The record, locked until the caller's transaction ends (PostgreSQL; SQLite serialises
    writers anyway)."""
    activity = await Activity.select_for_update().get_or_none(id=activity_id)
    if activity is None:
        raise NotFound("活动记录不存在", ["id"])
    return activity


async def logging_leaders(person_id: int | None) -> list[MicroLeader]:
    """The person's leaderships that may log records (see `policy.LOGGING_STATUSES`)."""
    if person_id is None:
        return []
    return list(await MicroLeader.filter(person_id=person_id, status__in=list(policy.LOGGING_STATUSES)))


async def log_roots(actor: Actor) -> list[str]:
    """Paths of the subtrees the actor may log records for (their home cells as a leader, their
    GRID_STAFF scopes): what the "记一笔" form offers. Empty for someone who logs nothing."""
    if actor.user_id is None:
        return []
    homes = [leader.home_path for leader in await logging_leaders(actor.person_id)]
    scopes = [g.cell_path for g in actor.grants if g.role is Role.GRID_STAFF and g.cell_path]
    return sorted(set(homes + scopes))


async def verified_counts_by_type(leader_ids: Iterable[int]) -> dict[int, dict[ActivityType, int]]:
    """Verified records per leader and type (what a public profile shows): one GROUP BY."""
    wanted = list(set(leader_ids))
    counts: dict[int, dict[ActivityType, int]] = {leader_id: {} for leader_id in wanted}
    if not wanted:
        return counts
    rows = (
        await Activity.filter(leader_id__in=wanted, status=ActivityStatus.VERIFIED)
        .group_by("leader_id", "activity_type")
        .annotate(n=Count("id"))
        .values("leader_id", "activity_type", "n")
    )
    for row in rows:
        counts[row["leader_id"]][ActivityType(row["activity_type"])] = int(row["n"])
    return counts


async def counts_by_type_for_units(
    town: GridCell, since: datetime, until: datetime
) -> dict[int, dict[ActivityType, int]]:
    """Verified records started in [since, until) in a town, per community/village and type: one
    statement, whole Shanghai months from the monthly rollup and the partial months at the edges
    from `activity_town_counts_idx` (`rollup.unit_counts_statement`). Records on the town cell
    itself belong to no unit and are left out."""
    if town.depth != TOWN_DEPTH:
        raise ValidationError(ErrorCode.INVALID, "请选择一个镇（街道）", ["town"])
    statement, params = rollup.unit_counts_statement(town.id, _utc(since, "since"), _utc(until, "until"))
    counts: dict[int, dict[ActivityType, int]] = defaultdict(dict)
    for row in await sql.fetch_all(statement, params):
        counts[int(row["unit_id"])][ActivityType(row["activity_type"])] = int(row["n"])
    return {unit: counts[unit] for unit in sorted(counts)[:MAX_UNITS_PER_TOWN]}


async def photos_of(activity_ids: Iterable[int]) -> dict[int, list[ActivityPhoto]]:
    """Each record's photos in upload order, in one statement (callers check visibility of the
    records first)."""
    wanted = list(set(activity_ids))
    grouped: dict[int, list[ActivityPhoto]] = {activity_id: [] for activity_id in wanted}
    if wanted:
        for photo in await ActivityPhoto.filter(activity_id__in=wanted).order_by("activity_id", "id"):
            if len(grouped[photo.activity_id]) < MAX_PHOTOS:
                grouped[photo.activity_id].append(photo)
    return grouped


async def photo_count(activity_id: int) -> int:
    return await ActivityPhoto.filter(activity_id=activity_id).count()


async def photo_with_activity(photo_id: int) -> ActivityPhoto:
    """The photo and its record, in one statement."""
    photo = await ActivityPhoto.filter(id=photo_id).select_related("activity").first()
    if photo is None:
        raise NotFound("照片不存在", ["id"])
    return photo


async def photo_by_id(photo_id: int) -> ActivityPhoto:
    photo = await ActivityPhoto.get_or_none(id=photo_id)
    if photo is None:
        raise NotFound("照片不存在", ["id"])
    return photo
