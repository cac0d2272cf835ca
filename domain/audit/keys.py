"""The audit chain's keys: each row's hash is an HMAC-SHA256 under a server-side key, so someone
who can write to the database but does not hold the key cannot rewrite rows and recompute a
consistent chain.

A keyring holds every key that may still be needed to verify old rows, by key id, and names the
one new rows are written with (the newest). Each row stores the id of the key it was hashed with.
Rows written before keys existed carry the id `sha256-legacy` and a plain SHA-256 (they verify as
they always did); once the first keyed row is written, a legacy row after it is refused, so the
chain cannot be downgraded row by row.

The keyring is process state, set once at start-up from the settings (`configure`), like the data
directory; until then it is the development keyring (a fixed, public key)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

LEGACY = "sha256-legacy"
DEV_KEY_ID = "dev"
DEV_KEY = "linzhi-development-audit-key-not-secret"
DERIVED_KEY_ID = "dev-secret"
SINGLE_KEY_ID = "1"
MIN_KEY_LENGTH = 32
KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,40}")


class KeyringError(ValueError):
    """A malformed key list (its message says what and where, without the key itself)."""


@dataclass(frozen=True)
class Keyring:
    keys: Mapping[str, bytes] = field(repr=False)
    current: str

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise KeyringError(f"no key with id {self.current!r}")

    def key(self, key_id: str) -> bytes | None:
        return self.keys.get(key_id)

    @property
    def signing_key(self) -> bytes:
        return self.keys[self.current]

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> Keyring:
        """From (id, key) pairs, oldest first: the last one writes."""
        listed = list(pairs)
        if not listed:
            raise KeyringError("至少需要一个审计密钥 / at least one audit key is needed")
        keys: dict[str, bytes] = {}
        for key_id, secret in listed:
            if not KEY_ID.fullmatch(key_id) or key_id == LEGACY:
                raise KeyringError(f"审计密钥 ID 不合法 / bad audit key id: {key_id!r}")
            if key_id in keys:
                raise KeyringError(f"审计密钥 ID 重复 / duplicate audit key id: {key_id!r}")
            keys[key_id] = secret.encode()
        return cls(keys, listed[-1][0])


def parse_keys(spec: str) -> list[tuple[str, str]]:
    """`LINZHI_AUDIT_KEYS`: `id:key,id:key`, oldest first (the last one writes new rows)."""
    pairs = []
    for number, entry in enumerate((part.strip() for part in spec.split(",")), start=1):
        if not entry:
            continue
        key_id, colon, secret = entry.partition(":")
        if not colon:
            raise KeyringError(f"第 {number} 项缺少“id:”前缀 / entry {number} is not id:key")
        pairs.append((key_id.strip(), secret.strip()))
    return pairs


def check_strength(pairs: Iterable[tuple[str, str]]) -> None:
    for key_id, secret in pairs:
        if len(secret) < MIN_KEY_LENGTH:
            raise KeyringError(
                f"审计密钥 {key_id!r} 太短（至少 {MIN_KEY_LENGTH} 个字符）/ audit key {key_id!r} is shorter "
                f"than {MIN_KEY_LENGTH} characters"
            )


def development_keys(secret_key: str | None) -> list[tuple[str, str]]:
    """Development without configured keys: the fixed development key, and — when a secret key is
    set — a key derived from it that writes new rows (the fixed key stays, to verify old ones)."""
    pairs = [(DEV_KEY_ID, DEV_KEY)]
    if secret_key:
        derived = hashlib.sha256(f"linzhi-audit-key\n{secret_key}".encode()).hexdigest()
        pairs.append((DERIVED_KEY_ID, derived))
    return pairs


_DEVELOPMENT = Keyring.of(development_keys(None))
_keyring = _DEVELOPMENT


def configure(keyring: Keyring) -> None:
    global _keyring
    _keyring = keyring


def keyring() -> Keyring:
    return _keyring
