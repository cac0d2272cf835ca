"""The tamper-evident audit log: `CHAINS` hash chains written in parallel, pinned together by
anchor rows.

Each row's hash is an HMAC-SHA256 of its content (the previous hash in its chain and its key id
included) under a server-side key (domain/audit/keys.py), so only the key's holder can write a
chain that verifies. Rows from before keys existed (key id `sha256-legacy`) keep their plain
SHA-256.

Writers call `record` inside the transaction of the change they describe, so a change and its
audit row commit or roll back together. A row goes to the chain its object hashes to (its actor's
when it has no object), and every later row of the same transaction to the same chain. Only that
chain's head is read under a lock (an advisory lock per chain on PostgreSQL, held to the commit;
SQLite serialises writers), and (`chain`, `chain_seq`) is unique, so two writers never both
append after the same row — while writers on other chains commit at the same time: one global
lock held across the commit made every write wait for the one before (docs/performance.md,
"Writes and pages").

An anchor row (`write_anchor`, from `linzhi audit anchor`) takes every chain's lock at once and
records all heads, in a chain of its own (`ANCHOR_CHAIN`): truncating a chain behind an anchor,
or deleting an anchor, no longer verifies. Rows from before migration 0019 form the start of
chain 0 (`chain_seq` = `seq`, form 1) and verify as they always did.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.transactions import in_transaction

from domain.access import Actor
from domain.audit.keys import LEGACY, Keyring, keyring
from domain.audit.labels import require_labelled
from domain.audit.models import AuditEntry

GENESIS = "0" * 64
LOCK_KEY = 7_301_482  # any constant: with the chain number, a chain's advisory lock on PostgreSQL
VERIFY_BATCH = 1000
CHAINS = 16  # chains rows are spread over (verification reads the chains from the rows)
ANCHOR_CHAIN = -1  # the anchor rows' own chain
FORM = 2  # rows hashing chain, chain_seq and form (1: before migration 0019)
ANCHOR_ACTION = "audit.anchor"

# The chain each open transaction writes to, by its outermost transaction client (`_chain_for`).
_TRANSACTION_CHAIN: WeakKeyDictionary[Any, int] = WeakKeyDictionary()


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
    # a row built in Python before the column existed (form left to the database default) is form 1
    if isinstance(entry.form, int) and entry.form != 1:
        content.update(chain=entry.chain, chain_seq=entry.chain_seq, form=entry.form)
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


def chain_of(object_type: str | None, object_id: str | None, actor: Actor) -> int:
    """The chain a row goes to: its object's, else its actor's (stable, spread evenly)."""
    if object_id is not None:
        key = f"{object_type}:{object_id}"
    else:
        key = f"actor:{actor.user_id}:{actor.display_name}"
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") % CHAINS


def _chain_for(conn: BaseDBAsyncClient, wanted: int) -> int:
    """`wanted`, unless the caller's transaction already wrote to a chain: then that one, so a
    transaction holds one chain lock at most (two transactions each holding one and waiting for
    the other's would deadlock)."""
    if not isinstance(conn, TransactionalDBClient):
        return wanted
    outermost: Any = conn
    while isinstance(getattr(outermost, "_parent", None), TransactionalDBClient):
        outermost = outermost._parent
    return _TRANSACTION_CHAIN.setdefault(outermost, wanted)


def _head_sql(postgres: bool) -> str:
    """One statement: the next `seq` and the chain's head (chain_seq, hash), or NULLs."""
    seq = (
        "nextval(pg_get_serial_sequence('audit_log', 'id'))"
        if postgres
        else "(SELECT coalesce(max(seq), 0) + 1 FROM audit_log)"
    )
    p = "$1" if postgres else "?"
    head = f"FROM audit_log WHERE chain = {p} ORDER BY chain_seq DESC LIMIT 1"
    return f"SELECT {seq} AS seq, (SELECT chain_seq {head}) AS chain_seq, (SELECT hash {head}) AS hash"


async def _next_link(conn: BaseDBAsyncClient, chain: int) -> tuple[int, int, str]:
    """(seq, chain_seq, prev_hash) of a new row of `chain`, with the chain locked to the commit."""
    postgres = conn.capabilities.dialect == "postgres"
    if postgres:
        await conn.execute_query("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_KEY, chain])
    _, rows = await conn.execute_query(_head_sql(postgres), [chain] if postgres else [chain, chain])
    head = rows[0]
    if head["chain_seq"] is None:
        return int(head["seq"]), 1, GENESIS
    return int(head["seq"]), int(head["chain_seq"]) + 1, str(head["hash"])


async def _append(
    conn: BaseDBAsyncClient, chain: int, actor: Actor, action: str, values: dict[str, Any]
) -> AuditEntry:
    seq, chain_seq, prev_hash = await _next_link(conn, chain)
    # PostgreSQL: `seq` came from the id sequence, so it is the id too
    ids = {"id": seq} if conn.capabilities.dialect == "postgres" else {}
    entry = AuditEntry(
        **ids,
        seq=seq,
        at=datetime.now(UTC),
        actor_user_id=actor.user_id,
        actor_label=actor.display_name,
        token_id=actor.token_id,
        action=action,
        request_id=actor.request_id,
        ip=actor.ip,
        prev_hash=prev_hash,
        key_id=keyring().current,
        chain=chain,
        chain_seq=chain_seq,
        form=FORM,
        **values,
    )
    entry.hash = compute_hash(entry)
    await entry.save(force_create=True)
    return entry


async def record(
    actor: Actor,
    action: str,
    object_type: str | None = None,
    object_id: int | str | None = None,
    **summary: Any,
) -> AuditEntry:
    """Append one row to its chain (joins the caller's transaction, or opens one)."""
    require_labelled(action, object_type)
    oid = str(object_id) if object_id is not None else None
    chain = _chain_for(connections.get("default"), chain_of(object_type, oid, actor))
    async with in_transaction() as conn:
        values = {"object_type": object_type, "object_id": oid, "summary": _jsonable(summary)}
        return await _append(conn, chain, actor, action, values)


async def chain_heads() -> dict[int, tuple[int, str]]:
    """Every chain's head (chain_seq, hash), the anchor chain's too: one indexed probe a chain."""
    heads: dict[int, tuple[int, str]] = {}
    for chain in (ANCHOR_CHAIN, *range(CHAINS)):
        head = await AuditEntry.filter(chain=chain).order_by("-chain_seq").first().only("chain_seq", "hash")
        if head is not None:
            heads[chain] = (head.chain_seq, head.hash)
    return heads


async def write_anchor(actor: Actor) -> AuditEntry:
    """An anchor row: the heads of all chains, taken with every chain locked (so no row is half
    way in), appended to the anchor chain and hashed like any row."""
    row = await _write_anchor(actor, only_if_moved=False)
    assert row is not None
    return row


async def write_anchor_if_moved(actor: Actor) -> AuditEntry | None:
    """`write_anchor`, or None when no chain has a row the newest anchor does not pin (decided
    under the same locks: of two workers anchoring at once, the second sees the first's anchor
    and writes none)."""
    return await _write_anchor(actor, only_if_moved=True)


async def _write_anchor(actor: Actor, *, only_if_moved: bool) -> AuditEntry | None:
    async with in_transaction() as conn:
        if conn.capabilities.dialect == "postgres":
            await conn.execute_query(
                "SELECT pg_advisory_xact_lock($1, c) FROM generate_series($2::int, $3::int) AS c",
                [LOCK_KEY, ANCHOR_CHAIN, CHAINS - 1],
            )
        heads = await chain_heads()
        pinned = {str(c): [n, h] for c, (n, h) in sorted(heads.items()) if c != ANCHOR_CHAIN}
        if only_if_moved and pinned == await _anchored_heads():
            return None
        values = {"object_type": None, "object_id": None, "summary": {"heads": pinned}}
        return await _append(conn, ANCHOR_CHAIN, actor, ANCHOR_ACTION, values)


async def _anchored_heads() -> dict[str, Any]:
    """The heads the newest anchor row pins ({} before the first anchor)."""
    newest = await AuditEntry.filter(chain=ANCHOR_CHAIN).order_by("-chain_seq").first().only("summary")
    heads = (newest.summary or {}).get("heads") if newest is not None else None
    return heads if isinstance(heads, dict) else {}


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


async def _rows(chain: int) -> AsyncIterator[AuditEntry]:
    last = 0
    while True:
        batch = await (
            AuditEntry.filter(chain=chain, chain_seq__gt=last).order_by("chain_seq").limit(VERIFY_BATCH)
        )
        if not batch:
            return
        for row in batch:
            yield row
        last = batch[-1].chain_seq


class _Broken(Exception):
    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(reason)
        self.seq, self.reason = seq, reason


@dataclass
class _Walk:
    """What verification has seen so far, across chains."""

    ring: Keyring
    checked: int = 0
    legacy: int = 0
    head: tuple[int, str] = (0, GENESIS)
    verified_keys: set[str] = field(default_factory=set)
    # (chain, chain_seq) -> (hash, seq of the anchor row that pinned it)
    pinned: dict[tuple[int, int], tuple[str, int]] = field(default_factory=dict)

    def row(self, row: AuditEntry, expected: int, prev_hash: str, keyed: bool) -> None:
        where = "" if row.chain == 0 and row.form == 1 else f"{chain_name(row.chain)}："
        if row.chain_seq != expected:
            missing = expected if row.form == 1 else f"{expected}（链内序号）"
            raise _Broken(expected if row.form == 1 else row.seq, f"{where}第 {missing} 条记录缺失（被删除）")
        if row.prev_hash != prev_hash:
            raise _Broken(row.seq, f"{where}与上一条记录的哈希不衔接")
        _check_form(row, keyed)
        try:
            expected_hash = compute_hash(row, self.ring)
        except UnknownKey as error:
            reason = f"记录使用的密钥 {row.key_id!r} 未配置（缺少旧密钥，或记录被篡改）"
            raise _Broken(row.seq, reason) from error
        if not hmac.compare_digest(expected_hash, row.hash):
            if row.key_id in self.verified_keys or row.key_id == LEGACY:
                raise _Broken(row.seq, "记录内容与哈希不符（被修改）")
            # the first row under this key: as likely a wrong key as an edit
            raise _Broken(row.seq, f"记录内容与哈希不符（被修改，或密钥 {row.key_id!r} 与写入时的不同）")
        self.verified_keys.add(row.key_id)
        self.legacy += row.key_id == LEGACY
        self.checked += 1
        self.head = max(self.head, (row.seq, row.hash))
        claim = self.pinned.pop((row.chain, row.chain_seq), None)
        if claim is not None and not hmac.compare_digest(claim[0], row.hash):
            raise _Broken(
                row.seq, f"{chain_name(row.chain)}第 {row.chain_seq} 条与锚点记录（第 {claim[1]} 条）不符"
            )
        if row.chain == ANCHOR_CHAIN:
            self.pin(row)

    def pin(self, anchor: AuditEntry) -> None:
        heads = anchor.summary.get("heads") if isinstance(anchor.summary, dict) else None
        if anchor.action != ANCHOR_ACTION or not isinstance(heads, dict):
            raise _Broken(anchor.seq, "锚点链中有非锚点记录")
        for chain, (chain_seq, head_hash) in heads.items():
            self.pinned[(int(chain), int(chain_seq))] = (str(head_hash), anchor.seq)

    def unmatched(self, chain: int | None = None) -> None:
        """A pinned head that verification walked past without finding: its chain was cut."""
        for (pinned_chain, chain_seq), (_, anchor_seq) in sorted(self.pinned.items()):
            if chain is None or pinned_chain == chain:
                raise _Broken(
                    anchor_seq,
                    f"{chain_name(pinned_chain)}被截断：锚点记录（第 {anchor_seq} 条）锚定的第 {chain_seq} 条"
                    "记录已不存在",
                )


def chain_name(chain: int) -> str:
    return "锚点链" if chain == ANCHOR_CHAIN else f"第 {chain} 号链"


def _check_form(row: AuditEntry, keyed: bool) -> None:
    if row.key_id == LEGACY and keyed:
        raise _Broken(row.seq, "无密钥的旧式记录出现在带密钥的记录之后（被降级改写）")
    if row.form == FORM and row.key_id == LEGACY:
        raise _Broken(row.seq, "分链记录没有密钥（被降级改写）")
    if row.form not in (1, FORM) or (row.form == 1 and (row.chain != 0 or row.chain_seq != row.seq)):
        raise _Broken(row.seq, "记录格式与所在链不符（被降级改写）")


async def _walk_chain(walk: _Walk, chain: int) -> None:
    expected, prev_hash, keyed, newer = 1, GENESIS, False, False
    async for row in _rows(chain):
        if row.form == 1 and newer:
            raise _Broken(row.seq, "旧格式记录出现在分链记录之后（被降级改写）")
        walk.row(row, expected, prev_hash, keyed)
        keyed, newer = keyed or row.key_id != LEGACY, newer or row.form != 1
        expected, prev_hash = row.chain_seq + 1, row.hash
    walk.unmatched(chain)


async def verify_chain() -> ChainReport:
    """Walk every chain (the anchor chain first) in order; report the first row that was edited,
    deleted, inserted or moved, or that does not verify under the key it names, and any chain
    cut shorter than an anchor row pinned it."""
    walk = _Walk(keyring())
    chains: list[Any] = list(await AuditEntry.all().distinct().values_list("chain", flat=True))
    present = {int(c) for c in chains}
    try:
        for chain in sorted(present | {ANCHOR_CHAIN}):
            await _walk_chain(walk, chain)
        walk.unmatched()
    except _Broken as broken:
        return ChainReport(walk.checked, broken.seq, broken.reason, walk.legacy, *walk.head)
    return ChainReport(walk.checked, legacy=walk.legacy, head_seq=walk.head[0], head_hash=walk.head[1])
