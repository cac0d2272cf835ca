"""The working-day calendar page (工作日历) as typed: the year shown, the day form (date, kind,
name) read into the domain's values with every unreadable input named, and the publicity preview
(公示 N 个工作日) staff use to check the table, counted by `domain.review.publicity`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from starlette.datastructures import FormData

from domain.calendar import queries
from domain.calendar.models import NAME_MAX, CalendarDay, DayKind
from domain.funding.rounds import MIN_PUBLICITY_DAYS
from domain.review.publicity import MAX_PUBLICITY_DAYS, Period, publicity_period
from web.forms import text, whole_number
from web.pages.organisation_forms import day as read_day

FIRST_YEAR, LAST_YEAR = 2000, 2100
WEEKDAYS = "一二三四五六日"
KINDS = list(DayKind)

# {input name: (input id, label)}: the error summary's links, in the form's order.
DAY_LABELS: dict[str, tuple[str, str]] = {
    "day": ("cal-day", "日期"),
    "kind": ("cal-kind-HOLIDAY", "类型"),
    "name": ("cal-name", "名称"),
}


def weekday(value: date) -> str:
    return f"星期{WEEKDAYS[value.weekday()]}"


def year_of(raw: str | None, today: date) -> int:
    """The year asked for (2000–2100), else this year's."""
    year = whole_number(raw or "")
    return year if year is not None and FIRST_YEAR <= year <= LAST_YEAR else today.year


@dataclass(frozen=True)
class DayForm:
    """The day form as typed."""

    day: str = ""
    kind: str = ""
    name: str = ""

    @classmethod
    def from_form(cls, form: FormData) -> DayForm:
        return cls(
            day=text(form, "day", 20), kind=text(form, "kind", 10), name=text(form, "name", NAME_MAX + 20)
        )

    @classmethod
    def of(cls, row: CalendarDay) -> DayForm:
        return cls(day=row.day.isoformat(), kind=row.kind.value, name=row.name)

    def parse(self) -> tuple[date | None, DayKind | None, dict[str, str]]:
        errors: dict[str, str] = {}
        day = read_day(self.day, "day", errors, required=True)
        kind = DayKind(self.kind) if self.kind in DayKind.__members__ else None
        if kind is None:
            errors["kind"] = "请选择放假或调休上班"
        return day, kind, errors


@dataclass(frozen=True)
class Preview:
    """The publicity preview: what was typed, and the period or why there is none."""

    start: str
    days: str
    period: Period | None = None
    error: str = ""


async def preview(start_raw: str | None, days_raw: str | None, today: date) -> Preview:
    """The n-working-day period published on the day asked for (today and the shortest period by
    default): one statement, none when the input does not read."""
    start_text = (start_raw or today.isoformat()).strip()[:20]
    days_text = (days_raw or str(MIN_PUBLICITY_DAYS)).strip()[:4]
    errors: dict[str, str] = {}
    start = read_day(start_text, "start", errors, required=True)
    days = whole_number(days_text)
    if start is None:
        return Preview(start_text, days_text, error=errors["start"])
    if days is None or not 1 <= days <= MAX_PUBLICITY_DAYS:
        return Preview(start_text, days_text, error=f"公示天数须为 1–{MAX_PUBLICITY_DAYS} 个工作日")
    return Preview(start_text, days_text, await publicity_period(start, days))


@dataclass(frozen=True)
class CalendarView:
    year: int
    rows: list[CalendarDay]

    @property
    def holidays(self) -> int:
        return sum(1 for r in self.rows if r.kind is DayKind.HOLIDAY)

    @property
    def workdays(self) -> int:
        return len(self.rows) - self.holidays

    def row(self, raw: str) -> CalendarDay | None:
        return next((r for r in self.rows if r.day.isoformat() == raw), None)


async def calendar_view(year: int) -> CalendarView:
    """The year's holidays and adjusted working days, by date: one statement."""
    return CalendarView(year, await queries.days_of_year(year))
