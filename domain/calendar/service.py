"""Use cases of the working-day calendar: bureau staff set a day as a holiday or an adjusted
working day, or remove it (the day then follows the week again). Audited with the before and
after. Setting a day to what it already is changes nothing and records nothing.

Rules (all reported at once, nothing changed): the name is 1–20 characters; an adjusted working
day (WORKDAY) is a Saturday or a Sunday. A HOLIDAY may fall on any day (a holiday's weekend days
are named too, so the calendar page shows the whole break).
"""

from __future__ import annotations

from datetime import date

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.access import Actor
from domain.audit import service as audit
from domain.calendar.errors import CalendarCode
from domain.calendar.models import NAME_MAX, CalendarDay, DayKind
from domain.calendar.policy import require_edit
from domain.errors import DomainError, ErrorCode, NotFound, ValidationErrors
from domain.input import Errors, refuse_nul

SATURDAY = 5


def check_day(day: date | None, kind: DayKind | None, name: str) -> None:
    """Every rule a day breaks, at once (`ValidationErrors`), nothing written. A form that could
    not read the date or the kind (None) still hears about the rest."""
    errors = Errors()
    if not 1 <= len(name.strip()) <= NAME_MAX:
        errors.add(ErrorCode.INVALID_LENGTH, f"名称须为 1–{NAME_MAX} 个字符", "name")
    if kind is DayKind.WORKDAY and day is not None and day.weekday() < SATURDAY:
        errors.add(CalendarCode.WORKDAY_NOT_WEEKEND, "调休上班日须为周六或周日", "kind")
    errors.raise_any()


async def set_calendar_day(actor: Actor, day: date, kind: DayKind, name: str) -> CalendarDay:
    """Make `day` a holiday or an adjusted working day named `name` (e.g. 国庆节), replacing
    what the table said about it."""
    require_edit(actor)
    refuse_nul(name, ["name"])
    name = name.strip()
    check_day(day, kind, name)
    try:
        async with in_transaction():
            row = await CalendarDay.select_for_update().get_or_none(day=day)
            if row is None:
                row = await CalendarDay.create(day=day, kind=kind, name=name)
                await audit.record(
                    actor, "calendar.set_day", "CalendarDay", row.id, day=day, kind=kind, name=name
                )
                return row
            if (row.kind, row.name) == (kind, name):
                return row
            before = {"kind": row.kind, "name": row.name}
            row.kind, row.name = kind, name
            await row.save(update_fields=["kind", "name", "updated_at"])
            await audit.record(
                actor,
                "calendar.set_day",
                "CalendarDay",
                row.id,
                day=day,
                before=before,
                after={"kind": kind, "name": name},
            )
            return row
    except IntegrityError:
        error = DomainError(CalendarCode.DAY_TAKEN, "该日期刚被他人设置，请刷新后重试", ["day"])
        raise ValidationErrors([error]) from None


async def remove_calendar_day(actor: Actor, day: date) -> None:
    """Remove `day` from the table: it follows the week again."""
    require_edit(actor)
    async with in_transaction():
        row = await CalendarDay.select_for_update().get_or_none(day=day)
        if row is None:
            raise NotFound("日历中没有这一天", ["day"])
        await row.delete()
        await audit.record(
            actor, "calendar.remove_day", "CalendarDay", row.id, day=day, kind=row.kind, name=row.name
        )
