"""The activity log's page data: the "记一笔" form as typed and parsed, the cells a user may log
for, and the rows of "my activities", the verification queue and a cell's feed. Every list reads
in a fixed number of statements, however many rows it shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.datastructures import FormData, UploadFile

from domain.access import Actor
from domain.activities import photos, policy, queries
from domain.activities.models import (
    Activity,
    ActivityPhoto,
    ActivityStatus,
    ActivityType,
    MediationOutcome,
    ProblemCategory,
    public_by_default,
)
from domain.activities.queries import FeedFilter
from domain.clock import SHANGHAI
from domain.grids import queries as grid_queries
from domain.grids.models import GridCell, path_ids
from domain.leaders import queries as leader_queries
from domain.leaders.models import MicroLeader
from domain.pagination import Key, Page, PageRequest
from domain.people.policy import PersonView, view_for
from web.forms import text, whole_number
from web.localtime import at_local, local_clock, local_date, local_datetime, start_of_day

PAGE_SIZE = 20
MAX_CELL_OPTIONS = 300
MAX_PHOTOS = photos.MAX_PHOTOS
MAX_NARRATIVE = 5000
MAX_FOLLOW_UP = 2000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

TYPES = tuple(ActivityType)
OUTCOMES = tuple(MediationOutcome)
CATEGORIES = tuple(ProblemCategory)
STATUSES = tuple(ActivityStatus)
# Types whose purpose is finding problems: their problem counts are shown open, not folded away.
PROBLEM_TYPES = frozenset({ActivityType.SAFETY_CHECK, ActivityType.ENVIRONMENT})

# The domain's field paths, as the names of the form's inputs.
FIELD_ALIASES: dict[str, str] = {
    "cellId": "cell_id",
    "activityType": "activity_type",
    "startedAt": "start",
    "endedAt": "end",
    "householdsReached": "households_reached",
    "mediationOutcome": "mediation_outcome",
    "volunteerHours": "volunteer_hours",
    "followUp": "follow_up",
    "problems": "problems",
    **{category.value: "problems" for category in ProblemCategory},
}
FORM_INPUTS = frozenset(
    {
        "cell_id",
        "activity_type",
        "title",
        "narrative",
        "date",
        "start",
        "end",
        "end_date",
        "place",
        "participants",
        "households_reached",
        "mediation_outcome",
        "volunteer_hours",
        "problems",
        "follow_up",
    }
)

# Each input's id and label, for the list of errors above the form.
FORM_LABELS: dict[str, tuple[str, str]] = {
    "cell_id": ("log-cell", "网格单元"),
    "activity_type": ("log-type", "活动类型"),
    "title": ("log-title", "标题"),
    "date": ("log-date", "日期"),
    "start": ("log-start", "开始时间"),
    "end": ("log-end", "结束时间"),
    "end_date": ("log-end-date", "结束日期"),
    "place": ("log-place", "地点"),
    "mediation_outcome": ("log-outcome", "调解结果"),
    "volunteer_hours": ("log-hours", "服务时长"),
    "households_reached": ("log-households", "涉及户数"),
    "participants": ("log-participants", "参与人数"),
    "problems": ("log-problems", "发现的问题"),
    "narrative": ("log-narrative", "经过"),
    "follow_up": ("log-follow-up", "后续跟进"),
}


# --- the form ---------------------------------------------------------------------------------


E = TypeVar("E", ActivityType, ActivityStatus, MediationOutcome)


def _choice(enum: type[E], raw: str) -> E | None:
    return enum(raw) if raw in enum.__members__ else None


@dataclass(frozen=True)
class ActivityForm:
    """The "记一笔" form as the user filled it in (texts, re-shown as typed)."""

    cell_id: str = ""
    activity_type: str = ""
    title: str = ""
    narrative: str = ""
    date: str = ""
    start: str = ""
    end: str = ""
    end_date: str = ""  # only for a record that ends on a later day (a night patrol)
    place: str = ""
    participants: str = ""
    households_reached: str = ""
    mediation_outcome: str = ""
    volunteer_hours: str = ""
    problems: dict[str, str] = field(default_factory=dict)
    follow_up: str = ""

    @classmethod
    def blank(cls, cell_id: int | None, today: dt.date) -> ActivityForm:
        return cls(cell_id=str(cell_id or ""), date=today.isoformat())

    @classmethod
    def from_form(cls, form: FormData | Mapping[str, Any]) -> ActivityForm:
        def value(name: str, limit: int = 200) -> str:
            raw = form.get(name)
            return raw.strip()[:limit] if isinstance(raw, str) else ""

        problems = {c.value: value(f"problem_{c.value}", 9) for c in CATEGORIES}
        return cls(
            cell_id=value("cell_id", 12),
            activity_type=value("activity_type", 20),
            title=value("title"),
            narrative=value("narrative", MAX_NARRATIVE + 1),
            date=value("date", 10),
            start=value("start", 8),
            end=value("end", 8),
            end_date=value("end_date", 10),
            place=value("place"),
            participants=value("participants", 9),
            households_reached=value("households_reached", 9),
            mediation_outcome=value("mediation_outcome", 10),
            volunteer_hours=value("volunteer_hours", 9),
            problems={k: v for k, v in problems.items() if v},
            follow_up=value("follow_up", MAX_FOLLOW_UP + 1),
        )

    @classmethod
    def of(cls, activity: Activity) -> ActivityForm:
        """An existing record, in Shanghai time, for editing."""
        hours = activity.volunteer_hours
        start_day = activity.started_at.astimezone(SHANGHAI).date()
        end_day = activity.ended_at.astimezone(SHANGHAI).date()
        return cls(
            cell_id=str(activity.cell_id),
            activity_type=activity.activity_type.value,
            title=activity.title,
            narrative=activity.narrative,
            date=start_day.isoformat(),
            start=local_clock(activity.started_at),
            end=local_clock(activity.ended_at),
            end_date=end_day.isoformat() if end_day != start_day else "",
            place=activity.place,
            participants=str(activity.participants or ""),
            households_reached=str(activity.households_reached or ""),
            mediation_outcome=activity.mediation_outcome.value if activity.mediation_outcome else "",
            volunteer_hours=f"{hours.normalize():f}" if hours is not None else "",
            problems={str(k): str(v) for k, v in activity.problems.items()},
            follow_up=activity.follow_up,
        )

    @property
    def kind(self) -> ActivityType | None:
        return _choice(ActivityType, self.activity_type)

    def shows(self, name: str) -> bool:
        """Whether the type-specific input `name` belongs on the form: all of them until a type
        is chosen (so the form works without JavaScript), else those of the chosen type."""
        kind = self.kind
        if kind is None:
            return True
        return {
            "mediation_outcome": kind is ActivityType.MEDIATION,
            "volunteer_hours": kind is ActivityType.VOLUNTEERING,
        }.get(name, True)

    @property
    def problems_open(self) -> bool:
        return self.kind in PROBLEM_TYPES or any(self.problems.values())

    @property
    def households_required(self) -> bool:
        return self.kind is ActivityType.VISIT

    def parse(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The keyword arguments of `create_activity` / `update_activity`, and the inputs that do
        not even parse (the domain checks the rest). Inputs of other types are left out."""
        errors: dict[str, str] = {}
        values: dict[str, Any] = {
            "title": self.title,
            "narrative": self.narrative,
            "place": self.place,
            "follow_up": self.follow_up,
        }
        cell_id = whole_number(self.cell_id)
        if cell_id is None:
            errors["cell_id"] = "请选择网格单元"
        values["cell_id"] = cell_id
        kind = self.kind
        if kind is None:
            errors["activity_type"] = "请选择活动类型"
        values["activity_type"] = kind
        values.update(self._period(errors))
        values["participants"] = self._count("participants", self.participants, errors)
        values["households_reached"] = self._count("households_reached", self.households_reached, errors)
        values["problems"] = self._problems(errors)
        values["mediation_outcome"] = self._outcome(kind, errors)
        values["volunteer_hours"] = self._hours(kind, errors)
        return values, errors

    def _period(self, errors: dict[str, str]) -> dict[str, datetime]:
        day = _day(self.date)
        start, end = _clock(self.start), _clock(self.end)
        if day is None:
            errors["date"] = "请选择活动日期"
        if start is None:
            errors["start"] = "请填写开始时间，如 09:00"
        if end is None:
            errors["end"] = "请填写结束时间，如 11:00"
        end_day = _day(self.end_date) if self.end_date else day
        if end_day is None and self.end_date:
            errors["end_date"] = "请选择结束日期，当天结束可不填"
        if day is None or start is None or end is None or end_day is None:
            return {}
        if end_day == day and end < start:
            errors["end"] = "结束时间早于开始时间；活动跨过午夜时请填写结束日期"
            return {}
        return {"started_at": at_local(day, start), "ended_at": at_local(end_day, end)}

    @staticmethod
    def _count(name: str, raw: str, errors: dict[str, str]) -> int:
        if not raw:
            return 0
        number = whole_number(raw)
        if number is None:
            errors[name] = "请填写 0 或正整数"
        return number or 0

    def _problems(self, errors: dict[str, str]) -> dict[ProblemCategory, int]:
        found: dict[ProblemCategory, int] = {}
        for category in CATEGORIES:
            raw = self.problems.get(category.value, "")
            number = whole_number(raw) if raw else 0
            if number is None:
                errors["problems"] = f"“{category.label}”的数量须为 0 或正整数"
            elif number:
                found[category] = number
        return found

    def _outcome(self, kind: ActivityType | None, errors: dict[str, str]) -> MediationOutcome | None:
        if kind is not ActivityType.MEDIATION or not self.mediation_outcome:
            return None
        outcome = _choice(MediationOutcome, self.mediation_outcome)
        if outcome is None:
            errors["mediation_outcome"] = "请选择调解结果"
        return outcome

    def _hours(self, kind: ActivityType | None, errors: dict[str, str]) -> Decimal | None:
        if kind is not ActivityType.VOLUNTEERING or not self.volunteer_hours:
            return None
        try:
            return Decimal(self.volunteer_hours)
        except InvalidOperation:
            errors["volunteer_hours"] = "服务时长须为数字，如 1.5"
            return None


