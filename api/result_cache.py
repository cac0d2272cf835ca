"""The result cache of the compiled read path: public answers keyed by the versions of the tables
they read (issue 16, docs/compiler.md "Result cache").

An anonymous request's answer depends on the document, the operation name, the variables, the
day (rules for anonymous readers read `clock.today()`: see the rule memo) and the rows of the
tables its statement reads, and on nothing else. The plan's SQL names those tables, and the
database moves a table's version on every committed write to it (`domain/versions.py`, triggers).
So the key is

    (dialect, document, operation, variables, day) + the epoch + each read table's version

and an entry never needs invalidating: a write changes the key. Every cacheable request reads the
versions (one small statement) *before* the answer's statement runs, and a miss stores its answer
under those: a write committing in between leaves the entry under versions already superseded (a
later reader misses), never a stale answer under current versions.

Readers with an account always bypass the cache (their answer depends on who they are). Stores: a
per-process LRU bounded in bytes, or Redis shared by every worker and instance (`LINZHI_CACHE`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Protocol

from api.compiler.planner import Plan
from domain import clock, versions
from domain import sql as domain_sql
from domain.access import Actor
from domain.db import unavailable_reason

log = logging.getLogger("linzhi.cache")

OFF, MEMORY, REDIS = "off", "memory", "redis"
MODES = (OFF, MEMORY, REDIS)
HIT, MISS, BYPASS = "hit", "miss", "bypass"
READ_SETS = 4096  # documents whose read tables a process remembers
REDIS_TTL_SECONDS = 24 * 3600  # an entry nobody reads for a day goes (its key may still be current)
_TABLE_NAME = re.compile(
    r"\b(" + "|".join(sorted((*versions.VERSIONED, *versions.UNVERSIONED), key=len, reverse=True)) + r")\b"
)


_SCANNED: dict[str, frozenset[str] | None] = {}  # statement text -> its read set (str hashes are cached)


def read_set(plan: Plan) -> frozenset[str] | None:
    """The tables a plan's statement reads (every table name it mentions: more is only less
    sharing), or None when it reads one that has no version (uncacheable). A static plan reads
    nothing: None too (it costs no statement, there is nothing to save). Kept per plan: scanning
    a large statement's text costs a good part of a millisecond."""
    if plan.static is not None:
        return None
    if plan.sql in _SCANNED:
        return _SCANNED[plan.sql]
    tables: frozenset[str] | None = frozenset(_TABLE_NAME.findall(plan.sql))
    if tables is not None and tables & versions.UNVERSIONED:
        tables = None
    if len(_SCANNED) >= READ_SETS:
        del _SCANNED[next(iter(_SCANNED))]
    _SCANNED[plan.sql] = tables
    return tables


class Store(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes) -> None: ...
    async def close(self) -> None: ...


class MemoryStore:
    """Least recently used first out, bounded by the bytes of the answers kept."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.entries: OrderedDict[str, bytes] = OrderedDict()

    async def get(self, key: str) -> bytes | None:
        value = self.entries.get(key)
        if value is not None:
            self.entries.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes) -> None:
        if len(value) > self.max_bytes:
            return
        old = self.entries.pop(key, None)
        if old is not None:
            self.bytes -= len(old)
        self.entries[key] = value
        self.bytes += len(value)
        while self.bytes > self.max_bytes:
            _, evicted = self.entries.popitem(last=False)
            self.bytes -= len(evicted)

    async def close(self) -> None:
        return None


class RedisStore:
    """One key per entry, expiring after a day unread; Redis's own memory policy bounds the rest."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis.asyncio

        self.client: Any = redis.asyncio.Redis.from_url(url)
        self.prefix = prefix

    async def get(self, key: str) -> bytes | None:
        value: bytes | None = await self.client.get(self.prefix + key)
        return value

    async def set(self, key: str, value: bytes) -> None:
        await self.client.set(self.prefix + key, value, ex=REDIS_TTL_SECONDS)

    async def close(self) -> None:
        await self.client.aclose()


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    not_modified: int = 0
    bypassed: int = 0


