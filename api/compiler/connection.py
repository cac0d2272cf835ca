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

from api.compiler.planner import Builder, Env, Projection
from api.compiler.sql import Fallback, Sql, invalid_argument, join, literal
from api.schema.relay import page_request
from domain.errors import DomainError
from domain.pagination import PageRequest, keyset_past


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
    plan = ConnectionPlan.start(
        b, node_type=node_type, table=table, where=where, keyset=keyset, page_of=page_of, branches=branches
    )
    return plan.json(field_def, nodes)


def _bounds(
    b: Builder,
    keyset: Keyset,
    table: str,
    alias: str,
    page: Callable[[Env], PageRequest],
    has_after: bool,
    has_before: bool,
) -> list[Sql]:
    """The cursor bounds over `alias`: `domain.pagination.keyset_past`, the resolvers' own keyset
    predicate, past `after` and short of `before`."""
    names, descending = keyset.names, keyset.descending
    bounds: list[Sql | None] = []
    if has_after:
        bounds.append(
            b.q(lambda env: keyset_past(names, page(env).after or (), greater=not descending), alias, table)
        )
    if has_before:
        bounds.append(
            b.q(lambda env: keyset_past(names, page(env).before or (), greater=descending), alias, table)
        )
    return [bound for bound in bounds if bound is not None]


