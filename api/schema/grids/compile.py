"""Compiled read path mapping of the grid tree (see docs/compiler.md): GridCell -> grid_cell
(with its nested `children` connection, `ancestors` and `subtree`; other domains extend it:
`leaders`, `activities`), and the Query fields gridCells, gridCell and gridCellByCode."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from graphql import FieldNode, GraphQLField, GraphQLObjectType, get_named_type

from api.compiler.connection import Keyset, connection, relay_page
from api.compiler.mapping import Column, Nested, ToOne, TypeMap, register, root
from api.compiler.planner import Builder, labels, plain_objects
from api.compiler.roots import connection_root
from api.compiler.sql import Dialect, Fallback, Sql, literal, param
from api.schema.grids.queries import decode_cells_filter
from domain.activities.models import LEVEL_COLUMNS
from domain.grids import queries
from domain.grids.codes import KIND_LABELS, GridKind
from domain.grids.models import MICRO_GRID_DEPTH, PATH_SEGMENT

GRID_CELL_COLUMNS = frozenset(
    {"id", "kind", "code", "name", "parent_id", "path", "depth", "households", "head_id", "retired"}
    | {"code_verified", "is_demo", "households_estimated"}
)


PAGING = frozenset({"first", "after", "last", "before"})
CELL_KEYSET = Keyset((("code", "text"),))  # domain.grids.queries.CELL_ORDER
MAX_PATH_SEGMENTS = 8  # grid_cell.path holds PATH_SEGMENT * 8 characters


def _pad(d: Dialect, expr: str) -> str:
    """`f"{n:08d}"` (`domain.grids.models.path_segment`) of an integer expression."""
    if d.name == "postgres":
        return f"lpad(CAST({expr} AS TEXT), {PATH_SEGMENT}, '0')"
    return f"printf('%0{PATH_SEGMENT}d', {expr})"


def subtree_upper(d: Dialect, cell: str) -> str:
    """The upper bound of `domain.grids.models.subtree_range(path)` for the row `cell`: its path's
    last segment is its own id (after `depth` segments), so `str(int(path) + 1).zfill(len(path))`
    is the path with that segment replaced by id + 1."""
    # (no parentheses: `||` binds tighter than comparisons on both databases, and SQLite's parser
    # stack bounds how deep a statement nests)
    return f"substr({cell}.path, 1, {cell}.depth * {PATH_SEGMENT}) || {_pad(d, f'{cell}.id + 1')}"


def _children(b: Builder, cell: str, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    """`GridCellType.children`: the loader `children_by_parent` (active children in code order)
    cut by `slice_page` with CELL_ORDER; the same page, cursors and totalCount as a keyset read."""
    arguments = b.arguments(field_def, nodes[0])

    return connection(
        b,
        field_def,
        nodes,
        node_type="GridCell",
        table="grid_cell",
        where=b.ruled(lambda env: (), queries.active_cells, "grid_cell"),
        keyset=CELL_KEYSET,
        page_of=relay_page(arguments),
        branches=[lambda child: Sql(f"{child}.parent_id = {cell}.id")],
    )


def subtree_branches(
    b: Builder, cell: str, micro_grid: Callable[[str], Sql | None] | None = None
) -> list[Callable[[str], Sql]]:
    """`domain.activities.models.in_subtree(path)` over an activity row, for a subtree root that
    is a row of the statement: one branch per level, gated on the root's depth, each the level's
    indexed predicate (town_id / unit_id / grid_id, the cell itself for a micro-grid, the path
    range otherwise, e.g. for the city). `micro_grid(row)`: a further condition on the
    micro-grid's branch (`domain.activities.policy.subtree_filter`)."""

    def level(depth: int, column: str) -> Callable[[str], Sql]:
        return lambda row: Sql(f"{cell}.depth = {depth} AND {row}.{column} = {cell}.id")

    def micro(row: str) -> Sql:
        branch = level(MICRO_GRID_DEPTH, "cell_id")(row)
        extra = micro_grid(row) if micro_grid else None
        return branch if extra is None else branch + " AND " + extra

    branches = [level(depth, column) for depth, column in LEVEL_COLUMNS.items()]
    branches.append(micro)
    levels = ", ".join(str(depth) for depth in (*LEVEL_COLUMNS, MICRO_GRID_DEPTH))
    upper = subtree_upper(b.dialect, cell)
    branches.append(
        lambda row: Sql(
            f"{cell}.depth NOT IN ({levels}) AND {row}.cell_path >= {cell}.path AND {row}.cell_path < {upper}"
        )
    )
    return branches