def _day(raw: str) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


def _clock(raw: str) -> time | None:
    try:
        return time.fromisoformat(raw).replace(second=0, microsecond=0, tzinfo=None)
    except ValueError:
        return None


def uploads(form: FormData) -> list[UploadFile]:
    """The photos the user chose (an empty file input sends one nameless, empty part)."""
    return [f for f in form.getlist("photos") if isinstance(f, UploadFile) and f.filename]


async def read_upload(upload: UploadFile) -> bytes:
    """At most one byte past the limit: enough for the domain to say the file is too large,
    without holding a huge upload in memory."""
    return await upload.read(photos.MAX_BYTES + 1)


# --- the cells one may log for ----------------------------------------------------------------


@dataclass(frozen=True)
class CellOption:
    cell: GridCell
    level: int  # below the top of its subtree, for indenting

    @property
    def label(self) -> str:
        indent = "\u3000" * self.level + ("└ " if self.level else "")
        return f"{indent}{self.cell.name}（{self.cell.kind_label}）"


async def log_cells(actor: Actor) -> list[CellOption]:
    """The cells of the subtrees the actor may log for, in tree order, down to the micro-grids
    (one statement per level; a large subtree is cut at the level that would pass
    `MAX_CELL_OPTIONS`, so its deepest cells are then chosen through their parent)."""
    roots = await queries.log_roots(actor)
    by_id = await grid_queries.cells_by_ids(path_ids(path)[-1] for path in roots)
    found = {cell.id: cell for cell in by_id.values() if not cell.retired}
    level = [cell for cell in found.values() if not cell.is_leaf_kind]
    while level:
        children = await grid_queries.children_of(cell.id for cell in level)
        level = [child for cell in level for child in children.get(cell.id, []) if child.id not in found]
        if len(found) + len(level) > MAX_CELL_OPTIONS:
            break
        found.update((cell.id, cell) for cell in level)
        level = [cell for cell in level if not cell.is_leaf_kind]
    top = min((cell.depth for cell in found.values()), default=0)
    return [CellOption(cell, cell.depth - top) for cell in sorted(found.values(), key=lambda c: c.path)]


