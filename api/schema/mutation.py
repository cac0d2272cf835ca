"""Every mutation's one shape, written once: run the use case; on success the payload carries the
result and no userErrors; on an expected failure its other fields are null (or their default)
and the failure is its userErrors, coded in the payload's own error enum (graphql.md)."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Mapping
from enum import Enum
from typing import Any, TypeVar

from api.schema.errors import attempt, to_user_errors

T = TypeVar("T")
P = TypeVar("P")

Fields = Mapping[str, Any]


def _field_type(cls: type, name: str) -> Any:
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    return next(f.type for f in definition.fields if f.python_name == name)


def error_types(payload: type) -> tuple[type, type[Enum]]:
    """The payload's UserError type and the GraphQL enum of the codes it can carry."""
    error_type: type = _field_type(payload, "user_errors").of_type
    codes: type[Enum] = _field_type(error_type, "code").wrapped_cls
    return error_type, codes


async def respond(
    payload: type[P],
    work: Callable[[], Awaitable[T]],
    fields: Callable[[T], Fields | Awaitable[Fields]],
) -> P:
    """`payload(**fields(result), user_errors=[])`, or the failure as the payload's userErrors.
    Authentication and authorization failures stay top-level errors (`attempt`)."""
    build: Any = payload  # a strawberry type: a dataclass taking its fields as keywords
    outcome = await attempt(work)
    if outcome.error is not None:
        error_type, codes = error_types(payload)
        empty = {
            f.name: None
            for f in dataclasses.fields(payload)  # type: ignore[arg-type]
            if f.name != "user_errors"
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING  # a list field keeps its empty default
        }
        failed: P = build(**empty, user_errors=to_user_errors(outcome.error, error_type, codes))
        return failed
    values = fields(outcome.value)  # type: ignore[arg-type]
    if inspect.isawaitable(values):
        values = await values
    result: P = build(**values, user_errors=[])
    return result
