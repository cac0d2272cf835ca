"""The registry (api/schema/domains.py) is the one list everything per domain is derived from."""

from __future__ import annotations

from strawberry.utils.str_converters import to_camel_case

from api.compiler import mapping
from api.compiler.node import COMPILED_NODE_TYPES
from api.schema import schema
from api.schema.domains import DOMAINS
from api.schema.node import RESOLVERS


def _names(mixin: type | None) -> list[str]:
    if mixin is None:
        return []
    fields = mixin.__strawberry_definition__.fields  # type: ignore[attr-defined]
    return [f.graphql_name or to_camel_case(f.python_name) for f in fields]


def test_query_and_mutation_are_the_registered_domains_fields_in_registry_order() -> None:
    query, mutation = schema._schema.query_type, schema._schema.mutation_type
    assert query is not None
    assert mutation is not None
    assert list(query.fields) == ["node", "nodes", *(n for d in DOMAINS for n in _names(d.queries))]
    assert list(mutation.fields) == [n for d in DOMAINS for n in _names(d.mutations)]


def test_a_compiled_node_type_is_resolvable_and_mapped() -> None:
    mapping.load_mappings()
    assert RESOLVERS.keys() >= COMPILED_NODE_TYPES
    assert mapping.TYPES.keys() >= COMPILED_NODE_TYPES


def test_the_contributed_fields_sit_at_their_slot_and_compile() -> None:
    mapping.load_mappings()
    cell = schema._schema.get_type("GridCell")
    assert list(cell.fields)[-3:] == ["leaders", "activities", "head"]  # type: ignore[union-attr]
    assert {"leaders", "activities"} <= mapping.TYPES["GridCell"].fields.keys()
    assert "verifiedActivityCounts" in mapping.TYPES["MicroLeader"].fields
