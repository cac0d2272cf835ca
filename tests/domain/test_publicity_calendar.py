"""The publicity period (公示) in working days and the bureau's calendar behind it: weekends,
holidays and adjusted working days (调休上班), the period starting on a non-working day, the 2026
seed from the State Council's notice, one statement per read, and who may change the calendar.
The calendar tests run on both databases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.access import ANONYMOUS, Actor, Grant, Role
from domain.audit.models import AuditEntry
from domain.calendar import queries, service
from domain.calendar.errors import CalendarCode
from domain.calendar.models import CalendarDay, DayKind
from domain.errors import ErrorCode, NotFound, PermissionDenied, Unauthenticated, ValidationErrors
from domain.review.publicity import Period, add_working_days, is_working_day, publicity_end, publicity_period
from seeds.calendar import calendar_2026, load_calendar_seeds
from tests.accounts import actor_of, make_user
from tests.conftest import SqlLog
from tests.factories import BUREAU

NONE: set[date] = set()

# --- the pure rule (no database) -----------------------------------------------------------------


def test_a_period_skips_the_weekend() -> None:
    # GIVEN a 5-working-day period published on Thursday 26 November 2026, no holidays
    # THEN it runs Thu 26, Fri 27, Mon 30, Tue 1, Wed 2 December
    assert add_working_days(date(2026, 11, 26), 5, NONE, NONE) == date(2026, 12, 2)


def test_a_period_published_on_a_weekend_starts_on_monday() -> None:
    # Saturday 28 November: the period is Mon 30 November to Fri 4 December
    assert add_working_days(date(2026, 11, 28), 5, NONE, NONE) == date(2026, 12, 4)
    # AND a one-day period published on a working day is that day
    assert add_working_days(date(2026, 11, 26), 1, NONE, NONE) == date(2026, 11, 26)
    with pytest.raises(ValueError, match="at least one"):
        add_working_days(date(2026, 11, 26), 0, NONE, NONE)


def test_a_period_across_a_holiday_with_a_sunday_worked() -> None:
    # GIVEN an invented arrangement (not an official one): Monday 7 to Wednesday 9 December off,
    # Sunday 6 December worked
    holidays = {date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 9)}
    workdays = {date(2026, 12, 6)}
    # WHEN a 5-working-day period is published on Thursday 3 December
    end = add_working_days(date(2026, 12, 3), 5, holidays, workdays)
    # THEN it counts Thu 3, Fri 4, Sun 6 (worked), Thu 10, Fri 11
    assert end == date(2026, 12, 11)
    assert is_working_day(date(2026, 12, 6), holidays, workdays)
    assert not is_working_day(date(2026, 12, 7), holidays, workdays)
    assert not is_working_day(date(2026, 12, 5), holidays, workdays)
    # AND without the calendar it would have ended on the Wednesday
    assert add_working_days(date(2026, 12, 3), 5, NONE, NONE) == date(2026, 12, 9)


# --- the calendar table (both databases) ---------------------------------------------------------


@pytest.mark.usefixtures("db")
async def test_the_2026_seed_is_the_official_arrangement() -> None:
    # GIVEN the State Council's 2026 arrangement loaded
    assert await load_calendar_seeds() == 39
    # THEN 33 days off and 6 weekend days worked, every one of these on a Saturday or Sunday
    rows = await queries.days_of_year(2026)
    holidays = [r for r in rows if r.kind is DayKind.HOLIDAY]
    worked = [r.day for r in rows if r.kind is DayKind.WORKDAY]
    assert len(holidays) == 33
    assert worked == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    assert all(day.weekday() >= 5 for day in worked)
    assert [r.name for r in rows if r.day == date(2026, 10, 1)] == ["国庆节"]
    # AND loading again inserts nothing
    assert await load_calendar_seeds() == 0
    assert len(calendar_2026()) == 39


@pytest.mark.usefixtures("db")
async def test_publicity_end_reads_the_calendar_in_one_statement(sql_log: SqlLog) -> None:
    # GIVEN the 2026 calendar (国庆节 1–7 October off, Saturday 10 October worked)
    await load_calendar_seeds()
    # WHEN a 5-working-day 公示 is published on the holiday itself, Thursday 1 October
    sql_log.reset()
    end = await publicity_end(date(2026, 10, 1), 5)
    # THEN it runs 8, 9, 10 (Saturday, worked), 12 and 13 October, read in one statement
    assert end == date(2026, 10, 13)
    assert sql_log.count == 1
    # AND across 元旦 from Wednesday 31 December 2025: 31, 4 January (Sunday, worked), 5, 6, 7
    assert await publicity_end(date(2025, 12, 31), 5) == date(2026, 1, 7)


@pytest.mark.usefixtures("db")
async def test_a_period_published_on_a_holiday_starts_on_the_next_working_day(sql_log: SqlLog) -> None:
    # GIVEN the 2026 calendar
    await load_calendar_seeds()
    # WHEN a 5-working-day 公示 is published on 国庆节
    sql_log.reset()
    period = await publicity_period(date(2026, 10, 1), 5)
    # THEN it runs from Thursday 8 to Tuesday 13 October, both found in one statement
    assert period == Period(date(2026, 10, 8), date(2026, 10, 13), 5)
    assert sql_log.count == 1
    # AND published on a working day, it starts that day
    assert (await publicity_period(date(2026, 10, 12), 1)).first == date(2026, 10, 12)


@pytest.mark.usefixtures("db")
async def test_a_month_of_holidays_beyond_the_window_is_still_counted(sql_log: SqlLog) -> None:
    # GIVEN the bureau marks every weekday of July and August 2027 a holiday
    first = date(2027, 7, 1)
    days = [first + timedelta(days=i) for i in range(62)]
    await CalendarDay.bulk_create(
        [CalendarDay(day=d, kind=DayKind.HOLIDAY, name="测试假期") for d in days if d.weekday() < 5]
    )
    # WHEN a 5-working-day period starts on 1 July
    sql_log.reset()
    # THEN it is the first week of September (1–3 and 6–7), found with a second read
    assert await publicity_end(first, 5) == date(2027, 9, 7)
    assert sql_log.count == 2
    with pytest.raises(ValueError, match="1–60"):
        await publicity_end(first, 61)


@pytest.mark.usefixtures("db")
async def test_bureau_staff_set_change_and_remove_a_day_audited() -> None:
    staff = await actor_of(await make_user("bureau.calendar", Role.BUREAU_STAFF))
    sunday = date(2027, 2, 7)
    # WHEN a Sunday is set as worked, then renamed, then set again unchanged, then removed
    row = await service.set_calendar_day(staff, sunday, DayKind.WORKDAY, " 春节调休 ")
    assert (row.kind, row.name) == (DayKind.WORKDAY, "春节调休")
    assert await publicity_end(date(2027, 2, 5), 2) == sunday  # Friday 5, Sunday 7 (worked)
    await service.set_calendar_day(staff, sunday, DayKind.HOLIDAY, "春节")
    await service.set_calendar_day(staff, sunday, DayKind.HOLIDAY, "春节")
    assert await publicity_end(date(2027, 2, 5), 2) == date(2027, 2, 8)  # now a holiday: Monday
    await service.remove_calendar_day(staff, sunday)
    # THEN the day follows the week again and three changes were recorded, with before and after
    assert await CalendarDay.filter(day=sunday).count() == 0
    entries = await AuditEntry.filter(object_type="CalendarDay").order_by("seq")
    assert [e.action for e in entries] == ["calendar.set_day", "calendar.set_day", "calendar.remove_day"]
    assert entries[1].summary["before"] == {"kind": "WORKDAY", "name": "春节调休"}
    assert entries[1].summary["after"] == {"kind": "HOLIDAY", "name": "春节"}
    assert all(e.actor_user_id == staff.user_id for e in entries)
    with pytest.raises(NotFound):
        await service.remove_calendar_day(staff, sunday)


@pytest.mark.usefixtures("db")
async def test_every_input_error_at_once_and_nothing_changed() -> None:
    # GIVEN a Wednesday set as an adjusted working day with an empty name
    with pytest.raises(ValidationErrors) as caught:
        await service.set_calendar_day(BUREAU, date(2027, 2, 3), DayKind.WORKDAY, "  ")
    # THEN both are refused together
    codes = {(e.code, tuple(e.field or [])) for e in caught.value.errors}
    assert codes == {(ErrorCode.INVALID_LENGTH, ("name",)), (CalendarCode.WORKDAY_NOT_WEEKEND, ("kind",))}
    assert await CalendarDay.all().count() == 0
    assert await AuditEntry.filter(object_type="CalendarDay").count() == 0


@pytest.mark.usefixtures("db")
async def test_only_bureau_staff_change_the_calendar() -> None:
    # GIVEN a day the bureau set, and callers who are not bureau staff
    day = date(2027, 1, 1)
    await service.set_calendar_day(BUREAU, day, DayKind.HOLIDAY, "元旦")
    admin = await actor_of(await make_user("admin.calendar", Role.ADMIN))
    reviewer = await actor_of(await make_user("reviewer.calendar", Role.REVIEWER))
    token = Actor(
        user_id=99, grants=(Grant(Role.BUREAU_STAFF),), token_scopes=frozenset({"read"}), token_id=1
    )
    # WHEN they try to add, change or remove a day
    for actor in (admin, reviewer, token):
        with pytest.raises(PermissionDenied):
            await service.set_calendar_day(actor, date(2027, 1, 2), DayKind.HOLIDAY, "元旦")
        with pytest.raises(PermissionDenied):
            await service.set_calendar_day(actor, day, DayKind.HOLIDAY, "改名")
        with pytest.raises(PermissionDenied):
            await service.remove_calendar_day(actor, day)
    with pytest.raises(Unauthenticated):
        await service.remove_calendar_day(ANONYMOUS, day)
    # THEN the calendar and its audit trail are as the bureau left them
    assert [(r.day, r.name) for r in await CalendarDay.all()] == [(day, "元旦")]
    assert await AuditEntry.filter(object_type="CalendarDay").count() == 1


@pytest.mark.usefixtures("db")
async def test_a_bureau_token_needs_the_review_scope() -> None:
    staff = await make_user("bureau.token", Role.BUREAU_STAFF)
    with pytest.raises(PermissionDenied) as caught:
        await service.set_calendar_day(
            await actor_of(staff, scopes=frozenset({"read"})), date(2027, 1, 1), DayKind.HOLIDAY, "元旦"
        )
    assert "write:funding" in caught.value.message
    with_scope = await actor_of(staff, scopes=frozenset({"write:funding"}))
    await service.set_calendar_day(with_scope, date(2027, 1, 1), DayKind.HOLIDAY, "元旦")
    assert await CalendarDay.all().count() == 1


@pytest.mark.usefixtures("db")
async def test_a_years_calendar_is_one_statement(sql_log: SqlLog) -> None:
    await load_calendar_seeds()
    await service.set_calendar_day(BUREAU, date(2027, 1, 1), DayKind.HOLIDAY, "元旦")
    sql_log.reset()
    rows = await queries.days_of_year(2026)
    assert len(rows) == 39
    assert rows[0].day == date(2026, 1, 1)
    assert rows == sorted(rows, key=lambda r: r.day)
    assert sql_log.count == 1
