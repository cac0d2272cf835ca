"""The GraphQL schema: Query and Mutation composed from the registered domains' mixins
(`api.schema.domains`), with the execution safety extensions always on."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig

from api.schema.domains import extra_types, mutation_mixins, query_mixins
from api.schema.errors import PublicErrors
from api.schema.limits import MAX_TOKENS, QueryCost, QuietExecutionContext, limit_rules
from api.schema.money import FEN, FenType
from api.schema.node import NodeQueries
from api.schema.relay import DATE_TIME
from domain.db import unavailable_reason
from domain.errors import DomainError

log = logging.getLogger("linzhi.graphql")


# Each domain's fields, in registry order.
Query = strawberry.type(type("Query", (NodeQueries, *query_mixins()), {}), description="查询")
Mutation = strawberry.type(type("Mutation", mutation_mixins(), {}), description="变更")


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Log unexpected errors only; domain errors are answers, not incidents. An unreachable
        database is an incident of its own: one line, without a stack trace per field."""
        unexpected = [e for e in errors if e.original_error and not isinstance(e.original_error, DomainError)]
        reasons = [unavailable_reason(e.original_error) for e in unexpected if e.original_error]
        outages = [reason for reason in reasons if reason]
        if outages:
            log.warning("database unavailable (%d GraphQL errors): %s", len(outages), outages[0])
            unexpected = [e for e, reason in zip(unexpected, reasons, strict=True) if not reason]
        if unexpected:
            super().process_errors(unexpected, execution_context)


# Parsed and validated documents, shared by every request (strawberry keeps one LRU per size).
DOCUMENT_CACHE_SIZE = 512


def build_schema(*, introspection: bool = True) -> Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        types=extra_types(),
        config=StrawberryConfig(relay_max_results=100),
        scalar_overrides={datetime: DATE_TIME, FenType: FEN},
        extensions=[
            lambda: MaxTokensLimiter(MAX_TOKENS),
            lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
            limit_rules(introspection),
            lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
            QueryCost,
            PublicErrors,
        ],
        execution_context_class=None if introspection else QuietExecutionContext,
    )


schema = build_schema()
