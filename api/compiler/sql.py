"""SQL text with bind parameters, the two dialects, and the domain's filters rendered as SQL.

Every value reaches the database as a bind parameter (`?` while building; `$n` for PostgreSQL
when the statement is finished). A parameter is either a constant or a `Ref` to a value computed
per request (see `planner.Builder.dyn`): the statement text is planned once, the values change.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from domain.tortoise_internals import q_is_negated


class Fallback(Exception):
    """This operation (or this request) cannot be answered by the compiled path; `reason` is
    what the fallback counter and log record."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def invalid_argument(error: Any) -> Fallback:
    """A user error on the resolver path (a `DomainError`), as a fallback whose reason names the
    argument and the code, never the client's value (reasons are counter keys and log lines)."""
    where = ".".join(error.field or ()) or "argument"
    return Fallback(f"invalid argument ({where}: {error.code.value})")


@dataclass(frozen=True)
class Ref:
    """The `index`-th value of the `dyn`-th per-request fragment of a plan."""

    dyn: int
    index: int


@dataclass(frozen=True)
class Sql:
    text: str
    params: tuple[Any, ...] = ()

    def __add__(self, other: Sql | str) -> Sql:
        if isinstance(other, str):
            return Sql(self.text + other, self.params)
        return Sql(self.text + other.text, self.params + other.params)

    def __radd__(self, other: str) -> Sql:
        return Sql(other + self.text, self.params)


def join(parts: Iterable[Sql | str], separator: str) -> Sql:
    text: list[str] = []
    params: list[Any] = []
    for part in parts:
        if isinstance(part, str):
            text.append(part)
        else:
            text.append(part.text)
            params.extend(part.params)
    return Sql(separator.join(text), tuple(params))


def literal(value: str) -> str:
    """A string literal for text that is part of the plan (labels, type names), never user input."""
    if "?" in value or "\\" in value:
        raise ValueError(value)  # would be mistaken for a placeholder / escape
    return "'" + value.replace("'", "''") + "'"


def param(value: Any) -> Sql:
    return Sql("?", (value.value if isinstance(value, enum.Enum) else value,))


# --- the two dialects ------------------------------------------------------------------------


def b64(text: str) -> str:
    """Global IDs: what `strawberry.relay.GlobalID.to_id` computes."""
    return base64.b64encode(text.encode()).decode()


def b64url(text: str) -> str:
    """Cursors: what `api.schema.relay.encode_cursor` computes."""
    return base64.urlsafe_b64encode(text.encode()).decode()


SQLITE_FUNCTIONS = {"linzhi_b64": b64, "linzhi_b64url": b64url}


