"""Shared argument handling for compiled roots: the arguments as the resolvers receive them,
decoding that falls back instead of failing, and the guard that re-checks a cached subtree path
inside the statement."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, ParamSpec, TypeVar

from graphql import FieldNode, GraphQLField
from strawberry.types.arguments import convert_arguments

from api.compiler.planner import Builder, Env, Unhashable, remember, variables_key
from api.compiler.sql import Fallback, Sql, invalid_argument
from api.library_internals import strawberry_schema
from api.schema.relay import node_pk
from domain.errors import DomainError

T = TypeVar("T")
P = ParamSpec("P")

CONVERTED_MEMO_SIZE = 64  # converted argument sets kept per field of a plan


def checked(fn: Callable[P, T]) -> Callable[P, T]:
    """Argument decoding that raises a user error on the resolver path falls back instead."""

    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except DomainError as error:
            raise invalid_argument(error) from error

    return run


def resolver_arguments(
    b: Builder, field_def: GraphQLField, node: FieldNode
) -> Callable[[Env], dict[str, Any]]:
    """The field's arguments exactly as its resolver receives them (strawberry's own conversion:
    input objects, enums, Python names), as a function of the request: so one decoder (GraphQL
    filter input -> domain filter) serves both read paths. Like the coerced values, they depend
    on the variables the arguments name alone, so they are memoised per plan under those
    variables' values (shared between requests: decoders only read them)."""
    coerced = b.arguments(field_def, node)
    variables = variables_key(node)
    field = field_def.extensions["strawberry-definition"]
    key = ("resolver-arguments", id(node))
    memo: dict[Hashable, dict[str, Any]] = {}

    def convert(env: Env) -> dict[str, Any]:
        try:
            memo_key: Hashable = variables(env)
        except Unhashable:
            memo_key = None
        result = memo.get(memo_key) if memo_key is not None else None
        if result is None:
            schema = strawberry_schema(env.schema)
            registry, config = schema.schema_converter.scalar_registry, schema.config
            result = convert_arguments(coerced(env), field.arguments, registry, config)
            if memo_key is not None:
                remember(memo, memo_key, result, CONVERTED_MEMO_SIZE)
        return result

    def values(env: Env) -> dict[str, Any]:
        converted: dict[str, Any] = env.once(key, lambda: convert(env))
        return converted

    return values


def path_of(env: Env) -> Callable[[int], str]:
    """The compiled path's lookup of a filter's subtree root (the resolvers load it): the
    process cache of paths; an unknown cell is left to the resolvers."""

    def lookup(cell_id: int) -> str:
        path = env.cell_paths(cell_id)
        if path is None:
            raise Fallback("unknown subtree cell")
        return path

    return lookup


def cached_path(cell_id: Any) -> Any:
    """SQL `? AND path = ?` for the guard that re-checks a subtree root's cached path (paths never
    change; the process cache may belong to another database)."""

    def check(env: Env) -> Sql:
        pk = cell_id(env)
        return Sql("?", (pk,)) + " AND path = " + Sql("?", (env.cell_paths(pk),))

    return check


def guard_subtree(b: Builder, arguments: Any) -> None:
    """A `filter.subtree` root's path comes from a process cache (paths never change; the cache
    may belong to another database): the statement re-checks it, and the resolvers answer if not."""
    subtree = checked(
        lambda env: node_pk((arguments(env).get("filter") or {})["subtree"], "GridCell", "filter.subtree")
    )
    if b.decide(lambda env: bool((arguments(env).get("filter") or {}).get("subtree"))):
        b.guard("NOT EXISTS (SELECT 1 FROM grid_cell WHERE id = " + b.dyn(cached_path(subtree)) + ")")