# --- rows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityRow:
    """A record as a card shows it: where (its grid for a public reader), by whom (masked as the
    viewer must see it), photos; `details` whether the viewer sees its narrative, place, problems,
    photos, follow-up and mediation outcome (`policy.can_see_details`), `full` whether they see
    it as its author or staff in scope do (and so its publicity badge)."""

    activity: Activity
    cell: GridCell | None
    author: PersonView | None
    photos: list[ActivityPhoto]
    details: bool = True
    full: bool = True

    @property
    def when(self) -> str:
        a = self.activity
        start, end = a.started_at.astimezone(SHANGHAI), a.ended_at.astimezone(SHANGHAI)
        day = local_date(a.started_at)
        if start.date() == end.date():
            return f"{day} {local_clock(a.started_at)}–{local_clock(a.ended_at)}"
        return f"{day} {local_clock(a.started_at)} – {local_date(a.ended_at)} {local_clock(a.ended_at)}"

    @property
    def hours(self) -> str:
        """Volunteer hours without trailing zeros: `2`, `1.5`."""
        value = self.activity.volunteer_hours
        return f"{value.normalize():f}" if value is not None else ""

    @property
    def public_by_default(self) -> bool:
        """What the verify form's 公开 checkbox starts as (`models.PUBLIC_BY_DEFAULT`)."""
        return public_by_default(self.activity.activity_type)

    @property
    def may_set_public(self) -> bool:
        return self.full and self.activity.status is ActivityStatus.VERIFIED

    @property
    def publicity(self) -> str:
        """公开 / 详情公开 / 不公开, for those who see the record in full (empty otherwise)."""
        a = self.activity
        if not self.full or a.status is not ActivityStatus.VERIFIED:
            return ""
        if not a.is_public:
            return "不公开"
        return "公开（含详情）" if a.details_public else "公开"

    @property
    def problems(self) -> list[tuple[str, int]]:
        if not self.details:
            return []
        found = self.activity.problems
        return [(c.label, int(found[c.value])) for c in CATEGORIES if found.get(c.value)]

    @property
    def editable(self) -> bool:
        return self.activity.status in (ActivityStatus.DRAFT, ActivityStatus.RETURNED)


