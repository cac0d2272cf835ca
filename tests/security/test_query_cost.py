"""Query cost: every list field has a true maximum, the cost multiplies along lists as along
connections, and a document whose worst case is over MAX_COST is refused before anything runs,
whichever read path would have answered it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.schema import schema
from api.schema.limits import MAX_COST, is_list_field, list_bound
from api.settings import Settings
from domain.activities.models import ActivityPhoto
from domain.activities.photos import MAX_PHOTOS
from domain.errors import DomainError
from domain.leaders.models import Cohort, LeaderStatus, MicroLeader, SourceRole, TrainingSession
from domain.leaders.queries import (
    MAX_CAPACITY,
    MAX_COHORTS_LISTED,
    MAX_LEADERS_PER_CELL,
    MAX_SESSIONS_PER_COHORT,
)
from domain.people.models import Person
from tests.api.graphql import global_id
from tests.compiler.conftest import build_world
from tests.conftest import SqlLog
from tests.factories import build_tree
from tests.factories_leaders import make_cohort, make_session, now

ASSESSED = "{cohorts{sessions{enrolledLeaders{cohort{sessions{enrolledLeaders{cohort{sessions{id}}}}}}}}}"
ONE_LEVEL_MORE = (
    "{cohorts{sessions{enrolledLeaders{cohort{sessions{enrolledLeaders{cohort{sessions"
    "{enrolledLeaders{id}}}}}}}}}}"
)
COMPILED_BUT_COSTLY = "{gridCells(first:100){nodes{leaders{homeCell{leaders{homeCell{leaders{id}}}}}}}}"
RESOLVERS = {"x-linzhi-read-path": "resolvers"}
REPORT = {"x-linzhi-read-path": "report"}


@pytest_asyncio.fixture
async def app(db: None) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(Settings.for_tests())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://t") as c:
        yield c


async def post(client: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None) -> Any:
    response = await client.post("/graphql", json={"query": query}, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


def _graphql_schema() -> GraphQLSchema:
    return schema._schema


# --- every list field declares a maximum ------------------------------------------------------


def test_every_list_field_of_the_schema_declares_its_maximum() -> None:
    # GIVEN the real schema (introspection types included)
    graphql_schema = _graphql_schema()
    # WHEN every list-returning field is looked up
    missing = []
    lists = 0
    for named in graphql_schema.type_map.values():
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for name, definition in named.fields.items():
            if is_list_field(definition):
                lists += 1
                bound = list_bound(graphql_schema, named, name)
                if bound is None or bound.maximum < 1:
                    missing.append(f"{named.name}.{name}")
    # THEN each has a maximum (a new list field without `max_items(...)` fails here)
    assert lists > 30
    assert missing == []


def test_the_cost_multiplies_along_plain_lists() -> None:
    from graphql import parse

    from api.schema.limits import operation_cost

    graphql_schema = _graphql_schema()

    def cost(query: str) -> int:
        return operation_cost(parse(query).definitions, None, graphql_schema, {})

    # cohorts (<=50) x sessions (<=40): each level multiplies the fields below it
    assert cost("{cohorts{name}}") == 1 + MAX_COHORTS_LISTED
    assert cost("{cohorts{sessions{id}}}") == 1 + MAX_COHORTS_LISTED * (1 + MAX_SESSIONS_PER_COHORT)
    # nodes(ids:) counts the ids it is given
    assert cost('{nodes(ids:["a","b","c"]){id}}') == 1 + 3
    assert cost(ASSESSED) > 1000 * MAX_COST


# --- the maxima are true ----------------------------------------------------------------------


async def test_a_cohort_takes_no_more_sessions_than_its_maximum(db: None) -> None:
    # GIVEN a cohort whose plan is full
    cohort = await make_cohort()
    for _ in range(MAX_SESSIONS_PER_COHORT):
        await make_session(cohort)
    # WHEN the bureau adds one more session
    # THEN it is refused with a clear message
    with pytest.raises(DomainError) as refused:
        await make_session(cohort)
    assert f"每期最多 {MAX_SESSIONS_PER_COHORT} 场培训" in refused.value.message
    assert await TrainingSession.filter(cohort_id=cohort.id).count() == MAX_SESSIONS_PER_COHORT


async def test_no_session_seats_more_leaders_than_enrolled_leaders_may_list(db: None) -> None:
    # GIVEN a cohort
    cohort = await make_cohort()
    # WHEN a session is planned with more seats than `enrolledLeaders` may list
    # THEN it is refused (and a seat is only taken while one is left: tests/domain/test_training.py)
    with pytest.raises(DomainError) as refused:
        await make_session(cohort, capacity=MAX_CAPACITY + 1)
    assert refused.value.code.value == "CAPACITY_OUT_OF_RANGE"
    assert (await make_session(cohort, capacity=MAX_CAPACITY)).capacity == MAX_CAPACITY


async def test_lists_stop_at_their_maximum_on_both_read_paths(app: httpx.AsyncClient) -> None:
    # GIVEN rows written past the maxima behind the services' backs (old data, imports)
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    cell = tree.micro_grids[0]
    for i in range(MAX_COHORTS_LISTED + 1):
        await Cohort.create(name=f"第{i}期", year=2000 + i, min_attendance_share=0.8, min_hours=0)
    cohort = await Cohort.filter().order_by("-year").first()
    assert cohort is not None
    start = now()
    for i in range(MAX_SESSIONS_PER_COHORT + 1):
        await TrainingSession.create(
            cohort=cohort,
            session_type="WORKSHOP",
            title=f"场次{i}",
            starts_at=start,
            ends_at=start,
            venue="大厅",
            facilitator="周社工",
            capacity=10,
            hours=1,
        )
    for i in range(MAX_LEADERS_PER_CELL + 1):
        person = await Person.create(name=f"王{i}", mobile=f"1390000{i:04d}")
        await MicroLeader.create(
            person=person,
            cohort=cohort,
            home_cell=cell,
            home_path=cell.path,
            source_role=SourceRole.MICRO_GRID_HEAD,
            status=LeaderStatus.ENROLLED,
            nominated_at=start,
        )
    cell_id, cohort_id = global_id("GridCell", cell.id), global_id("Cohort", cohort.id)
    lists = {
        "{ cohorts { id } }": (lambda d: d["cohorts"], MAX_COHORTS_LISTED, "compiled"),
        f'{{ gridCell(id: "{cell_id}") {{ leaders {{ id }} }} }}': (
            lambda d: d["gridCell"]["leaders"],
            MAX_LEADERS_PER_CELL,
            "compiled",
        ),
        f'{{ cohort(id: "{cohort_id}") {{ sessions {{ id }} }} }}': (
            lambda d: d["cohort"]["sessions"],
            MAX_SESSIONS_PER_COHORT,
            "resolvers",
        ),
    }
    for query, (items, maximum, served_by) in lists.items():
        # WHEN both read paths list them
        for headers in (REPORT, RESOLVERS):
            body = await post(app, query, headers)
            # THEN each list holds its maximum, never more
            assert len(items(body["data"])) == maximum, query
            if headers is REPORT:
                assert body["extensions"]["readPath"] == served_by


async def test_an_activity_shows_at_most_its_maximum_of_photos(app: httpx.AsyncClient) -> None:
    from domain.activities.models import Activity, ActivityStatus
    from tests.factories_activities import build_cast, verified_activity

    # GIVEN a public record with one photo more than the upload rule allows (written directly)
    cast = await build_cast()
    record = await verified_activity(cast.leader, cast.staff, cast.tree.micro_grids[0])
    assert record.status is ActivityStatus.VERIFIED
    await Activity.filter(id=record.id).update(is_public=True, details_public=True)  # photos public
    for i in range(MAX_PHOTOS + 1):
        await ActivityPhoto.create(
            activity=record,
            file_name=f"{i:032x}.png",
            content_type="image/png",
            width=1,
            height=1,
            size_bytes=1,
        )
    query = f'{{ activity(id: "{global_id("Activity", record.id)}") {{ photos {{ url }} }} }}'
    # WHEN both read paths list its photos
    for headers in (REPORT, RESOLVERS):
        body = await post(app, query, headers)
        # THEN at most the maximum come back
        assert len(body["data"]["activity"]["photos"]) == MAX_PHOTOS, body
        if headers is REPORT:
            assert body["extensions"]["readPath"] == "compiled"


async def test_counts_by_unit_stop_at_their_maximum_of_units(app: httpx.AsyncClient) -> None:
    from datetime import timedelta

    from domain.activities import rollup
    from domain.activities.models import Activity, ActivityStatus, ActivityType, location
    from domain.activities.queries import MAX_UNITS_PER_TOWN
    from domain.grids.codes import GridKind
    from tests.accounts import make_user
    from tests.factories import cell
    from tests.factories_activities import hours_ago

    # GIVEN a town with one community/village more than the list may hold, each with a record
    city = await cell(GridKind.CITY, "330482", "平湖市")
    town = await cell(GridKind.TOWN, "330482001", "当湖街道", city)
    units = [await cell(GridKind.COMMUNITY, f"330482001{i:03d}", f"社区{i}", town) for i in range(1, 151)]
    units += [await cell(GridKind.VILLAGE, f"330482001{i:03d}", f"村{i}", town) for i in range(201, 252)]
    assert len(units) == MAX_UNITS_PER_TOWN + 1
    author = await make_user("staff.count")
    moment = hours_ago(24).replace(microsecond=0)
    await Activity.bulk_create(
        [
            Activity(
                author_user_id=author.id,
                **location(unit.id, unit.path),
                activity_type=ActivityType.VISIT,
                title="走访",
                started_at=moment,
                ended_at=moment + timedelta(minutes=30),
                households_reached=1,
                status=ActivityStatus.VERIFIED,
                submitted_at=moment,
                verified_at=moment,
            )
            for unit in units
        ]
    )
    await rollup.rebuild()
    since, until = (moment - timedelta(days=1)).isoformat(), (moment + timedelta(days=1)).isoformat()
    query = (
        f'{{ activityCountsByUnit(town: "{global_id("GridCell", town.id)}", since: "{since}", '
        f'until: "{until}") {{ total }} }}'
    )
    # WHEN both read paths count them
    for headers in (REPORT, RESOLVERS):
        body = await post(app, query, headers)
        # THEN the list stops at its maximum
        assert len(body["data"]["activityCountsByUnit"]) == MAX_UNITS_PER_TOWN, body
        if headers is REPORT:
            assert body["extensions"]["readPath"] == "compiled"


async def test_nodes_refuses_more_than_a_hundred_ids_with_a_clear_error(app: httpx.AsyncClient) -> None:
    ids = ", ".join(f'"{global_id("GridCell", i)}"' for i in range(1, 102))
    for headers in ({}, RESOLVERS):
        body = await post(app, f"{{ nodes(ids: [{ids}]) {{ id }} }}", headers)
        assert body["data"] is None
        assert body["errors"][0]["message"] == "一次最多查询 100 个 ID"


# --- refused before execution -----------------------------------------------------------------


@pytest.mark.parametrize("query", [ASSESSED, ONE_LEVEL_MORE, COMPILED_BUT_COSTLY])
async def test_the_assessed_document_is_refused_before_any_statement(
    app: httpx.AsyncClient, sql_log: SqlLog, query: str
) -> None:
    # GIVEN the assessment's 77-byte document, one level more, and a compilable costly one
    await build_tree(grids=1, micro_grids_per_grid=2)
    for headers in (REPORT, RESOLVERS):
        sql_log.reset()
        started = time.perf_counter()
        # WHEN an anonymous caller sends it (compiled path first, or the resolvers forced)
        body = await post(app, query, headers)
        # THEN it is refused at once with QUERY_TOO_COSTLY and the database is not touched
        assert body["data"] is None
        error = body["errors"][0]
        assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
        assert error["extensions"]["cost"] > MAX_COST
        assert "查询代价" in error["message"]
        assert sql_log.statements == []
        assert time.perf_counter() - started < 0.5
    # the compiled path did not run it either: it handed it to the same refusal
    body = await post(app, COMPILED_BUT_COSTLY, REPORT)
    assert body["extensions"]["fallback"] == "request error (query cost)"


async def test_a_page_size_from_a_variable_is_costed_per_request(app: httpx.AsyncClient) -> None:
    # GIVEN one document text whose page size comes from a variable
    await build_tree(grids=1, micro_grids_per_grid=2)
    query = "query ($n: Int) { gridCells(first: $n) { nodes { leaders { homeCell { leaders { id } } } } } }"

    async def ask(n: int) -> Any:
        response = await app.post("/graphql", json={"query": query, "variables": {"n": n}})
        return response.json()

    # WHEN it is sent with a small page, then a large one, then the small one again
    small, large, again = await ask(2), await ask(100), await ask(2)
    # THEN the cost follows the variables, not the first answer cached for the text
    assert "errors" not in small
    assert "errors" not in again
    assert large["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


# --- generated documents ----------------------------------------------------------------------

ROOTS = ("cohorts", "gridCells", "microLeaders", "activities", "gridKinds")
PAGE_SIZES = (1, 5, 20, 100)


def _selectable(named: GraphQLObjectType | GraphQLInterfaceType) -> list[str]:
    """Fields without required arguments."""
    return [
        name
        for name, f in named.fields.items()
        if not any(str(a.type).endswith("!") and a.default_value is None for a in f.args.values())
        or name in ("children", "activities")
    ]


@st.composite
def selection(draw: st.DrawFn, named: Any, depth: int) -> str:
    graphql_schema = _graphql_schema()
    fields = _selectable(named)
    leaves = [n for n in fields if is_leaf_type(get_named_type(named.fields[n].type))]
    nested = [n for n in fields if n not in leaves]
    parts = [draw(st.sampled_from(leaves))] if leaves else []
    if depth > 0 and nested:
        for name in draw(st.lists(st.sampled_from(nested), min_size=1, max_size=2, unique=True)):
            target = get_named_type(named.fields[name].type)
            if target.name.endswith("Connection"):
                size = draw(st.sampled_from(PAGE_SIZES))
                node = get_named_type(target.fields["nodes"].type)
                inner = draw(selection(node, depth - 1))
                parts.append(f"{name}(first: {size}) {{ totalCount nodes {{ {inner} }} }}")
            else:
                parts.append(f"{name} {{ {draw(selection(target, depth - 1))} }}")
    if not parts:
        parts = ["__typename"]
    assert graphql_schema is not None
    return " ".join(parts)


@st.composite
def documents(draw: st.DrawFn) -> str:
    query_type = _graphql_schema().query_type
    assert query_type is not None
    root = draw(st.sampled_from(ROOTS))
    target = get_named_type(query_type.fields[root].type)
    depth = draw(st.integers(min_value=1, max_value=4))
    if target.name.endswith("Connection"):
        size = draw(st.sampled_from(PAGE_SIZES))
        node = get_named_type(target.fields["nodes"].type)
        return f"{{ {root}(first: {size}) {{ nodes {{ {draw(selection(node, depth))} }} }} }}"
    return f"{{ {root} {{ {draw(selection(target, depth))} }} }}"


@pytest_asyncio.fixture
async def seeded(app: httpx.AsyncClient) -> httpx.AsyncClient:
    await build_world()
    return app


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents())
async def test_generated_nested_documents_are_refused_or_answered_within_the_budget(
    seeded: httpx.AsyncClient, document: str
) -> None:
    # GIVEN a small realistic world and a document nesting lists and connections of the schema
    # WHEN it is sent
    started = time.perf_counter()
    body = await post(seeded, document)
    elapsed = time.perf_counter() - started
    # THEN it is either refused as too costly, or answered (no timeout, no internal error) quickly
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or ()}
    if "QUERY_TOO_COSTLY" in codes:
        assert body["data"] is None
    else:
        assert "TIMEOUT" not in codes, (document, body)
        assert "服务器内部错误" not in str(body), (document, body)
        assert body["data"] is not None, (document, body)
    assert elapsed < 3, (document, elapsed)
