"""How GraphQL types map to tables: declared beside the strawberry types (`api/schema/<domain>/
compile.py`), registered here. A field that is not declared is not compilable, and an operation
that selects it falls back to the resolvers.

Field kinds:
- `Column`: a column of the row, with its JSON shape (`text`, `int`, `bool`, `datetime`, `date`, `decimal`
  with its stored `scale`), or an enum column shown through its zh-CN labels (`labels=`);
- `Computed`: any SQL expression over the row, built by a function (masking, counts);
- `ToOne`: the row of another mapped type whose key equals one of this row's columns;
- `ToMany`: the rows of another mapped type pointing at this row, filtered and ordered;
- `Nested`: a field compiled by a function over the row (nested connections, lists with
  arguments, aggregates); the only kind whose field arguments compile, and only the arguments it
  declares (any other argument falls back);
- `Guarded`: another field's value where a condition over the row holds, else null (or an empty
  list): what a reader may not see (a record's details for the public);
- `Root`: a Query field, compiled by a function (connections, lookups, aggregates).
A type's `visible` function yields its read policy as a SQL predicate; it is applied wherever the
type's table is read (lookups, relations, pages, totals).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from api.compiler.sql import Sql

if TYPE_CHECKING:
    from graphql import FieldNode, GraphQLField

    from api.compiler.planner import Builder


@dataclass(frozen=True)
class Column:
    column: str
    kind: str = "text"  # text | int | bool | datetime | date | decimal
    labels: Mapping[Any, str] | None = None
    scale: int = 0  # decimal: the column's decimal places (strawberry sends `str(Decimal)`)


@dataclass(frozen=True)
class Computed:
    build: Callable[[Builder, str], Sql]  # (builder, row alias) -> a JSON-ready value
    kind: str = "text"


@dataclass(frozen=True)
class ToOne:
    target: str
    column: str  # on this row; the target's `id` equals it
    nullable: bool = False
    # the key as SQL over this row instead of `column` (e.g. a cell that depends on the reader)
    key: Callable[[Builder, str], Sql] | None = None


@dataclass(frozen=True)
class ToMany:
    target: str
    column: str  # on the target's rows; equals this row's `id`
    where: Callable[[Builder, str], Sql | None] | None = None  # over the target's alias
    order: tuple[str, ...] = ("id",)
    limit: int | None = None  # the field's declared maximum (`max_items`), as its resolver cuts


NestedCompiler = Callable[["Builder", str, "GraphQLField", "Sequence[FieldNode]"], Sql]


@dataclass(frozen=True)
class Nested:
    """`build(builder, row alias, field definition, field nodes)` returns the field's JSON value over
    the row; it reads its arguments with `Builder.arguments` (per request values, as for root
    fields). `arguments` names the ones it compiles: a request using another one falls back."""

    build: NestedCompiler
    arguments: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Guarded:
    """`field` where `when(builder, row alias)` holds (None: always), else null, or `[]` when
    `empty_list` (a list field); the resolver's twin returns None / [] under the same predicate."""

    field: Column | Computed | ToMany | Nested
    when: Callable[[Builder, str], Sql | None]
    empty_list: bool = False


FieldMap = Column | Computed | ToOne | ToMany | Nested | Guarded


@dataclass
class TypeMap:
    name: str
    table: str
    columns: frozenset[str]
    fields: dict[str, FieldMap] = field(default_factory=dict)
    visible: Callable[[Builder, str], Sql | None] | None = None


RootCompiler = Callable[["Builder", "GraphQLField", "list[FieldNode]"], Sql]

TYPES: dict[str, TypeMap] = {}
ROOTS: dict[str, RootCompiler] = {}


def register(type_map: TypeMap) -> TypeMap:
    TYPES[type_map.name] = type_map
    return type_map


def extend(type_map: TypeMap, fields: dict[str, FieldMap]) -> None:
    """Another domain's fields on `type_map` (a contribution point, see `api.schema.contributions`),
    declared in that domain's compile module."""
    clash = fields.keys() & type_map.fields.keys()
    assert not clash or all(type_map.fields[name] is fields[name] for name in clash), clash
    type_map.fields.update(fields)


def root(name: str) -> Callable[[RootCompiler], RootCompiler]:
    def decorate(fn: RootCompiler) -> RootCompiler:
        ROOTS[name] = fn
        return fn

    return decorate


def load_mappings() -> None:
    """Import every registered domain's declarations (they register themselves)."""
    import api.compiler.node  # noqa: F401
    from api.schema.domains import compiled_modules

    for module in compiled_modules():
        importlib.import_module(module)
