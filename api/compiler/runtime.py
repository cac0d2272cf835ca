"""The compiled read path at request time: the same pre-execution checks as strawberry, the plan
cache, the one statement, and the fallback counter.

`CompiledReadPath.run` returns the JSON text of `data`, or a `Fallback` saying why the request
must go through normal execution. Requests that strawberry would refuse (parse, token limit,
validation incl. depth/alias rules, operation selection, variable coercion, query cost) are never
answered here: they fall back and strawberry refuses them exactly as before.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
    specified_rules,
)
from graphql.execution.values import get_variable_values
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)

from api.compiler import mapping
from api.compiler.planner import Env, NeedLookup, Plan, build_plan
from api.compiler.sql import SQLITE_FUNCTIONS, Fallback, dialect_named, to_numbered
from api.library_internals import graphql_schema
from api.schema.limits import MAX_COST, QueryCost, cost_and_dependence, operation_cost
from domain import sql as domain_sql
from domain.access import Actor
from domain.db import unavailable_reason

log = logging.getLogger("linzhi.compiler")


PLAN_CACHE_SIZE = 512
VARIANTS_PER_OPERATION = 16
CELL_PATH_CACHE_SIZE = 50_000
TOO_DEEP = "parser stack overflow"  # SQLite's error for a statement nesting beyond its parser stack


@dataclass
class Stats:
    """Process-wide counters: compiled answers and fallbacks by reason."""

    compiled: int = 0
    planned: int = 0
    fallbacks: Counter[str] | None = None

    def __post_init__(self) -> None:
        self.fallbacks = Counter()

    def fallback(self, reason: str) -> None:
        assert self.fallbacks is not None
        self.fallbacks[reason] += 1


class CellPaths:
    """Cell id -> materialized path. A path never changes once the cell exists (it is made of the
    ids from the root), and every statement that relies on a cached path re-checks it (a guard),
    so a stale entry (e.g. another database) only costs a fallback."""

    def __init__(self) -> None:
        self.paths: OrderedDict[int, str] = OrderedDict()

    def get(self, cell_id: int) -> str:
        path = self.paths.get(cell_id)
        if path is None:
            raise NeedLookup(cell_id)
        return path

    async def load(self, cell_id: int) -> None:
        rows = await domain_sql.fetch_all("SELECT path FROM grid_cell WHERE id = ?", [cell_id])
        if rows and rows[0]["path"]:
            self.paths[cell_id] = str(rows[0]["path"])
            if len(self.paths) > CELL_PATH_CACHE_SIZE:
                self.paths.popitem(last=False)

    def forget(self, cell_ids: set[int]) -> None:
        for cell_id in cell_ids:
            self.paths.pop(cell_id, None)


@dataclass(frozen=True)
class Checked:
    """What the pre-execution checks found of a document, kept per (query text, operation name):
    parsing, validation and operation selection depend on nothing else, and neither does the
    query cost when no page size or sizing list (`nodes(ids:)`) comes from a variable."""

    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    cost: int | None  # None: it depends on the variables


@dataclass
class Prepared:
    checked: Checked
    variables: Any

    @property
    def operation(self) -> OperationDefinitionNode:
        return self.checked.operation


class CompiledReadPath:
    def __init__(self, schema: Any) -> None:
        mapping.load_mappings()
        self.schema = schema
        self.graphql_schema = graphql_schema(schema)
        self.stats = Stats()
        self.plans: OrderedDict[tuple[str, str, str | None], list[Plan]] = OrderedDict()
        self.checked: OrderedDict[tuple[str, str | None], Checked] = OrderedDict()
        self.cell_paths = CellPaths()
        self.enabled, self.parse, self.validate, self.max_tokens, self.rules, self.cost = self._mirror(schema)

    @staticmethod
    def _mirror(schema: Any) -> tuple[bool, Any, Any, int | None, tuple[Any, ...], bool]:
        """The schema's own pre-execution steps (the same cached parse and validate functions, the
        same rules in the same order), so both paths accept and refuse the same documents. An
        extension this module does not know switches the compiled path off."""
        parse = validate = None
        max_tokens: int | None = None
        rules: tuple[Any, ...] = tuple(specified_rules)
        cost = False
        enabled = True
        for extension in schema.get_extensions():
            if isinstance(extension, MaxTokensLimiter):
                max_tokens = extension.max_token_count
            elif isinstance(extension, ParserCache):
                parse = extension.cached_parse_document
            elif isinstance(extension, ValidationCache):
                validate = extension.cached_validate_document
            elif isinstance(extension, AddValidationRules):
                rules = rules + tuple(extension.validation_rules)
            elif isinstance(extension, QueryCost):
                cost = True
            elif isinstance(extension, MaskErrors):
                pass  # errors never come out of the compiled path
            else:
                enabled = False
        return (
            enabled and parse is not None and validate is not None,
            parse,
            validate,
            max_tokens,
            rules,
            cost,
        )

    # --- pre-execution: strawberry's checks, mirrored --------------------------------------

    def prepare(self, query: str, operation_name: str | None, variables: dict[str, Any] | None) -> Prepared:
        key = (query, operation_name)
        checked = self.checked.get(key)
        if checked is None:
            checked = self._check(query, operation_name)
            self.checked[key] = checked
            if len(self.checked) > PLAN_CACHE_SIZE:
                self.checked.popitem(last=False)
        else:
            self.checked.move_to_end(key)
        coerced = get_variable_values(
            self.graphql_schema, checked.operation.variable_definitions or (), variables or {}
        )
        if isinstance(coerced, list):
            raise Fallback("request error (variables)")
        if self.cost:
            cost = checked.cost
            if cost is None:
                cost = operation_cost(
                    checked.document.definitions, operation_name, self.graphql_schema, variables or {}
                )
            if cost > MAX_COST:
                raise Fallback("request error (query cost)")
        return Prepared(checked, coerced)

    def _check(self, query: str, operation_name: str | None) -> Checked:
        """Parse, token limit, validation and operation selection of a document not seen before
        (documents that fail are not kept: they fall back every time, as strawberry refuses them)."""
        try:
            options = {"max_tokens": self.max_tokens} if self.max_tokens is not None else {}
            document = self.parse(query, **options)
        except GraphQLError as error:
            raise Fallback("request error (parse)") from error
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            raise Fallback("request error (no such operation)")
        if operation.operation is not OperationType.QUERY:
            raise Fallback(operation.operation.value)
        if self.validate(self.graphql_schema, document, self.rules):
            raise Fallback("request error (validation)")
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        cost = None
        if self.cost:
            definitions, schema = document.definitions, self.graphql_schema
            static, varies = cost_and_dependence(definitions, operation_name, schema, {})
            cost = None if varies else static
        return Checked(document, operation, fragments, cost)

    # --- planning and execution ------------------------------------------------------------

    async def run(
        self,
        query: str,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        actor: Actor,
        on_plan: Callable[[Plan], object] = lambda plan: None,
    ) -> str:
        """The `data` JSON text of the operation, or Fallback; `on_plan` sees the answering plan."""
        if not self.enabled:
            raise Fallback("compiled path disabled (unknown schema extension)")
        prepared = self.prepare(query, operation_name, variables)
        dialect = dialect_named(domain_sql.dialect())
        used_cells: set[int] = set()

        def cell_path(cell_id: int) -> str | None:
            used_cells.add(cell_id)
            return self.cell_paths.get(cell_id)

        env = Env(self.graphql_schema, prepared.variables, actor, prepared.checked.fragments, cell_path)
        for _ in range(3):
            try:
                plan, params = self._plan(env, dialect.name, query, operation_name, prepared.operation)
                break
            except NeedLookup as missing:
                await self.cell_paths.load(int(missing.key))
                if int(missing.key) not in self.cell_paths.paths:
                    raise Fallback("unknown subtree cell") from None
        else:
            raise Fallback("too many lookups")
        on_plan(plan)  # the result cache learns which tables it reads
        if plan.static is not None:
            self.stats.compiled += 1
            return plan.static
        if plan.refused is not None:
            raise Fallback(plan.refused)
        started = time.perf_counter()
        rows = await self._fetch(plan, params)
        if not rows:
            raise Fallback("statement returned no row")
        if rows[0]["guard"]:
            # a cached path is wrong (another database): forget the paths this request used, or,
            # when its parameters came from the plan's memo (no path read), every path
            self.cell_paths.forget(used_cells or set(self.cell_paths.paths))
            plan.bound.clear()
            raise Fallback("runtime guard")
        self.stats.compiled += 1
        log.debug(
            "compiled %s in %.2f ms", operation_name or "(anonymous)", (time.perf_counter() - started) * 1e3
        )
        return str(rows[0]["data"])

    async def _fetch(self, plan: Plan, params: list[Any]) -> list[dict[str, Any]]:
        """The plan's statement's rows; a statement the database refuses is a Fallback."""
        await domain_sql.register_functions(SQLITE_FUNCTIONS)
        try:
            return await domain_sql.fetch_all_native(plan.sql, params)
        except Exception as error:
            if TOO_DEEP in str(error):
                # SQLite's parser has a fixed stack: an operation nesting lists deeply enough (about
                # four levels of lists of objects) cannot be one statement. Not a bug: remembered.
                plan.refused = "statement nests too deep for SQLite"
                raise Fallback(plan.refused) from error
            if unavailable_reason(error) is not None:
                raise  # the database is unreachable: no path can answer (api/guards.py: 503)
            log.exception("compiled statement failed")
            raise Fallback(f"statement error ({type(error).__name__})") from error

    def _plan(
        self,
        env: Env,
        dialect: str,
        query: str,
        operation_name: str | None,
        operation: OperationDefinitionNode,
    ) -> tuple[Plan, list[Any]]:
        key = (dialect, query, operation_name)
        variants = self.plans.get(key)
        if variants is not None:
            self.plans.move_to_end(key)
            for plan in variants:
                params = plan.bind(env)
                if params is not None:
                    return plan, params
        plan, _ = build_plan(env, dialect_named(dialect), operation)
        if dialect == "postgres":
            plan.sql = to_numbered(plan.sql)
        self.stats.planned += 1
        variants = self.plans.setdefault(key, [])
        variants.insert(0, plan)
        del variants[VARIANTS_PER_OPERATION:]
        if len(self.plans) > PLAN_CACHE_SIZE:
            self.plans.popitem(last=False)
        params = plan.bind(env)
        assert params is not None  # planned from this very request
        return plan, params

    def record(self, reason: str, operation_name: str | None) -> None:
        self.stats.fallback(reason)
        log.info("read path fallback: %s (operation %s)", reason, operation_name or "(anonymous)")
