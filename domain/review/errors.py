"""The review module's own error codes (shared ones: `domain.errors.ErrorCode`)."""

from __future__ import annotations

from enum import StrEnum


class ReviewCode(StrEnum):
    INVALID_RUBRIC = "INVALID_RUBRIC"
    SCORE_OUT_OF_RANGE = "SCORE_OUT_OF_RANGE"
