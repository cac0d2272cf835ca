"""The publicity period (公示): the first n working days on or after the day it starts.

A working day is a Monday to Friday that the bureau's calendar does not mark as a holiday, or a
Saturday or Sunday it marks as an adjusted working day (调休上班). The period starts on `start`
itself when `start` is a working day, else on the next working day; it ends on (and includes) the
n-th working day. Example: a 5-working-day period published on Thursday 1 October 2026 (国庆节,
1–7 October off, Saturday 10 October worked) runs on 8, 9, 10, 12 and 13 October and ends on
Tuesday 13 October.

`add_working_days` and `is_working_day` are pure; `publicity_period` and `publicity_end` read the
calendar table.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from domain.calendar import queries

SATURDAY = 5
MAX_PUBLICITY_DAYS = 60
"""A longer period is a mistake in the round's settings, not a publicity period."""
SLACK_DAYS = 31
"""Days read beyond the period's length without holidays: more than any official break (the
longest, Spring Festival, is nine days), so one read suffices unless the table holds a month of
extra holidays inside one period."""


def is_working_day(day: date, holidays: Collection[date], workdays: Collection[date]) -> bool:
    """A weekday not in `holidays`, or a day in `workdays` (an adjusted working day). The table
    never holds a day as both; were it given both, `workdays` wins."""
    if day in workdays:
        return True
    return day.weekday() < SATURDAY and day not in holidays


def add_working_days(start: date, n: int, holidays: Collection[date], workdays: Collection[date]) -> date:
    """The last of the first `n` working days on or after `start` (n ≥ 1)."""
    if n < 1:
        raise ValueError("a period lasts at least one working day")
    day = start
    counted = 0
    while True:
        if is_working_day(day, holidays, workdays):
            counted += 1
            if counted == n:
                return day
        day += timedelta(days=1)


def _window(n: int) -> timedelta:
    """The calendar days n working days take without holidays, plus `SLACK_DAYS`."""
    weeks = -(-n // 5)
    return timedelta(days=weeks * 7 + 2 + SLACK_DAYS)


@dataclass(frozen=True)
class Period:
    """A publicity period: its first and its last working day, both included."""

    first: date
    last: date
    working_days: int


async def publicity_period(start: date, n: int) -> Period:
    """The n-working-day publicity period published on `start`, by the bureau's calendar. One
    bounded statement (the table's rows from `start` to `start` + `_window(n)`); another only in
    the unlikely case the period runs beyond that window."""
    if not 1 <= n <= MAX_PUBLICITY_DAYS:
        raise ValueError(f"a publicity period lasts 1–{MAX_PUBLICITY_DAYS} working days")
    last = start + _window(n)
    while True:
        holidays, workdays = await queries.exceptions_between(start, last)
        end = add_working_days(start, n, holidays, workdays)
        if end <= last:
            return Period(add_working_days(start, 1, holidays, workdays), end, n)
        last += _window(n)


async def publicity_end(start: date, n: int) -> date:
    """The last day of an n-working-day publicity period starting on `start` (`publicity_period`)."""
    return (await publicity_period(start, n)).last
