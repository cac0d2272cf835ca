"""The working-day calendar table. A day absent from it follows the week (Monday to Friday are
working days). A HOLIDAY row makes a day a non-working day (a public holiday, or a weekday given
off in an adjustment); a WORKDAY row makes a Saturday or Sunday a working day (调休上班).
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class DayKind(StrEnum):
    HOLIDAY = "HOLIDAY"
    WORKDAY = "WORKDAY"

    @property
    def label(self) -> str:
        return {"HOLIDAY": "放假", "WORKDAY": "调休上班"}[self.value]


NAME_MAX = 20


class CalendarDay(Model):
    """One day that differs from the ordinary week, with the holiday it belongs to (国庆节)."""

    id = fields.IntField(primary_key=True)
    day = fields.DateField(unique=True)
    kind = fields.CharEnumField(DayKind, max_length=8)
    name = fields.CharField(max_length=NAME_MAX)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "calendar_day"
