"""Who sees which activity record, which of its details and at which cell, is one rule in
`domain.activities.policy`, written as Python predicates and as `Q` twins: the twins agree with the
predicates for every kind of actor, and the compiled read path (which renders the twins) answers
exactly what the resolvers (which call the predicates) answer, for every kind of record."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from api.compiler.sql import render_q
from api.schema.activities.compile import ACTIVITY_COLUMNS
from domain import sql
from domain.access import Actor, Grant, Role
from domain.activities import policy
from domain.activities.models import Activity
from domain.errors import PermissionDenied
from tests.accounts import actor_of
from tests.api.graphql import bearer, global_id
from tests.compiler.conftest import App, canonical, compare
from tests.compiler.test_twins import Q_TWINS
from tests.conftest import SqlLog
from tests.factories_privacy import MEDIATION_NARRATIVE, PrivacyWorld, build_privacy_world

FIELDS = """id title isPublic detailsPublic status activityType startedAt participants householdsReached
  narrative place followUp mediationOutcome mediationOutcomeLabel problems { category label count }
  photos { url width } cell { id code name } leader { id name }"""

FEED = f"""query ($filter: ActivityFilter) {{
  activities(first: 20, filter: $filter) {{ totalCount nodes {{ {FIELDS} }} }} }}"""
ONE = f"query ($id: ID!) {{ activity(id: $id) {{ {FIELDS} }} }}"
NODE = f"query ($id: ID!) {{ node(id: $id) {{ __typename ... on Activity {{ {FIELDS} }} }} }}"
CELL_FEED = f"""query ($id: ID!, $filter: ActivityFilter) {{ gridCell(id: $id) {{ code
  activities(first: 20, filter: $filter) {{ totalCount nodes {{ {FIELDS} }} }} }} }}"""
CELLS_FEEDS = f"""{{ gridCells(first: 20) {{ nodes {{ code activities(first: 5) {{ totalCount
  nodes {{ {FIELDS} }} }} }} }} }}"""

USERS = {
    "resident": "resident.zhao",
    "author": "leader.li",
    "other_leader": "leader.wang",
    "staff": "staff.zhou",
    "far_staff": "staff.far",
    "bureau": "bureau.chen",
}
ACTORS = ("anonymous", *USERS)


async def _headers(world: PrivacyWorld) -> dict[str, dict[str, str]]:
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for name, username in USERS.items():
        headers[name] = await bearer(world.cast.users[username])
    return headers


async def _same_both_ways(
    app: App, sql_log: SqlLog, headers: dict[str, dict[str, str]], query: str, variables: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Each actor's answer, after checking the compiled one is the resolvers' (one statement)."""
    answers = {}
    for actor in ACTORS:
        expected, actual, statements = await compare(app, sql_log, query, variables, headers[actor])
        assert actual.get("extensions") == {"readPath": "compiled"}, (actor, actual)
        assert canonical(actual) == canonical(expected), (actor, query, variables)
        assert statements == 1, (actor, statements)
        answers[actor] = actual
    return answers


