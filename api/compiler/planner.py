"""From a validated operation to one SQL statement.

`Builder` walks the operation's selection sets against the mappings and produces SQL text whose
values are bind parameters. Everything that depends on the request (variables, the actor) goes
through `Builder.dyn` or `Builder.decide`: the function is recorded with what it returned while
planning, and every later request re-runs it. A plan is reused only when all its recorded texts
and decisions come out the same (otherwise another variant is planned), so the cache key needs no
hand-written notion of "argument shape" or "actor shape".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from graphql.execution.values import get_argument_values, get_directive_values

from api.compiler import mapping
from api.compiler.sql import Dialect, Fallback, Ref, Sql, invalid_argument, join, literal, render_q
from api.schema.relay import node_pk
from domain import clock
from domain.access import Actor
from domain.activities.models import in_subtree
from domain.errors import DomainError

Probe = Callable[["Env"], Any]

# What a domain rule may not depend on: the request's own identifiers, never read by a policy. The
# actor a memoised rule sees has them blanked (`Env.rule_actor`); every other field, including any
# added later, is part of the memo key.
REQUEST_ONLY: dict[str, Any] = {"request_id": None, "ip": None, "session_id": None}
assert {f.name for f in fields(Actor)} >= REQUEST_ONLY.keys()
RULE_MEMO_SIZE = 64  # renderings kept per rule of a plan (distinct filters x actors)
BIND_MEMO_SIZE = 256  # parameter lists kept per plan (distinct variables x actors x days)
ARGUMENTS_MEMO_SIZE = 64  # coerced argument sets kept per field of a plan
_ABSENT = object()  # a variable the request did not send (its default applies)


class Unhashable(Exception):
    """A request value that cannot be a memo key (e.g. a JSON scalar): computed every time."""


def frozen(value: Any) -> Hashable:
    """A coerced GraphQL value (dicts, lists, leaves) as a hashable key, equal only for equal
    values of equal types (so `1`, `1.0` and `True` stay apart) written alike (a time in another
    zone, `Decimal("1.0")` and `Decimal("1.00")` are equal values but other arguments)."""
    if isinstance(value, dict):
        return tuple(sorted((k, frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("[", *(frozen(v) for v in value))
    try:
        hash(value)
    except TypeError:
        raise Unhashable from None
    if isinstance(value, datetime | time | Decimal):
        return (type(value), value, str(value))
    return (type(value), value)


def remember(memo: dict[Any, Any], key: Hashable, value: Any, size: int) -> None:
    """`memo[key] = value`, forgetting the oldest entry past `size`."""
    if len(memo) >= size:
        del memo[next(iter(memo))]
    memo[key] = value


def _variable_names(value: Any, out: list[str]) -> None:
    if isinstance(value, VariableNode):
        out.append(value.name.value)
    elif isinstance(value, ObjectValueNode):
        for field_node in value.fields:
            _variable_names(field_node.value, out)
    elif isinstance(value, ListValueNode):
        for item in value.values:
            _variable_names(item, out)


def variables_key(node: FieldNode) -> Callable[[Env], Hashable]:
    """What a field's argument values depend on in a request: the values of the variables its
    arguments name (absent and null kept apart), as a hashable key; Unhashable if one is not."""
    names: list[str] = []
    for argument in node.arguments or ():
        _variable_names(argument.value, names)
    used = tuple(dict.fromkeys(names))

    def key(env: Env) -> Hashable:
        given = env.variables.coerced
        return tuple(frozen(given.get(name, _ABSENT)) for name in used)

    return key


class NeedLookup(Exception):
    """A plan input the process does not know yet (e.g. a cell's path): fetch it, then retry."""

    def __init__(self, key: Any) -> None:
        super().__init__(key)
        self.key = key


@dataclass
class Env:
    """One request's inputs."""

    schema: GraphQLSchema
    variables: Any  # graphql-core VariableValues (coerced)
    actor: Actor
    fragments: dict[str, FragmentDefinitionNode]
    cell_paths: Callable[[int], str | None]  # a cell's materialized path; NeedLookup when unknown
    memo: dict[Any, Any] = field(default_factory=dict)  # per-request values computed once

    def once(self, key: Any, compute: Callable[[], Any]) -> Any:
        """`compute()` the first time `key` is asked for in this request (arguments, pages...)."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    @property
    def rule_actor(self) -> Actor:
        """The actor as the domain's rules see it on the compiled path (`Builder.rule`): the request's
        own identifiers (`REQUEST_ONLY`) blanked, so that two requests of the same account and
        grants give equal values, and nothing else."""
        result: Actor = self.once("rule-actor", lambda: replace(self.actor, **REQUEST_ONLY))
        return result


_MISFIT: list[Any] = []  # the bind memo's "this plan does not fit these inputs"


def bind_key(env: Env) -> Hashable | None:
    """What a plan's parameters are a function of: the request's variables (coerced), the actor
    as rules see it (`Env.rule_actor`), and the calendar day; None when a variable's value cannot
    be a key. The planner's doors read nothing else of the request (`Builder`), the domain's rules
    are pure (`Builder.rule`), cell paths never change, and a piece that reads the clock is
    planned `volatile` (`Builder.dyn`), which keeps its plan out of the memo."""
    try:
        variables = frozen(dict(env.variables.coerced))
    except Unhashable:
        return None
    return variables, env.rule_actor, clock.today()


@dataclass
class Plan:
    sql: str
    params: tuple[Any, ...]
    dyns: list[Callable[[Env], Sql]]
    dyn_texts: list[str]
    decisions: list[tuple[Probe, Any]]
    static: str | None = None  # the data itself, when no table is read (`{ __typename }`)
    refused: str | None = None  # the database refuses the statement (e.g. SQLite: nested too deep)
    volatile: bool = False  # a piece reads the clock: parameters are worked out every time
    bound: dict[Hashable, list[Any]] = field(default_factory=dict)  # bind_key -> parameters

    def bind(self, env: Env) -> list[Any] | None:
        """The parameters for `env`, or None when this plan does not fit the request: worked out
        once per distinct `bind_key` (the same inputs give the same parameters)."""
        key = None if self.volatile else bind_key(env)
        if key is not None:
            known = self.bound.get(key)
            if known is not None:
                return known if known is not _MISFIT else None
        params = self._bind(env)
        if key is not None:
            remember(self.bound, key, _MISFIT if params is None else params, BIND_MEMO_SIZE)
        return params

    def _bind(self, env: Env) -> list[Any] | None:
        for probe, expected in self.decisions:
            if probe(env) != expected:
                return None
        values: list[tuple[Any, ...]] = []
        for fn, text in zip(self.dyns, self.dyn_texts, strict=True):
            result = fn(env)
            if result.text != text:
                return None
            values.append(result.params)
        return [values[p.dyn][p.index] if isinstance(p, Ref) else p for p in self.params]


@dataclass
class Projection:
    """A CTE written `SELECT {base}.* FROM ...` whose rows are read under `aliases` only: once the
    statement is built, `project` narrows its select list to the columns those aliases name (and
    `always`, e.g. the keyset), so that PostgreSQL materializes, sorts and copies only those. A
    reference it cannot read as a plain column (`alias.*`, a quoted name) keeps every column."""

    base: str
    always: tuple[str, ...]
    aliases: list[str] = field(default_factory=list)

    def project(self, statement: str) -> str:
        everything = f"SELECT {self.base}.* FROM "
        names = "|".join(re.escape(alias) for alias in self.aliases)
        columns = dict.fromkeys(self.always)
        if names:
            for match in re.finditer(rf"\b(?:{names})\.([A-Za-z_][A-Za-z0-9_]*|\*|\")", statement):
                if match.group(1) in ("*", '"'):
                    return statement
                columns[match.group(1)] = None
        listed = ", ".join(f"{self.base}.{column}" for column in columns)
        assert statement.count(everything) == 1, everything
        return statement.replace(everything, f"SELECT {listed} FROM ", 1)


@dataclass
class Builder:
    """Plans one operation. The request (`_env`) is private: a mapping reads request values only
    through the doors that record them on the plan (`dyn`, `decide`, and those built on them:
    `q`, `filtered`, `arguments`, `lookup`, `subtree`, `collect`'s directives), so a value read
    while planning can never be baked into a plan another request reuses."""

    _env: Env
    dialect: Dialect
    dyns: list[Callable[[Env], Sql]] = field(default_factory=list)
    dyn_texts: list[str] = field(default_factory=list)
    decisions: list[tuple[Probe, Any]] = field(default_factory=list)
    ctes: list[Sql] = field(default_factory=list)
    guards: list[Sql] = field(default_factory=list)
    projections: list[Projection] = field(default_factory=list)
    counter: int = 0
    volatile: bool = False  # a piece reads the clock (`dyn(..., volatile=True)`)
    below_root: int = 0  # how many nested fields (`mapping.Nested`) enclose what is being built
    _argument_memos: dict[int, dict[Hashable, dict[str, Any]]] = field(default_factory=dict)

    # --- request-dependent pieces ---------------------------------------------------------

    def dyn(self, fn: Callable[[Env], Sql], *, volatile: bool = False) -> Sql:
        """SQL computed from the request; the plan keeps its text, each request its values.
        `volatile`: `fn` reads something besides the request's variables and actor and the day
        (the clock's time): the plan's parameters are then never memoised (`Plan.bind`)."""
        self.volatile = self.volatile or volatile
        result = fn(self._env)
        index = len(self.dyns)
        self.dyns.append(fn)
        self.dyn_texts.append(result.text)
        return Sql(result.text, tuple(Ref(index, i) for i in range(len(result.params))))

    def decide(self, probe: Probe) -> Any:
        """A planning decision taken from the request (a directive, which page direction...)."""
        value = probe(self._env)
        self.decisions.append((probe, value))
        return value

    def alias(self, prefix: str = "t") -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def cte(self, body: Sql) -> str:
        name = self.alias("c")
        self.ctes.append(f"{name} AS MATERIALIZED (" + body + ")")
        return name

    def guard(self, condition: Sql) -> None:
        """A condition under which the answer needs the resolvers (e.g. an error they raise)."""
        self.guards.append(condition)

    # --- selection sets -------------------------------------------------------------------

    def collect(
        self, parents: Sequence[FieldNode | OperationDefinitionNode], type_name: str
    ) -> list[tuple[str, str, list[FieldNode]]]:
        """The fields selected under `parents` for the concrete type `type_name` (fragments
        applied, @skip/@include evaluated), in order: (response key, field name, field nodes)."""
        fields: dict[str, list[FieldNode]] = {}
        for parent in parents:
            if parent.selection_set is not None:
                self._collect(parent.selection_set, type_name, fields, set())
        return [(key, nodes[0].name.value, nodes) for key, nodes in fields.items()]

    def _collect(
        self, selection_set: SelectionSetNode, type_name: str, out: dict[str, list[FieldNode]], seen: set[str]
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                out.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, type_name):
                    self._collect(selection.selection_set, type_name, out, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self._env.fragments.get(name)
                if name in seen or fragment is None:
                    continue
                seen.add(name)
                if self._applies(fragment.type_condition.name.value, type_name):
                    self._collect(fragment.selection_set, type_name, out, seen)

    def _included(self, node: Any) -> bool:
        if not node.directives:
            return True
        for directive in node.directives:
            if directive.name.value not in ("skip", "include"):
                raise Fallback(f"unsupported directive @{directive.name.value}")

        def probe(env: Env) -> bool:
            skip = get_directive_values(GraphQLSkipDirective, node, env.variables)
            if skip and skip.get("if") is True:
                return False
            include = get_directive_values(GraphQLIncludeDirective, node, env.variables)
            return not (include and include.get("if") is False)

        return bool(self.decide(probe))

    def _applies(self, condition: str, type_name: str) -> bool:
        if condition == type_name:
            return True
        graphql_type = self._env.schema.get_type(type_name)
        if isinstance(graphql_type, GraphQLObjectType):
            return any(i.name == condition for i in graphql_type.interfaces)
        return False

    def arguments(self, field_def: GraphQLField, node: FieldNode) -> Callable[[Env], dict[str, Any]]:
        """The field's coerced argument values, as a function of the request. They depend on the
        variables the field's arguments name and nothing else, so they are memoised per plan
        under those variables' values (shared between requests: callers only read them)."""

        key = ("arguments", id(node))
        variables = variables_key(node)
        memo = self._argument_memos.setdefault(id(node), {})

        def compute(env: Env) -> dict[str, Any]:
            try:
                memo_key = variables(env)
            except Unhashable:
                return get_argument_values(field_def, node, env.variables)
            result = memo.get(memo_key)
            if result is None:
                result = get_argument_values(field_def, node, env.variables)
                remember(memo, memo_key, result, ARGUMENTS_MEMO_SIZE)
            return result

        def values(env: Env) -> dict[str, Any]:
            result: dict[str, Any] = env.once(key, lambda: compute(env))
            return result

        return values

    # --- objects ---------------------------------------------------------------------------

    def object_columns(self, type_name: str, alias: str, nodes: Sequence[FieldNode]) -> list[tuple[str, Sql]]:
        """The (response key, JSON-ready SQL value) pairs of a mapped type's selection over a row
        of its table under `alias`."""
        type_map = mapping.TYPES.get(type_name)
        if type_map is None:
            raise Fallback(f"type {type_name} is not mapped")
        graphql_type = self._env.schema.get_type(type_name)
        assert isinstance(graphql_type, GraphQLObjectType)
        columns: list[tuple[str, Sql]] = []
        for key, name, field_nodes in self.collect(nodes, type_name):
            first = field_nodes[0]
            if name == "__typename":
                columns.append((key, Sql(literal(type_name))))
                continue
            field_map = type_map.fields.get(name)
            if name == "id" and field_map is None and any(i.name == "Node" for i in graphql_type.interfaces):
                if first.arguments:
                    raise Fallback(f"arguments on {type_name}.{name}")
                columns.append((key, Sql(self.dialect.b64(f"{literal(type_name + ':')} || {alias}.id"))))
                continue
            if field_map is None:
                raise Fallback(f"{type_name}.{name} is not compilable")
            columns.append((key, self._value(type_map, field_map, alias, graphql_type, name, field_nodes)))
        return columns

    def _value(
        self,
        type_map: mapping.TypeMap,
        field_map: mapping.FieldMap,
        alias: str,
        graphql_type: GraphQLObjectType,
        name: str,
        field_nodes: Sequence[FieldNode],
    ) -> Sql:
        if isinstance(field_map, mapping.Guarded):
            value = self._value(type_map, field_map.field, alias, graphql_type, name, field_nodes)
            condition = field_map.when(self, alias)
            if condition is None:
                return value
            return self.dialect.guarded(condition, value, json=field_map.empty_list)
        if isinstance(field_map, mapping.Nested):
            given = {argument.name.value for node in field_nodes for argument in node.arguments or ()}
            if not given <= field_map.arguments:
                raise Fallback(f"arguments on {type_map.name}.{name}")
            self.below_root += 1
            try:
                return field_map.build(self, alias, graphql_type.fields[name], field_nodes)
            finally:
                self.below_root -= 1
        if field_nodes[0].arguments:
            raise Fallback(f"arguments on {type_map.name}.{name}")
        return self.field_value(type_map, field_map, alias, field_nodes)

    def field_value(
        self, type_map: mapping.TypeMap, field_map: mapping.FieldMap, alias: str, nodes: Sequence[FieldNode]
    ) -> Sql:
        d = self.dialect
        if isinstance(field_map, mapping.Column):
            expr = f"{alias}.{field_map.column}"
            if field_map.labels is not None:
                return Sql(labels(expr, field_map.labels))
            if field_map.kind == "bool":
                return Sql(d.boolean(expr))
            if field_map.kind == "datetime":
                return Sql(f"CASE WHEN {expr} IS NULL THEN NULL ELSE {d.iso(expr)} END")
            if field_map.kind == "date":  # ISO `YYYY-MM-DD`: SQLite stores it so, PostgreSQL prints it so
                return Sql(f"CAST({expr} AS TEXT)")
            if field_map.kind == "decimal":
                return Sql(f"CASE WHEN {expr} IS NULL THEN NULL ELSE {d.decimal(expr, field_map.scale)} END")
            return Sql(expr)
        if isinstance(field_map, mapping.Computed):
            value = field_map.build(self, alias)
            return Sql(d.boolean(value.text), value.params) if field_map.kind == "bool" else value
        if isinstance(field_map, mapping.ToOne):
            target = mapping.TYPES[field_map.target]
            child = self.alias()
            key = field_map.key(self, alias) if field_map.key else Sql(f"{alias}.{field_map.column}")
            where: Sql = f"WHERE {child}.id = " + key
            visible = target.visible(self, child) if target.visible else None
            if visible is not None:
                where = where + " AND " + visible
            columns = self.object_columns(target.name, child, nodes)
            return self.nested(d.single(columns, f"FROM {target.table} {child} " + where))
        if isinstance(field_map, mapping.ToMany):
            target = mapping.TYPES[field_map.target]
            child = self.alias()
            conditions: list[Sql] = [Sql(f"{child}.{field_map.column} = {alias}.id")]
            for extra in (
                field_map.where(self, child) if field_map.where else None,
                target.visible(self, child) if target.visible else None,
            ):
                if extra is not None:
                    conditions.append(extra)
            order = ", ".join(f"{child}.{c}" for c in field_map.order)
            source = f"FROM {target.table} {child} WHERE " + join(conditions, " AND ") + f" ORDER BY {order}"
            if field_map.limit is not None:
                source = source + f" LIMIT {int(field_map.limit)}"
            return self.nested(d.many(self.object_columns(target.name, child, nodes), source))
        raise Fallback("unknown field mapping")

    def nested(self, value: Sql) -> Sql:
        return Sql(self.dialect.nested(value.text, compact=self.below_root > 0), value.params)

    def lookup(self, field_def: GraphQLField, nodes: Sequence[FieldNode], type_name: str) -> Sql:
        """`<type>(id:)`: the row of a global ID of `type_name`, if the actor may see it (a
        malformed ID or one of another type is the resolvers' user error: fall back)."""
        arguments = self.arguments(field_def, nodes[0])

        def pk(env: Env) -> Sql:
            try:
                return Sql("?", (node_pk(arguments(env)["id"], type_name),))
            except DomainError as error:
                raise invalid_argument(error) from error

        return self.single(type_name, nodes, lambda alias: f"{alias}.id = " + self.dyn(pk))

    def single(self, type_name: str, nodes: Sequence[FieldNode], where: Callable[[str], Sql]) -> Sql:
        """A nullable object of `type_name`: the row `where(alias)` selects, if the actor may see it."""
        type_map = mapping.TYPES.get(type_name)
        if type_map is None:
            raise Fallback(f"type {type_name} is not mapped")
        alias = self.alias()
        condition = where(alias)
        visible = type_map.visible(self, alias) if type_map.visible else None
        if visible is not None:
            condition = condition + " AND " + visible
        columns = self.object_columns(type_name, alias, nodes)
        return self.nested(self.dialect.single(columns, f"FROM {type_map.table} {alias} WHERE " + condition))

    # --- shared predicates -----------------------------------------------------------------

    def q(self, build: Callable[[Env], Any], alias: str, table: str) -> Sql | None:
        """A Tortoise Q built from the request (a policy, a filter), rendered over `alias`."""
        type_columns = next(t.columns for t in mapping.TYPES.values() if t.table == table)

        def render(env: Env) -> Sql:
            rendered = render_q(build(env), alias, type_columns)
            return rendered if rendered is not None else Sql("")

        sql = self.dyn(render)
        return sql if sql.text else None

    def rule(
        self,
        inputs: Callable[[Env], tuple[Hashable, ...]],
        build: Callable[..., Any],
        alias: str,
        table: str,
    ) -> Sql | None:
        """A domain rule `build(*inputs(env))` (a `Q`, a list of them) rendered over `alias`, like
        `q`, but rendered once per distinct inputs and plan: the rendering is memoised (at most
        `RULE_MEMO_SIZE` per rule) under the inputs themselves, and `build` sees nothing else, so
        two requests share a rendering only when the rule cannot tell them apart. An actor goes in
        as `env.rule_actor`. `build` must be a pure function of its arguments (no clock, no
        database): every rule passed here is a domain query builder over plain values."""
        type_columns = next(t.columns for t in mapping.TYPES.values() if t.table == table)
        memo: dict[tuple[Hashable, ...], Sql] = {}

        def render(env: Env) -> Sql:
            key = inputs(env)
            rendered = memo.get(key)
            if rendered is None:
                rendered = render_q(build(*key), alias, type_columns) or Sql("")
                remember(memo, key, rendered, RULE_MEMO_SIZE)
            return rendered

        sql = self.dyn(render)
        return sql if sql.text else None

    def ruled(
        self, inputs: Callable[[Env], tuple[Hashable, ...]], build: Callable[..., Any], table: str
    ) -> Callable[[str], list[Sql]]:
        """A connection's `where` from a memoised domain rule (see `rule`), over the alias given."""

        def where(alias: str) -> list[Sql]:
            rendered = self.rule(inputs, build, alias, table)
            return [rendered] if rendered is not None else []

        return where

    def filtered(self, build: Callable[[Env], Any], table: str) -> Callable[[str], list[Sql]]:
        """A connection's `where`: the filter `build` returns per request, over the alias given."""

        def where(alias: str) -> list[Sql]:
            rendered = self.q(build, alias, table)
            return [rendered] if rendered is not None else []

        return where

    def subtree(self, path_of: Callable[[Env], str | None], alias: str) -> Sql:
        """`domain.activities.models.in_subtree` over `alias`: the same indexed predicate the
        resolvers' feed uses, chosen by the level of the subtree's root."""

        def build(env: Env) -> Any:
            path = path_of(env)
            if path is None:
                raise Fallback("unknown subtree cell")
            return in_subtree(path)

        rendered = self.q(build, alias, "activity")
        if rendered is None:
            raise Fallback("empty subtree predicate")
        return rendered


def labels(expr: str, names: Mapping[Any, str]) -> str:
    """An enum column shown through its zh-CN labels."""
    cases = " ".join(
        f"WHEN {literal(str(getattr(k, 'value', k)))} THEN {literal(v)}" for k, v in names.items()
    )
    return f"CASE {expr} {cases} END"


def plain_objects(
    b: Builder,
    nodes: Sequence[FieldNode],
    type_name: str,
    fields: Mapping[str, Callable[[str], str]],
    source: Callable[[str], Sql | str],
) -> Sql:
    """A JSON list of objects without identity (counts and the like): `fields` maps each
    GraphQL field to SQL over a row of `source(alias)` (FROM ... ORDER BY ...)."""
    row = b.alias("r")
    columns: list[tuple[str, Sql]] = []
    for key, name, _ in b.collect(nodes, type_name):
        if name == "__typename":
            columns.append((key, Sql(literal(type_name))))
        elif name in fields:
            columns.append((key, Sql(fields[name](row))))
        else:
            raise Fallback(f"{type_name}.{name} is not compilable")
    from_rows = source(row)
    return b.nested(b.dialect.many(columns, from_rows if isinstance(from_rows, Sql) else Sql(from_rows)))


def build_plan(env: Env, dialect: Dialect, operation: OperationDefinitionNode) -> tuple[Plan, Builder]:
    builder = Builder(env, dialect)
    query_type = env.schema.query_type
    assert query_type is not None
    columns: list[tuple[str, Sql]] = []
    typenames: dict[str, str] = {}
    for key, name, nodes in builder.collect([operation], query_type.name):
        if name == "__typename":
            columns.append((key, Sql(literal(query_type.name))))
            typenames[key] = query_type.name
            continue
        compile_root = mapping.ROOTS.get(name)
        if compile_root is None:
            raise Fallback(f"Query.{name} is not compilable")
        columns.append((key, compile_root(builder, query_type.fields[name], nodes)))
    if len(typenames) == len(columns):
        static = json.dumps(typenames, ensure_ascii=False, separators=(",", ":"))
        return Plan("", (), builder.dyns, builder.dyn_texts, builder.decisions, static=static), builder
    body = "SELECT " + dialect.top(columns) + " AS data, "
    guard = join(["(" + g + ")" for g in builder.guards], " OR ") if builder.guards else Sql("1 = 0")
    statement = body + "CASE WHEN " + guard + " THEN 1 ELSE 0 END AS guard"
    if builder.ctes:
        statement = "WITH " + join(builder.ctes, ", ") + " " + statement
    for projection in builder.projections:
        statement = Sql(projection.project(statement.text), statement.params)
    plan = Plan(
        sql=statement.text,
        params=statement.params,
        dyns=builder.dyns,
        dyn_texts=builder.dyn_texts,
        decisions=builder.decisions,
        volatile=builder.volatile,
    )
    return plan, builder
