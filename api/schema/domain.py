"""What a domain plugs into the GraphQL API, declared once in its own package
(`api/schema/<domain>/__init__.py` exports `DOMAIN`) and collected by `api.schema.domains`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api.schema.contributions import Fields
    from api.schema.info import Info

NodeResolver = Callable[["Info", int], Awaitable[Any]]


@dataclass(frozen=True)
class Domain:
    """One domain's part of the API. Everything is optional: a domain may only own types."""

    name: str  # also `info.context.loaders.<name>` and the package `domain/<name>`
    queries: type | None = None  # a @strawberry.type mixin of Query fields
    mutations: type | None = None  # a @strawberry.type mixin of Mutation fields
    loaders: Callable[[], object] | None = None  # a new per-request DataLoader group
    nodes: Mapping[str, NodeResolver] = field(default_factory=dict)  # `node(id:)` by type name
    types: tuple[type, ...] = ()  # types the schema must know though no field names them
    contributions: tuple[Fields, ...] = ()  # fields added to other domains' types
    compiled: tuple[str, ...] = ()  # modules declaring compiled mappings (imported to register)
    compiled_nodes: frozenset[str] = frozenset()  # `node(id:)` types the compiled path reads
