"""Keyset pagination: a page costs the same whether it is the first or the thousandth.

Rows are ordered by a tuple of unique-together key fields, all ascending or all descending (newest
first); a cursor is the key tuple of a row. The API adapter turns keys into opaque cursors and back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from domain.errors import ErrorCode, ValidationError

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

M = TypeVar("M", bound=Model)
Key = tuple[Any, ...]


@dataclass(frozen=True)
class PageRequest:
    first: int | None = None
    after: Key | None = None
    last: int | None = None
    before: Key | None = None

    @property
    def backwards(self) -> bool:
        return self.last is not None and self.first is None

    @property
    def size(self) -> int:
        size = self.last if self.backwards else self.first
        return DEFAULT_PAGE_SIZE if size is None else size

    def validate(self) -> PageRequest:
        for name, value in (("first", self.first), ("last", self.last)):
            if value is not None and not 0 <= value <= MAX_PAGE_SIZE:
                raise ValidationError(
                    ErrorCode.INVALID,
                    f"{name} 须在 0 到 {MAX_PAGE_SIZE} 之间",
                    [name],
                )
        if self.first is not None and self.last is not None:
            raise ValidationError(ErrorCode.INVALID, "first 与 last 不能同时使用", ["last"])
        return self


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    has_next: bool
    has_previous: bool
    keys: tuple[str, ...]

    def key_of(self, item: M) -> Key:
        return tuple(getattr(item, field) for field in self.keys)


def keyset_past(keys: Sequence[str], values: Key, *, greater: bool) -> Q:
    """Rows strictly past `values` in (k1, k2, ...) order: greater than it, or less than it."""
    op = "gt" if greater else "lt"
    clauses = []
    for i, field in enumerate(keys):
        equal = {k: v for k, v in zip(keys[:i], values[:i], strict=True)}
        clauses.append(Q(**equal, **{f"{field}__{op}": values[i]}))
    past = Q(*clauses, join_type="OR")
    if len(keys) == 1:
        return past
    # The OR alone cannot seek an index; the redundant bound on the leading key lets an index on
    # the keys start at the cursor, so a deep page costs what the first one does.
    return Q(Q(**{f"{keys[0]}__{op}e": values[0]}), past)


async def keyset_page(
    queryset: QuerySet[M], keys: tuple[str, ...], request: PageRequest, *, descending: bool = False
) -> Page[M]:
    """One page of `queryset` in `keys` order (ascending, or descending: newest first), fetching
    one extra row to see past it. `after` moves along that order, `before` against it."""
    request.validate()
    qs = queryset
    if request.after is not None:
        qs = qs.filter(keyset_past(keys, request.after, greater=not descending))
    if request.before is not None:
        qs = qs.filter(keyset_past(keys, request.before, greater=descending))
    size = request.size
    forward = tuple(f"-{k}" if descending else k for k in keys)
    if request.backwards:
        against = tuple(k if descending else f"-{k}" for k in keys)
        rows = list(await qs.order_by(*against).limit(size + 1))
        has_more = len(rows) > size
        items = list(reversed(rows[:size]))
        return Page(items, has_next=request.before is not None, has_previous=has_more, keys=keys)
    rows = list(await qs.order_by(*forward).limit(size + 1))
    has_more = len(rows) > size
    return Page(rows[:size], has_next=has_more, has_previous=request.after is not None, keys=keys)


def slice_page(items: Sequence[M], keys: tuple[str, ...], request: PageRequest) -> Page[M]:
    """The same page as `keyset_page`, cut from an already ordered, bounded list in memory."""
    request.validate()

    def key(item: M) -> Key:
        return tuple(getattr(item, field) for field in keys)

    window = [
        item
        for item in items
        if (request.after is None or key(item) > request.after)
        and (request.before is None or key(item) < request.before)
    ]
    size = request.size
    if request.backwards:
        page = window[-size:] if size else []
        return Page(page, request.before is not None, len(window) > size, keys)
    return Page(window[:size], len(window) > size, request.after is not None, keys)
