"""Reads of the audit log: filtered, newest first, in keyset pages on `seq`.

A page is one statement whatever its depth: the next page starts below the last `seq` shown,
and every filter has an index that ends in `seq` (actor, action, object), so the database walks
the index backwards and stops after one page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.audit.models import AuditEntry
from domain.errors import ErrorCode, ValidationError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class AuditFilter:
    """Every given condition must hold. `since` is inclusive and `until` exclusive (UTC)."""

    actor_user_id: int | None = None
    actor_label: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> dict[str, Any]:
        given = {
            "actor_user_id": self.actor_user_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "at__gte": self.since,
            "at__lt": self.until,
        }
        return {name: value for name, value in given.items() if value is not None}


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_before: int | None
    """The `before` of the next, older page; None on the last page."""


async def entries_page(
    where: AuditFilter, *, before: int | None = None, size: int = DEFAULT_PAGE_SIZE
) -> AuditPage:
    """Entries matching `where` with `seq` below `before`, newest first (one statement)."""
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError(ErrorCode.INVALID, f"每页条数须在 1 到 {MAX_PAGE_SIZE} 之间", ["size"])
    rows = AuditEntry.filter(**where.conditions())
    if before is not None:
        rows = rows.filter(seq__lt=before)
    found = list(await rows.order_by("-seq").limit(size + 1))
    entries = found[:size]
    return AuditPage(entries, entries[-1].seq if len(found) > size else None)