def _ancestors(b: Builder, cell: str, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    """`GridCellType.ancestors`: the cells of `ancestor_ids` (read off the path), top-down; the
    path's proper prefixes, found through the path index."""
    row = b.alias()
    prefixes = ", ".join(f"substr({cell}.path, 1, {PATH_SEGMENT * n})" for n in range(1, MAX_PATH_SEGMENTS))
    source = (
        f"FROM grid_cell {row} WHERE {row}.path IN ({prefixes}) "
        f"AND length({row}.path) < length({cell}.path) ORDER BY length({row}.path)"
    )
    return b.nested(b.dialect.many(b.object_columns("GridCell", row, nodes), Sql(source)))


KIND_ORDER = " ".join(f"WHEN {literal(k.value)} THEN {i}" for i, k in enumerate(GridKind))  # GridKind order


def _subtree(b: Builder, cell: str, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    """`GridCellType.subtree` (`domain.grids.queries.subtree_stats`): active cells below the row
    by kind, kinds with none left out, in GridKind order."""
    d = b.dialect
    stats_type = get_named_type(field_def.type)
    assert isinstance(stats_type, GraphQLObjectType)
    count_type = get_named_type(stats_type.fields["byKind"].type)

    def below(row: str) -> Sql:
        return Sql(
            f"{row}.path >= {cell}.path AND {row}.path < {subtree_upper(d, cell)} "
            f"AND length({row}.path) > length({cell}.path) AND {row}.retired = "
        ) + param(False)

    columns: list[tuple[str, Sql]] = []
    for key, name, field_nodes in b.collect(nodes, stats_type.name):
        if name == "__typename":
            columns.append((key, Sql(literal(stats_type.name))))
        elif name == "total":
            row = b.alias("s")
            columns.append((key, f"(SELECT count(*) FROM grid_cell {row} WHERE " + below(row) + ")"))
        elif name == "byKind":

            def kinds(group: str) -> Sql:
                row = b.alias("s")
                return (
                    f"FROM (SELECT {row}.kind AS kind, count(*) AS n FROM grid_cell {row} WHERE "
                    + below(row)
                    + f" GROUP BY {row}.kind) {group} ORDER BY CASE {group}.kind {KIND_ORDER} END"
                )

            fields = {
                "kind": lambda group: f"{group}.kind",
                "label": lambda group: labels(f"{group}.kind", KIND_LABELS),
                "count": lambda group: f"{group}.n",
            }
            columns.append((key, plain_objects(b, field_nodes, count_type.name, fields, kinds)))
        else:
            raise Fallback(f"{stats_type.name}.{name} is not compilable")
    return b.nested(d.obj(columns))


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
            "householdsEstimated": Column("households_estimated", "bool"),
            "retired": Column("retired", "bool"),
            "codeVerified": Column("code_verified", "bool"),
            "isDemo": Column("is_demo", "bool"),
            "parent": ToOne("GridCell", "parent_id", nullable=True),
            "children": Nested(_children, arguments=PAGING),
            "ancestors": Nested(_ancestors),
            "subtree": Nested(_subtree),
            "head": ToOne("Person", "head_id", nullable=True),  # PersonType.for_actor: masked per actor
        },
    )
)


connection_root(
    "gridCells",
    node_type="GridCell",
    table="grid_cell",
    keyset=CELL_KEYSET,
    decode=lambda env, arguments: decode_cells_filter(arguments.get("filter")),
    where=lambda actor, f: queries.cells_filter(f),
)


@root("gridCell")
def grid_cell(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    return b.lookup(field_def, nodes, "GridCell")


@root("gridCellByCode")
def grid_cell_by_code(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    arguments = b.arguments(field_def, nodes[0])
    code = b.dyn(lambda env: Sql("?", (str(arguments(env)["code"]).strip(),)))
    return b.single("GridCell", nodes, lambda alias: f"{alias}.code = " + code)