class Dialect:
    name = ""

    def b64(self, expr: str) -> str:
        raise NotImplementedError

    def b64url(self, expr: str) -> str:
        raise NotImplementedError

    def iso(self, expr: str) -> str:
        """A timestamp column as `datetime.isoformat()` of its UTC value (what strawberry sends)."""
        raise NotImplementedError

    def json_quote(self, expr: str) -> str:
        raise NotImplementedError

    def decimal(self, expr: str, scale: int) -> str:
        """A non-null DECIMAL(p, scale) column as `str(Decimal)` of its value (what strawberry sends)."""
        raise NotImplementedError

    def boolean(self, expr: str) -> str:
        """A boolean expression as the value a JSON object embeds as true/false/null."""
        raise NotImplementedError

    def nested(self, expr: str, compact: bool = False) -> str:
        """A JSON-valued subquery embedded in an object or array. `compact`: the form that nests
        deeper before SQLite's parser stack overflows (used below nested fields)."""
        raise NotImplementedError

    def obj(self, columns: Sequence[tuple[str, Sql]]) -> Sql:
        """A JSON object of already dialect-shaped values over the current row."""
        raise NotImplementedError

    def guarded(self, condition: Sql, value: Sql, json: bool = False) -> Sql:
        """`value` where `condition` holds, else NULL; for a JSON list value (`json`), else `[]`."""
        raise NotImplementedError

    def single(self, columns: Sequence[tuple[str, Sql]], source: Sql) -> Sql:
        """The object of the first row of `source` (FROM ... WHERE ...), or NULL."""
        raise NotImplementedError

    def many(self, columns: Sequence[tuple[str, Sql]], source: Sql) -> Sql:
        """A JSON array of one object per row of `source` (FROM ... WHERE ... ORDER BY ... LIMIT)."""
        raise NotImplementedError

    def first_rows(self, reads: Sequence[Sql], order: str, limit: Sql) -> Sql:
        """The first `limit` rows, in `order` (output column names), of the union of `reads`."""
        raise NotImplementedError

    def exists_past(self, source: Sql, size: Sql) -> Sql:
        """JSON true/false: does `source` (FROM ... alias) hold more than `size` rows?"""
        raise NotImplementedError

    def in_order(self, columns: Sequence[tuple[str, Sql]], source: Sql, order: str) -> Sql:
        """`many` over `source` (FROM ... alias) whose rows already come in `order` (a LIMITed
        derived table, so never flattened away): one nesting level less on SQLite."""
        raise NotImplementedError

    def top(self, columns: Sequence[tuple[str, Sql]]) -> Sql:
        """The select list of the statement: the `data` object as text."""
        raise NotImplementedError

    def mask_stars(self, length_expr: str) -> str:
        raise NotImplementedError

    def array(self, items: Sequence[Sql]) -> Sql:
        """A JSON array of JSON-valued expressions."""
        raise NotImplementedError

    def collate_c(self, expr: str) -> str:
        """Byte order, as Python sorts strings."""
        raise NotImplementedError


class SqliteDialect(Dialect):
    name = "sqlite"

    def b64(self, expr: str) -> str:
        return f"linzhi_b64({expr})"

    def b64url(self, expr: str) -> str:
        return f"linzhi_b64url({expr})"

    def iso(self, expr: str) -> str:
        # Tortoise stores UTC timestamps as `isoformat(" ")`; strawberry sends `isoformat()`.
        return f"replace({expr}, ' ', 'T')"

    def json_quote(self, expr: str) -> str:
        return f"json_quote({expr})"

    def decimal(self, expr: str, scale: int) -> str:
        # Tortoise stores decimals as text and quantizes them to the scale when reading.
        return f"printf('%.{scale}f', {expr})"

    def boolean(self, expr: str) -> str:
        # `expr` appears once: it may hold a placeholder. SQLite booleans are 0/1; NULL stays NULL.
        return f"json(CASE ({expr}) WHEN 0 THEN 'false' WHEN NULL THEN NULL ELSE 'true' END)"

    def nested(self, expr: str, compact: bool = False) -> str:
        # `x -> '$'` is json(x) (the JSON text, marked as JSON) for a parser stack entry less.
        return f"{expr} -> '$'" if compact else f"json({expr})"

    def guarded(self, condition: Sql, value: Sql, json: bool = False) -> Sql:
        if json:  # json(): the CASE's result is text; JSON again for the enclosing object
            return "json(CASE WHEN " + condition + " THEN " + value + " ELSE '[]' END)"
        return "CASE WHEN " + condition + " THEN " + value + " END"

    def obj(self, columns: Sequence[tuple[str, Sql]]) -> Sql:
        if len(columns) > 60:
            raise Fallback("too many fields in one object")
        if not columns:
            return Sql("json_object()")
        return "json_object(" + join([literal(key) + ", " + value for key, value in columns], ", ") + ")"

    def single(self, columns: Sequence[tuple[str, Sql]], source: Sql) -> Sql:
        return "(SELECT " + self.obj(columns) + " " + source + " LIMIT 1)"

    def many(self, columns: Sequence[tuple[str, Sql]], source: Sql) -> Sql:
        inner = "SELECT " + self.obj(columns) + " AS _j " + source
        return "(SELECT coalesce(json_group_array(json(_j)), '[]') FROM (" + inner + "))"

    def first_rows(self, reads: Sequence[Sql], order: str, limit: Sql) -> Sql:
        # A compound's ORDER BY merges index-ordered arms; no wrapper (SQLite's parser stack).
        return "(" + join(list(reads), " UNION ALL ") + f" ORDER BY {order} LIMIT " + limit + ")"

    def exists_past(self, source: Sql, size: Sql) -> Sql:
        return "(SELECT CASE WHEN count(*) > " + size + " THEN 'true' ELSE 'false' END " + source + ") -> '$'"

    def in_order(self, columns: Sequence[tuple[str, Sql]], source: Sql, order: str) -> Sql:
        # An aggregate reads its source's rows in order; json_group_array of no rows is '[]'.
        return "(SELECT json_group_array(" + self.obj(columns) + ") " + source + ")"

    def top(self, columns: Sequence[tuple[str, Sql]]) -> Sql:
        return self.obj(columns)

    def mask_stars(self, length_expr: str) -> str:
        return f"substr('{'*' * 64}', 1, {length_expr})"

    def array(self, items: Sequence[Sql]) -> Sql:
        return "json_array(" + join([self.nested(i.text) + Sql("", i.params) for i in items], ", ") + ")"

    def collate_c(self, expr: str) -> str:
        return expr


