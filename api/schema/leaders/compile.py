"""Compiled read path mapping of micro-leaders (see docs/compiler.md): MicroLeader ->
micro_leader with the masked person name, Cohort -> cohort, TrainingSession -> training_session;
the roots microLeaders, microLeader, cohort, cohorts and trainingSession. Staff-only reads stay on
the resolvers (a name search, certification progress: docs/compiler.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from graphql import FieldNode, GraphQLField

from api.compiler.arguments import path_of
from api.compiler.connection import Keyset
from api.compiler.mapping import Column, Computed, ToMany, ToOne, TypeMap, extend, register, root
from api.compiler.planner import Builder, Env
from api.compiler.roots import connection_root
from api.compiler.sql import Sql
from api.schema.grids.compile import GRID_CELL
from api.schema.leaders.queries import decode_leader_filter
from domain.leaders import queries
from domain.leaders.models import LEADER_STATUS_LABELS, SESSION_TYPE_LABELS, SOURCE_ROLE_LABELS
from domain.leaders.queries import MAX_COHORTS_LISTED, MAX_LEADERS_PER_CELL, LeaderFilter, active_leaders
from domain.people.policy import name_sql


def leader_name(b: Builder, alias: str) -> Sql:
    """`MicroLeader.name`: `domain.people.policy.view_for(actor, person).name`, through its SQL twin."""
    person = b.alias("p")
    dialect = b.dialect.name

    def name(env: Env) -> Sql:
        text, params = name_sql(env.actor, f"{person}.name", f"{person}.id", dialect)
        return Sql(text, tuple(params))

    return "(SELECT " + b.dyn(name) + f" FROM person {person} WHERE {person}.id = {alias}.person_id)"


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
            "isDemo": Column("is_demo", "bool"),
            "name": Computed(leader_name),
            "cohort": ToOne("Cohort", "cohort_id"),
            "homeCell": ToOne("GridCell", "home_cell_id"),
            "person": ToOne("Person", "person_id"),
        },
    )
)

COHORT = register(
    TypeMap(
        name="Cohort",
        table="cohort",
        columns=frozenset({"id", "name", "year"}),
        fields={
            "name": Column("name"),
            "year": Column("year", "int"),
            "yearUnverified": Column("year_unverified", "bool"),
            "isDemo": Column("is_demo", "bool"),
        },
    )
)


@root("microLeader")
def micro_leader(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    return b.lookup(field_def, nodes, "MicroLeader")


@root("cohort")
def cohort(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    return b.lookup(field_def, nodes, "Cohort")


def _directory(env: Env, arguments: dict[str, Any]) -> LeaderFilter:
    return decode_leader_filter(arguments.get("filter"), path_of(env))


def _name_search(env: Env, arguments: dict[str, Any]) -> str | None:
    # a search by name is a staff-only read (`queries.name_search`): the resolvers answer it
    return "staff-only read (name search)" if (_directory(env, arguments).search or "").strip() else None


# the public leader directory: `domain.leaders.queries.leaders_filter`, by id
connection_root(
    "microLeaders",
    node_type="MicroLeader",
    table="micro_leader",
    keyset=Keyset((("id", "int"),)),
    keys=(int,),
    decode=_directory,
    where=lambda actor, f: queries.leaders_filter(f),
    subtree=True,
    resolvers_answer=_name_search,
)


@root("cohorts")
def cohorts(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    """`domain.leaders.queries.cohorts`: newest intake first, at most MAX_COHORTS_LISTED."""
    alias = b.alias()
    columns = b.object_columns("Cohort", alias, nodes)
    order = f"ORDER BY {alias}.year DESC, {alias}.id DESC LIMIT {MAX_COHORTS_LISTED}"
    return b.nested(b.dialect.many(columns, Sql(f"FROM cohort {alias} {order}")))


def seats_left(b: Builder, alias: str) -> Sql:
    """`TrainingSessionType.seats_left`: max(0, capacity - enrolled)."""
    larger = "max" if b.dialect.name == "sqlite" else "greatest"
    return Sql(f"{larger}(0, {alias}.capacity - {alias}.enrolled_count)")


def check_in_open(b: Builder, alias: str) -> Sql:
    """`TrainingSessionType.check_in_open`: the code is accepted until `check_in_until`, compared
    with the request's clock (read once per request, as the resolver reads it once)."""
    now = b.dyn(lambda env: Sql("?", (env.once("now", lambda: datetime.now(UTC)),)), volatile=True)
    return f"{alias}.check_in_until IS NOT NULL AND " + now + f" <= {alias}.check_in_until"


TRAINING_SESSION = register(
    TypeMap(
        name="TrainingSession",
        table="training_session",
        columns=frozenset({"id", "cohort_id"}),
        fields={
            "sessionType": Column("session_type"),
            "typeLabel": Column("session_type", labels=SESSION_TYPE_LABELS),
            "title": Column("title"),
            "startsAt": Column("starts_at", "datetime"),
            "endsAt": Column("ends_at", "datetime"),
            "venue": Column("venue"),
            "facilitator": Column("facilitator"),
            "capacity": Column("capacity", "int"),
            "enrolledCount": Column("enrolled_count", "int"),
            "hours": Column("hours", "decimal", scale=1),
            "required": Column("required", "bool"),
            "isDemo": Column("is_demo", "bool"),
            "seatsLeft": Computed(seats_left),
            "checkInOpen": Computed(check_in_open, kind="bool"),
            "cohort": ToOne("Cohort", "cohort_id"),
        },
    )
)


@root("trainingSession")
def training_session(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    return b.lookup(field_def, nodes, "TrainingSession")


# GridCell.leaders (`api.schema.leaders.extends`): `domain.leaders.queries.leaders_in_cells`
# (by id)
def _active_leaders(b: Builder, alias: str) -> Sql | None:
    """`domain.leaders.queries.active_leaders` (WITHDRAWN left out)."""
    return b.rule(lambda env: (), active_leaders, alias, "micro_leader")


extend(
    GRID_CELL,
    {
        "leaders": ToMany(
            "MicroLeader", "home_cell_id", where=_active_leaders, order=("id",), limit=MAX_LEADERS_PER_CELL
        )
    },
)
