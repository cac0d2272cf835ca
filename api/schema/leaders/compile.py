"""Compiled read path mapping of micro-leaders (see docs/compiler.md): MicroLeader ->
micro_leader with the masked person name, Cohort -> cohort, TrainingSession -> training_session;
the roots microLeaders (name search included), microLeader, cohort, cohorts and trainingSession."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from graphql import FieldNode, GraphQLField

from api.compiler.arguments import checked, guard_subtree
from api.compiler.connection import Keyset, connection, relay_page
from api.compiler.mapping import Column, Computed, Nested, ToMany, ToOne, TypeMap, extend, register, root
from api.compiler.planner import Builder, Env
from api.compiler.sql import Fallback, Sql, literal, render_q
from api.schema.grids.compile import GRID_CELL
from api.schema.relay import node_pk
from domain.grids.models import subtree_range
from domain.leaders import policy
from domain.leaders.models import LEADER_STATUS_LABELS, SESSION_TYPE_LABELS, SOURCE_ROLE_LABELS, LeaderStatus
from domain.leaders.queries import MAX_COHORTS_LISTED, MAX_LEADERS_PER_CELL
from domain.people.policy import name_sql


def leader_name(b: Builder, alias: str) -> Sql:
    """`MicroLeader.name`: `domain.people.policy.view_for(actor, person).name`, through its SQL twin."""
    person = b.alias("p")
    dialect = b.dialect.name

    def name(env: Env) -> Sql:
        text, params = name_sql(env.actor, f"{person}.name", f"{person}.id", dialect)
        return Sql(text, tuple(params))

    return "(SELECT " + b.dyn(name) + f" FROM person {person} WHERE {person}.id = {alias}.person_id)"


def progress(b: Builder, alias: str, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    """`MicroLeader.progress`: null unless `policy.progress_filter(actor)` (the twin of
    `can_view_progress`) lets the leader through, else `domain.leaders.queries.progress_for`'s
    aggregate with its Decimal arithmetic done on integers: the share rounded half-even to 0.001,
    hours as integer tenths, `met` compared exactly."""
    d = b.dialect
    row = b.alias("g")
    visible = b.q(lambda env: policy.progress_filter(env.actor), alias, "micro_leader")
    attended = (
        f"FROM attendance a JOIN training_session s ON s.id = a.session_id "
        f"WHERE a.leader_id = {alias}.id AND a.present AND s.cohort_id = {alias}.cohort_id"
    )
    source = (
        f"FROM (SELECT (SELECT count(*) FROM training_session r WHERE r.cohort_id = {alias}.cohort_id "
        f"AND r.required) AS total, (SELECT count(*) {attended} AND s.required) AS attended, "
        f"(SELECT coalesce(sum(CAST(round(s.hours * 10) AS INTEGER)), 0) {attended}) AS tenths, "
        f"c.min_attendance_share AS min_share, c.min_hours AS min_hours "
        f"FROM cohort c WHERE c.id = {alias}.cohort_id) {row}"
    )
    total, done, tenths = f"{row}.total", f"{row}.attended", f"{row}.tenths"
    quotient, remainder = f"(({done} * 1000) / {total})", f"(({done} * 1000) % {total})"
    half_even = (
        f"({quotient} + CASE WHEN 2 * {remainder} > {total} "
        f"OR (2 * {remainder} = {total} AND {quotient} % 2 = 1) THEN 1 ELSE 0 END)"
    )

    def places(value: str, digits: int) -> str:
        """A non-negative integer count of 10^-digits as `str(Decimal)`."""
        scale = 10**digits
        if d.name == "sqlite":
            return f"printf('%d.%0{digits}d', ({value}) / {scale}, ({value}) % {scale})"
        fraction = f"lpad(CAST(({value}) % {scale} AS TEXT), {digits}, '0')"
        return f"(CAST(({value}) / {scale} AS TEXT) || '.' || {fraction})"

    share_milli = f"CAST(round({row}.min_share * 1000) AS INTEGER)"
    hours_tenths = f"CAST(round({row}.min_hours * 10) AS INTEGER)"
    fields = {
        "requiredTotal": total,
        "requiredAttended": done,
        "share": f"CASE WHEN {total} = 0 THEN '0.000' ELSE {places(half_even, 3)} END",
        "hours": places(tenths, 1),
        "minShare": d.decimal(f"{row}.min_share", 3),
        "minHours": d.decimal(f"{row}.min_hours", 1),
        "met": d.boolean(
            f"{total} > 0 AND {done} * 1000 >= {share_milli} * {total} AND {tenths} >= {hours_tenths}"
        ),
    }
    columns: list[tuple[str, Sql]] = []
    for key, name, _ in b.collect(nodes, "CertificationProgress"):
        if name == "__typename":
            columns.append((key, Sql(literal("CertificationProgress"))))
        elif name in fields:
            columns.append((key, Sql(fields[name])))
        else:
            raise Fallback(f"CertificationProgress.{name} is not compilable")
    where = Sql(" WHERE ") + visible if visible is not None else Sql("")
    return b.nested(d.single(columns, source + where))


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
            "progress": Nested(progress),
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
        return parts

    return checked(build)


def name_search(arguments: Any) -> Any:
    """`domain.leaders.queries._filtered`'s name search as a filter over person rows: staff only
    (for anyone else the resolvers answer PermissionDenied, so the request falls back)."""

    def build(env: Env) -> dict[str, str]:
        search = ((arguments(env).get("filter") or {}).get("search") or "").strip()
        policy.require_search_by_name(env.actor)
        return {"name__contains": search}

    return checked(build)


@root("microLeaders")
def micro_leaders(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    arguments = b.arguments(field_def, nodes[0])
    build = leaders_filter(arguments)
    guard_subtree(b, arguments)

    searching = b.decide(lambda env: bool(((arguments(env).get("filter") or {}).get("search") or "").strip()))
    search = name_search(arguments)

    def where(alias: str) -> list[Sql]:
        rendered = b.q(build, alias, "micro_leader")
        conditions = [rendered] if rendered is not None else []
        if searching:  # `person__name__contains`: the leader's person row
            person = b.alias("p")

            def matches(env: Env) -> Sql:
                return render_q(search(env), person, frozenset({"name"})) or Sql("1 = 1")

            conditions.append(
                f"{alias}.person_id IN (SELECT {person}.id FROM person {person} WHERE " + b.dyn(matches) + ")"
            )
        return conditions

    return connection(
        b,
        field_def,
        nodes,
        node_type="MicroLeader",
        table="micro_leader",
        where=where,
        keyset=Keyset((("id", "int"),)),
        page_of=relay_page(arguments, (int,)),
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
    now = b.dyn(lambda env: Sql("?", (env.once("now", lambda: datetime.now(UTC)),)))
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
# (WITHDRAWN left out, by id)
def _active_leaders(b: Builder, alias: str) -> Sql:
    return Sql(f"{alias}.status <> '{LeaderStatus.WITHDRAWN.value}'")


extend(
    GRID_CELL,
    {
        "leaders": ToMany(
            "MicroLeader", "home_cell_id", where=_active_leaders, order=("id",), limit=MAX_LEADERS_PER_CELL
        )
    },
)
