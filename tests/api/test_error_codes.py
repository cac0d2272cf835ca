"""Every code a mutation's use case can raise is in its payload's GraphQL error enum: a code
missing there would reach the client as INVALID (api.schema.errors.to_user_errors), silently."""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

import pytest

import api.schema
from api.schema.domains import DOMAINS
from api.schema.mutation import error_types
from domain.errors import DomainError, ErrorCode, NotFound

PROJECT = ("domain.", "api.")
# Raised as top-level errors, never as userErrors (api.schema.errors.attempt).
TOP_LEVEL = {ErrorCode.FORBIDDEN.value, ErrorCode.UNAUTHENTICATED.value}
CLASS_CODES = {NotFound: ErrorCode.NOT_FOUND.value}


def _mutations() -> Iterator[tuple[str, Any]]:
    for domain in DOMAINS:
        if domain.mutations is not None:
            for field in domain.mutations.__strawberry_definition__.fields:  # type: ignore[attr-defined]
                yield field.graphql_name or field.python_name, field


def _resolve(node: ast.expr, scope: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, scope)
        if isinstance(owner, ModuleType | type) or _in_project(type(owner)):
            value = getattr(owner, node.attr, None)
            return getattr(value, "__func__", value)  # a bound method: its function
    return None


def _in_project(value: Any) -> bool:
    return (getattr(value, "__module__", None) or "").startswith(PROJECT)


def _is_code(value: Any) -> bool:
    """A member of the shared ErrorCode or of a domain's own codes (`domain/<d>/errors.py`)."""
    module = type(value).__module__
    return isinstance(value, StrEnum) and (module == "domain.errors" or module.endswith(".errors"))


def reachable_codes(function: Callable[..., Any]) -> set[str]:
    """The error codes `function` and every project function it refers to (called, or passed
    on) can raise, transitively: references to codes (`ErrorCode.X`, a domain's own
    `LeaderCode.X`) and the codes of the error classes they raise."""
    seen: set[Any] = set()
    codes: set[str] = set()
    pending = [inspect.unwrap(function)]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        tree = ast.parse(textwrap.dedent(inspect.getsource(current)))
        scope = {**current.__globals__, **inspect.getclosurevars(current).nonlocals}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Name | ast.Attribute):
                continue
            value = _resolve(node, scope)
            if _is_code(value):
                codes.add(value.value)
            elif isinstance(value, type) and issubclass(value, DomainError):
                codes |= {code for cls, code in CLASS_CODES.items() if issubclass(value, cls)}
            elif isinstance(value, FunctionType) and _in_project(value):
                pending.append(inspect.unwrap(value))
    return codes - TOP_LEVEL


def test_the_walk_finds_codes_raised_deep_in_a_use_case() -> None:
    from api.schema.grids.mutations import GridMutations

    # grid_cell_update -> domain.grids.service.update_cell -> its validators
    codes = reachable_codes(GridMutations.grid_cell_update)
    assert {"HOUSEHOLDS_OUT_OF_RANGE", "HOUSEHOLDS_DERIVED", "INVALID_NAME", "RETIRED", "NOT_FOUND"} <= codes


@pytest.mark.parametrize(("name", "field"), list(_mutations()), ids=[name for name, _ in _mutations()])
def test_every_code_a_mutation_can_raise_is_in_its_payload_enum(name: str, field: Any) -> None:
    assert api.schema.schema  # the registry has composed the schema and its contributions
    resolver = field.base_resolver.wrapped_func
    _, codes = error_types(field.type)
    missing = reachable_codes(resolver) - {code.value for code in codes}
    assert missing == set(), f"{name}: {codes.__name__} lacks {sorted(missing)}"


def test_a_domain_owns_its_codes_and_shares_none_twice() -> None:
    # Each domain's own codes (domain/<d>/errors.py) are neither shared codes nor another's.
    owners: dict[str, list[str]] = {code.value: ["domain.errors"] for code in ErrorCode}
    for path in sorted((Path(__file__).parents[2] / "domain").glob("*/errors.py")):
        module = importlib.import_module(f"domain.{path.parent.name}.errors")
        for enum in vars(module).values():
            if isinstance(enum, type) and issubclass(enum, StrEnum) and enum.__module__ == module.__name__:
                for code in enum:
                    owners.setdefault(code.value, []).append(module.__name__)
    assert {code: where for code, where in owners.items() if len(where) > 1} == {}
    assert owners["SESSION_FULL"] == ["domain.leaders.errors"]
    assert owners["NOT_EDITABLE"] == ["domain.activities.errors"]
