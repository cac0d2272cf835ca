"""The places the api layer needs a library's private attribute, because no public API gives
what it needs. Each is read or written only here; `tests/test_library_internals.py` fails
when strawberry or graphql-core change them (their versions are pinned in uv.lock)."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLSchema, ValidationContext


def graphql_schema(schema: Any) -> GraphQLSchema:
    """The graphql-core schema a strawberry `Schema` executes with. strawberry 0.341 keeps it in
    `Schema._schema` and has no public accessor (strawberry itself reads that attribute); the
    compiled read path and the query cost must see the very same object (its validation and
    parse caches are keyed on it)."""
    result = schema._schema
    assert isinstance(result, GraphQLSchema)
    return result


def hide_suggestions(context: ValidationContext) -> None:
    """Make graphql-core leave "Did you mean …?" out of this validation's errors. graphql-core
    3.3 reads `ValidationContext.hide_suggestions` (a read-only property over `_hide_suggestions`)
    and only `validate(hide_suggestions=True)` sets it publicly, which strawberry's
    `validate_document` does not pass; a rule instantiated before the visit sets it here."""
    context._hide_suggestions = True


def strawberry_schema(schema: GraphQLSchema) -> Any:
    """The strawberry `Schema` a graphql-core schema was built by. strawberry 0.341 links it as
    `GraphQLSchema._strawberry_schema` (its own resolvers read it there) and has no public
    accessor; the compiled read path converts arguments with that schema's scalar registry and
    config, exactly as the resolvers receive them."""
    return schema._strawberry_schema  # type: ignore[attr-defined]
