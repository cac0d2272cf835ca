"""Compiled read path mapping of the activity log (see docs/compiler.md): Activity -> activity
under `domain.activities.policy.visible_filter` (with its problems and photos), the feed
`activities` (keyset on started_at, id, newest first), `activity(id:)`, a leader's own records
`myActivities`, and the aggregate `activityCountsByUnit`. The staff's review queue stays on the
resolvers (docs/compiler.md, *What compiles and what does not*)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from graphql import FieldNode, GraphQLField, GraphQLObjectType, get_named_type

from api.compiler.arguments import checked, path_of, resolver_arguments
from api.compiler.connection import Keyset, connection, relay_page
from api.compiler.mapping import (
    Column,
    Computed,
    Guarded,
    Nested,
    ToMany,
    ToOne,
    TypeMap,
    extend,
    register,
    root,
)
from api.compiler.planner import Builder, Env, labels, plain_objects
from api.compiler.roots import connection_root
from api.compiler.sql import Fallback, Sql, literal
from api.schema.activities.queries import FEED_KEYS, decode_feed_filter
from api.schema.activities.types import PHOTO_PATH
from api.schema.grids.compile import GRID_CELL, PAGING, subtree_branches
from api.schema.leaders.compile import MICRO_LEADER
from api.schema.relay import node_pk
from domain.access import Actor
from domain.activities import policy, queries, rollup
from domain.activities.models import (
    ACTIVITY_STATUS_LABELS,
    ACTIVITY_TYPE_LABELS,
    MEDIATION_LABELS,
    PROBLEM_LABELS,
    ActivityStatus,
)
from domain.activities.photos import MAX_PHOTOS
from domain.activities.queries import MAX_UNITS_PER_TOWN
from domain.grids.models import TOWN_DEPTH

ACTIVITY_COLUMNS = frozenset(
    {"id", "author_user_id", "leader_id", "cell_id", "cell_path", "town_id", "unit_id", "grid_id"}
    | {"activity_type", "started_at", "status", "submitted_at", "is_public", "details_public"}
)

FEED_KEYSET = Keyset((("started_at", "datetime"), ("id", "int")), descending=True)  # FEED_ORDER


def duration_minutes(b: Builder, alias: str) -> Sql:
    """`ActivityType_.duration_minutes`: whole minutes from start to end, rounded down."""
    start, end = f"{alias}.started_at", f"{alias}.ended_at"
    if b.dialect.name == "postgres":
        return Sql(f"CAST(floor(extract(epoch FROM ({end} - {start})) / 60) AS BIGINT)")

    # Stored as `isoformat(" ")`: whole seconds, then six digits of fraction when there are any.
    def micros(column: str) -> str:
        digits = f"CAST(substr({column}, 21, 6) AS INTEGER)"
        fraction = f"CASE WHEN substr({column}, 20, 1) = '.' THEN {digits} ELSE 0 END"
        return f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000 + {fraction})"

    d = f"({micros(end)} - {micros(start)})"
    return Sql(f"(CASE WHEN {d} >= 0 THEN {d} / 60000000 ELSE -((59999999 - {d}) / 60000000) END)")


def problems(b: Builder, alias: str, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    """`ActivityType_.problems`: the JSON object's entries in its stored order (JSONB's own order on
    PostgreSQL, which is also the order the resolvers decode), category -> count."""
    if b.dialect.name == "postgres":

        def source(row: str) -> str:
            return f"FROM jsonb_each({alias}.problems) WITH ORDINALITY {row}(key, value, n) ORDER BY {row}.n"

        def count(row: str) -> str:
            return f"CAST(CAST({row}.value AS TEXT) AS BIGINT)"

    else:

        def source(row: str) -> str:
            return f"FROM json_each({alias}.problems) {row} ORDER BY {row}.id"

        def count(row: str) -> str:
            return f"CAST({row}.value AS INTEGER)"

    fields: dict[str, Callable[[str], str]] = {
        "category": lambda row: f"{row}.key",
        "label": lambda row: labels(f"{row}.key", PROBLEM_LABELS),
        "count": count,
    }
    return plain_objects(b, nodes, "ProblemCount", fields, source)


_PHOTO_PREFIX, _PHOTO_SUFFIX = PHOTO_PATH.split("{id}")


def photo_url(b: Builder, alias: str) -> Sql:
    """`ActivityPhotoType.url`: `PHOTO_PATH` with the photo's id, a pure function of the row."""
    url = f"{literal(_PHOTO_PREFIX)} || CAST({alias}.id AS TEXT)"
    return Sql(url + f" || {literal(_PHOTO_SUFFIX)}" if _PHOTO_SUFFIX else url)


