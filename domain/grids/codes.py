"""Grid-cell kinds and the code rules that tie a code to its kind and its parent.

Codes extend the national division code level by level:
CITY 6 digits (330482) > TOWN +3 (001-099 streets, 100-599 towns) > COMMUNITY +3 (001-199) or
VILLAGE +3 (200-399) > GRID +3 (001-999) > MICRO_GRID +2 (01-99). A parent's code is a prefix of
its children's codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import ErrorCode, ValidationError


class GridKind(StrEnum):
    CITY = "CITY"
    TOWN = "TOWN"
    COMMUNITY = "COMMUNITY"
    VILLAGE = "VILLAGE"
    GRID = "GRID"
    MICRO_GRID = "MICRO_GRID"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS: dict[GridKind, str] = {
    GridKind.CITY: "市",
    GridKind.TOWN: "镇（街道）",
    GridKind.COMMUNITY: "社区",
    GridKind.VILLAGE: "村",
    GridKind.GRID: "网格",
    GridKind.MICRO_GRID: "微网格",
}


@dataclass(frozen=True)
class CodeRule:
    length: int
    segment_min: int
    segment_max: int
    parent_kinds: tuple[GridKind, ...]


RULES: dict[GridKind, CodeRule] = {
    GridKind.CITY: CodeRule(6, 1, 999999, ()),
    GridKind.TOWN: CodeRule(9, 1, 599, (GridKind.CITY,)),
    GridKind.COMMUNITY: CodeRule(12, 1, 199, (GridKind.TOWN,)),
    GridKind.VILLAGE: CodeRule(12, 200, 399, (GridKind.TOWN,)),
    GridKind.GRID: CodeRule(15, 1, 999, (GridKind.COMMUNITY, GridKind.VILLAGE)),
    GridKind.MICRO_GRID: CodeRule(17, 1, 99, (GridKind.GRID,)),
}

# Which kinds a code of a given length can be, for a lookup by code alone.
KINDS_BY_LENGTH: dict[int, tuple[GridKind, ...]] = {
    length: tuple(kind for kind, rule in RULES.items() if rule.length == length)
    for length in {rule.length for rule in RULES.values()}
}


def kind_for_code(code: str) -> GridKind:
    """The kind a well-formed code denotes (village vs community by its unit range)."""
    for kind in KINDS_BY_LENGTH.get(len(code), ()):
        if code.isdigit() and _segment_in_range(code, RULES[kind]):
            return kind
    raise ValidationError(ErrorCode.INVALID_CODE, f"编码 {code} 不是有效的网格编码", ["code"])


def validate_code(code: str, kind: GridKind, parent_code: str | None, parent_kind: GridKind | None) -> None:
    """Raise a ValidationError unless `code` is a valid code of `kind` under the given parent."""
    rule = RULES[kind]
    if len(code) != rule.length or not code.isdigit():
        raise ValidationError(ErrorCode.INVALID_CODE, f"{kind.label}编码应为 {rule.length} 位数字", ["code"])
    if not _segment_in_range(code, rule):
        raise ValidationError(
            ErrorCode.INVALID_CODE,
            f"{kind.label}编码末段应在 {rule.segment_min:0{_segment_width(kind)}d}–"
            f"{rule.segment_max:0{_segment_width(kind)}d} 之间",
            ["code"],
        )
    _validate_parent(code, kind, parent_code, parent_kind)


def _validate_parent(
    code: str, kind: GridKind, parent_code: str | None, parent_kind: GridKind | None
) -> None:
    rule = RULES[kind]
    if not rule.parent_kinds:
        if parent_code is not None:
            raise ValidationError(ErrorCode.INVALID_PARENT, "市级单元不能有上级", ["parent"])
        return
    if parent_code is None or parent_kind not in rule.parent_kinds:
        allowed = "、".join(k.label for k in rule.parent_kinds)
        raise ValidationError(ErrorCode.INVALID_PARENT, f"{kind.label}的上级应为{allowed}", ["parent"])
    if not code.startswith(parent_code):
        raise ValidationError(
            ErrorCode.INVALID_CODE, f"编码 {code} 应以上级编码 {parent_code} 开头", ["code"]
        )


def _segment_width(kind: GridKind) -> int:
    rule = RULES[kind]
    parent_length = RULES[rule.parent_kinds[0]].length if rule.parent_kinds else 0
    return rule.length - parent_length


def _segment_in_range(code: str, rule: CodeRule) -> bool:
    parent_length = RULES[rule.parent_kinds[0]].length if rule.parent_kinds else 0
    segment = int(code[parent_length:])
    return rule.segment_min <= segment <= rule.segment_max
