"""The calendar's own error codes (shared ones: `domain.errors.ErrorCode`)."""

from __future__ import annotations

from enum import StrEnum


class CalendarCode(StrEnum):
    WORKDAY_NOT_WEEKEND = "WORKDAY_NOT_WEEKEND"
    """An adjusted working day (调休上班) must be a Saturday or a Sunday."""
    DAY_TAKEN = "DAY_TAKEN"
    """Someone else set the same day at the same moment."""
