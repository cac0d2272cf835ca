"""Shared argument handling for compiled roots: decoding that falls back instead of failing, and
the guard that re-checks a cached subtree path inside the statement."""

from __future__ import annotations

from typing import Any

from api.compiler.planner import Builder, Env
from api.compiler.sql import Sql, invalid_argument
from api.schema.relay import node_pk
from domain.errors import DomainError


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


def guard_subtree(b: Builder, arguments: Any) -> None:
    """A `filter.subtree` root's path comes from a process cache (paths never change; the cache
    may belong to another database): the statement re-checks it, and the resolvers answer if not."""
    subtree = checked(
        lambda env: node_pk((arguments(env).get("filter") or {})["subtree"], "GridCell", "filter.subtree")
    )
    if b.decide(lambda env: bool((arguments(env).get("filter") or {}).get("subtree"))):
        b.guard("NOT EXISTS (SELECT 1 FROM grid_cell WHERE id = " + b.dyn(cached_path(subtree)) + ")")
