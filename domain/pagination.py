"""Keyset pagination: a page costs the same whether it is the first or the thousandth.

Rows are ordered by a tuple of unique-together key fields; a cursor is the key tuple of a row.
The API adapter turns keys into opaque cursors and back.
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


def _after(keys: Sequence[str], values: Key) -> Q:
    """Rows strictly after `values` in ascending (k1, k2, ...) order, as OR-ed Q objects."""
    clauses = []
    for i, field in enumerate(keys):
        equal = {k: v for k, v in zip(keys[:i], values[:i], strict=True)}
        clauses.append(Q(**equal, **{f"{field}__gt": values[i]}))
    return Q(*clauses, join_type="OR")


def _before(keys: Sequence[str], values: Key) -> Q:
    clauses = []
    for i, field in enumerate(keys):
        equal = {k: v for k, v in zip(keys[:i], values[:i], strict=True)}
        clauses.append(Q(**equal, **{f"{field}__lt": values[i]}))
    return Q(*clauses, join_type="OR")


async def keyset_page(queryset: QuerySet[M], keys: tuple[str, ...], request: PageRequest) -> Page[M]:
    """One page of `queryset` in ascending `keys` order, fetching one extra row to see past it."""
    request.validate()
    qs = queryset
    if request.after is not None:
        qs = qs.filter(_after(keys, request.after))
    if request.before is not None:
        qs = qs.filter(_before(keys, request.before))
    size = request.size
    if request.backwards:
        rows = list(await qs.order_by(*(f"-{k}" for k in keys)).limit(size + 1))
        has_more = len(rows) > size
        items = list(reversed(rows[:size]))
        return Page(items, has_next=request.before is not None, has_previous=has_more, keys=keys)
    rows = list(await qs.order_by(*keys).limit(size + 1))
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