class PostgresDialect(Dialect):
    name = "postgres"

    def b64(self, expr: str) -> str:
        return f"encode(convert_to({expr}, 'UTF8'), 'base64')"

    def b64url(self, expr: str) -> str:
        return f"translate(encode(convert_to({expr}, 'UTF8'), 'base64'), '+/' || chr(10), '-_')"

    def iso(self, expr: str) -> str:
        utc = f"({expr} AT TIME ZONE 'UTC')"
        fraction = (
            f"CASE WHEN date_part('microseconds', {utc})::bigint % 1000000 <> 0 "
            f"THEN to_char({utc}, '.US') ELSE '' END"
        )
        return f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || {fraction} || '+00:00')"

    def json_quote(self, expr: str) -> str:
        return f"to_json(({expr})::text)::text"

    def decimal(self, expr: str, scale: int) -> str:
        # NUMERIC(p, scale) prints with exactly `scale` places, as the quantized Decimal does.
        return f"CAST({expr} AS TEXT)"

    def boolean(self, expr: str) -> str:
        return f"({expr})"

    def nested(self, expr: str, compact: bool = False) -> str:
        return expr

    @staticmethod
    def _columns(columns: Sequence[tuple[str, Sql]]) -> Sql:
        for key, _ in columns:
            if len(key) > 63:
                raise Fallback("response key longer than a PostgreSQL identifier")
        return join([value + f' AS "{key}"' for key, value in columns], ", ")

    def guarded(self, condition: Sql, value: Sql, json: bool = False) -> Sql:
        empty = " ELSE '[]'::json" if json else ""
        return "CASE WHEN " + condition + " THEN " + value + empty + " END"

    def obj(self, columns: Sequence[tuple[str, Sql]]) -> Sql:
        return "(SELECT row_to_json(_r) FROM (SELECT " + self._columns(columns) + ") _r)"

    def single(self, columns: Sequence[tuple[str, Sql]], source: Sql) -> Sql:
        inner = "SELECT " + self._columns(columns) + " " + source + " LIMIT 1"
        return "(SELECT row_to_json(_r) FROM (" + inner + ") _r)"

    def many(self, columns: Sequence[tuple[str, Sql]], source: Sql) -> Sql:
        inner = "SELECT " + self._columns(columns) + " " + source
        return "array_to_json(array(SELECT row_to_json(_r) FROM (" + inner + ") _r))"

    def first_rows(self, reads: Sequence[Sql], order: str, limit: Sql) -> Sql:
        # Each arm LIMITed on its own, so each reads its index in order and stops (a UNION's
        # ORDER BY alone plans a sort of every arm's rows).
        arms = ["(" + read + f" ORDER BY {order} LIMIT " + limit + ")" for read in reads]
        if len(arms) == 1:
            return arms[0]
        return "(SELECT * FROM (" + join(arms, " UNION ALL ") + f") _u ORDER BY {order} LIMIT " + limit + ")"

    def exists_past(self, source: Sql, size: Sql) -> Sql:
        return "(SELECT count(*) > " + size + " " + source + ")"

    def in_order(self, columns: Sequence[tuple[str, Sql]], source: Sql, order: str) -> Sql:
        return self.many(columns, source + f" ORDER BY {order}")

    def top(self, columns: Sequence[tuple[str, Sql]]) -> Sql:
        return self.obj(columns) + "::text"

    def mask_stars(self, length_expr: str) -> str:
        return f"repeat('*', {length_expr})"

    def array(self, items: Sequence[Sql]) -> Sql:
        if not items:
            return Sql("'[]'::json")
        return "array_to_json(ARRAY[" + join(list(items), ", ") + "]::json[])"

    def collate_c(self, expr: str) -> str:
        return f'{expr} COLLATE "C"'


