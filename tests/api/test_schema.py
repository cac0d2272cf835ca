"""The committed SDL is what the code builds; a schema change is visible in review."""

from __future__ import annotations

import httpx
import pytest
from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.extensions.validation_cache import _get_validate_cache

from api.cli import SCHEMA_FILE, export_schema
from api.schema import DOCUMENT_CACHE_SIZE
from tests.api.graphql import gql


def test_committed_schema_matches_the_code() -> None:
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    assert committed == export_schema(), "api/schema.graphql is stale: run `make schema` and commit it"


@pytest.mark.usefixtures("db")
async def test_a_repeated_document_is_parsed_and_validated_once(client: httpx.AsyncClient) -> None:
    # GIVEN a document the resolvers have answered once (under every validation rule)
    parse, validate = _get_parse_cache(DOCUMENT_CACHE_SIZE), _get_validate_cache(DOCUMENT_CACHE_SIZE)
    resolvers = {"x-linzhi-read-path": "resolvers"}
    query = "query CacheProbe { probe: __typename }"
    assert (await gql(client, query, headers=resolvers))["data"] == {"probe": "Query"}
    before = parse.cache_info(), validate.cache_info()
    # WHEN the same text comes again
    assert (await gql(client, query, headers=resolvers))["data"] == {"probe": "Query"}
    # THEN strawberry's caches answer it: nothing is parsed or validated again
    after = parse.cache_info(), validate.cache_info()
    assert [a.misses - b.misses for a, b in zip(after, before, strict=True)] == [0, 0]
    assert [a.hits - b.hits for a, b in zip(after, before, strict=True)] == [1, 1]


@pytest.mark.usefixtures("db")
async def test_the_compiled_path_checks_a_document_once(client: httpx.AsyncClient) -> None:
    # GIVEN a document the compiled path has answered once
    parse, validate = _get_parse_cache(DOCUMENT_CACHE_SIZE), _get_validate_cache(DOCUMENT_CACHE_SIZE)
    query = "query CompiledCacheProbe($first: Int) { gridCells(first: $first) { totalCount } }"
    assert (await gql(client, query, first=5))["data"] == {"gridCells": {"totalCount": 0}}
    before = parse.cache_info(), validate.cache_info()
    # WHEN the same text comes again, with other variables
    assert (await gql(client, query, first=7))["data"] == {"gridCells": {"totalCount": 0}}
    # THEN it is neither parsed nor validated again (not even a lookup in strawberry's caches)
    after = parse.cache_info(), validate.cache_info()
    assert after == before
    # AND the variables are still checked on every request, the query cost included
    refused = await gql(client, query, first="many")
    assert refused["data"] is None
    assert "Int" in refused["errors"][0]["message"]
    costly = await gql(client, query, first=10**6)
    assert costly["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


def test_every_object_with_an_id_is_a_node_that_node_resolves() -> None:
    """graphql.md: every entity implements Node, and `node(id:)` resolves each of them (with the
    same visibility as its typed fields): an object type with an `id: ID!` that is not a Node, or a
    Node without a resolver, would leave an entity unreachable by its own ID."""
    from graphql import GraphQLNonNull, GraphQLObjectType

    from api.schema import schema
    from api.schema.node import RESOLVERS

    types = schema._schema.type_map.values()
    objects = [t for t in types if isinstance(t, GraphQLObjectType) and not t.name.startswith("__")]
    with_id = {
        t.name
        for t in objects
        if "id" in t.fields
        and isinstance(t.fields["id"].type, GraphQLNonNull)
        and str(t.fields["id"].type.of_type) == "ID"
    }
    nodes = {t.name for t in objects if any(i.name == "Node" for i in t.interfaces)}
    assert with_id - nodes == set()
    assert nodes - set(RESOLVERS) == set()
