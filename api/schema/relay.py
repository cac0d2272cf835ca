"""Shared GraphQL building blocks: Node lookups, opaque cursors, connections, user errors."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar, cast

import strawberry
from strawberry import relay
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.schema.types.base_scalars import DateTimeDefinition

from api.schema.limits import max_items
from domain.errors import ErrorCode, ValidationError
from domain.ids import parse_id
from domain.pagination import MAX_PAGE_SIZE, Key, Page, PageRequest

T = TypeVar("T")
N = TypeVar("N")

_CURSOR_PREFIX = "c1:"
_strawberry_date_time = cast(Callable[[object], object], DateTimeDefinition.parse_value)


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value  # a datetime is a date too


def encode_cursor(key: Key) -> str:
    raw = _CURSOR_PREFIX + json.dumps([_plain(v) for v in key], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


INT_KEY_MIN, INT_KEY_MAX = -(2**31), 2**31 - 1


def _typed(value: object, kind: type) -> object:
    """A cursor value of the expected type, or ValueError."""
    if kind is datetime and isinstance(value, str):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(value)
        try:  # a moment the databases can hold: year 1 at +14:00 is before 0001-01-01 in UTC
            moment.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError(value) from exc
        return moment
    if kind is date and isinstance(value, str):
        return date.fromisoformat(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        if not INT_KEY_MIN <= value <= INT_KEY_MAX:  # beyond every integer key column (int4)
            raise ValueError(value)
        return value
    if isinstance(value, kind) and not isinstance(value, bool):
        return value
    raise ValueError(value)


def decode_cursor(cursor: str | None, key_types: tuple[type, ...], argument: str) -> Key | None:
    """The key inside an opaque cursor; a malformed cursor is a user error, never a 500."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not raw.startswith(_CURSOR_PREFIX):
            raise ValueError(raw)
        values = json.loads(raw.removeprefix(_CURSOR_PREFIX))
        if not isinstance(values, list) or len(values) != len(key_types):
            raise ValueError(raw)
        return tuple(_typed(v, t) for v, t in zip(values, key_types, strict=True))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise ValidationError(ErrorCode.INVALID, f"{argument} 游标无效", [argument]) from exc


def page_request(
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    key_types: tuple[type, ...] = (str,),
) -> PageRequest:
    return PageRequest(
        first=first,
        after=decode_cursor(after, key_types, "after"),
        last=last,
        before=decode_cursor(before, key_types, "before"),
    ).validate()


def decode_global_id(value: str, argument: str = "id") -> relay.GlobalID:
    """A GlobalID from client input; a malformed one is a user error with a clear message."""
    try:
        return relay.GlobalID.from_id(value)
    except (relay.GlobalIDValueError, ValueError, TypeError) as exc:
        raise ValidationError(ErrorCode.INVALID, f"无效的 ID：{value}", [argument]) from exc


def node_pk(value: str, type_name: str, argument: str = "id") -> int:
    """The integer primary key of a global ID that must name a `type_name`."""
    gid = decode_global_id(value, argument)
    pk = parse_id(gid.node_id, type_name) if gid.type_name == type_name else None
    if pk is None:
        raise ValidationError(ErrorCode.INVALID, f"ID 不是{type_name}的 ID", [argument])
    return pk


def _parse_date_time(value: object) -> object:
    """strawberry's DateTime parsing and errors, refusing moments the databases cannot hold too: a
    zoned time is stored in UTC, and 0001-01-01T00:00+14:00 (or 9999-12-31T23:59-14:00) has no
    UTC datetime."""
    moment = _strawberry_date_time(value)
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        try:
            moment.astimezone(UTC)
        except OverflowError:
            message = f'Value cannot represent a DateTime: "{value}". 超出可表示的时间范围'
            raise StrawberryInputCoercionError(message) from None
    return moment


# Used for every `datetime` in the schema (`scalar_overrides`): the same name, description and
# serialization as strawberry's, so the SDL and the output are unchanged.
DATE_TIME = strawberry.scalar(
    name="DateTime",
    description="Date with time (isoformat)",
    serialize=datetime.isoformat,
    parse_value=_parse_date_time,
)


@strawberry.type(description="分页信息")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[N]):
    cursor: str
    node: N


@strawberry.type(description="Relay 连接：edges/nodes、分页信息与总数")
class Connection(Generic[N]):
    edges: list[Edge[N]] = strawberry.field(metadata=max_items(MAX_PAGE_SIZE, page=True))
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(metadata=max_items(MAX_PAGE_SIZE, page=True))
    def nodes(self) -> list[N]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="满足筛选条件的总数（不受分页影响）")
    async def total_count(self) -> int:
        return await self.count()


def build_connection(
    page: Page[Any], convert: Callable[[Any], N], count: Callable[[], Awaitable[int]]
) -> Connection[N]:
    edges = [Edge(cursor=encode_cursor(page.key_of(item)), node=convert(item)) for item in page.items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=count,
    )


MAX_FIELD_PATH = 8  # `UserError.field`: input, its field, an index, a nested field ... (cut at this)
# A payload reports the domain error that stopped it, or each bad input of a form-sized input
# (`ValidationErrors`), at most this many (`to_user_errors` cuts there).
MAX_USER_ERRORS = 20
USER_ERRORS = max_items(MAX_USER_ERRORS)


@strawberry.interface(description="可预期的业务错误：字段路径、中文提示与错误码")
class UserError:
    field: list[str] | None = strawberry.field(metadata=max_items(MAX_FIELD_PATH))
    message: str
