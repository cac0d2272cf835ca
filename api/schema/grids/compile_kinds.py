"""Compiled read path: `gridKinds`, a constant list (`GridKind` and its zh-CN labels, in
declaration order as the resolver lists them). Kept apart from `compile.py` only so that the two
can change independently; it reads no table."""

from __future__ import annotations

from collections.abc import Sequence

from graphql import FieldNode, GraphQLField, GraphQLObjectType, get_named_type

from api.compiler.mapping import root
from api.compiler.planner import Builder
from api.compiler.sql import Fallback, Sql, literal
from domain.grids.codes import GridKind


@root("gridKinds")
def grid_kinds(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    info_type = get_named_type(field_def.type)
    assert isinstance(info_type, GraphQLObjectType)
    items: list[Sql] = []
    for kind in GridKind:
        columns: list[tuple[str, Sql]] = []
        for key, name, _ in b.collect(nodes, info_type.name):
            if name == "__typename":
                columns.append((key, Sql(literal(info_type.name))))
            elif name == "kind":
                columns.append((key, Sql(literal(kind.value))))
            elif name == "label":
                columns.append((key, Sql(literal(kind.label))))
            else:
                raise Fallback(f"{info_type.name}.{name} is not compilable")
        items.append(b.dialect.obj(columns))
    return b.nested(b.dialect.array(items))
