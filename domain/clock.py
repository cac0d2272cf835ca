"""Pinghu's clock: times are stored in UTC and days are Shanghai calendar days.

China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact for every
time this system stores, and needs no time-zone database on the server."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def today() -> date:
    """Today's calendar date in Pinghu."""
    return datetime.now(SHANGHAI).date()


def years_later(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February's anniversary in a common year is 1 March."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)
