"""The organisation registry's own error codes (shared ones: `domain.errors.ErrorCode`)."""

from __future__ import annotations

from enum import StrEnum


class OrgCode(StrEnum):
    INVALID_USCC = "INVALID_USCC"