async def test_every_read_of_every_kind_of_record_is_the_same_on_both_paths(
    app: App, sql_log: SqlLog
) -> None:
    # GIVEN verified records public or not, with public details or not, at micro-grids and grids,
    # and a record awaiting review
    world = await build_privacy_world()
    tree = world.cast.tree
    headers = await _headers(world)
    cell = {
        name: global_id("GridCell", c.id)
        for name, c in (
            ("micro0", tree.micro_grids[0]),
            ("micro1", tree.micro_grids[1]),
            ("grid0", tree.grids[0]),
            ("community", tree.community),
        )
    }
    # WHEN every kind of actor reads them through the feed (unfiltered, by a micro-grid, by a grid,
    # by a micro-grid's subtree), by ID, as nodes and through the cells' own feeds
    feed = await _same_both_ways(app, sql_log, headers, FEED, {})
    for filter_ in (
        {"cell": cell["micro0"]},
        {"cell": cell["grid0"]},
        {"subtree": cell["micro0"]},
        {"subtree": cell["grid0"]},
    ):
        await _same_both_ways(app, sql_log, headers, FEED, {"filter": filter_})
    leader_filter = {"filter": {"leader": global_id("MicroLeader", world.cast.leader_row.id)}}
    by_leader = await _same_both_ways(app, sql_log, headers, FEED, leader_filter)
    for record in world.records:
        ref = global_id("Activity", record.id)
        await _same_both_ways(app, sql_log, headers, ONE, {"id": ref})
        await _same_both_ways(app, sql_log, headers, NODE, {"id": ref})
    by_cell = {}
    for name in ("micro0", "micro1", "grid0", "community"):
        by_cell[name] = await _same_both_ways(app, sql_log, headers, CELL_FEED, {"id": cell[name]})
    await _same_both_ways(
        app, sql_log, headers, CELL_FEED, {"id": cell["community"], "filter": {"cell": cell["micro0"]}}
    )
    await _same_both_ways(app, sql_log, headers, CELLS_FEEDS, {})
    # THEN (in `_same_both_ways`) both paths agree; and the public sees only public verified
    # records, at their grid, with details only where they are public
    anonymous = {n["title"]: n for n in feed["anonymous"]["data"]["activities"]["nodes"]}
    assert set(anonymous) == {"重阳节邻里联欢", "清理楼道堆物", "商议加装电梯"}
    culture, environment = anonymous["重阳节邻里联欢"], anonymous["清理楼道堆物"]
    assert culture["cell"]["code"] == tree.grids[0].code  # not micro-grid 1
    assert (culture["narrative"], culture["place"], culture["problems"], culture["photos"]) == (
        None,
        None,
        [],
        [],
    )
    assert (culture["isPublic"], culture["detailsPublic"]) == (True, False)
    assert culture["leader"] is None  # the recorder's home cell would point to the micro-grid
    assert environment["narrative"] == "清出杂物两车。"
    assert len(environment["photos"]) == 1
    assert environment["leader"]["id"] == global_id("MicroLeader", world.cast.leader_row.id)
    assert environment["cell"]["code"] == tree.grids[0].code
    # ... the author and staff in scope see everything, at its own cell
    author = {n["title"]: n for n in feed["author"]["data"]["activities"]["nodes"]}
    assert author["调解吴家宅家庭赡养纠纷"]["narrative"] == MEDIATION_NARRATIVE
    assert author["重阳节邻里联欢"]["cell"]["code"] == tree.micro_grids[1].code
    # (staff over the community see all six, the submitted one too; the other leader the public
    # three and their own visit)
    assert feed["staff"]["data"]["activities"]["totalCount"] == 6
    assert feed["bureau"]["data"]["activities"]["totalCount"] == 6
    assert feed["other_leader"]["data"]["activities"]["totalCount"] == 4
    far = {n["title"] for n in feed["far_staff"]["data"]["activities"]["nodes"]}
    assert far == {"重阳节邻里联欢", "清理楼道堆物", "商议加装电梯", "走访残疾人家庭"}
    # ... a leader's records show a public reader only those whose details (the recorder) they see
    for actor in ("anonymous", "resident", "other_leader", "far_staff"):
        titles = {n["title"] for n in by_leader[actor]["data"]["activities"]["nodes"]}
        assert titles == {"清理楼道堆物"}, (actor, titles)
    # ... and a micro-grid's own feed shows a public reader nothing
    for actor in ("anonymous", "resident", "other_leader", "far_staff"):
        assert by_cell["micro0"][actor]["data"]["gridCell"]["activities"]["totalCount"] == 0, actor
        assert by_cell["micro1"][actor]["data"]["gridCell"]["activities"]["totalCount"] == 0, actor
    assert by_cell["micro0"]["staff"]["data"]["gridCell"]["activities"]["totalCount"] == 2
    assert by_cell["grid0"]["anonymous"]["data"]["gridCell"]["activities"]["totalCount"] == 3


