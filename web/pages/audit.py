"""The audit page: the filter form as typed, turned into an audit filter, and rows to show."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from domain.access import ROLE_LABELS
from domain.accounts import queries as accounts
from domain.activities.models import ACTIVITY_STATUS_LABELS, ACTIVITY_TYPE_LABELS
from domain.audit import queries
from domain.audit.labels import ACTIONS, OBJECT_TYPES, SUMMARY_KEYS
from domain.audit.models import AuditEntry
from domain.audit.queries import AuditFilter
from domain.audit.service import ANCHOR_ACTION
from domain.leaders.models import LEADER_STATUS_LABELS, SOURCE_ROLE_LABELS
from web.localtime import local_datetime, start_of_day

ACTION_LABELS = ACTIONS
OBJECT_LABELS = OBJECT_TYPES
# Coded values in a summary (roles, statuses, types), in words.
VALUE_LABELS: dict[str, str] = {
    str(code): label
    for labels in (
        ROLE_LABELS,
        LEADER_STATUS_LABELS,
        SOURCE_ROLE_LABELS,
        ACTIVITY_TYPE_LABELS,
        ACTIVITY_STATUS_LABELS,
    )
    for code, label in labels.items()
}
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")
MAX_INPUT = 60


@dataclass(frozen=True)
class AuditQuery:
    """The filter form as the user filled it in (texts, kept for re-display)."""

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: str = ""
    until: str = ""

    @classmethod
    def from_params(cls, params: dict[str, str]) -> AuditQuery:
        fields = cls.__dataclass_fields__
        return cls(**{name: params.get(name, "").strip()[:MAX_INPUT] for name in fields})

    @property
    def filtered(self) -> bool:
        return any(asdict(self).values())

    def url(self, **extra: object) -> str:
        params = {**asdict(self), **extra}
        query = urlencode({k: v for k, v in params.items() if v})
        return f"/admin/audit?{query}" if query else "/admin/audit"


def _day(raw: str) -> date | None:
    """A calendar day in the years the log can hold (so the day after, in UTC, exists too)."""
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if 1970 <= day.year <= 9998 else None


def date_errors(query: AuditQuery) -> dict[str, str]:
    """Dates that do not parse are left out of the filter, and said so beside their input."""
    typed = {"since": query.since, "until": query.until}
    return {
        name: "请按 年-月-日 填写日期，如 2026-03-01" for name, raw in typed.items() if raw and not _day(raw)
    }


async def audit_filter(query: AuditQuery) -> AuditFilter:
    """Dates are Shanghai calendar days (`until` includes its whole day); an actor is a username,
    or else the label recorded for actors without an account (such as 命令行)."""
    since, until = _day(query.since), _day(query.until)
    user_id = await accounts.user_id_by_username(query.actor) if query.actor else None
    return AuditFilter(
        actor_user_id=user_id,
        actor_label=query.actor if query.actor and user_id is None else None,
        action=query.action or None,
        object_type=query.object_type or None,
        object_id=query.object_id or None,
        since=start_of_day(since) if since else None,
        until=start_of_day(until + timedelta(days=1)) if until else None,
    )


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry

    @property
    def action_label(self) -> str | None:
        return ACTION_LABELS.get(self.entry.action)

    @property
    def object_label(self) -> str:
        kind = self.entry.object_type
        return OBJECT_LABELS.get(kind, kind) if kind else ""

    @property
    def summary(self) -> str:
        """`key: value` pairs in key order (PostgreSQL's jsonb keeps no other), lists joined,
        empty values left out."""
        heads = self.entry.summary.get("heads")
        if self.entry.action == ANCHOR_ACTION and isinstance(heads, dict):
            pinned = sum(head[0] for head in heads.values() if isinstance(head, list) and head)
            return f"锚定 {len(heads)} 条分链的链头，共 {pinned} 条记录"
        pairs = sorted(self.entry.summary.items())
        return "，".join(
            f"{SUMMARY_KEYS.get(key, key)}: {_plain(value)}" for key, value in pairs if value is not None
        )


def _plain(value: object) -> str:
    if isinstance(value, list):
        return "、".join(_plain(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if _TIMESTAMP.match(value):
        return local_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")))  # Beijing time
    return VALUE_LABELS.get(value, value)


@dataclass(frozen=True)
class AuditView:
    query: AuditQuery
    rows: list[AuditRow]
    next_url: str | None
    is_first_page: bool


async def audit_view(query: AuditQuery, before: int | None) -> AuditView:
    page = await queries.entries_page(await audit_filter(query), before=before)
    next_url = query.url(before=page.next_before) if page.next_before else None
    rows = [AuditRow(entry) for entry in page.entries]
    return AuditView(query, rows, next_url, is_first_page=before is None)
