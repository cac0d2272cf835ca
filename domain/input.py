"""Rules every piece of user input obeys, whichever adapter it came through.

NUL (U+0000): PostgreSQL text cannot hold it (asyncpg's "invalid byte sequence for encoding UTF8:
0x00"), so a string carrying one would fail deep inside a query as a server error. The adapters
refuse it once, at the boundary (GraphQL variables and string literals, form fields, query
parameters), with `NulCharacter`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from domain.errors import DomainError, ErrorCode, ValidationError, ValidationErrors

NUL = "\x00"
NUL_MESSAGE = "输入中含有不允许的空字符（U+0000），请删除后重试"
# A GraphQL string literal spells NUL as an escape: \u0000, or \u{0} (GraphQL 2021).
GRAPHQL_NUL_ESCAPE = re.compile(r"\\u(?:0000|\{0+\})")

T = TypeVar("T")


class NulCharacter(ValidationError):
    def __init__(self, field: list[str] | None = None) -> None:
        super().__init__(ErrorCode.INVALID, NUL_MESSAGE, field)


def contains_nul(value: object) -> bool:
    """A NUL anywhere in `value`: strings, dict keys and values, lists, however deeply nested
    (walked without recursion, so a deeply nested input cannot exhaust the stack)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


def refuse_nul(value: object, field: list[str] | None = None) -> None:
    if contains_nul(value):
        raise NulCharacter(field)


class Errors:
    """Runs each input's validation and keeps every refusal, so a form shows them all at once
    (`ValidationErrors`) instead of the first one only."""

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def check(self, validate: Callable[[], T]) -> T | None:
        try:
            return validate()
        except ValidationErrors as several:
            self.errors.extend(several.errors)
        except ValidationError as error:
            self.errors.append(error)
        return None

    def add(self, code: StrEnum, message: str, field: str) -> None:
        self.errors.append(ValidationError(code, message, [field]))

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationErrors(self.errors)