async def activity_rows(
    actor: Actor, activities: list[Activity], *, with_authors: bool = True
) -> list[ActivityRow]:
    """Cards for `activities` the actor may already see: cells, leaders and photos, one statement
    each. A public reader gets each record at its grid, with its details only if they are public."""
    shown = {a.id: policy.shown_cell_id(actor, a) for a in activities}
    details = {a.id: policy.can_see_details(actor, a) for a in activities}
    cells = await grid_queries.cells_by_ids(set(shown.values()))
    leader_ids = {a.leader_id for a in activities if a.leader_id is not None}
    leaders = await leader_queries.leaders_by_ids(leader_ids) if with_authors else {}
    pictures = await queries.photos_of(a.id for a in activities if details[a.id])
    return [
        ActivityRow(
            a,
            cells.get(shown[a.id]),
            _author(actor, leaders, a.leader_id) if details[a.id] else None,
            pictures.get(a.id, []),
            details=details[a.id],
            full=policy.has_full_view(actor, a),
        )
        for a in activities
    ]


async def activity_page(actor: Actor, activity_id: int) -> ActivityRow:
    """One record as the viewer may see it (NotFound otherwise)."""
    activity = await queries.activity_for_viewer(actor, activity_id)
    return (await activity_rows(actor, [activity]))[0]


def publicity_choice(form: FormData | Mapping[str, Any]) -> tuple[bool | None, bool | None]:
    """The 公开 / 详情公开 checkboxes as ticked (details only with the record itself); (None, None),
    the default by type, from a form without them (`publicity` marks a form that has them)."""
    if form.get("publicity") != "1":
        return None, None
    public = form.get("public") == "on"
    return public, public and form.get("details_public") == "on"


def _author(actor: Actor, leaders: Mapping[int, MicroLeader], leader_id: int | None) -> PersonView | None:
    leader = leaders.get(leader_id) if leader_id is not None else None
    return view_for(actor, leader.person) if leader else None


# --- cursors ----------------------------------------------------------------------------------


def encode_cursor(moment: datetime, row_id: int) -> str:
    """A (time, id) key as `<microseconds since 1970>-<id>`: exact, and plain in a URL."""
    micros = (moment.astimezone(UTC) - EPOCH) // timedelta(microseconds=1)
    return f"{micros}-{row_id}"


