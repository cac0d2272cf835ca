"""The registry: every domain the API serves, in the order their fields appear in the schema.
Query, Mutation, the per-request loaders, `node(id:)`, the compiled mappings and the fields one
domain adds to another's types are all derived from this list (docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Callable

from api.schema.accounts import DOMAIN as ACCOUNTS
from api.schema.activities import DOMAIN as ACTIVITIES
from api.schema.contributions import apply
from api.schema.domain import Domain, NodeResolver
from api.schema.funding import DOMAIN as FUNDING
from api.schema.grids import DOMAIN as GRIDS
from api.schema.leaders import DOMAIN as LEADERS
from api.schema.organisations import DOMAIN as ORGANISATIONS
from api.schema.people import DOMAIN as PEOPLE
from api.schema.review import DOMAIN as REVIEW
from api.schema.socialwork import DOMAIN as SOCIALWORK

DOMAINS: tuple[Domain, ...] = (
    PEOPLE,
    ACCOUNTS,
    GRIDS,
    LEADERS,
    ACTIVITIES,
    ORGANISATIONS,
    SOCIALWORK,
    FUNDING,
    REVIEW,
)


def query_mixins() -> tuple[type, ...]:
    return tuple(d.queries for d in DOMAINS if d.queries is not None)


def mutation_mixins() -> tuple[type, ...]:
    return tuple(d.mutations for d in DOMAINS if d.mutations is not None)


def extra_types() -> list[type]:
    return [t for d in DOMAINS for t in d.types]


def loader_groups() -> dict[str, Callable[[], object]]:
    return {d.name: d.loaders for d in DOMAINS if d.loaders is not None}


def node_resolvers() -> dict[str, NodeResolver]:
    return {type_name: resolve for d in DOMAINS for type_name, resolve in d.nodes.items()}


def compiled_modules() -> tuple[str, ...]:
    return tuple(module for d in DOMAINS for module in d.compiled)


def compiled_node_types() -> frozenset[str]:
    return frozenset(type_name for d in DOMAINS for type_name in d.compiled_nodes)


# Before any schema is built: the fields domains add to each other's types, in domain order.
apply(c for d in DOMAINS for c in d.contributions)
