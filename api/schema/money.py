"""Money in the schema: integer fen in the `Fen` scalar, a JSON integer exact up to 2^53 − 1, so
an amount beyond 21 million yuan does not overflow GraphQL's 32-bit `Int`. Shared by every domain
that handles money (venture funding now, the competitions next); registered once in
`api.schema.build_schema` (`scalar_overrides`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NewType

import strawberry
from strawberry.exceptions import StrawberryInputCoercionError

MAX_SAFE = 2**53 - 1  # the largest integer every JSON client reads exactly


def _parse_fen(value: object) -> int:
    """A whole number of fen a JSON client reads exactly; anything else is the client's mistake
    (a request error naming the value, never a server error)."""
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_SAFE:
        message = f'Value cannot represent a Fen: "{value}". 金额须为整数（分），绝对值不超过 {MAX_SAFE}'
        raise StrawberryInputCoercionError(message)
    return value


# Plain `int` for the type checker, the `Fen` scalar for the schema.
if TYPE_CHECKING:
    FenType = int
else:
    FenType = NewType("Fen", int)

FEN = strawberry.scalar(
    name="Fen",
    description="金额，单位为分（整数，JSON 数字；不受 32 位 Int 的 2147483647 限制）",
    serialize=int,
    parse_value=_parse_fen,
)
