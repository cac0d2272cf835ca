"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import ErrorCode, ValidationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_LENGTH = 8
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits)

# A fixed hash to verify against when the account does not exist, so that a wrong username
# costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-1A")


def use_parameters(*, time_cost: int, memory_cost: int, parallelism: int) -> None:
    """Tests trade strength for speed with this; production keeps the library defaults."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    _DUMMY_HASH = _hasher.hash("not-a-real-password-1A")


def check_policy(password: str, field: str = "password") -> None:
    """At least 8 characters from at least 3 of: lower case, upper case, digits, others."""
    if len(password) < MIN_LENGTH:
        raise ValidationError(ErrorCode.WEAK_PASSWORD, f"密码至少 {MIN_LENGTH} 位", [field])
    classes = sum(any(c in chars for c in password) for chars in _CLASSES)
    classes += any(not any(c in chars for chars in _CLASSES) for c in password)
    if classes < 3:
        raise ValidationError(
            ErrorCode.WEAK_PASSWORD, "密码须包含小写字母、大写字母、数字、符号中的至少三类", [field]
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
