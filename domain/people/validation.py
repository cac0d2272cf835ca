"""Validation of personal identifiers."""

from __future__ import annotations

import re

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from domain.errors import ErrorCode, ValidationError

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise_mobile(raw: str, field: list[str] | None = None) -> str:
    """Strip spaces, dashes and a +86 / 0086 prefix; the rest must be a mainland mobile number."""
    mobile = re.sub(r"[\s-]", "", raw)
    for prefix in ("+86", "0086"):
        mobile = mobile.removeprefix(prefix)
    if not _MOBILE.match(mobile):
        raise ValidationError(ErrorCode.INVALID_MOBILE, "手机号码格式不正确", field or ["mobile"])
    return mobile


def normalise_resident_id(raw: str, field: list[str] | None = None) -> str:
    """A GB 11643 resident ID with a valid check digit."""
    try:
        return str(ric.validate(raw.strip().upper()))
    except StdnumError as exc:
        raise ValidationError(ErrorCode.INVALID, "身份证号码无效", field or ["residentId"]) from exc


def normalise_person_name(raw: str, field: list[str] | None = None) -> str:
    name = raw.strip()
    if not 1 <= len(name) <= 50:
        raise ValidationError(ErrorCode.INVALID_NAME, "姓名须为 1–50 个字符", field or ["name"])
    return name