@dataclass
class Lookup:
    """One request's way through the cache: `status` hit / miss / bypass; `data` on a hit."""

    status: str
    request_key: str = ""
    versions: dict[str, int] = field(default_factory=dict)
    key: str | None = None  # the full key, when the read tables are known
    data: str | None = None
    plan: Plan | None = None

    def saw(self, plan: Plan) -> None:
        self.plan = plan

    @property
    def etag(self) -> str | None:
        return None if self.key is None else '"' + self.key[:32] + '"'


class ResultCache:
    def __init__(
        self, mode: str = OFF, *, max_bytes: int = 64 * 1024 * 1024, store: Store | None = None
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"cache mode {mode!r}")
        self.mode = mode
        self.store: Store | None = None if mode == OFF else (store or MemoryStore(max_bytes))
        self.read_sets: OrderedDict[str, frozenset[str] | None] = OrderedDict()
        self.stats = CacheStats()
        self._warned = False

    @property
    def on(self) -> bool:
        return self.store is not None

    def applies(self, actor: Actor) -> bool:
        """Only anonymous readers (public answers) are cached."""
        return self.on and actor.is_anonymous

    async def lookup(
        self, query: str, operation_name: str | None, variables: dict[str, Any] | None
    ) -> Lookup:
        """Read the versions (one statement) and, when the document's read tables are known, the
        entry under the current ones."""
        request_key = self.request_key(query, operation_name, variables)
        known = request_key in self.read_sets
        tables = self.read_sets.get(request_key)
        if known and tables is None:
            self.stats.bypassed += 1
            return Lookup(BYPASS)  # uncacheable, or static: no versions needed
        try:
            current = await versions.read()
        except Exception as error:
            if unavailable_reason(error) is not None:
                raise  # the database is unreachable: 503, as on every path
            current = {}  # no versions table (a database not migrated to 0020)
        if versions.EPOCH not in current:
            self._warn_unversioned()
            self.stats.bypassed += 1
            return Lookup(BYPASS)
        lookup = Lookup(MISS, request_key, current)
        if tables is not None:
            self.read_sets.move_to_end(request_key)
            lookup.key = self.full_key(request_key, tables, current)
            if lookup.key is not None:
                assert self.store is not None
                cached = await self.store.get(lookup.key)
                if cached is not None:
                    lookup.status, lookup.data = HIT, cached.decode()
                    self.stats.hits += 1
        return lookup

    async def store_answer(self, lookup: Lookup, data: str) -> None:
        """After a miss: remember the plan's read tables, and the answer under the versions read
        before its statement ran."""
        if lookup.status != MISS or lookup.plan is None or self.store is None:
            return
        tables = read_set(lookup.plan)
        self.read_sets[lookup.request_key] = tables
        self.read_sets.move_to_end(lookup.request_key)
        if len(self.read_sets) > READ_SETS:
            self.read_sets.popitem(last=False)
        if tables is None:
            lookup.status = BYPASS
            self.stats.bypassed += 1
            return
        lookup.key = self.full_key(lookup.request_key, tables, lookup.versions)
        if lookup.key is None:
            lookup.status = BYPASS
            self.stats.bypassed += 1
            return
        self.stats.misses += 1
        await self.store.set(lookup.key, data.encode())

    def fell_back(self, lookup: Lookup) -> None:
        """The compiled path could not answer (strawberry does): later requests for the same
        document and variables skip the cache instead of reading versions for nothing."""
        if lookup.request_key and lookup.status == MISS:
            self.read_sets[lookup.request_key] = None
            if len(self.read_sets) > READ_SETS:
                self.read_sets.popitem(last=False)

    def request_key(self, query: str, operation_name: str | None, variables: dict[str, Any] | None) -> str:
        text = json.dumps(
            [domain_sql.dialect(), query, operation_name, variables or {}, clock.today().isoformat()],
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(text.encode()).hexdigest()

    @staticmethod
    def full_key(request_key: str, tables: frozenset[str], current: dict[str, int]) -> str | None:
        """The request's key with the epoch and its tables' versions; None when a table has no
        version row (created after the versions were installed: re-run `versions.install`)."""
        if not tables <= current.keys():
            return None
        parts = [request_key, str(current[versions.EPOCH])] + [f"{t}={current[t]}" for t in sorted(tables)]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

    def _warn_unversioned(self) -> None:
        if not self._warned:
            log.warning("result cache bypassed: the database has no table versions (run `linzhi migrate`)")
            self._warned = True

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()
