"""`node(id:)` and `nodes(ids:)`: any entity by its global ID, through the same loaders and
visibility checks as the typed fields."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry import relay

from api.schema.domains import node_resolvers
from api.schema.info import Info
from api.schema.limits import max_items
from api.schema.relay import decode_global_id
from domain.errors import ErrorCode, ValidationError
from domain.ids import parse_id

MAX_NODES = 100

Resolver = Callable[[Info, int], Awaitable[Any]]

# By type name, from the registry (each domain's `Domain.nodes`).
RESOLVERS: dict[str, Resolver] = node_resolvers()


def node_key(value: str, argument: str) -> tuple[str, int] | None:
    """(type name, primary key) of a global ID; None when it can name no row `node` resolves (an
    unknown type, a key that is not a whole number in its column's range). A malformed ID is a
    user error. The compiled read path decodes with this too."""
    gid = decode_global_id(value, argument)
    pk = parse_id(gid.node_id, gid.type_name)
    if gid.type_name not in RESOLVERS or pk is None:
        return None
    return gid.type_name, pk


async def resolve_node(info: Info, value: str, argument: str) -> relay.Node | None:
    key = node_key(value, argument)
    if key is None:
        return None
    node: relay.Node | None = await RESOLVERS[key[0]](info, key[1])
    return node


@strawberry.type
class NodeQueries:
    @strawberry.field(description="按全局 ID 获取任意对象")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return await resolve_node(info, id, "id")

    @strawberry.field(
        description="按全局 ID 批量获取对象（最多 100 个），顺序与输入一致",
        metadata=max_items(MAX_NODES, sized_by="ids"),
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        if len(ids) > MAX_NODES:
            raise ValidationError(ErrorCode.INVALID, f"一次最多查询 {MAX_NODES} 个 ID", ["ids"])
        # Gathered, so each type's DataLoader batches the whole list into one statement.
        return list(await asyncio.gather(*(resolve_node(info, value, "ids") for value in ids)))
