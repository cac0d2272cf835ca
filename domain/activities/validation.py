"""What a valid activity record is. One function checks a whole record, so creating a record and
editing one share every rule. Each broken rule is a `ValidationError` with the input's field path,
and every one the input breaks is reported at once (`ValidationErrors`).

| field                            | rule                                                          |
|----------------------------------|---------------------------------------------------------------|
| title                            | 1–100 characters, spaces trimmed and collapsed                |
| narrative                        | at most 5,000 characters                                      |
| place                            | at most 100 characters                                        |
| follow_up                        | at most 2,000 characters                                      |
| started_at, ended_at             | with a time zone; not in the future (5 minutes of clock skew  |
|                                  | allowed); ended_at >= started_at; at most 7 days apart;       |
|                                  | started_at at most 60 days before the record was first made,  |
|                                  | unless the writer is staff covering the cell (paper logs)     |
| participants, households_reached | 0–10,000                                                      |
| problems                         | categories of `ProblemCategory`, each 0–999 (zeros dropped)   |
| project_id                       | positive, when given                                          |

By type (— means the field must be empty):

| type          | mediation_outcome | volunteer_hours                                  | households_reached |
|---------------|-------------------|--------------------------------------------------|--------------------|
| MEDIATION     | required          | —                                                | 0–10,000           |
| VOLUNTEERING  | —                 | required: 0.5 to the duration, in half hours     | 0–10,000           |
| VISIT         | —                 | —                                                | 1–10,000           |
| any other     | —                 | —                                                | 0–10,000           |

Problems found may be recorded on every type: SAFETY_CHECK and ENVIRONMENT exist to find them,
but a visit or a mediation turns up hazards too, and one rule is simpler to explain.

Times are stored in UTC to the second, so keyset cursors compare exactly on both databases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from domain.activities.errors import ActivityCode
from domain.activities.models import Activity, ActivityType, MediationOutcome, ProblemCategory
from domain.errors import DomainError, ErrorCode, ValidationError
from domain.input import Errors

CLOCK_SKEW = timedelta(minutes=5)
MAX_DURATION = timedelta(days=7)
# How far back a micro-leader may log: memory fades, and a late record cannot be checked. Staff
# covering the cell enter older paper logs.
MAX_AGE = timedelta(days=60)
MAX_COUNT = 10_000
MAX_PROBLEMS = 999
TEXT_LIMITS = {"title": 100, "narrative": 5000, "place": 100, "follow_up": 2000}
FIELD_PATHS = {
    "title": "title",
    "narrative": "narrative",
    "place": "place",
    "follow_up": "followUp",
    "participants": "participants",
    "households_reached": "householdsReached",
}
# How a message names each input (the form's labels).
LABELS = {
    "title": "标题",
    "narrative": "经过",
    "place": "地点",
    "follow_up": "后续跟进",
    "participants": "参与人数",
    "households_reached": "涉及户数",
}
HALF_HOUR = Decimal("0.5")

E = TypeVar("E", ActivityType, MediationOutcome, ProblemCategory)


@dataclass(frozen=True)
class ActivityInput:
    """The content of an activity record as its author enters it."""

    activity_type: ActivityType
    title: str
    started_at: datetime
    ended_at: datetime
    narrative: str = ""
    place: str = ""
    participants: int = 0
    households_reached: int = 0
    problems: Mapping[ProblemCategory, int] = field(default_factory=dict)
    mediation_outcome: MediationOutcome | None = None
    volunteer_hours: Decimal | float | None = None
    follow_up: str = ""
    project_id: int | None = None

    @classmethod
    def of(cls, activity: Activity) -> ActivityInput:
        return cls(
            activity_type=activity.activity_type,
            title=activity.title,
            started_at=activity.started_at,
            ended_at=activity.ended_at,
            narrative=activity.narrative,
            place=activity.place,
            participants=activity.participants,
            households_reached=activity.households_reached,
            problems={ProblemCategory(k): int(v) for k, v in activity.problems.items()},
            mediation_outcome=activity.mediation_outcome,
            volunteer_hours=activity.volunteer_hours,
            follow_up=activity.follow_up,
            project_id=activity.project_id,
        )


def _invalid(code: StrEnum, message: str, *path: str) -> ValidationError:
    return ValidationError(code, message, list(path))


def clean(raw: ActivityInput, *, now: datetime, earliest: datetime | None) -> dict[str, Any]:
    """The columns to store, cleaned; raises `ValidationErrors` naming every rule the input
    breaks. `earliest` is the earliest start the writer may log (None: no limit)."""
    errors = Errors()
    kind = errors.check(lambda: _choice(ActivityType, raw.activity_type, "activityType", "活动类型"))
    period = errors.check(lambda: _period(raw.started_at, raw.ended_at, now))
    if period and earliest is not None and period[0] < earliest:
        errors.add(
            ActivityCode.TOO_OLD,
            f"只能记录 {MAX_AGE.days} 天以内的活动；更早的纸质记录请交网格员或民政局工作人员补录",
            "startedAt",
        )
    columns: dict[str, Any] = {
        "activity_type": kind,
        **_texts(errors, title=raw.title, narrative=raw.narrative, place=raw.place, follow_up=raw.follow_up),
        "participants": errors.check(lambda: _count("participants", raw.participants, minimum=0)),
        "households_reached": errors.check(
            lambda: _count("households_reached", raw.households_reached, minimum=_least_households(kind))
        ),
        "problems": errors.check(lambda: _problems(raw.problems)),
        "project_id": errors.check(lambda: _project(raw.project_id)),
    }
    if kind is not None:
        columns["mediation_outcome"] = errors.check(lambda: _outcome(kind, raw.mediation_outcome))
        duration = period[1] - period[0] if period else None
        columns["volunteer_hours"] = errors.check(lambda: _hours(kind, raw.volunteer_hours, duration))
    errors.raise_any()
    assert period is not None
    return {**columns, "started_at": period[0], "ended_at": period[1]}


def _texts(
    errors: Errors, *, title: str, narrative: str, place: str, follow_up: str
) -> dict[str, str | None]:
    return {
        "title": errors.check(lambda: _text("title", " ".join(title.split()), minimum=1)),
        "narrative": errors.check(lambda: _text("narrative", narrative.strip())),
        "place": errors.check(lambda: _text("place", " ".join(place.split()))),
        "follow_up": errors.check(lambda: _text("follow_up", follow_up.strip())),
    }


def standalone_errors(
    *, title: str, narrative: str, place: str, follow_up: str, participants: int, households_reached: int
) -> list[DomainError]:
    """The errors of the inputs that are checked on their own (texts and counts; households as
    for any type): a form whose other inputs do not even parse shows these with its own."""
    errors = Errors()
    _texts(errors, title=title, narrative=narrative, place=place, follow_up=follow_up)
    errors.check(lambda: _count("participants", participants, minimum=0))
    errors.check(lambda: _count("households_reached", households_reached, minimum=0))
    return errors.errors


def _least_households(kind: ActivityType | None) -> int:
    return 1 if kind is ActivityType.VISIT else 0


def _choice(enum: type[E], value: str, path: str, what: str) -> E:
    try:
        return enum(value)
    except ValueError:
        raise _invalid(ErrorCode.INVALID, f"未知的{what}：{value}", path) from None


def _utc(value: datetime, path: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise _invalid(ErrorCode.INVALID, "时间须带时区", path)
    return value.astimezone(UTC).replace(microsecond=0)


def _period(started: datetime, ended: datetime, now: datetime) -> tuple[datetime, datetime]:
    start, end = _utc(started, "startedAt"), _utc(ended, "endedAt")
    latest = now + CLOCK_SKEW
    if start > latest:
        raise _invalid(ErrorCode.FUTURE_TIME, "开始时间不能晚于现在：只能记录已经发生的活动", "startedAt")
    if end > latest:
        raise _invalid(ErrorCode.FUTURE_TIME, "结束时间不能晚于现在：只能记录已经发生的活动", "endedAt")
    if end < start:
        raise _invalid(ErrorCode.END_BEFORE_START, "结束时间不能早于开始时间", "endedAt")
    if end - start > MAX_DURATION:
        raise _invalid(
            ActivityCode.DURATION_TOO_LONG,
            "一条记录最长 7 天：一条记录描述一次活动，持续更久的工作请按天或阶段分别记录，便于核实",
            "endedAt",
        )
    return start, end


def _text(name: str, value: str, *, minimum: int = 0) -> str:
    limit = TEXT_LIMITS[name]
    if not minimum <= len(value) <= limit:
        label = LABELS[name]
        message = f"{label}须为 {minimum}–{limit} 个字符" if minimum else f"{label}不能超过 {limit} 个字符"
        raise _invalid(ErrorCode.INVALID_LENGTH, message, FIELD_PATHS[name])
    return value


def _count(name: str, value: int, *, minimum: int) -> int:
    if not minimum <= value <= MAX_COUNT:
        message = f"{LABELS[name]}须在 {minimum} 到 {MAX_COUNT} 之间"
        raise _invalid(ErrorCode.OUT_OF_RANGE, message, FIELD_PATHS[name])
    return value


def _problems(problems: Mapping[ProblemCategory, int]) -> dict[str, int]:
    found: dict[str, int] = {}
    for key, count in problems.items():
        category = _choice(ProblemCategory, key, "problems", "问题类别")
        if not 0 <= count <= MAX_PROBLEMS:
            raise _invalid(
                ErrorCode.OUT_OF_RANGE,
                f"“{category.label}”的数量须在 0 到 {MAX_PROBLEMS} 之间",
                "problems",
                category,
            )
        if count:
            found[category.value] = count
    return found


def _outcome(kind: ActivityType, outcome: MediationOutcome | None) -> MediationOutcome | None:
    if kind is ActivityType.MEDIATION:
        if outcome is None:
            raise _invalid(ActivityCode.REQUIRED_FOR_TYPE, "调解活动须填写调解结果", "mediationOutcome")
        return _choice(MediationOutcome, outcome, "mediationOutcome", "调解结果")
    if outcome is not None:
        raise _invalid(ErrorCode.NOT_FOR_TYPE, "只有邻里纠纷调解活动才填写调解结果", "mediationOutcome")
    return None


def _hours(kind: ActivityType, hours: Decimal | float | None, duration: timedelta | None) -> Decimal | None:
    if kind is not ActivityType.VOLUNTEERING:
        if hours is not None:
            raise _invalid(ErrorCode.NOT_FOR_TYPE, "只有志愿服务活动才填写服务时长", "volunteerHours")
        return None
    if hours is None:
        raise _invalid(ActivityCode.REQUIRED_FOR_TYPE, "志愿服务活动须填写服务时长", "volunteerHours")
    value = _decimal(hours)
    if value <= 0 or value % HALF_HOUR:
        raise _invalid(ErrorCode.OUT_OF_RANGE, "服务时长须大于 0，按半小时计（如 1.5）", "volunteerHours")
    if duration is not None and value * 3600 > Decimal(duration.total_seconds()):
        raise _invalid(ErrorCode.OUT_OF_RANGE, "服务时长不能超过活动的起止时长", "volunteerHours")
    return value.quantize(Decimal("0.1"))


def _decimal(hours: Decimal | float) -> Decimal:
    try:
        value = Decimal(str(hours))
    except InvalidOperation:
        raise _invalid(ErrorCode.INVALID, "服务时长须为数字", "volunteerHours") from None
    if not value.is_finite():
        raise _invalid(ErrorCode.INVALID, "服务时长须为数字", "volunteerHours")
    return value


def _project(project_id: int | None) -> int | None:
    if project_id is not None and project_id <= 0:
        raise _invalid(ErrorCode.INVALID, "项目编号无效", "projectId")
    return project_id
