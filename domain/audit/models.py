from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class AuditEntry(Model):
    """One append-only audit record.

    `hash` (an HMAC under the key `key_id` names) covers the row's content and `prev_hash`, the
    hash of the row before it in its chain, so an edited or deleted row breaks the chain. The log
    is `CHAINS` chains written in parallel (`chain`, numbered without gaps by `chain_seq`, unique
    together, so concurrent writers cannot fork one) plus a chain of anchor rows that pin the
    heads of all of them (domain/audit/service.py). `seq` orders the whole log."""

    id = fields.BigIntField(primary_key=True)
    seq = fields.BigIntField(unique=True)
    at = fields.DatetimeField()
    actor_user_id = fields.IntField(null=True)
    actor_label = fields.CharField(max_length=100, null=True)
    token_id = fields.IntField(null=True)
    action = fields.CharField(max_length=60)
    object_type = fields.CharField(max_length=40, null=True)
    object_id = fields.CharField(max_length=40, null=True)
    summary = fields.JSONField[dict[str, Any]]()
    request_id = fields.CharField(max_length=64, null=True)
    ip = fields.CharField(max_length=45, null=True)
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)
    # The id of the key `hash` was computed with (domain/audit/keys.py); rows from before keyed
    # hashes existed take the database default and verify as plain SHA-256.
    key_id = fields.CharField(max_length=40, db_default="sha256-legacy")
    # Which chain the row links into and its number there (migration 0019: rows written before
    # take chain 0 with chain_seq = seq, form 1, and keep verifying as they always did). `form`
    # 2 rows hash `chain`, `chain_seq` and `form` too.
    chain = fields.SmallIntField(db_default=0)
    chain_seq = fields.BigIntField(db_default=0)
    form = fields.SmallIntField(db_default=1)

    class Meta:
        table = "audit_log"
        unique_together = (("chain", "chain_seq"),)
        indexes = [
            Index(fields=["actor_user_id", "seq"], name="audit_actor_idx"),
            Index(fields=["action", "seq"], name="audit_action_idx"),
            Index(fields=["object_type", "object_id", "seq"], name="audit_object_idx"),
            Index(fields=["at"], name="audit_at_idx"),
        ]
