"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import string
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import ErrorCode, ValidationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_LENGTH = 8
MAX_LENGTH = 1024  # longer "passwords" are refused before hashing, not truncated
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
_DUMMY_PASSWORD = "not-a-real-password-1A"
_dummy_hash: str | None = None
_verifications = 0
_count_lock = threading.Lock()


def use_parameters(*, time_cost: int, memory_cost: int, parallelism: int) -> None:
    """Tests trade strength for speed with this; production keeps the library defaults."""
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def dummy_hash() -> str:
    """A hash to verify against when the account does not exist, so that a wrong username costs
    the same time as a wrong password. Made with the hasher's *current* parameters: remade
    whenever they change, or the unknown-user path would be faster (or slower) than the other."""
    global _dummy_hash
    if _dummy_hash is None or _hasher.check_needs_rehash(_dummy_hash):
        _dummy_hash = _hasher.hash(_DUMMY_PASSWORD)
    return _dummy_hash


def check_policy(password: str, field: str = "password") -> None:
    """At least 8 characters from at least 3 of: lower case, upper case, digits, others."""
    if len(password) < MIN_LENGTH:
        raise ValidationError(ErrorCode.WEAK_PASSWORD, f"密码至少 {MIN_LENGTH} 位", [field])
    if len(password) > MAX_LENGTH or "\x00" in password:
        raise ValidationError(ErrorCode.WEAK_PASSWORD, f"密码不能超过 {MAX_LENGTH} 个字符或含空字符", [field])
    classes = sum(any(c in chars for c in password) for chars in _CLASSES)
    classes += any(not any(c in chars for chars in _CLASSES) for c in password)
    if classes < 3:
        raise ValidationError(
            ErrorCode.WEAK_PASSWORD, "密码须包含小写字母、大写字母、数字、符号中的至少三类", [field]
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verifications() -> int:
    """How many argon2 verifications this process has run (the lockout tests count them: the
    audit log shows the outcome of each check, this shows no check ran without one)."""
    return _verifications


def verify_password(password_hash: str | None, password: str) -> bool:
    """Always runs one argon2 verification, against the dummy hash when there is no hash."""
    global _verifications
    with _count_lock:
        _verifications += 1
    try:
        return _hasher.verify(password_hash or dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
