"""Relay connections with keyset paging, as SQL: the same page, cursors and pageInfo as
`domain.pagination.keyset_page` + `api.schema.relay.build_connection`.

At the root, the page (one extra row to see past it) is a materialized CTE read by `nodes`,
`edges` and `pageInfo`; `totalCount` counts the filtered table without the cursor bounds.

Below the root (a connection per row of a parent, e.g. `GridCell.children`), the page is a
correlated subquery over the parent row instead (SQLite has no LATERAL): `nodes`, `edges` and
`pageInfo` each re-read it (a small, LIMITed, indexed read). Such a page may be the union of
*branches*, each an extra predicate over the row (typically gated on a column of the parent, e.g.
its depth), so that each branch can seek its own index; at most one branch should match.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import FieldNode, GraphQLField, GraphQLObjectType, get_named_type

from api.compiler.planner import Builder, Env
from api.compiler.sql import Fallback, Sql, invalid_argument, join, literal
from api.schema.relay import page_request
from domain.errors import DomainError
from domain.pagination import PageRequest, _past


@dataclass(frozen=True)
class Keyset:
    columns: tuple[tuple[str, str], ...]  # (column, kind: text | int | datetime)
    descending: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)


def safe_page(page: Callable[[Env], PageRequest]) -> Callable[[Env], PageRequest]:
    """Invalid paging arguments are the resolvers' user errors: fall back so they report them."""

    def checked(env: Env) -> PageRequest:
        try:
            return page(env)
        except DomainError as error:
            raise invalid_argument(error) from error

    return checked


def relay_page(
    arguments: Callable[[Env], dict[str, Any]], key_types: tuple[type, ...] = (str,)
) -> Callable[[Env], PageRequest]:
    """The page a Relay connection field asks for (`api.schema.relay.page_request` over its
    first/after/last/before arguments, those it does not declare being absent)."""

    def page(env: Env) -> PageRequest:
        a = arguments(env)
        return page_request(
            first=a.get("first"),
            after=a.get("after"),
            last=a.get("last"),
            before=a.get("before"),
            key_types=key_types,
        )

    return page


def cursor_expr(b: Builder, keyset: Keyset, alias: str) -> str:
    d = b.dialect
    parts = []
    for column, kind in keyset.columns:
        expr = f"{alias}.{column}"
        if kind == "datetime":
            parts.append(d.json_quote(d.iso(expr)))
        elif kind == "text":
            parts.append(d.json_quote(expr))
        else:
            parts.append(f"CAST({expr} AS TEXT)")
    return d.b64url("'c1:[' || " + " || ',' || ".join(parts) + " || ']'")


