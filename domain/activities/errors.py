"""The activity log's own error codes (shared ones: `domain.errors.ErrorCode`)."""

from __future__ import annotations

from enum import StrEnum


class ActivityCode(StrEnum):
    NOT_EDITABLE = "NOT_EDITABLE"
    DURATION_TOO_LONG = "DURATION_TOO_LONG"
    TOO_OLD = "TOO_OLD"
    REQUIRED_FOR_TYPE = "REQUIRED_FOR_TYPE"
    TOO_MANY_PHOTOS = "TOO_MANY_PHOTOS"
    UNSUPPORTED_FILE = "UNSUPPORTED_FILE"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"
