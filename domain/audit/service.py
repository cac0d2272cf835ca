"""The tamper-evident audit log: every row's hash chains to the previous one.

Each row's hash is an HMAC-SHA256 of its content (the previous hash and its key id included)
under a server-side key (domain/audit/keys.py), so only the key's holder can write a chain that
verifies. Rows from before keys existed (key id `sha256-legacy`) keep their plain SHA-256.

Writers call `record` inside the transaction of the change they describe, so a change and its
audit row commit or roll back together. The chain head is read under a lock (an advisory lock on
PostgreSQL; SQLite serialises writers), and `seq` is unique, so two writers can never both
append after the same row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from domain.access import Actor
from domain.audit.keys import LEGACY, Keyring, keyring
from domain.audit.labels import require_labelled
from domain.audit.models import AuditEntry

GENESIS = "0" * 64
_LOCK_KEY = 7_301_482  # any constant: the audit chain's advisory lock on PostgreSQL
VERIFY_BATCH = 1000


def _canonical(entry: AuditEntry) -> bytes:
    content: dict[str, Any] = {
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_user_id": entry.actor_user_id,
        "actor_label": entry.actor_label,
        "token_id": entry.token_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "summary": entry.summary,
        "request_id": entry.request_id,
        "ip": entry.ip,
        "prev_hash": entry.prev_hash,
    }
    if entry.key_id != LEGACY:
        content["key_id"] = entry.key_id
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class UnknownKey(LookupError):
    pass


def compute_hash(entry: AuditEntry, ring: Keyring | None = None) -> str:
    """The row's hash under the key its `key_id` names (UnknownKey when the keyring lacks it)."""
    if entry.key_id == LEGACY:
        return hashlib.sha256(_canonical(entry)).hexdigest()
    key = (ring or keyring()).key(entry.key_id)
    if key is None:
        raise UnknownKey(entry.key_id)
    return hmac.new(key, _canonical(entry), hashlib.sha256).hexdigest()


async def _lock_chain() -> None:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [_LOCK_KEY])


async def record(
    actor: Actor,
    action: str,
    object_type: str | None = None,
    object_id: int | str | None = None,
    **summary: Any,
) -> AuditEntry:
    """Append one row to the chain (joins the caller's transaction, or opens one)."""
    require_labelled(action, object_type)
    async with in_transaction():
        await _lock_chain()
        head = await AuditEntry.all().order_by("-seq").first().only("seq", "hash")
        entry = AuditEntry(
            seq=(head.seq + 1) if head else 1,
            at=datetime.now(UTC),
            actor_user_id=actor.user_id,
            actor_label=actor.display_name,
            token_id=actor.token_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id) if object_id is not None else None,
            summary=_jsonable(summary),
            request_id=actor.request_id,
            ip=actor.ip,
            prev_hash=head.hash if head else GENESIS,
            key_id=keyring().current,
        )
        entry.hash = compute_hash(entry)
        await entry.save(force_create=True)
    return entry


def _jsonable(summary: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = json.loads(json.dumps(summary, ensure_ascii=False, default=str))
    return clean


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
    legacy: int = 0
    """Rows hashed before keys existed (plain SHA-256), all at the start of the chain."""
    head_seq: int = 0
    head_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        return self.first_broken_seq is None


async def _rows() -> AsyncIterator[AuditEntry]:
    last = 0
    while True:
        batch = await AuditEntry.filter(seq__gt=last).order_by("seq").limit(VERIFY_BATCH)
        if not batch:
            return
        for row in batch:
            yield row
        last = batch[-1].seq


async def verify_chain() -> ChainReport:
    """Walk the chain in order; report the first row that was edited, deleted or inserted, or
    that does not verify under the key it names."""
    ring = keyring()
    expected_seq, prev_hash, checked, legacy, keyed = 1, GENESIS, 0, 0, False
    verified_keys: set[str] = set()

    def broken(seq: int, reason: str) -> ChainReport:
        return ChainReport(checked, seq, reason, legacy, expected_seq - 1, prev_hash)

    async for row in _rows():
        if row.seq != expected_seq:
            return broken(expected_seq, f"第 {expected_seq} 条记录缺失（被删除）")
        if row.prev_hash != prev_hash:
            return broken(row.seq, "与上一条记录的哈希不衔接")
        if row.key_id == LEGACY and keyed:
            return broken(row.seq, "无密钥的旧式记录出现在带密钥的记录之后（被降级改写）")
        try:
            expected = compute_hash(row, ring)
        except UnknownKey:
            return broken(row.seq, f"记录使用的密钥 {row.key_id!r} 未配置（缺少旧密钥，或记录被篡改）")
        if not hmac.compare_digest(expected, row.hash):
            if row.key_id in verified_keys or row.key_id == LEGACY:
                return broken(row.seq, "记录内容与哈希不符（被修改）")
            # the first row under this key: as likely a wrong key as an edit
            return broken(row.seq, f"记录内容与哈希不符（被修改，或密钥 {row.key_id!r} 与写入时的不同）")
        verified_keys.add(row.key_id)
        keyed = keyed or row.key_id != LEGACY
        legacy += row.key_id == LEGACY
        expected_seq, prev_hash, checked = row.seq + 1, row.hash, checked + 1
    return ChainReport(checked, legacy=legacy, head_seq=expected_seq - 1, head_hash=prev_hash)
