"""Compiled read path mapping of micro-leaders (see docs/compiler.md): MicroLeader ->
micro_leader with the masked person name, Cohort -> cohort."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql import FieldNode, GraphQLField

from api.compiler.connection import Keyset, connection
from api.compiler.mapping import Column, Computed, Nested, ToOne, TypeMap, register, root
from api.compiler.planner import Builder, Env
from api.compiler.sql import Fallback, Sql, literal
from api.schema.activities.compile import labels, plain_objects
from api.schema.grids.compile import cached_path, checked
from api.schema.relay import node_pk, page_request
from domain.activities.models import ACTIVITY_TYPE_LABELS, ActivityStatus
from domain.grids.models import subtree_range
from domain.leaders.models import LEADER_STATUS_LABELS, SOURCE_ROLE_LABELS, LeaderStatus
from domain.people.policy import name_sql


def leader_name(b: Builder, alias: str) -> Sql:
    """`MicroLeader.name`: `domain.people.policy.view_for(actor, person).name`, through its SQL twin."""
    person = b.alias("p")
    dialect = b.dialect.name

    def name(env: Env) -> Sql:
        text, params = name_sql(env.actor, f"{person}.name", f"{person}.id", dialect)
        return Sql(text, tuple(params))

    return "(SELECT " + b.dyn(name) + f" FROM person {person} WHERE {person}.id = {alias}.person_id)"


def verified_activity_counts(b: Builder, alias: str, nodes: Sequence[FieldNode]) -> Sql:
    """`MicroLeader.verifiedActivityCounts`: `domain.activities.queries.verified_counts_by_type`
    (one GROUP BY over the leader's VERIFIED records), in the resolvers' sorted type order."""
    verified = literal(ActivityStatus.VERIFIED.value)

    def source(row: str) -> str:
        grouped = (
            "SELECT activity_type, count(*) AS n FROM activity "
            f"WHERE leader_id = {alias}.id AND status = {verified} GROUP BY activity_type"
        )
        return f"FROM ({grouped}) {row} ORDER BY {b.dialect.collate_c(f'{row}.activity_type')}"

    fields = {
        "activityType": lambda row: f"{row}.activity_type",
        "label": lambda row: labels(f"{row}.activity_type", ACTIVITY_TYPE_LABELS),
        "count": lambda row: f"{row}.n",
    }
    return plain_objects(b, nodes, "ActivityTypeCount", fields, source)


MICRO_LEADER = register(
    TypeMap(
        name="MicroLeader",
        table="micro_leader",
        columns=frozenset(
            {"id", "person_id", "cohort_id", "home_cell_id", "home_path", "source_role", "status"}
        ),
        fields={
            "sourceRole": Column("source_role"),
            "sourceRoleLabel": Column("source_role", labels=SOURCE_ROLE_LABELS),
            "status": Column("status"),
            "statusLabel": Column("status", labels=LEADER_STATUS_LABELS),
            "statusReason": Column("status_reason"),
            "nominatedAt": Column("nominated_at", "datetime"),
            "enrolledAt": Column("enrolled_at", "datetime"),
            "certifiedAt": Column("certified_at", "datetime"),
            "withdrawnAt": Column("withdrawn_at", "datetime"),
            "name": Computed(leader_name),
            "cohort": ToOne("Cohort", "cohort_id"),
            "homeCell": ToOne("GridCell", "home_cell_id"),
            "person": ToOne("Person", "person_id"),
            "verifiedActivityCounts": Nested(verified_activity_counts),
        },
    )
)

COHORT = register(
    TypeMap(
        name="Cohort",
        table="cohort",
        columns=frozenset({"id", "name", "year"}),
        fields={"name": Column("name"), "year": Column("year", "int")},
    )
)


@root("microLeader")
def micro_leader(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    arguments = b.arguments(field_def, nodes[0])
    pk = checked(lambda env: node_pk(arguments(env)["id"], "MicroLeader"))
    return b.single(
        "MicroLeader", nodes, lambda alias: f"{alias}.id = " + b.dyn(lambda env: Sql("?", (pk(env),)))
    )


@root("cohort")
def cohort(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    arguments = b.arguments(field_def, nodes[0])
    pk = checked(lambda env: node_pk(arguments(env)["id"], "Cohort"))
    return b.single("Cohort", nodes, lambda alias: f"{alias}.id = " + b.dyn(lambda env: Sql("?", (pk(env),))))


def leaders_filter(arguments: Any) -> Any:
    """`api.schema.leaders.queries._domain_filter` + `domain.leaders.queries._filtered` as filters;
    a name search by someone who sees masked names is the resolvers' PermissionDenied."""

    def build(env: Env) -> list[Any]:
        f = arguments(env).get("filter") or {}
        parts: list[Any] = []
        if f.get("cohort"):
            parts.append({"cohort_id": node_pk(f["cohort"], "Cohort", "filter.cohort")})
        if f.get("status"):
            parts.append({"status__in": [LeaderStatus(f["status"])]})
        if f.get("subtree"):
            path = env.cell_paths(node_pk(f["subtree"], "GridCell", "filter.subtree"))
            if path is None:
                raise Fallback("unknown subtree cell")
            low, high = subtree_range(path)
            parts.append({"home_path__gte": low, "home_path__lt": high})
        if (f.get("search") or "").strip():
            raise Fallback("search by name")  # a join on person: not compiled yet
        return parts

    return checked(build)


@root("microLeaders")
def micro_leaders(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    arguments = b.arguments(field_def, nodes[0])
    build = leaders_filter(arguments)
    subtree = checked(
        lambda env: node_pk((arguments(env).get("filter") or {})["subtree"], "GridCell", "filter.subtree")
    )
    if b.decide(lambda env: bool((arguments(env).get("filter") or {}).get("subtree"))):
        b.guard("NOT EXISTS (SELECT 1 FROM grid_cell WHERE id = " + b.dyn(cached_path(subtree)) + ")")

    def where(alias: str) -> list[Sql]:
        rendered = b.q(build, alias, "micro_leader")
        return [rendered] if rendered is not None else []

    def page(env: Env) -> Any:
        a = arguments(env)
        return page_request(
            first=a["first"], after=a["after"], last=a["last"], before=a["before"], key_types=(int,)
        )

    return connection(
        b,
        field_def,
        nodes,
        node_type="MicroLeader",
        table="micro_leader",
        where=where,
        keyset=Keyset((("id", "int"),)),
        page_of=page,
    )
