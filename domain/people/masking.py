"""Masking of personal data for output. Each function has a SQL twin in the compiled read path."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """`张三丰` -> `张**`: the surname stays, every other character becomes `*`."""
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_mobile(mobile: str) -> str:
    """`13812341234` -> `138****1234`."""
    if len(mobile) != 11:
        return "*" * len(mobile)
    return f"{mobile[:3]}****{mobile[-4:]}"


def mask_resident_id(resident_id: str) -> str:
    """First 6 and last 4 characters stay: `330482********0027`."""
    if len(resident_id) <= 10:
        return "*" * len(resident_id)
    return resident_id[:6] + "*" * (len(resident_id) - 10) + resident_id[-4:]


def _stars_sql(length: str, dialect: str) -> str:
    """`"*" * length` in SQL (at most 64 on SQLite: names, mobiles and resident IDs are shorter)."""
    return f"substr('{'*' * 64}', 1, {length})" if dialect == "sqlite" else f"repeat('*', {length})"


def mask_name_sql(column: str, dialect: str) -> str:
    """`mask_name` as a SQL expression over a name column (`sqlite` or `postgres`): the compiled
    read path's twin, kept beside it; `tests/compiler/test_twins.py` checks they agree."""
    stars = f"max(length({column}) - 1, 1)" if dialect == "sqlite" else f"greatest(length({column}) - 1, 1)"
    repeat = f"substr('{'*' * 64}', 1, {stars})" if dialect == "sqlite" else f"repeat('*', {stars})"
    return f"CASE WHEN {column} = '' THEN {column} ELSE substr({column}, 1, 1) || {repeat} END"


def mask_mobile_sql(column: str, dialect: str) -> str:
    """`mask_mobile` as a SQL expression over a non-empty mobile column (the twin of the above)."""
    stars = _stars_sql(f"length({column})", dialect)
    kept = f"substr({column}, 1, 3) || '****' || substr({column}, 8, 4)"
    return f"CASE WHEN length({column}) <> 11 THEN {stars} ELSE {kept} END"


def mask_resident_id_sql(column: str, dialect: str) -> str:
    """`mask_resident_id` as a SQL expression over a non-empty resident ID column."""
    stars = _stars_sql(f"length({column})", dialect)
    middle = _stars_sql(f"length({column}) - 10", dialect)
    kept = f"substr({column}, 1, 6) || {middle} || substr({column}, length({column}) - 3, 4)"
    return f"CASE WHEN length({column}) <= 10 THEN {stars} ELSE {kept} END"
