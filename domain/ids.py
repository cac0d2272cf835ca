"""Primary keys as clients write them: the range a table's `id` column can hold.

A number past that range names no row, and the database refuses it as a query parameter
(PostgreSQL past INTEGER or BIGINT, SQLite past 2**63), so input is checked before any query.
"""

from __future__ import annotations

import functools

from tortoise import Model, Tortoise, fields

INTEGER_MAX = 2**31 - 1  # PostgreSQL INTEGER: the `id` of an IntField primary key
BIGINT_MAX = 2**63 - 1  # PostgreSQL BIGINT and SQLite INTEGER: a BigIntField primary key


def largest_id(model_name: str) -> int:
    """The largest primary key the table of the model named `model_name` can hold."""
    apps = Tortoise.apps
    model = apps["models"].get(model_name) if apps is not None and "models" in apps else None
    return BIGINT_MAX if model is not None and _big_pk(model) else INTEGER_MAX


@functools.cache
def _big_pk(model: type[Model]) -> bool:
    """Whether the model's primary key is a BigIntField (from Tortoise's public `describe`, which
    takes milliseconds: once per model class)."""
    field_type = model.describe(serializable=False)["pk_field"]["field_type"]
    return isinstance(field_type, type) and issubclass(field_type, fields.BigIntField)


def parse_id(text: str, model_name: str) -> int | None:
    """The primary key `text` writes (ASCII digits, within the column's range), or None.

    `str.isdigit` alone is not enough: it accepts "²" and "٣", which `int` refuses."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(BIGINT_MAX)):
        return None
    value = int(text)
    return value if value <= largest_id(model_name) else None
