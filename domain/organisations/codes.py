"""The unified social credit code (统一社会信用代码, GB 32100-2015) of a registered organisation.

python-stdnum checks the length, the alphabet and the check digit. What it does not know: the
first character is the registration authority (5 = civil affairs, 民政) and the second the kind of
body it registered (1 社会团体, 2 社会服务机构/民办非企业单位, 3 基金会, 9 other). A code that is
valid but names another authority or another legal form belongs to some other body.
"""

from __future__ import annotations

from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

from domain.errors import ValidationError
from domain.organisations.errors import OrgCode
from domain.organisations.models import LegalForm

CIVIL_AFFAIRS = "5"
KIND_DIGIT: dict[LegalForm, str] = {
    LegalForm.SOCIAL_GROUP: "1",
    LegalForm.SERVICE_INSTITUTION: "2",
    LegalForm.FOUNDATION: "3",
}


def normalise_uscc(raw: str) -> str:
    """Spaces and dashes dropped, letters upper-cased (as people copy it from certificates)."""
    return str(stdnum_uscc.compact(raw.replace("-", "")))


def validate_uscc(raw: str, legal_form: LegalForm, path: str = "uscc") -> str:
    """The normalised code, or a ValidationError (code INVALID_USCC) saying what is wrong."""
    code = normalise_uscc(raw)
    if legal_form not in KIND_DIGIT:
        raise ValidationError(OrgCode.INVALID_USCC, "社区社会组织备案，不填统一社会信用代码", [path])
    try:
        stdnum_uscc.validate(code)
    except InvalidLength:
        raise ValidationError(OrgCode.INVALID_USCC, "统一社会信用代码须为 18 位", [path]) from None
    except InvalidChecksum:
        message = "统一社会信用代码校验位不正确，请核对"
        raise ValidationError(OrgCode.INVALID_USCC, message, [path]) from None
    except StdnumError:
        message = "统一社会信用代码格式不正确（前 8 位为数字，其余为数字或大写字母）"
        raise ValidationError(OrgCode.INVALID_USCC, message, [path]) from None
    if code[0] != CIVIL_AFFAIRS:
        raise ValidationError(OrgCode.INVALID_USCC, "该代码不是民政部门登记的代码（第 1 位应为 5）", [path])
    expected = KIND_DIGIT[legal_form]
    if code[1] != expected:
        raise ValidationError(
            OrgCode.INVALID_USCC,
            f"代码第 2 位为 {code[1]}，与组织类型“{legal_form.label}”不符（应为 {expected}）",
            [path],
        )
    return code
