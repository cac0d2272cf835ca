"""Times are stored in UTC and shown in Asia/Shanghai (`domain.clock`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from domain.clock import SHANGHAI, today


def local_datetime(value: datetime | None) -> str:
    """`2026-03-01 09:05:07`, or empty for no time."""
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def local_date(value: datetime | None) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d") if value else ""


def start_of_day(day: date) -> datetime:
    """Midnight of a Shanghai calendar day, in UTC."""
    return datetime.combine(day, time(), SHANGHAI).astimezone(UTC)


def at_local(day: date, clock: time) -> datetime:
    """A Shanghai wall-clock time on a Shanghai calendar day, in UTC."""
    return datetime.combine(day, clock, SHANGHAI).astimezone(UTC)


def local_clock(value: datetime) -> str:
    """`09:05`."""
    return value.astimezone(SHANGHAI).strftime("%H:%M")


today_local = today  # today's Shanghai calendar date
