"""Reading the working-day calendar (public)."""

from __future__ import annotations

from datetime import date

from domain.calendar.models import CalendarDay, DayKind


async def days_of_year(year: int) -> list[CalendarDay]:
    """Every holiday and adjusted working day of `year`, by date: one statement, at most 366 rows."""
    return await CalendarDay.filter(day__gte=date(year, 1, 1), day__lte=date(year, 12, 31)).order_by("day")


async def exceptions_between(first: date, last: date) -> tuple[set[date], set[date]]:
    """(holidays, adjusted working days) from `first` to `last` inclusive: one statement."""
    rows = await CalendarDay.filter(day__gte=first, day__lte=last).values_list("day", "kind")
    holidays = {day for day, kind in rows if kind == DayKind.HOLIDAY}
    workdays = {day for day, kind in rows if kind == DayKind.WORKDAY}
    return holidays, workdays
