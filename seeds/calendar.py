"""The official 2026 holiday arrangement for the working-day calendar.

Source: 国务院办公厅关于2026年部分节假日安排的通知 (State Council General Office, 4 November 2025,
published by Xinhua the same day). Every break below is copied from it: the days off
(放假调休) and the Saturdays and Sundays worked (上班). Later years are added by bureau staff
through `domain.calendar.service.set_calendar_day` when the State Council publishes them.

Idempotent: a day already in the table is left as it is (the bureau may have corrected it).
"""

from __future__ import annotations

from datetime import date, timedelta

from tortoise.transactions import in_transaction

from domain.calendar.models import CalendarDay, DayKind


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# (name, first day off, last day off, adjusted working days)
ARRANGEMENT_2026: tuple[tuple[str, date, date, tuple[date, ...]], ...] = (
    ("元旦", date(2026, 1, 1), date(2026, 1, 3), (date(2026, 1, 4),)),
    ("春节", date(2026, 2, 15), date(2026, 2, 23), (date(2026, 2, 14), date(2026, 2, 28))),
    ("清明节", date(2026, 4, 4), date(2026, 4, 6), ()),
    ("劳动节", date(2026, 5, 1), date(2026, 5, 5), (date(2026, 5, 9),)),
    ("端午节", date(2026, 6, 19), date(2026, 6, 21), ()),
    ("中秋节", date(2026, 9, 25), date(2026, 9, 27), ()),
    ("国庆节", date(2026, 10, 1), date(2026, 10, 7), (date(2026, 9, 20), date(2026, 10, 10))),
)


def calendar_2026() -> list[CalendarDay]:
    """The 2026 rows (unsaved), by date."""
    rows: list[CalendarDay] = []
    for name, first, last, worked in ARRANGEMENT_2026:
        rows += [CalendarDay(day=day, kind=DayKind.HOLIDAY, name=name) for day in _days(first, last)]
        rows += [CalendarDay(day=day, kind=DayKind.WORKDAY, name=f"{name}调休") for day in worked]
    return sorted(rows, key=lambda row: row.day)


async def load_calendar_seeds() -> int:
    """Insert the 2026 days not in the table yet; returns how many were inserted (one read and at
    most one bulk insert)."""
    rows = calendar_2026()
    async with in_transaction():
        present = set(
            await CalendarDay.filter(day__gte=rows[0].day, day__lte=rows[-1].day).values_list(
                "day", flat=True
            )
        )
        missing = [row for row in rows if row.day not in present]
        if missing:
            await CalendarDay.bulk_create(missing)
    return len(missing)