def decode_cursor(raw: str) -> Key | None:
    """The key, or None for anything malformed (which then shows the first page)."""
    micros, _, row_id = raw.partition("-")
    number, moment = whole_number(row_id), micros.isascii() and micros.isdigit() and len(micros) <= 17
    if number is None or not moment:
        return None
    return EPOCH + timedelta(microseconds=int(micros)), number


def next_cursor(page: Page[Activity], moment: str) -> str | None:
    if not page.has_next or not page.items:
        return None
    last = page.items[-1]
    return encode_cursor(getattr(last, moment), last.id)


# --- my activities ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MyActivities:
    returned: list[ActivityRow]
    rows: list[ActivityRow]
    next_after: str | None
    is_first_page: bool


async def my_activities(actor: Actor, after: str) -> MyActivities:
    key = decode_cursor(after) if after else None
    page = await queries.my_activities(actor, PageRequest(first=PAGE_SIZE, after=key))
    returned = await queries.returned_for_author(actor.user_id or 0) if key is None else []
    rows = await activity_rows(actor, [*returned, *page.items], with_authors=False)
    return MyActivities(
        rows[: len(returned)],
        rows[len(returned) :],
        next_cursor(page, "started_at"),
        is_first_page=key is None,
    )


# --- the verification queue -------------------------------------------------------------------


@dataclass(frozen=True)
class TownCount:
    town: GridCell | None  # None: records above any town
    count: int
    selected: bool


@dataclass(frozen=True)
class QueueQuery:
    """The queue's filter as typed: a town's id and a search text (title or leader's name)."""

    town: str = ""
    q: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> QueueQuery:
        town = params.get("town", "").strip()[:12]
        return cls(town=town if whole_number(town) is not None else "", q=params.get("q", "").strip()[:50])

    def queue_filter(self) -> queries.QueueFilter:
        return queries.QueueFilter(town_id=whole_number(self.town) if self.town else None, search=self.q)

    def url(self, **extra: str) -> str:
        params = {"town": self.town, "q": self.q, **extra}
        query = urlencode({k: v for k, v in params.items() if v})
        return "/review" + (f"?{query}" if query else "")


@dataclass(frozen=True)
class Queue:
    query: QueueQuery
    rows: list[ActivityRow]
    total: int  # waiting records the filter shows
    towns: list[TownCount]  # every town with waiting records (search applied), biggest first
    everywhere: int  # waiting records in every town (search applied)
    next_url: str | None
    is_first_page: bool


async def review_queue(actor: Actor, query: QueueQuery, after: str) -> Queue:
    """A page of the reviewer's queue in a fixed number of statements: the page, the counts per
    town (their sum is the total), the towns' names, then the cards."""
    key = decode_cursor(after) if after else None
    where = query.queue_filter()
    page = await queries.verification_queue(actor, PageRequest(first=PAGE_SIZE, after=key), where)
    counts = await queries.queue_counts_by_town(actor, where)
    names = await grid_queries.cells_by_ids(town for town in counts if town is not None)
    towns = [
        TownCount(names.get(town) if town is not None else None, n, town == where.town_id)
        for town, n in sorted(counts.items(), key=lambda item: (-item[1], item[0] or 0))
    ]
    everywhere = sum(counts.values())
    total = counts.get(where.town_id, 0) if where.town_id is not None else everywhere
    rows = await activity_rows(actor, page.items)
    cursor = next_cursor(page, "submitted_at")
    next_url = query.url(after=cursor) if cursor else None
    return Queue(query, rows, total, towns, everywhere, next_url, is_first_page=key is None)


