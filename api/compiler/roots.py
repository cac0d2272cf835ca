"""A Relay connection at the root of Query, declared in one line: which table, which domain rule
filters it, which keyset pages it (see docs/compiler.md, *Mapping a field*)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from graphql import FieldNode, GraphQLField

from api.compiler.arguments import checked, guard_subtree, resolver_arguments
from api.compiler.connection import Keyset, connection, relay_page
from api.compiler.mapping import root
from api.compiler.planner import Builder, Env
from api.compiler.sql import Fallback, Sql
from domain.access import Actor

# (the request, the field's arguments as its resolver receives them) -> a value
Rule = Callable[[Env, dict[str, Any]], Any]
# (the actor as rules see it, the decoded filter) -> the domain's `Q` (or list of `Q`)
Where = Callable[[Actor, Any], Any]


def connection_root(
    name: str,
    *,
    node_type: str,
    table: str,
    decode: Rule,
    where: Where,
    keyset: Keyset,
    keys: tuple[type, ...] = (str,),
    subtree: bool = False,
    resolvers_answer: Rule | None = None,
) -> None:
    """Register the root connection `name`: rows of `table` (nodes of `node_type`) where the
    domain's `Q` (or list of `Q`) `where(actor, decode(env, arguments))` holds, paged on `keyset`
    with cursor key types `keys`. `decode` gives the domain's filter (a hashable value, e.g. a
    frozen dataclass); `where` is the domain's rule over it, rendered once per distinct (actor,
    filter) and plan (`Builder.rule`). `subtree`: the field has `filter.subtree`, whose cached
    path the statement re-checks. `resolvers_answer(env, arguments)`: a reason when the resolvers
    must answer the request instead (e.g. a staff-only read), else None."""

    def compile_root(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
        coerced = b.arguments(field_def, nodes[0])
        arguments = resolver_arguments(b, field_def, nodes[0])
        if subtree:
            guard_subtree(b, coerced)
        if resolvers_answer is not None:
            reason = b.decide(checked(lambda env: resolvers_answer(env, arguments(env))))
            if reason:
                raise Fallback(reason)
        decoded = checked(lambda env: decode(env, arguments(env)))
        return connection(
            b,
            field_def,
            nodes,
            node_type=node_type,
            table=table,
            where=b.ruled(lambda env: (env.rule_actor, decoded(env)), checked(where), table),
            keyset=keyset,
            page_of=relay_page(coerced, keys),
        )

    root(name)(compile_root)
