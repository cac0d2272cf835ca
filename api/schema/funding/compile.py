"""Compiled read path mapping of venture funding's public reads (docs/compiler.md): FundingRound ->
funding_round, Application -> funding_application (its public fields), the round list
`fundingRounds` (`domain.funding.queries.visible_rounds`: `public_round` for everyone but bureau
staff), `fundingRound(id:)`, a round's published results `fundingResults(round:)`
(`queries.public_result`) and its published needs `fundingNeeds(round:)` (`queries.public_need`).
The display strings in yuan/万元, `awardedFen`/`remainingFen`, the tranche plan, and an
application's non-public fields and lists are read by the resolvers.

`public_result` and `public_need` filter on the row's round (`round__stage__...`), a relation the generic
`render_q` does not follow: `_render` renders the same `Q`, each `round__` filter as an `EXISTS`
over the round's row, every other filter through `render_q`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from graphql import FieldNode, GraphQLField

from api.compiler.arguments import checked, resolver_arguments
from api.compiler.connection import Keyset, connection, relay_page
from api.compiler.mapping import Column, ToOne, TypeMap, register, root
from api.compiler.planner import Builder, Env
from api.compiler.roots import connection_root
from api.compiler.sql import Sql, join, render_q
from api.schema.relay import node_pk
from domain.funding import queries
from domain.funding.models import APP_STATUS_LABELS, ROUND_STAGE_LABELS, NeedStatus
from domain.tortoise_internals import q_is_negated

NEED_STATUS_LABELS = {status: status.label for status in NeedStatus}
BY_ID = Keyset((("id", "int"),))


def _visible_round(b: Builder, alias: str) -> Sql | None:
    return b.rule(lambda env: (env.rule_actor,), queries.visible_rounds, alias, "funding_round")


FUNDING_ROUND = register(
    TypeMap(
        name="FundingRound",
        table="funding_round",
        columns=frozenset({"id", "stage"}),  # the columns `visible_rounds` and `public_result` read
        fields={
            "edition": Column("edition", "int"),
            "year": Column("year", "int"),
            "title": Column("title"),
            "stage": Column("stage"),
            "stageLabel": Column("stage", labels=ROUND_STAGE_LABELS),
            "poolFen": Column("pool_fen", "int"),
            "capFen": Column("cap_fen", "int"),
            "maxGrantSharePct": Column("max_grant_share_pct", "int"),
            "minMatchingSharePct": Column("min_matching_share_pct", "int"),
            "maxApplicationsPerOrg": Column("max_applications_per_org", "int"),
            "allowFiled": Column("allow_filed", "bool"),
            "publicityDays": Column("publicity_days", "int"),
            "passMark": Column("pass_mark", "int"),
            "secondApprovalOverFen": Column("second_approval_over_fen", "int"),
            "openedAt": Column("opened_at", "datetime"),
            "isDemo": Column("is_demo", "bool"),
        },
        visible=_visible_round,
    )
)

APPLICATION = register(
    TypeMap(
        name="Application",
        table="funding_application",
        columns=frozenset({"id", "round_id", "status", "organisation_id"}),
        fields={
            "projectName": Column("project_name"),
            "targetGroup": Column("target_group"),
            "status": Column("status"),
            "statusLabel": Column("status", labels=APP_STATUS_LABELS),
            "requestedFen": Column("requested_fen", "int"),
            "awardFen": Column("award_fen", "int"),
            "submittedAt": Column("submitted_at", "datetime"),
            "isDemo": Column("is_demo", "bool"),
            "organisation": ToOne("Organisation", "organisation_id"),
            "sponsor": ToOne("Organisation", "sponsor_id", nullable=True),
        },
    )
)

NEED = register(
    TypeMap(
        name="Need",
        table="funding_need",
        columns=frozenset({"id", "round_id", "status"}),  # the columns `public_need` reads
        fields={
            "text": Column("text"),
            "status": Column("status"),
            "statusLabel": Column("status", labels=NEED_STATUS_LABELS),
            "createdAt": Column("created_at", "datetime"),
            "cell": ToOne("GridCell", "cell_id"),
        },
    )
)

# the round list: `visible_rounds`, by id
connection_root(
    "fundingRounds",
    node_type="FundingRound",
    table="funding_round",
    keyset=BY_ID,
    keys=(int,),
    decode=lambda env, arguments: None,
    where=lambda actor, _: queries.visible_rounds(actor),
)


@root("fundingRound")
def funding_round(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    return b.lookup(field_def, nodes, "FundingRound")


def _all(parts: list[Sql | None], glue: str) -> Sql | None:
    present = [p for p in parts if p is not None]
    if not present:
        return None
    return present[0] if len(present) == 1 else "(" + join(present, glue) + ")"


def _filter(key: str, value: Any, alias: str, columns: frozenset[str]) -> Sql | None:
    if not key.startswith("round__"):
        return render_q({key: value}, alias, columns)
    inner = render_q({key.removeprefix("round__"): value}, f"{alias}_r", FUNDING_ROUND.columns)
    head = f"EXISTS (SELECT 1 FROM funding_round {alias}_r WHERE {alias}_r.id = {alias}.round_id"
    return head + (" AND " + inner if inner is not None else Sql("")) + ")"


def _render(q: Any, alias: str, columns: frozenset[str]) -> Sql | None:
    """`render_q` over a row with a `round_id` (an application, a need) and these `columns`,
    following `round__` filters to the round's row."""
    parts: list[Sql | None] = [_render(child, alias, columns) for child in q.children]
    parts += [_filter(key, value, alias, columns) for key, value in q.filters.items()]
    body = _all(parts, " OR " if q.join_type == "OR" else " AND ")
    if body is None:
        return None
    return "NOT (" + body + ")" if q_is_negated(q) else body


def _of_round(
    b: Builder,
    field_def: GraphQLField,
    nodes: Sequence[FieldNode],
    type_map: TypeMap,
    rule: Callable[[int], Any],
) -> Sql:
    """A root connection of `type_map`'s rows where the domain's `rule(round)` holds, by id."""
    coerced = b.arguments(field_def, nodes[0])
    arguments = resolver_arguments(b, field_def, nodes[0])
    round_id = checked(lambda env: node_pk(arguments(env)["round"], "FundingRound", "round"))

    def where(alias: str) -> list[Sql]:
        def render(env: Env) -> Sql:
            return _render(rule(round_id(env)), alias, type_map.columns) or Sql("")

        return [b.dyn(render)]

    return connection(
        b,
        field_def,
        nodes,
        node_type=type_map.name,
        table=type_map.table,
        where=where,
        keyset=BY_ID,
        page_of=relay_page(coerced, (int,)),
    )


@root("fundingResults")
def funding_results(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    """A round's published results: `queries.public_result(round)`, by id."""
    return _of_round(b, field_def, nodes, APPLICATION, queries.public_result)


@root("fundingNeeds")
def funding_needs(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    """A round's published needs: `queries.public_need(round)`, by id."""
    return _of_round(b, field_def, nodes, NEED, queries.public_need)