ACTIVITY_PHOTO = register(
    TypeMap(
        name="ActivityPhoto",
        table="activity_photo",
        columns=frozenset({"id", "activity_id"}),
        fields={
            "url": Computed(photo_url),
            "contentType": Column("content_type"),
            "width": Column("width", "int"),
            "height": Column("height", "int"),
        },
    )
)


def visible(b: Builder, alias: str) -> Sql | None:
    """`policy.visible_filter(actor)` (the resolvers' rule) rendered over the row."""
    return b.rule(_actor, policy.visible_filter, alias, "activity")


def details(b: Builder, alias: str) -> Sql | None:
    """`policy.details_filter(actor)`, the twin of `can_see_details`: narrative, place, problems,
    photos, follow-up and mediation outcome are null (lists empty) where it does not hold."""
    return b.rule(_actor, policy.details_filter, alias, "activity")


def shown_cell(b: Builder, alias: str) -> Sql:
    """`policy.shown_cell_id`: the record's cell under `policy.full_view_filter(actor)`, else its
    grid (the cell itself for a record above grid level)."""
    public = f"coalesce({alias}.grid_id, {alias}.cell_id)"
    full = b.rule(_actor, policy.full_view_filter, alias, "activity")
    if full is None:
        return Sql(f"{alias}.cell_id")
    return "CASE WHEN " + full + f" THEN {alias}.cell_id ELSE {public} END"


def shown_leader(b: Builder, alias: str) -> Sql:
    """The recording leader, for those who see the record's details (`policy.can_see_details`)."""
    condition = details(b, alias)
    if condition is None:
        return Sql(f"{alias}.leader_id")
    return "CASE WHEN " + condition + f" THEN {alias}.leader_id END"


ACTIVITY = register(
    TypeMap(
        name="Activity",
        table="activity",
        columns=ACTIVITY_COLUMNS,
        visible=visible,
        fields={
            "activityType": Column("activity_type"),
            "typeLabel": Column("activity_type", labels=ACTIVITY_TYPE_LABELS),
            "title": Column("title"),
            "narrative": Guarded(Column("narrative"), details),
            "startedAt": Column("started_at", "datetime"),
            "endedAt": Column("ended_at", "datetime"),
            "place": Guarded(Column("place"), details),
            "participants": Column("participants", "int"),
            "householdsReached": Column("households_reached", "int"),
            "durationMinutes": Computed(duration_minutes),
            "volunteerHours": Column("volunteer_hours", "decimal", scale=1),
            "problems": Guarded(Nested(problems), details, empty_list=True),
            # `domain.activities.queries.photos_of`: upload order; the record's visibility applies
            "photos": Guarded(
                ToMany("ActivityPhoto", "activity_id", order=("id",), limit=MAX_PHOTOS),
                details,
                empty_list=True,
            ),
            "mediationOutcome": Guarded(Column("mediation_outcome"), details),
            "mediationOutcomeLabel": Guarded(Column("mediation_outcome", labels=MEDIATION_LABELS), details),
            "followUp": Guarded(Column("follow_up"), details),
            "isPublic": Column("is_public", "bool"),
            "detailsPublic": Column("details_public", "bool"),
            "status": Column("status"),
            "statusLabel": Column("status", labels=ACTIVITY_STATUS_LABELS),
            "returnReason": Column("return_reason"),
            "submittedAt": Column("submitted_at", "datetime"),
            "verifiedAt": Column("verified_at", "datetime"),
            "isDemo": Column("is_demo", "bool"),
            "cell": ToOne("GridCell", "cell_id", key=shown_cell),
            "leader": ToOne("MicroLeader", "leader_id", nullable=True, key=shown_leader),
        },
    )
)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise Fallback("invalid argument (time without zone)")
    return value.astimezone(UTC)


def _actor(env: Env) -> tuple[Actor]:
    """The input of the actor-only policies (`Builder.rule`)."""
    return (env.rule_actor,)


def decode_feed(env: Env, arguments: dict[str, Any], own_cell: bool = False) -> queries.FeedFilter:
    """The feed's filter decoded as the resolvers decode it. `own_cell` for a cell's own feed,
    whose subtree is the row (the resolvers then ignore `filter.subtree`)."""
    f = arguments.get("filter")
    if own_cell and f is not None:
        f = replace(f, subtree=None)
    return decode_feed_filter(f, path_of(env))


# the feed's filters: `domain.activities.queries.feed_filter` (the resolvers' rule, the visibility
# policy included)
connection_root(
    "activities",
    node_type="Activity",
    table="activity",
    decode=decode_feed,
    where=queries.feed_filter,
    keyset=FEED_KEYSET,
    keys=FEED_KEYS,
    subtree=True,
)


