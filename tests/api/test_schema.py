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
    # GIVEN a document the server has answered once (under every validation rule)
    parse, validate = _get_parse_cache(DOCUMENT_CACHE_SIZE), _get_validate_cache(DOCUMENT_CACHE_SIZE)
    query = "query CacheProbe { probe: __typename }"
    assert (await gql(client, query))["data"] == {"probe": "Query"}
    before = parse.cache_info(), validate.cache_info()
    # WHEN the same text comes again
    assert (await gql(client, query))["data"] == {"probe": "Query"}
    # THEN both caches answer it: nothing is parsed or validated again
    after = parse.cache_info(), validate.cache_info()
    assert [a.misses - b.misses for a, b in zip(after, before, strict=True)] == [0, 0]
    assert [a.hits - b.hits for a, b in zip(after, before, strict=True)] == [1, 1]