@dataclass
class ConnectionPlan:
    """One connection field being planned: what the request decided about its page (direction,
    cursor bounds) and the SQL pieces each part of the selection reads. `start` takes the
    decisions; then one method per part: the keyset page (`page_source`, `first_rows`,
    `page_rows`, `root_items`), the lists (`nodes`, `edges`), `page_info` with its `cursor`, and
    `total_count`.

    `branches` is None at the root, where the page is a materialized CTE (`cte`) read by every
    part; below the root every part re-reads the page as a correlated subquery: the union of one
    read per branch predicate over `base`."""

    b: Builder
    node_type: str
    table: str
    where: Callable[[str], list[Sql]]
    keyset: Keyset
    branches: Sequence[Callable[[str], Sql]] | None
    page: Callable[[Env], PageRequest]  # the request's page (computed once per request)
    backwards: bool
    has_after: bool
    has_before: bool
    base: str  # the alias of the table's row in the page's reads
    filters: list[Sql]  # the filter without the cursor bounds: what totalCount counts
    condition: Sql  # the filter with the cursor bounds
    plus_one: Sql  # the page size + 1: one row more, to see past the page
    cte: str = ""  # at the root: the page's CTE
    projection: Projection | None = None  # at the root: the CTE's columns, those its readers name

    @classmethod
    def start(
        cls,
        b: Builder,
        *,
        node_type: str,
        table: str,
        where: Callable[[str], list[Sql]],
        keyset: Keyset,
        page_of: Callable[[Env], PageRequest],
        branches: Sequence[Callable[[str], Sql]] | None,
    ) -> ConnectionPlan:
        """The page's decisions (direction, which cursors) and filter; at the root, its CTE."""
        checked = safe_page(page_of)

        def page(env: Env) -> PageRequest:
            request: PageRequest = env.once(("page", id(checked)), lambda: checked(env))
            return request

        backwards, has_after, has_before = b.decide(
            lambda env: (page(env).backwards, page(env).after is not None, page(env).before is not None)
        )
        base = b.alias()
        filters = where(base)
        conditions = list(filters) + _bounds(b, keyset, table, base, page, has_after, has_before)
        plan = cls(
            b=b,
            node_type=node_type,
            table=table,
            where=where,
            keyset=keyset,
            branches=branches,
            page=page,
            backwards=backwards,
            has_after=has_after,
            has_before=has_before,
            base=base,
            filters=filters,
            condition=join(conditions, " AND ") if conditions else Sql("1 = 1"),
            plus_one=b.dyn(lambda env: Sql("?", (page(env).size + 1,))),
        )
        if branches is None:
            plan.projection = Projection(base, keyset.names)
            b.projections.append(plan.projection)
            plan.cte = b.cte(plan.page_source())
        return plan

    # --- the keyset page ---------------------------------------------------------------------

    @property
    def fetch_desc(self) -> bool:
        """The order the page is read in: the keyset's, turned for a backwards page."""
        return self.keyset.descending != self.backwards

    def order(self, alias: str, descending: bool) -> str:
        return ", ".join(f"{alias}.{c} {'DESC' if descending else 'ASC'}" for c in self.keyset.names)

    def size(self) -> Sql:
        return self.b.dyn(lambda env: Sql("?", (self.page(env).size,)))

    def page_source(self) -> Sql:
        """At the root: the page's statement (one row more than the page), in the fetch order.
        Its `SELECT base.*` keeps only the columns the page's readers name (`Projection`)."""
        base = self.base
        return (
            f"SELECT {base}.* FROM {self.table} {base} WHERE "
            + self.condition
            + f" ORDER BY {self.order(base, self.fetch_desc)} LIMIT "
            + self.plus_one
        )

    def first_rows(self, limit: Sql) -> Sql:
        """Below the root: the first `limit` rows in the fetch order, one read per branch (each
        seeks its own index; a database merges the index-ordered reads). Branches are exclusive:
        at most one matches a parent row."""
        assert self.branches is not None
        base = self.base
        reads = [
            f"SELECT {base}.* FROM {self.table} {base} WHERE " + branch(base) + " AND " + self.condition
            for branch in self.branches
        ]
        order = ", ".join(f"{c} {'DESC' if self.fetch_desc else 'ASC'}" for c in self.keyset.names)
        return self.b.dialect.first_rows(reads, order, limit)

    def page_rows(self, alias: str) -> Sql:
        """Below the root: `FROM ... alias`, the page's rows in the forward order."""
        size = self.size()
        if self.fetch_desc == self.keyset.descending:
            return "FROM " + self.first_rows(size) + f" {alias}"
        turned = self.b.alias()
        return (
            "FROM (SELECT * FROM "
            + self.first_rows(size)
            + f" {turned} ORDER BY {self.order(turned, self.keyset.descending)}) {alias}"
        )

    def root_items(self, alias: str) -> Sql:
        """At the root: `FROM ... alias ORDER BY ...`, the page's rows (the CTE without its extra
        row) in the forward order."""
        inner = self.b.alias()
        assert self.projection is not None
        self.projection.aliases += [inner, alias]
        return (
            f"FROM (SELECT * FROM {self.cte} {inner} ORDER BY {self.order(inner, self.fetch_desc)} LIMIT "
            + self.size()
            + f") {alias} ORDER BY {self.order(alias, self.keyset.descending)}"
        )

    # --- the parts of the selection ------------------------------------------------------------

    def json(self, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
        """The connection object of the selection `nodes`."""
        connection_type = get_named_type(field_def.type)
        assert isinstance(connection_type, GraphQLObjectType)
        columns: list[tuple[str, Sql]] = []
        for key, name, field_nodes in self.b.collect(nodes, connection_type.name):
            if name == "__typename":
                columns.append((key, Sql(literal(connection_type.name))))
            elif name == "totalCount":
                columns.append((key, self.total_count()))
            elif name == "nodes":
                columns.append((key, self.nodes(field_nodes)))
            elif name == "edges":
                edge_type = get_named_type(connection_type.fields["edges"].type)
                columns.append((key, self.edges(edge_type.name, field_nodes)))
            elif name == "pageInfo":
                page_info_type = get_named_type(connection_type.fields["pageInfo"].type)
                columns.append((key, self.page_info(page_info_type.name, field_nodes)))
            else:
                raise Fallback(f"{connection_type.name}.{name} is not compilable")
        return self.obj(self.b.dialect.obj(columns))

    def obj(self, value: Sql) -> Sql:
        # A JSON object built in place needs no json() around it (SQLite keeps its JSON subtype
        # as a direct argument); below the root every level of nesting counts (SQLite's parser
        # stack bounds how deep a statement may nest).
        return value if self.branches is not None else self.b.nested(value)

    def listed(self, row: list[tuple[str, Sql]], alias: str) -> Sql:
        """A JSON list of `row` over the page's rows under `alias`, in the forward order."""
        d = self.b.dialect
        if self.branches is not None:
            return self.b.nested(
                d.in_order(row, self.page_rows(alias), self.order(alias, self.keyset.descending))
            )
        return self.b.nested(d.many(row, self.root_items(alias)))

    def nodes(self, field_nodes: Sequence[FieldNode]) -> Sql:
        alias = self.b.alias()
        return self.listed(self.b.object_columns(self.node_type, alias, field_nodes), alias)

    def edges(self, edge_type: str, field_nodes: Sequence[FieldNode]) -> Sql:
        b = self.b
        alias = b.alias()
        edge: list[tuple[str, Sql]] = []
        for key, name, edge_nodes in b.collect(field_nodes, edge_type):
            if name == "__typename":
                edge.append((key, Sql(literal(edge_type))))
            elif name == "cursor":
                edge.append((key, Sql(cursor_expr(b, self.keyset, alias))))
            elif name == "node":
                edge.append(
                    (key, self.obj(b.dialect.obj(b.object_columns(self.node_type, alias, edge_nodes))))
                )
            else:
                raise Fallback(f"{edge_type}.{name} is not compilable")
        return self.listed(edge, alias)

    def page_info(self, type_name: str, field_nodes: Sequence[FieldNode]) -> Sql:
        d = self.b.dialect
        info: list[tuple[str, Sql]] = []
        for key, name, _ in self.b.collect(field_nodes, "PageInfo"):
            if name == "__typename":
                info.append((key, Sql(literal(type_name))))
            elif name == "hasNextPage":
                has_before = Sql(d.boolean("1 = 1" if self.has_before else "1 = 0"))
                info.append((key, has_before if self.backwards else self.has_more()))
            elif name == "hasPreviousPage":
                has_after = Sql(d.boolean("1 = 1" if self.has_after else "1 = 0"))
                info.append((key, self.has_more() if self.backwards else has_after))
            elif name in ("startCursor", "endCursor"):
                info.append((key, self.cursor(last=name == "endCursor")))
            else:
                raise Fallback(f"PageInfo.{name} is not compilable")
        return self.obj(d.obj(info))

    def has_more(self) -> Sql:
        """Is there a row past the page (in the fetch order)?"""
        size = self.size()
        if self.branches is None:
            return Sql(
                self.b.dialect.boolean(f"(SELECT count(*) FROM {self.cte}) > {size.text}"), size.params
            )
        return self.b.dialect.exists_past(
            "FROM " + self.first_rows(self.plus_one) + f" {self.b.alias()}", size
        )

    def cursor(self, *, last: bool) -> Sql:
        """The cursor of the page's first (`startCursor`) or last (`endCursor`) row."""
        b, keyset, forward_desc = self.b, self.keyset, self.keyset.descending
        alias = b.alias()
        if self.branches is not None:
            size = self.size()
            return (
                f"(SELECT {cursor_expr(b, keyset, alias)} FROM "
                + self.first_rows(size)
                + f" {alias} ORDER BY {self.order(alias, forward_desc != last)} LIMIT 1)"
            )
        source = self.root_items(alias)
        one = b.alias()
        assert self.projection is not None
        self.projection.aliases.append(one)
        return (
            f"(SELECT {cursor_expr(b, keyset, one)} FROM (SELECT * "
            + source
            + f") {one} ORDER BY {self.order(one, forward_desc != last)} LIMIT 1)"
        )

    def total_count(self) -> Sql:
        """The filtered table without the cursor bounds: one count at the root, one per branch
        (added) below it."""
        table = self.table
        if self.branches is None:
            counted = self.b.alias()
            counted_where = self.where(counted)
            condition = join(counted_where, " AND ") if counted_where else Sql("1 = 1")
            return f"(SELECT count(*) FROM {table} {counted} WHERE " + condition + ")"
        filtered = join(self.filters, " AND ") if self.filters else Sql("1 = 1")
        base = self.base
        return join(
            [
                f"(SELECT count(*) FROM {table} {base} WHERE " + branch(base) + " AND " + filtered + ")"
                for branch in self.branches
            ],
            " + ",
        )
