"""Code rules: a code must fit its kind and extend its parent's code."""

from __future__ import annotations

import pytest

from domain.errors import ErrorCode, ValidationError
from domain.grids.codes import GridKind, kind_for_code, validate_code

VALID = [
    ("330482", GridKind.CITY, None, None),
    ("330482001", GridKind.TOWN, "330482", GridKind.CITY),
    ("330482108", GridKind.TOWN, "330482", GridKind.CITY),
    ("330482001005", GridKind.COMMUNITY, "330482001", GridKind.TOWN),
    ("330482001199", GridKind.COMMUNITY, "330482001", GridKind.TOWN),
    ("330482108216", GridKind.VILLAGE, "330482108", GridKind.TOWN),
    ("330482108399", GridKind.VILLAGE, "330482108", GridKind.TOWN),
    ("330482001005001", GridKind.GRID, "330482001005", GridKind.COMMUNITY),
    ("330482108216012", GridKind.GRID, "330482108216", GridKind.VILLAGE),
    ("33048200100500101", GridKind.MICRO_GRID, "330482001005001", GridKind.GRID),
]


@pytest.mark.parametrize(("code", "kind", "parent_code", "parent_kind"), VALID)
def test_valid_codes_pass(
    code: str, kind: GridKind, parent_code: str | None, parent_kind: GridKind | None
) -> None:
    validate_code(code, kind, parent_code, parent_kind)
    assert kind_for_code(code) is kind


INVALID = [
    # wrong length or not digits
    ("33048", GridKind.CITY, None, None, ErrorCode.INVALID_CODE),
    ("33048200a", GridKind.TOWN, "330482", GridKind.CITY, ErrorCode.INVALID_CODE),
    ("3304820010051", GridKind.COMMUNITY, "330482001", GridKind.TOWN, ErrorCode.INVALID_CODE),
    # unit outside the community / village ranges
    ("330482001000", GridKind.COMMUNITY, "330482001", GridKind.TOWN, ErrorCode.INVALID_CODE),
    ("330482001200", GridKind.COMMUNITY, "330482001", GridKind.TOWN, ErrorCode.INVALID_CODE),
    ("330482108199", GridKind.VILLAGE, "330482108", GridKind.TOWN, ErrorCode.INVALID_CODE),
    ("330482108400", GridKind.VILLAGE, "330482108", GridKind.TOWN, ErrorCode.INVALID_CODE),
    ("330482001005000", GridKind.GRID, "330482001005", GridKind.COMMUNITY, ErrorCode.INVALID_CODE),
    ("33048200100500100", GridKind.MICRO_GRID, "330482001005001", GridKind.GRID, ErrorCode.INVALID_CODE),
    # parent's code is not a prefix
    ("330482002005", GridKind.COMMUNITY, "330482001", GridKind.TOWN, ErrorCode.INVALID_CODE),
    # wrong parent kind, or a missing parent
    ("330482001005001", GridKind.GRID, "330482001", GridKind.TOWN, ErrorCode.INVALID_PARENT),
    ("330482001", GridKind.TOWN, None, None, ErrorCode.INVALID_PARENT),
    ("330482", GridKind.CITY, "330000", GridKind.CITY, ErrorCode.INVALID_PARENT),
]


@pytest.mark.parametrize(("code", "kind", "parent_code", "parent_kind", "error"), INVALID)
def test_invalid_codes_are_refused_with_a_code(
    code: str, kind: GridKind, parent_code: str | None, parent_kind: GridKind | None, error: ErrorCode
) -> None:
    with pytest.raises(ValidationError) as raised:
        validate_code(code, kind, parent_code, parent_kind)
    assert raised.value.code is error
    assert raised.value.message


def test_kind_for_code_tells_villages_from_communities() -> None:
    assert kind_for_code("330482108216") is GridKind.VILLAGE
    assert kind_for_code("330482001005") is GridKind.COMMUNITY
    with pytest.raises(ValidationError):
        kind_for_code("330482001000")


def test_every_kind_has_a_chinese_label() -> None:
    assert [k.label for k in GridKind] == ["市", "镇（街道）", "社区", "村", "网格", "微网格"]
