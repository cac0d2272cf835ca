"""How domain errors reach GraphQL clients: in payloads as userErrors, or as top-level errors
with `extensions.code` when there is no payload (queries)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, Generic, Protocol, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from api.schema.relay import MAX_FIELD_PATH, MAX_USER_ERRORS
from domain.db import unavailable_reason
from domain.errors import DomainError, ErrorCode, PermissionDenied, Unauthenticated, every_error

# The database cannot be reached: the request may be retried later (HTTP 503 + Retry-After).
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
UNAVAILABLE_MESSAGE = "数据库暂时不可用，请稍后再试"

E = TypeVar("E", bound=Enum)
T = TypeVar("T")


class _UserErrorType(Protocol):
    def __init__(self, *, field: list[str] | None, message: str, code: Any) -> None: ...


def to_user_errors(error: DomainError, error_type: type[Any], codes: type[E]) -> list[Any]:
    """The payload `userErrors` for a domain error (each of several bad inputs); codes outside
    the enum become INVALID."""
    return [_user_error(one, error_type, codes) for one in every_error(error)[:MAX_USER_ERRORS]]


def _user_error(error: DomainError, error_type: type[Any], codes: type[E]) -> Any:
    try:
        code = codes(error.code.value)
    except ValueError:
        code = codes("INVALID")
    field = error.field[:MAX_FIELD_PATH] if error.field is not None else None
    return error_type(field=field, message=error.message, code=code)


def error_codes(name: str, codes: Iterable[StrEnum], description: str) -> Any:
    """A `<Domain>ErrorCode` GraphQL enum of the codes a payload can carry, shared or the
    domain's own (INVALID, NOT_FOUND and FORBIDDEN always included)."""
    shared: list[StrEnum] = [ErrorCode.INVALID, ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN]
    members = dict.fromkeys([*shared, *codes])
    enum_class: Any = Enum(name, {code.value: code.value for code in members})  # type: ignore[misc]
    return strawberry.enum(enum_class, description=description)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    value: T | None
    error: DomainError | None

    def user_errors(self, error_type: type[Any], codes: type[E]) -> list[Any]:
        return to_user_errors(self.error, error_type, codes) if self.error else []


async def attempt(work: Callable[[], Awaitable[T]]) -> Outcome[T]:
    """Run a use case; expected failures become payload userErrors, while authentication and
    authorization failures stay top-level errors (graphql.md)."""
    try:
        return Outcome(await work(), None)
    except (PermissionDenied, Unauthenticated):
        raise
    except DomainError as error:
        return Outcome(None, error)


def _is_public(error: GraphQLError) -> bool:
    original = error.original_error
    return original is None or isinstance(original, (DomainError, GraphQLError))


def _mask_or_add_code(error: GraphQLError) -> bool:
    """`MaskErrors`' public hook, asked once per error of a result: mask the error (True), or let
    it through with its domain code in `extensions` (`_with_code`)."""
    if not _is_public(error):
        return True
    _with_code(error)
    return False


class PublicErrors(MaskErrors):
    """Mask unexpected exceptions; let domain errors through with their code in extensions."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_mask_or_add_code, error_message="服务器内部错误")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if error.original_error is None or unavailable_reason(error.original_error) is None:
            return super().anonymise_error(error)
        return GraphQLError(
            UNAVAILABLE_MESSAGE,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": SERVICE_UNAVAILABLE},
        )


def is_unavailable(error: GraphQLError) -> bool:
    """The error says the database was unreachable (see `PublicErrors`)."""
    return (error.extensions or {}).get("code") == SERVICE_UNAVAILABLE


def _with_code(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError) and "code" not in (error.extensions or {}):
        error.extensions = {**(error.extensions or {}), "code": original.code.value}
        if original.field:
            error.extensions["field"] = original.field
    return error