def connection(
    b: Builder,
    field_def: GraphQLField,
    nodes: Sequence[FieldNode],
    *,
    node_type: str,
    table: str,
    where: Callable[[str], list[Sql]],
    keyset: Keyset,
    page_of: Callable[[Env], PageRequest],
    branches: Sequence[Callable[[str], Sql]] | None = None,
) -> Sql:
    """The connection's JSON. `where(alias)` is the filter over the table's row; `branches` (None
    at the root) makes the page a correlated subquery: the union of one read per branch
    predicate (over the same row alias), each with the filter and the cursor bounds."""
    checked = safe_page(page_of)

    def page(env: Env) -> PageRequest:
        request: PageRequest = env.once(("page", id(checked)), lambda: checked(env))
        return request

    d = b.dialect
    backwards, has_after, has_before = b.decide(
        lambda env: (page(env).backwards, page(env).after is not None, page(env).before is not None)
    )
    base = b.alias()
    conditions = where(base)
    filters = list(conditions)  # without the cursor bounds: what totalCount counts
    names = keyset.names
    if has_after:
        after = b.q(
            lambda env: _past(names, page(env).after or (), greater=not keyset.descending), base, table
        )
        if after is not None:
            conditions.append(after)
    if has_before:
        before = b.q(lambda env: _past(names, page(env).before or (), greater=keyset.descending), base, table)
        if before is not None:
            conditions.append(before)
    forward_desc = keyset.descending

    def order(alias: str, descending: bool) -> str:
        return ", ".join(f"{alias}.{c} {'DESC' if descending else 'ASC'}" for c in names)

    fetch_desc = forward_desc != backwards
    condition = join(conditions, " AND ") if conditions else Sql("1 = 1")
    plus_one = b.dyn(lambda env: Sql("?", (page(env).size + 1,)))
    cte = ""
    if branches is None:
        cte = b.cte(
            f"SELECT {base}.* FROM {table} {base} WHERE "
            + condition
            + f" ORDER BY {order(base, fetch_desc)} LIMIT "
            + plus_one
        )

    def limited(limit: Sql) -> Sql:
        """Below the root: the first `limit` rows in the fetch order, one read per branch (each
        seeks its own index; a database merges the index-ordered reads). Branches are exclusive:
        at most one matches a parent row."""
        assert branches is not None
        reads = [
            f"SELECT {base}.* FROM {table} {base} WHERE " + branch(base) + " AND " + condition
            for branch in branches
        ]
        return d.first_rows(reads, ", ".join(f"{c} {'DESC' if fetch_desc else 'ASC'}" for c in names), limit)

    def obj(value: Sql) -> Sql:
        # A JSON object built in place needs no json() around it (SQLite keeps its JSON subtype
        # as a direct argument); below the root every level of nesting counts (SQLite's parser
        # stack bounds how deep a statement may nest).
        return value if branches is not None else b.nested(value)

    def page_rows(alias: str) -> Sql:
        """Below the root: `FROM ... alias`, the page's rows in the forward order."""
        size = b.dyn(lambda env: Sql("?", (page(env).size,)))
        if fetch_desc == forward_desc:
            return "FROM " + limited(size) + f" {alias}"
        turned = b.alias()
        return (
            "FROM (SELECT * FROM "
            + limited(size)
            + f" {turned} ORDER BY {order(turned, forward_desc)}) {alias}"
        )

    def listed(row: list[tuple[str, Sql]], alias: str) -> Sql:
        if branches is not None:
            return b.nested(d.in_order(row, page_rows(alias), order(alias, forward_desc)))
        return b.nested(d.many(row, items(alias)))

    def items(alias: str) -> Sql:
        inner = b.alias()
        size = b.dyn(lambda env: Sql("?", (page(env).size,)))
        return (
            f"FROM (SELECT * FROM {cte} {inner} ORDER BY {order(inner, fetch_desc)} LIMIT "
            + size
            + f") {alias} ORDER BY {order(alias, forward_desc)}"
        )

    def has_more() -> Sql:
        size = b.dyn(lambda env: Sql("?", (page(env).size,)))
        if branches is None:
            return Sql(d.boolean(f"(SELECT count(*) FROM {cte}) > {size.text}"), size.params)
        return d.exists_past("FROM " + limited(plus_one) + f" {b.alias()}", size)

    def total() -> Sql:
        if branches is None:
            counted = b.alias()
            counted_where = where(counted)
            condition = join(counted_where, " AND ") if counted_where else Sql("1 = 1")
            return f"(SELECT count(*) FROM {table} {counted} WHERE " + condition + ")"
        filtered = join(filters, " AND ") if filters else Sql("1 = 1")
        return join(
            [
                f"(SELECT count(*) FROM {table} {base} WHERE " + branch(base) + " AND " + filtered + ")"
                for branch in branches
            ],
            " + ",
        )

    connection_type = get_named_type(field_def.type)
    assert isinstance(connection_type, GraphQLObjectType)
    edge_type = get_named_type(connection_type.fields["edges"].type)
    page_info_type = get_named_type(connection_type.fields["pageInfo"].type)
    columns: list[tuple[str, Sql]] = []
    for key, name, field_nodes in b.collect(nodes, connection_type.name):
        if name == "__typename":
            columns.append((key, Sql(literal(connection_type.name))))
        elif name == "totalCount":
            columns.append((key, total()))
        elif name == "nodes":
            alias = b.alias()
            row = b.object_columns(node_type, alias, field_nodes)
            columns.append((key, listed(row, alias)))
        elif name == "edges":
            alias = b.alias()
            edge: list[tuple[str, Sql]] = []
            for edge_key, edge_name, edge_nodes in b.collect(field_nodes, edge_type.name):
                if edge_name == "__typename":
                    edge.append((edge_key, Sql(literal(edge_type.name))))
                elif edge_name == "cursor":
                    edge.append((edge_key, Sql(cursor_expr(b, keyset, alias))))
                elif edge_name == "node":
                    edge.append((edge_key, obj(d.obj(b.object_columns(node_type, alias, edge_nodes)))))
                else:
                    raise Fallback(f"{edge_type.name}.{edge_name} is not compilable")
            columns.append((key, listed(edge, alias)))
        elif name == "pageInfo":
            info: list[tuple[str, Sql]] = []
            for info_key, info_name, _ in b.collect(field_nodes, "PageInfo"):
                if info_name == "__typename":
                    info.append((info_key, Sql(literal(page_info_type.name))))
                elif info_name == "hasNextPage":
                    info.append(
                        (
                            info_key,
                            Sql(d.boolean("1 = 1" if has_before else "1 = 0")) if backwards else has_more(),
                        )
                    )
                elif info_name == "hasPreviousPage":
                    info.append(
                        (
                            info_key,
                            has_more() if backwards else Sql(d.boolean("1 = 1" if has_after else "1 = 0")),
                        )
                    )
                elif info_name in ("startCursor", "endCursor"):
                    alias = b.alias()
                    last = info_name == "endCursor"
                    if branches is not None:
                        size = b.dyn(lambda env: Sql("?", (page(env).size,)))
                        value = (
                            f"(SELECT {cursor_expr(b, keyset, alias)} FROM "
                            + limited(size)
                            + f" {alias} ORDER BY {order(alias, forward_desc != last)} LIMIT 1)"
                        )
                        info.append((info_key, value))
                        continue
                    source = items(alias)
                    one = b.alias()
                    value = (
                        f"(SELECT {cursor_expr(b, keyset, one)} FROM (SELECT {alias}.* "
                        + source
                        + f") {one} ORDER BY {order(one, forward_desc != last)} LIMIT 1)"
                    )
                    info.append((info_key, value))
                else:
                    raise Fallback(f"PageInfo.{info_name} is not compilable")
            columns.append((key, obj(d.obj(info))))
        else:
            raise Fallback(f"{connection_type.name}.{name} is not compilable")
    return obj(d.obj(columns))