@root("activity")
def activity(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    return b.lookup(field_def, nodes, "Activity")


def _anonymous(env: Env, arguments: dict[str, Any]) -> str | None:
    # the resolvers answer an anonymous caller an empty page without any paging state
    return "myActivities without a user" if env.actor.user_id is None else None


# `domain.activities.queries.my_activities`: the actor's own records in every status, newest first
connection_root(
    "myActivities",
    node_type="Activity",
    table="activity",
    decode=lambda env, _: None,
    where=lambda actor, _: queries.mine_filter(actor),
    keyset=FEED_KEYSET,
    keys=FEED_KEYS,
    resolvers_answer=_anonymous,
)


@root("activityCountsByUnit")
def activity_counts_by_unit(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    """`domain.activities.queries.counts_by_type_for_units`: the domain's statement (monthly rollup
    and edges, `rollup.unit_counts_statement`) as a CTE read twice."""
    arguments = b.arguments(field_def, nodes[0])
    d = b.dialect
    town = checked(lambda env: node_pk(arguments(env)["town"], "GridCell", "town"))

    def counted(env: Env) -> Sql:
        a = arguments(env)
        since, until = _utc(a["since"]), _utc(a["until"])
        assert since is not None  # DateTime! arguments
        assert until is not None
        statement, params = rollup.unit_counts_statement(town(env), since, until)
        return Sql(statement, tuple(params))

    grouped = b.cte(b.dyn(counted))
    # The resolvers refuse a cell that is not a town (a user error): let them answer that.
    b.guard(
        "EXISTS (SELECT 1 FROM grid_cell WHERE id = "
        + b.dyn(lambda env: Sql("?", (town(env),)))
        + f" AND depth <> {TOWN_DEPTH})"
    )
    unit_type = get_named_type(field_def.type)
    assert isinstance(unit_type, GraphQLObjectType)
    count_type = get_named_type(unit_type.fields["counts"].type)
    by_type = {
        "activityType": lambda row: f"{row}.activity_type",
        "label": lambda row: labels(f"{row}.activity_type", ACTIVITY_TYPE_LABELS),
        "count": lambda row: f"{row}.n",
    }
    unit = b.alias("u")
    columns: list[tuple[str, Sql]] = []
    for key, name, field_nodes in b.collect(nodes, unit_type.name):
        if name == "__typename":
            columns.append((key, Sql(literal(unit_type.name))))
        elif name == "total":
            columns.append((key, Sql(f"{unit}.total")))
        elif name == "cell":
            columns.append(
                (key, b.single("GridCell", field_nodes, lambda alias: Sql(f"{alias}.id = {unit}.unit_id")))
            )
        elif name == "counts":

            def of_unit(row: str) -> str:
                in_order = d.collate_c(f"{row}.activity_type")  # Python's sorted() order
                return f"FROM {grouped} {row} WHERE {row}.unit_id = {unit}.unit_id ORDER BY {in_order}"

            columns.append((key, plain_objects(b, field_nodes, count_type.name, by_type, of_unit)))
        else:
            raise Fallback(f"{unit_type.name}.{name} is not compilable")
    source = (
        f"FROM (SELECT unit_id, CAST(sum(n) AS BIGINT) AS total FROM {grouped} GROUP BY unit_id) {unit} "
        f"ORDER BY {unit}.unit_id LIMIT {MAX_UNITS_PER_TOWN}"
    )
    return b.nested(d.many(columns, Sql(source)))


def _activities(b: Builder, cell: str, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    """GridCell.activities (`api.schema.activities.extends`): the feed of the row's subtree
    (`feed_filter(..., subtree_path=path)`, which ignores `filter.subtree`), under the visibility
    policy, newest first."""

    def full_view(row: str) -> Sql | None:
        # a micro-grid's own feed: only the records the reader sees in full (`policy.subtree_filter`)
        return b.rule(_actor, policy.full_view_filter, row, "activity")

    arguments = b.arguments(field_def, nodes[0])
    given = resolver_arguments(b, field_def, nodes[0])
    decoded = checked(lambda env: decode_feed(env, given(env), own_cell=True))
    where = b.ruled(lambda env: (env.rule_actor, decoded(env)), checked(queries.feed_filter), "activity")

    return connection(
        b,
        field_def,
        nodes,
        node_type="Activity",
        table="activity",
        where=where,
        keyset=FEED_KEYSET,
        page_of=relay_page(arguments, FEED_KEYS),
        branches=subtree_branches(b, cell, micro_grid=full_view),
    )


extend(GRID_CELL, {"activities": Nested(_activities, arguments=PAGING | {"filter"})})


def verified_activity_counts(
    b: Builder, alias: str, field_def: GraphQLField, nodes: Sequence[FieldNode]
) -> Sql:
    """MicroLeader.verifiedActivityCounts (`api.schema.activities.extends`):
    `domain.activities.queries.verified_counts_by_type` (one GROUP BY over the leader's VERIFIED
    records), in the resolvers' sorted type order."""
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


extend(MICRO_LEADER, {"verifiedActivityCounts": Nested(verified_activity_counts)})
