"""`node(id:)` and `nodes(ids:)`: dispatch on the global ID's type, like `api.schema.node`.
Types without a mapping here (Person: a lookup by ID is for staff and oneself) make the operation
fall back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql import FieldNode, GraphQLField

from api.compiler.mapping import root
from api.compiler.planner import Builder, Env
from api.compiler.sql import Fallback, Sql, invalid_argument
from api.schema.domains import compiled_node_types
from api.schema.node import MAX_NODES, node_key
from domain.errors import DomainError

COMPILED_NODE_TYPES = compiled_node_types()  # each domain's `Domain.compiled_nodes`


def _decoded(value: str, argument: str) -> tuple[str | None, int]:
    """(type name, pk) of a global ID, type None when `node` answers null for it."""
    try:
        key = node_key(value, argument)
    except DomainError as error:
        raise invalid_argument(error) from error
    if key is None:
        return None, 0
    if key[0] not in COMPILED_NODE_TYPES:
        raise Fallback(f"node of type {key[0]} is not compilable")
    return key


def _one(b: Builder, nodes: Sequence[FieldNode], type_name: str | None, pk: Any) -> Sql:
    if type_name is None:
        return Sql("NULL")
    return b.single(
        type_name, nodes, lambda alias: f"{alias}.id = " + b.dyn(lambda env: Sql("?", (pk(env),)))
    )


@root("node")
def node(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    arguments = b.arguments(field_def, nodes[0])

    def decoded(env: Env) -> tuple[str | None, int]:
        return _decoded(arguments(env)["id"], "id")

    type_name = b.decide(lambda env: decoded(env)[0])
    return _one(b, nodes, type_name, lambda env: decoded(env)[1])


@root("nodes")
def nodes_(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    arguments = b.arguments(field_def, nodes[0])

    def decoded(env: Env) -> list[tuple[str | None, int]]:
        ids = arguments(env)["ids"]
        if len(ids) > MAX_NODES:
            raise Fallback("invalid argument (ids: too many)")
        return [_decoded(value, "ids") for value in ids]

    types = b.decide(lambda env: [t for t, _ in decoded(env)])
    items = [
        _one(b, nodes, type_name, lambda env, i=i: decoded(env)[i][1]) for i, type_name in enumerate(types)
    ]
    return b.nested(b.dialect.array(items))
