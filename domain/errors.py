"""Domain errors: a stable code, a zh-CN message and an optional field path. No HTTP here."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Codes more than one domain raises (and, until they move, the grid and account codes). A
    domain's own codes are its own StrEnum in `domain/<d>/errors.py`; `DomainError` takes either."""

    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID = "INVALID"
    INVALID_CODE = "INVALID_CODE"
    INVALID_PARENT = "INVALID_PARENT"
    INVALID_MOBILE = "INVALID_MOBILE"
    INVALID_NAME = "INVALID_NAME"
    HOUSEHOLDS_OUT_OF_RANGE = "HOUSEHOLDS_OUT_OF_RANGE"
    HOUSEHOLDS_DERIVED = "HOUSEHOLDS_DERIVED"
    RETIRED = "RETIRED"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    BAD_CREDENTIALS = "BAD_CREDENTIALS"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    DUPLICATE_USERNAME = "DUPLICATE_USERNAME"
    DUPLICATE_MOBILE = "DUPLICATE_MOBILE"
    PASSWORD_CHANGE_REQUIRED = "PASSWORD_CHANGE_REQUIRED"
    INVALID_SCOPE = "INVALID_SCOPE"
    INVALID_EXPIRY = "INVALID_EXPIRY"
    RATE_LIMITED = "RATE_LIMITED"
    # shared by the micro-leader and activity lifecycles
    INVALID_TRANSITION = "INVALID_TRANSITION"
    REASON_REQUIRED = "REASON_REQUIRED"
    # shared by several domains' input rules
    INVALID_LENGTH = "INVALID_LENGTH"
    FUTURE_TIME = "FUTURE_TIME"
    END_BEFORE_START = "END_BEFORE_START"
    NOT_FOR_TYPE = "NOT_FOR_TYPE"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    DUPLICATE_NAME = "DUPLICATE_NAME"
    DUPLICATE_PERSON = "DUPLICATE_PERSON"
    ONE_TO_ONE = "ONE_TO_ONE"
    # shared by the funding rounds and the review panels they score on (and the competitions next)
    WRONG_STAGE = "WRONG_STAGE"


class DomainError(Exception):
    """An expected failure of a use case: shown to the user, never a 500."""

    def __init__(self, code: StrEnum, message: str, field: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class NotFound(DomainError):
    def __init__(self, message: str = "对象不存在", field: list[str] | None = None) -> None:
        super().__init__(ErrorCode.NOT_FOUND, message, field)


class PermissionDenied(DomainError):
    def __init__(self, message: str = "没有执行此操作的权限") -> None:
        super().__init__(ErrorCode.FORBIDDEN, message)


class ValidationError(DomainError):
    """Bad input; `field` names the offending input path."""


class ValidationErrors(ValidationError):
    """Several bad inputs at once (a form's every error): the first is this error's own code,
    message and field; `errors` holds them all."""

    def __init__(self, errors: list[DomainError]) -> None:
        first = errors[0]
        super().__init__(first.code, first.message, first.field)
        self.errors = list(errors)


def every_error(error: DomainError) -> list[DomainError]:
    """The errors one failure carries: several for `ValidationErrors`, else the error itself."""
    return list(error.errors) if isinstance(error, ValidationErrors) else [error]


class Unauthenticated(DomainError):
    def __init__(self, message: str = "请先登录") -> None:
        super().__init__(ErrorCode.UNAUTHENTICATED, message)


class RateLimited(DomainError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(ErrorCode.RATE_LIMITED, f"请求过于频繁，请 {retry_after} 秒后再试")
        self.retry_after = retry_after
