"""Compiled read path mapping of the grid tree (see docs/compiler.md): GridCell -> grid_cell,
and the Query fields gridCells, gridCell and gridCellByCode."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql import FieldNode, GraphQLField

from api.compiler.connection import Keyset, connection
from api.compiler.mapping import Column, ToMany, ToOne, TypeMap, register, root
from api.compiler.planner import Builder, Env
from api.compiler.sql import Sql, invalid_argument
from api.schema.relay import node_pk, page_request
from domain.errors import DomainError
from domain.grids.codes import KIND_LABELS
from domain.grids.queries import code_prefix
from domain.leaders.models import LeaderStatus

GRID_CELL_COLUMNS = frozenset(
    {"id", "kind", "code", "name", "parent_id", "path", "depth", "households", "head_id", "retired"}
    | {"code_verified", "is_demo"}
)


def _active_leaders(b: Builder, alias: str) -> Sql:
    return Sql(f"{alias}.status <> '{LeaderStatus.WITHDRAWN.value}'")


GRID_CELL = register(
    TypeMap(
        name="GridCell",
        table="grid_cell",
        columns=GRID_CELL_COLUMNS,
        fields={
            "code": Column("code"),
            "name": Column("name"),
            "kind": Column("kind"),
            "kindLabel": Column("kind", labels=KIND_LABELS),
            "depth": Column("depth", "int"),
            "households": Column("households", "int"),
            "retired": Column("retired", "bool"),
            "codeVerified": Column("code_verified", "bool"),
            "isDemo": Column("is_demo", "bool"),
            "parent": ToOne("GridCell", "parent_id", nullable=True),
            # GridCell.leaders: `domain.leaders.queries.leaders_in_cells` (WITHDRAWN left out, by id)
            "leaders": ToMany("MicroLeader", "home_cell_id", where=_active_leaders, order=("id",)),
            "head": ToOne("Person", "head_id", nullable=True),  # PersonType.for_actor: masked per actor
        },
    )
)


def checked(fn: Any) -> Any:
    """Argument decoding that raises a user error on the resolver path falls back instead."""

    def run(env: Env) -> Any:
        try:
            return fn(env)
        except DomainError as error:
            raise invalid_argument(error) from error

    return run


def cached_path(cell_id: Any) -> Any:
    """SQL `? AND path = ?` for the guard that re-checks a subtree root's cached path (paths never
    change; the process cache may belong to another database)."""

    def check(env: Env) -> Sql:
        pk = cell_id(env)
        return Sql("?", (pk,)) + " AND path = " + Sql("?", (env.cell_paths(pk),))

    return check


def cells_filter(arguments: Any) -> Any:
    """`api.schema.grids.queries._domain_filter` + `domain.grids.queries._filtered` as filters."""

    def build(env: Env) -> list[Any]:
        f = arguments(env).get("filter") or {}
        parts: list[Any] = []
        if f.get("parent"):
            parts.append({"parent_id": node_pk(f["parent"], "GridCell", "filter.parent")})
        if f.get("kind"):
            parts.append({"kind__in": [f["kind"]]})
        if not f.get("includeRetired"):
            parts.append({"retired": False})
        search = (f.get("search") or "").strip()
        if search.isdigit():
            parts.append(code_prefix(search))
        elif search:
            parts.append({"name__contains": search})
        return parts

    return checked(build)


@root("gridCells")
def grid_cells(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    arguments = b.arguments(field_def, nodes[0])
    build = cells_filter(arguments)

    def where(alias: str) -> list[Sql]:
        rendered = b.q(build, alias, "grid_cell")
        return [rendered] if rendered is not None else []

    def page(env: Env) -> Any:
        a = arguments(env)
        return page_request(first=a["first"], after=a["after"], last=a["last"], before=a["before"])

    return connection(
        b,
        field_def,
        nodes,
        node_type="GridCell",
        table="grid_cell",
        where=where,
        keyset=Keyset((("code", "text"),)),
        page_of=page,
    )


@root("gridCell")
def grid_cell(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    arguments = b.arguments(field_def, nodes[0])
    pk = checked(lambda env: node_pk(arguments(env)["id"], "GridCell"))
    return b.single(
        "GridCell", nodes, lambda alias: f"{alias}.id = " + b.dyn(lambda env: Sql("?", (pk(env),)))
    )


@root("gridCellByCode")
def grid_cell_by_code(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    arguments = b.arguments(field_def, nodes[0])
    code = b.dyn(lambda env: Sql("?", (str(arguments(env)["code"]).strip(),)))
    return b.single("GridCell", nodes, lambda alias: f"{alias}.code = " + code)
