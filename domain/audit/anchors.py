"""Anchors: a row (seq and hash) of the log, signed with the audit key, to publish outside the
database (daily, say: a notice board, an e-mail to the supervising office, a printed log).

Verification alone cannot notice that the newest rows were deleted: what is left is still a
consistent chain. An anchor can: the row it names must still exist and still have the anchored
hash. `current` first writes an anchor row (`service.write_anchor`: the heads of every chain)
and publishes that row, so one published anchor pins the newest row of every chain. Its HMAC
signature (under a key of the keyring, with a prefix no row hash uses) means a forged anchor —
to make a shortened or rewritten chain look anchored — is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from domain.access import Actor
from domain.audit.keys import Keyring, keyring
from domain.audit.models import AuditEntry
from domain.audit.service import GENESIS, write_anchor, write_anchor_if_moved

ANCHOR_ACTOR = Actor(display_name="linzhi audit anchor")

PREFIX = b"linzhi-audit-anchor\n"


class BadAnchor(ValueError):
    """Not an anchor, or one whose signature does not verify."""


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str
    key_id: str
    sig: str

    def token(self) -> str:
        """One line of JSON, to publish and later pass to `linzhi audit verify --anchor`."""
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=False)


def _signature(key: bytes, seq: int, head: str, at: str, key_id: str) -> str:
    body = json.dumps(
        {"at": at, "hash": head, "key_id": key_id, "seq": seq}, sort_keys=True, separators=(",", ":")
    )
    return hmac.new(key, PREFIX + body.encode(), hashlib.sha256).hexdigest()


async def current(ring: Keyring | None = None) -> Anchor:
    """A new anchor row (every chain's head), signed with the writing key."""
    return _signed(await write_anchor(ANCHOR_ACTOR), ring or keyring())


async def periodic(ring: Keyring | None = None) -> Anchor | None:
    """`current`, unless no row was written since the newest anchor (then None): what a server
    writes every few minutes (`api/anchoring.py`), so that an anchor always pins the recent rows
    without filling the log with anchors of an idle one."""
    row = await write_anchor_if_moved(ANCHOR_ACTOR)
    return _signed(row, ring or keyring()) if row is not None else None


def _signed(row: AuditEntry, ring: Keyring) -> Anchor:
    at = datetime.now(UTC).isoformat(timespec="seconds")
    sig = _signature(ring.signing_key, row.seq, row.hash, at, ring.current)
    return Anchor(row.seq, row.hash, at, ring.current, sig)


def parse(text: str, ring: Keyring | None = None) -> Anchor:
    """An anchor from its token, its signature checked (BadAnchor otherwise)."""
    ring = ring or keyring()
    try:
        raw = json.loads(text)
        anchor = Anchor(
            seq=int(raw["seq"]),
            hash=str(raw["hash"]),
            at=str(raw["at"]),
            key_id=str(raw["key_id"]),
            sig=str(raw["sig"]),
        )
    except (ValueError, TypeError, KeyError) as error:
        raise BadAnchor("不是有效的锚点 / not an anchor") from error
    key = ring.key(anchor.key_id)
    if key is None:
        raise BadAnchor(
            f"锚点的密钥 {anchor.key_id!r} 未配置 / the anchor's key {anchor.key_id!r} is not configured"
        )
    expected = _signature(key, anchor.seq, anchor.hash, anchor.at, anchor.key_id)
    if not hmac.compare_digest(expected, anchor.sig):
        raise BadAnchor("锚点签名无效（伪造或被改动）/ the anchor's signature is invalid (forged or altered)")
    return anchor


async def problem(anchor: Anchor) -> str | None:
    """Why the chain no longer matches the anchor, or None when it does."""
    if anchor.seq == 0:
        return None if anchor.hash == GENESIS else "锚点无效 / invalid anchor"
    row = await AuditEntry.filter(seq=anchor.seq).first().only("seq", "hash")
    if row is None:
        newest = await AuditEntry.all().order_by("-seq").first().only("seq")
        now = newest.seq if newest else 0
        return (
            f"审计链被截断：锚定的第 {anchor.seq} 条记录已不存在（现存最新为第 {now} 条）/ "
            f"the chain was truncated: anchored row {anchor.seq} is gone (newest now {now})"
        )
    if not hmac.compare_digest(row.hash, anchor.hash):
        return (
            f"锚定的第 {anchor.seq} 条记录的哈希与锚点不符（记录被改写）/ "
            f"row {anchor.seq} no longer has the anchored hash (rewritten)"
        )
    return None
