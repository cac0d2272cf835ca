"""The wrappers around library internals (`api/library_internals.py`,
`domain/tortoise_internals.py`) still do what they say with the pinned strawberry, graphql-core
and Tortoise: these tests fail when an upgrade moves the private attribute they rely on."""

from __future__ import annotations

from graphql import GraphQLSchema, TypeInfo, ValidationContext, parse, validate
from tortoise.expressions import Q

from api.library_internals import graphql_schema, hide_suggestions, strawberry_schema
from api.schema import schema
from domain.ids import BIGINT_MAX, INTEGER_MAX, largest_id
from domain.tortoise_internals import q_is_negated


def test_graphql_schema_is_the_schema_strawberry_executes_with() -> None:
    core = graphql_schema(schema)
    assert isinstance(core, GraphQLSchema)
    assert core.query_type is not None
    assert core.query_type.name == "Query"
    assert validate(core, parse("{ gridKinds { kind label } }")) == []
    assert core is graphql_schema(schema)  # one object: the parse and validation caches key on it


def test_strawberry_schema_is_the_schema_that_built_the_graphql_core_one() -> None:
    assert strawberry_schema(graphql_schema(schema)) is schema


def test_hide_suggestions_switches_graphql_cores_read_only_flag_on() -> None:
    core = graphql_schema(schema)
    context = ValidationContext(core, parse("{ gridKind }"), TypeInfo(core), lambda _: None)
    assert context.hide_suggestions is False
    hide_suggestions(context)
    assert context.hide_suggestions is True


def test_q_is_negated_follows_tortoises_negation() -> None:
    assert q_is_negated(Q(status="VERIFIED")) is False
    assert q_is_negated(~Q(status="VERIFIED")) is True
    assert q_is_negated(~~Q(status="VERIFIED")) is False
    negated = Q(status="VERIFIED")
    negated.negate()
    assert q_is_negated(negated) is True


async def test_largest_id_reads_the_primary_key_type_through_tortoises_public_describe(db: None) -> None:
    assert largest_id("Activity") == BIGINT_MAX  # BigIntField
    assert largest_id("Person") == INTEGER_MAX  # IntField
    assert largest_id("NoSuchModel") == INTEGER_MAX