# --- a cell's feed ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedQuery:
    """The feed's filter form as typed."""

    type: str = ""
    status: str = ""
    since: str = ""
    until: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> FeedQuery:
        return cls(**{f.name: params.get(f.name, "").strip()[:20] for f in fields(cls)})

    @property
    def filtered(self) -> bool:
        return any((self.type, self.status, self.since, self.until))

    def errors(self) -> dict[str, str]:
        typed = {"since": self.since, "until": self.until}
        message = "请按 年-月-日 填写日期，如 2026-03-01"
        return {name: message for name, raw in typed.items() if raw and _day(raw) is None}

    def feed_filter(self, cell: GridCell, *, statuses_allowed: bool) -> FeedFilter:
        """`until` includes its whole (Shanghai) day; statuses only for those who see them all."""
        kind = _choice(ActivityType, self.type)
        status = _choice(ActivityStatus, self.status) if statuses_allowed else None
        since, until = _day(self.since), _day(self.until)
        return FeedFilter(
            subtree_path=cell.path,
            types=(kind,) if kind else (),
            statuses=(status,) if status else (),
            since=start_of_day(since) if since else None,
            until=start_of_day(until + timedelta(days=1)) if until else None,
        )

    def url(self, code: str, **extra: str) -> str:
        return self._with_params(f"/grids/{code}/activities", extra)

    def export_url(self, code: str, fmt: str) -> str:
        """The same records as a spreadsheet (`fmt`: xlsx or csv)."""
        return self._with_params(f"/grids/{code}/activities/export.{fmt}", {})

    def _with_params(self, path: str, extra: Mapping[str, str]) -> str:
        params = {"type": self.type, "status": self.status, "since": self.since, "until": self.until, **extra}
        query = urlencode({k: v for k, v in params.items() if v})
        return path + (f"?{query}" if query else "")


@dataclass(frozen=True)
class Feed:
    cell: GridCell
    query: FeedQuery
    rows: list[ActivityRow]
    next_url: str | None
    is_first_page: bool
    statuses_allowed: bool


async def cell_feed(actor: Actor, cell: GridCell, query: FeedQuery, after: str) -> Feed:
    """Newest first; the status filter is offered to staff who see the cell's every record (for
    anyone else the feed holds verified records only, besides their own)."""
    statuses_allowed = policy.covers(actor, cell.path)
    key = decode_cursor(after) if after else None
    where = query.feed_filter(cell, statuses_allowed=statuses_allowed)
    page = await queries.activity_feed(actor, where, PageRequest(first=PAGE_SIZE, after=key))
    cursor = next_cursor(page, "started_at")
    rows = await activity_rows(actor, page.items)
    next_url = query.url(cell.code, after=cursor) if cursor else None
    return Feed(cell, query, rows, next_url, key is None, statuses_allowed)


# --- the feed's export -------------------------------------------------------------------------


EXPORT_HEADERS = [
    "序号",
    "开始时间",
    "结束时间",
    "活动类型",
    "状态",
    "公开范围",
    "标题",
    "网格单元",
    "网格编码",
    "地点",
    "参与人数",
    "涉及户数",
    "服务时长（小时）",
    "调解结果",
    "发现问题",
    "经过",
    "后续跟进",
    "记录人",
]
WITHHELD = "（详情不公开）"


async def export_rows(actor: Actor, activities: list[Activity]) -> list[list[Any]]:
    """One spreadsheet row per record, as its card shows it to the actor: at its grid and without
    narrative, place, problems, follow-up, outcome or recorder unless the actor sees its details
    (`policy.can_see_details`). Two statements (cells, leaders), however many rows."""
    shown = {a.id: policy.shown_cell_id(actor, a) for a in activities}
    details = {a.id: policy.can_see_details(actor, a) for a in activities}
    cells = await grid_queries.cells_by_ids(set(shown.values()))
    leaders = await leader_queries.leaders_by_ids(
        a.leader_id for a in activities if a.leader_id is not None and details[a.id]
    )
    rows = []
    for number, a in enumerate(activities, start=1):
        author = _author(actor, leaders, a.leader_id) if details[a.id] else None
        card = ActivityRow(
            a, cells.get(shown[a.id]), author, [], details[a.id], policy.has_full_view(actor, a)
        )
        rows.append(_export_row(number, card))
    return rows


def _export_row(number: int, row: ActivityRow) -> list[Any]:
    a, open_ = row.activity, row.details
    return [
        number,
        local_datetime(a.started_at)[:16],
        local_datetime(a.ended_at)[:16],
        a.activity_type.label,
        a.status.label,
        row.publicity,
        a.title,
        row.cell.name if row.cell else "",
        row.cell.code if row.cell else "",
        a.place if open_ else "",
        a.participants,
        a.households_reached,
        float(a.volunteer_hours) if a.volunteer_hours is not None else "",
        a.mediation_outcome.label if open_ and a.mediation_outcome else "",
        "；".join(f"{label} {count} 处" for label, count in row.problems),
        a.narrative if open_ else WITHHELD,
        a.follow_up if open_ else "",
        row.author.name if row.author else "",
    ]


def reason_text(form: FormData) -> str:
    return text(form, "reason", 400)