SQLITE = SqliteDialect()
POSTGRES = PostgresDialect()


def dialect_named(name: str) -> Dialect:
    if name == "sqlite":
        return SQLITE
    if name == "postgres":
        return POSTGRES
    raise Fallback(f"no SQL dialect for {name}")


def to_numbered(text: str) -> str:
    """`?` placeholders as PostgreSQL's `$1, $2, ...` (plan literals never contain `?`)."""
    parts = text.split("?")
    return parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))


# --- the domain's filters as SQL ----------------------------------------------------------------

_OPERATORS = {"": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "not": "<>"}


def render_q(q: Any, alias: str, columns: frozenset[str]) -> Sql | None:
    """A filter as a predicate over `alias` (None when it filters nothing). `q` is a Tortoise `Q`
    (what the domain's policies, `in_subtree` and keyset pagination return), a dict of keyword
    filters (`{"status__in": [...]}`, ANDed) or a list of those (ANDed). Supported: equality,
    comparisons, `in`, `contains`, `startswith`, `isnull`, AND/OR and negation; anything else
    makes the operation fall back. (The api layer never imports the ORM: a `Q` is read through
    its public `children`, `filters` and `join_type`, and `domain.tortoise_internals.q_is_negated`.)"""
    if isinstance(q, list | tuple):
        return _all([render_q(item, alias, columns) for item in q], " AND ")
    if isinstance(q, dict):
        return _all([_filter(key, value, alias, columns) for key, value in q.items()], " AND ")
    parts: list[Sql | None] = [render_q(child, alias, columns) for child in q.children]
    parts += [_filter(key, value, alias, columns) for key, value in q.filters.items()]
    body = _all(parts, " OR " if q.join_type == "OR" else " AND ")
    if body is None:
        return None  # like Tortoise: an empty Q (or one of empty children) filters nothing
    return "NOT (" + body + ")" if q_is_negated(q) else body


def _all(parts: list[Sql | None], glue: str) -> Sql | None:
    present = [p for p in parts if p is not None]
    if not present:
        return None
    return present[0] if len(present) == 1 else "(" + join(present, glue) + ")"


def _filter(key: str, value: Any, alias: str, columns: frozenset[str]) -> Sql:
    field, _, op = key.partition("__")
    if field not in columns:
        raise Fallback(f"filter on an unmapped column {field}")
    column = f"{alias}.{field}"
    if op == "in":
        values = list(value)
        if not values:
            return Sql("1 = 0")
        return join([param(v) for v in values], ", ").__radd__(f"{column} IN (") + ")"
    if op == "contains":
        escaped = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"{column} LIKE " + param(f"%{escaped}%") + " ESCAPE '\\'"
    if op == "startswith":
        escaped = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"{column} LIKE " + param(f"{escaped}%") + " ESCAPE '\\'"
    if op == "isnull":
        return Sql(f"{column} IS NULL" if value else f"{column} IS NOT NULL")
    if op not in _OPERATORS:
        raise Fallback(f"unsupported filter {key}")
    if value is None:
        return Sql(f"{column} IS NULL" if op == "" else "1 = 0")
    return f"{column} {_OPERATORS[op]} " + param(value)