async def test_an_anonymous_reader_never_gets_the_narrative_of_a_verified_mediation(app: App) -> None:
    # GIVEN a verified mediation at a micro-grid (not made public)
    world = await build_privacy_world()
    tree = world.cast.tree
    ref = global_id("Activity", world.mediation.id)
    micro = global_id("GridCell", tree.micro_grids[0].id)
    reads = [
        (FEED, {}),
        (FEED, {"filter": {"cell": micro}}),
        (FEED, {"filter": {"subtree": micro}}),
        (ONE, {"id": ref}),
        (NODE, {"id": ref}),
        (CELL_FEED, {"id": micro}),
        (CELL_FEED, {"id": global_id("GridCell", tree.grids[0].id)}),
        (CELLS_FEEDS, {}),
    ]
    for query, variables in reads:
        for path in ({}, {"x-linzhi-read-path": "resolvers"}):
            # WHEN an anonymous reader asks for it every way there is, on either read path
            body = await app.post(query, variables, **path)
            # THEN neither the record nor its narrative is in the answer
            text = canonical(body)
            assert "errors" not in body, body
            assert MEDIATION_NARRATIVE not in text, (query, variables, path)
            assert "吴家宅" not in text, (query, variables, path)
    # ... while its author gets it
    author = await app.post(ONE, {"id": ref}, **await bearer(world.cast.users["leader.li"]))
    assert author["data"]["activity"]["narrative"] == MEDIATION_NARRATIVE


async def test_the_sql_twins_agree_with_the_predicates_for_every_actor_and_record(db: None) -> None:
    # GIVEN records of every kind and actors of every kind (the author, another leader, a
    # resident, grid staff over the community, over the other grid, over a micro-grid, unscoped,
    # the bureau, an administrator, the command line, and anonymous)
    world = await build_privacy_world()
    cast, tree = world.cast, world.cast.tree
    actors = [
        Actor(),
        cast.leader,
        cast.other_leader,
        cast.resident,
        cast.staff,
        cast.far_staff,
        Actor(
            user_id=90,
            grants=(
                Grant(Role.GRID_STAFF, cell_id=tree.micro_grids[0].id, cell_path=tree.micro_grids[0].path),
            ),
        ),
        Actor(user_id=91, grants=(Grant(Role.GRID_STAFF),)),
        cast.bureau,
        Actor(user_id=92, grants=(Grant(Role.ADMIN),)),
        Actor(system=True),
        await actor_of(cast.users["leader.li"]),
    ]
    rows = await Activity.filter(id__in=[r.id for r in world.records])
    twins = [(q, p) for q, p in Q_TWINS.items() if q.__module__ == policy.__name__]
    assert len(twins) >= 4
    for actor in actors:
        for to_q, predicate in twins:
            # WHEN the records are filtered by the SQL twin (a Q that refuses the actor lets
            # nothing through)
            try:
                q = to_q(actor)
            except PermissionDenied:
                q = Q(id__in=[])
            rendered = render_q(q, "a", ACTIVITY_COLUMNS)
            where = f"WHERE {rendered.text}" if rendered is not None else ""
            params = list(rendered.params) if rendered is not None else []
            found = await sql.fetch_all(f"SELECT a.id FROM activity a {where}", params)
            # THEN it lets through exactly the records the predicate does
            expected = {row.id for row in rows if predicate(actor, row)}
            assert {r["id"] for r in found} == expected, (actor, predicate.__name__)
        # ... and a micro-grid filter matches for a reader only the records they see in full
        for cell in (tree.micro_grids[0], tree.micro_grids[1]):
            for q in (policy.cell_filter(actor, cell.id), policy.subtree_filter(actor, cell.path)):
                rendered = render_q(q, "a", ACTIVITY_COLUMNS)
                assert rendered is not None
                found = await sql.fetch_all(
                    f"SELECT a.id FROM activity a WHERE {rendered.text}", list(rendered.params)
                )
                expected = {
                    row.id for row in rows if row.cell_id == cell.id and policy.has_full_view(actor, row)
                }
                assert {r["id"] for r in found} == expected, (actor, cell.code)
        # ... and a leader filter only those whose details they see
        rendered = render_q(policy.leader_filter(actor, cast.leader_row.id), "a", ACTIVITY_COLUMNS)
        assert rendered is not None
        found = await sql.fetch_all(
            f"SELECT a.id FROM activity a WHERE {rendered.text}", list(rendered.params)
        )
        expected = {
            row.id
            for row in rows
            if row.leader_id == cast.leader_row.id and policy.can_see_details(actor, row)
        }
        assert {r["id"] for r in found} == expected, actor
        # ... while a grid's filter keeps what the public sees there
        rendered = render_q(policy.cell_filter(actor, tree.grids[0].id), "a", ACTIVITY_COLUMNS)
        assert rendered is not None
        found = await sql.fetch_all(
            f"SELECT a.id FROM activity a WHERE {rendered.text}", list(rendered.params)
        )
        assert {r["id"] for r in found} == {world.deliberation.id}, actor
